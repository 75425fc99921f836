/* p2p_rdv: xtcp's rendezvous through the server (server_int.h).
 *
 * A visitor's P2P_OFFER names the owner's proxy; the server checks its
 * shape (nonce and proof are 32 bytes of hex, the candidates parse within
 * CAND_MAX, p2p/cand.h), forwards it to the owner's session with the
 * visitor's authenticated user and a `pair` token, and the owner's
 * P2P_ANSWER comes back with that token:
 *
 *   pair = run_id "." sid "." expiry "." hex(HMAC-SHA256(p2p_key,
 *          run_id "." sid "." expiry "." proxy)[0..16))
 *
 * so the server keeps nothing per pair, an answer reaches only the visitor
 * session that asked, only from the session holding the proxy, and only
 * for P2P_PAIR_TTL_MS. The server re-encodes the candidates it parsed
 * (never forwards a peer's JSON as it came) and never sees secretKey: the
 * owner checks the visitor's proof, the visitor the owner's (p2p/punch_pkt.h).
 * Offers are limited per session (P2P_OFFERS_PER_MIN); refusals a client can
 * cause at will are logged rate-limited. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "p2p/cand.h"
#include "p2p/punch_pkt.h"
#include "proto/msg.h"
#include "server/secret_gone.h"
#include "server/server_int.h"
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
    snprintf(body, sizeof body, "%s.%lld.%llu", session_run_id(vs), sid,
             (unsigned long long)(uv_now(s->loop) + P2P_PAIR_TTL_MS));
    token_mac(s, body, p->name, mac);
    snprintf(token, sizeof token, "%s.%s", body, mac);
    json_object_set_new(fwd, "pair", json_string(token));
    json_object_set_new(fwd, "proxy", json_string(p->name));
    json_object_set_new(fwd, "user", json_string(session_user(vs)));
    json_object_set_new(fwd, "nonce", json_string(nonce));
    json_object_set_new(fwd, "proof", json_string(proof));
    LOG_I("xtcp offer forwarded proxy=%s visitor=%s sid=%lld", LOG_ESC(p->name),
          LOG_ESC(session_user(vs)), sid);
    session_send(p->sess, MSG_P2P_OFFER, fwd);
}

/* Splits a pair token: the visitor's run id and sid, when its MAC (for
 * `proxy`) holds and it has not expired. */
static bool token_open(srv_t *s, const char *token, const char *proxy, char run_id[64],
                       long long *sid)
{
    char body[TOKEN_MAX], want[33];
    unsigned long long exp;
    const char *dot = token ? strrchr(token, '.') : NULL;
    if (!dot || (size_t)(dot - token) >= sizeof body || strlen(dot + 1) != 32) return false;
    memcpy(body, token, (size_t)(dot - token));
    body[dot - token] = '\0';
    token_mac(s, body, proxy, want);
    if (CRYPTO_memcmp(want, dot + 1, 32) != 0) return false;
    if (sscanf(body, "%63[0-9a-f].%lld.%llu", run_id, sid, &exp) != 3) return false;
    return exp >= uv_now(s->loop);
}

void p2p_rdv_answer(srv_t *s, session_t *os, const json_t *m)
{
    const char *proxy = msg_str(m, "proxy"), *error = msg_str(m, "error");
    char run_id[64];
    long long sid;
    sproxy_t *p = proxy ? server_find_proxy(s, proxy) : NULL;
    if (!p || p->sess != os || !token_open(s, msg_str(m, "pair"), proxy, run_id, &sid)) {
        LOG_LIMITED(LOG_WARN, "xtcp answer dropped proxy=%s owner=%s reason=bad-pair",
                    LOG_ESC(proxy ? proxy : "?"), LOG_ESC(session_user(os)));
        return;
    }
    session_t *vs = session_find(s, run_id);
    if (!vs) return; /* the visitor went away */
    json_t *fwd = json_pack("{s:I}", "sid", sid);
    if (!fwd) return;
    static const char *const errors[] = {"wrong-key", "user-not-allowed", "busy", "proto", NULL};
    if (error) { /* only words the visitor knows; anything else is "refused" */
        const char *word = "refused";
        for (const char *const *e = errors; *e; e++)
            if (strcmp(*e, error) == 0) word = *e;
        json_object_set_new(fwd, "error", json_string(word));
    } else if (!hex32(msg_str(m, "nonce")) || !hex32(msg_str(m, "proof")) ||
               put_cands(fwd, m) != 0) {
        json_object_set_new(fwd, "error", json_string("proto"));
    } else {
        json_object_set_new(fwd, "nonce", json_string(msg_str(m, "nonce")));
        json_object_set_new(fwd, "proof", json_string(msg_str(m, "proof")));
    }
    session_send(vs, MSG_P2P_ANSWER, fwd);
}
