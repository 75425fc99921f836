/* conn: see conn.h.
 *
 * TLS runs over a small BIO of our own so that libuv keeps owning the socket
 * (every platform dependency stays inside libuv) without copying through
 * memory BIOs: OpenSSL reads ciphertext straight from the buffer the socket
 * was read into (only a partial record's tail is kept per connection, in
 * `carry`), and its output is gathered into one shared buffer that is handed
 * to the socket after each OpenSSL call. An idle connection holds no buffers:
 * SSL_MODE_RELEASE_BUFFERS drops OpenSSL's own. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

#include "util/log.h"

enum {
    F_TLS = 1u << 0,
    F_HANDSHAKE = 1u << 1, /* TLS handshake in progress */
    F_READY = 1u << 2,     /* on_ready(0) delivered */
    F_PAUSED = 1u << 3,
    F_EOF = 1u << 4,  /* peer finished; on_eof delivered */
    F_SHUT = 1u << 5, /* our write side is shut */
    F_CLOSING = 1u << 6,
    F_NEED_DRAIN = 1u << 7,
    F_DISPATCH = 1u << 8, /* inside tls_dispatch: no re-entry */
    F_ERRORED = 1u << 9,  /* on_error delivered once */
};

struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_shutdown_t sreq;
    const conn_cbs_t *cbs;
    void *data;
    SSL *ssl;
    const uint8_t *in_p; /* ciphertext read now, borrowed for one read callback */
    size_t in_n;
    uint8_t *carry; /* ciphertext kept across reads (a partial record) */
    size_t carry_len, carry_off;
    unsigned flags;
    size_t pending; /* bytes queued in uv writes */
    char *verify_host;
    char *sni;
    SSL_CTX *connect_ctx;  /* borrowed: must outlive the handshake */
    SSL_SESSION *resume;   /* owned reference */
    unsigned long tls_err; /* OpenSSL error of a failed handshake */
    long verify_result;    /* X509_V_* of a failed handshake */
    char peer[64];
};

typedef struct wreq {
    uv_write_t req;
    size_t len;
    uint8_t data[];
} wreq_t;

/* One loop, one thread: raw socket reads land here and are consumed (or copied
 * into the TLS read BIO) before the next read callback can run. */
static uint8_t g_rbuf[256 * 1024];

static void tls_process(conn_t *c);

conn_t *conn_new(uv_loop_t *loop, const conn_cbs_t *cbs, void *data)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (uv_tcp_init(loop, &c->tcp) != 0) {
        free(c);
        return NULL;
    }
    c->tcp.data = c;
    c->cbs = cbs;
    c->data = data;
    strcpy(c->peer, "?");
    return c;
}

void conn_set_cbs(conn_t *c, const conn_cbs_t *cbs, void *data)
{
    c->cbs = cbs;
    c->data = data;
}

void *conn_data(const conn_t *c)
{
    return c->data;
}

uv_stream_t *conn_stream(conn_t *c)
{
    return (uv_stream_t *)&c->tcp;
}

bool conn_is_closing(const conn_t *c)
{
    return c->flags & F_CLOSING;
}

bool conn_is_tls(const conn_t *c)
{
    return c->flags & F_TLS;
}

SSL *conn_ssl(conn_t *c)
{
    return c->ssl;
}

int conn_fd(conn_t *c)
{
    uv_os_fd_t fd;
    return uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 ? (int)fd : -1;
}

const char *conn_peer(conn_t *c)
{
    return c->peer;
}

size_t conn_pending(const conn_t *c)
{
    return c->pending;
}

static void fill_peer(conn_t *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "[%s]:%d", ip, ntohs(a->sin6_port));
    }
}

static void fail(conn_t *c, int err)
{
    if (c->flags & (F_CLOSING | F_ERRORED)) return;
    c->flags |= F_ERRORED;
    if (c->cbs->on_error) c->cbs->on_error(c, err);
}

/* ---- writing ---------------------------------------------------------- */

static void write_cb(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    conn_t *c = req->data;
    c->pending -= w->len;
    free(w);
    if (c->flags & F_CLOSING) return;
    if (status < 0) {
        fail(c, status);
        return;
    }
    if ((c->flags & F_NEED_DRAIN) && c->pending <= CONN_LOW_WATER) {
        c->flags &= ~F_NEED_DRAIN;
        if (c->cbs->on_drain) c->cbs->on_drain(c);
    }
}

/* Queues raw bytes, trying a direct write first when nothing is queued. */
static int queue_raw(conn_t *c, const uint8_t *p, size_t n)
{
    if (c->pending == 0) {
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int r = uv_try_write(conn_stream(c), &b, 1);
        if (r == (int)n) return 0;
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r != UV_EAGAIN) {
            return r;
        }
    }
    wreq_t *w = malloc(sizeof *w + n);
    if (!w) return UV_ENOMEM;
    memcpy(w->data, p, n);
    w->len = n;
    w->req.data = c;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    int r = uv_write(&w->req, conn_stream(c), &b, 1, write_cb);
    if (r != 0) {
        free(w);
        return r;
    }
    c->pending += n;
    return 0;
}

/* ---- the BIO between OpenSSL and libuv -------------------------------- */

/* OpenSSL's output for one connection at a time: records of one SSL call are
 * gathered here and written with one syscall. `g_out_owner` says whose bytes
 * they are; any other connection's write flushes them first. */
static uint8_t g_out[96 * 1024];
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
    return queue_raw(c, g_out, n);
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
        r = (c->flags & F_CLOSING) ? 0 : queue_raw(c, (const uint8_t *)data, len);
    } else if (r == 0) {
        memcpy(g_out + g_out_len, data, len);
        g_out_len += len;
        g_out_owner = c;
    }
    *written = len;
    return r == 0;
}

static size_t in_avail(const conn_t *c)
{
    return c->carry_len > c->carry_off ? c->carry_len - c->carry_off : c->in_n;
}

static int bio_read_ex(BIO *b, char *out, size_t len, size_t *readbytes)
{
    conn_t *c = BIO_get_data(b);
    size_t n = in_avail(c);
    BIO_clear_retry_flags(b);
    *readbytes = 0;
    if (n == 0) {
        BIO_set_retry_read(b); /* wait for the socket */
        return 0;
    }
    if (n > len) n = len;
    if (c->carry_len > c->carry_off) {
        memcpy(out, c->carry + c->carry_off, n);
        c->carry_off += n;
        if (c->carry_off == c->carry_len) {
            free(c->carry);
            c->carry = NULL;
            c->carry_len = c->carry_off = 0;
        }
    } else {
        memcpy(out, c->in_p, n);
        c->in_p += n;
        c->in_n -= n;
    }
    *readbytes = n;
    return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    if (cmd == BIO_CTRL_FLUSH) return 1;
    if (cmd == BIO_CTRL_PENDING) return (long)in_avail(BIO_get_data(b));
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

/* Offers n bytes just read from the socket to OpenSSL, then keeps whatever it
 * did not take (the caller's buffer is reused by the next read). */
static void tls_feed(conn_t *c, const uint8_t *p, size_t n)
{
    if (c->carry_len > c->carry_off) {
        uint8_t *nc = realloc(c->carry, c->carry_len + n);
        if (!nc) {
            fail(c, UV_ENOMEM);
            return;
        }
        c->carry = nc;
        memcpy(c->carry + c->carry_len, p, n);
        c->carry_len += n;
    } else {
        c->in_p = p;
        c->in_n = n;
    }
    tls_process(c);
    if (c->in_n && !(c->flags & F_CLOSING)) {
        free(c->carry);
        c->carry = malloc(c->in_n);
        if (c->carry) memcpy(c->carry, c->in_p, c->in_n);
        c->carry_len = c->carry ? c->in_n : 0;
        c->carry_off = 0;
    }
    c->in_p = NULL;
    c->in_n = 0;
}

static int backpressure(conn_t *c)
{
    if (c->pending > CONN_HIGH_WATER) {
        c->flags |= F_NEED_DRAIN;
        return 1;
    }
    return 0;
}

int conn_write(conn_t *c, const void *p, size_t n)
{
    if (c->flags & (F_CLOSING | F_SHUT)) return UV_EPIPE;
    if (n == 0) return backpressure(c);
    int r;
    if (c->flags & F_TLS) {
        ERR_clear_error();
        /* Memory BIOs never block, so SSL_write takes everything at once. */
        int w = SSL_write(c->ssl, p, (int)n);
        r = out_flush(c);
        if (w <= 0) return UV_EPROTO;
    } else {
        r = queue_raw(c, p, n);
    }
    if (r != 0) return r;
    return backpressure(c);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    /* A failed FIN shows up as a read error or close later; ECANCELED means
     * we are closing. */
    if (status == UV_ECANCELED || (c->flags & F_CLOSING)) return;
    if (c->cbs->on_shutdown) c->cbs->on_shutdown(c);
}

void conn_shutdown(conn_t *c)
{
    if (c->flags & (F_SHUT | F_CLOSING)) return;
    c->flags |= F_SHUT;
    if ((c->flags & F_TLS) && !(c->flags & F_HANDSHAKE)) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* queues close_notify; we may still read */
        out_flush(c);
    }
    c->sreq.data = c;
    uv_shutdown(&c->sreq, conn_stream(c), shutdown_cb);
}

/* ---- reading ---------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init((char *)g_rbuf, sizeof g_rbuf);
}

static void deliver_eof(conn_t *c)
{
    if (c->flags & (F_EOF | F_CLOSING)) return;
    c->flags |= F_EOF;
    uv_read_stop(conn_stream(c));
    if (c->cbs->on_eof) c->cbs->on_eof(c);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (c->flags & F_CLOSING) return;
    if (nread > 0) {
        if (c->flags & F_TLS) {
            tls_feed(c, (const uint8_t *)buf->base, (size_t)nread);
        } else if (c->cbs->on_data) {
            c->cbs->on_data(c, (const uint8_t *)buf->base, (size_t)nread);
        }
        return;
    }
    if (nread == UV_EOF) {
        uv_read_stop(s);
        if (c->flags & F_HANDSHAKE) {
            c->flags &= ~F_HANDSHAKE;
            if (c->cbs->on_ready) c->cbs->on_ready(c, UV_ECONNRESET);
            return;
        }
        /* Without TLS, or a TLS peer that vanished without close_notify. */
        deliver_eof(c);
        return;
    }
    if (nread < 0) {
        if (c->flags & F_HANDSHAKE) {
            c->flags &= ~F_HANDSHAKE;
            if (c->cbs->on_ready) c->cbs->on_ready(c, (int)nread);
            return;
        }
        fail(c, (int)nread);
    }
}

static void start_reading(conn_t *c)
{
    if (c->flags & (F_CLOSING | F_PAUSED | F_EOF)) return;
    uv_read_start(conn_stream(c), alloc_cb, read_cb);
}

/* Decrypts what is buffered and hands it over in chunks of up to 64 KiB:
 * several 16 KiB records per callback means fewer writes downstream. */
static void tls_dispatch(conn_t *c)
{
    uint8_t buf[64 * 1024];
    size_t have = 0;
    int e = SSL_ERROR_NONE;
    if (c->flags & F_DISPATCH) return;
    c->flags |= F_DISPATCH;
    while (!(c->flags & (F_PAUSED | F_CLOSING | F_EOF))) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, buf + have, (int)(sizeof buf - have));
        if (n > 0) have += (size_t)n;
        if (n > 0 && sizeof buf - have >= 16 * 1024) continue;
        if (n <= 0) e = SSL_get_error(c->ssl, n);
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
            deliver_eof(c);
            return;
        }
        LOG_D("tls read failed peer=%s err=%s", c->peer, ERR_reason_error_string(ERR_peek_error()));
        fail(c, UV_EPROTO);
        return;
    }
    c->flags &= ~F_DISPATCH;
    if (!(c->flags & F_CLOSING)) out_flush(c); /* post-handshake messages */
}

static void tls_process(conn_t *c)
{
    if (c->flags & F_HANDSHAKE) {
        ERR_clear_error();
        int r = SSL_do_handshake(c->ssl);
        out_flush(c);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) return;
            unsigned long ec = ERR_peek_error();
            c->tls_err = ec ? ec : 1;
            c->verify_result = SSL_get_verify_result(c->ssl);
            LOG_D("tls handshake failed peer=%s err=%s", c->peer,
                  ec ? ERR_reason_error_string(ec) : "unexpected");
            c->flags &= ~F_HANDSHAKE;
            if (c->cbs->on_ready) c->cbs->on_ready(c, UV_EPROTO);
            return;
        }
        c->flags &= ~F_HANDSHAKE;
        c->flags |= F_READY;
        if (c->cbs->on_ready) c->cbs->on_ready(c, 0);
        if (c->flags & F_CLOSING) return;
    }
    tls_dispatch(c);
}

void conn_pause(conn_t *c)
{
    if (c->flags & (F_PAUSED | F_CLOSING)) return;
    c->flags |= F_PAUSED;
    uv_read_stop(conn_stream(c));
}

void conn_resume(conn_t *c)
{
    if (!(c->flags & F_PAUSED) || (c->flags & F_CLOSING)) return;
    c->flags &= ~F_PAUSED;
    start_reading(c);
    /* Plaintext may already wait inside OpenSSL; no socket event would
     * announce it. */
    if ((c->flags & F_TLS) && (c->flags & F_READY)) tls_dispatch(c);
}

/* ---- setup ------------------------------------------------------------ */

static int tls_setup(conn_t *c, SSL_CTX *ctx)
{
    BIO_METHOD *m = bio_method();
    BIO *bio = m ? BIO_new(m) : NULL;
    c->ssl = bio ? SSL_new(ctx) : NULL;
    if (!c->ssl) {
        BIO_free(bio);
        return UV_ENOMEM;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio); /* one reference, both directions */
    /* Idle connections give OpenSSL's record buffers back (~34 KiB each). */
    SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
    c->flags |= F_TLS | F_HANDSHAKE;
    c->flags &= ~F_READY;
    return 0;
}

static int is_ip_literal(const char *s)
{
    unsigned char tmp[16];
    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static int tls_client_setup(conn_t *c)
{
    int r = tls_setup(c, c->connect_ctx);
    if (r != 0) return r;
    if (c->sni && !is_ip_literal(c->sni)) SSL_set_tlsext_host_name(c->ssl, c->sni);
    if (c->verify_host) {
        if (is_ip_literal(c->verify_host))
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->verify_host);
        else
            SSL_set1_host(c->ssl, c->verify_host);
    }
    /* Resumption skips certificate signing and checking, which dominate the
     * cost of the many short-lived work connections. */
    if (c->resume) SSL_set_session(c->ssl, c->resume);
    SSL_set_connect_state(c->ssl);
    return 0;
}

void conn_set_resume(conn_t *c, SSL_SESSION *sess)
{
    if (!sess || SSL_SESSION_up_ref(sess) != 1) return;
    SSL_SESSION_free(c->resume);
    c->resume = sess;
}

bool conn_tls_resumed(conn_t *c)
{
    return c->ssl && SSL_session_reused(c->ssl);
}

static void connect_cb(uv_connect_t *req, int status)
{
    conn_t *c = req->data;
    if (c->flags & F_CLOSING) return;
    if (status < 0) {
        if (c->cbs->on_ready) c->cbs->on_ready(c, status);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    fill_peer(c);
    if (c->connect_ctx) {
        int r = tls_client_setup(c);
        if (r != 0) {
            if (c->cbs->on_ready) c->cbs->on_ready(c, r);
            return;
        }
        start_reading(c);
        tls_process(c); /* sends the ClientHello */
        return;
    }
    c->flags |= F_READY;
    if (c->cbs->on_ready) c->cbs->on_ready(c, 0);
    start_reading(c);
}

int conn_connect(conn_t *c, const struct sockaddr *addr, SSL_CTX *ctx, const char *sni,
                 const char *verify_host)
{
    c->connect_ctx = ctx;
    if (sni && !(c->sni = strdup(sni))) return UV_ENOMEM;
    if (verify_host && !(c->verify_host = strdup(verify_host))) return UV_ENOMEM;
    c->creq.data = c;
    return uv_tcp_connect(&c->creq, &c->tcp, addr, connect_cb);
}

#ifdef __linux__
static int set_int_opt(int fd, int level, int name, unsigned value)
{
    int v = (int)value;
    return setsockopt(fd, level, name, &v, sizeof v) == 0 ? 0 : -errno;
}

int conn_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                      unsigned user_timeout_ms)
{
    int fd = conn_fd(c), r;
    if (fd < 0) return UV_EBADF;
    if ((r = set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, 1)) != 0) return r;
    if ((r = set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s)) != 0) return r;
    if ((r = set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl_s)) != 0) return r;
    if ((r = set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt)) != 0) return r;
    /* RFC 5482: give up when data stays unacknowledged this long, instead
     * of retransmitting for the kernel's ~15 minutes. */
    return set_int_opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout_ms);
}
#else
int conn_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                      unsigned user_timeout_ms)
{
    (void)intvl_s;
    (void)cnt;
    (void)user_timeout_ms;
    return uv_tcp_keepalive(&c->tcp, 1, idle_s);
}
#endif

int conn_start(conn_t *c)
{
    uv_tcp_nodelay(&c->tcp, 1);
    fill_peer(c);
    c->flags |= F_READY;
    return uv_read_start(conn_stream(c), alloc_cb, read_cb);
}

int conn_tls_accept(conn_t *c, SSL_CTX *ctx, const uint8_t *already, size_t n)
{
    int r = tls_setup(c, ctx);
    if (r != 0) return r;
    SSL_set_accept_state(c->ssl);
    tls_feed(c, already, n);
    return 0;
}

const char *conn_tls_error(const conn_t *c, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!c->tls_err) return buf;
    const char *why = ERR_reason_error_string(c->tls_err);
    if (c->verify_result != X509_V_OK)
        snprintf(buf, size, "%s: %s", why ? why : "tls error",
                 X509_verify_cert_error_string(c->verify_result));
    else
        snprintf(buf, size, "%s", why ? why : "tls handshake failed");
    return buf;
}

int conn_tls_binding(conn_t *c, const char *label, uint8_t out[32])
{
    if (!(c->flags & F_TLS) || !c->ssl) return -1;
    return SSL_export_keying_material(c->ssl, out, 32, label, strlen(label), NULL, 0, 0) == 1 ? 0
                                                                                              : -1;
}

static void close_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (c->cbs && c->cbs->on_close) c->cbs->on_close(c);
    if (g_out_owner == c) { /* never flush to a freed conn */
        g_out_owner = NULL;
        g_out_len = 0;
    }
    SSL_free(c->ssl);
    SSL_SESSION_free(c->resume);
    free(c->carry);
    free(c->sni);
    free(c->verify_host);
    free(c);
}

void conn_close(conn_t *c)
{
    if (!c || (c->flags & F_CLOSING)) return;
    c->flags |= F_CLOSING;
    uv_read_stop(conn_stream(c));
    uv_close((uv_handle_t *)&c->tcp, close_cb);
}

void conn_abort(conn_t *c)
{
    if (!c || (c->flags & F_CLOSING)) return;
    c->flags |= F_CLOSING;
    uv_read_stop(conn_stream(c));
    if (uv_tcp_close_reset(&c->tcp, close_cb) != 0) uv_close((uv_handle_t *)&c->tcp, close_cb);
}
