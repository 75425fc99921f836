/* cand: see cand.h. Names come from tables indexed by the enums. */
#include "p2p/cand.h"

#include <netinet/in.h>
#include <string.h>

#include "net/addr.h"

static const char *const type_names[CAND_TYPE_COUNT] = {"host", "srflx", "mapped"};
static const char *const nat_names[CAND_NAT_COUNT] = {"unknown", "open", "easy", "hard"};

const char *cand_type_name(cand_type_t t)
{
    return (unsigned)t < CAND_TYPE_COUNT ? type_names[t] : "?";
}

const char *cand_nat_name(cand_nat_t n)
{
    return (unsigned)n < CAND_NAT_COUNT ? nat_names[n] : "?";
}

static size_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET    ? sizeof(struct sockaddr_in)
           : sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : 0;
}

int cand_add(cand_set_t *s, cand_type_t t, const struct sockaddr *sa)
{
    size_t len = sa_len(sa);
    if (!len || (unsigned)t >= CAND_TYPE_COUNT) return -1;
    for (int i = 0; i < s->n; i++)
        if (memcmp(&s->c[i].addr, sa, len) == 0) return 0;
    if (s->n >= CAND_MAX) return -1;
    memset(&s->c[s->n], 0, sizeof s->c[s->n]);
    s->c[s->n].type = t;
    memcpy(&s->c[s->n].addr, sa, len);
    s->n++;
    return 1;
}

const cand_t *cand_find(const cand_set_t *s, cand_type_t t)
{
    for (int i = 0; i < s->n; i++)
        if (s->c[i].type == t) return &s->c[i];
    return NULL;
}

int cand_to_json(const cand_set_t *s, json_t *obj)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < s->n; i++) {
        char a[ADDR_STRLEN], text[CAND_TEXT_MAX + 8];
        addr_format((const struct sockaddr *)&s->c[i].addr, a, sizeof a);
        snprintf(text, sizeof text, "%s %s", cand_type_name(s->c[i].type), a);
        if (json_array_append_new(arr, json_string(text)) != 0) {
            json_decref(arr);
            return -1;
        }
    }
    if (!arr || json_object_set_new(obj, "cands", arr) != 0) return -1;
    if (s->tcp_port > 0 && json_object_set_new(obj, "tcp", json_integer(s->tcp_port)) != 0)
        return -1;
    return json_object_set_new(obj, "nat", json_string(cand_nat_name(s->nat))) == 0 ? 0 : -1;
}

/* Index of `word` (len bytes) in names[0..n), or -1. */
static int lookup(const char *const *names, int n, const char *word, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0) return i;
    return -1;
}

/* One "type addr" entry. */
static int parse_one(const char *text, cand_set_t *out)
{
    size_t len = strlen(text);
    const char *sp = memchr(text, ' ', len);
    if (len > CAND_TEXT_MAX || !sp) return -1;
    int t = lookup(type_names, CAND_TYPE_COUNT, text, (size_t)(sp - text));
    struct sockaddr_storage ss;
    if (t < 0 || addr_parse_text(sp + 1, &ss) != 0) return -1;
    if (addr_port((const struct sockaddr *)&ss) <= 0) return -1;
    return cand_add(out, (cand_type_t)t, (const struct sockaddr *)&ss) < 0 ? -1 : 0;
}

int cand_from_json(const json_t *obj, cand_set_t *out)
{
    memset(out, 0, sizeof *out);
    const json_t *arr = json_object_get(obj, "cands");
    const char *nat = json_string_value(json_object_get(obj, "nat"));
    int nt = nat ? lookup(nat_names, CAND_NAT_COUNT, nat, strlen(nat)) : -1;
    const json_t *tcp = json_object_get(obj, "tcp");
    if (!json_is_array(arr) || json_array_size(arr) > CAND_MAX || nt < 0) return -1;
    if (tcp &&
        (!json_is_integer(tcp) || json_integer_value(tcp) < 1 || json_integer_value(tcp) > 65535))
        return -1;
    out->nat = (cand_nat_t)nt;
    out->tcp_port = tcp ? (int)json_integer_value(tcp) : 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *text = json_string_value(json_array_get(arr, i));
        if (!text || parse_one(text, out) != 0) {
            memset(out, 0, sizeof *out);
            return -1;
        }
    }
    return 0;
}
