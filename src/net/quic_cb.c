/* quic_cb: ngtcp2's callbacks for a QUIC connection (net/quic.h). They
 * only change buffers and flags; quic.c's run() tells the users afterwards,
 * outside ngtcp2's calls. */
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <stdlib.h>
#include <string.h>

#include "net/quic_int.h"
#include "util/log.h"

static void cb_rand(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
    (void)ctx;
    if (gnutls_rnd(GNUTLS_RND_RANDOM, dest, len) < 0) abort(); /* no entropy: nothing is safe */
}

static int cb_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
                      void *user_data)
{
    if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) < 0 ||
        gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN) < 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    cid->datalen = cidlen;
    return 0;
}

/* Ready means confirmed (RFC 9001 4.1.2): for the client, the server has
 * checked our certificate too and sent HANDSHAKE_DONE. A client that called
 * itself ready at its own Finished could still be refused. */
static int cb_hs_confirmed(ngtcp2_conn *conn, void *user_data)
{
    ((quic_t *)user_data)->hs_done = true;
    return 0;
}

static int cb_recv_stream(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t off,
                          const uint8_t *data, size_t len, void *user_data, void *sdata)
{
    quic_stream_t *s = sdata;
    if (!s) { /* a stream we no longer track: keep the window open */
        ngtcp2_conn_extend_max_stream_offset(conn, id, len);
        ngtcp2_conn_extend_max_offset(conn, len);
        return 0;
    }
    bool fin = flags & NGTCP2_STREAM_DATA_FLAG_FIN;
    return quic__stream_rx(s, data, len, fin) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int cb_acked(ngtcp2_conn *conn, int64_t id, uint64_t off, uint64_t len, void *user_data,
                    void *sdata)
{
    if (sdata) quic__stream_acked(sdata, off, len);
    return 0;
}

static int cb_stream_open(ngtcp2_conn *conn, int64_t id, void *user_data)
{
    quic_t *q = user_data;
    if (!ngtcp2_is_bidi_stream(id)) return 0; /* we allow none; ngtcp2 refuses them */
    quic_stream_t *s = quic__stream_new(q, id);
    if (!s) return NGTCP2_ERR_CALLBACK_FAILURE;
    s->flags |= QS_NEW;
    ngtcp2_conn_set_stream_user_data(conn, id, s);
    return 0;
}

static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t app_err,
                           void *user_data, void *sdata)
{
    quic_stream_t *s = sdata;
    /* The peer's streams count against the limit we gave: give one back. */
    if (!ngtcp2_conn_is_local_stream(conn, id)) ngtcp2_conn_extend_max_streams_bidi(conn, 1);
    if (!s) return 0;
    s->flags &= ~QS_NG_OPEN;
    if (s->flags & QS_NEW) s->flags &= ~QS_NEW; /* never announced: nobody to tell */
    /* A clean end has both FINs and every byte of ours acknowledged. Else
     * the conn hears why: the peer's side was cut (RESET_STREAM), or ours
     * was (its STOP_SENDING makes ngtcp2 reset our side: our bytes will
     * never be read, like writing to a TCP peer that closed). */
    bool clean = !(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) && s->acked == s->end;
    if (s->conn && !(s->flags & QS_CONN_GONE) && !clean) {
        s->flags |= QS_FAILED;
        s->err = (s->flags & QS_FIN_RECV) ? UV_EPIPE : UV_ECONNRESET;
    }
    quic__kick(s->q);
    quic__stream_unlink(s);
    return 0;
}

static int cb_stream_reset(ngtcp2_conn *conn, int64_t id, uint64_t final_size, uint64_t app_err,
                           void *user_data, void *sdata)
{
    quic_stream_t *s = sdata;
    if (s && s->conn) {
        s->flags |= QS_FAILED;
        s->err = UV_ECONNRESET;
        quic__kick(s->q);
    }
    return 0;
}

static int cb_path_validation(ngtcp2_conn *conn, uint32_t flags, const ngtcp2_path *path,
                              const ngtcp2_path *old_path, ngtcp2_path_validation_result res,
                              void *user_data)
{
    static const char *const outcome[] = {
        [NGTCP2_PATH_VALIDATION_RESULT_SUCCESS] = "succeeded",
        [NGTCP2_PATH_VALIDATION_RESULT_FAILURE] = "failed",
        [NGTCP2_PATH_VALIDATION_RESULT_ABORTED] = "aborted",
    };
    quic_t *q = user_data;
    dgram_path_t *p = quic__path_of(q, path);
    if (p == q->migrating) q->migrating = NULL;
    if (p) quic__path_validated(q, p, res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS);
    LOG_LIMITED(LOG_INFO, "quic pair=%s path=%s validation %s rtt=%lluus", q->pair, quic__kind(p),
                (unsigned)res < 3 ? outcome[res] : "?", (unsigned long long)quic__rtt_us(q));
    return 0;
}

void quic__fill_callbacks(ngtcp2_callbacks *cb, quic_role_t role)
{
    memset(cb, 0, sizeof *cb);
    if (role == QUIC_CLIENT) {
        cb->client_initial = ngtcp2_crypto_client_initial_cb;
        cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
    } else {
        cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    }
    cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    cb->encrypt = ngtcp2_crypto_encrypt_cb;
    cb->decrypt = ngtcp2_crypto_decrypt_cb;
    cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
    cb->update_key = ngtcp2_crypto_update_key_cb;
    cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    cb->rand = cb_rand;
    cb->get_new_connection_id = cb_new_cid;
    /* The server's handshake is confirmed when it completes (RFC 9001
     * 4.1.2); ngtcp2 tells the client of confirmation separately. */
    if (role == QUIC_CLIENT)
        cb->handshake_confirmed = cb_hs_confirmed;
    else
        cb->handshake_completed = cb_hs_confirmed;
    cb->recv_stream_data = cb_recv_stream;
    cb->acked_stream_data_offset = cb_acked;
    cb->stream_open = cb_stream_open;
    cb->stream_close = cb_stream_close;
    cb->stream_reset = cb_stream_reset;
    cb->path_validation = cb_path_validation;
}
