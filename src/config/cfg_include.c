/* cfg_include: glob, bound and read included config files (cfg_include.h). */
#include "config/cfg_include.h"

#include <errno.h>
#include <stdarg.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/cfg_yaml.h"

typedef struct reader {
    cfg_include_set_t *out;
    cfg_include_report_fn report;
    void *arg;
    int index; /* the pattern being read */
    size_t total;
    int errors;
    struct stat main_st; /* the main file's, to skip it when a pattern matches it */
    bool have_main;
} reader_t;

__attribute__((format(printf, 3, 4))) static void problem(reader_t *r, bool error, const char *fmt,
                                                          ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (error) r->errors++;
    if (r->report) r->report(r->arg, r->index, error, msg);
}

/* The pattern as a path: relative ones under the main file's directory. */
static char *joined(const char *main_path, const char *pattern)
{
    const char *slash = strrchr(main_path, '/');
    size_t dir = pattern[0] == '/' || !slash ? 0 : (size_t)(slash - main_path) + 1;
    size_t n = strlen(pattern);
    char *p = malloc(dir + n + 1);
    if (!p) return NULL;
    memcpy(p, main_path, dir);
    memcpy(p + dir, pattern, n + 1);
    return p;
}

static bool already(const cfg_include_set_t *s, const char *path)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].path, path) == 0) return true;
    return false;
}

/* Reads one regular file within the bounds. */
static void read_one(reader_t *r, const char *path)
{
    if (already(r->out, path)) return;
    if (r->out->n >= CFG_INCLUDE_MAX_FILES) {
        problem(r, true, "more than %d included files", CFG_INCLUDE_MAX_FILES);
        return;
    }
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        problem(r, true, "cannot read '%s': %s", path, f ? "not a regular file" : strerror(errno));
        if (f) fclose(f);
        return;
    }
    if (r->have_main && st.st_dev == r->main_st.st_dev && st.st_ino == r->main_st.st_ino) {
        problem(r, false, "'%s' is the main file itself; skipped", path);
        fclose(f);
        return;
    }
    size_t size = (size_t)st.st_size;
    if (size > CFG_MAX_BYTES || r->total + size > CFG_INCLUDE_MAX_TOTAL) {
        problem(r, true, "'%s': included files larger than %u bytes (each) or %u (in all)", path,
                CFG_MAX_BYTES, CFG_INCLUDE_MAX_TOTAL);
        fclose(f);
        return;
    }
    char *text = malloc(size + 1);
    size_t got = text ? fread(text, 1, size, f) : 0;
    int failed = ferror(f);
    fclose(f);
    cfg_include_file_t *grown = realloc(r->out->v, (size_t)(r->out->n + 1) * sizeof *grown);
    char *name = strdup(path);
    if (!text || !grown || !name || failed) {
        if (grown) r->out->v = grown;
        problem(r, true, "cannot read '%s': %s", path, failed ? "read error" : "out of memory");
        free(text);
        free(name);
        return;
    }
    text[got] = '\0';
    r->out->v = grown;
    r->out->v[r->out->n++] = (cfg_include_file_t){name, text, got};
    r->total += got;
}

static void read_pattern(reader_t *r, const char *main_path, const char *pattern)
{
    char *path = joined(main_path, pattern);
    if (!path) {
        problem(r, true, "out of memory");
        return;
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    int rc = glob(path, 0, NULL, &g);
    bool wild = strpbrk(pattern, "*?[") != NULL;
    if (rc == GLOB_NOMATCH && wild)
        problem(r, false, "pattern '%s' matches no file", pattern);
    else if (rc == GLOB_NOMATCH)
        problem(r, true, "cannot read '%s': %s", path, strerror(ENOENT));
    else if (rc != 0)
        problem(r, true, "cannot expand '%s'", pattern);
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
        read_one(r, g.gl_pathv[i]);
    globfree(&g);
    free(path);
}

int cfg_include_read(const char *main_path, const char *const *patterns, int n,
                     cfg_include_set_t *out, cfg_include_report_fn report, void *arg)
{
    memset(out, 0, sizeof *out);
    reader_t r = {.out = out, .report = report, .arg = arg};
    r.have_main = main_path && stat(main_path, &r.main_st) == 0;
    for (int i = 0; i < n; i++) {
        r.index = i;
        read_pattern(&r, main_path ? main_path : "", patterns[i]);
    }
    return r.errors;
}

void cfg_include_free(cfg_include_set_t *set)
{
    for (int i = 0; set && i < set->n; i++) {
        free(set->v[i].path);
        free(set->v[i].text);
    }
    if (set) free(set->v);
    if (set) memset(set, 0, sizeof *set);
}
