/* cproxy_tcp: the tcp kind on the client. NEW_PROXY carries nothing of its
 * own; a started work conn is relayed to the local service. */
#include "client/client_int.h"

const cproxy_ops_t cproxy_tcp_ops = {
    .encode = NULL,
    .start = cwork_start_stream,
};
