/* ftp_rewrite: line assembly for the FTP control connection, the passive
 * answers' parsers and formatters, command classification (see the header). */
#include "ftp/ftp_rewrite.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t ftp_lines_take(ftp_lines_t *l, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && l->len < FTP_LINE_MAX && !l->whole) {
        char ch = (char)p[i++];
        l->buf[l->len++] = ch;
        if (ch == '\n') l->whole = true;
    }
    return i;
}

bool ftp_lines_ready(const ftp_lines_t *l)
{
    return l->whole || l->len == FTP_LINE_MAX;
}

void ftp_lines_reset(ftp_lines_t *l)
{
    /* A full buffer without '\n' starts (or continues) an overlong line. */
    l->overlong = !l->whole && l->len == FTP_LINE_MAX;
    l->whole = false;
    l->len = 0;
}

/* Reads a decimal of at most 5 digits at s[*i], no more than max. */
static int decimal(const char *s, size_t n, size_t *i, int max)
{
    int v = 0, digits = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9' && digits < 5) {
        v = v * 10 + (s[(*i)++] - '0');
        digits++;
    }
    if (digits == 0 || v > max) return -1;
    return v;
}

static bool reply_code(const char *s, size_t n, const char *code)
{
    return n >= 4 && memcmp(s, code, 3) == 0 && s[3] == ' ';
}

/* RFC 959 leaves the text around the six numbers free (RFC 1123 §4.1.2.6:
 * "scan for the first digit"), so the first run of six comma-separated
 * numbers after the code is the address. */
int ftp_parse_227(const char *s, size_t n, uint8_t ip[4], uint16_t *port)
{
    if (!reply_code(s, n, "227")) return -1;
    for (size_t start = 4; start < n; start++) {
        if (s[start] < '0' || s[start] > '9') continue;
        size_t i = start;
        int v[6], k;
        for (k = 0; k < 6; k++) {
            v[k] = decimal(s, n, &i, 255);
            if (v[k] < 0) break;
            if (k < 5 && (i >= n || s[i++] != ',')) break;
        }
        if (k < 6) continue;
        for (k = 0; k < 4; k++)
            ip[k] = (uint8_t)v[k];
        *port = (uint16_t)(v[4] * 256 + v[5]);
        return *port ? 0 : -1;
    }
    return -1;
}

/* RFC 2428 §3: "(<d><d><d><tcp-port><d>)", d one printable ASCII character
 * (33..126), the same four times. */
int ftp_parse_229(const char *s, size_t n, uint16_t *port)
{
    if (!reply_code(s, n, "229")) return -1;
    const char *open = memchr(s, '(', n);
    if (!open) return -1;
    size_t i = (size_t)(open - s) + 1;
    if (n - i < 6) return -1;
    char d = s[i];
    if (d < 33 || d > 126 || s[i + 1] != d || s[i + 2] != d) return -1;
    i += 3;
    int v = decimal(s, n, &i, 65535);
    if (v <= 0 || i + 1 >= n || s[i] != d || s[i + 1] != ')') return -1;
    *port = (uint16_t)v;
    return 0;
}

size_t ftp_format_227(char *out, size_t size, const uint8_t ip[4], uint16_t port)
{
    int r = snprintf(out, size, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).\r\n", ip[0], ip[1],
                     ip[2], ip[3], port >> 8, port & 0xff);
    return r > 0 && (size_t)r < size ? (size_t)r : 0;
}

size_t ftp_format_229(char *out, size_t size, uint16_t port)
{
    int r = snprintf(out, size, "229 Entering Extended Passive Mode (|||%u|)\r\n", port);
    return r > 0 && (size_t)r < size ? (size_t)r : 0;
}

static bool verb_is(const char *s, size_t n, const char *verb)
{
    size_t k = strlen(verb);
    if (n < k || strncasecmp(s, verb, k) != 0) return false;
    return n == k || s[k] == ' ' || s[k] == '\r' || s[k] == '\n';
}

ftp_cmd_t ftp_command(const char *s, size_t n)
{
    if (verb_is(s, n, "AUTH")) return FTP_CMD_AUTH;
    if (verb_is(s, n, "PORT")) return FTP_CMD_PORT;
    if (verb_is(s, n, "EPRT")) return FTP_CMD_EPRT;
    return FTP_CMD_OTHER;
}
