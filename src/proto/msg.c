/* msg: see msg.h. */
#include "proto/msg.h"

#include <stdlib.h>
#include <string.h>

const char *msg_name(uint8_t type)
{
    switch (type) {
    case MSG_HELLO:
        return "HELLO";
    case MSG_CHALLENGE:
        return "CHALLENGE";
    case MSG_LOGIN:
        return "LOGIN";
    case MSG_LOGIN_OK:
        return "LOGIN_OK";
    case MSG_ERROR:
        return "ERROR";
    case MSG_NEW_PROXY:
        return "NEW_PROXY";
    case MSG_NEW_PROXY_RESP:
        return "NEW_PROXY_RESP";
    case MSG_CLOSE_PROXY:
        return "CLOSE_PROXY";
    case MSG_REQ_WORK_CONN:
        return "REQ_WORK_CONN";
    case MSG_START_WORK:
        return "START_WORK";
    case MSG_FTP_DATA_PORT:
        return "FTP_DATA_PORT";
    case MSG_FTP_DATA_PORT_RESP:
        return "FTP_DATA_PORT_RESP";
    case MSG_FTP_ACTIVE_DIAL:
        return "FTP_ACTIVE_DIAL";
    case MSG_FTP_ACTIVE_FAIL:
        return "FTP_ACTIVE_FAIL";
    case MSG_PING:
        return "PING";
    case MSG_PONG:
        return "PONG";
    case MSG_UDP_DATA:
        return "UDP_DATA";
    case MSG_STCP_VISITOR:
        return "STCP_VISITOR";
    case MSG_STCP_CHALLENGE:
        return "STCP_CHALLENGE";
    case MSG_STCP_PROOF:
        return "STCP_PROOF";
    case MSG_STCP_ACCEPT:
        return "STCP_ACCEPT";
    case MSG_STCP_REFUSE:
        return "STCP_REFUSE";
    case MSG_P2P_OFFER:
        return "P2P_OFFER";
    case MSG_P2P_ANSWER:
        return "P2P_ANSWER";
    case MSG_WAKE:
        return "WAKE";
    case MSG_WAKE_RESULT:
        return "WAKE_RESULT";
    case MSG_WAKE_REQ:
        return "WAKE_REQ";
    case MSG_P2P_PATH:
        return "P2P_PATH";
    default:
        return "UNKNOWN";
    }
}

json_t *msg_parse(const frame_t *f)
{
    /* JSON_DISABLE_EOF_CHECK is not used: trailing bytes make the frame invalid. */
    json_t *o = json_loadb((const char *)f->payload, f->len, JSON_REJECT_DUPLICATES, NULL);
    if (o && !json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

uint8_t *msg_encode(uint8_t type, const json_t *obj, size_t *out_len)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    if (!text) return NULL;
    size_t n = strlen(text);
    if (n > FRAME_MAX_PAYLOAD) {
        free(text);
        return NULL;
    }
    uint8_t *buf = malloc(FRAME_HDR_LEN + n);
    if (buf) {
        frame_encode_header(buf, type, (uint32_t)n);
        memcpy(buf + FRAME_HDR_LEN, text, n);
        *out_len = FRAME_HDR_LEN + n;
    }
    free(text);
    return buf;
}

const char *msg_str(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long long msg_int(const json_t *o, const char *key, long long dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int msg_bool(const json_t *o, const char *key, int dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

size_t msg_udp_header(uint8_t *out, uint32_t sid, size_t len)
{
    frame_encode_header(out, MSG_UDP_DATA, (uint32_t)(4 + len));
    out[5] = (uint8_t)(sid >> 24);
    out[6] = (uint8_t)(sid >> 16);
    out[7] = (uint8_t)(sid >> 8);
    out[8] = (uint8_t)sid;
    return MSG_UDP_HDR_LEN + len;
}

int msg_udp_decode(const frame_t *f, uint32_t *sid, const uint8_t **data, size_t *len)
{
    if (f->type != MSG_UDP_DATA || f->len < 4) return -1;
    const uint8_t *p = f->payload;
    *sid = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    *data = p + 4;
    *len = f->len - 4;
    return 0;
}
