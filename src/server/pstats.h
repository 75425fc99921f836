/* pstats: traffic and connection counters per proxy name, for the
 * dashboard's API and /metrics (server/dash.c).
 *
 * Kept by name, not by sproxy_t, because frp's API shows a proxy after it
 * closed (status "offline", lastCloseTime) and its traffic of the last
 * PSTATS_DAYS days. Each entry holds totals, a ring of PSTATS_DAYS daily
 * and PSTATS_MINUTES per-minute byte counts per direction (the dashboard's
 * chart of the last hour), and the connections open now.
 *
 * Bounded: at most `max` entries. A full table reuses the entry of the
 * proxy that closed longest ago and has no connection left; when every
 * entry is online or still carries a connection, a new proxy goes
 * uncounted (pstats_open returns NULL and callers treat NULL as "no
 * stats"). Updates are plain increments on the loop's thread.
 *
 * Pure: times are the caller's (unix seconds). Ownership: the table owns
 * its entries; a pstat_t pointer stays valid while its proxy is online or
 * it has connections open (callers pin it with pstat_conn_open). */
#ifndef BURROW_SERVER_PSTATS_H
#define BURROW_SERVER_PSTATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PSTATS_MAX 4096   /* proxies remembered by the server */
#define PSTATS_DAYS 7     /* daily traffic kept (frp's /api/traffic) */
#define PSTATS_MINUTES 60 /* per-minute traffic kept (the dashboard's chart) */

enum { PSTAT_IN = 0, PSTAT_OUT = 1 }; /* in: from users toward the client's service */

typedef struct pstat {
    char name[128];
    char type[16];
    char user[65];
    char run_id[33];
    char client_version[32]; /* the owning client's, set by the caller after open */
    json_t *conf;            /* owned: what the proxy asked for (NEW_PROXY's fields) and its port */
    bool online;
    int64_t last_start, last_close; /* unix seconds; 0 = never */
    uint32_t cur_conns;
    uint64_t total_conns;
    uint64_t bytes[2];                  /* totals by direction */
    uint64_t day[2][PSTATS_DAYS];       /* [dir][day % PSTATS_DAYS] */
    uint64_t minute[2][PSTATS_MINUTES]; /* [dir][minute % PSTATS_MINUTES] */
    int64_t day_at, minute_at;          /* the newest day / minute counted (unix / 86400, / 60) */
} pstat_t;

typedef struct pstats pstats_t;

pstats_t *pstats_create(int max);
void pstats_destroy(pstats_t *t); /* NULL is a no-op */
/* The entry for `name` (created, or another closed one reused), marked
 * online since now; conf is taken (may be NULL). NULL when the table is full
 * of pinned entries (conf is then dropped). */
pstat_t *pstats_open(pstats_t *t, const char *name, const char *type, const char *user,
                     const char *run_id, json_t *conf, int64_t now);
void pstats_close(pstat_t *st, int64_t now);
pstat_t *pstats_find(pstats_t *t, const char *name);
int pstats_count(const pstats_t *t);
/* The i-th entry (0 <= i < pstats_count), in no particular order. */
pstat_t *pstats_at(pstats_t *t, int i);

void pstat_conn_open(pstat_t *st);
void pstat_conn_close(pstat_t *st);
void pstat_add(pstat_t *st, int dir, uint64_t n, int64_t now);
/* Bytes of dir on each of the last PSTATS_DAYS days, out[0] today. */
void pstat_days(pstat_t *st, int dir, int64_t now, uint64_t out[PSTATS_DAYS]);
/* Bytes of dir in each of the last PSTATS_MINUTES minutes, oldest first
 * (out[PSTATS_MINUTES - 1] is the current minute). */
void pstat_minutes(pstat_t *st, int dir, int64_t now, uint64_t out[PSTATS_MINUTES]);

#endif
