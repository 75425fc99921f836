/* fuzz_server_tls: the server's gate and a session over TLS, as real
 * clients reach it (TLS is their default). The harness's client is a
 * burrow conn (conn_connect with a client SSL_CTX) on the server's own
 * loop, so the gate's TLS sniffing, the handshake, the exporter binding in
 * the login MAC and the TLS write path all run.
 *
 * The input's first byte says whether the harness logs in first (bit 0)
 * with the MAC bound to this TLS session; the rest is a script of records
 * on that connection (fuzz_net.h):
 *   0 RAW    write the argument as plaintext
 *   1 FRAME  a frame: type = arg[0], payload = the rest
 *   2 SHUT   conn_shutdown (close_notify + FIN)
 *   3 CLOSE  conn_close */
#include "fuzz_server.h"
#include "net/conn.h"
#include "tls/tls_cert.h"

typedef struct tls_peer {
    conn_t *c;
    bool ready, failed, eof;
    fz_peer_t in; /* only the inbox (fd stays -1) */
} tls_peer_t;

static SSL_CTX *cli_ctx;

static void free_ctx(void)
{
    SSL_CTX_free(cli_ctx);
}

static void on_ready(conn_t *c, int status)
{
    tls_peer_t *t = conn_data(c);
    t->ready = status == 0;
    t->failed = status != 0;
    if (status != 0) conn_close(c);
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    tls_peer_t *t = conn_data(c);
    if (t->in.len + n > FZ_INBOX_MAX) return;
    uint8_t *b = realloc(t->in.in, t->in.len + n);
    if (!b) fz_die("out of memory");
    memcpy(b + t->in.len, p, n);
    t->in.in = b;
    t->in.len += n;
}

static void on_eof(conn_t *c)
{
    tls_peer_t *t = conn_data(c);
    t->eof = true;
}

static void on_error(conn_t *c, int err)
{
    (void)err;
    conn_close(c);
}

static void on_close(conn_t *c)
{
    tls_peer_t *t = conn_data(c);
    t->c = NULL;
}

static const conn_cbs_t cbs = {.on_ready = on_ready,
                               .on_data = on_data,
                               .on_eof = on_eof,
                               .on_error = on_error,
                               .on_close = on_close};

/* Runs the loop until cond holds or FZ_WAIT_MS passed. */
#define WAIT_UNTIL(h, cond)                                                                        \
    do {                                                                                           \
        uint64_t until_ = fz_now_ms() + FZ_WAIT_MS;                                                \
        while (!(cond) && fz_now_ms() < until_) {                                                  \
            uv_run(&(h)->loop, UV_RUN_NOWAIT);                                                     \
            usleep(100);                                                                           \
        }                                                                                          \
    } while (0)

static void send_frame(tls_peer_t *t, uint8_t type, const uint8_t *p, size_t n)
{
    uint8_t hdr[FRAME_HDR_LEN];
    if (!t->c || conn_is_closing(t->c)) return;
    frame_encode_header(hdr, type, (uint32_t)n);
    conn_write(t->c, hdr, sizeof hdr);
    if (n) conn_write(t->c, p, n);
}

static void send_json(tls_peer_t *t, uint8_t type, json_t *o)
{
    size_t n;
    uint8_t *b = msg_encode(type, o, &n);
    json_decref(o);
    if (b && t->c) conn_write(t->c, b, n);
    free(b);
}

/* The next frame of `type` the server sent, or NULL. */
static json_t *wait_json(fz_srv_t *h, tls_peer_t *t, uint8_t type)
{
    frame_t f;
    json_t *m = NULL;
    uint64_t until = fz_now_ms() + FZ_WAIT_MS;
    while (!m && t->c && fz_now_ms() < until) {
        while (!m && fz_peer_frame(&t->in, &f))
            if (f.type == type) m = msg_parse(&f);
        if (!m) uv_run(&h->loop, UV_RUN_NOWAIT);
    }
    return m;
}

static void login(fz_srv_t *h, tls_peer_t *t)
{
    conn_write(t->c, FRAME_MAGIC, FRAME_MAGIC_LEN);
    send_json(t, MSG_HELLO,
              json_pack("{s:i,s:i,s:s}", "proto_min", 1, "proto_max", 1, "role", "control"));
    json_t *ch = wait_json(h, t, MSG_CHALLENGE);
    uint8_t ns[AUTH_NONCE_LEN], nc[AUTH_NONCE_LEN], mac[AUTH_MAC_LEN], bind[AUTH_BINDING_LEN];
    if (!ch || auth_unhex(msg_str(ch, "nonce"), ns, sizeof ns) != 0) fz_die("no CHALLENGE");
    json_decref(ch);
    if (conn_tls_binding(t->c, AUTH_BINDING_LABEL, bind) != 0) fz_die("no TLS binding");
    memset(nc, 0x3c, sizeof nc);
    auth_login_mac(FZ_TOKEN, ns, nc, FZ_USER, bind, sizeof bind, mac);
    char nhex[2 * AUTH_NONCE_LEN + 1], mhex[2 * AUTH_MAC_LEN + 1];
    auth_hex(nc, sizeof nc, nhex);
    auth_hex(mac, sizeof mac, mhex);
    send_json(t, MSG_LOGIN,
              json_pack("{s:s,s:s,s:s}", "user", FZ_USER, "client_nonce", nhex, "mac", mhex));
    json_t *ok = wait_json(h, t, MSG_LOGIN_OK);
    if (!ok) fz_die("no LOGIN_OK over TLS");
    json_decref(ok);
}

static void op(tls_peer_t *t, uint8_t code, const uint8_t *a, size_t n)
{
    if (!t->c || conn_is_closing(t->c)) return;
    switch (code % 4) {
    case 0:
        if (n) conn_write(t->c, a, n);
        break;
    case 1:
        if (n) send_frame(t, a[0], a + 1, n - 1);
        break;
    case 2:
        conn_shutdown(t->c);
        break;
    case 3:
        conn_close(t->c);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fz_srv_t h;
    fz_srv_up(&h);
    if (!cli_ctx) {
        if (!(cli_ctx = tlsc_client_ctx(NULL))) fz_die("tlsc_client_ctx");
        atexit(free_ctx);
    }
    tls_peer_t t = {0};
    t.in.fd = -1;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", h.port, &a);
    t.c = conn_new(&h.loop, &cbs, &t);
    if (!t.c || conn_connect(t.c, (struct sockaddr *)&a, cli_ctx, "burrow", NULL) != 0)
        fz_die("conn_connect");
    WAIT_UNTIL(&h, t.ready || t.failed);
    if (!t.ready) fz_die("TLS handshake with the server failed");
    if (data[0] & 1) login(&h, &t);
    fz_script_t s = {data + 1, size - 1};
    uint8_t code;
    const uint8_t *arg;
    size_t n;
    while (fz_next(&s, &code, &arg, &n)) {
        op(&t, code, arg, n);
        fz_pump(&h.loop, NULL, 0, FZ_PUMPS);
    }
    if (t.c) conn_close(t.c);
    fz_srv_down(&h);
    free(t.in.in);
    return 0;
}
