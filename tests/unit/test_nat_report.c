/* test_nat_report: the human report fits 80 columns and says what it must;
 * the JSON document has every documented field (nat/nat_report.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "nat/nat_report.h"
#include "net/addr.h"
#include "testlib.h"

static void fill(nat_report_t *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->server_name, sizeof r->server_name, "stun.example:3478");
    addr_parse_text("203.0.113.10:3478", &r->server);
    nat_obs_t *o = &r->obs;
    nat_obs_init(o);
    addr_parse_text("192.168.1.10:40312", &o->local);
    snprintf(o->ifname, sizeof o->ifname, "eth0");
    o->t1 = o->t2 = o->t3 = NAT_ANS_OK;
    addr_parse_text("203.0.113.21:40312", &o->mapped1);
    o->mapped2 = o->mapped3 = o->mapped1;
    o->has_other = true;
    addr_parse_text("203.0.113.11:3479", &o->other);
    o->f_both = o->f_port = o->hairpin = NAT_ANS_TIMEOUT;
    r->router_state = 1;
    snprintf(r->router.gateway, sizeof r->router.gateway, "192.168.1.1");
    r->router.by[PORTMAP_PCP].status = UV_ETIMEDOUT;
    r->router.by[PORTMAP_NATPMP].status = 0;
    snprintf(r->router.by[PORTMAP_NATPMP].external_ip, 46, "203.0.113.21");
    r->router.by[PORTMAP_UPNP].status = UV_ETIMEDOUT;
    o->has_router_wan = true;
    addr_parse_text("203.0.113.21:0", &o->router_wan);
    nat_classify(o, &r->verdict);
}

static char *render(const nat_report_t *r)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    nat_report_print(r, f);
    fclose(f);
    return buf;
}

static int longest_line(const char *s)
{
    int best = 0;
    while (*s) {
        const char *nl = strchr(s, '\n');
        int len = nl ? (int)(nl - s) : (int)strlen(s);
        if (len > best) best = len;
        s += len + (nl ? 1 : 0);
    }
    return best;
}

static void test_human(void)
{
    nat_report_t r;
    fill(&r);
    char *s = render(&r);
    if (getenv("NAT_REPORT_SHOW")) fputs(s, stdout); /* the README's sample */
    CHECK(longest_line(s) <= 80);
    CHECK(strstr(s, "192.168.1.10:40312 on eth0") != NULL);
    CHECK(strstr(s, "public address    203.0.113.21:40312") != NULL);
    CHECK(strstr(s, "behind one NAT") != NULL);
    CHECK(strstr(s, "address-and-port-dependent") != NULL);
    CHECK(strstr(s, "NAT type          port-restricted cone") != NULL);
    CHECK(strstr(s, "NAT-PMP yes (WAN 203.0.113.21)") != NULL);
    CHECK(strstr(s, "symmetric") != NULL);
    CHECK_EQ_INT(nat_report_exit_code(&r), NAT_EXIT_OK);
    free(s);

    r.obs.has_other = false; /* a plain RFC 8489 server: reasons, still 80 columns */
    nat_classify(&r.obs, &r.verdict);
    s = render(&r);
    CHECK(longest_line(s) <= 80);
    CHECK(strstr(s, "unknown: the server gave no OTHER-ADDRESS") != NULL);
    CHECK_EQ_INT(nat_report_exit_code(&r), NAT_EXIT_PARTIAL);
    free(s);

    r.error = "no answer from 203.0.113.10:3478 within 3 s (UDP dropped, or no STUN server)";
    r.obs.t1 = NAT_ANS_TIMEOUT;
    s = render(&r);
    CHECK(strstr(s, "no answer") != NULL);
    CHECK(longest_line(s) <= 80);
    CHECK_EQ_INT(nat_report_exit_code(&r), NAT_EXIT_ERROR);
    free(s);
}

static void test_json(void)
{
    nat_report_t r;
    fill(&r);
    r.obs.lifetime_lo = 30;
    r.obs.lifetime_hi = 45;
    char *s = nat_report_json(&r);
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    CHECK(j != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "version")), NAT_JSON_VERSION);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "nat_type")), "port-restricted-cone");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "mapping")), "endpoint-independent");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "filtering")), "address-and-port-dependent");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "network")), "nat");
    CHECK(strstr(json_string_value(json_object_get(j, "direct_access")), "use the tunnel") ||
          strstr(json_string_value(json_object_get(j, "direct_access")), "can reach this host"));
    CHECK_EQ_STR(json_string_value(json_object_get(j, "public_address")), "203.0.113.21:40312");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "local"), "interface")),
                 "eth0");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "server"), "other_address")),
                 "203.0.113.11:3479");
    CHECK(json_is_null(json_object_get(j, "mapping_reason")));
    CHECK_EQ_INT(
        json_integer_value(json_object_get(json_object_get(j, "mapping_lifetime"), "max_s")), 45);
    json_t *np = json_object_get(json_object_get(j, "router"), "natpmp");
    CHECK(json_is_true(json_object_get(np, "available")));
    CHECK_EQ_STR(json_string_value(json_object_get(np, "external_address")), "203.0.113.21");
    CHECK(json_is_false(
        json_object_get(json_object_get(json_object_get(j, "router"), "pcp"), "available")));
    CHECK_EQ_INT(json_object_size(json_object_get(j, "p2p")), 5);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "hairpinning")), "no");
    json_decref(j);
    free(s);

    r.router_state = 0;
    r.error = "garbage";
    r.obs.t1 = NAT_ANS_TIMEOUT;
    nat_classify(&r.obs, &r.verdict);
    s = nat_report_json(&r);
    j = json_loads(s, 0, &err);
    CHECK(j != NULL);
    CHECK(json_is_null(json_object_get(j, "router")));
    CHECK(json_is_null(json_object_get(j, "public_address")));
    CHECK_EQ_STR(json_string_value(json_object_get(j, "error")), "garbage");
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "exit_code")), NAT_EXIT_ERROR);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "nat_type")), "unknown");
    json_decref(j);
    free(s);
}

/* The seed's direct-access sentence per place (nat_direct_sentence). */
static void test_direct(void)
{
    nat_obs_t o;
    nat_verdict_t v;
    memset(&o, 0, sizeof o);
    memset(&v, 0, sizeof v);
    v.place = NAT_PLACE_UNKNOWN;
    CHECK(nat_direct_sentence(&o, &v) == NULL);
    v.place = NAT_PLACE_CGNAT;
    CHECK(strstr(nat_direct_sentence(&o, &v),
                 "DDNS plus a router mapping cannot reach this host; use the tunnel") != NULL);
    v.place = NAT_PLACE_NAT;
    CHECK(strstr(nat_direct_sentence(&o, &v), "if the router's WAN address is not") != NULL);
    o.has_router_wan = true;
    CHECK(strstr(nat_direct_sentence(&o, &v), "can reach this host") != NULL);
    v.place = NAT_PLACE_PUBLIC;
    CHECK(strstr(nat_direct_sentence(&o, &v), "reaches it directly") != NULL);
}

int main(void)
{
    RUN(test_human);
    RUN(test_json);
    RUN(test_direct);
    return TEST_SUMMARY();
}
