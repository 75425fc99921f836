/* stun: the STUN message codec (RFC 8489), with the attributes of NAT
 * behaviour discovery (RFC 5780) and of classic STUN (RFC 3489) that a
 * Binding exchange needs. Pure: bytes in, a parsed view out; bytes out into
 * a caller's buffer. No sockets, no logging, no allocation (MESSAGE-INTEGRITY
 * uses OpenSSL's HMAC-SHA1 on the stack).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0|     STUN Message Type     |         Message Length        |
 *  |                         Magic Cookie                          |
 *  |                     Transaction ID (96 bits)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  then attributes: type (16), length (16), value padded to 4 bytes.
 *
 * A message without the magic cookie is a classic RFC 3489 one: its 128-bit
 * transaction id is the 16 bytes after the length; it is parsed the same
 * way and flagged `classic`, and a reply to it echoes those 16 bytes.
 *
 * Ownership: stun_parse() fills a stun_msg_t whose byte pointers (software,
 * reason) borrow from the parsed buffer; the message lives as long as that
 * buffer. Writers write only into the caller's buffer. */
#ifndef BURROW_STUN_H
#define BURROW_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDR_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TID_LEN 12
#define STUN_ID_LEN 16                   /* cookie + transaction id, as on the wire */
#define STUN_FINGERPRINT_XOR 0x5354554eu /* RFC 8489 §14.7 */
#define STUN_HMAC_SHA1_LEN 20
#define STUN_SOFTWARE_MAX 763 /* RFC 8489 §14.14: fewer than 128 characters */
#define STUN_UNKNOWN_MAX 8    /* unknown attributes kept per message */

/* Methods and classes: the type's 14 bits interleave the 12-bit method and
 * the 2-bit class (RFC 8489 §5, figure 3). */
#define STUN_METHOD_BINDING 0x001
enum {
    STUN_CLASS_REQUEST = 0,
    STUN_CLASS_INDICATION = 1,
    STUN_CLASS_SUCCESS = 2,
    STUN_CLASS_ERROR = 3,
};

/* Attribute types. Below 0x8000 comprehension-required. */
enum {
    STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    STUN_ATTR_RESPONSE_ADDRESS = 0x0002, /* RFC 3489, obsolete */
    STUN_ATTR_CHANGE_REQUEST = 0x0003,   /* RFC 5780 §7.2 */
    STUN_ATTR_SOURCE_ADDRESS = 0x0004,   /* RFC 3489: RESPONSE-ORIGIN's ancestor */
    STUN_ATTR_CHANGED_ADDRESS = 0x0005,  /* RFC 3489: OTHER-ADDRESS's ancestor */
    STUN_ATTR_USERNAME = 0x0006,
    STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    STUN_ATTR_ERROR_CODE = 0x0009,
    STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    STUN_ATTR_REALM = 0x0014,
    STUN_ATTR_NONCE = 0x0015,
    STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
    STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    STUN_ATTR_PADDING = 0x0026,       /* RFC 5780 §7.6 */
    STUN_ATTR_RESPONSE_PORT = 0x0027, /* RFC 5780 §7.5 */
    STUN_ATTR_SOFTWARE = 0x8022,
    STUN_ATTR_FINGERPRINT = 0x8028,
    STUN_ATTR_RESPONSE_ORIGIN = 0x802B, /* RFC 5780 §7.3 */
    STUN_ATTR_OTHER_ADDRESS = 0x802C,   /* RFC 5780 §7.4 */
};

/* CHANGE-REQUEST flags (RFC 5780 §7.2). */
#define STUN_CHANGE_IP (1u << 2)
#define STUN_CHANGE_PORT (1u << 1)

/* Return codes: a parse or write succeeds with >= 0. */
enum {
    STUN_E_SHORT = -1,       /* shorter than a header, or than its length says */
    STUN_E_NOT_STUN = -2,    /* top bits set, length not a multiple of 4, bytes after */
    STUN_E_ATTR = -3,        /* an attribute overruns the message or has a bad value */
    STUN_E_FINGERPRINT = -4, /* FINGERPRINT wrong, or not last */
    STUN_E_INTEGRITY = -5,   /* MESSAGE-INTEGRITY does not match the key */
    STUN_E_NO_INTEGRITY = -6,
    STUN_E_SPACE = -7, /* the output buffer is too small */
    STUN_E_ARG = -8,   /* an address that is neither IPv4 nor IPv6 */
};

/* Which attributes a parsed message carried (stun_msg_t.has). */
#define STUN_HAS_MAPPED (1u << 0)
#define STUN_HAS_XOR_MAPPED (1u << 1)
#define STUN_HAS_OTHER (1u << 2)  /* OTHER-ADDRESS or CHANGED-ADDRESS */
#define STUN_HAS_ORIGIN (1u << 3) /* RESPONSE-ORIGIN or SOURCE-ADDRESS */
#define STUN_HAS_CHANGE (1u << 4)
#define STUN_HAS_SOFTWARE (1u << 5)
#define STUN_HAS_ERROR (1u << 6)
#define STUN_HAS_INTEGRITY (1u << 7)
#define STUN_HAS_FINGERPRINT (1u << 8)
#define STUN_HAS_PADDING (1u << 9)
#define STUN_HAS_RESPONSE_PORT (1u << 10)
#define STUN_HAS_UNKNOWN_ATTRS (1u << 11) /* an UNKNOWN-ATTRIBUTES list (in a 420) */

typedef struct stun_msg {
    uint16_t type;           /* the 14-bit message type as sent */
    uint16_t method;         /* STUN_METHOD_* */
    uint8_t cls;             /* STUN_CLASS_* */
    bool classic;            /* no magic cookie: RFC 3489 */
    size_t len;              /* header + attributes, bytes */
    uint8_t id[STUN_ID_LEN]; /* cookie + transaction id as received */
    unsigned has;            /* STUN_HAS_* */
    /* Address attributes, XOR already undone; the first of each kind wins
     * (RFC 8489 §14). "other"/"origin" also take RFC 3489's CHANGED-ADDRESS
     * and SOURCE-ADDRESS when the RFC 5780 ones are absent. */
    struct sockaddr_storage mapped, xor_mapped, other, origin;
    uint32_t change; /* CHANGE-REQUEST flags */
    uint16_t response_port;
    size_t padding_len;      /* PADDING value bytes */
    const uint8_t *software; /* borrowed from the parsed bytes */
    size_t software_len;
    int error_code;        /* ERROR-CODE: class * 100 + number */
    const uint8_t *reason; /* borrowed; reason phrase of ERROR-CODE */
    size_t reason_len;
    size_t integrity_at; /* offset of the MESSAGE-INTEGRITY attribute */
    /* Comprehension-required attributes this codec does not know (a server
     * answers 420 listing them): n_unknown counts all, at most
     * STUN_UNKNOWN_MAX are kept. */
    uint16_t unknown[STUN_UNKNOWN_MAX];
    size_t n_unknown;
    /* The list an UNKNOWN-ATTRIBUTES attribute carried (first
     * STUN_UNKNOWN_MAX entries; n_reported counts all). */
    uint16_t reported[STUN_UNKNOWN_MAX];
    size_t n_reported;
} stun_msg_t;

/* Whether a datagram is a STUN message with the magic cookie (RFC 7983's
 * demultiplexing plus the cookie and the length): cheap, parses nothing. */
bool stun_is_stun(const uint8_t *p, size_t n);

/* Parses one whole datagram p[0..n) into *m. The message must fill the
 * datagram exactly. FINGERPRINT, when present, must be last and correct;
 * attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored
 * (RFC 8489 §14.5). Returns the message length, or STUN_E_*. */
int stun_parse(const uint8_t *p, size_t n, stun_msg_t *m);

/* Checks MESSAGE-INTEGRITY (HMAC-SHA1) of a message stun_parse() accepted
 * from the same bytes. key: the short-term password, or the long-term key
 * MD5(username ":" realm ":" password) (RFC 8489 §9.2.2), as bytes.
 * 0, STUN_E_NO_INTEGRITY, or STUN_E_INTEGRITY. */
int stun_check_integrity(const uint8_t *p, const stun_msg_t *m, const uint8_t *key, size_t key_len);

/* CRC-32 (ISO-HDLC, as zlib's) of p[0..n): FINGERPRINT is this ^
 * STUN_FINGERPRINT_XOR over the message before it. */
uint32_t stun_crc32(const uint8_t *p, size_t n);

/* Message type from method and class, and back. */
uint16_t stun_type(uint16_t method, uint8_t cls);

/* A short fixed name for a STUN_E_* code ("short", "fingerprint" ...). */
const char *stun_strerror(int code);

/* ---- writing ------------------------------------------------------------
 * stun_w_begin() writes the header; each stun_w_* appends one attribute
 * and keeps the header's length current; integrity and fingerprint go
 * last, in that order. A write that does not fit marks the writer, and
 * stun_w_end() then returns STUN_E_SPACE: callers check once at the end. */
typedef struct stun_writer {
    uint8_t *buf; /* borrowed: the caller's buffer */
    size_t cap, len;
    int err;
} stun_writer_t;

/* id: the 16 bytes after the length (cookie + transaction id); a reply
 * passes its request's m->id so a classic request gets its own 16 back. */
void stun_w_begin(stun_writer_t *w, uint8_t *buf, size_t cap, uint16_t type,
                  const uint8_t id[STUN_ID_LEN]);
void stun_w_attr(stun_writer_t *w, uint16_t type, const void *value, size_t n);
void stun_w_u32(stun_writer_t *w, uint16_t type, uint32_t v);
/* MAPPED-ADDRESS-style (OTHER-ADDRESS, RESPONSE-ORIGIN, ...) and
 * XOR-MAPPED-ADDRESS-style (XOR'd with the header's cookie and id). */
void stun_w_addr(stun_writer_t *w, uint16_t type, const struct sockaddr *sa);
void stun_w_xor_addr(stun_writer_t *w, uint16_t type, const struct sockaddr *sa);
/* ERROR-CODE: code 300..699, reason borrowed (may be NULL). */
void stun_w_error(stun_writer_t *w, int code, const char *reason);
void stun_w_unknown(stun_writer_t *w, const uint16_t *types, size_t n);
void stun_w_integrity(stun_writer_t *w, const uint8_t *key, size_t key_len);
void stun_w_fingerprint(stun_writer_t *w);
/* The message length, or STUN_E_SPACE / STUN_E_ARG. */
int stun_w_end(const stun_writer_t *w);

/* ---- Binding ------------------------------------------------------------ */

/* A Binding request with transaction id tid, CHANGE-REQUEST when change is
 * non-zero, SOFTWARE when software is non-NULL, and FINGERPRINT. Returns the
 * length written into buf, or STUN_E_SPACE. */
int stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN],
                               uint32_t change, const char *software);

/* What a Binding success response carries. mapped: the request's source;
 * other / origin may be NULL (no RFC 5780 service). All borrowed. */
typedef struct stun_binding_reply {
    const struct sockaddr *mapped, *other, *origin;
    const char *software; /* NULL: none */
} stun_binding_reply_t;

/* The success response to req: XOR-MAPPED-ADDRESS, OTHER-ADDRESS,
 * RESPONSE-ORIGIN, SOFTWARE, FINGERPRINT. To a classic request: RFC 3489's
 * MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS only (old clients
 * reject attributes they do not know). Length or STUN_E_*. */
int stun_build_binding_success(uint8_t *buf, size_t cap, const stun_msg_t *req,
                               const stun_binding_reply_t *r);

/* An error response to req: ERROR-CODE code/reason, UNKNOWN-ATTRIBUTES
 * when n_unknown > 0, SOFTWARE if given, FINGERPRINT (not to a classic
 * request). Length or STUN_E_*. */
int stun_build_binding_error(uint8_t *buf, size_t cap, const stun_msg_t *req, int code,
                             const char *reason, const uint16_t *unknown, size_t n_unknown,
                             const char *software);

#endif
