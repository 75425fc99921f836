/* test_config_safety: config mistakes caught at load — "did you mean" for
 * unknown keys (config_suggest), templates naming unset variables, host
 * names for localIP/serverAddr, metadatas/clientID bounds (proto/meta.h) and
 * the server's log.accessLog switch. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_suggest.h"
#include "proto/meta.h"
#include "testlib.h"

static char *g_diag;

static int client(const char *text, client_cfg_t *cfg)
{
    static size_t len;
    free(g_diag);
    g_diag = NULL;
    FILE *f = open_memstream(&g_diag, &len);
    int rc = config_parse_client("frpc.toml", text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static int server(const char *text, server_cfg_t *cfg)
{
    static size_t len;
    free(g_diag);
    g_diag = NULL;
    FILE *f = open_memstream(&g_diag, &len);
    int rc = config_parse_server("frps.toml", text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static bool diag_has(const char *s)
{
    bool ok = g_diag && strstr(g_diag, s);
    if (!ok) printf("  missing diagnostic: %s\n  got:\n%s", s, g_diag ? g_diag : "(none)\n");
    return ok;
}

static void test_edit_distance(void)
{
    CHECK_EQ_INT(config_edit_distance("serverport", "serverPort"), 0);
    CHECK_EQ_INT(config_edit_distance("serverprot", "serverPort"), 1); /* a swap */
    CHECK_EQ_INT(config_edit_distance("locaport", "localPort"), 1);
    CHECK_EQ_INT(config_edit_distance("", "abc"), 3);
    CHECK_EQ_INT(config_edit_distance("kitten", "sitting"), 3);
    char big[CONFIG_SUGGEST_MAX_LEN + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_EQ_INT(config_edit_distance(big, "a"), CONFIG_SUGGEST_MAX_LEN + 1);
}

static void test_suggest(void)
{
    static const char *const keys[] = {"serverAddr", "serverPort", "auth.token", "user", "log.to"};
    const size_t n = sizeof keys / sizeof keys[0];
    CHECK_EQ_STR(config_suggest("serverport", keys, n), "serverPort"); /* case first */
    CHECK_EQ_STR(config_suggest("serverAdr", keys, n), "serverAddr");
    CHECK_EQ_STR(config_suggest("auth.tokne", keys, n), "auth.token");
    CHECK(config_suggest("colour", keys, n) == NULL);
    CHECK_EQ_STR(config_suggest("usr", keys, n), "user");
    CHECK(config_suggest("use", keys, n) != NULL);
    CHECK(config_suggest("us", keys, n) == NULL); /* 2 edits in 2 letters: another word */
    CHECK(config_suggest("serverXXXX", keys, n) == NULL);
}

/* Each scope suggests from its own table. */
static void test_did_you_mean_in_config(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("serverport = 7000\n"
                        "[[proxies]]\n"
                        "name = \"a\"\n"
                        "type = \"tcp\"\n"
                        "localport = 22\n"
                        "remotePrt = 6000\n"
                        "[[visitors]]\n"
                        "name = \"v\"\n"
                        "type = \"stcp\"\n"
                        "serverName = \"x\"\n"
                        "secretKey = \"k\"\n"
                        "bindport = 9000\n",
                        &c),
                 -1); /* localPort missing */
    CHECK(
        diag_has("frpc.toml:1: warning: unknown key 'serverport' (did you mean 'serverPort'?)\n"));
    CHECK(diag_has("frpc.toml:5: warning: unknown key 'proxies[0].localport' (did you mean "
                   "'proxies[0].localPort'?)\n"));
    CHECK(diag_has("frpc.toml:6: warning: unknown key 'proxies[0].remotePrt' (did you mean "
                   "'proxies[0].remotePort'?)\n"));
    CHECK(diag_has("frpc.toml:12: warning: unknown key 'visitors[0].bindport' (did you mean "
                   "'visitors[0].bindPort'?)\n"));
    server_cfg_t s;
    CHECK_EQ_INT(server("auth.token = \"t\"\nbindport = 7000\nvhostHttpPort = 80\nzzz = 1\n", &s),
                 0);
    CHECK(diag_has("frps.toml:2: warning: unknown key 'bindport' (did you mean 'bindPort'?)\n"));
    CHECK(diag_has("frps.toml:3: warning: unknown key 'vhostHttpPort' (did you mean "
                   "'vhostHTTPPort'?)\n"));
    CHECK(diag_has("frps.toml:4: warning: unknown key 'zzz'\n"));
    config_server_free(&s);
}

/* auth.token = "{{ .Envs.X }}" with X unset must not mean "no token". */
static void test_unset_env(void)
{
    unsetenv("BURROW_SAFETY_UNSET");
    setenv("BURROW_SAFETY_EMPTY", "", 1);
    server_cfg_t s;
    CHECK_EQ_INT(server("bindPort = 7000\n"
                        "auth.token = \"{{ .Envs.BURROW_SAFETY_UNSET }}\"\n",
                        &s),
                 -1);
    CHECK(diag_has("frps.toml:2: error: template '{{ .Envs.BURROW_SAFETY_UNSET }}': environment "
                   "variable BURROW_SAFETY_UNSET is not set\n"));
    /* in a comment: left alone */
    CHECK_EQ_INT(server("#auth.token = \"{{ .Envs.BURROW_SAFETY_UNSET }}\"\n"
                        "  # {{ .Envs.BURROW_SAFETY_UNSET }}\n"
                        "auth.token = \"t\"\n",
                        &s),
                 0);
    config_server_free(&s);
    /* set but empty: loads; the open-server check refuses it later */
    CHECK_EQ_INT(server("auth.token = \"{{ .Envs.BURROW_SAFETY_EMPTY }}\"\n", &s), 0);
    CHECK_EQ_STR(s.token, "");
    FILE *devnull = fopen("/dev/null", "w");
    CHECK_EQ_INT(config_check_server_auth(&s, "frps.toml", devnull), -1);
    fclose(devnull);
    config_server_free(&s);
    /* every unset variable is named, with its line (through a range block) */
    client_cfg_t c;
    CHECK_EQ_INT(client("user = \"{{ .Envs.BURROW_SAFETY_UNSET }}\"\n"
                        "{{- range $_, $v := parseNumberRange \"1-2\" }}\n"
                        "[[proxies]]\n"
                        "name = \"p{{ $v }}\"\n"
                        "type = \"tcp\"\n"
                        "localPort = 22\n"
                        "{{- end }}\n"
                        "auth.token = \"{{.Envs.BURROW_SAFETY_OTHER}}\"\n",
                        &c),
                 -1);
    CHECK(diag_has("frpc.toml:1: error: template '{{ .Envs.BURROW_SAFETY_UNSET }}'"));
    CHECK(diag_has("frpc.toml:8: error: template '{{ .Envs.BURROW_SAFETY_OTHER }}'"));
}

/* The same in an included file (its own name and line) and in legacy INI
 * (';' comment lines skipped). */
static void test_unset_env_include_ini(void)
{
    char dir[] = "/tmp/burrow-safety-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char main_path[128], inc_path[128], ini_path[128];
    snprintf(main_path, sizeof main_path, "%s/frpc.toml", dir);
    snprintf(inc_path, sizeof inc_path, "%s/more.toml", dir);
    snprintf(ini_path, sizeof ini_path, "%s/frpc.ini", dir);
    FILE *f = fopen(main_path, "w");
    fputs("serverAddr = \"10.0.0.1\"\nincludes = [\"more.toml\"]\n", f);
    fclose(f);
    f = fopen(inc_path, "w");
    fputs("[[proxies]]\nname = \"x\"\ntype = \"tcp\"\nlocalPort = 22\n"
          "localIP = \"{{ .Envs.BURROW_SAFETY_UNSET }}\"\n",
          f);
    fclose(f);
    f = fopen(ini_path, "w");
    fputs("[common]\n; token = {{ .Envs.BURROW_SAFETY_UNSET }}\n"
          "server_addr = {{ .Envs.BURROW_SAFETY_UNSET }}\n",
          f);
    fclose(f);
    static size_t len;
    free(g_diag);
    g_diag = NULL;
    FILE *d = open_memstream(&g_diag, &len);
    client_cfg_t c;
    CHECK_EQ_INT(config_load_client(main_path, &c, d), -1);
    fflush(d);
    char want[256];
    snprintf(want, sizeof want, "%s:5: error: template '{{ .Envs.BURROW_SAFETY_UNSET }}'",
             inc_path);
    CHECK(diag_has(want));
    CHECK(!strstr(g_diag, "error: [")); /* no stray syntax error after it */
    CHECK_EQ_INT(config_load_client(ini_path, &c, d), -1);
    fclose(d);
    snprintf(want, sizeof want, "%s:3: error: template", ini_path);
    CHECK(diag_has(want));
    snprintf(want, sizeof want, "%s:2:", ini_path);
    CHECK(!strstr(g_diag, want)); /* the comment line */
    unlink(main_path);
    unlink(inc_path);
    unlink(ini_path);
    rmdir(dir);
}

#define PROXY(ip)                                                                                  \
    "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 22\nlocalIP = \"" ip "\"\n"

static void test_host_names(void)
{
    static const char *const good[] = {"localhost", "db",     "my_db-1.internal", "10.0.0.2",
                                       "::1",       "a.b.c.", "fe80::1"};
    static const char *const bad[] = {"", "-db", "db-", "a..b", "a b", "db:5432", ".db", "x/y"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[256];
        client_cfg_t c;
        snprintf(text, sizeof text, "serverAddr = \"%s\"\n" PROXY("%s"), good[i], good[i]);
        CHECK_EQ_INT(client(text, &c), 0);
        if (c.n_proxies == 1) CHECK_EQ_STR(c.proxies[0].local_ip, good[i]);
        CHECK_EQ_STR(c.server_addr, good[i]);
        config_client_free(&c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], want[160];
        client_cfg_t c;
        snprintf(text, sizeof text, PROXY("%s"), bad[i]);
        CHECK_EQ_INT(client(text, &c), -1);
        snprintf(want, sizeof want,
                 "frpc.toml:5: error: key 'proxies[0].localIP': '%s' is neither an IP address "
                 "nor a host name",
                 bad[i]);
        CHECK(diag_has(want));
    }
    char label[80], text[256];
    client_cfg_t c;
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(text, sizeof text, "serverAddr = \"%s.example\"\n", label);
    CHECK_EQ_INT(client(text, &c), -1); /* a 64-byte label */
    label[63] = '\0';
    snprintf(text, sizeof text, "serverAddr = \"%s.example\"\n", label);
    CHECK_EQ_INT(client(text, &c), 0);
    config_client_free(&c);
}

static void test_metadatas_and_client_id(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client("clientID = \"edge-7\"\n"
                        "metadatas.site = \"lab\"\n"
                        "metadatas.owner = \"ops\"\n"
                        "[[proxies]]\n"
                        "name = \"a\"\n"
                        "type = \"tcp\"\n"
                        "localPort = 22\n"
                        "[proxies.metadatas]\n"
                        "role = \"ssh\"\n",
                        &c),
                 0);
    CHECK_EQ_STR(c.client_id, "edge-7");
    CHECK_EQ_INT(c.metadatas.n, 2);
    if (c.metadatas.n == 2) {
        CHECK_EQ_STR(c.metadatas.v[0].name, "site");
        CHECK_EQ_STR(c.metadatas.v[1].value, "ops");
    }
    if (c.n_proxies == 1) CHECK_EQ_INT(c.proxies[0].metadatas.n, 1);
    config_client_free(&c);

    /* bounds: entries, key and value sizes, clientID size */
    char text[8192];
    size_t o = 0;
    for (int i = 0; i <= META_MAX_ENTRIES; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "metadatas.k%d = \"v\"\n", i);
    CHECK_EQ_INT(client(text, &c), -1);
    CHECK(diag_has("error: key 'metadatas': 33 entries, at most 32"));
    char big[META_VALUE_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(text, sizeof text, "metadatas.k = \"%s\"\n", big);
    CHECK_EQ_INT(client(text, &c), -1);
    CHECK(diag_has("frpc.toml:1: error: key 'metadatas.k': names are 1..64 and values 0..256"));
    big[META_VALUE_MAX] = '\0';
    snprintf(text, sizeof text, "metadatas.k = \"%s\"\n", big);
    CHECK_EQ_INT(client(text, &c), 0); /* exactly the bound */
    config_client_free(&c);
    CHECK_EQ_INT(client("metadatas.k = \"a\\nb\"\n", &c), -1); /* no control bytes */
    CHECK_EQ_INT(client("clientID = \"\"\n", &c), -1);
    CHECK(diag_has("frpc.toml:1: error: key 'clientID': 1..128 bytes of text"));
}

/* The server's side of the same bounds: peer input. */
static void test_meta_check(void)
{
    char err[128];
    CHECK_EQ_INT(meta_check(NULL, err, sizeof err), 0);
    json_t *o = json_object();
    for (int i = 0; i < META_MAX_ENTRIES; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(o, k, json_string("v"));
    }
    CHECK_EQ_INT(meta_check(o, err, sizeof err), 0); /* at the bound */
    json_object_set_new(o, "one-more", json_string("v"));
    CHECK_EQ_INT(meta_check(o, err, sizeof err), -1);
    CHECK_EQ_STR(err, "metadatas has more than 32 entries");
    json_decref(o);
    char big[META_VALUE_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    o = json_pack("{s:s}", "k", big);
    CHECK_EQ_INT(meta_check(o, err, sizeof err), -1);
    json_decref(o);
    big[META_KEY_MAX + 1] = '\0';
    o = json_pack("{s:s}", big, "v");
    CHECK_EQ_INT(meta_check(o, err, sizeof err), -1);
    json_decref(o);
    o = json_pack("{s:i}", "k", 1);
    CHECK_EQ_INT(meta_check(o, err, sizeof err), -1);
    json_decref(o);
    o = json_object();
    json_object_set_new(o, "k", json_stringn("a\0b", 3));
    CHECK_EQ_INT(meta_check(o, err, sizeof err), -1);
    json_decref(o);
    o = json_string("x");
    CHECK_EQ_INT(meta_check(o, err, sizeof err), -1);
    json_decref(o);
    CHECK_EQ_INT(meta_check_id("edge-7", err, sizeof err), 0);
    CHECK_EQ_INT(meta_check_id("", err, sizeof err), -1);
    CHECK_EQ_INT(meta_check_id("a\x1b[31m", err, sizeof err), -1);
    char buf[64];
    o = json_pack("{s:s,s:s}", "a", "1", "b", "2");
    meta_format(o, buf, sizeof buf);
    CHECK_EQ_STR(buf, "a=1,b=2");
    meta_format(o, buf, 5);
    CHECK_EQ_STR(buf, "a=1,");
    json_decref(o);
}

static void test_access_log_key(void)
{
    server_cfg_t s;
    CHECK_EQ_INT(server("auth.token = \"t\"\n", &s), 0);
    CHECK(s.access_log);
    config_server_free(&s);
    CHECK_EQ_INT(server("auth.token = \"t\"\nlog.accessLog = false\n", &s), 0);
    CHECK(!s.access_log);
    config_server_free(&s);
}

int main(void)
{
    RUN(test_edit_distance);
    RUN(test_suggest);
    RUN(test_did_you_mean_in_config);
    RUN(test_unset_env);
    RUN(test_unset_env_include_ini);
    RUN(test_host_names);
    RUN(test_metadatas_and_client_id);
    RUN(test_meta_check);
    RUN(test_access_log_key);
    free(g_diag);
    return TEST_SUMMARY();
}
