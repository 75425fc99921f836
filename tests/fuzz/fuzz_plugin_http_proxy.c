/* fuzz_plugin_http_proxy: request heads as the http_proxy plugin reads
 * them (http/http_head.h, then plugin/http_proxy_req.h). For a head whose
 * target is accepted: the host is a name of letters, digits, '-', '.', '_'
 * or an IPv6 literal, the port is not 0; and for a plain request the head
 * written for the origin must parse again as one request head, with an
 * origin-form target, the URI's authority as its only Host, and none of
 * the proxy's own headers (Proxy-Authorization, Proxy-Connection). The
 * credentials check and the answers run on every head. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_require.h"
#include "plugin/http_proxy_req.h"

static http_msg_t msg, again;

static void check_origin(const http_head_t *h, const hp_target_t *t)
{
    size_t n = 0;
    char *out = hp_origin_head(h, t, &n);
    if (!out) return;
    require(strlen(out) == n);
    long used = http_head_parse((const uint8_t *)out, n, HTTP_REQUEST, &again);
    require(used == (long)n);
    const http_head_t *o = &again.head;
    require(http_str(o, o->target)[0] == '/');
    require(o->method == h->method);
    int hosts = 0;
    for (int i = 0; i < o->n_hdr; i++) {
        const char *name = http_str(o, o->hdr[i].name);
        require(strcasecmp(name, "Proxy-Authorization") != 0);
        require(strcasecmp(name, "Proxy-Connection") != 0);
        if (strcasecmp(name, "Host") == 0) {
            hosts++;
            require(strcmp(http_str(o, o->hdr[i].value), t->authority) == 0);
        }
    }
    require(hosts == 1);
    free(out);
}

static void check_target(const http_head_t *h)
{
    hp_target_t t;
    int r = hp_parse_target(h, &t);
    require(r == 0 || r == HP_ERR_TARGET || r == HP_ERR_SCHEME);
    (void)hp_auth_ok(h, "abc", "xyz");
    if (r != 0) return;
    require(t.port != 0 && t.host[0] != '\0');
    require(t.connect == (h->method == HTTP_CONNECT));
    if (!strchr(t.host, ':'))
        for (const char *c = t.host; *c; c++)
            require((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_');
    if (!t.connect) check_origin(h, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384) return 0;
    http_msg_init(&msg, HTTP_REQUEST);
    int ev = HTTP_EV_NONE;
    long used = http_msg_feed(&msg, data, size, &ev);
    if (used >= 0 && ev == HTTP_EV_HEAD) check_target(&msg.head);
    static const int statuses[] = {200, 400, 407, 502, 504};
    size_t n = 0;
    char *a = hp_answer(statuses[size % 5], &n);
    require(a && strlen(a) == n);
    free(a);
    return 0;
}
