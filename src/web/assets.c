/* assets: lookup in the generated table (assets.h), and serving an asset. */
#include "web/assets.h"

#include <string.h>

#include "web/httpd.h"

const web_asset_t *web_asset_find(const char *path)
{
    for (const web_asset_t *a = web_assets; a->path; a++)
        if (strcmp(a->path, path) == 0) return a;
    return NULL;
}

void web_asset_serve(httpd_resp_t *r, const char *path)
{
    const web_asset_t *a = web_asset_find(path);
    if (!a) {
        httpd_resp_error(r, 404, "not found");
        return;
    }
    httpd_resp_static(r, 200, a->ctype, a->data, a->len);
}
