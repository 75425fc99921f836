/* cmd_nat_map: `burrow nat map udp|tcp PORT [options]`: asks the router for
 * a mapping of PORT (PCP, then NAT-PMP, then UPnP IGD unless --protocol
 * says), prints it, keeps it renewed until SIGINT/SIGTERM, then deletes it
 * and exits 0; exits 1 when no protocol (or no renewal) worked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "portmap/portmap.h"
#include "util/log.h"

typedef struct nat_map {
    portmap_t *pm;
    int rc;
} nat_map_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: burrow nat map udp|tcp PORT [--protocol pcp|natpmp|upnp[,...]]\n"
            "                     [--lifetime S] [--external-port N] [--gateway IPV4] [-v]\n\n"
            "Asks the router (the default route's gateway) to forward PORT from its\n"
            "external address to this host, renews the mapping at half its lifetime,\n"
            "and deletes it on Ctrl-C / SIGTERM. Protocols are tried in the order\n"
            "given (default pcp,natpmp,upnp); lifetime defaults to %d s.\n",
            PORTMAP_LIFETIME_DEFAULT);
}

static void print_event(const portmap_event_t *ev)
{
    static const char *const what[] = {"mapped", "renewed", "failed"};
    if (ev->kind == PORTMAP_EV_FAILED) {
        printf("failed %s %u via %s: %s", portmap_transport_name(ev->transport), ev->internal_port,
               portmap_proto_name(ev->proto), uv_strerror(ev->status));
        if (ev->result_code) printf(" (router result code %u)", ev->result_code);
        printf("\n");
    } else {
        printf("%s %s %u -> %s:%u via %s lifetime %u\n", what[ev->kind],
               portmap_transport_name(ev->transport), ev->internal_port,
               ev->external_ip[0] ? ev->external_ip : "?", ev->external_port,
               portmap_proto_name(ev->proto), ev->lifetime);
    }
    fflush(stdout);
}

static void on_event(portmap_t *pm, const portmap_event_t *ev, void *arg)
{
    nat_map_t *m = arg;
    print_event(ev);
    if (ev->kind == PORTMAP_EV_FAILED) {
        m->rc = 1;
        portmap_close(pm, NULL, NULL);
        m->pm = NULL;
    }
}

static void on_closed(void *arg)
{
    printf("deleted\n");
    fflush(stdout);
    (void)arg;
}

static void stop(void *obj)
{
    nat_map_t *m = obj;
    portmap_close(m->pm, on_closed, m);
    m->pm = NULL;
}

/* "pcp,upnp" into o->order. */
static int parse_protocols(const char *s, portmap_opts_t *o)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    o->norder = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->norder == PORTMAP_NPROTOS || portmap_proto_parse(t, &o->order[o->norder]) != 0)
            return -1;
        o->norder++;
    }
    return o->norder ? 0 : -1;
}

static int parse_port(const char *s, uint16_t *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 1 || v > 65535) return -1;
    *out = (uint16_t)v;
    return 0;
}

static int parse_args(int argc, char **argv, portmap_opts_t *o, int *verbose)
{
    if (argc < 3 || portmap_transport_parse(argv[1], &o->transport) != 0 ||
        parse_port(argv[2], &o->internal_port) != 0)
        return -1;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-v") == 0) {
            *verbose = 1;
            continue;
        }
        if (!v) return -1;
        i++;
        if (strcmp(a, "--protocol") == 0) {
            if (parse_protocols(v, o) != 0) return -1;
        } else if (strcmp(a, "--lifetime") == 0) {
            char *end;
            unsigned long l = strtoul(v, &end, 10);
            if (*end || l < PORTMAP_LIFETIME_MIN || l > PORTMAP_LIFETIME_MAX) return -1;
            o->lifetime = (uint32_t)l;
        } else if (strcmp(a, "--external-port") == 0) {
            if (parse_port(v, &o->external_port) != 0) return -1;
        } else if (strcmp(a, "--gateway") == 0) {
            o->gateway = v;
        } else {
            return -1;
        }
    }
    return 0;
}

int cmd_nat_map(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    portmap_opts_t o;
    portmap_opts_default(&o);
    int verbose = 0;
    if (parse_args(argc, argv, &o, &verbose) != 0) {
        fprintf(stderr, "burrow nat map: bad arguments (lifetime %d..%d s)\n\n",
                PORTMAP_LIFETIME_MIN, PORTMAP_LIFETIME_MAX);
        usage(stderr);
        return 2;
    }
    log_set_tag("nat");
    log_set_level(verbose ? LOG_DEBUG : LOG_WARN);
    uv_loop_t *loop = uv_default_loop();
    nat_map_t m = {0};
    int r = portmap_start(loop, &o, on_event, &m, &m.pm);
    if (r < 0) {
        fprintf(stderr, "burrow nat map: %s\n",
                r == UV_ENETUNREACH ? "no default gateway (use --gateway)" : uv_strerror(r));
        return 1;
    }
    cli_run_t run;
    cli_run_init(&run, loop, "nat map", stop, &m);
    cli_run_signals(&run);
    uv_run(loop, UV_RUN_DEFAULT);
    if (cli_run_close(&run, loop) != 0) return 1;
    return m.rc;
}
