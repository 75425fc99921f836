/* cmd_admin: `burrow status` and `burrow reload`, the command-line side of
 * a running client's admin API (client/cadmin.c). Both read the client's
 * config for webServer.addr/port/user/password and ask the API over
 * admin_http.c; each prints a human answer and exits 0 on success, 1 when
 * the client cannot be asked or refused, 2 for usage and config errors. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/admin_http.h"
#include "cli/cli.h"
#include "config/config.h"

#define DEFAULT_CONF "./frpc.toml"

/* Options and config; -1 (printed) or 0. */
static int load(int argc, char **argv, const char *what, client_cfg_t *cfg, const char **path)
{
    cli_opts_t o;
    if (cli_parse_opts(argc, argv, &o) != 0) return -1;
    if (o.help) {
        printf("usage: burrow %s [-c FILE]\n\n%s\nFILE (default %s) is the running client's "
               "config: webServer.port (and addr, user,\npassword) say where its admin API "
               "listens.\n",
               argv[0], what, DEFAULT_CONF);
        return 1;
    }
    *path = o.config ? o.config : DEFAULT_CONF;
    if (config_load_client(*path, cfg, stderr) != 0) return -1;
    if (cfg->web.port <= 0) {
        fprintf(stderr, "burrow %s: admin API not enabled: set webServer.port in %s\n", argv[0],
                *path);
        config_client_free(cfg);
        return -1;
    }
    return 0;
}

/* GET path; the parsed JSON body, or NULL after printing why. */
static json_t *ask(const char *cmd, const client_cfg_t *cfg, const char *path, int *status)
{
    admin_resp_t r;
    char err[512];
    if (admin_http(&cfg->web, "GET", path, NULL, 0, &r, err, sizeof err) != 0) {
        fprintf(stderr, "burrow %s: %s\n", cmd, err);
        return NULL;
    }
    *status = r.status;
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    if (r.status == 401)
        fprintf(stderr,
                "burrow %s: the admin API refused us (401): check webServer.user and "
                "webServer.password\n",
                cmd);
    else if (!j)
        fprintf(stderr, "burrow %s: the admin API answered %d, not JSON\n", cmd, r.status);
    free(r.body);
    if (r.status == 401) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- status --------------------------------------------------------------- */

/* The last column: an error, a directExpose proxy's router mapping
 * ("direct 192.0.3.21:6022 via pcp"), or an xtcp entry's pairs
 * ("direct 3.1ms"). */
static void last_column(json_t *e, char *buf, size_t len)
{
    const char *err = json_string_value(json_object_get(e, "err"));
    json_t *pairs = json_object_get(e, "pairs"), *p;
    size_t i, o = 0;
    snprintf(buf, len, "%s", err ? err : "");
    if (err && err[0]) return;
    const char *da = json_string_value(json_object_get(e, "direct_addr"));
    const char *dv = json_string_value(json_object_get(e, "direct_via"));
    if (da) snprintf(buf, len, "direct %s", da[0] && dv ? da : "(no router mapping)");
    if (da && da[0] && dv) snprintf(buf + strlen(buf), len - strlen(buf), " via %s", dv);
    json_array_foreach(pairs, i, p)
    {
        int n = snprintf(buf + o, len - o, "%s%s %.1fms", o ? ", " : "",
                         json_string_value(json_object_get(p, "path")),
                         json_real_value(json_object_get(p, "rtt_ms")));
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
}

static void print_row(const char *n, const char *t, const char *s, const char *l, const char *r,
                      const char *e)
{
    char line[512];
    int k = snprintf(line, sizeof line, "%-20s %-6s %-9s %-22s %-22s %s", n, t, s, l, r, e);
    if (k < 0) return;
    size_t len = strlen(line);
    while (len > 0 && line[len - 1] == ' ') /* no padding after the last column */
        line[--len] = '\0';
    printf("%s\n", line);
}

static int print_status(json_t *j)
{
    const char *type;
    json_t *arr, *e;
    size_t i;
    int n = 0;
    print_row("NAME", "TYPE", "STATUS", "LOCAL", "REMOTE", "ERROR/PATH");
    json_object_foreach(j, type, arr)
    {
        json_array_foreach(arr, i, e)
        {
            char last[256];
            const char *st = json_string_value(json_object_get(e, "status"));
            last_column(e, last, sizeof last);
            const char *rem = json_string_value(json_object_get(e, "remote_addr"));
            const char *plugin = json_string_value(json_object_get(e, "plugin"));
            const char *addr = json_string_value(json_object_get(e, "local_addr"));
            char local[96];
            /* a plugin proxy has no local address: the plugin answers */
            snprintf(local, sizeof local, "%s%s", plugin ? "plugin:" : "",
                     plugin ? plugin
                     : addr ? addr
                            : "");
            print_row(json_string_value(json_object_get(e, "name")), type, st ? st : "?", local,
                      rem && rem[0] ? rem : "-", last);
            n++;
        }
    }
    if (n == 0) printf("(no proxies or visitors)\n");
    return 0;
}

int cmd_status(int argc, char **argv)
{
    client_cfg_t cfg;
    const char *path;
    int r = load(argc, argv, "Prints the running client's proxies and visitors and their state.",
                 &cfg, &path);
    if (r != 0) return r > 0 ? 0 : 2;
    int status = 0;
    json_t *j = ask("status", &cfg, "/api/status", &status);
    config_client_free(&cfg);
    if (!j) return 1;
    int rc = status == 200 && json_is_object(j) ? print_status(j) : 1;
    if (status != 200) fprintf(stderr, "burrow status: the admin API answered %d\n", status);
    json_decref(j);
    return rc;
}

/* ---- reload --------------------------------------------------------------- */

/* "  added    a b" (proxies), "  visitors added    v" (j = "visitors") */
static void print_list(json_t *j, const char *key, const char *what)
{
    json_t *a = json_object_get(j, key), *v;
    size_t i;
    printf("  %s%-8s", what, key);
    if (json_array_size(a) == 0) printf(" -");
    json_array_foreach(a, i, v) printf(" %s", json_string_value(v));
    printf("\n");
}

int cmd_reload(int argc, char **argv)
{
    client_cfg_t cfg;
    const char *path;
    /* A file with errors is refused here already, with the same lines the
     * client would give; nothing is sent. */
    int r = load(argc, argv,
                 "Asks the running client to reload FILE: proxies and visitors added,\n"
                 "removed or changed are applied, the others keep running.",
                 &cfg, &path);
    if (r != 0) {
        if (r < 0) fprintf(stderr, "burrow reload: nothing sent\n");
        return r > 0 ? 0 : 2;
    }
    int status = 0;
    json_t *j = ask("reload", &cfg, "/api/reload", &status);
    config_client_free(&cfg);
    if (!j) return 1;
    int ok = json_is_true(json_object_get(j, "ok"));
    if (ok) {
        printf("reload applied (%s)\n", path);
        static const char *const keys[] = {"added", "removed", "changed", "kept"};
        for (int k = 0; k < 4; k++)
            print_list(j, keys[k], "");
        json_t *v = json_object_get(j, "visitors");
        for (int k = 0; v && k < 4; k++)
            print_list(v, keys[k], "visitors ");
    } else {
        const char *why = json_string_value(json_object_get(j, "error"));
        const char *errs = json_string_value(json_object_get(j, "errors"));
        fprintf(stderr, "burrow reload: refused: %s\n%s", why ? why : "?", errs ? errs : "");
    }
    json_decref(j);
    return ok ? 0 : 1;
}
