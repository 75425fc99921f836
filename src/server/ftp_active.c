/* ftp_active: dials to FTP users for active-mode data connections (see the
 * header). A dial is an fad_t in srv->ftp_active while it connects, owned
 * by that list until it connects, fails, expires or its session ends. Its
 * memory lives while something still points at it: the deadline timer
 * until closed, and the dialled conn until it closes or goes to a relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "proto/msg.h"
#include "server/ftp_active.h"
#include "server/work_pool.h"
#include "util/log.h"

typedef struct fad {
    srv_t *srv;
    session_t *ss; /* NULL once the session ended */
    struct fad *next;
    conn_t *conn; /* owned until closed or relayed */
    uv_timer_t deadline;
    work_req_t req;
    int refs; /* the timer's and the conn's */
    bool listed, timer_closing;
    uint32_t id;
    char proxy[128];
    char target[CONN_PEER_LEN];
} fad_t;

static void fad_drop(fad_t *f)
{
    if (--f->refs == 0) free(f);
}

static void on_timer_closed(uv_handle_t *h)
{
    fad_drop(h->data);
}

/* Out of the list, deadline closed: the dial is over either way. */
static void fad_end_wait(fad_t *f)
{
    if (f->listed) {
        for (fad_t **pp = (fad_t **)&f->srv->ftp_active; *pp; pp = &(*pp)->next)
            if (*pp == f) {
                *pp = f->next;
                break;
            }
        f->listed = false;
    }
    if (!f->timer_closing) {
        f->timer_closing = true;
        uv_close((uv_handle_t *)&f->deadline, on_timer_closed);
    }
}

static void send_fail(session_t *ss, uint32_t id, const char *err)
{
    if (ss)
        session_send(ss, MSG_FTP_ACTIVE_FAIL,
                     json_pack("{s:I,s:s}", "id", (json_int_t)id, "error", err));
}

static void fad_fail(fad_t *f, const char *err)
{
    fad_end_wait(f);
    send_fail(f->ss, f->id, err);
    if (f->conn) conn_close(f->conn);
}

static void on_deadline(uv_timer_t *t)
{
    fad_t *f = t->data;
    LOG_LIMITED(LOG_INFO, "ftp active: dial timed out proxy=%s target=%s", LOG_ESC(f->proxy),
                LOG_ESC(f->target));
    fad_fail(f, "dial timed out");
}

static void on_work(work_req_t *req, conn_t *work)
{
    fad_t *f = req->data;
    conn_t *user = f->conn;
    f->conn = NULL;
    sproxy_t *p = (sproxy_t *)req->owner;
    sproxy_relay_counted(f->srv, p, user, work, NULL, 0, "ftp-active");
    fad_drop(f); /* the conn's: the relay owns it now */
}

static void on_no_work(work_req_t *req, int reason)
{
    fad_t *f = req->data;
    LOG_D("ftp active data connection without work conn reason=%s",
          work_cancel_reason_name(reason));
    conn_close(f->conn);
}

static void on_ready(conn_t *c, int status)
{
    fad_t *f = conn_data(c);
    if (status != 0) {
        LOG_LIMITED(LOG_INFO, "ftp active: dial failed proxy=%s target=%s err=%s",
                    LOG_ESC(f->proxy), LOG_ESC(f->target), uv_strerror(status));
        fad_fail(f, "dial failed");
        return;
    }
    fad_end_wait(f);
    sproxy_t *p = f->ss ? server_find_proxy(f->srv, f->proxy) : NULL;
    if (!p || p->sess != f->ss) {
        send_fail(f->ss, f->id, "proxy closed");
        conn_close(c);
        return;
    }
    conn_pause(c);
    char dst[64];
    work_req_init(&f->req, on_work, on_no_work, f, f->target,
                  server_local_addr(c, dst, sizeof dst));
    f->req.ftp_active = f->id;
    session_request_work(p->sess, p, &f->req);
}

static void on_close(conn_t *c)
{
    fad_t *f = conn_data(c);
    f->conn = NULL;
    fad_drop(f);
}

static const conn_cbs_t dial_cbs = {.on_ready = on_ready, .on_close = on_close};

/* Same IP and a port above the well-known ones, or why not. */
const char *ftp_active_refusal(const char *peer, const char *target)
{
    struct sockaddr_storage pa, ta, pu, tu;
    char pip[64], tip[64];
    if (!peer || addr_parse_text(peer, &pa) != 0) return "bad peer";
    if (!target || addr_parse_text(target, &ta) != 0) return "bad target";
    addr_unmap_v4((struct sockaddr *)&pa, &pu);
    addr_unmap_v4((struct sockaddr *)&ta, &tu);
    addr_ip((struct sockaddr *)&pu, pip, sizeof pip);
    addr_ip((struct sockaddr *)&tu, tip, sizeof tip);
    if (strcmp(pip, tip) != 0) return "target is not the user's address";
    if (addr_port((struct sockaddr *)&tu) < FTP_ACTIVE_MIN_PORT) return "target port below 1024";
    return NULL;
}

static int count_for(srv_t *s, session_t *ss)
{
    int n = 0;
    for (fad_t *f = s->ftp_active; f; f = f->next)
        n += f->ss == ss;
    return n;
}

static bool owns_tcp_proxy(srv_t *s, session_t *ss, const char *name)
{
    sproxy_t *p = name ? server_find_proxy(s, name) : NULL;
    return p && p->sess == ss && strcmp(p->ops->type, "tcp") == 0;
}

static fad_t *fad_new(srv_t *s, session_t *ss, uint32_t id, const char *proxy, const char *target)
{
    fad_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->conn = conn_new(s->loop, &dial_cbs, f);
    if (!f->conn) {
        free(f);
        return NULL;
    }
    f->srv = s;
    f->ss = ss;
    f->id = id;
    f->refs = 2;
    snprintf(f->proxy, sizeof f->proxy, "%s", proxy);
    snprintf(f->target, sizeof f->target, "%s", target);
    uv_timer_init(s->loop, &f->deadline);
    f->deadline.data = f;
    f->next = s->ftp_active;
    s->ftp_active = f;
    f->listed = true;
    return f;
}

void ftp_active_dial(srv_t *s, session_t *ss, const json_t *m)
{
    uint32_t id = (uint32_t)msg_int(m, "id", 0);
    const char *proxy = msg_str(m, "proxy"), *peer = msg_str(m, "peer");
    const char *target = msg_str(m, "target");
    if (!owns_tcp_proxy(s, ss, proxy)) return send_fail(ss, id, "unknown tcp proxy");
    const char *why = ftp_active_refusal(peer, target);
    if (why) {
        /* The FTP bounce attack (RFC 2577 §3) or a broken client: the user
         * is whoever connected; the address is theirs to name. */
        LOG_LIMITED(LOG_WARN, "ftp active: refused proxy=%s peer=%s target=%s reason=\"%s\"",
                    LOG_ESC(proxy), LOG_ESC(peer), LOG_ESC(target), why);
        return send_fail(ss, id, why);
    }
    if (count_for(s, ss) >= FTP_ACTIVE_MAX) return send_fail(ss, id, "too many dials");
    struct sockaddr_storage ta;
    (void)addr_parse_text(target, &ta);
    fad_t *f = fad_new(s, ss, id, proxy, target);
    if (!f) return send_fail(ss, id, "out of memory");
    uv_timer_start(&f->deadline, on_deadline, FTP_ACTIVE_DIAL_MS, 0);
    int r = conn_connect(f->conn, (struct sockaddr *)&ta, NULL, NULL, NULL);
    if (r != 0) {
        LOG_LIMITED(LOG_INFO, "ftp active: dial failed proxy=%s target=%s err=%s",
                    LOG_ESC(f->proxy), LOG_ESC(f->target), uv_strerror(r));
        fad_fail(f, "dial failed");
        return;
    }
    LOG_D("ftp active dial proxy=%s id=%u target=%s", LOG_ESC(proxy), id, LOG_ESC(target));
}

void ftp_active_session_end(srv_t *s, session_t *ss)
{
    fad_t *f = s->ftp_active;
    while (f) {
        fad_t *next = f->next;
        if (f->ss == ss) {
            f->ss = NULL;
            fad_fail(f, "session ended");
        }
        f = next;
    }
}
