/* config_shape: see config_shape.h. */
#include "config/config_shape.h"

#include <string.h>

static const struct {
    const char *suffix;
    int mult;
} units[] = {{"KB", 1024}, {"MB", 1024 * 1024}};

static const char *const modes[] = {[BW_MODE_CLIENT] = "client", [BW_MODE_SERVER] = "server"};

/* "12.5" into thousandths (12500); -1 when it is not such a number. */
static long long parse_milli(const char *s, size_t len)
{
    long long v = 0;
    size_t i = 0;
    int frac = -1; /* digits after the point; -1: none yet */
    if (len == 0) return -1;
    for (; i < len; i++) {
        char ch = s[i];
        if (ch == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (ch < '0' || ch > '9' || frac >= 3 || v > 1000000000000LL) return -1;
        v = v * 10 + (ch - '0');
        if (frac >= 0) frac++;
    }
    if (frac == 0 || (frac < 0 && len == 0)) return -1; /* "1." */
    for (int k = frac < 0 ? 0 : frac; k < 3; k++)
        v *= 10;
    return v;
}

int config_parse_bandwidth(const char *s, size_t len, int *out)
{
    if (len == 0) {
        *out = 0;
        return 0;
    }
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t sl = strlen(units[u].suffix);
        if (len <= sl || memcmp(s + len - sl, units[u].suffix, sl) != 0) continue;
        long long milli = parse_milli(s, len - sl);
        if (milli < 0) return -1;
        long long bytes = milli * units[u].mult / 1000;
        if (bytes > BANDWIDTH_LIMIT_MAX) return -1;
        if (milli > 0 && bytes == 0) bytes = 1;
        *out = (int)bytes;
        return 0;
    }
    return -1;
}

int config_parse_bw_mode(const char *s, size_t len, int *out)
{
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        if (strlen(modes[m]) == len && memcmp(modes[m], s, len) == 0) {
            *out = (int)m;
            return 0;
        }
    }
    return -1;
}

const char *config_bw_mode_name(int mode)
{
    return mode == BW_MODE_SERVER ? modes[BW_MODE_SERVER] : modes[BW_MODE_CLIENT];
}
