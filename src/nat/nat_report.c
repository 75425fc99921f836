/* nat_report: the human report (label column, text wrapped at 80 columns)
 * and the JSON document. Every value printed here comes from nat_class's
 * names or from addresses formatted by addr.c: nothing a server sends is
 * printed raw (a SOFTWARE string is never shown). */
#include "nat/nat_report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"

#define WIDTH 80
#define LABEL 20 /* "  " + label column */

int nat_report_exit_code(const nat_report_t *r)
{
    if (r->error || r->obs.t1 != NAT_ANS_OK) return NAT_EXIT_ERROR;
    const nat_verdict_t *v = &r->verdict;
    if (v->classic == NAT_CLASSIC_UNKNOWN || v->hairpin == NAT_TRI_UNKNOWN) return NAT_EXIT_PARTIAL;
    return NAT_EXIT_OK;
}

/* Prints `text` after a label, wrapping at spaces so that no line passes
 * WIDTH; the label starts at column `margin`, the text and its continuation
 * lines at column `indent`. */
static void wrap_at(FILE *f, int margin, int indent, const char *label, const char *text)
{
    int col = fprintf(f, "%*s%-*s", margin, "", indent - margin, label);
    while (*text) {
        const char *sp = strchr(text, ' ');
        size_t wl = sp ? (size_t)(sp - text) : strlen(text);
        if (col > indent && col + 1 + (int)wl > WIDTH)
            col = fprintf(f, "\n%*s", indent, "") - 1;
        else if (col > indent)
            col += fprintf(f, " ");
        col += fprintf(f, "%.*s", (int)wl, text);
        text += wl;
        while (*text == ' ')
            text++;
    }
    fputc('\n', f);
}

static void wrap(FILE *f, int indent, const char *label, const char *text)
{
    wrap_at(f, 2, indent, label, text);
}

static const char *fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t n)
{
    return addr_format((const struct sockaddr *)ss, buf, n);
}

static void line_behavior(FILE *f, const char *label, nat_behavior_t b, const char *why)
{
    char t[512];
    if (b == NAT_B_UNKNOWN)
        snprintf(t, sizeof t, "unknown: %s", why ? why : "not tested");
    else
        snprintf(t, sizeof t, "%s", nat_behavior_name(b));
    wrap(f, LABEL, label, t);
}

static void print_where(const nat_report_t *r, FILE *f)
{
    const nat_obs_t *o = &r->obs;
    char a[ADDR_STRLEN], b[ADDR_STRLEN], t[512];
    snprintf(t, sizeof t, "%s%s%s", fmt_addr(&o->local, a, sizeof a), o->ifname[0] ? " on " : "",
             o->ifname);
    wrap(f, LABEL, "local address", t);
    wrap(f, LABEL, "public address",
         o->t1 == NAT_ANS_OK ? fmt_addr(&o->mapped1, b, sizeof b) : "unknown");
    static const char *const place_text[NAT_PLACE_COUNT] = {
        "unknown", "public address (no NAT)", "behind one NAT", "behind carrier-grade NAT"};
    snprintf(t, sizeof t, "%s (%s)", place_text[r->verdict.place], r->verdict.place_why);
    wrap(f, LABEL, "network", t);
    const char *direct = nat_direct_sentence(o, &r->verdict);
    if (direct) wrap(f, LABEL, "direct access", direct);
}

static void print_lifetime(const nat_obs_t *o, FILE *f)
{
    char t[160];
    if (o->lifetime_why)
        snprintf(t, sizeof t, "unknown: %s", o->lifetime_why);
    else if (o->lifetime_lo < 0 && o->lifetime_hi < 0)
        snprintf(t, sizeof t, "not measured (--lifetime)");
    else if (o->lifetime_hi < 0)
        snprintf(t, sizeof t, "more than %d s", o->lifetime_lo);
    else
        snprintf(t, sizeof t, "between %d and %d s", o->lifetime_lo, o->lifetime_hi);
    wrap(f, LABEL, "mapping lifetime", t);
}

static void print_router(const nat_report_t *r, FILE *f)
{
    char t[512];
    if (r->router_state == 0) {
        wrap(f, LABEL, "router", "not asked");
        return;
    }
    if (r->router_state < 0 || r->router.status != 0) {
        wrap(f, LABEL, "router", "no default gateway found");
        return;
    }
    static const char *const label[PORTMAP_NPROTOS] = {"PCP", "NAT-PMP", "UPnP-IGD"};
    size_t n = (size_t)snprintf(t, sizeof t, "%s:", r->router.gateway);
    for (int p = 0; p < PORTMAP_NPROTOS && n < sizeof t; p++) {
        const portmap_probe_answer_t *x = &r->router.by[p];
        n += (size_t)snprintf(t + n, sizeof t - n, " %s %s%s%s%s", label[p],
                              x->status == 0 ? "yes" : "no", x->external_ip[0] ? " (WAN " : "",
                              x->external_ip, x->external_ip[0] ? ")" : "");
        if (p + 1 < PORTMAP_NPROTOS && n < sizeof t)
            n += (size_t)snprintf(t + n, sizeof t - n, ",");
    }
    wrap(f, LABEL, "router", t);
}

static void print_p2p(const nat_report_t *r, FILE *f)
{
    nat_classic_t me = r->verdict.classic;
    fprintf(f, "\n  P2P with a peer behind ...\n");
    for (int peer = NAT_CLASSIC_OPEN; peer < NAT_CLASSIC_COUNT; peer++)
        wrap_at(f, 4, 26, nat_classic_name((nat_classic_t)peer), nat_p2p_sentence(me, peer));
}

void nat_report_print(const nat_report_t *r, FILE *f)
{
    const nat_obs_t *o = &r->obs;
    const nat_verdict_t *v = &r->verdict;
    char a[ADDR_STRLEN], t[512];
    fprintf(f, "STUN server %.60s (%s)\n", r->server_name, fmt_addr(&r->server, a, sizeof a));
    if (r->error) {
        wrap(f, LABEL, "error", r->error);
        return;
    }
    if (o->has_other)
        snprintf(t, sizeof t, "yes, other address %s", fmt_addr(&o->other, a, sizeof a));
    else
        snprintf(t, sizeof t, "no (plain STUN server: mapping and filtering cannot be tested)");
    wrap(f, LABEL, "RFC 5780", t);
    fputc('\n', f);
    print_where(r, f);
    line_behavior(f, "mapping", v->mapping, v->mapping_why);
    line_behavior(f, "filtering", v->filtering, v->filtering_why);
    wrap(f, LABEL, "hairpinning", nat_tri_name(v->hairpin));
    wrap(f, LABEL, "port preservation", nat_tri_name(v->port_preserved));
    print_lifetime(o, f);
    print_router(r, f);
    fputc('\n', f);
    wrap(f, LABEL, "NAT type", nat_classic_name(v->classic));
    print_p2p(r, f);
}

/* --- JSON --------------------------------------------------------------- */

static json_t *j_addr(const struct sockaddr_storage *ss, bool have)
{
    char a[ADDR_STRLEN];
    return have ? json_string(fmt_addr(ss, a, sizeof a)) : json_null();
}

static json_t *j_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *j_router(const nat_report_t *r)
{
    if (r->router_state == 0) return json_null();
    /* The keys are part of the documented document: fixed here. */
    static const char *const key[PORTMAP_NPROTOS] = {"pcp", "natpmp", "upnp"};
    json_t *o = json_object();
    bool ok = r->router_state > 0 && r->router.status == 0;
    json_object_set_new(o, "gateway", ok ? json_string(r->router.gateway) : json_null());
    for (int p = 0; p < PORTMAP_NPROTOS; p++) {
        const portmap_probe_answer_t *x = &r->router.by[p];
        json_object_set_new(
            o, key[p],
            json_pack("{s:b,s:o}", "available", ok && x->status == 0, "external_address",
                      ok && x->external_ip[0] ? json_string(x->external_ip) : json_null()));
    }
    return o;
}

static json_t *j_lifetime(const nat_obs_t *o)
{
    if (!o->lifetime_why && o->lifetime_lo < 0 && o->lifetime_hi < 0) return json_null();
    return json_pack("{s:o,s:o,s:o}", "reason", j_str_or_null(o->lifetime_why), "min_s",
                     o->lifetime_lo >= 0 ? json_integer(o->lifetime_lo) : json_null(), "max_s",
                     o->lifetime_hi >= 0 ? json_integer(o->lifetime_hi) : json_null());
}

static json_t *j_p2p(const nat_report_t *r)
{
    json_t *o = json_object();
    for (int peer = NAT_CLASSIC_OPEN; peer < NAT_CLASSIC_COUNT; peer++)
        json_object_set_new(o, nat_classic_key((nat_classic_t)peer),
                            json_string(nat_p2p_sentence(r->verdict.classic, peer)));
    return o;
}

char *nat_report_json(const nat_report_t *r)
{
    const nat_obs_t *o = &r->obs;
    const nat_verdict_t *v = &r->verdict;
    bool t1 = o->t1 == NAT_ANS_OK;
    json_t *j = json_pack(
        "{s:i,s:i,s:o,s:{s:s,s:o,s:b,s:o},s:{s:o,s:o},s:o,s:s,s:o,s:o,s:s,s:o,s:s,s:o,s:s,s:s,"
        "s:o,s:o,s:s,s:o}",
        "version", NAT_JSON_VERSION, "exit_code", nat_report_exit_code(r), "error",
        j_str_or_null(r->error), "server", "name", r->server_name, "address",
        j_addr(&r->server, true), "rfc5780", o->has_other, "other_address",
        j_addr(&o->other, o->has_other), "local", "address", j_addr(&o->local, true), "interface",
        o->ifname[0] ? json_string(o->ifname) : json_null(), "public_address",
        j_addr(&o->mapped1, t1), "network", nat_place_name(v->place), "network_reason",
        j_str_or_null(v->place_why), "direct_access", j_str_or_null(nat_direct_sentence(o, v)),
        "mapping", nat_behavior_name(v->mapping), "mapping_reason", j_str_or_null(v->mapping_why),
        "filtering", nat_behavior_name(v->filtering), "filtering_reason",
        j_str_or_null(v->filtering_why), "hairpinning", nat_tri_name(v->hairpin),
        "port_preservation", nat_tri_name(v->port_preserved), "mapping_lifetime", j_lifetime(o),
        "router", j_router(r), "nat_type", nat_classic_key(v->classic), "p2p", j_p2p(r));
    if (!j) return NULL;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}
