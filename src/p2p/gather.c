/* gather: see gather.h. Answers are read with nat/nat_answer.h. */
#include "p2p/gather.h"

#include <netinet/in.h>
#include <string.h>

#include "nat/nat_answer.h"

static size_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

void gather_begin(gather_t *g, const struct sockaddr *stun, const uint8_t *tid_seed, uint64_t now)
{
    memset(g, 0, sizeof *g);
    memcpy(&g->dst[0], stun, sa_len(stun));
    g->have_dst[0] = true;
    memcpy(g->tid[0], tid_seed, STUN_TID_LEN);
    memcpy(g->tid[1], tid_seed + STUN_TID_LEN, STUN_TID_LEN);
    g->start = now;
}

static bool finished(const gather_t *g)
{
    return g->got[0] && (g->got[1] || !g->have_dst[1]);
}

int gather_tick(gather_t *g, uint64_t now, gather_send_t out[2])
{
    int n = 0;
    if (g->done) return 0;
    if (finished(g) || now - g->start >= GATHER_MS) {
        g->done = true;
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        if (!g->have_dst[i] || g->got[i]) continue;
        if (g->last_send[i] && now - g->last_send[i] < GATHER_RETRY_MS) continue;
        int len = stun_build_binding_request(out[n].buf, sizeof out[n].buf, g->tid[i], 0, NULL);
        if (len <= 0) continue;
        out[n].len = (size_t)len;
        out[n].dst = (const struct sockaddr *)&g->dst[i];
        g->last_send[i] = now ? now : 1;
        n++;
    }
    return n;
}

bool gather_on_datagram(gather_t *g, const uint8_t *p, size_t n, uint64_t now)
{
    (void)now;
    nat_answer_t a;
    if (g->done || !stun_is_stun(p, n)) return false;
    if (nat_answer_parse(p, n, g->dst[0].ss_family, &a) != 0 || a.kind != NAT_ANSWER_SUCCESS)
        return false;
    for (int i = 0; i < 2; i++) {
        if (!g->have_dst[i] || g->got[i] || memcmp(a.tid, g->tid[i], STUN_TID_LEN) != 0) continue;
        g->got[i] = true;
        g->mapped[i] = a.mapped;
        if (i == 0 && a.has_other) {
            g->dst[1] = a.other;
            g->have_dst[1] = true;
        }
        if (finished(g)) g->done = true;
        return true;
    }
    return false;
}

bool gather_done(const gather_t *g)
{
    return g->done;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    return a->ss_family == b->sa_family && memcmp(a, b, sa_len(b)) == 0;
}

void gather_result(const gather_t *g, const struct sockaddr *local, cand_set_t *set)
{
    set->nat = CAND_NAT_UNKNOWN;
    if (!g->got[0]) return;
    const struct sockaddr *m0 = (const struct sockaddr *)&g->mapped[0];
    if (local && same_addr(&g->mapped[0], local)) {
        set->nat = CAND_NAT_OPEN;
        return; /* the host candidate is the same address */
    }
    (void)cand_add(set, CAND_SRFLX, m0);
    if (g->got[1]) set->nat = same_addr(&g->mapped[1], m0) ? CAND_NAT_EASY : CAND_NAT_HARD;
}
