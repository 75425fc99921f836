/* cmd_version: `burrow version`. */
#include <openssl/opensslv.h>
#include <stdio.h>
#include <uv.h>

#include "cli/cli.h"
#include "proto/msg.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("burrow %s (protocol %d-%d, libuv %s, %s)\n", BURROW_VERSION, PROTO_VERSION_MIN,
           PROTO_VERSION_MAX, uv_version_string(), OPENSSL_VERSION_TEXT);
    return 0;
}
