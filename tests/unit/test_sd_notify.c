/* test_sd_notify: the sd_notify(3) datagram reaches a socket bound at a path
 * and at an abstract '@' name; no $NOTIFY_SOCKET is a quiet no-op; a
 * relative or overlong name is refused; $WATCHDOG_USEC is read only for this
 * process ($WATCHDOG_PID); the watchdog timer pings at half the interval. */
#include "cli/sd_notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "testlib.h"

/* A datagram socket bound at `name` ('@' = abstract); -1 on failure. */
static int bind_at(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    memcpy(sun.sun_path, name, n);
    if (name[0] == '@') sun.sun_path[0] = '\0';
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@'));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) != 0) return -1;
    return fd;
}

static void check_receives(const char *name)
{
    int fd = bind_at(name);
    CHECK(fd >= 0);
    setenv("NOTIFY_SOCKET", name, 1);
    CHECK_EQ_INT(sdn_sendf("READY=1\nSTATUS=listening on %s:%d", "0.0.0.0", 7000), 0);
    char buf[256] = "";
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    CHECK(n > 0);
    CHECK_EQ_STR(buf, "READY=1\nSTATUS=listening on 0.0.0.0:7000");
    close(fd);
}

static void test_path_and_abstract(void)
{
    char path[64], abstract[64];
    snprintf(path, sizeof path, "/tmp/brw-sdn-%d.sock", (int)getpid());
    unlink(path);
    check_receives(path);
    unlink(path);
    snprintf(abstract, sizeof abstract, "@brw-sdn-%d", (int)getpid());
    check_receives(abstract);
    unsetenv("NOTIFY_SOCKET");
}

static void test_no_socket_and_bad_names(void)
{
    unsetenv("NOTIFY_SOCKET");
    CHECK_EQ_INT(sdn_send("READY=1"), 0); /* not under systemd: nothing to do */
    setenv("NOTIFY_SOCKET", "", 1);
    CHECK_EQ_INT(sdn_send("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "relative.sock", 1);
    CHECK_EQ_INT(sdn_send("READY=1"), -EINVAL);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    setenv("NOTIFY_SOCKET", longname, 1);
    CHECK_EQ_INT(sdn_send("READY=1"), -EINVAL);
    setenv("NOTIFY_SOCKET", "/nonexistent/brw.sock", 1);
    CHECK(sdn_send("READY=1") < 0); /* nobody listens: an error, never a block */
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_env(void)
{
    char pid[32];
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    CHECK_EQ_INT(sdn_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    CHECK_EQ_INT(sdn_watchdog_usec(), 30000000);
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    CHECK_EQ_INT(sdn_watchdog_usec(), 30000000);
    snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1); /* meant for another process */
    CHECK_EQ_INT(sdn_watchdog_usec(), 0);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "12x", 1);
    CHECK_EQ_INT(sdn_watchdog_usec(), 0);
    unsetenv("WATCHDOG_USEC");
}

static void on_stop(uv_timer_t *t)
{
    uv_stop(t->loop);
}

/* WATCHDOG_USEC 40 ms: pings every 20 ms, the first at once. */
static void test_watchdog_timer(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/brw-sdw-%d.sock", (int)getpid());
    unlink(path);
    int fd = bind_at(path);
    CHECK(fd >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "40000", 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sdn_watchdog_t w;
    sdn_watchdog_start(&w, &loop);
    CHECK(w.on);
    uv_timer_t stop;
    uv_timer_init(&loop, &stop);
    uv_timer_start(&stop, on_stop, 110, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    sdn_watchdog_stop(&w);
    uv_close((uv_handle_t *)&stop, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    int pings = 0;
    char buf[64];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        pings += n == 10 && memcmp(buf, "WATCHDOG=1", 10) == 0;
    CHECK(pings >= 2 && pings <= 7); /* at 0, 20, ..., 100 ms; fewer on a loaded host */
    if (pings < 2 || pings > 7) fprintf(stderr, "pings=%d\n", pings);
    close(fd);
    unlink(path);
    unsetenv("WATCHDOG_USEC");
    unsetenv("NOTIFY_SOCKET");
    sdn_watchdog_start(&w, &loop); /* no WATCHDOG_USEC: stays off */
    CHECK(!w.on);
    sdn_watchdog_stop(&w);
}

int main(void)
{
    RUN(test_path_and_abstract);
    RUN(test_no_socket_and_bad_names);
    RUN(test_watchdog_env);
    RUN(test_watchdog_timer);
    return TEST_SUMMARY();
}
