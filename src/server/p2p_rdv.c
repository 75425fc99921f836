/* p2p_rdv: xtcp's rendezvous through the server (server_int.h).
 *
 * A visitor's P2P_OFFER names the owner's proxy; the server checks its
 * shape (nonce and proof are 32 bytes of hex, the candidates parse within
 * CAND_MAX, p2p/cand.h), forwards it to the owner's session with the
 * visitor's authenticated user and a `pair` token, and the owner's
 * P2P_ANSWER comes back with that token:
 *
 *   pair = run_id "." sid "." expiry "." relay_id "." hex(HMAC-SHA256(p2p_key,
 *          run_id "." sid "." expiry "." relay_id "." proxy)[0..16))
 *
 * so the server keeps nothing per pair, an answer reaches only the visitor
 * session that asked, only from the session holding the proxy, and only
 * for P2P_PAIR_TTL_MS. The server re-encodes the candidates it parsed
 * (never forwards a peer's JSON as it came) and never sees secretKey: the
 * owner checks the visitor's proof, the visitor the owner's (p2p/punch_pkt.h).
 * Offers are limited per session (P2P_OFFERS_PER_MIN); refusals a client can
 * cause at will are logged rate-limited.
 *
 * The UDP relay (server/udp_relay.h): each forwarded offer allocates one
 * (charged to the visitor's user) and carries the owner's grant (side 1,
 * proto/relay_grant.h); the allocation's id rides in the MAC'd token
 * (relay_id, 16 hex digits, 0 when the relay is off or full), so the
 * forwarded answer carries the visitor's grant (side 0, its key read back
 * from the relay) and a refusal frees it at once. Otherwise an allocation
 * ends when the pair stops using it (UDP_RELAY_IDLE_MS). Each side's QUIC
 * certificate fingerprint ("fp", 64 hex digits) is passed on as it came:
 * the peer's proof covers it (p2p/punch_pkt.h), the server cannot swap it. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "p2p/cand.h"
#include "net/addr.h"
#include "p2p/punch_pkt.h"
#include "proto/msg.h"
#include "proto/relay_grant.h"
#include "server/secret_gone.h"
#include "server/server_int.h"
#include "server/udp_relay.h"
#include "util/log.h"

#define TOKEN_MAC_LEN 16
#define TOKEN_MAX 160
#define SID_MAX 0x7fffffffLL

static bool hex32(const char *s)
{
    uint8_t b[PUNCH_NONCE_LEN];
    return s && strlen(s) == 2 * PUNCH_NONCE_LEN && auth_unhex(s, b, sizeof b) == 0;
}

/* hex MAC of "run_id.sid.expiry.proxy" */
static void token_mac(const srv_t *s, const char *body, const char *proxy, char out[33])
{
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    char text[TOKEN_MAX + 160];
    snprintf(text, sizeof text, "%s.%s", body, proxy);
    if (!HMAC(EVP_sha256(), s->p2p_key, sizeof s->p2p_key, (const uint8_t *)text, strlen(text),
              full, &n))
        memset(full, 0, sizeof full);
    auth_hex(full, TOKEN_MAC_LEN, out);
}

static void refuse_visitor(session_t *vs, long long sid, const char *proxy, const char *why)
{
    LOG_LIMITED(LOG_WARN, "xtcp offer refused proxy=%s visitor=%s reason=%s",
                LOG_ESC(proxy ? proxy : "?"), LOG_ESC(session_user(vs)), why);
    session_send(vs, MSG_P2P_ANSWER, json_pack("{s:I,s:s}", "sid", sid, "error", why));
}

/* Side `side`'s grant of allocation id as the "relay" member of o; nothing
 * when the relay is off or the allocation is gone. */
static void put_grant(srv_t *s, json_t *o, uint64_t id, int side)
{
    relay_grant_t g = {.alloc_id = id, .side = (uint8_t)side};
    struct sockaddr_storage at;
    if (!id || !s->relay || !udp_relay_addr(s->relay, &at) ||
        udp_relay_side_key(s->relay, id, side, g.key) != 0)
        return;
    g.port = addr_port((struct sockaddr *)&at);
    if (strcmp(s->cfg->bind_addr, "0.0.0.0") != 0 && strcmp(s->cfg->bind_addr, "::") != 0)
        snprintf(g.addr, sizeof g.addr, "%s", s->cfg->bind_addr); /* else: the control's host */
    json_object_set_new(o, RELAY_GRANT_KEY, relay_grant_to_json(&g));
}

/* A relay allocation for the pair; 0 when the relay is off or refuses. */
static uint64_t pair_alloc(srv_t *s, session_t *vs, const char *proxy)
{
    udp_relay_pair_t pr = {.user = session_user(vs), .proxy = proxy};
    udp_relay_alloc_t a;
    return s->relay && udp_relay_alloc(s->relay, &pr, &a) == 0 ? a.id : 0;
}

/* The sender's QUIC fingerprint, passed on when well-formed. */
static void put_fp(json_t *o, const json_t *m)
{
    const char *fp = msg_str(m, "fp");
    if (hex32(fp)) json_object_set_new(o, "fp", json_string(fp));
}

/* The parsed candidates as JSON fields on o; the sender's NAT behaviour
 * noted on its session for the dashboard (/api/clients natType). */
static int put_cands(json_t *o, const json_t *m, session_t *from)
{
    cand_set_t set;
    if (cand_from_json(m, &set) != 0) return -1;
    if (set.nat != CAND_NAT_UNKNOWN) session_set_nat(from, cand_nat_name(set.nat));
    return cand_to_json(&set, o);
}

void p2p_rdv_offer(srv_t *s, session_t *vs, const json_t *m)
{
    const char *proxy = msg_str(m, "proxy");
    long long sid = msg_int(m, "sid", -1);
    const char *nonce = msg_str(m, "nonce"), *proof = msg_str(m, "proof");
    if (sid < 0 || sid > SID_MAX) return; /* nowhere to answer */
    if (!session_p2p_budget(vs)) {
        refuse_visitor(vs, sid, proxy, "rate-limited");
        return;
    }
    json_t *fwd = json_object();
    sproxy_t *p = NULL;
    const char *why = NULL;
    if (!proxy || strlen(proxy) >= 128 || !hex32(nonce) || !hex32(proof) || !fwd ||
        put_cands(fwd, m, vs) != 0)
        why = "proto";
    else if (!(p = server_find_proxy(s, proxy)) &&
             secret_gone_has(s->secret_gone, proxy, uv_now(s->loop)))
        why = "owner-offline";
    else if (!p || p->ops != &sproxy_xtcp_ops || !p->sess)
        why = "unknown-proxy";
    if (why) {
        json_decref(fwd);
        refuse_visitor(vs, sid, proxy, why);
        return;
    }
    char body[TOKEN_MAX], mac[33], token[TOKEN_MAX + 40];
    uint64_t relay_id = pair_alloc(s, vs, p->name);
    snprintf(body, sizeof body, "%s.%lld.%llu.%016llx", session_run_id(vs), sid,
             (unsigned long long)(uv_now(s->loop) + P2P_PAIR_TTL_MS), (unsigned long long)relay_id);
    token_mac(s, body, p->name, mac);
    snprintf(token, sizeof token, "%s.%s", body, mac);
    json_object_set_new(fwd, "pair", json_string(token));
    json_object_set_new(fwd, "proxy", json_string(p->name));
    json_object_set_new(fwd, "user", json_string(session_user(vs)));
    json_object_set_new(fwd, "nonce", json_string(nonce));
    json_object_set_new(fwd, "proof", json_string(proof));
    put_fp(fwd, m);
    put_grant(s, fwd, relay_id, 1);
    srv_stats_p2p_offer(&s->stats, p->name, session_user(vs), session_run_id(vs),
                        session_run_id(p->sess), sid, relay_id != 0, (int64_t)time(NULL));
    LOG_I("xtcp offer forwarded proxy=%s visitor=%s sid=%lld relay=%s", LOG_ESC(p->name),
          LOG_ESC(session_user(vs)), sid, relay_id ? "yes" : "no");
    session_send(p->sess, MSG_P2P_OFFER, fwd);
}

/* Splits a pair token: the visitor's run id, sid, expiry and relay
 * allocation id, when its MAC (for `proxy`) holds. */
static bool token_parse(srv_t *s, const char *token, const char *proxy, char run_id[64],
                        long long *sid, unsigned long long *exp, uint64_t *relay_id)
{
    char body[TOKEN_MAX], want[33];
    const char *dot = token ? strrchr(token, '.') : NULL;
    if (!dot || (size_t)(dot - token) >= sizeof body || strlen(dot + 1) != 32) return false;
    memcpy(body, token, (size_t)(dot - token));
    body[dot - token] = '\0';
    token_mac(s, body, proxy, want);
    if (CRYPTO_memcmp(want, dot + 1, 32) != 0) return false;
    unsigned long long rid;
    if (sscanf(body, "%63[0-9a-f].%lld.%llu.%16llx", run_id, sid, exp, &rid) != 4) return false;
    *relay_id = rid;
    return true;
}

/* As token_parse, and not expired. */
static bool token_open(srv_t *s, const char *token, const char *proxy, char run_id[64],
                       long long *sid, uint64_t *relay_id)
{
    unsigned long long exp;
    return token_parse(s, token, proxy, run_id, sid, &exp, relay_id) && exp >= uv_now(s->loop);
}

void p2p_rdv_answer(srv_t *s, session_t *os, const json_t *m)
{
    const char *proxy = msg_str(m, "proxy"), *error = msg_str(m, "error");
    char run_id[64];
    long long sid;
    uint64_t relay_id = 0;
    sproxy_t *p = proxy ? server_find_proxy(s, proxy) : NULL;
    if (!p || p->sess != os || !token_open(s, msg_str(m, "pair"), proxy, run_id, &sid, &relay_id)) {
        LOG_LIMITED(LOG_WARN, "xtcp answer dropped proxy=%s owner=%s reason=bad-pair",
                    LOG_ESC(proxy ? proxy : "?"), LOG_ESC(session_user(os)));
        return;
    }
    session_t *vs = session_find(s, run_id);
    json_t *fwd = vs ? json_pack("{s:I}", "sid", sid) : NULL;
    if (!fwd) { /* the visitor went away */
        if (s->relay) udp_relay_free(s->relay, relay_id);
        return;
    }
    static const char *const errors[] = {"wrong-key", "user-not-allowed", "busy", "proto", NULL};
    if (error) { /* only words the visitor knows; anything else is "refused" */
        const char *word = "refused";
        for (const char *const *e = errors; *e; e++)
            if (strcmp(*e, error) == 0) word = *e;
        json_object_set_new(fwd, "error", json_string(word));
        srv_stats_p2p_answer(&s->stats, run_id, sid, word);
        if (s->relay) udp_relay_free(s->relay, relay_id);
    } else if (!hex32(msg_str(m, "nonce")) || !hex32(msg_str(m, "proof")) ||
               put_cands(fwd, m, os) != 0) {
        json_object_set_new(fwd, "error", json_string("proto"));
        if (s->relay) udp_relay_free(s->relay, relay_id);
    } else {
        json_object_set_new(fwd, "nonce", json_string(msg_str(m, "nonce")));
        json_object_set_new(fwd, "proof", json_string(msg_str(m, "proof")));
        put_fp(fwd, m);
        put_grant(s, fwd, relay_id, 0);
        srv_stats_p2p_answer(&s->stats, run_id, sid, NULL);
    }
    session_send(vs, MSG_P2P_ANSWER, fwd);
}

/* ---- MSG_P2P_PATH: a pair's path, as its clients report it ------------ */

#define RTT_US_MAX 60000000LL      /* a minute: anything above is nonsense */
#define SINCE_MS_MAX 31536000000LL /* a year */

/* The visitor's side of r from its own session, the owner's from the
 * proxy's current holder. False when the sid is out of range. */
static bool path_as_visitor(srv_t *s, session_t *ss, const json_t *m, p2p_path_rec_t *r)
{
    r->sid = msg_int(m, "sid", -1);
    if (r->sid < 0 || r->sid > SID_MAX) return false;
    snprintf(r->visitor_run_id, sizeof r->visitor_run_id, "%s", session_run_id(ss));
    snprintf(r->visitor_user, sizeof r->visitor_user, "%s", session_user(ss));
    sproxy_t *p = server_find_proxy(s, r->proxy);
    if (p && p->ops == &sproxy_xtcp_ops && p->sess) {
        snprintf(r->owner_run_id, sizeof r->owner_run_id, "%s", session_run_id(p->sess));
        snprintf(r->owner_user, sizeof r->owner_user, "%s", session_user(p->sess));
    }
    return true;
}

/* The owner's report names its pair by the server's token (the MAC must
 * hold; its expiry does not matter: the pair outlives it). */
static bool path_as_owner(srv_t *s, session_t *ss, const json_t *m, p2p_path_rec_t *r)
{
    char run_id[64];
    unsigned long long exp;
    uint64_t relay_id;
    if (!token_parse(s, msg_str(m, "pair"), r->proxy, run_id, &r->sid, &exp, &relay_id))
        return false;
    r->by_owner = true;
    snprintf(r->visitor_run_id, sizeof r->visitor_run_id, "%s", run_id);
    snprintf(r->owner_run_id, sizeof r->owner_run_id, "%s", session_run_id(ss));
    snprintf(r->owner_user, sizeof r->owner_user, "%s", session_user(ss));
    session_t *vs = session_find(s, run_id);
    const srv_p2p_pair_t *seen = srv_stats_p2p_find(&s->stats, run_id, r->sid);
    const char *vu = vs ? session_user(vs) : seen ? seen->visitor_user : "";
    snprintf(r->visitor_user, sizeof r->visitor_user, "%s", vu);
    return true;
}

static long long clamp(long long v, long long hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

void p2p_rdv_path(srv_t *s, session_t *ss, const json_t *m)
{
    const char *proxy = msg_str(m, "proxy"), *role = msg_str(m, "role"), *word = msg_str(m, "path");
    bool closed = word && strcmp(word, P2P_PATH_CLOSED) == 0;
    p2p_path_rec_t r = {.path = p2p_path_index(word)};
    if (!session_p2p_path_budget(ss)) {
        LOG_LIMITED(LOG_WARN, "xtcp path report dropped run_id=%s reason=rate-limited",
                    session_run_id(ss));
        return;
    }
    bool ok = proxy && strlen(proxy) < sizeof r.proxy && role && (r.path >= 0 || closed);
    if (ok) {
        snprintf(r.proxy, sizeof r.proxy, "%s", proxy);
        snprintf(r.reporter, sizeof r.reporter, "%s", session_run_id(ss));
        ok = strcmp(role, "visitor") == 0 ? path_as_visitor(s, ss, m, &r)
             : strcmp(role, "owner") == 0 ? path_as_owner(s, ss, m, &r)
                                          : false;
    }
    if (!ok) {
        LOG_LIMITED(LOG_WARN, "xtcp path report dropped run_id=%s reason=proto",
                    session_run_id(ss));
        return;
    }
    if (closed) {
        p2p_paths_drop(&s->stats.paths, r.reporter, r.proxy, r.visitor_run_id, r.sid);
        return;
    }
    r.rtt_us = (uint64_t)clamp(msg_int(m, "rtt_us", 0), RTT_US_MAX);
    r.since_ms = (int64_t)time(NULL) * 1000 - clamp(msg_int(m, "since_ms", 0), SINCE_MS_MAX);
    srv_p2p_pair_t *seen = srv_stats_p2p_find(&s->stats, r.visitor_run_id, r.sid);
    if (seen && strcmp(seen->proxy, r.proxy) == 0) seen->path = r.path;
    if (p2p_paths_set(&s->stats.paths, &r) != 0)
        LOG_LIMITED(LOG_WARN, "xtcp path report dropped run_id=%s reason=table-full max=%d",
                    session_run_id(ss), P2P_PATHS_PER_SESSION);
    LOG_D("xtcp path proxy=%s role=%s sid=%lld path=%s", LOG_ESC(r.proxy), role, r.sid,
          p2p_path_names[r.path]);
}
