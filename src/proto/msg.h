/* msg: burrow's control messages — type codes, names, and JSON payloads.
 *
 * Control messages are frames (frame.h) whose payload is a JSON object;
 * UDP_DATA is binary. Unknown JSON fields are ignored, so later protocol
 * versions can add fields; a new message type needs a new protocol version.
 * See docs/ARCHITECTURE.md for the conversation. */
#ifndef BURROW_MSG_H
#define BURROW_MSG_H

#include <jansson.h>
#include <stdint.h>

#include "proto/frame.h"

#define PROTO_VERSION_MIN 1
#define PROTO_VERSION_MAX 1

enum {
    MSG_HELLO = 0x01,          /* c->s first frame: {proto_min, proto_max, role, ...} */
    MSG_CHALLENGE = 0x02,      /* s->c: {proto, nonce} */
    MSG_LOGIN = 0x03,          /* c->s: {user, client_nonce, mac, version, hostname} */
    MSG_LOGIN_OK = 0x04,       /* s->c: {run_id, heartbeat_timeout, max_pool, resumed, addr} */
    MSG_ERROR = 0x05,          /* either way, then close: {code, message} */
    MSG_NEW_PROXY = 0x10,      /* c->s: {name, type, remote_port} */
    MSG_NEW_PROXY_RESP = 0x11, /* s->c: {name, ok, remote_port, error} */
    MSG_CLOSE_PROXY = 0x12,    /* c->s: {name} */
    MSG_REQ_WORK_CONN = 0x20,  /* s->c: {count} */
    MSG_START_WORK = 0x21,     /* s->c on a work conn: {proxy, type, src} then raw bytes */
    MSG_PING = 0x30,           /* {} */
    MSG_PONG = 0x31,           /* {} */
    MSG_UDP_DATA = 0x40,       /* binary: u32 session id (BE), datagram */
    /* Secret proxies (proto/stcp_hs.h): between visitor and owner, through
     * the server's relay; VISITOR comes from the server. */
    MSG_STCP_VISITOR = 0x50,   /* s->owner after START_WORK: {user, nonce} */
    MSG_STCP_CHALLENGE = 0x51, /* owner->visitor: {nonce} */
    MSG_STCP_PROOF = 0x52,     /* visitor->owner: {proof} */
    MSG_STCP_ACCEPT = 0x53,    /* owner->visitor: {proof}; e2e records follow */
    MSG_STCP_REFUSE = 0x54,    /* owner->visitor, then close: {reason, message} */
    /* xtcp rendezvous on the control channels (p2p/, server/p2p_rdv.c):
     * the server forwards each side's candidates to the other. */
    MSG_P2P_OFFER = 0x60,  /* visitor->s: {proxy, sid, nonce, proof, cands, nat};
                            * s->owner: {pair, proxy, user, nonce, proof, cands, nat} */
    MSG_P2P_ANSWER = 0x61, /* owner->s: {pair, proxy, nonce, proof, cands, nat} | {pair, proxy,
                            * error}; s->visitor: {sid, nonce, proof, cands, nat} | {sid, error} */
    /* Wake-on-LAN from outside (server/wake_rdv.c): a client names its
     * [[wakeOnLan]] machines at LOGIN ("wake": [..]); a session of the same
     * user, or the dashboard, asks the server to wake one. */
    MSG_WAKE = 0x70,        /* s->declaring client: {id, name, by, from} */
    MSG_WAKE_RESULT = 0x71, /* declaring c->s: {id, name, ok, routes, error};
                             * s->requester: {name, ok, routes, client, error} */
    MSG_WAKE_REQ = 0x72,    /* requester c->s: {name} */
    /* FTP-aware tcp proxies (server/ftp_data.h, client/cftp.c): a data port
     * for one passive answer. An older server ignores it (unknown type). */
    MSG_FTP_DATA_PORT = 0x74,      /* c->s: {proxy, id, peer} */
    MSG_FTP_DATA_PORT_RESP = 0x75, /* s->c: {id, addr, port} | {id, error} */
    /* Active mode (server/ftp_active.h, client/cftp_active.c): the FTP
     * server connected to burrow's LAN-side listener for a PORT/EPRT; the
     * server dials the user (target: the same IP as peer, the control
     * connection's user) and starts a work conn with `ftp_active: id`. */
    MSG_FTP_ACTIVE_DIAL = 0x76, /* c->s: {proxy, id, peer, target} */
    MSG_FTP_ACTIVE_FAIL = 0x77, /* s->c: {id, error} */
    /* Optional (an older server ignores it): a pair's path changed or the
     * pair ended. {proxy, role: "visitor", sid | role: "owner", pair,
     * path: "direct"|"direct-tcp"|"relay"|"stcp"|"closed", rtt_us, since_ms} */
    MSG_P2P_PATH = 0x62,
};

const char *msg_name(uint8_t type);

/* Parses a frame's payload as a JSON object. NULL when it is not one. */
json_t *msg_parse(const frame_t *f);

/* Serialises a whole frame (header + compact JSON) into a malloc'd buffer.
 * Returns NULL when the encoding would exceed FRAME_MAX_PAYLOAD. Does not
 * take ownership of obj. */
uint8_t *msg_encode(uint8_t type, const json_t *obj, size_t *out_len);

/* UDP_DATA frames: frame header, u32 session id (BE), datagram. */
#define MSG_UDP_MAX (FRAME_MAX_PAYLOAD - 4)
#define MSG_UDP_HDR_LEN (FRAME_HDR_LEN + 4)
/* Writes the UDP_DATA header into out[0..MSG_UDP_HDR_LEN) for a datagram of
 * len (<= MSG_UDP_MAX) bytes already at out + MSG_UDP_HDR_LEN, so the datagram
 * is framed where it was received. Returns the frame size. */
size_t msg_udp_header(uint8_t *out, uint32_t sid, size_t len);
/* 0, or -1 when the payload is too short. */
int msg_udp_decode(const frame_t *f, uint32_t *sid, const uint8_t **data, size_t *len);

/* Accessors that tolerate absent or mistyped fields. */
const char *msg_str(const json_t *o, const char *key); /* NULL when absent */
long long msg_int(const json_t *o, const char *key, long long dflt);
int msg_bool(const json_t *o, const char *key, int dflt);

#endif
