/* test_config_shape: transport.bandwidthLimit, bandwidthLimitMode and
 * useCompression, parsed (config/config_shape.h) and through the client
 * config: frp's units, the file:line errors, the defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_shape.h"
#include "testlib.h"

static void test_parse_bandwidth(void)
{
    static const struct {
        const char *s;
        int want; /* -2: refused */
    } cases[] = {
        {"1MB", 1048576},    {"512KB", 524288}, {"1.5MB", 1572864},
        {"0.5KB", 512},      {"0KB", 0},        {"", 0},
        {"1024MB", 1 << 30}, {"0.001KB", 1},    {"1025MB", -2},
        {"1mb", -2},         {"1 MB", -2},      {"MB", -2},
        {"1.MB", -2},        {"1", -2},         {"1GB", -2},
        {"-1MB", -2},        {"1.2345MB", -2},  {"99999999999999999MB", -2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int out = -1;
        int rc = config_parse_bandwidth(cases[i].s, strlen(cases[i].s), &out);
        if (cases[i].want == -2) {
            if (rc != -1) fprintf(stderr, "  accepted %s\n", cases[i].s);
            CHECK_EQ_INT(rc, -1);
        } else {
            if (rc != 0 || out != cases[i].want) fprintf(stderr, "  case %s\n", cases[i].s);
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(out, cases[i].want);
        }
    }
    int m = -1;
    CHECK_EQ_INT(config_parse_bw_mode("server", 6, &m), 0);
    CHECK_EQ_INT(m, BW_MODE_SERVER);
    CHECK_EQ_INT(config_parse_bw_mode("client", 6, &m), 0);
    CHECK_EQ_INT(m, BW_MODE_CLIENT);
    CHECK_EQ_INT(config_parse_bw_mode("Server", 6, &m), -1);
    CHECK_EQ_STR(config_bw_mode_name(BW_MODE_SERVER), "server");
}

static char *diag;
static size_t diag_len;

static int client(const char *text, client_cfg_t *cfg)
{
    free(diag);
    diag = NULL;
    FILE *f = open_memstream(&diag, &diag_len);
    int rc = config_parse_client("frpc.toml", text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

#define TCP "[[proxies]]\nname = \"s\"\ntype = \"tcp\"\nlocalPort = 22\n"

static void test_in_client_config(void)
{
    client_cfg_t c;
    CHECK_EQ_INT(client(TCP, &c), 0);
    CHECK_EQ_INT(c.proxies[0].bandwidth_limit, 0);
    CHECK_EQ_INT(c.proxies[0].bandwidth_mode, BW_MODE_CLIENT);
    CHECK(!c.proxies[0].use_compression);
    config_client_free(&c);

#ifdef BURROW_HAVE_ZSTD
    CHECK_EQ_INT(client(TCP "transport.bandwidthLimit = \"256KB\"\n"
                            "transport.bandwidthLimitMode = \"server\"\n"
                            "transport.useCompression = true\n",
                        &c),
                 0);
    CHECK_EQ_STR(diag ? diag : "", "");
    CHECK_EQ_INT(c.proxies[0].bandwidth_limit, 256 * 1024);
    CHECK_EQ_INT(c.proxies[0].bandwidth_mode, BW_MODE_SERVER);
    CHECK(c.proxies[0].use_compression);
    config_client_free(&c);
#else /* compiled out: an error that says why */
    CHECK_EQ_INT(client(TCP "transport.useCompression = true\n", &c), -1);
    CHECK(diag && strstr(diag, "frpc.toml:5: error: key 'proxies[0].transport.useCompression': "
                               "this burrow was built without zstd"));
    config_client_free(&c);
#endif

    CHECK_EQ_INT(client(TCP "[proxies.transport]\nbandwidthLimit = \"1GB\"\n", &c), -1);
    CHECK(diag && strstr(diag, "frpc.toml:6: error: key 'proxies[0].transport.bandwidthLimit': "
                               "bad bandwidth '1GB'"));
    config_client_free(&c);
    CHECK_EQ_INT(client(TCP "transport.bandwidthLimitMode = \"both\"\n", &c), -1);
    CHECK(diag && strstr(diag, "frpc.toml:5: error: key 'proxies[0].transport.bandwidthLimitMode': "
                               "unknown mode 'both'"));
    config_client_free(&c);
    CHECK_EQ_INT(client(TCP "transport.bandwidthLimit = 1048576\n", &c), -1);
    CHECK(diag && strstr(diag, "frpc.toml:5: error:"));
    config_client_free(&c);
}

int main(void)
{
    RUN(test_parse_bandwidth);
    RUN(test_in_client_config);
    free(diag);
    return TEST_SUMMARY();
}
