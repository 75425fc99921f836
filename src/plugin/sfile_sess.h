/* sfile_sess: the static_file plugin's HTTP/1.1 connection, without
 * sockets (plugin/sfile.c owns the conn; the fuzz target drives this).
 *
 * Bytes go in with sfile_sess_feed(); each request is answered when its
 * head is complete: GET and HEAD only (405), Basic auth when a user or
 * password is set (401; constant-time compare), the target mapped under
 * localPath after stripPrefix (sfile_path.h: 400/403/404/414), the real
 * path checked to stay under localPath's real path (a symlink leading out
 * is 403), directories redirected to their '/' form (301), then served as
 * index.html or an HTML listing, files with Content-Type by extension,
 * Last-Modified and one Range (206/416). Keep-alive and pipelining work;
 * the next request is read only once the response was handed on whole.
 *
 * Response bytes go to the `out` callback; when it says the writer is
 * full, the session stops and sfile_sess_pump() goes on after a drain.
 * File bodies are read SFILE_CHUNK bytes at a time (pread on the loop:
 * local files, the way event-loop servers read without aio); a listing
 * shows at most SFILE_LIST_MAX entries. Nothing a peer sends is kept
 * beyond one request head (HTTP_HEAD_MAX).
 *
 * Ownership: the site is the plugin's (sfile_site_init/free) and outlives
 * its sessions; the session is the caller's memory (init/free). The open
 * file and the listing belong to the session. */
#ifndef BURROW_PLUGIN_SFILE_SESS_H
#define BURROW_PLUGIN_SFILE_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_head.h"
#include "util/strbuf.h"
#include "web/httpd_sess.h"

#define SFILE_CHUNK (64 * 1024) /* file bytes read per out call */
#define SFILE_LIST_MAX 2048     /* entries shown in a directory listing */
#define SFILE_REALM "burrow"

/* What every connection of one static_file proxy shares. */
typedef struct sfile_site {
    char *local_path;   /* owned: localPath */
    char *strip_prefix; /* owned: stripPrefix, "" when unset */
    httpd_site_t auth;  /* auth.auth NULL: no auth */
} sfile_site_t;

/* Copies the strings. 0, or -1 (out of memory; the site is then freed). */
int sfile_site_init(sfile_site_t *s, const char *local_path, const char *strip_prefix,
                    const char *user, const char *password);
void sfile_site_free(sfile_site_t *s);

/* Takes response bytes (copies them); false when the writer is full. */
typedef bool (*sfile_out_fn)(void *ctx, const void *p, size_t n);

typedef struct sfile_sess {
    const sfile_site_t *site;
    sfile_out_fn out;
    void *out_ctx;
    const char *peer; /* borrowed, for log lines */
    http_msg_t msg;
    int fd; /* the file being sent, or -1 */
    uint64_t off, left;
    strbuf_t body; /* a generated body (listing) being sent */
    size_t body_off;
    bool sending;    /* the response is not yet handed on whole */
    bool in_request; /* a request head came, its end not yet */
    bool keep_alive, done;
    unsigned long requests;
} sfile_sess_t;

void sfile_sess_init(sfile_sess_t *s, const sfile_site_t *site, sfile_out_fn out, void *ctx,
                     const char *peer);
void sfile_sess_free(sfile_sess_t *s);
/* Feeds request bytes; returns how many were taken. Fewer than n while a
 * response is still being sent (keep the rest, feed it after the pump
 * finished) or once the session is done. */
size_t sfile_sess_feed(sfile_sess_t *s, const uint8_t *p, size_t n);
/* Goes on sending a response body after the writer drained. */
void sfile_sess_pump(sfile_sess_t *s);
/* The connection must close once its output is flushed. */
static inline bool sfile_sess_done(const sfile_sess_t *s)
{
    return s->done && !s->sending;
}
/* A response is being sent (the caller waits for a drain). */
static inline bool sfile_sess_busy(const sfile_sess_t *s)
{
    return s->sending;
}

#endif
