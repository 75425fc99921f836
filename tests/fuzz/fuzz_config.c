/* fuzz_config: feeds arbitrary bytes to the config loader, first as frpc.toml
 * then as frps.toml, with diagnostics discarded. Finds crashes, leaks and
 * undefined behaviour in config.c and the TOML parser beneath it. A client
 * config that loads is also compared (config_diff.c, hot reload) with
 * itself, which must find every entry kept and no key changed, and with a
 * fixed base config. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_diff.h"

static const char base_text[] = "serverAddr = \"10.0.0.1\"\n"
                                "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 22\n"
                                "[[visitors]]\nname = \"v\"\ntype = \"stcp\"\n"
                                "serverName = \"s\"\nsecretKey = \"k\"\nbindPort = 9000\n";

/* c against itself and against base; traps when an invariant breaks. */
static void diff_checks(const client_cfg_t *c, const client_cfg_t *base)
{
    int n = c->n_proxies, nv = c->n_visitors;
    const proxy_cfg_t **olds = calloc((size_t)n + 1, sizeof *olds);
    cdiff_t *od = calloc((size_t)n + (size_t)nv + 2, sizeof *od);
    cdiff_t *nd = calloc((size_t)n + (size_t)nv + 2, sizeof *nd);
    if (olds && od && nd) {
        for (int i = 0; i < n; i++)
            olds[i] = &c->proxies[i];
        config_diff_proxies(olds, n, c->proxies, n, od, nd);
        for (int i = 0; i < n; i++)
            if (od[i] != CDIFF_KEPT || nd[i] != CDIFF_KEPT) __builtin_trap();
        config_diff_visitors(c->visitors, nv, c->visitors, nv, od, nd);
        for (int i = 0; i < nv; i++)
            if (od[i] != CDIFF_KEPT || nd[i] != CDIFF_KEPT) __builtin_trap();
        if (config_client_key_diff(c, c)) __builtin_trap();
        const proxy_cfg_t *b0 = &base->proxies[0];
        config_diff_proxies(&b0, 1, c->proxies, n, od, nd);
        config_diff_visitors(base->visitors, 1, c->visitors, nv, od, nd);
        (void)config_client_key_diff(base, c);
    }
    free(olds);
    free(od);
    free(nd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    if (!sink) return 0;

    static client_cfg_t base;
    static int have_base;
    if (!have_base)
        have_base =
            config_parse_client("base.toml", base_text, strlen(base_text), &base, sink) == 0;
    if (!have_base) __builtin_trap();

    client_cfg_t c;
    if (config_parse_client("fuzz.toml", (const char *)data, size, &c, sink) == 0) {
        for (int i = 0; i < c.n_proxies; i++)
            if (!c.proxies[i].name || !c.proxies[i].local_ip) __builtin_trap();
        diff_checks(&c, &base);
    }
    config_client_free(&c);

    server_cfg_t s;
    if (config_parse_server("fuzz.toml", (const char *)data, size, &s, sink) == 0) {
        for (int port = 0; port < 4; port++)
            (void)config_port_allowed(&s, port * 20000);
    }
    config_server_free(&s);
    return 0;
}
