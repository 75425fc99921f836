/* pstats: see pstats.h. The rings advance lazily: before a slot is read or
 * added to, the slots of the days (minutes) that passed since the newest
 * counted one are zeroed, so a quiet proxy costs nothing per tick. */
#include "server/pstats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pstats {
    pstat_t **v;
    int n, max;
};

pstats_t *pstats_create(int max)
{
    pstats_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->v = calloc((size_t)max, sizeof *t->v);
    if (!t->v) {
        free(t);
        return NULL;
    }
    t->max = max;
    return t;
}

void pstats_destroy(pstats_t *t)
{
    if (!t) return;
    for (int i = 0; i < t->n; i++) {
        json_decref(t->v[i]->conf);
        free(t->v[i]);
    }
    free(t->v);
    free(t);
}

pstat_t *pstats_find(pstats_t *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->v[i]->name, name) == 0) return t->v[i];
    return NULL;
}

int pstats_count(const pstats_t *t)
{
    return t->n;
}

pstat_t *pstats_at(pstats_t *t, int i)
{
    return i >= 0 && i < t->n ? t->v[i] : NULL;
}

/* The closed entry without connections that closed first, or NULL. */
static pstat_t *victim(pstats_t *t)
{
    pstat_t *best = NULL;
    for (int i = 0; i < t->n; i++) {
        pstat_t *st = t->v[i];
        if (st->online || st->cur_conns) continue;
        if (!best || st->last_close < best->last_close) best = st;
    }
    return best;
}

static pstat_t *entry_for(pstats_t *t, const char *name)
{
    pstat_t *st = pstats_find(t, name);
    if (st) return st;
    if (t->n < t->max) {
        st = calloc(1, sizeof *st);
        if (st) t->v[t->n++] = st;
        return st;
    }
    st = victim(t);
    if (!st) return NULL;
    json_decref(st->conf);
    memset(st, 0, sizeof *st);
    return st;
}

pstat_t *pstats_open(pstats_t *t, const char *name, const char *type, const char *user,
                     const char *run_id, json_t *conf, int64_t now)
{
    pstat_t *st = entry_for(t, name);
    if (!st) {
        json_decref(conf);
        return NULL;
    }
    snprintf(st->name, sizeof st->name, "%s", name);
    snprintf(st->type, sizeof st->type, "%s", type);
    snprintf(st->user, sizeof st->user, "%s", user);
    snprintf(st->run_id, sizeof st->run_id, "%s", run_id);
    json_decref(st->conf);
    st->conf = conf;
    st->online = true;
    st->last_start = now;
    return st;
}

void pstats_close(pstat_t *st, int64_t now)
{
    if (!st) return;
    st->online = false;
    st->last_close = now;
}

void pstat_conn_open(pstat_t *st)
{
    st->cur_conns++;
    st->total_conns++;
}

void pstat_conn_close(pstat_t *st)
{
    if (st->cur_conns) st->cur_conns--;
}

static void advance_ring(uint64_t *in, uint64_t *out, int size, int64_t *at, int64_t unit)
{
    if (unit <= *at) return;
    int64_t gap = unit - *at;
    if (*at == 0 || gap >= size) {
        memset(in, 0, (size_t)size * sizeof *in);
        memset(out, 0, (size_t)size * sizeof *out);
    } else {
        for (int64_t u = *at + 1; u <= unit; u++) {
            in[u % size] = 0;
            out[u % size] = 0;
        }
    }
    *at = unit;
}

static void roll(pstat_t *st, int64_t now)
{
    advance_ring(st->day[0], st->day[1], PSTATS_DAYS, &st->day_at, now / 86400);
    advance_ring(st->minute[0], st->minute[1], PSTATS_MINUTES, &st->minute_at, now / 60);
}

void pstat_add(pstat_t *st, int dir, uint64_t n, int64_t now)
{
    roll(st, now);
    st->bytes[dir] += n;
    st->day[dir][st->day_at % PSTATS_DAYS] += n;
    st->minute[dir][st->minute_at % PSTATS_MINUTES] += n;
}

void pstat_days(pstat_t *st, int dir, int64_t now, uint64_t out[PSTATS_DAYS])
{
    roll(st, now);
    for (int i = 0; i < PSTATS_DAYS; i++)
        out[i] = st->day[dir][(st->day_at - i + PSTATS_DAYS) % PSTATS_DAYS];
}

void pstat_minutes(pstat_t *st, int dir, int64_t now, uint64_t out[PSTATS_MINUTES])
{
    roll(st, now);
    for (int i = 0; i < PSTATS_MINUTES; i++)
        out[PSTATS_MINUTES - 1 - i] =
            st->minute[dir][(st->minute_at - i + PSTATS_MINUTES) % PSTATS_MINUTES];
}
