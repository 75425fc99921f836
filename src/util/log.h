/* log: leveled logging to stderr or a file.
 *
 * Lines look like `2026-11-23 11:04:01.123 INFO  what happened key=value`.
 * Messages a remote peer can trigger at will belong at DEBUG, or go through
 * log_ratelimited(). */
#ifndef BURROW_LOG_H
#define BURROW_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum { LOG_TRACE = 0, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Parses "trace", "debug", "info", "warn", "error". Returns -1 when unknown. */
int log_level_parse(const char *name);
void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* `to` is "console" (stderr) or a file path opened for append. 0 or -errno. */
int log_set_output(const char *to);
/* A tag printed on every line, e.g. "server" or "client". Borrowed, must outlive use. */
void log_set_tag(const char *tag);

void log_write(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(log_level_t level, const char *fmt, va_list ap);

/* Rate limiting for lines a remote peer can trigger at will: at most `burst`
 * lines per `window_ms`; the first line after a quiet spell reports how many
 * were suppressed. Zero-initialise one per call site (static). */
typedef struct log_limit {
    unsigned long long window_start;
    unsigned count, suppressed;
} log_limit_t;
#define LOG_LIMIT_BURST 20
#define LOG_LIMIT_WINDOW_MS 10000
/* true when the caller may log now. */
int log_limit_allow(log_limit_t *rl);
/* The same with at most `burst` lines per window. */
int log_limit_allow_n(log_limit_t *rl, unsigned burst);

/* Peer-supplied strings (names, types, users, hosts) go through log_esc()
 * before they reach a log line, so that no peer can forge a line or a
 * `key=value` pair: bytes outside 0x21..0x7e, '"', '\\' and '=' become
 * `\xNN`; NULL becomes "-"; a string longer than the buffer is cut and ends
 * in "...". Returns buf. LOG_ESC(s) uses a temporary buffer of LOG_ESC_MAX
 * bytes that lives until the end of the enclosing statement's block. */
#define LOG_ESC_MAX 192
const char *log_esc(const char *s, char *buf, size_t size);
#define LOG_ESC(s) log_esc((s), (char[LOG_ESC_MAX]){0}, LOG_ESC_MAX)
/* The same for a value the line puts inside double quotes (key="free text"):
 * spaces and '=' stay as they are, since they cannot end the quoted value;
 * '"', '\\' and bytes outside 0x20..0x7e become `\xNN`. */
const char *log_esc_quoted(const char *s, char *buf, size_t size);
#define LOG_ESCQ(s) log_esc_quoted((s), (char[LOG_ESC_MAX]){0}, LOG_ESC_MAX)

#define LOG_T(...) log_write(LOG_TRACE, __VA_ARGS__)
#define LOG_D(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define LOG_I(...) log_write(LOG_INFO, __VA_ARGS__)
#define LOG_W(...) log_write(LOG_WARN, __VA_ARGS__)
#define LOG_E(...) log_write(LOG_ERROR, __VA_ARGS__)
/* A WARN/INFO line behind a per-call-site rate limit. */
#define LOG_LIMITED(level, ...)                                                                    \
    do {                                                                                           \
        static log_limit_t log_rl_;                                                                \
        if (log_limit_allow(&log_rl_)) log_write(level, __VA_ARGS__);                              \
    } while (0)
/* At most one line per LOG_LIMIT_WINDOW_MS from this call site (a cap that
 * was hit: once is news, the rest is the same news). */
#define LOG_ONCE_PER_WINDOW(level, ...)                                                            \
    do {                                                                                           \
        static log_limit_t log_rl_;                                                                \
        if (log_limit_allow_n(&log_rl_, 1)) log_write(level, __VA_ARGS__);                         \
    } while (0)

#endif
