/* splice_pump: moves bytes between two plain TCP sockets without copying
 * them through user space (Linux splice(2) through a pipe per direction).
 *
 * Used by relay.c for connections that carry bulk traffic; everything else
 * uses the portable copy path, and on systems without splice
 * splice_pump_start() returns UV_ENOTSUP. The pump works on duplicates of the
 * sockets' descriptors, polled by its own uv_poll handles; the conns must be
 * paused with empty write queues when it starts and must not be used until
 * `done` runs. Half-close is kept: EOF on one side shuts the other side's
 * write half once the pipe is drained. */
#ifndef BURROW_SPLICE_PUMP_H
#define BURROW_SPLICE_PUMP_H

#include <stdint.h>
#include <uv.h>

typedef struct splice_pump splice_pump_t;

/* Called once, from the loop, when both directions are finished (err 0) or
 * one failed (err < 0). bytes[i] counts what moved from side i. The pump is
 * freed after this returns. */
typedef void (*splice_done_cb)(void *ctx, int err, const uint64_t bytes[2]);

/* 0 on success, UV_ENOTSUP where splice is not available, or another
 * negative error (nothing was changed then). */
int splice_pump_start(uv_loop_t *loop, int fd_a, int fd_b, splice_done_cb done, void *ctx);

#endif
