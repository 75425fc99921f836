/* sfile: the static_file plugin on a conn: one sfile_sess_t (the HTTP
 * side, plugin/sfile_sess.h) per connection handed to it, with
 * backpressure (a full conn pauses the file pump; a response under way
 * pauses reading, pipelined bytes waiting, at most SFILE_STASH_MAX).
 *
 * Ownership: sfile_new() returns an sfile_t with one reference, the
 * creator's (the proxy's), dropped by sfile_drop(); every connection
 * holds one more until its conn closed, so a reload that drops the proxy
 * lets running downloads finish. sfile_serve() takes the conn. */
#ifndef BURROW_PLUGIN_SFILE_H
#define BURROW_PLUGIN_SFILE_H

#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"
#include "plugin/plugin.h"

#define SFILE_STASH_MAX (64 * 1024 + 4096) /* request bytes kept while answering */
/* A connection that moves nothing for this long is closed (an idle
 * keep-alive, a peer that stopped reading): sessions count toward the
 * plugin host's bound, so none may stay forever. */
#define SFILE_IDLE_MS 60000

typedef struct sfile sfile_t;

/* localPath, stripPrefix, httpUser, httpPassword (copied; NULL = unset).
 * NULL when out of memory. */
sfile_t *sfile_new(const char *local_path, const char *strip_prefix, const char *user,
                   const char *password);
void sfile_drop(sfile_t *sf);
/* Serves HTTP on c (ready; takes it), starting with the `early` bytes
 * already read from it. With st (the plugin framework's start; NULL in
 * tests) the connection is a session of st->host (plugin.h): bounded,
 * timed until its first request head, ended with its host or proxy.
 * 0, or a negative uv error (c is closed then). */
int sfile_serve(sfile_t *sf, const plugin_start_t *st, conn_t *c, const uint8_t *early, size_t n);
/* Connections being served now. */
int sfile_conns(const sfile_t *sf);
/* Tests: another idle limit than SFILE_IDLE_MS for later connections. */
void sfile_set_idle_ms(sfile_t *sf, unsigned ms);

#endif
