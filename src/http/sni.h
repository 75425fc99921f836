/* sni: finds the server name in a TLS ClientHello (RFC 8446 §4.1.2,
 * RFC 6066 §3), without terminating TLS. Pure: bytes in, name out.
 *
 * The ClientHello may span several TLS records; at most SNI_MAX_HELLO bytes
 * of handshake data are looked at. */
#ifndef BURROW_SNI_H
#define BURROW_SNI_H

#include <stddef.h>
#include <stdint.h>

#define SNI_MAX_HELLO (16 * 1024)
#define SNI_NAME_MAX 255

/* Parses the records at p. Returns the bytes of records holding the whole
 * ClientHello (> 0; `name` then holds the lowercase host name, "" when the
 * hello has none), 0 when more bytes are needed, -1 when this is not a
 * well-formed ClientHello. name must hold SNI_NAME_MAX + 1 bytes. */
long sni_parse(const uint8_t *p, size_t len, char name[SNI_NAME_MAX + 1]);

#endif
