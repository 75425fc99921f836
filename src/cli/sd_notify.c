/* sd_notify: the service manager's notification socket (see sd_notify.h
 * for the protocol and why burrow does not link libsystemd). */
#include "cli/sd_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* sockaddr_un for $NOTIFY_SOCKET; its length in *len, or 0 when unusable. */
static int notify_addr(struct sockaddr_un *sun, socklen_t *len)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !path[0]) return 0;
    size_t n = strlen(path);
    /* A path must be absolute; '@' names the abstract namespace, where the
     * first byte of sun_path is NUL (unix(7)). */
    if ((path[0] != '/' && path[0] != '@') || n >= sizeof sun->sun_path) return -EINVAL;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, n);
    if (path[0] == '@') sun->sun_path[0] = '\0';
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
    return 1;
}

int sdn_send(const char *state)
{
    struct sockaddr_un sun;
    socklen_t len = 0;
    int r = notify_addr(&sun, &len);
    if (r <= 0) return r;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    /* MSG_DONTWAIT: a stuck manager must not stall the event loop. */
    ssize_t w =
        sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
    int e = w < 0 ? -errno : 0;
    close(fd);
    return e;
}

int sdn_sendf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return sdn_send(buf);
}

uint64_t sdn_watchdog_usec(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    if (!usec || !usec[0]) return 0;
    if (pid && pid[0] && strtol(pid, NULL, 10) != (long)getpid()) return 0; /* another's */
    char *end = NULL;
    unsigned long long v = strtoull(usec, &end, 10);
    return end && *end == '\0' ? (uint64_t)v : 0;
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    (void)sdn_send("WATCHDOG=1");
}

void sdn_watchdog_start(sdn_watchdog_t *w, uv_loop_t *loop)
{
    w->on = 0;
    uint64_t usec = sdn_watchdog_usec();
    if (usec == 0) return;
    /* Half the interval, as sd_watchdog_enabled(3) recommends; at least 1 ms. */
    uint64_t ms = usec / 2000 ? usec / 2000 : 1;
    uv_timer_init(loop, &w->timer);
    uv_timer_start(&w->timer, on_watchdog, 0, ms);
    uv_unref((uv_handle_t *)&w->timer);
    w->on = 1;
}

void sdn_watchdog_stop(sdn_watchdog_t *w)
{
    if (!w->on) return;
    w->on = 0;
    uv_close((uv_handle_t *)&w->timer, NULL);
}
