/* config_range: number range lists and frp's `range parseNumberRange(Pair)`
 * template blocks, expanded line by line over a config's raw text before
 * TOML parsing, with a map from expanded lines back to the original ones
 * (see config_range.h). Pure: no files, no environment, no logging. */
#include "config/config_range.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

#define VAR_LEN 32
#define SHOW_MAX 48

/* ---- number range lists ------------------------------------------------ */

static size_t blanks(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* A decimal 1..65535 at s[*i]; -1 if none. */
static int number(const char *s, size_t len, size_t *i)
{
    long v = 0;
    size_t start = *i;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 6)
        v = v * 10 + (s[(*i)++] - '0');
    if (*i == start || v < 1 || v > 65535) return -1;
    return (int)v;
}

int config_parse_number_range(const char *s, size_t len, int *out, int max)
{
    int n = 0;
    size_t i = 0;
    for (;;) {
        i = blanks(s, len, i);
        int lo = number(s, len, &i), hi = lo;
        i = blanks(s, len, i);
        if (lo < 0) return -1;
        if (i < len && s[i] == '-') {
            i = blanks(s, len, i + 1);
            hi = number(s, len, &i);
            i = blanks(s, len, i);
            if (hi < lo) return -1;
        }
        if (hi - lo + 1 > max - n) return -2;
        for (int v = lo; v <= hi; v++)
            out[n++] = v;
        if (i == len) return n;
        if (s[i] != ',') return -1;
        i++;
    }
}

/* ---- the template ------------------------------------------------------ */

typedef struct block {
    char idx[VAR_LEN], val[VAR_LEN]; /* variable names without '$'; idx may be "" */
    bool pair;
    int first[CONFIG_RANGE_MAX], second[CONFIG_RANGE_MAX];
    int n;
} block_t;

typedef struct exp {
    strbuf_t out;
    int *map;
    int n_lines, cap;
    char *err;
    size_t err_size;
    int err_line;
    bool oom;
} exp_t;

static int fail(exp_t *e, int line, const char *fmt, const char *arg)
{
    snprintf(e->err, e->err_size, fmt, arg);
    e->err_line = line;
    return -1;
}

/* Shows the action starting at s (up to its "}}" or SHOW_MAX bytes). */
static const char *show_action(char *buf, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && n + 1 < size && n < SHOW_MAX) {
        bool end = n >= 2 && s[n - 2] == '}' && s[n - 1] == '}';
        if (end || s[n] == '\n' || s[n] == '\r') break;
        buf[n] = s[n];
        n++;
    }
    buf[n] = '\0';
    return buf;
}

static bool is_ident(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
           (ch >= '0' && ch <= '9');
}

/* After "{{" and an optional '-': the index of the action's first word. */
static size_t action_start(const char *s, size_t len, size_t i)
{
    i += 2;
    if (i < len && s[i] == '-') i++;
    return blanks(s, len, i);
}

/* Matches an optional '-' then "}}" at s[i] after blanks; returns the index
 * past it, or 0. */
static size_t action_close(const char *s, size_t len, size_t i)
{
    i = blanks(s, len, i);
    if (i < len && s[i] == '-') i = blanks(s, len, i + 1);
    if (i + 2 > len || s[i] != '}' || s[i + 1] != '}') return 0;
    return i + 2;
}

static bool word_at(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    return len - i >= n && memcmp(s + i, w, n) == 0 && (i + n == len || !is_ident(s[i + n]));
}

/* The Go actions this file recognises as template syntax (and so refuses
 * wherever they are not the one supported shape). */
static bool is_go_action(const char *s, size_t len, size_t i)
{
    static const char *const words[] = {"range", "end",      "if",    "else",     "with", "define",
                                        "block", "template", "break", "continue", NULL};
    if (i < len && s[i] == '$') return true;
    for (const char *const *w = words; *w; w++)
        if (word_at(s, len, i, *w)) return true;
    return word_at(s, len, i, "parseNumberRange") || word_at(s, len, i, "parseNumberRangePair");
}

/* "$name" at s[*i] into out; false if none. */
static bool variable(const char *s, size_t len, size_t *i, char out[VAR_LEN])
{
    if (*i >= len || s[*i] != '$') return false;
    size_t n = 0;
    (*i)++;
    while (*i < len && is_ident(s[*i]) && n + 1 < VAR_LEN)
        out[n++] = s[(*i)++];
    out[n] = '\0';
    return n > 0 && (*i == len || !is_ident(s[*i]));
}

/* A double-quoted argument (no escapes) at s[*i]: its bytes in [*a, *a+*n). */
static bool quoted(const char *s, size_t len, size_t *i, const char **a, size_t *n)
{
    if (*i >= len || s[*i] != '"') return false;
    size_t j = *i + 1;
    while (j < len && s[j] != '"' && s[j] != '\\')
        j++;
    if (j >= len || s[j] != '"') return false;
    *a = s + *i + 1;
    *n = j - *i - 1;
    *i = j + 1;
    return true;
}

static int range_arg(exp_t *e, int line, const char *a, size_t n, int *out, int *count)
{
    char shown[SHOW_MAX + 1];
    size_t k = n < SHOW_MAX ? n : SHOW_MAX;
    memcpy(shown, a, k);
    shown[k] = '\0';
    *count = config_parse_number_range(a, n, out, CONFIG_RANGE_MAX);
    if (*count == -2)
        return fail(e, line, "range \"%s\" holds more than CONFIG_RANGE_MAX (1024) numbers", shown);
    if (*count < 0)
        return fail(e, line, "bad number range \"%s\" (expected \"a-b,c,...\" of 1..65535)", shown);
    return 0;
}

/* Parses `range [$i,] $v := parseNumberRange[Pair] "a" ["b"]` from s[i]
 * (just past "{{" and blanks) to the line's end. */
static int parse_range(exp_t *e, int line, const char *s, size_t len, size_t i, block_t *b)
{
    char *v1 = b->idx, *v2 = b->val;
    i = blanks(s, len, i + 5);
    b->idx[0] = b->val[0] = '\0';
    if (!variable(s, len, &i, v1)) return fail(e, line, "%s", "range: expected a $variable");
    i = blanks(s, len, i);
    if (i < len && s[i] == ',') {
        i = blanks(s, len, i + 1);
        if (!variable(s, len, &i, v2)) return fail(e, line, "%s", "range: expected $i, $v");
        i = blanks(s, len, i);
    } else {
        memcpy(b->val, b->idx, VAR_LEN);
        b->idx[0] = '\0';
    }
    if (len - i < 2 || s[i] != ':' || s[i + 1] != '=')
        return fail(e, line, "%s", "range: expected :=");
    i = blanks(s, len, i + 2);
    b->pair = word_at(s, len, i, "parseNumberRangePair");
    if (!b->pair && !word_at(s, len, i, "parseNumberRange"))
        return fail(e, line, "%s",
                    "range: only parseNumberRange and parseNumberRangePair are supported");
    i = blanks(s, len, i + (b->pair ? 20 : 16));
    const char *a;
    size_t an;
    if (!quoted(s, len, &i, &a, &an)) return fail(e, line, "%s", "range: expected a \"range\"");
    if (range_arg(e, line, a, an, b->first, &b->n) < 0) return -1;
    if (b->pair) {
        int n2 = 0;
        i = blanks(s, len, i);
        if (!quoted(s, len, &i, &a, &an))
            return fail(e, line, "%s", "parseNumberRangePair: expected two \"ranges\"");
        if (range_arg(e, line, a, an, b->second, &n2) < 0) return -1;
        if (n2 != b->n)
            return fail(e, line, "%s", "parseNumberRangePair: the two ranges differ in length");
    }
    size_t j = action_close(s, len, i);
    if (!j || blanks(s, len, j) != len)
        return fail(e, line, "%s", "range: expected }} and nothing after it on the line");
    return 0;
}

static void emit(exp_t *e, const char *s, size_t n, int line, bool newline)
{
    strbuf_put(&e->out, s, n);
    if (!newline) return;
    strbuf_put(&e->out, "\n", 1);
    if (e->n_lines == e->cap) {
        int cap = e->cap ? e->cap * 2 : 64;
        int *m = realloc(e->map, (size_t)cap * sizeof *m);
        if (!m) {
            e->oom = true;
            return;
        }
        e->map = m;
        e->cap = cap;
    }
    e->map[e->n_lines++] = line;
}

/* The value of `{{ $x[.Field] }}` inside a block's iteration k, or -1. */
static int block_value(const block_t *b, int k, const char *s, size_t len, size_t *i)
{
    char name[VAR_LEN];
    if (!variable(s, len, i, name)) return -1;
    if (b->idx[0] && strcmp(name, b->idx) == 0) return k;
    if (strcmp(name, b->val) != 0) return -1;
    if (!b->pair) return b->first[k];
    if (word_at(s, len, *i, ".First")) {
        *i += 6;
        return b->first[k];
    }
    if (word_at(s, len, *i, ".Second")) {
        *i += 7;
        return b->second[k];
    }
    return -1;
}

/* Copies one line (without its '\n'), substituting the block's variables
 * (b may be NULL outside a block); any other Go action is an error. */
static int copy_line(exp_t *e, const block_t *b, int k, const char *s, size_t len, int line)
{
    size_t run = 0, i = 0;
    while (i + 1 < len) {
        if (s[i] != '{' || s[i + 1] != '{') {
            i++;
            continue;
        }
        size_t a = action_start(s, len, i), j = a;
        if (!is_go_action(s, len, a)) {
            i += 2;
            continue;
        }
        int v = b ? block_value(b, k, s, len, &j) : -1;
        size_t end = v >= 0 ? action_close(s, len, j) : 0;
        if (!end) {
            char shown[SHOW_MAX + 1];
            return fail(e, line, "unsupported template construct '%s'",
                        show_action(shown, sizeof shown, s + i, len - i));
        }
        char num[16];
        int n = snprintf(num, sizeof num, "%d", v);
        emit(e, s + run, i - run, line, false);
        emit(e, num, (size_t)n, line, false);
        i = run = end;
    }
    emit(e, s + run, len - run, line, true);
    return 0;
}

typedef struct line {
    const char *s;
    size_t len;
} line_t;

/* Is this line a lone `{{ word ... }}` action (range or end)? */
static bool lone_action(line_t l, const char *word, size_t *at)
{
    size_t i = blanks(l.s, l.len, 0);
    if (l.len - i < 2 || l.s[i] != '{' || l.s[i + 1] != '{') return false;
    *at = action_start(l.s, l.len, i);
    return word_at(l.s, l.len, *at, word);
}

static bool is_end(line_t l)
{
    size_t at;
    if (!lone_action(l, "end", &at)) return false;
    size_t j = action_close(l.s, l.len, at + 3);
    return j && blanks(l.s, l.len, j) == l.len;
}

/* Expands the block whose range line is lines[r]; returns the index of its
 * end line, or -1. */
static int expand_block(exp_t *e, const line_t *lines, int n, int r, size_t at)
{
    block_t *b = malloc(sizeof *b);
    if (!b) {
        e->oom = true;
        return -1;
    }
    int end = -1, rc = parse_range(e, r + 1, lines[r].s, lines[r].len, at, b);
    for (int j = r + 1; rc == 0 && j < n && end < 0; j++) {
        size_t a2;
        if (is_end(lines[j]))
            end = j;
        else if (lone_action(lines[j], "range", &a2))
            rc = fail(e, j + 1, "%s", "nested range blocks are not supported");
    }
    if (rc == 0 && end < 0) rc = fail(e, r + 1, "%s", "range without {{ end }}");
    for (int k = 0; rc == 0 && k < b->n; k++)
        for (int j = r + 1; rc == 0 && j < end; j++)
            rc = copy_line(e, b, k, lines[j].s, lines[j].len, j + 1);
    free(b);
    return rc == 0 ? end : -1;
}

static line_t *split_lines(const char *text, size_t len, int *n)
{
    int count = 1;
    for (size_t i = 0; i < len; i++)
        count += text[i] == '\n';
    line_t *lines = calloc((size_t)count, sizeof *lines);
    if (!lines) return NULL;
    size_t start = 0;
    *n = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || text[i] == '\n') {
            lines[*n].s = text + start;
            lines[(*n)++].len = i - start;
            start = i + 1;
        }
    return lines;
}

static int expand_lines(exp_t *e, const line_t *lines, int n)
{
    for (int r = 0; r < n; r++) {
        size_t at;
        if (lone_action(lines[r], "range", &at)) {
            r = expand_block(e, lines, n, r, at);
            if (r < 0) return -1;
        } else if (copy_line(e, NULL, 0, lines[r].s, lines[r].len, r + 1) < 0) {
            return -1;
        }
        if (e->oom) return -1;
    }
    return 0;
}

int config_expand_ranges(const char *text, size_t len, cfg_text_t *out, char *err, size_t err_size,
                         int *err_line)
{
    exp_t e = {.err = err, .err_size = err_size};
    int n = 0;
    memset(out, 0, sizeof *out);
    line_t *lines = split_lines(text, len, &n);
    int rc = lines ? expand_lines(&e, lines, n) : -1;
    free(lines);
    if (!lines || e.oom || e.out.failed) rc = -2;
    if (rc < 0) {
        free(e.out.p);
        free(e.map);
        *err_line = e.err_line;
        return rc;
    }
    /* The last line got a '\n' the original may not have had. */
    if (e.out.len && (len == 0 || text[len - 1] != '\n')) e.out.p[--e.out.len] = '\0';
    out->text = e.out.p;
    out->len = e.out.len;
    out->line_map = e.map;
    out->n_lines = e.n_lines;
    return 0;
}

int cfg_text_line(const cfg_text_t *t, int line)
{
    if (!t || !t->line_map || line < 1 || line > t->n_lines) return line;
    return t->line_map[line - 1];
}

void cfg_text_free(cfg_text_t *t)
{
    if (!t) return;
    free(t->text);
    free(t->line_map);
    memset(t, 0, sizeof *t);
}
