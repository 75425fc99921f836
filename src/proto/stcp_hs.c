/* stcp_hs: see stcp_hs.h. One frame handler per (role, state), in a table. */
#include "proto/stcp_hs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/auth.h"
#include "proto/msg.h"

enum { S_V_CHALLENGE, S_V_ACCEPT, S_O_VISITOR, S_O_PROOF, S_END };

typedef struct feed {
    stcp_hs_t *hs;
    stcp_send_cb send;
    void *ctx;
    int result;
} feed_t;

static int send_msg(feed_t *f, uint8_t type, json_t *o)
{
    size_t n = 0;
    uint8_t *p = o ? msg_encode(type, o, &n) : NULL;
    json_decref(o);
    int r = p ? f->send(f->ctx, p, n) : -1;
    free(p);
    return r;
}

/* Ends the handshake with `result`; returns non-zero to stop the framer. */
static int finish(feed_t *f, int result, const char *reason)
{
    f->result = result;
    f->hs->state = S_END;
    if (reason) snprintf(f->hs->reason, sizeof f->hs->reason, "%s", reason);
    return 1;
}

static bool get_hex(const json_t *m, const char *key, uint8_t *out, size_t n)
{
    const char *h = msg_str(m, key);
    return h && strlen(h) == 2 * n && auth_unhex(h, out, n) == 0;
}

static int send_hex(feed_t *f, uint8_t type, const char *key, const uint8_t *p, size_t n)
{
    char hex[2 * E2E_PROOF_LEN + 1];
    auth_hex(p, n, hex);
    return send_msg(f, type, json_pack("{s:s}", key, hex));
}

/* A proof (PROOF or ACCEPT), with `compression: "zstd"` when zstd. */
static int send_proof(feed_t *f, uint8_t type, const uint8_t proof[E2E_PROOF_LEN], bool zstd)
{
    char hex[2 * E2E_PROOF_LEN + 1];
    auth_hex(proof, E2E_PROOF_LEN, hex);
    json_t *o = json_pack("{s:s}", "proof", hex);
    if (o && zstd) json_object_set_new(o, "compression", json_string("zstd"));
    return send_msg(f, type, o);
}

static bool asks_zstd(const json_t *m)
{
    const char *z = msg_str(m, "compression");
    return z && strcmp(z, "zstd") == 0;
}

/* A refusal from the far side: the owner's STCP_REFUSE or the server's ERROR. */
static int on_refused(feed_t *f, const frame_t *fr, const json_t *m)
{
    const char *why = msg_str(m, fr->type == MSG_ERROR ? "code" : "reason");
    return finish(f, STCP_HS_REFUSED, why && *why ? why : "refused");
}

/* ---- visitor ------------------------------------------------------------ */

static int v_challenge(feed_t *f, const frame_t *fr, const json_t *m)
{
    stcp_hs_t *hs = f->hs;
    uint8_t proof[E2E_PROOF_LEN];
    if (fr->type != MSG_STCP_CHALLENGE) return finish(f, STCP_HS_BAD, "unexpected-frame");
    if (!get_hex(m, "nonce", hs->nonce_o, E2E_NONCE_LEN))
        return finish(f, STCP_HS_BAD, "bad-nonce");
    if (e2e_proof(hs->secret, E2E_ROLE_VISITOR, hs->proxy, hs->visitor_user, hs->nonce_v,
                  hs->nonce_o, proof) != 0 ||
        send_proof(f, MSG_STCP_PROOF, proof, hs->want_zstd) != 0)
        return finish(f, STCP_HS_BAD, "send-failed");
    hs->state = S_V_ACCEPT;
    return 0;
}

static int v_accept(feed_t *f, const frame_t *fr, const json_t *m)
{
    stcp_hs_t *hs = f->hs;
    uint8_t proof[E2E_PROOF_LEN];
    if (fr->type != MSG_STCP_ACCEPT) return finish(f, STCP_HS_BAD, "unexpected-frame");
    /* The owner proves the key too: a server cannot fake an ACCEPT. */
    if (!get_hex(m, "proof", proof, sizeof proof) ||
        !e2e_proof_ok(hs->secret, E2E_ROLE_OWNER, hs->proxy, hs->visitor_user, hs->nonce_v,
                      hs->nonce_o, proof))
        return finish(f, STCP_HS_BAD, "bad-owner-proof");
    if (asks_zstd(m) && !hs->want_zstd) return finish(f, STCP_HS_BAD, "unasked-compression");
    if (!asks_zstd(m) && hs->want_zstd) return finish(f, STCP_HS_REFUSED, "no-compression");
    hs->zstd = hs->want_zstd;
    if (e2e_derive(hs->secret, hs->nonce_v, hs->nonce_o, hs->proxy, &hs->keys) != 0)
        return finish(f, STCP_HS_BAD, "kdf-failed");
    return finish(f, STCP_HS_DONE, NULL);
}

/* ---- owner -------------------------------------------------------------- */

bool stcp_user_allowed(const char *user, const char *owner_user, const char *const *allow,
                       size_t n_allow)
{
    if (n_allow == 0) return strcmp(user, owner_user ? owner_user : "") == 0;
    for (size_t i = 0; i < n_allow; i++)
        if (strcmp(allow[i], "*") == 0 || strcmp(allow[i], user) == 0) return true;
    return false;
}

int stcp_hs_refuse(const char *reason, const char *message, stcp_send_cb send, void *ctx)
{
    feed_t f = {.send = send, .ctx = ctx};
    return send_msg(&f, MSG_STCP_REFUSE,
                    json_pack("{s:s,s:s}", "reason", reason, "message", message));
}

static int o_visitor(feed_t *f, const frame_t *fr, const json_t *m)
{
    stcp_hs_t *hs = f->hs;
    const char *user = msg_str(m, "user");
    if (fr->type != MSG_STCP_VISITOR) return finish(f, STCP_HS_BAD, "unexpected-frame");
    if (!user || strlen(user) > STCP_NAME_MAX || !get_hex(m, "nonce", hs->nonce_v, E2E_NONCE_LEN))
        return finish(f, STCP_HS_BAD, "bad-visitor");
    snprintf(hs->visitor_user, sizeof hs->visitor_user, "%s", user);
    if (!stcp_user_allowed(user, hs->owner_user, hs->allow, hs->n_allow)) {
        (void)stcp_hs_refuse("user-not-allowed", "the visitor's user is not in allowUsers", f->send,
                             f->ctx);
        return finish(f, STCP_HS_REFUSED, "user-not-allowed");
    }
    if (auth_random(hs->nonce_o, E2E_NONCE_LEN) != 0 ||
        send_hex(f, MSG_STCP_CHALLENGE, "nonce", hs->nonce_o, E2E_NONCE_LEN) != 0)
        return finish(f, STCP_HS_BAD, "send-failed");
    hs->state = S_O_PROOF;
    return 0;
}

static int o_proof(feed_t *f, const frame_t *fr, const json_t *m)
{
    stcp_hs_t *hs = f->hs;
    uint8_t proof[E2E_PROOF_LEN];
    if (fr->type != MSG_STCP_PROOF) return finish(f, STCP_HS_BAD, "unexpected-frame");
    if (!get_hex(m, "proof", proof, sizeof proof) ||
        !e2e_proof_ok(hs->secret, E2E_ROLE_VISITOR, hs->proxy, hs->visitor_user, hs->nonce_v,
                      hs->nonce_o, proof)) {
        (void)stcp_hs_refuse("wrong-key", "the visitor's secretKey does not match", f->send,
                             f->ctx);
        return finish(f, STCP_HS_REFUSED, "wrong-key");
    }
    if (asks_zstd(m) && !hs->can_zstd) {
        (void)stcp_hs_refuse("no-compression",
                             "the owner cannot compress (sudp, or built without zstd)", f->send,
                             f->ctx);
        return finish(f, STCP_HS_REFUSED, "no-compression");
    }
    hs->zstd = asks_zstd(m);
    if (e2e_proof(hs->secret, E2E_ROLE_OWNER, hs->proxy, hs->visitor_user, hs->nonce_v, hs->nonce_o,
                  proof) != 0 ||
        e2e_derive(hs->secret, hs->nonce_v, hs->nonce_o, hs->proxy, &hs->keys) != 0 ||
        send_proof(f, MSG_STCP_ACCEPT, proof, hs->zstd) != 0)
        return finish(f, STCP_HS_BAD, "send-failed");
    return finish(f, STCP_HS_DONE, NULL);
}

/* ---- the table and the feed ---------------------------------------------- */

typedef int (*state_fn)(feed_t *f, const frame_t *fr, const json_t *m);
static const state_fn states[S_END] = {
    [S_V_CHALLENGE] = v_challenge,
    [S_V_ACCEPT] = v_accept,
    [S_O_VISITOR] = o_visitor,
    [S_O_PROOF] = o_proof,
};

static int on_frame(void *ctx, const frame_t *fr)
{
    feed_t *f = ctx;
    json_t *m = msg_parse(fr);
    if (!m) return finish(f, STCP_HS_BAD, "bad-json");
    int r;
    bool visitor = f->hs->role == E2E_ROLE_VISITOR;
    if (visitor && (fr->type == MSG_STCP_REFUSE || fr->type == MSG_ERROR))
        r = on_refused(f, fr, m);
    else
        r = states[f->hs->state](f, fr, m);
    json_decref(m);
    return r;
}

int stcp_hs_feed(stcp_hs_t *hs, const uint8_t *p, size_t n, size_t *used, stcp_send_cb send,
                 void *ctx)
{
    feed_t f = {hs, send, ctx, STCP_HS_MORE};
    *used = 0;
    if (hs->state == S_END) {
        snprintf(hs->reason, sizeof hs->reason, "ended");
        return STCP_HS_BAD;
    }
    ssize_t r = framer_feed(&hs->fr, p, n, on_frame, &f);
    if (r < 0) {
        hs->state = S_END;
        snprintf(hs->reason, sizeof hs->reason, "frame-too-large");
        return STCP_HS_BAD;
    }
    *used = (size_t)r;
    return f.result;
}

static void hs_init(stcp_hs_t *hs, e2e_role_t role, const char *secret, const char *proxy)
{
    memset(hs, 0, sizeof *hs);
    hs->role = role;
    hs->secret = secret;
    hs->proxy = proxy;
}

int stcp_hs_visitor_init(stcp_hs_t *hs, const char *secret, const char *proxy, const char *user)
{
    hs_init(hs, E2E_ROLE_VISITOR, secret, proxy);
    if (!secret || !*secret || !proxy || !user || strlen(user) > STCP_NAME_MAX) return -1;
    snprintf(hs->visitor_user, sizeof hs->visitor_user, "%s", user);
    hs->state = S_V_CHALLENGE;
    return auth_random(hs->nonce_v, E2E_NONCE_LEN);
}

int stcp_hs_owner_init(stcp_hs_t *hs, const char *secret, const char *proxy, const char *owner_user,
                       const char *const *allow, size_t n_allow)
{
    hs_init(hs, E2E_ROLE_OWNER, secret, proxy);
    if (!secret || !*secret || !proxy) return -1;
    hs->owner_user = owner_user ? owner_user : "";
    hs->allow = allow;
    hs->n_allow = n_allow;
    hs->state = S_O_VISITOR;
    return 0;
}

void stcp_hs_free(stcp_hs_t *hs)
{
    framer_free(&hs->fr);
    memset(&hs->keys, 0, sizeof hs->keys);
}
