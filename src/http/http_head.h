/* http_head: HTTP/1.x message framing on llhttp, with bounded heads.
 *
 * An http_msg_t follows one direction of a connection (requests or
 * responses) message after message. It stops twice per message: when the
 * head is complete (the head is then in `head`, parsed into method, target,
 * version or status, and up to HTTP_MAX_HEADERS headers) and when the
 * message is complete. Body bytes are never stored: the caller forwards the
 * bytes it fed verbatim (chunked framing included) and the parser only says
 * where the message ends. Heads larger than HTTP_HEAD_MAX or with more than
 * HTTP_MAX_HEADERS headers are refused (HTTP_ERR_TOO_LARGE → 431).
 *
 * Pure: no sockets, no logging. http_head_parse() is the one-shot form the
 * fuzz target drives. */
#ifndef BURROW_HTTP_HEAD_H
#define BURROW_HTTP_HEAD_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX (64 * 1024)
#define HTTP_MAX_HEADERS 100

typedef struct http_span {
    uint32_t off, len; /* into http_head_t.buf */
} http_span_t;

typedef struct http_header {
    http_span_t name, value;
} http_header_t;

typedef struct http_head {
    char *buf; /* target, reason and header text, NUL-separated; grows to HTTP_HEAD_MAX */
    uint32_t used, cap;
    http_span_t target; /* request target ("/path?q") */
    http_span_t reason; /* response reason phrase */
    http_header_t hdr[HTTP_MAX_HEADERS];
    int n_hdr;
    int method; /* llhttp_method_t (requests) */
    int status; /* responses */
    int major, minor;
    bool upgrade;    /* Connection: upgrade with Upgrade: (or CONNECT) */
    bool keep_alive; /* the connection may carry another message after this one */
    bool has_body;   /* Content-Length > 0 or chunked (requests), or any body (responses) */
} http_head_t;

enum {
    HTTP_EV_NONE = 0, /* everything fed was consumed; more input needed */
    HTTP_EV_HEAD = 1, /* the head is complete (in msg->head) */
    HTTP_EV_END = 2,  /* the message is complete */
};

enum {
    HTTP_ERR_BAD = -1,       /* malformed → 400 */
    HTTP_ERR_TOO_LARGE = -2, /* head too large / too many headers → 431 */
};

typedef struct http_msg {
    llhttp_t p;
    http_head_t head;
    int last_field; /* 1 while a header name is being read, 2 for a value */
    int reported;   /* events already returned for this message (HTTP_EV_*) */
    int err;
    bool in_body;   /* head done, message not yet */
    bool skip_body; /* response to HEAD (set before the head completes) */
    bool head_done, msg_done;
    /* Optional: body bytes as llhttp decodes them (chunk framing removed),
     * for a caller that keeps them (the inspector). Kept across inits. */
    void (*on_body)(void *ctx, const uint8_t *p, size_t n);
    void *body_ctx;
} http_msg_t;

/* type: HTTP_REQUEST or HTTP_RESPONSE. m must be zeroed before its first
 * init (the head buffer is kept across messages and re-inits); release it
 * with http_msg_free(). */
void http_msg_init(http_msg_t *m, llhttp_type_t type);
void http_msg_free(http_msg_t *m);
/* Prepares for the next message on the same connection. */
void http_msg_next(http_msg_t *m);
/* Feeds bytes. Returns how many were consumed (stopping right after an event)
 * and sets *ev; or a negative HTTP_ERR_*. */
long http_msg_feed(http_msg_t *m, const uint8_t *p, size_t len, int *ev);
/* The peer closed: completes a body that runs until EOF. 1 when the message
 * completed, 0 when none was in progress, negative when it was cut short. */
int http_msg_finish(http_msg_t *m);

/* Header lookup (case-insensitive name); NULL when absent. */
const char *http_head_get(const http_head_t *h, const char *name);
static inline const char *http_str(const http_head_t *h, http_span_t s)
{
    return s.len ? h->buf + s.off : "";
}

/* One-shot parse of a request (or response) head from p: bytes consumed up
 * to and including the blank line, 0 when incomplete, <0 when malformed.
 * scratch follows http_msg_init's rules. */
long http_head_parse(const uint8_t *p, size_t len, llhttp_type_t type, http_msg_t *scratch);

#endif
