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

/* The parsed candidates as JSON fields on o. */
static int put_cands(json_t *o, const json_t *m)
{
    cand_set_t set;
    return cand_from_json(m, &set) == 0 ? cand_to_json(&set, o) : -1;
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
        put_cands(fwd, m) != 0)
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

/* Splits a pair token: the visitor's run id, sid and relay allocation id,
 * when its MAC (for `proxy`) holds and it has not expired. */
static bool token_open(srv_t *s, const char *token, const char *proxy, char run_id[64],
                       long long *sid, uint64_t *relay_id)
{
    char body[TOKEN_MAX], want[33];
    unsigned long long exp;
    const char *dot = token ? strrchr(token, '.') : NULL;
    if (!dot || (size_t)(dot - token) >= sizeof body || strlen(dot + 1) != 32) return false;
    memcpy(body, token, (size_t)(dot - token));
    body[dot - token] = '\0';
    token_mac(s, body, proxy, want);
    if (CRYPTO_memcmp(want, dot + 1, 32) != 0) return false;
    unsigned long long rid;
    if (sscanf(body, "%63[0-9a-f].%lld.%llu.%16llx", run_id, sid, &exp, &rid) != 4) return false;
    *relay_id = rid;
    return exp >= uv_now(s->loop);
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
               put_cands(fwd, m) != 0) {
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
