/* nat_class: the rules that turn observations into a verdict (pure). */
#include "nat/nat_class.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

void nat_obs_init(nat_obs_t *o)
{
    memset(o, 0, sizeof *o);
    o->lifetime_lo = o->lifetime_hi = -1;
}

/* --- addresses ---------------------------------------------------------- */

static bool v4(const struct sockaddr *sa, uint32_t *ip)
{
    if (!sa || sa->sa_family != AF_INET) return false;
    *ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    return true;
}

bool nat_ip_is_shared(const struct sockaddr *sa)
{
    uint32_t ip;
    return v4(sa, &ip) && (ip & 0xffc00000u) == 0x64400000u; /* 100.64.0.0/10 */
}

bool nat_ip_is_private(const struct sockaddr *sa)
{
    static const struct {
        uint32_t net, mask;
    } v4_private[] = {
        {0x0a000000u, 0xff000000u}, /* 10/8 */
        {0xac100000u, 0xfff00000u}, /* 172.16/12 */
        {0xc0a80000u, 0xffff0000u}, /* 192.168/16 */
        {0x64400000u, 0xffc00000u}, /* 100.64/10, RFC 6598 */
        {0x7f000000u, 0xff000000u}, /* loopback */
        {0xa9fe0000u, 0xffff0000u}, /* link-local */
    };
    uint32_t ip;
    if (v4(sa, &ip)) {
        for (size_t i = 0; i < sizeof v4_private / sizeof v4_private[0]; i++)
            if ((ip & v4_private[i].mask) == v4_private[i].net) return true;
        return false;
    }
    if (!sa || sa->sa_family != AF_INET6) return false;
    const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if ((b[0] & 0xfe) == 0xfc) return true;                 /* fc00::/7 ULA */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true; /* fe80::/10 */
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

bool nat_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return false;
}

static int port_of(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return -1;
}

bool nat_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    return nat_same_ip(a, b) && port_of(a) == port_of(b);
}

/* --- the rules ---------------------------------------------------------- */

/* Carrier NAT per the seed (000 §二.1): a shared (100.64/10) local address,
 * or a router whose WAN address is not the public one. */
static void classify_place(const nat_obs_t *o, nat_verdict_t *v)
{
    const struct sockaddr *local = (const struct sockaddr *)&o->local;
    if (o->t1 != NAT_ANS_OK) {
        v->place = NAT_PLACE_UNKNOWN;
        v->place_why = "no answer from the STUN server";
    } else if (nat_same_ip(&o->local, &o->mapped1)) {
        v->place = NAT_PLACE_PUBLIC;
        v->place_why = "the local address is the public address";
    } else if (nat_ip_is_shared(local)) {
        v->place = NAT_PLACE_CGNAT;
        v->place_why = "the local address is in 100.64.0.0/10, the carriers' shared space";
    } else if (o->has_router_wan && !nat_same_ip(&o->router_wan, &o->mapped1)) {
        v->place = NAT_PLACE_CGNAT;
        v->place_why = "the router's WAN address differs from the public address";
    } else if (o->has_router_wan) {
        v->place = NAT_PLACE_NAT;
        v->place_why = "the router's WAN address is the public address";
    } else {
        v->place = NAT_PLACE_NAT;
        v->place_why = "the router did not tell its WAN address: a carrier NAT beyond it "
                       "cannot be ruled out";
    }
}

static const char *no_rfc5780(const nat_obs_t *o)
{
    if (o->t1 != NAT_ANS_OK) return "no answer from the STUN server";
    if (!o->has_other)
        return "the server gave no OTHER-ADDRESS (a plain RFC 8489 server, no RFC 5780 "
               "second address)";
    return NULL;
}

/* RFC 5780 §4.3: compare the mapped addresses seen by the primary, by the
 * alternate IP (same port), and by the alternate IP and port. */
static void classify_mapping(const nat_obs_t *o, nat_verdict_t *v)
{
    if ((v->mapping_why = no_rfc5780(o))) return;
    if (v->place == NAT_PLACE_PUBLIC) { /* nothing translates */
        v->mapping = NAT_B_EI;
        return;
    }
    if (o->t2 != NAT_ANS_OK) {
        v->mapping_why = "the server's alternate address did not answer";
        return;
    }
    if (nat_same_addr(&o->mapped1, &o->mapped2)) {
        v->mapping = NAT_B_EI;
        return;
    }
    if (o->t3 != NAT_ANS_OK) {
        v->mapping_why = "the server's alternate address and port did not answer";
        return;
    }
    v->mapping = nat_same_addr(&o->mapped2, &o->mapped3) ? NAT_B_AD : NAT_B_APD;
}

/* RFC 5780 §4.4: an answer from the other IP and port means anyone may send
 * in; from the same IP and other port, anyone at a contacted address may. */
static void classify_filtering(const nat_obs_t *o, nat_verdict_t *v)
{
    if ((v->filtering_why = no_rfc5780(o))) return;
    switch (o->f_both) {
    case NAT_ANS_OK:
        v->filtering = NAT_B_EI;
        return;
    case NAT_ANS_TIMEOUT:
        break;
    case NAT_ANS_WRONG:
        v->filtering_why = "the server answered CHANGE-REQUEST from the wrong address";
        return;
    case NAT_ANS_REFUSED:
        v->filtering_why = "the server refused CHANGE-REQUEST";
        return;
    default:
        v->filtering_why = "the filtering test did not run";
        return;
    }
    switch (o->f_port) {
    case NAT_ANS_OK:
        v->filtering = NAT_B_AD;
        return;
    case NAT_ANS_TIMEOUT:
        v->filtering = NAT_B_APD;
        return;
    case NAT_ANS_WRONG:
        v->filtering_why = "the server answered CHANGE-REQUEST from the wrong port";
        return;
    case NAT_ANS_REFUSED:
        v->filtering_why = "the server refused CHANGE-REQUEST";
        return;
    default:
        v->filtering_why = "the filtering test did not run";
        return;
    }
}

/* Classic name from (mapping, filtering): any mapping that depends on the
 * destination is symmetric; with endpoint-independent mapping the filtering
 * picks the cone. No NAT and no filtering is "open". */
static nat_classic_t classic_of(const nat_verdict_t *v)
{
    static const nat_classic_t cone_by_filter[NAT_B_COUNT] = {
        [NAT_B_UNKNOWN] = NAT_CLASSIC_UNKNOWN,
        [NAT_B_EI] = NAT_CLASSIC_FULL_CONE,
        [NAT_B_AD] = NAT_CLASSIC_RESTRICTED,
        [NAT_B_APD] = NAT_CLASSIC_PORT_RESTRICTED,
    };
    if (v->mapping == NAT_B_AD || v->mapping == NAT_B_APD) return NAT_CLASSIC_SYMMETRIC;
    if (v->mapping != NAT_B_EI) return NAT_CLASSIC_UNKNOWN;
    if (v->place == NAT_PLACE_PUBLIC && v->filtering == NAT_B_EI) return NAT_CLASSIC_OPEN;
    return cone_by_filter[v->filtering];
}

static nat_tri_t tri_of(nat_ans_t a)
{
    return a == NAT_ANS_OK ? NAT_TRI_YES : a == NAT_ANS_TIMEOUT ? NAT_TRI_NO : NAT_TRI_UNKNOWN;
}

void nat_classify(const nat_obs_t *o, nat_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    classify_place(o, v);
    classify_mapping(o, v);
    classify_filtering(o, v);
    v->classic = classic_of(v);
    v->hairpin = o->t1 == NAT_ANS_OK ? tri_of(o->hairpin) : NAT_TRI_UNKNOWN;
    if (o->t1 == NAT_ANS_OK)
        v->port_preserved = port_of(&o->local) == port_of(&o->mapped1) ? NAT_TRI_YES : NAT_TRI_NO;
}

/* --- names -------------------------------------------------------------- */

const char *nat_behavior_name(nat_behavior_t b)
{
    static const char *const names[NAT_B_COUNT] = {
        "unknown", "endpoint-independent", "address-dependent", "address-and-port-dependent"};
    return (unsigned)b < NAT_B_COUNT ? names[b] : "unknown";
}

const char *nat_tri_name(nat_tri_t t)
{
    static const char *const names[NAT_TRI_COUNT] = {"unknown", "no", "yes"};
    return (unsigned)t < NAT_TRI_COUNT ? names[t] : "unknown";
}

const char *nat_direct_sentence(const nat_obs_t *o, const nat_verdict_t *v)
{
    switch (v->place) {
    case NAT_PLACE_PUBLIC:
        return "this host has the public address: a DDNS name for it reaches it directly "
               "(firewall permitting)";
    case NAT_PLACE_CGNAT:
        return "the WAN address is a carrier's, not public: DDNS plus a router mapping cannot "
               "reach this host; use the tunnel";
    case NAT_PLACE_NAT:
        return o->has_router_wan
                   ? "DDNS plus a port mapping on the router (UPnP, NAT-PMP, PCP or by hand) "
                     "can reach this host; the tunnel works too"
                   : "if the router's WAN address is not the public address, DDNS plus a router "
                     "mapping cannot reach this host; use the tunnel";
    default:
        return NULL;
    }
}

const char *nat_place_name(nat_place_t p)
{
    static const char *const names[NAT_PLACE_COUNT] = {"unknown", "public", "nat", "cgnat"};
    return (unsigned)p < NAT_PLACE_COUNT ? names[p] : "unknown";
}

const char *nat_classic_key(nat_classic_t c)
{
    static const char *const names[NAT_CLASSIC_COUNT] = {
        "unknown", "open", "full-cone", "restricted-cone", "port-restricted-cone", "symmetric"};
    return (unsigned)c < NAT_CLASSIC_COUNT ? names[c] : "unknown";
}

const char *nat_classic_name(nat_classic_t c)
{
    static const char *const names[NAT_CLASSIC_COUNT] = {
        "unknown",         "open (no NAT)",        "full cone",
        "restricted cone", "port-restricted cone", "symmetric"};
    return (unsigned)c < NAT_CLASSIC_COUNT ? names[c] : "unknown";
}

/* --- P2P ---------------------------------------------------------------- */

enum p2p_way { P2P_UNKNOWN, P2P_DIRECT, P2P_PUNCH, P2P_PUNCH_SYM, P2P_HARD, P2P_RELAY, P2P_N };

static const char *const p2p_sentences[P2P_N] = {
    [P2P_UNKNOWN] = "unknown until the NAT type is known.",
    [P2P_DIRECT] = "works directly: whoever starts, the packets get in.",
    [P2P_PUNCH] = "works by hole punching: both sides send at once after the server "
                  "introduces them.",
    [P2P_PUNCH_SYM] = "works by hole punching: the symmetric side's new port comes from an "
                      "address the cone side already opened.",
    [P2P_HARD] = "hole punching usually fails (the symmetric side's port cannot be "
                 "predicted): relay, or a router port mapping.",
    [P2P_RELAY] = "needs a relay through the server, or a router port mapping on one side.",
};

const char *nat_p2p_sentence(nat_classic_t me, nat_classic_t peer)
{
    enum {
        U = P2P_UNKNOWN,
        D = P2P_DIRECT,
        P = P2P_PUNCH,
        S = P2P_PUNCH_SYM,
        H = P2P_HARD,
        R = P2P_RELAY
    };
    /* Rows and columns: unknown, open, full cone, restricted, port-restricted,
     * symmetric. Symmetric in (me, peer). */
    /* clang-format off */
    static const unsigned char way[NAT_CLASSIC_COUNT][NAT_CLASSIC_COUNT] = {
        /*            ?  open full rest port sym */
        /* ?     */ {U, D,   D,   U,   U,   U},
        /* open  */ {D, D,   D,   D,   D,   D},
        /* full  */ {D, D,   D,   D,   D,   D},
        /* rest  */ {U, D,   D,   P,   P,   S},
        /* port  */ {U, D,   D,   P,   P,   H},
        /* sym   */ {U, D,   D,   S,   H,   R},
    };
    /* clang-format on */
    if ((unsigned)me >= NAT_CLASSIC_COUNT || (unsigned)peer >= NAT_CLASSIC_COUNT)
        return p2p_sentences[P2P_UNKNOWN];
    return p2p_sentences[way[me][peer]];
}
