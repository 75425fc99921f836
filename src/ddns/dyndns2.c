/* dyndns2: the "dyndns2" provider's publish() (ddns_provider.h): one
 * `GET /nic/update?hostname=NAME&myip=ADDR` over HTTPS with Basic auth,
 * the server's certificate checked against the system's CA store (or
 * ddns caFile) and its name (SSL_set1_host). Blocking, on the threadpool;
 * every socket step is bounded by DDNS_IO_TIMEOUT_MS, the answer by
 * DDNS_JOB_MS. Only the first RESP_MAX bytes of the answer are read. */
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ddns/ddns_provider.h"
#include "ddns/dyndns2_url.h"

#define RESP_MAX 4096 /* head and the start of the body */

static int dial(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int r = getaddrinfo(host, port, &hints, &ai);
    if (r != 0) {
        snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(r));
        return -1;
    }
    int fd = -1;
    struct timeval tv = {DDNS_IO_TIMEOUT_MS / 1000, (DDNS_IO_TIMEOUT_MS % 1000) * 1000};
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        /* SO_SNDTIMEO bounds connect() too on Linux. */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) snprintf(err, errlen, "cannot connect to %s:%s", host, port);
    return fd;
}

static SSL_CTX *make_ctx(const char *ca_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) goto fail;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int ok = ca_file && ca_file[0] ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                                   : SSL_CTX_set_default_verify_paths(ctx);
    if (ok == 1) return ctx;
fail:
    snprintf(err, errlen, "cannot load CA certificates%s%s", ca_file ? " from " : "",
             ca_file ? ca_file : "");
    SSL_CTX_free(ctx);
    return NULL;
}

/* Basic credentials "user:password" in base64. */
static void basic_auth(const ddns_cfg_t *cfg, char *out, size_t size)
{
    char plain[512];
    int n = snprintf(plain, sizeof plain, "%s:%s", cfg->user ? cfg->user : "",
                     cfg->password ? cfg->password : "");
    if (n < 0 || (size_t)n >= sizeof plain || size < 4 * ((size_t)n + 2) / 3 + 1) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)plain, n);
}

static int build_request(const ddns_cfg_t *cfg, const dyndns2_url_t *u, const char *addr4,
                         const char *addr6, char *out, size_t size)
{
    char auth[700], myip[128];
    basic_auth(cfg, auth, sizeof auth);
    /* dyndns2 takes several addresses comma-separated in myip. */
    snprintf(myip, sizeof myip, "%s%s%s", addr4 ? addr4 : "", addr4 && addr6 ? "," : "",
             addr6 ? addr6 : "");
    int n = snprintf(out, size,
                     "GET %s%shostname=%s&myip=%s HTTP/1.0\r\nHost: %s\r\n"
                     "Authorization: Basic %s\r\nUser-Agent: burrow/" BURROW_VERSION "\r\n"
                     "Connection: close\r\n\r\n",
                     u->path, strchr(u->path, '?') ? "&" : "?", cfg->name, myip, u->host, auth);
    return n > 0 && (size_t)n < size ? n : -1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads until EOF, `size` bytes or `deadline`; returns the bytes read or -1. */
static int read_all(SSL *ssl, char *buf, size_t size, uint64_t deadline)
{
    size_t got = 0;
    while (got < size && now_ms() < deadline) {
        int n = SSL_read(ssl, buf + got, (int)(size - got));
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got ? (int)got : -1;
}

static void judge(const char *buf, size_t len, ddns_result_t *res)
{
    int status;
    size_t off, n;
    dyndns2_answer_t a;
    res->next = dyndns2_http_judge(buf, len, &status, &a, &off, &n);
    snprintf(res->msg, sizeof res->msg, "HTTP %d: %.*s", status, (int)n, buf + off);
}

static void exchange(const ddns_cfg_t *cfg, const dyndns2_url_t *u, SSL_CTX *ctx, int fd,
                     const char *req, ddns_result_t *res)
{
    uint64_t deadline = now_ms() + DDNS_JOB_MS;
    SSL *ssl = SSL_new(ctx);
    char buf[RESP_MAX];
    int got = 0;
    unsigned char ip[16];
    /* SNI carries host names only (RFC 6066 §3); SSL_set1_host takes both. */
    bool literal = inet_pton(AF_INET, u->host, ip) == 1 || inet_pton(AF_INET6, u->host, ip) == 1;
    if (!ssl || !SSL_set_fd(ssl, fd) || (!literal && !SSL_set_tlsext_host_name(ssl, u->host)) ||
        !SSL_set1_host(ssl, u->host)) {
        snprintf(res->msg, sizeof res->msg, "out of memory");
    } else if (SSL_connect(ssl) != 1) {
        long v = SSL_get_verify_result(ssl);
        snprintf(res->msg, sizeof res->msg, "TLS handshake with %s failed: %s", u->host,
                 v != X509_V_OK ? X509_verify_cert_error_string(v) : "no handshake");
    } else if (SSL_write(ssl, req, (int)strlen(req)) <= 0 ||
               (got = read_all(ssl, buf, sizeof buf, deadline)) < 0) {
        snprintf(res->msg, sizeof res->msg, "no answer from %s", u->host);
    } else {
        judge(buf, (size_t)got, res);
    }
    SSL_free(ssl);
}

void ddns_dyndns2_publish(const ddns_cfg_t *cfg, const char *addr4, const char *addr6,
                          ddns_result_t *res)
{
    res->next = DDNS_NEXT_RETRY;
    dyndns2_url_t u;
    char req[2048];
    if (dyndns2_url_parse(cfg->server, &u) < 0 ||
        build_request(cfg, &u, addr4, addr6, req, sizeof req) < 0) {
        res->next = DDNS_NEXT_STOP;
        snprintf(res->msg, sizeof res->msg, "bad server URL or request too long");
        return;
    }
    SSL_CTX *ctx = make_ctx(cfg->ca_file, res->msg, sizeof res->msg);
    if (!ctx) return;
    int fd = dial(u.host, u.port, res->msg, sizeof res->msg);
    if (fd >= 0) {
        exchange(cfg, &u, ctx, fd, req, res);
        close(fd);
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
}
