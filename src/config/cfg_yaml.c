/* cfg_yaml: YAML (and checked JSON) → toml_value_t tree; see cfg_yaml.h.
 *
 * A recursive descent over libyaml's events: one function per node kind.
 * The first problem wins and ends the parse (as in toml.c). Positions are
 * libyaml's marks, 0-based there, 1-based here. */
#include "config/cfg_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

typedef struct yparse {
    yaml_parser_t parser;
    bool json;
    toml_error_t *err;
} yparse_t;

__attribute__((format(printf, 3, 4))) static toml_value_t *fail(yparse_t *y, const yaml_mark_t *m,
                                                                const char *fmt, ...)
{
    if (y->err->msg[0]) return NULL;
    y->err->line = (int)m->line + 1;
    y->err->col = (int)m->column + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(y->err->msg, sizeof y->err->msg, fmt, ap);
    va_end(ap);
    return NULL;
}

/* The next event, or false after recording libyaml's own complaint. */
static bool next(yparse_t *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->parser, ev)) return true;
    const yaml_parser_t *p = &y->parser;
    const char *what = p->problem ? p->problem : "syntax error";
    if (p->context)
        fail(y, &p->problem_mark, "%s %s", what, p->context);
    else
        fail(y, &p->problem_mark, "%s", what);
    return false;
}

/* ---- scalars ----------------------------------------------------------- */

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0) return true;
    return false;
}

/* YAML 1.1 booleans as frp's loader (go-yaml) reads them; JSON's two. */
static int bool_of(const char *s, bool json)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON",  NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no",  "No",
                                     "NO",    "off",   "Off",   "OFF", NULL};
    if (json) return strcmp(s, "true") == 0 ? 1 : strcmp(s, "false") == 0 ? 0 : -1;
    return is_one_of(s, yes) ? 1 : is_one_of(s, no) ? 0 : -1;
}

static bool is_null(const char *s, size_t len, bool json)
{
    static const char *const nulls[] = {"null", "Null", "NULL", "~", NULL};
    if (json) return strcmp(s, "null") == 0;
    return len == 0 || is_one_of(s, nulls);
}

/* Decimal, 0x or 0o integer with an optional sign; -1 when not one, -2
 * when out of range. */
static int int_of(const char *s, int64_t *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
        base = p[1] == 'x' ? 16 : 8;
        p += 2;
    }
    if (!*p) return -1;
    for (const char *q = p; *q; q++) {
        bool ok = base == 16 ? (*q >= '0' && *q <= '9') || ((*q | 32) >= 'a' && (*q | 32) <= 'f')
                             : *q >= '0' && *q < '0' + (base == 8 ? 8 : 10);
        if (!ok) return -1;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(p, &end, base);
    if (errno == ERANGE) return -2;
    *out = *s == '-' ? -v : v;
    return 0;
}

/* [-+]? ( digits [. digits*] | . digits ) ([eE] [-+]? digits)?, or
 * YAML's .inf / .nan spellings. */
static bool float_of(const char *s, double *out)
{
    static const char *const inf[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nan_[] = {".nan", ".NaN", ".NAN", NULL};
    const char *p = s + (*s == '-' || *s == '+');
    if (is_one_of(p, inf)) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (p == s && is_one_of(p, nan_)) {
        *out = NAN;
        return true;
    }
    size_t digits = strspn(p, "0123456789"), i = digits;
    if (p[i] == '.') i += 1 + strspn(p + i + 1, "0123456789");
    if (i == 0 || (i == 1 && p[0] == '.')) return false;
    if (p[i] == 'e' || p[i] == 'E') {
        size_t j = i + 1 + (p[i + 1] == '-' || p[i + 1] == '+');
        size_t e = strspn(p + j, "0123456789");
        if (e == 0) return false;
        i = j + e;
    }
    if (p[i]) return false;
    *out = strtod(s, NULL);
    return true;
}

static toml_value_t *typed(yparse_t *y, const yaml_event_t *ev, toml_type_t t)
{
    toml_value_t *v = toml_new(t, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
    if (!v) fail(y, &ev->start_mark, "out of memory");
    return v;
}

/* A plain scalar: the first type whose spelling it has, else a string. */
static toml_value_t *plain_scalar(yparse_t *y, const yaml_event_t *ev, const char *s, size_t len)
{
    int64_t i = 0;
    double f = 0;
    int b = bool_of(s, y->json);
    int irc = int_of(s, &i);
    if (is_null(s, len, y->json))
        return fail(y, &ev->start_mark, "null value (write a value, or leave the key out)");
    if (b >= 0) {
        toml_value_t *v = typed(y, ev, TOML_BOOL);
        if (v) v->u.b = b;
        return v;
    }
    if (irc == -2) return fail(y, &ev->start_mark, "integer out of range");
    if (irc == 0 && !(y->json && s[0] == '+')) {
        toml_value_t *v = typed(y, ev, TOML_INTEGER);
        if (v) v->u.i = i;
        return v;
    }
    if (float_of(s, &f)) {
        toml_value_t *v = typed(y, ev, TOML_FLOAT);
        if (v) v->u.f = f;
        return v;
    }
    toml_value_t *v =
        toml_new_string(s, len, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
    if (!v) fail(y, &ev->start_mark, "out of memory");
    return v;
}

/* Tags a config may use: the core types, which only confirm or force. */
static toml_value_t *tagged_scalar(yparse_t *y, const yaml_event_t *ev, const char *tag,
                                   const char *s, size_t len)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    if (strncmp(tag, prefix, sizeof prefix - 1) != 0)
        return fail(y, &ev->start_mark, "YAML tag '%.60s' is not supported", tag);
    const char *t = tag + sizeof prefix - 1;
    if (strcmp(t, "str") == 0) {
        toml_value_t *v =
            toml_new_string(s, len, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
        if (!v) fail(y, &ev->start_mark, "out of memory");
        return v;
    }
    static const char *const core[] = {"int", "float", "bool", NULL};
    if (!is_one_of(t, core))
        return fail(y, &ev->start_mark, "YAML tag '!!%.40s' is not supported", t);
    toml_value_t *v = plain_scalar(y, ev, s, len);
    bool ok = !v || (strcmp(t, "bool") == 0 && v->type == TOML_BOOL) ||
              (strcmp(t, "int") == 0 && v->type == TOML_INTEGER) ||
              (strcmp(t, "float") == 0 && (v->type == TOML_FLOAT || v->type == TOML_INTEGER));
    if (ok && v && strcmp(t, "float") == 0 && v->type == TOML_INTEGER) {
        v->type = TOML_FLOAT;
        v->u.f = (double)v->u.i;
    }
    if (ok) return v;
    toml_free(v);
    return fail(y, &ev->start_mark, "'%.60s' is not a valid !!%s", s, t);
}

static toml_value_t *scalar(yparse_t *y, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag) return tagged_scalar(y, ev, tag, s, len);
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return plain_scalar(y, ev, s, len);
    toml_value_t *v =
        toml_new_string(s, len, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
    if (!v) fail(y, &ev->start_mark, "out of memory");
    return v;
}

/* ---- collections ------------------------------------------------------- */

static toml_value_t *node(yparse_t *y, yaml_event_t *ev, int depth);

/* Reads the next event as a node; false at `end` (the collection's end) or
 * on error (then y->err is set). */
static bool next_node(yparse_t *y, yaml_event_type_t end, int depth, toml_value_t **out,
                      yaml_event_t *ev)
{
    *out = NULL;
    if (!next(y, ev)) return false;
    if (ev->type == end) return false;
    *out = node(y, ev, depth);
    return *out != NULL;
}

static toml_value_t *sequence(yparse_t *y, const yaml_event_t *start, int depth)
{
    toml_value_t *arr = typed(y, start, TOML_ARRAY);
    while (arr) {
        yaml_event_t ev;
        toml_value_t *item;
        bool more = next_node(y, YAML_SEQUENCE_END_EVENT, depth, &item, &ev);
        yaml_event_delete(&ev);
        if (!more) break;
        if (toml_array_append(arr, item) != 0) {
            toml_free(item);
            fail(y, &start->start_mark, "out of memory");
        }
    }
    if (y->err->msg[0]) {
        toml_free(arr);
        return NULL;
    }
    return arr;
}

/* One key: a scalar (quoted or plain, any spelling stays a string). */
static bool mapping_key(yparse_t *y, const yaml_event_t *ev)
{
    if (ev->type == YAML_SCALAR_EVENT && !ev->data.scalar.anchor) return true;
    if (ev->type == YAML_ALIAS_EVENT) {
        fail(y, &ev->start_mark, "YAML aliases are not supported; write the key out");
        return false;
    }
    fail(y, &ev->start_mark, "a key must be a plain text (scalar), not a list or mapping");
    return false;
}

static bool mapping_entry(yparse_t *y, toml_value_t *tab, const yaml_event_t *kev, int depth)
{
    yaml_event_t ev;
    toml_value_t *v = NULL;
    const char *key = (const char *)kev->data.scalar.value;
    size_t klen = kev->data.scalar.length;
    int line = (int)kev->start_mark.line + 1, col = (int)kev->start_mark.column + 1;
    bool got = next_node(y, YAML_MAPPING_END_EVENT, depth, &v, &ev);
    yaml_event_delete(&ev);
    if (!got) {
        if (!y->err->msg[0]) fail(y, &kev->start_mark, "key without a value");
        return false;
    }
    int rc = toml_table_put(tab, key, klen, line, col, v);
    if (rc == 0) return true;
    toml_free(v);
    if (rc == -1)
        fail(y, &kev->start_mark, "duplicate key '%.60s'", key);
    else
        fail(y, &kev->start_mark, "out of memory");
    return false;
}

static toml_value_t *mapping(yparse_t *y, const yaml_event_t *start, int depth)
{
    toml_value_t *tab = typed(y, start, TOML_TABLE);
    while (tab) {
        yaml_event_t kev;
        if (!next(y, &kev)) break;
        bool end = kev.type == YAML_MAPPING_END_EVENT;
        bool ok = !end && mapping_key(y, &kev) && mapping_entry(y, tab, &kev, depth);
        yaml_event_delete(&kev);
        if (end || !ok) break;
    }
    if (y->err->msg[0]) {
        toml_free(tab);
        return NULL;
    }
    return tab;
}

/* Any node; `ev` is its first event. */
static toml_value_t *node(yparse_t *y, yaml_event_t *ev, int depth)
{
    const yaml_char_t *anchor = NULL;
    if (ev->type == YAML_SCALAR_EVENT) anchor = ev->data.scalar.anchor;
    if (ev->type == YAML_SEQUENCE_START_EVENT) anchor = ev->data.sequence_start.anchor;
    if (ev->type == YAML_MAPPING_START_EVENT) anchor = ev->data.mapping_start.anchor;
    if (anchor)
        return fail(y, &ev->start_mark,
                    "YAML anchors (&%.40s) are not supported; write the value "
                    "out",
                    (const char *)anchor);
    if (depth + 1 > TOML_MAX_DEPTH && ev->type != YAML_SCALAR_EVENT)
        return fail(y, &ev->start_mark, "nesting deeper than %d levels", TOML_MAX_DEPTH);
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return scalar(y, ev);
    case YAML_SEQUENCE_START_EVENT:
        return sequence(y, ev, depth + 1);
    case YAML_MAPPING_START_EVENT:
        return mapping(y, ev, depth + 1);
    case YAML_ALIAS_EVENT:
        return fail(y, &ev->start_mark,
                    "YAML aliases (*%.40s) are not supported; write the value "
                    "out",
                    (const char *)ev->data.alias.anchor);
    default:
        return fail(y, &ev->start_mark, "unexpected YAML event");
    }
}

/* ---- the document ------------------------------------------------------ */

/* Skips events up to and including one of type `t`; false on error or a
 * different event. */
static bool expect_event(yparse_t *y, yaml_event_type_t t, yaml_event_t *ev)
{
    if (!next(y, ev)) return false;
    return ev->type == t;
}

/* The root node of the (single) document: a mapping; an empty document
 * (libyaml gives an empty plain scalar) is an empty table. */
static toml_value_t *document(yparse_t *y)
{
    yaml_event_t ev;
    if (!next(y, &ev)) return NULL;
    bool empty_scalar = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
                        ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
    toml_value_t *root = NULL;
    if (ev.type == YAML_MAPPING_START_EVENT)
        root = node(y, &ev, 0);
    else if (empty_scalar)
        root = typed(y, &ev, TOML_TABLE);
    else
        fail(y, &ev.start_mark, "the document must be a mapping of keys to values");
    yaml_event_delete(&ev);
    return root;
}

/* After the root: the document's end, then the stream's (one document). */
static bool stream_end(yparse_t *y)
{
    yaml_event_t ev;
    bool ok = expect_event(y, YAML_DOCUMENT_END_EVENT, &ev);
    yaml_event_delete(&ev);
    if (!ok) return false;
    ok = expect_event(y, YAML_STREAM_END_EVENT, &ev);
    if (!ok && !y->err->msg[0])
        fail(y, &ev.start_mark, "more than one YAML document; a config is one document");
    yaml_event_delete(&ev);
    return ok;
}

static toml_value_t *parse_stream(yparse_t *y)
{
    yaml_event_t ev;
    bool ok = expect_event(y, YAML_STREAM_START_EVENT, &ev);
    yaml_event_delete(&ev);
    if (!ok || !next(y, &ev)) return NULL;
    yaml_event_type_t t = ev.type;
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT) return typed(y, &ev, TOML_TABLE); /* only comments */
    toml_value_t *root = t == YAML_DOCUMENT_START_EVENT ? document(y) : NULL;
    if (root && !stream_end(y)) {
        toml_free(root);
        return NULL;
    }
    return root;
}

toml_value_t *cfg_yaml_parse(const char *text, size_t len, bool json, toml_error_t *err)
{
    toml_error_t local;
    yparse_t y = {.json = json, .err = err ? err : &local};
    memset(y.err, 0, sizeof *y.err);
    if (len > CFG_MAX_BYTES) {
        y.err->line = 1;
        y.err->col = 1;
        snprintf(y.err->msg, sizeof y.err->msg, "text longer than %u bytes", CFG_MAX_BYTES);
        return NULL;
    }
    if (!yaml_parser_initialize(&y.parser)) {
        snprintf(y.err->msg, sizeof y.err->msg, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)(text ? text : ""),
                                 text ? len : 0);
    yaml_parser_set_encoding(&y.parser, YAML_UTF8_ENCODING);
    toml_value_t *root = parse_stream(&y);
    yaml_parser_delete(&y.parser);
    if (!root && !y.err->msg[0]) snprintf(y.err->msg, sizeof y.err->msg, "out of memory");
    return root;
}
