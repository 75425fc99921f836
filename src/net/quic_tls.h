/* quic_tls: the TLS 1.3 half of a QUIC connection (net/quic.c), on GnuTLS
 * through ngtcp2's crypto helper, authenticated without any CA.
 *
 * Each side holds an identity: a key pair and a self-signed certificate
 * (quic_id_new). Its fingerprint, SHA-256 over the certificate's
 * SubjectPublicKeyInfo (DER), reaches the peer through the server's
 * authenticated control channels; the handshake fails unless the certificate
 * the peer presents has exactly the fingerprint the caller expects. Both
 * directions: the server role requires a client certificate.
 *
 * Ownership: a quic_id_t is the caller's (quic_id_free) and must outlive
 * every session made from it; a quic_tls_t lives inside its quic_t. */
#ifndef BURROW_QUIC_TLS_H
#define BURROW_QUIC_TLS_H

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUIC_FP_LEN 32           /* SHA-256 */
#define QUIC_ALPN "burrow-p2p/1" /* the only application protocol spoken */

typedef struct quic_id quic_id_t;

/* Why a handshake was refused by our side (quic_tls_t.verdict). */
typedef enum {
    QUIC_PEER_UNCHECKED = 0, /* no certificate seen yet */
    QUIC_PEER_OK,
    QUIC_PEER_NO_CERT,
    QUIC_PEER_BAD_CERT, /* unparsable */
    QUIC_PEER_MISMATCH, /* another fingerprint */
} quic_peer_verdict_t;

/* One TLS session of one QUIC connection. `ref` comes first: GnuTLS's
 * session pointer is &ref, which ngtcp2's helper needs and our certificate
 * check turns back into this struct. */
typedef struct quic_tls {
    ngtcp2_crypto_conn_ref ref;
    gnutls_session_t session;
    uint8_t expect_fp[QUIC_FP_LEN];
    quic_peer_verdict_t verdict;
} quic_tls_t;

/* A fresh ECDSA P-256 key and a self-signed certificate for it.
 * NULL with *err (negative uv error) on failure. */
quic_id_t *quic_id_new(int *err);
void quic_id_free(quic_id_t *id);
/* The identity's fingerprint, to send to the peer. */
void quic_id_fingerprint(const quic_id_t *id, uint8_t out[QUIC_FP_LEN]);
/* The fingerprint of a DER certificate; 0 or -1 when it does not parse. */
int quic_fp_of_der(const uint8_t *der, size_t len, uint8_t out[QUIC_FP_LEN]);
/* Lower-case hex of the first 8 bytes, for logs. */
const char *quic_fp_short(const uint8_t fp[QUIC_FP_LEN], char buf[17]);

/* Sets t->session up for one side; `ref.get_conn`/`ref.user_data` must be
 * set by the caller. 0 or a negative uv error (t->session NULL then). */
int quic_tls_init(quic_tls_t *t, bool server, const quic_id_t *id,
                  const uint8_t expect_fp[QUIC_FP_LEN]);
void quic_tls_deinit(quic_tls_t *t);
const char *quic_peer_verdict_str(quic_peer_verdict_t v);

#endif
