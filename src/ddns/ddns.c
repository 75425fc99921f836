/* ddns: the updater's state machine on the loop (ddns.h). Each entry owns
 * a retry timer and at most one threadpool job; ddns_t owns the entries,
 * the periodic check timer and the copies of their config. */
#include "ddns/ddns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ddns/ddns_backoff.h"
#include "ddns/ddns_provider.h"
#include "ddns/ddns_stun.h"
#include "net/addr.h"
#include "util/log.h"

#define IP_LEN 64
#define STATE_FILE "ddns.state"

typedef struct dentry {
    ddns_t *d;
    ddns_cfg_t cfg; /* a copy: the job reads it off the loop */
    const ddns_provider_t *prov;
    uv_timer_t retry;
    uv_work_t work;
    char want4[IP_LEN], want6[IP_LEN]; /* the addresses to publish */
    char pub4[IP_LEN], pub6[IP_LEN];   /* last published ("" = none) */
    char run4[IP_LEN], run6[IP_LEN];   /* the running job's */
    ddns_result_t res;
    unsigned failures;
    bool busy, stopped, waiting;
    bool paused; /* the wait is the provider's pause (911, dnserr): kept even for a new address */
} dentry_t;

struct ddns {
    uv_loop_t *loop;
    dentry_t *e;
    int n;
    uv_timer_t check;
    ddns_recheck_fn recheck;
    void *owner;
    char *state_path;        /* NULL: not kept across restarts */
    ddns_stun_t *probe;      /* the STUN probe running, if any */
    char not_global[IP_LEN]; /* the last non-global address logged */
    /* ddns_prefer: per family (0 IPv4, 1 IPv6) the preferred address and
     * its source, and the last address learned otherwise (what to go back
     * to when the preference ends). */
    char prefer[2][IP_LEN], prefer_src[2][16];
    char other[2][IP_LEN], other_src[2][16];
    int busy;    /* jobs out on the threadpool */
    int closing; /* handles not yet closed after destroy */
    bool destroyed;
};

static void kick(dentry_t *e);

/* ---- config copies ------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void cfg_copy(ddns_cfg_t *to, const ddns_cfg_t *from)
{
    *to = *from;
    to->provider = dup_or_null(from->provider);
    to->name = dup_or_null(from->name);
    to->server = dup_or_null(from->server);
    to->zone = dup_or_null(from->zone);
    to->tsig_key_name = dup_or_null(from->tsig_key_name);
    to->tsig_algorithm = dup_or_null(from->tsig_algorithm);
    to->tsig_secret = dup_or_null(from->tsig_secret);
    to->tsig_secret_file = dup_or_null(from->tsig_secret_file);
    to->user = dup_or_null(from->user);
    to->password = dup_or_null(from->password);
    to->ca_file = dup_or_null(from->ca_file);
}

static void cfg_free(ddns_cfg_t *c)
{
    char **f[] = {&c->provider,      &c->name,           &c->server,      &c->zone,
                  &c->tsig_key_name, &c->tsig_algorithm, &c->tsig_secret, &c->tsig_secret_file,
                  &c->user,          &c->password,       &c->ca_file};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(*f[i]);
}

/* ---- the state file: "provider name v4|- v6|-" per line ---------------- */

static void state_load(ddns_t *d)
{
    FILE *f = d->state_path ? fopen(d->state_path, "r") : NULL;
    if (!f) return;
    char prov[32], name[256], a4[IP_LEN], a6[IP_LEN];
    while (fscanf(f, "%31s %255s %63s %63s", prov, name, a4, a6) == 4)
        for (int i = 0; i < d->n; i++) {
            dentry_t *e = &d->e[i];
            if (strcmp(e->cfg.provider, prov) != 0 || strcasecmp(e->cfg.name, name) != 0) continue;
            snprintf(e->pub4, sizeof e->pub4, "%s", strcmp(a4, "-") ? a4 : "");
            snprintf(e->pub6, sizeof e->pub6, "%s", strcmp(a6, "-") ? a6 : "");
        }
    fclose(f);
}

static void state_save(ddns_t *d)
{
    if (!d->state_path) return;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", d->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        LOG_LIMITED(LOG_WARN, "ddns cannot save state path=%s err=%s", tmp, strerror(errno));
        return;
    }
    for (int i = 0; i < d->n; i++)
        fprintf(f, "%s %s %s %s\n", d->e[i].cfg.provider, d->e[i].cfg.name,
                d->e[i].pub4[0] ? d->e[i].pub4 : "-", d->e[i].pub6[0] ? d->e[i].pub6 : "-");
    if (fclose(f) != 0 || rename(tmp, d->state_path) != 0)
        LOG_LIMITED(LOG_WARN, "ddns cannot save state path=%s err=%s", d->state_path,
                    strerror(errno));
}

/* ---- jobs ---------------------------------------------------------------- */

static void work(uv_work_t *w)
{
    dentry_t *e = w->data;
    e->res.next = DDNS_NEXT_RETRY;
    e->res.msg[0] = '\0';
    e->prov->publish(&e->cfg, e->run4[0] ? e->run4 : NULL, e->run6[0] ? e->run6 : NULL, &e->res);
}

static void maybe_free(ddns_t *d);

static const char *shown_addr(const char *a4, const char *a6, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", a4, a4[0] && a6[0] ? "," : "", a6);
    return buf;
}

static void on_retry(uv_timer_t *t)
{
    dentry_t *e = t->data;
    e->waiting = false;
    kick(e);
}

static void failed(dentry_t *e)
{
    char a[2 * IP_LEN];
    shown_addr(e->run4, e->run6, a, sizeof a);
    if (e->res.next == DDNS_NEXT_STOP) {
        e->stopped = true;
        LOG_E("ddns name=%s provider=%s address=%s failed, not retrying until the config "
              "changes: error=\"%s\"",
              LOG_ESC(e->cfg.name), e->cfg.provider, a, LOG_ESCQ(e->res.msg));
        return;
    }
    e->failures++;
    uint64_t ms = ddns_backoff_ms(e->failures, e->res.next == DDNS_NEXT_BACKOFF);
    LOG_LIMITED(LOG_WARN,
                "ddns name=%s provider=%s address=%s failed (try %u), retry in %llus: error=\"%s\"",
                LOG_ESC(e->cfg.name), e->cfg.provider, a, e->failures,
                (unsigned long long)(ms / 1000), LOG_ESCQ(e->res.msg));
    e->waiting = true;
    e->paused = e->res.next == DDNS_NEXT_BACKOFF;
    uv_timer_start(&e->retry, on_retry, ms, 0);
}

static void after_work(uv_work_t *w, int status)
{
    dentry_t *e = w->data;
    ddns_t *d = e->d;
    e->busy = false;
    d->busy--;
    if (d->destroyed) return maybe_free(d);
    if (status != 0) e->res.next = DDNS_NEXT_RETRY;
    if (e->res.next != DDNS_NEXT_DONE) return failed(e);
    char a[2 * IP_LEN];
    memcpy(e->pub4, e->run4, sizeof e->pub4);
    memcpy(e->pub6, e->run6, sizeof e->pub6);
    e->failures = 0;
    LOG_I("ddns name=%s provider=%s address=%s published answer=\"%s\"", LOG_ESC(e->cfg.name),
          e->cfg.provider, shown_addr(e->pub4, e->pub6, a, sizeof a), LOG_ESCQ(e->res.msg));
    state_save(d);
    kick(e); /* the address may have moved again meanwhile */
}

/* Starts a job when the wanted address is not the published one. */
static void kick(dentry_t *e)
{
    if (e->busy || e->stopped || e->waiting || !e->prov) return;
    if (!e->want4[0] && !e->want6[0]) return;
    if (strcmp(e->want4, e->pub4) == 0 && strcmp(e->want6, e->pub6) == 0) return;
    memcpy(e->run4, e->want4, sizeof e->run4);
    memcpy(e->run6, e->want6, sizeof e->run6);
    e->work.data = e;
    if (uv_queue_work(e->d->loop, &e->work, work, after_work) != 0) return;
    e->busy = true;
    e->d->busy++;
}

/* A learned address that is not public cannot be published usefully. */
static bool usable(ddns_t *d, const char *ip, const char *source)
{
    struct sockaddr_storage ss;
    if (strcmp(source, "config") == 0) return true;
    if (addr_parse(ip, 0, &ss) == 0 && addr_is_global((const struct sockaddr *)&ss)) return true;
    if (strcmp(d->not_global, ip) != 0)
        LOG_W("ddns address=%s (from %s) is not a public address: this host is behind a carrier "
              "NAT or another NAT; DDNS plus a router mapping cannot reach it, so it is not "
              "published (use the tunnel, or set the address in the config)",
              ip, source);
    snprintf(d->not_global, sizeof d->not_global, "%s", ip);
    return false;
}

static void learn(ddns_t *d, const char *ip, const char *source, bool v4, bool v6);

/* 0 IPv4, 1 IPv6, -1 neither. */
static int family_of(const char *ip)
{
    unsigned char buf[16];
    if (!ip) return -1;
    if (inet_pton(AF_INET, ip, buf) == 1) return 0;
    return inet_pton(AF_INET6, ip, buf) == 1 ? 1 : -1;
}

void ddns_learn(ddns_t *d, const char *ip, const char *source)
{
    int f = family_of(ip);
    if (!d || f < 0) return;
    if (d->prefer[f][0]) {
        /* Said when the two differ and the other one is new. */
        if (strcmp(d->other[f], ip) != 0 && strcmp(d->prefer[f], ip) != 0)
            LOG_I("ddns: publishing the %s address %s, not %s (from %s)", d->prefer_src[f],
                  d->prefer[f], ip, source);
        snprintf(d->other[f], IP_LEN, "%s", ip);
        snprintf(d->other_src[f], sizeof d->other_src[f], "%s", source);
        return;
    }
    snprintf(d->other[f], IP_LEN, "%s", ip);
    snprintf(d->other_src[f], sizeof d->other_src[f], "%s", source);
    learn(d, ip, source, f == 0, f == 1);
}

void ddns_prefer(ddns_t *d, const char *ip, const char *source)
{
    if (!d) return;
    int f = family_of(ip);
    if (f < 0) { /* the preference ends: back to what was learned otherwise */
        for (f = 0; f < 2; f++) {
            if (!d->prefer[f][0]) continue;
            LOG_I("ddns: the %s address %s is no longer preferred%s%s", d->prefer_src[f],
                  d->prefer[f], d->other[f][0] ? "; back to " : "", d->other[f]);
            d->prefer[f][0] = '\0';
            if (d->other[f][0]) learn(d, d->other[f], d->other_src[f], f == 0, f == 1);
        }
        return;
    }
    if (strcmp(d->prefer[f], ip) == 0) return;
    snprintf(d->prefer[f], IP_LEN, "%s", ip);
    snprintf(d->prefer_src[f], sizeof d->prefer_src[f], "%s", source);
    if (d->other[f][0] && strcmp(d->other[f], ip) != 0)
        LOG_I("ddns: publishing the %s address %s, not %s (from %s)", source, ip, d->other[f],
              d->other_src[f]);
    else
        LOG_I("ddns: publishing the %s address %s", source, ip);
    learn(d, ip, source, f == 0, f == 1);
}

static void learn(ddns_t *d, const char *ip, const char *source, bool v4, bool v6)
{
    if (!usable(d, ip, source)) return;
    for (int i = 0; i < d->n; i++) {
        dentry_t *e = &d->e[i];
        if (v6 && !e->cfg.ipv6) continue;
        char *want = v4 ? e->want4 : e->want6;
        const char *pub = v4 ? e->pub4 : e->pub6;
        bool news = strcmp(want, ip) != 0;
        snprintf(want, IP_LEN, "%s", ip);
        if (news && e->waiting && !e->paused) { /* a new address: no need to wait out a retry */
            uv_timer_stop(&e->retry);
            e->waiting = false;
        }
        if (news && strcmp(pub, ip) == 0)
            LOG_I("ddns name=%s provider=%s address=%s unchanged (from %s)", LOG_ESC(e->cfg.name),
                  e->cfg.provider, ip, source);
        kick(e);
    }
}

static void on_probe(void *arg, const char *ip)
{
    ddns_t *d = arg;
    d->probe = NULL;
    LOG_D("ddns: STUN answer address=%s", ip ? ip : "-");
    if (ip)
        ddns_learn(d, ip, "stun");
    else
        LOG_LIMITED(LOG_INFO, "ddns: no STUN answer for the periodic address check");
}

void ddns_probe(ddns_t *d, const struct sockaddr *stun)
{
    if (!d || d->destroyed || d->probe) return;
    d->probe = ddns_stun_start(d->loop, stun, on_probe, d);
}

/* ---- lifetime ------------------------------------------------------------ */

static void on_check(uv_timer_t *t)
{
    ddns_t *d = t->data;
    if (d->recheck) d->recheck(d->owner);
}

static void init_entry(ddns_t *d, dentry_t *e, const ddns_cfg_t *cfg)
{
    e->d = d;
    cfg_copy(&e->cfg, cfg);
    e->prov = ddns_provider_find(cfg->provider);
    uv_timer_init(d->loop, &e->retry);
    e->retry.data = e;
}

ddns_t *ddns_create(uv_loop_t *loop, const ddns_set_t *set, const char *state_dir,
                    ddns_recheck_fn recheck, void *owner)
{
    if (!set || set->n <= 0) return NULL;
    ddns_t *d = calloc(1, sizeof *d);
    if (!d || !(d->e = calloc((size_t)set->n, sizeof *d->e))) {
        free(d);
        return NULL;
    }
    d->loop = loop;
    d->n = set->n;
    d->recheck = recheck;
    d->owner = owner;
    if (state_dir && (d->state_path = malloc(strlen(state_dir) + sizeof STATE_FILE + 1))) {
        mkdir(state_dir, 0700);
        sprintf(d->state_path, "%s/%s", state_dir, STATE_FILE);
    }
    for (int i = 0; i < d->n; i++)
        init_entry(d, &d->e[i], &set->v[i]);
    state_load(d);
    uv_timer_init(loop, &d->check);
    d->check.data = d;
    uint64_t iv = (uint64_t)(set->check_interval > 0 ? set->check_interval : 300) * 1000;
    uv_timer_start(&d->check, on_check, iv, iv);
    return d;
}

int ddns_busy(const ddns_t *d)
{
    return d ? d->busy : 0;
}

const char *ddns_want(const ddns_t *d, int i, bool v6)
{
    if (!d || i < 0 || i >= d->n) return "";
    return v6 ? d->e[i].want6 : d->e[i].want4;
}

static void maybe_free(ddns_t *d)
{
    if (d->busy || d->closing) return;
    for (int i = 0; i < d->n; i++)
        cfg_free(&d->e[i].cfg);
    free(d->e);
    free(d->state_path);
    free(d);
}

static void on_check_closed(uv_handle_t *h)
{
    ddns_t *d = h->data;
    d->closing--;
    maybe_free(d);
}

static void on_retry_closed(uv_handle_t *h)
{
    ddns_t *d = ((dentry_t *)h->data)->d;
    d->closing--;
    maybe_free(d);
}

void ddns_destroy(ddns_t *d)
{
    if (!d || d->destroyed) return;
    d->destroyed = true;
    ddns_stun_cancel(d->probe);
    d->probe = NULL;
    d->closing = d->n + 1;
    for (int i = 0; i < d->n; i++)
        uv_close((uv_handle_t *)&d->e[i].retry, on_retry_closed);
    uv_close((uv_handle_t *)&d->check, on_check_closed);
}
