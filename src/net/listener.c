/* listener: see listener.h. */
#include "net/listener.h"

#include <string.h>
#include <sys/resource.h>

#include "net/addr.h"
#include "net/conn_tcp.h"
#include "util/log.h"

static const conn_cbs_t no_cbs = {0};

int listener_init(uv_loop_t *loop, listener_t *l, const listener_opts_t *opts,
                  listener_conn_cb on_conn, void *data)
{
    memset(l, 0, sizeof *l);
    l->data = data;
    l->opts = *opts;
    if (!l->opts.what) l->opts.what = "tcp";
    l->on_conn = on_conn;
    l->handle.data = l;
    return uv_tcp_init(loop, &l->handle);
}

/* ---- accepting --------------------------------------------------------- */

static bool spare_busy;

static void on_spare_closed(uv_handle_t *h)
{
    (void)h;
    spare_busy = false;
}

/* Takes the pending connection off the listener and closes it, without
 * allocating: libuv watches a listener again only once its pending
 * connection was accepted, so one that is never accepted would stall it. */
static void drop_pending(listener_t *l)
{
    static uv_tcp_t spare;
    if (spare_busy) return; /* a second failure within one loop turn */
    uv_tcp_init(l->handle.loop, &spare);
    spare_busy = true;
    (void)uv_accept((uv_stream_t *)&l->handle, (uv_stream_t *)&spare); /* only to close it */
    uv_close((uv_handle_t *)&spare, on_spare_closed);
}

/* Descriptors are numbered lowest free first, so a descriptor numbered n
 * means at least n are open: near the limit, the rest of the process needs
 * the remaining ones. */
static bool fds_short(const listener_t *l, conn_t *c)
{
    struct rlimit rl;
    int fd = conn_splice_fd(c); /* a fresh TCP conn: its socket */
    if (!l->opts.fd_reserve || fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
        rl.rlim_cur == RLIM_INFINITY)
        return false;
    rlim_t reserve = rl.rlim_cur / 4 < l->opts.fd_reserve ? rl.rlim_cur / 4 : l->opts.fd_reserve;
    return (rlim_t)fd >= rl.rlim_cur - reserve;
}

static void refuse(listener_t *l, conn_t *c, listener_refusal_t why,
                   const struct sockaddr_storage *peer)
{
    conn_close(c);
    if (l->opts.on_refused) l->opts.on_refused(l, why, peer);
}

static void on_connection(uv_stream_t *ls, int status)
{
    listener_t *l = ls->data;
    if (status < 0) {
        /* Nothing to accept. On EMFILE/ENFILE libuv has already taken the
         * pending connection into its reserve descriptor and closed it, so
         * the listener does not spin; it keeps accepting. */
        LOG_LIMITED(LOG_WARN, "%s accept failed err=%s", l->opts.what, uv_strerror(status));
        return;
    }
    conn_t *c = conn_new(ls->loop, &no_cbs, NULL);
    if (!c) {
        LOG_LIMITED(LOG_WARN, "%s accept failed err=out-of-memory", l->opts.what);
        drop_pending(l);
        return;
    }
    struct sockaddr_storage peer;
    int r = conn_tcp_accept(ls, c);
    if (r == 0) r = conn_peer_addr(c, &peer);
    if (r != 0) {
        LOG_LIMITED(LOG_DEBUG, "%s accept failed err=%s", l->opts.what, uv_strerror(r));
        conn_close(c);
        return;
    }
    if (fds_short(l, c)) {
        refuse(l, c, LISTENER_REFUSED_DESCRIPTORS, &peer);
        return;
    }
    if (l->opts.max_live > 0) {
        if (l->live >= l->opts.max_live) {
            refuse(l, c, LISTENER_REFUSED_TOTAL, &peer);
            return;
        }
        l->live++;
    }
    l->on_conn(l, c, &peer);
}

int listener_listen(listener_t *l, const struct sockaddr *addr)
{
    int r = uv_tcp_bind(&l->handle, addr, 0);
    /* libuv reports EADDRINUSE from listen(), not bind(). */
    if (r == 0) r = uv_listen((uv_stream_t *)&l->handle, LISTENER_BACKLOG, on_connection);
    return r;
}

/* ---- the rest ---------------------------------------------------------- */

void listener_release(listener_t *l)
{
    if (l->opts.max_live > 0 && l->live > 0) l->live--;
}

int listener_live(const listener_t *l)
{
    return l->live;
}

int listener_local_addr(const listener_t *l, struct sockaddr_storage *out)
{
    int len = sizeof *out;
    memset(out, 0, sizeof *out);
    return uv_tcp_getsockname(&l->handle, (struct sockaddr *)out, &len);
}

int listener_port(const listener_t *l)
{
    struct sockaddr_storage ss;
    if (listener_local_addr(l, &ss) != 0) return -1;
    return addr_port((struct sockaddr *)&ss);
}

static void on_handle_closed(uv_handle_t *h)
{
    listener_t *l = h->data;
    if (l->on_closed) l->on_closed(l);
}

void listener_close(listener_t *l, listener_close_cb cb)
{
    if (l->closing) return;
    l->closing = true;
    l->on_closed = cb;
    uv_close((uv_handle_t *)&l->handle, on_handle_closed);
}
