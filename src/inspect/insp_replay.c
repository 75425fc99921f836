/* insp_replay: sends a captured (or edited) request again to the proxy's
 * local service, straight from the client, and records the answer as a new
 * exchange marked replay_of.
 *
 * The request is rebuilt from its parts: the captured framing headers
 * (Content-Length, Transfer-Encoding, Connection) are dropped, the body
 * goes with a recomputed Content-Length and the connection asks to close.
 * Its bytes go through a recorder (insp_rec.h) like a captured exchange's,
 * so the id is known before the connection opens. A replay lives at most
 * INSPECT_REPLAY_TIMEOUT_MS; at most INSPECT_REPLAY_MAX run at once.
 *
 * Ownership: each replay owns its conn and timer and frees itself after
 * both closed; the inspector lists them to close them when it stops. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inspect/insp_int.h"
#include "net/conn.h"
#include "util/log.h"
#include "util/strbuf.h"

struct insp_replay {
    inspector_t *ins;
    conn_t *c;
    uv_timer_t timer;
    insp_rec_t *rec;
    uint64_t id;
    strbuf_t out; /* the request, until connected */
    insp_replay_t *next, *prev;
};

static void unlink_replay(insp_replay_t *r)
{
    inspector_t *ins = r->ins;
    if (r->prev)
        r->prev->next = r->next;
    else if (ins->replays == r)
        ins->replays = r->next;
    if (r->next) r->next->prev = r->prev;
    r->next = r->prev = NULL;
    ins->n_replays--;
}

static void on_timer_closed(uv_handle_t *h)
{
    insp_replay_t *r = h->data;
    free(r->out.p);
    free(r);
}

/* ---- the connection ------------------------------------------------------- */

static void on_close(conn_t *c)
{
    insp_replay_t *r = conn_data(c);
    r->c = NULL;
    insp_rec_destroy(r->rec, insp_now_us());
    r->rec = NULL;
    unlink_replay(r);
    uv_close((uv_handle_t *)&r->timer, on_timer_closed);
}

static void on_ready(conn_t *c, int status)
{
    insp_replay_t *r = conn_data(c);
    if (status != 0) {
        LOG_LIMITED(LOG_INFO, "inspector replay: local connect failed err=%s", uv_strerror(status));
        conn_close(c);
        return;
    }
    if (conn_write(c, r->out.p, r->out.len) < 0) conn_close(c);
    free(r->out.p);
    r->out = (strbuf_t){0};
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    insp_replay_t *r = conn_data(c);
    insp_rec_feed(r->rec, INSP_RESP, p, n, insp_now_us());
    /* Done once the exchange is in the ring (or recording gave up). */
    if (insp_rec_stopped(r->rec) || insp_ring_find(&r->ins->ring, r->id)) conn_close(c);
}

static void on_eof(conn_t *c)
{
    conn_close(c);
}

static void on_error(conn_t *c, int err)
{
    (void)err;
    conn_close(c);
}

static const conn_cbs_t replay_cbs = {
    .on_ready = on_ready,
    .on_data = on_data,
    .on_eof = on_eof,
    .on_error = on_error,
    .on_close = on_close,
};

static void on_timeout(uv_timer_t *t)
{
    insp_replay_t *r = t->data;
    if (r->c) conn_close(r->c);
}

/* ---- building the request ------------------------------------------------- */

static bool is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (!*s) return false;
    for (; *s; s++) {
        char ch = *s;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr(extra, ch);
        if (!ok) return false;
    }
    return true;
}

/* No control characters (CR/LF would smuggle a header); spaces only where allowed. */
static bool is_text(const char *s, bool spaces)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 && ch != '\t') return false;
        if (ch == 0x7f || (!spaces && (ch == ' ' || ch == '\t'))) return false;
    }
    return true;
}

static bool framing_header(const char *name)
{
    return strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0 ||
           strcasecmp(name, "connection") == 0;
}

static void put(strbuf_t *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

/* The request's bytes into b; NULL, or why it cannot be sent. */
static const char *build(strbuf_t *b, const insp_req_t *q)
{
    if (!is_token(q->method)) return "method: not a token";
    if (!q->target[0] || !is_text(q->target, false)) return "target: empty or has spaces/controls";
    put(b, q->method);
    put(b, " ");
    put(b, q->target);
    put(b, " HTTP/1.1\r\n");
    for (int i = 0; i < q->n_hdr; i++) {
        const char *n = q->hdr[2 * i], *v = q->hdr[2 * i + 1];
        if (!is_token(n)) return "headers: a name is not a token";
        if (!is_text(v, true)) return "headers: a value holds control characters";
        if (framing_header(n)) continue;
        put(b, n);
        put(b, ": ");
        put(b, v);
        put(b, "\r\n");
    }
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", q->body_len);
    bool bodyless =
        !q->body_len && (strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0 ||
                         strcmp(q->method, "DELETE") == 0);
    if (!bodyless) put(b, cl);
    put(b, "Connection: close\r\n\r\n");
    strbuf_put(b, (const char *)q->body, q->body_len);
    return b->failed ? "out of memory" : NULL;
}

/* ---- start ------------------------------------------------------------------ */

int64_t insp_replay_start(inspector_t *ins, const char *proxy, uint64_t of, const insp_req_t *req,
                          const char **why)
{
    struct sockaddr_storage ss;
    if (ins->n_replays >= INSPECT_REPLAY_MAX) {
        *why = "too many replays in flight";
        return -2;
    }
    if (!ins->resolve || ins->resolve(ins->resolve_ctx, proxy, &ss) != 0) {
        *why = "the proxy is gone from the configuration";
        return -1;
    }
    insp_replay_t *r = calloc(1, sizeof *r);
    if (!r) {
        *why = "out of memory";
        return -1;
    }
    r->ins = ins;
    if ((*why = build(&r->out, req))) {
        free(r->out.p);
        free(r);
        return -1;
    }
    const insp_rec_opts_t o = {
        .proxy = proxy, .src = "replay", .body_max = (size_t)ins->cfg->body_max, .replay_of = of};
    r->rec = insp_rec_create(&ins->ring, &o);
    if (r->rec)
        insp_rec_feed(r->rec, INSP_REQ, (const uint8_t *)r->out.p, r->out.len, insp_now_us());
    r->id = r->rec ? insp_rec_first_id(r->rec) : 0;
    r->c = r->id ? conn_new(ins->loop, &replay_cbs, r) : NULL;
    if (!r->c) {
        insp_rec_destroy(r->rec, insp_now_us());
        free(r->out.p);
        free(r);
        *why = "cannot record (ring full of unfinished exchanges) or out of memory";
        return -1;
    }
    uv_timer_init(ins->loop, &r->timer);
    r->timer.data = r;
    r->next = ins->replays;
    if (r->next) r->next->prev = r;
    ins->replays = r;
    ins->n_replays++;
    uv_timer_start(&r->timer, on_timeout, INSPECT_REPLAY_TIMEOUT_MS, 0);
    if (conn_connect(r->c, (struct sockaddr *)&ss, NULL, NULL, NULL) != 0) conn_close(r->c);
    return (int64_t)r->id;
}

void insp_replay_close_all(inspector_t *ins)
{
    for (insp_replay_t *r = ins->replays; r; r = r->next)
        if (r->c) conn_close(r->c);
}
