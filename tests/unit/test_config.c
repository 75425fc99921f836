/* test_config: frps.toml / frpc.toml loading — values, defaults, both key
 * spellings, allowPorts, env templates, every diagnostic class with its
 * file:line text, frp keys burrow ignores, and the example configs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_range.h"
#include "config/config_shape.h"
#include "testlib.h"
#include "util/log.h"

/* Diagnostics of the last parse, as one string. */
static char *g_diag;

static void diag_reset(void)
{
    free(g_diag);
    g_diag = NULL;
}

static FILE *diag_open(void)
{
    static size_t len;
    diag_reset();
    return open_memstream(&g_diag, &len);
}

static int server(const char *text, server_cfg_t *cfg)
{
    FILE *f = diag_open();
    int rc = config_parse_server("frps.toml", text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static int client(const char *text, client_cfg_t *cfg)
{
    FILE *f = diag_open();
    int rc = config_parse_client("frpc.toml", text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static int diag_lines(void)
{
    int n = 0;
    for (const char *p = g_diag; p && *p; p++)
        n += *p == '\n';
    return n;
}

static bool diag_has(const char *line)
{
    if (g_diag && strstr(g_diag, line)) return true;
    fprintf(stderr, "  missing diagnostic: %s\n  got:\n%s", line, g_diag ? g_diag : "");
    return false;
}

/* Expects the client text to fail with exactly `lines` diagnostics, one of them `want`. */
static void client_fails(const char *text, const char *want, int lines)
{
    client_cfg_t cfg;
    CHECK_EQ_INT(client(text, &cfg), -1);
    CHECK(diag_has(want));
    CHECK_EQ_INT(diag_lines(), lines);
    CHECK(cfg.proxies == NULL && cfg.server_addr == NULL);
    config_client_free(&cfg);
}

static void server_fails(const char *text, const char *want, int lines)
{
    server_cfg_t cfg;
    CHECK_EQ_INT(server(text, &cfg), -1);
    CHECK(diag_has(want));
    CHECK_EQ_INT(diag_lines(), lines);
    config_server_free(&cfg);
}

static const char full_frps[] = "# frps.toml in frp's documented style\n"
                                "bindAddr = \"0.0.0.0\"\n"
                                "bindPort = 7001\n"
                                "proxyBindAddr = \"10.0.0.1\"\n"
                                "\n"
                                "auth.method = \"token\"\n"
                                "auth.token = \"s3cret\"\n"
                                "\n"
                                "allowPorts = [\n"
                                "  { start = 2000, end = 3000 },\n"
                                "  { single = 3001 },\n"
                                "  { single = 3003 },\n"
                                "  { start = 4000, end = 50000 }\n"
                                "]\n"
                                "maxPortsPerClient = 8\n"
                                "\n"
                                "transport.tls.certFile = \"/etc/burrow/server.crt\"\n"
                                "transport.tls.keyFile = \"/etc/burrow/server.key\"\n"
                                "transport.tls.force = true\n"
                                "transport.heartbeatTimeout = 60\n"
                                "transport.maxPoolCount = 10\n"
                                "\n"
                                "log.to = \"/var/log/frps.log\"\n"
                                "log.level = \"debug\"\n";

static void test_full_server(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server(full_frps, &s), 0);
    CHECK_EQ_STR(g_diag, "");
    CHECK_EQ_STR(s.bind_addr, "0.0.0.0");
    CHECK_EQ_INT(s.bind_port, 7001);
    CHECK_EQ_STR(s.proxy_bind_addr, "10.0.0.1");
    CHECK_EQ_STR(s.token, "s3cret");
    CHECK_EQ_INT(s.n_allow_ports, 4);
    CHECK_EQ_INT(s.allow_ports[0].start, 2000);
    CHECK_EQ_INT(s.allow_ports[0].end, 3000);
    CHECK_EQ_INT(s.allow_ports[1].start, 3001);
    CHECK_EQ_INT(s.allow_ports[1].end, 3001);
    CHECK_EQ_INT(s.allow_ports[3].end, 50000);
    CHECK_EQ_INT(s.max_ports_per_client, 8);
    CHECK_EQ_STR(s.tls_cert_file, "/etc/burrow/server.crt");
    CHECK_EQ_STR(s.tls_key_file, "/etc/burrow/server.key");
    CHECK(s.tls_force);
    CHECK_EQ_INT(s.heartbeat_timeout, 60);
    CHECK_EQ_INT(s.max_pool_count, 10);
    CHECK_EQ_STR(s.log.to, "/var/log/frps.log");
    CHECK_EQ_INT(s.log.level, LOG_DEBUG);
    config_server_free(&s);
    CHECK(s.bind_addr == NULL && s.allow_ports == NULL);
}

static const char full_frpc[] =
    "# frpc.toml in frp's documented style\n"
    "serverAddr = \"frps.example.com\"\n"
    "serverPort = 7001\n"
    "user = \"alice\"\n"
    "loginFailExit = true\n"
    "\n"
    "auth.method = \"token\"\n"
    "auth.token = \"s3cret\"\n"
    "\n"
    "transport.poolCount = 3\n"
    "transport.heartbeatInterval = 10\n"
    "transport.heartbeatTimeout = 40\n"
    "transport.tls.enable = false\n"
    "transport.tls.trustedCaFile = \"/etc/burrow/ca.crt\"\n"
    "transport.tls.serverName = \"tunnel.example.com\"\n"
    "transport.tls.serverFingerprint = "
    "\"sha256:00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\"\n"
    "\n"
    "log.to = \"/tmp/frpc.log\"\n"
    "log.level = \"warn\"\n"
    "\n"
    "[[proxies]]\n"
    "name = \"ssh\"\n"
    "type = \"tcp\"\n"
    "localIP = \"192.168.1.10\"\n"
    "localPort = 22\n"
    "remotePort = 6000\n"
    "\n"
    "[[proxies]]\n"
    "name = \"dns\"\n"
    "type = \"udp\"\n"
    "localPort = 53\n";

static void test_full_client(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client(full_frpc, &c), 0);
    CHECK_EQ_STR(g_diag, "");
    CHECK_EQ_STR(c.server_addr, "frps.example.com");
    CHECK_EQ_INT(c.server_port, 7001);
    CHECK_EQ_STR(c.user, "alice");
    CHECK(c.login_fail_exit);
    CHECK_EQ_STR(c.token, "s3cret");
    CHECK_EQ_INT(c.pool_count, 3);
    CHECK_EQ_INT(c.heartbeat_interval, 10);
    CHECK_EQ_INT(c.heartbeat_timeout, 40);
    CHECK(!c.tls_enable);
    CHECK_EQ_STR(c.tls_trusted_ca_file, "/etc/burrow/ca.crt");
    CHECK_EQ_STR(c.tls_server_name, "tunnel.example.com");
    CHECK_EQ_STR(c.tls_server_fingerprint,
                 "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    CHECK_EQ_STR(c.log.to, "/tmp/frpc.log");
    CHECK_EQ_INT(c.log.level, LOG_WARN);
    CHECK_EQ_INT(c.n_proxies, 2);
    if (c.n_proxies == 2) {
        CHECK_EQ_STR(c.proxies[0].name, "ssh");
        CHECK_EQ_INT(c.proxies[0].kind, PROXY_TCP);
        CHECK_EQ_STR(c.proxies[0].local_ip, "192.168.1.10");
        CHECK_EQ_INT(c.proxies[0].local_port, 22);
        CHECK_EQ_INT(c.proxies[0].remote_port, 6000);
        CHECK_EQ_INT(c.proxies[0].line, 21);
        CHECK_EQ_STR(c.proxies[1].name, "dns");
        CHECK_EQ_INT(c.proxies[1].kind, PROXY_UDP);
        CHECK_EQ_STR(c.proxies[1].local_ip, "127.0.0.1");
        CHECK_EQ_INT(c.proxies[1].local_port, 53);
        CHECK_EQ_INT(c.proxies[1].remote_port, 0);
        CHECK_EQ_INT(c.proxies[1].line, 28);
    }
    config_client_free(&c);
}

static void test_defaults(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("", &s), 0);
    CHECK_EQ_STR(s.bind_addr, "0.0.0.0");
    CHECK_EQ_INT(s.bind_port, 7000);
    CHECK_EQ_STR(s.proxy_bind_addr, "0.0.0.0");
    CHECK_EQ_STR(s.token, "");
    CHECK_EQ_INT(s.n_allow_ports, 0);
    CHECK_EQ_INT(s.max_ports_per_client, 0);
    CHECK(s.tls_cert_file == NULL && s.tls_key_file == NULL && !s.tls_force);
    CHECK_EQ_INT(s.heartbeat_timeout, 90);
    CHECK_EQ_INT(s.max_pool_count, 5);
    CHECK_EQ_STR(s.log.to, "console");
    CHECK_EQ_INT(s.log.level, LOG_INFO);
    config_server_free(&s);

    CHECK_EQ_INT(server("bindAddr = \"10.1.2.3\"\n", &s), 0);
    CHECK_EQ_STR(s.proxy_bind_addr, "10.1.2.3");
    config_server_free(&s);

    client_cfg_t c;
    CHECK_EQ_INT(client("", &c), 0);
    CHECK_EQ_STR(g_diag, "");
    CHECK_EQ_STR(c.server_addr, "127.0.0.1");
    CHECK_EQ_INT(c.server_port, 7000);
    CHECK_EQ_STR(c.token, "");
    CHECK_EQ_STR(c.user, "");
    CHECK(!c.login_fail_exit);
    CHECK_EQ_INT(c.pool_count, 1);
    CHECK(c.tls_enable);
    CHECK(c.tls_trusted_ca_file == NULL && c.tls_server_fingerprint == NULL);
    CHECK_EQ_STR(c.tls_server_name, "127.0.0.1");
    CHECK_EQ_INT(c.heartbeat_interval, 30);
    CHECK_EQ_INT(c.heartbeat_timeout, 90);
    CHECK_EQ_STR(c.log.to, "console");
    CHECK_EQ_INT(c.log.level, LOG_INFO);
    CHECK_EQ_INT(c.n_proxies, 0);
    config_client_free(&c);

    CHECK_EQ_INT(client("serverAddr = \"vps.example.net\"\n", &c), 0);
    CHECK_EQ_STR(c.tls_server_name, "vps.example.net");
    config_client_free(&c);
}

static void test_dotted_and_table_forms(void)
{
    static const char dotted[] = "auth.token = \"t\"\n"
                                 "transport.tls.force = true\n"
                                 "transport.heartbeatTimeout = 12\n"
                                 "log.level = \"error\"\n";
    static const char tables[] = "[auth]\n"
                                 "token = \"t\"\n"
                                 "[transport]\n"
                                 "heartbeatTimeout = 12\n"
                                 "[transport.tls]\n"
                                 "force = true\n"
                                 "[log]\n"
                                 "level = \"error\"\n";
    static const char mixed[] = "[transport]\n"
                                "tls.force = true\n"
                                "heartbeatTimeout = 12\n"
                                "[auth]\n"
                                "token = \"t\"\n"
                                "[log]\n"
                                "level = \"error\"\n";
    const char *forms[] = {dotted, tables, mixed};
    for (int i = 0; i < 3; i++) {
        server_cfg_t s;
        CHECK_EQ_INT(server(forms[i], &s), 0);
        CHECK_EQ_STR(g_diag, "");
        CHECK_EQ_STR(s.token, "t");
        CHECK(s.tls_force);
        CHECK_EQ_INT(s.heartbeat_timeout, 12);
        CHECK_EQ_INT(s.log.level, LOG_ERROR);
        config_server_free(&s);
    }
    /* Unknown keys inside a table are named by their full path and line. */
    server_cfg_t s;
    CHECK_EQ_INT(server("[transport.tls]\nforce = true\nbogus = 1\n", &s), 0);
    CHECK(diag_has("frps.toml:3: warning: unknown key 'transport.tls.bogus'\n"));
    config_server_free(&s);
}

static void test_allow_ports(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("allowPorts = [{ start = 2000, end = 3000 }, { single = 3001 }]\n", &s), 0);
    CHECK_EQ_INT(s.n_allow_ports, 2);
    CHECK(!config_port_allowed(&s, 1999));
    CHECK(config_port_allowed(&s, 2000));
    CHECK(config_port_allowed(&s, 2500));
    CHECK(config_port_allowed(&s, 3000));
    CHECK(config_port_allowed(&s, 3001));
    CHECK(!config_port_allowed(&s, 3002));
    CHECK(!config_port_allowed(&s, 80));
    config_server_free(&s);

    CHECK_EQ_INT(server("[[allowPorts]]\nstart = 10\nend = 20\n", &s), 0);
    CHECK_EQ_INT(s.n_allow_ports, 1);
    CHECK(config_port_allowed(&s, 15) && !config_port_allowed(&s, 21));
    config_server_free(&s);

    CHECK_EQ_INT(server("allowPorts = []\n", &s), 0);
    CHECK(config_port_allowed(&s, 1) && config_port_allowed(&s, 65535));
    config_server_free(&s);

    server_cfg_t zero;
    memset(&zero, 0, sizeof zero);
    CHECK(config_port_allowed(&zero, 1234));

    server_fails("allowPorts = [{ start = 3000, end = 2000 }]\n",
                 "frps.toml:1: error: key 'allowPorts[0]': start 3000 is greater than end 2000\n",
                 1);
    server_fails("allowPorts = [\n  { single = 1 },\n  { start = 5 },\n]\n",
                 "frps.toml:3: error: missing required key 'allowPorts[1].end'\n", 1);
    server_fails("allowPorts = [{ single = 70000 }]\n",
                 "frps.toml:1: error: key 'allowPorts[0].single': 70000 is out of range 1..65535\n",
                 1);
    server_fails("allowPorts = [2000]\n",
                 "frps.toml:1: error: key 'allowPorts[0]': expected a table, got an integer\n", 1);
    server_fails("allowPorts = \"2000-3000\"\n",
                 "frps.toml:1: error: key 'allowPorts': expected an array, got a string\n", 1);
    server_fails("allowPorts = [{ single = 1, start = 1, end = 2 }]\n",
                 "frps.toml:1: error: key 'allowPorts[0]': give either 'single' or 'start' and "
                 "'end', not both\n",
                 1);
    server_fails("allowPorts = [{}]\n",
                 "frps.toml:1: error: key 'allowPorts[0]': expected 'single' or 'start' and "
                 "'end'\n",
                 1);
}

static void test_users(void)
{
    static const char text[] = "auth.token = \"shared\"\n"
                               "allowPorts = [{ start = 6000, end = 6100 }]\n"
                               "\n"
                               "[[users]]\n"
                               "name = \"alice\"\n"
                               "token = \"a-secret\"\n"
                               "allowPorts = [{ start = 6010, end = 6019 }, { single = 7001 }]\n"
                               "domains = [\"alice.example.com\", \"*.alice.example.org\"]\n"
                               "subdomains = [\"nas\", \"cam\"]\n"
                               "maxProxies = 3\n"
                               "\n"
                               "[[users]]\n"
                               "name = \"bob\"\n"
                               "token = \"b-secret\"\n";
    server_cfg_t s;
    CHECK_EQ_INT(server(text, &s), 0);
    CHECK_EQ_STR(g_diag, "");
    CHECK_EQ_INT(s.n_users, 2);
    if (s.n_users == 2) {
        const user_cfg_t *a = &s.users[0], *b = &s.users[1];
        CHECK_EQ_STR(a->name, "alice");
        CHECK_EQ_STR(a->token, "a-secret");
        CHECK_EQ_INT(a->line, 4);
        CHECK_EQ_INT(a->n_allow_ports, 2);
        CHECK(config_user_port_allowed(&s, a, 6015) && config_user_port_allowed(&s, a, 7001));
        CHECK(!config_user_port_allowed(&s, a, 6000)); /* the server's, not alice's */
        CHECK(a->has_domains && a->domains.n == 2);
        CHECK(!a->subdomains_any && a->subdomains.n == 2);
        CHECK_EQ_STR(a->subdomains.v[1], "cam");
        CHECK_EQ_INT(a->max_proxies, 3);
        /* Defaults: the server's ports, any exact domain, any subdomain. */
        CHECK_EQ_STR(b->name, "bob");
        CHECK(b->n_allow_ports == 0 && config_user_port_allowed(&s, b, 6000));
        CHECK(!config_user_port_allowed(&s, b, 5999));
        CHECK(!b->has_domains && b->subdomains_any && b->max_proxies == 0);
        CHECK(config_find_user(&s, "bob") == b && config_find_user(&s, "carol") == NULL);
    }
    config_server_free(&s);

    CHECK_EQ_INT(server("[[users]]\nname = \"u\"\ntoken = \"t\"\nsubdomains = false\n", &s), 0);
    CHECK(s.n_users == 1 && !s.users[0].subdomains_any && s.users[0].subdomains.n == 0);
    config_server_free(&s);

    server_fails("[[users]]\nname = \"u\"\n",
                 "frps.toml:1: error: key 'users[0].token': every user needs its own non-empty "
                 "token\n",
                 1);
    server_fails("[[users]]\ntoken = \"t\"\n",
                 "frps.toml:1: error: missing required key "
                 "'users[0].name'\n",
                 1);
    server_fails("[[users]]\nname = \"a b\"\ntoken = \"t\"\n",
                 "frps.toml:1: error: key 'users[0].name': 'a b' is not 1..64 printable ASCII "
                 "characters\n",
                 1);
    server_fails("[[users]]\nname = \"u\"\ntoken = \"t\"\n[[users]]\nname = \"u\"\ntoken = "
                 "\"t2\"\n",
                 "frps.toml:4: error: key 'users[1].name': duplicate user 'u' (first at line 1)\n",
                 1);
    server_fails("[[users]]\nname = \"u\"\ntoken = \"t\"\ndomains = [\"a.*.com\"]\n",
                 "frps.toml:1: error: key 'users[0].domains[0]': 'a.*.com' is not a name or "
                 "'*.suffix'\n",
                 1);
    server_fails("[[users]]\nname = \"u\"\ntoken = \"t\"\nsubdomains = \"nas\"\n",
                 "frps.toml:4: error: key 'users[0].subdomains': expected a boolean or an array "
                 "of names, got a string\n",
                 1);
    server_fails("[[users]]\nname = \"u\"\ntoken = \"t\"\nallowPorts = [{ start = 9, end = 8 "
                 "}]\n",
                 "frps.toml:4: error: key 'users[0].allowPorts[0]': start 9 is greater than end "
                 "8\n",
                 1);
    server_fails(
        "[[users]]\nname = \"u\"\ntoken = \"t\"\nmaxProxies = -1\n",
        "frps.toml:4: error: key 'users[0].maxProxies': -1 is out of range 0..2147483647\n", 1);
    /* Unknown keys in a user warn with their line, like anywhere else. */
    CHECK_EQ_INT(server("[[users]]\nname = \"u\"\ntoken = \"t\"\ncolour = 1\n", &s), 0);
    CHECK(diag_has("frps.toml:4: warning: unknown key 'users[0].colour'\n"));
    config_server_free(&s);
}

/* No token and no users: the server must not start unless told it is open. */
static void test_open_server_refused(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("bindPort = 7000\n", &s), 0);
    FILE *f = diag_open();
    CHECK_EQ_INT(config_check_server_auth(&s, "frps.toml", f), -1);
    fclose(f);
    CHECK(diag_has("frps.toml: error: no 'auth.token' and no [[users]]"));
    CHECK(diag_has("'auth.allowOpen = true'"));
    config_server_free(&s);

    static const char *const ok[] = {
        "auth.token = \"t\"\n",
        "[[users]]\nname = \"u\"\ntoken = \"t\"\n",
        "auth.allowOpen = true\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK_EQ_INT(server(ok[i], &s), 0);
        CHECK_EQ_INT(config_check_server_auth(&s, "frps.toml", stderr), 0);
        config_server_free(&s);
    }
    CHECK_EQ_INT(server("auth.allowOpen = true\n", &s), 0);
    CHECK(s.allow_open);
    config_server_free(&s);
    /* An empty token (say an unset {{ .Envs.X }}) is no token. */
    CHECK_EQ_INT(server("auth.token = \"\"\n", &s), 0);
    f = diag_open();
    CHECK_EQ_INT(config_check_server_auth(&s, "frps.toml", f), -1);
    fclose(f);
    config_server_free(&s);
}

static void test_env_templates(void)
{
    setenv("BURROW_TEST_TOKEN", "from-env", 1);
    setenv("BURROW_TEST_PORT", "7443", 1);
    unsetenv("BURROW_TEST_UNSET");

    size_t n = 0;
    static const char in[] = "a={{ .Envs.BURROW_TEST_TOKEN }} b={{.Envs.BURROW_TEST_PORT}} "
                             "c=[{{   .Envs.BURROW_TEST_UNSET\t}}] d={{ .Envs.X } e={{ .Other }} "
                             "f={{ .Envs. }}\n{{";
    char *out = config_expand_env(in, strlen(in), &n);
    CHECK_EQ_STR(out, "a=from-env b=7443 c=[] d={{ .Envs.X } e={{ .Other }} f={{ .Envs. }}\n{{");
    CHECK_EQ_INT(n, out ? strlen(out) : 0);
    free(out);

    out = config_expand_env("", 0, &n);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(n, 0);
    free(out);

    client_cfg_t c;
    CHECK_EQ_INT(client("serverPort = {{ .Envs.BURROW_TEST_PORT }}\n"
                        "auth.token = \"{{ .Envs.BURROW_TEST_TOKEN }}\"\n"
                        "# user = \"{{ .Envs.BURROW_TEST_UNSET }}\"\n",
                        &c),
                 0);
    CHECK_EQ_INT(c.server_port, 7443);
    CHECK_EQ_STR(c.token, "from-env");
    CHECK_EQ_STR(c.user, "");
    config_client_free(&c);
    /* Outside a comment, an unset variable is an error (test_config_safety). */
    CHECK_EQ_INT(client("user = \"{{ .Envs.BURROW_TEST_UNSET }}\"\n", &c), -1);
}

/* frp's documented template for many proxies, expanded before TOML parsing;
 * diagnostics inside the body point at the file's lines. */
static void test_range_template(void)
{
    client_cfg_t c;
    static const char pair[] =
        "serverAddr = \"10.0.0.1\"\n"
        "{{- range $_, $v := parseNumberRangePair \"30000-30002,30005\" \"40000-40003\" }}\n"
        "[[proxies]]\n"
        "name = \"ftp-{{ $v.First }}\"\n"
        "type = \"tcp\"\n"
        "localPort = {{ $v.First }}\n"
        "remotePort = {{- $v.Second -}}\n"
        "{{- end }}\n"
        "[[proxies]]\n"
        "name = \"after\"\n"
        "type = \"udp\"\n"
        "localPort = 53\n";
    CHECK_EQ_INT(client(pair, &c), 0);
    CHECK_EQ_STR(g_diag, "");
    CHECK_EQ_INT(c.n_proxies, 5);
    if (c.n_proxies == 5) {
        CHECK_EQ_STR(c.proxies[0].name, "ftp-30000");
        CHECK_EQ_INT(c.proxies[0].local_port, 30000);
        CHECK_EQ_INT(c.proxies[0].remote_port, 40000);
        CHECK_EQ_STR(c.proxies[3].name, "ftp-30005");
        CHECK_EQ_INT(c.proxies[3].local_port, 30005);
        CHECK_EQ_INT(c.proxies[3].remote_port, 40003);
        CHECK_EQ_STR(c.proxies[4].name, "after");
        /* Each names the whole range for the server's allowPorts check. */
        CHECK_EQ_STR(c.proxies[0].remote_range, "40000-40003");
        CHECK_EQ_STR(c.proxies[3].remote_range, "40000-40003");
        CHECK(c.proxies[4].remote_range == NULL);
    }
    config_client_free(&c);

    CHECK_EQ_INT(client("{{ range $i, $p := parseNumberRange \"7000-7001\" }}\n"
                        "[[proxies]]\n"
                        "name = \"p{{ $i }}\"\n"
                        "type = \"udp\"\n"
                        "localPort = {{ $p }}\n"
                        "{{ end }}\n",
                        &c),
                 0);
    CHECK_EQ_INT(c.n_proxies, 2);
    if (c.n_proxies == 2) {
        CHECK_EQ_STR(c.proxies[1].name, "p1");
        CHECK_EQ_INT(c.proxies[1].local_port, 7001);
    }
    config_client_free(&c);

    /* An error in the body: the file's line (6), reported once per copy. */
    client_fails("\n"
                 "{{- range $_, $v := parseNumberRangePair \"1-2\" \"3-4\" }}\n"
                 "[[proxies]]\n"
                 "name = \"x{{ $v.First }}\"\n"
                 "type = \"tcp\"\n"
                 "localPort = \"no\"\n"
                 "{{- end }}\n",
                 "frpc.toml:6: error: key 'proxies[0].localPort': bad port range \"no\"", 2);
    /* A TOML syntax error after a block: the file's line too. */
    client_fails("{{ range $_, $v := parseNumberRangePair \"1-3\" \"1-3\" }}\n"
                 "[[proxies]]\n"
                 "name = \"x{{ $v.First }}\"\n"
                 "type = \"tcp\"\n"
                 "localPort = {{ $v.First }}\n"
                 "{{ end }}\n"
                 "oops = \n",
                 "frpc.toml:7:", 1);
}

static void test_range_template_errors(void)
{
    client_fails("{{ range $_, $v := until 5 }}\n{{ end }}\n",
                 "frpc.toml:1: error: range: only parseNumberRange and parseNumberRangePair are "
                 "supported",
                 1);
    client_fails("\n{{ range $_, $v := parseNumberRangePair \"1-3\" \"1-2\" }}\n{{ end }}\n",
                 "frpc.toml:2: error: parseNumberRangePair: the two ranges differ in length", 1);
    client_fails("{{ range $_, $v := parseNumberRange \"1-1025\" }}\n{{ end }}\n",
                 "frpc.toml:1: error: range \"1-1025\" holds more than CONFIG_RANGE_MAX (1024) "
                 "numbers",
                 1);
    client_fails("{{ range $_, $v := parseNumberRange \"5-3\" }}\n{{ end }}\n",
                 "frpc.toml:1: error: bad number range \"5-3\"", 1);
    client_fails("{{ range $_, $v := parseNumberRange \"1-3\" }}\nuser = \"a\"\n",
                 "frpc.toml:1: error: range without {{ end }}", 1);
    client_fails("{{ range $_, $v := parseNumberRange \"1-3\" }}\n"
                 "{{ range $_, $w := parseNumberRange \"1-3\" }}\n{{ end }}\n{{ end }}\n",
                 "frpc.toml:2: error: nested range blocks are not supported", 1);
    client_fails("{{ range $_, $v := parseNumberRange \"1-3\" }}\n"
                 "\n\nuser = \"{{ $v.First }}\"\n{{ end }}\n",
                 "frpc.toml:4: error: unsupported template construct '{{ $v.First }}'", 1);
    client_fails("user = \"a\"\n{{ if .Envs.X }}\n",
                 "frpc.toml:2: error: unsupported template construct '{{ if .Envs.X }}'", 1);
    client_fails("user = \"{{ $v }}\"\n",
                 "frpc.toml:1: error: unsupported template construct '{{ $v }}'", 1);
    client_fails("{{ end }}\n", "frpc.toml:1: error: unsupported template construct '{{ end }}'",
                 1);
    client_fails("{{ range $_, $v := parseNumberRange \"1\" }} x\n{{ end }}\n",
                 "frpc.toml:1: error: range: expected }} and nothing after it on the line", 1);

    int ports[CONFIG_RANGE_MAX];
    CHECK_EQ_INT(config_parse_number_range("1-3, 7 ,9-9", 11, ports, CONFIG_RANGE_MAX), 5);
    CHECK_EQ_INT(ports[3], 7);
    CHECK_EQ_INT(config_parse_number_range("1-1024", 6, ports, CONFIG_RANGE_MAX), 1024);
    CHECK_EQ_INT(config_parse_number_range("1-1024,5", 8, ports, CONFIG_RANGE_MAX), -2);
    CHECK_EQ_INT(config_parse_number_range("0-3", 3, ports, CONFIG_RANGE_MAX), -1);
    CHECK_EQ_INT(config_parse_number_range("65536", 5, ports, CONFIG_RANGE_MAX), -1);
    CHECK_EQ_INT(config_parse_number_range("", 0, ports, CONFIG_RANGE_MAX), -1);
    CHECK_EQ_INT(config_parse_number_range("1,", 2, ports, CONFIG_RANGE_MAX), -1);
}

/* ftp = true: tcp only, not with a PROXY header. */
static void test_ftp_key(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(
        client("[[proxies]]\nname = \"f\"\ntype = \"tcp\"\nlocalPort = 21\nftp = true\n", &c), 0);
    CHECK(c.n_proxies == 1 && c.proxies[0].ftp);
    config_client_free(&c);
    client_fails("[[proxies]]\nname = \"f\"\ntype = \"udp\"\nlocalPort = 21\nftp = true\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': 'ftp' needs type tcp", 1);
    client_fails("[[proxies]]\nname = \"f\"\ntype = \"tcp\"\nlocalPort = 21\nftp = true\n"
                 "transport.proxyProtocolVersion = \"v2\"\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': 'ftp' and "
                 "transport.proxyProtocolVersion exclude each other",
                 1);
}

/* loadBalancer.* and healthCheck.* (config_lb.c): values, defaults, errors. */
static void test_lb_health_keys(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"w\"\ntype = \"http\"\nlocalPort = 80\n"
                        "customDomains = [\"a.example.com\"]\n"
                        "loadBalancer = { group = \"web\", groupKey = \"k1\" }\n"
                        "healthCheck.type = \"http\"\nhealthCheck.path = \"/status\"\n"
                        "healthCheck.httpHeaders = [{ name = \"Host\", value = \"x\" }]\n"
                        "[[proxies]]\nname = \"t\"\ntype = \"tcp\"\nlocalPort = 22\n"
                        "healthCheck = { type = \"tcp\", timeoutSeconds = 2, maxFailed = 3, "
                        "intervalSeconds = 1 }\n",
                        &c),
                 0);
    CHECK_EQ_STR(g_diag, "");
    if (c.n_proxies == 2) {
        const health_cfg_t *h = &c.proxies[0].health;
        CHECK_EQ_STR(c.proxies[0].lb_group, "web");
        CHECK_EQ_STR(c.proxies[0].lb_group_key, "k1");
        CHECK_EQ_INT(h->type, HEALTH_HTTP);
        CHECK_EQ_INT(h->timeout_s, HEALTH_TIMEOUT_DEFAULT);
        CHECK_EQ_INT(h->max_failed, HEALTH_MAX_FAILED_DEFAULT);
        CHECK_EQ_INT(h->interval_s, HEALTH_INTERVAL_DEFAULT);
        CHECK_EQ_STR(h->path, "/status");
        CHECK(h->headers.n == 1 && strcmp(h->headers.v[0].name, "Host") == 0);
        h = &c.proxies[1].health;
        CHECK(h->type == HEALTH_TCP && h->timeout_s == 2 && h->max_failed == 3 &&
              h->interval_s == 1);
        CHECK(c.proxies[1].health.path == NULL && c.proxies[1].lb_group == NULL);
    }
    config_client_free(&c);
#define P1 "[[proxies]]\nname = \"x\"\nlocalPort = 1\n"
    /* what frp ignores silently is dropped with a warning */
    CHECK_EQ_INT(client(P1 "type = \"udp\"\nloadBalancer.group = \"g\"\n"
                           "[[proxies]]\nname = \"y\"\nlocalPort = 1\ntype = \"tcp\"\n"
                           "loadBalancer.groupKey = \"k\"\nhealthCheck.intervalSeconds = 5\n",
                        &c),
                 0);
    CHECK(diag_has("frpc.toml:1: warning: proxy 'proxies[0]': loadBalancer needs type tcp or "
                   "http; ignored for type udp"));
    CHECK(diag_has("frpc.toml:6: warning: proxy 'proxies[1]': loadBalancer.groupKey without "
                   "loadBalancer.group; ignored"));
    CHECK(diag_has("warning: proxy 'proxies[1]': healthCheck keys without healthCheck.type"));
    CHECK_EQ_INT(diag_lines(), 3);
    if (c.n_proxies == 2)
        CHECK(!c.proxies[0].lb_group && !c.proxies[1].lb_group_key &&
              c.proxies[1].health.interval_s == 0);
    config_client_free(&c);
    client_fails("[[proxies]]\nname = \"x\"\ntype = \"tcp\"\nlocalPort = \"1-2\"\n"
                 "remotePort = \"6000-6001\"\nloadBalancer.group = \"g\"\n",
                 "loadBalancer cannot share a port range", 1);
    client_fails(P1 "type = \"tcp\"\nhealthCheck.type = \"icmp\"\n",
                 "healthCheck.type 'icmp' is not \"tcp\" or \"http\"", 1);
    client_fails(P1 "type = \"tcp\"\nhealthCheck.type = \"http\"\n",
                 "healthCheck.type \"http\" needs healthCheck.path starting with '/'", 1);
    client_fails(P1 "type = \"tcp\"\nhealthCheck.type = \"tcp\"\nhealthCheck.path = \"/\"\n",
                 "healthCheck.path and httpHeaders need healthCheck.type \"http\"", 1);
    client_fails(P1 "type = \"tcp\"\nhealthCheck.type = \"http\"\nhealthCheck.path = \"/\"\n"
                    "healthCheck.httpHeaders = [{ name = \"a b\", value = \"x\" }]\n",
                 "not a valid HTTP header name and value", 1);
    client_fails(P1 "type = \"tcp\"\nhealthCheck.type = \"http\"\nhealthCheck.path = \"/a\\tb\"\n",
                 "healthCheck.path holds a space or a control character", 1);
    client_fails(P1 "type = \"tcp\"\nhealthCheck.type = \"tcp\"\nhealthCheck.maxFailed = 0\n",
                 "healthCheck.maxFailed", 1);
    client_fails("[[proxies]]\nname = \"s\"\ntype = \"tcp\"\nremotePort = 6000\n"
                 "healthCheck.type = \"tcp\"\n[proxies.plugin]\ntype = \"socks5\"\n",
                 "healthCheck probes localIP:localPort, and a proxy with a plugin has none", 1);
#undef P1
}

/* burrow's plain range keys: one proxy per port, named name-<localPort>. */
static void test_range_keys(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\n"
                        "name = \"pasv\"\n"
                        "type = \"tcp\"\n"
                        "localPort = \"30000-30009\"\n"
                        "remotePort = \"40000-40009\"\n"
                        "[[proxies]]\n"
                        "name = \"dns\"\n"
                        "type = \"udp\"\n"
                        "localPort = \"5353,5355\"\n",
                        &c),
                 0);
    CHECK_EQ_STR(g_diag, "");
    CHECK_EQ_INT(c.n_proxies, 12);
    if (c.n_proxies == 12) {
        CHECK_EQ_STR(c.proxies[0].name, "pasv-30000");
        CHECK_EQ_INT(c.proxies[9].local_port, 30009);
        CHECK_EQ_INT(c.proxies[9].remote_port, 40009);
        CHECK_EQ_STR(c.proxies[11].name, "dns-5355");
        CHECK_EQ_INT(c.proxies[11].remote_port, 0);
        CHECK_EQ_STR(c.proxies[5].remote_range, "40000-40009");
        CHECK(c.proxies[11].remote_range == NULL); /* the server picks */
        CHECK(c.proxies[11].kind == PROXY_UDP);
    }
    config_client_free(&c);

    client_fails("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = \"1-3\"\n"
                 "remotePort = \"5-6\"\n",
                 "frpc.toml:5: error: proxy 'proxies[0]': a port range needs 'localPort' as a "
                 "range and 'remotePort' as a range of the same length (3 and 2 ports) or absent",
                 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = \"1-3\"\nremotePort = 9\n",
                 "frpc.toml:5: error: proxy 'proxies[0]': a port range needs", 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 1\nremotePort = \"1-2\"\n",
                 "frpc.toml:5: error: proxy 'proxies[0]': a port range needs", 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"http\"\nlocalPort = \"1-2\"\n"
                 "subdomain = \"x\"\n",
                 "frpc.toml:4: error: proxy 'proxies[0]': port ranges need type tcp or udp", 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = \"1-2000\"\n",
                 "frpc.toml:4: error: key 'proxies[0].localPort': range \"1-2000\" holds more "
                 "than 1024 ports",
                 1);
    /* Proxies of an inline array on one line are no range. */
    CHECK_EQ_INT(client("proxies = [{name = \"a\", type = \"tcp\", localPort = 1, remotePort = 7}, "
                        "{name = \"b\", type = \"tcp\", localPort = 2, remotePort = 8}]\n",
                        &c),
                 0);
    CHECK(c.n_proxies == 2 && c.proxies[0].remote_range == NULL &&
          c.proxies[1].remote_range == NULL);
    config_client_free(&c);
    /* A range copy's name may collide with another proxy's. */
    client_fails("[[proxies]]\nname = \"a-2\"\ntype = \"tcp\"\nlocalPort = 5\n"
                 "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = \"1-2\"\n",
                 "duplicate proxy name 'a-2' (first at line 1)", 1);
}

static void test_type_errors(void)
{
    server_fails("bindPort = \"7000\"\n",
                 "frps.toml:1: error: key 'bindPort': expected an integer, got a string\n", 1);
    server_fails("\ntransport.tls.force = \"true\"\n",
                 "frps.toml:2: error: key 'transport.tls.force': expected a boolean, got a "
                 "string\n",
                 1);
    server_fails("bindAddr = 0\n",
                 "frps.toml:1: error: key 'bindAddr': expected a string, got an integer\n", 1);
    server_fails("transport = 5\n",
                 "frps.toml:1: error: key 'transport': expected a table, got an integer\n", 1);
    server_fails("maxPortsPerClient = 1.5\n",
                 "frps.toml:1: error: key 'maxPortsPerClient': expected an integer, got a "
                 "float\n",
                 1);
    client_fails("proxies = \"ssh\"\n",
                 "frpc.toml:1: error: key 'proxies': expected an array, got a string\n", 1);
}

static void test_range_errors(void)
{
    server_fails("bindPort = 70000\n",
                 "frps.toml:1: error: key 'bindPort': 70000 is out of range 1..65535\n", 1);
    server_fails("bindPort = 0\n",
                 "frps.toml:1: error: key 'bindPort': 0 is out of range 1..65535\n", 1);
    server_fails("transport.heartbeatTimeout = 9999999999\n",
                 "frps.toml:1: error: key 'transport.heartbeatTimeout': 9999999999 is out of "
                 "range -2147483648..2147483647\n",
                 1);
    server_fails("maxPortsPerClient = -1\n",
                 "frps.toml:1: error: key 'maxPortsPerClient': -1 is out of range 0..2147483647\n",
                 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 1\n"
                 "[[proxies]]\nname = \"b\"\ntype = \"tcp\"\nlocalPort = 70000\n",
                 "frpc.toml:8: error: key 'proxies[1].localPort': 70000 is out of range 1..65535\n",
                 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"udp\"\nlocalPort = 1\nremotePort = -1\n",
                 "frpc.toml:5: error: key 'proxies[0].remotePort': -1 is out of range 0..65535\n",
                 1);
}

static void test_value_errors(void)
{
    server_fails("log.level = \"verbose\"\n",
                 "frps.toml:1: error: key 'log.level': unknown log level 'verbose' (expected "
                 "trace, debug, info, warn or error)\n",
                 1);
    server_fails("[auth]\nmethod = \"oidc\"\n",
                 "frps.toml:2: error: key 'auth.method': auth method 'oidc' is not supported "
                 "(burrow supports \"token\")\n",
                 1);
    client_fails("transport.tls.serverFingerprint = \"sha256:abcd\"\n",
                 "frpc.toml:1: error: key 'transport.tls.serverFingerprint': expected "
                 "\"sha256:\" followed by 64 hex digits\n",
                 1);
    client_fails("user = \"a\\u0000b\"\n",
                 "frpc.toml:1: error: key 'user': string contains a NUL character\n", 1);
}

static void test_proxy_errors(void)
{
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\n",
                 "frpc.toml:1: error: missing required key 'proxies[0].localPort'\n", 1);
    client_fails("[[proxies]]\ntype = \"tcp\"\nlocalPort = 22\n",
                 "frpc.toml:1: error: missing required key 'proxies[0].name'\n", 1);
    client_fails("[[proxies]]\nname = \"a\"\nlocalPort = 22\n",
                 "frpc.toml:1: error: missing required key 'proxies[0].type'\n", 1);
    client_fails("[[proxies]]\nname = \"a\"\ntype = \"sctp\"\nlocalPort = 22\n",
                 "frpc.toml:3: error: key 'proxies[0].type': unknown proxy type 'sctp' (expected "
                 "tcp, udp, http, https, stcp, sudp or xtcp)\n",
                 1);
    client_fails("[[proxies]]\nname = \"ssh\"\ntype = \"tcp\"\nlocalPort = 22\n\n"
                 "[[proxies]]\nname = \"ssh\"\ntype = \"udp\"\nlocalPort = 22\n",
                 "frpc.toml:6: error: key 'proxies[1].name': duplicate proxy name 'ssh' (first "
                 "at line 1)\n",
                 1);
    client_fails("[[proxies]]\nname = \"\"\ntype = \"tcp\"\nlocalPort = 22\n",
                 "frpc.toml:2: error: key 'proxies[0].name': proxy name must not be empty\n", 1);
    client_fails("[[proxies]]\nname = \"my ssh\"\ntype = \"tcp\"\nlocalPort = 22\n",
                 "frpc.toml:2: error: key 'proxies[0].name': invalid proxy name 'my ssh' "
                 "(allowed: A-Z a-z 0-9 . _ -)\n",
                 1);
    client_fails("proxies = [1]\n",
                 "frpc.toml:1: error: key 'proxies[0]': expected a table, got an integer\n", 1);

    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"web.v2_x-1\"\ntype = \"tcp\"\nlocalPort = 80\n", &c),
                 0);
    CHECK_EQ_STR(c.proxies[0].name, "web.v2_x-1");
    config_client_free(&c);
}

/* [[wakeOnLan]] entries and a proxy's wakeOnLan: the entry's MAC, interface
 * and password are copied into the proxy (normalised MAC). */
static void test_wake_on_lan(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"pc\"\ntype = \"tcp\"\nlocalPort = 22\n"
                        "wakeOnLan = \"desk\"\n\n"
                        "[[wakeOnLan]]\nname = \"desk\"\nmac = \"AA-BB-CC-DD-EE-F0\"\n"
                        "interface = \"eth1\"\npassword = \"1.2.3.4\"\n",
                        &c),
                 0);
    CHECK_EQ_INT(c.n_wols, 1);
    CHECK_EQ_STR(c.wols[0].mac, "aa:bb:cc:dd:ee:f0");
    CHECK_EQ_STR(c.proxies[0].wake_mac, "aa:bb:cc:dd:ee:f0");
    CHECK_EQ_STR(c.proxies[0].wake_interface, "eth1");
    CHECK_EQ_STR(c.proxies[0].wake_password, "1.2.3.4");
    CHECK_EQ_INT(c.proxies[0].wake_timeout, WAKE_TIMEOUT_DEFAULT);
    CHECK(config_find_wol(&c, "desk") == &c.wols[0]);
    CHECK(config_find_wol(&c, "nas") == NULL);
    config_client_free(&c);
    client_fails("[[wakeOnLan]]\nname = \"a\"\nmac = \"aa:bb:cc:dd:ee\"\n",
                 "frpc.toml:3: error: key 'wakeOnLan[0].mac': 'aa:bb:cc:dd:ee' is not a MAC "
                 "address: wrong length: expected aa:bb:cc:dd:ee:ff\n",
                 1);
    client_fails("[[wakeOnLan]]\nname = \"a\"\nmac = \"aabbccddee01\"\npassword = \"1.2\"\n",
                 "frpc.toml:4: error: key 'wakeOnLan[0].password': not a SecureOn password", 1);
    client_fails("[[wakeOnLan]]\nname = \"a\"\n",
                 "frpc.toml:1: error: missing required key 'wakeOnLan[0].mac'\n", 1);
    client_fails("[[wakeOnLan]]\nname = \"a\"\nmac = \"aabbccddee01\"\n"
                 "[[wakeOnLan]]\nname = \"a\"\nmac = \"aabbccddee02\"\n",
                 "frpc.toml:5: error: key 'wakeOnLan[1].name': duplicate wakeOnLan name 'a' "
                 "(first at line 1)\n",
                 1);
    client_fails("[[proxies]]\nname = \"pc\"\ntype = \"tcp\"\nlocalPort = 22\n"
                 "wakeOnLan = \"desk\"\n",
                 "frpc.toml:1: error: proxy 'pc': wakeOnLan 'desk' names no [[wakeOnLan]] entry\n",
                 1);
    client_fails("[[proxies]]\nname = \"u\"\ntype = \"udp\"\nlocalPort = 9\n"
                 "wakeOnLan = \"d\"\n[[wakeOnLan]]\nname = \"d\"\nmac = \"aabbccddee01\"\n",
                 "frpc.toml:1: error: proxy 'u': 'wakeOnLan' needs type tcp or http\n", 1);
}

static void test_syntax_error(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("bindPort = 7000\nbindAddr = \n", &s), -1);
    CHECK(g_diag && strncmp(g_diag, "frps.toml:2:", 12) == 0);
    CHECK(diag_has(": error: "));
    CHECK_EQ_INT(diag_lines(), 1);
    config_server_free(&s);

    client_cfg_t c;
    CHECK_EQ_INT(client("serverPort = 1\nserverPort = 2\n", &c), -1);
    CHECK(g_diag && strncmp(g_diag, "frpc.toml:2:", 12) == 0);
    CHECK_EQ_INT(diag_lines(), 1);
    config_client_free(&c);
}

static void test_all_errors_reported(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("bindPort = \"7000\"\n"
                        "log.level = \"loud\"\n"
                        "nope = 1\n"
                        "transport.maxPoolCount = -3\n",
                        &s),
                 -1);
    CHECK(diag_has("frps.toml:1: error: key 'bindPort'"));
    CHECK(diag_has("frps.toml:2: error: key 'log.level'"));
    CHECK(diag_has("frps.toml:3: warning: unknown key 'nope'\n"));
    CHECK(diag_has("frps.toml:4: error: key 'transport.maxPoolCount'"));
    CHECK_EQ_INT(diag_lines(), 4);
    CHECK(s.bind_addr == NULL && s.log.to == NULL);
    config_server_free(&s);

    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"a b\"\ntype = \"tcp\"\nlocalPort = 0\n"
                        "[[proxies]]\nname = \"c\"\ntype = \"tcp\"\n",
                        &c),
                 -1);
    CHECK(diag_has("frpc.toml:2: error: key 'proxies[0].name'"));
    CHECK(diag_has("frpc.toml:4: error: key 'proxies[0].localPort'"));
    CHECK(diag_has("frpc.toml:5: error: missing required key 'proxies[1].localPort'\n"));
    CHECK_EQ_INT(diag_lines(), 3);
    config_client_free(&c);
}

static void test_unknown_keys_warn(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("serverAddr = \"x\"\n"
                        "server_addr = \"legacy\"\n"
                        "[extra]\n"
                        "a = 1\n"
                        "b = 2\n"
                        "[[proxies]]\n"
                        "name = \"a\"\n"
                        "type = \"tcp\"\n"
                        "localPort = 1\n"
                        "local_port = 2\n"
                        "\"quoted.key\" = 3\n",
                        &c),
                 0);
    CHECK(
        diag_has("frpc.toml:2: warning: unknown key 'server_addr' (did you mean 'serverAddr'?)\n"));
    CHECK(diag_has("frpc.toml:3: warning: unknown key 'extra'\n"));
    CHECK(diag_has("frpc.toml:10: warning: unknown key 'proxies[0].local_port' (did you mean "
                   "'proxies[0].localPort'?)\n"));
    CHECK(diag_has("frpc.toml:11: warning: unknown key 'proxies[0].\"quoted.key\"'\n"));
    CHECK_EQ_INT(diag_lines(), 4);
    CHECK_EQ_STR(c.server_addr, "x");
    CHECK_EQ_INT(c.n_proxies, 1);
    config_client_free(&c);
}

static void test_frp_unsupported_keys(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("serverAddr = \"x\"\n"                    /* 1 */
                        "transport.protocol = \"kcp\"\n"          /* 2 */
                        "transport.tcpMux = true\n"               /* 3 */
                        "transport.tls.certFile = \"c.crt\"\n"    /* 4 */
                        "log.maxDays = 3\n"                       /* 5 */
                        "log.disablePrintColor = true\n"          /* 6 */
                        "includes = [\"./confd/*.toml\"]\n"       /* 7 */
                        "start = [\"ssh\"]\n"                     /* 8 */
                        "udpPacketSize = 1500\n"                  /* 9 */
                        "natHoleStunServer = \"stun.x:3478\"\n"   /* 10: taken */
                        "dnsServer = \"8.8.8.8\"\n"               /* 11 */
                        "metadatas.var1 = \"abc\"\n"              /* 12 */
                        "webServer.addr = \"127.0.0.1\"\n"        /* 13 */
                        "webServer.port = 7400\n"                 /* 14 */
                        "\n"                                      /* 15 */
                        "[[proxies]]\n"                           /* 16 */
                        "name = \"ssh\"\n"                        /* 17 */
                        "type = \"tcp\"\n"                        /* 18 */
                        "localPort = 22\n"                        /* 19 */
                        "transport.useEncryption = true\n"        /* 20 */
                        "transport.useCompression = true\n"       /* 21 */
                        "transport.bandwidthLimit = \"1MB\"\n"    /* 22 */
                        "annotations = { owner = \"me\" }\n"      /* 23 */
                        "healthCheck.type = \"tcp\"\n"            /* 24 */
                        "healthCheck.intervalSeconds = 10\n"      /* 25 */
                        "loadBalancer.group = \"g\"\n"            /* 26 */
                        "\n"                                      /* 27 */
                        "[[proxies]]\n"                           /* 28 */
                        "name = \"web\"\n"                        /* 29 */
                        "type = \"tcpmux\"\n"                     /* 30 */
                        "localPort = 80\n"                        /* 31 */
                        "customDomains = [\"www.example.com\"]\n" /* 32 */
                        "\n"                                      /* 33 */
                        "[[proxies]]\n"                           /* 34 */
                        "name = \"p\"\n"                          /* 35 */
                        "type = \"udp\"\n"                        /* 36 */
                        "localPort = 5353\n"                      /* 37 */
                        "\n"                                      /* 38: plugin: its own test */
                        "\n"                                      /* 39 */
                        "[[visitors]]\n"                          /* 40 */
                        "name = \"v\"\n"                          /* 41 */
                        "type = \"stcp\"\n"                       /* 42 */
                        "serverName = \"web\"\n"                  /* 43 */
                        "secretKey = \"k\"\n"                     /* 44 */
                        "bindPort = 9000\n",                      /* 45 */
                        &c),
                 0);
#define NS(line, key)                                                                              \
    "frpc.toml:" #line ": warning: frp key '" key "' is not supported by burrow yet; ignored\n"
    CHECK(diag_has(NS(2, "transport.protocol")));
    CHECK(diag_has(NS(3, "transport.tcpMux")));
    CHECK(diag_has(NS(4, "transport.tls.certFile")));
    CHECK(diag_has(NS(5, "log.maxDays")));
    CHECK(diag_has(NS(6, "log.disablePrintColor")));
    /* includes is taken (relative to the file's directory): nothing there */
    CHECK(diag_has("frpc.toml:7: warning: key 'includes[0]': pattern './confd/*.toml' matches no "
                   "file\n"));
    CHECK(diag_has(NS(8, "start")));
    CHECK(diag_has(NS(9, "udpPacketSize")));
    CHECK_EQ_STR(c.nat_hole_stun_server, "stun.x:3478");
    CHECK(diag_has(NS(11, "dnsServer")));
    CHECK(!diag_has("metadatas")); /* taken: shown by the server */
    CHECK_EQ_INT(c.metadatas.n, 1);
    CHECK(!diag_has("webServer")); /* taken: the admin API */
    CHECK_EQ_INT(c.web.port, 7400);
    CHECK(diag_has(NS(20, "proxies[0].transport.useEncryption")));
    CHECK(!diag_has("useCompression")); /* taken: zstd on the work conn */
    CHECK(!diag_has("bandwidthLimit"));
    CHECK(c.proxies[0].use_compression);
    CHECK_EQ_INT(c.proxies[0].bandwidth_limit, 1024 * 1024);
    CHECK_EQ_INT(c.proxies[0].bandwidth_mode, BW_MODE_CLIENT);
    CHECK(diag_has(NS(23, "proxies[0].annotations")));
    CHECK(!diag_has("healthCheck") && !diag_has("loadBalancer")); /* taken (config_lb.c) */
    CHECK_EQ_STR(c.proxies[0].lb_group, "g");
    CHECK_EQ_INT(c.proxies[0].health.type, HEALTH_TCP);
    CHECK(diag_has("frpc.toml:30: warning: proxy type 'tcpmux' is not supported by burrow yet; "
                   "proxy 'web' skipped\n"));
    CHECK_EQ_INT(diag_lines(), 12);
#undef NS
    CHECK_EQ_INT(c.n_proxies, 2);
    if (c.n_proxies == 2) {
        CHECK_EQ_STR(c.proxies[0].name, "ssh");
        CHECK_EQ_STR(c.proxies[1].name, "p");
        CHECK_EQ_INT(c.proxies[1].kind, PROXY_UDP);
    }
    config_client_free(&c);

    server_cfg_t s;
    CHECK_EQ_INT(server("vhostHTTPPort = 80\n"
                        "vhostHTTPSPort = 443\n"
                        "subDomainHost = \"example.com\"\n"
                        "[webServer]\n"
                        "addr = \"0.0.0.0\"\n"
                        "assetsDir = \"./static\"\n"
                        "user = \"admin\"\n"
                        "[transport]\n"
                        "tcpMux = false\n"
                        "[log]\n"
                        "maxDays = 7\n",
                        &s),
                 0);
    CHECK(diag_has("frps.toml:6: warning: frp key 'webServer.assetsDir' is not supported by "
                   "burrow yet; ignored\n"));
    CHECK(diag_has("frps.toml:9: warning: frp key 'transport.tcpMux' is not supported"));
    CHECK(diag_has("frps.toml:11: warning: frp key 'log.maxDays' is not supported"));
    CHECK_EQ_INT(diag_lines(), 3);
    CHECK_EQ_INT(s.web.port, 0); /* no port: no dashboard, whatever else is set */
    CHECK_EQ_INT(s.vhost_http_port, 80);
    CHECK_EQ_INT(s.vhost_https_port, 443);
    CHECK_EQ_STR(s.subdomain_host, "example.com");
    CHECK_EQ_INT(s.vhost_http_timeout, 60);
    config_server_free(&s);
}

/* [[visitors]]: frp's keys and defaults, mixed with proxies in one file,
 * and every refusal with its file:line. */
static void test_visitors(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("user = \"bob\"\n"                  /* 1 */
                        "[[proxies]]\n"                     /* 2 */
                        "name = \"ssh\"\n"                  /* 3 */
                        "type = \"tcp\"\n"                  /* 4 */
                        "localPort = 22\n"                  /* 5 */
                        "[[visitors]]\n"                    /* 6 */
                        "name = \"db\"\n"                   /* 7 */
                        "type = \"stcp\"\n"                 /* 8 */
                        "serverName = \"pg\"\n"             /* 9 */
                        "serverUser = \"alice\"\n"          /* 10 */
                        "secretKey = \"s3cret\"\n"          /* 11 */
                        "bindPort = 6000\n"                 /* 12 */
                        "transport.useEncryption = true\n"  /* 13 */
                        "transport.useCompression = true\n" /* 14 */
                        "[[visitors]]\n"                    /* 15 */
                        "name = \"dns\"\n"                  /* 16 */
                        "type = \"sudp\"\n"                 /* 17 */
                        "serverName = \"dns\"\n"            /* 18 */
                        "secretKey = \"k\"\n"               /* 19 */
                        "bindAddr = \"0.0.0.0\"\n"          /* 20 */
                        "bindPort = -1\n",                  /* 21 */
                        &c),
                 0);
    CHECK_EQ_INT(c.n_proxies, 1);
    CHECK_EQ_INT(c.n_visitors, 2);
    if (c.n_visitors == 2) {
        const visitor_cfg_t *v = &c.visitors[0], *w = &c.visitors[1];
        CHECK_EQ_STR(v->name, "db");
        CHECK_EQ_STR(v->type, "stcp");
        CHECK_EQ_STR(v->server_name, "pg");
        CHECK_EQ_STR(v->server_user, "alice");
        CHECK_EQ_STR(v->secret_key, "s3cret");
        CHECK_EQ_STR(v->bind_addr, "127.0.0.1");
        CHECK_EQ_INT(v->bind_port, 6000);
        CHECK(v->use_encryption && v->use_compression);
        CHECK_EQ_INT(v->line, 6);
        CHECK_EQ_STR(w->type, "sudp");
        CHECK(w->server_user == NULL); /* the visitor's own user */
        CHECK_EQ_STR(w->bind_addr, "0.0.0.0");
        CHECK_EQ_INT(w->bind_port, -1);
    }
    CHECK_EQ_INT(diag_lines(), 0); /* sudp visitors are carried */
    config_client_free(&c);

#define V(body) "[[visitors]]\nname = \"v\"\ntype = \"stcp\"\n" body
    client_fails(V("secretKey = \"k\"\nbindPort = 1\n"),
                 "frpc.toml:1: error: missing required key 'visitors[0].serverName'\n", 1);
    client_fails(V("serverName = \"p\"\nbindPort = 1\n"),
                 "frpc.toml:1: error: missing required key 'visitors[0].secretKey'\n", 1);
    client_fails(V("serverName = \"p\"\nsecretKey = \"k\"\n"),
                 "frpc.toml:1: error: missing required key 'visitors[0].bindPort'\n", 1);
    client_fails(V("serverName = \"p\"\nsecretKey = \"\"\nbindPort = 1\n"),
                 "frpc.toml:5: error: key 'visitors[0].secretKey': must not be empty\n", 1);
    client_fails(V("serverName = \"p\"\nsecretKey = \"k\"\nbindPort = 0\n"),
                 "frpc.toml:6: error: key 'visitors[0].bindPort': 0 is not a port (below 0 binds "
                 "nothing)\n",
                 1);
    client_fails(V("serverName = \"p\"\nsecretKey = \"k\"\nbindPort = 70000\n"),
                 "frpc.toml:6: error: key 'visitors[0].bindPort': 70000 is out of range", 1);
    client_fails("[[visitors]]\nname = \"v\"\ntype = \"ptcp\"\nserverName = \"p\"\n"
                 "secretKey = \"k\"\nbindPort = 1\n",
                 "frpc.toml:3: error: key 'visitors[0].type': unknown visitor type 'ptcp' "
                 "(expected stcp, xtcp or sudp)\n",
                 1);
    client_fails(V("serverName = \"p\"\nsecretKey = \"k\"\nbindPort = 1\n")
                     V("serverName = \"q\"\nsecretKey = \"k\"\nbindPort = 2\n"),
                 "frpc.toml:8: error: key 'visitors[1].name': duplicate visitor name 'v' (first "
                 "at line 1)\n",
                 1);
#undef V
}

static void test_skipped_proxy_types(void)
{
    static const char *const types[] = {"tcpmux"};
    for (int i = 0; i < 1; i++) {
        char text[256], want[256];
        snprintf(text, sizeof text, "[[proxies]]\nname = \"x\"\ntype = \"%s\"\n", types[i]);
        snprintf(want, sizeof want,
                 "frpc.toml:3: warning: proxy type '%s' is not supported by burrow yet; proxy "
                 "'x' skipped\n",
                 types[i]);
        client_cfg_t c;
        CHECK_EQ_INT(client(text, &c), 0);
        CHECK(diag_has(want));
        CHECK_EQ_INT(diag_lines(), 1);
        CHECK_EQ_INT(c.n_proxies, 0);
        config_client_free(&c);
    }
}

/* xtcp: an frp xtcp config as it is (owner and visitor), the visitor's
 * frp keys kept with frp's defaults, fallbackTo checked, and the xtcp-only
 * keys warned on an stcp visitor. */
static void test_xtcp(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("natHoleStunServer = \"10.0.0.1:3478\"\n" /* 1 */
                        "[[proxies]]\n"                           /* 2 */
                        "name = \"ssh\"\n"                        /* 3 */
                        "type = \"xtcp\"\n"                       /* 4 */
                        "localPort = 22\n"                        /* 5 */
                        "secretKey = \"k\"\n"                     /* 6 */
                        "allowUsers = [\"*\"]\n"                  /* 7 */
                        "[[visitors]]\n"                          /* 8 */
                        "name = \"p2p\"\n"                        /* 9 */
                        "type = \"xtcp\"\n"                       /* 10 */
                        "serverName = \"ssh\"\n"                  /* 11 */
                        "secretKey = \"k\"\n"                     /* 12 */
                        "bindPort = 6000\n"                       /* 13 */
                        "keepTunnelOpen = true\n"                 /* 14 */
                        "fallbackTo = \"relay\"\n"                /* 15 */
                        "fallbackTimeoutMs = 200\n"               /* 16 */
                        "[[visitors]]\n"                          /* 17 */
                        "name = \"relay\"\n"                      /* 18 */
                        "type = \"stcp\"\n"                       /* 19 */
                        "serverName = \"ssh\"\n"                  /* 20 */
                        "secretKey = \"k\"\n"                     /* 21 */
                        "bindPort = -1\n"                         /* 22 */
                        "maxRetriesAnHour = 3\n",                 /* 23 */
                        &c),
                 0);
    CHECK(diag_has("frpc.toml:23: warning: key 'visitors[1].maxRetriesAnHour' applies to xtcp "
                   "visitors only; ignored\n"));
    CHECK_EQ_INT(diag_lines(), 1);
    CHECK_EQ_STR(c.nat_hole_stun_server, "10.0.0.1:3478");
    CHECK_EQ_INT(c.n_proxies, 1);
    if (c.n_proxies == 1) CHECK_EQ_INT(c.proxies[0].kind, PROXY_XTCP);
    CHECK_EQ_INT(c.n_visitors, 2);
    if (c.n_visitors == 2) {
        const visitor_cfg_t *v = &c.visitors[0];
        CHECK_EQ_STR(v->type, "xtcp");
        CHECK(v->keep_tunnel_open);
        CHECK_EQ_INT(v->max_retries_an_hour, 8); /* frp's defaults */
        CHECK_EQ_INT(v->min_retry_interval, 90);
        CHECK_EQ_STR(v->fallback_to, "relay");
        CHECK_EQ_INT(v->fallback_timeout_ms, 200);
        CHECK_EQ_INT(c.visitors[1].fallback_timeout_ms, 1000);
    }
    config_client_free(&c);

#define X(body)                                                                                    \
    "[[visitors]]\nname = \"v\"\ntype = \"xtcp\"\nserverName = \"p\"\n"                            \
    "secretKey = \"k\"\nbindPort = 1\n" body
    client_fails(X("fallbackTo = \"nope\"\n"),
                 "frpc.toml:7: error: key 'visitors[0].fallbackTo': no visitor named 'nope'\n", 1);
    client_fails(X("fallbackTo = \"w\"\n[[visitors]]\nname = \"w\"\ntype = \"xtcp\"\n"
                   "serverName = \"p\"\nsecretKey = \"k\"\nbindPort = 2\n"),
                 "frpc.toml:7: error: key 'visitors[0].fallbackTo': visitor 'w' is not of type "
                 "stcp\n",
                 1);
    client_fails(X("maxRetriesAnHour = -1\n"),
                 "frpc.toml:7: error: key 'visitors[0].maxRetriesAnHour': -1 is out of range", 1);
    client_fails(X("minRetryInterval = \"90s\"\n"),
                 "frpc.toml:7: error: key 'visitors[0].minRetryInterval'", 1);
#undef X
}

/* stcp owners: secretKey required, allowUsers kept; both refused elsewhere. */
static void test_stcp_proxies(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"db\"\ntype = \"stcp\"\nlocalPort = 5432\n"
                        "secretKey = \"s3cret\"\nallowUsers = [\"bob\", \"carol\"]\n"
                        "transport.useEncryption = true\ntransport.useCompression = true\n",
                        &c),
                 0);
    CHECK_EQ_INT(diag_lines(), 0); /* transport.* taken quietly: always end to end */
    CHECK_EQ_INT(c.n_proxies, 1);
    if (c.n_proxies == 1) {
        CHECK_EQ_INT(c.proxies[0].kind, PROXY_STCP);
        CHECK_EQ_STR(c.proxies[0].secret_key, "s3cret");
        CHECK_EQ_INT(c.proxies[0].allow_users.n, 2);
        if (c.proxies[0].allow_users.n == 2) CHECK_EQ_STR(c.proxies[0].allow_users.v[1], "carol");
        CHECK(c.proxies[0].use_encryption && c.proxies[0].use_compression);
    }
    config_client_free(&c);
    CHECK_EQ_INT(client("[[proxies]]\nname = \"db\"\ntype = \"stcp\"\nlocalPort = 5432\n"
                        "secretKey = \"k\"\ntransport.useEncryption = \"yes\"\n",
                        &c),
                 -1);
    CHECK(diag_has("transport.useEncryption"));
    config_client_free(&c);
    client_fails("[[proxies]]\nname = \"db\"\ntype = \"stcp\"\nlocalPort = 5432\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': type stcp needs a non-empty "
                 "'secretKey'\n",
                 1);
    client_fails("[[proxies]]\nname = \"db\"\ntype = \"tcp\"\nlocalPort = 5432\n"
                 "secretKey = \"k\"\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': 'secretKey' and 'allowUsers' need "
                 "type stcp, sudp or xtcp\n",
                 1);
    client_fails("[[proxies]]\nname = \"db\"\ntype = \"stcp\"\nlocalPort = 5432\n"
                 "secretKey = \"k\"\nremotePort = 6000\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': type stcp opens no public port: no "
                 "'remotePort'\n",
                 1);
}

/* sudp owners: frp's keys (transport.* accepted); the same checks as stcp,
 * and the udp-only ones (no remotePort), at file:line. */
static void test_sudp_entries(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"dns\"\ntype = \"sudp\"\nlocalIP = \"10.0.0.2\"\n"
                        "localPort = 53\nsecretKey = \"s3cret\"\nallowUsers = [\"*\"]\n"
                        "transport.useEncryption = true\ntransport.useCompression = true\n"
                        "[[visitors]]\nname = \"dns-v\"\ntype = \"sudp\"\nserverName = \"dns\"\n"
                        "serverUser = \"bob\"\nsecretKey = \"s3cret\"\nbindPort = 5353\n",
                        &c),
                 0);
    CHECK_EQ_INT(diag_lines(), 0); /* transport.* accepted, as on stcp */
    CHECK_EQ_INT(c.n_proxies, 1);
    CHECK_EQ_INT(c.n_visitors, 1);
    if (c.n_proxies == 1) {
        CHECK_EQ_INT(c.proxies[0].kind, PROXY_SUDP);
        CHECK(c.proxies[0].use_encryption && c.proxies[0].use_compression);
        CHECK_EQ_STR(c.proxies[0].local_ip, "10.0.0.2");
        CHECK_EQ_STR(c.proxies[0].secret_key, "s3cret");
        CHECK_EQ_INT(c.proxies[0].allow_users.n, 1);
    }
    if (c.n_visitors == 1) {
        CHECK_EQ_STR(c.visitors[0].type, "sudp");
        CHECK_EQ_STR(c.visitors[0].server_user, "bob");
        CHECK_EQ_INT(c.visitors[0].bind_port, 5353);
    }
    config_client_free(&c);
    client_fails("[[proxies]]\nname = \"dns\"\ntype = \"sudp\"\nlocalPort = 53\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': type sudp needs a non-empty "
                 "'secretKey'\n",
                 1);
    client_fails("\n[[proxies]]\nname = \"dns\"\ntype = \"sudp\"\nlocalPort = 53\n"
                 "secretKey = \"k\"\nremotePort = 6000\n",
                 "frpc.toml:2: error: proxy 'proxies[0]': type sudp opens no public port: no "
                 "'remotePort'\n",
                 1);
    client_fails("[[proxies]]\nname = \"dns\"\ntype = \"sudp\"\nsecretKey = \"k\"\n",
                 "frpc.toml:1: error: missing required key 'proxies[0].localPort'\n", 1);
    client_fails("[[visitors]]\nname = \"v\"\ntype = \"sudp\"\nserverName = \"p\"\n"
                 "secretKey = \"k\"\n",
                 "frpc.toml:1: error: missing required key 'visitors[0].bindPort'\n", 1);
    client_fails("[[visitors]]\nname = \"v\"\ntype = \"sudp\"\nserverName = \"p\"\n"
                 "secretKey = \"\"\nbindPort = 5353\n",
                 "frpc.toml:5: error: key 'visitors[0].secretKey': must not be empty\n", 1);
    client_fails("[[visitors]]\nname = \"v\"\ntype = \"sudp\"\nserverName = \"p\"\n"
                 "secretKey = \"k\"\nbindPort = 0\n",
                 "frpc.toml:6: error: key 'visitors[0].bindPort': 0 is not a port (below 0 binds "
                 "nothing)\n",
                 1);
}

static void test_http_proxies(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\n"
                        "name = \"web\"\n"
                        "type = \"http\"\n"
                        "localPort = 80\n"
                        "customDomains = [\"a.example.com\", \"*.b.example.com\"]\n"
                        "subdomain = \"nas\"\n"
                        "locations = [\"/\", \"/api\"]\n"
                        "hostHeaderRewrite = \"internal\"\n"
                        "httpUser = \"u\"\n"
                        "httpPassword = \"p\"\n"
                        "requestHeaders.set.x-from = \"burrow\"\n"
                        "responseHeaders.set.X-Served = \"yes\"\n"
                        "[[proxies]]\n"
                        "name = \"tls\"\n"
                        "type = \"https\"\n"
                        "localPort = 443\n"
                        "customDomains = [\"s.example.com\"]\n"
                        "transport.proxyProtocolVersion = \"v2\"\n"
                        "[[proxies]]\n"
                        "name = \"ssh\"\n"
                        "type = \"tcp\"\n"
                        "localPort = 22\n"
                        "transport.proxyProtocolVersion = \"v1\"\n",
                        &c),
                 0);
    CHECK_EQ_STR(g_diag ? g_diag : "", "");
    CHECK_EQ_INT(c.n_proxies, 3);
    if (c.n_proxies == 3) {
        const proxy_cfg_t *p = &c.proxies[0];
        CHECK_EQ_INT(p->kind, PROXY_HTTP);
        CHECK_EQ_INT(p->custom_domains.n, 2);
        CHECK_EQ_STR(p->custom_domains.v[1], "*.b.example.com");
        CHECK_EQ_STR(p->subdomain, "nas");
        CHECK_EQ_INT(p->locations.n, 2);
        CHECK_EQ_STR(p->locations.v[1], "/api");
        CHECK_EQ_STR(p->host_header_rewrite, "internal");
        CHECK_EQ_STR(p->http_user, "u");
        CHECK_EQ_STR(p->http_password, "p");
        CHECK_EQ_INT(p->request_headers.n, 1);
        CHECK_EQ_STR(p->request_headers.v[0].name, "x-from");
        CHECK_EQ_STR(p->request_headers.v[0].value, "burrow");
        CHECK_EQ_STR(p->response_headers.v[0].name, "X-Served");
        CHECK_EQ_INT(c.proxies[1].kind, PROXY_HTTPS);
        CHECK_EQ_INT(c.proxies[1].proxy_protocol, 2);
        CHECK_EQ_INT(c.proxies[2].proxy_protocol, 1);
    }
    config_client_free(&c);
    client_fails("[[proxies]]\nname = \"w\"\ntype = \"http\"\nlocalPort = 80\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': type http needs 'customDomains' or "
                 "'subdomain'\n",
                 1);
    client_fails("[[proxies]]\nname = \"w\"\ntype = \"tcp\"\nlocalPort = 80\n"
                 "httpUser = \"u\"\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': locations, hostHeaderRewrite, httpUser, "
                 "httpPassword and request/responseHeaders need type http\n",
                 1);
    client_fails("[[proxies]]\nname = \"w\"\ntype = \"tcp\"\nlocalPort = 80\n"
                 "transport.proxyProtocolVersion = \"v3\"\n",
                 "frpc.toml:5: error: key 'proxies[0].transport.proxyProtocolVersion': unknown "
                 "PROXY protocol version 'v3' (expected \"v1\" or \"v2\")\n",
                 1);
    client_fails("[[proxies]]\nname = \"w\"\ntype = \"http\"\nlocalPort = 80\n"
                 "subdomain = \"x\"\nrequestHeaders.set.\"a b\" = \"v\"\n",
                 "frpc.toml:6: error: key 'proxies[0].requestHeaders.set.\"a b\"': not a valid "
                 "HTTP header name and value\n",
                 1);
}

static void test_fingerprints(void)
{
    static const char *const good[] = {
        "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "sha256:00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
        ("SHA256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:"
         "AA:BB:CC:DD:EE:FF"),
    };
    static const char *const bad[] = {
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "sha1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeef",
        "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00",
        "sha256:0g112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ("sha256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:"
         "aa:bb:cc:dd:ee:ff:"),
        "sha256::00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "sha256:0:0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "transport.tls.serverFingerprint = \"%s\"\n", good[i]);
        client_cfg_t c;
        CHECK_EQ_INT(client(text, &c), 0);
        CHECK_EQ_STR(c.tls_server_fingerprint,
                     "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        config_client_free(&c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "transport.tls.serverFingerprint = \"%s\"\n", bad[i]);
        client_fails(text, "frpc.toml:1: error: key 'transport.tls.serverFingerprint'", 1);
    }
}

static void test_files(void)
{
    char path[] = "/tmp/burrow_test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, full_frps, strlen(full_frps)) == (ssize_t)strlen(full_frps));
    close(fd);

    server_cfg_t s;
    FILE *f = diag_open();
    CHECK_EQ_INT(config_load_server(path, &s, f), 0);
    fclose(f);
    CHECK_EQ_INT(s.bind_port, 7001);
    config_server_free(&s);

    /* Diagnostics name the path they were given; server keys only warn in a client file. */
    client_cfg_t c;
    f = diag_open();
    CHECK_EQ_INT(config_load_client(path, &c, f), 0);
    fclose(f);
    char want[128];
    snprintf(want, sizeof want, "%s:2: warning: unknown key 'bindAddr'\n", path);
    CHECK(diag_has(want));
    config_client_free(&c);
    unlink(path);

    f = diag_open();
    CHECK_EQ_INT(config_load_client(path, &c, f), -1);
    fclose(f);
    snprintf(want, sizeof want, "%s: error: cannot read: ", path);
    CHECK(diag_has(want));
    config_client_free(&c);

    server_cfg_t d;
    f = diag_open();
    CHECK_EQ_INT(config_load_server("/tmp", &d, f), -1);
    fclose(f);
    CHECK(diag_has("/tmp: error: cannot read: Is a directory\n"));
    config_server_free(&d);
}

static void test_free_is_safe(void)
{
    server_cfg_t s;
    client_cfg_t c;
    memset(&s, 0, sizeof s);
    memset(&c, 0, sizeof c);
    config_server_free(&s);
    config_client_free(&c);
    config_server_free(NULL);
    config_client_free(NULL);
    CHECK_EQ_INT(client("[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = \"x\"\n", &c), -1);
    config_client_free(&c);
    config_client_free(&c);
}

static void load_example(const char *name, bool is_server)
{
    const char *src = getenv("BURROW_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s", src ? src : ".", name);
    FILE *f = diag_open();
    int rc;
    if (is_server) {
        server_cfg_t s;
        rc = config_load_server(path, &s, f);
        config_server_free(&s);
    } else {
        client_cfg_t c;
        rc = config_load_client(path, &c, f);
        if (strstr(name, "vhost")) {
            CHECK_EQ_INT(c.n_proxies, 3);
            if (c.n_proxies == 3) {
                CHECK_EQ_INT(c.proxies[0].kind, PROXY_HTTP);
                CHECK_EQ_INT(c.proxies[1].locations.n, 1);
                CHECK_EQ_INT(c.proxies[2].kind, PROXY_HTTPS);
                CHECK_EQ_INT(c.proxies[2].proxy_protocol, 2);
            }
        } else {
            CHECK_EQ_INT(c.n_proxies, 2);
            if (c.n_proxies == 2) {
                CHECK_EQ_INT(c.proxies[0].kind, PROXY_TCP);
                CHECK_EQ_INT(c.proxies[1].kind, PROXY_UDP);
            }
        }
        config_client_free(&c);
    }
    fclose(f);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(g_diag, "");
}

static void test_examples(void)
{
    /* the examples read secrets from the environment, as users should */
    setenv("BURROW_TOKEN", "t0ken", 1);
    setenv("NAS_PASSWORD", "pw", 1);
    load_example("frps.toml", true);
    load_example("frpc.toml", false);
    load_example("frps-vhost.toml", true);
    load_example("frpc-vhost.toml", false);
}

/* natDiscovery (the STUN service): defaults, the table form, and errors
 * with file:line. */
static void test_nat_discovery(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("bindPort = 7001\n", &s), 0);
    CHECK_EQ_INT(s.stun_port, -1);  /* the port bindPort listens on */
    CHECK(s.alt_addr == NULL);      /* look for a second address */
    CHECK_EQ_INT(s.alt_port, 0);    /* stun port + 1 */
    CHECK_EQ_INT(s.relay_port, -1); /* p2p: bindPort's port + 2 */
    config_server_free(&s);
    CHECK_EQ_INT(server("[natDiscovery]\nstunPort = 3478\naltAddr = \"203.0.113.11\"\n"
                        "altPort = 3479\n",
                        &s),
                 0);
    CHECK_EQ_INT(s.stun_port, 3478);
    CHECK_EQ_STR(s.alt_addr, "203.0.113.11");
    CHECK_EQ_INT(s.alt_port, 3479);
    config_server_free(&s);
    CHECK_EQ_INT(server("natDiscovery.stunPort = 0\nnatDiscovery.altAddr = \"\"\n", &s), 0);
    CHECK_EQ_INT(s.stun_port, 0);
    CHECK_EQ_STR(s.alt_addr, "");
    config_server_free(&s);
    CHECK_EQ_INT(server("natDiscovery.altAddr = \"2001:db8::2\"\n", &s), 0);
    CHECK_EQ_STR(s.alt_addr, "2001:db8::2");
    config_server_free(&s);
    server_fails("bindPort = 7000\nnatDiscovery.altAddr = \"stun.example.com\"\n",
                 "frps.toml:2: error: key 'natDiscovery.altAddr': expected an IP address (no host "
                 "names), got 'stun.example.com'\n",
                 1);
    server_fails(
        "natDiscovery.stunPort = 65536\n",
        "frps.toml:1: error: key 'natDiscovery.stunPort': 65536 is out of range 0..65535\n", 1);
    server_fails("[natDiscovery]\naltPort = -1\n",
                 "frps.toml:2: error: key 'natDiscovery.altPort': -1 is out of range 0..65535\n",
                 1);
    CHECK_EQ_INT(server("[p2p]\nrelayPort = 7002\nrelayMaxPerUser = 8\nrelayRateKiB = 512\n", &s),
                 0);
    CHECK_EQ_INT(s.relay_port, 7002);
    CHECK_EQ_INT(s.relay_max_per_user, 8);
    CHECK_EQ_INT(s.relay_rate_kib, 512);
    config_server_free(&s);
    server_fails("p2p.relayPort = 70000\n",
                 "frps.toml:1: error: key 'p2p.relayPort': 70000 is out of range 0..65535\n", 1);
    server_fails("natDiscovery.altAddr = 5\n",
                 "frps.toml:1: error: key 'natDiscovery.altAddr': expected a string, got an "
                 "integer\n",
                 1);
}

/* natTraversal.portMapping / portMappingProtocols (router port mapping). */
static void test_nat_traversal(void)
{
    client_cfg_t cfg;
    CHECK_EQ_INT(client("serverAddr = \"x\"\n", &cfg), 0);
    CHECK(cfg.port_mapping);
    CHECK_EQ_INT(cfg.n_port_mapping_protocols, 3);
    CHECK(cfg.port_mapping_protocols[0] == PORTMAP_PCP &&
          cfg.port_mapping_protocols[2] == PORTMAP_UPNP);
    config_client_free(&cfg);
    CHECK_EQ_INT(client("[natTraversal]\nportMapping = false\n"
                        "portMappingProtocols = [\"upnp\", \"natpmp\"]\n",
                        &cfg),
                 0);
    CHECK(!cfg.port_mapping);
    CHECK_EQ_INT(cfg.n_port_mapping_protocols, 2);
    CHECK(cfg.port_mapping_protocols[0] == PORTMAP_UPNP &&
          cfg.port_mapping_protocols[1] == PORTMAP_NATPMP);
    config_client_free(&cfg);
    client_fails(
        "natTraversal.portMapping = \"yes\"\n",
        "frpc.toml:1: error: key 'natTraversal.portMapping': expected a boolean, got a string", 1);
    client_fails("[natTraversal]\nportMappingProtocols = [\"pcp\",\n  \"igd\"]\n",
                 "frpc.toml:3: error: key 'natTraversal.portMappingProtocols[1]': 'igd' is unknown "
                 "or repeated",
                 1);
    client_fails("natTraversal.portMappingProtocols = [\"pcp\", \"pcp\"]\n",
                 "'natTraversal.portMappingProtocols[1]': 'pcp' is unknown or repeated", 1);
    client_fails("natTraversal.portMappingProtocols = []\n",
                 "frpc.toml:1: error: key 'natTraversal.portMappingProtocols': expected 1 to 3 of",
                 1);
}

/* webServer.* on both sides: frp's keys, the defaults (server 0.0.0.0,
 * client 127.0.0.1, off without a port), and the refusal to listen off
 * loopback without a password, naming the key and the port's line. */
static void test_web_server(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("auth.token = \"t\"\n"
                        "enablePrometheus = true\n"
                        "[webServer]\n"
                        "port = 7500\n"
                        "user = \"admin\"\n"
                        "password = \"pw\"\n"
                        "tls.certFile = \"d.crt\"\n"
                        "tls.keyFile = \"d.key\"\n",
                        &s),
                 0);
    CHECK_EQ_INT(diag_lines(), 0);
    CHECK_EQ_STR(s.web.addr, "0.0.0.0");
    CHECK_EQ_INT(s.web.port, 7500);
    CHECK_EQ_INT(s.web.line, 4);
    CHECK_EQ_STR(s.web.user, "admin");
    CHECK_EQ_STR(s.web.password, "pw");
    CHECK_EQ_STR(s.web.tls_cert_file, "d.crt");
    CHECK_EQ_STR(s.web.tls_key_file, "d.key");
    CHECK(s.enable_prometheus);
    config_server_free(&s);

    CHECK_EQ_INT(server("auth.token = \"t\"\n", &s), 0);
    CHECK_EQ_INT(s.web.port, 0);
    CHECK(!s.enable_prometheus);
    config_server_free(&s);

    /* Open to the network without a password: refused. */
    CHECK_EQ_INT(server("auth.token = \"t\"\n"
                        "webServer.port = 7500\n",
                        &s),
                 -1);
    CHECK(diag_has("frps.toml:2: error: key 'webServer.password': required when webServer.addr "
                   "'0.0.0.0' is not a loopback address"));
    CHECK_EQ_INT(server("webServer.addr = \"192.0.2.1\"\n"
                        "webServer.port = 7500\n"
                        "webServer.password = \"\"\n",
                        &s),
                 -1);
    CHECK(diag_has("frps.toml:2: error: key 'webServer.password'"));
    /* Loopback needs none; a lone TLS file is an error. */
    CHECK_EQ_INT(server("webServer.addr = \"127.0.0.1\"\n"
                        "webServer.port = 7500\n",
                        &s),
                 0);
    config_server_free(&s);
    CHECK_EQ_INT(server("webServer.addr = \"::1\"\n"
                        "webServer.port = 7500\n"
                        "webServer.tls.certFile = \"a\"\n",
                        &s),
                 -1);
    CHECK(diag_has("frps.toml:2: error: key 'webServer.tls.keyFile': required with "
                   "webServer.tls.certFile"));
    CHECK_EQ_INT(server("webServer.port = 70000\n", &s), -1);
    CHECK(diag_has("frps.toml:1: error: key 'webServer.port': 70000 is out of range 0..65535"));

    client_cfg_t c;
    CHECK_EQ_INT(client("webServer.port = 7400\n", &c), 0);
    CHECK_EQ_STR(c.web.addr, "127.0.0.1");
    CHECK_EQ_INT(c.web.port, 7400);
    config_client_free(&c);
    CHECK_EQ_INT(client("[webServer]\n"
                        "addr = \"0.0.0.0\"\n"
                        "port = 7400\n",
                        &c),
                 -1);
    CHECK(diag_has("frpc.toml:3: error: key 'webServer.password': required when webServer.addr "
                   "'0.0.0.0'"));
    CHECK_EQ_INT(client("enablePrometheus = true\n", &c), 0);
    CHECK(diag_has("frpc.toml:1: warning: unknown key 'enablePrometheus'"));
    config_client_free(&c);
}

#define HTTP_PROXY_DE                                                                              \
    "[[proxies]]\nname = \"w\"\ntype = \"http\"\nlocalPort = 80\n"                                 \
    "customDomains = [\"a.example\"]\n"
/* directExpose: burrow's own key, off by default, tcp and udp only. */
static void test_direct_expose(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("[[proxies]]\nname = \"s\"\ntype = \"tcp\"\nlocalPort = 22\n", &c), 0);
    CHECK(!c.proxies[0].direct_expose);
    config_client_free(&c);
    CHECK_EQ_INT(client("[[proxies]]\nname = \"s\"\ntype = \"tcp\"\nlocalPort = 22\n"
                        "directExpose = true\n"
                        "[[proxies]]\nname = \"u\"\ntype = \"udp\"\nlocalPort = 53\n"
                        "directExpose = true\n",
                        &c),
                 0);
    CHECK_EQ_INT(diag_lines(), 0);
    CHECK(c.proxies[0].direct_expose);
    CHECK(c.proxies[1].direct_expose);
    config_client_free(&c);
    client_fails(HTTP_PROXY_DE "directExpose = true\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': 'directExpose' needs type tcp or udp", 1);
}

/* inspect and inspector.*: burrow's own keys. Off unless a proxy inspects;
 * defaults (127.0.0.1:4040, 16 MiB ring, 64 KiB bodies); inspect only on
 * http; off loopback only with a password, the error naming the key and the
 * addr's line. */
#define HTTP_PROXY                                                                                 \
    "[[proxies]]\nname = \"w\"\ntype = \"http\"\nlocalPort = 80\n"                                 \
    "customDomains = [\"a.example\"]\n"
static void test_inspector(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client(HTTP_PROXY, &c), 0);
    CHECK(!c.inspector.on);
    CHECK(!c.proxies[0].inspect);
    config_client_free(&c);

    CHECK_EQ_INT(client(HTTP_PROXY "inspect = true\n", &c), 0);
    CHECK_EQ_INT(diag_lines(), 0);
    CHECK(c.inspector.on);
    CHECK(c.proxies[0].inspect);
    CHECK_EQ_STR(c.inspector.addr, "127.0.0.1");
    CHECK_EQ_INT(c.inspector.port, INSPECT_DEFAULT_PORT);
    CHECK_EQ_INT(c.inspector.max_bytes, INSPECT_DEFAULT_MAX_BYTES);
    CHECK_EQ_INT(c.inspector.body_max, INSPECT_DEFAULT_BODY_MAX);
    config_client_free(&c);

    CHECK_EQ_INT(client("[inspector]\n"
                        "addr = \"0.0.0.0\"\n"
                        "port = 4041\n"
                        "user = \"u\"\n"
                        "password = \"pw\"\n"
                        "maxBytes = 100000\n"
                        "bodyMax = 0\n" HTTP_PROXY "inspect = true\n",
                        &c),
                 0);
    CHECK_EQ_STR(c.inspector.addr, "0.0.0.0");
    CHECK_EQ_INT(c.inspector.port, 4041);
    CHECK_EQ_STR(c.inspector.user, "u");
    CHECK_EQ_STR(c.inspector.password, "pw");
    CHECK_EQ_INT(c.inspector.max_bytes, 100000);
    CHECK_EQ_INT(c.inspector.body_max, 0);
    config_client_free(&c);

    /* Public without a password: refused at the addr's line. */
    client_fails("serverPort = 7000\n"
                 "inspector.addr = \"0.0.0.0\"\n" HTTP_PROXY "inspect = true\n",
                 "frpc.toml:2: error: key 'inspector.password': required when inspector.addr "
                 "'0.0.0.0' is not a loopback address",
                 1);
    /* ... but not while nothing inspects (no listener). */
    CHECK_EQ_INT(client("inspector.addr = \"0.0.0.0\"\n" HTTP_PROXY, &c), 0);
    CHECK(!c.inspector.on);
    config_client_free(&c);
    client_fails("[[proxies]]\nname = \"t\"\ntype = \"tcp\"\nlocalPort = 22\ninspect = true\n",
                 "frpc.toml:1: error: proxy 'proxies[0]': 'inspect' needs type http", 1);
    client_fails("inspector.maxBytes = 10\n",
                 "frpc.toml:1: error: key 'inspector.maxBytes': 10 is out of range", 1);
    client_fails("inspector.bodyMax = -1\n",
                 "frpc.toml:1: error: key 'inspector.bodyMax': -1 is out of range", 1);
}

int main(void)
{
    RUN(test_inspector);
    RUN(test_direct_expose);
    RUN(test_web_server);
    RUN(test_nat_traversal);
    RUN(test_full_server);
    RUN(test_nat_discovery);
    RUN(test_full_client);
    RUN(test_defaults);
    RUN(test_dotted_and_table_forms);
    RUN(test_allow_ports);
    RUN(test_users);
    RUN(test_open_server_refused);
    RUN(test_env_templates);
    RUN(test_range_template);
    RUN(test_range_template_errors);
    RUN(test_range_keys);
    RUN(test_ftp_key);
    RUN(test_lb_health_keys);
    RUN(test_type_errors);
    RUN(test_range_errors);
    RUN(test_value_errors);
    RUN(test_proxy_errors);
    RUN(test_wake_on_lan);
    RUN(test_syntax_error);
    RUN(test_all_errors_reported);
    RUN(test_unknown_keys_warn);
    RUN(test_frp_unsupported_keys);
    RUN(test_skipped_proxy_types);
    RUN(test_xtcp);
    RUN(test_visitors);
    RUN(test_stcp_proxies);
    RUN(test_sudp_entries);
    RUN(test_http_proxies);
    RUN(test_fingerprints);
    RUN(test_files);
    RUN(test_free_is_safe);
    RUN(test_examples);
    diag_reset();
    return TEST_SUMMARY();
}
