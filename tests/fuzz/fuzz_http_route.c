/* fuzz_http_route: the vhost routing table through http_route.h only (its
 * inside is being replaced by a hash index; this target must hold for
 * both). The input is a script of records (op, u16 length, argument):
 *   0 ADD     target = arg[0] % TARGETS, then "domain\0location"
 *   1 REMOVE  every route of target arg[0] % TARGETS
 *   2 FIND    "host\0path" (no NUL: path NULL)
 *   3 FIRST   the first route whose target is arg[0] % TARGETS
 * Checked: an exact domain just added is found at its location (by that
 * target, or by the one that already held it); a removed target is never
 * found again; a conflict names a live target; the count of adds is
 * bounded (ROUTE_OPS_MAX) so a replay stays fast. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"
#include "http/http_route.h"

#define TARGETS 8
#define ROUTE_OPS_MAX 512
#define ARG_MAX 600

static int targets[TARGETS];
static bool live[TARGETS];

static bool pick(void *target, void *arg)
{
    return target == arg;
}

static int index_of(const void *t)
{
    for (int i = 0; i < TARGETS; i++)
        if (t == &targets[i]) return i;
    return -1;
}

/* Splits the argument into two NUL-terminated strings; b is NULL when the
 * argument holds no NUL. */
static void split(const uint8_t *p, size_t n, char *a, const char **b)
{
    memcpy(a, p, n);
    a[n] = '\0';
    size_t al = strlen(a);
    *b = al < n ? a + al + 1 : NULL;
}

static void add(http_routes_t *t, const uint8_t *p, size_t n)
{
    if (n < 1) return;
    int id = p[0] % TARGETS;
    char buf[ARG_MAX + 1];
    const char *loc;
    split(p + 1, n - 1, buf, &loc);
    void *owner = NULL;
    int r = http_routes_add(t, buf, loc ? loc : "", &targets[id], &owner);
    require(r == 0 || r == -EEXIST || r == -EINVAL || r == -ENOMEM);
    if (r == -EEXIST) require(index_of(owner) >= 0 && live[index_of(owner)]);
    if (r == 0) live[id] = true;
    if (r != 0 && r != -EEXIST) return;
    if (buf[0] == '*' || !loc || !loc[0] || loc[0] != '/') return;
    void *got = http_routes_find(t, buf, loc);
    require(got != NULL && live[index_of(got)]);
}

static void run(http_routes_t *t, uint8_t op, const uint8_t *p, size_t n)
{
    char buf[ARG_MAX + 1];
    const char *path;
    switch (op % 4) {
    case 0:
        add(t, p, n);
        break;
    case 1:
        if (n < 1) break;
        http_routes_remove(t, &targets[p[0] % TARGETS]);
        live[p[0] % TARGETS] = false;
        break;
    case 2: {
        split(p, n, buf, &path);
        void *got = http_routes_find(t, buf, path);
        require(!got || live[index_of(got)]);
        break;
    }
    case 3:
        if (n < 1) break;
        void *got = http_routes_first(t, pick, &targets[p[0] % TARGETS]);
        require(!got || (got == &targets[p[0] % TARGETS] && live[p[0] % TARGETS]));
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_routes_t t = {0};
    memset(live, 0, sizeof live);
    size_t off = 0;
    for (int ops = 0; ops < ROUTE_OPS_MAX && off < size; ops++) {
        uint8_t op = data[off];
        size_t want = off + 3 <= size ? (size_t)data[off + 1] << 8 | data[off + 2] : 0;
        size_t hdr = off + 3 <= size ? 3 : size - off;
        size_t n = size - off - hdr;
        if (want < n) n = want;
        if (n > ARG_MAX) n = ARG_MAX;
        run(&t, op, data + off + hdr, n);
        off += hdr + (want < size - off - hdr ? want : size - off - hdr);
    }
    http_routes_free(&t);
    return 0;
}
