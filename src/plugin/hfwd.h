/* hfwd: the http2http, http2https, https2http and https2https plugins.
 *
 * A connection handed over (a work conn) is one HTTP/1.1 user connection;
 * for https2* its TLS is terminated here (net/conn_wrap.h under
 * conn_tls_accept) with crtPath/keyPath, or a self-signed certificate made
 * at start when both are unset (logged with its fingerprint, as frp does).
 * Each connection gets its own connection to localAddr (plain, or TLS for
 * *2https: frp does not verify the local service's certificate, and
 * neither does this; SNI is localAddr's host when it is a name). Requests
 * are parsed one by one (http/http_head.h: bounded heads, chunked and
 * sized bodies forwarded verbatim) and every head is rewritten
 * (http/http_rewrite.h): Host replaced by hostHeaderRewrite,
 * requestHeaders.set applied, X-Forwarded-For/-Host/-Proto and X-Real-IP
 * set; so the rewrite holds for every request of a keep-alive connection.
 * Responses pass back unchanged. An Upgrade request (WebSocket) turns the
 * connection into a plain relay after its head (net/relay.h). localAddr
 * unreachable: 502. A malformed request ends the connection after the
 * responses already asked for.
 *
 * Backpressure both ways; bytes that arrive before the local connection is
 * up wait, at most HFWD_STASH_MAX, with the user conn paused.
 *
 * Ownership: hfwd_new() returns an hfwd_t with the creator's reference
 * (hfwd_drop); every connection holds one until it closed. The config is
 * copied. hfwd_serve() takes the conn. */
#ifndef BURROW_PLUGIN_HFWD_H
#define BURROW_PLUGIN_HFWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "net/conn.h"
#include "plugin/plugin.h"

#define HFWD_STASH_MAX (HTTP_HEAD_MAX + 64 * 1024)
/* A connection that moves no byte either way for this long is closed (an
 * idle keep-alive, a stuck peer): sessions count toward the plugin host's
 * bound, so none may stay forever. An upgraded one is a relay, as any
 * tunnel. */
#define HFWD_IDLE_MS 120000

typedef struct hfwd_cfg {
    const char *name;                /* the proxy's, for log lines */
    const char *local_addr;          /* localAddr: "host:port", "[v6]:port" */
    bool local_tls;                  /* *2https */
    bool user_tls;                   /* https2* */
    const char *crt_path, *key_path; /* https2*: both, or neither (self-signed) */
    const char *host_rewrite;        /* hostHeaderRewrite, NULL = keep */
    const header_list_t *req_set;    /* requestHeaders.set, may be NULL */
} hfwd_cfg_t;

typedef struct hfwd hfwd_t;

/* Checks and copies cfg, loads or makes the certificate. NULL after logging
 * why (bad localAddr, unusable certificate). */
hfwd_t *hfwd_new(const hfwd_cfg_t *cfg);
void hfwd_drop(hfwd_t *h);
/* Serves the user connection c (ready; taken): `early` bytes were already
 * read from it, client_ip ("" when unknown) is the user's address for
 * X-Forwarded-For. With st (the plugin framework's start; NULL in tests)
 * the connection is a session of st->host (plugin.h): bounded, timed until
 * its first request head, ended with its host or proxy; an upgraded
 * connection's relay goes to the host's tunnel set. 0, or a negative uv
 * error (c is closed then). */
int hfwd_serve(hfwd_t *h, const plugin_start_t *st, conn_t *c, const char *client_ip,
               const uint8_t *early, size_t n);
/* Connections being served now. */
int hfwd_conns(const hfwd_t *h);
/* Tests: another idle limit than HFWD_IDLE_MS for later connections. */
void hfwd_set_idle_ms(hfwd_t *h, unsigned ms);
/* Splits "host:port" / "[v6]:port" into host (size bytes) and port. 0 or -1. */
int hfwd_split_addr(const char *s, char *host, size_t size, int *port);

#endif
