/* access_log: the server's access log — one INFO line per user connection
 * a proxy relayed, when it ends (proxy, source address, bytes each way,
 * duration), and one per HTTP request a vhost answered (proxy, source,
 * method, host, path, status). On by default; `log.accessLog = false`
 * (burrow's own key) turns it off.
 *
 *   access proxy=ssh src=198.51.100.7:40122 in=120 out=4096 ms=1530
 *   access proxy=web src=198.51.100.7:40124 method=GET host=a.example path="/x?y" status=200
 *
 * Peers decide how many lines there are, so at most ACCESS_LOG_MAX_PER_S
 * lines are written per second; the rest are counted and summarized by the
 * first line written after that second ("access log: N lines suppressed in
 * the last second"). Every peer string is escaped; paths are cut at
 * ACCESS_LOG_PATH_MAX bytes. The limiter is pure (access_log_admit) so that
 * tests drive it with their own clock. */
#ifndef BURROW_ACCESS_LOG_H
#define BURROW_ACCESS_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define ACCESS_LOG_MAX_PER_S 200
#define ACCESS_LOG_PATH_MAX 120

typedef struct access_log {
    bool on;
    uint64_t window;     /* start of the current second, ms */
    unsigned written;    /* lines written in it */
    uint64_t suppressed; /* lines left out since the last summary */
} access_log_t;

/* Whether a line may be written at loop time now_ms. When a new second
 * starts with lines left out, *summary gets their count (else 0): the
 * caller logs the summary first. */
bool access_log_admit(access_log_t *a, uint64_t now_ms, uint64_t *summary);

struct srv;
/* A relayed stream ended: `in` bytes from the user, `out` to it. */
void access_log_conn(struct srv *s, const char *proxy, const char *src, uint64_t in, uint64_t out,
                     uint64_t ms);
/* A vhost answered a request (status from the local service or the server). */
void access_log_http(struct srv *s, const char *proxy, const char *src, const char *method,
                     const char *host, const char *path, int status);

#endif
