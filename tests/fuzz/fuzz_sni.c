/* fuzz_sni: the ClientHello/SNI parser on arbitrary bytes, whole and in
 * every prefix length a slow client could deliver (the vhost re-parses the
 * buffer after each read). A name that comes out must be a valid host name,
 * and the routing table must accept it for lookup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_route.h"
#include "http/sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[SNI_NAME_MAX + 1];
    long whole = sni_parse(data, size, name);
    if (whole > 0) {
        if (strlen(name) > SNI_NAME_MAX || (size_t)whole > size) abort();
        char host[HTTP_HOST_MAX + 1];
        (void)http_host_normalise(name, host, sizeof host);
    }
    /* Prefixes: never more than "need more" before the full answer. */
    for (size_t n = 0; n < size && n < 512; n += 7) {
        long r = sni_parse(data, n, name);
        if (whole > 0 && (size_t)whole > n && r > 0) abort();
    }
    return 0;
}
