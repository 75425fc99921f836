/* test_stcp_path: the secret proxies' pieces joined as they will run, on a
 * real loop over socketpairs: visitor conn ⇄ relay.c (playing the server,
 * which writes STCP_VISITOR to the owner first) ⇄ owner conn; both ends
 * run proto/stcp_hs.h over their raw conn and, once done, wrap it with
 * net/conn_e2e.h (bytes after ACCEPT fed on). Checks data both ways across
 * many records through the unchanged relay, half-close in both directions,
 * and a wrong key refused on both sides with the relay ending. */
#include <sys/socket.h>

#include "net/conn_e2e.h"
#include "net/relay.h"
#include "netlib.h"
#include "proto/auth.h"
#include "proto/msg.h"
#include "proto/stcp_hs.h"
#include "testlib.h"

typedef struct side {
    nl_end_t e; /* the e2e conn's callbacks, once wrapped */
    conn_t *raw;
    stcp_hs_t hs;
    int result, raw_closed;
    e2e_dir_id_t tx;
} side_t;

static int relays_done;

static int send_raw(void *ctx, const uint8_t *p, size_t n)
{
    side_t *s = ctx;
    return conn_write(s->raw, p, n) < 0 ? -1 : 0;
}

static void hs_data(conn_t *c, const uint8_t *p, size_t n)
{
    side_t *s = conn_data(c);
    size_t used;
    s->result = stcp_hs_feed(&s->hs, p, n, &used, send_raw, s);
    if (s->result == STCP_HS_DONE) {
        s->e.c = conn_e2e_new(c, &s->hs.keys, s->tx, &nl_cbs, &s->e);
        s->raw = NULL; /* the e2e conn owns it now */
        conn_e2e_feed(s->e.c, p + used, n - used);
    } else if (s->result < 0) {
        conn_close(c);
    }
}

static void hs_close(conn_t *c)
{
    side_t *s = conn_data(c);
    s->raw_closed++;
    s->raw = NULL;
}

static void hs_eof(conn_t *c)
{
    conn_close(c);
}

static const conn_cbs_t hs_cbs = {.on_data = hs_data, .on_eof = hs_eof, .on_close = hs_close};

static void on_relay_done(void *ctx, uint64_t a_to_b, uint64_t b_to_a)
{
    relays_done++;
}

/* Visitor (key vk) and owner (key okey), with the relay between them. */
static void path_up(side_t *v, side_t *o, const char *vk, const char *okey)
{
    int sv[2], so[2];
    conn_t *c[4];
    memset(v, 0, sizeof *v);
    memset(o, 0, sizeof *o);
    nl_end_init(&v->e);
    nl_end_init(&o->e);
    v->tx = E2E_V2O;
    o->tx = E2E_O2V;
    relays_done = 0;
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, so), 0);
    for (int i = 0; i < 4; i++) {
        c[i] = conn_new(&nl_loop, &hs_cbs, i == 0 ? v : o);
        CHECK_EQ_INT(conn_open_fd(c[i], i < 2 ? sv[i] : so[i - 2]), 0);
        conn_start(c[i]);
    }
    v->raw = c[0];
    o->raw = c[3];
    CHECK_EQ_INT(stcp_hs_visitor_init(&v->hs, vk, "alice.db", "bob"), 0);
    static const char *const allow[] = {"bob"};
    CHECK_EQ_INT(stcp_hs_owner_init(&o->hs, okey, "alice.db", "alice", allow, 1), 0);
    /* The server: STCP_VISITOR to the owner first, then relay. */
    char hex[2 * E2E_NONCE_LEN + 1];
    size_t n;
    auth_hex(v->hs.nonce_v, E2E_NONCE_LEN, hex);
    json_t *m = json_pack("{s:s,s:s}", "user", "bob", "nonce", hex);
    uint8_t *frame = msg_encode(MSG_STCP_VISITOR, m, &n);
    json_decref(m);
    CHECK(relay_start(c[1], c[2], frame, n, on_relay_done, NULL) != NULL);
    free(frame);
}

static void path_down(side_t *v, side_t *o)
{
    CHECK(nl_run_until(&relays_done, 1));
    CHECK_EQ_INT(nl_teardown(), 0);
    stcp_hs_free(&v->hs);
    stcp_hs_free(&o->hs);
    nl_end_free(&v->e);
    nl_end_free(&o->e);
}

static void test_through_relay(void)
{
    static side_t v, o;
    static uint8_t up[300 * 1024], down[200 * 1024];
    nl_setup();
    path_up(&v, &o, "k3y", "k3y");
    CHECK(nl_run_until(&v.result, STCP_HS_DONE));
    CHECK(nl_run_until(&o.result, STCP_HS_DONE));
    CHECK(v.e.c && o.e.c);
    for (size_t i = 0; i < sizeof up; i++)
        up[i] = (uint8_t)(i * 13 + 1);
    for (size_t i = 0; i < sizeof down; i++)
        down[i] = (uint8_t)(i * 7 + 5);
    if (v.e.c && o.e.c) {
        CHECK(conn_write(v.e.c, up, sizeof up) >= 0);
        CHECK(conn_write(o.e.c, down, sizeof down) >= 0);
        CHECK(nl_run_until_len(&o.e.got_len, sizeof up));
        CHECK(nl_run_until_len(&v.e.got_len, sizeof down));
        CHECK(memcmp(o.e.got, up, sizeof up) == 0);
        CHECK(memcmp(v.e.got, down, sizeof down) == 0);
        conn_shutdown(v.e.c); /* the end record, then FIN, through the relay */
        CHECK(nl_run_until(&o.e.eof, 1));
        conn_shutdown(o.e.c);
        CHECK(nl_run_until(&v.e.eof, 1));
        CHECK_EQ_INT(v.e.error + o.e.error, 0);
        conn_close(v.e.c);
        conn_close(o.e.c);
        CHECK(nl_run_until(&v.e.closed, 1));
        CHECK(nl_run_until(&o.e.closed, 1));
    }
    path_down(&v, &o);
}

static void test_wrong_key_through_relay(void)
{
    static side_t v, o;
    nl_setup();
    path_up(&v, &o, "guess", "k3y");
    CHECK(nl_run_until(&v.raw_closed, 1));
    CHECK(nl_run_until(&o.raw_closed, 1));
    CHECK_EQ_INT(v.result, STCP_HS_REFUSED);
    CHECK_EQ_STR(v.hs.reason, "wrong-key");
    CHECK_EQ_INT(o.result, STCP_HS_REFUSED);
    CHECK_EQ_STR(o.hs.reason, "wrong-key");
    CHECK(v.e.c == NULL && o.e.c == NULL);
    path_down(&v, &o);
}

int main(void)
{
    (void)nl_listen; /* netlib's loopback helpers: these tests use socketpairs */
    (void)nl_dial;
    (void)nl_run_until_end;
    RUN(test_through_relay);
    RUN(test_wrong_key_through_relay);
    return TEST_SUMMARY();
}
