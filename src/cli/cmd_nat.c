/* cmd_nat: `burrow nat [options]` is the NAT report (cmd_nat_report.c);
 * `burrow nat <sub>` picks a subcommand from a table. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct nat_sub {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} nat_sub_t;

static const nat_sub_t subs[] = {
    {"map", cmd_nat_map, "ask the router for a port mapping and hold it (PCP, NAT-PMP, UPnP)"},
    {"router", cmd_nat_router, "which mapping protocols the router answers, its external address"},
};

static void usage(FILE *f)
{
    cmd_nat_report_usage(f);
    fprintf(f, "\nor: burrow nat <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        fprintf(f, "  %-7s %s\n", subs[i].name, subs[i].summary);
}

int cmd_nat(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') return cmd_nat_report(argc, argv);
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[1], subs[i].name) == 0) return subs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "burrow nat: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
