/* ftp_rewrite: the FTP control connection as lines, and the lines burrow
 * rewrites (pure: no sockets, no logging).
 *
 * A tcp proxy with `ftp = true` reads its control connection through this:
 * the server's passive answers (RFC 959 §4.2 `227 Entering Passive Mode
 * (h1,h2,h3,h4,p1,p2)`, RFC 2428 §3 `229 Entering Extended Passive Mode
 * (|||port|)`) name the LAN address of the FTP server; burrow replaces them
 * with the burrow server's public address and a data port it opened for the
 * session. Commands: AUTH (RFC 4217) ends rewriting, since the rest is TLS;
 * PORT/EPRT (active mode) are parsed, and written again naming burrow's
 * listener on the LAN side. Lines are bounded by FTP_LINE_MAX; a longer one is
 * passed on in pieces and never rewritten. */
#ifndef BURROW_FTP_REWRITE_H
#define BURROW_FTP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FTP_LINE_MAX 512 /* vsftpd's and ProFTPD's replies and commands are far shorter */

/* One direction's line assembler. */
typedef struct ftp_lines {
    char buf[FTP_LINE_MAX];
    size_t len;
    bool whole;    /* buf holds a complete line (ending in '\n') */
    bool overlong; /* the current line outgrew buf: pieces until its '\n' */
} ftp_lines_t;

/* Takes bytes of p[0..n) into l until a line ends or buf is full; returns
 * the count taken. When l->len == FTP_LINE_MAX or the line ended (l->whole),
 * the caller takes buf[0..len) (ftp_lines_reset after). A piece of an
 * overlong line has whole == false and l->overlong set. */
size_t ftp_lines_take(ftp_lines_t *l, const uint8_t *p, size_t n);
bool ftp_lines_ready(const ftp_lines_t *l);
void ftp_lines_reset(ftp_lines_t *l);

/* `227 ... h1,h2,h3,h4,p1,p2 ...`: 0 and the address, or -1. */
int ftp_parse_227(const char *s, size_t n, uint8_t ip[4], uint16_t *port);
/* `229 ... (<d><d><d>port<d>)`: 0 and the port, or -1. */
int ftp_parse_229(const char *s, size_t n, uint16_t *port);

/* The replacement lines (with CRLF) into out; their length, or 0 if size
 * is too small. */
size_t ftp_format_227(char *out, size_t size, const uint8_t ip[4], uint16_t port);
size_t ftp_format_229(char *out, size_t size, uint16_t port);

typedef enum {
    FTP_CMD_OTHER,
    FTP_CMD_AUTH, /* AUTH TLS / AUTH SSL / any AUTH: what follows is TLS */
    FTP_CMD_PORT, /* PORT h1,...,p2 (active mode) */
    FTP_CMD_EPRT, /* EPRT |1|addr|port| (active mode) */
} ftp_cmd_t;

/* Classifies a command line by its verb (case-insensitive, RFC 959 §5.3). */
ftp_cmd_t ftp_command(const char *s, size_t n);

/* Active mode: the address a PORT or EPRT command names. */
typedef struct ftp_hostport {
    int af;        /* 1: IPv4, 2: IPv6 (RFC 2428's numbers) */
    char addr[46]; /* text, as INET6_ADDRSTRLEN; checked by the caller */
    uint16_t port; /* nonzero */
} ftp_hostport_t;

/* `PORT h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2): 0 and the address, or -1. */
int ftp_parse_port(const char *s, size_t n, ftp_hostport_t *out);
/* `EPRT <d>af<d>addr<d>port<d>` (RFC 2428 §2): 0 and the address, or -1
 * (af other than 1 or 2, an address of the wrong shape, port 0). */
int ftp_parse_eprt(const char *s, size_t n, ftp_hostport_t *out);
/* The command naming hp (with CRLF): PORT for IPv4 unless eprt, EPRT
 * otherwise. Its length, or 0 if size is too small. */
size_t ftp_format_active(char *out, size_t size, const ftp_hostport_t *hp, bool eprt);

#endif
