/* stcp_hs: the handshake a secret proxy's visitor and owner run through the
 * server's relay before their bytes become e2e records (proto/e2e.h). Pure:
 * bytes in, frames out through a callback; no sockets, no logging.
 *
 *   visitor -> server   HELLO {role:"visitor", ..., proxy, nonce: nonce_v}
 *   server  -> owner    START_WORK {proxy, type}, STCP_VISITOR {user, nonce_v}
 *                       (user: the visitor's, as the server authenticated it)
 *   owner   -> visitor  STCP_CHALLENGE {nonce: nonce_o}
 *                       or STCP_REFUSE {reason: "user-not-allowed"}
 *   visitor -> owner    STCP_PROOF {proof: proof("visitor")}
 *   owner   -> visitor  STCP_ACCEPT {proof: proof("owner")}
 *                       or STCP_REFUSE {reason: "wrong-key"}
 *   then e2e records both ways (keys from secretKey, nonce_v, nonce_o).
 *
 * Compression (transport.useCompression on the visitor): STCP_PROOF adds
 * `compression: "zstd"`; an owner that can compress echoes it in
 * STCP_ACCEPT (else refuses: "no-compression"), and then the plaintext
 * inside the e2e records is a zstd stream (net/conn_zstd.h) both ways. A
 * visitor that asked and gets no echo (an older owner) refuses
 * ("no-compression"); an echo it did not ask for is malformed.
 *
 * The server may answer the visitor with ERROR {code, message} instead
 * (no such proxy, owner offline); the visitor's side reports it as a
 * refusal with the server's code. allowUsers (owner): empty = the owner's
 * own user only; "*" = anyone holding the key; else the names listed. */
#ifndef BURROW_STCP_HS_H
#define BURROW_STCP_HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/e2e.h"
#include "proto/frame.h"

#define STCP_NAME_MAX 255 /* users and proxy names in the handshake */
#define STCP_REASON_MAX 64

enum { STCP_HS_MORE = 0, STCP_HS_DONE = 1, STCP_HS_REFUSED = -1, STCP_HS_BAD = -2 };

/* Writes one encoded frame to the peer (borrowed for the call); 0 or < 0. */
typedef int (*stcp_send_cb)(void *ctx, const uint8_t *p, size_t n);

typedef struct stcp_hs {
    e2e_role_t role;
    int state;
    const char *secret, *proxy; /* borrowed; outlive the handshake */
    const char *owner_user;     /* owner: its own user */
    const char *const *allow;   /* owner: allowUsers (borrowed) */
    size_t n_allow;
    char visitor_user[STCP_NAME_MAX + 1]; /* owner: from STCP_VISITOR */
    uint8_t nonce_v[E2E_NONCE_LEN], nonce_o[E2E_NONCE_LEN];
    framer_t fr;
    e2e_keys_t keys;                  /* valid after STCP_HS_DONE */
    char reason[STCP_REASON_MAX + 1]; /* after STCP_HS_REFUSED / BAD */
    bool want_zstd;                   /* visitor: ask for compression (set after init) */
    bool can_zstd;                    /* owner: may agree to it (set after init) */
    bool zstd;                        /* after STCP_HS_DONE: both agreed to compress */
} stcp_hs_t;

/* Visitor: picks nonce_v (hs->nonce_v, for its HELLO). `user` is the
 * visitor's own user, bound into the proof. 0 or < 0. */
int stcp_hs_visitor_init(stcp_hs_t *hs, const char *secret, const char *proxy, const char *user);
/* Owner: waits for STCP_VISITOR. 0 or < 0. */
int stcp_hs_owner_init(stcp_hs_t *hs, const char *secret, const char *proxy, const char *owner_user,
                       const char *const *allow, size_t n_allow);
void stcp_hs_free(stcp_hs_t *hs);

/* Feeds n bytes from the peer; frames to send go out through `send`.
 * Returns STCP_HS_MORE, STCP_HS_DONE (keys ready; *used bytes were the
 * handshake's, p[*used..n) are the first e2e records), STCP_HS_REFUSED
 * (hs->reason: "wrong-key", "user-not-allowed", or the server's or owner's
 * code when this side was refused), or STCP_HS_BAD (malformed; hs->reason). */
int stcp_hs_feed(stcp_hs_t *hs, const uint8_t *p, size_t n, size_t *used, stcp_send_cb send,
                 void *ctx);

/* Whether `user` may visit under allowUsers (see above; pure). */
bool stcp_user_allowed(const char *user, const char *owner_user, const char *const *allow,
                       size_t n_allow);

/* Writes the owner's refusal (STCP_REFUSE {reason, message}); 0 or < 0. */
int stcp_hs_refuse(const char *reason, const char *message, stcp_send_cb send, void *ctx);

#endif
