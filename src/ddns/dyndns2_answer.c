/* dyndns2_answer: the dyndns2 return codes, by table (dyndns2_answer.h). */
#include "ddns/dyndns2_answer.h"

#include <string.h>
#include <strings.h>

typedef struct code_row {
    const char *word;
    dyndns2_code_t code;
    ddns_next_t next;
} code_row_t;

/* The codes of the dyndns2 protocol. badauth/nohost/notfqdn/numhost/badagent
 * and abuse are the user's (or the provider's) to fix: retrying would only
 * get the account blocked, so the updater stops until the config changes.
 * 911 and dnserr are the provider's trouble: a long pause. */
// clang-format off
static const code_row_t codes[] = {
    {"good", DYNDNS2_GOOD, DDNS_NEXT_DONE},
    {"nochg", DYNDNS2_NOCHG, DDNS_NEXT_DONE},
    {"badauth", DYNDNS2_BADAUTH, DDNS_NEXT_STOP},
    {"nohost", DYNDNS2_NOHOST, DDNS_NEXT_STOP},
    {"notfqdn", DYNDNS2_NOTFQDN, DDNS_NEXT_STOP},
    {"abuse", DYNDNS2_ABUSE, DDNS_NEXT_STOP},
    {"911", DYNDNS2_911, DDNS_NEXT_BACKOFF},
    {"dnserr", DYNDNS2_DNSERR, DDNS_NEXT_BACKOFF},
    {"badagent", DYNDNS2_BADAGENT, DDNS_NEXT_STOP},
    {"numhost", DYNDNS2_NUMHOST, DDNS_NEXT_STOP},
};
// clang-format on

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int dyndns2_answer_parse(const char *body, size_t len, dyndns2_answer_t *out)
{
    out->code = DYNDNS2_UNKNOWN;
    out->next = DDNS_NEXT_RETRY;
    out->word = "unknown";
    if (len > DYNDNS2_ANSWER_MAX) len = DYNDNS2_ANSWER_MAX;
    size_t i = 0;
    while (i < len && is_space(body[i]))
        i++;
    size_t start = i;
    while (i < len && !is_space(body[i]))
        i++;
    size_t wlen = i - start;
    for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
        if (strlen(codes[k].word) != wlen || memcmp(codes[k].word, body + start, wlen) != 0)
            continue;
        out->code = codes[k].code;
        out->next = codes[k].next;
        out->word = codes[k].word;
        return 0;
    }
    return -1;
}

/* "HTTP/1.x NNN": the status, else 0. */
static int status_of(const char *buf, size_t len)
{
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ') return 0;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9') return 0;
        st = st * 10 + (buf[i] - '0');
    }
    return st;
}

ddns_next_t dyndns2_http_judge(const char *buf, size_t len, int *status, dyndns2_answer_t *out,
                               size_t *line_off, size_t *line_len)
{
    *status = status_of(buf, len);
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    size_t off = end ? (size_t)(end - buf) + 4 : len;
    const char *body = buf + off;
    size_t blen = len - off, n = 0;
    while (n < blen && n < DYNDNS2_ANSWER_MAX && body[n] != '\r' && body[n] != '\n')
        n++;
    *line_off = off;
    *line_len = n;
    int known = dyndns2_answer_parse(body, blen, out);
    if (known < 0 && *status == 401) return DDNS_NEXT_STOP;
    return out->next;
}
