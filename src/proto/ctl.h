/* ctl: the control channel's plumbing, the same for both roles — a framer
 * fed from the connection, each frame dispatched through the owner's handler
 * table, and writes capped by a backlog limit (CTL_BACKLOG_MAX).
 *
 * The owner (the server's session, the client) keeps a ctl_chan_t, gives
 * it a table of handlers and what to do with frames no handler takes, and
 * feeds it what its control conn reads. Handlers borrow the parsed message.
 * A handler may end its owner (close the conn); `ended` tells the channel to
 * stop dispatching the rest of the input. */
#ifndef BURROW_CTL_H
#define BURROW_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"
#include "proto/frame.h"

/* A peer that stops reading its control conn must not make us queue
 * messages without end: past this many bytes pending, ctl_write says so. */
#define CTL_BACKLOG_MAX (1024 * 1024)
#define CTL_ANY_STATE (-1)

typedef struct ctl_handler {
    uint8_t type; /* MSG_* */
    int state;    /* the owner's state it is valid in, or CTL_ANY_STATE */
    void (*fn)(void *owner, json_t *m);
} ctl_handler_t;

/* Why a frame reached on_other instead of a handler. */
typedef enum { CTL_UNKNOWN_TYPE, CTL_WRONG_STATE, CTL_BAD_JSON } ctl_miss_t;

typedef struct ctl_chan {
    framer_t fr; /* the owner may move buffered bytes in (session_create) */
    const ctl_handler_t *handlers;
    size_t n_handlers;
    void *owner;
    const int *state; /* the owner's state, read per frame; NULL: no states */
    /* A frame no handler took. Non-zero stops the feed (the owner ended). */
    int (*on_other)(void *owner, const frame_t *f, ctl_miss_t why);
    /* Whether the owner ended in a handler: the rest of the input is dropped. */
    bool (*ended)(void *owner);
} ctl_chan_t;

/* Feeds bytes read from the control conn. Returns how many frames were
 * dispatched (handled or not; the owner's "last heard from" clock), or
 * FRAME_ERR_TOO_LARGE: then the owner ends the channel. */
int ctl_feed(ctl_chan_t *ch, const uint8_t *p, size_t n);
/* Frees what the framer holds; the channel can be fed again. */
void ctl_free(ctl_chan_t *ch);

/* Sends a message on a control conn (takes obj). 0; CTL_OVER_BACKLOG when it
 * was queued but more than CTL_BACKLOG_MAX bytes now wait; or msg_send's
 * error (<0) when it could not be queued. */
#define CTL_OVER_BACKLOG 1
int ctl_write(conn_t *c, uint8_t type, json_t *obj);

#endif
