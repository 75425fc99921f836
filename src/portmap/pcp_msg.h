/* pcp_msg: PCP (RFC 6887) MAP and ANNOUNCE messages, encoded and decoded
 * as bytes. Pure: no sockets, no logging; the PCP client is pm_pcp.c. */
#ifndef BURROW_PCP_MSG_H
#define BURROW_PCP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define PCP_SERVER_PORT 5351
#define PCP_VERSION 2
#define PCP_OP_ANNOUNCE 0
#define PCP_OP_MAP 1
#define PCP_RESPONSE_BIT 0x80
#define PCP_HDR_LEN 24   /* §7.1 request / §7.2 response header */
#define PCP_MAP_LEN 36   /* §11.1 MAP opcode-specific data */
#define PCP_MAX_LEN 1100 /* §7: messages never exceed 1100 bytes */
#define PCP_NONCE_LEN 12

/* Result codes, RFC 6887 §7.4. */
enum {
    PCP_R_SUCCESS = 0,
    PCP_R_UNSUPP_VERSION = 1,
    PCP_R_NOT_AUTHORIZED = 2,
    PCP_R_MALFORMED_REQUEST = 3,
    PCP_R_UNSUPP_OPCODE = 4,
    PCP_R_UNSUPP_OPTION = 5,
    PCP_R_MALFORMED_OPTION = 6,
    PCP_R_NETWORK_FAILURE = 7,
    PCP_R_NO_RESOURCES = 8,
    PCP_R_UNSUPP_PROTOCOL = 9,
    PCP_R_USER_EX_QUOTA = 10,
    PCP_R_CANNOT_PROVIDE_EXTERNAL = 11,
    PCP_R_ADDRESS_MISMATCH = 12,
    PCP_R_EXCESSIVE_REMOTE_PEERS = 13,
};

/* Decoder errors (negative). */
enum {
    PCP_E_SHORT = -1,    /* under 24 bytes, or a MAP without its 36 */
    PCP_E_LENGTH = -2,   /* over 1100 bytes or not a multiple of 4 */
    PCP_E_VERSION = -3,  /* not version 2 (a NAT-PMP-only server answers 0) */
    PCP_E_NOT_RESP = -4, /* R bit clear: a request */
    PCP_E_OPTION = -5,   /* an option runs past the end */
};

/* MAP opcode data (§11.1); addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d. */
typedef struct pcp_map {
    uint8_t nonce[PCP_NONCE_LEN];
    uint8_t protocol; /* IANA number: 6 tcp, 17 udp, 0 all */
    uint16_t internal_port;
    uint16_t external_port;
    uint8_t external_ip[16];
} pcp_map_t;

typedef struct pcp_request {
    uint8_t opcode; /* PCP_OP_MAP or PCP_OP_ANNOUNCE */
    uint32_t lifetime;
    uint8_t client_ip[16];
    pcp_map_t map; /* MAP only */
} pcp_request_t;

typedef struct pcp_response {
    uint8_t opcode;
    uint8_t result;
    uint32_t lifetime;
    uint32_t epoch;
    int has_map;   /* a MAP response long enough to carry its data */
    pcp_map_t map;
    unsigned noptions; /* options skipped after the opcode data */
} pcp_response_t;

/* Writes r into out (cap bytes). Returns the length (24 or 60), or 0 when
 * cap is too small or the opcode unknown. */
size_t pcp_encode_request(const pcp_request_t *r, uint8_t *out, size_t cap);
/* Decodes a response. Returns len on success, else a PCP_E_* code. A MAP
 * response with an error result may stop after the header (has_map 0). */
int pcp_decode_response(const uint8_t *p, size_t len, pcp_response_t *out);

/* IPv4 (network order) to and from the 16-byte IPv4-mapped form. */
void pcp_ip_from_v4(uint32_t addr_be, uint8_t out[16]);
/* 1 and *addr_be set when ip is IPv4-mapped, else 0. */
int pcp_ip_to_v4(const uint8_t ip[16], uint32_t *addr_be);
/* "SUCCESS", "NOT_AUTHORIZED", ...; "UNKNOWN" otherwise. */
const char *pcp_result_str(unsigned result);

#endif
