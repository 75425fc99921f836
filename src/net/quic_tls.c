/* quic_tls: see quic_tls.h. GnuTLS objects for one identity (key,
 * certificate, credentials) and one session per connection. */
#include "net/quic_tls.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

/* TLS 1.3 only, the AEADs QUIC defines (RFC 9001 5.3), no middlebox
 * compatibility mode (RFC 9001 8.4). */
#define QUIC_TLS_PRIORITY                                                                          \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"      \
    "%DISABLE_TLS13_COMPAT_MODE"
/* The certificate is never checked for dates; a long validity only keeps
 * GnuTLS from warning about it. */
#define QUIC_CERT_DAYS 3650

struct quic_id {
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_certificate_credentials_t cred;
    uint8_t fp[QUIC_FP_LEN];
};

static int fp_of_crt(gnutls_x509_crt_t crt, uint8_t out[QUIC_FP_LEN])
{
    size_t n = QUIC_FP_LEN;
    if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, out, &n) < 0 || n != QUIC_FP_LEN)
        return -1;
    return 0;
}

int quic_fp_of_der(const uint8_t *der, size_t len, uint8_t out[QUIC_FP_LEN])
{
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0) return -1;
    gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
    int r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0 ? -1 : fp_of_crt(crt, out);
    gnutls_x509_crt_deinit(crt);
    return r;
}

const char *quic_fp_short(const uint8_t fp[QUIC_FP_LEN], char buf[17])
{
    for (int i = 0; i < 8; i++)
        snprintf(buf + 2 * i, 3, "%02x", fp[i]);
    return buf;
}

static int make_cert(quic_id_t *id)
{
    uint8_t serial[16];
    time_t now = time(NULL);
    if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) < 0) return -1;
    serial[0] &= 0x7f; /* a positive INTEGER */
    if (gnutls_x509_crt_set_version(id->crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(id->crt, serial, sizeof serial) < 0 ||
        gnutls_x509_crt_set_activation_time(id->crt, now - 3600) < 0 ||
        gnutls_x509_crt_set_expiration_time(id->crt, now + QUIC_CERT_DAYS * 86400L) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(id->crt, GNUTLS_OID_X520_COMMON_NAME, 0, "burrow-p2p", 10) <
            0 ||
        gnutls_x509_crt_set_key(id->crt, id->key) < 0 ||
        gnutls_x509_crt_sign2(id->crt, id->crt, id->key, GNUTLS_DIG_SHA256, 0) < 0)
        return -1;
    return fp_of_crt(id->crt, id->fp);
}

static int verify_peer(gnutls_session_t s);

quic_id_t *quic_id_new(int *err)
{
    quic_id_t *id = calloc(1, sizeof *id);
    *err = UV_ENOMEM;
    if (!id) return NULL;
    if (gnutls_x509_privkey_init(&id->key) < 0 || gnutls_x509_crt_init(&id->crt) < 0 ||
        gnutls_certificate_allocate_credentials(&id->cred) < 0)
        goto fail;
    *err = UV_EINVAL;
    if (gnutls_x509_privkey_generate(id->key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
        make_cert(id) != 0 || gnutls_certificate_set_x509_key(id->cred, &id->crt, 1, id->key) < 0)
        goto fail;
    gnutls_certificate_set_verify_function(id->cred, verify_peer);
    *err = 0;
    return id;
fail:
    quic_id_free(id);
    return NULL;
}

void quic_id_free(quic_id_t *id)
{
    if (!id) return;
    if (id->cred) gnutls_certificate_free_credentials(id->cred);
    if (id->crt) gnutls_x509_crt_deinit(id->crt);
    if (id->key) gnutls_x509_privkey_deinit(id->key);
    free(id);
}

void quic_id_fingerprint(const quic_id_t *id, uint8_t out[QUIC_FP_LEN])
{
    memcpy(out, id->fp, QUIC_FP_LEN);
}

/* GnuTLS calls this with the peer's chain, on both sides; non-zero aborts
 * the handshake. Only the leaf matters: its key is what the peer proves it
 * holds (CertificateVerify), and its fingerprint is what we were told. */
static int verify_peer(gnutls_session_t s)
{
    quic_tls_t *t = gnutls_session_get_ptr(s); /* &t->ref, its first member */
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    uint8_t fp[QUIC_FP_LEN];
    if (!certs || n == 0) {
        t->verdict = QUIC_PEER_NO_CERT;
        return -1;
    }
    if (quic_fp_of_der(certs[0].data, certs[0].size, fp) != 0) {
        t->verdict = QUIC_PEER_BAD_CERT;
        return -1;
    }
    if (gnutls_memcmp(fp, t->expect_fp, QUIC_FP_LEN) != 0) {
        t->verdict = QUIC_PEER_MISMATCH;
        return -1;
    }
    t->verdict = QUIC_PEER_OK;
    return 0;
}

int quic_tls_init(quic_tls_t *t, bool server, const quic_id_t *id,
                  const uint8_t expect_fp[QUIC_FP_LEN])
{
    unsigned flags = server ? GNUTLS_SERVER : GNUTLS_CLIENT;
    gnutls_datum_t alpn = {(unsigned char *)QUIC_ALPN, sizeof QUIC_ALPN - 1};
    memcpy(t->expect_fp, expect_fp, QUIC_FP_LEN);
    t->verdict = QUIC_PEER_UNCHECKED;
    if (gnutls_init(&t->session, flags | GNUTLS_NO_END_OF_EARLY_DATA) < 0) {
        t->session = NULL;
        return UV_ENOMEM;
    }
    int r = server ? ngtcp2_crypto_gnutls_configure_server_session(t->session)
                   : ngtcp2_crypto_gnutls_configure_client_session(t->session);
    if (r != 0 || gnutls_priority_set_direct(t->session, QUIC_TLS_PRIORITY, NULL) < 0 ||
        gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, id->cred) < 0 ||
        gnutls_alpn_set_protocols(t->session, &alpn, 1, GNUTLS_ALPN_MANDATORY) < 0) {
        quic_tls_deinit(t);
        return UV_EINVAL;
    }
    if (server) gnutls_certificate_server_set_request(t->session, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_ptr(t->session, &t->ref);
    return 0;
}

void quic_tls_deinit(quic_tls_t *t)
{
    if (t->session) gnutls_deinit(t->session);
    t->session = NULL;
}

const char *quic_peer_verdict_str(quic_peer_verdict_t v)
{
    static const char *const names[] = {
        [QUIC_PEER_UNCHECKED] = "no certificate checked",
        [QUIC_PEER_OK] = "ok",
        [QUIC_PEER_NO_CERT] = "peer sent no certificate",
        [QUIC_PEER_BAD_CERT] = "peer certificate does not parse",
        [QUIC_PEER_MISMATCH] = "peer certificate fingerprint mismatch",
    };
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}
