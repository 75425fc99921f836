/* dash: the dashboard's routes and JSON answers (see dash.h).
 *
 * frp's shapes are kept where frp has the path, so that scripts and panels
 * written for frps keep working: /api/serverinfo, /api/proxy/{type} and
 * /api/traffic/{name} (frp's times as "MM-DD hh:mm:ss" local time, "" for
 * never; trafficIn/trafficOut with today first). burrow adds fields frp
 * lacks (unix times, totals, the user and run id, the last hour per
 * minute) beside them. */
#include "server/dash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"
#include "util/log.h"
#include "web/assets.h"

struct dash {
    httpd_t *httpd;
};

/* ---- helpers ----------------------------------------------------------- */

static const char *frp_time(int64_t t, char *buf, size_t size)
{
    struct tm tm;
    time_t tt = (time_t)t;
    buf[0] = '\0';
    if (t > 0 && localtime_r(&tt, &tm)) strftime(buf, size, "%m-%d %H:%M:%S", &tm);
    return buf;
}

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

/* ---- /api/serverinfo --------------------------------------------------- */

static void totals(srv_t *s, uint64_t bytes[2], uint64_t *conns, json_t *types)
{
    int64_t now = (int64_t)time(NULL);
    for (int i = 0; i < pstats_count(s->stats.proxies); i++) {
        pstat_t *st = pstats_at(s->stats.proxies, i);
        uint64_t day[PSTATS_DAYS];
        for (int d = 0; d < 2; d++) {
            pstat_days(st, d, now, day);
            bytes[d] += day[0];
        }
        *conns += st->cur_conns;
        if (!st->online) continue;
        json_t *n = json_object_get(types, st->type);
        json_object_set_new(types, st->type, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
}

static void h_serverinfo(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    (void)req;
    const server_cfg_t *c = s->cfg;
    int clients = 0;
    for (const session_t *ss = s->sessions; ss; ss = session_next(ss))
        clients++;
    uint64_t today[2] = {0, 0}, conns = 0;
    json_t *types = json_object();
    totals(s, today, &conns, types);
    json_t *j = json_pack(
        "{s:s,s:i,s:i,s:i,s:i,s:s,s:i,s:i,s:i,s:b,s:o,s:o,s:o,s:i,s:o,s:I,s:I,s:i}", "version",
        BURROW_VERSION, "bindPort", server_listen_port(s), "vhostHTTPPort", c->vhost_http_port,
        "vhostHTTPSPort", c->vhost_https_port, "maxPoolCount", c->max_pool_count, "subdomainHost",
        c->subdomain_host ? c->subdomain_host : "", "maxPortsPerClient", c->max_ports_per_client,
        "heartbeatTimeout", c->heartbeat_timeout, "kcpBindPort", 0, "tlsForce", c->tls_force,
        "totalTrafficIn", u64(today[PSTAT_IN]), "totalTrafficOut", u64(today[PSTAT_OUT]),
        "curConns", u64(conns), "clientCounts", clients, "proxyTypeCount", types, "uptime",
        (json_int_t)((int64_t)time(NULL) - s->stats.started), "startTime",
        (json_int_t)s->stats.started, "quicBindPort", 0);
    httpd_resp_json(r, 200, j);
}

/* ---- /api/proxy/{type} ------------------------------------------------- */

static json_t *proxy_json(srv_t *s, pstat_t *st)
{
    char a[32], b[32];
    int64_t now = (int64_t)time(NULL);
    uint64_t in[PSTATS_DAYS], out[PSTATS_DAYS];
    pstat_days(st, PSTAT_IN, now, in);
    pstat_days(st, PSTAT_OUT, now, out);
    (void)s;
    json_t *conf = st->conf ? json_incref(st->conf) : json_null();
    return json_pack("{s:s,s:o,s:s,s:o,s:o,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:o}",
                     "name", st->name, "conf", conf, "clientVersion", st->client_version,
                     "todayTrafficIn", u64(in[0]), "todayTrafficOut", u64(out[0]), "curConns",
                     (int)st->cur_conns, "lastStartTime", frp_time(st->last_start, a, sizeof a),
                     "lastCloseTime", frp_time(st->last_close, b, sizeof b), "status",
                     st->online ? "online" : "offline", "type", st->type, "user", st->user,
                     "clientRunId", st->run_id, "lastStartUnix", (json_int_t)st->last_start,
                     "lastCloseUnix", (json_int_t)st->last_close, "totalConns",
                     u64(st->total_conns), "totalTrafficIn", u64(st->bytes[PSTAT_IN]),
                     "totalTrafficOut", u64(st->bytes[PSTAT_OUT]));
}

static void h_proxies(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    json_t *list = json_array();
    for (int i = 0; i < pstats_count(s->stats.proxies); i++) {
        pstat_t *st = pstats_at(s->stats.proxies, i);
        if (req->rest[0] && strcmp(req->rest, st->type) != 0) continue;
        json_array_append_new(list, proxy_json(s, st));
    }
    httpd_resp_json(r, 200, json_pack("{s:o}", "proxies", list));
}

/* ---- /api/traffic/{name} ----------------------------------------------- */

static json_t *series(const uint64_t *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, u64(v[i]));
    return a;
}

static void h_traffic(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    pstat_t *st = pstats_find(s->stats.proxies, req->rest);
    if (!st) {
        httpd_resp_error(r, 404, "no such proxy");
        return;
    }
    int64_t now = (int64_t)time(NULL);
    uint64_t in[PSTATS_DAYS], out[PSTATS_DAYS], min_in[PSTATS_MINUTES], min_out[PSTATS_MINUTES];
    pstat_days(st, PSTAT_IN, now, in);
    pstat_days(st, PSTAT_OUT, now, out);
    pstat_minutes(st, PSTAT_IN, now, min_in);
    pstat_minutes(st, PSTAT_OUT, now, min_out);
    httpd_resp_json(r, 200,
                    json_pack("{s:s,s:o,s:o,s:o,s:o,s:I}", "name", st->name, "trafficIn",
                              series(in, PSTATS_DAYS), "trafficOut", series(out, PSTATS_DAYS),
                              "minuteIn", series(min_in, PSTATS_MINUTES), "minuteOut",
                              series(min_out, PSTATS_MINUTES), "minuteEnd", (json_int_t)now));
}

/* ---- /api/clients, /api/p2p ------------------------------------------- */

static void h_clients(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    (void)req;
    json_t *list = json_array();
    for (const session_t *ss = s->sessions; ss; ss = session_next(ss)) {
        session_info_t si;
        session_get_info(ss, &si);
        json_t *meta = si.metadatas ? json_deep_copy(si.metadatas) : json_object();
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:o,s:s,s:o}", "user",
                                        si.user, "hostname", si.hostname, "runId", si.run_id,
                                        "address", si.peer, "version", si.version, "since",
                                        (json_int_t)si.since, "proxies", si.proxies, "natType",
                                        si.nat_type ? json_string(si.nat_type) : json_null(),
                                        "clientID", si.client_id, "metadatas", meta));
    }
    httpd_resp_json(r, 200, json_pack("{s:o}", "clients", list));
}

/* The pairs the rendezvous saw (the last SRV_P2P_SEEN offers, newest
 * first), each with the last path its clients reported. */
static json_t *offers_json(const srv_stats_t *st)
{
    json_t *list = json_array();
    for (int k = 0; k < st->p2p_n; k++) {
        const srv_p2p_pair_t *p =
            &st->p2p[(st->p2p_next - 1 - k + 2 * SRV_P2P_SEEN) % SRV_P2P_SEEN];
        json_array_append_new(
            list, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:s,s:s}", "proxy", p->proxy, "visitor",
                            p->visitor_user, "visitorRunId", p->visitor_run_id, "ownerRunId",
                            p->owner_run_id, "sid", (json_int_t)p->sid, "offeredAt",
                            (json_int_t)p->offered_at, "relay", p->relay, "outcome", p->outcome,
                            "path", p->path >= 0 ? p2p_path_names[p->path] : "unknown"));
    }
    return list;
}

/* The live pairs, one row each (p2p_paths_is_row), as their clients say. */
static json_t *live_json(const p2p_paths_t *t)
{
    json_t *list = json_array();
    for (int i = 0; i < P2P_PATHS_MAX; i++) {
        if (!p2p_paths_is_row(t, i)) continue;
        const p2p_path_rec_t *r = &t->rec[i];
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:s}", "proxy", r->proxy, "owner",
                      r->owner_user, "ownerRunId", r->owner_run_id, "visitor", r->visitor_user,
                      "visitorRunId", r->visitor_run_id, "sid", (json_int_t)r->sid, "path",
                      p2p_path_names[r->path], "rttUs", (json_int_t)r->rtt_us, "sinceMs",
                      (json_int_t)r->since_ms, "reportedBy", r->by_owner ? "owner" : "visitor"));
    }
    return list;
}

static void h_p2p(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    (void)req;
    httpd_resp_json(r, 200,
                    json_pack("{s:o,s:o}", "pairs", offers_json(&s->stats), "live",
                              live_json(&s->stats.paths)));
}

/* ---- POST /api/wake ----------------------------------------------------- */

/* {user, name}: the live client of `user` ("" or absent: no user) that
 * declared [[wakeOnLan]] `name` sends its magic packet. 202 {ok, client}
 * once asked (the client's result is logged, not awaited). Only with a
 * dashboard password: waking machines is not for an open dashboard. */
static void h_wake(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    srv_t *s = data;
    const web_cfg_t *w = &s->cfg->web;
    if (!w->password || !w->password[0]) {
        httpd_resp_error(r, 403, "waking needs webServer.password on the server");
        return;
    }
    json_t *j = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    const char *user = json_string_value(json_object_get(j, "user"));
    const char *name = json_string_value(json_object_get(j, "name"));
    char client[64];
    if (!name)
        httpd_resp_error(r, 400, "want a JSON object {\"user\": .., \"name\": ..}");
    else if (wake_rdv_dashboard(s, user ? user : "", name, req->peer, client, sizeof client) != 0)
        httpd_resp_error(r, 404, "no live client of that user declared that name");
    else
        httpd_resp_json(r, 202,
                        json_pack("{s:b,s:s,s:s}", "ok", 1, "name", name, "client", client));
    json_decref(j);
}

/* ---- the page ---------------------------------------------------------- */

static void h_index(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data, (void)req;
    web_asset_serve(r, "/dashboard.html");
}

static void h_static(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data;
    web_asset_serve(r, req->path + strlen("/static"));
}

static const httpd_route_t routes[] = {
    {"GET", "/", 0, h_index},
    {"GET", "/static/", 0, h_static},
    {"GET", "/api/serverinfo", 0, h_serverinfo},
    {"GET", "/api/proxy/", 0, h_proxies},
    {"GET", "/api/proxies", 0, h_proxies},
    {"GET", "/api/traffic/", 0, h_traffic},
    {"GET", "/api/clients", 0, h_clients},
    {"GET", "/api/p2p", 0, h_p2p},
    {"GET", "/metrics", 0, dash_metrics},
    {"POST", "/api/wake", HTTPD_ROUTE_MUTATES, h_wake},
};

int dash_start(srv_t *s)
{
    const web_cfg_t *w = &s->cfg->web;
    struct dash *d = calloc(1, sizeof *d);
    if (!d) return UV_ENOMEM;
    const httpd_opts_t o = {
        .what = "dashboard",
        .addr = w->addr,
        .port = w->port,
        .user = w->user,
        .password = w->password,
        .tls_cert_file = w->tls_cert_file,
        .tls_key_file = w->tls_key_file,
        .routes = routes,
        .n_routes = sizeof routes / sizeof routes[0],
        .data = s,
    };
    int r = httpd_create(s->loop, &o, &d->httpd);
    if (r != 0) {
        free(d);
        return r;
    }
    s->dash = d;
    return 0;
}

void dash_stop(srv_t *s)
{
    if (!s->dash) return;
    httpd_destroy(s->dash->httpd);
    free(s->dash);
    s->dash = NULL;
}

int dash_port(const srv_t *s)
{
    return s->dash ? httpd_port(s->dash->httpd) : -1;
}
