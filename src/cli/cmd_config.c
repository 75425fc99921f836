/* cmd_config: `burrow config convert FILE`: a config in any format burrow
 * reads (legacy INI, YAML, JSON, TOML) printed as the TOML it amounts to. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/cfg_emit.h"
#include "config/config.h"
#include "config/toml.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: burrow config convert FILE [--server|--client]\n"
               "\n"
               "Prints FILE (frp's legacy INI, YAML, JSON or TOML) as TOML, the\n"
               "frps.toml / frpc.toml schema. Templates ({{ .Envs.NAME }}) are\n"
               "expanded; `includes` are left as they are. For a legacy INI file,\n"
               "--server or --client says whose it is (by default: a server's when\n"
               "[common] holds bind_port, dashboard_port, vhost_http_port, ...).\n"
               "\n"
               "  -h, --help   this text\n");
}

int cmd_config(int argc, char **argv)
{
    const char *file = NULL;
    int role = -1;
    bool convert = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return usage(stdout), 0;
        if (strcmp(argv[i], "--server") == 0 || strcmp(argv[i], "--client") == 0)
            role = argv[i][2] == 'c';
        else if (!convert && strcmp(argv[i], "convert") == 0)
            convert = true;
        else if (convert && !file && argv[i][0] != '-')
            file = argv[i];
        else
            return usage(stderr), 2;
    }
    if (!convert || !file) return usage(stderr), 2;
    toml_value_t *root = config_read_tree(file, role, stderr);
    if (!root) return 2;
    int rc = cfg_emit_toml(stdout, root);
    toml_free(root);
    return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
}
