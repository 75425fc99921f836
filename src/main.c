/* main: picks a subcommand from the table; nothing else lives here. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} subcommand_t;

static const subcommand_t subcommands[] = {
    {"server", cmd_server, "run the public side (frps.toml)"},
    {"client", cmd_client, "run the private side next to your services (frpc.toml)"},
    {"tcp", cmd_tcp,
     "one-liner: expose a local TCP port, no config file (burrow tcp 22 -s HOST -t T)"},
    {"udp", cmd_udp, "one-liner: expose a local UDP port the same way"},
    {"http", cmd_http, "one-liner: expose a local web server on a domain (--domain / --subdomain)"},
    {"status", cmd_status, "a running client's proxies and their state (its admin API)"},
    {"reload", cmd_reload, "make a running client apply its edited config (its admin API)"},
    {"nat", cmd_nat, "what the network between you and the internet allows (router mapping)"},
    {"config", cmd_config, "show a config (legacy INI, YAML, JSON) as TOML: config convert FILE"},
    {"wake", cmd_wake, "power a machine on the LAN on (Wake-on-LAN magic packet)"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: burrow <command> [options]\n\nburrow reaches services behind NAT "
               "through a public server.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "  %-8s %s\n", "help", "describe a command: burrow help <command>");
    fprintf(f, "\n'burrow help <command>' or 'burrow <command> --help' describes a command's\n"
               "options; man burrow(1) describes every config key.\n");
}

/* `burrow help [command]`: the command's own --help. */
static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            char *args[] = {argv[1], "--help", NULL};
            return subcommands[i].fn(2, args);
        }
    fprintf(stderr, "burrow help: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) return cmd_version(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0) return cmd_help(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0) return subcommands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "burrow: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
