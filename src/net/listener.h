/* listener: bind, listen and accept on a TCP port, handing each incoming
 * connection over as a conn (net/conn.h).
 *
 * One implementation of what every public port needs: accept errors that
 * never stall the listener (a connection we cannot take is still taken off
 * the queue and closed, without allocating), an optional cap on the
 * connections it has handed out and that still count, and an optional
 * reserve of file descriptors below which it refuses newcomers. Per-source
 * caps stay with the owner (src_limit.h): on_conn gets the peer's address
 * and may refuse there (conn_close + listener_release).
 *
 * Ownership: like a libuv handle, the listener_t is the caller's memory;
 * listener_init() it, listener_close() it, and free it only in the close
 * callback, and not before every conn it counted was released (the count
 * lives in it). Conns passed to on_conn belong to the callee; they have no
 * callbacks yet and are not started (conn_set_cbs, then conn_start). */
#ifndef BURROW_LISTENER_H
#define BURROW_LISTENER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <uv.h>

#include "net/conn.h"

/* listen(2) backlog of every listener. */
#define LISTENER_BACKLOG 511

typedef struct listener listener_t;

/* Why the listener itself refused a connection (on_refused). */
typedef enum listener_refusal {
    LISTENER_REFUSED_DESCRIPTORS, /* fewer than fd_reserve descriptors left */
    LISTENER_REFUSED_TOTAL,       /* max_live connections already count */
} listener_refusal_t;

/* A connection arrived and, when max_live is set, counts against it (call
 * listener_release once when it no longer should). */
typedef void (*listener_conn_cb)(listener_t *l, conn_t *c, const struct sockaddr_storage *peer);
/* Optional: a connection was refused by a cap (it is already closed). */
typedef void (*listener_refused_cb)(listener_t *l, listener_refusal_t why,
                                    const struct sockaddr_storage *peer);
typedef void (*listener_close_cb)(listener_t *l);

typedef struct listener_opts {
    const char *what;    /* names it in log lines ("http vhost"); borrowed */
    int max_live;        /* cap on counted connections; 0 for none */
    unsigned fd_reserve; /* refuse when the next descriptor is this close to
                          * RLIMIT_NOFILE (capped at a quarter of it); 0 for none */
    listener_refused_cb on_refused;
} listener_opts_t;

struct listener {
    void *data; /* the owner's */
    /* private */
    uv_tcp_t handle;
    listener_opts_t opts;
    listener_conn_cb on_conn;
    listener_close_cb on_closed;
    int live;
    bool closing;
};

/* opts is copied (its `what` string is borrowed). 0 or a negative uv error;
 * either way the listener must be closed with listener_close(). */
int listener_init(uv_loop_t *loop, listener_t *l, const listener_opts_t *opts,
                  listener_conn_cb on_conn, void *data);
/* Binds addr and listens. 0 or a negative uv error (EADDRINUSE, ...). */
int listener_listen(listener_t *l, const struct sockaddr *addr);
/* Stops accepting; cb (may be NULL) runs from the loop afterwards. */
void listener_close(listener_t *l, listener_close_cb cb);

/* Undoes the count of one connection handed to on_conn. */
void listener_release(listener_t *l);
/* Connections that count now. */
int listener_live(const listener_t *l);
/* The bound address and port (after a successful listener_listen). */
int listener_local_addr(const listener_t *l, struct sockaddr_storage *out);
int listener_port(const listener_t *l); /* -1 when not bound */

#endif
