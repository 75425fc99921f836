/* log: see log.h. Single-threaded by design: burrow runs one event loop. */
#include "util/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static log_level_t g_level = LOG_INFO;
static FILE *g_out;
static const char *g_tag = "";

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};

int log_level_parse(const char *name)
{
    static const char *const lower[] = {"trace", "debug", "info", "warn", "error"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, lower[i]) == 0) return i;
    return -1;
}

void log_set_level(log_level_t level)
{
    g_level = level;
}

log_level_t log_get_level(void)
{
    return g_level;
}

void log_set_tag(const char *tag)
{
    g_tag = tag ? tag : "";
}

int log_set_output(const char *to)
{
    if (!to || strcmp(to, "console") == 0 || to[0] == '\0') {
        if (g_out && g_out != stderr) fclose(g_out);
        g_out = stderr;
        return 0;
    }
    FILE *f = fopen(to, "a");
    if (!f) return -errno;
    setvbuf(f, NULL, _IOLBF, 0);
    if (g_out && g_out != stderr) fclose(g_out);
    g_out = f;
    return 0;
}

void log_vwrite(log_level_t level, const char *fmt, va_list ap)
{
    if (level < g_level) return;
    FILE *out = g_out ? g_out : stderr;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "%s.%03d %-5s %s%s", ts, (int)(tv.tv_usec / 1000),
                     level_names[level], g_tag, g_tag[0] ? ": " : "");
    if (n < 0) return;
    if ((size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    fprintf(out, "%s\n", line);
    fflush(out);
}

void log_write(log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

static unsigned long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

int log_limit_allow(log_limit_t *rl)
{
    return log_limit_allow_n(rl, LOG_LIMIT_BURST);
}

int log_limit_allow_n(log_limit_t *rl, unsigned burst)
{
    unsigned long long now = now_ms();
    if (now - rl->window_start >= LOG_LIMIT_WINDOW_MS) {
        if (rl->suppressed)
            log_write(LOG_WARN, "suppressed %u similar log lines in the last %d s", rl->suppressed,
                      LOG_LIMIT_WINDOW_MS / 1000);
        rl->window_start = now;
        rl->count = 0;
        rl->suppressed = 0;
    }
    if (rl->count < burst) {
        rl->count++;
        return 1;
    }
    rl->suppressed++;
    return 0;
}

/* Copies s into buf, writing bytes that `plain` rejects as \xNN. */
static const char *esc_with(const char *s, char *buf, size_t size, bool (*plain)(unsigned char))
{
    static const char hex[] = "0123456789abcdef";
    if (size < 8) { /* room for at least "..." and a NUL */
        if (size) buf[0] = '\0';
        return buf;
    }
    if (!s) s = "-";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool ok = plain(*p);
        size_t need = ok ? 1 : 4;
        if (o + need + 4 > size) { /* keep room for "..." and the NUL */
            memcpy(buf + o, "...", 4);
            return buf;
        }
        if (ok) {
            buf[o++] = (char)*p;
            continue;
        }
        buf[o++] = '\\';
        buf[o++] = 'x';
        buf[o++] = hex[*p >> 4];
        buf[o++] = hex[*p & 15];
    }
    buf[o] = '\0';
    return buf;
}

static bool plain_bare(unsigned char ch)
{
    return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '=';
}

static bool plain_quoted(unsigned char ch)
{
    return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

const char *log_esc(const char *s, char *buf, size_t size)
{
    return esc_with(s, buf, size, plain_bare);
}

const char *log_esc_quoted(const char *s, char *buf, size_t size)
{
    return esc_with(s, buf, size, plain_quoted);
}
