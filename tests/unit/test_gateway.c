/* test_gateway: the default gateway from /proc/net/route's text. */
#include "net/gateway.h"

#include <arpa/inet.h>

#include "testlib.h"

static void test_picks_lowest_metric_default(void)
{
    const char *t =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
        "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n";
    uint32_t gw = 0;
    char ifc[16];
    CHECK_EQ_INT(gateway_parse_proc_route(t, &gw, ifc, sizeof ifc), 0);
    CHECK(gw == inet_addr("192.168.1.1"));
    CHECK_EQ_STR(ifc, "eth0");
}

static void test_none(void)
{
    uint32_t gw = 0;
    CHECK_EQ_INT(gateway_parse_proc_route("Iface\tDestination\n", &gw, NULL, 0), -1);
    CHECK_EQ_INT(gateway_parse_proc_route("", &gw, NULL, 0), -1);
    /* a default route that is down does not count */
    CHECK_EQ_INT(gateway_parse_proc_route("h\neth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\n",
                                          &gw, NULL, 0),
                 -1);
}

int main(void)
{
    RUN(test_picks_lowest_metric_default);
    RUN(test_none);
    return TEST_SUMMARY();
}
