/* wol: Wake-on-LAN magic packets, pure.
 *
 * A magic packet (AMD's "Magic Packet Technology" white paper) is 6 bytes
 * of 0xFF followed by the target's 6-byte MAC address 16 times; a NIC with
 * "SecureOn" also wants a 4- or 6-byte password after that. Anywhere in a
 * frame the NIC sees it, it powers the machine on: burrow sends it as a UDP
 * broadcast (ports 9 and 7) and as a raw Ethernet frame of EtherType 0x0842
 * (wol_send.h). This file only parses and builds bytes; no socket. */
#ifndef BURROW_WOL_H
#define BURROW_WOL_H

#include <stddef.h>
#include <stdint.h>

#define WOL_MAC_LEN 6
#define WOL_SYNC_LEN 6 /* the leading 0xFF bytes */
#define WOL_MAC_REPEAT 16
#define WOL_PW_MAX 6 /* SecureOn: 4 or 6 bytes */
#define WOL_PKT_MAX (WOL_SYNC_LEN + WOL_MAC_REPEAT * WOL_MAC_LEN + WOL_PW_MAX)
#define WOL_ETHERTYPE 0x0842
#define WOL_PORT_DISCARD 9
#define WOL_PORT_ECHO 7

/* Parses a MAC address: "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff" (one
 * separator throughout) or 12 bare hex digits, either case. 0, or -EINVAL
 * with *why (static text, may be NULL) saying what was wrong. */
int wol_parse_mac(const char *s, uint8_t mac[WOL_MAC_LEN], const char **why);

/* Parses a SecureOn password: 6 bytes written like a MAC (any form above),
 * or 4 bytes as a dotted quad "a.b.c.d" (how some BIOSes show it) or 8
 * bare hex digits. Writes the bytes to pw and their count (4 or 6) to
 * *len. 0, or -EINVAL with *why. */
int wol_parse_password(const char *s, uint8_t pw[WOL_PW_MAX], size_t *len, const char **why);

/* Writes the magic packet for mac (and pw_len bytes of password, 0, 4 or 6)
 * into out. Returns its length, or 0 when cap is too small or pw_len bad. */
size_t wol_build(const uint8_t mac[WOL_MAC_LEN], const uint8_t *pw, size_t pw_len, uint8_t *out,
                 size_t cap);

/* true when p[0..len) holds a magic packet for mac somewhere in it (the way
 * a NIC scans a frame). Used by tests and the lab's sleeping host checks. */
int wol_is_magic_for(const uint8_t *p, size_t len, const uint8_t mac[WOL_MAC_LEN]);

/* The directed broadcast of an IPv4 subnet: addr | ~mask (network order in
 * and out). A /31 or /32 has none: returns 0 then. */
uint32_t wol_subnet_broadcast(uint32_t addr_be, uint32_t mask_be);

/* Formats mac as "aa:bb:cc:dd:ee:ff" into buf (at least 18 bytes). */
const char *wol_mac_str(const uint8_t mac[WOL_MAC_LEN], char *buf, size_t size);

#endif
