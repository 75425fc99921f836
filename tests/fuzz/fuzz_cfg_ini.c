/* fuzz_cfg_ini: libFuzzer target for the legacy INI front end
 * (config/cfg_ini.c), in both roles: the tree's invariants or a positioned
 * error, warnings with a line, and the TOML writer over the tree (which must
 * read back when the input is printable ASCII: INI text may hold any byte,
 * TOML strings may not). */
#include <stdint.h>

#include "config/cfg_ini.h"
#include "fuzz_tree.h"

static void on_warning(void *arg, int line, const char *msg)
{
    require(line >= 1 && msg[0] != '\0');
    (*(int *)arg)++;
}

static bool printable(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((d[i] < 0x20 && d[i] != '\n' && d[i] != '\t' && d[i] != '\r') || d[i] >= 0x7f)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int role = CFG_INI_SERVER; role <= CFG_INI_CLIENT; role++) {
        toml_error_t err;
        int warnings = 0;
        toml_value_t *root = cfg_ini_parse((const char *)data, size, (cfg_ini_role_t)role,
                                           on_warning, &warnings, &err);
        if (root) {
            require(root->type == TOML_TABLE);
            fuzz_tree_walk(root, 0);
            fuzz_tree_round_trip(root, printable(data, size));
        } else {
            fuzz_tree_error(&err);
        }
        toml_free(root);
    }
    (void)cfg_ini_detect((const char *)data, size);
    (void)cfg_ini_guess_role((const char *)data, size);
    return 0;
}
