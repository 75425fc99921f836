/* insp_api: the inspector's routes (web/httpd.h): the page and its assets,
 * and the JSON API over the ring.
 *
 *   GET  /api/requests?method=&path=&status=&q=&after=&limit=   newest first
 *   GET  /api/requests/{id}          detail: heads parsed, bodies as text or base64
 *   GET  /api/requests/{id}/raw      the bytes: request head + body, then the response's
 *                                    (?part=request|response for one side)
 *   POST /api/requests/{id}/replay   optional JSON {method, target, headers, body}
 *
 * Bodies are shown as recorded: decoded from chunked framing, cut at
 * inspector.bodyMax. Handlers read the ring on the loop and copy what they
 * answer; nothing they return points into it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_head.h"
#include "inspect/insp_int.h"
#include "web/assets.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* ---- helpers ----------------------------------------------------------- */

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static char *b64(const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = malloc((n + 2) / 3 * 4 + 1), *q = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        *q++ = tab[v >> 18 & 63];
        *q++ = tab[v >> 12 & 63];
        *q++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *q = '\0';
    return o;
}

/* The header list of a stored head: [[name, value], ...]; also the value of
 * Content-Type into ctype (may stay ""). */
static json_t *headers_of(const char *head, size_t len, llhttp_type_t type, char *ctype,
                          size_t ctype_size)
{
    json_t *a = json_array();
    if (!head) return a;
    http_msg_t m;
    memset(&m, 0, sizeof m);
    if (http_head_parse((const uint8_t *)head, len, type, &m) > 0) {
        const http_head_t *h = &m.head;
        for (int i = 0; i < h->n_hdr; i++)
            json_array_append_new(
                a, json_pack("[s,s]", http_str(h, h->hdr[i].name), http_str(h, h->hdr[i].value)));
        const char *ct = http_head_get(h, "content-type");
        if (ct && ctype) snprintf(ctype, ctype_size, "%s", ct);
    }
    http_msg_free(&m);
    return a;
}

static json_t *body_json(const insp_body_t *b, const char *ctype)
{
    json_t *o = json_pack("{s:o,s:o,s:b,s:s}", "size", u64(b->total), "kept", u64(b->len),
                          "truncated", b->truncated, "content_type", ctype);
    json_t *text =
        b->len && !memchr(b->p, 0, b->len) ? json_stringn((const char *)b->p, b->len) : NULL;
    if (text || !b->len) {
        json_object_set_new(o, "encoding", json_string("text"));
        json_object_set_new(o, "data", text ? text : json_string(""));
        return o;
    }
    char *enc = b64(b->p, b->len);
    json_object_set_new(o, "encoding", json_string("base64"));
    json_object_set_new(o, "data", json_string(enc ? enc : ""));
    free(enc);
    return o;
}

static json_t *summary(const insp_ex_t *ex)
{
    return json_pack("{s:o,s:o,s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:o,s:o,s:b,s:b,s:b}", "id", u64(ex->id),
                     "replay_of", u64(ex->replay_of), "proxy", ex->proxy, "src", ex->src, "method",
                     ex->method, "target", ex->target ? ex->target : "", "status", ex->status,
                     "start_ms", u64(ex->start_us / 1000), "duration_us", u64(ex->duration_us),
                     "req_size", u64(ex->req_body.total), "resp_size", u64(ex->resp_body.total),
                     "req_truncated", ex->req_body.truncated, "resp_truncated",
                     ex->resp_body.truncated, "complete", ex->complete);
}

static bool contains(const void *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (!k) return true;
    if (!hay || n < k) return false;
    return memmem(hay, n, needle, k) != NULL;
}

/* ---- filters ----------------------------------------------------------- */

typedef struct filter {
    char method[24], path[512], status[8], q[512];
    uint64_t after;
} filter_t;

static bool status_matches(const char *want, int status)
{
    if (!want[0]) return true;
    char have[8];
    snprintf(have, sizeof have, "%d", status);
    if (strlen(want) != 3) return false;
    for (int i = 0; i < 3; i++) /* "404", or a class: "4xx" */
        if (want[i] != 'x' && want[i] != 'X' && want[i] != have[i]) return false;
    return true;
}

static bool matches(const filter_t *f, const insp_ex_t *ex)
{
    if (ex->id <= f->after) return false;
    if (f->method[0] && strcasecmp(f->method, ex->method) != 0) return false;
    if (f->path[0] && !(ex->target && strstr(ex->target, f->path))) return false;
    if (!status_matches(f->status, ex->status)) return false;
    if (!f->q[0]) return true;
    return contains(ex->req_head, ex->req_head_len, f->q) ||
           contains(ex->resp_head, ex->resp_head_len, f->q) ||
           contains(ex->req_body.p, ex->req_body.len, f->q) ||
           contains(ex->resp_body.p, ex->resp_body.len, f->q);
}

static void h_list(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    inspector_t *ins = data;
    filter_t f = {0};
    char num[32] = "";
    httpd_query_get(req->query, "method", f.method, sizeof f.method);
    httpd_query_get(req->query, "path", f.path, sizeof f.path);
    httpd_query_get(req->query, "status", f.status, sizeof f.status);
    httpd_query_get(req->query, "q", f.q, sizeof f.q);
    if (httpd_query_get(req->query, "after", num, sizeof num)) f.after = strtoull(num, NULL, 10);
    long limit = LIST_DEFAULT;
    if (httpd_query_get(req->query, "limit", num, sizeof num)) limit = strtol(num, NULL, 10);
    if (limit <= 0 || limit > LIST_MAX) limit = LIST_MAX;
    json_t *list = json_array();
    for (const insp_ex_t *ex = ins->ring.tail; ex && limit > 0; ex = ex->prev)
        if (matches(&f, ex)) {
            json_array_append_new(list, summary(ex));
            limit--;
        }
    const insp_ring_t *g = &ins->ring;
    httpd_resp_json(r, 200,
                    json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "requests", list, "stored", u64(g->n),
                              "evicted", u64(g->evicted), "bytes", u64(g->used), "max_bytes",
                              u64(g->max_bytes), "last_id", u64(g->next_id - 1)));
}

/* ---- one exchange ---------------------------------------------------------- */

static const insp_ex_t *lookup(inspector_t *ins, const char *rest, const char **tail)
{
    char *end;
    unsigned long long id = strtoull(rest, &end, 10);
    *tail = end;
    if (end == rest) return NULL;
    return insp_ring_find(&ins->ring, id);
}

static json_t *side_json(const char *head, size_t len, const insp_body_t *b, llhttp_type_t t)
{
    char ctype[256] = "";
    json_t *hdrs = headers_of(head, len, t, ctype, sizeof ctype);
    return json_pack("{s:o,s:o}", "headers", hdrs, "body", body_json(b, ctype));
}

static void h_detail(inspector_t *ins, const insp_ex_t *ex, httpd_resp_t *r)
{
    (void)ins;
    json_t *o = summary(ex);
    json_object_set_new(o, "request",
                        side_json(ex->req_head, ex->req_head_len, &ex->req_body, HTTP_REQUEST));
    json_object_set_new(
        o, "response",
        ex->resp_head ? side_json(ex->resp_head, ex->resp_head_len, &ex->resp_body, HTTP_RESPONSE)
                      : json_null());
    httpd_resp_json(r, 200, o);
}

static void h_raw(const httpd_req_t *req, const insp_ex_t *ex, httpd_resp_t *r)
{
    char part[16] = "";
    httpd_query_get(req->query, "part", part, sizeof part);
    bool want_req = strcmp(part, "response") != 0, want_resp = strcmp(part, "request") != 0;
    strbuf_t *b = httpd_resp_buf(r, 200, "application/octet-stream");
    if (want_req) {
        strbuf_put(b, ex->req_head, ex->req_head_len);
        strbuf_put(b, (const char *)ex->req_body.p, ex->req_body.len);
    }
    if (want_resp && ex->resp_head) {
        strbuf_put(b, ex->resp_head, ex->resp_head_len);
        strbuf_put(b, (const char *)ex->resp_body.p, ex->resp_body.len);
    }
    if (!b->p) strbuf_put(b, "", 0);
}

static void h_get(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    inspector_t *ins = data;
    const char *tail;
    const insp_ex_t *ex = lookup(ins, req->rest, &tail);
    if (!ex) {
        httpd_resp_error(r, 404, "no such exchange (evicted, still running, or never)");
        return;
    }
    if (!*tail)
        h_detail(ins, ex, r);
    else if (strcmp(tail, "/raw") == 0)
        h_raw(req, ex, r);
    else
        httpd_resp_error(r, 404, "not found");
}

/* ---- replay ------------------------------------------------------------------ */

/* The edited request's headers: [[name, value], ...] or {name: value}; the
 * strings stay owned by `j`. -1 when malformed. */
static int edited_headers(json_t *j, const char ***out)
{
    size_t n = json_is_array(j) ? json_array_size(j) : json_object_size(j);
    const char **v = calloc(2 * n + 1, sizeof *v);
    if (!v) return -1;
    size_t i = 0;
    if (json_is_array(j)) {
        json_t *pair;
        size_t k;
        json_array_foreach(j, k, pair)
        {
            const char *a = json_string_value(json_array_get(pair, 0));
            const char *b = json_string_value(json_array_get(pair, 1));
            if (!a || !b) goto bad;
            v[i++] = a, v[i++] = b;
        }
    } else if (json_is_object(j)) {
        const char *key;
        json_t *val;
        json_object_foreach(j, key, val)
        {
            if (!json_is_string(val)) goto bad;
            v[i++] = key, v[i++] = json_string_value(val);
        }
    } else {
        goto bad;
    }
    *out = v;
    return (int)n;
bad:
    free(v);
    return -1;
}

/* The captured request as insp_req_t; headers come from re-parsing the
 * head (the strings live in *hold until the caller frees it). */
static int captured_headers(const insp_ex_t *ex, json_t **hold, const char ***out)
{
    *hold = headers_of(ex->req_head, ex->req_head_len, HTTP_REQUEST, NULL, 0);
    return edited_headers(*hold, out);
}

static void h_replay(inspector_t *ins, const httpd_req_t *req, const insp_ex_t *ex, httpd_resp_t *r)
{
    json_t *edit = NULL, *hold = NULL;
    if (req->body_len) {
        json_error_t err;
        edit = json_loadb((const char *)req->body, req->body_len, 0, &err);
        if (!json_is_object(edit)) {
            json_decref(edit);
            httpd_resp_error(r, 400, "expected a JSON object {method, target, headers, body}");
            return;
        }
    }
    json_t *m = json_object_get(edit, "method"), *t = json_object_get(edit, "target");
    json_t *h = json_object_get(edit, "headers"), *b = json_object_get(edit, "body");
    insp_req_t q = {
        .method = json_is_string(m) ? json_string_value(m) : ex->method,
        .target = json_is_string(t) ? json_string_value(t) : ex->target,
        .body = json_is_string(b) ? (const uint8_t *)json_string_value(b) : ex->req_body.p,
        .body_len = json_is_string(b) ? json_string_length(b) : ex->req_body.len,
    };
    const char **hv = NULL;
    q.n_hdr = h ? edited_headers(h, &hv) : captured_headers(ex, &hold, &hv);
    q.hdr = hv;
    const char *why = NULL;
    int64_t id = q.n_hdr < 0 ? -1 : insp_replay_start(ins, ex->proxy, ex->id, &q, &why);
    if (q.n_hdr < 0) why = "headers: expected [[name, value], ...] or {name: value}";
    if (id > 0)
        httpd_resp_json(r, 202,
                        json_pack("{s:o,s:o,s:b}", "id", u64((uint64_t)id), "replay_of",
                                  u64(ex->id), "body_truncated", !b && ex->req_body.truncated));
    else
        httpd_resp_error(r, id == -2 ? 429 : 400, why ? why : "cannot replay");
    free(hv);
    json_decref(hold);
    json_decref(edit);
}

static void h_post(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    inspector_t *ins = data;
    const char *tail;
    const insp_ex_t *ex = lookup(ins, req->rest, &tail);
    if (!ex || strcmp(tail, "/replay") != 0) {
        httpd_resp_error(r, 404, "no such exchange (evicted, still running, or never)");
        return;
    }
    h_replay(ins, req, ex, r);
}

/* ---- the page ------------------------------------------------------------------ */

static void h_index(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data, (void)req;
    web_asset_serve(r, "/inspect.html");
}

static void h_static(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data;
    web_asset_serve(r, req->path + strlen("/static"));
}

const httpd_route_t insp_routes[] = {
    {"GET", "/", 0, h_index},
    {"GET", "/static/", 0, h_static},
    {"GET", "/api/requests", 0, h_list},
    {"GET", "/api/requests/", 0, h_get},
    {"POST", "/api/requests/", HTTPD_ROUTE_MUTATES, h_post},
};
const int insp_n_routes = sizeof insp_routes / sizeof insp_routes[0];
