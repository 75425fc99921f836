/* plugin_sess: a plugin's sessions in their host (plugin.h): listed while
 * in their own protocol, bounded (PLUGIN_SESS_MAX), timed
 * (PLUGIN_HANDSHAKE_MS), stopped together, and handed to the host's
 * tunnel set once they are a plain relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "util/log.h"

static void unlink_sess(plugin_sess_t *s)
{
    plugin_host_t *h = s->host;
    if (!h) return;
    if (s->prev)
        s->prev->next = s->next;
    else if (h->head == s)
        h->head = s->next;
    if (s->next) s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->host = NULL;
    h->n--;
}

static void timer_closed(uv_handle_t *t)
{
    free(t);
}

static void stop_timer(plugin_sess_t *s)
{
    if (!s->timer) return;
    uv_close((uv_handle_t *)s->timer, timer_closed);
    s->timer = NULL;
}

/* Stops s once: unlisted first, so that nothing stops it again. */
static void stop_sess(plugin_sess_t *s)
{
    unlink_sess(s);
    stop_timer(s);
    void (*stop)(plugin_sess_t *) = s->stop;
    s->stop = NULL;
    if (stop) stop(s);
}

static void on_timeout(uv_timer_t *t)
{
    plugin_sess_t *s = t->data;
    LOG_LIMITED(LOG_INFO, "plugin handshake timed out proxy=%s plugin=%s src=%s", s->proxy,
                plugin_inst_ops(s->inst)->name, s->src);
    stop_sess(s);
}

static int host_max(const plugin_host_t *h)
{
    return h->max > 0 ? h->max : PLUGIN_SESS_MAX;
}

int plugin_sess_begin(plugin_sess_t *s, const plugin_start_t *st, void (*stop)(plugin_sess_t *s))
{
    plugin_host_t *h = st->host;
    memset(s, 0, sizeof *s);
    if (h->n >= host_max(h)) {
        LOG_LIMITED(LOG_WARN, "plugin sessions at their bound proxy=%s max=%d", LOG_ESC(st->proxy),
                    host_max(h));
        return -1;
    }
    s->timer = malloc(sizeof *s->timer);
    if (!s->timer) return -1;
    uv_timer_init(st->loop, s->timer);
    s->timer->data = s;
    uv_timer_start(s->timer, on_timeout, h->handshake_ms ? h->handshake_ms : PLUGIN_HANDSHAKE_MS,
                   0);
    log_esc(st->proxy, s->proxy, sizeof s->proxy);
    log_esc(st->src ? st->src : "", s->src, sizeof s->src);
    s->inst = st->inst;
    plugin_inst_hold(s->inst);
    s->tag = st->tag;
    s->stop = stop;
    s->host = h;
    s->next = h->head;
    if (h->head) h->head->prev = s;
    h->head = s;
    h->n++;
    return 0;
}

void plugin_sess_settle(plugin_sess_t *s)
{
    stop_timer(s);
}

void plugin_sess_end(plugin_sess_t *s)
{
    unlink_sess(s);
    stop_timer(s);
    s->stop = NULL;
    plugin_inst_drop(s->inst);
    s->inst = NULL;
}

void plugin_sess_relay(plugin_sess_t *s, conn_t *user, conn_t *target, const uint8_t *early,
                       size_t early_len)
{
    static const conn_cbs_t none = {0};
    plugin_host_t *h = s->host;
    const char *what = plugin_inst_ops(s->inst)->name; /* static: the ops table's */
    const void *tag = s->tag;
    conn_set_cbs(user, &none, NULL);
    conn_set_cbs(target, &none, NULL);
    plugin_sess_end(s);
    if (!h) { /* stopped meanwhile: nobody would end the relay */
        conn_close(user);
        conn_close(target);
        return;
    }
    tunnels_relay_tagged(h->tunnels, user, target, early, early_len, what, tag);
}

int plugin_host_stop_all(plugin_host_t *h)
{
    int n = 0;
    while (h->head) {
        stop_sess(h->head);
        n++;
    }
    return n;
}

int plugin_host_stop_tag(plugin_host_t *h, const void *tag)
{
    int n = 0;
    plugin_sess_t *s = h->head;
    while (s) {
        plugin_sess_t *next = s->next;
        if (s->tag == tag) {
            stop_sess(s);
            n++;
            next = h->head; /* a stop may have ended others: start again */
        }
        s = next;
    }
    return n;
}

void plugin_relay(const plugin_start_t *st, conn_t *user, conn_t *target, const uint8_t *early,
                  size_t early_len)
{
    static const conn_cbs_t none = {0};
    conn_set_cbs(user, &none, NULL);
    conn_set_cbs(target, &none, NULL);
    tunnels_relay_tagged(st->host->tunnels, user, target, early, early_len,
                         plugin_inst_ops(st->inst)->name, st->tag);
}
