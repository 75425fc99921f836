/* work_pool: one session's work connections, delivered to whoever asked.
 *
 * The pool keeps a target of idle work conns (the client's poolCount) plus
 * one for every waiting request, asks the client for a shortfall through
 * `ask` (REQ_WORK_CONN), asks again for what has not come within
 * WORK_REASK_MS, and cancels requests that waited WORK_WAIT_MS.
 *
 * A request is a work_req_t the requester owns and embeds (a vhost front,
 * a UDP proxy, a TCP user, later a visitor or an admin probe), as libuv's
 * requests are. It must stay valid from work_pool_request until exactly one
 * of these has happened:
 *   - on_attach(req, work) ran: the work conn is the requester's (START_WORK
 *     naming req->proxy has been sent, its callbacks are empty). It may run
 *     from inside work_pool_request when an idle conn is at hand.
 *   - on_cancel(req, reason) ran: no work conn will come. A cancel is always
 *     reported from the loop (a uv_idle turn), never from inside the call
 *     that made the request or cancelled it (libuv's delayed error).
 *   - the requester called work_pool_withdraw(req): nothing more is called.
 * After any of them the request may be freed or made again.
 *
 * Lifetime: the session creates the pool and ends it with work_pool_close,
 * which cancels every request and closes the idle conns; the pool frees
 * itself once those cancels are delivered. No request may be made after
 * work_pool_close. */
#ifndef BURROW_WORK_POOL_H
#define BURROW_WORK_POOL_H

#include <stdint.h>
#include <uv.h>

#include "net/conn.h"

#define MAX_WAITING_USERS 256        /* requests waiting per session */
#define WORK_WAIT_MS 10000           /* a request waits this long for a work conn */
#define WORK_REASK_MS 1000           /* a work conn asked for and not come by then is asked again */
#define WORK_ASK_SLOTS 10            /* time slots of the WORK_REASK_MS window of requests */
#define WORK_POOL_RETRY_MAX_MS 30000 /* refilling a pool that gets nothing backs off to this */

typedef struct work_pool work_pool_t;
typedef struct work_req work_req_t;

enum work_cancel_reason {
    WORK_CANCEL_EXPIRED,  /* waited WORK_WAIT_MS: the client opens none */
    WORK_CANCEL_FULL,     /* MAX_WAITING_USERS requests already wait */
    WORK_CANCEL_PROXY,    /* work_pool_cancel_owner: the proxy closed */
    WORK_CANCEL_POOL_GONE /* the session ended */
};
const char *work_cancel_reason_name(int reason);

typedef void (*work_attach_cb)(work_req_t *req, conn_t *work);
typedef void (*work_cancel_cb)(work_req_t *req, int reason);

struct work_req {
    /* Set by the requester (work_req_init), read by the pool. */
    work_attach_cb on_attach;
    work_cancel_cb on_cancel;
    void *data;
    const char *proxy, *type; /* named in START_WORK; borrowed until attach */
    const void *owner;        /* what work_pool_cancel_owner matches */
    char src[64], dst[64];    /* for START_WORK ("ip:port", or "") */
    uint32_t ftp_data;        /* nonzero: START_WORK's ftp_data (server/ftp_data.h) */
    uint32_t ftp_active;      /* nonzero: START_WORK's ftp_active (server/ftp_active.h) */
    bool compress;            /* after START_WORK the conn is a zstd stream (net/conn_zstd.h) */
    /* Private to the pool. */
    work_pool_t *pool; /* NULL when not in a pool */
    work_req_t *prev, *next;
    uint64_t since;
    int state, reason;
};

/* Sets the callbacks and clears the rest. src and dst may be NULL. */
void work_req_init(work_req_t *req, work_attach_cb on_attach, work_cancel_cb on_cancel, void *data,
                   const char *src, const char *dst);
/* Whether req is in a pool (waiting, or its cancel not yet delivered). */
int work_req_pending(const work_req_t *req);

/* `ask(ctx, count)` asks the client for count more work conns; it may end
 * the session (and so call work_pool_close) from inside. `cap` is the most
 * idle conns kept (maxPoolCount); `tag` names the pool in logs (the run id;
 * copied). NULL when out of memory. */
work_pool_t *work_pool_create(uv_loop_t *loop, int cap, const char *tag,
                              void (*ask)(void *ctx, int count), void *ctx);
/* The idle conns to keep: poolCount from LOGIN, clamped to [0, cap]. The
 * client opens them unasked, so they count as on their way. */
void work_pool_set_target(work_pool_t *wp, long long pool_count);
/* Takes an authenticated work conn: to the oldest waiting request, else
 * into the pool (closed beyond cap). */
void work_pool_add(work_pool_t *wp, conn_t *work);
/* Asks for a work conn for req (see above for what follows). */
void work_pool_request(work_pool_t *wp, work_req_t *req);
/* The requester went away: no callback for req will run. No-op when req is
 * in no pool. */
void work_pool_withdraw(work_req_t *req);
/* Cancels (WORK_CANCEL_PROXY) the requests whose owner is `owner`. */
void work_pool_cancel_owner(work_pool_t *wp, const void *owner);
/* Once a second: expires requests that waited too long, asks again for work
 * conns that did not come. */
void work_pool_tick(work_pool_t *wp);
/* Cancels everything, closes the idle conns; frees the pool once the
 * cancels are delivered. */
void work_pool_close(work_pool_t *wp);
/* How long a request may wait before WORK_CANCEL_EXPIRED (default
 * WORK_WAIT_MS; tests shorten it). Checked by work_pool_tick. */
void work_pool_set_wait_ms(work_pool_t *wp, int ms);
int work_pool_idle(const work_pool_t *wp);
int work_pool_waiting(const work_pool_t *wp);

#endif
