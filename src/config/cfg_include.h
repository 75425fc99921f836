/* cfg_include: the files a client config's `includes` names (frp's key:
 * `includes = ["./confd/NAME.toml"]` with wildcards), read for config.c, which parses each by
 * its own extension and merges its [[proxies]] and [[visitors]].
 *
 * Each pattern is a glob(3) pattern, relative to the directory of the main
 * file unless absolute; its matches come in sorted order, each file once.
 * Bounded: at most CFG_INCLUDE_MAX_FILES files of at most CFG_MAX_BYTES
 * each, CFG_INCLUDE_MAX_TOTAL bytes in all. A pattern without wildcards
 * that names no file, an unreadable file and a bound reached are errors; a
 * wildcard pattern matching nothing is a warning, and so is a match that is
 * the main file itself (skipped). */
#ifndef BURROW_CFG_INCLUDE_H
#define BURROW_CFG_INCLUDE_H

#include <stdbool.h>
#include <stddef.h>

#define CFG_INCLUDE_MAX_FILES 64
#define CFG_INCLUDE_MAX_TOTAL (16u << 20)

typedef struct cfg_include_file {
    char *path; /* as found (pattern directory joined), owned */
    char *text; /* NUL-terminated, owned */
    size_t len;
} cfg_include_file_t;

typedef struct cfg_include_set {
    cfg_include_file_t *v;
    int n;
} cfg_include_set_t;

/* A problem with pattern number `index`: an error, or a warning. */
typedef void (*cfg_include_report_fn)(void *arg, int index, bool error, const char *msg);

/* Reads the files of patterns[0..n) into *out (free with
 * cfg_include_free, also after errors). Returns the number of errors. */
int cfg_include_read(const char *main_path, const char *const *patterns, int n,
                     cfg_include_set_t *out, cfg_include_report_fn report, void *arg);

void cfg_include_free(cfg_include_set_t *set);

#endif
