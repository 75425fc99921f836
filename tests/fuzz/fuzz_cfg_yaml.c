/* fuzz_cfg_yaml: libFuzzer target for the YAML config front end
 * (config/cfg_yaml.c): the tree's invariants, or a positioned error, and
 * the TOML writer's round trip over every tree it accepts. */
#include <stdint.h>

#include "config/cfg_yaml.h"
#include "fuzz_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    toml_error_t err;
    toml_value_t *root = cfg_yaml_parse((const char *)data, size, false, &err);
    if (root) {
        require(root->type == TOML_TABLE);
        fuzz_tree_walk(root, 0);
        fuzz_tree_round_trip(root, true);
    } else {
        fuzz_tree_error(&err);
    }
    toml_free(root);
    return 0;
}
