/* test_cfg_formats: the config front ends other than TOML (YAML, JSON,
 * legacy INI), the choice between them, `includes`, the TOML writer of
 * `burrow config convert`, and that tests/config's fixtures load to the
 * same settings in every format. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_emit.h"
#include "config/cfg_format.h"
#include "config/cfg_include.h"
#include "config/cfg_ini.h"
#include "config/cfg_json.h"
#include "config/cfg_yaml.h"
#include "config/config.h"
#include "config/config_diff.h"
#include "config/toml.h"
#include "testlib.h"

/* ---- helpers ------------------------------------------------------------ */

static char *g_diag;

static FILE *diag_open(void)
{
    static size_t len;
    free(g_diag);
    g_diag = NULL;
    return open_memstream(&g_diag, &len);
}

static bool diag_has(const char *s)
{
    if (g_diag && strstr(g_diag, s)) return true;
    fprintf(stderr, "  missing diagnostic: %s\n  got:\n%s", s, g_diag ? g_diag : "");
    return false;
}

static int client_text(const char *name, const char *text, client_cfg_t *cfg)
{
    FILE *f = diag_open();
    int rc = config_parse_client(name, text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static int server_text(const char *name, const char *text, server_cfg_t *cfg)
{
    FILE *f = diag_open();
    int rc = config_parse_server(name, text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static const toml_value_t *at(const toml_value_t *t, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *part = strtok(buf, "."); part && t; part = strtok(NULL, "."))
        t = toml_table_get(t, part);
    return t;
}

static toml_value_t *yaml(const char *text, toml_error_t *err)
{
    return cfg_yaml_parse(text, strlen(text), false, err);
}

/* The parse fails at line:col with a message holding `want`. */
static void check_yaml_refused(const char *text, int line, int col, const char *want)
{
    toml_error_t err;
    toml_value_t *t = yaml(text, &err);
    CHECK(t == NULL);
    toml_free(t);
    CHECK_EQ_INT(err.line, line);
    CHECK_EQ_INT(err.col, col);
    if (!strstr(err.msg, want)) fprintf(stderr, "  message '%s' lacks '%s'\n", err.msg, want);
    CHECK(strstr(err.msg, want) != NULL);
}

/* ---- YAML --------------------------------------------------------------- */

static void test_yaml_scalars(void)
{
    toml_error_t err;
    toml_value_t *t = yaml("a: 7000\n"
                           "b: -0x10\n"
                           "c: 1.5e3\n"
                           "d: yes\n"
                           "e: False\n"
                           "f: '7000'\n"
                           "g: \"true\"\n"
                           "h: 1.2.3.4\n"
                           "i: !!str 42\n"
                           "j: !!float 2\n"
                           "k: [1, two]\n"
                           "l: {m: n}\n"
                           "o: 0o17\n",
                           &err);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ_INT(at(t, "a")->type, TOML_INTEGER);
    CHECK_EQ_INT(at(t, "a")->u.i, 7000);
    CHECK_EQ_INT(at(t, "b")->u.i, -16);
    CHECK_EQ_INT(at(t, "c")->type, TOML_FLOAT);
    CHECK(at(t, "c")->u.f == 1500.0);
    CHECK_EQ_INT(at(t, "d")->type, TOML_BOOL);
    CHECK(at(t, "d")->u.b);
    CHECK(!at(t, "e")->u.b);
    CHECK_EQ_INT(at(t, "f")->type, TOML_STRING); /* quoted: a string */
    CHECK_EQ_STR(at(t, "g")->u.s.ptr, "true");
    CHECK_EQ_STR(at(t, "h")->u.s.ptr, "1.2.3.4");
    CHECK_EQ_STR(at(t, "i")->u.s.ptr, "42");
    CHECK_EQ_INT(at(t, "j")->type, TOML_FLOAT);
    CHECK_EQ_INT(at(t, "k")->u.arr.len, 2);
    CHECK_EQ_STR(at(t, "k")->u.arr.items[1]->u.s.ptr, "two");
    CHECK_EQ_STR(at(t, "l.m")->u.s.ptr, "n");
    CHECK_EQ_INT(at(t, "o")->u.i, 15);
    toml_free(t);
}

static void test_yaml_positions(void)
{
    toml_error_t err;
    toml_value_t *t = yaml("# comment\n"
                           "serverPort: 7000\n"
                           "proxies:\n"
                           "  - name: ssh\n"
                           "    localPort: 22\n",
                           &err);
    CHECK(t != NULL);
    if (!t) return;
    const toml_kv_t *kv = toml_table_get_kv(t, "serverPort");
    CHECK_EQ_INT(kv->line, 2);
    CHECK_EQ_INT(kv->col, 1);
    CHECK_EQ_INT(kv->value->col, 13);
    const toml_value_t *p = toml_table_get(t, "proxies")->u.arr.items[0];
    kv = toml_table_get_kv(p, "localPort");
    CHECK_EQ_INT(kv->line, 5);
    CHECK_EQ_INT(kv->col, 5);
    toml_free(t);
    /* comments only, or nothing: an empty table */
    t = yaml("# nothing\n", &err);
    CHECK(t && t->type == TOML_TABLE && t->u.tab.len == 0);
    toml_free(t);
    t = yaml("", &err);
    CHECK(t && t->u.tab.len == 0);
    toml_free(t);
}

static void test_yaml_refused(void)
{
    check_yaml_refused("a: 1\nb: &x 2\n", 2, 4, "anchors");
    check_yaml_refused("a: 1\nb: *x\n", 2, 4, "alias"); /* libyaml: undefined alias is fine to it */
    check_yaml_refused("a: 1\nb:\n", 2, 3, "null value");
    check_yaml_refused("a: ~\n", 1, 4, "null value");
    check_yaml_refused("a: 1\na: 2\n", 2, 1, "duplicate key 'a'");
    check_yaml_refused("a: 1\n---\nb: 2\n", 2, 1, "more than one YAML document");
    check_yaml_refused("- 1\n- 2\n", 1, 1, "must be a mapping");
    check_yaml_refused("a: !!binary aGk=\n", 1, 4, "not supported");
    check_yaml_refused("a: !custom x\n", 1, 4, "not supported");
    check_yaml_refused("a: !!int abc\n", 1, 4, "not a valid !!int");
    check_yaml_refused("? [1]\n: 2\n", 1, 3, "a key must be");
    check_yaml_refused("a: 99999999999999999999\n", 1, 4, "out of range");
    check_yaml_refused("a: [1, 2\n", 2, 1, "flow sequence");
    /* nesting: TOML_MAX_DEPTH levels pass, one more is refused */
    char deep[600];
    int n = 0;
    n += snprintf(deep + n, sizeof deep - (size_t)n, "a: ");
    for (int i = 0; i < TOML_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < TOML_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    toml_error_t err;
    toml_value_t *t = yaml(deep, &err);
    CHECK(t == NULL); /* the root table is level 1: 128 brackets make 129 */
    CHECK(strstr(err.msg, "nesting deeper than 128") != NULL);
    toml_free(t);
    deep[3 + TOML_MAX_DEPTH - 1] = ' ';
    deep[3 + TOML_MAX_DEPTH] = ' '; /* 127 levels of arrays under the root: accepted */
    t = yaml(deep, &err);
    CHECK(t != NULL);
    toml_free(t);
    /* size */
    size_t big = CFG_MAX_BYTES + 1;
    char *text = malloc(big);
    if (text) {
        memset(text, '#', big);
        t = cfg_yaml_parse(text, big, false, &err);
        CHECK(t == NULL);
        CHECK(strstr(err.msg, "longer than") != NULL);
        toml_free(t);
        free(text);
    }
}

/* ---- JSON --------------------------------------------------------------- */

static void test_json(void)
{
    toml_error_t err;
    const char *text = "{\n"
                       "  \"serverPort\": 7000,\n"
                       "  \"auth\": {\"token\": \"x\\/y\"},\n"
                       "  \"ratio\": 0.5,\n"
                       "  \"on\": true,\n"
                       "  \"yes\": \"yes\"\n"
                       "}\n";
    toml_value_t *t = cfg_json_parse(text, strlen(text), &err);
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(at(t, "serverPort")->u.i, 7000);
        CHECK_EQ_INT(toml_table_get_kv(t, "serverPort")->line, 2);
        CHECK_EQ_INT(toml_table_get_kv(t, "serverPort")->col, 3);
        CHECK_EQ_STR(at(t, "auth.token")->u.s.ptr, "x/y");
        CHECK_EQ_INT(at(t, "ratio")->type, TOML_FLOAT);
        CHECK_EQ_INT(at(t, "on")->type, TOML_BOOL);
        CHECK_EQ_INT(at(t, "yes")->type, TOML_STRING);
    }
    toml_free(t);
    const char *dup = "{\"a\": 1,\n \"a\": 2}";
    t = cfg_json_parse(dup, strlen(dup), &err);
    CHECK(t == NULL);
    CHECK_EQ_INT(err.line, 2);
    CHECK(strstr(err.msg, "duplicate") != NULL);
    const char *comma = "{\"a\": 1,}";
    t = cfg_json_parse(comma, strlen(comma), &err);
    CHECK(t == NULL && err.line == 1);
    t = cfg_json_parse("[1]", 3, &err);
    CHECK(t == NULL && strstr(err.msg, "object") != NULL);
    t = cfg_json_parse("{\"a\": null}", 11, &err);
    CHECK(t == NULL && strstr(err.msg, "null value") != NULL);
}

/* ---- legacy INI --------------------------------------------------------- */

static int g_warnings;
static char g_last_warning[256];
static int g_last_warning_line;

static void count_warning(void *arg, int line, const char *msg)
{
    (void)arg;
    g_warnings++;
    g_last_warning_line = line;
    snprintf(g_last_warning, sizeof g_last_warning, "%s", msg);
}

static toml_value_t *ini(const char *text, cfg_ini_role_t role, toml_error_t *err)
{
    g_warnings = 0;
    g_last_warning[0] = '\0';
    return cfg_ini_parse(text, strlen(text), role, count_warning, NULL, err);
}

static void test_ini_client(void)
{
    toml_error_t err;
    toml_value_t *t = ini("; a comment\n"
                          "[common]\n"
                          "server_addr = \"198.51.100.1\"\n"
                          "server_port: 7001\n"
                          "token = '{{ .Envs.T }}'\n"
                          "authenticate_new_work_conns = true\n"
                          "tls_enable = false\n"
                          "admin_port =\n" /* empty: unset */
                          "meta_env = prod\n"
                          "no_such_key = 1\n" /* line 10: warned */
                          "user = a\n"
                          "user = b\n" /* the last wins */
                          "\n"
                          "[web]\n"
                          "type = http\n"
                          "local_port = 8080\n"
                          "custom_domains = a.example.com, b.example.com ,\n"
                          "header_X-Real = yes # not a comment\n"
                          "use_encryption\n" /* a bare key: true */
                          "[range:game]\n"
                          "local_port = 7000-7002\n"
                          "remote_port = 8000\n"
                          "[peek]\n"
                          "type = stcp\n"
                          "server_name = web\n"
                          "role = visitor\n"
                          "bind_port = -1\n",
                          CFG_INI_CLIENT, &err);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "  %d:%d %s\n", err.line, err.col, err.msg);
        return;
    }
    CHECK_EQ_STR(at(t, "serverAddr")->u.s.ptr, "198.51.100.1");
    CHECK_EQ_INT(at(t, "serverPort")->u.i, 7001);
    CHECK_EQ_STR(at(t, "auth.token")->u.s.ptr, "{{ .Envs.T }}");
    CHECK_EQ_STR(at(t, "auth.additionalScopes")->u.arr.items[0]->u.s.ptr, "NewWorkConns");
    CHECK(!at(t, "transport.tls.enable")->u.b);
    CHECK(at(t, "webServer") == NULL);
    CHECK_EQ_STR(at(t, "metadatas.env")->u.s.ptr, "prod");
    CHECK_EQ_STR(at(t, "user")->u.s.ptr, "b");
    CHECK_EQ_INT(g_warnings, 1);
    CHECK_EQ_INT(g_last_warning_line, 10);
    CHECK(strstr(g_last_warning, "'no_such_key'") != NULL);
    const toml_value_t *px = toml_table_get(t, "proxies");
    CHECK(px && px->u.arr.len == 2);
    if (px && px->u.arr.len == 2) {
        const toml_value_t *web = px->u.arr.items[0], *game = px->u.arr.items[1];
        CHECK_EQ_STR(at(web, "name")->u.s.ptr, "web");
        CHECK_EQ_INT(web->line, 14);
        CHECK_EQ_INT(at(web, "localPort")->type, TOML_INTEGER);
        CHECK_EQ_INT(at(web, "customDomains")->u.arr.len, 2);
        CHECK_EQ_STR(at(web, "customDomains")->u.arr.items[1]->u.s.ptr, "b.example.com");
        CHECK_EQ_STR(toml_table_get(at(web, "requestHeaders.set"), "X-Real")->u.s.ptr,
                     "yes # not a comment");
        CHECK(at(web, "transport.useEncryption")->u.b);
        CHECK_EQ_STR(at(game, "name")->u.s.ptr, "game");
        CHECK_EQ_STR(at(game, "type")->u.s.ptr, "tcp"); /* frp's default */
        CHECK_EQ_STR(at(game, "localPort")->u.s.ptr, "7000-7002");
        CHECK_EQ_INT(at(game, "remotePort")->u.i, 8000);
    }
    const toml_value_t *vs = toml_table_get(t, "visitors");
    CHECK(vs && vs->u.arr.len == 1);
    if (vs && vs->u.arr.len == 1) {
        CHECK_EQ_STR(at(vs->u.arr.items[0], "serverName")->u.s.ptr, "web");
        CHECK_EQ_INT(at(vs->u.arr.items[0], "bindPort")->u.i, -1);
        CHECK(at(vs->u.arr.items[0], "role") == NULL);
    }
    toml_free(t);
}

static void test_ini_server(void)
{
    toml_error_t err;
    toml_value_t *t = ini("[common]\n"
                          "bind_port = 7000\n"
                          "dashboard_port = 7500\n"
                          "dashboard_pwd = pw\n"
                          "allow_ports = 2000-3000, 3001\n"
                          "tls_only = true\n"
                          "log_duration_types = all\n"
                          "[plugin.check]\n"
                          "addr = 127.0.0.1:9000\n"
                          "ops = Login,NewProxy\n"
                          "[stray]\n"
                          "x = 1\n",
                          CFG_INI_SERVER, &err);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ_INT(at(t, "bindPort")->u.i, 7000);
    CHECK_EQ_INT(at(t, "webServer.port")->u.i, 7500);
    CHECK_EQ_STR(at(t, "webServer.password")->u.s.ptr, "pw");
    CHECK(at(t, "transport.tls.force")->u.b);
    const toml_value_t *ap = at(t, "allowPorts");
    CHECK(ap && ap->u.arr.len == 2);
    if (ap && ap->u.arr.len == 2) {
        CHECK_EQ_INT(at(ap->u.arr.items[0], "start")->u.i, 2000);
        CHECK_EQ_INT(at(ap->u.arr.items[0], "end")->u.i, 3000);
        CHECK_EQ_INT(at(ap->u.arr.items[1], "single")->u.i, 3001);
    }
    const toml_value_t *hp = at(t, "httpPlugins");
    CHECK(hp && hp->u.arr.len == 1);
    if (hp && hp->u.arr.len == 1) {
        CHECK_EQ_STR(at(hp->u.arr.items[0], "name")->u.s.ptr, "check");
        CHECK_EQ_INT(at(hp->u.arr.items[0], "ops")->u.arr.len, 2);
    }
    CHECK_EQ_INT(g_warnings, 2); /* log_duration_types, [stray] */
    CHECK(strstr(g_last_warning, "[stray]") != NULL);
    toml_free(t);
}

static void check_ini_refused(const char *text, int line, int col, const char *want)
{
    toml_error_t err;
    toml_value_t *t = ini(text, CFG_INI_CLIENT, &err);
    CHECK(t == NULL);
    toml_free(t);
    CHECK_EQ_INT(err.line, line);
    CHECK_EQ_INT(err.col, col);
    if (!strstr(err.msg, want)) fprintf(stderr, "  message '%s' lacks '%s'\n", err.msg, want);
    CHECK(strstr(err.msg, want) != NULL);
}

static void test_ini_errors(void)
{
    check_ini_refused("[common]\nserver_port = 7k\n", 2, 15,
                      "key 'server_port': expected an integer");
    check_ini_refused("[common]\ntls_enable = maybe\n", 2, 14, "expected true or false");
    check_ini_refused("[common\n", 1, 2, "without ']'");
    check_ini_refused("[common]\n[a]\nuse_compression = 2\n", 3, 19, "expected true or false");
    /* keys before any section: one warning, nothing set */
    toml_error_t err;
    toml_value_t *t = ini("a = 1\nb = 2\n[common]\n", CFG_INI_CLIENT, &err);
    CHECK(t && t->u.tab.len == 0);
    CHECK_EQ_INT(g_warnings, 1);
    toml_free(t);
}

/* Today's two bugs: an INI fails with "invalid float" (TOML reads
 * `server_addr = 1.2.3.4`), and an INI with quoted values passes as
 * `ok (0 proxies)` (valid TOML of unknown tables). Both are frp INI by
 * their [common] section whatever the file is called. */
static void test_ini_legacy_bugs(void)
{
    client_cfg_t c;
    const char *plain = "[common]\nserver_addr = 1.2.3.4\nserver_port = 7000\n"
                        "[ssh]\ntype = tcp\nlocal_port = 22\nremote_port = 6000\n";
    CHECK_EQ_INT(client_text("frpc.conf", plain, &c), 0);
    CHECK(diag_has("frpc.conf: note: legacy INI format; the TOML equivalent of this file is "
                   "shown by 'burrow config convert frpc.conf'\n"));
    CHECK_EQ_INT(c.n_proxies, 1);
    CHECK_EQ_STR(c.server_addr, "1.2.3.4");
    if (c.n_proxies == 1) CHECK_EQ_INT(c.proxies[0].remote_port, 6000);
    config_client_free(&c);
    const char *quoted = "[common]\nserver_addr = \"1.2.3.4\"\n"
                         "[ssh]\ntype = \"tcp\"\nlocal_port = \"22\"\n";
    CHECK_EQ_INT(client_text("frpc.toml", quoted, &c), 0);
    CHECK_EQ_INT(c.n_proxies, 1);
    if (c.n_proxies == 1) CHECK_EQ_INT(c.proxies[0].local_port, 22);
    config_client_free(&c);
    /* a bad value names the file, line and column */
    CHECK_EQ_INT(client_text("frpc.ini", "[common]\nserver_port = x\n", &c), -1);
    CHECK(diag_has("frpc.ini:2:15: error: key 'server_port': expected an integer, got 'x'\n"));
    /* an unknown key: warned at its line */
    CHECK_EQ_INT(client_text("frpc.ini", "[common]\nserver_prot = 7000\n", &c), 0);
    CHECK(diag_has("frpc.ini:2: warning: unknown legacy INI key 'server_prot' in [common]; "
                   "ignored\n"));
    config_client_free(&c);
    server_cfg_t s;
    CHECK_EQ_INT(server_text("frps.ini", "[common]\nbind_port = 7100\ntoken = t\n", &s), 0);
    CHECK_EQ_INT(s.bind_port, 7100);
    CHECK_EQ_STR(s.token, "t");
    config_server_free(&s);
}

/* ---- choosing the front end, messages ----------------------------------- */

static void test_format_choice(void)
{
    CHECK_EQ_INT(cfg_format_of("a.yaml", "", 0), CFG_YAML);
    CHECK_EQ_INT(cfg_format_of("dir/A.YML", "", 0), CFG_YAML);
    CHECK_EQ_INT(cfg_format_of("a.json", "", 0), CFG_JSON);
    CHECK_EQ_INT(cfg_format_of("a.ini", "", 0), CFG_INI);
    CHECK_EQ_INT(cfg_format_of("a.toml", "x = 1\n", 6), CFG_TOML);
    CHECK_EQ_INT(cfg_format_of("frpc", "[common]\n", 9), CFG_INI);
    CHECK_EQ_INT(cfg_format_of("a.yaml.d/frpc", "x = 1\n", 6), CFG_TOML);
    CHECK_EQ_INT(cfg_ini_guess_role("[common]\nbind_port = 1\n", 22), CFG_INI_SERVER);
    CHECK_EQ_INT(cfg_ini_guess_role("[common]\nserver_port = 1\n[bind_port]\n", 36),
                 CFG_INI_CLIENT);
}

static void test_yaml_json_messages(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client_text("frpc.yaml",
                             "serverAddr: 1.2.3.4\n"
                             "serverPort: \"7000\"\n"
                             "proxies:\n"
                             "  - name: ssh\n"
                             "    localPort: 22\n"
                             "    remotePort: 70000\n",
                             &c),
                 -1);
    CHECK(diag_has("frpc.yaml:2: error: key 'serverPort': expected an integer, got a string\n"));
    CHECK(diag_has("frpc.yaml:6: error: key 'proxies[0].remotePort': 70000 is out of range"));
    CHECK_EQ_INT(client_text("frpc.yaml", "a: [1\n", &c), -1);
    CHECK(diag_has("frpc.yaml:"));
    CHECK(diag_has(":1: error: did not find expected ',' or ']' while parsing a flow sequence\n"));
    CHECK_EQ_INT(client_text("frpc.json", "{\"serverPort\": 7000,}", &c), -1);
    CHECK(diag_has("frpc.json:1:"));
    /* templates are text-level: they apply to YAML too */
    setenv("BURROW_TEST_PORT", "7123", 1);
    CHECK_EQ_INT(client_text("frpc.yaml", "serverPort: {{ .Envs.BURROW_TEST_PORT }}\n", &c), 0);
    CHECK_EQ_INT(c.server_port, 7123);
    config_client_free(&c);
}

/* ---- includes ----------------------------------------------------------- */

static char g_dir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A sparse file of `size` zero bytes (nothing written to disk). */
static int truncate_new(const char *path, size_t size)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int rc = ftruncate(fileno(f), (off_t)size);
    fclose(f);
    return rc;
}

static int load_main(client_cfg_t *c)
{
    char path[256];
    snprintf(path, sizeof path, "%s/frpc.toml", g_dir);
    FILE *f = diag_open();
    int rc = config_load_client(path, c, f);
    fclose(f);
    return rc;
}

static void test_includes(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/burrow-inc-%d", (int)getpid());
    char sub[128];
    snprintf(sub, sizeof sub, "%s/conf.d", g_dir);
    mkdir(g_dir, 0700);
    mkdir(sub, 0700);
    write_file("frpc.toml", "serverAddr = \"1.2.3.4\"\n"
                            "includes = [\"conf.d/*.yaml\", \"extra.ini\"]\n"
                            "[[proxies]]\nname = \"main\"\ntype = \"tcp\"\nlocalPort = 1\n");
    write_file("conf.d/a.yaml", "proxies:\n  - name: a\n    type: udp\n    localPort: 53\n");
    write_file("conf.d/b.yaml", "visitors:\n  - name: v\n    type: stcp\n    serverName: main\n"
                                "    secretKey: k\n    bindPort: 9000\n");
    write_file("extra.ini", "[x]\ntype = tcp\nlocal_port = 2\n");
    client_cfg_t c;
    CHECK_EQ_INT(load_main(&c), 0);
    CHECK_EQ_INT(c.n_proxies, 3);
    if (c.n_proxies == 3) {
        CHECK_EQ_STR(c.proxies[0].name, "main");
        CHECK_EQ_STR(c.proxies[1].name, "a");
        CHECK_EQ_INT(c.proxies[1].kind, PROXY_UDP);
        CHECK_EQ_STR(c.proxies[2].name, "x");
    }
    CHECK_EQ_INT(c.n_visitors, 1);
    CHECK(diag_has("extra.ini: note: legacy INI format"));
    config_client_free(&c);

    /* a problem in an included file names that file and its line */
    write_file("conf.d/a.yaml", "proxies:\n  - name: a\n    type: udp\n    localPort: 99999\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("/conf.d/a.yaml:4: error: key 'proxies[1].localPort': 99999 is out of range"));
    write_file("conf.d/a.yaml", "proxies:\n  - name: main\n    type: udp\n    localPort: 53\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("/conf.d/a.yaml:2: error: key 'proxies[1].name': duplicate proxy name 'main' "
                   "(first at /tmp/burrow-inc-"));
    CHECK(diag_has("/frpc.toml:3)\n"));
    write_file("conf.d/a.yaml", "serverPort: 1\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("/conf.d/a.yaml:1: error: key 'serverPort': an included file holds only "
                   "proxies and visitors\n"));
    write_file("conf.d/a.yaml", "proxies: [\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("/conf.d/a.yaml:"));
    CHECK(diag_has(":1: error: did not find expected node content"));
    write_file("conf.d/a.yaml", "proxies: []\n");

    /* a pattern matching the main file skips it, with a warning */
    write_file("frpc.toml", "includes = [\"*.toml\"]\n[[proxies]]\nname = \"m\"\ntype = \"tcp\"\n"
                            "localPort = 1\n");
    CHECK_EQ_INT(load_main(&c), 0);
    CHECK(diag_has("frpc.toml:1: warning: key 'includes[0]': '"));
    CHECK(diag_has("/frpc.toml' is the main file itself; skipped\n"));
    CHECK_EQ_INT(c.n_proxies, 1);
    config_client_free(&c);

    /* a missing plain file is an error; a pattern matching nothing warns */
    write_file("frpc.toml", "includes = [\"nope.toml\", \"none/*.toml\"]\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("frpc.toml:1: error: key 'includes[0]': cannot read '"));
    CHECK(diag_has("frpc.toml:1: warning: key 'includes[1]': pattern 'none/*.toml' matches no "
                   "file\n"));

    /* the bound on the number of files */
    for (int i = 0; i <= CFG_INCLUDE_MAX_FILES; i++) {
        char name[64];
        snprintf(name, sizeof name, "conf.d/p%03d.yaml", i);
        write_file(name, "proxies: []\n");
    }
    write_file("frpc.toml", "includes = [\"conf.d/*.yaml\"]\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("error: key 'includes[0]': more than 64 included files\n"));

    /* the bounds on bytes, with sparse files: one file over CFG_MAX_BYTES,
     * then five of CFG_MAX_BYTES (over CFG_INCLUDE_MAX_TOTAL together) */
    char path[256];
    snprintf(path, sizeof path, "%s/big/one.yaml", g_dir);
    snprintf(sub, sizeof sub, "%s/big", g_dir);
    mkdir(sub, 0700);
    CHECK_EQ_INT(truncate_new(path, CFG_MAX_BYTES + 1), 0);
    write_file("frpc.toml", "includes = [\"big/*.yaml\"]\n");
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("one.yaml': included files larger than 4194304 bytes (each) or 16777216"));
    unlink(path);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/big/f%d.yaml", g_dir, i);
        CHECK_EQ_INT(truncate_new(path, CFG_MAX_BYTES), 0);
    }
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("f4.yaml': included files larger than"));
    /* the main file's own bound */
    snprintf(path, sizeof path, "%s/frpc.toml", g_dir);
    CHECK_EQ_INT(truncate_new(path, CFG_MAX_BYTES + 1), 0);
    CHECK_EQ_INT(load_main(&c), -1);
    CHECK(diag_has("frpc.toml: error: larger than 4194304 bytes\n"));
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* ---- the fixtures: one config in four formats --------------------------- */

static int load_fixture(const char *name, client_cfg_t *c)
{
    const char *src = getenv("BURROW_SRC");
    char path[512];
    snprintf(path, sizeof path, "%s/tests/config/%s", src ? src : "..", name);
    FILE *f = diag_open();
    int rc = config_load_client(path, c, f);
    fclose(f);
    if (rc != 0) fprintf(stderr, "%s", g_diag ? g_diag : "");
    return rc;
}

/* Every proxy and visitor of b is one of a's, with equal settings. */
static void check_same_client(const client_cfg_t *a, const client_cfg_t *b, const char *what)
{
    const char *key = config_client_key_diff(a, b);
    if (key) fprintf(stderr, "  %s: client key %s differs\n", what, key);
    CHECK(key == NULL);
    CHECK_EQ_INT(a->n_proxies, b->n_proxies);
    CHECK_EQ_INT(a->n_visitors, b->n_visitors);
    if (a->n_proxies != b->n_proxies || a->n_visitors != b->n_visitors) return;
    const proxy_cfg_t **old = calloc((size_t)a->n_proxies + 1, sizeof *old);
    cdiff_t *o = calloc((size_t)a->n_proxies + 1, sizeof *o);
    cdiff_t *n = calloc((size_t)b->n_proxies + 1, sizeof *n);
    for (int i = 0; old && i < a->n_proxies; i++)
        old[i] = &a->proxies[i];
    if (old && o && n) config_diff_proxies(old, a->n_proxies, b->proxies, b->n_proxies, o, n);
    for (int i = 0; o && n && i < a->n_proxies; i++) {
        if (o[i] != CDIFF_KEPT)
            fprintf(stderr, "  %s: proxy %s %s\n", what, a->proxies[i].name, cdiff_name(o[i]));
        CHECK(o[i] == CDIFF_KEPT);
    }
    free(old);
    free(o);
    free(n);
    cdiff_t vo[8] = {0}, vn[8] = {0};
    if (a->n_visitors <= 8) {
        config_diff_visitors(a->visitors, a->n_visitors, b->visitors, b->n_visitors, vo, vn);
        for (int i = 0; i < a->n_visitors; i++)
            CHECK(vo[i] == CDIFF_KEPT);
    }
}

static void test_fixtures_same_settings(void)
{
    client_cfg_t t, y, j, i;
    CHECK_EQ_INT(load_fixture("client_full.toml", &t), 0);
    CHECK_EQ_INT(load_fixture("client_full.yaml", &y), 0);
    CHECK_EQ_INT(load_fixture("client_full.json", &j), 0);
    CHECK_EQ_INT(load_fixture("client_full.ini", &i), 0);
    CHECK(t.n_proxies > 20); /* the range and the included file are there */
    check_same_client(&t, &y, "yaml");
    check_same_client(&t, &j, "json");
    /* INI has no responseHeaders: web01's are the only difference */
    for (int k = 0; k < t.n_proxies; k++)
        if (t.proxies[k].response_headers.n) {
            CHECK_EQ_STR(t.proxies[k].name, "web01");
            for (int h = 0; h < t.proxies[k].response_headers.n; h++) {
                free(t.proxies[k].response_headers.v[h].name);
                free(t.proxies[k].response_headers.v[h].value);
            }
            free(t.proxies[k].response_headers.v);
            t.proxies[k].response_headers.v = NULL;
            t.proxies[k].response_headers.n = 0;
        }
    /* nor healthCheck.httpHeaders (frp's INI had no health_check_ key for them) */
    for (int k = 0; k < t.n_proxies; k++)
        if (t.proxies[k].health.headers.n) {
            CHECK_EQ_STR(t.proxies[k].name, "web01");
            for (int h = 0; h < t.proxies[k].health.headers.n; h++) {
                free(t.proxies[k].health.headers.v[h].name);
                free(t.proxies[k].health.headers.v[h].value);
            }
            free(t.proxies[k].health.headers.v);
            t.proxies[k].health.headers.v = NULL;
            t.proxies[k].health.headers.n = 0;
        }
    check_same_client(&t, &i, "ini");
    config_client_free(&t);
    config_client_free(&y);
    config_client_free(&j);
    config_client_free(&i);
}

static void test_fixture_servers(void)
{
    const char *src = getenv("BURROW_SRC");
    char tp[512], ip[512];
    snprintf(tp, sizeof tp, "%s/tests/config/server_full.toml", src ? src : "..");
    snprintf(ip, sizeof ip, "%s/tests/config/server_full.ini", src ? src : "..");
    server_cfg_t a, b;
    FILE *f = diag_open();
    CHECK_EQ_INT(config_load_server(tp, &a, f), 0);
    CHECK_EQ_INT(config_load_server(ip, &b, f), 0);
    fclose(f);
    CHECK_EQ_STR(a.bind_addr, b.bind_addr);
    CHECK_EQ_INT(a.bind_port, b.bind_port);
    CHECK_EQ_STR(a.proxy_bind_addr, b.proxy_bind_addr);
    CHECK_EQ_STR(a.token, b.token);
    CHECK_EQ_INT(a.vhost_http_port, b.vhost_http_port);
    CHECK_EQ_INT(a.vhost_https_port, b.vhost_https_port);
    CHECK_EQ_INT(a.vhost_http_timeout, b.vhost_http_timeout);
    CHECK_EQ_STR(a.subdomain_host, b.subdomain_host);
    CHECK_EQ_STR(a.custom_404_page, b.custom_404_page);
    CHECK_EQ_INT(a.heartbeat_timeout, b.heartbeat_timeout);
    CHECK_EQ_INT(a.max_pool_count, b.max_pool_count);
    CHECK_EQ_INT(a.max_ports_per_client, b.max_ports_per_client);
    CHECK_EQ_INT(a.tls_force, b.tls_force);
    CHECK_EQ_INT(a.enable_prometheus, b.enable_prometheus);
    CHECK_EQ_INT(a.web.port, b.web.port);
    CHECK_EQ_STR(a.web.addr, b.web.addr);
    CHECK_EQ_STR(a.web.user, b.web.user);
    CHECK_EQ_STR(a.web.password, b.web.password);
    CHECK_EQ_STR(a.log.to, b.log.to);
    CHECK_EQ_INT(a.log.level, b.log.level);
    for (int port = 1; port < 65536; port += 7)
        CHECK_EQ_INT(config_port_allowed(&a, port), config_port_allowed(&b, port));
    CHECK(!config_port_allowed(&a, 3002) && config_port_allowed(&a, 3003));
    config_server_free(&a);
    config_server_free(&b);
}

/* ---- the TOML writer ---------------------------------------------------- */

static char *emit(const toml_value_t *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ_INT(cfg_emit_toml(f, t), 0);
    fclose(f);
    return buf;
}

static void test_emit_round_trip(void)
{
    const char *text = "a = \"q\\\"uote\\n\\u0001\"\n"
                       "\"odd key\" = 1.5\n"
                       "b.c = [1, 2]\n"
                       "e = {}\n"
                       "f = inf\n"
                       "[[p]]\n"
                       "name = \"x\"\n"
                       "t.u = true\n"
                       "list = [{ k = 1 }, { k = 2 }]\n"
                       "[[p]]\n"
                       "name = \"y\"\n";
    toml_error_t err;
    toml_value_t *t = toml_parse(text, strlen(text), &err);
    CHECK(t != NULL);
    if (!t) return;
    char *once = emit(t);
    toml_value_t *back = toml_parse(once, strlen(once), &err);
    CHECK(back != NULL);
    if (!back) fprintf(stderr, "  %s\n  %d:%d %s\n", once, err.line, err.col, err.msg);
    char *twice = back ? emit(back) : NULL;
    CHECK(twice && strcmp(once, twice) == 0);
    CHECK(strstr(once, "\n[[p]]\nname = \"x\"\nt.u = true\nlist = [{ k = 1 }, { k = 2 }]\n"));
    CHECK(strstr(once, "\"odd key\" = 1.5\n"));
    free(once);
    free(twice);
    toml_free(back);
    toml_free(t);
}

int main(void)
{
    RUN(test_yaml_scalars);
    RUN(test_yaml_positions);
    RUN(test_yaml_refused);
    RUN(test_json);
    RUN(test_ini_client);
    RUN(test_ini_server);
    RUN(test_ini_errors);
    RUN(test_ini_legacy_bugs);
    RUN(test_format_choice);
    RUN(test_yaml_json_messages);
    RUN(test_includes);
    RUN(test_fixtures_same_settings);
    RUN(test_fixture_servers);
    RUN(test_emit_round_trip);
    free(g_diag);
    return TEST_SUMMARY();
}
