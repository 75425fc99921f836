/* proxy_proto: PROXY protocol headers (HAProxy's proxy-protocol.txt), so a
 * local service behind burrow learns the real client address. Pure.
 *
 * Addresses are given as burrow writes them on the wire: "1.2.3.4:80" or
 * "[2001:db8::1]:80". Both must be of the same family. */
#ifndef BURROW_PROXY_PROTO_H
#define BURROW_PROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_PROTO_MAX 108 /* v1's longest line; v2 with IPv6 is 52 bytes */

/* Writes a version 1 or 2 header into out (PROXY_PROTO_MAX bytes). Returns its
 * length, or -1 when an address does not parse or the families differ. */
int proxy_proto_encode(int version, const char *src, const char *dst, uint8_t *out);

/* Parses "ip:port" / "[ip6]:port" into a sockaddr. 0 or -1. */
int proxy_proto_addr(const char *s, struct sockaddr_storage *out);

#endif
