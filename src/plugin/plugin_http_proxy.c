/* plugin_http_proxy: frp's `http_proxy` plugin: an HTTP forward proxy on
 * each user connection. CONNECT host:port opens a tunnel (200, then bytes
 * both ways); a plain request in absolute form ("GET http://host/path")
 * is sent to its origin with an origin-form target, the URI's Host, the
 * hop-by-hop headers and the credentials removed and "Connection: close":
 * one request per user connection (a client opens a new one for the next;
 * the response says so). With `httpUser`/`httpPassword` set, a request
 * without the right Proxy-Authorization (Basic) gets 407 with
 * Proxy-Authenticate. Anything else gets 400, a failed connect 502.
 *
 * A session (plugin.h) per connection: the head (bounded by
 * HTTP_HEAD_MAX in http_head.c), then the dial with the user's conn
 * paused; the bytes read after the head (a body, a TLS hello) are kept
 * for the target (at most one read's worth, as reading stops at the
 * head). */
#include <stdlib.h>
#include <string.h>

#include "http/http_head.h"
#include "plugin/http_proxy_req.h"
#include "plugin/plugin.h"
#include "plugin/plugin_dial.h"
#include "util/log.h"

enum { H_HEAD, H_DIAL, H_DONE };

typedef struct hp_cfg {
    char *user, *pass; /* NULL: no auth */
} hp_cfg_t;

typedef struct hp {
    plugin_sess_t sess;
    const hp_cfg_t *cfg; /* the instance's (the session holds it) */
    conn_t *user;
    pdial_t *dial;
    int state;
    http_msg_t msg;
    hp_target_t t;  /* points into msg's head */
    uint8_t *early; /* read after the head */
    size_t early_len;
} hp_t;

static const plugin_key_t hp_keys[] = {
    {"httpUser", PK_STR, 0, 0, 0},
    {"httpPassword", PK_STR, 0, 0, 0},
    {NULL, PK_STR, 0, 0, 0},
};

static void hp_destroy(void *state)
{
    hp_cfg_t *c = state;
    if (!c) return;
    free(c->user);
    free(c->pass);
    free(c);
}

/* As frp: auth when either is set (an empty one is then "") */
static int hp_create(const plugin_cfg_t *cfg, void **state, char *why, size_t why_len)
{
    hp_cfg_t *c = calloc(1, sizeof *c);
    const char *u = plugin_param(cfg, "httpUser"), *p = plugin_param(cfg, "httpPassword");
    if (c && ((u && u[0]) || (p && p[0]))) {
        c->user = strdup(u ? u : "");
        c->pass = strdup(p ? p : "");
        if (!c->user || !c->pass) {
            hp_destroy(c);
            c = NULL;
        }
    }
    *state = c;
    if (c) return 0;
    snprintf(why, why_len, "out of memory");
    return -1;
}

/* ---- the session ---------------------------------------------------------- */

static void hp_free(hp_t *s)
{
    plugin_sess_end(&s->sess);
    http_msg_free(&s->msg);
    free(s->early);
    free(s);
}

static void hp_stop(plugin_sess_t *ps)
{
    hp_t *s = (hp_t *)ps;
    pdial_cancel(s->dial);
    s->dial = NULL;
    conn_close(s->user);
}

/* The proxy's own answer, then the end once it is out (hp_shutdown). */
static void hp_answer_close(hp_t *s, int status)
{
    size_t n = 0;
    char *a = hp_answer(status, &n);
    s->state = H_DONE;
    conn_pause(s->user);
    pdial_cancel(s->dial);
    s->dial = NULL;
    if (!a || conn_write(s->user, a, n) < 0) {
        free(a);
        conn_close(s->user);
        return;
    }
    free(a);
    conn_shutdown(s->user);
}

static void on_dialled(void *arg, conn_t *target, int status)
{
    hp_t *s = arg;
    s->dial = NULL;
    if (status != 0) {
        LOG_LIMITED(LOG_INFO, "http_proxy connect failed proxy=%s src=%s dst=%s err=%s",
                    s->sess.proxy, s->sess.src, LOG_ESC(s->t.authority), uv_strerror(status));
        hp_answer_close(s, 502);
        return;
    }
    size_t n = 0;
    char *head = s->t.connect ? hp_answer(200, &n) : hp_origin_head(&s->msg.head, &s->t, &n);
    conn_t *to = s->t.connect ? s->user : target;
    if (!head || conn_write(to, head, n) < 0) {
        free(head);
        conn_close(target);
        conn_close(s->user);
        return;
    }
    free(head);
    conn_t *user = s->user;
    s->user = NULL;
    s->state = H_DONE;
    plugin_sess_relay(&s->sess, user, target, s->early, s->early_len);
    hp_free(s);
}

/* The head is in: answer it or dial its target. */
static void hp_on_head(hp_t *s)
{
    const http_head_t *h = &s->msg.head;
    int r = hp_parse_target(h, &s->t);
    LOG_D("http_proxy request proxy=%s src=%s method=%s target=%s", s->sess.proxy, s->sess.src,
          llhttp_method_name((llhttp_method_t)h->method), LOG_ESC(http_str(h, h->target)));
    if (s->cfg->user && !hp_auth_ok(h, s->cfg->user, s->cfg->pass)) {
        LOG_LIMITED(LOG_INFO, "http_proxy wrong or missing credentials proxy=%s src=%s",
                    s->sess.proxy, s->sess.src);
        hp_answer_close(s, 407);
        return;
    }
    if (r != 0) {
        hp_answer_close(s, 400);
        return;
    }
    conn_pause(s->user); /* until connected; the relay resumes it */
    s->state = H_DIAL;
    s->dial = pdial_start(conn_loop(s->user), s->t.host, s->t.port, on_dialled, s);
    if (!s->dial) hp_answer_close(s, 502);
}

static void hp_data(conn_t *c, const uint8_t *p, size_t n)
{
    hp_t *s = conn_data(c);
    if (s->state != H_HEAD) return; /* paused, or answering */
    int ev = HTTP_EV_NONE;
    long used = http_msg_feed(&s->msg, p, n, &ev);
    if (used < 0) {
        hp_answer_close(s, 400);
        return;
    }
    if (ev != HTTP_EV_HEAD) return; /* all consumed: more to come */
    size_t rest = n - (size_t)used;
    if (rest) {
        s->early = malloc(rest);
        if (!s->early) {
            conn_close(c);
            return;
        }
        memcpy(s->early, p + used, rest);
        s->early_len = rest;
    }
    hp_on_head(s);
}

static void hp_eof(conn_t *c)
{
    hp_t *s = conn_data(c);
    hp_stop(&s->sess);
}

static void hp_error(conn_t *c, int err)
{
    (void)err;
    hp_eof(c);
}

static void hp_shutdown(conn_t *c)
{
    conn_close(c);
}

static void hp_close(conn_t *c)
{
    hp_t *s = conn_data(c);
    pdial_cancel(s->dial);
    hp_free(s);
}

static const conn_cbs_t hp_cbs = {.on_data = hp_data,
                                  .on_eof = hp_eof,
                                  .on_shutdown = hp_shutdown,
                                  .on_error = hp_error,
                                  .on_close = hp_close};

static void hp_serve(const plugin_start_t *st, conn_t *user, const uint8_t *early, size_t early_len)
{
    hp_t *s = calloc(1, sizeof *s);
    if (!s || plugin_sess_begin(&s->sess, st, hp_stop) != 0) {
        free(s);
        conn_abort(user);
        return;
    }
    s->cfg = plugin_inst_state(st->inst);
    s->user = user;
    http_msg_init(&s->msg, HTTP_REQUEST);
    conn_set_cbs(user, &hp_cbs, s);
    if (early_len) hp_data(user, early, early_len);
}

const plugin_ops_t plugin_http_proxy_ops = {
    .name = "http_proxy",
    .keys = hp_keys,
    .create = hp_create,
    .destroy = hp_destroy,
    .serve = hp_serve,
};
