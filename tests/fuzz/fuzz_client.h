/* fuzz_client: a real `burrow client` in-process for one fuzz input, with
 * the harness playing its server and its local services (header-only; see
 * fuzz_net.h).
 *
 * Per input: a fresh loop; the harness listens on 127.0.0.1 as the server
 * (plain TCP) and as the local services (one TCP listener, one UDP socket);
 * the client is configured with five proxies (FZ_CLI_PROXIES: tcp, tcp
 * with a PROXY v2 header, udp, tcp to a port where nothing listens, an
 * sudp owner whose local service is the udp one, and an ftp = true tcp
 * proxy to the tcp service),
 * logs in against the harness (which computes nothing: the client checks no
 * server MAC), and opens its pool's work conn. The script then plays, then
 * client_stop() and a loop that must run dry.
 *
 * Peers: slot 0 is the control connection, slot 1 the first work conn;
 * every connection the client makes later (work conns, local dials) is
 * accepted after each record and takes the next slot. Records:
 *   0 RAW     write the argument to the current peer
 *   1 FRAME   a frame: type = arg[0], payload = the rest
 *   2 SELECT  current peer = arg[0] % peers
 *   3 SHUT    half-close the current peer (FIN)
 *   4 CLOSE   close the current peer (arg[0] & 1: with a reset)
 *   5 UDP     the local udp service answers the last client socket that
 *             sent it a datagram, with the argument */
#ifndef BURROW_FUZZ_CLIENT_H
#define BURROW_FUZZ_CLIENT_H

#include <sys/stat.h>

#include "client/client.h"
#include "config/config.h"
#include "fuzz_net.h"
#include "proto/auth.h"

#define FZ_CLI_TOKEN "fuzz-token"
/* wire names: the client prefixes user "fz." */
#define FZ_CLI_PROXIES "fz.tcp, fz.pp, fz.udp, fz.dead, fz.dns, fz.ftp"

enum { CO_RAW, CO_FRAME, CO_SELECT, CO_SHUT, CO_CLOSE, CO_UDP, CO_COUNT };

typedef struct fz_cli {
    uv_loop_t loop;
    client_cfg_t cfg;
    cli_t *cli;
    int srv_fd, local_fd, udp_fd; /* the harness's listeners */
    struct sockaddr_storage udp_from;
    socklen_t udp_from_len;
    fz_peer_t peers[FZ_MAX_PEERS];
    int npeers, cur;
} fz_cli_t;

static char fz_cli_dir[64];

static void fz_cli_cleanup_dir(void)
{
    fz_rm_tree(fz_cli_dir);
}

static inline int fz_listen(int type, int *port)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        (type == SOCK_STREAM && listen(fd, 64) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        abort();
    *port = ntohs(a.sin_port);
    return fd;
}

/* Accepts what the client dialed on our listeners; reads the udp service. */
static inline void fz_cli_accept(fz_cli_t *h)
{
    int fds[2] = {h->srv_fd, h->local_fd};
    for (int i = 0; i < 2; i++) {
        int fd;
        while ((fd = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC)) >= 0) {
            if (h->npeers >= FZ_MAX_PEERS) {
                close(fd);
                continue;
            }
            fz_peer_adopt(&h->peers[h->npeers++], fd);
        }
    }
    uint8_t buf[2048];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    while (recvfrom(h->udp_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) >= 0) {
        h->udp_from = from;
        h->udp_from_len = fl;
        fl = sizeof from;
    }
}

static inline void fz_cli_pump(fz_cli_t *h, int n)
{
    for (int i = 0; i < n; i++) {
        fz_pump(&h->loop, h->peers, h->npeers, 1);
        fz_cli_accept(h);
    }
}

/* Runs the loop until the client has made connection number `want` to us
 * (the resolver runs on libuv's thread pool, so this may take a moment). */
static inline void fz_cli_wait_peers(fz_cli_t *h, int want)
{
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    while (h->npeers < want) {
        if (fz_now_ms() > deadline) fz_die("the client did not connect");
        fz_cli_pump(h, 1);
        struct pollfd p = {.fd = h->srv_fd, .events = POLLIN};
        poll(&p, 1, 1);
    }
}

static inline void fz_cli_up(fz_cli_t *h)
{
    fz_quiet_logs();
    if (!fz_cli_dir[0]) {
        snprintf(fz_cli_dir, sizeof fz_cli_dir, "/tmp/burrow-fuzzc-XXXXXX");
        if (!mkdtemp(fz_cli_dir)) abort();
        atexit(fz_cli_cleanup_dir);
    }
    memset(h, 0, sizeof *h);
    int srv_port, local_port, udp_port, dead_port;
    h->srv_fd = fz_listen(SOCK_STREAM, &srv_port);
    h->local_fd = fz_listen(SOCK_STREAM, &local_port);
    h->udp_fd = fz_listen(SOCK_DGRAM, &udp_port);
    fz_free_ports(&dead_port, 1);
    char text[2048];
    int n =
        snprintf(text, sizeof text,
                 "serverAddr = \"127.0.0.1\"\nserverPort = %d\n"
                 "user = \"fz\"\nauth.token = \"" FZ_CLI_TOKEN "\"\n"
                 "transport.tls.enable = false\ntransport.poolCount = 1\n"
                 "[[proxies]]\nname = \"tcp\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "[[proxies]]\nname = \"pp\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "transport.proxyProtocolVersion = \"v2\"\n"
                 "[[proxies]]\nname = \"udp\"\ntype = \"udp\"\nlocalPort = %d\n"
                 "[[proxies]]\nname = \"dead\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "[[proxies]]\nname = \"dns\"\ntype = \"sudp\"\nlocalPort = %d\n"
                 "secretKey = \"fz-key\"\nallowUsers = [\"*\"]\n"
                 "[[proxies]]\nname = \"x\"\ntype = \"xtcp\"\nlocalPort = %d\n"
                 "secretKey = \"k\"\nallowUsers = [\"bob\"]\n"
                 /* Wake-on-LAN on "lo" (no broadcast): the paths run,
                  * no magic packet leaves the machine */
                 "[[proxies]]\nname = \"sleepy\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "wakeOnLan = \"pc\"\nwakeTimeout = 1\n"
                 "[[wakeOnLan]]\nname = \"pc\"\nmac = \"52:54:00:00:00:01\"\n"
                 "interface = \"lo\"\n"
                 /* FTP-aware: PORT/EPRT open a listener on 127.0.0.1 */
                 "[[proxies]]\nname = \"ftp\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "ftp = true\n"
                 /* shaping and compression (client/cshape.c) */
                 "[[proxies]]\nname = \"zip\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "transport.useCompression = true\ntransport.bandwidthLimit = \"64KB\"\n"
                 "[[proxies]]\nname = \"slow\"\ntype = \"udp\"\nlocalPort = %d\n"
                 "transport.bandwidthLimit = \"1KB\"\n"
                 "[[proxies]]\nname = \"srvshaped\"\ntype = \"tcp\"\nlocalPort = %d\n"
                 "transport.bandwidthLimit = \"1MB\"\ntransport.bandwidthLimitMode = \"server\"\n",
                 srv_port, local_port, local_port, udp_port, dead_port, udp_port, local_port,
                 dead_port, local_port, local_port, udp_port, local_port);
    if (uv_loop_init(&h->loop) != 0 ||
        config_parse_client("fuzz-client.toml", text, (size_t)n, &h->cfg, NULL) != 0)
        abort();
    h->cli = client_create(&h->loop, &h->cfg, fz_cli_dir);
    if (!h->cli) fz_die("client_create");
    client_start(h->cli);
}

/* Plays the server's side of the login, then waits for the pool's work conn. */
static inline void fz_cli_login(fz_cli_t *h)
{
    fz_cli_wait_peers(h, 1);
    fz_peer_t *ctl = &h->peers[0];
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    while (ctl->len < FRAME_MAGIC_LEN && !ctl->eof && fz_now_ms() < deadline)
        fz_cli_pump(h, 1);
    ctl->off = FRAME_MAGIC_LEN;
    json_t *m = fz_wait_json(&h->loop, ctl, MSG_HELLO);
    if (!m) fz_die("no HELLO");
    json_decref(m);
    fz_peer_send_json(&h->loop, ctl, MSG_CHALLENGE,
                      json_pack("{s:i,s:s}", "proto", 1, "nonce",
                                "0123456789abcdef0123456789abcdef"
                                "0123456789abcdef0123456789abcdef"));
    if (!(m = fz_wait_json(&h->loop, ctl, MSG_LOGIN))) fz_die("no LOGIN");
    json_decref(m);
    fz_peer_send_json(&h->loop, ctl, MSG_LOGIN_OK,
                      json_pack("{s:s,s:i,s:i}", "run_id", "00112233445566778899aabbccddeeff",
                                "heartbeat_timeout", 90, "max_pool", 5));
    fz_cli_wait_peers(h, 2);
}

static inline void fz_cli_down(fz_cli_t *h)
{
    for (int i = 0; i < h->npeers; i++)
        fz_peer_close(&h->peers[i], false);
    client_stop(h->cli);
    fz_run_dry(&h->loop);
    client_destroy(h->cli);
    config_client_free(&h->cfg);
    close(h->srv_fd);
    close(h->local_fd);
    close(h->udp_fd);
}

static inline void fz_cli_op(fz_cli_t *h, uint8_t op, const uint8_t *a, size_t n)
{
    fz_peer_t *pe = h->npeers ? &h->peers[h->cur] : NULL;
    switch (op % CO_COUNT) {
    case CO_RAW:
        if (pe) fz_peer_write(&h->loop, pe, a, n);
        break;
    case CO_FRAME:
        if (pe && n) fz_peer_send_frame(&h->loop, pe, a[0], a + 1, n - 1);
        break;
    case CO_SELECT:
        if (h->npeers && n) h->cur = a[0] % h->npeers;
        break;
    case CO_SHUT:
        if (pe && pe->fd >= 0) shutdown(pe->fd, SHUT_WR);
        break;
    case CO_CLOSE:
        if (pe) fz_peer_close(pe, n && (a[0] & 1));
        break;
    case CO_UDP:
        if (h->udp_from_len)
            sendto(h->udp_fd, a, n, 0, (struct sockaddr *)&h->udp_from, h->udp_from_len);
        break;
    }
}

static inline void fz_cli_play(fz_cli_t *h, const uint8_t *data, size_t size)
{
    fz_script_t s = {data, size};
    uint8_t op;
    const uint8_t *a;
    size_t n;
    while (fz_next(&s, &op, &a, &n)) {
        fz_cli_op(h, op, a, n);
        fz_cli_pump(h, FZ_PUMPS);
    }
}

#endif
