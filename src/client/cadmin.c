/* cadmin: SIGHUP and the client's admin API (cadmin.h), on frp's paths:
 *   GET /api/status   proxies and visitors with their state (cstatus.c)
 *   GET /api/config   the config file's text
 *   PUT /api/config   replaces the file with the body once it parses (temp
 *                     file + rename; the body is bounded by HTTPD_BODY_MAX)
 *   GET /api/reload   reloads from the file (client_reload_file)
 * on web/httpd.h, which does Basic auth (webServer.user/password), refuses
 * cross-site state changes and bounds connections, sizes and time. */
#include "client/cadmin.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "web/httpd.h"

struct cadmin {
    uv_loop_t *loop;
    cli_t *cli;
    const client_cfg_t *cfg; /* the client's first config: webServer.* */
    const char *path;
    uv_signal_t hup;
    httpd_t *web; /* NULL: webServer.port unset */
    bool started, stopped;
};

cadmin_t *cadmin_create(uv_loop_t *loop, cli_t *c, const client_cfg_t *cfg, const char *path)
{
    cadmin_t *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->loop = loop;
    a->cli = c;
    a->cfg = cfg;
    a->path = path;
    return a;
}

static void on_hup(uv_signal_t *h, int signum)
{
    cadmin_t *a = h->data;
    (void)signum;
    LOG_I("reloading on SIGHUP path=%s", LOG_ESC(a->path));
    json_decref(client_reload_file(a->cli, a->path)); /* it logs the outcome */
}

/* ---- the API ------------------------------------------------------------- */

static void api_status(void *data, const httpd_req_t *req, httpd_resp_t *resp)
{
    cadmin_t *a = data;
    (void)req;
    httpd_resp_json(resp, 200, client_status_json(a->cli));
}

/* The file, at most HTTPD_BODY_MAX bytes (what a PUT could have written). */
static void api_config_get(void *data, const httpd_req_t *req, httpd_resp_t *resp)
{
    cadmin_t *a = data;
    (void)req;
    FILE *f = fopen(a->path, "rb");
    if (!f) {
        httpd_resp_error(resp, 500, strerror(errno));
        return;
    }
    strbuf_t *b = httpd_resp_buf(resp, 200, "text/plain; charset=utf-8");
    char chunk[4096];
    size_t n, total = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && total < HTTPD_BODY_MAX) {
        strbuf_put(b, chunk, n);
        total += n;
    }
    fclose(f);
    if (total >= HTTPD_BODY_MAX) httpd_resp_error(resp, 500, "config file too large");
}

/* Writes the text next to the file and renames it over: a reader (or a
 * crash) sees the old file or the new one, never half of it. 0 or -errno. */
static int replace_file(const char *path, const uint8_t *p, size_t n)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        off += (size_t)w;
    }
    int e = off == n && fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    if (e == 0 && rename(tmp, path) != 0) e = -errno;
    if (e != 0) unlink(tmp);
    return e;
}

static void api_config_put(void *data, const httpd_req_t *req, httpd_resp_t *resp)
{
    cadmin_t *a = data;
    char *diag = NULL;
    size_t dlen = 0;
    FILE *f = open_memstream(&diag, &dlen);
    client_cfg_t cfg;
    if (!f) {
        httpd_resp_error(resp, 500, "out of memory");
        return;
    }
    int bad = config_parse_client(a->path, (const char *)req->body, req->body_len, &cfg, f);
    fclose(f);
    if (bad) {
        httpd_resp_json(
            resp, 400,
            json_pack("{s:s,s:s}", "error", "the config has errors", "errors", diag ? diag : ""));
        free(diag);
        return;
    }
    config_client_free(&cfg);
    free(diag);
    int e = replace_file(a->path, req->body, req->body_len);
    if (e != 0) {
        LOG_W("admin: cannot write the config path=%s err=%s", LOG_ESC(a->path), strerror(-e));
        httpd_resp_error(resp, 500, strerror(-e));
        return;
    }
    LOG_I("admin: config replaced path=%s bytes=%zu peer=%s", LOG_ESC(a->path), req->body_len,
          req->peer);
    httpd_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static void api_reload(void *data, const httpd_req_t *req, httpd_resp_t *resp)
{
    cadmin_t *a = data;
    LOG_I("reloading on admin request path=%s peer=%s", LOG_ESC(a->path), req->peer);
    json_t *r = client_reload_file(a->cli, a->path);
    httpd_resp_json(resp, json_is_true(json_object_get(r, "ok")) ? 200 : 400, r);
}

/* clang-format off */
static const httpd_route_t routes[] = {
    {"GET", "/api/status", 0, api_status},
    {"GET", "/api/config", 0, api_config_get},
    {"PUT", "/api/config", HTTPD_ROUTE_MUTATES, api_config_put},
    {"GET", "/api/reload", HTTPD_ROUTE_MUTATES, api_reload},
};
/* clang-format on */

static int start_api(cadmin_t *a)
{
    const web_cfg_t *w = &a->cfg->web;
    if (w->port <= 0) return 0;
    httpd_opts_t o = {.what = "admin",
                      .addr = w->addr ? w->addr : "127.0.0.1",
                      .port = w->port,
                      .user = w->user,
                      .password = w->password,
                      .tls_cert_file = w->tls_cert_file,
                      .tls_key_file = w->tls_key_file,
                      .routes = routes,
                      .n_routes = (int)(sizeof routes / sizeof routes[0]),
                      .data = a};
    return httpd_create(a->loop, &o, &a->web) == 0 ? 0 : -1;
}

int cadmin_start(cadmin_t *a)
{
    uv_signal_init(a->loop, &a->hup);
    a->hup.data = a;
    a->started = true;
    uv_signal_start(&a->hup, on_hup, SIGHUP);
    uv_unref((uv_handle_t *)&a->hup); /* never keeps the loop alive */
    return start_api(a);
}

void cadmin_stop(cadmin_t *a)
{
    if (!a || !a->started || a->stopped) return;
    a->stopped = true;
    uv_close((uv_handle_t *)&a->hup, NULL);
    httpd_destroy(a->web);
    a->web = NULL;
}

void cadmin_destroy(cadmin_t *a)
{
    free(a);
}
