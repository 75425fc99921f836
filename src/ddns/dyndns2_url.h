/* dyndns2_url: a dyndns2 server URL, "https://host[:port][/path]", split
 * (pure). The path defaults to /nic/update. Only https is taken: the
 * password goes in every request. */
#ifndef BURROW_DYNDNS2_URL_H
#define BURROW_DYNDNS2_URL_H

typedef struct dyndns2_url {
    char host[256];
    char port[8];
    char path[512];
} dyndns2_url_t;

/* 0, or -1 when s is not such a URL. */
int dyndns2_url_parse(const char *s, dyndns2_url_t *out);

#endif
