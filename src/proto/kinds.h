/* kinds: the proxy kinds burrow carries, one table shared by config, client
 * and server.
 *
 * PROXY_KINDS(X) is the registry: one X(ID, "name", flags, sym) line per
 * kind. It makes the config's enum (PROXY_ID), the name the config and the
 * wire use (NEW_PROXY and START_WORK `type`), the flags that say which
 * config keys apply, and the names of the kind's operations on each side:
 * `sproxy_<sym>_ops` (server, server_int.h) and `cproxy_<sym>_ops` (client,
 * client_int.h). Adding a kind is one line here plus one file per side
 * (see docs/ARCHITECTURE.md, "How to add a proxy kind"). Pure; no state. */
#ifndef BURROW_KINDS_H
#define BURROW_KINDS_H

#include <stdbool.h>
#include <stddef.h>

/* What a kind is, and so which config keys it accepts. */
#define KIND_BINDS_PORT (1u << 0)     /* owns a public port (remotePort) */
#define KIND_ROUTES_DOMAIN (1u << 1)  /* routed by domain: customDomains, subdomain */
#define KIND_HTTP_KEYS (1u << 2)      /* locations, hostHeaderRewrite, httpUser, headers */
#define KIND_PROXY_PROTOCOL (1u << 3) /* transport.proxyProtocolVersion */
#define KIND_DATAGRAMS (1u << 4)      /* carries UDP_DATA frames, not a byte stream */
#define KIND_SECRET (1u << 5)         /* secret: no public port; secretKey, allowUsers */

/* The order is the config enum's and must not change (tests compare it). */
#define PROXY_KINDS(X)                                                                             \
    X(TCP, "tcp", KIND_BINDS_PORT | KIND_PROXY_PROTOCOL, tcp)                                      \
    X(UDP, "udp", KIND_BINDS_PORT | KIND_DATAGRAMS, udp)                                           \
    X(HTTP, "http", KIND_ROUTES_DOMAIN | KIND_HTTP_KEYS, http)                                     \
    X(HTTPS, "https", KIND_ROUTES_DOMAIN | KIND_PROXY_PROTOCOL, https)                             \
    X(STCP, "stcp", KIND_SECRET, stcp)                                                             \
    X(SUDP, "sudp", KIND_SECRET | KIND_DATAGRAMS, sudp)                                            \
    X(XTCP, "xtcp", KIND_SECRET, xtcp)

#define KINDS_ENUM_(id, name, flags, sym) PROXY_##id,
typedef enum { PROXY_KINDS(KINDS_ENUM_) PROXY_KIND_COUNT } proxy_kind_t;
#undef KINDS_ENUM_

typedef struct kind_info {
    const char *name; /* in the config's `type` and on the wire */
    unsigned flags;   /* KIND_* */
} kind_info_t;

/* The entry of kind k, or NULL when k is out of range. */
const kind_info_t *kind_info(proxy_kind_t k);
/* k's name, "?" when out of range. */
const char *kind_name(proxy_kind_t k);
/* Whether kind k has every flag in `flags` (false when out of range). */
bool kind_has(proxy_kind_t k, unsigned flags);
/* The kind named `name` (NULL allowed), or -1. */
int kind_find(const char *name);
#define KIND_LIST_LEN 128 /* room for kind_list() over every kind */
/* Writes the names of the kinds having all of `flags` (0: every kind) as
 * English prose, "tcp, udp, http or https", into buf (truncated, always
 * NUL-terminated). `conj` joins the last two ("or", "and"). Returns buf. */
char *kind_list(unsigned flags, const char *conj, char *buf, size_t size);

#endif
