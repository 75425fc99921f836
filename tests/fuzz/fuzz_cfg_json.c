/* fuzz_cfg_json: libFuzzer target for the JSON config front end
 * (config/cfg_json.c: jansson's check, then libyaml's tree): what jansson
 * accepts as an object must build a tree, or fail with a position. */
#include <stdint.h>

#include "config/cfg_json.h"
#include "fuzz_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    toml_error_t err;
    toml_value_t *root = cfg_json_parse((const char *)data, size, &err);
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
