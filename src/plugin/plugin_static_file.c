/* plugin_static_file: frp's `static_file` plugin. The proxy serves files
 * under `localPath` over HTTP/1.1 itself (plugin/sfile.h): directory
 * listings, Range requests, Basic auth with `httpUser`/`httpPassword`, and
 * `stripPrefix` (the URL path "/<stripPrefix>/..." maps to localPath). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/plugin.h"
#include "plugin/sfile.h"
#include "util/log.h"

static const plugin_key_t sf_keys[] = {
    {"localPath", PK_STR, PK_REQUIRED | PK_NONEMPTY, 0, 0},
    {"stripPrefix", PK_STR, 0, 0, 0},
    {"httpUser", PK_STR, 0, 0, 0},
    {"httpPassword", PK_STR, 0, 0, 0},
    {NULL, PK_STR, 0, 0, 0},
};

/* A missing localPath is only a warning at load: it may appear later (a
 * mount), and until then every request is 404. */
static int sf_check(const plugin_cfg_t *cfg, char *why, size_t why_len)
{
    const char *p = plugin_param(cfg, "localPath");
    struct stat st;
    if (p && stat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(why, why_len, "localPath '%s' is not a directory", p);
        return -1;
    }
    return 0;
}

static int sf_create(const plugin_cfg_t *cfg, void **state, char *why, size_t why_len)
{
    const char *path = plugin_param(cfg, "localPath");
    struct stat st;
    if (stat(path, &st) != 0)
        LOG_W("static_file localPath not found (404 until it exists) path=%s", LOG_ESC(path));
    *state = sfile_new(path, plugin_param(cfg, "stripPrefix"), plugin_param(cfg, "httpUser"),
                       plugin_param(cfg, "httpPassword"));
    if (*state) return 0;
    snprintf(why, why_len, "out of memory");
    return -1;
}

static void sf_destroy(void *state)
{
    sfile_drop(state);
}

static void sf_serve(const plugin_start_t *st, conn_t *c, const uint8_t *early, size_t n)
{
    sfile_serve(plugin_inst_state(st->inst), st, c, early, n);
}

const plugin_ops_t plugin_static_file_ops = {
    .name = "static_file",
    .keys = sf_keys,
    .check = sf_check,
    .create = sf_create,
    .destroy = sf_destroy,
    .serve = sf_serve,
};
