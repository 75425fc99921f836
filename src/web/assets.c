/* assets: lookup in the generated table (assets.h). */
#include "web/assets.h"

#include <string.h>

const web_asset_t *web_asset_find(const char *path)
{
    for (const web_asset_t *a = web_assets; a->path; a++)
        if (strcmp(a->path, path) == 0) return a;
    return NULL;
}
