/* dyndns2_answer: the body of a dyndns2 update answer ("good 1.2.3.4",
 * "nochg", "badauth", ...) read into a code and what the updater does next.
 * Pure: no sockets, no logging. The protocol: the DynDNS "Remote Access
 * API" as No-IP, Dyn and Oray's 花生壳 speak it; the first word of the first
 * line is the code, anything after it (the address) is informational. */
#ifndef BURROW_DYNDNS2_ANSWER_H
#define BURROW_DYNDNS2_ANSWER_H

#include <stddef.h>

/* Bytes of the answer read at most (an answer is one short line per host). */
#define DYNDNS2_ANSWER_MAX 512

/* What the updater does after an answer. */
typedef enum {
    DDNS_NEXT_DONE,    /* published (good, nochg): remember the address */
    DDNS_NEXT_RETRY,   /* a transient failure: retry with the usual backoff */
    DDNS_NEXT_BACKOFF, /* the provider asks for a long pause (911, dnserr) */
    DDNS_NEXT_STOP,    /* the config is wrong (badauth, nohost, ...): stop until it changes */
} ddns_next_t;

typedef enum {
    DYNDNS2_GOOD,
    DYNDNS2_NOCHG,
    DYNDNS2_BADAUTH,
    DYNDNS2_NOHOST,
    DYNDNS2_NOTFQDN,
    DYNDNS2_ABUSE,
    DYNDNS2_911,
    DYNDNS2_DNSERR,
    DYNDNS2_BADAGENT,
    DYNDNS2_NUMHOST,
    DYNDNS2_UNKNOWN, /* empty, garbage or an unknown word */
} dyndns2_code_t;

typedef struct dyndns2_answer {
    dyndns2_code_t code;
    ddns_next_t next;
    const char *word; /* the code's name ("good", ...; "unknown") */
} dyndns2_answer_t;

/* Reads the first line of `body` (len bytes, not NUL-terminated; at most
 * DYNDNS2_ANSWER_MAX looked at). Always fills *out; returns 0 for a known
 * code, -1 for DYNDNS2_UNKNOWN. */
int dyndns2_answer_parse(const char *body, size_t len, dyndns2_answer_t *out);

/* A whole HTTP/1.x answer as read from the provider (len bytes, not
 * NUL-terminated): the status code in *status (0 without a status line),
 * the body's first line read into *out, and the offset and length of that
 * line (for the log) in *line_off / *line_len. Returns what to do next: the
 * body's code decides; an unknown body under 401 is a bad login (stop). */
ddns_next_t dyndns2_http_judge(const char *buf, size_t len, int *status, dyndns2_answer_t *out,
                               size_t *line_off, size_t *line_len);

#endif
