/* meta: the bounds and checks of a client's self-description that the
 * server keeps and shows — `metadatas` (frp's string-to-string table, at
 * LOGIN for the client and in NEW_PROXY for each proxy) and `clientID`
 * (LOGIN's client_id). The client's config is held to the same bounds at
 * load time, so a burrow client never hits them; the server checks every
 * peer's input with meta_check()/meta_check_id() (pure, no logging). */
#ifndef BURROW_META_H
#define BURROW_META_H

#include <jansson.h>
#include <stddef.h>

#define META_MAX_ENTRIES 32 /* pairs in one metadatas table */
#define META_KEY_MAX 64     /* bytes of a key (at least 1) */
#define META_VALUE_MAX 256  /* bytes of a value */
#define CLIENT_ID_MAX 128   /* bytes of a clientID (at least 1) */

/* NULL (absent) or an object of at most META_MAX_ENTRIES string values
 * within the sizes above, with no control characters: 0. Else -1 and why
 * in err (a fixed phrase, no peer bytes). */
int meta_check(const json_t *v, char *err, size_t errlen);

/* A clientID: 1..CLIENT_ID_MAX printable bytes (no control characters).
 * 0 or -1 as meta_check. NULL (absent) is fine. */
int meta_check_id(const char *id, char *err, size_t errlen);

/* True when s[0..len) holds no control character (below 0x20, or 0x7f). */
int meta_text_ok(const char *s, size_t len);

/* "k=v,k2=v2" of a checked table into buf (NUL-terminated, cut at size);
 * the caller escapes it for logs. "" for NULL or an empty table. */
void meta_format(const json_t *v, char *buf, size_t size);

#endif
