/* conn: one byte stream on the libuv loop, whatever carries it.
 *
 * A conn is a stream behind a small operations table (connect or start,
 * write, pause/resume, shutdown, close, local and peer address, loop, and
 * optional capabilities such as splice), in the way of redis's
 * ConnectionType. Backends today: plain TCP (conn_tcp.c) and TLS over TCP
 * (conn_tls.c, entered by conn_connect with a context or conn_tls_accept);
 * net/conn_int.h documents the table for a new backend. Users see plaintext
 * only and never the transport's handles: accepting is listener.h's job.
 *
 * Owns its transport (the uv_tcp_t, the OpenSSL SSL object) and the
 * accounting of bytes queued for writing.
 *
 * Ownership: conn_new() returns a conn owned by the caller; conn_close()
 * starts closing it and `on_close` runs from the loop afterwards, after which
 * the memory is gone. Callbacks never run after conn_close() except on_close.
 * A conn is never freed inside one of its own callbacks (libuv closes
 * asynchronously), so callers may call conn_close() from any callback.
 *
 * Backpressure: conn_write() always queues (memory grows only by what the
 * caller writes) and returns 1 once more than CONN_HIGH_WATER bytes wait;
 * the caller then stops reading its source, and on_drain tells it when the
 * queue fell below CONN_LOW_WATER. */
#ifndef BURROW_CONN_H
#define BURROW_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define CONN_HIGH_WATER (256 * 1024)
#define CONN_LOW_WATER (64 * 1024)
/* Room for the peer's "ip:port" / "[ip6]:port" text (net/addr.h). */
#define CONN_PEER_LEN 64

typedef struct conn conn_t;
typedef struct conn_ops conn_ops_t; /* net/conn_int.h */

typedef struct conn_cbs {
    /* TCP connected and, with TLS, the handshake done (status 0), or failed (<0). */
    void (*on_ready)(conn_t *c, int status);
    /* Plaintext arrived; borrowed for the call only. */
    void (*on_data)(conn_t *c, const uint8_t *p, size_t n);
    /* The peer will send no more (FIN or TLS close_notify). */
    void (*on_eof)(conn_t *c);
    /* The write queue fell below CONN_LOW_WATER after a conn_write returned 1. */
    void (*on_drain)(conn_t *c);
    /* conn_shutdown() finished: queued data and our FIN went to the kernel. */
    void (*on_shutdown)(conn_t *c);
    /* A read or write failed (negative uv/errno code); the owner should close. */
    void (*on_error)(conn_t *c, int err);
    /* The conn is closed; its memory is freed right after this returns. */
    void (*on_close)(conn_t *c);
} conn_cbs_t;

/* A TCP conn, not yet connected. Callbacks in `cbs` are borrowed (usually a
 * static table); `data` is the owner's. Returns NULL on allocation failure.
 * Incoming conns come from listener.h instead. */
conn_t *conn_new(uv_loop_t *loop, const conn_cbs_t *cbs, void *data);
void conn_set_cbs(conn_t *c, const conn_cbs_t *cbs, void *data);
void *conn_data(const conn_t *c);
/* The loop the conn runs on. */
uv_loop_t *conn_loop(const conn_t *c);
/* The backend's name: "tcp" or "tls". */
const char *conn_kind(const conn_t *c);
/* Our and the peer's address. 0, or a negative uv error (out zeroed). */
int conn_local_addr(const conn_t *c, struct sockaddr_storage *out);
int conn_peer_addr(const conn_t *c, struct sockaddr_storage *out);

/* Starts an outgoing TCP connection. With ctx, runs a TLS client handshake
 * (SNI = sni when it is a host name; host name verification against
 * verify_host when set). on_ready reports the outcome. */
int conn_connect(conn_t *c, const struct sockaddr *addr, SSL_CTX *ctx, const char *sni,
                 const char *verify_host);

/* Starts a TLS client handshake on c, a TCP conn connected already (by a
 * dial done elsewhere: plugin/plugin_dial.h), as conn_connect with ctx
 * would after connecting. on_ready reports the outcome. 0 or a negative uv
 * error (UV_EINVAL when c is TLS already). */
int conn_tls_start_client(conn_t *c, SSL_CTX *ctx, const char *sni, const char *verify_host);

/* Asks the kernel to notice a dead path on an idle or stuck connection: TCP
 * keepalive probes after idle_s seconds of silence, then every intvl_s, and
 * the connection fails (on_error, UV_ETIMEDOUT) after cnt unanswered probes
 * or, on Linux (TCP_USER_TIMEOUT), once sent data stays unacknowledged for
 * user_timeout_ms. Call after conn_connect() or accept (the socket must
 * exist). 0 or a negative uv error; elsewhere only the keepalive idle time is
 * set, through libuv. */
int conn_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                      unsigned user_timeout_ms);

/* Offers a TLS session to resume on the next conn_connect (up-refs it). */
void conn_set_resume(conn_t *c, SSL_SESSION *sess);
/* true when the TLS handshake resumed a session. */
bool conn_tls_resumed(conn_t *c);

/* Adopts a stream socket that is already connected (a socket punched or
 * set up outside libuv, a socketpair in tests) into c, a conn_new() conn
 * that is not connected yet; then conn_start() as for an accepted one.
 * 0 or a negative uv error (the caller still owns fd then). */
int conn_open_fd(conn_t *c, uv_os_sock_t fd);

/* Accepted connections (listener.h): start reading plaintext (no TLS yet). */
int conn_start(conn_t *c);
/* Switches an accepted connection to a TLS server handshake, feeding the
 * bytes already read. on_ready reports the outcome. */
int conn_tls_accept(conn_t *c, SSL_CTX *ctx, const uint8_t *already, size_t n);

int conn_write(conn_t *c, const void *p, size_t n);
size_t conn_pending(const conn_t *c);
void conn_pause(conn_t *c);
void conn_resume(conn_t *c);
/* Half-close: after queued data, send close_notify (TLS) and FIN. */
void conn_shutdown(conn_t *c);
void conn_close(conn_t *c);
/* Closes with a TCP RST, so the peer learns at once that this was no clean end. */
void conn_abort(conn_t *c);
bool conn_is_closing(const conn_t *c);

bool conn_is_tls(const conn_t *c);
SSL *conn_ssl(conn_t *c);
/* 32 bytes of TLS exporter output under `label`. 0, or -1 without TLS. */
int conn_tls_binding(conn_t *c, const char *label, uint8_t out[32]);
/* Why the TLS handshake failed ("certificate verify failed: hostname
 * mismatch", ...), written into buf; "" when it did not. */
const char *conn_tls_error(const conn_t *c, char *buf, size_t size);
/* Capability: a descriptor whose bytes are exactly the stream's, for fast
 * paths that bypass user space (splice). -1 when the backend offers none
 * (TLS, or a stream multiplexed inside something else). */
int conn_splice_fd(const conn_t *c);
/* Ends the transport both ways at once (on a socket: shutdown(2) of both
 * directions) without closing the conn, so that whoever owns it, a relay or
 * the splice pump working on its descriptor, sees the end and closes it
 * itself. For stopping a process; a no-op where the backend has no way. */
void conn_end_transport(conn_t *c);
/* "ip:port" of the peer (kept from when the conn became ready), or "?" */
const char *conn_peer(const conn_t *c);

#endif
