/* nat_report: `burrow nat`'s output, for people (80 columns) and as JSON
 * (docs/nat-json.md). Pure: a filled nat_report_t in, text out. */
#ifndef BURROW_NAT_REPORT_H
#define BURROW_NAT_REPORT_H

#include <stdio.h>

#include "nat/nat_class.h"
#include "portmap/portmap.h"

/* Version of the JSON document; bumped only when a field changes meaning or
 * goes away (new fields may appear in the same version). */
#define NAT_JSON_VERSION 1

typedef struct nat_report {
    char server_name[256];          /* as the user gave it (host[:port]) */
    struct sockaddr_storage server; /* the primary address asked */
    nat_obs_t obs;
    nat_verdict_t verdict;
    int router_state; /* 0 not asked, 1 answered (router below), <0 libuv error */
    portmap_probe_result_t router;
    const char *error; /* static text when no report could be made, else NULL */
} nat_report_t;

/* Exit status for the report: 0 complete (the NAT type is known), 3 partial
 * (some answers unknown, e.g. a plain RFC 8489 server), 1 error. */
#define NAT_EXIT_OK 0
#define NAT_EXIT_ERROR 1
#define NAT_EXIT_PARTIAL 3
int nat_report_exit_code(const nat_report_t *r);

/* Writes the human report (lines of at most 80 columns). */
void nat_report_print(const nat_report_t *r, FILE *f);
/* Returns the JSON document (malloc'd, caller frees), or NULL without memory. */
char *nat_report_json(const nat_report_t *r);

#endif
