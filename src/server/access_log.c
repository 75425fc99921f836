/* access_log: the lines and their per-second bound (see the header). */
#include "server/access_log.h"

#include <string.h>

#include "server/server_int.h"
#include "util/log.h"

bool access_log_admit(access_log_t *a, uint64_t now_ms, uint64_t *summary)
{
    *summary = 0;
    if (now_ms - a->window >= 1000 || now_ms < a->window) {
        *summary = a->suppressed;
        a->suppressed = 0;
        a->window = now_ms;
        a->written = 0;
    }
    if (a->written >= ACCESS_LOG_MAX_PER_S) {
        a->suppressed++;
        return false;
    }
    a->written++;
    return true;
}

/* true when the line may go; logs the summary of a busy second first. */
static bool admit(srv_t *s)
{
    access_log_t *a = &s->access;
    uint64_t left_out;
    if (!a->on) return false;
    bool ok = access_log_admit(a, uv_now(s->loop), &left_out);
    if (left_out)
        LOG_I("access log: %llu lines suppressed in the last second", (unsigned long long)left_out);
    return ok;
}

void access_log_conn(srv_t *s, const char *proxy, const char *src, uint64_t in, uint64_t out,
                     uint64_t ms)
{
    if (!admit(s)) return;
    LOG_I("access proxy=%s src=%s in=%llu out=%llu ms=%llu", LOG_ESC(proxy), LOG_ESC(src),
          (unsigned long long)in, (unsigned long long)out, (unsigned long long)ms);
}

void access_log_http(srv_t *s, const char *proxy, const char *src, const char *method,
                     const char *host, const char *path, int status)
{
    if (!admit(s)) return;
    char cut[ACCESS_LOG_PATH_MAX + 4];
    size_t n = path ? strlen(path) : 0;
    if (n > ACCESS_LOG_PATH_MAX) { /* the escaper adds "..." when it cuts */
        memcpy(cut, path, ACCESS_LOG_PATH_MAX);
        memcpy(cut + ACCESS_LOG_PATH_MAX, "...", 4);
        path = cut;
    }
    LOG_I("access proxy=%s src=%s method=%s host=%s path=\"%s\" status=%d", LOG_ESC(proxy),
          LOG_ESC(src), LOG_ESC(method), LOG_ESC(host), LOG_ESCQ(path), status);
}
