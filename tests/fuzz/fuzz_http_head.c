/* fuzz_http_head: the vhost's view of a connection — requests and responses
 * fed to http_msg_t in chunks whose sizes come from the input, message after
 * message, with header lookups on every head; plus the one-shot
 * http_head_parse(), the head rewriting and basic-auth check, and the
 * route table's host normalisation. The first
 * byte picks the chunk size and the direction. */
#include <stdint.h>
#include <stdlib.h>

#include "http/http_head.h"
#include "http/http_rewrite.h"
#include "http/http_route.h"

/* What the vhost does with a head: rewrite it both ways, check auth. */
static void rewrite(const http_head_t *h)
{
    header_set_t set[] = {{"X-Set", "v"}, {"host", "h"}};
    header_list_t l = {set, 2};
    http_rewrite_t rw = {"rewritten.local", &l, &l, NULL};
    size_t len;
    free(http_rewrite_request(h, &rw, "203.0.113.50", &len));
    free(http_rewrite_response(h, &l, &len));
    (void)http_basic_auth_ok(h, "user", "pass");
}

static void walk_head(const http_head_t *h)
{
    char host[HTTP_HOST_MAX + 1];
    rewrite(h);
    (void)http_head_get(h, "Host");
    (void)http_head_get(h, "Authorization");
    (void)http_host_normalise(http_head_get(h, "Host"), host, sizeof host);
    for (int i = 0; i < h->n_hdr; i++) {
        (void)http_str(h, h->hdr[i].name);
        (void)http_str(h, h->hdr[i].value);
    }
    (void)http_str(h, h->target);
    (void)http_str(h, h->reason);
}

static void stream(http_msg_t *m, const uint8_t *data, size_t size, size_t step)
{
    size_t off = 0;
    int guard = 0;
    while (off < size && guard++ < 100000) {
        size_t n = size - off < step ? size - off : step;
        int ev;
        long used = http_msg_feed(m, data + off, n, &ev);
        if (used < 0) return;
        off += (size_t)used;
        if (ev == HTTP_EV_HEAD) walk_head(&m->head);
        if (ev == HTTP_EV_END) http_msg_next(m);
    }
    (void)http_msg_finish(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static http_msg_t m;
    if (size < 1) return 0;
    size_t step = (data[0] & 0x7f) + 1;
    llhttp_type_t type = data[0] & 0x80 ? HTTP_RESPONSE : HTTP_REQUEST;
    http_msg_init(&m, type);
    m.skip_body = (data[0] & 0x40) != 0 && type == HTTP_RESPONSE;
    stream(&m, data + 1, size - 1, step);
    if (http_head_parse(data + 1, size - 1, type, &m) > 0) walk_head(&m.head);
    http_msg_free(&m);
    return 0;
}
