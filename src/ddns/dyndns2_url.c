/* dyndns2_url: splitting the dyndns2 server URL (dyndns2_url.h). */
#include "ddns/dyndns2_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int safe_path(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return 0;
    return 1;
}

int dyndns2_url_parse(const char *s, dyndns2_url_t *out)
{
    if (!s || strncasecmp(s, "https://", 8) != 0) return -1;
    s += 8;
    size_t hlen = strcspn(s, "/");
    const char *path = s[hlen] ? s + hlen : "/nic/update";
    const char *colon = memchr(s, ':', hlen);
    size_t name_len = colon ? (size_t)(colon - s) : hlen;
    if (name_len == 0 || name_len >= sizeof out->host) return -1;
    memcpy(out->host, s, name_len);
    out->host[name_len] = '\0';
    snprintf(out->port, sizeof out->port, "443");
    if (colon) {
        size_t plen = hlen - name_len - 1;
        char *end;
        char tmp[8];
        if (plen == 0 || plen >= sizeof tmp) return -1;
        memcpy(tmp, colon + 1, plen);
        tmp[plen] = '\0';
        long port = strtol(tmp, &end, 10);
        if (*end || port < 1 || port > 65535) return -1;
        snprintf(out->port, sizeof out->port, "%ld", port);
    }
    if (strlen(path) >= sizeof out->path || !safe_path(path) || !safe_path(out->host)) return -1;
    snprintf(out->path, sizeof out->path, "%s", strcmp(path, "/") == 0 ? "/nic/update" : path);
    return 0;
}
