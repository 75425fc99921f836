/* toml: burrow's TOML 1.0 parser.
 *
 * This file owns everything between the raw bytes of a config file and the
 * toml_value_t tree declared in toml.h: UTF-8 validation, scanning of keys,
 * strings, numbers and date/times, the table-definition rules of the spec
 * (which table may be opened, extended or appended to, and by what), the
 * line/column of every key and value, and freeing the tree.
 *
 * It does no I/O and keeps no global state. Every allocation either hangs off
 * the tree or off a local that the error path frees, so a failed parse frees
 * everything. Recursion happens only for nested arrays and inline tables, and
 * every node carries its depth in the tree, capped at TOML_MAX_DEPTH, so both
 * the parser and toml_free() have a bounded stack whatever the input.
 *
 * Section names in comments ("Keys", "Table", ...) refer to the TOML 1.0.0
 * specification at https://toml.io/en/v1.0.0. */
#include "config/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Tree nodes                                                               */
/* ------------------------------------------------------------------------ */

/* How a table or array came to exist; the redefinition rules depend on it. */
enum {
    NF_IMPLICIT = 1u << 0, /* table made as a parent by a [x.y] header; [x] may still define it */
    NF_HEADER = 1u << 1,   /* table defined by [header], or an element of [[header]] */
    NF_DOTTED = 1u << 2,   /* table made by a dotted key; only dotted keys may extend it */
    NF_FROZEN = 1u << 3,   /* inline table or array literal: complete once written */
    NF_AOT = 1u << 4,      /* array made by [[header]]; further [[header]]s append to it */
};

/* The public value plus the private bookkeeping. `v` comes first so that a
 * toml_value_t pointer handed out by this file converts back to its node. */
typedef struct node {
    toml_value_t v;
    unsigned flags;
    int depth;  /* distance from the root table */
    size_t cap; /* allocated slots in u.arr.items or u.tab.items */
    /* Tables with many keys also get a hash index, so that hostile input
     * with thousands of keys in one table does not make duplicate checks
     * quadratic. Slots hold an item number plus one, 0 when empty. */
    size_t *index;
    size_t index_cap; /* a power of two, 0 while there is no index */
} node_t;

static node_t *node_of(const toml_value_t *v)
{
    return (node_t *)v;
}

static void free_value(toml_value_t *v)
{
    if (!v) return;
    switch (v->type) {
    case TOML_STRING:
        free(v->u.s.ptr);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            free_value(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.tab.len; i++) {
            free(v->u.tab.items[i].key);
            free_value(v->u.tab.items[i].value);
        }
        free(v->u.tab.items);
        free(node_of(v)->index);
        break;
    default:
        break;
    }
    free(node_of(v));
}

void toml_free(toml_value_t *root)
{
    free_value(root);
}

/* ------------------------------------------------------------------------ */
/* Parser state, cursor and errors                                          */
/* ------------------------------------------------------------------------ */

typedef struct parser {
    const char *s;
    size_t len, pos;
    int line, col; /* position of s[pos] */
    toml_error_t *err;
} parser_t;

static bool fail_at(parser_t *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the error (the first one wins: later calls on the way out of the
 * recursion must not overwrite the real cause) and returns false. */
static bool fail_at(parser_t *p, int line, int col, const char *fmt, ...)
{
    if (p->err->msg[0]) return false;
    p->err->line = line;
    p->err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    if (!p->err->msg[0]) snprintf(p->err->msg, sizeof p->err->msg, "syntax error");
    return false;
}

static bool fail_oom(parser_t *p)
{
    return fail_at(p, p->line, p->col, "out of memory");
}

static int peek_at(const parser_t *p, size_t k)
{
    return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

static int peek(const parser_t *p)
{
    return peek_at(p, 0);
}

/* Columns count characters, not bytes: UTF-8 continuation bytes do not move
 * the column, so an error after "é" points where an editor would. */
static void advance(parser_t *p)
{
    unsigned char c = (unsigned char)p->s[p->pos++];
    if (c == '\n') {
        p->line++;
        p->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        p->col++;
    }
}

static void advance_n(parser_t *p, size_t n)
{
    while (n-- > 0 && p->pos < p->len)
        advance(p);
}

/* Spec "Comment"/"String": control characters other than tab are not allowed
 * in comments or strings (newlines are handled by the callers). */
static bool is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F;
}

static void describe_char(int c, char *buf, size_t size)
{
    if (c < 0)
        snprintf(buf, size, "end of input");
    else if (c == '\n')
        snprintf(buf, size, "newline");
    else if (c == '\r')
        snprintf(buf, size, "carriage return");
    else if (c == ' ')
        snprintf(buf, size, "space");
    else if (c == '\t')
        snprintf(buf, size, "tab");
    else if (c > 0x20 && c < 0x7F)
        snprintf(buf, size, "'%c'", c);
    else if (c < 0x80)
        snprintf(buf, size, "control character U+%04X", (unsigned)c);
    else
        snprintf(buf, size, "non-ASCII character");
}

/* "<what>, found <the character at the cursor>". */
static bool fail_unexpected(parser_t *p, const char *what)
{
    char found[48];
    describe_char(peek(p), found, sizeof found);
    return fail_at(p, p->line, p->col, "%s, found %s", what, found);
}

/* Quotes a key for a message: truncated, with unprintable bytes as '?'. */
static const char *key_for_msg(const char *key, size_t len, char *buf, size_t size)
{
    size_t max = size - 4, n = 0;
    for (; n < len && n < max; n++)
        buf[n] = is_control((unsigned char)key[n]) ? '?' : key[n];
    if (n < len) {
        while (n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80)
            n--; /* do not cut a UTF-8 sequence in half */
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Whitespace, newlines and comments                                        */
/* ------------------------------------------------------------------------ */

static void skip_ws(parser_t *p)
{
    while (peek(p) == ' ' || peek(p) == '\t')
        advance(p);
}

/* Consumes LF or CRLF. A CR on its own is not a newline (spec "Spec"). */
static bool eat_newline(parser_t *p)
{
    if (peek(p) == '\n') {
        advance(p);
        return true;
    }
    if (peek(p) == '\r' && peek_at(p, 1) == '\n') {
        advance_n(p, 2);
        return true;
    }
    return false;
}

static bool at_newline(const parser_t *p)
{
    return peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n');
}

/* Skips a comment, if one starts here, up to (not including) its newline. */
static bool skip_comment(parser_t *p)
{
    if (peek(p) != '#') return true;
    advance(p);
    while (peek(p) >= 0 && !at_newline(p)) {
        if (is_control(peek(p))) return fail_unexpected(p, "invalid character in comment");
        advance(p);
    }
    return true;
}

/* After a key/value pair or a header: only a comment may follow on the line. */
static bool expect_eol(parser_t *p)
{
    skip_ws(p);
    if (!skip_comment(p)) return false;
    if (peek(p) < 0 || eat_newline(p)) return true;
    return fail_unexpected(p, "expected end of line");
}

/* Inside arrays, whitespace, newlines and comments may appear anywhere. */
static bool skip_ws_comments_newlines(parser_t *p)
{
    for (;;) {
        skip_ws(p);
        if (!skip_comment(p)) return false;
        if (!eat_newline(p)) return true;
    }
}

/* ------------------------------------------------------------------------ */
/* Growable byte buffer for decoded strings and keys                        */
/* ------------------------------------------------------------------------ */

typedef struct buf {
    char *ptr;
    size_t len, cap;
} buf_t;

static bool buf_put(parser_t *p, buf_t *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->ptr, cap);
        if (!grown) return fail_oom(p);
        b->ptr = grown;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return true;
}

static bool buf_putc(parser_t *p, buf_t *b, char c)
{
    return buf_put(p, b, &c, 1);
}

/* Makes sure the buffer holds an allocated, NUL-terminated string. */
static bool buf_finish(parser_t *p, buf_t *b)
{
    return b->ptr ? true : buf_put(p, b, "", 0);
}

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                    */
/* ------------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 if it is malformed. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* Offset of the first malformed byte, or len when the text is valid. */
static size_t utf8_first_bad(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (n == 0) return i;
        i += n;
    }
    return len;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------------ */
/* Strings                                                                  */
/* ------------------------------------------------------------------------ */

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \uXXXX or \UXXXXXXXX with the cursor on the 'u'/'U'. Spec "String": the
 * escape must name a Unicode scalar value, so surrogates are rejected. */
static bool parse_unicode_escape(parser_t *p, buf_t *b, int line, int col)
{
    int ndigits = peek(p) == 'u' ? 4 : 8;
    uint32_t cp = 0;
    advance(p);
    for (int i = 0; i < ndigits; i++) {
        int d = hex_value(peek(p));
        if (d < 0)
            return fail_at(p, line, col, "invalid unicode escape: expected %d hex digits", ndigits);
        cp = cp * 16 + (uint32_t)d;
        advance(p);
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return fail_at(p, line, col, "unicode escape U+%04lX is not a scalar value",
                       (unsigned long)cp);
    char out[4];
    return buf_put(p, b, out, utf8_encode(cp, out));
}

/* Spec "String", multi-line basic strings: a backslash that is the last
 * non-blank character of a line swallows all whitespace and newlines up to
 * the next visible character. The cursor is just past the backslash. */
static bool parse_line_ending_backslash(parser_t *p, int line, int col)
{
    skip_ws(p);
    if (!eat_newline(p)) return fail_at(p, line, col, "invalid escape '\\ '");
    while (peek(p) == ' ' || peek(p) == '\t' || at_newline(p))
        advance(p);
    return true;
}

/* The byte a one-letter escape stands for (spec "String"), or -1. TOML 1.0
 * has no \e and no \xHH: those arrived in 1.1 and must be rejected here. */
static int simple_escape(int c)
{
    switch (c) {
    case 'b':
        return '\b';
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'f':
        return '\f';
    case 'r':
        return '\r';
    case '"':
        return '"';
    case '\\':
        return '\\';
    default:
        return -1;
    }
}

/* One escape sequence, cursor on the backslash. */
static bool parse_escape(parser_t *p, buf_t *b, bool multi)
{
    int line = p->line, col = p->col;
    advance(p);
    int c = peek(p), byte = simple_escape(c);
    if (byte >= 0) {
        advance(p);
        return buf_putc(p, b, (char)byte);
    }
    if (c == 'u' || c == 'U') return parse_unicode_escape(p, b, line, col);
    if (multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
        return parse_line_ending_backslash(p, line, col);
    if (c > 0x20 && c < 0x7F) return fail_at(p, line, col, "invalid escape '\\%c'", c);
    char found[48];
    describe_char(c, found, sizeof found);
    return fail_at(p, line, col, "invalid escape: backslash followed by %s", found);
}

/* Length of the run of `q` characters at the cursor. */
static size_t quote_run(const parser_t *p, int q)
{
    size_t n = 0;
    while (peek_at(p, n) == q)
        n++;
    return n;
}

/* Handles a run of quotes inside a multi-line string. Spec "String": one or
 * two quotes may sit right before the closing delimiter, so a run of 3 to 5
 * closes the string and keeps run-3 of them; more than 5 is an error. Sets
 * *closed when the string ended. */
static bool multi_quote_run(parser_t *p, buf_t *b, int q, bool *closed)
{
    size_t run = quote_run(p, q);
    const char qq[2] = {(char)q, (char)q};
    if (run < 3) {
        advance_n(p, run);
        return buf_put(p, b, qq, run);
    }
    if (run > 5) {
        advance_n(p, 5);
        return fail_unexpected(p, "too many quotes after multi-line string");
    }
    advance_n(p, run);
    *closed = true;
    return buf_put(p, b, qq, run - 3);
}

/* Checks one raw character inside a string body and copies it. Newlines
 * are allowed only in multi-line strings, where CRLF is stored as LF. */
static bool copy_string_char(parser_t *p, buf_t *b, bool multi, int sline, int scol)
{
    int c = peek(p);
    if (at_newline(p)) {
        if (!multi) return fail_at(p, sline, scol, "unterminated string: newline before the quote");
        eat_newline(p);
        return buf_putc(p, b, '\n');
    }
    if (is_control(c)) return fail_unexpected(p, "invalid character in string");
    advance(p);
    return buf_putc(p, b, (char)c);
}

/* Any of the four string forms, the cursor on the opening quote. Keys pass
 * allow_multi=false: a key is never a multi-line string (spec "Keys"). */
static bool parse_string(parser_t *p, buf_t *b, bool allow_multi)
{
    int q = peek(p), sline = p->line, scol = p->col;
    bool basic = q == '"';
    bool multi = allow_multi && quote_run(p, q) >= 3;
    advance_n(p, multi ? 3 : 1);
    /* Spec "String": a newline right after the opening delimiter is trimmed. */
    if (multi) eat_newline(p);
    for (;;) {
        int c = peek(p);
        bool closed = false;
        if (c < 0) return fail_at(p, sline, scol, "unterminated string");
        if (c == q && !multi) {
            advance(p);
            return buf_finish(p, b);
        }
        if (c == q) {
            if (!multi_quote_run(p, b, q, &closed)) return false;
            if (closed) return buf_finish(p, b);
        } else if (c == '\\' && basic) {
            if (!parse_escape(p, b, multi)) return false;
        } else if (!copy_string_char(p, b, multi, sline, scol)) {
            return false;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Tables and arrays                                                        */
/* ------------------------------------------------------------------------ */

/* Allocates a node one level below `parent_depth`, enforcing the depth cap. */
static node_t *new_node(parser_t *p, toml_type_t type, int line, int col, int parent_depth,
                        unsigned flags)
{
    if (parent_depth + 1 > TOML_MAX_DEPTH) {
        fail_at(p, line, col, "nesting deeper than %d levels", TOML_MAX_DEPTH);
        return NULL;
    }
    node_t *n = calloc(1, sizeof *n);
    if (!n) {
        fail_oom(p);
        return NULL;
    }
    n->v.type = type;
    n->v.line = line;
    n->v.col = col;
    n->depth = parent_depth + 1;
    n->flags = flags;
    return n;
}

/* Tables smaller than this are searched linearly; an index would not pay. */
#define INDEX_MIN_KEYS 16

/* FNV-1a: simple, and good enough for keys chosen by a config author. */
static size_t key_hash(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211u;
    return (size_t)h;
}

static bool key_is(const toml_kv_t *kv, const char *key, size_t len)
{
    return kv->key_len == len && memcmp(kv->key, key, len) == 0;
}

static toml_kv_t *table_find(const toml_value_t *tab, const char *key, size_t len)
{
    const node_t *n = node_of(tab);
    if (n->index) {
        size_t mask = n->index_cap - 1;
        for (size_t i = key_hash(key, len) & mask; n->index[i]; i = (i + 1) & mask) {
            toml_kv_t *kv = &tab->u.tab.items[n->index[i] - 1];
            if (key_is(kv, key, len)) return kv;
        }
        return NULL;
    }
    for (size_t i = 0; i < tab->u.tab.len; i++)
        if (key_is(&tab->u.tab.items[i], key, len)) return &tab->u.tab.items[i];
    return NULL;
}

static void index_insert(node_t *n, size_t item)
{
    const toml_kv_t *kv = &n->v.u.tab.items[item];
    size_t mask = n->index_cap - 1, i = key_hash(kv->key, kv->key_len) & mask;
    while (n->index[i])
        i = (i + 1) & mask;
    n->index[i] = item + 1;
}

/* Brings the index up to date after an item was appended, rebuilding it at
 * four times the key count whenever it is half full. The index is only an
 * optimisation: if memory runs out it is dropped and lookups go linear. */
static void index_update(node_t *n)
{
    size_t len = n->v.u.tab.len;
    if (len < INDEX_MIN_KEYS) return;
    if (n->index && len * 2 <= n->index_cap) {
        index_insert(n, len - 1);
        return;
    }
    size_t cap = 64;
    while (cap < len * 4)
        cap *= 2;
    free(n->index);
    n->index = calloc(cap, sizeof *n->index);
    n->index_cap = n->index ? cap : 0;
    for (size_t i = 0; n->index && i < len; i++)
        index_insert(n, i);
}

/* Doubles *items (of `elem` bytes each) when full. */
static bool grow(parser_t *p, void **items, size_t len, size_t *cap, size_t elem)
{
    if (len < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *grown = realloc(*items, ncap * elem);
    if (!grown) return fail_oom(p);
    *items = grown;
    *cap = ncap;
    return true;
}

/* A key as written: one part per dotted component. */
typedef struct key_part {
    char *s;
    size_t len;
    int line, col;
} key_part_t;

typedef struct key_path {
    key_part_t *parts;
    size_t n, cap;
} key_path_t;

static void key_path_free(key_path_t *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->parts[i].s);
    free(k->parts);
}

/* Appends `v` under the key `kp` (whose string it takes over). On failure
 * nothing is taken: the caller still owns both. */
static bool table_add(parser_t *p, toml_value_t *tab, key_part_t *kp, toml_value_t *v)
{
    node_t *n = node_of(tab);
    void *items = tab->u.tab.items;
    if (!grow(p, &items, tab->u.tab.len, &n->cap, sizeof(toml_kv_t))) return false;
    tab->u.tab.items = items;
    toml_kv_t *kv = &tab->u.tab.items[tab->u.tab.len++];
    kv->key = kp->s;
    kv->key_len = kp->len;
    kv->line = kp->line;
    kv->col = kp->col;
    kv->value = v;
    kp->s = NULL;
    index_update(n);
    return true;
}

/* Creates an empty table under `kp`; returns it, or NULL on error. */
static toml_value_t *add_table(parser_t *p, toml_value_t *parent, key_part_t *kp, int line, int col,
                               unsigned flags)
{
    node_t *n = new_node(p, TOML_TABLE, line, col, node_of(parent)->depth, flags);
    if (!n) return NULL;
    key_part_t copy = *kp;
    copy.s = malloc(kp->len + 1);
    if (!copy.s) {
        free(n);
        fail_oom(p);
        return NULL;
    }
    memcpy(copy.s, kp->s, kp->len + 1);
    if (!table_add(p, parent, &copy, &n->v)) {
        free(copy.s);
        free(n);
        return NULL;
    }
    return &n->v;
}

static bool array_push(parser_t *p, toml_value_t *arr, toml_value_t *v)
{
    node_t *n = node_of(arr);
    void *items = arr->u.arr.items;
    if (!grow(p, &items, arr->u.arr.len, &n->cap, sizeof(toml_value_t *))) return false;
    arr->u.arr.items = items;
    arr->u.arr.items[arr->u.arr.len++] = v;
    return true;
}

/* "table 'a' ..." style message about an existing entry that cannot be reused. */
static bool fail_redefine(parser_t *p, const key_part_t *kp, const toml_value_t *existing,
                          const char *why)
{
    char name[64];
    unsigned flags = node_of(existing)->flags;
    const char *noun = existing->type == TOML_TABLE ? (flags & NF_FROZEN ? "inline table" : "table")
                       : flags & NF_AOT             ? "array of tables"
                                                    : "array";
    key_for_msg(kp->s, kp->len, name, sizeof name);
    if (existing->type != TOML_TABLE && existing->type != TOML_ARRAY)
        return fail_at(p, kp->line, kp->col, "key '%s' is already defined (as %s)", name,
                       toml_type_name(existing->type));
    return fail_at(p, kp->line, kp->col, "%s '%s' %s", noun, name, why);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

/* Spec "Keys": bare keys are ASCII letters, digits, '-' and '_'. */
static bool is_bare_key_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static bool parse_simple_key(parser_t *p, key_part_t *kp)
{
    buf_t b = {0};
    bool ok = true;
    kp->line = p->line;
    kp->col = p->col;
    if (peek(p) == '"' || peek(p) == '\'') {
        ok = parse_string(p, &b, false);
    } else if (is_bare_key_char(peek(p))) {
        while (ok && is_bare_key_char(peek(p))) {
            ok = buf_putc(p, &b, (char)peek(p));
            advance(p);
        }
    } else {
        ok = fail_unexpected(p, "expected a key");
    }
    if (ok) ok = buf_finish(p, &b);
    if (!ok) {
        free(b.ptr);
        return false;
    }
    kp->s = b.ptr;
    kp->len = b.len;
    return true;
}

/* A possibly dotted key; whitespace around the dots is allowed and any
 * trailing whitespace is consumed. */
static bool parse_key(parser_t *p, key_path_t *k)
{
    for (;;) {
        void *parts = k->parts;
        if (!grow(p, &parts, k->n, &k->cap, sizeof(key_part_t))) return false;
        k->parts = parts;
        if (!parse_simple_key(p, &k->parts[k->n])) return false;
        k->n++;
        skip_ws(p);
        if (peek(p) != '.') return true;
        advance(p);
        skip_ws(p);
    }
}

/* ------------------------------------------------------------------------ */
/* Scalars: numbers and date/times                                          */
/* ------------------------------------------------------------------------ */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_digit_in(int c, int base)
{
    if (base == 16) return hex_value(c) >= 0;
    return c >= '0' && c < '0' + base;
}

/* Length of a run of digits in which every '_' sits between two digits
 * (spec "Integer": "each underscore must be surrounded by at least one digit"). */
static size_t digit_run(const char *s, size_t n, int base)
{
    size_t i = 0;
    while (i < n) {
        if (is_digit_in(s[i], base))
            i++;
        else if (s[i] == '_' && i > 0 && i + 1 < n && is_digit_in(s[i + 1], base))
            i++;
        else
            break;
    }
    return i;
}

/* Accumulates the digits of a validated run, refusing values above `limit`. */
static bool accumulate(const char *s, size_t n, int base, uint64_t limit, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') continue;
        uint64_t d = (uint64_t)hex_value(s[i]);
        if (v > (limit - d) / (uint64_t)base) return false;
        v = v * (uint64_t)base + d;
    }
    *out = v;
    return true;
}

/* 0x / 0o / 0b integers: no sign, no leading '_', at most INT64_MAX. */
static const char *parse_prefixed_int(const char *s, size_t n, int64_t *out)
{
    int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
    uint64_t v;
    if (n == 2 || digit_run(s + 2, n - 2, base) != n - 2) return "invalid integer";
    if (!accumulate(s + 2, n - 2, base, (uint64_t)INT64_MAX, &v)) return "integer out of range";
    *out = (int64_t)v;
    return NULL;
}

/* Decimal integer; the sign is already split off. Spec "Integer": leading
 * zeros are not allowed, and the value must fit in a signed 64-bit integer. */
static const char *parse_dec_int(const char *s, size_t n, bool negative, int64_t *out)
{
    uint64_t v, limit = (uint64_t)INT64_MAX + (negative ? 1 : 0);
    if (n == 0 || digit_run(s, n, 10) != n) return "invalid integer";
    if (s[0] == '0' && n > 1) return "leading zeros are not allowed";
    if (!accumulate(s, n, 10, limit, &v)) return "integer out of range";
    if (!negative)
        *out = (int64_t)v;
    else
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return NULL;
}

/* Validates the float grammar of spec "Float" (sign already split off):
 * an integer part like a decimal integer, then a fraction, an exponent or
 * both, each made of digit runs. */
static const char *check_float_syntax(const char *s, size_t n)
{
    size_t i = digit_run(s, n, 10);
    if (i == 0) return "invalid float";
    if (s[0] == '0' && i > 1) return "leading zeros are not allowed";
    if (i < n && s[i] == '.') {
        size_t frac = digit_run(s + i + 1, n - i - 1, 10);
        if (frac == 0) return "invalid float: a digit must follow the '.'";
        i += 1 + frac;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp = digit_run(s + i, n - i, 10);
        if (exp == 0) return "invalid float exponent";
        i += exp;
    }
    return i == n ? NULL : "invalid float";
}

/* strtod() reads the '.' of the C locale; burrow never calls setlocale() for
 * LC_NUMERIC, so the digits TOML allows are exactly what strtod() accepts. */
static const char *parse_float(const char *s, size_t n, bool negative, double *out)
{
    const char *why = check_float_syntax(s, n);
    if (why) return why;
    char small[64], *tmp = n + 2 <= sizeof small ? small : malloc(n + 2);
    if (!tmp) return "out of memory";
    size_t k = 0;
    tmp[k++] = negative ? '-' : '+';
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_') tmp[k++] = s[i];
    tmp[k] = '\0';
    errno = 0;
    double d = strtod(tmp, NULL);
    bool overflow = errno == ERANGE && isinf(d);
    if (tmp != small) free(tmp);
    if (overflow) return "float out of range";
    *out = d;
    return NULL;
}

/* Any number token: integers of all bases, floats, inf and nan. */
static const char *parse_number(const char *s, size_t n, toml_value_t *v)
{
    bool has_sign = n > 0 && (s[0] == '+' || s[0] == '-');
    bool negative = has_sign && s[0] == '-';
    const char *body = s + has_sign;
    size_t len = n - has_sign;
    if ((len == 3 && memcmp(body, "inf", 3) == 0) || (len == 3 && memcmp(body, "nan", 3) == 0)) {
        double d = body[0] == 'i' ? INFINITY : NAN;
        v->type = TOML_FLOAT;
        v->u.f = negative ? -d : d;
        return NULL;
    }
    if (len >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o' || body[1] == 'b')) {
        if (has_sign) return "a sign is not allowed on hex, octal or binary integers";
        v->type = TOML_INTEGER;
        return parse_prefixed_int(body, len, &v->u.i);
    }
    if (memchr(body, '.', len) || memchr(body, 'e', len) || memchr(body, 'E', len)) {
        v->type = TOML_FLOAT;
        return parse_float(body, len, negative, &v->u.f);
    }
    v->type = TOML_INTEGER;
    return parse_dec_int(body, len, negative, &v->u.i);
}

/* Reads exactly `count` digits at s[*i] (bounded by n). */
static bool read_digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++, (*i)++) {
        if (*i >= n || !is_digit(s[*i])) return false;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return true;
}

static bool expect_char(const char *s, size_t n, size_t *i, char c)
{
    if (*i >= n || s[*i] != c) return false;
    (*i)++;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2 && leap ? 29 : days[month - 1];
}

/* full-date = YYYY-MM-DD (RFC 3339 section 5.6). */
static const char *parse_date_part(const char *s, size_t n, size_t *i, toml_datetime_t *dt)
{
    if (!read_digits(s, n, i, 4, &dt->year) || !expect_char(s, n, i, '-') ||
        !read_digits(s, n, i, 2, &dt->month) || !expect_char(s, n, i, '-') ||
        !read_digits(s, n, i, 2, &dt->day))
        return "invalid date";
    if (dt->month < 1 || dt->month > 12) return "month out of range";
    if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month)) return "day out of range";
    return NULL;
}

/* partial-time = HH:MM:SS[.frac]. Spec "Local Time": seconds are required in
 * TOML 1.0. RFC 3339 allows second 60 for leap seconds, so we do too. Extra
 * fraction digits beyond nanoseconds are truncated. */
static const char *parse_time_part(const char *s, size_t n, size_t *i, toml_datetime_t *dt)
{
    if (!read_digits(s, n, i, 2, &dt->hour) || !expect_char(s, n, i, ':') ||
        !read_digits(s, n, i, 2, &dt->minute) || !expect_char(s, n, i, ':') ||
        !read_digits(s, n, i, 2, &dt->second))
        return "invalid time";
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60) return "time out of range";
    if (*i < n && s[*i] == '.') {
        (*i)++;
        int digits = 0, ns = 0;
        for (; *i < n && is_digit(s[*i]); (*i)++, digits++)
            if (digits < 9) ns = ns * 10 + (s[*i] - '0');
        if (digits == 0) return "invalid time: a digit must follow the '.'";
        dt->frac_digits = digits < 9 ? digits : 9;
        for (int k = digits; k < 9; k++)
            ns *= 10;
        dt->nanosecond = ns;
    }
    return NULL;
}

/* time-offset = Z / (+|-)HH:MM */
static const char *parse_offset(const char *s, size_t n, size_t *i, toml_datetime_t *dt)
{
    int h, m;
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        dt->offset_z = true;
        return NULL;
    }
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    if (!read_digits(s, n, i, 2, &h) || !expect_char(s, n, i, ':') || !read_digits(s, n, i, 2, &m))
        return "invalid time offset";
    if (h > 23 || m > 59) return "time offset out of range";
    dt->offset_minutes = sign * (h * 60 + m);
    return NULL;
}

/* Offset date-time, local date-time, local date or local time. */
static const char *parse_datetime(const char *s, size_t n, toml_value_t *v)
{
    toml_datetime_t *dt = &v->u.dt;
    size_t i = 0;
    const char *why;
    memset(dt, 0, sizeof *dt);
    bool has_date = n > 4 && s[4] == '-';
    if (has_date) {
        if ((why = parse_date_part(s, n, &i, dt))) return why;
        if (i == n) {
            v->type = TOML_DATE_LOCAL;
            return NULL;
        }
        /* Spec "Offset Date-Time": T, t or a space separates date and time. */
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return "invalid date";
        i++;
    }
    if ((why = parse_time_part(s, n, &i, dt))) return why;
    v->type = has_date ? TOML_DATETIME_LOCAL : TOML_TIME_LOCAL;
    if (has_date && i < n && (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' || s[i] == '-')) {
        if ((why = parse_offset(s, n, &i, dt))) return why;
        v->type = TOML_DATETIME;
    }
    return i == n ? NULL : has_date ? "invalid date-time" : "invalid time";
}

/* Characters that can make up a number or date/time token. */
static bool is_token_char(int c)
{
    return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

/* Length of the number or date/time token at the cursor. A space is part of
 * it only between a full date and a time ("1979-05-27 07:32:00"). */
static size_t scan_token(const parser_t *p)
{
    const char *s = p->s + p->pos;
    size_t n = p->len - p->pos, i = 0;
    while (i < n && is_token_char((unsigned char)s[i]))
        i++;
    if (i == 10 && s[4] == '-' && s[7] == '-' && i + 3 < n && s[i] == ' ' && is_digit(s[i + 1]) &&
        is_digit(s[i + 2]) && s[i + 3] == ':') {
        i++;
        while (i < n && is_token_char((unsigned char)s[i]))
            i++;
    }
    return i;
}

/* Numbers, inf/nan and date/times, which share their first characters. */
static bool parse_number_or_datetime(parser_t *p, toml_value_t *v)
{
    size_t n = scan_token(p);
    const char *s = p->s + p->pos;
    bool datetime = (n >= 3 && s[2] == ':') || (n >= 5 && s[4] == '-' && is_digit(s[0]));
    if (n == 0) return fail_unexpected(p, "expected a value");
    const char *why = datetime ? parse_datetime(s, n, v) : parse_number(s, n, v);
    if (why) return fail_at(p, p->line, p->col, "%s", why);
    advance_n(p, n); /* tokens are ASCII, so this is cheap */
    return true;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

static bool parse_value(parser_t *p, int parent_depth, toml_value_t **out);
static bool parse_keyval(parser_t *p, toml_value_t *tab);

static bool parse_bool(parser_t *p, toml_value_t *v)
{
    size_t rest = p->len - p->pos;
    v->type = TOML_BOOL;
    if (rest >= 4 && memcmp(p->s + p->pos, "true", 4) == 0) {
        v->u.b = true;
        advance_n(p, 4);
        return true;
    }
    if (rest >= 5 && memcmp(p->s + p->pos, "false", 5) == 0) {
        v->u.b = false;
        advance_n(p, 5);
        return true;
    }
    return fail_unexpected(p, "expected a value");
}

static bool parse_string_value(parser_t *p, toml_value_t *v)
{
    buf_t b = {0};
    if (!parse_string(p, &b, true)) {
        free(b.ptr);
        return false;
    }
    v->type = TOML_STRING;
    v->u.s.ptr = b.ptr;
    v->u.s.len = b.len;
    return true;
}

/* Spec "Array": values separated by commas, a trailing comma allowed, and
 * newlines and comments anywhere between the brackets. */
static bool parse_array_items(parser_t *p, toml_value_t *arr)
{
    advance(p); /* '[' */
    for (;;) {
        if (!skip_ws_comments_newlines(p)) return false;
        if (peek(p) == ']') break;
        toml_value_t *item = NULL;
        if (!parse_value(p, node_of(arr)->depth, &item)) return false;
        if (!array_push(p, arr, item)) {
            free_value(item);
            return false;
        }
        if (!skip_ws_comments_newlines(p)) return false;
        if (peek(p) == ']') break;
        if (peek(p) != ',') return fail_unexpected(p, "expected ',' or ']' in array");
        advance(p);
    }
    advance(p); /* ']' */
    return true;
}

/* Spec "Inline Table": on one line, comma separated, no trailing comma. */
static bool parse_inline_items(parser_t *p, toml_value_t *tab)
{
    advance(p); /* '{' */
    skip_ws(p);
    if (peek(p) == '}') {
        advance(p);
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (!parse_keyval(p, tab)) return false;
        skip_ws(p);
        if (peek(p) == '}') break;
        if (peek(p) != ',') return fail_unexpected(p, "expected ',' or '}' in inline table");
        advance(p);
        skip_ws(p);
        if (peek(p) == '}') return fail_unexpected(p, "expected a key after ','");
    }
    advance(p); /* '}' */
    return true;
}

/* Arrays and inline tables: both are complete once written (NF_FROZEN). */
static bool parse_container(parser_t *p, int parent_depth, toml_value_t **out)
{
    bool is_array = peek(p) == '[';
    node_t *n = new_node(p, is_array ? TOML_ARRAY : TOML_TABLE, p->line, p->col, parent_depth, 0);
    if (!n) return false;
    bool ok = is_array ? parse_array_items(p, &n->v) : parse_inline_items(p, &n->v);
    if (!ok) {
        free_value(&n->v);
        return false;
    }
    n->flags |= NF_FROZEN;
    *out = &n->v;
    return true;
}

static bool parse_scalar(parser_t *p, toml_value_t *v)
{
    int c = peek(p);
    if (c == '"' || c == '\'') return parse_string_value(p, v);
    if (c == 't' || c == 'f') return parse_bool(p, v);
    if (c == '+' || c == '-' || c == 'i' || c == 'n' || is_digit(c))
        return parse_number_or_datetime(p, v);
    return fail_unexpected(p, "expected a value");
}

static bool parse_value(parser_t *p, int parent_depth, toml_value_t **out)
{
    if (peek(p) == '[' || peek(p) == '{') return parse_container(p, parent_depth, out);
    node_t *n = new_node(p, TOML_BOOL, p->line, p->col, parent_depth, 0);
    if (!n) return false;
    if (!parse_scalar(p, &n->v)) {
        free(n); /* a failed scalar owns no memory of its own */
        return false;
    }
    *out = &n->v;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Key/value pairs and headers: the table rules                             */
/* ------------------------------------------------------------------------ */

/* Walks the dotted prefix of `k` from *tab, creating missing tables, and
 * leaves *tab at the table that receives the last part. Spec "Keys"/"Table":
 * dotted keys may only extend tables that dotted keys created, and never an
 * inline table or a table defined by a header. */
static bool walk_dotted_key(parser_t *p, toml_value_t **tab, key_path_t *k)
{
    toml_value_t *t = *tab;
    char name[64];
    for (size_t i = 0; i + 1 < k->n; i++) {
        key_part_t *kp = &k->parts[i];
        toml_kv_t *kv = table_find(t, kp->s, kp->len);
        if (!kv) {
            t = add_table(p, t, kp, kp->line, kp->col, NF_DOTTED);
            if (!t) return false;
            continue;
        }
        unsigned flags = node_of(kv->value)->flags;
        if (kv->value->type != TOML_TABLE || !(flags & NF_DOTTED) || (flags & NF_FROZEN))
            return fail_redefine(p, kp, kv->value,
                                 "is already defined; a dotted key cannot extend it");
        t = kv->value;
    }
    key_part_t *last = &k->parts[k->n - 1];
    if (table_find(t, last->s, last->len))
        return fail_at(p, last->line, last->col, "duplicate key '%s'",
                       key_for_msg(last->s, last->len, name, sizeof name));
    *tab = t;
    return true;
}

/* key = value, stored in `tab`. The target is resolved (and duplicates
 * reported at the key) before the value is parsed. */
static bool parse_keyval(parser_t *p, toml_value_t *tab)
{
    key_path_t k = {0};
    toml_value_t *val = NULL;
    bool ok = parse_key(p, &k) && walk_dotted_key(p, &tab, &k);
    if (ok && peek(p) != '=') ok = fail_unexpected(p, "expected '=' after key");
    if (ok) {
        advance(p);
        skip_ws(p);
        ok = parse_value(p, node_of(tab)->depth, &val);
    }
    if (ok && !table_add(p, tab, &k.parts[k.n - 1], val)) {
        free_value(val);
        ok = false;
    }
    key_path_free(&k);
    return ok;
}

/* One parent step of a header path. Spec "Table"/"Array of Tables": headers
 * may pass through any table except inline ones (including tables made by
 * dotted keys), and through an array of tables into its last element. */
static bool header_descend(parser_t *p, toml_value_t **tab, key_part_t *kp)
{
    toml_kv_t *kv = table_find(*tab, kp->s, kp->len);
    if (!kv) {
        *tab = add_table(p, *tab, kp, kp->line, kp->col, NF_IMPLICIT);
        return *tab != NULL;
    }
    toml_value_t *v = kv->value;
    unsigned flags = node_of(v)->flags;
    if (v->type == TOML_TABLE && !(flags & NF_FROZEN)) {
        *tab = v;
        return true;
    }
    if (v->type == TOML_ARRAY && (flags & NF_AOT)) {
        *tab = v->u.arr.items[v->u.arr.len - 1];
        return true;
    }
    return fail_redefine(p, kp, v, "cannot be extended by a table header");
}

/* [a.b.c]: defines c, which must not exist yet unless only implied as the
 * parent of an earlier header (spec "Table": "you cannot define a table more
 * than once", but [x.y.z] then [x] is fine). */
static bool open_table(parser_t *p, toml_value_t *parent, key_part_t *kp, int line, int col,
                       toml_value_t **cur)
{
    toml_kv_t *kv = table_find(parent, kp->s, kp->len);
    if (!kv) {
        *cur = add_table(p, parent, kp, line, col, NF_HEADER);
        return *cur != NULL;
    }
    node_t *n = node_of(kv->value);
    if (kv->value->type != TOML_TABLE || n->flags != NF_IMPLICIT)
        return fail_redefine(p, kp, kv->value, "is already defined");
    n->flags = NF_HEADER;
    kv->value->line = line;
    kv->value->col = col;
    *cur = kv->value;
    return true;
}

/* [[a.b.c]]: appends a fresh table to the array of tables c, creating it. */
static bool open_array_table(parser_t *p, toml_value_t *parent, key_part_t *kp, int line, int col,
                             toml_value_t **cur)
{
    toml_kv_t *kv = table_find(parent, kp->s, kp->len);
    toml_value_t *arr;
    if (kv) {
        arr = kv->value;
        if (arr->type != TOML_ARRAY || !(node_of(arr)->flags & NF_AOT))
            return fail_redefine(p, kp, arr, "is not an array of tables");
    } else {
        node_t *an = new_node(p, TOML_ARRAY, line, col, node_of(parent)->depth, NF_AOT);
        if (!an) return false;
        if (!table_add(p, parent, kp, &an->v)) {
            free(an);
            return false;
        }
        arr = &an->v;
    }
    node_t *tn = new_node(p, TOML_TABLE, line, col, node_of(arr)->depth, NF_HEADER);
    if (!tn) return false;
    if (!array_push(p, arr, &tn->v)) {
        free(tn);
        return false;
    }
    *cur = &tn->v;
    return true;
}

/* [table] or [[array of tables]] on its own line; *cur becomes the table
 * that following key/value pairs go into. */
static bool parse_header(parser_t *p, toml_value_t *root, toml_value_t **cur)
{
    int line = p->line, col = p->col;
    bool aot = peek_at(p, 1) == '[';
    key_path_t k = {0};
    toml_value_t *t = root;
    advance_n(p, aot ? 2 : 1);
    skip_ws(p);
    bool ok = parse_key(p, &k);
    if (ok && peek(p) != ']') ok = fail_unexpected(p, "expected ']' after table name");
    if (ok && aot && peek_at(p, 1) != ']') {
        advance(p);
        ok = fail_unexpected(p, "expected ']]' after array-of-tables name");
    }
    if (ok) advance_n(p, aot ? 2 : 1);
    for (size_t i = 0; ok && i + 1 < k.n; i++)
        ok = header_descend(p, &t, &k.parts[i]);
    if (ok)
        ok = aot ? open_array_table(p, t, &k.parts[k.n - 1], line, col, cur)
                 : open_table(p, t, &k.parts[k.n - 1], line, col, cur);
    key_path_free(&k);
    return ok && expect_eol(p);
}

static bool parse_document(parser_t *p, toml_value_t *root)
{
    toml_value_t *cur = root;
    /* A UTF-8 byte order mark is allowed at the very start only. */
    if (p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0) {
        p->pos = 3;
    }
    for (;;) {
        skip_ws(p);
        if (!skip_comment(p)) return false;
        if (peek(p) < 0) return true;
        if (eat_newline(p)) continue;
        if (peek(p) == '[') {
            if (!parse_header(p, root, &cur)) return false;
        } else if (!parse_keyval(p, cur) || !expect_eol(p)) {
            return false;
        }
    }
}

/* Line and column of byte `off`, for errors found before the parse. */
static void position_of(const char *s, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

toml_value_t *toml_parse(const char *text, size_t len, toml_error_t *err)
{
    toml_error_t scratch;
    parser_t p = {.s = text ? text : "", .len = text ? len : 0, .line = 1, .col = 1};
    p.err = err ? err : &scratch;
    memset(p.err, 0, sizeof *p.err);
    size_t bad = utf8_first_bad(p.s, p.len);
    if (bad < p.len) {
        int line, col;
        position_of(p.s, bad, &line, &col);
        fail_at(&p, line, col, "invalid UTF-8 (byte 0x%02X)", (unsigned char)p.s[bad]);
        return NULL;
    }
    node_t *root = new_node(&p, TOML_TABLE, 1, 1, -1, NF_HEADER);
    if (!root) return NULL;
    if (!parse_document(&p, &root->v)) {
        free_value(&root->v);
        return NULL;
    }
    return &root->v;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */
/* ------------------------------------------------------------------------ */

const toml_kv_t *toml_table_get_kv(const toml_value_t *tab, const char *key)
{
    if (!tab || tab->type != TOML_TABLE || !key) return NULL;
    return table_find(tab, key, strlen(key));
}

const toml_value_t *toml_table_get(const toml_value_t *tab, const char *key)
{
    const toml_kv_t *kv = toml_table_get_kv(tab, key);
    return kv ? kv->value : NULL;
}

/* ------------------------------------------------------------------------ */
/* Building trees for the other front ends (YAML, JSON, legacy INI)         */
/* ------------------------------------------------------------------------ */

toml_value_t *toml_new(toml_type_t type, int line, int col)
{
    node_t *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->v.type = type;
    n->v.line = line;
    n->v.col = col;
    return &n->v;
}

toml_value_t *toml_new_string(const char *s, size_t len, int line, int col)
{
    char *copy = malloc(len + 1);
    toml_value_t *v = copy ? toml_new(TOML_STRING, line, col) : NULL;
    if (!v) {
        free(copy);
        return NULL;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    v->u.s.ptr = copy;
    v->u.s.len = len;
    return v;
}

int toml_table_put(toml_value_t *tab, const char *key, size_t len, int line, int col,
                   toml_value_t *v)
{
    if (table_find(tab, key, len)) return -1;
    toml_error_t err = {0};
    parser_t p = {.err = &err};
    key_part_t kp = {malloc(len + 1), len, line, col};
    if (!kp.s) return -2;
    memcpy(kp.s, key, len);
    kp.s[len] = '\0';
    if (table_add(&p, tab, &kp, v)) return 0;
    free(kp.s);
    return -2;
}

int toml_array_append(toml_value_t *arr, toml_value_t *v)
{
    toml_error_t err = {0};
    parser_t p = {.err = &err};
    return array_push(&p, arr, v) ? 0 : -2;
}

toml_value_t *toml_table_sub(toml_value_t *tab, const char *key, size_t len, int line, int col)
{
    toml_kv_t *kv = table_find(tab, key, len);
    if (kv) return kv->value->type == TOML_TABLE ? kv->value : NULL;
    toml_value_t *sub = toml_new(TOML_TABLE, line, col);
    if (sub && toml_table_put(tab, key, len, line, col, sub) == 0) return sub;
    toml_free(sub);
    return NULL;
}

/* snprintf() at *n into buf, keeping *n within the buffer. */
static void append(char *buf, size_t size, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (k > 0) *n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

int toml_datetime_format(const toml_value_t *v, char *buf, size_t size)
{
    char tmp[96];
    size_t n = 0;
    if (size > 0) buf[0] = '\0';
    if (!v || (v->type != TOML_DATETIME && v->type != TOML_DATETIME_LOCAL &&
               v->type != TOML_DATE_LOCAL && v->type != TOML_TIME_LOCAL))
        return 0;
    const toml_datetime_t *dt = &v->u.dt;
    tmp[0] = '\0';
    if (v->type != TOML_TIME_LOCAL)
        append(tmp, sizeof tmp, &n, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
    if (v->type == TOML_DATETIME || v->type == TOML_DATETIME_LOCAL)
        append(tmp, sizeof tmp, &n, "T");
    if (v->type != TOML_DATE_LOCAL) {
        append(tmp, sizeof tmp, &n, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
        if (dt->frac_digits > 0) {
            char frac[16];
            snprintf(frac, sizeof frac, "%09d", dt->nanosecond);
            append(tmp, sizeof tmp, &n, ".%.*s", dt->frac_digits < 9 ? dt->frac_digits : 9, frac);
        }
    }
    if (v->type == TOML_DATETIME && dt->offset_z) {
        append(tmp, sizeof tmp, &n, "Z");
    } else if (v->type == TOML_DATETIME) {
        int off = dt->offset_minutes < 0 ? -dt->offset_minutes : dt->offset_minutes;
        append(tmp, sizeof tmp, &n, "%c%02d:%02d", dt->offset_minutes < 0 ? '-' : '+', off / 60,
               off % 60);
    }
    if (size > 0) snprintf(buf, size, "%s", tmp);
    return (int)n;
}

const char *toml_type_name(toml_type_t type)
{
    switch (type) {
    case TOML_TABLE:
        return "table";
    case TOML_ARRAY:
        return "array";
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "bool";
    case TOML_DATETIME:
        return "datetime";
    case TOML_DATETIME_LOCAL:
        return "datetime-local";
    case TOML_DATE_LOCAL:
        return "date-local";
    case TOML_TIME_LOCAL:
        return "time-local";
    }
    return "unknown";
}
