/* meta: metadatas and clientID bounds (see the header). */
#include "proto/meta.h"

#include <stdio.h>
#include <string.h>

int meta_text_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) return 0;
    }
    return 1;
}

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -1;
}

int meta_check(const json_t *v, char *err, size_t errlen)
{
    if (!v) return 0;
    if (!json_is_object(v)) return fail(err, errlen, "metadatas is not an object");
    if (json_object_size(v) > META_MAX_ENTRIES)
        return fail(err, errlen, "metadatas has more than 32 entries");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        size_t kl = strlen(k);
        if (kl == 0 || kl > META_KEY_MAX || !meta_text_ok(k, kl))
            return fail(err, errlen, "a metadatas key is empty, over 64 bytes or not text");
        if (!json_is_string(x)) return fail(err, errlen, "a metadatas value is not a string");
        size_t vl = json_string_length(x);
        if (vl > META_VALUE_MAX || !meta_text_ok(json_string_value(x), vl))
            return fail(err, errlen, "a metadatas value is over 256 bytes or not text");
    }
    return 0;
}

int meta_check_id(const char *id, char *err, size_t errlen)
{
    if (!id) return 0;
    size_t n = strlen(id);
    if (n == 0 || n > CLIENT_ID_MAX || !meta_text_ok(id, n))
        return fail(err, errlen, "client_id is empty, over 128 bytes or not text");
    return 0;
}

void meta_format(const json_t *v, char *buf, size_t size)
{
    size_t o = 0;
    const char *k;
    json_t *x;
    if (size) buf[0] = '\0';
    if (!json_is_object(v)) return;
    json_object_foreach((json_t *)v, k, x)
    {
        if (o >= size) break;
        int n = snprintf(buf + o, size - o, "%s%s=%s", o ? "," : "", k,
                         json_is_string(x) ? json_string_value(x) : "");
        if (n < 0) break;
        o += (size_t)n;
    }
}
