/* fuzz_ftp_rewrite: FTP control bytes (either direction) through the line
 * assembler, every line through the passive parsers and the command
 * classifier, PORT/EPRT through their parsers. A line never exceeds FTP_LINE_MAX; a parsed address
 * formats into a line that parses back to the same address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftp/ftp_rewrite.h"

static void check_line(const char *s, size_t n)
{
    uint8_t ip[4], ip2[4];
    uint16_t port, port2;
    char out[128];
    if (ftp_parse_227(s, n, ip, &port) == 0) {
        size_t k = ftp_format_227(out, sizeof out, ip, port);
        if (!k || ftp_parse_227(out, k, ip2, &port2) != 0 || port2 != port ||
            memcmp(ip, ip2, 4) != 0)
            abort();
    }
    if (ftp_parse_229(s, n, &port) == 0) {
        size_t k = ftp_format_229(out, sizeof out, port);
        if (!k || ftp_parse_229(out, k, &port2) != 0 || port2 != port) abort();
    }
    (void)ftp_command(s, n);
    ftp_hostport_t hp, back;
    int (*const parse[2])(const char *, size_t, ftp_hostport_t *) = {ftp_parse_port,
                                                                     ftp_parse_eprt};
    for (int k = 0; k < 2; k++) {
        if (parse[k](s, n, &hp) != 0) continue;
        if (!memchr(hp.addr, '\0', sizeof hp.addr) || hp.port == 0) abort();
        size_t m = ftp_format_active(out, sizeof out, &hp, k == 1);
        if (!m || parse[k](out, m, &back) != 0 || back.port != hp.port || back.af != hp.af) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftp_lines_t l = {0};
    size_t i = 0, total = 0;
    /* Fed in 13-byte reads, as a slow peer would deliver them. */
    while (i < size) {
        size_t chunk = size - i < 13 ? size - i : 13;
        size_t used = ftp_lines_take(&l, data + i, chunk);
        i += used;
        if (ftp_lines_ready(&l)) {
            if (l.len > FTP_LINE_MAX) abort();
            check_line(l.buf, l.len);
            total += l.len;
            ftp_lines_reset(&l);
        } else if (used != chunk) {
            abort(); /* not ready, so it must have taken everything */
        }
    }
    if (total + l.len != size) abort();
    return 0;
}
