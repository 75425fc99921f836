/* strbuf: a growable byte string for building text (expanded configs,
 * rewritten HTTP heads). Always NUL-terminated once anything was put. */
#ifndef BURROW_STRBUF_H
#define BURROW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
    char *p; /* owned; free() it (NULL until the first put) */
    size_t len, cap;
    bool failed; /* an allocation failed: later puts are ignored */
} strbuf_t;

/* Appends n bytes of s (n may be 0, which still allocates the terminator). */
void strbuf_put(strbuf_t *b, const char *s, size_t n);

#endif
