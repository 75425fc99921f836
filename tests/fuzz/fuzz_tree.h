/* fuzz_tree: invariants of a config tree (config/toml.h) that the front ends
 * other than TOML build (fuzz_cfg_yaml, fuzz_cfg_json, fuzz_cfg_ini), and the
 * TOML writer's round trip: what cfg_emit_toml() writes parses back
 * (toml_parse) and writes out again to the same text. */
#ifndef BURROW_FUZZ_TREE_H
#define BURROW_FUZZ_TREE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_emit.h"
#include "config/toml.h"
#include "fuzz_require.h"

static void fuzz_tree_walk(const toml_value_t *v, int depth)
{
    require(depth <= TOML_MAX_DEPTH);
    require(v->line >= 1 && v->col >= 1);
    if (v->type == TOML_STRING) require(v->u.s.ptr[v->u.s.len] == '\0');
    if (v->type == TOML_ARRAY)
        for (size_t i = 0; i < v->u.arr.len; i++)
            fuzz_tree_walk(v->u.arr.items[i], depth + 1);
    if (v->type != TOML_TABLE) return;
    for (size_t i = 0; i < v->u.tab.len; i++) {
        const toml_kv_t *kv = &v->u.tab.items[i];
        require(kv->key[kv->key_len] == '\0');
        require(kv->line >= 1 && kv->col >= 1);
        if (strlen(kv->key) == kv->key_len) require(toml_table_get_kv(v, kv->key) == kv);
        fuzz_tree_walk(kv->value, depth + 1);
    }
}

/* The writer's text for root (malloc'd). */
static char *fuzz_tree_emit(const toml_value_t *root)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    require(f != NULL);
    require(cfg_emit_toml(f, root) == 0);
    fclose(f);
    return buf;
}

/* `must`: the text must read back (false where the input may hold bytes
 * TOML strings cannot, e.g. invalid UTF-8 from an INI file). */
static void fuzz_tree_round_trip(const toml_value_t *root, bool must)
{
    char *once = fuzz_tree_emit(root);
    toml_error_t err;
    toml_value_t *back = toml_parse(once, strlen(once), &err);
    if (must && !back)
        fprintf(stderr, "emitted:\n%s\nerror %d:%d %s\n", once, err.line, err.col, err.msg);
    require(back || !must);
    if (back) {
        char *twice = fuzz_tree_emit(back);
        require(strcmp(once, twice) == 0);
        free(twice);
    }
    toml_free(back);
    free(once);
}

/* A front end's failure: a position and a message. */
static void fuzz_tree_error(const toml_error_t *err)
{
    require(err->line >= 1 && err->col >= 1 && err->msg[0] != '\0');
    require(memchr(err->msg, '\0', sizeof err->msg) != NULL);
}

#endif
