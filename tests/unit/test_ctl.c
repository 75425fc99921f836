/* test_ctl: the control channel's dispatch (proto/ctl.h), as both roles use
 * it: handlers by type and state, frames no handler takes, a handler that
 * ends its owner, frames split across reads, an oversized frame. */
#include <stdlib.h>

#include "proto/ctl.h"
#include "proto/msg.h"
#include "testlib.h"

typedef struct owner {
    int state;
    int hellos, pings, others, last_miss;
    bool ended, stop_on_other;
} owner_t;

static void on_hello(void *o, json_t *m)
{
    owner_t *ow = o;
    ow->hellos++;
    ow->state = 2; /* the next state, as a login moves on */
    CHECK(json_is_object(m));
}

static void on_ping(void *o, json_t *m)
{
    owner_t *ow = o;
    (void)m;
    ow->pings++;
    if (ow->pings == 3) ow->ended = true;
}

static int on_other(void *o, const frame_t *f, ctl_miss_t why)
{
    owner_t *ow = o;
    (void)f;
    ow->others++;
    ow->last_miss = (int)why;
    return ow->stop_on_other;
}

static bool is_ended(void *o)
{
    return ((owner_t *)o)->ended;
}

static const ctl_handler_t handlers[] = {
    {MSG_HELLO, 1, on_hello},
    {MSG_PING, CTL_ANY_STATE, on_ping},
};

static void chan_init(ctl_chan_t *ch, owner_t *ow)
{
    memset(ow, 0, sizeof *ow);
    ow->state = 1;
    *ch = (ctl_chan_t){.handlers = handlers,
                       .n_handlers = 2,
                       .owner = ow,
                       .state = &ow->state,
                       .on_other = on_other,
                       .ended = is_ended};
}

/* Appends one frame of `type` with payload `json` to buf at *len. */
static void put(uint8_t *buf, size_t *len, uint8_t type, const char *json)
{
    size_t n = strlen(json);
    frame_encode_header(buf + *len, type, (uint32_t)n);
    memcpy(buf + *len + FRAME_HDR_LEN, json, n);
    *len += FRAME_HDR_LEN + n;
}

static void test_dispatch_by_type_and_state(void)
{
    ctl_chan_t ch;
    owner_t ow;
    chan_init(&ch, &ow);
    uint8_t buf[512];
    size_t len = 0;
    put(buf, &len, MSG_HELLO, "{}");  /* state 1: handled, moves to 2 */
    put(buf, &len, MSG_HELLO, "{}");  /* state 2: wrong state */
    put(buf, &len, 0x7f, "{}");       /* unknown type */
    put(buf, &len, MSG_PING, "nope"); /* bad JSON */
    put(buf, &len, MSG_PING, "{}");
    CHECK_EQ_INT(ctl_feed(&ch, buf, len), 5);
    CHECK_EQ_INT(ow.hellos, 1);
    CHECK_EQ_INT(ow.pings, 1);
    CHECK_EQ_INT(ow.others, 3);
    CHECK_EQ_INT(ow.last_miss, CTL_BAD_JSON);
    ctl_free(&ch);
}

/* A frame split across reads is dispatched once whole; partial bytes count
 * as no frame (they do not refresh the owner's heartbeat clock). */
static void test_split_frames(void)
{
    ctl_chan_t ch;
    owner_t ow;
    chan_init(&ch, &ow);
    uint8_t buf[64];
    size_t len = 0;
    put(buf, &len, MSG_PING, "{}");
    for (size_t i = 0; i + 1 < len; i++)
        CHECK_EQ_INT(ctl_feed(&ch, buf + i, 1), 0);
    CHECK_EQ_INT(ctl_feed(&ch, buf + len - 1, 1), 1);
    CHECK_EQ_INT(ow.pings, 1);
    ctl_free(&ch);
}

/* After a handler ends the owner, or on_other asks to stop, nothing more is
 * dispatched from the same input. */
static void test_stops(void)
{
    ctl_chan_t ch;
    owner_t ow;
    chan_init(&ch, &ow);
    uint8_t buf[512];
    size_t len = 0;
    for (int i = 0; i < 5; i++)
        put(buf, &len, MSG_PING, "{}");
    CHECK_EQ_INT(ctl_feed(&ch, buf, len), 3);
    CHECK_EQ_INT(ow.pings, 3);
    ctl_free(&ch);

    chan_init(&ch, &ow);
    ow.stop_on_other = true;
    len = 0;
    put(buf, &len, 0x7e, "{}");
    put(buf, &len, MSG_PING, "{}");
    CHECK_EQ_INT(ctl_feed(&ch, buf, len), 1);
    CHECK_EQ_INT(ow.others, 1);
    CHECK_EQ_INT(ow.last_miss, CTL_UNKNOWN_TYPE);
    CHECK_EQ_INT(ow.pings, 0);
    ctl_free(&ch);
}

static void test_too_large(void)
{
    ctl_chan_t ch;
    owner_t ow;
    chan_init(&ch, &ow);
    uint8_t hdr[FRAME_HDR_LEN];
    frame_encode_header(hdr, MSG_PING, FRAME_MAX_PAYLOAD + 1);
    CHECK_EQ_INT(ctl_feed(&ch, hdr, sizeof hdr), FRAME_ERR_TOO_LARGE);
    CHECK_EQ_INT(ow.pings + ow.others, 0);
    ctl_free(&ch);
}

int main(void)
{
    RUN(test_dispatch_by_type_and_state);
    RUN(test_split_frames);
    RUN(test_stops);
    RUN(test_too_large);
    return TEST_SUMMARY();
}
