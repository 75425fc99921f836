/* sd_notify: telling systemd how a service started from a Type=notify unit
 * is doing (READY=1, STATUS=..., RELOADING=1, STOPPING=1, WATCHDOG=1).
 *
 * The protocol is sd_notify(3)'s: one datagram of newline-separated
 * VAR=VALUE lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
 * '@' for the abstract namespace). systemd documents it as a stable
 * interface, so burrow speaks it itself instead of linking libsystemd: the
 * static build gets it too, and there is nothing to compile out. Without
 * $NOTIFY_SOCKET (not under systemd) every call is a no-op. This file is the
 * one platform-specific place for it. */
#ifndef BURROW_SD_NOTIFY_H
#define BURROW_SD_NOTIFY_H

#include <stdint.h>
#include <uv.h>

/* Sends `state` ("READY=1\nSTATUS=listening") to $NOTIFY_SOCKET, never
 * blocking. Each line is an assignment: text from a peer must be escaped
 * (LOG_ESCQ) before it goes into one, or a newline in it adds its own. 0 when sent or when there is
 * no socket to send to; else a negative errno (the caller may ignore it: systemd may be gone). */
int sdn_send(const char *state);
/* printf-style sdn_send, truncated at 1 KiB. */
int sdn_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval systemd asked for ($WATCHDOG_USEC, for this process
 * when $WATCHDOG_PID is set), or 0 when none. */
uint64_t sdn_watchdog_usec(void);

/* WATCHDOG=1 every half interval on `loop`, from an unreferenced timer
 * (it never keeps the loop alive). A no-op without a watchdog. */
typedef struct sdn_watchdog {
    uv_timer_t timer;
    int on;
} sdn_watchdog_t;

void sdn_watchdog_start(sdn_watchdog_t *w, uv_loop_t *loop);
/* Closes the timer, if started; the loop's next turn finishes the close. */
void sdn_watchdog_stop(sdn_watchdog_t *w);

#endif
