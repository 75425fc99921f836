/* test_reload: hot reload of [[visitors]] on a real loop (client/reload.c,
 * client/visitor.c), with no server (the client keeps trying to reach a
 * closed port). Visitors v (kept), w (changed: another bindPort), s (sudp,
 * removed) and x (added): the listeners and the UDP port follow the new
 * file, a connection waiting in a kept visitor stays, one in the changed
 * visitor is closed; the report names each; /api/status's view follows; a
 * file with errors changes nothing; a visitor from an `includes` file is
 * added, changed when only that file changes, and removed; the client stops clean (every handle
 * closed, ASan: nothing freed early or leaked). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "client/client.h"
#include "testlib.h"

static int base; /* five ports from here */
static uv_loop_t nl_loop;

static void spin(int turns)
{
    for (int i = 0; i < turns; i++)
        uv_run(&nl_loop, UV_RUN_NOWAIT);
}

static int tcp_to(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static bool listening(int port)
{
    int fd = tcp_to(port);
    if (fd >= 0) close(fd);
    return fd >= 0;
}

static bool udp_port_free(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* 1: open, 0: closed by the other end, -1: error */
static int peer_state(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
    return n == 0 ? 0 : -1;
}

static void write_conf(const char *path, const char *visitors)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f,
            "serverAddr = \"127.0.0.1\"\nserverPort = 1\nauth.token = \"t\"\n"
            "transport.tls.enable = false\nlog.level = \"warn\"\n%s",
            visitors);
    fclose(f);
}

static void write_yaml_visitor(const char *path, int port)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f,
            "visitors:\n  - name: y\n    type: stcp\n    serverName: p\n    secretKey: k\n"
            "    bindAddr: 127.0.0.1\n    bindPort: %d\n",
            port);
    fclose(f);
}

static char *visitor(char *buf, size_t len, const char *name, const char *type, int port)
{
    snprintf(buf, len,
             "\n[[visitors]]\nname = \"%s\"\ntype = \"%s\"\nserverName = \"p\"\n"
             "secretKey = \"k\"\nbindAddr = \"127.0.0.1\"\nbindPort = %d\n",
             name, type, port);
    return buf;
}

static bool names_are(json_t *r, const char *key, const char *want)
{
    json_t *a = json_object_get(json_object_get(r, "visitors"), key), *v;
    char got[128] = "";
    size_t i;
    json_array_foreach(a, i, v)
    {
        if (i) strncat(got, ",", sizeof got - strlen(got) - 1);
        strncat(got, json_string_value(v), sizeof got - strlen(got) - 1);
    }
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  visitors %s: got '%s', want '%s'\n", key, got, want);
    return strcmp(got, want) == 0;
}

static int status_count(cli_t *c, const char *type)
{
    json_t *s = client_status_json(c);
    int n = (int)json_array_size(json_object_get(s, type));
    json_decref(s);
    return n;
}

static void test_visitors_reload(void)
{
    char dir[] = "/tmp/test_reload.XXXXXX", path[64], bad[64], text[1024], a[256], b[256], d[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/frpc.toml", dir);
    snprintf(bad, sizeof bad, "%s/bad.toml", dir);
    snprintf(text, sizeof text, "%s%s%s", visitor(a, sizeof a, "v", "stcp", base),
             visitor(b, sizeof b, "w", "stcp", base + 1),
             visitor(d, sizeof d, "s", "sudp", base + 2));
    write_conf(path, text);
    client_cfg_t cfg;
    CHECK_EQ_INT(config_load_client(path, &cfg, NULL), 0);
    uv_loop_init(&nl_loop);
    cli_t *c = client_create(&nl_loop, &cfg, dir);
    CHECK(c != NULL);
    if (!c) return;
    client_start(c);
    spin(5);
    CHECK(listening(base) && listening(base + 1));
    CHECK(!udp_port_free(base + 2));                  /* s holds it */
    int in_v = tcp_to(base), in_w = tcp_to(base + 1); /* waiting for a login */
    spin(5);
    CHECK(in_v >= 0 && in_w >= 0);

    /* a file with errors: nothing changes */
    write_conf(bad, "\n[[visitors]]\nname = 3\n");
    json_t *r = client_reload_file(c, bad);
    CHECK(r && json_is_false(json_object_get(r, "ok")));
    json_decref(r);
    spin(5);
    CHECK(listening(base) && listening(base + 1) && !udp_port_free(base + 2));

    /* v kept, w moved to base+3, s removed, x added on base+4 */
    snprintf(text, sizeof text, "%s%s%s", visitor(a, sizeof a, "v", "stcp", base),
             visitor(b, sizeof b, "w", "stcp", base + 3),
             visitor(d, sizeof d, "x", "stcp", base + 4));
    write_conf(path, text);
    r = client_reload_file(c, path);
    CHECK(r && json_is_true(json_object_get(r, "ok")));
    CHECK(names_are(r, "kept", "v") && names_are(r, "changed", "w") &&
          names_are(r, "removed", "s") && names_are(r, "added", "x"));
    json_decref(r);
    spin(10);
    CHECK(listening(base));
    CHECK(!listening(base + 1)); /* w's old port */
    CHECK(listening(base + 3) && listening(base + 4));
    CHECK(udp_port_free(base + 2));    /* s's socket closed */
    CHECK_EQ_INT(peer_state(in_v), 1); /* kept visitor: its connection waits on */
    CHECK_EQ_INT(peer_state(in_w), 0); /* changed visitor: its connection ended */
    CHECK_EQ_INT(status_count(c, "stcp"), 3);
    CHECK_EQ_INT(status_count(c, "sudp"), 0);

    /* everything removed, then the client stops clean */
    write_conf(path, "");
    r = client_reload_file(c, path);
    CHECK(r && names_are(r, "removed", "v,w,x"));
    json_decref(r);
    spin(10);
    CHECK(!listening(base) && !listening(base + 3) && !listening(base + 4));
    CHECK_EQ_INT(peer_state(in_v), 0);
    close(in_v);
    close(in_w);

    /* a visitor from an included file (YAML): a reload reads it again */
    char incdir[96], inc[128];
    snprintf(incdir, sizeof incdir, "%s/conf.d", dir);
    snprintf(inc, sizeof inc, "%s/y.yaml", incdir);
    CHECK(mkdir(incdir, 0700) == 0);
    write_yaml_visitor(inc, base + 1);
    write_conf(path, "includes = [\"conf.d/*.yaml\"]\n");
    r = client_reload_file(c, path);
    CHECK(r && names_are(r, "added", "y"));
    json_decref(r);
    spin(10);
    CHECK(listening(base + 1));
    write_yaml_visitor(inc, base + 2); /* only the included file changes */
    r = client_reload_file(c, path);
    CHECK(r && names_are(r, "changed", "y"));
    json_decref(r);
    spin(10);
    CHECK(!listening(base + 1) && listening(base + 2));
    write_conf(path, "");
    r = client_reload_file(c, path);
    CHECK(r && names_are(r, "removed", "y"));
    json_decref(r);
    spin(10);
    CHECK(!listening(base + 2));
    client_stop(c);
    uv_run(&nl_loop, UV_RUN_DEFAULT); /* dry: every handle closed */
    CHECK_EQ_INT(uv_loop_close(&nl_loop), 0);
    client_destroy(c);
    config_client_free(&cfg);
    unlink(path);
    unlink(bad);
    char kh[96];
    snprintf(kh, sizeof kh, "rm -rf %s", dir);
    CHECK_EQ_INT(system(kh), 0);
}

int main(void)
{
    base = 41000 + (int)(getpid() % 2000) * 5;
    RUN(test_visitors_reload);
    return TEST_SUMMARY();
}
