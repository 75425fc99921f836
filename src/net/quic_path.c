/* quic_path: the paths of a QUIC connection (net/quic.h): how ngtcp2's
 * addresses name our dgram_paths, the table of live paths
 * (QUIC_MAX_PATHS), migration (RFC 9000 9), what happens when a path
 * goes down, and liveness.
 *
 * Liveness. A path can die silently (a NAT mapping gone, a firewall that
 * starts dropping): nothing reports on_down, and ngtcp2 alone would only
 * notice at its idle timeout. So each path keeps when it last carried a
 * packet ngtcp2 accepted, and every QUIC_LIVE_TICK_MS:
 *   - the client leaves an active path that heard nothing for
 *     max(QUIC_PATH_STALL_MS, 3 PTO) while packets are in flight (its
 *     QUIC_PROBE_MS keepalive PING makes sure something is in flight when
 *     no data flows) for another path, at once (RFC 9000 9.3: probing
 *     the new path in the background), marking it `stalled`;
 *   - a stalled path is validated again (PATH_CHALLENGE, RFC 9000 8.2)
 *     after QUIC_PATH_RETRY_MS, doubling, at most QUIC_PATH_RETRIES times;
 *     ngtcp2 moves the connection back when it answers;
 *   - either role declares the peer gone when no path heard anything for
 *     QUIC_PEER_SILENT_MS while packets are in flight.
 * Every change of the path packets go out on is logged once, with why. */
#include <stdio.h>
#include <string.h>

#include "net/quic_int.h"
#include "util/log.h"

static void on_path_down(dgram_path_t *p, const char *reason, void *arg);
static void log_move(quic_t *q, bool force);

static quic_pstate_t *pstate_of(quic_t *q, const dgram_path_t *p)
{
    for (unsigned i = 0; i < q->npaths; i++)
        if (q->paths[i] == p) return &q->pstate[i];
    return NULL;
}

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
    q->pstate[q->npaths] = (quic_pstate_t){.since = uv_now(q->loop)};
    q->paths[q->npaths++] = p;
    quic__hook_path(q, p);
    return 0;
}

static int migrate(quic_t *q, dgram_path_t *p, bool now, const char *why);

int quic_migrate(quic_t *q, dgram_path_t *p)
{
    return migrate(q, p, false, "new-path");
}

/* now: the active path is gone, so move at once and validate the new one in
 * the background (ngtcp2_conn_initiate_immediate_migration); else validate
 * first and move after (RFC 9000 9.2, 9.3). */
static int migrate(quic_t *q, dgram_path_t *p, bool now, const char *why)
{
    if (q->role != QUIC_CLIENT) return UV_EINVAL; /* the server follows the client */
    if (!q->ready || q->dead || q->closing) return UV_ENOTCONN;
    bool known = false;
    for (unsigned i = 0; i < q->npaths; i++)
        known |= q->paths[i] == p;
    if (!known) return UV_EINVAL;
    if (p == quic_active_path(q) || p == q->migrating) return 0; /* there, or on the way */
    uint64_t rtt = quic__rtt_us(q); /* the old path's: a migration starts the new one afresh */
    ngtcp2_path np = quic__ng_path(p);
    int rv = now ? ngtcp2_conn_initiate_immediate_migration(q->conn, &np, quic__now())
                 : ngtcp2_conn_initiate_migration(q->conn, &np, quic__now());
    if (rv != 0) {
        LOG_W("quic pair=%s migration to path=%s failed: %s", q->pair, quic__kind(p),
              ngtcp2_strerror(rv));
        return rv == NGTCP2_ERR_CONN_ID_BLOCKED ? UV_EAGAIN : UV_EINVAL;
    }
    q->migrating = now ? NULL : p;
    q->jumping = now ? p : NULL;
    q->why = why;
    LOG_I("quic pair=%s migrating path=%s -> path=%s rtt=%lluus reason=%s%s", q->pair,
          q->was_kind ? q->was_kind : "none", quic__kind(p), (unsigned long long)rtt, why,
          now ? "" : " (validating it first)");
    quic__kick(q);
    return 0;
}

void quic__drop_path(quic_t *q, dgram_path_t *p)
{
    for (unsigned i = 0; i < q->npaths; i++) {
        if (q->paths[i] != p) continue;
        q->paths[i] = q->paths[--q->npaths];
        q->pstate[i] = q->pstate[q->npaths];
        if (q->jumping == p) q->jumping = NULL;
        quic__unhook_path(p);
        return;
    }
}

/* The live path the connection prefers (dgram_path.h's DGRAM_PREF_*),
 * skipping `except` and stalled paths unless `any`; the first added of
 * equals. NULL when none. */
static dgram_path_t *best_path(const quic_t *q, const dgram_path_t *except, bool any)
{
    dgram_path_t *best = NULL;
    for (unsigned i = 0; i < q->npaths; i++) {
        dgram_path_t *p = q->paths[i];
        if (p == except || (!any && q->pstate[i].stalled)) continue;
        if (!best || p->ops->pref > best->ops->pref) best = p;
    }
    return best;
}

int quic_migrate_best(quic_t *q)
{
    dgram_path_t *best = best_path(q, NULL, false);
    dgram_path_t *now = q->migrating ? q->migrating : quic_active_path(q);
    if (!best || (now && now->ops->pref >= best->ops->pref)) return 0;
    return migrate(q, best, false, "new-path");
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
    dgram_path_t *to = best_path(q, NULL, false);
    if (q->role == QUIC_CLIENT && q->ready)
        migrate(q, to ? to : best_path(q, NULL, true), true, "path-down");
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

/* ---- liveness ----------------------------------------------------------- */

void quic__path_heard(quic_t *q, dgram_path_t *p)
{
    quic_pstate_t *st = pstate_of(q, p);
    q->last_rx = uv_now(q->loop);
    if (!st) return;
    st->last_rx = q->last_rx;
    if (st->stalled && p == quic_active_path(q)) st->stalled = false; /* a pause, not a loss */
    log_move(q, false);
}

/* The line for a path change, once ngtcp2 measured the new path's RTT (it
 * starts again from its initial 333 ms on a new path, RFC 9002 6.2.2), or
 * with rtt=none when `force` (QUIC_PATH_LOG_WAIT_MS without a sample). */
static void log_move(quic_t *q, bool force)
{
    ngtcp2_conn_info ci;
    if (!q->move_log.due || !q->conn) return;
    ngtcp2_conn_get_conn_info(q->conn, &ci);
    bool measured = ci.min_rtt != UINT64_MAX;
    if (!measured && !force) return;
    q->move_log.due = false;
    char rtt[32] = "none";
    if (measured) snprintf(rtt, sizeof rtt, "%.1fms", (double)ci.smoothed_rtt / 1e6);
#define MOVE_FMT "quic pair=%s path=%s rtt=%s streams=%u reason=%s was=%s"
    const char *kind = quic__kind(q->active);
    /* The client's own moves: one per QUIC_PATH_STALL_MS of silence at most,
     * and QUIC_PATH_RETRIES validations per stall, so each pair's are all
     * told. */
    if (q->role == QUIC_CLIENT)
        LOG_I(MOVE_FMT, q->pair, kind, rtt, q->nconns, q->move_log.why, q->move_log.was);
    else /* the server follows the client: a peer decides how often */
        LOG_LIMITED(LOG_INFO, MOVE_FMT, q->pair, kind, rtt, q->nconns, q->move_log.why,
                    q->move_log.was);
#undef MOVE_FMT
    q->path_news = true; /* the user hears it from run() */
    quic__kick(q);
}

void quic__path_now(quic_t *q, dgram_path_t *p)
{
    quic_pstate_t *st = pstate_of(q, p);
    log_move(q, true); /* the one before, if still unsaid */
    q->move_log.was = q->was_kind ? q->was_kind : "none";
    q->move_log.why = q->was_kind == NULL                ? "start"
                      : q->role == QUIC_CLIENT && q->why ? q->why
                                                         : "peer-moved";
    q->move_log.due = true;
    if (st) st->since = uv_now(q->loop);
    if (q->was_kind) q->migrations++;
    q->active = p;
    q->was_kind = p->ops->kind;
    q->why = NULL;
    if (q->jumping == p) q->jumping = NULL;
}

void quic__path_validated(quic_t *q, dgram_path_t *p, bool ok)
{
    quic_pstate_t *st = pstate_of(q, p);
    if (!st || !ok || !st->stalled) return;
    LOG_LIMITED(LOG_INFO, "quic pair=%s path=%s answers again tries=%u", q->pair, quic__kind(p),
                st->tries);
    st->stalled = false;
    st->tries = 0;
}

static uint64_t stall_ms(quic_t *q)
{
    uint64_t pto3 = 3 * (ngtcp2_conn_get_pto(q->conn) / NGTCP2_MILLISECONDS);
    return pto3 > QUIC_PATH_STALL_MS ? pto3 : QUIC_PATH_STALL_MS;
}

/* Client: the active path is silent while it owes us acknowledgements. */
static void check_stall(quic_t *q, uint64_t now)
{
    dgram_path_t *a = quic_active_path(q);
    quic_pstate_t *st = a ? pstate_of(q, a) : NULL;
    if (!st || st->stalled) return;
    uint64_t heard = st->last_rx > st->since ? st->last_rx : st->since;
    if (now - heard < stall_ms(q)) return;
    st->stalled = true;
    st->tries = 0;
    st->retry_at = now + QUIC_PATH_RETRY_MS;
    dgram_path_t *to = best_path(q, a, false);
    /* a peer that goes quiet and back can repeat this: limited */
    LOG_LIMITED(
        LOG_INFO, "quic pair=%s path=%s stalled: nothing heard for %llums with packets in flight%s",
        q->pair, quic__kind(a), (unsigned long long)(now - heard), to ? "" : "; no other path");
    if (to) migrate(q, to, true, "stalled");
}

/* Client: validate a stalled path again, one at a time, with backoff. */
static void retry_stalled(quic_t *q, uint64_t now)
{
    dgram_path_t *a = quic_active_path(q);
    if (q->migrating || q->jumping) return; /* one move at a time, its reason logged */
    for (unsigned i = 0; i < q->npaths; i++) {
        quic_pstate_t *st = &q->pstate[i];
        if (!st->stalled || q->paths[i] == a || now < st->retry_at) continue;
        if (st->tries >= QUIC_PATH_RETRIES) continue;              /* given up: it stays unused */
        if (a && q->paths[i]->ops->pref <= a->ops->pref) continue; /* no better than now */
        unsigned shift = st->tries < 5 ? st->tries : 5;
        uint64_t wait = (uint64_t)QUIC_PATH_RETRY_MS << shift;
        st->tries++;
        st->retry_at = now + (wait < QUIC_PATH_RETRY_MAX_MS ? wait : QUIC_PATH_RETRY_MAX_MS);
        if (st->tries == QUIC_PATH_RETRIES)
            LOG_I("quic pair=%s path=%s last retry (%d)", q->pair, quic__kind(q->paths[i]),
                  QUIC_PATH_RETRIES);
        (void)migrate(q, q->paths[i], false, "recovered");
        return;
    }
}

void quic__live_tick(uv_timer_t *t)
{
    quic_t *q = t->data;
    if (!q->conn || !q->ready || q->dead || q->closing) return;
    ngtcp2_conn_info ci;
    ngtcp2_conn_get_conn_info(q->conn, &ci);
    uint64_t now = uv_now(q->loop), late = now - q->live_at;
    q->live_at = now;
    /* Our own loop was held up (a slow machine, a debugger): what the peer
     * sent meanwhile is still unread in the sockets, so silence proves
     * nothing this time (timers run before the loop polls for input). */
    if (late > 4 * QUIC_LIVE_TICK_MS) return;
    quic_pstate_t *ast = pstate_of(q, q->active);
    if (ast && now - ast->since >= QUIC_PATH_LOG_WAIT_MS) log_move(q, true);
    bool owed = ci.bytes_in_flight > 0; /* ack-eliciting packets not yet acknowledged */
    uint64_t heard = q->last_rx, limit = QUIC_PEER_SILENT_SERVER_MS;
    if (q->role == QUIC_CLIENT) {
        limit = QUIC_PEER_SILENT_MS;
        if (ast && ast->since > heard) heard = ast->since; /* a fresh path's chance */
    }
    if (owed && now - heard >= limit) {
        quic__set_dead(q, UV_ETIMEDOUT, "peer silent");
        return; /* set_dead kicks: the owner hears it from run() */
    }
    if (q->role != QUIC_CLIENT) return;
    if (owed) check_stall(q, now);
    retry_stalled(q, now);
}
