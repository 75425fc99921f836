/* work_pool: idle work conns, waiting requests, and the delivery of both.
 *
 * The pool keeps `target` idle work conns and one more for every waiting
 * request, and asks for a shortfall once, not once per event:
 * want = waiting + target - idle - on_the_way. `on_the_way` is what was
 * asked for in the last WORK_REASK_MS minus what arrived in that time: a
 * work conn that does not come within WORK_REASK_MS (refused, reset, lost
 * with a flaky link) drops out of the window and is asked for again. This
 * needs no matching of arrivals to requests, so a loss cannot hide behind
 * later arrivals (matching them first-in-first-out would keep a standing
 * queue as long as the load lasts). Extra arrivals beyond the cap are
 * closed.
 *
 * Cancelled requests wait in `cancelled` until the `flush` idle handle
 * reports them on the next loop turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn_zstd.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "server/work_pool.h"
#include "util/log.h"

enum { REQ_FREE, REQ_WAITING, REQ_CANCELLED };

typedef struct wconn {
    conn_t *c;
    work_pool_t *wp; /* NULL once it left the pool */
    struct wconn *next;
} wconn_t;

typedef struct req_list {
    work_req_t *head, *tail;
    int n;
} req_list_t;

struct work_pool {
    uv_loop_t *loop;
    uv_idle_t flush; /* delivers `cancelled` from the loop */
    void (*ask)(void *ctx, int count);
    void *ask_ctx;
    char tag[40];
    wconn_t *idle;
    int n_idle;
    req_list_t waiting, cancelled;
    int cap;
    int wait_ms;     /* a request waits this long (WORK_WAIT_MS) */
    int target;      /* idle work conns to keep */
    bool target_set; /* target came from LOGIN (else keep 1) */
    /* work conns asked for and arrived over the last WORK_REASK_MS, in
     * WORK_ASK_SLOTS time slots (a ring; `slot` is the current one) */
    int asked[WORK_ASK_SLOTS], arrived[WORK_ASK_SLOTS];
    int slot;
    uint64_t slot_start;
    /* asks for the pool alone (no request waiting) back off while nothing arrives */
    uint64_t retry_at, backoff;
    bool closing, flushing;
};

static const char *const cancel_names[] = {
    [WORK_CANCEL_EXPIRED] = "no-work-connection",
    [WORK_CANCEL_FULL] = "too-many-waiting",
    [WORK_CANCEL_PROXY] = "proxy-closed",
    [WORK_CANCEL_POOL_GONE] = "session-ended",
};

const char *work_cancel_reason_name(int reason)
{
    if (reason < 0 || (size_t)reason >= sizeof cancel_names / sizeof cancel_names[0]) return "?";
    return cancel_names[reason];
}

/* ---- requests ------------------------------------------------------------- */

void work_req_init(work_req_t *req, work_attach_cb on_attach, work_cancel_cb on_cancel, void *data,
                   const char *src, const char *dst)
{
    memset(req, 0, sizeof *req);
    req->on_attach = on_attach;
    req->on_cancel = on_cancel;
    req->data = data;
    snprintf(req->src, sizeof req->src, "%s", src ? src : "");
    snprintf(req->dst, sizeof req->dst, "%s", dst ? dst : "");
}

int work_req_pending(const work_req_t *req)
{
    return req->pool != NULL;
}

static void list_push(req_list_t *l, work_req_t *r)
{
    r->next = NULL;
    r->prev = l->tail;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    l->n++;
}

static void list_unlink(req_list_t *l, work_req_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->prev = r->next = NULL;
    l->n--;
}

static void flush_cancels(uv_idle_t *h);

/* Moves a waiting (or new) request to `cancelled`, reported next turn. */
static void cancel_later(work_pool_t *wp, work_req_t *r, int reason)
{
    if (r->state == REQ_WAITING) list_unlink(&wp->waiting, r);
    r->pool = wp;
    r->state = REQ_CANCELLED;
    r->reason = reason;
    list_push(&wp->cancelled, r);
    uv_idle_start(&wp->flush, flush_cancels);
}

static void on_flush_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Reports the cancels made before this turn; one made by a callback waits
 * for the next turn. A closing pool frees itself when none is left. */
static void flush_cancels(uv_idle_t *h)
{
    work_pool_t *wp = h->data;
    wp->flushing = true;
    for (int n = wp->cancelled.n; n > 0 && wp->cancelled.head; n--) {
        work_req_t *r = wp->cancelled.head;
        list_unlink(&wp->cancelled, r);
        r->pool = NULL;
        r->state = REQ_FREE;
        r->on_cancel(r, r->reason);
    }
    wp->flushing = false;
    if (wp->cancelled.n > 0) return;
    uv_idle_stop(&wp->flush);
    if (wp->closing) uv_close((uv_handle_t *)&wp->flush, on_flush_closed);
}

void work_pool_withdraw(work_req_t *req)
{
    work_pool_t *wp = req->pool;
    if (!wp) return;
    list_unlink(req->state == REQ_WAITING ? &wp->waiting : &wp->cancelled, req);
    req->pool = NULL;
    req->state = REQ_FREE;
}

/* ---- asking the client ------------------------------------------------------ */

/* Moves the window to now: slots older than WORK_REASK_MS are cleared. */
static void window_advance(work_pool_t *wp, uint64_t now)
{
    const uint64_t slot_ms = WORK_REASK_MS / WORK_ASK_SLOTS;
    for (int i = 0; i < WORK_ASK_SLOTS && now - wp->slot_start >= slot_ms; i++) {
        wp->slot = (wp->slot + 1) % WORK_ASK_SLOTS;
        wp->asked[wp->slot] = wp->arrived[wp->slot] = 0;
        wp->slot_start += slot_ms;
    }
    if (now - wp->slot_start >= slot_ms) wp->slot_start = now; /* idle longer than the window */
}

static int on_the_way(work_pool_t *wp)
{
    window_advance(wp, uv_now(wp->loop));
    int n = 0;
    for (int i = 0; i < WORK_ASK_SLOTS; i++)
        n += wp->asked[i] - wp->arrived[i];
    return n > 0 ? n : 0;
}

/* Asks the client for whatever the pool and the waiting requests lack. */
static void top_up(work_pool_t *wp)
{
    if (wp->closing) return;
    int target = wp->target_set ? wp->target : 1;
    int coming = on_the_way(wp);
    int want = wp->waiting.n + target - wp->n_idle - coming;
    if (want <= 0) return;
    uint64_t now = uv_now(wp->loop);
    if (wp->waiting.n == 0) {
        /* Only the pool is short. If the client cannot open work conns at
         * all, asking every second would be noise: back off (1 s doubling
         * to WORK_POOL_RETRY_MAX_MS) until one arrives. Requests never wait
         * for this: a waiting request asks at once. */
        if (now < wp->retry_at) return;
        wp->backoff = wp->backoff ? 2 * wp->backoff : WORK_REASK_MS;
        if (wp->backoff > WORK_POOL_RETRY_MAX_MS) wp->backoff = WORK_POOL_RETRY_MAX_MS;
        wp->retry_at = now + wp->backoff;
    }
    if (wp->waiting.head && now - wp->waiting.head->since >= WORK_REASK_MS)
        LOG_LIMITED(LOG_INFO,
                    "work connections did not arrive, asking again run_id=%s count=%d "
                    "waiting=%d idle=%d",
                    wp->tag, want, wp->waiting.n, wp->n_idle);
    else
        LOG_D("asking for work connections run_id=%s count=%d waiting=%d idle=%d on_the_way=%d",
              wp->tag, want, wp->waiting.n, wp->n_idle, coming);
    wp->asked[wp->slot] += want;
    wp->ask(wp->ask_ctx, want); /* may close the pool */
}

void work_pool_set_target(work_pool_t *wp, long long pool_count)
{
    wp->target = pool_count < 0 ? 0 : pool_count > wp->cap ? wp->cap : (int)pool_count;
    wp->target_set = true;
    /* The client opens its pool right after LOGIN_OK without being asked:
     * count those as on their way, so the first request does not ask twice. */
    int opening = wp->target - wp->n_idle - on_the_way(wp);
    if (opening > 0) wp->asked[wp->slot] += opening;
}

/* ---- idle work conns -------------------------------------------------------- */

static void idle_remove(work_pool_t *wp, wconn_t *w)
{
    for (wconn_t **pp = &wp->idle; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            wp->n_idle--;
            return;
        }
    }
}

static void on_idle_close(conn_t *c)
{
    wconn_t *w = conn_data(c);
    if (w->wp) idle_remove(w->wp, w);
    free(w);
}

/* An idle work conn went away: it leaves the pool at once (not when its
 * close completes, so no request is handed a dying conn) and is replaced. */
static void idle_lost(conn_t *c)
{
    wconn_t *w = conn_data(c);
    work_pool_t *wp = w->wp;
    if (wp) idle_remove(wp, w);
    w->wp = NULL;
    conn_close(c);
    if (wp) top_up(wp);
}

static void on_idle_eof(conn_t *c)
{
    idle_lost(c);
}

static void on_idle_error(conn_t *c, int err)
{
    (void)err;
    idle_lost(c);
}

/* Nothing may arrive on an idle work conn before START_WORK. */
static void on_idle_data(conn_t *c, const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    LOG_D("unexpected data on idle work connection peer=%s", conn_peer(c));
    idle_lost(c);
}

static const conn_cbs_t idle_cbs = {
    .on_data = on_idle_data,
    .on_eof = on_idle_eof,
    .on_error = on_idle_error,
    .on_close = on_idle_close,
};

static const conn_cbs_t no_cbs = {0};

static conn_t *pool_take(work_pool_t *wp)
{
    wconn_t *w = wp->idle;
    if (!w) return NULL;
    wp->idle = w->next;
    wp->n_idle--;
    conn_t *c = w->c;
    conn_set_cbs(c, &no_cbs, NULL); /* the next owner sets its own */
    free(w);
    return c;
}

/* ---- delivering ------------------------------------------------------------- */

static void enqueue(work_pool_t *wp, work_req_t *req);

static void dispatch(work_pool_t *wp, work_req_t *req, conn_t *work)
{
    json_t *m = json_pack("{s:s,s:s,s:s,s:s}", "proxy", req->proxy ? req->proxy : "", "type",
                          req->type ? req->type : "", "src", req->src, "dst", req->dst);
    if (m && req->ftp_data) json_object_set_new(m, "ftp_data", json_integer(req->ftp_data));
    if (m && req->ftp_active) json_object_set_new(m, "ftp_active", json_integer(req->ftp_active));
    int r = msg_send(work, MSG_START_WORK, m);
    if (r < 0) {
        /* The work conn broke while idle: the request goes back in line, and
         * the lost conn is asked for again (the pool dropped). */
        LOG_D("work connection unusable run_id=%s err=%s", wp->tag, uv_strerror(r));
        conn_close(work);
        work_pool_request(wp, req);
        return;
    }
    /* useCompression: the requester sees the decompressed stream. */
    if (req->compress) {
        conn_t *z = conn_zstd_new(work, &no_cbs, NULL, NULL, 0);
        if (!z) {
            conn_close(work);
            work_pool_request(wp, req);
            return;
        }
        work = z;
    }
    req->on_attach(req, work);
}

void work_pool_add(work_pool_t *wp, conn_t *work)
{
    on_the_way(wp); /* moves the window */
    wp->arrived[wp->slot]++;
    wp->backoff = wp->retry_at = 0;
    work_req_t *req = wp->waiting.head;
    if (req) {
        list_unlink(&wp->waiting, req);
        req->pool = NULL;
        req->state = REQ_FREE;
        dispatch(wp, req, work);
        return;
    }
    wconn_t *w = wp->n_idle < wp->cap && !wp->closing ? calloc(1, sizeof *w) : NULL;
    if (!w) {
        LOG_D("work connection beyond pool limit run_id=%s limit=%d", wp->tag, wp->cap);
        conn_set_cbs(work, &no_cbs, NULL);
        conn_close(work);
        return;
    }
    w->c = work;
    w->wp = wp;
    w->next = wp->idle;
    wp->idle = w;
    wp->n_idle++;
    conn_set_cbs(work, &idle_cbs, w);
    top_up(wp); /* a refill the back-off held back may go now */
}

static void enqueue(work_pool_t *wp, work_req_t *req)
{
    req->pool = wp;
    req->state = REQ_WAITING;
    req->since = uv_now(wp->loop);
    list_push(&wp->waiting, req);
    top_up(wp);
}

void work_pool_request(work_pool_t *wp, work_req_t *req)
{
    if (wp->closing) {
        cancel_later(wp, req, WORK_CANCEL_POOL_GONE);
        return;
    }
    conn_t *work = pool_take(wp);
    if (work) {
        top_up(wp); /* keep the pool full */
        dispatch(wp, req, work);
        return;
    }
    if (wp->waiting.n >= MAX_WAITING_USERS) {
        LOG_LIMITED(LOG_WARN, "user connection dropped proxy=%s reason=too-many-waiting limit=%d",
                    LOG_ESC(req->proxy), MAX_WAITING_USERS);
        cancel_later(wp, req, WORK_CANCEL_FULL);
        return;
    }
    enqueue(wp, req);
}

void work_pool_cancel_owner(work_pool_t *wp, const void *owner)
{
    for (work_req_t *r = wp->waiting.head, *next; r; r = next) {
        next = r->next;
        if (r->owner == owner) cancel_later(wp, r, WORK_CANCEL_PROXY);
    }
}

/* Requests that waited too long are cancelled: the client is alive
 * (heartbeats) but not opening work conns, e.g. it cannot reach us. */
static void expire(work_pool_t *wp, uint64_t now)
{
    while (wp->waiting.head && now - wp->waiting.head->since > (uint64_t)wp->wait_ms) {
        work_req_t *r = wp->waiting.head;
        /* A client that never opens work conns makes one per user at will. */
        LOG_LIMITED(LOG_WARN,
                    "user connection closed proxy=%s reason=no-work-connection waited_ms=%d",
                    LOG_ESC(r->proxy), wp->wait_ms);
        cancel_later(wp, r, WORK_CANCEL_EXPIRED);
    }
}

/* A work conn asked for can be lost on the way (refused, reset, the client
 * was busy): what has not come after WORK_REASK_MS is asked again, also
 * when no event would call top_up. */
void work_pool_tick(work_pool_t *wp)
{
    if (wp->closing) return;
    expire(wp, uv_now(wp->loop));
    top_up(wp);
}

/* ---- the pool's life -------------------------------------------------------- */

work_pool_t *work_pool_create(uv_loop_t *loop, int cap, const char *tag,
                              void (*ask)(void *ctx, int count), void *ctx)
{
    work_pool_t *wp = calloc(1, sizeof *wp);
    if (!wp) return NULL;
    wp->loop = loop;
    wp->cap = cap > 0 ? cap : 1;
    wp->wait_ms = WORK_WAIT_MS;
    wp->ask = ask;
    wp->ask_ctx = ctx;
    snprintf(wp->tag, sizeof wp->tag, "%s", tag ? tag : "");
    wp->slot_start = uv_now(loop);
    uv_idle_init(loop, &wp->flush);
    wp->flush.data = wp;
    return wp;
}

void work_pool_close(work_pool_t *wp)
{
    if (wp->closing) return;
    wp->closing = true;
    while (wp->waiting.head)
        cancel_later(wp, wp->waiting.head, WORK_CANCEL_POOL_GONE);
    while (wp->idle) {
        wconn_t *w = wp->idle;
        wp->idle = w->next;
        w->wp = NULL;
        conn_close(w->c);
    }
    wp->n_idle = 0;
    /* The flush reports the cancels, then closes its handle and frees us. */
    uv_idle_start(&wp->flush, flush_cancels);
}

void work_pool_set_wait_ms(work_pool_t *wp, int ms)
{
    wp->wait_ms = ms > 0 ? ms : WORK_WAIT_MS;
}

int work_pool_idle(const work_pool_t *wp)
{
    return wp->n_idle;
}

int work_pool_waiting(const work_pool_t *wp)
{
    return wp->waiting.n;
}
