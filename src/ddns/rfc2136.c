/* rfc2136: building and sending a TSIG-signed DNS UPDATE (rfc2136.h) and
 * the "rfc2136" provider's publish(). Runs on the threadpool: blocking I/O
 * through an ldns resolver with a bounded timeout and one retry. */
#ifdef BURROW_HAVE_LDNS
#include "ddns/rfc2136.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ddns/ddns_provider.h"

void rfc2136_alg_name(const char *alg, char *out, size_t size)
{
    if (!alg || !alg[0]) alg = "hmac-sha256";
    size_t n = strlen(alg);
    snprintf(out, size, "%s%s", alg, alg[n - 1] == '.' ? "" : ".");
}

/* RFC 2136 §2.5.2: "Delete An RRset": class ANY, TTL 0, RDLENGTH 0. */
static ldns_rr *delete_rrset(const ldns_rdf *owner, ldns_rr_type type)
{
    ldns_rr *rr = ldns_rr_new();
    if (!rr) return NULL;
    ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
    ldns_rr_set_type(rr, type);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
    ldns_rr_set_ttl(rr, 0);
    return rr;
}

/* RFC 2136 §2.5.1: "Add To An RRset". */
static ldns_rr *add_rr(const ldns_rdf *owner, ldns_rr_type type, int ttl, const char *addr)
{
    ldns_rdf *rd =
        ldns_rdf_new_frm_str(type == LDNS_RR_TYPE_A ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, addr);
    if (!rd) return NULL;
    ldns_rr *rr = ldns_rr_new();
    if (!rr) {
        ldns_rdf_deep_free(rd);
        return NULL;
    }
    ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
    ldns_rr_set_type(rr, type);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, (uint32_t)ttl);
    ldns_rr_push_rdf(rr, rd);
    return rr;
}

static int push_family(ldns_rr_list *up, const ldns_rdf *owner, ldns_rr_type type, int ttl,
                       const char *addr)
{
    if (!addr) return 0;
    ldns_rr *del = delete_rrset(owner, type);
    ldns_rr *add = add_rr(owner, type, ttl, addr);
    if (!del || !add) {
        ldns_rr_free(del);
        ldns_rr_free(add);
        return -1;
    }
    ldns_rr_list_push_rr(up, del);
    ldns_rr_list_push_rr(up, add);
    return 0;
}

static ldns_rdf *zone_of(const rfc2136_req_t *rq, const ldns_rdf *owner)
{
    if (rq->zone && rq->zone[0]) return ldns_dname_new_frm_str(rq->zone);
    return ldns_dname_left_chop(owner);
}

ldns_pkt *rfc2136_build(const rfc2136_req_t *rq, char *err, size_t errlen)
{
    ldns_pkt *pkt = NULL;
    ldns_rdf *owner = ldns_dname_new_frm_str(rq->name);
    ldns_rdf *zone = owner ? zone_of(rq, owner) : NULL;
    ldns_rr_list *up = ldns_rr_list_new();
    if (!owner || !zone || !up) {
        snprintf(err, errlen, "bad name or zone");
        goto done;
    }
    if (push_family(up, owner, LDNS_RR_TYPE_A, rq->ttl, rq->addr4) < 0 ||
        push_family(up, owner, LDNS_RR_TYPE_AAAA, rq->ttl, rq->addr6) < 0) {
        snprintf(err, errlen, "bad address");
        goto done;
    }
    /* ldns_update_pkt_new copies the lists (they are const) and keeps the
     * zone name it is given. */
    pkt = ldns_update_pkt_new(ldns_rdf_clone(zone), LDNS_RR_CLASS_IN, NULL, up, NULL);
    if (!pkt) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    ldns_pkt_set_random_id(pkt);
    char alg[64];
    rfc2136_alg_name(rq->algorithm, alg, sizeof alg);
    ldns_status st =
        ldns_pkt_tsig_sign(pkt, rq->key_name, rq->secret_b64, RFC2136_TSIG_FUDGE, alg, NULL);
    if (st != LDNS_STATUS_OK) {
        snprintf(err, errlen, "cannot sign with TSIG: %s", ldns_get_errorstr_by_id(st));
        ldns_pkt_free(pkt);
        pkt = NULL;
    }
done:
    ldns_rr_list_deep_free(up);
    ldns_rdf_deep_free(owner);
    ldns_rdf_deep_free(zone);
    return pkt;
}

/* "host", "host:port", "[v6]:port" into host and port. */
static int split_server(const char *s, char *host, size_t hsize, int *port)
{
    *port = RFC2136_DEFAULT_PORT;
    const char *colon = strrchr(s, ':');
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end) return -1;
        snprintf(host, hsize, "%.*s", (int)(end - s - 1), s + 1);
        if (end[1] == ':') *port = atoi(end + 2);
    } else if (colon && strchr(s, ':') == colon) {
        snprintf(host, hsize, "%.*s", (int)(colon - s), s);
        *port = atoi(colon + 1);
    } else {
        snprintf(host, hsize, "%s", s);
    }
    return *port > 0 && *port < 65536 && host[0] ? 0 : -1;
}

static ldns_resolver *make_resolver(const ddns_cfg_t *cfg, char *err, size_t errlen)
{
    char host[256];
    int port;
    if (split_server(cfg->server, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "bad server '%s'", cfg->server);
        return NULL;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
    int r = getaddrinfo(host, NULL, &hints, &ai);
    if (r != 0) {
        snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(r));
        return NULL;
    }
    struct sockaddr_storage ss = {0};
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    uint16_t unused;
    ldns_rdf *ns = ldns_sockaddr_storage2rdf(&ss, &unused);
    ldns_resolver *res = ldns_resolver_new();
    if (!ns || !res || ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
        snprintf(err, errlen, "out of memory");
        ldns_rdf_deep_free(ns);
        ldns_resolver_deep_free(res);
        return NULL;
    }
    ldns_rdf_deep_free(ns);
    ldns_resolver_set_port(res, (uint16_t)port);
    ldns_resolver_set_usevc(res, cfg->tcp);
    ldns_resolver_set_retry(res, 1);
    ldns_resolver_set_timeout(
        res, (struct timeval){DDNS_IO_TIMEOUT_MS / 1000, (DDNS_IO_TIMEOUT_MS % 1000) * 1000});
    /* The answer's TSIG is checked with the same key (ldns_send_buffer). */
    char alg[64];
    rfc2136_alg_name(cfg->tsig_algorithm, alg, sizeof alg);
    ldns_resolver_set_tsig_keyname(res, cfg->tsig_key_name);
    ldns_resolver_set_tsig_keydata(res, cfg->tsig_secret);
    ldns_resolver_set_tsig_algorithm(res, alg);
    return res;
}

/* Sends pkt; the answer (or NULL) in *answer. */
static ldns_status send_update(ldns_resolver *res, ldns_pkt *pkt, ldns_pkt **answer)
{
    ldns_buffer *qb = ldns_buffer_new(LDNS_MIN_BUFLEN);
    if (!qb) return LDNS_STATUS_MEM_ERR;
    ldns_status st = ldns_pkt2buffer_wire(qb, pkt);
    if (st == LDNS_STATUS_OK) {
        ldns_rr *tsig = ldns_pkt_tsig(pkt);
        ldns_rdf *mac = tsig ? ldns_rr_rdf(tsig, 3) : NULL;
        st = ldns_send_buffer(answer, res, qb, mac);
    }
    ldns_buffer_free(qb);
    return st;
}

static void set(ddns_result_t *res, ddns_next_t next, const char *fmt, const char *a, const char *b)
{
    res->next = next;
    snprintf(res->msg, sizeof res->msg, fmt, a, b);
}

void ddns_rfc2136_publish(const ddns_cfg_t *cfg, const char *addr4, const char *addr6,
                          ddns_result_t *res)
{
    char err[160] = "";
    rfc2136_req_t rq = {cfg->zone,          cfg->name,           cfg->ttl,        addr4, addr6,
                        cfg->tsig_key_name, cfg->tsig_algorithm, cfg->tsig_secret};
    ldns_pkt *pkt = rfc2136_build(&rq, err, sizeof err);
    if (!pkt) return set(res, DDNS_NEXT_STOP, "%s%s", err, "");
    ldns_resolver *r = make_resolver(cfg, err, sizeof err);
    if (!r) {
        ldns_pkt_free(pkt);
        return set(res, DDNS_NEXT_RETRY, "%s%s", err, "");
    }
    ldns_pkt *answer = NULL;
    ldns_status st = send_update(r, pkt, &answer);
    ldns_lookup_table *rc =
        answer ? ldns_lookup_by_id(ldns_rcodes, (int)ldns_pkt_get_rcode(answer)) : NULL;
    const char *rcode = rc ? rc->name : "none";
    if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS)
        set(res, DDNS_NEXT_RETRY, "answer not signed with our key (rcode %s): wrong TSIG key %s",
            rcode, "name, secret or algorithm?");
    else if (st != LDNS_STATUS_OK)
        set(res, DDNS_NEXT_RETRY, "no answer from the DNS server %s (%s)", cfg->server,
            st == LDNS_STATUS_ERR || st == LDNS_STATUS_NETWORK_ERR ? "timeout or refused"
                                                                   : ldns_get_errorstr_by_id(st));
    else if (!answer || ldns_pkt_get_rcode(answer) != LDNS_RCODE_NOERROR)
        set(res, DDNS_NEXT_RETRY, "the DNS server refused the update: rcode %s%s", rcode, "");
    else
        set(res, DDNS_NEXT_DONE, "rcode %s%s", rcode, "");
    ldns_pkt_free(answer);
    ldns_pkt_free(pkt);
    ldns_resolver_deep_free(r);
}
#endif
