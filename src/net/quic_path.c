/* quic_path: the paths of a QUIC connection (net/quic.h): how ngtcp2's
 * addresses name our dgram_paths, the table of live paths
 * (QUIC_MAX_PATHS), migration (RFC 9000 9) and what happens when a path
 * goes down. */
#include <string.h>

#include "net/quic_int.h"
#include "util/log.h"

static void on_path_down(dgram_path_t *p, const char *reason, void *arg);

static bool sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family) return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family != AF_INET6) return false;
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

ngtcp2_path quic__ng_path(dgram_path_t *p)
{
    ngtcp2_path np = {
        .local = {(ngtcp2_sockaddr *)&p->local, sa_len(&p->local)},
        .remote = {(ngtcp2_sockaddr *)&p->remote, sa_len(&p->remote)},
        .user_data = p,
    };
    return np;
}

/* Which of our live paths ngtcp2 means (NULL: none, e.g. one gone down). */
dgram_path_t *quic__path_of(quic_t *q, const ngtcp2_path *np)
{
    for (unsigned i = 0; i < q->npaths; i++) {
        dgram_path_t *p = q->paths[i];
        if (sa_equal(np->local.addr, (struct sockaddr *)&p->local) &&
            sa_equal(np->remote.addr, (struct sockaddr *)&p->remote))
            return p;
    }
    return NULL;
}

const char *quic__kind(const dgram_path_t *p)
{
    return p ? p->ops->kind : "none";
}

dgram_path_t *quic_active_path(const quic_t *q)
{
    if (q->conn) {
        dgram_path_t *p = quic__path_of((quic_t *)q, ngtcp2_conn_get_path(q->conn));
        if (p) return p;
    }
    return q->active;
}

uint64_t quic__rtt_us(const quic_t *q)
{
    if (!q->conn) return 0;
    ngtcp2_conn_info ci;
    ngtcp2_conn_get_conn_info(q->conn, &ci);
    return ci.smoothed_rtt / 1000;
}

void quic__hook_path(quic_t *q, dgram_path_t *p)
{
    p->on_recv = quic__on_recv;
    p->on_down = on_path_down;
    p->arg = q;
}

void quic__unhook_path(dgram_path_t *p)
{
    p->on_recv = NULL;
    p->on_down = NULL;
    p->arg = NULL;
}

/* ---- paths and migration (RFC 9000 9) --------------------------------- */

int quic_add_path(quic_t *q, dgram_path_t *p)
{
    for (unsigned i = 0; i < q->npaths; i++)
        if (q->paths[i] == p) return UV_EEXIST;
    if (q->npaths == QUIC_MAX_PATHS) return UV_ENOSPC;
    q->paths[q->npaths++] = p;
    quic__hook_path(q, p);
    return 0;
}

static int migrate(quic_t *q, dgram_path_t *p, bool now);

int quic_migrate(quic_t *q, dgram_path_t *p)
{
    return migrate(q, p, false);
}

/* now: the active path is gone, so move at once and validate the new one in
 * the background (ngtcp2_conn_initiate_immediate_migration); else validate
 * first and move after (RFC 9000 9.2, 9.3). */
static int migrate(quic_t *q, dgram_path_t *p, bool now)
{
    if (q->role != QUIC_CLIENT) return UV_EINVAL; /* the server follows the client */
    if (!q->ready || q->dead || q->closing) return UV_ENOTCONN;
    bool known = false;
    for (unsigned i = 0; i < q->npaths; i++)
        known |= q->paths[i] == p;
    if (!known) return UV_EINVAL;
    if (p == quic_active_path(q) || p == q->migrating) return 0; /* there, or on the way */
    ngtcp2_path np = quic__ng_path(p);
    int rv = now ? ngtcp2_conn_initiate_immediate_migration(q->conn, &np, quic__now())
                 : ngtcp2_conn_initiate_migration(q->conn, &np, quic__now());
    if (rv != 0) {
        LOG_W("quic pair=%s migration to path=%s failed: %s", q->pair, quic__kind(p),
              ngtcp2_strerror(rv));
        return rv == NGTCP2_ERR_CONN_ID_BLOCKED ? UV_EAGAIN : UV_EINVAL;
    }
    q->migrating = now ? NULL : p;
    LOG_I("quic pair=%s migrating path=%s -> path=%s rtt=%lluus", q->pair,
          q->was_kind ? q->was_kind : "none", quic__kind(p), (unsigned long long)quic__rtt_us(q));
    quic__kick(q);
    return 0;
}

void quic__drop_path(quic_t *q, dgram_path_t *p)
{
    for (unsigned i = 0; i < q->npaths; i++) {
        if (q->paths[i] != p) continue;
        q->paths[i] = q->paths[--q->npaths];
        quic__unhook_path(p);
        return;
    }
}

/* The live path the connection prefers (dgram_path.h's DGRAM_PREF_*); the
 * first added of equals. NULL when none. */
static dgram_path_t *best_path(const quic_t *q)
{
    dgram_path_t *best = NULL;
    for (unsigned i = 0; i < q->npaths; i++)
        if (!best || q->paths[i]->ops->pref > best->ops->pref) best = q->paths[i];
    return best;
}

int quic_migrate_best(quic_t *q)
{
    dgram_path_t *best = best_path(q), *now = q->migrating ? q->migrating : quic_active_path(q);
    if (!best || (now && now->ops->pref >= best->ops->pref)) return 0;
    return migrate(q, best, false);
}

/* The active path went away: the client moves to the best live one; the
 * server waits for the client to do so (it cannot migrate, RFC 9000 9). */
static void leave_path(quic_t *q, dgram_path_t *p)
{
    bool was_active = p == quic_active_path(q);
    quic__drop_path(q, p);
    if (q->active == p) q->active = NULL;
    if (q->migrating == p) q->migrating = NULL;
    if (!was_active || q->dead || q->closing) return;
    if (q->npaths == 0) {
        quic__set_dead(q, UV_ENETDOWN, "no live path");
        return;
    }
    if (q->role == QUIC_CLIENT && q->ready) migrate(q, best_path(q), true);
}

static void on_path_down(dgram_path_t *p, const char *reason, void *arg)
{
    quic_t *q = arg;
    LOG_I("quic pair=%s path=%s down: %s", q->pair, quic__kind(p), LOG_ESC(reason ? reason : "?"));
    leave_path(q, p);
}

void quic_remove_path(quic_t *q, dgram_path_t *p)
{
    leave_path(q, p);
}
