/* cmd_wake: `burrow wake MAC [--interface IF] [--password SECUREON]`, the
 * seed's recommended route to power a machine on: a host on the same LAN
 * broadcasts the magic packet (wol/wol_send.c does the sending). Prints each
 * route and whether it went; exits 0 when at least one went, 1 when none
 * did, 2 for usage errors. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "wol/wol.h"
#include "wol/wol_send.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: burrow wake MAC [--interface IF] [--password SECUREON]\n\n"
            "Sends a Wake-on-LAN magic packet for MAC (aa:bb:cc:dd:ee:ff, aa-bb-.. or\n"
            "aabbccddeeff) on this host's LANs: UDP to each subnet's broadcast address and\n"
            "to 255.255.255.255 (ports 9 and 7), and a raw Ethernet frame of type 0x0842\n"
            "when run as root. --interface limits it to one interface; --password adds\n"
            "a SecureOn password (6 bytes like a MAC, or 4 as a.b.c.d).\n");
}

static void print_route(void *ud, const char *route, int err)
{
    (void)ud;
    if (err == 0)
        printf("sent    %s\n", route);
    else
        printf("failed  %s: %s\n", route, strerror(-err));
}

typedef struct wake_args {
    const char *target, *ifname, *password;
} wake_args_t;

/* 0, 1 for --help, -1 (printed) on a usage error. */
static int parse_args(int argc, char **argv, wake_args_t *a)
{
    static const struct option longopts[] = {{"interface", required_argument, NULL, 'i'},
                                             {"password", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:p:h", longopts, NULL)) != -1) {
        if (c == 'i') a->ifname = optarg;
        else if (c == 'p') a->password = optarg;
        else if (c == 'h') return 1;
        else return -1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "burrow wake: expected one MAC address\n");
        return -1;
    }
    a->target = argv[optind];
    return 0;
}

int cmd_wake(int argc, char **argv)
{
    wake_args_t a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    uint8_t mac[WOL_MAC_LEN], pw[WOL_PW_MAX];
    size_t pw_len = 0;
    const char *why = NULL;
    if (wol_parse_mac(a.target, mac, &why) != 0) {
        fprintf(stderr, "burrow wake: bad MAC address '%s': %s\n", a.target, why);
        return 2;
    }
    if (a.password && wol_parse_password(a.password, pw, &pw_len, &why) != 0) {
        fprintf(stderr, "burrow wake: bad --password: %s\n", why);
        return 2;
    }
    int sent = wol_wake(mac, pw, pw_len, a.ifname, print_route, NULL);
    if (sent < 0) {
        fprintf(stderr, "burrow wake: %s%s\n", a.ifname ? "no usable IPv4 interface " : "",
                a.ifname ? a.ifname : strerror(-sent));
        return 1;
    }
    char mstr[18];
    printf("%s: magic packet for %s sent on %d route%s\n", sent ? "ok" : "failed",
           wol_mac_str(mac, mstr, sizeof mstr), sent, sent == 1 ? "" : "s");
    return sent > 0 ? 0 : 1;
}
