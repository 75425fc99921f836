/* conn_zstd: a zstd-compressed stream over another conn
 * (transport.useCompression: the work conn between client and server).
 *
 * Like conn_e2e it wraps a whole established conn: the inner conn's
 * callbacks become this module's and the new conn is what relay.c and the
 * proxy kinds see. Each conn_write() is compressed and flushed at once
 * (ZSTD_e_flush), so interactive traffic is never held back waiting for
 * more; conn_shutdown() ends the zstd frame (ZSTD_e_end) before the inner
 * FIN, and an inner EOF in the middle of a frame is an error
 * (UV_ECONNRESET), as is input that does not decode (UV_EPROTO).
 *
 * Memory per connection is bounded by the window: ZSTD_STREAM_WLOG (a
 * 64 KiB window) at level ZSTD_STREAM_LEVEL when compressing, and the
 * decoder refuses frames that ask for a larger window, whatever the peer
 * sends; about 0.3 MiB per connection both ways. Decompressed bytes are
 * handed on ZSTD_STREAM_CHUNK at a time and stop when the owner pauses:
 * the rest of the compressed input waits (at most one inner read, the
 * inner conn paused meanwhile), so a small input that decompresses to a
 * lot is never expanded into memory ahead of the reader.
 *
 * Ownership: conn_zstd_new() takes `inner` (closed with the new conn, whose
 * on_close runs from the inner's). Backpressure is the inner's. */
#ifndef BURROW_CONN_ZSTD_H
#define BURROW_CONN_ZSTD_H

#include <stdbool.h>

#include "net/conn.h"

#define ZSTD_STREAM_LEVEL 1           /* fastest standard level */
#define ZSTD_STREAM_WLOG 16           /* 64 KiB window, both ways */
#define ZSTD_STREAM_CHUNK (64 * 1024) /* decompressed bytes per on_data */

/* true when this build has zstd (libzstd-dev); without it conn_zstd_new
 * returns NULL and the config refuses useCompression. */
bool conn_zstd_available(void);

/* A ready conn over `inner` (established). `early` (copied; may be NULL/0)
 * is compressed input the inner conn read before the wrap; with any, the
 * new conn starts paused and conn_resume() delivers it, else reading goes
 * on as the inner's did. NULL on failure (inner untouched). */
conn_t *conn_zstd_new(conn_t *inner, const conn_cbs_t *cbs, void *data, const uint8_t *early,
                      size_t early_len);

#endif
