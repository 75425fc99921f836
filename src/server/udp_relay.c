/* udp_relay: see udp_relay.h. The allocation table (ids with the slot in
 * their low 16 bits), the bound-address hash (side index per address),
 * the datagram path (forward, or BIND -> BOUND), idle expiry, and the drop
 * counters with their once-a-minute log line. */
#include "server/udp_relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "proto/auth.h"
#include "util/log.h"

#define SLOT_BITS 16 /* an id's low bits: its slot (so max_allocs <= 65536) */
#define NO_SIDE (-1)

typedef struct side {
    struct sockaddr_storage addr; /* where its datagrams come from and go to */
    bool bound;
    uint64_t last_counter; /* the last accepted BIND's (anti-replay) */
    int32_t next;          /* the address hash's chain: next side index */
    uint8_t key[RELAY_KEY_LEN];
} side_t;

typedef struct alloc {
    uint64_t id; /* 0: the slot is free */
    char *user;  /* owned; for max_per_user */
    side_t side[2];
    uint64_t tokens;      /* token bucket, bytes */
    uint64_t refilled_at; /* uv_now of the last refill */
    uint64_t active_at;   /* uv_now of the last datagram or BIND */
} alloc_t;

struct udp_relay {
    uv_loop_t *loop;
    uv_udp_t h;
    uv_timer_t sweep;
    bool open, serving, stopped;
    udp_relay_cfg_t cfg; /* defaults filled in; addr not kept */
    alloc_t *allocs;     /* cfg.max_allocs slots */
    int live, cursor;    /* live allocations; where the next free-slot search starts */
    int32_t *buckets;    /* n_buckets heads of side-index chains, NO_SIDE-terminated */
    uint32_t n_buckets;  /* a power of two */
    uint64_t seed;       /* keyed hash: addresses are chosen by peers */
    struct sockaddr_storage bound;
    udp_relay_stats_t stats;
    uint64_t drops_logged_at;
    bool drops_logged;
    uint8_t rbuf[UDP_RELAY_DGRAM_MAX + 1]; /* one over, so oversize shows */
};

static const char *const drop_names[UDP_RELAY_DROP_COUNT] = {
    [UDP_RELAY_DROP_OVERSIZED] = "oversized",       [UDP_RELAY_DROP_STRANGER] = "stranger",
    [UDP_RELAY_DROP_MALFORMED] = "malformed",       [UDP_RELAY_DROP_UNKNOWN] = "unknown-allocation",
    [UDP_RELAY_DROP_BAD_MAC] = "bad-mac",           [UDP_RELAY_DROP_REPLAY] = "replay",
    [UDP_RELAY_DROP_PEER_UNBOUND] = "peer-unbound", [UDP_RELAY_DROP_RATE] = "rate",
    [UDP_RELAY_DROP_SEND_FAILED] = "send-failed",
};

const char *udp_relay_drop_name(udp_relay_drop_t why)
{
    return (unsigned)why < UDP_RELAY_DROP_COUNT ? drop_names[why] : "?";
}

udp_relay_t *udp_relay_create(uv_loop_t *loop)
{
    udp_relay_t *r = calloc(1, sizeof *r);
    if (r) r->loop = loop;
    return r;
}

void udp_relay_destroy(udp_relay_t *r)
{
    if (!r) return;
    for (int i = 0; r->allocs && i < r->cfg.max_allocs; i++)
        free(r->allocs[i].user);
    free(r->allocs);
    free(r->buckets);
    free(r);
}

int udp_relay_count(const udp_relay_t *r)
{
    return r->live;
}

bool udp_relay_addr(const udp_relay_t *r, struct sockaddr_storage *out)
{
    if (!r->serving) return false;
    *out = r->bound;
    return true;
}

const udp_relay_stats_t *udp_relay_stats(const udp_relay_t *r)
{
    return &r->stats;
}

/* ---- drops -------------------------------------------------------------- */

static const char *drop_counts(const udp_relay_stats_t *t, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < UDP_RELAY_DROP_COUNT && at < size; i++) {
        int n = snprintf(buf + at, size - at, " %s=%llu", drop_names[i],
                         (unsigned long long)t->dropped[i]);
        if (n < 0) break;
        at += (size_t)n;
    }
    return buf;
}

/* Counts a drop; logs the first and then at most one per UDP_RELAY_LOG_MS
 * (peers cause these at will). */
static void drop(udp_relay_t *r, udp_relay_drop_t why, const struct sockaddr *from)
{
    r->stats.dropped[why]++;
    uint64_t now = uv_now(r->loop);
    if (r->drops_logged && now - r->drops_logged_at < UDP_RELAY_LOG_MS) return;
    r->drops_logged = true;
    r->drops_logged_at = now;
    char peer[ADDR_STRLEN], counts[320];
    LOG_I("udp-relay: dropped a datagram reason=%s from=%s; so far%s (next such line in %d s at "
          "the earliest)",
          udp_relay_drop_name(why), LOG_ESC(addr_format(from, peer, sizeof peer)),
          drop_counts(&r->stats, counts, sizeof counts), UDP_RELAY_LOG_MS / 1000);
}

/* ---- the bound-address hash ---------------------------------------------- */

/* The bytes that name an address: family, port, IP. n. */
static size_t addr_bytes(const struct sockaddr *sa, uint8_t out[20])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        out[0] = 4;
        memcpy(out + 1, &a->sin_port, 2);
        memcpy(out + 3, &a->sin_addr, 4);
        return 7;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    out[0] = 6;
    memcpy(out + 1, &a->sin6_port, 2);
    memcpy(out + 3, &a->sin6_addr, 16);
    return 19;
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    uint8_t x[20], y[20];
    size_t n = addr_bytes(a, x);
    return n == addr_bytes(b, y) && memcmp(x, y, n) == 0;
}

/* FNV-1a over the seed and the address: addresses are bound only by
 * authenticated BINDs, so the seed only keeps chain lengths unguessable. */
static uint32_t bucket_of(const udp_relay_t *r, const struct sockaddr *sa)
{
    uint8_t b[20];
    size_t n = addr_bytes(sa, b);
    uint64_t h = 1469598103934665603ull ^ r->seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return (uint32_t)(h ^ h >> 32) & (r->n_buckets - 1);
}

static side_t *side_at(udp_relay_t *r, int32_t si)
{
    return &r->allocs[si >> 1].side[si & 1];
}

static int32_t map_find(udp_relay_t *r, const struct sockaddr *sa)
{
    for (int32_t si = r->buckets[bucket_of(r, sa)]; si != NO_SIDE; si = side_at(r, si)->next)
        if (same_addr((struct sockaddr *)&side_at(r, si)->addr, sa)) return si;
    return NO_SIDE;
}

static void map_insert(udp_relay_t *r, int32_t si)
{
    side_t *s = side_at(r, si);
    uint32_t b = bucket_of(r, (struct sockaddr *)&s->addr);
    s->next = r->buckets[b];
    r->buckets[b] = si;
    s->bound = true;
}

static void map_remove(udp_relay_t *r, int32_t si)
{
    side_t *s = side_at(r, si);
    if (!s->bound) return;
    int32_t *at = &r->buckets[bucket_of(r, (struct sockaddr *)&s->addr)];
    while (*at != NO_SIDE && *at != si)
        at = &side_at(r, *at)->next;
    if (*at == si) *at = s->next;
    s->bound = false;
    s->next = NO_SIDE;
}

/* ---- allocations -------------------------------------------------------- */

static alloc_t *find_alloc(udp_relay_t *r, uint64_t id)
{
    uint64_t slot = id & ((1u << SLOT_BITS) - 1);
    if (id == 0 || slot >= (uint64_t)r->cfg.max_allocs) return NULL;
    alloc_t *a = &r->allocs[slot];
    return a->id == id ? a : NULL;
}

static void send_dgram(udp_relay_t *r, const uint8_t *p, size_t n, const struct sockaddr *to)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    if (uv_udp_try_send(&r->h, &b, 1, to) < 0) drop(r, UDP_RELAY_DROP_SEND_FAILED, to);
}

/* Tells each bound side, forgets the addresses, frees the slot. */
static void end_alloc(udp_relay_t *r, alloc_t *a, relay_close_reason_t why)
{
    int slot = (int)(a - r->allocs);
    for (int s = 0; s < 2; s++) {
        side_t *sd = &a->side[s];
        if (!sd->bound) continue;
        uint8_t msg[RELAY_WIRE_LEN];
        relay_msg_t m = {.type = RELAY_MSG_CLOSED,
                         .side = (uint8_t)s,
                         .reason = (uint8_t)why,
                         .alloc_id = a->id};
        relay_wire_encode(&m, sd->key, msg);
        send_dgram(r, msg, sizeof msg, (struct sockaddr *)&sd->addr);
        map_remove(r, slot * 2 + s);
    }
    LOG_D("udp-relay: allocation ended id=%016llx reason=%s user=%s", (unsigned long long)a->id,
          relay_close_name(why), LOG_ESC(a->user));
    free(a->user);
    memset(a, 0, sizeof *a);
    a->side[0].next = a->side[1].next = NO_SIDE;
    r->live--;
}

static int user_count(const udp_relay_t *r, const char *user)
{
    int n = 0;
    for (int i = 0; i < r->cfg.max_allocs; i++)
        n += r->allocs[i].id && strcmp(r->allocs[i].user, user) == 0;
    return n;
}

static int free_slot(udp_relay_t *r)
{
    for (int k = 0; k < r->cfg.max_allocs; k++) {
        int i = (r->cursor + k) % r->cfg.max_allocs;
        if (!r->allocs[i].id) return r->cursor = i + 1, i;
    }
    return -1;
}

/* Counts and logs a refused allocation (a rendezvous peer can cause it). */
static int refuse(udp_relay_t *r, int err, const char *user)
{
    if (err == UV_EMFILE)
        r->stats.refused_user++;
    else
        r->stats.refused_total++;
    LOG_ONCE_PER_WINDOW(LOG_WARN, "udp-relay: allocation refused user=%s reason=%s", LOG_ESC(user),
                        err == UV_EMFILE ? "per-user-limit" : "total-limit");
    return err;
}

int udp_relay_alloc(udp_relay_t *r, const udp_relay_pair_t *pair, udp_relay_alloc_t *out)
{
    const char *user = pair->user ? pair->user : "";
    if (!r->serving) return UV_ENOTCONN;
    if (strlen(user) > UDP_RELAY_USER_MAX) return UV_EINVAL;
    if (r->live >= r->cfg.max_allocs) return refuse(r, UV_ENFILE, user);
    if (user_count(r, user) >= r->cfg.max_per_user) return refuse(r, UV_EMFILE, user);
    int slot = free_slot(r);
    alloc_t *a = &r->allocs[slot];
    uint64_t rnd = 0;
    if (auth_random((uint8_t *)&rnd, sizeof rnd) != 0 ||
        auth_random(a->side[0].key, RELAY_KEY_LEN) != 0 ||
        auth_random(a->side[1].key, RELAY_KEY_LEN) != 0 || !(a->user = strdup(user))) {
        memset(a->side, 0, sizeof a->side);
        a->side[0].next = a->side[1].next = NO_SIDE;
        return UV_EIO;
    }
    rnd <<= SLOT_BITS;
    a->id = (rnd ? rnd : 1ull << SLOT_BITS) | (uint64_t)slot; /* never 0 */
    a->tokens = r->cfg.burst;
    a->refilled_at = a->active_at = uv_now(r->loop);
    r->live++;
    r->stats.allocs++;
    out->id = a->id;
    memcpy(out->key[0], a->side[0].key, RELAY_KEY_LEN);
    memcpy(out->key[1], a->side[1].key, RELAY_KEY_LEN);
    out->idle_ms = r->cfg.idle_ms;
    LOG_D("udp-relay: allocation id=%016llx user=%s proxy=%s live=%d", (unsigned long long)a->id,
          LOG_ESC(user), LOG_ESC(pair->proxy), r->live);
    return 0;
}

int udp_relay_side_key(udp_relay_t *r, uint64_t id, int side, uint8_t key[RELAY_KEY_LEN])
{
    alloc_t *a = find_alloc(r, id);
    if (!a || side < 0 || side > 1) return -1;
    memcpy(key, a->side[side].key, RELAY_KEY_LEN);
    return 0;
}

void udp_relay_free(udp_relay_t *r, uint64_t id)
{
    alloc_t *a = find_alloc(r, id);
    if (!a) return;
    r->stats.freed++;
    end_alloc(r, a, RELAY_CLOSE_FREED);
}

/* Ends allocations idle for cfg.idle_ms. */
static void on_sweep(uv_timer_t *t)
{
    udp_relay_t *r = t->data;
    uint64_t now = uv_now(r->loop);
    for (int i = 0; i < r->cfg.max_allocs && r->live; i++) {
        alloc_t *a = &r->allocs[i];
        if (!a->id || now - a->active_at < r->cfg.idle_ms) continue;
        r->stats.expired++;
        end_alloc(r, a, RELAY_CLOSE_IDLE);
    }
}

/* ---- the datagram path -------------------------------------------------- */

/* Takes n bytes (plus the per-datagram cost) from a's bucket; false when
 * it holds too few. */
static bool take_tokens(udp_relay_t *r, alloc_t *a, size_t n)
{
    uint64_t now = uv_now(r->loop), cost = n + UDP_RELAY_PKT_COST;
    if (now > a->refilled_at) {
        a->tokens += (now - a->refilled_at) * r->cfg.rate_bps / 1000;
        if (a->tokens > r->cfg.burst) a->tokens = r->cfg.burst;
        a->refilled_at = now;
    }
    if (a->tokens < cost) return false;
    a->tokens -= cost;
    return true;
}

static void forward(udp_relay_t *r, const uint8_t *p, size_t n, const struct sockaddr *from)
{
    int32_t si = map_find(r, from);
    if (si == NO_SIDE) return drop(r, UDP_RELAY_DROP_STRANGER, from);
    alloc_t *a = &r->allocs[si >> 1];
    side_t *peer = &a->side[(si & 1) ^ 1];
    if (!peer->bound) return drop(r, UDP_RELAY_DROP_PEER_UNBOUND, from);
    if (!take_tokens(r, a, n)) return drop(r, UDP_RELAY_DROP_RATE, from);
    a->active_at = uv_now(r->loop);
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    if (uv_udp_try_send(&r->h, &b, 1, (struct sockaddr *)&peer->addr) < 0)
        return drop(r, UDP_RELAY_DROP_SEND_FAILED, from);
    r->stats.forwarded++;
    r->stats.forwarded_bytes += n;
}

/* Moves side si to `from` (forgetting whatever was bound there before). */
static void bind_side(udp_relay_t *r, int32_t si, const struct sockaddr *from)
{
    side_t *s = side_at(r, si);
    if (s->bound && same_addr((struct sockaddr *)&s->addr, from)) return;
    int32_t other = map_find(r, from);
    if (other != NO_SIDE) map_remove(r, other); /* one address, one side */
    if (s->bound) {
        char was[ADDR_STRLEN], now[ADDR_STRLEN];
        LOG_D("udp-relay: side moved id=%016llx side=%d from=%s to=%s",
              (unsigned long long)r->allocs[si >> 1].id, si & 1,
              addr_format((struct sockaddr *)&s->addr, was, sizeof was),
              addr_format(from, now, sizeof now));
        r->stats.rebinds++;
        map_remove(r, si);
    }
    memset(&s->addr, 0, sizeof s->addr);
    memcpy(&s->addr, from,
           from->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    map_insert(r, si);
    char at[ADDR_STRLEN];
    LOG_D("udp-relay: side bound id=%016llx side=%d addr=%s",
          (unsigned long long)r->allocs[si >> 1].id, si & 1, addr_format(from, at, sizeof at));
}

/* A BIND: checked (allocation, MAC, counter, bucket), then the side moves
 * to `from` and BOUND (the same size) answers. */
static void on_bind(udp_relay_t *r, const relay_msg_t *m, const uint8_t *p, size_t n,
                    const struct sockaddr *from)
{
    alloc_t *a = find_alloc(r, m->alloc_id);
    if (!a) return drop(r, UDP_RELAY_DROP_UNKNOWN, from);
    side_t *s = &a->side[m->side];
    if (!relay_wire_verify(p, n, s->key)) return drop(r, UDP_RELAY_DROP_BAD_MAC, from);
    if (m->counter <= s->last_counter) return drop(r, UDP_RELAY_DROP_REPLAY, from);
    if (!take_tokens(r, a, n)) return drop(r, UDP_RELAY_DROP_RATE, from);
    s->last_counter = m->counter;
    a->active_at = uv_now(r->loop);
    bind_side(r, (int32_t)((a - r->allocs) * 2 + m->side), from);
    r->stats.binds++;
    uint8_t out[RELAY_WIRE_LEN];
    relay_msg_t ack = {
        .type = RELAY_MSG_BOUND, .side = m->side, .alloc_id = a->id, .counter = m->counter};
    send_dgram(r, out, relay_wire_encode(&ack, s->key, out), from);
}

void udp_relay_datagram(udp_relay_t *r, const uint8_t *p, size_t n, bool partial,
                        const struct sockaddr *from)
{
    if (!r->serving) return; /* not started, or stopped */
    r->stats.received++;
    if (partial || n > UDP_RELAY_DGRAM_MAX) return drop(r, UDP_RELAY_DROP_OVERSIZED, from);
    if (relay_wire_is_data(p, n)) return forward(r, p, n, from);
    relay_msg_t m;
    if (relay_wire_parse(p, n, &m) < 0 || m.type != RELAY_MSG_BIND)
        return drop(r, UDP_RELAY_DROP_MALFORMED, from);
    on_bind(r, &m, p, n, from);
}

static void on_alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    udp_relay_t *r = h->data;
    *buf = uv_buf_init((char *)r->rbuf, sizeof r->rbuf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    udp_relay_t *r = h->data;
    (void)buf;
    if (nread < 0 || !from || r->stopped) return; /* errors, libuv's "nothing more" */
    udp_relay_datagram(r, r->rbuf, (size_t)nread, flags & UV_UDP_PARTIAL, from);
}

/* ---- setup -------------------------------------------------------------- */

static void fill_defaults(udp_relay_cfg_t *c)
{
    if (c->max_allocs <= 0) c->max_allocs = UDP_RELAY_MAX_ALLOCS;
    if (c->max_allocs > 1 << SLOT_BITS) c->max_allocs = 1 << SLOT_BITS;
    if (c->max_per_user <= 0) c->max_per_user = UDP_RELAY_MAX_PER_USER;
    if (!c->rate_bps) c->rate_bps = UDP_RELAY_RATE_BPS;
    if (!c->burst) c->burst = UDP_RELAY_BURST;
    if (!c->idle_ms) c->idle_ms = UDP_RELAY_IDLE_MS;
    c->addr = NULL;
}

/* The table and the hash: 2 buckets per side, a power of two. */
static int make_tables(udp_relay_t *r)
{
    r->allocs = calloc((size_t)r->cfg.max_allocs, sizeof *r->allocs);
    r->n_buckets = 1;
    while (r->n_buckets < 4u * (uint32_t)r->cfg.max_allocs)
        r->n_buckets <<= 1;
    r->buckets = malloc(r->n_buckets * sizeof *r->buckets);
    if (!r->allocs || !r->buckets) return UV_ENOMEM;
    for (uint32_t i = 0; i < r->n_buckets; i++)
        r->buckets[i] = NO_SIDE;
    for (int i = 0; i < r->cfg.max_allocs; i++)
        r->allocs[i].side[0].next = r->allocs[i].side[1].next = NO_SIDE;
    return auth_random((uint8_t *)&r->seed, sizeof r->seed) == 0 ? 0 : UV_EIO;
}

static int open_socket(udp_relay_t *r, const struct sockaddr_storage *want)
{
    int r2 = uv_udp_init(r->loop, &r->h);
    if (r2 != 0) return r2;
    r->h.data = r;
    r->open = true;
    int len = sizeof r->bound;
    if ((r2 = uv_udp_bind(&r->h, (const struct sockaddr *)want, 0)) != 0) return r2;
    if ((r2 = uv_udp_getsockname(&r->h, (struct sockaddr *)&r->bound, &len)) != 0) return r2;
    /* A relay carries bulk: ask for deep buffers (the kernel caps them). */
    int size = 4 << 20;
    uv_recv_buffer_size((uv_handle_t *)&r->h, &size);
    size = 4 << 20;
    uv_send_buffer_size((uv_handle_t *)&r->h, &size);
    return uv_udp_recv_start(&r->h, on_alloc_buf, on_recv);
}

int udp_relay_start(udp_relay_t *r, const udp_relay_cfg_t *cfg)
{
    struct sockaddr_storage want;
    char shown[ADDR_STRLEN];
    int rc = addr_parse(cfg->addr, cfg->port, &want);
    if (rc != 0) {
        LOG_E("udp-relay: bad address addr=%s", LOG_ESC(cfg->addr));
        return rc;
    }
    r->cfg = *cfg;
    fill_defaults(&r->cfg);
    if ((rc = make_tables(r)) != 0 || (rc = open_socket(r, &want)) != 0) {
        LOG_E("udp-relay: cannot serve addr=%s err=%s",
              addr_format((struct sockaddr *)&want, shown, sizeof shown), uv_strerror(rc));
        return rc;
    }
    uv_timer_init(r->loop, &r->sweep);
    r->sweep.data = r;
    uint64_t every = r->cfg.idle_ms / 4 ? r->cfg.idle_ms / 4 : 1;
    if (every > UDP_RELAY_SWEEP_MS) every = UDP_RELAY_SWEEP_MS;
    uv_timer_start(&r->sweep, on_sweep, every, every);
    r->serving = true;
    LOG_I("udp-relay: serving udp addr=%s allocations<=%d per-user<=%d rate=%u B/s idle=%u ms",
          addr_format((struct sockaddr *)&r->bound, shown, sizeof shown), r->cfg.max_allocs,
          r->cfg.max_per_user, r->cfg.rate_bps, r->cfg.idle_ms);
    return 0;
}

void udp_relay_stop(udp_relay_t *r)
{
    if (!r || r->stopped) return;
    for (int i = 0; r->serving && i < r->cfg.max_allocs; i++)
        if (r->allocs[i].id) end_alloc(r, &r->allocs[i], RELAY_CLOSE_STOPPING);
    r->stopped = true;
    bool was_serving = r->serving;
    r->serving = false;                                        /* no more allocations */
    if (was_serving) uv_close((uv_handle_t *)&r->sweep, NULL); /* r outlives the loop */
    if (r->open) uv_close((uv_handle_t *)&r->h, NULL);
    if (!was_serving) return;
    const udp_relay_stats_t *t = &r->stats;
    char counts[320];
    LOG_I("udp-relay: stopped allocations=%llu forwarded=%llu bytes=%llu binds=%llu rebinds=%llu "
          "dropped:%s",
          (unsigned long long)t->allocs, (unsigned long long)t->forwarded,
          (unsigned long long)t->forwarded_bytes, (unsigned long long)t->binds,
          (unsigned long long)t->rebinds, drop_counts(t, counts, sizeof counts));
}
