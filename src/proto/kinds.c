/* kinds: the table behind PROXY_KINDS (kinds.h) and lookups in it. */
#include "proto/kinds.h"

#include <stdio.h>
#include <string.h>

#define KINDS_ENTRY_(id, name_, flags_, sym) [PROXY_##id] = {.name = name_, .flags = (flags_)},
static const kind_info_t kinds[PROXY_KIND_COUNT] = {PROXY_KINDS(KINDS_ENTRY_)};
#undef KINDS_ENTRY_

const kind_info_t *kind_info(proxy_kind_t k)
{
    return (unsigned)k < PROXY_KIND_COUNT ? &kinds[k] : NULL;
}

const char *kind_name(proxy_kind_t k)
{
    const kind_info_t *ki = kind_info(k);
    return ki ? ki->name : "?";
}

bool kind_has(proxy_kind_t k, unsigned flags)
{
    const kind_info_t *ki = kind_info(k);
    return ki && (ki->flags & flags) == flags;
}

int kind_find(const char *name)
{
    for (int k = 0; name && k < PROXY_KIND_COUNT; k++)
        if (strcmp(kinds[k].name, name) == 0) return k;
    return -1;
}

char *kind_list(unsigned flags, const char *conj, char *buf, size_t size)
{
    int n = 0, total = 0;
    for (int k = 0; k < PROXY_KIND_COUNT; k++)
        total += (kinds[k].flags & flags) == flags;
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < PROXY_KIND_COUNT && used < size; k++) {
        if ((kinds[k].flags & flags) != flags) continue;
        const char *sep = n == 0 ? "" : n == total - 1 ? " " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s%s%s", sep, n && n == total - 1 ? conj : "",
                         n && n == total - 1 ? " " : "", kinds[k].name);
        if (w < 0) break;
        used += (size_t)w;
        n++;
    }
    return buf;
}
