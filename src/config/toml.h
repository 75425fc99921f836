/* toml: a TOML 1.0 parser (burrow's own; Debian 12 packages no C TOML library).
 *
 * toml_parse() turns a whole document into a tree of toml_value_t. The tree is
 * owned by the caller and freed with toml_free(). Every value and every key
 * remembers the line and column where it was written, so that the config layer
 * can name `file:line` in its messages. The parser is pure: no I/O, no logging. */
#ifndef BURROW_TOML_H
#define BURROW_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest allowed nesting of tables and arrays, the root being depth 0
 * (every front end keeps to it: cfg_yaml.c, cfg_ini.c). */
#define TOML_MAX_DEPTH 128

typedef enum {
    TOML_TABLE,
    TOML_ARRAY,
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,       /* offset date-time, e.g. 1979-05-27T07:32:00Z */
    TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
    TOML_DATE_LOCAL,     /* 1979-05-27 */
    TOML_TIME_LOCAL,     /* 07:32:00 */
} toml_type_t;

typedef struct toml_datetime {
    int year, month, day;     /* unused (0) for TOML_TIME_LOCAL */
    int hour, minute, second; /* unused (0) for TOML_DATE_LOCAL */
    int nanosecond;           /* fractional seconds, 0..999999999 */
    int frac_digits;          /* digits written for the fraction, 0 when none */
    int offset_minutes;       /* TOML_DATETIME only; +east of UTC */
    bool offset_z;            /* TOML_DATETIME written with 'Z' */
} toml_datetime_t;

typedef struct toml_value toml_value_t;

typedef struct toml_kv {
    char *key; /* NUL-terminated; TOML keys may not hold NUL after decoding escapes
                  in practice, but key_len is exact */
    size_t key_len;
    int line, col; /* where the key was written (1-based) */
    toml_value_t *value;
} toml_kv_t;

struct toml_value {
    toml_type_t type;
    int line, col; /* where the value starts; for tables, the header or first key */
    union {
        struct {
            char *ptr; /* NUL-terminated; len is exact (strings may hold \u0000) */
            size_t len;
        } s;
        int64_t i;
        double f;
        bool b;
        toml_datetime_t dt;
        struct {
            toml_value_t **items;
            size_t len;
        } arr;
        struct {
            toml_kv_t *items; /* in document order */
            size_t len;
        } tab;
    } u;
};

typedef struct toml_error {
    int line, col; /* 1-based position of the problem */
    char msg[256]; /* a reason, e.g. "duplicate key 'a'" */
} toml_error_t;

/* Parses `len` bytes of UTF-8 text. Returns the root table, or NULL with *err
 * filled in. `err` may be NULL. */
toml_value_t *toml_parse(const char *text, size_t len, toml_error_t *err);

/* Frees a tree returned by toml_parse(). NULL is a no-op. */
void toml_free(toml_value_t *root);

/* Looks up `key` in a table. Returns NULL when absent or when `tab` is not a table.
 * The result is borrowed from the tree. */
const toml_value_t *toml_table_get(const toml_value_t *tab, const char *key);
/* Same, and also returns the key's record (for its line), or NULL. */
const toml_kv_t *toml_table_get_kv(const toml_value_t *tab, const char *key);

/* Tree building, for the front ends that produce the same tree from other
 * formats (config/cfg_yaml.c, cfg_json.c, cfg_ini.c). Nodes made here are
 * freed by toml_free() like the parser's. */
/* A new empty table/array, or a scalar to fill in; NULL when out of memory. */
toml_value_t *toml_new(toml_type_t type, int line, int col);
/* A string value holding a copy of s[0..len). */
toml_value_t *toml_new_string(const char *s, size_t len, int line, int col);
/* Adds key (copied) → v (taken on success) to a table: 0, -1 when the key
 * is already there, -2 when out of memory (then v stays the caller's). */
int toml_table_put(toml_value_t *tab, const char *key, size_t len, int line, int col,
                   toml_value_t *v);
/* Appends v (taken on success) to an array: 0, or -2 when out of memory. */
int toml_array_append(toml_value_t *arr, toml_value_t *v);
/* The table under key, created (at line:col) when absent; NULL when the key
 * holds something else or memory ran out. Borrowed from the tree. */
toml_value_t *toml_table_sub(toml_value_t *tab, const char *key, size_t len, int line, int col);

/* Formats a date/time value the way the toml-test suite spells it
 * (RFC 3339; local forms drop the offset). Returns the length written. */
int toml_datetime_format(const toml_value_t *v, char *buf, size_t size);

/* The type's name as toml-test spells it: "string", "integer", "float", "bool",
 * "datetime", "datetime-local", "date-local", "time-local", "table", "array". */
const char *toml_type_name(toml_type_t type);

#endif
