/* netlib: a real uv loop for the loop-level unit tests (test_conn.c,
 * test_relay.c), in the way of libuv's test/task.h: connections over
 * 127.0.0.1, callbacks counted per endpoint, and runs bounded by a
 * watchdog timer instead of sleeps. */
#ifndef BURROW_NETLIB_H
#define BURROW_NETLIB_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/addr.h"
#include "net/conn.h"
#include "net/listener.h"

#define NL_WATCHDOG_MS 5000 /* a test that waits longer has failed */
#define NL_GOT_MAX (4 * 1024 * 1024)

/* One endpoint: its conn and what its callbacks saw. */
typedef struct nl_end {
    conn_t *c;
    int ready, ready_status, data, eof, drain, shutdown, error, closed, after_close;
    size_t got_len;
    uint8_t *got;       /* NL_GOT_MAX bytes, everything on_data delivered */
    bool close_on_data; /* conn_close() from inside on_data */
    bool discard;       /* count bytes only */
} nl_end_t;

static uv_loop_t nl_loop;
static uv_timer_t nl_watchdog;
static bool nl_timed_out;

static void nl_on_watchdog(uv_timer_t *t)
{
    (void)t;
    nl_timed_out = true;
}

static void nl_setup(void)
{
    uv_loop_init(&nl_loop);
    uv_timer_init(&nl_loop, &nl_watchdog);
    nl_timed_out = false;
}

/* Runs the loop until *flag >= want or the watchdog fires; true when reached. */
static bool nl_run_until(const int *flag, int want)
{
    nl_timed_out = false;
    uv_timer_start(&nl_watchdog, nl_on_watchdog, NL_WATCHDOG_MS, 0);
    while (*flag < want && !nl_timed_out)
        uv_run(&nl_loop, UV_RUN_ONCE);
    uv_timer_stop(&nl_watchdog);
    return *flag >= want;
}

/* Until e saw on_eof or on_error (a peer that closed with unread data
 * sends a reset). */
static bool nl_run_until_end(const nl_end_t *e)
{
    nl_timed_out = false;
    uv_timer_start(&nl_watchdog, nl_on_watchdog, NL_WATCHDOG_MS, 0);
    while (!e->eof && !e->error && !nl_timed_out)
        uv_run(&nl_loop, UV_RUN_ONCE);
    uv_timer_stop(&nl_watchdog);
    return e->eof || e->error;
}

static bool nl_run_until_len(const size_t *len, size_t want)
{
    nl_timed_out = false;
    uv_timer_start(&nl_watchdog, nl_on_watchdog, NL_WATCHDOG_MS, 0);
    while (*len < want && !nl_timed_out)
        uv_run(&nl_loop, UV_RUN_ONCE);
    uv_timer_stop(&nl_watchdog);
    return *len >= want;
}

/* Closes the watchdog, runs the loop dry and closes it: 0 when every handle
 * was gone (nothing leaked onto the loop). */
static int nl_teardown(void)
{
    uv_close((uv_handle_t *)&nl_watchdog, NULL);
    uv_run(&nl_loop, UV_RUN_DEFAULT);
    return uv_loop_close(&nl_loop);
}

/* ---- counting callbacks ------------------------------------------------ */

static void nl_on_ready(conn_t *c, int status)
{
    nl_end_t *e = conn_data(c);
    if (e->closed) e->after_close++;
    e->ready++;
    e->ready_status = status;
}

static void nl_on_data(conn_t *c, const uint8_t *p, size_t n)
{
    nl_end_t *e = conn_data(c);
    if (e->closed) e->after_close++;
    e->data++;
    if (!e->discard && e->got && e->got_len + n <= NL_GOT_MAX) memcpy(e->got + e->got_len, p, n);
    e->got_len += n;
    if (e->close_on_data) conn_close(c);
}

static void nl_on_eof(conn_t *c)
{
    nl_end_t *e = conn_data(c);
    if (e->closed) e->after_close++;
    e->eof++;
}

static void nl_on_drain(conn_t *c)
{
    nl_end_t *e = conn_data(c);
    if (e->closed) e->after_close++;
    e->drain++;
}

static void nl_on_shutdown(conn_t *c)
{
    nl_end_t *e = conn_data(c);
    if (e->closed) e->after_close++;
    e->shutdown++;
}

static void nl_on_error(conn_t *c, int err)
{
    nl_end_t *e = conn_data(c);
    (void)err;
    if (e->closed) e->after_close++;
    e->error++;
}

static void nl_on_close(conn_t *c)
{
    nl_end_t *e = conn_data(c);
    if (e->closed) e->after_close++;
    e->closed++;
    e->c = NULL;
}

static const conn_cbs_t nl_cbs = {
    .on_ready = nl_on_ready,
    .on_data = nl_on_data,
    .on_eof = nl_on_eof,
    .on_drain = nl_on_drain,
    .on_shutdown = nl_on_shutdown,
    .on_error = nl_on_error,
    .on_close = nl_on_close,
};

static void nl_end_init(nl_end_t *e)
{
    memset(e, 0, sizeof *e);
    e->got = malloc(NL_GOT_MAX);
}

static void nl_end_free(nl_end_t *e)
{
    free(e->got);
    e->got = NULL;
}

/* ---- a listener that adopts each accepted conn into the next endpoint ---- */

typedef struct nl_server {
    listener_t l;
    nl_end_t *next[4]; /* endpoints to adopt accepted conns, in order */
    int accepted, refused;
    bool started; /* conn_start() right away */
    const conn_cbs_t *cbs;
} nl_server_t;

static void nl_on_conn(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    nl_server_t *s = l->data;
    (void)peer;
    nl_end_t *e = s->accepted < 4 ? s->next[s->accepted] : NULL;
    s->accepted++;
    if (!e) {
        conn_close(c);
        return;
    }
    e->c = c;
    conn_set_cbs(c, s->cbs ? s->cbs : &nl_cbs, e);
    if (s->started) conn_start(c);
}

static void nl_on_refused(listener_t *l, listener_refusal_t why,
                          const struct sockaddr_storage *peer)
{
    nl_server_t *s = l->data;
    (void)why;
    (void)peer;
    s->refused++;
}

/* Listens on 127.0.0.1, any port; max_live 0 for no cap. */
static int nl_listen(nl_server_t *s, int max_live)
{
    struct sockaddr_storage ss;
    listener_opts_t o = {.what = "test", .max_live = max_live, .on_refused = nl_on_refused};
    addr_parse("127.0.0.1", 0, &ss);
    int r = listener_init(&nl_loop, &s->l, &o, nl_on_conn, s);
    return r ? r : listener_listen(&s->l, (struct sockaddr *)&ss);
}

/* Dials s from e (TLS when ctx is set). */
static int nl_dial(nl_server_t *s, nl_end_t *e, SSL_CTX *ctx)
{
    struct sockaddr_storage ss;
    addr_parse("127.0.0.1", listener_port(&s->l), &ss);
    e->c = conn_new(&nl_loop, &nl_cbs, e);
    if (!e->c) return -1;
    return conn_connect(e->c, (struct sockaddr *)&ss, ctx, ctx ? "burrow" : NULL, NULL);
}

#endif
