/* quic_stream: the buffers of one QUIC stream and the hand-over of its news
 * to its conn (net/quic_int.h). Nothing here calls into ngtcp2 except to
 * extend flow-control credit, which its callbacks allow. */
#include <stdlib.h>
#include <string.h>

#include "net/quic_int.h"

/* Bytes handed to on_data per call, as conn_tls does. */
#define QS_DELIVER_BATCH CONN_TLS_BATCH

quic_stream_t *quic__stream_new(quic_t *q, int64_t id)
{
    quic_stream_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->q = q;
    s->id = id;
    s->flags = QS_NG_OPEN;
    s->next = q->streams;
    if (q->streams) q->streams->prev = s;
    q->streams = s;
    q->nstreams++;
    return s;
}

quic_stream_t *quic__stream_find(quic_t *q, int64_t id)
{
    for (quic_stream_t *s = q->streams; s; s = s->next)
        if (s->id == id && (s->flags & QS_NG_OPEN)) return s;
    return NULL;
}

static void free_chunks(quic_stream_t *s)
{
    while (s->head) {
        qchunk_t *k = s->head;
        s->head = k->next;
        free(k);
    }
    s->tail = NULL;
}

void quic__stream_unlink(quic_stream_t *s)
{
    if ((s->flags & QS_NG_OPEN) || s->conn) return; /* an owner still holds it */
    quic_t *q = s->q;
    if (s->prev)
        s->prev->next = s->next;
    else
        q->streams = s->next;
    if (s->next) s->next->prev = s->prev;
    q->nstreams--;
    free_chunks(s);
    free(s->rx);
    free(s);
}

/* ---- receiving -------------------------------------------------------- */

static void give_credit(quic_stream_t *s, size_t n)
{
    quic_t *q = s->q;
    if (!q->conn || !n) return;
    if (s->flags & QS_NG_OPEN) ngtcp2_conn_extend_max_stream_offset(q->conn, s->id, n);
    ngtcp2_conn_extend_max_offset(q->conn, n);
}

static int rx_room(quic_stream_t *s, size_t n)
{
    if (s->rx_len + n > QUIC_STREAM_WINDOW) return -1; /* ngtcp2 enforces it first */
    if (s->rx_off + s->rx_len + n <= s->rx_cap) return 0;
    if (s->rx_off) {
        memmove(s->rx, s->rx + s->rx_off, s->rx_len);
        s->rx_off = 0;
        if (s->rx_len + n <= s->rx_cap) return 0;
    }
    size_t cap = s->rx_cap ? s->rx_cap : 16384;
    while (cap < s->rx_len + n)
        cap *= 2;
    if (cap > QUIC_STREAM_WINDOW) cap = QUIC_STREAM_WINDOW;
    uint8_t *p = realloc(s->rx, cap);
    if (!p) return -1;
    s->rx = p;
    s->rx_cap = cap;
    return 0;
}

int quic__stream_rx(quic_stream_t *s, const uint8_t *p, size_t n, bool fin)
{
    if (fin) s->flags |= QS_FIN_RECV;
    /* A new stream has no conn until on_stream: its bytes wait like any. */
    if (s->flags & QS_CONN_GONE) {
        give_credit(s, n); /* nobody reads: drop, but keep the connection's window open */
        return 0;
    }
    if (n && rx_room(s, n) != 0) return -1;
    if (n) memcpy(s->rx + s->rx_off + s->rx_len, p, n);
    s->rx_len += n;
    if (n || fin) quic__kick(s->q);
    return 0;
}

/* ---- sending ---------------------------------------------------------- */

int quic__stream_queue(quic_stream_t *s, const uint8_t *p, size_t n)
{
    qchunk_t *k = malloc(sizeof *k + n);
    if (!k) return UV_ENOMEM;
    k->next = NULL;
    k->len = n;
    memcpy(k->data, p, n);
    if (s->tail)
        s->tail->next = k;
    else
        s->head = k;
    s->tail = k;
    s->end += n;
    quic__kick(s->q);
    return 0;
}

int quic__stream_unsent(const quic_stream_t *s, ngtcp2_vec *v, int max)
{
    uint64_t off = s->base;
    int n = 0;
    for (const qchunk_t *k = s->head; k && n < max; off += k->len, k = k->next) {
        if (off + k->len <= s->sent) continue;
        size_t skip = s->sent > off ? (size_t)(s->sent - off) : 0;
        v[n].base = (uint8_t *)k->data + skip;
        v[n].len = k->len - skip;
        n++;
    }
    return n;
}

/* ngtcp2 reports acknowledged bytes in order from the start: whole chunks
 * below the new mark are released and the conn's queue count drops. */
void quic__stream_acked(quic_stream_t *s, uint64_t off, uint64_t len)
{
    uint64_t upto = off + len;
    if (upto <= s->acked) return;
    size_t n = (size_t)(upto - s->acked);
    s->acked = upto;
    while (s->head && s->base + s->head->len <= s->acked) {
        qchunk_t *k = s->head;
        s->base += k->len;
        s->head = k->next;
        free(k);
    }
    if (!s->head) s->tail = NULL;
    if (s->conn && !(s->flags & QS_CONN_GONE)) conn__wrote(s->conn, n);
}

/* ---- handing news to the conn, outside ngtcp2's calls ----------------- */

static bool can_read(const quic_stream_t *s, const conn_t *c)
{
    return (s->flags & QS_STARTED) && !(c->flags & (F_PAUSED | F_EOF | F_CLOSING));
}

static void deliver_data(quic_stream_t *s)
{
    while (s->rx_len && s->conn && can_read(s, s->conn)) {
        conn_t *c = s->conn;
        size_t n = s->rx_len < QS_DELIVER_BATCH ? s->rx_len : QS_DELIVER_BATCH;
        const uint8_t *p = s->rx + s->rx_off;
        s->rx_off += n;
        s->rx_len -= n;
        give_credit(s, n); /* consumed: the peer may send this much more */
        if (c->cbs->on_data) c->cbs->on_data(c, p, n);
    }
    if (!s->rx_len) s->rx_off = 0;
}

static void deliver_one(quic_stream_t *s)
{
    conn_t *c = s->conn;
    if (s->flags & QS_FAILED) {
        s->flags &= ~QS_FAILED;
        conn__fail(c, s->err);
        return;
    }
    deliver_data(s);
    if (s->conn != c || (c->flags & F_CLOSING)) return;
    if ((s->flags & (QS_FIN_RECV | QS_STARTED | QS_EOF_DONE)) == (QS_FIN_RECV | QS_STARTED) &&
        !s->rx_len) {
        s->flags |= QS_EOF_DONE;
        conn__deliver_eof(c);
    }
    if (c->flags & F_CLOSING) return;
    if ((s->flags & (QS_FIN_SENT | QS_SHUT_DONE)) == QS_FIN_SENT) {
        s->flags |= QS_SHUT_DONE;
        if (c->cbs->on_shutdown) c->cbs->on_shutdown(c);
    }
}

/* A closed conn is freed here, from the loop, never inside its own call. */
static void finish_conn(quic_stream_t *s)
{
    conn_t *c = s->conn;
    s->conn = NULL;
    s->q->nconns--;
    c->qs = NULL;
    conn__closed(c);
}

void quic__streams_deliver(quic_t *q)
{
    quic_stream_t *s = q->streams, *next;
    for (; s; s = next) {
        next = s->next;
        if (s->conn && !(s->flags & QS_CONN_GONE)) deliver_one(s);
        /* A callback may have closed this conn or others: recheck. */
        next = s->next;
        if (s->conn && (s->flags & QS_CONN_GONE)) {
            finish_conn(s);
            quic__stream_unlink(s);
        }
    }
}
