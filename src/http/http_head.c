/* http_head: see http_head.h.
 *
 * llhttp reports the head in pieces (a header name may arrive in several
 * callbacks when it straddles two reads); pieces are appended to one bounded
 * buffer and each finished string is NUL-terminated. Callbacks return
 * HPE_PAUSED to stop llhttp_execute() right at the end of the head and at the
 * end of the message, so the caller learns the exact byte positions. */
#include "http/http_head.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Room for `more` bytes and a NUL; the buffer doubles from 1 KiB up to
 * HTTP_HEAD_MAX, so small heads cost little per connection. */
static int reserve(http_msg_t *m, size_t more)
{
    http_head_t *h = &m->head;
    size_t need = (size_t)h->used + more + 1;
    if (need > HTTP_HEAD_MAX) {
        m->err = HTTP_ERR_TOO_LARGE;
        return -1;
    }
    if (need <= h->cap) return 0;
    size_t cap = h->cap ? h->cap : 1024;
    while (cap < need)
        cap *= 2;
    if (cap > HTTP_HEAD_MAX) cap = HTTP_HEAD_MAX;
    char *p = realloc(h->buf, cap);
    if (!p) {
        m->err = HTTP_ERR_TOO_LARGE;
        return -1;
    }
    h->buf = p;
    h->cap = (uint32_t)cap;
    return 0;
}

static int append(http_msg_t *m, http_span_t *s, const char *at, size_t len)
{
    http_head_t *h = &m->head;
    if (reserve(m, len) != 0) return -1;
    if (s->len == 0) s->off = h->used;
    memcpy(h->buf + h->used, at, len);
    h->used += (uint32_t)len;
    s->len += (uint32_t)len;
    return 0;
}

/* Ends the string being built; an empty one points at its own NUL. */
static int terminate(http_msg_t *m, http_span_t *s)
{
    http_head_t *h = &m->head;
    if (reserve(m, 0) != 0) return -1;
    if (s->len == 0) s->off = h->used;
    h->buf[h->used++] = '\0';
    return 0;
}

static http_msg_t *msg_of(llhttp_t *p)
{
    return p->data;
}

static int on_begin(llhttp_t *p)
{
    http_msg_t *m = msg_of(p);
    http_head_t *h = &m->head;
    h->used = 0;
    h->n_hdr = 0;
    h->target = h->reason = (http_span_t){0, 0};
    m->last_field = m->reported = 0;
    m->head_done = m->msg_done = m->in_body = false;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    return append(msg_of(p), &msg_of(p)->head.target, at, len);
}

static int on_url_done(llhttp_t *p)
{
    return terminate(msg_of(p), &msg_of(p)->head.target);
}

static int on_status(llhttp_t *p, const char *at, size_t len)
{
    return append(msg_of(p), &msg_of(p)->head.reason, at, len);
}

static int on_status_done(llhttp_t *p)
{
    return terminate(msg_of(p), &msg_of(p)->head.reason);
}

static int on_field(llhttp_t *p, const char *at, size_t len)
{
    http_msg_t *m = msg_of(p);
    http_head_t *h = &m->head;
    if (m->last_field != 1) { /* a new header starts */
        if (h->n_hdr >= HTTP_MAX_HEADERS) {
            m->err = HTTP_ERR_TOO_LARGE;
            return -1;
        }
        h->hdr[h->n_hdr++] = (http_header_t){{0, 0}, {0, 0}};
        m->last_field = 1;
    }
    return append(m, &h->hdr[h->n_hdr - 1].name, at, len);
}

/* RFC 9110 §5.6.2: a field name is a token. Names are re-emitted when the
 * head is rebuilt, so nothing else may pass (request smuggling). */
static bool is_token(const char *s, size_t n)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || (ch && strchr(extra, ch));
        if (!ok) return false;
    }
    return true;
}

static int on_field_done(llhttp_t *p)
{
    http_msg_t *m = msg_of(p);
    http_header_t *x = &m->head.hdr[m->head.n_hdr - 1];
    if (terminate(m, &x->name) != 0) return -1;
    if (!is_token(http_str(&m->head, x->name), x->name.len)) {
        m->err = HTTP_ERR_BAD;
        return -1;
    }
    x->value = (http_span_t){m->head.used - 1, 0}; /* empty until a value arrives */
    m->last_field = 2;
    return 0;
}

static int on_value(llhttp_t *p, const char *at, size_t len)
{
    http_msg_t *m = msg_of(p);
    return append(m, &m->head.hdr[m->head.n_hdr - 1].value, at, len);
}

static int on_value_done(llhttp_t *p)
{
    http_msg_t *m = msg_of(p);
    http_header_t *x = &m->head.hdr[m->head.n_hdr - 1];
    m->last_field = 0;
    return x->value.len ? terminate(m, &x->value) : 0;
}

/* True when the message ends with its head (no body bytes follow). */
static bool bodyless(const http_msg_t *m, const llhttp_t *p)
{
    bool chunked = (p->flags & F_CHUNKED) != 0;
    bool sized = (p->flags & F_CONTENT_LENGTH) != 0;
    if (chunked) return false;
    if (llhttp_get_type((llhttp_t *)p) == HTTP_REQUEST) return !(sized && p->content_length > 0);
    int st = m->head.status;
    return m->skip_body || st / 100 == 1 || st == 204 || st == 304 ||
           (sized && p->content_length == 0);
}

static int on_headers_done(llhttp_t *p)
{
    http_msg_t *m = msg_of(p);
    http_head_t *h = &m->head;
    h->method = llhttp_get_method(p);
    h->status = llhttp_get_status_code(p);
    h->major = llhttp_get_http_major(p);
    h->minor = llhttp_get_http_minor(p);
    h->upgrade = llhttp_get_upgrade(p) != 0;
    h->keep_alive = llhttp_should_keep_alive(p) != 0;
    h->has_body = !bodyless(m, p);
    m->head_done = true;
    m->in_body = true;
    /* A message without a body completes at once: on_done pauses there and
     * both events are reported in turn. 1 = "no body" (a response to HEAD). */
    if (m->skip_body) return 1;
    return h->has_body ? HPE_PAUSED : 0;
}

static int on_done(llhttp_t *p)
{
    http_msg_t *m = msg_of(p);
    m->msg_done = true;
    m->in_body = false;
    return HPE_PAUSED;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    http_msg_t *m = msg_of(p);
    if (m->on_body) m->on_body(m->body_ctx, (const uint8_t *)at, len);
    return 0;
}

static const llhttp_settings_t *settings(void)
{
    static llhttp_settings_t s;
    static bool ready;
    if (!ready) {
        llhttp_settings_init(&s);
        s.on_message_begin = on_begin;
        s.on_url = on_url;
        s.on_url_complete = on_url_done;
        s.on_status = on_status;
        s.on_status_complete = on_status_done;
        s.on_header_field = on_field;
        s.on_header_field_complete = on_field_done;
        s.on_header_value = on_value;
        s.on_header_value_complete = on_value_done;
        s.on_headers_complete = on_headers_done;
        s.on_message_complete = on_done;
        s.on_body = on_body;
        ready = true;
    }
    return &s;
}

void http_msg_init(http_msg_t *m, llhttp_type_t type)
{
    llhttp_init(&m->p, type, settings());
    m->p.data = m;
    m->err = 0;
    m->skip_body = false;
    on_begin(&m->p);
    m->head.used = 0;
}

void http_msg_free(http_msg_t *m)
{
    free(m->head.buf);
    m->head.buf = NULL;
    m->head.cap = m->head.used = 0;
}

void http_msg_next(http_msg_t *m)
{
    http_msg_init(m, (llhttp_type_t)llhttp_get_type(&m->p));
}

/* The events a paused parse left to report, in order. */
static int pending_event(http_msg_t *m)
{
    if (m->head_done && m->reported < HTTP_EV_HEAD) return m->reported = HTTP_EV_HEAD;
    if (m->msg_done && m->reported < HTTP_EV_END) return m->reported = HTTP_EV_END;
    return HTTP_EV_NONE;
}

long http_msg_feed(http_msg_t *m, const uint8_t *p, size_t len, int *ev)
{
    *ev = pending_event(m);
    if (*ev != HTTP_EV_NONE) return 0;
    if (m->err) return m->err;
    if (m->msg_done || len == 0) return 0; /* http_msg_next() comes first */
    if (llhttp_get_errno(&m->p) == HPE_PAUSED) llhttp_resume(&m->p);
    llhttp_errno_t e = llhttp_execute(&m->p, (const char *)p, len);
    if (e == HPE_OK) return (long)len;
    if (e != HPE_PAUSED) {
        if (!m->err) m->err = HTTP_ERR_BAD;
        return m->err;
    }
    long used = (long)(llhttp_get_error_pos(&m->p) - (const char *)p);
    *ev = pending_event(m);
    return used;
}

int http_msg_finish(http_msg_t *m)
{
    if (!m->in_body) return 0;
    if (llhttp_get_errno(&m->p) == HPE_PAUSED) llhttp_resume(&m->p);
    llhttp_errno_t e = llhttp_finish(&m->p);
    if ((e == HPE_OK || e == HPE_PAUSED) && m->msg_done) return 1;
    return HTTP_ERR_BAD;
}

const char *http_head_get(const http_head_t *h, const char *name)
{
    for (int i = 0; i < h->n_hdr; i++)
        if (strcasecmp(http_str(h, h->hdr[i].name), name) == 0) return http_str(h, h->hdr[i].value);
    return NULL;
}

long http_head_parse(const uint8_t *p, size_t len, llhttp_type_t type, http_msg_t *m)
{
    http_msg_init(m, type);
    int ev;
    long used = http_msg_feed(m, p, len, &ev);
    if (used < 0) return used;
    return ev == HTTP_EV_HEAD ? used : 0;
}
