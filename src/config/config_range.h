/* config_range: port ranges in client configs (pure).
 *
 * Two forms, both frp's:
 *  - number range lists, "30000-30009,30020" (parseNumberRange), used by the
 *    template below and by burrow's plain range keys (`localPort =
 *    "30000-30009"`, `remotePort = "40000-40009"`);
 *  - the Go-template block frp documents for many proxies at once:
 *
 *      {{- range $_, $v := parseNumberRangePair "30000-30009" "30000-30009" }}
 *      [[proxies]]
 *      name = "ftp-{{ $v.First }}"
 *      localPort = {{ $v.First }}
 *      remotePort = {{ $v.Second }}
 *      {{- end }}
 *
 *    (or `range $i, $v := parseNumberRange "..."` with `{{ $v }}`, `{{ $i }}`).
 *    Only this shape: the `range` and `end` actions each alone on a line,
 *    no nesting, and inside the body only the range's variables. Any other
 *    Go action ({{ if }}, {{ $x }}, ...) is an error naming it at its line.
 *    `{{ .Envs.NAME }}` is left for config_expand_env.
 *
 * Every range holds at most CONFIG_RANGE_MAX numbers. The expanded text comes
 * with a line map so that diagnostics point into the original file. */
#ifndef BURROW_CONFIG_RANGE_H
#define BURROW_CONFIG_RANGE_H

#include <stddef.h>

#define CONFIG_RANGE_MAX 1024

/* Parses a range list ("a-b,c,d-e", blanks allowed around items) of numbers
 * 1..65535 into out[0..max). Returns the count, or -1 (malformed, empty,
 * reversed range, out of 1..65535) or -2 (more than max numbers). */
int config_parse_number_range(const char *s, size_t len, int *out, int max);

/* The expanded text: `text` (NUL-terminated, malloc'd, owned) and, for each
 * of its lines, the 1-based line of the original it came from. */
typedef struct cfg_text {
    char *text;
    size_t len;
    int *line_map; /* line_map[k] = original line of output line k+1 */
    int n_lines;
} cfg_text_t;

/* Expands the range blocks of text[0..len). On success returns 0 and fills
 * *out (free with cfg_text_free). On error returns -1 with a message in
 * err[0..err_size) and the original line in *err_line; *out is left empty.
 * -2 means out of memory. */
int config_expand_ranges(const char *text, size_t len, cfg_text_t *out, char *err, size_t err_size,
                         int *err_line);

/* The original line of an expanded line (itself when unmapped). */
int cfg_text_line(const cfg_text_t *t, int line);

void cfg_text_free(cfg_text_t *t);

#endif
