/* conn_tls: the TLS-over-TCP backend of conn (net/conn_int.h).
 *
 * TLS runs over a small BIO of our own so that libuv keeps owning the socket
 * (every platform dependency stays inside libuv) without copying through
 * memory BIOs: OpenSSL reads ciphertext straight from the buffer the socket
 * was read into (only a partial record's tail is kept per connection, in
 * `carry`), and its output is gathered into one shared buffer that is handed
 * to the base stream (base->write) after each OpenSSL call. An idle connection
 * holds no buffers: SSL_MODE_RELEASE_BUFFERS drops OpenSSL's own.
 *
 * A conn becomes TLS when a handshake starts (conn_connect with a context,
 * conn_tls_accept): its ops pointer moves from conn_tcp_ops to conn_tls_ops,
 * whose transport entries are the TCP ones. */
#include "net/conn_int.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static void tls_process(conn_t *c);

/* ---- the BIO between OpenSSL and libuv -------------------------------- */

/* OpenSSL's output for one connection at a time: records of one SSL call are
 * gathered here and written with one syscall. `g_out_owner` says whose bytes
 * they are; any other connection's write flushes them first. */
static uint8_t g_out[CONN_TLS_OUT];
static size_t g_out_len;
static conn_t *g_out_owner;

static int out_flush_any(void)
{
    if (!g_out_len) return 0;
    conn_t *c = g_out_owner;
    size_t n = g_out_len;
    g_out_len = 0;
    g_out_owner = NULL;
    if (c->flags & F_CLOSING) return 0;
    return c->tls.base->write(c, g_out, n);
}

static int out_flush(conn_t *c)
{
    return g_out_owner == c ? out_flush_any() : 0;
}

static int bio_write_ex(BIO *b, const char *data, size_t len, size_t *written)
{
    conn_t *c = BIO_get_data(b);
    int r = 0;
    BIO_clear_retry_flags(b);
    if (g_out_len && (g_out_owner != c || g_out_len + len > sizeof g_out)) r = out_flush_any();
    if (r == 0 && len > sizeof g_out) {
        r = (c->flags & F_CLOSING) ? 0 : c->tls.base->write(c, data, len);
    } else if (r == 0) {
        memcpy(g_out + g_out_len, data, len);
        g_out_len += len;
        g_out_owner = c;
    }
    *written = len;
    return r == 0;
}

static size_t in_avail(const conn_tls_t *t)
{
    return t->carry_len > t->carry_off ? t->carry_len - t->carry_off : t->in_n;
}

static int bio_read_ex(BIO *b, char *out, size_t len, size_t *readbytes)
{
    conn_t *c = BIO_get_data(b);
    conn_tls_t *t = &c->tls;
    size_t n = in_avail(t);
    BIO_clear_retry_flags(b);
    *readbytes = 0;
    if (n == 0) {
        BIO_set_retry_read(b); /* wait for the socket */
        return 0;
    }
    if (n > len) n = len;
    if (t->carry_len > t->carry_off) {
        memcpy(out, t->carry + t->carry_off, n);
        t->carry_off += n;
        if (t->carry_off == t->carry_len) {
            free(t->carry);
            t->carry = NULL;
            t->carry_len = t->carry_off = 0;
        }
    } else {
        memcpy(out, t->in_p, n);
        t->in_p += n;
        t->in_n -= n;
    }
    *readbytes = n;
    return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    if (cmd == BIO_CTRL_FLUSH) return 1;
    if (cmd == BIO_CTRL_PENDING) return (long)in_avail(&((conn_t *)BIO_get_data(b))->tls);
    return 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method(void)
{
    static BIO_METHOD *m;
    if (!m && (m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "burrow-conn"))) {
        BIO_meth_set_write_ex(m, bio_write_ex);
        BIO_meth_set_read_ex(m, bio_read_ex);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
    }
    return m;
}

/* ---- reading ---------------------------------------------------------- */

/* Offers n bytes just read from the socket to OpenSSL, then keeps whatever it
 * did not take (the caller's buffer is reused by the next read). */
static void tls_input(conn_t *c, const uint8_t *p, size_t n)
{
    conn_tls_t *t = &c->tls;
    if (t->carry_len > t->carry_off) {
        uint8_t *nc = realloc(t->carry, t->carry_len + n);
        if (!nc) {
            conn__fail(c, UV_ENOMEM);
            return;
        }
        t->carry = nc;
        memcpy(t->carry + t->carry_len, p, n);
        t->carry_len += n;
    } else {
        t->in_p = p;
        t->in_n = n;
    }
    tls_process(c);
    if (t->in_n && !(c->flags & F_CLOSING)) {
        free(t->carry);
        t->carry = malloc(t->in_n);
        if (t->carry) memcpy(t->carry, t->in_p, t->in_n);
        t->carry_len = t->carry ? t->in_n : 0;
        t->carry_off = 0;
    }
    t->in_p = NULL;
    t->in_n = 0;
}

/* Decrypts what is buffered and hands it over in chunks of up to 64 KiB
 * (CONN_TLS_BATCH):
 * several 16 KiB records per callback means fewer writes downstream. */
static void tls_dispatch(conn_t *c)
{
    uint8_t buf[CONN_TLS_BATCH];
    size_t have = 0;
    int e = SSL_ERROR_NONE;
    SSL *ssl = c->tls.ssl;
    if (c->flags & F_DISPATCH) return;
    c->flags |= F_DISPATCH;
    while (!(c->flags & (F_PAUSED | F_CLOSING | F_EOF))) {
        ERR_clear_error();
        int n = SSL_read(ssl, buf + have, (int)(sizeof buf - have));
        if (n > 0) have += (size_t)n;
        if (n > 0 && sizeof buf - have >= 16 * 1024) continue;
        if (n <= 0) e = SSL_get_error(ssl, n);
        out_flush(c); /* anything OpenSSL wrote while reading goes first */
        if (have && c->cbs->on_data) c->cbs->on_data(c, buf, have);
        have = 0;
        /* The owner may have paused us: an EOF or error read ahead stays in
         * OpenSSL, which reports it again when we resume. */
        if (n > 0 || (c->flags & (F_PAUSED | F_CLOSING))) continue;
        if (e == SSL_ERROR_WANT_READ) break;
        c->flags &= ~F_DISPATCH;
        if (c->flags & F_CLOSING) return;
        if (e == SSL_ERROR_ZERO_RETURN) {
            conn__deliver_eof(c);
            return;
        }
        LOG_D("tls read failed peer=%s err=%s", c->peer, ERR_reason_error_string(ERR_peek_error()));
        conn__fail(c, UV_EPROTO);
        return;
    }
    c->flags &= ~F_DISPATCH;
    if (!(c->flags & F_CLOSING)) out_flush(c); /* post-handshake messages */
}

static void tls_process(conn_t *c)
{
    conn_tls_t *t = &c->tls;
    if (c->flags & F_HANDSHAKE) {
        ERR_clear_error();
        int r = SSL_do_handshake(t->ssl);
        out_flush(c);
        if (r != 1) {
            int e = SSL_get_error(t->ssl, r);
            if (e == SSL_ERROR_WANT_READ) return;
            unsigned long ec = ERR_peek_error();
            t->tls_err = ec ? ec : 1;
            t->verify_result = SSL_get_verify_result(t->ssl);
            LOG_D("tls handshake failed peer=%s err=%s", c->peer,
                  ec ? ERR_reason_error_string(ec) : "unexpected");
            c->flags &= ~F_HANDSHAKE;
            conn__ready(c, UV_EPROTO);
            return;
        }
        c->flags &= ~F_HANDSHAKE;
        conn__ready(c, 0);
        if (c->flags & F_CLOSING) return;
    }
    tls_dispatch(c);
}

/* ---- the table's entries --------------------------------------------- */

static int tls_write(conn_t *c, const void *p, size_t n)
{
    ERR_clear_error();
    /* Our BIO never blocks, so SSL_write takes everything at once. */
    int w = SSL_write(c->tls.ssl, p, (int)n);
    int r = out_flush(c);
    if (w <= 0) return UV_EPROTO;
    return r;
}

static void tls_shutdown(conn_t *c)
{
    if (!(c->flags & F_HANDSHAKE)) {
        ERR_clear_error();
        SSL_shutdown(c->tls.ssl); /* queues close_notify; we may still read */
        out_flush(c);
    }
    c->tls.base->shutdown(c);
}

static void tls_resume(conn_t *c)
{
    c->tls.base->resume(c);
    /* Plaintext may already wait inside OpenSSL; no socket event would
     * announce it. */
    if (c->flags & F_READY) tls_dispatch(c);
}

static int tls_start(conn_t *c)
{
    (void)c;
    return UV_EINVAL; /* an accepted conn starts as TCP; conn_tls_accept upgrades it */
}

static int tls_connect(conn_t *c, const struct sockaddr *addr)
{
    (void)c;
    (void)addr;
    return UV_EINVAL; /* conn_connect with a context starts on TCP */
}

static void tls_release(conn_t *c)
{
    if (g_out_owner == c) { /* never flush to a freed conn */
        g_out_owner = NULL;
        g_out_len = 0;
    }
    if (c->tls.base->release) c->tls.base->release(c);
}

/* The transport entries are the base stream's (TLS over whatever carried
 * the conn before the handshake; TCP today). */
static void tls_pause(conn_t *c)
{
    c->tls.base->pause(c);
}

static void tls_close(conn_t *c, bool reset)
{
    c->tls.base->close(c, reset);
}

static int tls_local_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return c->tls.base->local_addr(c, out);
}

static int tls_peer_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return c->tls.base->peer_addr(c, out);
}

static uv_loop_t *tls_loop(const conn_t *c)
{
    return c->tls.base->loop(c);
}

static int tls_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                            unsigned user_timeout_ms)
{
    if (!c->tls.base->set_liveness) return UV_ENOTSUP;
    return c->tls.base->set_liveness(c, idle_s, intvl_s, cnt, user_timeout_ms);
}

static void tls_end(conn_t *c)
{
    if (c->tls.base->end) c->tls.base->end(c);
}

static void tls_release(conn_t *c);

/* No splice_fd: the socket carries ciphertext, not the stream's bytes. */
const conn_ops_t conn_tls_ops = {
    .name = "tls",
    .connect = tls_connect,
    .start = tls_start,
    .write = tls_write,
    .input = tls_input,
    .pause = tls_pause,
    .resume = tls_resume,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .local_addr = tls_local_addr,
    .peer_addr = tls_peer_addr,
    .loop = tls_loop,
    .set_liveness = tls_set_liveness,
    .end = tls_end,
    .release = tls_release,
};

/* ---- setup ------------------------------------------------------------ */

static int tls_setup(conn_t *c, SSL_CTX *ctx)
{
    BIO_METHOD *m = bio_method();
    BIO *bio = m ? BIO_new(m) : NULL;
    c->tls.ssl = bio ? SSL_new(ctx) : NULL;
    if (!c->tls.ssl) {
        BIO_free(bio);
        return UV_ENOMEM;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->tls.ssl, bio, bio); /* one reference, both directions */
    /* Idle connections give OpenSSL's record buffers back (~34 KiB each). */
    SSL_set_mode(c->tls.ssl, SSL_MODE_RELEASE_BUFFERS);
    c->tls.base = c->ops;
    c->ops = &conn_tls_ops;
    c->flags |= F_TLS | F_HANDSHAKE;
    c->flags &= ~F_READY;
    return 0;
}

static int is_ip_literal(const char *s)
{
    unsigned char tmp[16];
    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

int conn_tls_client_start(conn_t *c)
{
    conn_tls_t *t = &c->tls;
    int r = tls_setup(c, t->connect_ctx);
    if (r != 0) return r;
    if (t->sni && !is_ip_literal(t->sni)) SSL_set_tlsext_host_name(t->ssl, t->sni);
    if (t->verify_host) {
        if (is_ip_literal(t->verify_host))
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), t->verify_host);
        else
            SSL_set1_host(t->ssl, t->verify_host);
    }
    /* Resumption skips certificate signing and checking, which dominate the
     * cost of the many short-lived work connections. */
    if (t->resume) SSL_set_session(t->ssl, t->resume);
    SSL_set_connect_state(t->ssl);
    t->base->resume(c);
    tls_process(c); /* sends the ClientHello */
    return 0;
}

int conn_tls_start_client(conn_t *c, SSL_CTX *ctx, const char *sni, const char *verify_host)
{
    conn_tls_t *t = &c->tls;
    if (c->flags & F_TLS) return UV_EINVAL;
    t->connect_ctx = ctx;
    if (sni && !(t->sni = strdup(sni))) return UV_ENOMEM;
    if (verify_host && !(t->verify_host = strdup(verify_host))) return UV_ENOMEM;
    return conn_tls_client_start(c);
}

int conn_tls_accept(conn_t *c, SSL_CTX *ctx, const uint8_t *already, size_t n)
{
    int r = tls_setup(c, ctx);
    if (r != 0) return r;
    SSL_set_accept_state(c->tls.ssl);
    tls_input(c, already, n);
    return 0;
}

void conn_tls_clear(conn_t *c)
{
    conn_tls_t *t = &c->tls;
    SSL_free(t->ssl);
    SSL_SESSION_free(t->resume);
    free(t->carry);
    free(t->sni);
    free(t->verify_host);
    memset(t, 0, sizeof *t);
}

void conn_set_resume(conn_t *c, SSL_SESSION *sess)
{
    if (!sess || SSL_SESSION_up_ref(sess) != 1) return;
    SSL_SESSION_free(c->tls.resume);
    c->tls.resume = sess;
}

bool conn_tls_resumed(conn_t *c)
{
    return c->tls.ssl && SSL_session_reused(c->tls.ssl);
}

bool conn_is_tls(const conn_t *c)
{
    return c->flags & F_TLS;
}

SSL *conn_ssl(conn_t *c)
{
    return c->tls.ssl;
}

const char *conn_tls_error(const conn_t *c, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!c->tls.tls_err) return buf;
    const char *why = ERR_reason_error_string(c->tls.tls_err);
    if (c->tls.verify_result != X509_V_OK)
        snprintf(buf, size, "%s: %s", why ? why : "tls error",
                 X509_verify_cert_error_string(c->tls.verify_result));
    else
        snprintf(buf, size, "%s", why ? why : "tls handshake failed");
    return buf;
}

int conn_tls_binding(conn_t *c, const char *label, uint8_t out[32])
{
    if (!(c->flags & F_TLS) || !c->tls.ssl) return -1;
    return SSL_export_keying_material(c->tls.ssl, out, 32, label, strlen(label), NULL, 0, 0) == 1
               ? 0
               : -1;
}
