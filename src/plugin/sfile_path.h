/* sfile_path: the pure pieces of the static_file plugin (plugin/sfile_sess.c):
 * a request target turned into a path under the served directory, the
 * Range header (RFC 9110 §14), the Content-Type by extension, and the
 * HTML directory listing with every name escaped.
 *
 * Pure: no files, no sockets, no logging. The fuzz target
 * (tests/fuzz/fuzz_plugin_static.c) drives all of it. */
#ifndef BURROW_PLUGIN_SFILE_PATH_H
#define BURROW_PLUGIN_SFILE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

#define SFILE_PATH_MAX 4096 /* a decoded request path longer than this → 414 */

enum {
    SFILE_PATH_OK = 0,
    SFILE_PATH_BAD = -1,      /* not a path, bad %-escape, NUL byte → 400 */
    SFILE_PATH_OUTSIDE = -2,  /* not under "/<stripPrefix>/" → 404 */
    SFILE_PATH_DOTDOT = -3,   /* a ".." segment → 403 */
    SFILE_PATH_TOO_LONG = -4, /* → 414 */
    SFILE_PATH_NO_SLASH = -5, /* exactly "/<stripPrefix>": redirect to it with a '/' */
};

/* The request target `target` (origin form, "/a%20b/c?q") made relative to
 * the served directory: the query dropped, percent-decoded, the prefix
 * "/<strip_prefix>/" removed (strip_prefix NULL or "" means "/"), empty and
 * "." segments dropped. `out` (size bytes) receives "a b/c" ("" for the
 * root); *dir_slash says whether the target ended in '/'. SFILE_PATH_*. */
int sfile_path_resolve(const char *target, const char *strip_prefix, char *out, size_t size,
                       bool *dir_slash);

enum {
    SFILE_RANGE_NONE = 0,  /* no usable Range: the whole file (200) */
    SFILE_RANGE_OK = 1,    /* one satisfiable range: 206 */
    SFILE_RANGE_UNSAT = 2, /* no byte of it exists: 416 */
};

/* One "bytes=" range against a file of `size` bytes (RFC 9110 §14.1.2):
 * "a-b", "a-", "-n". A malformed header, another unit or several ranges
 * are ignored (SFILE_RANGE_NONE, as §14.2 allows). *start and *len set on
 * SFILE_RANGE_OK. */
int sfile_range_parse(const char *hdr, uint64_t size, uint64_t *start, uint64_t *len);

/* The media type for a file name, by its extension (a table); binary
 * "application/octet-stream" when unknown. */
const char *sfile_mime(const char *name);

/* HTML-escapes s into b (&, <, >, ", '). */
void sfile_html_escape(strbuf_t *b, const char *s);
/* Percent-encodes s into b for use as a path segment in an href (every
 * byte but unreserved characters). */
void sfile_url_escape(strbuf_t *b, const char *s);

/* One directory entry for the listing. */
typedef struct sfile_entry {
    const char *name;
    bool is_dir;
} sfile_entry_t;

/* The listing page of `url_path` (the decoded request path, shown as the
 * title) with entries in the order given; `truncated` adds a line saying
 * that not every entry is shown. */
void sfile_listing(strbuf_t *b, const char *url_path, const sfile_entry_t *e, size_t n,
                   bool truncated);

#endif
