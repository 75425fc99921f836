/* config_suggest: the nearest known key to an unknown one (see the header).
 * Key tables hold a few dozen short paths, so a quadratic distance per
 * candidate is cheap; it runs only for keys that are already wrong. */
#include "config/config_suggest.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int lower(char ch)
{
    return tolower((unsigned char)ch);
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t config_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > CONFIG_SUGGEST_MAX_LEN || lb > CONFIG_SUGGEST_MAX_LEN)
        return CONFIG_SUGGEST_MAX_LEN + 1;
    /* Three rows of the (la+1) x (lb+1) table: i-2, i-1 and i. */
    size_t rows[3][CONFIG_SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i - 2) % 3];
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower(a[i - 1]) != lower(b[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1; /* two adjacent letters swapped */
        }
    }
    return rows[la % 3][lb];
}

const char *config_suggest(const char *word, const char *const *cand, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cand[i] && strcasecmp(word, cand[i]) == 0) return cand[i];
    const char *best = NULL;
    size_t best_d = CONFIG_SUGGEST_MAX_DIST + 1, len = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (!cand[i]) continue;
        size_t d = config_edit_distance(word, cand[i]);
        /* 3*d <= len: two edits in a 4-letter word is another word. */
        if (d < best_d && 3 * d <= len) {
            best = cand[i];
            best_d = d;
        }
    }
    return best;
}
