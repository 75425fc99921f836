/* fuzz_vhost_http: the HTTP front's state machine, driven from both sides.
 * The harness logs in, opens one work conn and registers two http proxies
 * (one plain with two locations and a wildcard, one with basic auth, a Host
 * rewrite and header sets); a user is connected to the http vhost. The input
 * then scripts both sides: records written by the user (peer 2), by the work
 * conn that got START_WORK (peer 1, the "local service"), more work conns,
 * half-closes and resets (ops in fuzz_server.h). */
#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_srv_t h;
    fz_srv_up(&h);
    fz_srv_login(&h);
    fz_srv_work(&h);
    fz_srv_new_proxy(&h,
                     json_pack("{s:s,s:s,s:[s,s],s:[s,s]}", "name", "fz.web", "type", "http",
                               "custom_domains", "a.test", "*.w.test", "locations", "/", "/api"));
    fz_srv_new_proxy(&h,
                     json_pack("{s:s,s:s,s:[s],s:s,s:s,s:s,s:{s:s},s:{s:s}}", "name", "fz.auth",
                               "type", "http", "custom_domains", "auth.test", "host_header_rewrite",
                               "local.test", "http_user", "u", "http_password", "p",
                               "request_headers", "X-Req", "1", "response_headers", "X-Resp", "2"));
    fz_srv_connect(&h, fz_http_port);
    fz_srv_play(&h, data, size);
    fz_srv_down(&h);
    return 0;
}
