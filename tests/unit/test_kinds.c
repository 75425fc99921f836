/* test_kinds: the proxy-kind registry (proto/kinds.h) seen from all three
 * sides. Every kind round-trips: a config naming its type parses to it, the
 * client's NEW_PROXY carries its name, and the server finds its operations
 * under that name. The config messages built from the table stay the words
 * they were. */
#include <jansson.h>
#include <stdlib.h>

#include "client/client_int.h"
#include "proto/kinds.h"
#include "server/server_int.h"
#include "testlib.h"

static void test_table(void)
{
    CHECK_EQ_INT(PROXY_KIND_COUNT, 7);
    CHECK_EQ_INT(PROXY_TCP, 0); /* the config enum's historical values */
    CHECK_EQ_INT(PROXY_UDP, 1);
    CHECK_EQ_INT(PROXY_HTTP, 2);
    CHECK_EQ_INT(PROXY_HTTPS, 3);
    CHECK_EQ_INT(PROXY_STCP, 4);
    CHECK_EQ_INT(PROXY_SUDP, 5);
    CHECK_EQ_INT(PROXY_XTCP, 6);
    CHECK(kind_has(PROXY_XTCP, KIND_SECRET) && !kind_has(PROXY_XTCP, KIND_BINDS_PORT));
    for (int k = 0; k < PROXY_KIND_COUNT; k++) {
        CHECK_EQ_INT(kind_find(kind_name((proxy_kind_t)k)), k);
        CHECK(kind_info((proxy_kind_t)k) != NULL);
    }
    CHECK_EQ_INT(kind_find("sudp"), PROXY_SUDP);
    CHECK_EQ_INT(kind_find("tcpmux"), -1);
    CHECK_EQ_INT(kind_find(NULL), -1);
    CHECK_EQ_STR(kind_name(PROXY_KIND_COUNT), "?");
    CHECK(kind_info(PROXY_KIND_COUNT) == NULL);
    CHECK(!kind_has(PROXY_KIND_COUNT, 0));
    CHECK(kind_has(PROXY_TCP, KIND_BINDS_PORT) && kind_has(PROXY_UDP, KIND_BINDS_PORT));
    CHECK(!kind_has(PROXY_HTTP, KIND_BINDS_PORT) && !kind_has(PROXY_HTTPS, KIND_BINDS_PORT));
    CHECK(kind_has(PROXY_UDP, KIND_DATAGRAMS) && !kind_has(PROXY_TCP, KIND_DATAGRAMS));
    CHECK(kind_has(PROXY_SUDP, KIND_SECRET | KIND_DATAGRAMS) &&
          !kind_has(PROXY_SUDP, KIND_BINDS_PORT));
}

/* The lists the config's messages quote. */
static void test_lists(void)
{
    char b[KIND_LIST_LEN];
    CHECK_EQ_STR(kind_list(0, "or", b, sizeof b), "tcp, udp, http, https, stcp, sudp or xtcp");
    CHECK_EQ_STR(kind_list(KIND_ROUTES_DOMAIN, "or", b, sizeof b), "http or https");
    CHECK_EQ_STR(kind_list(KIND_HTTP_KEYS, "or", b, sizeof b), "http");
    CHECK_EQ_STR(kind_list(KIND_SECRET, "or", b, sizeof b), "stcp, sudp or xtcp");
    CHECK_EQ_STR(kind_list(KIND_DATAGRAMS, "and", b, sizeof b), "udp and sudp");
    CHECK_EQ_STR(kind_list(KIND_PROXY_PROTOCOL, "or", b, sizeof b), "tcp or https");
    CHECK_EQ_STR(kind_list(KIND_BINDS_PORT, "and", b, sizeof b), "tcp and udp");
    CHECK_EQ_STR(kind_list(KIND_BINDS_PORT | KIND_ROUTES_DOMAIN, "or", b, sizeof b), "");
    char tiny[6];
    CHECK_EQ_STR(kind_list(0, "or", tiny, sizeof tiny), "tcp, ");
}

static int parse(const char *text, client_cfg_t *cfg)
{
    FILE *f = tmpfile();
    int rc = config_parse_client("frpc.toml", text, strlen(text), cfg, f);
    if (f) fclose(f);
    return rc;
}

static char *new_proxy_json(const proxy_cfg_t *pc)
{
    cproxy_t p = {.cfg = pc};
    snprintf(p.wire_name, sizeof p.wire_name, "%s", pc->name);
    json_t *o = cproxy_new_proxy_msg(&p);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* config -> NEW_PROXY -> the server's operations, for every kind. */
static void test_round_trip(void)
{
    for (int k = 0; k < PROXY_KIND_COUNT; k++) {
        const char *name = kind_name((proxy_kind_t)k);
        char text[512];
        snprintf(text, sizeof text,
                 "serverAddr = \"x\"\n[[proxies]]\nname = \"p\"\ntype = \"%s\"\n"
                 "localPort = 80\n%s",
                 name,
                 kind_has((proxy_kind_t)k, KIND_ROUTES_DOMAIN) ? "customDomains = [\"a.test\"]\n"
                 : kind_has((proxy_kind_t)k, KIND_SECRET)      ? "secretKey = \"k\"\n"
                                                               : "remotePort = 6000\n");
        client_cfg_t cfg;
        memset(&cfg, 0, sizeof cfg);
        CHECK_EQ_INT(parse(text, &cfg), 0);
        CHECK_EQ_INT(cfg.n_proxies, 1);
        if (cfg.n_proxies != 1) continue;
        CHECK_EQ_INT(cfg.proxies[0].kind, k);
        const cproxy_ops_t *cops = cproxy_ops(cfg.proxies[0].kind);
        CHECK(cops != NULL && cops->start != NULL);
        char *js = new_proxy_json(&cfg.proxies[0]);
        json_t *m = js ? json_loads(js, 0, NULL) : NULL;
        const char *type = json_string_value(json_object_get(m, "type"));
        CHECK_EQ_STR(type, name);
        const sproxy_ops_t *sops = sproxy_find_kind(type);
        CHECK(sops != NULL && sops->open && sops->close);
        if (sops) CHECK_EQ_STR(sops->type, name);
        json_decref(m);
        free(js);
        config_client_free(&cfg);
    }
    CHECK(sproxy_find_kind("tcpmux") == NULL);
    CHECK(sproxy_find_kind(NULL) == NULL);
}

/* NEW_PROXY is the wire: the same fields in the same order as before. */
static void test_new_proxy_bytes(void)
{
    client_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *text =
        "serverAddr = \"x\"\n"
        "[[proxies]]\nname = \"t\"\ntype = \"tcp\"\nlocalPort = 22\nremotePort = 6000\n"
        "[[proxies]]\nname = \"u\"\ntype = \"udp\"\nlocalPort = 53\n"
        "[[proxies]]\nname = \"h\"\ntype = \"http\"\nlocalPort = 80\n"
        "customDomains = [\"a.test\"]\nsubdomain = \"s\"\nlocations = [\"/x\"]\n"
        "hostHeaderRewrite = \"in\"\nhttpUser = \"u\"\nhttpPassword = \"pw\"\n"
        "requestHeaders.set.x-a = \"1\"\nresponseHeaders.set.x-b = \"2\"\n"
        "[[proxies]]\nname = \"s\"\ntype = \"https\"\nlocalPort = 443\n"
        "customDomains = [\"b.test\"]\n";
    CHECK_EQ_INT(parse(text, &cfg), 0);
    CHECK_EQ_INT(cfg.n_proxies, 4);
    if (cfg.n_proxies != 4) return;
    const char *want[] = {
        "{\"name\":\"t\",\"type\":\"tcp\",\"remote_port\":6000}",
        "{\"name\":\"u\",\"type\":\"udp\",\"remote_port\":0}",
        "{\"name\":\"h\",\"type\":\"http\",\"remote_port\":0,\"custom_domains\":[\"a.test\"],"
        "\"subdomain\":\"s\",\"locations\":[\"/x\"],\"host_header_rewrite\":\"in\","
        "\"http_user\":\"u\",\"http_password\":\"pw\",\"request_headers\":{\"x-a\":\"1\"},"
        "\"response_headers\":{\"x-b\":\"2\"}}",
        "{\"name\":\"s\",\"type\":\"https\",\"remote_port\":0,\"custom_domains\":[\"b.test\"]}",
    };
    for (int i = 0; i < 4; i++) {
        char *js = new_proxy_json(&cfg.proxies[i]);
        CHECK_EQ_STR(js, want[i]);
        free(js);
    }
    config_client_free(&cfg);
}

int main(void)
{
    RUN(test_table);
    RUN(test_lists);
    RUN(test_round_trip);
    RUN(test_new_proxy_bytes);
    return TEST_SUMMARY();
}
