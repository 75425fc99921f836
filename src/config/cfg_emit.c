/* cfg_emit: tree → TOML text (see cfg_emit.h). */
#include "config/cfg_emit.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#define PREFIX_LEN 512

static bool is_table_array(const toml_value_t *v)
{
    if (v->type != TOML_ARRAY || v->u.arr.len == 0) return false;
    for (size_t i = 0; i < v->u.arr.len; i++)
        if (v->u.arr.items[i]->type != TOML_TABLE) return false;
    return true;
}

static void put_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static bool is_bare(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return len > 0;
}

static void put_key(FILE *f, const toml_kv_t *kv)
{
    if (is_bare(kv->key, kv->key_len))
        fwrite(kv->key, 1, kv->key_len, f);
    else
        put_string(f, kv->key, kv->key_len);
}

static void put_float(FILE *f, double d)
{
    if (isnan(d)) {
        fputs("nan", f);
    } else if (isinf(d)) {
        fputs(d < 0 ? "-inf" : "inf", f);
    } else {
        char buf[40];
        snprintf(buf, sizeof buf, "%.17g", d);
        fputs(buf, f);
        if (!strpbrk(buf, ".e")) fputs(".0", f);
    }
}

static void put_value(FILE *f, const toml_value_t *v)
{
    char dt[64];
    switch (v->type) {
    case TOML_STRING:
        put_string(f, v->u.s.ptr, v->u.s.len);
        break;
    case TOML_INTEGER:
        fprintf(f, "%lld", (long long)v->u.i);
        break;
    case TOML_FLOAT:
        put_float(f, v->u.f);
        break;
    case TOML_BOOL:
        fputs(v->u.b ? "true" : "false", f);
        break;
    case TOML_ARRAY:
        fputc('[', f);
        for (size_t i = 0; i < v->u.arr.len; i++) {
            if (i) fputs(", ", f);
            put_value(f, v->u.arr.items[i]);
        }
        fputc(']', f);
        break;
    case TOML_TABLE:
        fputc('{', f);
        for (size_t i = 0; i < v->u.tab.len; i++) {
            fputs(i ? ", " : " ", f);
            put_key(f, &v->u.tab.items[i]);
            fputs(" = ", f);
            put_value(f, v->u.tab.items[i].value);
        }
        fputs(v->u.tab.len ? " }" : "}", f);
        break;
    default:
        toml_datetime_format(v, dt, sizeof dt);
        fputs(dt, f);
        break;
    }
}

/* `prefix.key = value` lines for every key of tab, sub-tables flattened;
 * at the top level (`top`), arrays of tables are left for their blocks. */
static void put_pairs(FILE *f, const toml_value_t *tab, const char *prefix, bool top)
{
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const toml_kv_t *kv = &tab->u.tab.items[i];
        const toml_value_t *v = kv->value;
        if (top && is_table_array(v)) continue;
        if (v->type == TOML_TABLE && v->u.tab.len > 0) {
            char sub[PREFIX_LEN];
            FILE *m = fmemopen(sub, sizeof sub, "w");
            if (!m) continue;
            fputs(prefix, m);
            put_key(m, kv);
            fputc('.', m);
            fclose(m); /* fmemopen NUL-terminates; an overlong prefix is cut */
            put_pairs(f, v, sub, false);
            continue;
        }
        fputs(prefix, f);
        put_key(f, kv);
        fputs(" = ", f);
        put_value(f, v);
        fputc('\n', f);
    }
}

int cfg_emit_toml(FILE *f, const toml_value_t *root)
{
    if (!root || root->type != TOML_TABLE) return -1;
    put_pairs(f, root, "", true);
    for (size_t i = 0; i < root->u.tab.len; i++) {
        const toml_kv_t *kv = &root->u.tab.items[i];
        if (!is_table_array(kv->value)) continue;
        for (size_t j = 0; j < kv->value->u.arr.len; j++) {
            fputs("\n[[", f);
            put_key(f, kv);
            fputs("]]\n", f);
            put_pairs(f, kv->value->u.arr.items[j], "", false);
        }
    }
    return ferror(f) ? -1 : 0;
}
