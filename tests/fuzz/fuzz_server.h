/* fuzz_server: a real `burrow server` in-process for one fuzz input, and
 * the harness playing its clients and users (header-only; see fuzz_net.h).
 *
 * Per input: a fresh loop and server (plain TCP on 127.0.0.1, bindPort 0,
 * token FZ_TOKEN, http and https vhosts, allowPorts kept to a small range
 * below the ephemeral ports, which anything on the machine may hold),
 * the script's records played against it, then server_stop() and a loop that
 * must run dry, so nothing (state, handles, memory) outlives the input.
 *
 * Peers: slot 0 is the control connection; work conns and users take the
 * next free slots. Records (op, u16 length, argument):
 *   0 RAW     write the argument to the current peer
 *   1 FRAME   a frame: type = arg[0], payload = the rest
 *   2 SELECT  current peer = arg[0] % peers
 *   3 WORK    open a work conn with a valid proof (when logged in; else a
 *             bare connection to bindPort) and make it current
 *   4 SHUT    half-close the current peer (FIN)
 *   5 CLOSE   close the current peer (arg[0] & 1: with a reset)
 *   6 UDP     send the argument as a datagram to the last proxy port
 *   7 USER    connect a user to the last proxy port (tcp), make it current
 *   8 HTTP    connect a user to the http vhost, make it current
 *   9 HTTPS   connect a user to the https vhost, make it current
 *  10 REPLY   UDP_DATA with the session id last received on the current
 *             peer, the argument as datagram
 *  11 AUTO    stop (or resume) answering REQ_WORK_CONN, so that users
 *             wait for work conns the script opens itself (op 3)
 * Like a client, the harness notes the port of every NEW_PROXY_RESP that
 * says ok, and opens the work conns REQ_WORK_CONN asks for (while peer
 * slots last), so users that wait for one get it. */
#ifndef BURROW_FUZZ_SERVER_H
#define BURROW_FUZZ_SERVER_H

#include <sys/stat.h>

#include "config/config.h"
#include "fuzz_net.h"
#include "proto/auth.h"
#include "server/server.h"

#define FZ_TOKEN "fuzz-token"
#define FZ_USER "fz"

enum {
    OP_RAW,
    OP_FRAME,
    OP_SELECT,
    OP_WORK,
    OP_SHUT,
    OP_CLOSE,
    OP_UDP,
    OP_USER,
    OP_HTTP,
    OP_HTTPS,
    OP_REPLY,
    OP_AUTO,
    OP_COUNT
};

typedef struct fz_srv {
    uv_loop_t loop;
    server_cfg_t cfg;
    srv_t *srv;
    int port;
    fz_peer_t peers[FZ_MAX_PEERS];
    int npeers, cur;
    bool logged_in;
    char run_id[2 * 16 + 1];
    uint8_t work_key[AUTH_MAC_LEN];
    uint64_t seq;
    int proxy_port;   /* remote_port of the last NEW_PROXY accepted */
    bool manual_work; /* REQ_WORK_CONN is left to the script */
    int udp_fd;
} fz_srv_t;

static char fz_state_dir[64];
static int fz_http_port, fz_https_port;

static inline void fz_srv_cleanup_dir(void)
{
    fz_rm_tree(fz_state_dir);
}

static inline void fz_srv_pick_ports(void)
{
    int ports[2];
    fz_free_ports(ports, 2);
    fz_http_port = ports[0];
    fz_https_port = ports[1];
}

static inline void fz_srv_once(void)
{
    if (fz_state_dir[0]) return;
    fz_quiet_logs();
    snprintf(fz_state_dir, sizeof fz_state_dir, "/tmp/burrow-fuzz-XXXXXX");
    if (!mkdtemp(fz_state_dir)) fz_die("mkdtemp");
    atexit(fz_srv_cleanup_dir);
    fz_srv_pick_ports();
}

/* One attempt at a running server. false (everything undone) when a vhost
 * port was taken meanwhile by someone else on this machine. */
static inline bool fz_srv_try_up(fz_srv_t *h)
{
    char text[512];
    int n = snprintf(text, sizeof text,
                     "bindAddr = \"127.0.0.1\"\n"
                     "proxyBindAddr = \"127.0.0.1\"\n"
                     "auth.token = \"" FZ_TOKEN "\"\n"
                     "vhostHTTPPort = %d\n"
                     "vhostHTTPSPort = %d\n"
                     "subDomainHost = \"fuzz.test\"\n"
                     "vhostWildcardDomains = [\"w.test\"]\n"
                     "maxPortsPerClient = 8\n"
                     "allowPorts = [{ start = 20000, end = 20015 }]\n",
                     fz_http_port, fz_https_port);
    if (uv_loop_init(&h->loop) != 0) fz_die("uv_loop_init");
    if (config_parse_server("fuzz-server.toml", text, (size_t)n, &h->cfg, NULL) != 0)
        fz_die("server config refused");
    h->cfg.bind_port = 0;
    h->srv = server_create(&h->loop, &h->cfg, fz_state_dir);
    if (!h->srv) fz_die("server_create");
    if (server_start(h->srv) == 0) return true;
    server_stop(h->srv);
    fz_run_dry(&h->loop);
    server_destroy(h->srv);
    config_server_free(&h->cfg);
    return false;
}

static inline void fz_srv_up(fz_srv_t *h)
{
    fz_srv_once();
    memset(h, 0, sizeof *h);
    h->udp_fd = -1;
    for (int i = 0; i < FZ_MAX_PEERS; i++)
        h->peers[i].fd = -1;
    for (int attempt = 0; !fz_srv_try_up(h); attempt++) {
        if (attempt == 5) fz_die("server_start keeps failing");
        fz_srv_pick_ports();
    }
    h->port = server_listen_port(h->srv);
    if (h->port <= 0) fz_die("server_listen_port");
}

static inline void fz_srv_down(fz_srv_t *h)
{
    for (int i = 0; getenv("FUZZ_LOG") && i < h->npeers; i++)
        fprintf(stderr, "fuzz: peer %d got %zu bytes%s: %.*s\n", i, h->peers[i].len,
                h->peers[i].eof ? " then EOF" : "",
                (int)(h->peers[i].len < 300 ? h->peers[i].len : 300),
                h->peers[i].in ? (const char *)h->peers[i].in : "");
    for (int i = 0; i < h->npeers; i++)
        fz_peer_close(&h->peers[i], false);
    if (h->udp_fd >= 0) close(h->udp_fd);
    fz_pump(&h->loop, NULL, 0, FZ_PUMPS);
    server_stop(h->srv);
    fz_run_dry(&h->loop);
    server_destroy(h->srv);
    config_server_free(&h->cfg);
}

/* A new peer slot connected to port (made current), or NULL when full or
 * refused. */
static inline fz_peer_t *fz_srv_connect(fz_srv_t *h, int port)
{
    if (h->npeers >= FZ_MAX_PEERS || port <= 0) return NULL;
    fz_peer_t *pe = &h->peers[h->npeers];
    if (!fz_peer_connect(pe, port)) return NULL;
    h->cur = h->npeers++;
    return pe;
}

static inline void fz_srv_hello(fz_srv_t *h, fz_peer_t *pe, json_t *extra)
{
    json_t *o = json_pack("{s:i,s:i,s:s}", "proto_min", 1, "proto_max", 1, "version", "fuzz");
    json_object_update(o, extra);
    json_decref(extra);
    fz_peer_write(&h->loop, pe, FRAME_MAGIC, FRAME_MAGIC_LEN);
    fz_peer_send_json(&h->loop, pe, MSG_HELLO, o);
}

/* Logs in on a new control connection (slot 0), computing the MAC as a
 * client would. Aborts when the server does not let the harness in: that
 * is a harness or server bug, not an interesting input. */
static inline void fz_srv_login(fz_srv_t *h)
{
    fz_peer_t *pe = fz_srv_connect(h, h->port);
    if (!pe) fz_die("cannot connect to the server");
    fz_srv_hello(h, pe, json_pack("{s:s}", "role", "control"));
    json_t *ch = fz_wait_json(&h->loop, pe, MSG_CHALLENGE);
    uint8_t ns[AUTH_NONCE_LEN], nc[AUTH_NONCE_LEN], mac[AUTH_MAC_LEN];
    if (!ch || auth_unhex(msg_str(ch, "nonce"), ns, sizeof ns) != 0) fz_die("no CHALLENGE");
    json_decref(ch);
    memset(nc, 0x5a, sizeof nc);
    auth_login_mac(FZ_TOKEN, ns, nc, FZ_USER, NULL, 0, mac);
    auth_work_key(FZ_TOKEN, ns, nc, h->work_key);
    char nhex[2 * AUTH_NONCE_LEN + 1], mhex[2 * AUTH_MAC_LEN + 1];
    auth_hex(nc, sizeof nc, nhex);
    auth_hex(mac, sizeof mac, mhex);
    fz_peer_send_json(&h->loop, pe, MSG_LOGIN,
                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s}}", "user", FZ_USER,
                                "client_nonce", nhex, "mac", mhex, "version", "fuzz", "hostname",
                                "fuzzhost", "client_id", "fuzz-id", "metadatas", "site", "fz"));
    json_t *ok = fz_wait_json(&h->loop, pe, MSG_LOGIN_OK);
    const char *id = ok ? msg_str(ok, "run_id") : NULL;
    if (!id || strlen(id) >= sizeof h->run_id) fz_die("no LOGIN_OK");
    snprintf(h->run_id, sizeof h->run_id, "%s", id);
    json_decref(ok);
    h->logged_in = true;
}

/* A work conn with a fresh, valid proof (or a bare connection before login). */
static inline void fz_srv_work(fz_srv_t *h)
{
    fz_peer_t *pe = fz_srv_connect(h, h->port);
    if (!pe || !h->logged_in) return;
    uint8_t mac[AUTH_MAC_LEN];
    char mhex[2 * AUTH_MAC_LEN + 1];
    auth_work_mac(h->work_key, h->run_id, ++h->seq, mac);
    auth_hex(mac, sizeof mac, mhex);
    fz_srv_hello(h, pe,
                 json_pack("{s:s,s:s,s:I,s:s}", "role", "work", "run_id", h->run_id, "seq",
                           (json_int_t)h->seq, "mac", mhex));
}

/* Notes the ports of accepted proxies from the control connection. */
static inline void fz_srv_watch_ctl(fz_srv_t *h)
{
    frame_t f;
    fz_peer_t *ctl = &h->peers[0];
    while (h->logged_in && fz_peer_frame(ctl, &f)) {
        if (f.type != MSG_NEW_PROXY_RESP && f.type != MSG_REQ_WORK_CONN) continue;
        json_t *m = msg_parse(&f);
        if (m && f.type == MSG_NEW_PROXY_RESP && msg_bool(m, "ok", 0))
            h->proxy_port = (int)msg_int(m, "remote_port", 0);
        if (m && f.type == MSG_REQ_WORK_CONN && !h->manual_work) { /* as a client would */
            int cur = h->cur;
            for (long long i = msg_int(m, "count", 1); i > 0 && h->npeers < FZ_MAX_PEERS; i--)
                fz_srv_work(h);
            h->cur = cur;
        }
        json_decref(m);
    }
}

/* Waits for the answer to a NEW_PROXY the harness sent itself. */
static inline void fz_srv_new_proxy(fz_srv_t *h, json_t *m)
{
    fz_peer_send_json(&h->loop, &h->peers[0], MSG_NEW_PROXY, m);
    json_t *r = fz_wait_json(&h->loop, &h->peers[0], MSG_NEW_PROXY_RESP);
    if (!r || !msg_bool(r, "ok", 0)) fz_die("the harness's NEW_PROXY was refused");
    h->proxy_port = (int)msg_int(r, "remote_port", 0);
    json_decref(r);
}

static inline void fz_srv_udp(fz_srv_t *h, const uint8_t *p, size_t n)
{
    if (h->proxy_port <= 0) return;
    if (h->udp_fd < 0) h->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)h->proxy_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (h->udp_fd >= 0) sendto(h->udp_fd, p, n, 0, (struct sockaddr *)&a, sizeof a);
}

/* UDP_DATA back to the last session id the server sent on this peer. */
static inline void fz_srv_reply(fz_srv_t *h, fz_peer_t *pe, const uint8_t *p, size_t n)
{
    uint32_t sid = 0;
    frame_t f;
    size_t off = 0;
    while (off < pe->len) {
        ssize_t r = frame_decode(pe->in + off, pe->len - off, &f);
        if (r <= 0) break;
        off += (size_t)r;
        const uint8_t *d;
        size_t dl;
        uint32_t id;
        if (f.type == MSG_UDP_DATA && msg_udp_decode(&f, &id, &d, &dl) == 0) sid = id;
    }
    uint8_t *b = malloc(4 + n);
    if (!b) return;
    b[0] = (uint8_t)(sid >> 24), b[1] = (uint8_t)(sid >> 16), b[2] = (uint8_t)(sid >> 8),
    b[3] = (uint8_t)sid;
    if (n) memcpy(b + 4, p, n);
    fz_peer_send_frame(&h->loop, pe, MSG_UDP_DATA, b, 4 + n);
    free(b);
}

static inline void fz_srv_op(fz_srv_t *h, uint8_t op, const uint8_t *a, size_t n)
{
    fz_peer_t *pe = h->npeers ? &h->peers[h->cur] : NULL;
    switch (op % OP_COUNT) {
    case OP_RAW:
        if (pe) fz_peer_write(&h->loop, pe, a, n);
        break;
    case OP_FRAME:
        if (pe && n) fz_peer_send_frame(&h->loop, pe, a[0], a + 1, n - 1);
        break;
    case OP_SELECT:
        if (h->npeers && n) h->cur = a[0] % h->npeers;
        break;
    case OP_WORK:
        fz_srv_work(h);
        break;
    case OP_SHUT:
        if (pe && pe->fd >= 0) shutdown(pe->fd, SHUT_WR);
        break;
    case OP_CLOSE:
        if (pe) fz_peer_close(pe, n && (a[0] & 1));
        break;
    case OP_UDP:
        fz_srv_udp(h, a, n);
        break;
    case OP_USER:
        fz_srv_connect(h, h->proxy_port);
        break;
    case OP_HTTP:
        fz_srv_connect(h, fz_http_port);
        break;
    case OP_HTTPS:
        fz_srv_connect(h, fz_https_port);
        break;
    case OP_REPLY:
        if (pe && pe->fd >= 0) fz_srv_reply(h, pe, a, n);
        break;
    case OP_AUTO:
        h->manual_work = !h->manual_work;
        break;
    }
}

/* Plays the script; the server must have consumed each record before the
 * next (FZ_PUMPS loop iterations). */
static inline void fz_srv_play(fz_srv_t *h, const uint8_t *data, size_t size)
{
    fz_script_t s = {data, size};
    uint8_t op;
    const uint8_t *a;
    size_t n;
    while (fz_next(&s, &op, &a, &n)) {
        fz_srv_op(h, op, a, n);
        fz_pump(&h->loop, h->peers, h->npeers, FZ_PUMPS);
        fz_srv_watch_ctl(h);
    }
}

#endif
