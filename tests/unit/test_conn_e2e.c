/* test_conn_e2e: the e2e conn backend (net/conn_e2e.h) on a real loop over
 * socketpairs, counting callbacks as test_conn.c does: data both ways (1 MiB
 * across many records and the backpressure path), half-close with on_eof
 * exactly once, the wire carries no plaintext, and the refusals: another
 * key, bytes that are not records, a FIN without the end record, close from
 * inside on_data. Every run ends with the loop dry. */
#include <sys/socket.h>

#include "net/conn_e2e.h"
#include "netlib.h"
#include "testlib.h"

/* Two TCP conns over a socketpair, started, counted by a and b. */
static void raw_pair(nl_end_t *a, nl_end_t *b)
{
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    a->c = conn_new(&nl_loop, &nl_cbs, a);
    b->c = conn_new(&nl_loop, &nl_cbs, b);
    CHECK_EQ_INT(conn_open_fd(a->c, sv[0]), 0);
    CHECK_EQ_INT(conn_open_fd(b->c, sv[1]), 0);
    conn_start(a->c);
    conn_start(b->c);
}

static void keys_for(const char *secret, e2e_keys_t *k)
{
    uint8_t nv[E2E_NONCE_LEN] = {1}, no[E2E_NONCE_LEN] = {2};
    CHECK_EQ_INT(e2e_derive(secret, nv, no, "p", k), 0);
}

/* Wraps e's raw conn: e now counts the e2e conn's callbacks. */
static void wrap(nl_end_t *e, const char *secret, e2e_dir_id_t tx)
{
    e2e_keys_t k;
    keys_for(secret, &k);
    e->c = conn_e2e_new(e->c, &k, tx, &nl_cbs, e);
    CHECK(e->c != NULL);
    conn_start(e->c);
}

static void close_both(nl_end_t *a, nl_end_t *b)
{
    if (a->c) conn_close(a->c);
    if (b->c) conn_close(b->c);
    CHECK(nl_run_until(&a->closed, 1));
    CHECK(nl_run_until(&b->closed, 1));
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(a->closed + b->closed, 2);
    CHECK_EQ_INT(a->after_close + b->after_close, 0);
    nl_end_free(a);
    nl_end_free(b);
}

static void test_data_and_half_close(void)
{
    nl_end_t v, o;
    static uint8_t big[1024 * 1024];
    nl_end_init(&v);
    nl_end_init(&o);
    nl_setup();
    raw_pair(&v, &o);
    wrap(&v, "k", E2E_V2O);
    wrap(&o, "k", E2E_O2V);
    CHECK_EQ_STR(conn_kind(v.c), "e2e");
    CHECK(conn_loop(v.c) == &nl_loop);

    CHECK_EQ_INT(conn_write(v.c, "hello", 5), 0);
    CHECK(nl_run_until_len(&o.got_len, 5));
    CHECK(memcmp(o.got, "hello", 5) == 0);
    CHECK_EQ_INT(conn_write(o.c, "world!", 6), 0);
    CHECK(nl_run_until_len(&v.got_len, 6));
    CHECK(memcmp(v.got, "world!", 6) == 0);

    /* 1 MiB: 64 records; the socketpair fills, so the queue passes the
     * high-water mark and on_drain follows. */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    CHECK_EQ_INT(conn_write(v.c, big, sizeof big), 1);
    CHECK(nl_run_until_len(&o.got_len, 5 + sizeof big));
    CHECK(memcmp(o.got + 5, big, sizeof big) == 0);
    CHECK(nl_run_until(&v.drain, 1));

    /* v half-closes: o sees one on_eof and may still answer. */
    conn_shutdown(v.c);
    CHECK(nl_run_until(&o.eof, 1));
    CHECK(nl_run_until(&v.shutdown, 1));
    CHECK(conn_write(v.c, "x", 1) < 0);
    CHECK_EQ_INT(conn_write(o.c, "late", 4), 0);
    CHECK(nl_run_until_len(&v.got_len, 10));
    CHECK(memcmp(v.got + 6, "late", 4) == 0);
    conn_shutdown(o.c);
    CHECK(nl_run_until(&v.eof, 1));
    CHECK_EQ_INT(v.eof + o.eof, 2);
    CHECK_EQ_INT(v.error + o.error, 0);
    close_both(&v, &o);
}

/* What the relaying server sees: records, never the marker. */
static void test_wire_is_ciphertext(void)
{
    nl_end_t v, srv;
    static const char marker[] = "PLAINTEXT-MARKER-0123456789";
    nl_end_init(&v);
    nl_end_init(&srv);
    nl_setup();
    raw_pair(&v, &srv);
    wrap(&v, "k", E2E_V2O);
    CHECK_EQ_INT(conn_write(v.c, marker, sizeof marker - 1), 0);
    conn_shutdown(v.c);
    CHECK(nl_run_until(&srv.eof, 1));
    CHECK_EQ_INT(srv.got_len, (sizeof marker - 1) + 2 * E2E_OVERHEAD);
    CHECK(memmem(srv.got, srv.got_len, "MARKER", 6) == NULL);
    close_both(&v, &srv);
}

static void test_wrong_key(void)
{
    nl_end_t v, o;
    nl_end_init(&v);
    nl_end_init(&o);
    nl_setup();
    raw_pair(&v, &o);
    wrap(&v, "right", E2E_V2O);
    wrap(&o, "wrong", E2E_O2V);
    CHECK_EQ_INT(conn_write(v.c, "hello", 5), 0);
    CHECK(nl_run_until(&o.error, 1));
    CHECK_EQ_INT(o.got_len, 0);
    close_both(&v, &o);
}

/* A peer that is not e2e: bytes that are no record, then a bare FIN. */
static void test_garbage_and_truncation(void)
{
    nl_end_t o, srv;
    nl_end_init(&o);
    nl_end_init(&srv);
    nl_setup();
    raw_pair(&o, &srv);
    wrap(&o, "k", E2E_O2V);
    CHECK_EQ_INT(conn_write(srv.c, "GET / HTTP/1.1\r\n\r\n", 18), 0);
    CHECK(nl_run_until(&o.error, 1));
    CHECK_EQ_INT(o.got_len, 0);
    close_both(&o, &srv);

    nl_end_init(&o);
    nl_end_init(&srv);
    nl_setup();
    raw_pair(&o, &srv);
    wrap(&o, "k", E2E_O2V);
    conn_shutdown(srv.c); /* FIN, no end record: cut short */
    CHECK(nl_run_until(&o.error, 1));
    CHECK_EQ_INT(o.eof, 0);
    close_both(&o, &srv);
}

static void test_close_inside_data(void)
{
    nl_end_t v, o;
    nl_end_init(&v);
    nl_end_init(&o);
    nl_setup();
    raw_pair(&v, &o);
    wrap(&v, "k", E2E_V2O);
    wrap(&o, "k", E2E_O2V);
    o.close_on_data = true;
    /* Two records in one write: o closes on the first, sees no second. */
    static uint8_t two[E2E_RECORD_MAX + 10];
    CHECK_EQ_INT(conn_write(v.c, two, sizeof two), 0);
    CHECK(nl_run_until(&o.closed, 1));
    CHECK_EQ_INT(o.data, 1);
    CHECK(nl_run_until_end(&v));
    close_both(&v, &o);
}

int main(void)
{
    (void)nl_listen; /* netlib's loopback helpers: these tests use socketpairs */
    (void)nl_dial;
    RUN(test_data_and_half_close);
    RUN(test_wire_is_ciphertext);
    RUN(test_wrong_key);
    RUN(test_garbage_and_truncation);
    RUN(test_close_inside_data);
    return TEST_SUMMARY();
}
