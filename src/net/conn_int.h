/* conn_int: what the conn backends share (net/ only; users see conn.h).
 *
 * A conn is one byte stream behind an operations table, as in redis's
 * ConnectionType: conn.c holds what every backend has (callbacks, flags,
 * the write-queue count, the peer's address text) and dispatches the public
 * calls through `ops`; a backend supplies the transport. Backends now:
 *   conn_tcp.c  plain TCP on a uv_tcp_t (conn_tcp_ops);
 *   conn_tls.c  TLS over a base stream (conn_tls_ops): when a handshake
 *               starts it keeps the ops pointer in tls.base and takes its
 *               place; ciphertext goes through base->write, base->input
 *               is where the socket's bytes arrive, and the transport
 *               entries (pause, close, addresses, loop) are base's.
 *   conn_e2e.c  end-to-end records over another whole conn (conn_e2e_ops):
 *               the inner conn's callbacks are e2e's, its transport
 *               entries call the inner conn's public functions.
 *   conn_zstd.c zstd compression over another whole conn (conn_zstd_ops),
 *               wrapped as conn_e2e.c wraps.
 *   conn_quic.c one QUIC stream (conn_quic_ops): the transport is the
 *               stream of a quic_t (net/quic.h); its state is the
 *               quic_stream_t in `qs` (net/quic_int.h).
 *   conn_wrap.c another whole conn, bytes unchanged (conn_wrap_ops), as
 *               the base TLS runs over inside a work conn (`under`).
 * relay.c, cwork.c and the proxy kinds only ever see conn.h. */
#ifndef BURROW_CONN_INT_H
#define BURROW_CONN_INT_H

#include "net/conn.h"

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

#define CONN_READ_BUF (256 * 1024) /* one shared buffer every TCP read lands in */
#define CONN_TLS_BATCH (64 * 1024) /* plaintext handed on per on_data: four records */
#define CONN_TLS_OUT (96 * 1024)   /* OpenSSL output gathered per SSL call */

/* The operations table. Every entry is required unless marked optional;
 * conn.c has already checked F_CLOSING/F_SHUT where the public call says so. */
struct conn_ops {
    const char *name; /* "tcp", "tls" */
    /* Outgoing: start connecting to addr; the backend reports on_ready. */
    int (*connect)(conn_t *c, const struct sockaddr *addr);
    /* Accepted: start reading (on_ready is implied; the conn is ready). */
    int (*start)(conn_t *c);
    /* Queue n bytes (n > 0); 0 or a negative uv error. */
    int (*write)(conn_t *c, const void *p, size_t n);
    /* Bytes the transport below read for this conn (borrowed for the call). */
    void (*input)(conn_t *c, const uint8_t *p, size_t n);
    void (*pause)(conn_t *c);
    void (*resume)(conn_t *c);
    /* Half-close our sending side after what is queued. */
    void (*shutdown)(conn_t *c);
    /* Close (reset: with a TCP RST where the transport has one); the backend
     * calls conn__closed() from the loop once the transport is gone. */
    void (*close)(conn_t *c, bool reset);
    int (*local_addr)(const conn_t *c, struct sockaddr_storage *out);
    int (*peer_addr)(const conn_t *c, struct sockaddr_storage *out);
    uv_loop_t *(*loop)(const conn_t *c);
    /* Optional: end the transport both ways at once, without closing the
     * conn (conn_end_transport). */
    void (*end)(conn_t *c);
    /* Optional: a descriptor the splice pump may move bytes on, or -1. */
    int (*splice_fd)(const conn_t *c);
    /* Optional: TCP keepalive and user timeout (conn_set_liveness). */
    int (*set_liveness)(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                        unsigned user_timeout_ms);
    /* Optional: releases backend state after on_close (conn.c frees the conn
     * and, through conn_tls_clear, any TLS options set before a handshake). */
    void (*release)(conn_t *c);
};

/* TCP transport state (conn_tcp.c). */
typedef struct conn_tcp {
    uv_tcp_t handle;
    uv_connect_t creq;
    uv_shutdown_t sreq;
} conn_tcp_t;

/* TLS state (conn_tls.c); used only while ops == &conn_tls_ops. */
typedef struct conn_tls {
    const conn_ops_t *base; /* the stream TLS runs over (conn_tcp_ops) */
    SSL *ssl;
    const uint8_t *in_p; /* ciphertext read now, borrowed for one read callback */
    size_t in_n;
    uint8_t *carry; /* ciphertext kept across reads (a partial record) */
    size_t carry_len, carry_off;
    char *verify_host;
    char *sni;
    SSL_CTX *connect_ctx;  /* borrowed: must outlive the handshake */
    SSL_SESSION *resume;   /* owned reference */
    unsigned long tls_err; /* OpenSSL error of a failed handshake */
    long verify_result;    /* X509_V_* of a failed handshake */
} conn_tls_t;

struct conn {
    const conn_ops_t *ops;
    const conn_cbs_t *cbs;
    void *data;
    unsigned flags;
    size_t pending; /* bytes queued below us, not yet taken by the kernel */
    conn_tcp_t tcp;
    struct quic_stream *qs; /* conn_quic.c's stream while ops == &conn_quic_ops */
    conn_tls_t tls;
    struct conn_e2e *e2e;   /* conn_e2e.c's state while ops == &conn_e2e_ops */
    struct conn_zstd *zstd; /* conn_zstd.c's state while ops == &conn_zstd_ops */
    conn_t *under;          /* the conn a layer (e2e, zstd, wrap) runs over, owned by
                             * that layer; NULL for tcp, tls, quic (conn_layer.c) */
    char peer[CONN_PEER_LEN];
};

extern const conn_ops_t conn_tcp_ops;
extern const conn_ops_t conn_tls_ops;
extern const conn_ops_t conn_e2e_ops;
extern const conn_ops_t conn_quic_ops;
extern const conn_ops_t conn_zstd_ops;
extern const conn_ops_t conn_wrap_ops;

/* Helpers the backends call (conn.c). */
void conn__fail(conn_t *c, int err);     /* on_error once */
void conn__deliver_eof(conn_t *c);       /* on_eof once; reading stops */
void conn__wrote(conn_t *c, size_t n);   /* n queued bytes left: maybe on_drain */
void conn__ready(conn_t *c, int status); /* on_ready */
void conn__fill_peer(conn_t *c);         /* peer text from ops->peer_addr */
void conn__closed(conn_t *c);            /* transport gone: on_close, free */

/* Layers (conn_layer.c): operations that pass the call to c->under, for a
 * layer's conn_ops_t (also when TLS runs over the layer and calls them as
 * its base) ... */
void conn_layer_close(conn_t *c, bool reset);
int conn_layer_local_addr(const conn_t *c, struct sockaddr_storage *out);
int conn_layer_peer_addr(const conn_t *c, struct sockaddr_storage *out);
uv_loop_t *conn_layer_loop(const conn_t *c);
void conn_layer_end(conn_t *c);
int conn_layer_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                            unsigned user_timeout_ms);
/* ... and the inner conn's callbacks that pass its events up to the layer
 * (its data pointer); on_data and on_eof are each layer's own. */
void conn_layer_on_drain(conn_t *in);
void conn_layer_on_shutdown(conn_t *in);
void conn_layer_on_error(conn_t *in, int err);
void conn_layer_on_close(conn_t *in);

/* TLS entry points (conn_tls.c): switch c to conn_tls_ops and start the
 * handshake. The client side sends its ClientHello at once. */
int conn_tls_client_start(conn_t *c);
/* Frees whatever TLS state c holds (SSL, session, names); safe on any conn. */
void conn_tls_clear(conn_t *c);

#endif
