/* fuzz_nat_answer: any datagram read as an answer to a discovery request
 * (nat/nat_answer.h), then taken as test I's answer through the verdict and
 * both renderings. Input: one byte choosing the server's family (bit 0:
 * IPv6), then the datagram. An accepted success has a mapped address of the
 * asked family, OTHER-ADDRESS only of that family; the reports never fail. */
#include <stdlib.h>
#include <string.h>

#include "nat/nat_answer.h"
#include "nat/nat_report.h"

static void report(const nat_answer_t *a, int family)
{
    static nat_report_t r;
    memset(&r, 0, sizeof r);
    nat_obs_init(&r.obs);
    r.server.ss_family = (sa_family_t)family;
    r.obs.local.ss_family = (sa_family_t)family;
    r.obs.t1 = NAT_ANS_OK;
    r.obs.mapped1 = a->mapped;
    r.obs.has_other = a->has_other;
    r.obs.other = a->other;
    r.obs.t2 = r.obs.t3 = NAT_ANS_OK;
    r.obs.mapped2 = r.obs.mapped3 = a->other;
    r.obs.f_both = NAT_ANS_TIMEOUT;
    r.obs.f_port = NAT_ANS_OK;
    nat_classify(&r.obs, &r.verdict);
    char *j = nat_report_json(&r);
    if (!j) abort();
    free(j);
    FILE *f = fopen("/dev/null", "w");
    if (f) {
        nat_report_print(&r, f);
        fclose(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int family = (data[0] & 1) ? AF_INET6 : AF_INET;
    nat_answer_t a;
    if (nat_answer_parse(data + 1, size - 1, family, &a) != 0) return 0;
    if (a.kind == NAT_ANSWER_SUCCESS) {
        if (a.mapped.ss_family != family) abort();
        if (a.has_other && a.other.ss_family != family) abort();
        report(&a, family);
    } else if (a.kind == NAT_ANSWER_ERROR) {
        if (a.error_code < 300 || a.error_code > 699) abort();
    } else if (a.kind != NAT_ANSWER_REQUEST) {
        abort();
    }
    return 0;
}
