/* test_ddns: the dyndns2 answer table (every code, garbage, long lines),
 * the retry schedule, the dyndns2 URL, the RFC 2136 UPDATE built for a
 * fixed key (parsed back with ldns, its TSIG verified) and the [[ddns]]
 * config cases with their file:line messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "ddns/ddns.h"
#include "ddns/ddns_backoff.h"
#include "ddns/dyndns2_answer.h"
#include "ddns/dyndns2_url.h"
#include "ddns/rfc2136.h"
#include "testlib.h"

typedef struct row {
    const char *body;
    dyndns2_code_t code;
    ddns_next_t next;
} row_t;

static void test_answer_table(void)
{
    static const row_t rows[] = {
        {"good 203.0.113.7", DYNDNS2_GOOD, DDNS_NEXT_DONE},
        {"good", DYNDNS2_GOOD, DDNS_NEXT_DONE},
        {"nochg 203.0.113.7\r\n", DYNDNS2_NOCHG, DDNS_NEXT_DONE},
        {"  \r\nnochg", DYNDNS2_NOCHG, DDNS_NEXT_DONE},
        {"badauth", DYNDNS2_BADAUTH, DDNS_NEXT_STOP},
        {"nohost\n", DYNDNS2_NOHOST, DDNS_NEXT_STOP},
        {"notfqdn", DYNDNS2_NOTFQDN, DDNS_NEXT_STOP},
        {"abuse", DYNDNS2_ABUSE, DDNS_NEXT_STOP},
        {"911", DYNDNS2_911, DDNS_NEXT_BACKOFF},
        {"dnserr", DYNDNS2_DNSERR, DDNS_NEXT_BACKOFF},
        {"badagent", DYNDNS2_BADAGENT, DDNS_NEXT_STOP},
        {"numhost", DYNDNS2_NUMHOST, DDNS_NEXT_STOP},
        {"", DYNDNS2_UNKNOWN, DDNS_NEXT_RETRY},
        {"goodbye", DYNDNS2_UNKNOWN, DDNS_NEXT_RETRY},
        {"GOOD 1.2.3.4", DYNDNS2_UNKNOWN, DDNS_NEXT_RETRY}, /* the codes are lower case */
        {"<html>oops</html>", DYNDNS2_UNKNOWN, DDNS_NEXT_RETRY},
        {"9111", DYNDNS2_UNKNOWN, DDNS_NEXT_RETRY},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        dyndns2_answer_t a;
        int r = dyndns2_answer_parse(rows[i].body, strlen(rows[i].body), &a);
        CHECK_EQ_INT((int)a.code, (int)rows[i].code);
        CHECK_EQ_INT((int)a.next, (int)rows[i].next);
        CHECK_EQ_INT(r, rows[i].code == DYNDNS2_UNKNOWN ? -1 : 0);
    }
    /* Not NUL-terminated: only len bytes count. */
    dyndns2_answer_t a;
    dyndns2_answer_parse("goodness", 4, &a);
    CHECK_EQ_INT((int)a.code, DYNDNS2_GOOD);
}

static void test_answer_long(void)
{
    size_t n = 100000;
    char *big = malloc(n);
    memset(big, ' ', n);
    memcpy(big + n - 4, "good", 4); /* beyond DYNDNS2_ANSWER_MAX: not looked at */
    dyndns2_answer_t a;
    CHECK_EQ_INT(dyndns2_answer_parse(big, n, &a), -1);
    memset(big, 'x', n); /* one endless word */
    CHECK_EQ_INT(dyndns2_answer_parse(big, n, &a), -1);
    CHECK_EQ_INT((int)a.next, DDNS_NEXT_RETRY);
    free(big);
}

static void test_backoff(void)
{
    CHECK_EQ_INT((int)ddns_backoff_ms(1, false), (int)DDNS_RETRY_BASE_MS);
    CHECK_EQ_INT((int)ddns_backoff_ms(2, false), (int)(2 * DDNS_RETRY_BASE_MS));
    CHECK_EQ_INT((int)ddns_backoff_ms(4, false), (int)(8 * DDNS_RETRY_BASE_MS));
    CHECK_EQ_INT((int)ddns_backoff_ms(40, false), (int)DDNS_RETRY_MAX_MS);
    CHECK_EQ_INT((int)ddns_backoff_ms(4000000, false), (int)DDNS_RETRY_MAX_MS);
    CHECK_EQ_INT((int)ddns_backoff_ms(1, true), (int)DDNS_BACKOFF_911_MS);
    uint64_t prev = 0;
    for (unsigned f = 1; f < 30; f++) { /* never shrinks */
        uint64_t ms = ddns_backoff_ms(f, false);
        CHECK(ms >= prev);
        prev = ms;
    }
}

static void test_url(void)
{
    dyndns2_url_t u;
    CHECK_EQ_INT(dyndns2_url_parse("https://dynupdate.no-ip.com", &u), 0);
    CHECK_EQ_STR(u.host, "dynupdate.no-ip.com");
    CHECK_EQ_STR(u.port, "443");
    CHECK_EQ_STR(u.path, "/nic/update");
    CHECK_EQ_INT(dyndns2_url_parse("https://203.0.113.9:8443/x/update?a=1", &u), 0);
    CHECK_EQ_STR(u.host, "203.0.113.9");
    CHECK_EQ_STR(u.port, "8443");
    CHECK_EQ_STR(u.path, "/x/update?a=1");
    CHECK_EQ_INT(dyndns2_url_parse("http://dynupdate.no-ip.com", &u), -1);
    CHECK_EQ_INT(dyndns2_url_parse("https://", &u), -1);
    CHECK_EQ_INT(dyndns2_url_parse("https://h:0", &u), -1);
    CHECK_EQ_INT(dyndns2_url_parse("https://h:99999", &u), -1);
    CHECK_EQ_INT(dyndns2_url_parse("https://h/a b", &u), -1);
    CHECK_EQ_INT(dyndns2_url_parse("https://h/a\r\nX: y", &u), -1);
}

#ifdef BURROW_HAVE_LDNS
#define KEY "ddns-test."
#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==" /* "secret-secret-secret-secret!" */

static ldns_pkt *wire_roundtrip(ldns_pkt *pkt, uint8_t **wire, size_t *len)
{
    CHECK_EQ_INT(ldns_pkt2wire(wire, pkt, len), LDNS_STATUS_OK);
    ldns_pkt *back = NULL;
    CHECK_EQ_INT(ldns_wire2pkt(&back, *wire, *len), LDNS_STATUS_OK);
    return back;
}

static void test_update_built(void)
{
    rfc2136_req_t rq = {NULL, "home-pc.home.test", 120,   "203.0.113.7", "2001:db8::7",
                        KEY,  "hmac-sha256",       SECRET};
    char err[128] = "";
    ldns_pkt *pkt = rfc2136_build(&rq, err, sizeof err);
    CHECK(pkt != NULL);
    if (!pkt) return;
    uint8_t *wire = NULL;
    size_t len = 0;
    ldns_pkt *back = wire_roundtrip(pkt, &wire, &len);
    CHECK_EQ_INT(ldns_pkt_get_opcode(back), LDNS_PACKET_UPDATE);
    /* Zone section: the name minus its first label, SOA IN (RFC 2136 §2.3). */
    ldns_rr *z = ldns_rr_list_rr(ldns_pkt_question(back), 0);
    char *zs = ldns_rdf2str(ldns_rr_owner(z));
    CHECK_EQ_STR(zs, "home.test.");
    free(zs);
    CHECK_EQ_INT(ldns_rr_get_type(z), LDNS_RR_TYPE_SOA);
    /* Update section: delete A, add A, delete AAAA, add AAAA. */
    ldns_rr_list *up = ldns_pkt_authority(back);
    CHECK_EQ_INT((int)ldns_rr_list_rr_count(up), 4);
    ldns_rr *del = ldns_rr_list_rr(up, 0), *add = ldns_rr_list_rr(up, 1);
    CHECK_EQ_INT(ldns_rr_get_class(del), LDNS_RR_CLASS_ANY);
    CHECK_EQ_INT(ldns_rr_get_type(del), LDNS_RR_TYPE_A);
    CHECK_EQ_INT((int)ldns_rr_ttl(del), 0);
    CHECK_EQ_INT((int)ldns_rr_rd_count(del), 0);
    CHECK_EQ_INT(ldns_rr_get_class(add), LDNS_RR_CLASS_IN);
    CHECK_EQ_INT((int)ldns_rr_ttl(add), 120);
    char *as = ldns_rdf2str(ldns_rr_rdf(add, 0));
    CHECK_EQ_STR(as, "203.0.113.7");
    free(as);
    CHECK_EQ_INT(ldns_rr_get_type(ldns_rr_list_rr(up, 3)), LDNS_RR_TYPE_AAAA);
    /* The TSIG verifies with the key, and not with another. */
    CHECK(ldns_pkt_tsig(back) != NULL);
    CHECK(ldns_pkt_tsig_verify(back, wire, len, KEY, SECRET, NULL));
    CHECK(!ldns_pkt_tsig_verify(back, wire, len, KEY, "b3RoZXIta2V5LW90aGVyLWtleQ==", NULL));
    ldns_pkt_free(back);
    /* One flipped byte in the update section breaks it. */
    wire[len / 2] ^= 1;
    back = NULL;
    if (ldns_wire2pkt(&back, wire, len) == LDNS_STATUS_OK)
        CHECK(!ldns_pkt_tsig_verify(back, wire, len, KEY, SECRET, NULL));
    ldns_pkt_free(back);
    free(wire);
    ldns_pkt_free(pkt);
}

static void test_update_v4_only_and_zone(void)
{
    rfc2136_req_t rq = {"example.test", "a.b.example.test", 60, "203.0.113.8", NULL, KEY, NULL,
                        SECRET};
    char err[128] = "";
    ldns_pkt *pkt = rfc2136_build(&rq, err, sizeof err);
    CHECK(pkt != NULL);
    if (!pkt) return;
    CHECK_EQ_INT((int)ldns_rr_list_rr_count(ldns_pkt_authority(pkt)), 2);
    char *zs = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
    CHECK_EQ_STR(zs, "example.test.");
    free(zs);
    ldns_pkt_free(pkt);
    rq.addr4 = "not-an-ip";
    CHECK(rfc2136_build(&rq, err, sizeof err) == NULL);
    char alg[64];
    rfc2136_alg_name(NULL, alg, sizeof alg);
    CHECK_EQ_STR(alg, "hmac-sha256.");
    rfc2136_alg_name("hmac-sha512.", alg, sizeof alg);
    CHECK_EQ_STR(alg, "hmac-sha512.");
}
#endif

/* ---- config -------------------------------------------------------------- */

static char *g_diag;

static int client(const char *text, client_cfg_t *cfg)
{
    size_t len;
    free(g_diag);
    g_diag = NULL;
    FILE *f = open_memstream(&g_diag, &len);
    int r = config_parse_client("c.toml", text, strlen(text), cfg, f);
    fclose(f);
    return r;
}

static void expect_error(const char *text, const char *needle)
{
    client_cfg_t cfg;
    CHECK_EQ_INT(client(text, &cfg), -1);
    if (!strstr(g_diag, needle)) {
        fprintf(stderr, "diag lacks '%s':\n%s\n", needle, g_diag);
        CHECK(0);
    }
}

/* ddns_prefer: the router's address (directExpose) wins over what the
 * server and STUN report, which comes back when the mapping ends. The
 * provider points at a closed port: its jobs fail at once. */
static void test_prefer(void)
{
    client_cfg_t cfg;
    const char *t = "[[ddns]]\nprovider = \"dyndns2\"\nname = \"me.ddns.net\"\n"
                    "server = \"https://127.0.0.1:1\"\nuser = \"u\"\npassword = \"p\"\n";
    CHECK_EQ_INT(client(t, &cfg), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    ddns_t *d = ddns_create(&loop, &cfg.ddns, NULL, NULL, NULL);
    CHECK(d != NULL);
    ddns_learn(d, "203.0.113.21", "login");
    CHECK_EQ_STR(ddns_want(d, 0, false), "203.0.113.21");
    ddns_prefer(d, "192.0.3.21", "router");
    CHECK_EQ_STR(ddns_want(d, 0, false), "192.0.3.21");
    ddns_learn(d, "203.0.113.22", "stun"); /* remembered, not published */
    CHECK_EQ_STR(ddns_want(d, 0, false), "192.0.3.21");
    ddns_prefer(d, "192.0.3.21", "router"); /* a renewal: nothing new */
    CHECK_EQ_STR(ddns_want(d, 0, false), "192.0.3.21");
    ddns_prefer(d, NULL, NULL);
    CHECK_EQ_STR(ddns_want(d, 0, false), "203.0.113.22");
    ddns_learn(d, "203.0.113.23", "stun");
    CHECK_EQ_STR(ddns_want(d, 0, false), "203.0.113.23");
    ddns_destroy(d);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    config_client_free(&cfg);
}

static void test_config_good(void)
{
    client_cfg_t cfg;
    const char *t = "ddnsCheckInterval = 30\n"
                    "[[ddns]]\nprovider = \"dyndns2\"\nname = \"me.ddns.net\"\n"
                    "server = \"https://dynupdate.no-ip.com\"\nuser = \"u\"\npassword = \"p\"\n"
#ifdef BURROW_HAVE_LDNS
                    "[[ddns]]\nprovider = \"rfc2136\"\nname = \"home-pc.home.test\"\n"
                    "server = \"203.0.113.53\"\ntsigKeyName = \"k\"\ntsigSecret = \"" SECRET "\"\n"
                    "ttl = 30\nipv6 = true\ntcp = true\n"
#endif
        ;
    CHECK_EQ_INT(client(t, &cfg), 0);
    CHECK_EQ_INT(cfg.ddns.check_interval, 30);
    CHECK_EQ_STR(cfg.ddns.v[0].name, "me.ddns.net");
    CHECK_EQ_INT(cfg.ddns.v[0].ttl, DDNS_DEFAULT_TTL);
#ifdef BURROW_HAVE_LDNS
    CHECK_EQ_INT(cfg.ddns.n, 2);
    CHECK_EQ_INT(cfg.ddns.v[1].ttl, 30);
    CHECK(cfg.ddns.v[1].ipv6 && cfg.ddns.v[1].tcp);
    CHECK_EQ_INT(cfg.ddns.v[1].line, 8);
#endif
    config_client_free(&cfg);
    CHECK_EQ_INT(client("", &cfg), 0);
    CHECK_EQ_INT(cfg.ddns.check_interval, DDNS_DEFAULT_CHECK_INTERVAL);
    CHECK_EQ_INT(cfg.ddns.n, 0);
    config_client_free(&cfg);
}

#ifdef BURROW_HAVE_LDNS
static void test_config_secret_file(void)
{
    char path[] = "/tmp/test_ddns_keyXXXXXX";
    int fd = mkstemp(path);
    const char *bind_key =
        "key \"ddns-test\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n";
    CHECK(write(fd, bind_key, strlen(bind_key)) == (ssize_t)strlen(bind_key));
    close(fd);
    char text[512];
    snprintf(
        text, sizeof text,
        "[[ddns]]\nprovider = \"rfc2136\"\nname = \"a.home.test\"\nserver = \"[2001:db8::1]:53\"\n"
        "tsigKeyName = \"ddns-test\"\ntsigSecretFile = \"%s\"\n",
        path);
    client_cfg_t cfg;
    CHECK_EQ_INT(client(text, &cfg), 0);
    CHECK_EQ_STR(cfg.ddns.v[0].tsig_secret, SECRET);
    config_client_free(&cfg);
    unlink(path);
    expect_error(text, "cannot read");
}
#endif

static void test_config_errors(void)
{
    expect_error("[[ddns]]\nname = \"a.b\"\n",
                 "c.toml:1: error: missing required key 'ddns[0].provider'");
    expect_error("[[ddns]]\nprovider = \"cloudflare\"\nname = \"a.b\"\n",
                 "c.toml:2: error: key 'ddns[0].provider': unknown provider 'cloudflare'");
    expect_error("[[ddns]]\nprovider = \"dyndns2\"\nname = \"a b\"\nserver = \"https://x\"\n"
                 "user = \"u\"\npassword = \"p\"\n",
                 "c.toml:3: error: key 'ddns[0].name': 'a b' is not a DNS name");
    expect_error("[[ddns]]\nprovider = \"dyndns2\"\nname = \"a.b\"\nserver = \"http://x\"\n"
                 "user = \"u\"\npassword = \"p\"\n",
                 "c.toml:4: error: key 'ddns[0].server': expected \"https://");
    expect_error("[[ddns]]\nprovider = \"dyndns2\"\nname = \"a.b\"\nserver = \"https://x\"\n",
                 "missing required key 'ddns[0].user'");
    expect_error("[[ddns]]\nprovider = \"dyndns2\"\nname = \"a.b\"\nserver = \"https://x\"\n"
                 "user = \"u\"\npassword = \"p\"\n[[ddns]]\nprovider = \"dyndns2\"\nname = "
                 "\"A.B\"\nserver = \"https://x\"\nuser = \"u\"\npassword = \"p\"\n",
                 "c.toml:9: error: key 'ddns[1].name': 'A.B' is kept twice (first at line 1)");
    expect_error("ddnsCheckInterval = 1\n",
                 "c.toml:1: error: key 'ddnsCheckInterval': 1 is out of range");
    expect_error("[[ddns]]\nprovider = \"dyndns2\"\nname = \"a.b\"\nbogus = 1\n", "bogus");
#ifdef BURROW_HAVE_LDNS
    expect_error("[[ddns]]\nprovider = \"rfc2136\"\nname = \"a.b\"\nserver = \"h\"\n"
                 "tsigKeyName = \"k\"\n",
                 "c.toml:1: error: missing required key 'ddns[0].tsigSecret' (or tsigSecretFile)");
    expect_error("[[ddns]]\nprovider = \"rfc2136\"\nname = \"a.b\"\nserver = \"h\"\n"
                 "tsigKeyName = \"k\"\ntsigSecret = \"not base64!\"\n",
                 "not a base64 secret");
    expect_error("[[ddns]]\nprovider = \"rfc2136\"\nname = \"a.b\"\nserver = \"h\"\n"
                 "tsigKeyName = \"k\"\ntsigSecret = \"" SECRET "\"\ntsigAlgorithm = \"rot13\"\n",
                 "c.toml:7: error: key 'ddns[0].tsigAlgorithm'");
#else
    expect_error("[[ddns]]\nprovider = \"rfc2136\"\nname = \"a.b\"\n", "built without ldns");
#endif
}

static void test_server_config(void)
{
    server_cfg_t cfg;
    const char *t = "auth.token = \"t\"\nddnsAddress = \"203.0.113.1\"\n"
                    "[[ddns]]\nprovider = \"dyndns2\"\nname = \"srv.example.net\"\n"
                    "server = \"https://u.example.net\"\nuser = \"u\"\npassword = \"p\"\n";
    CHECK_EQ_INT(config_parse_server("s.toml", t, strlen(t), &cfg, stderr), 0);
    CHECK_EQ_STR(cfg.ddns.address, "203.0.113.1");
    CHECK_EQ_INT(cfg.ddns.n, 1);
    config_server_free(&cfg);
}

int main(void)
{
    RUN(test_answer_table);
    RUN(test_answer_long);
    RUN(test_backoff);
    RUN(test_url);
#ifdef BURROW_HAVE_LDNS
    RUN(test_update_built);
    RUN(test_update_v4_only_and_zone);
    RUN(test_config_secret_file);
#endif
    RUN(test_config_good);
    RUN(test_prefer);
    RUN(test_config_errors);
    RUN(test_server_config);
    free(g_diag);
    return TEST_SUMMARY();
}
