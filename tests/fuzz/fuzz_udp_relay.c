/* fuzz_udp_relay: the server's UDP relay (server/udp_relay.c) on its own
 * loop, its datagram handler fed in-process. Four harness sockets on
 * 127.0.0.1 are the sources (the handler is told a datagram came from
 * one); what the relay sends lands in them. Two allocations exist at the
 * start (max_allocs 3, burst 8000 bytes: the bounds are reachable). The
 * input is a script of records (op, u16 length, argument):
 *   op % 4 == 0  raw: arg[0] % 4 the source, the rest the datagram
 *   op % 4 == 1  a BIND the harness MACs: arg = source, allocation (% 3),
 *                side, counter (1 byte), and a byte whose bit 0 means
 *                "under the wrong key"
 *   op % 4 == 2  free allocation arg[0] % 3
 *   op % 4 == 3  allocate into slot arg[0] % 3 (when it is free)
 * Invariants after every datagram: at most one datagram out, never longer
 * than the one in; a forwarded datagram is the input unchanged; a message
 * out is a BOUND that verifies under the key of the side it names. After
 * a free, at most two CLOSED, each verifying. */
#include "fuzz_net.h"
#include "fuzz_require.h"
#include "server/udp_relay.h"

#define SOURCES 4
#define ALLOCS 3

typedef struct fz_relay {
    uv_loop_t loop;
    udp_relay_t *r;
    int fd[SOURCES];
    struct sockaddr_storage addr[SOURCES];
    udp_relay_alloc_t a[ALLOCS];
    bool live[ALLOCS];
} fz_relay_t;

static void fz_relay_up(fz_relay_t *h)
{
    fz_quiet_logs();
    memset(h, 0, sizeof *h);
    if (uv_loop_init(&h->loop) != 0) fz_die("uv_loop_init");
    h->r = udp_relay_create(&h->loop);
    udp_relay_cfg_t cfg = {.addr = "127.0.0.1",
                           .max_allocs = ALLOCS,
                           .max_per_user = ALLOCS,
                           .burst = 8000,
                           .rate_bps = 1000};
    if (!h->r || udp_relay_start(h->r, &cfg) != 0) fz_die("udp_relay_start");
    for (int i = 0; i < SOURCES; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof a;
        h->fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (h->fd[i] < 0 || bind(h->fd[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(h->fd[i], (struct sockaddr *)&h->addr[i], &al) != 0)
            fz_die("harness socket");
    }
    udp_relay_pair_t pair = {.user = "fuzz", .proxy = "p"};
    for (int i = 0; i < 2; i++)
        h->live[i] = udp_relay_alloc(h->r, &pair, &h->a[i]) == 0;
}

static void fz_relay_down(fz_relay_t *h)
{
    for (int i = 0; i < SOURCES; i++)
        close(h->fd[i]);
    udp_relay_stop(h->r);
    fz_run_dry(&h->loop);
    udp_relay_destroy(h->r);
}

/* The key of (id, side) among the live allocations, or NULL. */
static const uint8_t *key_of(const fz_relay_t *h, uint64_t id, int side)
{
    for (int i = 0; i < ALLOCS; i++)
        if (h->live[i] && h->a[i].id == id) return h->a[i].key[side];
    return NULL;
}

/* Everything the relay sent since the last call: checks each, returns how
 * many. `in` is the datagram that caused them (NULL after a free). */
static int collect(const fz_relay_t *h, const uint8_t *in, size_t in_len, uint8_t want_type)
{
    int out = 0;
    for (int i = 0; i < SOURCES; i++) {
        uint8_t b[2048];
        ssize_t got;
        while ((got = recv(h->fd[i], b, sizeof b, 0)) >= 0) {
            out++;
            size_t n = (size_t)got;
            if (in) require(n <= in_len);
            if (relay_wire_is_data(b, n)) {
                require(in && n == in_len && memcmp(b, in, n) == 0);
                continue;
            }
            relay_msg_t m;
            require(relay_wire_parse(b, n, &m) == RELAY_WIRE_LEN && m.type == want_type);
            const uint8_t *k = key_of(h, m.alloc_id, m.side);
            require(k && relay_wire_verify(b, n, k));
        }
    }
    return out;
}

static void feed(fz_relay_t *h, int src, const uint8_t *p, size_t n)
{
    udp_relay_datagram(h->r, p, n, false, (struct sockaddr *)&h->addr[src]);
    require(collect(h, p, n, RELAY_MSG_BOUND) <= 1);
}

static void bind_op(fz_relay_t *h, const uint8_t *arg, size_t len)
{
    uint8_t b[5] = {0};
    memcpy(b, arg, len < 5 ? len : 5);
    int i = b[1] % ALLOCS;
    if (!h->live[i]) return;
    relay_msg_t m = {
        .type = RELAY_MSG_BIND, .side = b[2] & 1, .alloc_id = h->a[i].id, .counter = b[3]};
    uint8_t wrong[RELAY_KEY_LEN] = {0}, msg[RELAY_WIRE_LEN];
    relay_wire_encode(&m, (b[4] & 1) ? wrong : h->a[i].key[m.side], msg);
    feed(h, b[0] % SOURCES, msg, sizeof msg);
}

static void play(fz_relay_t *h, uint8_t op, const uint8_t *arg, size_t len)
{
    int slot = len ? arg[0] % ALLOCS : 0;
    switch (op % 4) {
    case 0:
        if (len) feed(h, arg[0] % SOURCES, arg + 1, len - 1);
        break;
    case 1:
        bind_op(h, arg, len);
        break;
    case 2:
        if (!h->live[slot]) break;
        udp_relay_free(h->r, h->a[slot].id);
        require(collect(h, NULL, 0, RELAY_MSG_CLOSED) <= 2); /* keys still known here */
        h->live[slot] = false;
        break;
    case 3:
        if (h->live[slot]) break;
        udp_relay_pair_t pair = {.user = "fuzz", .proxy = "p"};
        h->live[slot] = udp_relay_alloc(h->r, &pair, &h->a[slot]) == 0;
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_relay_t h;
    fz_relay_up(&h);
    fz_script_t s = {data, size};
    uint8_t op;
    const uint8_t *arg;
    size_t len;
    while (fz_next(&s, &op, &arg, &len))
        play(&h, op, arg, len);
    fz_relay_down(&h);
    return 0;
}
