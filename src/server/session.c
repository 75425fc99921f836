/* session: one logged-in client on the server.
 *
 * Owns the control conn, the client's proxies and its work pool
 * (work_pool.c: idle work conns and the requests waiting for one). Control messages are
 * dispatched through a handler table. A session ends on EOF, error,
 * heartbeat timeout, a newer login that proves it is the same client
 * (run id plus a MAC under the session's resume key), or server stop; its
 * proxies' ports are released synchronously so that a reconnecting client
 * can take them again at once. Relays already running live on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/config_range.h"
#include "net/addr.h"
#include "proto/ctl.h"
#include "proto/meta.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "server/ftp_active.h"
#include "server/ftp_data.h"
#include "server/server_int.h"
#include "util/log.h"

struct session {
    srv_t *srv;
    session_t *next;
    conn_t *ctl;
    ctl_chan_t ch; /* the control channel's framer and handlers */
    char run_id[2 * RUN_ID_LEN + 1];
    char user[65];
    char peer[64];
    uint8_t work_key[AUTH_MAC_LEN];
    uint8_t resume_key[AUTH_MAC_LEN]; /* proves a later LOGIN is this client */
    const user_cfg_t *ucfg;           /* its [[users]] entry, or NULL */
    replay_window_t replay;
    uv_timer_t tick;
    uint64_t last_rx;
    sproxy_t *proxies;
    work_pool_t *pool; /* NULL once the session ended (it frees itself) */
    bool ended;
    ref_t ref;           /* ctl conn + tick timer */
    uint64_t p2p_minute; /* start of the minute P2P offers are counted in */
    int p2p_offers;
    uint64_t path_minute; /* the same for P2P_PATH reports */
    int path_reports;
    int64_t since;              /* login time, unix seconds */
    char version[32], host[64]; /* what LOGIN said (session_set_info) */
    /* LOGIN's "wake": the [[wakeOnLan]] names this client can wake (at
     * most WAKE_NAMES_MAX, each a valid proxy name) */
    char wake[WAKE_NAMES_MAX][65];
    int n_wake;
    uint64_t last_wake_req;            /* loop time of its last WAKE_REQ; 0 = none */
    const char *nat;                   /* static (session_set_nat); NULL: not known */
    char client_id[CLIENT_ID_MAX + 1]; /* LOGIN's clientID; "" when none */
    json_t *meta;                      /* LOGIN's metadatas (checked copy), or NULL */
};

static bool valid_name(const char *name);

void session_set_wake(session_t *ss, const json_t *names)
{
    size_t i;
    json_t *v;
    ss->n_wake = 0;
    json_array_foreach(names, i, v)
    {
        const char *n = json_string_value(v);
        if (ss->n_wake >= WAKE_NAMES_MAX) break;
        if (!n || strlen(n) >= sizeof ss->wake[0] || !valid_name(n)) continue;
        snprintf(ss->wake[ss->n_wake++], sizeof ss->wake[0], "%s", n);
    }
}

bool session_can_wake(const session_t *ss, const char *name)
{
    for (int i = 0; name && i < ss->n_wake; i++)
        if (strcmp(ss->wake[i], name) == 0) return true;
    return false;
}

bool session_wake_budget(session_t *ss)
{
    uint64_t now = uv_now(ss->srv->loop);
    if (ss->last_wake_req && now - ss->last_wake_req < WAKE_REQ_MIN_MS) return false;
    ss->last_wake_req = now ? now : 1;
    return true;
}

const char *session_peer(const session_t *ss)
{
    return ss->peer;
}

const char *session_host(const session_t *ss)
{
    return ss->host;
}

void session_set_info(session_t *ss, const char *version, const char *hostname)
{
    snprintf(ss->version, sizeof ss->version, "%s", version ? version : "");
    snprintf(ss->host, sizeof ss->host, "%s", hostname ? hostname : "");
}

void session_set_meta(session_t *ss, const char *client_id, const json_t *metadatas)
{
    snprintf(ss->client_id, sizeof ss->client_id, "%s", client_id ? client_id : "");
    json_decref(ss->meta);
    ss->meta = metadatas ? json_deep_copy(metadatas) : NULL;
}

void session_log_login(const session_t *ss)
{
    char meta[META_MAX_ENTRIES * 16];
    meta_format(ss->meta, meta, sizeof meta);
    const char *tls = conn_is_tls(ss->ctl) ? "yes" : "no";
    if (!ss->client_id[0] && !meta[0]) { /* frp's optional identity: only when given */
        LOG_I("client logged in run_id=%s user=%s peer=%s tls=%s", ss->run_id, LOG_ESC(ss->user),
              ss->peer, tls);
        return;
    }
    LOG_I("client logged in run_id=%s user=%s peer=%s tls=%s client_id=%s metadatas=\"%s\"",
          ss->run_id, LOG_ESC(ss->user), ss->peer, tls, LOG_ESC(ss->client_id), LOG_ESCQ(meta));
}

void session_set_nat(session_t *ss, const char *nat)
{
    ss->nat = nat;
}

void session_get_info(const session_t *ss, session_info_t *out)
{
    int n = 0;
    for (const sproxy_t *p = ss->proxies; p; p = p->next)
        n++;
    *out = (session_info_t){ss->run_id, ss->user, ss->peer, ss->version,   ss->host,
                            ss->since,  n,        ss->nat,  ss->client_id, ss->meta};
}

session_t *session_next(const session_t *ss)
{
    return ss->next;
}

/* A client that stops reading its control connection must not make us queue
 * replies without end (CTL_BACKLOG_MAX). */
static void ctl_send(session_t *ss, uint8_t type, json_t *obj)
{
    int r = ctl_write(ss->ctl, type, obj);
    if (r < 0 && !ss->ended) session_end(ss, "connection-error"); /* as a failed read would */
    if (r == CTL_OVER_BACKLOG && !ss->ended) session_end(ss, "control-backlog");
}

void session_send(session_t *ss, uint8_t type, json_t *obj)
{
    if (ss->ended) {
        json_decref(obj);
        return;
    }
    ctl_send(ss, type, obj);
}

/* At most `limit` events per minute from *start on. */
static bool minute_budget(session_t *ss, uint64_t *start, int *count, int limit)
{
    uint64_t now = uv_now(ss->srv->loop);
    if (*start == 0 || now - *start >= 60000) {
        *start = now ? now : 1;
        *count = 0;
    }
    return ++*count <= limit;
}

bool session_p2p_budget(session_t *ss)
{
    return minute_budget(ss, &ss->p2p_minute, &ss->p2p_offers, P2P_OFFERS_PER_MIN);
}

bool session_p2p_path_budget(session_t *ss)
{
    return minute_budget(ss, &ss->path_minute, &ss->path_reports, P2P_PATH_REPORTS_PER_MIN);
}

const char *session_run_id(const session_t *ss)
{
    return ss->run_id;
}

const char *session_user(const session_t *ss)
{
    return ss->user;
}

/* `name` ends with "." + suffix (so "a.b.example.com" is under
 * "example.com"). */
static bool under_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k + 1 && name[n - k - 1] == '.' && strcasecmp(name + n - k, suffix) == 0;
}

/* A [[users]] domains entry allows itself, and "*.suffix" any name under
 * suffix (a deeper wildcard included). */
static bool domain_listed(const str_list_t *l, const char *domain)
{
    for (int i = 0; i < l->n; i++) {
        const char *e = l->v[i];
        if (strcasecmp(e, domain) == 0) return true;
        if (strncmp(e, "*.", 2) == 0 && under_suffix(domain, e + 2)) return true;
    }
    return false;
}

/* label.subDomainHost with one label: judged by the user's `subdomains`. */
static bool subdomain_allowed(const user_cfg_t *u, const char *host, const char *domain)
{
    size_t label = strlen(domain) - strlen(host) - 1;
    if (memchr(domain, '.', label)) return false; /* deeper: not a subdomain */
    if (u->subdomains_any) return true;
    for (int i = 0; i < u->subdomains.n; i++)
        if (strlen(u->subdomains.v[i]) == label &&
            strncasecmp(u->subdomains.v[i], domain, label) == 0)
            return true;
    return false;
}

bool session_domain_allowed(const session_t *ss, const char *domain)
{
    const user_cfg_t *u = ss->ucfg;
    if (!u) return true; /* shared-token users: only the server-wide policy */
    const char *host = ss->srv->cfg->subdomain_host;
    if (host && *host && under_suffix(domain, host) && subdomain_allowed(u, host, domain))
        return true;
    if (u->has_domains) return domain_listed(&u->domains, domain);
    return strncmp(domain, "*.", 2) != 0; /* default: any exact name */
}

bool session_resume_ok(const session_t *ss, const char *user, const uint8_t nonce_s[AUTH_NONCE_LEN],
                       const uint8_t nonce_c[AUTH_NONCE_LEN], const uint8_t *binding,
                       size_t binding_len, const uint8_t mac[AUTH_MAC_LEN])
{
    if (ss->ended || strcmp(ss->user, user) != 0) return false;
    return auth_resume_check(ss->resume_key, nonce_s, nonce_c, ss->run_id, binding, binding_len,
                             mac);
}

session_t *session_find(srv_t *s, const char *run_id)
{
    for (session_t *ss = s->sessions; ss; ss = ss->next)
        if (strcmp(ss->run_id, run_id) == 0) return ss;
    return NULL;
}

bool server_proxy_name_taken(srv_t *s, const char *name)
{
    for (session_t *ss = s->sessions; ss; ss = ss->next)
        for (sproxy_t *p = ss->proxies; p; p = p->next)
            if (strcmp(p->name, name) == 0) return true;
    return false;
}

sproxy_t *server_find_proxy(srv_t *s, const char *name)
{
    for (session_t *ss = s->sessions; ss; ss = ss->next)
        for (sproxy_t *p = ss->proxies; p; p = p->next)
            if (strcmp(p->name, name) == 0) return p;
    return NULL;
}

/* Work conns come from the address the control conn came from (or at
 * least one behind the same NAT). */
bool server_source_has_session(srv_t *s, const char *peer)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    for (session_t *ss = s->sessions; ss; ss = ss->next) {
        const char *sc = strrchr(ss->peer, ':');
        if (sc && (size_t)(sc - ss->peer) == n && memcmp(ss->peer, peer, n) == 0) return true;
    }
    return false;
}

int session_count_ports(const session_t *ss)
{
    int n = 0;
    for (sproxy_t *p = ss->proxies; p; p = p->next)
        n++;
    return n;
}

bool session_check_work(session_t *ss, uint64_t seq, const uint8_t mac[AUTH_MAC_LEN])
{
    uint8_t want[AUTH_MAC_LEN];
    auth_work_mac(ss->work_key, ss->run_id, seq, want);
    /* Check the MAC before touching the window, so forged sequence numbers
     * cannot advance it. */
    return auth_mac_equal(mac, want) && auth_replay_accept(&ss->replay, seq);
}

/* ---- work pool (work_pool.c) ------------------------------------------- */

static void ask_for_work(void *ctx, int count)
{
    session_t *ss = ctx;
    ctl_send(ss, MSG_REQ_WORK_CONN, json_pack("{s:i}", "count", count));
}

void session_set_pool_target(session_t *ss, long long pool_count)
{
    if (ss->pool) work_pool_set_target(ss->pool, pool_count);
}

void session_add_work(session_t *ss, conn_t *work)
{
    if (ss->pool)
        work_pool_add(ss->pool, work);
    else
        conn_close(work);
}

void session_request_work(session_t *ss, sproxy_t *p, work_req_t *req)
{
    req->proxy = p->name;
    req->type = p->ops->type;
    req->owner = p;
    req->compress = p->compress;
    if (work_pool_idle(ss->pool) == 0) ss->srv->stats.pool_misses++;
    work_pool_request(ss->pool, req);
}

/* ---- proxies ------------------------------------------------------------ */

#define PROXY_KIND_OPS_(id, name, flags, sym) [PROXY_##id] = &sproxy_##sym##_ops,
static const sproxy_ops_t *const proxy_kinds[PROXY_KIND_COUNT] = {PROXY_KINDS(PROXY_KIND_OPS_)};
#undef PROXY_KIND_OPS_

const sproxy_ops_t *sproxy_find_kind(const char *type)
{
    int k = kind_find(type);
    return k < 0 ? NULL : proxy_kinds[k];
}

static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= sizeof(((sproxy_t *)0)->name)) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* domains (owned; NULL: none) goes in as `domains`; p (NULL: a refusal)
 * adds what it took of NEW_PROXY's compression and bandwidth_limit. */
static void proxy_reply(session_t *ss, const char *name, int port, const char *err, json_t *domains,
                        const sproxy_t *p)
{
    json_t *o = json_pack("{s:s,s:b,s:i}", "name", name, "ok", err == NULL, "remote_port", port);
    if (err) json_object_set_new(o, "error", json_string(err));
    if (domains) json_object_set_new(o, "domains", domains);
    sshape_reply(p, o);
    ctl_send(ss, MSG_NEW_PROXY_RESP, o);
}

/* An http/https proxy's full names for NEW_PROXY_RESP `domains`: its
 * customDomains and subdomain.subDomainHost, so that a client (the
 * one-liners) can print the address it got. NULL for other kinds. */
static json_t *reply_domains(const session_t *ss, const sproxy_t *p, const json_t *m)
{
    if (!kind_has(kind_find(p->ops->type), KIND_ROUTES_DOMAIN)) return NULL;
    json_t *out = json_array(), *d;
    size_t i;
    json_array_foreach(json_object_get(m, "custom_domains"), i, d) if (json_is_string(d))
        json_array_append(out, d);
    const char *sub = msg_str(m, "subdomain"), *host = ss->srv->cfg->subdomain_host;
    if (sub && *sub && host && *host)
        json_array_append_new(out, json_sprintf("%.64s.%.200s", sub, host));
    return out;
}

/* The live proxy named `name`, or NULL; *owner is its session. */
static const sproxy_t *find_proxy(srv_t *s, const char *name, const session_t **owner)
{
    for (const session_t *ss = s->sessions; ss; ss = ss->next)
        for (const sproxy_t *p = ss->proxies; p; p = p->next)
            if (strcmp(p->name, name) == 0) return *owner = ss, p;
    return NULL;
}

/* The session holding public `port` for a kind that binds ports, or NULL;
 * *group (when not NULL) is the holder's load-balancing group or NULL. */
static const session_t *port_holder_in(srv_t *s, const sproxy_ops_t *ops, int port,
                                       const lb_group_t **group)
{
    for (const session_t *ss = s->sessions; ss; ss = ss->next)
        for (const sproxy_t *p = ss->proxies; p; p = p->next)
            if (p->ops == ops && p->port == port) {
                if (group) *group = p->lb;
                return ss;
            }
    return NULL;
}

static const session_t *port_holder(srv_t *s, const sproxy_ops_t *ops, int port)
{
    return port_holder_in(s, ops, port, NULL);
}

bool session_port_allowed(const session_t *ss, int port)
{
    return config_user_port_allowed(ss->srv->cfg, ss->ucfg, port);
}

/* NEW_PROXY names a loadBalancer group: its port is the group's business
 * (sproxy_tcp.c joins it or refuses). */
static bool wants_group(const json_t *m)
{
    const char *g = msg_str(m, "group");
    return g && *g;
}

static bool binds_port(const sproxy_ops_t *ops)
{
    return ops && kind_has(kind_find(ops->type), KIND_BINDS_PORT);
}

/* Proxies held by every live session of user u (maxProxies counts them all). */
static int user_proxy_count(srv_t *s, const user_cfg_t *u)
{
    int n = 0;
    for (const session_t *ss = s->sessions; ss; ss = ss->next)
        if (ss->ucfg == u) n += session_count_ports(ss);
    return n;
}

static bool same_user(const session_t *a, const session_t *b)
{
    return strcmp(a->user, b->user) == 0;
}

/* Clients name proxies "user.name": a name starting with a [[users]] name
 * and a dot is that user's, even while the user is offline. */
static const user_cfg_t *reserved_by(const server_cfg_t *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_users; i++) {
        size_t n = strlen(cfg->users[i].name);
        if (strncmp(name, cfg->users[i].name, n) == 0 && name[n] == '.') return &cfg->users[i];
    }
    return NULL;
}

/* Names, ports and domains belong to the user holding them. */
static const char *check_ownership(session_t *ss, const char *name, const sproxy_ops_t *ops,
                                   long long port, const json_t *m, char *err, size_t errlen)
{
    const user_cfg_t *u = reserved_by(ss->srv->cfg, name);
    if (u && strcmp(u->name, ss->user) != 0) {
        snprintf(err, errlen, "proxy names starting with %s. belong to user %s", u->name, u->name);
        return err;
    }
    const session_t *owner = NULL;
    if (find_proxy(ss->srv, name, &owner))
        return same_user(owner, ss) ? "proxy name already in use"
                                    : "proxy name already in use by another user";
    const lb_group_t *group = NULL;
    bool grouped = wants_group(m) && ops == &sproxy_tcp_ops; /* tcp groups share a port */
    owner = port > 0 && binds_port(ops) && !grouped
                ? port_holder_in(ss->srv, ops, (int)port, &group)
                : NULL;
    if (owner && group) {
        snprintf(err, errlen,
                 "port %lld belongs to load-balancing group %s (set loadBalancer.group and "
                 "groupKey to join it)",
                 port, LOG_ESC(group->name));
        return err;
    }
    if (owner) {
        snprintf(err, errlen, "port %lld is already in use%s", port,
                 same_user(owner, ss) ? "" : " by another user");
        return err;
    }
    return NULL;
}

/* The domains an http/https NEW_PROXY asks for, each checked against the
 * user's allowance (the vhost checks syntax and the server-wide policy). */
static const char *check_domains(session_t *ss, const json_t *m, char *err, size_t errlen)
{
    json_t *arr = json_object_get(m, "custom_domains");
    const char *sub = msg_str(m, "subdomain"), *host = ss->srv->cfg->subdomain_host;
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d)
    {
        const char *name = json_string_value(d);
        if (name && !session_domain_allowed(ss, name)) {
            snprintf(err, errlen, "domain %.100s is not allowed for user %.64s", name, ss->user);
            return err;
        }
    }
    if (sub && *sub && host && *host) {
        char full[300];
        snprintf(full, sizeof full, "%.64s.%.200s", sub, host);
        if (!session_domain_allowed(ss, full)) {
            snprintf(err, errlen, "subdomain %.64s is not allowed for user %.64s", sub, ss->user);
            return err;
        }
    }
    return NULL;
}

/* A port range's proxy names the whole range (NEW_PROXY remote_range): it
 * is refused unless every port of it is allowed, naming the first that is
 * not, so the range is taken whole or not at all. */
static const char *check_range(session_t *ss, const char *range, char *err, size_t errlen)
{
    int *ports = malloc(CONFIG_RANGE_MAX * sizeof *ports);
    if (!ports) return "out of memory";
    int n = config_parse_number_range(range, strlen(range), ports, CONFIG_RANGE_MAX);
    const char *why = n < 0 ? "bad remote_range" : NULL;
    const user_cfg_t *u = ss->ucfg;
    for (int i = 0; !why && i < n; i++)
        if (!config_user_port_allowed(ss->srv->cfg, u, ports[i])) {
            snprintf(err, errlen, "port range %.40s: port %d is not allowed %s", range, ports[i],
                     u && u->n_allow_ports ? "for this user" : "by the server");
            why = err;
        }
    free(ports);
    return why;
}

static const char *check_new_proxy(session_t *ss, const char *name, const sproxy_ops_t *ops,
                                   long long port, const json_t *m, char *err, size_t errlen)
{
    const server_cfg_t *cfg = ss->srv->cfg;
    const user_cfg_t *u = ss->ucfg;
    if (!valid_name(name)) return "invalid proxy name";
    if (!ops) return "unsupported proxy type";
    if (port < 0 || port > 65535) return "remote port out of range";
    const char *range = msg_str(m, "remote_range");
    const char *why_range = range && binds_port(ops) ? check_range(ss, range, err, errlen) : NULL;
    if (why_range) return why_range;
    if (port > 0 && binds_port(ops) && !config_user_port_allowed(cfg, u, (int)port)) {
        snprintf(err, errlen, "port %lld is not allowed %s", port,
                 u && u->n_allow_ports ? "for this user" : "by the server");
        return err;
    }
    if (cfg->max_ports_per_client > 0 && session_count_ports(ss) >= cfg->max_ports_per_client) {
        snprintf(err, errlen, "too many proxies for this client (limit %d)",
                 cfg->max_ports_per_client);
        return err;
    }
    if (u && u->max_proxies > 0 && user_proxy_count(ss->srv, u) >= u->max_proxies) {
        snprintf(err, errlen, "too many proxies for user %s (maxProxies %d)", u->name,
                 u->max_proxies);
        return err;
    }
    /* Limits first: a proxy beyond them is refused for that, whatever it asks. */
    const char *why = check_ownership(ss, name, ops, port, m, err, errlen);
    if (why) return why;
    if (!binds_port(ops)) return check_domains(ss, m, err, errlen);
    return NULL;
}

/* Port 0 under a user's own allowPorts: the server picks within them, skipping
 * ports other proxies hold. 0 ("any") when the user has no ranges; -1 when
 * none is left. */
static int pick_user_port(session_t *ss, const sproxy_ops_t *ops, int attempt)
{
    const user_cfg_t *u = ss->ucfg;
    if (!u || !u->n_allow_ports || !binds_port(ops)) return attempt == 0 ? 0 : -1;
    server_cfg_t view = *ss->srv->cfg; /* ports_candidate reads only the ranges */
    view.allow_ports = u->allow_ports;
    view.n_allow_ports = u->n_allow_ports;
    int cand;
    while ((cand = ports_candidate(&view, 0, attempt++)) > 0)
        if (!port_holder(ss->srv, ops, cand)) return cand;
    return -1;
}

/* Creates and opens one proxy. NULL with the reason in err. */
static sproxy_t *open_proxy(session_t *ss, const char *name, const sproxy_ops_t *ops, int port,
                            const json_t *m, char *err, size_t errlen)
{
    sproxy_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->ops = ops;
    p->sess = ss;
    p->srv = ss->srv;
    snprintf(p->name, sizeof p->name, "%s", name);
    if (sshape_open(p, ss->srv->loop, m, err, errlen) != 0) {
        sshape_close(p);
        free(p);
        return NULL;
    }
    if (ops->open(p, port, m, err, errlen) == 0) return p;
    sshape_close(p);
    p->sess = NULL;
    ops->close(p);
    return NULL;
}

/* What the dashboard shows of a proxy's settings, in frp's key names. */
static json_t *proxy_conf(const sproxy_t *p, const json_t *m)
{
    static const struct {
        const char *wire, *frp;
    } keys[] = {{"custom_domains", "customDomains"},
                {"subdomain", "subdomain"},
                {"locations", "locations"}};
    json_t *c =
        json_pack("{s:s,s:s,s:i}", "name", p->name, "type", p->ops->type, "remotePort", p->port);
    for (size_t i = 0; c && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(m, keys[i].wire);
        if (v && (json_is_string(v) || json_is_array(v)))
            json_object_set_new(c, keys[i].frp, json_deep_copy(v));
    }
    json_t *meta = json_object_get(m, "metadatas"); /* checked by on_new_proxy */
    if (c && meta) json_object_set_new(c, "metadatas", json_deep_copy(meta));
    /* the group, never its key */
    if (c && p->lb)
        json_object_set_new(c, "loadBalancer", json_pack("{s:s}", "group", p->lb->name));
    return c;
}

static void on_new_proxy(void *owner, json_t *m)
{
    session_t *ss = owner;
    const char *name = msg_str(m, "name");
    const char *type = msg_str(m, "type");
    long long port = msg_int(m, "remote_port", 0);
    const sproxy_ops_t *ops = sproxy_find_kind(type);
    char err[160] = "";
    const char *why = check_new_proxy(ss, name, ops, port, m, err, sizeof err);
    if (!why && meta_check(json_object_get(m, "metadatas"), err, sizeof err) != 0) why = err;
    if (!name) name = "";
    sproxy_t *p = NULL;
    for (int i = 0; !why && !p && i < USER_PORT_TRIES; i++) {
        int want = port > 0 ? (int)port : pick_user_port(ss, ops, i);
        if (want < 0 || (port > 0 && i > 0)) break;
        p = open_proxy(ss, name, ops, want, m, err, sizeof err);
    }
    if (p) {
        p->next = ss->proxies;
        ss->proxies = p;
        p->st = pstats_open(ss->srv->stats.proxies, name, type, ss->user, ss->run_id,
                            proxy_conf(p, m), (int64_t)time(NULL));
        if (p->st) snprintf(p->st->client_version, sizeof p->st->client_version, "%s", ss->version);
        LOG_I("proxy listening name=%s type=%s port=%d run_id=%s user=%s", LOG_ESC(name),
              LOG_ESC(type), p->port, ss->run_id, LOG_ESC(ss->user));
        proxy_reply(ss, name, p->port, NULL, reply_domains(ss, p, m), p);
        return;
    }
    if (!why) why = err[0] ? err : "no allowed port is free";
    /* A client can send refused NEW_PROXY messages at will, with any name. */
    LOG_LIMITED(LOG_WARN, "proxy refused name=%s type=%s port=%lld run_id=%s reason=\"%s\"",
                LOG_ESC(name), LOG_ESC(type), port, ss->run_id, LOG_ESCQ(why));
    proxy_reply(ss, name, (int)port, why, NULL, NULL);
}

static void close_proxy(session_t *ss, sproxy_t *p)
{
    if (ss->pool) work_pool_cancel_owner(ss->pool, p);
    LOG_I("proxy closed name=%s port=%d", LOG_ESC(p->name), p->port);
    pstats_close(p->st, (int64_t)time(NULL));
    p->st = NULL;
    p->sess = NULL;
    sshape_close(p);
    p->ops->close(p);
}

static void on_close_proxy(void *owner, json_t *m)
{
    session_t *ss = owner;
    const char *name = msg_str(m, "name");
    for (sproxy_t **pp = &ss->proxies; name && *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            sproxy_t *p = *pp;
            *pp = p->next;
            close_proxy(ss, p);
            return;
        }
    }
}

static void on_ping(void *owner, json_t *m)
{
    session_t *ss = owner;
    (void)m;
    ctl_send(ss, MSG_PONG, json_object());
}

static void on_p2p_offer(void *owner, json_t *m)
{
    session_t *ss = owner;
    p2p_rdv_offer(ss->srv, ss, m);
}

static void on_p2p_answer(void *owner, json_t *m)
{
    session_t *ss = owner;
    p2p_rdv_answer(ss->srv, ss, m);
}

static void on_wake_req(void *owner, json_t *m)
{
    session_t *ss = owner;
    wake_rdv_request(ss->srv, ss, m);
}

static void on_wake_result(void *owner, json_t *m)
{
    session_t *ss = owner;
    wake_rdv_result(ss->srv, ss, m);
}

static void on_p2p_path(void *owner, json_t *m)
{
    session_t *ss = owner;
    p2p_rdv_path(ss->srv, ss, m);
}

/* ---- control conn ------------------------------------------------------- */

static void on_ftp_data_port(void *owner, json_t *m)
{
    session_t *ss = owner;
    char ip[64];
    struct sockaddr_storage a;
    ip[0] = '\0';
    if (conn_local_addr(ss->ctl, &a) == 0) addr_ip((struct sockaddr *)&a, ip, sizeof ip);
    ftp_data_open(ss->srv, ss, ip, m);
}

static void on_ftp_active_dial(void *owner, json_t *m)
{
    session_t *ss = owner;
    ftp_active_dial(ss->srv, ss, m);
}

static const ctl_handler_t handlers[] = {
    {MSG_FTP_DATA_PORT, CTL_ANY_STATE, on_ftp_data_port},
    {MSG_FTP_ACTIVE_DIAL, CTL_ANY_STATE, on_ftp_active_dial},
    {MSG_NEW_PROXY, CTL_ANY_STATE, on_new_proxy},
    {MSG_CLOSE_PROXY, CTL_ANY_STATE, on_close_proxy},
    {MSG_PING, CTL_ANY_STATE, on_ping},
    {MSG_P2P_OFFER, CTL_ANY_STATE, on_p2p_offer},
    {MSG_P2P_ANSWER, CTL_ANY_STATE, on_p2p_answer},
    {MSG_WAKE_REQ, CTL_ANY_STATE, on_wake_req},
    {MSG_WAKE_RESULT, CTL_ANY_STATE, on_wake_result},
    {MSG_P2P_PATH, CTL_ANY_STATE, on_p2p_path},
};

static int on_other_frame(void *owner, const frame_t *f, ctl_miss_t why)
{
    session_t *ss = owner;
    if (why == CTL_BAD_JSON) {
        session_end(ss, "bad-json");
        return 1;
    }
    /* Unknown types are skipped so newer clients can add optional messages. */
    LOG_D("ignored control message run_id=%s type=%u", ss->run_id, f->type);
    return 0;
}

static bool session_ended(void *owner)
{
    return ((session_t *)owner)->ended;
}

static void on_ctl_data(conn_t *c, const uint8_t *p, size_t n)
{
    session_t *ss = conn_data(c);
    int frames = ctl_feed(&ss->ch, p, n);
    if (frames == FRAME_ERR_TOO_LARGE) {
        session_end(ss, "frame-too-large");
        return;
    }
    if (frames > 0) ss->last_rx = uv_now(ss->srv->loop);
}

static void on_ctl_eof(conn_t *c)
{
    session_end(conn_data(c), "client-closed");
}

static void on_ctl_error(conn_t *c, int err)
{
    session_t *ss = conn_data(c);
    LOG_D("control connection error run_id=%s err=%s", ss->run_id, uv_strerror(err));
    session_end(ss, "connection-error");
}

static void session_release(ref_t *r)
{
    session_t *ss = REF_OWNER(r, session_t, ref);
    ctl_free(&ss->ch);
    json_decref(ss->meta);
    free(ss);
}

static void on_ctl_close(conn_t *c)
{
    session_t *ss = conn_data(c);
    ref_drop(&ss->ref);
}

static void on_tick_close(uv_handle_t *h)
{
    session_t *ss = h->data;
    ref_drop(&ss->ref);
}

static const conn_cbs_t ctl_cbs = {
    .on_data = on_ctl_data,
    .on_eof = on_ctl_eof,
    .on_error = on_ctl_error,
    .on_close = on_ctl_close,
};

static void on_tick(uv_timer_t *t)
{
    session_t *ss = t->data;
    uint64_t now = uv_now(ss->srv->loop);
    int timeout = ss->srv->cfg->heartbeat_timeout;
    if (timeout > 0 && now - ss->last_rx > (uint64_t)timeout * 1000) {
        session_end(ss, "heartbeat-timeout");
        return;
    }
    if (ss->pool) work_pool_tick(ss->pool);
}

/* The client's address as this server sees it, for LOGIN_OK's "addr" (the
 * client's DDNS learns its public address from it); "" when unknown. */
static const char *peer_ip(const conn_t *ctl, char *buf, size_t size)
{
    struct sockaddr_storage ss, plain;
    buf[0] = '\0';
    if (conn_peer_addr(ctl, &ss) != 0) return buf;
    addr_unmap_v4((const struct sockaddr *)&ss, &plain);
    return addr_ip((const struct sockaddr *)&plain, buf, size);
}

session_t *session_create(srv_t *s, conn_t *ctl, framer_t *fr, const char *user,
                          const uint8_t work_key[AUTH_MAC_LEN],
                          const uint8_t resume_key[AUTH_MAC_LEN], bool resumed)
{
    session_t *ss = calloc(1, sizeof *ss);
    uint8_t id[RUN_ID_LEN];
    if (!ss || auth_random(id, sizeof id) != 0) {
        free(ss);
        return NULL;
    }
    auth_hex(id, sizeof id, ss->run_id);
    int cap = s->cfg->max_pool_count > 0 ? s->cfg->max_pool_count : 1;
    ss->pool = work_pool_create(s->loop, cap, ss->run_id, ask_for_work, ss);
    if (!ss->pool) {
        free(ss);
        return NULL;
    }
    ss->srv = s;
    ss->ctl = ctl;
    ss->ch = (ctl_chan_t){.fr = *fr,
                          .handlers = handlers,
                          .n_handlers = sizeof handlers / sizeof handlers[0],
                          .owner = ss,
                          .on_other = on_other_frame,
                          .ended = session_ended};
    memset(fr, 0, sizeof *fr);
    snprintf(ss->user, sizeof ss->user, "%s", user);
    snprintf(ss->peer, sizeof ss->peer, "%s", conn_peer(ctl));
    memcpy(ss->work_key, work_key, AUTH_MAC_LEN);
    memcpy(ss->resume_key, resume_key, AUTH_MAC_LEN);
    ss->ucfg = config_find_user(s->cfg, user);
    ss->last_rx = uv_now(s->loop);
    ss->since = (int64_t)time(NULL);
    s->stats.logins++;
    ref_init(&ss->ref, 2, session_release);
    conn_set_cbs(ctl, &ctl_cbs, ss);
    uv_timer_init(s->loop, &ss->tick);
    ss->tick.data = ss;
    uv_timer_start(&ss->tick, on_tick, 1000, 1000);
    ss->next = s->sessions;
    s->sessions = ss;
    /* Ignored: a control conn that cannot take LOGIN_OK is failing, and its
     * read side reports that, which ends the session like any loss. */
    char seen[ADDR_STRLEN];
    (void)msg_send(ctl, MSG_LOGIN_OK,
                   json_pack("{s:s,s:i,s:i,s:b,s:s}", "run_id", ss->run_id, "heartbeat_timeout",
                             s->cfg->heartbeat_timeout, "max_pool", s->cfg->max_pool_count,
                             "resumed", resumed, "addr", peer_ip(ctl, seen, sizeof seen)));
    return ss; /* the caller logs the login (session_log_login) */
}

void session_end(session_t *ss, const char *reason)
{
    if (ss->ended) return;
    ss->ended = true;
    for (session_t **pp = &ss->srv->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == ss) {
            *pp = ss->next;
            break;
        }
    }
    LOG_I("client session ended run_id=%s user=%s reason=%s", ss->run_id, ss->user, reason);
    work_pool_t *pool = ss->pool;
    ss->pool = NULL; /* kinds ask no more; the pool cancels what waits */
    work_pool_close(pool);
    ftp_data_session_end(ss->srv, ss);
    ftp_active_session_end(ss->srv, ss);
    while (ss->proxies) {
        sproxy_t *p = ss->proxies;
        ss->proxies = p->next;
        close_proxy(ss, p);
    }
    p2p_paths_drop_session(&ss->srv->stats.paths, ss->run_id); /* its pairs went with it */
    conn_close(ss->ctl);
    uv_timer_stop(&ss->tick);
    uv_close((uv_handle_t *)&ss->tick, on_tick_close);
}
