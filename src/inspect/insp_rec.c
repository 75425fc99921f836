/* insp_rec: see insp_rec.h.
 *
 * Each direction has its http_msg_t. While a head is incomplete, the bytes
 * llhttp consumed belong to it (http_msg_feed stops right after the head),
 * so they are appended to the head being collected; body bytes arrive
 * decoded through the parser's on_body hook. Exchanges wait in a FIFO from
 * their request head until their response completes, then go to the ring. */
#include "inspect/insp_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_head.h"

typedef struct side {
    http_msg_t msg;
    char *head; /* the head being collected */
    size_t head_len;
    insp_ex_t *cur; /* the exchange whose message this side is reading */
} side_t;

struct insp_rec {
    insp_ring_t *ring;
    insp_rec_opts_t o;
    char proxy[128], src[80];
    side_t side[2];
    insp_ex_t *q_head, *q_tail; /* awaiting a response, oldest first */
    int q_len;
    const char *stopped;
    uint64_t first_id;
};

static void q_push(insp_rec_t *r, insp_ex_t *ex)
{
    ex->next = NULL;
    ex->prev = r->q_tail;
    if (r->q_tail)
        r->q_tail->next = ex;
    else
        r->q_head = ex;
    r->q_tail = ex;
    r->q_len++;
}

static insp_ex_t *q_pop(insp_rec_t *r)
{
    insp_ex_t *ex = r->q_head;
    if (!ex) return NULL;
    r->q_head = ex->next;
    if (r->q_head)
        r->q_head->prev = NULL;
    else
        r->q_tail = NULL;
    r->q_len--;
    ex->next = ex->prev = NULL;
    return ex;
}

static void on_req_body(void *ctx, const uint8_t *p, size_t n)
{
    insp_rec_t *r = ctx;
    insp_ex_t *ex = r->side[INSP_REQ].cur;
    if (ex && !r->stopped) insp_body_add(r->ring, ex, &ex->req_body, r->o.body_max, p, n);
}

static void on_resp_body(void *ctx, const uint8_t *p, size_t n)
{
    insp_rec_t *r = ctx;
    insp_ex_t *ex = r->side[INSP_RESP].cur;
    if (ex && !r->stopped) insp_body_add(r->ring, ex, &ex->resp_body, r->o.body_max, p, n);
}

insp_rec_t *insp_rec_create(insp_ring_t *ring, const insp_rec_opts_t *o)
{
    insp_rec_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->ring = ring;
    r->o = *o;
    snprintf(r->proxy, sizeof r->proxy, "%s", o->proxy ? o->proxy : "");
    snprintf(r->src, sizeof r->src, "%s", o->src ? o->src : "");
    http_msg_init(&r->side[INSP_REQ].msg, HTTP_REQUEST);
    http_msg_init(&r->side[INSP_RESP].msg, HTTP_RESPONSE);
    r->side[INSP_REQ].msg.on_body = on_req_body;
    r->side[INSP_RESP].msg.on_body = on_resp_body;
    r->side[INSP_REQ].msg.body_ctx = r->side[INSP_RESP].msg.body_ctx = r;
    return r;
}

/* Recording ends for this connection; bytes go on flowing elsewhere. */
static void stop(insp_rec_t *r, const char *why)
{
    if (!r->stopped) r->stopped = why;
}

static void finish_ex(insp_rec_t *r, insp_ex_t *ex, uint64_t now_us, bool complete)
{
    ex->complete = complete;
    ex->duration_us = now_us > ex->start_us ? now_us - ex->start_us : 0;
    insp_ring_commit(r->ring, ex);
}

/* ---- heads ------------------------------------------------------------- */

static bool add_head_bytes(insp_rec_t *r, side_t *s, const uint8_t *p, size_t n)
{
    if (!n) return true;
    if (s->head_len + n > HTTP_HEAD_MAX) return false; /* the parser refuses it too */
    char *q = realloc(s->head, s->head_len + n + 1);
    if (!q) return false;
    s->head = q;
    memcpy(s->head + s->head_len, p, n);
    s->head_len += n;
    s->head[s->head_len] = '\0';
    (void)r;
    return true;
}

static void on_req_head(insp_rec_t *r, side_t *s, uint64_t now_us)
{
    const http_head_t *h = &s->msg.head;
    if (r->q_len >= INSP_PIPELINE_MAX) {
        stop(r, "too many requests ahead of responses");
        return;
    }
    insp_ex_t *ex = insp_ring_new(r->ring);
    if (!ex || !insp_ring_charge(r->ring, ex, s->head_len + h->target.len + 1)) {
        insp_ring_discard(r->ring, ex);
        {
            stop(r, "the inspector's ring is full of unfinished exchanges");
            return;
        }
    }
    if (!r->first_id) r->first_id = ex->id;
    ex->replay_of = r->o.replay_of;
    snprintf(ex->proxy, sizeof ex->proxy, "%s", r->proxy);
    snprintf(ex->src, sizeof ex->src, "%s", r->src);
    snprintf(ex->method, sizeof ex->method, "%s", llhttp_method_name((llhttp_method_t)h->method));
    ex->target = strdup(http_str(h, h->target));
    ex->req_head = s->head;
    ex->req_head_len = s->head_len;
    s->head = NULL;
    s->head_len = 0;
    ex->start_us = now_us;
    s->cur = ex;
    q_push(r, ex);
    if (h->upgrade) stop(r, "protocol switch (upgrade or CONNECT)");
}

static void on_resp_head(insp_rec_t *r, side_t *s)
{
    const http_head_t *h = &s->msg.head;
    insp_ex_t *ex = r->q_head;
    if (!ex) {
        stop(r, "a response without a request");
        return;
    }
    if (h->status / 100 == 1 && h->status != 101) { /* interim: the real one follows */
        free(s->head);
        s->head = NULL;
        s->head_len = 0;
        return;
    }
    if (!insp_ring_charge(r->ring, ex, s->head_len)) {
        {
            stop(r, "the inspector's ring is full of unfinished exchanges");
            return;
        }
    }
    ex->status = h->status;
    ex->resp_head = s->head;
    ex->resp_head_len = s->head_len;
    s->head = NULL;
    s->head_len = 0;
    s->cur = ex;
}

/* ---- message ends -------------------------------------------------------- */

static void next_message(insp_rec_t *r, int dir)
{
    side_t *s = &r->side[dir];
    http_msg_next(&s->msg);
    s->cur = NULL;
    /* The next response answers the oldest request still waiting. */
    if (dir == INSP_RESP && r->q_head && strcmp(r->q_head->method, "HEAD") == 0)
        s->msg.skip_body = true;
}

static void on_end(insp_rec_t *r, int dir, uint64_t now_us)
{
    side_t *s = &r->side[dir];
    if (dir == INSP_RESP) {
        const http_head_t *h = &s->msg.head;
        bool interim = h->status / 100 == 1 && h->status != 101;
        if (!interim && s->cur) {
            insp_ex_t *ex = q_pop(r);
            finish_ex(r, ex, now_us, true);
            if (h->status == 101) stop(r, "protocol switch (101)");
        }
    }
    next_message(r, dir);
    if (dir == INSP_REQ && r->q_head && r->side[INSP_RESP].cur == NULL &&
        !r->side[INSP_RESP].msg.head_done && strcmp(r->q_head->method, "HEAD") == 0)
        r->side[INSP_RESP].msg.skip_body = true;
}

static void on_event(insp_rec_t *r, int dir, int ev, uint64_t now_us)
{
    side_t *s = &r->side[dir];
    if (ev == HTTP_EV_HEAD) {
        if (dir == INSP_REQ)
            on_req_head(r, s, now_us);
        else
            on_resp_head(r, s);
    } else if (ev == HTTP_EV_END) {
        on_end(r, dir, now_us);
    }
}

void insp_rec_feed(insp_rec_t *r, int dir, const uint8_t *p, size_t n, uint64_t now_us)
{
    side_t *s = &r->side[dir];
    while (!r->stopped) {
        bool in_head = !s->msg.head_done;
        int ev = HTTP_EV_NONE;
        long used = http_msg_feed(&s->msg, p, n, &ev);
        if (used < 0) {
            stop(r, "unparsable HTTP");
            return;
        }
        if (in_head && !add_head_bytes(r, s, p, (size_t)used)) {
            stop(r, "head too large");
            return;
        }
        p += used;
        n -= (size_t)used;
        if (ev != HTTP_EV_NONE)
            on_event(r, dir, ev, now_us);
        else if (n == 0 || used == 0)
            return;
    }
}

const char *insp_rec_stopped(const insp_rec_t *r)
{
    return r->stopped;
}

uint64_t insp_rec_first_id(const insp_rec_t *r)
{
    return r->first_id;
}

void insp_rec_destroy(insp_rec_t *r, uint64_t at_us)
{
    if (!r) return;
    side_t *resp = &r->side[INSP_RESP];
    /* A response that runs until the connection closes ends here. */
    if (!r->stopped && resp->cur && http_msg_finish(&resp->msg) == 1) {
        finish_ex(r, q_pop(r), at_us, true);
    }
    /* What is left got no (whole) response: kept, marked incomplete. */
    insp_ex_t *ex;
    while ((ex = q_pop(r)))
        finish_ex(r, ex, at_us, false);
    for (int d = 0; d < 2; d++) {
        http_msg_free(&r->side[d].msg);
        free(r->side[d].head);
    }
    free(r);
}
