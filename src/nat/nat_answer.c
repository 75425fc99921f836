/* nat_answer: the few checks between stun_parse and the probe. */
#include "nat/nat_answer.h"

#include <string.h>

static bool usable(const struct sockaddr_storage *ss, int family)
{
    return ss->ss_family == family;
}

int nat_answer_parse(const uint8_t *p, size_t n, int family, nat_answer_t *a)
{
    stun_msg_t m;
    memset(a, 0, sizeof *a);
    if (stun_parse(p, n, &m) < 0 || m.classic || m.method != STUN_METHOD_BINDING)
        return NAT_ANSWER_GARBAGE;
    memcpy(a->tid, m.id + 4, STUN_TID_LEN); /* after the cookie */
    switch (m.cls) {
    case STUN_CLASS_REQUEST:
        a->kind = NAT_ANSWER_REQUEST;
        return 0;
    case STUN_CLASS_ERROR:
        if (!(m.has & STUN_HAS_ERROR)) return NAT_ANSWER_GARBAGE;
        a->kind = NAT_ANSWER_ERROR;
        a->error_code = m.error_code;
        return 0;
    case STUN_CLASS_SUCCESS:
        break;
    default:
        return NAT_ANSWER_GARBAGE; /* an indication answers nothing */
    }
    /* RFC 8489 §14.2: XOR-MAPPED-ADDRESS; RFC 5780 servers may still send
     * the plain MAPPED-ADDRESS too, which NAT ALGs like to rewrite. */
    if ((m.has & STUN_HAS_XOR_MAPPED) && usable(&m.xor_mapped, family))
        a->mapped = m.xor_mapped;
    else if ((m.has & STUN_HAS_MAPPED) && usable(&m.mapped, family))
        a->mapped = m.mapped;
    else
        return NAT_ANSWER_GARBAGE;
    a->kind = NAT_ANSWER_SUCCESS;
    if ((m.has & STUN_HAS_OTHER) && usable(&m.other, family)) {
        a->has_other = true;
        a->other = m.other;
    }
    return 0;
}
