/* admin_http: one blocking request to the client's admin API (admin_http.h). */
#include "cli/admin_http.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* A wildcard bind address is reached on loopback. */
static const char *dial_host(const web_cfg_t *w)
{
    const char *a = w->addr && w->addr[0] ? w->addr : "127.0.0.1";
    if (strcmp(a, "0.0.0.0") == 0) return "127.0.0.1";
    if (strcmp(a, "::") == 0) return "::1";
    return a;
}

static int dial(const web_cfg_t *w, char *err, size_t errlen)
{
    char port[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    snprintf(port, sizeof port, "%d", w->port);
    int r = getaddrinfo(dial_host(w), port, &hints, &res);
    if (r != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", dial_host(w), gai_strerror(r));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = ADMIN_HTTP_TIMEOUT_S};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        snprintf(err, errlen,
                 "cannot connect to the admin API at %s:%d: %s (is the client "
                 "running with this config?)",
                 dial_host(w), w->port, strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int send_request(int fd, const web_cfg_t *w, const char *method, const char *path,
                        const char *body, size_t body_len)
{
    char head[1024], auth[400] = "";
    if ((w->user && w->user[0]) || (w->password && w->password[0])) {
        char plain[256];
        unsigned char b64[360];
        int n = snprintf(plain, sizeof plain, "%s:%s", w->user ? w->user : "",
                         w->password ? w->password : "");
        if (n < 0 || (size_t)n >= sizeof plain) return -1;
        EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
        snprintf(auth, sizeof auth, "Authorization: Basic %s\r\n", b64);
    }
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: burrow/%s\r\n%s"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     method, path, dial_host(w), BURROW_VERSION, auth, body_len);
    if (n < 0 || (size_t)n >= sizeof head) return -1;
    if (send_all(fd, head, (size_t)n) != 0) return -1;
    return body_len ? send_all(fd, body, body_len) : 0;
}

/* Reads until EOF or Content-Length, at most ADMIN_HTTP_MAX. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 16384, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        if (n == cap) {
            if (cap >= ADMIN_HTTP_MAX) break;
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) break;
            b = nb;
            cap *= 2;
        }
        ssize_t k = recv(fd, b + n, cap - n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
        b[n] = '\0';
        char *end = strstr(b, "\r\n\r\n");
        const char *cl = end ? strcasestr(b, "\r\ncontent-length:") : NULL;
        if (cl && cl < end && n >= (size_t)(end + 4 - b) + strtoul(cl + 17, NULL, 10)) break;
    }
    if (b) b[n] = '\0';
    *len = n;
    return b;
}

int admin_http(const web_cfg_t *w, const char *method, const char *path, const char *body,
               size_t body_len, admin_resp_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (w->tls_cert_file || w->tls_key_file) {
        snprintf(err, errlen, "webServer.tls is set: this command speaks plain HTTP only");
        return -1;
    }
    int fd = dial(w, err, errlen);
    if (fd < 0) return -1;
    size_t n = 0;
    char *raw = send_request(fd, w, method, path, body, body_len) == 0 ? read_all(fd, &n) : NULL;
    close(fd);
    char *end = raw ? strstr(raw, "\r\n\r\n") : NULL;
    int status = 0;
    if (!end || sscanf(raw, "HTTP/1.%*d %d", &status) != 1) {
        snprintf(err, errlen, "no usable answer from the admin API at %s:%d%s", dial_host(w),
                 w->port, raw && n == 0 ? " (closed)" : "");
        free(raw);
        return -1;
    }
    out->status = status;
    out->len = n - (size_t)(end + 4 - raw);
    memmove(raw, end + 4, out->len + 1);
    out->body = raw;
    return 0;
}
