/* e2e: the secret proxies' end-to-end layer between a visitor and an owner
 * (stcp, sudp), which the server relays without being able to read (pure:
 * no sockets, no logging).
 *
 * Both ends hold `secretKey`; the server never does. The visitor sends a
 * fresh nonce_v, the owner answers with a fresh nonce_o, and then:
 *
 *   proof(role) = HMAC-SHA256(secretKey, "burrow-stcp-v1" || role ||
 *                 len16(proxy) || proxy || len16(user) || user ||
 *                 nonce_v || nonce_o)
 *
 * with role "visitor" (sent by the visitor, checked by the owner, which also
 * checks `user`, the visitor's user as the server authenticated it, against
 * allowUsers) or "owner" (sent back, so the visitor knows it reached the
 * key's holder, not the server). Traffic keys:
 *
 *   okm = HKDF-SHA256(ikm = secretKey, salt = nonce_v || nonce_o,
 *                     info = "burrow-stcp-v1 keys" || len16(proxy) || proxy,
 *                     L = 88)
 *   key[V2O] = okm[0..32)  key[O2V] = okm[32..64)
 *   iv[V2O]  = okm[64..76) iv[O2V]  = okm[76..88)
 *
 * Records (AES-256-GCM, one key per direction, RFC 5116):
 *
 *   +----------------+------------------------------+---------+
 *   | plen (u16, BE) | ciphertext (plen bytes)      | tag (16)|
 *   +----------------+------------------------------+---------+
 *
 * plen ≤ E2E_RECORD_MAX; nonce = iv XOR (0^4 || seq_be64), where seq counts
 * the records of that direction from 0 (as TLS 1.3, RFC 8446 §5.3); the
 * 2-byte header is the AAD. A replayed, reordered, dropped or altered record
 * fails its tag. A record with plen 0 is the authenticated end of the
 * stream (a FIN the server could otherwise forge to truncate it); after it
 * nothing more may come. */
#ifndef BURROW_E2E_H
#define BURROW_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define E2E_NONCE_LEN 32
#define E2E_PROOF_LEN 32
#define E2E_KEY_LEN 32
#define E2E_IV_LEN 12
#define E2E_TAG_LEN 16
#define E2E_HDR_LEN 2
#define E2E_RECORD_MAX (16 * 1024) /* plaintext bytes per record */
#define E2E_OVERHEAD (E2E_HDR_LEN + E2E_TAG_LEN)
#define E2E_LABEL "burrow-stcp-v1"

typedef enum { E2E_V2O = 0, E2E_O2V = 1 } e2e_dir_id_t;
typedef enum { E2E_ROLE_VISITOR, E2E_ROLE_OWNER } e2e_role_t;

typedef struct e2e_keys {
    uint8_t key[2][E2E_KEY_LEN]; /* indexed by e2e_dir_id_t */
    uint8_t iv[2][E2E_IV_LEN];
} e2e_keys_t;

/* Errors (negative). */
enum {
    E2E_ERR_ARG = -1,    /* bad argument (too long, NULL) */
    E2E_ERR_CRYPTO = -2, /* OpenSSL failed */
    E2E_ERR_LEN = -3,    /* record length over E2E_RECORD_MAX */
    E2E_ERR_AUTH = -4,   /* tag mismatch: wrong key, altered, replayed or reordered */
    E2E_ERR_CLOSED = -5, /* a record after the end record, or seq exhausted */
    E2E_ERR_NOMEM = -6,
};

#define E2E_HKDF_LABEL_MAX 64 /* e2e_hkdf_pair's label, bytes */
#define E2E_HKDF_NONCE_MAX 64 /* and each nonce */

/* HKDF-SHA256 for a visitor-owner pair: IKM = secret, salt = nonce_v ‖
 * nonce_o (nonce_len bytes each), info = label ‖ u16 len(proxy) ‖ proxy;
 * fills okm[okm_len]. The one derivation under e2e_derive and the P2P punch
 * key (p2p/punch_pkt.c), each with its own label. 0, E2E_ERR_ARG or
 * E2E_ERR_CRYPTO. */
int e2e_hkdf_pair(const char *secret, const uint8_t *nonce_v, const uint8_t *nonce_o,
                  size_t nonce_len, const char *label, const char *proxy, uint8_t *okm,
                  size_t okm_len);

/* Derives both directions' keys and IVs. proxy ≤ 65535 bytes. 0 or < 0. */
int e2e_derive(const char *secret, const uint8_t nonce_v[E2E_NONCE_LEN],
               const uint8_t nonce_o[E2E_NONCE_LEN], const char *proxy, e2e_keys_t *out);

/* The proof of knowing `secret` for `role`. 0 or < 0. */
int e2e_proof(const char *secret, e2e_role_t role, const char *proxy, const char *user,
              const uint8_t nonce_v[E2E_NONCE_LEN], const uint8_t nonce_o[E2E_NONCE_LEN],
              uint8_t out[E2E_PROOF_LEN]);

/* Whether `proof` is right (constant-time compare). */
bool e2e_proof_ok(const char *secret, e2e_role_t role, const char *proxy, const char *user,
                  const uint8_t nonce_v[E2E_NONCE_LEN], const uint8_t nonce_o[E2E_NONCE_LEN],
                  const uint8_t proof[E2E_PROOF_LEN]);

/* One direction of a stream: sealing (ours) or opening (the peer's). Owns
 * an EVP_CIPHER_CTX; e2e_dir_free() releases it (safe on a zeroed one). */
typedef struct e2e_dir {
    void *ctx; /* EVP_CIPHER_CTX */
    uint8_t iv[E2E_IV_LEN];
    uint64_t seq;
    bool ended; /* the end record went through */
} e2e_dir_t;

/* 0 or E2E_ERR_CRYPTO. Copies key and iv. */
int e2e_dir_init(e2e_dir_t *d, const uint8_t key[E2E_KEY_LEN], const uint8_t iv[E2E_IV_LEN],
                 bool seal);
void e2e_dir_free(e2e_dir_t *d);

/* Seals n ≤ E2E_RECORD_MAX bytes (n == 0: the end record) into out, which
 * has room for n + E2E_OVERHEAD. Returns the record's length or < 0. */
ssize_t e2e_seal(e2e_dir_t *d, const uint8_t *p, size_t n, uint8_t *out);

/* The record framing (pure): how long the record starting at p is.
 * 0: need more bytes; > 0: the whole record's length (header included, the
 * bytes may not all be there yet); E2E_ERR_LEN: malformed. */
ssize_t e2e_record_len(const uint8_t *p, size_t len);

/* Opens one whole record (rec_len from e2e_record_len, all bytes present)
 * into out (room for E2E_RECORD_MAX). Returns the plaintext length (0 for
 * the end record, after which d->ended is set) or < 0. */
ssize_t e2e_open(e2e_dir_t *d, const uint8_t *rec, size_t rec_len, uint8_t *out);

/* An incremental opener for a byte stream of records: keeps at most one
 * partial record (E2E_RECORD_MAX + E2E_OVERHEAD bytes, allocated while a
 * record is split across reads, freed when it completes). */
typedef struct e2e_reader {
    e2e_dir_t dir;
    uint8_t *part; /* the partial record, or NULL */
    size_t part_len;
} e2e_reader_t;

/* Plaintext of one record, borrowed for the call (n == 0: the end record).
 * Returning non-zero stops the feed (as after an error). */
typedef int (*e2e_plain_cb)(void *ctx, const uint8_t *p, size_t n);

/* 0 or E2E_ERR_CRYPTO; the reader opens with key/iv. */
int e2e_reader_init(e2e_reader_t *r, const uint8_t key[E2E_KEY_LEN], const uint8_t iv[E2E_IV_LEN]);
void e2e_reader_free(e2e_reader_t *r);

/* Feeds n stream bytes: calls cb once per whole record. Returns 0 when all
 * bytes were taken, 1 when cb asked to stop, or < 0 (malformed length, bad
 * tag, bytes after the end record, no memory): the stream is then dead. */
int e2e_reader_feed(e2e_reader_t *r, const uint8_t *p, size_t n, e2e_plain_cb cb, void *ctx);

#endif
