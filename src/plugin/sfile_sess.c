/* sfile_sess: see sfile_sess.h. A request is judged at its head; the
 * response head is written at once and its body (a file range or a
 * generated listing) is pumped until the writer is full. */
#include "plugin/sfile_sess.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugin/sfile_path.h"
#include "util/log.h"

/* ---- the site ------------------------------------------------------------ */

int sfile_site_init(sfile_site_t *s, const char *local_path, const char *strip_prefix,
                    const char *user, const char *password)
{
    memset(s, 0, sizeof *s);
    s->local_path = strdup(local_path ? local_path : ".");
    s->strip_prefix = strdup(strip_prefix ? strip_prefix : "");
    if (!s->local_path || !s->strip_prefix || httpd_site_auth(&s->auth, user, password) != 0) {
        sfile_site_free(s);
        return -1;
    }
    return 0;
}

void sfile_site_free(sfile_site_t *s)
{
    free(s->local_path);
    free(s->strip_prefix);
    httpd_site_free(&s->auth);
    memset(s, 0, sizeof *s);
}

/* ---- the session --------------------------------------------------------- */

void sfile_sess_init(sfile_sess_t *s, const sfile_site_t *site, sfile_out_fn out, void *ctx,
                     const char *peer)
{
    memset(s, 0, sizeof *s);
    s->site = site;
    s->out = out;
    s->out_ctx = ctx;
    s->peer = peer ? peer : "?";
    s->fd = -1;
    http_msg_init(&s->msg, HTTP_REQUEST);
}

static void end_body(sfile_sess_t *s)
{
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    s->left = 0;
    free(s->body.p);
    s->body = (strbuf_t){0};
    s->body_off = 0;
    s->sending = false;
}

void sfile_sess_free(sfile_sess_t *s)
{
    end_body(s);
    http_msg_free(&s->msg);
}

/* ---- responses ----------------------------------------------------------- */

typedef struct resp {
    int status;
    const char *ctype;
    uint64_t length;                  /* Content-Length */
    char extra[SFILE_PATH_MAX + 256]; /* more "Name: value\r\n" lines */
} resp_t;

static void add_header(resp_t *r, const char *name, const char *value)
{
    size_t n = strlen(r->extra);
    snprintf(r->extra + n, sizeof r->extra - n, "%s: %s\r\n", name, value);
}

static bool emit(sfile_sess_t *s, const void *p, size_t n)
{
    return n == 0 || s->out(s->out_ctx, p, n);
}

static void send_head(sfile_sess_t *s, const resp_t *r)
{
    char head[sizeof r->extra + 512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nServer: burrow\r\nContent-Type: %s\r\n"
                     "Content-Length: %llu\r\n%s%s\r\n",
                     r->status, httpd_reason(r->status), r->ctype, (unsigned long long)r->length,
                     r->extra, s->keep_alive ? "" : "Connection: close\r\n");
    if (n > 0) emit(s, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1);
}

/* A short text answer (errors, redirects) with its body unless HEAD. */
static void send_text(sfile_sess_t *s, resp_t *r, const char *text)
{
    r->ctype = "text/plain; charset=utf-8";
    r->length = strlen(text);
    send_head(s, r);
    if (s->msg.head.method != HTTP_HEAD) emit(s, text, r->length);
}

static void send_error(sfile_sess_t *s, int status)
{
    resp_t r = {.status = status};
    char text[64];
    if (status == 401)
        add_header(&r, "WWW-Authenticate", "Basic realm=\"" SFILE_REALM "\", charset=\"UTF-8\"");
    if (status == 405) add_header(&r, "Allow", "GET, HEAD");
    snprintf(text, sizeof text, "%d %s\n", status, httpd_reason(status));
    send_text(s, &r, text);
}

/* 301 to the request's path with a '/' added (the query is dropped). */
static void send_redirect(sfile_sess_t *s)
{
    const http_head_t *h = &s->msg.head;
    const char *target = http_str(h, h->target);
    char loc[SFILE_PATH_MAX + 2];
    size_t n = strcspn(target, "?");
    if (n > SFILE_PATH_MAX) {
        send_error(s, 414);
        return;
    }
    memcpy(loc, target, n);
    memcpy(loc + n, "/", 2);
    resp_t r = {.status = 301};
    add_header(&r, "Location", loc);
    send_text(s, &r, "301 Moved Permanently\n");
}

/* ---- bodies -------------------------------------------------------------- */

/* Hands body bytes on until everything went or the writer is full. */
void sfile_sess_pump(sfile_sess_t *s)
{
    static uint8_t buf[SFILE_CHUNK]; /* one loop thread: one shared buffer */
    bool room = true;
    while (s->sending && room) {
        if (s->body_off < s->body.len) {
            size_t n = s->body.len - s->body_off;
            s->body_off = s->body.len;
            room = emit(s, s->body.p + s->body.len - n, n);
        } else if (s->left > 0) {
            size_t want = s->left < sizeof buf ? (size_t)s->left : sizeof buf;
            ssize_t got = pread(s->fd, buf, want, (off_t)s->off);
            if (got <= 0) { /* the file shrank or failed: the length cannot be kept */
                LOG_LIMITED(LOG_DEBUG, "static_file read failed peer=%s err=%s", s->peer,
                            got < 0 ? strerror(errno) : "end of file");
                end_body(s);
                s->done = true;
                return;
            }
            s->off += (uint64_t)got;
            s->left -= (uint64_t)got;
            room = emit(s, buf, (size_t)got);
        } else {
            end_body(s);
        }
    }
}

static void format_date(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* A regular file: 200, or 206/416 for a Range (ignored when If-Range
 * names another version). Takes fd. */
static void serve_file(sfile_sess_t *s, int fd, const struct stat *st, const char *name)
{
    const http_head_t *h = &s->msg.head;
    uint64_t size = (uint64_t)st->st_size, start = 0, len = size;
    char lm[64], cr[96];
    format_date(st->st_mtime, lm, sizeof lm);
    const char *range = http_head_get(h, "Range");
    const char *if_range = http_head_get(h, "If-Range");
    if (if_range && strcmp(if_range, lm) != 0) range = NULL;
    int rr = sfile_range_parse(range, size, &start, &len);
    resp_t r = {.status = rr == SFILE_RANGE_OK ? 206 : 200, .ctype = sfile_mime(name)};
    add_header(&r, "Accept-Ranges", "bytes");
    add_header(&r, "Last-Modified", lm);
    if (rr == SFILE_RANGE_UNSAT) {
        close(fd);
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        r = (resp_t){.status = 416};
        add_header(&r, "Content-Range", cr);
        send_text(s, &r, "416 Range Not Satisfiable\n");
        return;
    }
    if (rr == SFILE_RANGE_OK) {
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)start,
                 (unsigned long long)(start + len - 1), (unsigned long long)size);
        add_header(&r, "Content-Range", cr);
    }
    r.length = len;
    send_head(s, &r);
    if (h->method == HTTP_HEAD || len == 0) {
        close(fd);
        return;
    }
    s->fd = fd;
    s->off = start;
    s->left = len;
    s->sending = true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const sfile_entry_t *)a)->name, ((const sfile_entry_t *)b)->name);
}

/* Up to SFILE_LIST_MAX entries of the open directory dfd (taken). */
static size_t read_dir(int dfd, sfile_entry_t *e, bool *truncated)
{
    DIR *d = fdopendir(dfd);
    size_t n = 0;
    *truncated = false;
    if (!d) {
        close(dfd);
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == SFILE_LIST_MAX) {
            *truncated = true;
            break;
        }
        struct stat st;
        bool dir = fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
        if (!(e[n].name = strdup(de->d_name))) break;
        e[n++].is_dir = dir;
    }
    closedir(d);
    qsort(e, n, sizeof *e, by_name);
    return n;
}

static void serve_listing(sfile_sess_t *s, int dfd)
{
    sfile_entry_t *e = calloc(SFILE_LIST_MAX, sizeof *e);
    char shown[SFILE_PATH_MAX + 2];
    bool dir_slash, truncated = false;
    if (!e) {
        close(dfd);
        send_error(s, 500);
        return;
    }
    size_t n = read_dir(dfd, e, &truncated);
    /* The title is the decoded path as requested (escaped in the page). */
    const http_head_t *h = &s->msg.head;
    if (sfile_path_resolve(http_str(h, h->target), NULL, shown + 1, sizeof shown - 1, &dir_slash) !=
        SFILE_PATH_OK)
        shown[1] = '\0';
    shown[0] = '/';
    sfile_listing(&s->body, shown, e, n, truncated);
    for (size_t i = 0; i < n; i++)
        free((char *)e[i].name);
    free(e);
    resp_t r = {.status = 200, .ctype = "text/html; charset=utf-8"};
    if (s->body.failed) {
        end_body(s);
        send_error(s, 500);
        return;
    }
    r.length = s->body.len;
    send_head(s, &r);
    if (h->method == HTTP_HEAD) {
        end_body(s);
        return;
    }
    s->sending = true;
}

/* ---- judging a request --------------------------------------------------- */

static int errno_status(int e)
{
    if (e == EACCES || e == EPERM || e == ELOOP) return 403;
    if (e == ENAMETOOLONG) return 414;
    return 404;
}

/* real (PATH_MAX) under root, or root itself. */
static bool inside(const char *real, const char *root)
{
    size_t rl = strlen(root);
    if (rl == 1 && root[0] == '/') return true;
    return strncmp(real, root, rl) == 0 && (real[rl] == '\0' || real[rl] == '/');
}

/* Opens rel under the real localPath, refusing what resolves outside it
 * (a symlink leading out). A descriptor, or -status. */
static int open_target(sfile_sess_t *s, const char *rel)
{
    char root[PATH_MAX], full[PATH_MAX + SFILE_PATH_MAX + 2], real[PATH_MAX];
    if (!realpath(s->site->local_path, root)) {
        LOG_LIMITED(LOG_WARN, "static_file localPath unusable path=%s err=%s",
                    LOG_ESC(s->site->local_path), strerror(errno));
        return -404;
    }
    snprintf(full, sizeof full, "%s/%s", root, rel);
    if (!realpath(full, real)) return -errno_status(errno);
    if (!inside(real, root)) {
        LOG_LIMITED(LOG_WARN,
                    "static_file refused a path leading outside localPath peer=%s path=%s", s->peer,
                    LOG_ESC(rel));
        return -403;
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    return fd >= 0 ? fd : -errno_status(errno);
}

/* A directory (taken): its index.html, else the listing. */
static void serve_dir(sfile_sess_t *s, int dfd)
{
    struct stat st;
    int fd = openat(dfd, "index.html", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        close(dfd);
        serve_file(s, fd, &st, "index.html");
        return;
    }
    if (fd >= 0) close(fd);
    serve_listing(s, dfd);
}

static const int path_status[] = {
    [-SFILE_PATH_BAD] = 400,
    [-SFILE_PATH_OUTSIDE] = 404,
    [-SFILE_PATH_DOTDOT] = 403,
    [-SFILE_PATH_TOO_LONG] = 414,
};

static void serve_path(sfile_sess_t *s, const char *rel, bool dir_slash)
{
    struct stat st;
    int fd = open_target(s, rel);
    if (fd < 0) {
        send_error(s, -fd);
        return;
    }
    if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
        close(fd);
        send_error(s, 403);
        return;
    }
    if (S_ISDIR(st.st_mode) && !dir_slash) {
        close(fd);
        send_redirect(s);
    } else if (S_ISDIR(st.st_mode)) {
        serve_dir(s, fd);
    } else {
        serve_file(s, fd, &st, rel);
    }
}

static void on_head(sfile_sess_t *s)
{
    const http_head_t *h = &s->msg.head;
    char rel[SFILE_PATH_MAX + 1];
    bool dir_slash;
    s->requests++;
    s->keep_alive = h->keep_alive;
    if (h->method != HTTP_GET && h->method != HTTP_HEAD) {
        send_error(s, 405);
        return;
    }
    if (s->site->auth.auth &&
        !httpd_site_auth_ok(&s->site->auth, http_head_get(h, "Authorization"))) {
        LOG_LIMITED(LOG_INFO, "static_file request unauthorized peer=%s", s->peer);
        send_error(s, 401);
        return;
    }
    int r = sfile_path_resolve(http_str(h, h->target), s->site->strip_prefix, rel, sizeof rel,
                               &dir_slash);
    if (r == SFILE_PATH_NO_SLASH)
        send_redirect(s);
    else if (r < 0)
        send_error(s, path_status[-r]);
    else
        serve_path(s, rel, dir_slash);
}

/* A malformed request: answered (unless a response is under way, or the
 * request's head was already answered), then the connection ends. */
static void on_bad(sfile_sess_t *s, long err)
{
    s->keep_alive = false;
    if (!s->in_request && !s->sending) send_error(s, err == HTTP_ERR_TOO_LARGE ? 431 : 400);
    s->done = true;
}

size_t sfile_sess_feed(sfile_sess_t *s, const uint8_t *p, size_t n)
{
    size_t used = 0;
    while (!s->done && !(s->sending && !s->in_request)) {
        int ev;
        long k = http_msg_feed(&s->msg, p + used, n - used, &ev);
        if (k < 0) {
            on_bad(s, k);
            break;
        }
        used += (size_t)k; /* body bytes of a GET/HEAD are read and dropped */
        if (ev == HTTP_EV_HEAD) {
            s->in_request = true;
            on_head(s);
            if (s->sending) sfile_sess_pump(s);
        } else if (ev == HTTP_EV_END) {
            s->in_request = false;
            if (!s->keep_alive) s->done = true;
            http_msg_next(&s->msg);
        } else if (used == n) {
            break;
        }
    }
    return used;
}
