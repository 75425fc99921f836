/* punch_pkt: xtcp's rendezvous proofs, the per-pair punch key, and the
 * authenticated UDP punch packets (pure: no sockets, no logging).
 *
 * Both ends of an xtcp pair hold `secretKey`; the server relays the
 * rendezvous (P2P_OFFER / P2P_ANSWER, proto/msg.h) and never learns it.
 *
 *   proof(role) = HMAC-SHA256(secretKey, "burrow-xtcp-v1" || role ||
 *                 len16(proxy) || proxy || len16(user) || user ||
 *                 nonce_v || nonce_o [|| fp])
 *
 * fp, when the sender speaks QUIC (every build but BURROW_STATIC), is its
 * PUNCH_FP_LEN-byte QUIC certificate fingerprint (net/quic_tls.h), sent
 * beside the proof as "fp": so the server that relays the rendezvous cannot
 * swap in its own certificate and sit in the middle of the QUIC connection.
 *
 * The visitor's offer carries proof("visitor") with nonce_o all zero (it has
 * not seen the owner's yet); the owner checks it (and allowUsers) and
 * answers with proof("owner") over both nonces. Then both derive
 *
 *   okm = HKDF-SHA256(ikm = secretKey, salt = nonce_v || nonce_o,
 *                     info = "burrow-xtcp-v1 punch" || len16(proxy) || proxy,
 *                     L = 40)
 *   key = okm[0..32)   pair_id = okm[32..40)
 *
 * A punch packet (PUNCH_PKT_LEN bytes, one UDP datagram):
 *
 *   0      4    5    6         8            16         24         32        48
 *   +------+----+----+---------+------------+----------+----------+---------+
 *   |magic |type|role| zero(2) | pair_id(8) | token(8) | echo(8)  | mac(16) |
 *   +------+----+----+---------+------------+----------+----------+---------+
 *
 * magic = 3B 'B' 'P' '1': its first byte has QUIC's fixed bit (0x40, RFC
 * 9000 §17.2) clear and is no STUN type, so one socket tells the three
 * apart by their first bytes. `role` is the sender's (0 visitor, 1 owner),
 * so a packet reflected back at its sender is refused. `token` is fresh
 * random per packet; an ACK echoes the token it answers, which is how the
 * prober knows the answer is to its probe and measures the round trip.
 * mac = HMAC-SHA256(key, bytes[0..32))[0..16). Without the key nobody can
 * make a packet that is accepted; a replayed ACK names a token the
 * receiver no longer waits for. */
#ifndef BURROW_PUNCH_PKT_H
#define BURROW_PUNCH_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUNCH_LABEL "burrow-xtcp-v1"
#define PUNCH_NONCE_LEN 32
#define PUNCH_PROOF_LEN 32
#define PUNCH_KEY_LEN 32
#define PUNCH_ID_LEN 8
#define PUNCH_TOKEN_LEN 8
#define PUNCH_MAC_LEN 16
#define PUNCH_PKT_LEN 48
#define PUNCH_FP_LEN 32   /* QUIC_FP_LEN: a SHA-256 certificate fingerprint */
#define PUNCH_STR_MAX 255 /* proxy and user names in proofs and keys */

typedef enum {
    PUNCH_PROBE = 1,     /* "are you there?": answered by an ACK from the socket it came to */
    PUNCH_ACK = 2,       /* echo = the probe's token */
    PUNCH_NOMINATE = 3,  /* visitor -> owner: "this pair is the path" (answered by ACK) */
    PUNCH_KEEPALIVE = 4, /* on the chosen path, each way, every PUNCH_KEEPALIVE_MS */
    PUNCH_TYPE_MAX_ = 4,
} punch_type_t;

typedef enum { PUNCH_ROLE_VISITOR = 0, PUNCH_ROLE_OWNER = 1 } punch_role_t;

typedef struct punch_key {
    uint8_t key[PUNCH_KEY_LEN];
    uint8_t pair_id[PUNCH_ID_LEN];
} punch_key_t;

typedef struct punch_pkt {
    punch_type_t type;
    punch_role_t role;
    uint8_t token[PUNCH_TOKEN_LEN];
    uint8_t echo[PUNCH_TOKEN_LEN]; /* zero unless an ACK */
} punch_pkt_t;

enum {
    PUNCH_ERR_ARG = -1,    /* bad argument (empty secret, name too long) */
    PUNCH_ERR_CRYPTO = -2, /* OpenSSL failed */
    PUNCH_ERR_SHORT = -3,  /* not PUNCH_PKT_LEN bytes */
    PUNCH_ERR_MAGIC = -4,  /* not a punch packet (another protocol's datagram) */
    PUNCH_ERR_FORM = -5,   /* unknown type or role, non-zero reserved bytes */
    PUNCH_ERR_PAIR = -6,   /* another pair's */
    PUNCH_ERR_MAC = -7,    /* wrong MAC: a stranger's, or altered */
};

/* "short", "magic", "form", "pair", "mac", "crypto", "arg"; "?" otherwise. */
const char *punch_pkt_strerror(int err);

/* proof(role) above; nonce_o NULL means all zero (the visitor's offer);
 * fp NULL: no fingerprint (a peer without QUIC). */
int punch_proof(const char *secret, punch_role_t role, const char *proxy, const char *user,
                const uint8_t nonce_v[PUNCH_NONCE_LEN], const uint8_t *nonce_o, const uint8_t *fp,
                uint8_t out[PUNCH_PROOF_LEN]);
/* Constant-time check of a proof. */
bool punch_proof_ok(const char *secret, punch_role_t role, const char *proxy, const char *user,
                    const uint8_t nonce_v[PUNCH_NONCE_LEN], const uint8_t *nonce_o,
                    const uint8_t *fp, const uint8_t proof[PUNCH_PROOF_LEN]);
/* The pair's key and id. 0 or < 0. */
int punch_derive(const char *secret, const uint8_t nonce_v[PUNCH_NONCE_LEN],
                 const uint8_t nonce_o[PUNCH_NONCE_LEN], const char *proxy, punch_key_t *out);

/* Whether a datagram starts like a punch packet (magic), for demultiplexing. */
bool punch_pkt_is(const uint8_t *p, size_t len);
/* Writes PUNCH_PKT_LEN bytes to out. 0 or PUNCH_ERR_CRYPTO. */
int punch_pkt_encode(const punch_key_t *k, const punch_pkt_t *pkt, uint8_t out[PUNCH_PKT_LEN]);
/* Parses and authenticates one datagram: PUNCH_PKT_LEN, or a PUNCH_ERR_*. */
int punch_pkt_parse(const punch_key_t *k, const uint8_t *p, size_t len, punch_pkt_t *out);

#endif
