/* fuzz_toml: libFuzzer target for the TOML parser.
 *
 * Parses arbitrary bytes and frees the result. When the parse succeeds it
 * also walks the whole tree, checking the invariants toml.h promises (NUL
 * terminators, positions, lookups finding every key, well-formed date/times)
 * so that a corrupted tree shows up as a crash rather than going unnoticed. */
#include "config/toml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require(int cond)
{
    if (!cond) abort();
}

static void walk(const toml_value_t *v, int depth)
{
    char buf[64];
    require(depth <= 256);
    require(v->line >= 1 && v->col >= 1);
    require(toml_type_name(v->type) != NULL);
    switch (v->type) {
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.tab.len; i++) {
            const toml_kv_t *kv = &v->u.tab.items[i];
            require(kv->key[kv->key_len] == '\0');
            require(kv->line >= 1 && kv->col >= 1);
            /* a key without an embedded NUL must be found by name, and keys
             * are unique, so the lookup lands on this very entry */
            if (strlen(kv->key) == kv->key_len) require(toml_table_get_kv(v, kv->key) == kv);
            walk(kv->value, depth + 1);
        }
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            walk(v->u.arr.items[i], depth + 1);
        break;
    case TOML_STRING:
        require(v->u.s.ptr[v->u.s.len] == '\0');
        break;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL: {
        int n = toml_datetime_format(v, buf, sizeof buf);
        require(n > 0 && (size_t)n == strlen(buf));
        require(v->u.dt.nanosecond >= 0 && v->u.dt.nanosecond <= 999999999);
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    toml_error_t err;
    toml_value_t *root = toml_parse((const char *)data, size, &err);
    if (root) {
        require(root->type == TOML_TABLE);
        walk(root, 0);
    } else {
        require(err.line >= 1 && err.col >= 1 && err.msg[0] != '\0');
        require(memchr(err.msg, '\0', sizeof err.msg) != NULL);
    }
    toml_free(root);
    return 0;
}
