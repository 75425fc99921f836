/* udp_sessions: the UDP sessions of one udp proxy, on either side.
 *
 * A session is a 32-bit id (the UDP_DATA tag) bound to a peer address (the
 * server: the user who sent the datagram) and to the owner's `data` (the
 * client: its connected local socket). The table keeps them most recently
 * used first; at the cap it evicts the least recently used, and
 * udp_sessions_expire() drops those idle longer than the table's idle time.
 * Every session dropped (evicted, expired, cleared) is first handed to the
 * owner's on_drop, which releases `data`; the table frees the session
 * itself. Lookups are linear, as the cap is small. No sockets, no timers:
 * the owner calls expire from its own timer (every UDP_SWEEP_MS). */
#ifndef BURROW_UDP_SESSIONS_H
#define BURROW_UDP_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_IDLE_MS 60000     /* a session unused this long expires */
#define UDP_MAX_SESSIONS 1024 /* per proxy (and per client work conn) */
#define UDP_SWEEP_MS 5000     /* how often owners expire idle sessions */

typedef struct udp_sess {
    uint32_t id;
    struct sockaddr_storage peer; /* zero when made by id */
    uint64_t last;                /* loop time of the last use */
    void *data;                   /* the owner's */
    struct udp_sess *prev, *next; /* most recently used first */
} udp_sess_t;

typedef struct udp_sessions udp_sessions_t;
/* s is about to be freed: release s->data. Must not touch the table. */
typedef void (*udp_sess_drop_cb)(udp_sessions_t *t, udp_sess_t *s, void *ctx);

struct udp_sessions {
    udp_sess_t *head, *tail;
    int n, max;
    uint64_t idle_ms;
    uint32_t next_id;   /* the last id handed out by udp_sessions_by_peer */
    uint64_t evicted;   /* sessions dropped to make room at the cap, ever */
    uint64_t send_fail; /* datagrams the owner's socket refused, ever (the owner counts) */
    udp_sess_drop_cb on_drop;
    void *ctx;
};

/* An empty table of at most `max` sessions; on_drop may be NULL. */
void udp_sessions_init(udp_sessions_t *t, int max, uint64_t idle_ms, udp_sess_drop_cb on_drop,
                       void *ctx);
/* Drops every session. The table stays usable. */
void udp_sessions_clear(udp_sessions_t *t);
/* The session of `peer`, made with a fresh id when there is none (evicting
 * the least recently used at the cap); marked used at `now`. NULL when
 * out of memory. */
udp_sess_t *udp_sessions_by_peer(udp_sessions_t *t, const struct sockaddr *peer, uint64_t now);
/* The session `id`, or NULL. Marks it used at `now`. */
udp_sess_t *udp_sessions_find(udp_sessions_t *t, uint32_t id, uint64_t now);
/* A new session `id` (not in the table yet), evicting the least recently
 * used at the cap. NULL when out of memory. */
udp_sess_t *udp_sessions_add(udp_sessions_t *t, uint32_t id, uint64_t now);
/* Drops s now. */
void udp_sessions_remove(udp_sessions_t *t, udp_sess_t *s);
/* Drops the sessions idle for more than the idle time at `now`. */
void udp_sessions_expire(udp_sessions_t *t, uint64_t now);

#endif
