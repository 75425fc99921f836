/* stun_srv: see stun_srv.h. Setup (which addresses, which sockets), the
 * datagram path (check, parse, pick the reply slot, build, bound, send),
 * and the drop counters with their once-a-minute log line. */
#include "server/stun_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "proto/stun.h"
#include "util/log.h"

typedef struct slot {
    uv_udp_t h;
    stun_srv_t *srv;
    int idx;
    bool open;                    /* initialised: closed by stun_srv_stop */
    struct sockaddr_storage addr; /* as bound, with the real port */
    bool wildcard;                /* bound to 0.0.0.0 / :: (no RESPONSE-ORIGIN) */
} slot_t;

struct stun_srv {
    uv_loop_t *loop;
    slot_t slots[STUN_SRV_SLOTS];
    bool discovery, stopped;
    stun_srv_stats_t stats;
    uint64_t drops_logged_at; /* uv_now of the last drop line */
    bool drops_logged;
    /* One receive buffer: libuv reads one datagram at a time on this loop,
     * and the handler is done with it before the next read. One byte over
     * the limit so that an oversized datagram shows as such. */
    uint8_t rbuf[STUN_SRV_REQ_MAX + 1];
};

static const char *const drop_names[STUN_DROP_COUNT] = {
    [STUN_DROP_OVERSIZED] = "oversized",     [STUN_DROP_MALFORMED] = "malformed",
    [STUN_DROP_NOT_REQUEST] = "not-request", [STUN_DROP_NOT_BINDING] = "not-binding",
    [STUN_DROP_NO_CHANGE] = "cannot-change", [STUN_DROP_TOO_BIG] = "reply-too-big",
    [STUN_DROP_SEND_FAILED] = "send-failed",
};

const char *stun_drop_name(stun_drop_t why)
{
    return (unsigned)why < STUN_DROP_COUNT ? drop_names[why] : "?";
}

stun_srv_t *stun_srv_create(uv_loop_t *loop)
{
    stun_srv_t *s = calloc(1, sizeof *s);
    if (s) s->loop = loop;
    return s;
}

void stun_srv_destroy(stun_srv_t *s)
{
    free(s);
}

bool stun_srv_discovery(const stun_srv_t *s)
{
    return s->discovery;
}

const stun_srv_stats_t *stun_srv_stats(const stun_srv_t *s)
{
    return &s->stats;
}

bool stun_srv_slot_addr(const stun_srv_t *s, int slot, struct sockaddr_storage *out)
{
    if (slot < 0 || slot >= STUN_SRV_SLOTS || !s->slots[slot].open) return false;
    *out = s->slots[slot].addr;
    return true;
}

/* ---- drops -------------------------------------------------------------- */

/* " oversized=N malformed=N ..." for every drop reason, into buf. */
static const char *drop_counts(const stun_srv_stats_t *t, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < STUN_DROP_COUNT && at < size; i++) {
        int n = snprintf(buf + at, size - at, " %s=%llu", drop_names[i],
                         (unsigned long long)t->dropped[i]);
        if (n < 0) break;
        at += (size_t)n;
    }
    return buf;
}

static void log_drops(stun_srv_t *s, stun_drop_t why, const struct sockaddr *from)
{
    char peer[ADDR_STRLEN], counts[256];
    LOG_I("stun: dropped a datagram reason=%s from=%s; so far%s (next such line in %d s at the "
          "earliest)",
          stun_drop_name(why), LOG_ESC(addr_format(from, peer, sizeof peer)),
          drop_counts(&s->stats, counts, sizeof counts), STUN_SRV_LOG_MS / 1000);
}

/* Counts a drop; logs the first one and then at most one per STUN_SRV_LOG_MS
 * (a peer can send these at will). */
static void drop(stun_srv_t *s, stun_drop_t why, const struct sockaddr *from)
{
    s->stats.dropped[why]++;
    uint64_t now = uv_now(s->loop);
    if (s->drops_logged && now - s->drops_logged_at < STUN_SRV_LOG_MS) return;
    s->drops_logged = true;
    s->drops_logged_at = now;
    log_drops(s, why, from);
}

/* ---- the datagram path -------------------------------------------------- */

/* Comprehension-required attributes of req this server will not honour
 * (RFC 8489 §6.3.1.1: answer 420 listing them). n, at most max. */
static size_t not_understood(const stun_srv_t *s, const stun_msg_t *req, uint16_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_unknown && i < STUN_UNKNOWN_MAX && n < max; i++)
        out[n++] = req->unknown[i];
    /* RFC 5780 §7.2: no alternate address, no change. */
    if ((req->has & STUN_HAS_CHANGE) && req->change && !s->discovery && n < max)
        out[n++] = STUN_ATTR_CHANGE_REQUEST;
    return n;
}

/* The slot a reply to a request received on `on` leaves from. */
static int reply_slot(const stun_srv_t *s, int on, const stun_msg_t *req)
{
    if (!s->discovery) return on;
    int to = on;
    if (req->change & STUN_CHANGE_IP) to ^= 2;
    if (req->change & STUN_CHANGE_PORT) to ^= 1;
    return to;
}

/* Builds the answer to req into out; sets *from_slot and *is_error. The
 * answer never exceeds req_len + STUN_SRV_REPLY_SLACK: SOFTWARE goes first
 * when it would. Length, or < 0 (nothing to send). */
static int build_reply(const stun_srv_t *s, int on, const stun_msg_t *req, size_t req_len,
                       const struct sockaddr *mapped, uint8_t *out, size_t cap, int *from_slot,
                       bool *is_error)
{
    size_t limit = req_len + STUN_SRV_REPLY_SLACK;
    if (limit < cap) cap = limit;
    uint16_t unknown[STUN_UNKNOWN_MAX];
    size_t n_unknown = not_understood(s, req, unknown, STUN_UNKNOWN_MAX);
    *from_slot = on;
    *is_error = n_unknown > 0;
    if (n_unknown) {
        char peer[ADDR_STRLEN];
        LOG_D("stun: 420 Unknown Attribute to=%s first=0x%04x count=%zu",
              addr_format(mapped, peer, sizeof peer), unknown[0], n_unknown);
        int n = stun_build_binding_error(out, cap, req, 420, "Unknown Attribute", unknown,
                                         n_unknown, STUN_SRV_SOFTWARE);
        return n > 0 ? n
                     : stun_build_binding_error(out, cap, req, 420, NULL, unknown, n_unknown, NULL);
    }
    int to = reply_slot(s, on, req);
    const slot_t *src = &s->slots[to];
    stun_binding_reply_t r = {
        .mapped = mapped,
        .other = s->discovery ? (const struct sockaddr *)&s->slots[on ^ 3].addr : NULL,
        .origin = src->wildcard ? NULL : (const struct sockaddr *)&src->addr,
        .software = STUN_SRV_SOFTWARE,
    };
    *from_slot = to;
    int n = stun_build_binding_success(out, cap, req, &r);
    if (n > 0) return n;
    r.software = NULL;
    return stun_build_binding_success(out, cap, req, &r);
}

static void send_reply(stun_srv_t *s, int from_slot, const uint8_t *p, size_t n,
                       const struct sockaddr *to, bool error)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int r = uv_udp_try_send(&s->slots[from_slot].h, &b, 1, to);
    if (r < 0) {
        drop(s, STUN_DROP_SEND_FAILED, to);
        return;
    }
    if (error)
        s->stats.errors++;
    else
        s->stats.answered++;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static void on_datagram(stun_srv_t *s, int on, const uint8_t *p, size_t n, bool partial,
                        const struct sockaddr *from)
{
    s->stats.received++;
    if (partial || n > STUN_SRV_REQ_MAX) return drop(s, STUN_DROP_OVERSIZED, from);
    stun_msg_t req;
    if (stun_parse(p, n, &req) < 0) return drop(s, STUN_DROP_MALFORMED, from);
    if (req.cls != STUN_CLASS_REQUEST) return drop(s, STUN_DROP_NOT_REQUEST, from);
    if (req.method != STUN_METHOD_BINDING) return drop(s, STUN_DROP_NOT_BINDING, from);
    if (req.classic && req.change && !s->discovery) return drop(s, STUN_DROP_NO_CHANGE, from);
    if ((req.has & STUN_HAS_RESPONSE_PORT) && req.response_port == 0)
        return drop(s, STUN_DROP_MALFORMED, from);
    struct sockaddr_storage mapped;
    addr_unmap_v4(from, &mapped); /* a dual-stack socket's ::ffff:a.b.c.d is IPv4 */
    uint8_t out[STUN_SRV_REQ_MAX + STUN_SRV_REPLY_SLACK];
    int from_slot;
    bool is_error;
    int len = build_reply(s, on, &req, n, (struct sockaddr *)&mapped, out, sizeof out, &from_slot,
                          &is_error);
    if (len <= 0 || (size_t)len > n + STUN_SRV_REPLY_SLACK) return drop(s, STUN_DROP_TOO_BIG, from);
    /* RFC 5780 §7.5: RESPONSE-PORT sends the answer to the request's source
     * address at that port (the same host: no reflection to a third one);
     * XOR-MAPPED-ADDRESS still names the source. burrow nat's --lifetime
     * asks this way whether an idle mapping still lets answers in. */
    struct sockaddr_storage dest;
    memcpy(&dest, from,
           from->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    if (!is_error && (req.has & STUN_HAS_RESPONSE_PORT)) set_port(&dest, req.response_port);
    send_reply(s, from_slot, out, (size_t)len, (const struct sockaddr *)&dest, is_error);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    stun_srv_t *s = ((slot_t *)h->data)->srv;
    *buf = uv_buf_init((char *)s->rbuf, sizeof s->rbuf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    slot_t *sl = h->data;
    (void)buf;
    /* nread < 0: a socket error (ICMP and the like); from == NULL: libuv's
     * "nothing more to read". An empty datagram (0, from) is malformed. */
    if (nread < 0 || !from || sl->srv->stopped) return;
    on_datagram(sl->srv, sl->idx, sl->srv->rbuf, (size_t)nread, flags & UV_UDP_PARTIAL, from);
}

/* ---- setup -------------------------------------------------------------- */

static bool is_wildcard(const struct sockaddr *sa)
{
    static const uint8_t zero[16];
    if (sa->sa_family == AF_INET) return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == 0;
    return memcmp(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, zero, 16) == 0;
}

/* Binds slot idx to ip:port and starts reading. 0 or < 0 (logged). */
static int open_slot(stun_srv_t *s, int idx, const struct sockaddr_storage *ip, int port)
{
    slot_t *sl = &s->slots[idx];
    struct sockaddr_storage want = *ip;
    char shown[ADDR_STRLEN];
    set_port(&want, port);
    sl->srv = s;
    sl->idx = idx;
    sl->h.data = sl;
    int r = uv_udp_init(s->loop, &sl->h);
    if (r != 0) goto fail;
    sl->open = true;
    r = uv_udp_bind(&sl->h, (struct sockaddr *)&want, 0);
    int len = sizeof sl->addr;
    if (r == 0) r = uv_udp_getsockname(&sl->h, (struct sockaddr *)&sl->addr, &len);
    if (r == 0) r = uv_udp_recv_start(&sl->h, on_alloc, on_recv);
    if (r != 0) goto fail;
    sl->wildcard = is_wildcard((struct sockaddr *)&sl->addr);
    return 0;
fail:
    LOG_E("stun: cannot bind udp addr=%s err=%s",
          addr_format((struct sockaddr *)&want, shown, sizeof shown), uv_strerror(r));
    return r;
}

/* The host's global addresses of `family` other than `except` (may be
 * NULL), up to max, into out. Returns how many there are in all. */
static int host_globals(int family, const struct sockaddr *except, struct sockaddr_storage *out,
                        int max)
{
    uv_interface_address_t *ifs;
    int n_ifs, n = 0;
    if (uv_interface_addresses(&ifs, &n_ifs) != 0) return 0;
    for (int i = 0; i < n_ifs; i++) {
        const struct sockaddr *a = (const struct sockaddr *)&ifs[i].address;
        if (ifs[i].is_internal || a->sa_family != family || !addr_is_global(a)) continue;
        char x[ADDR_STRLEN], y[ADDR_STRLEN];
        if (except && strcmp(addr_ip(a, x, sizeof x), addr_ip(except, y, sizeof y)) == 0) continue;
        bool dup = false; /* one address on two interfaces counts once */
        for (int j = 0; j < n && j < max; j++)
            dup |= strcmp(addr_ip(a, x, sizeof x),
                          addr_ip((struct sockaddr *)&out[j], y, sizeof y)) == 0;
        if (dup) continue;
        if (n < max)
            memcpy(&out[n], a,
                   family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
        n++;
    }
    uv_free_interface_addresses(ifs, n_ifs);
    return n;
}

/* Picks A and B for discovery from the configuration and the host's
 * addresses. true with *a and *b set, or false with `why` saying why
 * discovery is off. */
static bool pick_pair(const stun_srv_cfg_t *cfg, const struct sockaddr_storage *bind_ip,
                      struct sockaddr_storage *a, struct sockaddr_storage *b, char *why,
                      size_t why_len)
{
    bool wild = is_wildcard((const struct sockaddr *)bind_ip);
    struct sockaddr_storage found[2];
    if (cfg->alt_addr && !cfg->alt_addr[0]) {
        snprintf(why, why_len, "natDiscovery.altAddr is empty");
        return false;
    }
    if (cfg->alt_addr) {
        if (addr_parse(cfg->alt_addr, 0, b) != 0 || b->ss_family != bind_ip->ss_family) {
            snprintf(why, why_len, "natDiscovery.altAddr is not an address of bindAddr's family");
            return false;
        }
        *a = *bind_ip;
        if (!wild) return true;
        /* bindAddr is a wildcard: A is the one other global address. */
        int n = host_globals(b->ss_family, (struct sockaddr *)b, found, 2);
        if (n == 1) return *a = found[0], true;
        snprintf(why, why_len,
                 "bindAddr is a wildcard and the host has %d global addresses besides "
                 "natDiscovery.altAddr (need exactly one, or set bindAddr)",
                 n);
        return false;
    }
    int n = host_globals(AF_INET, NULL, found, 2);
    if (bind_ip->ss_family != AF_INET || n != 2) {
        snprintf(why, why_len,
                 "no natDiscovery.altAddr and the host has %d global IPv4 addresses (need exactly "
                 "two)",
                 n);
        return false;
    }
    if (wild) return *a = found[0], *b = found[1], true;
    char x[ADDR_STRLEN], y[ADDR_STRLEN];
    for (int i = 0; i < 2; i++)
        if (strcmp(addr_ip((struct sockaddr *)bind_ip, x, sizeof x),
                   addr_ip((struct sockaddr *)&found[i], y, sizeof y)) == 0)
            return *a = *bind_ip, *b = found[1 - i], true;
    snprintf(why, why_len, "bindAddr is not one of the host's two global IPv4 addresses");
    return false;
}

/* Discovery: A:P first (P may be 0: then the system's pick), A:P2, then B
 * on the same two ports. */
static int open_four(stun_srv_t *s, const stun_srv_cfg_t *cfg, const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
    int r = open_slot(s, 0, a, cfg->port);
    if (r != 0) return r;
    int p = addr_port((struct sockaddr *)&s->slots[0].addr);
    int p2 = cfg->alt_port ? cfg->alt_port : cfg->port ? (p < 65535 ? p + 1 : p - 1) : 0;
    if ((r = open_slot(s, 1, a, p2)) != 0) return r;
    p2 = addr_port((struct sockaddr *)&s->slots[1].addr);
    if ((r = open_slot(s, 2, b, p)) != 0) return r;
    return open_slot(s, 3, b, p2);
}

static void log_serving(const stun_srv_t *s, const char *why)
{
    char x[ADDR_STRLEN], y[ADDR_STRLEN], z[ADDR_STRLEN], w[ADDR_STRLEN];
    const struct sockaddr *sa[STUN_SRV_SLOTS];
    for (int i = 0; i < STUN_SRV_SLOTS; i++)
        sa[i] = (const struct sockaddr *)&s->slots[i].addr;
    if (s->discovery) {
        LOG_I("stun: serving udp with RFC 5780 discovery addrs=%s,%s,%s,%s",
              addr_format(sa[0], x, sizeof x), addr_format(sa[1], y, sizeof y),
              addr_format(sa[2], z, sizeof z), addr_format(sa[3], w, sizeof w));
        return;
    }
    LOG_I("stun: serving udp addr=%s (Binding only; NAT behaviour discovery limited: %s)",
          addr_format(sa[0], x, sizeof x), why);
}

int stun_srv_start(stun_srv_t *s, const stun_srv_cfg_t *cfg)
{
    struct sockaddr_storage bind_ip, a, b;
    char why[192] = "";
    int r = addr_parse(cfg->addr, 0, &bind_ip);
    if (r != 0) {
        LOG_E("stun: bad address addr=%s", LOG_ESC(cfg->addr));
        return r;
    }
    if (pick_pair(cfg, &bind_ip, &a, &b, why, sizeof why)) {
        if (!cfg->alt_addr) {
            char x[ADDR_STRLEN];
            LOG_I("stun: found a second global address alt=%s (natDiscovery.altAddr absent)",
                  addr_ip((struct sockaddr *)&b, x, sizeof x));
        }
        r = open_four(s, cfg, &a, &b);
        s->discovery = r == 0;
    } else {
        r = open_slot(s, 0, &bind_ip, cfg->port);
    }
    if (r == 0) {
        log_serving(s, why);
        return 0;
    }
    for (int i = 0; i < STUN_SRV_SLOTS; i++) /* serve nothing; stun_srv_stop closes them */
        if (s->slots[i].open) uv_udp_recv_stop(&s->slots[i].h);
    return r;
}

static void log_totals(const stun_srv_t *s)
{
    const stun_srv_stats_t *t = &s->stats;
    char counts[256];
    LOG_I("stun: stopped received=%llu answered=%llu errors=%llu dropped:%s",
          (unsigned long long)t->received, (unsigned long long)t->answered,
          (unsigned long long)t->errors, drop_counts(t, counts, sizeof counts));
}

void stun_srv_stop(stun_srv_t *s)
{
    if (!s || s->stopped) return;
    s->stopped = true;
    bool any = false;
    for (int i = 0; i < STUN_SRV_SLOTS; i++) {
        if (!s->slots[i].open) continue;
        any = true;
        uv_close((uv_handle_t *)&s->slots[i].h, NULL); /* s outlives the loop */
    }
    if (any) log_totals(s);
}
