/* pcp_msg: RFC 6887 message layouts. Requests are a 24-byte common header
 * (§7.1) and, for MAP, 36 bytes of opcode data (§11.1); responses (§7.2)
 * replace the client address with epoch and reserved bytes, carry the
 * result code in byte 3, and may be followed by options (§7.3), which we
 * bound-check and skip: we send none, so none is ours to interpret. */
#include "portmap/pcp_msg.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* §11.1: nonce, protocol, 24 reserved bits, internal port, suggested
 * external port, suggested external address. */
static void encode_map(const pcp_map_t *m, uint8_t *p)
{
    memcpy(p, m->nonce, PCP_NONCE_LEN);
    p[12] = m->protocol;
    p[13] = p[14] = p[15] = 0;
    put16(p + 16, m->internal_port);
    put16(p + 18, m->external_port);
    memcpy(p + 20, m->external_ip, 16);
}

size_t pcp_encode_request(const pcp_request_t *r, uint8_t *out, size_t cap)
{
    size_t len = PCP_HDR_LEN;
    if (r->opcode == PCP_OP_MAP)
        len += PCP_MAP_LEN;
    else if (r->opcode != PCP_OP_ANNOUNCE)
        return 0;
    if (cap < len) return 0;
    out[0] = PCP_VERSION;
    out[1] = r->opcode & 0x7f; /* R bit 0: a request */
    out[2] = out[3] = 0;
    put32(out + 4, r->lifetime);
    memcpy(out + 8, r->client_ip, 16);
    if (r->opcode == PCP_OP_MAP) encode_map(&r->map, out + PCP_HDR_LEN);
    return len;
}

static void decode_map(const uint8_t *p, pcp_map_t *m)
{
    memcpy(m->nonce, p, PCP_NONCE_LEN);
    m->protocol = p[12];
    m->internal_port = get16(p + 16);
    m->external_port = get16(p + 18);
    memcpy(m->external_ip, p + 20, 16);
}

/* §7.3: code (1), reserved (1), length (2), data padded to 4 bytes. */
static int skip_options(const uint8_t *p, size_t len, unsigned *count)
{
    size_t off = 0;
    *count = 0;
    while (off < len) {
        if (len - off < 4) return PCP_E_OPTION;
        size_t olen = get16(p + off + 2);
        size_t padded = (olen + 3) & ~(size_t)3;
        if (padded > len - off - 4) return PCP_E_OPTION;
        off += 4 + padded;
        (*count)++;
    }
    return 0;
}

int pcp_decode_response(const uint8_t *p, size_t len, pcp_response_t *out)
{
    memset(out, 0, sizeof *out);
    if (len < 2) return PCP_E_SHORT;
    /* §9: a server of another version answers with its own version
     * (a NAT-PMP-only router with 0): checked before the length rules. */
    if (p[0] != PCP_VERSION) return PCP_E_VERSION;
    if (len < PCP_HDR_LEN) return PCP_E_SHORT;
    if (len > PCP_MAX_LEN || len % 4 != 0) return PCP_E_LENGTH;
    if (!(p[1] & PCP_RESPONSE_BIT)) return PCP_E_NOT_RESP;
    out->opcode = p[1] & 0x7f;
    out->result = p[3];
    out->lifetime = get32(p + 4);
    out->epoch = get32(p + 8);
    size_t off = PCP_HDR_LEN;
    if (out->opcode == PCP_OP_MAP) {
        if (len - off < PCP_MAP_LEN) {
            /* An error response may be the header alone. */
            if (out->result != PCP_R_SUCCESS && len == off) return (int)len;
            return PCP_E_SHORT;
        }
        decode_map(p + off, &out->map);
        out->has_map = 1;
        off += PCP_MAP_LEN;
    }
    int r = skip_options(p + off, len - off, &out->noptions);
    return r < 0 ? r : (int)len;
}

void pcp_ip_from_v4(uint32_t addr_be, uint8_t out[16])
{
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &addr_be, 4);
}

int pcp_ip_to_v4(const uint8_t ip[16], uint32_t *addr_be)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(ip, prefix, 12) != 0) return 0;
    memcpy(addr_be, ip + 12, 4);
    return 1;
}

const char *pcp_result_str(unsigned result)
{
    static const char *const names[] = {
        "SUCCESS",        "UNSUPP_VERSION",  "NOT_AUTHORIZED",           "MALFORMED_REQUEST",
        "UNSUPP_OPCODE",  "UNSUPP_OPTION",   "MALFORMED_OPTION",         "NETWORK_FAILURE",
        "NO_RESOURCES",   "UNSUPP_PROTOCOL", "USER_EX_QUOTA",            "CANNOT_PROVIDE_EXTERNAL",
        "ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
    };
    return result < sizeof names / sizeof names[0] ? names[result] : "UNKNOWN";
}
