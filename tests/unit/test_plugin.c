/* test_plugin: the plugin framework (plugin/plugin.h, config_plugin.c)
 * and its plugins on a real loop. Config: frp's [proxies.plugin] blocks
 * load with their keys, and every misuse gets its message (plugin and
 * localPort, unknown type naming the known ones, missing and unknown keys,
 * kinds, frp-only plugins skipped); reload sees a plugin key change. Loop:
 * a socks5 session from greeting to relayed bytes, the host's bound on
 * sessions (PLUGIN_SESS_MAX, lowered), the handshake timer, stopping one
 * proxy's sessions, plugin_dial (a name, a closed port, a cancel) and unix_dial. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_diff.h"
#include "net/unix_dial.h"
#include "netlib.h"
#include "plugin/plugin.h"
#include "plugin/plugin_dial.h"
#include "testlib.h"

/* ---- config ------------------------------------------------------------ */

static char diag[8192];

static int load(const char *text, client_cfg_t *cfg)
{
    FILE *f = fmemopen(diag, sizeof diag - 1, "w");
    memset(diag, 0, sizeof diag);
    int r = config_parse_client("frpc.toml", text, strlen(text), cfg, f);
    fclose(f);
    return r;
}

#define HEAD "serverAddr = \"10.0.0.1\"\nauth.token = \"t\"\n"

static void test_config_ok(void)
{
    client_cfg_t c;
    int r = load(HEAD "[[proxies]]\nname = \"u\"\ntype = \"tcp\"\nremotePort = 6003\n"
                      "[proxies.plugin]\ntype = \"unix_domain_socket\"\n"
                      "unixPath = \"/var/run/docker.sock\"\n"
                      "[[proxies]]\nname = \"s\"\ntype = \"stcp\"\nsecretKey = \"k\"\n"
                      "plugin = { type = \"socks5\", username = \"a\", password = \"b\" }\n"
                      "[[proxies]]\nname = \"h\"\ntype = \"http\"\ncustomDomains = [\"x.y\"]\n"
                      "plugin.type = \"http_proxy\"\n",
                 &c);
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_STR(diag, "");
    if (r != 0) return;
    CHECK_EQ_INT(c.n_proxies, 3);
    CHECK_EQ_STR(c.proxies[0].plugin.type, "unix_domain_socket");
    CHECK_EQ_INT(c.proxies[0].plugin.line, 8);
    CHECK_EQ_STR(plugin_param(&c.proxies[0].plugin, "unixPath"), "/var/run/docker.sock");
    CHECK_EQ_INT(c.proxies[0].local_port, 0);
    CHECK_EQ_STR(plugin_param(&c.proxies[1].plugin, "username"), "a");
    CHECK(plugin_param(&c.proxies[1].plugin, "type") == NULL); /* type is not a parameter */
    CHECK_EQ_STR(c.proxies[2].plugin.type, "http_proxy");
    CHECK_EQ_INT(c.proxies[2].plugin.n, 0);
    config_client_free(&c);
}

/* Each text must fail (or warn) with the message given. */
static void expect_diag(const char *text, int want_r, const char *want)
{
    client_cfg_t c;
    int r = load(text, &c);
    if (r == 0) config_client_free(&c);
    CHECK_EQ_INT(r, want_r);
    if (!strstr(diag, want)) {
        fprintf(stderr, "  missing diagnostic: %s\n  got:\n%s", want, diag);
        CHECK(0);
    }
}

#define PX "[[proxies]]\nname = \"p\"\ntype = \"tcp\"\nremotePort = 6000\n"

static void test_config_errors(void)
{
    expect_diag(HEAD PX "localPort = 22\n[proxies.plugin]\ntype = \"socks5\"\n", -1,
                "frpc.toml:3: error: proxy 'proxies[0]': plugin 'socks5' serves its connections, "
                "so 'localIP' and 'localPort' must go");
    expect_diag(HEAD PX "localIP = \"10.0.0.2\"\nplugin.type = \"socks5\"\n", -1,
                "'localIP' and 'localPort' must go");
    expect_diag(HEAD PX "plugin.type = \"sock5\"\n", -1,
                "frpc.toml:7: error: key 'proxies[0].plugin.type': unknown plugin 'sock5' "
                "(expected unix_domain_socket, socks5");
    expect_diag(HEAD PX "[proxies.plugin]\nunixPath = \"/x\"\n", -1,
                "missing required key 'proxies[0].plugin.type'");
    expect_diag(HEAD PX "plugin.type = \"unix_domain_socket\"\n", -1,
                "missing required key 'proxies[0].plugin.unixPath' (plugin unix_domain_socket)");
    expect_diag(HEAD PX "plugin = { type = \"unix_domain_socket\", unixPath = \"\" }\n", -1,
                "key 'proxies[0].plugin.unixPath': must not be empty");
    expect_diag(HEAD PX "plugin = { type = \"socks5\", username = 7 }\n", -1,
                "key 'proxies[0].plugin.username': expected a string");
    expect_diag(HEAD PX "plugin = { type = \"socks5\", username = \"a\" }\n", -1,
                "username and password go together");
    expect_diag(
        HEAD PX "plugin = { type = \"socks5\", localPath = \"/x\" }\n", 0,
        "warning: unknown key 'proxies[0].plugin.localPath' (plugin socks5 does not take it)");
    expect_diag(HEAD PX "plugin = 5\n", -1, "key 'proxies[0].plugin': expected a table");
    expect_diag(HEAD "[[proxies]]\nname = \"p\"\ntype = \"udp\"\nplugin.type = \"socks5\"\n", -1,
                "plugin 'socks5' needs a stream type (tcp, http, https, stcp or xtcp)");
    expect_diag(HEAD PX "ftp = true\nplugin.type = \"socks5\"\n", -1,
                "'ftp' acts on a local service, which plugin 'socks5' replaces");
    expect_diag(HEAD PX "plugin.type = \"tls2raw\"\n", 0,
                "frpc.toml:7: warning: plugin 'tls2raw' is not supported by burrow");
    /* no plugin and no localPort: the old message, unchanged */
    expect_diag(HEAD PX, -1, "missing required key 'proxies[0].localPort'");
    char longp[200];
    memset(longp, 'a', sizeof longp);
    longp[sizeof longp - 1] = '\0';
    char text[600];
    snprintf(text, sizeof text,
             HEAD PX "plugin = { type = \"unix_domain_socket\", unixPath = \"%s\" }\n", longp);
    expect_diag(text, -1, "unixPath is longer than 107 bytes");
}

static void test_config_diff(void)
{
    client_cfg_t a, b, c;
    CHECK_EQ_INT(
        load(HEAD PX "plugin = { type = \"socks5\", username = \"a\", password = \"b\" }\n", &a),
        0);
    CHECK_EQ_INT(
        load(HEAD PX "plugin = { type = \"socks5\", username = \"a\", password = \"c\" }\n", &b),
        0);
    CHECK_EQ_INT(load(HEAD PX
                      "[proxies.plugin]\ntype = \"socks5\"\nusername = \"a\"\npassword = \"b\"\n",
                      &c),
                 0);
    CHECK(!config_proxy_equal(&a.proxies[0], &b.proxies[0])); /* a password change is a change */
    CHECK(config_proxy_equal(&a.proxies[0], &c.proxies[0]));  /* the same keys spelled otherwise */
    config_client_free(&a);
    config_client_free(&b);
    config_client_free(&c);
}

/* ---- on a loop ---------------------------------------------------------- */

typedef struct rig {
    listener_t l; /* user side: each accepted conn goes to the plugin */
    plugin_host_t host;
    tunnels_t tunnels;
    plugin_inst_t *inst;
    int served;
} rig_t;

static void rig_on_conn(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    rig_t *r = l->data;
    (void)peer;
    listener_release(l);
    conn_start(c);
    plugin_start_t st = {&r->host, r->inst, &nl_loop, r, "test", "127.0.0.1:1"};
    r->served++;
    plugin_serve(&st, c, NULL, 0);
}

static bool rig_up(rig_t *r, const char *toml_plugin)
{
    memset(r, 0, sizeof *r);
    r->host.tunnels = &r->tunnels;
    client_cfg_t c;
    char text[512], why[160];
    snprintf(text, sizeof text, HEAD PX "plugin = %s\n", toml_plugin);
    if (load(text, &c) != 0) return false;
    r->inst = plugin_inst_new(&c.proxies[0].plugin, why, sizeof why);
    config_client_free(&c); /* the instance copied what it keeps */
    struct sockaddr_storage ss;
    listener_opts_t o = {.what = "test"};
    addr_parse("127.0.0.1", 0, &ss);
    return r->inst && listener_init(&nl_loop, &r->l, &o, rig_on_conn, r) == 0 &&
           listener_listen(&r->l, (struct sockaddr *)&ss) == 0;
}

static void rig_down(rig_t *r)
{
    plugin_host_stop_all(&r->host);
    tunnels_end_all(&r->tunnels);
    listener_close(&r->l, NULL);
    plugin_inst_drop(r->inst);
}

static int dial_to(nl_end_t *e, int port)
{
    struct sockaddr_storage ss;
    addr_parse("127.0.0.1", port, &ss);
    e->c = conn_new(&nl_loop, &nl_cbs, e);
    return conn_connect(e->c, (struct sockaddr *)&ss, NULL, NULL, NULL);
}

/* A socks5 CONNECT through the plugin to a listener; bytes sent with the
 * request arrive there, an answer comes back through the relay. */
static void test_socks5_relay(void)
{
    rig_t r;
    nl_server_t t = {0};
    nl_end_t x, tgt;
    nl_setup();
    nl_end_init(&x);
    nl_end_init(&tgt);
    t.started = true;
    t.next[0] = &tgt;
    CHECK(rig_up(&r, "{ type = \"socks5\", username = \"u\", password = \"pw\" }"));
    CHECK_EQ_INT(nl_listen(&t, 0), 0);
    CHECK_EQ_INT(dial_to(&x, listener_port(&r.l)), 0);
    CHECK(nl_run_until(&x.ready, 1));
    int port = listener_port(&t.l);
    uint8_t msg[] = {5,   1,  2,                            /* greeting: user/pass */
                     1,   1,  'u', 2, 'p', 'w',             /* RFC 1929 */
                     5,   1,  0,   1, 127, 0,   0, 1, 0, 0, /* CONNECT 127.0.0.1:port */
                     'h', 'i'};                             /* early bytes for the target */
    msg[17] = (uint8_t)(port >> 8);
    msg[18] = (uint8_t)port;
    conn_write(x.c, msg, sizeof msg);
    CHECK(nl_run_until_len(&tgt.got_len, 2));
    CHECK(memcmp(tgt.got, "hi", 2) == 0);
    CHECK(nl_run_until_len(&x.got_len, 2 + 2 + 10));
    const uint8_t want[] = {5, 2, 1, 0, 5, 0, 0, 1, 127, 0, 0, 1};
    CHECK(memcmp(x.got, want, sizeof want) == 0); /* method, auth ok, reply ok bound 127.0.0.1 */
    CHECK_EQ_INT(r.host.n, 0);                    /* relayed: no session left */
    CHECK_EQ_INT(r.tunnels.n, 1);
    conn_write(tgt.c, "yo", 2);
    CHECK(nl_run_until_len(&x.got_len, 16));
    CHECK(memcmp(x.got + 14, "yo", 2) == 0);
    /* then 1 MiB each way through the relay, intact */
    size_t big = 1024 * 1024;
    uint8_t *blob = malloc(big);
    for (size_t i = 0; blob && i < big; i++)
        blob[i] = (uint8_t)(i * 7 + i / 251);
    conn_write(x.c, blob, big);
    CHECK(nl_run_until_len(&tgt.got_len, 2 + big));
    CHECK(tgt.got_len == 2 + big && memcmp(tgt.got + 2, blob, big) == 0);
    free(blob);
    conn_close(x.c);
    CHECK(nl_run_until_end(&tgt)); /* the user left: the relay ends the target side */
    rig_down(&r);
    listener_close(&t.l, NULL);
    conn_close(tgt.c);
    CHECK_EQ_INT(nl_teardown(), 0);
    nl_end_free(&x);
    nl_end_free(&tgt);
}

/* An optimistic client: greeting, request and 600 KiB in one write, with
 * no wait for the replies. Whatever one read brought past the request is
 * kept for the target, the rest follows through the relay: all arrives. */
static void test_socks5_optimistic(void)
{
    rig_t r;
    nl_server_t t = {0};
    nl_end_t x, tgt;
    nl_setup();
    nl_end_init(&x);
    nl_end_init(&tgt);
    t.started = true;
    t.next[0] = &tgt;
    CHECK(rig_up(&r, "{ type = \"socks5\" }"));
    CHECK_EQ_INT(nl_listen(&t, 0), 0);
    CHECK_EQ_INT(dial_to(&x, listener_port(&r.l)), 0);
    CHECK(nl_run_until(&x.ready, 1));
    int port = listener_port(&t.l);
    size_t big = 600 * 1024, head = 3 + 10;
    uint8_t *msg = malloc(head + big);
    const uint8_t hs[] = {5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 0};
    memcpy(msg, hs, head);
    msg[11] = (uint8_t)(port >> 8);
    msg[12] = (uint8_t)port;
    for (size_t i = 0; i < big; i++)
        msg[head + i] = (uint8_t)(i % 253);
    conn_write(x.c, msg, head + big);
    CHECK(nl_run_until_len(&tgt.got_len, big));
    CHECK(tgt.got_len == big && memcmp(tgt.got, msg + head, big) == 0);
    CHECK(nl_run_until_len(&x.got_len, 12));
    CHECK(x.got[0] == 5 && x.got[1] == 0 && x.got[2] == 5 && x.got[3] == 0);
    free(msg);
    conn_close(x.c);
    CHECK(nl_run_until_end(&tgt));
    rig_down(&r);
    listener_close(&t.l, NULL);
    conn_close(tgt.c);
    CHECK_EQ_INT(nl_teardown(), 0);
    nl_end_free(&x);
    nl_end_free(&tgt);
}

/* At most host.max sessions in their handshake; the next is reset. Then
 * stop_all ends them, and the handshake timer ends a silent one. */
static void test_bound_and_timer(void)
{
    rig_t r;
    nl_end_t x[3];
    nl_setup();
    CHECK(rig_up(&r, "{ type = \"socks5\" }"));
    r.host.max = 2;
    for (int i = 0; i < 3; i++) {
        nl_end_init(&x[i]);
        CHECK_EQ_INT(dial_to(&x[i], listener_port(&r.l)), 0);
        CHECK(nl_run_until(&r.served, i + 1));
    }
    /* the third: reset at once (seen at its connect, or as a read error) */
    CHECK(nl_run_until(&x[2].ready, 1));
    if (x[2].ready_status == 0) CHECK(nl_run_until_end(&x[2]));
    CHECK_EQ_INT(r.host.n, 2);
    CHECK_EQ_INT(x[0].eof + x[0].error + x[1].eof + x[1].error, 0);
    CHECK_EQ_INT(plugin_host_stop_tag(&r.host, &r.tunnels), 0); /* another proxy's: none */
    CHECK_EQ_INT(plugin_host_stop_tag(&r.host, &r), 2); /* this proxy's (a reload removed it) */
    CHECK(nl_run_until_end(&x[0]) && nl_run_until_end(&x[1]));
    CHECK_EQ_INT(r.host.n, 0);
    /* a silent peer: the timer stops it */
    r.host.handshake_ms = 50;
    nl_end_t y;
    nl_end_init(&y);
    CHECK_EQ_INT(dial_to(&y, listener_port(&r.l)), 0);
    CHECK(nl_run_until(&r.served, 4));
    CHECK_EQ_INT(r.host.n, 1);
    CHECK(nl_run_until_end(&y));
    CHECK_EQ_INT(r.host.n, 0);
    for (int i = 0; i < 3; i++) {
        conn_close(x[i].c);
        nl_end_free(&x[i]);
    }
    conn_close(y.c);
    nl_end_free(&y);
    rig_down(&r);
    CHECK_EQ_INT(nl_teardown(), 0);
}

/* ---- plugin_dial, unix_dial ---------------------------------------------- */

typedef struct dres {
    int calls, status;
    conn_t *c;
} dres_t;

static void on_dial(void *arg, conn_t *c, int status)
{
    dres_t *d = arg;
    d->calls++;
    d->status = status;
    d->c = c;
}

static void test_dial(void)
{
    nl_server_t t = {0};
    nl_end_t s;
    dres_t ok = {0}, refused = {0}, cancelled = {0};
    nl_setup();
    nl_end_init(&s);
    t.next[0] = &s;
    CHECK_EQ_INT(nl_listen(&t, 0), 0);
    int port = listener_port(&t.l);
    pdial_t *d = pdial_start(&nl_loop, "localhost", (uint16_t)port, on_dial, &ok);
    CHECK(d && ok.calls == 0); /* never inside the call */
    CHECK(nl_run_until(&ok.calls, 1));
    CHECK_EQ_INT(ok.status, 0); /* ::1 may be tried and refused first */
    CHECK(ok.c != NULL);
    conn_close(ok.c);
    listener_close(&t.l, NULL);
    d = pdial_start(&nl_loop, "127.0.0.1", (uint16_t)port, on_dial, &refused);
    CHECK(nl_run_until(&refused.calls, 1));
    CHECK_EQ_INT(refused.status, UV_ECONNREFUSED);
    d = pdial_start(&nl_loop, "localhost", 9, on_dial, &cancelled);
    pdial_cancel(d);
    conn_close(s.c);
    CHECK_EQ_INT(nl_teardown(), 0); /* the cancelled lookup ran dry */
    CHECK_EQ_INT(cancelled.calls, 0);
    nl_end_free(&s);
}

static uv_pipe_t *accepted_pipe;

static void write_done(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void on_pipe_conn(uv_stream_t *srv, int status)
{
    uv_pipe_t *c = malloc(sizeof *c);
    (void)status;
    uv_pipe_init(srv->loop, c, 0);
    uv_accept(srv, (uv_stream_t *)c);
    accepted_pipe = c;
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init((char *)"unix!", 5);
    uv_write(w, (uv_stream_t *)c, &b, 1, write_done);
}

static void test_unix_dial(void)
{
    uv_pipe_t srv;
    char path[64];
    snprintf(path, sizeof path, "/tmp/burrow-test-%d.sock", (int)getpid());
    unlink(path);
    nl_setup();
    uv_pipe_init(&nl_loop, &srv, 0);
    CHECK_EQ_INT(uv_pipe_bind(&srv, path), 0);
    CHECK_EQ_INT(uv_listen((uv_stream_t *)&srv, 4, on_pipe_conn), 0);
    nl_end_t e;
    nl_end_init(&e);
    e.c = conn_new(&nl_loop, &nl_cbs, &e);
    CHECK_EQ_INT(unix_dial(e.c, path), 0);
    CHECK(nl_run_until_len(&e.got_len, 5));
    CHECK(memcmp(e.got, "unix!", 5) == 0);
    conn_close(e.c);
    conn_t *bad = conn_new(&nl_loop, &nl_cbs, &e);
    CHECK_EQ_INT(unix_dial(bad, "/nonexistent/burrow.sock"), UV_ENOENT);
    char lng[UNIX_PATH_MAX_LEN + 2];
    memset(lng, 'a', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    CHECK_EQ_INT(unix_dial(bad, lng), UV_ENAMETOOLONG);
    conn_close(bad);
    if (accepted_pipe) uv_close((uv_handle_t *)accepted_pipe, free_handle);
    uv_close((uv_handle_t *)&srv, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    unlink(path);
    nl_end_free(&e);
}

int main(void)
{
    (void)nl_dial; /* netlib's; these tests dial the plugin's own listener */
    RUN(test_config_ok);
    RUN(test_config_errors);
    RUN(test_config_diff);
    RUN(test_socks5_relay);
    RUN(test_socks5_optimistic);
    RUN(test_bound_and_timer);
    RUN(test_dial);
    RUN(test_unix_dial);
    return TEST_SUMMARY();
}
