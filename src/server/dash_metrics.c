/* dash_metrics: GET /metrics in Prometheus's text exposition format
 * (version 0.0.4): each family with # HELP and # TYPE, label values
 * escaped (backslash, double quote, newline), counters named *_total and
 * units in names. Label sets are bounded: proxy names by PSTATS_MAX, types
 * by the kind table, reasons by SRV_HS_REASONS, classes by five, paths by
 * P2P_PATH_NAMES. */
#include <stdio.h>
#include <string.h>

#include "server/dash.h"
#include "server/server_int.h"
#include "util/proc_self.h"

static void put(strbuf_t *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

/* A label value, escaped per the exposition format. */
static void put_label(strbuf_t *b, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\')
            put(b, "\\\\");
        else if (*p == '"')
            put(b, "\\\"");
        else if (*p == '\n')
            put(b, "\\n");
        else
            strbuf_put(b, p, 1);
    }
}

static void family(strbuf_t *b, const char *name, const char *type, const char *help)
{
    char line[256];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    put(b, line);
}

/* name{k1="v1",k2="v2"} value; labels may be NULL. */
static void sample(strbuf_t *b, const char *name, const char *k1, const char *v1, const char *k2,
                   const char *v2, unsigned long long value)
{
    char num[32];
    put(b, name);
    if (k1) {
        put(b, "{");
        put(b, k1);
        put(b, "=\"");
        put_label(b, v1);
        put(b, "\"");
        if (k2) {
            put(b, ",");
            put(b, k2);
            put(b, "=\"");
            put_label(b, v2);
            put(b, "\"");
        }
        put(b, "}");
    }
    snprintf(num, sizeof num, " %llu\n", value);
    put(b, num);
}

/* Proxies by type: the online entries of the counters' table (one per
 * registered proxy; one walk, not one per session). */
static void clients_and_types(strbuf_t *b, srv_t *s)
{
    unsigned long long clients = 0, by_kind[PROXY_KIND_COUNT] = {0};
    for (const session_t *ss = s->sessions; ss; ss = session_next(ss))
        clients++;
    for (int i = 0; i < pstats_count(s->stats.proxies); i++) {
        const pstat_t *st = pstats_at(s->stats.proxies, i);
        for (int k = 0; st->online && k < PROXY_KIND_COUNT; k++)
            if (strcmp(st->type, kind_name((proxy_kind_t)k)) == 0) by_kind[k]++;
    }
    family(b, "burrow_clients", "gauge", "Clients logged in now.");
    sample(b, "burrow_clients", NULL, NULL, NULL, NULL, clients);
    family(b, "burrow_proxies", "gauge", "Proxies registered now, by type.");
    for (int k = 0; k < PROXY_KIND_COUNT; k++)
        sample(b, "burrow_proxies", "type", kind_name((proxy_kind_t)k), NULL, NULL, by_kind[k]);
}

static void per_proxy(strbuf_t *b, srv_t *s)
{
    pstats_t *t = s->stats.proxies;
    family(b, "burrow_connections", "gauge", "Connections open now through each proxy.");
    for (int i = 0; i < pstats_count(t); i++)
        sample(b, "burrow_connections", "proxy", pstats_at(t, i)->name, NULL, NULL,
               pstats_at(t, i)->cur_conns);
    family(b, "burrow_proxy_bytes_total", "counter",
           "Bytes relayed by each proxy; in: from users toward the client's service.");
    for (int i = 0; i < pstats_count(t); i++) {
        const pstat_t *st = pstats_at(t, i);
        sample(b, "burrow_proxy_bytes_total", "proxy", st->name, "direction", "in",
               st->bytes[PSTAT_IN]);
        sample(b, "burrow_proxy_bytes_total", "proxy", st->name, "direction", "out",
               st->bytes[PSTAT_OUT]);
    }
}

static void server_counters(strbuf_t *b, srv_t *s)
{
    static const char *const classes[6] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
    const srv_stats_t *st = &s->stats;
    family(b, "burrow_work_pool_misses_total", "counter",
           "Work connections asked for while none was idle.");
    sample(b, "burrow_work_pool_misses_total", NULL, NULL, NULL, NULL, st->pool_misses);
    family(b, "burrow_handshake_failures_total", "counter",
           "Connections that failed before login or work proof, by reason.");
    for (int i = 0; i < SRV_HS_COUNT; i++)
        sample(b, "burrow_handshake_failures_total", "reason", srv_hs_reason_names[i], NULL, NULL,
               st->handshake_failures[i]);
    family(b, "burrow_vhost_responses_total", "counter",
           "Responses of the http vhost to users, by status class.");
    for (int c = 1; c <= 5; c++)
        sample(b, "burrow_vhost_responses_total", "class", classes[c], NULL, NULL,
               st->vhost_responses[c]);
    family(b, "burrow_logins_total", "counter", "Successful client logins.");
    sample(b, "burrow_logins_total", NULL, NULL, NULL, NULL, st->logins);
}

/* Live xtcp pairs by the path their clients report (a fixed label set). */
static void p2p_pairs(strbuf_t *b, srv_t *s)
{
    unsigned long long by_path[P2P_PATH_COUNT] = {0};
    const p2p_paths_t *t = &s->stats.paths;
    for (int i = 0; i < P2P_PATHS_MAX; i++)
        if (p2p_paths_is_row(t, i)) by_path[t->rec[i].path]++;
    family(b, "burrow_p2p_pairs", "gauge", "Live xtcp pairs by the path they run on.");
    for (int k = 0; k < P2P_PATH_COUNT; k++)
        sample(b, "burrow_p2p_pairs", "path", p2p_path_names[k], NULL, NULL, by_path[k]);
}

static void process(strbuf_t *b)
{
    long long rss = proc_self_rss_bytes();
    int fds = proc_self_open_fds();
    if (rss >= 0) {
        family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        sample(b, "process_resident_memory_bytes", NULL, NULL, NULL, NULL, (unsigned long long)rss);
    }
    if (fds >= 0) {
        family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
        sample(b, "process_open_fds", NULL, NULL, NULL, NULL, (unsigned long long)fds);
    }
}

void dash_metrics(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    (void)req;
    if (!s->cfg->enable_prometheus) {
        httpd_resp_error(r, 404, "metrics are off (enablePrometheus = true turns them on)");
        return;
    }
    strbuf_t *b = httpd_resp_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8");
    clients_and_types(b, s);
    per_proxy(b, s);
    server_counters(b, s);
    p2p_pairs(b, s);
    process(b);
}
