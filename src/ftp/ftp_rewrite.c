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

/* Skips the verb and the spaces after it; false when none follow. */
static bool after_verb(const char *s, size_t n, size_t *i)
{
    *i = 4;
    if (n <= 4 || s[4] != ' ') return false;
    while (*i < n && s[*i] == ' ')
        (*i)++;
    return *i < n;
}

static bool line_end(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i == n;
}

int ftp_parse_port(const char *s, size_t n, ftp_hostport_t *out)
{
    size_t i;
    if (ftp_command(s, n) != FTP_CMD_PORT || !after_verb(s, n, &i)) return -1;
    int v[6];
    for (int k = 0; k < 6; k++) {
        v[k] = decimal(s, n, &i, 255);
        if (v[k] < 0) return -1;
        if (k < 5 && (i >= n || s[i++] != ',')) return -1;
    }
    if (!line_end(s, n, i)) return -1;
    out->af = 1;
    snprintf(out->addr, sizeof out->addr, "%d.%d.%d.%d", v[0], v[1], v[2], v[3]);
    out->port = (uint16_t)(v[4] * 256 + v[5]);
    return out->port ? 0 : -1;
}

/* The EPRT address field: IPv4 dotted decimal or IPv6 hex, colons and dots
 * (an IPv4-mapped tail); the caller parses it fully (inet_pton). */
static bool addr_char(char ch, int af)
{
    if (ch >= '0' && ch <= '9') return true;
    if (ch == '.') return true;
    return af == 2 && (ch == ':' || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'));
}

int ftp_parse_eprt(const char *s, size_t n, ftp_hostport_t *out)
{
    size_t i;
    if (ftp_command(s, n) != FTP_CMD_EPRT || !after_verb(s, n, &i)) return -1;
    char d = s[i++];
    if (d < 33 || d > 126 || addr_char(d, 2)) return -1;
    int af = decimal(s, n, &i, 2);
    if (af < 1 || i >= n || s[i++] != d) return -1;
    size_t a = i;
    while (i < n && i - a < sizeof out->addr - 1 && addr_char(s[i], af))
        i++;
    if (i == a || i >= n || s[i] != d) return -1;
    memcpy(out->addr, s + a, i - a);
    out->addr[i - a] = '\0';
    i++;
    int port = decimal(s, n, &i, 65535);
    if (port <= 0 || i >= n || s[i++] != d || !line_end(s, n, i)) return -1;
    out->af = af;
    out->port = (uint16_t)port;
    return 0;
}

size_t ftp_format_active(char *out, size_t size, const ftp_hostport_t *hp, bool eprt)
{
    int r;
    unsigned a[4];
    if (hp->af == 1 && !eprt &&
        sscanf(hp->addr, "%3u.%3u.%3u.%3u", &a[0], &a[1], &a[2], &a[3]) == 4)
        r = snprintf(out, size, "PORT %u,%u,%u,%u,%u,%u\r\n", a[0], a[1], a[2], a[3], hp->port >> 8,
                     hp->port & 0xff);
    else
        r = snprintf(out, size, "EPRT |%d|%s|%u|\r\n", hp->af, hp->addr, hp->port);
    return r > 0 && (size_t)r < size ? (size_t)r : 0;
}
