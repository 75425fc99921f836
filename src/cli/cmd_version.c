/* cmd_version: `burrow version`. */
#include <openssl/opensslv.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "proto/msg.h"

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: burrow version\n\nPrints burrow's version, the control protocol "
               "versions it speaks\nand the versions of libuv and OpenSSL it runs with.\n");
        return 0;
    }
    printf("burrow %s (protocol %d-%d, libuv %s, %s)\n", BURROW_VERSION, PROTO_VERSION_MIN,
           PROTO_VERSION_MAX, uv_version_string(), OPENSSL_VERSION_TEXT);
    return 0;
}
