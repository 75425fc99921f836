/* rfc2136: a DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945), built and
 * sent with ldns. Compiled only with ldns (BURROW_HAVE_LDNS); the provider
 * row "rfc2136" is then in ddns_provider.c's table.
 *
 * The update, per address family given: delete the name's A (or AAAA)
 * RRset (RFC 2136 §2.5.2: class ANY, TTL 0, no RDATA), then add the one
 * record with the configured TTL. No prerequisites: the client owns the
 * name. The answer's TSIG is checked against the same key; its RCODE must
 * be NOERROR. */
#ifndef BURROW_RFC2136_H
#define BURROW_RFC2136_H

#ifdef BURROW_HAVE_LDNS
#include <ldns/ldns.h>
#include <stddef.h>

#define RFC2136_DEFAULT_PORT 53
#define RFC2136_TSIG_FUDGE 300 /* seconds of clock skew the server allows */

typedef struct rfc2136_req {
    const char *zone; /* NULL: the name minus its first label */
    const char *name;
    int ttl;
    const char *addr4, *addr6; /* NULL: that family is left alone */
    const char *key_name, *algorithm, *secret_b64;
} rfc2136_req_t;

/* A signed UPDATE (the caller frees it with ldns_pkt_free), or NULL with
 * the reason in err. */
ldns_pkt *rfc2136_build(const rfc2136_req_t *rq, char *err, size_t errlen);
/* The TSIG algorithm name as ldns wants it ("hmac-sha256."), in out. */
void rfc2136_alg_name(const char *alg, char *out, size_t size);
#endif

#endif
