/* test_nat_class: observations -> verdict (nat/nat_class.h): RFC 5780
 * mapping and filtering rules, carrier-NAT rules, classic names, P2P table. */
#include <string.h>

#include "nat/nat_class.h"
#include "net/addr.h"
#include "testlib.h"

static struct sockaddr_storage A(const char *text) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (addr_parse_text(text, &ss) != 0) ss.ss_family = AF_UNSPEC;
    return ss;
}

/* A full RFC 5780 run behind nat1 of the lab: local 192.168.1.10:5000,
 * server 203.0.113.10:3478 with OTHER-ADDRESS 203.0.113.11:3479. */
static void
base(nat_obs_t *o)
{
    nat_obs_init(o);
    o->local = A("192.168.1.10:5000");
    o->t1 = NAT_ANS_OK;
    o->mapped1 = A("203.0.113.21:5000");
    o->has_other = true;
    o->other = A("203.0.113.11:3479");
    o->t2 = NAT_ANS_OK;
    o->mapped2 = o->mapped1;
    o->t3 = NAT_ANS_OK;
    o->mapped3 = o->mapped1;
    o->f_both = NAT_ANS_TIMEOUT;
    o->f_port = NAT_ANS_TIMEOUT;
    o->hairpin = NAT_ANS_TIMEOUT;
}

static nat_verdict_t run(const nat_obs_t *o)
{
    nat_verdict_t v;
    nat_classify(o, &v);
    return v;
}

static void test_four_types(void)
{
    nat_obs_t o;
    base(&o);
    o.f_both = NAT_ANS_OK;
    nat_verdict_t v = run(&o);
    CHECK_EQ_INT(v.mapping, NAT_B_EI);
    CHECK_EQ_INT(v.filtering, NAT_B_EI);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_FULL_CONE);
    CHECK_EQ_INT(v.place, NAT_PLACE_NAT);
    CHECK_EQ_INT(v.port_preserved, NAT_TRI_YES);
    CHECK_EQ_INT(v.hairpin, NAT_TRI_NO);

    base(&o);
    o.f_port = NAT_ANS_OK;
    v = run(&o);
    CHECK_EQ_INT(v.filtering, NAT_B_AD);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_RESTRICTED);

    base(&o);
    v = run(&o);
    CHECK_EQ_INT(v.filtering, NAT_B_APD);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_PORT_RESTRICTED);
    CHECK(v.filtering_why == NULL && v.mapping_why == NULL);

    base(&o); /* a new port per destination */
    o.mapped1 = A("203.0.113.21:40001");
    o.mapped2 = A("203.0.113.21:40002");
    o.mapped3 = A("203.0.113.21:40003");
    v = run(&o);
    CHECK_EQ_INT(v.mapping, NAT_B_APD);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_SYMMETRIC);
    CHECK_EQ_INT(v.port_preserved, NAT_TRI_NO);

    base(&o); /* a new port per destination address only */
    o.mapped2 = A("203.0.113.21:40002");
    o.mapped3 = o.mapped2;
    v = run(&o);
    CHECK_EQ_INT(v.mapping, NAT_B_AD);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_SYMMETRIC);
}

static void test_public(void)
{
    nat_obs_t o;
    base(&o);
    o.local = A("203.0.113.50:5000");
    o.mapped1 = o.mapped2 = o.mapped3 = o.local;
    o.f_both = NAT_ANS_OK;
    o.t2 = NAT_ANS_TIMEOUT; /* not needed when nothing translates */
    nat_verdict_t v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_PUBLIC);
    CHECK_EQ_INT(v.mapping, NAT_B_EI);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_OPEN);
    o.f_both = NAT_ANS_TIMEOUT; /* a stateful firewall on a public address */
    v = run(&o);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_PORT_RESTRICTED);
}

static void test_cgnat(void)
{
    nat_obs_t o;
    base(&o);
    o.local = A("100.64.3.7:5000"); /* the carrier's shared space on the host */
    nat_verdict_t v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_CGNAT);
    base(&o);
    o.has_router_wan = true; /* the seed's test: router WAN != public */
    o.router_wan = A("100.64.0.2:0");
    v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_CGNAT);
    o.router_wan = A("198.51.100.7:0"); /* a public WAN that is not ours either */
    v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_CGNAT);
    o.router_wan = A("203.0.113.21:0");
    v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_NAT);
    CHECK(strstr(v.place_why, "WAN") != NULL);
    o.has_router_wan = false;
    v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_NAT);
    CHECK(strstr(v.place_why, "cannot be ruled out") != NULL);

    struct sockaddr_storage s = A("100.127.255.255:0");
    CHECK(nat_ip_is_shared((struct sockaddr *)&s));
    s = A("100.128.0.0:0");
    CHECK(!nat_ip_is_shared((struct sockaddr *)&s));
    CHECK(!nat_ip_is_private((struct sockaddr *)&s));
    s = A("100.63.255.255:0");
    CHECK(!nat_ip_is_shared((struct sockaddr *)&s));
    s = A("172.31.0.1:0");
    CHECK(nat_ip_is_private((struct sockaddr *)&s));
    s = A("172.32.0.1:0");
    CHECK(!nat_ip_is_private((struct sockaddr *)&s));
    s = A("[fd00::1]:0");
    CHECK(nat_ip_is_private((struct sockaddr *)&s));
    s = A("[2001:db8::1]:0");
    CHECK(!nat_ip_is_private((struct sockaddr *)&s));
}

/* Against a plain RFC 8489 server only the public address is known; every
 * unknown carries its reason. */
static void test_unknowns(void)
{
    nat_obs_t o;
    nat_obs_init(&o);
    nat_verdict_t v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_UNKNOWN);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_UNKNOWN);
    CHECK(v.mapping_why && v.filtering_why);

    nat_obs_init(&o);
    o.local = A("192.168.1.10:5000");
    o.t1 = NAT_ANS_OK;
    o.mapped1 = A("203.0.113.21:5000");
    o.hairpin = NAT_ANS_OK;
    v = run(&o);
    CHECK_EQ_INT(v.place, NAT_PLACE_NAT);
    CHECK_EQ_INT(v.mapping, NAT_B_UNKNOWN);
    CHECK(strstr(v.mapping_why, "OTHER-ADDRESS") != NULL);
    CHECK(strstr(v.filtering_why, "OTHER-ADDRESS") != NULL);
    CHECK_EQ_INT(v.hairpin, NAT_TRI_YES);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_UNKNOWN);

    base(&o); /* a server that answers CHANGE-REQUEST from its primary */
    o.f_both = NAT_ANS_WRONG;
    v = run(&o);
    CHECK_EQ_INT(v.filtering, NAT_B_UNKNOWN);
    CHECK(strstr(v.filtering_why, "wrong") != NULL);
    CHECK_EQ_INT(v.classic, NAT_CLASSIC_UNKNOWN);
    base(&o);
    o.t2 = NAT_ANS_TIMEOUT;
    v = run(&o);
    CHECK_EQ_INT(v.mapping, NAT_B_UNKNOWN);
    CHECK(v.mapping_why != NULL);
}

static void test_names(void)
{
    CHECK_EQ_STR(nat_behavior_name(NAT_B_APD), "address-and-port-dependent");
    CHECK_EQ_STR(nat_behavior_name((nat_behavior_t)99), "unknown");
    CHECK_EQ_STR(nat_classic_key(NAT_CLASSIC_PORT_RESTRICTED), "port-restricted-cone");
    CHECK_EQ_STR(nat_classic_name(NAT_CLASSIC_FULL_CONE), "full cone");
    CHECK_EQ_STR(nat_place_name(NAT_PLACE_CGNAT), "cgnat");
    CHECK_EQ_STR(nat_tri_name(NAT_TRI_YES), "yes");
    /* The P2P table is symmetric and says "relay" only where it must. */
    for (int a = 0; a < NAT_CLASSIC_COUNT; a++)
        for (int b = 0; b < NAT_CLASSIC_COUNT; b++)
            CHECK(nat_p2p_sentence(a, b) == nat_p2p_sentence(b, a));
    CHECK(strstr(nat_p2p_sentence(NAT_CLASSIC_SYMMETRIC, NAT_CLASSIC_SYMMETRIC), "relay"));
    CHECK(strstr(nat_p2p_sentence(NAT_CLASSIC_PORT_RESTRICTED, NAT_CLASSIC_SYMMETRIC), "fails"));
    CHECK(strstr(nat_p2p_sentence(NAT_CLASSIC_RESTRICTED, NAT_CLASSIC_SYMMETRIC), "works"));
    CHECK(strstr(nat_p2p_sentence(NAT_CLASSIC_FULL_CONE, NAT_CLASSIC_SYMMETRIC), "directly"));
    CHECK(strstr(nat_p2p_sentence(NAT_CLASSIC_COUNT, NAT_CLASSIC_OPEN), "unknown"));
}

int main(void)
{
    RUN(test_four_types);
    RUN(test_public);
    RUN(test_cgnat);
    RUN(test_unknowns);
    RUN(test_names);
    return TEST_SUMMARY();
}
