/* test_quick_cfg: the one-liners' options (`burrow tcp|udp|http ...`) →
 * frpc.toml text → config_parse_client(): defaults, BURROW_TOKEN, the
 * server's forms, the refusals, and a token holding TOML syntax that must
 * stay one string. */
#include "cli/quick_cfg.h"

#include <stdlib.h>

#include "config/config.h"
#include "testlib.h"

#define ARGS(...)                                                                                  \
    (char *[]){__VA_ARGS__, NULL}, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))

static int parse(proxy_kind_t k, char **argv, int argc, const char *env, quick_args_t *a, char *err)
{
    return quick_parse_args(k, argc, argv, env, a, err, 200);
}

/* a's config through the real loader; 0 when it loaded. */
static int load(const quick_args_t *a, client_cfg_t *cfg)
{
    size_t len = 0;
    char *text = quick_cfg_toml(a, a->name ? a->name : "host-tcp-22", &len);
    if (!text) return -1;
    FILE *devnull = fopen("/dev/null", "w");
    int r = config_parse_client("quick", text, len, cfg, devnull);
    fclose(devnull);
    free(text);
    return r;
}

static void test_tcp_defaults(void)
{
    quick_args_t a;
    char err[200];
    CHECK_EQ_INT(parse(PROXY_TCP, ARGS("tcp", "22", "--server", "vps.example.com", "--token", "T"),
                       NULL, &a, err),
                 0);
    CHECK_EQ_STR(a.server_host, "vps.example.com");
    CHECK_EQ_INT(a.server_port, QUICK_DEFAULT_SERVER_PORT);
    client_cfg_t cfg;
    CHECK_EQ_INT(load(&a, &cfg), 0);
    CHECK_EQ_STR(cfg.server_addr, "vps.example.com");
    CHECK_EQ_INT(cfg.server_port, 7000);
    CHECK_EQ_STR(cfg.token, "T");
    CHECK(cfg.tls_enable);
    CHECK_EQ_INT(cfg.n_proxies, 1);
    CHECK_EQ_INT(cfg.proxies[0].kind, PROXY_TCP);
    CHECK_EQ_INT(cfg.proxies[0].local_port, 22);
    CHECK_EQ_STR(cfg.proxies[0].local_ip, "127.0.0.1");
    CHECK_EQ_INT(cfg.proxies[0].remote_port, 0);
    config_client_free(&cfg);
}

static void test_options(void)
{
    quick_args_t a;
    char err[200];
    CHECK_EQ_INT(parse(PROXY_UDP,
                       ARGS("udp", "-s", "[2001:db8::1]:7443", "192.168.1.5:53", "--remote-port",
                            "5353", "--user", "alice", "--name", "dns", "--fingerprint",
                            "sha256:"
                            "00112233445566778899aabbccddeeff"
                            "00112233445566778899aabbccddeeff"),
                       "ENVTOKEN", &a, err),
                 0);
    CHECK_EQ_STR(a.server_host, "2001:db8::1");
    CHECK_EQ_INT(a.server_port, 7443);
    client_cfg_t cfg;
    CHECK_EQ_INT(load(&a, &cfg), 0);
    CHECK_EQ_STR(cfg.token, "ENVTOKEN"); /* $BURROW_TOKEN without --token */
    CHECK_EQ_STR(cfg.user, "alice");
    CHECK(cfg.tls_server_fingerprint != NULL);
    CHECK_EQ_STR(cfg.proxies[0].name, "dns");
    CHECK_EQ_INT(cfg.proxies[0].kind, PROXY_UDP);
    CHECK_EQ_STR(cfg.proxies[0].local_ip, "192.168.1.5");
    CHECK_EQ_INT(cfg.proxies[0].local_port, 53);
    CHECK_EQ_INT(cfg.proxies[0].remote_port, 5353);
    config_client_free(&cfg);

    CHECK_EQ_INT(parse(PROXY_HTTP,
                       ARGS("http", "8080", "-s", "h:1", "-t", "T", "--domain", "a.example",
                            "--domain", "b.example", "--subdomain", "blog", "--no-tls"),
                       NULL, &a, err),
                 0);
    CHECK_EQ_INT(load(&a, &cfg), 0);
    CHECK(!cfg.tls_enable);
    CHECK_EQ_INT(cfg.proxies[0].kind, PROXY_HTTP);
    CHECK_EQ_INT(cfg.proxies[0].custom_domains.n, 2);
    CHECK_EQ_STR(cfg.proxies[0].custom_domains.v[1], "b.example");
    CHECK_EQ_STR(cfg.proxies[0].subdomain, "blog");
    config_client_free(&cfg);
}

/* A token with quotes, a newline and TOML of its own is one string. */
static void test_token_escaped(void)
{
    quick_args_t a;
    char err[200];
    const char *tok = "a\"b\\c\nserverPort = 1\n[[proxies]]\tx";
    CHECK_EQ_INT(parse(PROXY_TCP, ARGS("tcp", "22", "-s", "h", "-t", (char *)tok), NULL, &a, err),
                 0);
    client_cfg_t cfg;
    CHECK_EQ_INT(load(&a, &cfg), 0);
    CHECK_EQ_STR(cfg.token, tok);
    CHECK_EQ_INT(cfg.server_port, 7000);
    CHECK_EQ_INT(cfg.n_proxies, 1);
    config_client_free(&cfg);
}

static void test_refused(void)
{
    quick_args_t a;
    char err[200];
    const struct {
        proxy_kind_t k;
        int argc;
        char **argv;
        const char *env, *want; /* a word of the message */
    } cases[] = {
        {PROXY_TCP, 4, (char *[]){"tcp", "22", "-t", "T", NULL}, NULL, "--server"},
        {PROXY_TCP, 4, (char *[]){"tcp", "22", "-s", "h", NULL}, NULL, "--token"},
        {PROXY_TCP, 4, (char *[]){"tcp", "22", "-s", "h", NULL}, "", "--token"},
        {PROXY_TCP, 5, (char *[]){"tcp", "-s", "h", "-t", "T", NULL}, NULL, "local port"},
        {PROXY_TCP, 6, (char *[]){"tcp", "22", "-s", "h:0", "-t", "T", NULL}, NULL, "1..65535"},
        {PROXY_TCP, 6, (char *[]){"tcp", "22", "-s", "::1", "-t", "T", NULL}, NULL, "[ADDR]"},
        {PROXY_TCP, 6, (char *[]){"tcp", "22", "-s", ":7000", "-t", "T", NULL}, NULL, "no host"},
        {PROXY_TCP, 8, (char *[]){"tcp", "22", "-s", "h", "-t", "T", "--remote-port", "x", NULL},
         NULL, "--remote-port"},
        {PROXY_TCP, 8, (char *[]){"tcp", "22", "-s", "h", "-t", "T", "--domain", "d", NULL}, NULL,
         "for http"},
        {PROXY_HTTP, 6, (char *[]){"http", "80", "-s", "h", "-t", "T", NULL}, NULL, "--domain"},
        {PROXY_HTTP, 10,
         (char *[]){"http", "80", "-s", "h", "-t", "T", "--subdomain", "x", "--remote-port", "1",
                    NULL},
         NULL, "vhostHTTPPort"},
        {PROXY_TCP, 7, (char *[]){"tcp", "22", "-s", "h", "-t", "T", "--bogus", NULL}, NULL,
         "--bogus"},
        {PROXY_TCP, 7, (char *[]){"tcp", "22", "23", "-s", "h", "-t", "T", NULL}, NULL, "23"},
        {PROXY_TCP, 9, (char *[]){"tcp", "22", "-s", "h", "-t", "T", "--no-tls", "--ca", "f", NULL},
         NULL, "--no-tls"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int r = parse(cases[i].k, cases[i].argv, cases[i].argc, cases[i].env, &a, err);
        CHECK_EQ_INT(r, -1);
        if (!strstr(err, cases[i].want))
            fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, err, cases[i].want);
        CHECK(strstr(err, cases[i].want) != NULL);
    }
    CHECK_EQ_INT(parse(PROXY_TCP, ARGS("tcp", "--help"), NULL, &a, err), 1);
}

/* The loader's own checks still apply to what the options carried. */
static void test_loader_checks(void)
{
    quick_args_t a;
    char err[200];
    client_cfg_t cfg;
    CHECK_EQ_INT(parse(PROXY_TCP, ARGS("tcp", "70000", "-s", "h", "-t", "T"), NULL, &a, err), 0);
    CHECK(load(&a, &cfg) != 0);
    CHECK_EQ_INT(parse(PROXY_TCP, ARGS("tcp", "ssh", "-s", "h", "-t", "T"), NULL, &a, err), 0);
    CHECK(load(&a, &cfg) != 0);
    CHECK_EQ_INT(parse(PROXY_TCP, ARGS("tcp", "22", "-s", "h", "-t", "T", "--fingerprint", "zz"),
                       NULL, &a, err),
                 0);
    CHECK(load(&a, &cfg) != 0);
}

static void test_default_name(void)
{
    quick_args_t a = {.kind = PROXY_TCP, .local = "10.0.0.2:22"};
    char buf[96];
    quick_default_name(&a, "my host!", buf, sizeof buf);
    CHECK_EQ_STR(buf, "my-host--tcp-22");
    a.kind = PROXY_HTTP;
    a.local = "8080";
    quick_default_name(&a, "", buf, sizeof buf);
    CHECK_EQ_STR(buf, "burrow-http-8080");
}

int main(void)
{
    RUN(test_tcp_defaults);
    RUN(test_options);
    RUN(test_token_escaped);
    RUN(test_refused);
    RUN(test_loader_checks);
    RUN(test_default_name);
    return TEST_SUMMARY();
}
