/* unix_dial: connect to a unix stream socket without blocking the loop
 * (unix_dial.h). A non-blocking connect(2) on AF_UNIX completes or fails in
 * the call (EAGAIN when the listener's backlog is full), so no poll. */
#include "net/unix_dial.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* path → sockaddr_un; its length, or 0 when the path does not fit. */
static socklen_t unix_addr(const char *path, struct sockaddr_un *sa)
{
    size_t n = strlen(path);
    if (n == 0 || n > UNIX_PATH_MAX_LEN || n >= sizeof sa->sun_path) return 0;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, n);
    if (path[0] == '@') { /* abstract: a leading NUL, no terminator counted */
        sa->sun_path[0] = '\0';
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int unix_dial(conn_t *c, const char *path)
{
    struct sockaddr_un sa;
    socklen_t len = unix_addr(path, &sa);
    if (!len) return UV_ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return uv_translate_sys_error(errno);
    if (connect(fd, (struct sockaddr *)&sa, len) != 0) {
        int err = uv_translate_sys_error(errno);
        close(fd);
        return err;
    }
    int r = conn_open_fd(c, fd);
    if (r != 0) {
        close(fd);
        return r;
    }
    r = conn_start(c);
    return r; /* the conn owns fd now: closing c closes it */
}
