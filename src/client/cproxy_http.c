/* cproxy_http: the http and https kinds on the client. Their NEW_PROXY
 * carries the domains to route (both) and the vhost's settings (http); a
 * started work conn is relayed to the local service like tcp's. */
#include "client/client_int.h"

static json_t *str_array(const str_list_t *l)
{
    json_t *a = json_array();
    for (int i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *header_object(const header_list_t *l)
{
    json_t *o = json_object();
    for (int i = 0; i < l->n; i++)
        json_object_set_new(o, l->v[i].name, json_string(l->v[i].value));
    return o;
}

static void set_opt(json_t *o, const char *key, const char *value)
{
    if (value) json_object_set_new(o, key, json_string(value));
}

static void encode_https(json_t *o, const proxy_cfg_t *cfg)
{
    json_object_set_new(o, "custom_domains", str_array(&cfg->custom_domains));
    set_opt(o, "subdomain", cfg->subdomain);
}

static void encode_http(json_t *o, const proxy_cfg_t *cfg)
{
    encode_https(o, cfg);
    json_object_set_new(o, "locations", str_array(&cfg->locations));
    set_opt(o, "host_header_rewrite", cfg->host_header_rewrite);
    set_opt(o, "http_user", cfg->http_user);
    set_opt(o, "http_password", cfg->http_password);
    json_object_set_new(o, "request_headers", header_object(&cfg->request_headers));
    json_object_set_new(o, "response_headers", header_object(&cfg->response_headers));
}

const cproxy_ops_t cproxy_http_ops = {
    .encode = encode_http,
    .start = cwork_start_stream,
};

const cproxy_ops_t cproxy_https_ops = {
    .encode = encode_https,
    .start = cwork_start_stream,
};
