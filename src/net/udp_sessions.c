/* udp_sessions: the LRU table of udp_sessions.h. */
#include "net/udp_sessions.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

void udp_sessions_init(udp_sessions_t *t, int max, uint64_t idle_ms, udp_sess_drop_cb on_drop,
                       void *ctx)
{
    memset(t, 0, sizeof *t);
    t->max = max;
    t->idle_ms = idle_ms;
    t->on_drop = on_drop;
    t->ctx = ctx;
}

static void unlink_sess(udp_sessions_t *t, udp_sess_t *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        t->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        t->tail = s->prev;
    s->prev = s->next = NULL;
}

static void push_front(udp_sessions_t *t, udp_sess_t *s)
{
    s->prev = NULL;
    s->next = t->head;
    if (t->head) t->head->prev = s;
    t->head = s;
    if (!t->tail) t->tail = s;
}

static void touch(udp_sessions_t *t, udp_sess_t *s, uint64_t now)
{
    s->last = now;
    if (t->head == s) return;
    unlink_sess(t, s);
    push_front(t, s);
}

void udp_sessions_remove(udp_sessions_t *t, udp_sess_t *s)
{
    unlink_sess(t, s);
    t->n--;
    if (t->on_drop) t->on_drop(t, s, t->ctx);
    free(s);
}

void udp_sessions_clear(udp_sessions_t *t)
{
    while (t->head)
        udp_sessions_remove(t, t->head);
}

void udp_sessions_expire(udp_sessions_t *t, uint64_t now)
{
    /* Oldest last: stop at the first one still fresh. */
    while (t->tail && now - t->tail->last > t->idle_ms)
        udp_sessions_remove(t, t->tail);
}

udp_sess_t *udp_sessions_add(udp_sessions_t *t, uint32_t id, uint64_t now)
{
    if (t->n >= t->max && t->tail) {
        udp_sessions_remove(t, t->tail);
        t->evicted++;
    }
    udp_sess_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->id = id;
    s->last = now;
    push_front(t, s);
    t->n++;
    return s;
}

udp_sess_t *udp_sessions_find(udp_sessions_t *t, uint32_t id, uint64_t now)
{
    for (udp_sess_t *s = t->head; s; s = s->next) {
        if (s->id != id) continue;
        touch(t, s, now);
        return s;
    }
    return NULL;
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family) return false;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

udp_sess_t *udp_sessions_by_peer(udp_sessions_t *t, const struct sockaddr *peer, uint64_t now)
{
    for (udp_sess_t *s = t->head; s; s = s->next) {
        if (!same_peer(&s->peer, peer)) continue;
        touch(t, s, now);
        return s;
    }
    udp_sess_t *s = udp_sessions_add(t, ++t->next_id, now);
    if (!s) return NULL;
    memcpy(&s->peer, peer,
           peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    return s;
}
