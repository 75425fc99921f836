/* sfile: see sfile.h. The conn side of a static_file connection: bytes in
 * to the session, its output to the conn, drains back to its pump. */
#include "plugin/sfile.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/sfile_sess.h"
#include "util/ref.h"

struct sfile {
    ref_t ref; /* the creator's + one per connection */
    sfile_site_t site;
    int conns;
    unsigned idle_ms;
};

typedef struct sfconn {
    sfile_t *sf;
    conn_t *c;
    sfile_sess_t sess;
    uint8_t *stash; /* request bytes read while a response was under way */
    size_t stash_len;
    bool eof, shut, settled;
    plugin_sess_t ps; /* in the plugin host's list (zeroed without one) */
    uv_timer_t *idle; /* heap: freed by its own close callback */
} sfconn_t;

static void sfile_release(ref_t *r)
{
    sfile_t *sf = REF_OWNER(r, sfile_t, ref);
    sfile_site_free(&sf->site);
    free(sf);
}

sfile_t *sfile_new(const char *local_path, const char *strip_prefix, const char *user,
                   const char *password)
{
    sfile_t *sf = calloc(1, sizeof *sf);
    if (!sf) return NULL;
    if (sfile_site_init(&sf->site, local_path, strip_prefix, user, password) != 0) {
        free(sf);
        return NULL;
    }
    ref_init(&sf->ref, 1, sfile_release);
    sf->idle_ms = SFILE_IDLE_MS;
    return sf;
}

void sfile_drop(sfile_t *sf)
{
    if (sf) ref_drop(&sf->ref);
}

int sfile_conns(const sfile_t *sf)
{
    return sf->conns;
}

void sfile_set_idle_ms(sfile_t *sf, unsigned ms)
{
    sf->idle_ms = ms;
}

/* ---- the idle timer -------------------------------------------------------- */

static void on_idle(uv_timer_t *t)
{
    sfconn_t *x = t->data;
    conn_close(x->c);
}

/* Something moved: the idle limit starts again. */
static void touch(sfconn_t *x)
{
    uv_timer_start(x->idle, on_idle, x->sf->idle_ms, 0);
}

static void free_timer(uv_handle_t *h)
{
    free(h);
}

/* ---- the session's output ------------------------------------------------ */

static bool out(void *ctx, const void *p, size_t n)
{
    sfconn_t *x = ctx;
    int r = conn_write(x->c, p, n);
    if (r < 0) conn_close(x->c);
    return r == 0;
}

/* Reads on while nothing waits; ends the connection once the session is
 * done (or the peer finished and nothing is left to answer). */
static void settle(sfconn_t *x)
{
    if (conn_is_closing(x->c) || x->shut) return;
    bool idle = !sfile_sess_busy(&x->sess) && !x->stash;
    if (sfile_sess_done(&x->sess) || (x->eof && idle)) {
        x->shut = true;
        conn_pause(x->c);
        conn_shutdown(x->c); /* after what is queued; on_shutdown closes */
        return;
    }
    if (idle && !x->eof)
        conn_resume(x->c);
    else
        conn_pause(x->c);
}

static void keep(sfconn_t *x, const uint8_t *p, size_t n)
{
    if (n == 0) return;
    if (x->stash_len + n > SFILE_STASH_MAX) {
        conn_close(x->c); /* a peer pipelining more than we will hold */
        return;
    }
    uint8_t *s = realloc(x->stash, x->stash_len + n);
    if (!s) {
        conn_close(x->c);
        return;
    }
    memcpy(s + x->stash_len, p, n);
    x->stash = s;
    x->stash_len += n;
}

static void feed(sfconn_t *x, const uint8_t *p, size_t n)
{
    size_t used = sfile_sess_feed(&x->sess, p, n);
    if (!x->settled && x->sess.requests > 0) { /* a whole head came: no handshake timer */
        x->settled = true;
        plugin_sess_settle(&x->ps);
    }
    if (!conn_is_closing(x->c) && !sfile_sess_done(&x->sess)) keep(x, p + used, n - used);
}

/* Feeds what waited while the last response was sent. */
static void feed_stash(sfconn_t *x)
{
    uint8_t *s = x->stash;
    size_t n = x->stash_len;
    x->stash = NULL;
    x->stash_len = 0;
    if (s) feed(x, s, n);
    free(s);
}

/* ---- the conn's callbacks ------------------------------------------------ */

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    sfconn_t *x = conn_data(c);
    touch(x);
    if (x->stash || sfile_sess_busy(&x->sess))
        keep(x, p, n);
    else
        feed(x, p, n);
    settle(x);
}

static void on_drain(conn_t *c)
{
    sfconn_t *x = conn_data(c);
    touch(x);
    sfile_sess_pump(&x->sess);
    if (!sfile_sess_busy(&x->sess) && !conn_is_closing(c)) feed_stash(x);
    settle(x);
}

static void on_eof(conn_t *c)
{
    sfconn_t *x = conn_data(c);
    x->eof = true;
    settle(x);
}

static void on_shutdown(conn_t *c)
{
    conn_close(c);
}

static void on_error(conn_t *c, int err)
{
    (void)err;
    conn_close(c);
}

static void on_close(conn_t *c)
{
    sfconn_t *x = conn_data(c);
    plugin_sess_end(&x->ps);
    uv_close((uv_handle_t *)x->idle, free_timer);
    sfile_sess_free(&x->sess);
    free(x->stash);
    x->sf->conns--;
    sfile_drop(x->sf);
    free(x);
}

static const conn_cbs_t cbs = {
    .on_data = on_data,
    .on_eof = on_eof,
    .on_drain = on_drain,
    .on_shutdown = on_shutdown,
    .on_error = on_error,
    .on_close = on_close,
};

/* The host stops the session (client stopping, proxy removed, too slow). */
static void stop(plugin_sess_t *ps)
{
    sfconn_t *x = (sfconn_t *)(void *)((char *)ps - offsetof(sfconn_t, ps));
    conn_close(x->c);
}

int sfile_serve(sfile_t *sf, const plugin_start_t *st, conn_t *c, const uint8_t *early, size_t n)
{
    sfconn_t *x = calloc(1, sizeof *x);
    uv_timer_t *idle = malloc(sizeof *idle);
    if (x && idle && st && plugin_sess_begin(&x->ps, st, stop) != 0) {
        free(x);
        x = NULL;
    }
    if (!x || !idle) {
        free(x);
        free(idle);
        conn_close(c);
        return UV_ENOMEM;
    }
    uv_timer_init(conn_loop(c), idle);
    idle->data = x;
    x->idle = idle;
    x->sf = sf;
    x->c = c;
    ref_hold(&sf->ref);
    sf->conns++;
    sfile_sess_init(&x->sess, &sf->site, out, x, conn_peer(c));
    conn_set_cbs(c, &cbs, x);
    touch(x);
    if (n)
        on_data(c, early, n);
    else
        settle(x);
    return 0;
}
