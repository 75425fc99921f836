/* ddns_provider: the provider table (ddns_provider.h). */
#include "ddns/ddns_provider.h"

#include <string.h>

static const ddns_provider_t providers[] = {
#ifdef BURROW_HAVE_LDNS
    {"rfc2136", ddns_rfc2136_publish},
#endif
    {"dyndns2", ddns_dyndns2_publish},
};

static const char *const known[] = {"rfc2136", "dyndns2", NULL};

const ddns_provider_t *ddns_provider_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i].name, name) == 0) return &providers[i];
    return NULL;
}

bool ddns_provider_known(const char *name)
{
    for (const char *const *k = known; name && *k; k++)
        if (strcmp(*k, name) == 0) return true;
    return false;
}
