/* assets: the dashboard's files (web/ in the repository), compiled into the
 * binary by cmake/embed_assets.cmake at build time. Read-only, static. */
#ifndef BURROW_WEB_ASSETS_H
#define BURROW_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *path;  /* "/dashboard.html" */
    const char *ctype; /* its Content-Type */
    const unsigned char *data;
    size_t len;
} web_asset_t;

/* Ends with an entry whose path is NULL. */
extern const web_asset_t web_assets[];

/* The asset at path ("/dashboard.js"), or NULL. */
const web_asset_t *web_asset_find(const char *path);

struct httpd_resp;
/* Answers with the asset at path (200, its Content-Type), or 404. */
void web_asset_serve(struct httpd_resp *r, const char *path);

#endif
