/* config_suggest: "did you mean" for unknown config keys (pure).
 *
 * config_suggest() picks, among the key paths known in one scope (the
 * server's or client's top level, a proxy, a visitor ...), the one a user
 * most likely meant: first a key equal but for letter case ("serverport"
 * -> "serverPort"), then the nearest by edit distance (insertions,
 * deletions, substitutions and swaps of two adjacent letters, letter case
 * ignored) when that distance is at most CONFIG_SUGGEST_MAX_DIST and small
 * next to the word (so "foo" suggests nothing). Ties go to the first in the
 * table. */
#ifndef BURROW_CONFIG_SUGGEST_H
#define BURROW_CONFIG_SUGGEST_H

#include <stddef.h>

#define CONFIG_SUGGEST_MAX_DIST 2
#define CONFIG_SUGGEST_MAX_LEN 128 /* longer words or candidates are never compared */

/* The best of `cand[0..n)` for `word`, or NULL. Borrows everything; the
 * result is one of `cand`. */
const char *config_suggest(const char *word, const char *const *cand, size_t n);

/* Edit distance between a and b as above (optimal string alignment, case
 * ignored); CONFIG_SUGGEST_MAX_LEN + 1 when either is longer than that. */
size_t config_edit_distance(const char *a, const char *b);

#endif
