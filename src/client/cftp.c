/* cftp: an FTP-aware tcp proxy's control connections on the client.
 *
 * Instead of a plain relay, a control connection (work conn ⇄ local FTP
 * server) is pumped line by line through ftp/ftp_rewrite.c. A passive answer
 * from the FTP server (227/229) is held, with everything after it, while
 * FTP_DATA_PORT asks the burrow server for a data port; the answer goes to
 * the user rewritten to the server's address and that port, and the FTP
 * server's data address is remembered under the request's id. The data
 * connection then arrives as a work conn whose START_WORK names the id
 * (cftp_data_target), and cwork.c joins it to that address with a plain
 * relay. Commands: AUTH answered 2xx turns rewriting off for good (FTPS:
 * the rest is TLS; logged once per proxy); PORT/EPRT (active mode) are
 * rewritten to name a LAN-side listener of cftp_active.c, which joins the
 * FTP server's data connection to a dial the server makes to the user.
 *
 * Ownership: a cftp_t owns both conns (listed in cli->ftps until both
 * closed) and holds a reference to its proxy. Bounds: a line is at most
 * FTP_LINE_MAX bytes (longer ones pass unchanged), bytes held behind a
 * passive answer at most CFTP_HELD_MAX, a conn's write queue pauses the
 * other side above CONN_HIGH_WATER, data targets per connection
 * CFTP_TARGETS (the oldest is forgotten). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "ftp/ftp_rewrite.h"
#include "net/addr.h"
#include "proto/ctl.h"
#include "proto/msg.h"
#include "util/log.h"

#define CFTP_HELD_MAX (64 * 1024)
#define CFTP_TARGETS 4
#define CFTP_WAIT_MS 5000 /* for FTP_DATA_PORT_RESP; then the answer goes on unchanged */

typedef struct target {
    uint32_t id; /* 0: free */
    struct sockaddr_storage addr;
} target_t;

struct cftp {
    cli_t *cli;
    cproxy_t *proxy; /* holds a reference */
    cftp_t *next, *prev;
    conn_t *work, *local; /* NULL once closed */
    ftp_lines_t up;       /* commands, from the user */
    ftp_lines_t down;     /* replies, from the FTP server */
    bool auth_pending;    /* AUTH sent: a 2xx reply means TLS from here on */
    bool tls;             /* no more rewriting */
    bool up_eof, down_eof;
    uint32_t wait_id;             /* nonzero: a passive answer waits for its data port */
    bool wait_epsv;               /* ... and it is a 229 */
    char wait_line[FTP_LINE_MAX]; /* ... as the FTP server wrote it */
    size_t wait_len;
    struct sockaddr_storage wait_addr; /* the FTP server's data address */
    uint8_t *held;                     /* replies after it, until then */
    size_t held_len;
    target_t targets[CFTP_TARGETS];
    int next_target;
    char peer[64];         /* the user's address (START_WORK src) */
    uv_timer_t wait_timer; /* CFTP_WAIT_MS; closed last, its callback frees */
};

static const conn_cbs_t none_cbs = {0};

static void cftp_close(cftp_t *f)
{
    if (f->work) conn_close(f->work);
    if (f->local) conn_close(f->local);
}

/* Writes to dst, pausing src while dst's queue is over the high water. */
static void put(cftp_t *f, conn_t *dst, conn_t *src, const void *p, size_t n)
{
    if (!dst || n == 0) return;
    if (conn_write(dst, p, n) < 0) {
        cftp_close(f);
        return;
    }
    if (src && conn_pending(dst) > CONN_HIGH_WATER) conn_pause(src);
}

static void log_ftps_once(cftp_t *f)
{
    if (f->proxy->ftps_logged) return;
    f->proxy->ftps_logged = true;
    LOG_I("ftp: AUTH accepted, the control connection is TLS from here on; passive answers "
          "cannot be rewritten (FTPS needs the port-range route) proxy=%s",
          f->proxy->cfg->name);
}

/* ---- replies: FTP server → user ----------------------------------------- */

static void send_line(cftp_t *f, const char *s, size_t n)
{
    put(f, f->work, f->local, s, n);
}

static void answer(cftp_t *f, const json_t *m);

/* No answer (an older server, or the control connection went down): the
 * FTP server's answer goes on unchanged. */
static void on_wait_timeout(uv_timer_t *t)
{
    cftp_t *f = t->data;
    json_t *m = json_pack("{s:s}", "error", "no answer from the server");
    answer(f, m);
    json_decref(m);
}

/* A passive answer: ask the server for a data port, hold what follows. */
static bool start_wait(cftp_t *f, const ftp_lines_t *l)
{
    uint8_t ip[4];
    uint16_t port;
    bool epsv = ftp_parse_229(l->buf, l->len, &port) == 0;
    if (!epsv && ftp_parse_227(l->buf, l->len, ip, &port) != 0) return false;
    cli_t *c = f->cli;
    if (!c || !client_ready(c)) return false;
    /* The data port is on the host of the control connection (localIP):
     * a 227's address is often wrong behind NAT (a pasv_address set for
     * the router, 0.0.0.0), which is the very problem being solved. */
    f->wait_addr = f->proxy->local;
    if (f->wait_addr.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&f->wait_addr)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)&f->wait_addr)->sin_port = htons(port);
    if (++c->ftp_seq == 0) c->ftp_seq = 1;
    f->wait_id = c->ftp_seq;
    f->wait_epsv = epsv;
    memcpy(f->wait_line, l->buf, l->len);
    f->wait_len = l->len;
    (void)ctl_write(c->ctl, MSG_FTP_DATA_PORT,
                    json_pack("{s:s,s:I,s:s}", "proxy", f->proxy->wire_name, "id",
                              (json_int_t)f->wait_id, "peer", f->peer));
    if (f->local) conn_pause(f->local);
    uv_timer_start(&f->wait_timer, on_wait_timeout, CFTP_WAIT_MS, 0);
    return true;
}

static void reply_line(cftp_t *f, const ftp_lines_t *l)
{
    bool plain = l->whole && !l->overlong;
    if (plain && f->auth_pending) {
        f->auth_pending = false;
        f->tls = l->buf[0] == '2';
        if (f->tls) log_ftps_once(f);
    }
    if (!plain || f->tls || !start_wait(f, l)) send_line(f, l->buf, l->len);
}

static void hold(cftp_t *f, const uint8_t *p, size_t n)
{
    if (f->held_len + n > CFTP_HELD_MAX) {
        LOG_LIMITED(LOG_WARN,
                    "ftp: too much from the FTP server while a data port is asked for "
                    "proxy=%s",
                    f->proxy->cfg->name);
        cftp_close(f);
        return;
    }
    uint8_t *h = realloc(f->held, f->held_len + n);
    if (!h) {
        cftp_close(f);
        return;
    }
    memcpy(h + f->held_len, p, n);
    f->held = h;
    f->held_len += n;
}

static void down_feed(cftp_t *f, const uint8_t *p, size_t n)
{
    while (n > 0 && f->work) {
        if (f->wait_id) {
            hold(f, p, n);
            return;
        }
        if (f->tls) {
            send_line(f, (const char *)p, n);
            return;
        }
        size_t k = ftp_lines_take(&f->down, p, n);
        p += k;
        n -= k;
        if (!ftp_lines_ready(&f->down)) return;
        reply_line(f, &f->down);
        ftp_lines_reset(&f->down);
    }
}

static void down_eof(cftp_t *f)
{
    if (f->wait_id) return; /* finished once the answer is out */
    send_line(f, f->down.buf, f->down.len);
    f->down.len = 0;
    if (f->work) conn_shutdown(f->work);
    if (f->up_eof) cftp_close(f);
}

/* ---- commands: user → FTP server ---------------------------------------- */

static void reply_user(cftp_t *f, const char *s)
{
    put(f, f->work, NULL, s, strlen(s));
}

/* PORT/EPRT: the user's address goes to cftp_active.c (the server checks
 * it is the user's own), the FTP server is told burrow's LAN listener and
 * answers the user itself (200, or its own refusal). */
static void active_command(cftp_t *f, const ftp_lines_t *l, ftp_cmd_t cmd)
{
    ftp_hostport_t hp;
    struct sockaddr_storage ua, lan;
    char target[CONN_PEER_LEN], line[128];
    int r = cmd == FTP_CMD_PORT ? ftp_parse_port(l->buf, l->len, &hp)
                                : ftp_parse_eprt(l->buf, l->len, &hp);
    if (r != 0 || addr_parse(hp.addr, hp.port, &ua) != 0) {
        reply_user(f, "501 Syntax error in parameters or arguments.\r\n");
        return;
    }
    addr_format((struct sockaddr *)&ua, target, sizeof target);
    cli_t *c = f->cli;
    if (++c->ftp_seq == 0) c->ftp_seq = 1;
    int e = cfa_open(c, f->proxy, f, f->local, c->ftp_seq, f->peer, target, &lan);
    ftp_hostport_t mine = {.af = 1};
    size_t n = 0;
    if (e == 0) {
        mine.af = lan.ss_family == AF_INET6 ? 2 : 1;
        addr_ip((struct sockaddr *)&lan, mine.addr, sizeof mine.addr);
        mine.port = (uint16_t)addr_port((struct sockaddr *)&lan);
        n = ftp_format_active(line, sizeof line, &mine, cmd == FTP_CMD_EPRT);
    }
    if (n == 0) {
        LOG_LIMITED(LOG_WARN, "ftp active: no data listener proxy=%s err=%s",
                    LOG_ESC(f->proxy->cfg->name), uv_strerror(e));
        reply_user(f, "425 burrow cannot take an active data connection now; use PASV.\r\n");
        return;
    }
    LOG_D("ftp active proxy=%s user=%s lan=%s:%u", LOG_ESC(f->proxy->cfg->name), LOG_ESC(target),
          mine.addr, mine.port);
    put(f, f->local, f->work, line, n);
}

static void command_line(cftp_t *f, const ftp_lines_t *l)
{
    ftp_cmd_t cmd = l->whole && !l->overlong ? ftp_command(l->buf, l->len) : FTP_CMD_OTHER;
    if (cmd == FTP_CMD_PORT || cmd == FTP_CMD_EPRT) {
        active_command(f, l, cmd);
        return;
    }
    if (cmd == FTP_CMD_AUTH) f->auth_pending = true;
    put(f, f->local, f->work, l->buf, l->len);
}

static void up_feed(cftp_t *f, const uint8_t *p, size_t n)
{
    while (n > 0 && f->local) {
        if (f->tls) {
            put(f, f->local, f->work, p, n);
            return;
        }
        size_t k = ftp_lines_take(&f->up, p, n);
        p += k;
        n -= k;
        if (!ftp_lines_ready(&f->up)) return;
        command_line(f, &f->up);
        ftp_lines_reset(&f->up);
    }
}

/* ---- the server's answer ------------------------------------------------ */

static void remember(cftp_t *f, uint32_t id)
{
    target_t *t = &f->targets[f->next_target];
    f->next_target = (f->next_target + 1) % CFTP_TARGETS;
    t->id = id;
    t->addr = f->wait_addr;
}

/* The rewritten answer, or 0 when the server's address cannot be written
 * in it (227 takes IPv4 only). */
static size_t rewrite(cftp_t *f, const char *addr, int port, char *out, size_t size)
{
    if (port <= 0 || port > 65535) return 0;
    if (f->wait_epsv) return ftp_format_229(out, size, (uint16_t)port);
    struct sockaddr_storage a;
    if (!addr || addr_parse(addr, port, &a) != 0 || a.ss_family != AF_INET) return 0;
    const uint8_t *ip = (const uint8_t *)&((struct sockaddr_in *)&a)->sin_addr;
    return ftp_format_227(out, size, ip, (uint16_t)port);
}

static void answer(cftp_t *f, const json_t *m)
{
    char line[128];
    const char *err = msg_str(m, "error");
    size_t n =
        err ? 0 : rewrite(f, msg_str(m, "addr"), (int)msg_int(m, "port", 0), line, sizeof line);
    if (n) {
        remember(f, f->wait_id);
        send_line(f, line, n);
    } else {
        LOG_LIMITED(LOG_WARN, "ftp: no data port from the server proxy=%s error=%s",
                    f->proxy->cfg->name, LOG_ESC(err ? err : "unusable address"));
        send_line(f, f->wait_line, f->wait_len);
    }
    f->wait_id = 0;
    uv_timer_stop(&f->wait_timer);
    uint8_t *held = f->held;
    size_t held_len = f->held_len;
    f->held = NULL;
    f->held_len = 0;
    down_feed(f, held, held_len);
    free(held);
    if (f->wait_id) return; /* another passive answer came right after */
    if (f->down_eof)
        down_eof(f);
    else if (f->local)
        conn_resume(f->local);
}

void cftp_on_data_port(void *owner, json_t *m)
{
    cli_t *c = owner;
    uint32_t id = (uint32_t)msg_int(m, "id", 0);
    for (cftp_t *f = c->ftps; id && f; f = f->next)
        if (f->wait_id == id) {
            answer(f, m);
            return;
        }
}

bool cftp_data_target(cli_t *c, uint32_t id, struct sockaddr_storage *out)
{
    for (cftp_t *f = c->ftps; id && f; f = f->next)
        for (int i = 0; i < CFTP_TARGETS; i++)
            if (f->targets[i].id == id) {
                *out = f->targets[i].addr;
                f->targets[i].id = 0; /* one data connection per answer */
                return true;
            }
    return false;
}

/* ---- conns -------------------------------------------------------------- */

static void on_data(conn_t *conn, const uint8_t *p, size_t n)
{
    cftp_t *f = conn_data(conn);
    if (conn == f->work)
        up_feed(f, p, n);
    else
        down_feed(f, p, n);
}

static void on_eof(conn_t *conn)
{
    cftp_t *f = conn_data(conn);
    if (conn == f->local) {
        f->down_eof = true;
        down_eof(f);
        return;
    }
    f->up_eof = true;
    put(f, f->local, NULL, f->up.buf, f->up.len);
    f->up.len = 0;
    if (f->local) conn_shutdown(f->local);
    if (f->down_eof && !f->wait_id) cftp_close(f);
}

static void on_drain(conn_t *conn)
{
    cftp_t *f = conn_data(conn);
    conn_t *src = conn == f->work ? f->local : f->work;
    if (src && !(src == f->local && f->wait_id)) conn_resume(src);
}

static void on_error(conn_t *conn, int err)
{
    (void)err;
    cftp_close(conn_data(conn));
}

static void unlink_cftp(cftp_t *f)
{
    cli_t *c = f->cli;
    if (!c) return;
    if (f->prev)
        f->prev->next = f->next;
    else if (c->ftps == f)
        c->ftps = f->next;
    if (f->next) f->next->prev = f->prev;
    f->cli = NULL;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_close(conn_t *conn)
{
    cftp_t *f = conn_data(conn);
    if (conn == f->work) f->work = NULL;
    if (conn == f->local) f->local = NULL;
    if (f->work || f->local) {
        cftp_close(f);
        return;
    }
    if (f->cli) cfa_close_owner(f->cli, f);
    unlink_cftp(f);
    cproxy_drop(f->proxy);
    free(f->held);
    f->held = NULL;
    uv_close((uv_handle_t *)&f->wait_timer, on_timer_closed);
}

static const conn_cbs_t cftp_cbs = {
    .on_data = on_data,
    .on_eof = on_eof,
    .on_drain = on_drain,
    .on_error = on_error,
    .on_close = on_close,
};

void cftp_start(cli_t *c, cproxy_t *p, conn_t *work, conn_t *local, const uint8_t *early,
                size_t early_len, const char *peer)
{
    cftp_t *f = calloc(1, sizeof *f);
    if (!f) {
        conn_set_cbs(work, &none_cbs, NULL);
        conn_set_cbs(local, &none_cbs, NULL);
        conn_close(work);
        conn_close(local);
        return;
    }
    f->cli = c;
    f->proxy = p;
    cproxy_hold(p);
    uv_timer_init(c->loop, &f->wait_timer);
    f->wait_timer.data = f;
    f->work = work;
    f->local = local;
    snprintf(f->peer, sizeof f->peer, "%s", peer ? peer : "");
    f->next = c->ftps;
    if (c->ftps) c->ftps->prev = f;
    c->ftps = f;
    conn_set_cbs(work, &cftp_cbs, f);
    conn_set_cbs(local, &cftp_cbs, f);
    up_feed(f, early, early_len);
    if (f->work) conn_resume(f->work);
    if (f->local) conn_resume(f->local);
}

void cftp_close_proxy(cli_t *c, const cproxy_t *p)
{
    for (cftp_t *f = c->ftps; f; f = f->next)
        if (!p || f->proxy == p) cftp_close(f);
}

void cftp_close_all(cli_t *c)
{
    cftp_close_proxy(c, NULL);
}
