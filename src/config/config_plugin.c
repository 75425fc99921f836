/* config_plugin: `[proxies.plugin]` → plugin_cfg_t (config_plugin.h).
 *
 * The table is flattened: every leaf becomes one (dotted key, text value,
 * line) parameter, so that plugin_cfg_t needs no field per plugin key and
 * a new plugin adds key rows to its own file, not to config.c. Which keys a
 * plugin takes, and of which kind, are its rows (plugin/plugin.h). */
#include "config/config_plugin.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

#define CP_PATH_LEN 256
#define CP_SHOW_LEN 80
#define CP_MSG_LEN 512
#define CP_DEPTH 8 /* nesting of a plugin key (requestHeaders.set.X is 3) */

typedef struct cp {
    cfg_report_fn report;
    void *ctx;
    const char *scope;
    const plugin_ops_t *ops;
    plugin_cfg_t *out;
    bool failed; /* out of memory */
} cp_t;

__attribute__((format(printf, 4, 5))) static void say(cp_t *c, int line, bool error,
                                                      const char *fmt, ...)
{
    char msg[CP_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->report(c->ctx, line, error, msg);
}

/* User text for a message: control bytes as \xNN, cut with "...". */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
        if (i + 1 < len && o + 8 >= size) {
            memcpy(buf + o, "...", 3);
            o += 3;
        }
    }
    buf[o] = '\0';
    return buf;
}

static char *dup_str(cp_t *c, const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p) {
        c->failed = true;
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static void add_param(cp_t *c, const char *key, const char *value, size_t value_len, int line)
{
    plugin_param_t *v = realloc(c->out->v, (size_t)(c->out->n + 1) * sizeof *v);
    if (!v) {
        c->failed = true;
        return;
    }
    c->out->v = v;
    plugin_param_t *p = &v[c->out->n];
    p->key = dup_str(c, key, strlen(key));
    p->value = dup_str(c, value, value_len);
    p->line = line;
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return;
    }
    c->out->n++;
}

/* A header-like table value must not carry a line break into a request. */
static bool one_line(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return false;
    return true;
}

static bool is_string(const toml_value_t *v)
{
    return v->type == TOML_STRING && strlen(v->u.s.ptr) == v->u.s.len;
}

/* One leaf `key` (full display path in `path`) against its row. */
static void load_leaf(cp_t *c, const plugin_key_t *k, const char *key, const char *path,
                      const toml_kv_t *kv)
{
    const toml_value_t *v = kv->value;
    char text[32];
    if (k->kind == PK_BOOL) {
        if (v->type != TOML_BOOL) {
            say(c, kv->line, true, "key '%s': expected a boolean", path);
            return;
        }
        add_param(c, key, v->u.b ? "true" : "false", v->u.b ? 4 : 5, kv->line);
    } else if (k->kind == PK_INT) {
        if (v->type != TOML_INTEGER || v->u.i < k->min || v->u.i > k->max) {
            say(c, kv->line, true, "key '%s': expected an integer in %lld..%lld", path, k->min,
                k->max);
            return;
        }
        int n = snprintf(text, sizeof text, "%" PRId64, v->u.i);
        add_param(c, key, text, (size_t)n, kv->line);
    } else {
        bool table_leaf = k->kind == PK_TABLE;
        if (!is_string(v) || (table_leaf && !one_line(v->u.s.ptr, v->u.s.len)) ||
            (table_leaf && !one_line(key, strlen(key)))) {
            say(c, kv->line, true, "key '%s': expected a string%s", path,
                table_leaf ? " without line breaks" : "");
            return;
        }
        if ((k->flags & PK_NONEMPTY) && v->u.s.len == 0) {
            say(c, kv->line, true, "key '%s': must not be empty", path);
            return;
        }
        add_param(c, key, v->u.s.ptr, v->u.s.len, kv->line);
    }
}

static void load_keys(cp_t *c, const toml_value_t *tab, const char *prefix, int depth)
{
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const toml_kv_t *kv = &tab->u.tab.items[i];
        char key[CP_PATH_LEN], path[CP_PATH_LEN + 64], shown[CP_SHOW_LEN];
        show(shown, sizeof shown, kv->key, kv->key_len);
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", shown);
        if (depth == 0 && strcmp(key, "type") == 0) continue;
        snprintf(path, sizeof path, "%s.%s", c->scope, key);
        const plugin_key_t *k = plugin_key_find(c->ops, key);
        bool exact = k && strcmp(k->name, key) == 0;
        if (kv->value->type == TOML_TABLE && (!k || (k->kind == PK_TABLE && exact)) &&
            depth < CP_DEPTH) {
            load_keys(c, kv->value, key, depth + 1);
        } else if (!k) {
            say(c, kv->line, false, "unknown key '%s' (plugin %s does not take it)", path,
                c->ops->name);
        } else if (k->kind == PK_TABLE && exact) {
            say(c, kv->line, true, "key '%s': expected a table of strings", path);
        } else {
            load_leaf(c, k, key, path, kv);
        }
    }
}

static void check_required(cp_t *c, int line)
{
    for (const plugin_key_t *k = c->ops->keys; k && k->name; k++)
        if ((k->flags & PK_REQUIRED) && !plugin_param(c->out, k->name))
            say(c, line, true, "missing required key '%s.%s' (plugin %s)", c->scope, k->name,
                c->ops->name);
}

/* The type: a known plugin, else an error naming them. */
static const plugin_ops_t *load_type(cp_t *c, const toml_value_t *tab, int line)
{
    const toml_kv_t *kv = toml_table_get_kv(tab, "type");
    char all[PLUGIN_LIST_LEN], shown[CP_SHOW_LEN];
    if (!kv) {
        say(c, line, true, "missing required key '%s.type' (one of %s)", c->scope,
            plugin_list(all, sizeof all));
        return NULL;
    }
    if (!is_string(kv->value)) {
        say(c, kv->line, true, "key '%s.type': expected a string (one of %s)", c->scope,
            plugin_list(all, sizeof all));
        return NULL;
    }
    const plugin_ops_t *ops = plugin_find(kv->value->u.s.ptr);
    if (!ops)
        say(c, kv->line, true, "key '%s.type': unknown plugin '%s' (expected %s)", c->scope,
            show(shown, sizeof shown, kv->value->u.s.ptr, kv->value->u.s.len),
            plugin_list(all, sizeof all));
    return ops;
}

void config_plugin_load(const toml_value_t *tab, const char *scope, int line, plugin_cfg_t *out,
                        cfg_report_fn report, void *ctx)
{
    cp_t c = {report, ctx, scope, NULL, out, false};
    if (tab->type != TOML_TABLE) {
        say(&c, line, true, "key '%s': expected a table", scope);
        return;
    }
    c.ops = load_type(&c, tab, line);
    if (!c.ops) return;
    out->line = toml_table_get_kv(tab, "type")->line;
    out->type = dup_str(&c, c.ops->name, strlen(c.ops->name));
    load_keys(&c, tab, "", 0);
    check_required(&c, out->line);
    char why[CP_MSG_LEN - 128];
    if (c.ops->check && c.ops->check(out, why, sizeof why) != 0)
        say(&c, out->line, true, "plugin '%s' of %s: %s", c.ops->name, scope, why);
    if (c.failed) say(&c, 0, true, "out of memory");
}

const char *config_plugin_skip(const toml_value_t *proxy_tab, const char *name, char *buf,
                               size_t size)
{
    const toml_value_t *tab = toml_table_get(proxy_tab, "plugin");
    const toml_value_t *type = tab ? toml_table_get(tab, "type") : NULL;
    if (!type || !is_string(type)) return NULL;
    const char *why = plugin_frp_only(type->u.s.ptr);
    if (!why) return NULL;
    snprintf(buf, size, "plugin '%s' is not supported by burrow (%s); proxy '%s' skipped",
             type->u.s.ptr, why, name);
    return buf;
}

/* Keys of burrow's own that act on the local service a plugin replaces. */
static const char *local_only_key(const proxy_cfg_t *p)
{
    if (p->ftp) return "ftp";
    if (p->direct_expose) return "directExpose";
    if (p->wake_on_lan) return "wakeOnLan";
    if (p->inspect) return "inspect";
    if (p->proxy_protocol) return "transport.proxyProtocolVersion";
    return NULL;
}

const char *config_plugin_conflict(const proxy_cfg_t *p, const char *scope, bool has_local,
                                   char *buf, size_t size)
{
    const char *type = p->plugin.type;
    const char *key = local_only_key(p);
    if (!type) return NULL;
    if (has_local)
        snprintf(buf, size,
                 "proxy '%s': plugin '%s' serves its connections, so 'localIP' and 'localPort' "
                 "must go (a plugin and a local service exclude each other)",
                 scope, type);
    else if (kind_has(p->kind, KIND_DATAGRAMS))
        snprintf(buf, size,
                 "proxy '%s': plugin '%s' needs a stream type (tcp, http, https, stcp or xtcp)",
                 scope, type);
    else if (key)
        snprintf(buf, size,
                 "proxy '%s': '%s' acts on a local service, which plugin '%s' replaces: "
                 "remove one of them",
                 scope, key, type);
    else
        return NULL;
    return buf;
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

bool config_plugin_equal(const plugin_cfg_t *a, const plugin_cfg_t *b)
{
    if (!str_eq(a->type, b->type) || a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (!str_eq(a->v[i].key, b->v[i].key) || !str_eq(a->v[i].value, b->v[i].value))
            return false;
    return true;
}

void config_plugin_free(plugin_cfg_t *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->v[i].key);
        free(p->v[i].value);
    }
    free(p->v);
    free(p->type);
    memset(p, 0, sizeof *p);
}
