/* fuzz_plugin_static: the static_file plugin's request handling without
 * sockets (plugin/sfile_sess.h) against a small tree made once in /tmp (a
 * file, a directory with an index, one to list, a symlink leading out, a
 * FIFO): requests fed in chunks whose size the first byte picks, with or
 * without auth and stripPrefix, a writer that sometimes says "full" so the
 * pump and the pipelined rest run; then the pure pieces directly (the
 * target → path mapping and Range against the file's size). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/sfile_path.h"
#include "plugin/sfile_sess.h"
#include "util/log.h"

static char g_root[64];
static size_t g_written;
static unsigned g_full_every;

static bool sink(void *ctx, const void *p, size_t n)
{
    (void)ctx, (void)p;
    g_written += n;
    return g_full_every == 0 || (g_written % g_full_every) != 0;
}

static void put(const char *rel, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", g_root, rel);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_root);
}

static void make_tree(void)
{
    char p[128];
    snprintf(g_root, sizeof g_root, "/tmp/burrow-fuzz-sfile-XXXXXX");
    if (!mkdtemp(g_root)) abort();
    put("a.txt", "0123456789abcdef");
    snprintf(p, sizeof p, "%s/d", g_root);
    mkdir(p, 0755);
    put("d/index.html", "<p>x</p>");
    snprintf(p, sizeof p, "%s/l", g_root);
    mkdir(p, 0755);
    put("l/x<y>.css", "b{}");
    put("l/z z", "");
    snprintf(p, sizeof p, "%s/out", g_root);
    if (symlink("/etc", p) != 0) abort();
    snprintf(p, sizeof p, "%s/fifo", g_root);
    mkfifo(p, 0600);
    atexit(remove_tree);
}

static void pure_parts(const uint8_t *data, size_t size)
{
    char text[512], out[256];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    bool slash;
    sfile_path_resolve(text, "p", out, sizeof out, &slash);
    uint64_t start, len;
    if (sfile_range_parse(text, 16, &start, &len) == SFILE_RANGE_OK && start + len > 16) abort();
    sfile_mime(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        log_set_level(LOG_ERROR);
        make_tree();
        ready = true;
    }
    if (size < 2) return 0;
    size_t chunk = (data[0] & 0x3f) + 1;
    bool auth = data[0] & 0x40;
    g_full_every = data[0] & 0x80 ? (data[1] | 1u) : 0;
    data += 2;
    size -= 2;
    sfile_site_t site;
    if (sfile_site_init(&site, g_root, auth ? "p" : NULL, auth ? "u" : NULL, "pw") != 0) return 0;
    sfile_sess_t s;
    sfile_sess_init(&s, &site, sink, NULL, "192.0.2.1:1");
    size_t off = 0;
    int stalls = 0;
    while (off < size && !sfile_sess_done(&s) && stalls < 64) {
        size_t n = size - off < chunk ? size - off : chunk;
        size_t used = sfile_sess_feed(&s, data + off, n);
        if (used == 0) {
            stalls++;
            sfile_sess_pump(&s); /* as a drain would */
        }
        off += used;
    }
    for (int i = 0; i < 64 && sfile_sess_busy(&s); i++)
        sfile_sess_pump(&s);
    sfile_sess_free(&s);
    sfile_site_free(&site);
    pure_parts(data, size);
    return 0;
}
