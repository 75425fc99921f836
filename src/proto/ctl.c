/* ctl: feed, dispatch and send for a control channel (ctl.h). */
#include "proto/ctl.h"

#include "proto/msg.h"
#include "proto/msg_send.h"

typedef struct feed {
    ctl_chan_t *ch;
    int frames;
} feed_t;

static const ctl_handler_t *find_handler(const ctl_chan_t *ch, uint8_t type)
{
    for (size_t i = 0; i < ch->n_handlers; i++)
        if (ch->handlers[i].type == type) return &ch->handlers[i];
    return NULL;
}

static int on_frame(void *ctx, const frame_t *f)
{
    feed_t *fd = ctx;
    ctl_chan_t *ch = fd->ch;
    fd->frames++;
    const ctl_handler_t *h = find_handler(ch, f->type);
    if (!h) return ch->on_other(ch->owner, f, CTL_UNKNOWN_TYPE);
    if (h->state != CTL_ANY_STATE && (!ch->state || *ch->state != h->state))
        return ch->on_other(ch->owner, f, CTL_WRONG_STATE);
    json_t *m = msg_parse(f);
    if (!m) return ch->on_other(ch->owner, f, CTL_BAD_JSON);
    h->fn(ch->owner, m);
    json_decref(m);
    return ch->ended(ch->owner);
}

int ctl_feed(ctl_chan_t *ch, const uint8_t *p, size_t n)
{
    feed_t fd = {ch, 0};
    if (framer_feed(&ch->fr, p, n, on_frame, &fd) == FRAME_ERR_TOO_LARGE)
        return FRAME_ERR_TOO_LARGE;
    return fd.frames;
}

void ctl_free(ctl_chan_t *ch)
{
    framer_free(&ch->fr);
}

int ctl_write(conn_t *c, uint8_t type, json_t *obj)
{
    int r = msg_send(c, type, obj);
    if (r < 0) return r;
    return conn_pending(c) > CTL_BACKLOG_MAX ? CTL_OVER_BACKLOG : 0;
}
