/* wol: parsing MAC addresses and SecureOn passwords, building magic packets.
 * Pure functions; see wol.h for the packet's layout. */
#include "wol/wol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int fail(const char **why, const char *text)
{
    if (why) *why = text;
    return -EINVAL;
}

/* n bytes written as hex pairs, with `sep` between pairs (0: none). */
static int parse_hex_bytes(const char *s, uint8_t *out, size_t n, char sep, const char **why)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && sep) {
            if (*s == '\0') return fail(why, "too short: expected 6 bytes");
            if (*s != sep) return fail(why, "mixed or misplaced separators");
            s++;
        }
        if (s[0] == '\0' || s[1] == '\0') return fail(why, "too short: expected 6 bytes");
        int hi = hexval(s[0]), lo = hexval(s[1]);
        if (hi < 0 || lo < 0) return fail(why, "not a hex digit");
        out[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    if (*s != '\0') return fail(why, "trailing characters after the last byte");
    return 0;
}

/* "aa:bb:..", "aa-bb-..", or 2n bare hex digits. */
static int parse_hex_form(const char *s, uint8_t *out, size_t n, const char **why)
{
    if (!s || !*s) return fail(why, "empty");
    size_t len = strlen(s);
    if (len == 2 * n) return parse_hex_bytes(s, out, n, 0, why);
    if (len < 3) return fail(why, "too short: expected 6 bytes");
    char sep = s[2];
    if (sep != ':' && sep != '-') {
        if (hexval(sep) >= 0) return fail(why, "wrong number of hex digits: expected 12");
        return fail(why, "separator must be ':' or '-'");
    }
    if (len != 3 * n - 1) return fail(why, "wrong length: expected aa:bb:cc:dd:ee:ff");
    return parse_hex_bytes(s, out, n, sep, why);
}

int wol_parse_mac(const char *s, uint8_t mac[WOL_MAC_LEN], const char **why)
{
    uint8_t tmp[WOL_MAC_LEN];
    int rc = parse_hex_form(s, tmp, WOL_MAC_LEN, why);
    if (rc < 0) return rc;
    /* A multicast/broadcast address names no NIC (IEEE 802: bit 0 of byte 0). */
    if (tmp[0] & 1) return fail(why, "a group (multicast/broadcast) address names no machine");
    memcpy(mac, tmp, sizeof tmp);
    return 0;
}

int wol_parse_password(const char *s, uint8_t pw[WOL_PW_MAX], size_t *len, const char **why)
{
    if (!s || !*s) return fail(why, "empty");
    struct in_addr a;
    if (strchr(s, '.')) {
        if (inet_pton(AF_INET, s, &a) != 1) return fail(why, "a 4-byte password is a.b.c.d");
        memcpy(pw, &a, 4);
        *len = 4;
        return 0;
    }
    if (strlen(s) == 8) {
        if (parse_hex_bytes(s, pw, 4, 0, why) < 0) return -EINVAL;
        *len = 4;
        return 0;
    }
    if (parse_hex_form(s, pw, 6, why) < 0) return -EINVAL;
    *len = 6;
    return 0;
}

size_t wol_build(const uint8_t mac[WOL_MAC_LEN], const uint8_t *pw, size_t pw_len, uint8_t *out,
                 size_t cap)
{
    if (pw_len != 0 && pw_len != 4 && pw_len != 6) return 0;
    size_t need = WOL_SYNC_LEN + WOL_MAC_REPEAT * WOL_MAC_LEN + pw_len;
    if (cap < need) return 0;
    memset(out, 0xFF, WOL_SYNC_LEN);
    for (size_t i = 0; i < WOL_MAC_REPEAT; i++)
        memcpy(out + WOL_SYNC_LEN + i * WOL_MAC_LEN, mac, WOL_MAC_LEN);
    if (pw_len) memcpy(out + need - pw_len, pw, pw_len);
    return need;
}

static int magic_at(const uint8_t *p, const uint8_t mac[WOL_MAC_LEN])
{
    for (size_t i = 0; i < WOL_SYNC_LEN; i++)
        if (p[i] != 0xFF) return 0;
    for (size_t i = 0; i < WOL_MAC_REPEAT; i++)
        if (memcmp(p + WOL_SYNC_LEN + i * WOL_MAC_LEN, mac, WOL_MAC_LEN) != 0) return 0;
    return 1;
}

int wol_is_magic_for(const uint8_t *p, size_t len, const uint8_t mac[WOL_MAC_LEN])
{
    size_t body = WOL_SYNC_LEN + WOL_MAC_REPEAT * WOL_MAC_LEN;
    for (size_t off = 0; off + body <= len; off++)
        if (magic_at(p + off, mac)) return 1;
    return 0;
}

uint32_t wol_subnet_broadcast(uint32_t addr_be, uint32_t mask_be)
{
    uint32_t mask = ntohl(mask_be);
    if (mask >= 0xFFFFFFFEu) return 0; /* /31 (RFC 3021) and /32: no broadcast */
    return htonl(ntohl(addr_be) | ~mask);
}

const char *wol_mac_str(const uint8_t mac[WOL_MAC_LEN], char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}
