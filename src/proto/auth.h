/* auth: challenge-response login and work-connection proofs.
 *
 * The token never crosses the wire. Login (one round trip after HELLO):
 *   server -> CHALLENGE nonce_s (32 random bytes, fresh per connection)
 *   client -> LOGIN nonce_c, mac = HMAC-SHA256(token, "burrow-login-v1" ||
 *             nonce_s || nonce_c || user || binding)
 * where `binding` is 32 bytes of TLS keying material exported from the
 * connection (RFC 5705/8446 exporter, label "EXPORTER-burrow-login") when TLS
 * is on, and empty otherwise. A recorded LOGIN is useless against a new
 * nonce_s, and the binding ties it to the TLS session it was made in.
 *
 * Both sides then derive work_key = HMAC-SHA256(token, "burrow-work-v1" ||
 * nonce_s || nonce_c). Each work connection proves itself with
 *   mac = HMAC-SHA256(work_key, run_id || seq (u64 BE))
 * and a sequence number the server accepts once (a sliding window as in
 * IPsec's anti-replay, RFC 4303 §3.4.3, REPLAY_WINDOW wide because a burst of
 * users makes the client open hundreds of work conns whose handshakes finish
 * out of order), so no round trip is spent.
 *
 * Resuming. Both sides also derive
 *   resume_key = HMAC-SHA256(token, "burrow-resume-v1" || nonce_s || nonce_c)
 * which never crosses the wire; the server keeps it with the session and the
 * client in its state directory. A later LOGIN that names that session's
 * run_id ends it only when it carries
 *   resume_mac = HMAC-SHA256(resume_key, "burrow-resume-v1" || nonce_s' ||
 *                nonce_c' || run_id || binding')
 * over the new connection's nonces and TLS binding: proof that the sender
 * is the client that made the old session, not anyone who read its run id. */
#ifndef BURROW_AUTH_H
#define BURROW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_NONCE_LEN 32
#define AUTH_MAC_LEN 32
#define AUTH_BINDING_LEN 32
#define AUTH_BINDING_LABEL "EXPORTER-burrow-login"

/* Fills out with cryptographically random bytes. 0 or -1. */
int auth_random(uint8_t *out, size_t n);

void auth_login_mac(const char *token, const uint8_t nonce_s[AUTH_NONCE_LEN],
                    const uint8_t nonce_c[AUTH_NONCE_LEN], const char *user, const uint8_t *binding,
                    size_t binding_len, uint8_t out[AUTH_MAC_LEN]);

void auth_work_key(const char *token, const uint8_t nonce_s[AUTH_NONCE_LEN],
                   const uint8_t nonce_c[AUTH_NONCE_LEN], uint8_t out[AUTH_MAC_LEN]);

void auth_resume_key(const char *token, const uint8_t nonce_s[AUTH_NONCE_LEN],
                     const uint8_t nonce_c[AUTH_NONCE_LEN], uint8_t out[AUTH_MAC_LEN]);

/* The proof a LOGIN carries to replace session `run_id` (keyed by that
 * session's resume_key; nonces and binding are the new connection's). */
void auth_resume_mac(const uint8_t resume_key[AUTH_MAC_LEN], const uint8_t nonce_s[AUTH_NONCE_LEN],
                     const uint8_t nonce_c[AUTH_NONCE_LEN], const char *run_id,
                     const uint8_t *binding, size_t binding_len, uint8_t out[AUTH_MAC_LEN]);

/* Whether `mac` is the resume proof for run_id over these nonces and binding
 * (constant time). */
bool auth_resume_check(const uint8_t resume_key[AUTH_MAC_LEN],
                       const uint8_t nonce_s[AUTH_NONCE_LEN], const uint8_t nonce_c[AUTH_NONCE_LEN],
                       const char *run_id, const uint8_t *binding, size_t binding_len,
                       const uint8_t mac[AUTH_MAC_LEN]);

void auth_work_mac(const uint8_t key[AUTH_MAC_LEN], const char *run_id, uint64_t seq,
                   uint8_t out[AUTH_MAC_LEN]);

/* Constant-time comparison. */
bool auth_mac_equal(const uint8_t a[AUTH_MAC_LEN], const uint8_t b[AUTH_MAC_LEN]);

/* Anti-replay window over work-connection sequence numbers. */
#define REPLAY_WINDOW 1024
typedef struct replay_window {
    uint64_t top;                      /* highest sequence accepted */
    uint64_t bits[REPLAY_WINDOW / 64]; /* bit (top - seq) set: seq was seen */
} replay_window_t;

/* Accepts seq once: true when new (and records it), false when replayed,
 * zero, or older than the window. */
bool auth_replay_accept(replay_window_t *w, uint64_t seq);

/* Lowercase hex. out must hold 2n+1 bytes. */
void auth_hex(const uint8_t *in, size_t n, char *out);
/* Decodes exactly n bytes from 2n hex digits. 0 or -1. */
int auth_unhex(const char *in, uint8_t *out, size_t n);

#endif
