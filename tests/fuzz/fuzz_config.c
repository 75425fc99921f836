/* fuzz_config: feeds arbitrary bytes to the config loader, first as frpc.toml
 * then as frps.toml, with diagnostics discarded. Finds crashes, leaks and
 * undefined behaviour in config.c and the TOML parser beneath it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    if (!sink) return 0;

    client_cfg_t c;
    if (config_parse_client("fuzz.toml", (const char *)data, size, &c, sink) == 0) {
        for (int i = 0; i < c.n_proxies; i++)
            if (!c.proxies[i].name || !c.proxies[i].local_ip) __builtin_trap();
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
