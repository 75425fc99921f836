/* insp_int: what the inspector's files share (inspector.c, insp_api.c,
 * insp_replay.c); private to src/inspect. */
#ifndef BURROW_INSP_INT_H
#define BURROW_INSP_INT_H

#include <stdint.h>

#include "inspect/insp_rec.h"
#include "inspect/insp_ring.h"
#include "inspect/inspector.h"
#include "web/httpd.h"

typedef struct insp_replay insp_replay_t;

struct inspector {
    uv_loop_t *loop;
    const inspect_cfg_t *cfg;
    insp_ring_t ring;
    httpd_t *httpd;
    inspector_resolve_fn resolve;
    void *resolve_ctx;
    insp_replay_t *replays; /* in flight */
    int n_replays;
    bool stopped;
};

/* Wall clock in µs since the epoch. */
uint64_t insp_now_us(void);

/* insp_api.c: the route table. */
extern const httpd_route_t insp_routes[];
extern const int insp_n_routes;

/* insp_replay.c */
/* A replay request as sent: method, target, headers (name, value pairs),
 * body. Borrowed. */
typedef struct insp_req {
    const char *method, *target;
    const char *const *hdr; /* 2 * n_hdr strings */
    int n_hdr;
    const uint8_t *body;
    size_t body_len;
} insp_req_t;
/* Sends req to proxy's local service, recording it as replay of `of`.
 * > 0: the new exchange's id; else a negative error with *why set. */
int64_t insp_replay_start(inspector_t *ins, const char *proxy, uint64_t of, const insp_req_t *req,
                          const char **why);
void insp_replay_close_all(inspector_t *ins);

#endif
