/* plugin_socks5: frp's `socks5` plugin: a SOCKS5 server (RFC 1928) on each
 * user connection, with username/password (RFC 1929) when both `username`
 * and `password` are set, CONNECT only (BIND and UDP ASSOCIATE are answered
 * 0x07, command not supported), to IPv4, IPv6 or a domain name resolved
 * asynchronously (plugin_dial.c).
 *
 * A session (plugin.h) per connection: greeting, auth, request, then the
 * dial; the user's conn is paused while dialling, the request's bytes
 * bounded by SOCKS5_IN_MAX, the whole handshake by PLUGIN_HANDSHAKE_MS.
 * Once connected the reply goes out and both conns become a relay in the
 * client's tunnel set. The record lives until its user conn has closed,
 * or until the relay took it (then at once). */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "plugin/plugin_dial.h"
#include "plugin/socks5_msg.h"
#include "util/log.h"

/* Bytes buffered before the request is answered: the three messages
 * (each at most SOCKS5_MSG_MAX, so an unfinished one never holds more)
 * and what an optimistic client sent after its request in the same reads
 * (kept for the target; reading stops at the request, so that is at most
 * what one read brings: a TCP read buffer, 256 KiB). Beyond this the
 * client is refused. */
#define SOCKS5_IN_MAX (512 * 1024)

enum { S_GREET, S_AUTH, S_REQUEST, S_DIAL, S_DONE };

typedef struct s5_cfg {
    char *user, *pass; /* both set: RFC 1929 required; NULL: no auth */
} s5_cfg_t;

typedef struct s5 {
    plugin_sess_t sess;
    const s5_cfg_t *cfg; /* the instance's (the session holds it) */
    conn_t *user;
    pdial_t *dial;
    int state;
    uint8_t *in; /* read, not yet parsed (heap, at most SOCKS5_IN_MAX) */
    size_t in_len;
    char target[300]; /* for logs */
} s5_t;

static const plugin_key_t s5_keys[] = {
    {"username", PK_STR, 0, 0, 0},
    {"password", PK_STR, 0, 0, 0},
    {NULL, PK_STR, 0, 0, 0},
};

/* frp takes username and password together, or neither. */
static int s5_check(const plugin_cfg_t *cfg, char *why, size_t why_len)
{
    const char *u = plugin_param(cfg, "username"), *p = plugin_param(cfg, "password");
    bool hu = u && u[0], hp = p && p[0];
    if (hu == hp) return 0;
    snprintf(why, why_len, "username and password go together (RFC 1929), or neither");
    return -1;
}

static void s5_destroy(void *state)
{
    s5_cfg_t *c = state;
    if (!c) return;
    free(c->user);
    free(c->pass);
    free(c);
}

static int s5_create(const plugin_cfg_t *cfg, void **state, char *why, size_t why_len)
{
    s5_cfg_t *c = calloc(1, sizeof *c);
    const char *u = plugin_param(cfg, "username"), *p = plugin_param(cfg, "password");
    if (c && u && u[0] && p && p[0]) {
        c->user = strdup(u);
        c->pass = strdup(p);
        if (!c->user || !c->pass) {
            s5_destroy(c);
            c = NULL;
        }
    }
    *state = c;
    if (c) return 0;
    snprintf(why, why_len, "out of memory");
    return -1;
}

/* ---- the session ---------------------------------------------------------- */

static void s5_free(s5_t *s)
{
    plugin_sess_end(&s->sess);
    free(s->in);
    free(s);
}

/* Ends the session (a stop, a failure): the dial goes, then the user's
 * conn; its on_close frees s. */
static void s5_stop(plugin_sess_t *ps)
{
    s5_t *s = (s5_t *)ps;
    pdial_cancel(s->dial);
    s->dial = NULL;
    conn_close(s->user);
}

/* A reply, then the end (RFC 1928 §6: the server closes after a failure):
 * the conn closes once the reply and the FIN are out (s5_shutdown), or
 * when the session's timer runs out first. */
static void s5_refuse(s5_t *s, const uint8_t *msg, size_t n)
{
    s->state = S_DONE;
    conn_pause(s->user);
    pdial_cancel(s->dial);
    s->dial = NULL;
    if (n && conn_write(s->user, msg, n) < 0) {
        conn_close(s->user);
        return;
    }
    conn_shutdown(s->user);
}

static void s5_refuse_rep(s5_t *s, uint8_t rep)
{
    uint8_t out[SOCKS5_REPLY_MAX];
    s5_refuse(s, out, socks5_write_reply(out, rep, NULL));
}

/* RFC 1928 §6's code for a failed connect or lookup. */
static uint8_t rep_of(int err)
{
    switch (err) {
    case UV_ECONNREFUSED:
        return SOCKS5_REP_REFUSED;
    case UV_ENETUNREACH:
        return SOCKS5_REP_NET_UNREACH;
    case UV_EHOSTUNREACH:
    case UV_ETIMEDOUT:
    case UV_EAI_NONAME:
    case UV_EAI_AGAIN:
    case UV_EAI_FAIL:
    case UV_EAI_NODATA:
        return SOCKS5_REP_HOST_UNREACH;
    default:
        return SOCKS5_REP_FAILURE;
    }
}

static void on_dialled(void *arg, conn_t *target, int status)
{
    s5_t *s = arg;
    s->dial = NULL;
    if (status != 0) {
        LOG_LIMITED(LOG_INFO, "socks5 connect failed proxy=%s src=%s dst=%s err=%s", s->sess.proxy,
                    s->sess.src, LOG_ESC(s->target), uv_strerror(status));
        s5_refuse_rep(s, rep_of(status));
        return;
    }
    struct sockaddr_storage bound;
    uint8_t out[SOCKS5_REPLY_MAX];
    bool have = conn_local_addr(target, &bound) == 0;
    size_t n = socks5_write_reply(out, SOCKS5_REP_OK, have ? (struct sockaddr *)&bound : NULL);
    LOG_D("socks5 connected proxy=%s src=%s dst=%s", s->sess.proxy, s->sess.src,
          LOG_ESC(s->target));
    if (conn_write(s->user, out, n) < 0) {
        conn_close(target);
        conn_close(s->user);
        return;
    }
    conn_t *user = s->user;
    s->user = NULL;
    s->state = S_DONE;
    plugin_sess_relay(&s->sess, user, target, s->in, s->in_len);
    s5_free(s); /* the relay has both conns; what followed the request went to target */
}

static bool cred_eq(const char *want, const char *got, size_t got_len)
{
    size_t n = strlen(want);
    /* Length first (not secret: the length of a password is not worth
     * hiding behind the cost), then the bytes in constant time. */
    return n == got_len && CRYPTO_memcmp(want, got, n) == 0;
}

/* One message from s->in; how many bytes it took, 0 when more are needed,
 * -1 when the session ended. */
static long s5_greet(s5_t *s)
{
    unsigned offers;
    long n = socks5_parse_greeting(s->in, s->in_len, &offers);
    uint8_t out[2];
    if (n <= 0) return n == 0 ? 0 : (s5_refuse(s, NULL, 0), -1);
    bool auth = s->cfg->user != NULL;
    if ((auth && !(offers & SOCKS5_OFFERS_USERPASS)) || (!auth && !(offers & SOCKS5_OFFERS_NONE))) {
        s5_refuse(s, out, socks5_write_method(out, SOCKS5_METHOD_REFUSED));
        return -1;
    }
    conn_write(s->user, out,
               socks5_write_method(out, auth ? SOCKS5_METHOD_USERPASS : SOCKS5_METHOD_NONE));
    s->state = auth ? S_AUTH : S_REQUEST;
    return n;
}

static long s5_auth(s5_t *s)
{
    socks5_auth_t a;
    uint8_t out[2];
    long n = socks5_parse_auth(s->in, s->in_len, &a);
    if (n <= 0) return n == 0 ? 0 : (s5_refuse(s, NULL, 0), -1);
    /* both compared, whichever is wrong */
    bool user_ok = cred_eq(s->cfg->user, a.user, a.user_len);
    bool pass_ok = cred_eq(s->cfg->pass, a.pass, a.pass_len);
    bool ok = user_ok && pass_ok;
    OPENSSL_cleanse(&a, sizeof a);
    if (!ok) {
        LOG_LIMITED(LOG_INFO, "socks5 wrong username or password proxy=%s src=%s", s->sess.proxy,
                    s->sess.src);
        s5_refuse(s, out, socks5_write_auth_status(out, 0));
        return -1;
    }
    conn_write(s->user, out, socks5_write_auth_status(out, 1));
    s->state = S_REQUEST;
    return n;
}

static long s5_request(s5_t *s)
{
    socks5_req_t r;
    long n = socks5_parse_request(s->in, s->in_len, &r);
    if (n == 0) return 0;
    if (n == SOCKS5_ERR_ATYP) return s5_refuse_rep(s, SOCKS5_REP_ATYP), -1;
    if (n < 0) return s5_refuse_rep(s, SOCKS5_REP_FAILURE), -1;
    socks5_req_target(&r, s->target, sizeof s->target);
    if (r.cmd != SOCKS5_CMD_CONNECT) return s5_refuse_rep(s, SOCKS5_REP_CMD), -1;
    conn_pause(s->user); /* until connected; the relay resumes it */
    s->state = S_DIAL;
    s->dial = pdial_start(conn_loop(s->user), r.host, r.port, on_dialled, s);
    if (!s->dial) return s5_refuse_rep(s, SOCKS5_REP_FAILURE), -1;
    return n;
}

static long (*const steps[])(s5_t *) = {
    [S_GREET] = s5_greet, [S_AUTH] = s5_auth, [S_REQUEST] = s5_request};

/* Runs the messages buffered; what follows the request stays in s->in. */
static void s5_run(s5_t *s)
{
    while (s->state <= S_REQUEST && s->in_len > 0) {
        long n = steps[s->state](s);
        if (n <= 0) return;
        memmove(s->in, s->in + n, s->in_len - (size_t)n);
        s->in_len -= (size_t)n;
    }
}

static void s5_data(conn_t *c, const uint8_t *p, size_t n)
{
    s5_t *s = conn_data(c);
    if (s->state >= S_DIAL) return; /* paused; a late byte of the same read */
    if (s->in_len + n > SOCKS5_IN_MAX) {
        s5_refuse(s, NULL, 0);
        return;
    }
    uint8_t *in = realloc(s->in, s->in_len + n);
    if (!in) {
        s5_refuse(s, NULL, 0);
        return;
    }
    memcpy(in + s->in_len, p, n);
    s->in = in;
    s->in_len += n;
    s5_run(s);
}

static void s5_eof(conn_t *c)
{
    s5_t *s = conn_data(c);
    s5_stop(&s->sess);
}

static void s5_error(conn_t *c, int err)
{
    (void)err;
    s5_eof(c);
}

static void s5_close(conn_t *c)
{
    s5_t *s = conn_data(c);
    pdial_cancel(s->dial);
    s5_free(s);
}

static void s5_shutdown(conn_t *c)
{
    conn_close(c);
}

static const conn_cbs_t s5_cbs = {.on_data = s5_data,
                                  .on_eof = s5_eof,
                                  .on_shutdown = s5_shutdown,
                                  .on_error = s5_error,
                                  .on_close = s5_close};

static void s5_serve(const plugin_start_t *st, conn_t *user, const uint8_t *early, size_t early_len)
{
    s5_t *s = calloc(1, sizeof *s);
    if (!s || plugin_sess_begin(&s->sess, st, s5_stop) != 0) {
        free(s);
        conn_abort(user);
        return;
    }
    s->cfg = plugin_inst_state(st->inst);
    s->user = user;
    conn_set_cbs(user, &s5_cbs, s);
    if (early_len) s5_data(user, early, early_len);
}

const plugin_ops_t plugin_socks5_ops = {
    .name = "socks5",
    .keys = s5_keys,
    .check = s5_check,
    .create = s5_create,
    .destroy = s5_destroy,
    .serve = s5_serve,
};
