/* test_plugin_static: the static_file plugin's pure pieces (plugin/
 * sfile_path.h) and its HTTP session (plugin/sfile_sess.h) against a
 * scratch directory: paths, ranges byte-exact, the listing's escaping,
 * symlinks leading out, auth, stripPrefix, methods, pipelining, and the
 * pump when the writer is full. The conn side runs in the lab
 * (tests/lab/test_plugins.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlib.h"
#include "plugin/sfile.h"
#include "plugin/sfile_path.h"
#include "plugin/sfile_sess.h"
#include "testlib.h"
#include "util/log.h"

static char g_dir[64];

/* ---- sfile_path ---------------------------------------------------------- */

static void test_path_resolve(void)
{
    char out[256];
    bool slash;
    CHECK_EQ_INT(sfile_path_resolve("/a%20b/./c?x=1", NULL, out, sizeof out, &slash), 0);
    CHECK_EQ_STR(out, "a b/c");
    CHECK(!slash);
    CHECK_EQ_INT(sfile_path_resolve("/", "", out, sizeof out, &slash), 0);
    CHECK_EQ_STR(out, "");
    CHECK(slash);
    CHECK_EQ_INT(sfile_path_resolve("//d//e/", NULL, out, sizeof out, &slash), 0);
    CHECK_EQ_STR(out, "d/e");
    CHECK(slash);
    CHECK_EQ_INT(sfile_path_resolve("/x/../etc", NULL, out, sizeof out, &slash), SFILE_PATH_DOTDOT);
    CHECK_EQ_INT(sfile_path_resolve("/x/%2e%2e/etc", NULL, out, sizeof out, &slash),
                 SFILE_PATH_DOTDOT);
    CHECK_EQ_INT(sfile_path_resolve("/a%00b", NULL, out, sizeof out, &slash), SFILE_PATH_BAD);
    CHECK_EQ_INT(sfile_path_resolve("/a%g0", NULL, out, sizeof out, &slash), SFILE_PATH_BAD);
    CHECK_EQ_INT(sfile_path_resolve("/a%2", NULL, out, sizeof out, &slash), SFILE_PATH_BAD);
    CHECK_EQ_INT(sfile_path_resolve("*", NULL, out, sizeof out, &slash), SFILE_PATH_BAD);
    /* stripPrefix, with or without its own slashes */
    CHECK_EQ_INT(sfile_path_resolve("/static/f.txt", "static", out, sizeof out, &slash), 0);
    CHECK_EQ_STR(out, "f.txt");
    CHECK_EQ_INT(sfile_path_resolve("/static/f.txt", "/static/", out, sizeof out, &slash), 0);
    CHECK_EQ_INT(sfile_path_resolve("/static", "static", out, sizeof out, &slash),
                 SFILE_PATH_NO_SLASH);
    CHECK_EQ_INT(sfile_path_resolve("/staticx/f", "static", out, sizeof out, &slash),
                 SFILE_PATH_OUTSIDE);
    CHECK_EQ_INT(sfile_path_resolve("/f.txt", "static", out, sizeof out, &slash),
                 SFILE_PATH_OUTSIDE);
    char small[4];
    CHECK_EQ_INT(sfile_path_resolve("/abcdef", NULL, small, sizeof small, &slash),
                 SFILE_PATH_TOO_LONG);
}

static void test_range(void)
{
    uint64_t s = 0, l = 0;
    CHECK_EQ_INT(sfile_range_parse("bytes=2-5", 10, &s, &l), SFILE_RANGE_OK);
    CHECK(s == 2 && l == 4);
    CHECK_EQ_INT(sfile_range_parse("bytes=7-", 10, &s, &l), SFILE_RANGE_OK);
    CHECK(s == 7 && l == 3);
    CHECK_EQ_INT(sfile_range_parse("bytes=-3", 10, &s, &l), SFILE_RANGE_OK);
    CHECK(s == 7 && l == 3);
    CHECK_EQ_INT(sfile_range_parse("bytes=-30", 10, &s, &l), SFILE_RANGE_OK);
    CHECK(s == 0 && l == 10);
    CHECK_EQ_INT(sfile_range_parse("bytes=5-100", 10, &s, &l), SFILE_RANGE_OK);
    CHECK(s == 5 && l == 5);
    CHECK_EQ_INT(sfile_range_parse("bytes=10-", 10, &s, &l), SFILE_RANGE_UNSAT);
    CHECK_EQ_INT(sfile_range_parse("bytes=-0", 10, &s, &l), SFILE_RANGE_UNSAT);
    CHECK_EQ_INT(sfile_range_parse("bytes=0-", 0, &s, &l), SFILE_RANGE_UNSAT);
    CHECK_EQ_INT(sfile_range_parse("bytes=5-2", 10, &s, &l), SFILE_RANGE_NONE);
    CHECK_EQ_INT(sfile_range_parse("bytes=0-1,3-4", 10, &s, &l), SFILE_RANGE_NONE);
    CHECK_EQ_INT(sfile_range_parse("items=0-1", 10, &s, &l), SFILE_RANGE_NONE);
    CHECK_EQ_INT(sfile_range_parse("bytes=-", 10, &s, &l), SFILE_RANGE_NONE);
    CHECK_EQ_INT(sfile_range_parse("bytes=99999999999999999999-", 10, &s, &l), SFILE_RANGE_NONE);
    CHECK_EQ_INT(sfile_range_parse(NULL, 10, &s, &l), SFILE_RANGE_NONE);
}

static void test_mime_and_listing(void)
{
    CHECK_EQ_STR(sfile_mime("a/b.HTML"), "text/html; charset=utf-8");
    CHECK_EQ_STR(sfile_mime("x.png"), "image/png");
    CHECK_EQ_STR(sfile_mime("dir.d/noext"), "application/octet-stream");
    CHECK_EQ_STR(sfile_mime("trailing."), "application/octet-stream");
    strbuf_t b = {0};
    sfile_entry_t e[] = {{"<script>\"x\" & 'y'", false}, {"a b", true}};
    sfile_listing(&b, "/<d>/", e, 2, true);
    CHECK(strstr(b.p, "Index of /&lt;d&gt;/") != NULL);
    CHECK(strstr(b.p, "<script>") == NULL);
    CHECK(strstr(b.p, "href=\"./%3Cscript%3E%22x%22%20%26%20%27y%27\"") != NULL);
    CHECK(strstr(b.p, "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;</a>") != NULL);
    CHECK(strstr(b.p, "href=\"./a%20b/\">a b/</a>") != NULL);
    CHECK(strstr(b.p, "more entries not shown") != NULL);
    free(b.p);
}

/* ---- the session --------------------------------------------------------- */

typedef struct sink {
    strbuf_t got;
    bool full; /* every out call reports the writer full */
} sink_t;

static bool sink_out(void *ctx, const void *p, size_t n)
{
    sink_t *k = ctx;
    strbuf_put(&k->got, p, n);
    return !k->full;
}

static void put_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, rel);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void make_tree(void)
{
    char p[256], q[256];
    snprintf(g_dir, sizeof g_dir, "/tmp/burrow-sfile-XXXXXX");
    CHECK(mkdtemp(g_dir) != NULL);
    put_file("a.txt", "0123456789");
    snprintf(p, sizeof p, "%s/sub", g_dir);
    mkdir(p, 0755);
    put_file("sub/x<y>.txt", "x");
    snprintf(p, sizeof p, "%s/site", g_dir);
    mkdir(p, 0755);
    put_file("site/index.html", "<h1>hi</h1>");
    snprintf(p, sizeof p, "%s/out", g_dir);
    CHECK(symlink("/etc", p) == 0);
    snprintf(p, sizeof p, "%s/in.txt", g_dir);
    snprintf(q, sizeof q, "%s/a.txt", g_dir);
    CHECK(symlink(q, p) == 0);
}

/* One exchange: the bytes fed, what came out, the session's state after. */
static char *exchange(const sfile_site_t *site, const char *req, bool *done)
{
    static sink_t k;
    sfile_sess_t s;
    free(k.got.p);
    k = (sink_t){0};
    sfile_sess_init(&s, site, sink_out, &k, "test");
    size_t used = sfile_sess_feed(&s, (const uint8_t *)req, strlen(req));
    if (!sfile_sess_done(&s)) CHECK_EQ_INT(used, strlen(req));
    if (done) *done = sfile_sess_done(&s);
    sfile_sess_free(&s);
    strbuf_put(&k.got, "", 0);
    return k.got.p;
}

static void test_files(void)
{
    sfile_site_t site;
    CHECK_EQ_INT(sfile_site_init(&site, g_dir, NULL, NULL, NULL), 0);
    bool done;
    char *r = exchange(&site, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", &done);
    CHECK(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(r, "Content-Type: text/plain; charset=utf-8\r\n") != NULL);
    CHECK(strstr(r, "Content-Length: 10\r\n") != NULL);
    CHECK(strstr(r, "Accept-Ranges: bytes\r\n") != NULL);
    CHECK(strstr(r, "\r\n\r\n0123456789") != NULL);
    CHECK(!done);
    r = exchange(&site, "GET /a.txt HTTP/1.1\r\nRange: bytes=2-5\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 206 Partial Content\r\n", 30) == 0);
    CHECK(strstr(r, "Content-Range: bytes 2-5/10\r\n") != NULL);
    CHECK(strstr(r, "Content-Length: 4\r\n") != NULL);
    CHECK(strcmp(r + strlen(r) - 8, "\r\n\r\n2345") == 0);
    r = exchange(&site, "GET /a.txt HTTP/1.1\r\nRange: bytes=10-\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 416 ", 13) == 0);
    CHECK(strstr(r, "Content-Range: bytes */10\r\n") != NULL);
    r = exchange(&site, "GET /a.txt HTTP/1.1\r\nRange: bytes=2-5\r\nIf-Range: \"old\"\r\n\r\n",
                 NULL);
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
    r = exchange(&site, "HEAD /a.txt HTTP/1.1\r\n\r\n", NULL);
    CHECK(strstr(r, "Content-Length: 10\r\n") != NULL);
    CHECK(strcmp(r + strlen(r) - 4, "\r\n\r\n") == 0);
    r = exchange(&site, "GET /in.txt HTTP/1.0\r\n\r\n", &done);
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0); /* a symlink staying inside */
    CHECK(strstr(r, "Connection: close\r\n") != NULL);
    CHECK(done);
    r = exchange(&site, "GET /site/ HTTP/1.1\r\n\r\n", NULL);
    CHECK(strstr(r, "\r\n\r\n<h1>hi</h1>") != NULL);
    sfile_site_free(&site);
}

static void test_refusals(void)
{
    sfile_site_t site;
    CHECK_EQ_INT(sfile_site_init(&site, g_dir, NULL, NULL, NULL), 0);
    char *r = exchange(&site, "GET /out/passwd HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 403 ", 13) == 0);
    r = exchange(&site, "GET /out/ HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 403 ", 13) == 0);
    r = exchange(&site, "GET /../etc/passwd HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 403 ", 13) == 0);
    r = exchange(&site, "GET /nope HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
    r = exchange(&site, "POST /a.txt HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", NULL);
    CHECK(strncmp(r, "HTTP/1.1 405 ", 13) == 0);
    CHECK(strstr(r, "Allow: GET, HEAD\r\n") != NULL);
    r = exchange(&site, "GET /sub?q=1 HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 301 ", 13) == 0);
    CHECK(strstr(r, "Location: /sub/\r\n") != NULL);
    bool done;
    r = exchange(&site, "GET /a\x01 HTTP/1.1\r\n\r\n", &done);
    CHECK(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
    CHECK(done);
    sfile_site_free(&site);
}

static void test_listing(void)
{
    sfile_site_t site;
    CHECK_EQ_INT(sfile_site_init(&site, g_dir, NULL, NULL, NULL), 0);
    char *r = exchange(&site, "GET /sub/ HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
    CHECK(strstr(r, "href=\"./x%3Cy%3E.txt\">x&lt;y&gt;.txt</a>") != NULL);
    r = exchange(&site, "GET / HTTP/1.1\r\n\r\n", NULL);
    CHECK(strstr(r, ">sub/</a>") != NULL);
    CHECK(strstr(r, ">a.txt</a>") != NULL);
    sfile_site_free(&site);
}

static void test_auth_and_prefix(void)
{
    sfile_site_t site;
    CHECK_EQ_INT(sfile_site_init(&site, g_dir, "static", "u", "p"), 0);
    char *r = exchange(&site, "GET /static/a.txt HTTP/1.1\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 401 ", 13) == 0);
    CHECK(strstr(r, "WWW-Authenticate: Basic realm=\"burrow\"") != NULL);
    r = exchange(&site, "GET /static/a.txt HTTP/1.1\r\nAuthorization: Basic dTpx\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 401 ", 13) == 0); /* u:q */
    r = exchange(&site, "GET /static/a.txt HTTP/1.1\r\nAuthorization: Basic dTpw\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0); /* u:p */
    r = exchange(&site, "GET /a.txt HTTP/1.1\r\nAuthorization: Basic dTpw\r\n\r\n", NULL);
    CHECK(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
    r = exchange(&site, "GET /static HTTP/1.1\r\nAuthorization: Basic dTpw\r\n\r\n", NULL);
    CHECK(strstr(r, "Location: /static/\r\n") != NULL);
    sfile_site_free(&site);
}

/* Two pipelined requests, the writer full after every call: the session
 * stops, and the pump plus a second feed finish both in order. */
static void test_pipelining_and_pump(void)
{
    sfile_site_t site;
    CHECK_EQ_INT(sfile_site_init(&site, g_dir, NULL, NULL, NULL), 0);
    sink_t k = {.full = true};
    sfile_sess_t s;
    sfile_sess_init(&s, &site, sink_out, &k, "test");
    const char *req = "GET /a.txt HTTP/1.1\r\n\r\nGET /sub/x%3Cy%3E.txt HTTP/1.1\r\n\r\n";
    size_t n = strlen(req);
    size_t used = sfile_sess_feed(&s, (const uint8_t *)req, n);
    CHECK(used < n);
    CHECK(sfile_sess_busy(&s));
    int turns = 0;
    while (sfile_sess_busy(&s) && turns++ < 10)
        sfile_sess_pump(&s);
    CHECK(!sfile_sess_busy(&s));
    used += sfile_sess_feed(&s, (const uint8_t *)req + used, n - used);
    while (sfile_sess_busy(&s) && turns++ < 20)
        sfile_sess_pump(&s);
    CHECK_EQ_INT(used, n);
    CHECK_EQ_INT(s.requests, 2);
    strbuf_put(&k.got, "", 0);
    char *second = strstr(k.got.p, "0123456789HTTP/1.1 200 OK\r\n");
    CHECK(second != NULL);
    CHECK(second && strcmp(second + strlen(second) - 5, "\r\n\r\nx") == 0);
    sfile_sess_free(&s);
    free(k.got.p);
    sfile_site_free(&site);
}

/* The conn side (plugin/sfile.c) over 127.0.0.1: 3 MiB through the pump
 * with backpressure (the reader pauses a while), a pipelined second
 * request answered after it, then the idle limit closes the connection. */
static void test_conn_big_file_and_idle(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/big.bin", g_dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    for (int i = 0; i < 3 * 1024 * 1024; i++)
        fputc((i * 7 + i / 4096) & 0xff, f);
    fclose(f);
    nl_setup();
    nl_server_t srv = {.started = true};
    nl_end_t work, user;
    nl_end_init(&work);
    nl_end_init(&user);
    srv.next[0] = &work;
    CHECK_EQ_INT(nl_listen(&srv, 0), 0);
    sfile_t *sf = sfile_new(g_dir, NULL, NULL, NULL);
    sfile_set_idle_ms(sf, 300);
    CHECK_EQ_INT(nl_dial(&srv, &user, NULL), 0);
    CHECK(nl_run_until(&srv.accepted, 1));
    const char *req = "GET /big.bin HTTP/1.1\r\n\r\nGET /a.txt HTTP/1.1\r\n\r\n";
    CHECK_EQ_INT(sfile_serve(sf, NULL, work.c, (const uint8_t *)req, strlen(req)), 0);
    CHECK(nl_run_until(&user.ready, 1));
    size_t want = 3 * 1024 * 1024 + 10;
    CHECK(nl_run_until_len(&user.got_len, 64 * 1024));
    conn_pause(user.c); /* the server side must stop at CONN_HIGH_WATER and wait */
    for (int i = 0; i < 20; i++)
        uv_run(&nl_loop, UV_RUN_NOWAIT);
    conn_resume(user.c);
    CHECK(nl_run_until_len(&user.got_len, want + 200));
    const uint8_t *g = user.got;
    const uint8_t *body = NULL;
    for (size_t i = 0; i + 4 <= user.got_len && !body; i++)
        if (memcmp(g + i, "\r\n\r\n", 4) == 0) body = g + i + 4;
    bool same = body != NULL;
    for (int i = 0; same && i < 3 * 1024 * 1024; i++)
        same = body[i] == ((i * 7 + i / 4096) & 0xff);
    CHECK(same);
    CHECK(body &&
          memmem(body + 3 * 1024 * 1024, user.got_len - (size_t)(body - g) - 3 * 1024 * 1024,
                 "0123456789", 10) != NULL);
    CHECK_EQ_INT(sfile_conns(sf), 1);
    CHECK(nl_run_until_end(&user)); /* then idle: closed */
    conn_close(user.c);
    for (int i = 0; i < 50 && sfile_conns(sf); i++)
        uv_run(&nl_loop, UV_RUN_ONCE);
    CHECK_EQ_INT(sfile_conns(sf), 0);
    sfile_drop(sf);
    listener_close(&srv.l, NULL);
    nl_end_free(&work);
    nl_end_free(&user);
    CHECK_EQ_INT(nl_teardown(), 0);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
}

int main(void)
{
    log_set_level(LOG_ERROR);
    make_tree();
    RUN(test_path_resolve);
    RUN(test_range);
    RUN(test_mime_and_listing);
    RUN(test_files);
    RUN(test_refusals);
    RUN(test_listing);
    RUN(test_auth_and_prefix);
    RUN(test_pipelining_and_pump);
    RUN(test_conn_big_file_and_idle);
    cleanup();
    return TEST_SUMMARY();
}
