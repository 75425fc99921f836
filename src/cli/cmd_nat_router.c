/* cmd_nat_router: `burrow nat router [--gateway IPV4] [--json]`: which of
 * PCP, NAT-PMP and UPnP IGD the router answers, and the external address
 * each reports; done within PORTMAP_PROBE_MS when nothing answers. Exit 0
 * when at least one answered, 1 when none, 2 on bad usage. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "portmap/portmap.h"
#include "util/log.h"

typedef struct router_out {
    int json;
    int any;
} router_out_t;

static const char *answer_text(const portmap_probe_answer_t *a, char *buf, size_t cap)
{
    if (a->status == 0)
        snprintf(buf, cap, "yes, external address %s", a->external_ip[0] ? a->external_ip : "not reported");
    else if (a->status == UV_ECONNREFUSED || a->status == UV_ETIMEDOUT)
        snprintf(buf, cap, "no router mapping service (%s)",
                 a->status == UV_ETIMEDOUT ? "no answer" : "port closed");
    else
        snprintf(buf, cap, "no (%s%s)", uv_strerror(a->status), a->result_code ? ", refused" : "");
    return buf;
}

static void print_json(const portmap_probe_result_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "gateway", json_string(r->gateway));
    for (unsigned i = 0; i < PORTMAP_NPROTOS; i++) {
        const portmap_probe_answer_t *a = &r->by[i];
        json_t *p = json_object();
        json_object_set_new(p, "available", json_boolean(a->status == 0));
        json_object_set_new(p, "error", a->status ? json_string(uv_err_name(a->status)) : json_null());
        json_object_set_new(p, "externalAddress", a->external_ip[0] ? json_string(a->external_ip) : json_null());
        json_object_set_new(o, portmap_proto_name((portmap_proto_t)i), p);
    }
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s ? s : "{}");
    free(s);
    json_decref(o);
}

static void on_probe(const portmap_probe_result_t *r, void *arg)
{
    router_out_t *out = arg;
    for (unsigned i = 0; i < PORTMAP_NPROTOS; i++) out->any |= r->by[i].status == 0;
    if (out->json) {
        print_json(r);
    } else if (r->status < 0) {
        printf("router: no default gateway (%s)\n", uv_strerror(r->status));
    } else {
        static const char *const label[] = {"PCP", "NAT-PMP", "UPnP IGD"};
        char buf[96];
        printf("router %s\n", r->gateway);
        for (unsigned i = 0; i < PORTMAP_NPROTOS; i++)
            printf("  %-9s %s\n", label[i], answer_text(&r->by[i], buf, sizeof buf));
    }
    fflush(stdout);
}

int cmd_nat_router(int argc, char **argv)
{
    const char *gw = NULL;
    router_out_t out = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            out.json = 1;
        } else if (strcmp(argv[i], "--gateway") == 0 && i + 1 < argc) {
            gw = argv[++i];
        } else {
            fprintf(stderr, "usage: burrow nat router [--gateway IPV4] [--json]\n");
            return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    log_set_tag("nat");
    log_set_level(LOG_WARN);
    uv_loop_t *loop = uv_default_loop();
    int r = portmap_probe(loop, gw, on_probe, &out);
    if (r < 0) {
        fprintf(stderr, "burrow nat router: %s\n", uv_strerror(r));
        return 2;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return out.any ? 0 : 1;
}
