/* tls_cert: certificates and server identity.
 *
 * Owns: the server's self-signed certificate (generated once, kept in the
 * state directory), SHA-256 fingerprints, the SSL_CTX objects for both roles,
 * and the client's trust-on-first-use store (like ssh's known_hosts).
 * Nothing here touches sockets; conn.c drives the handshakes. */
#ifndef BURROW_TLS_CERT_H
#define BURROW_TLS_CERT_H

#include <openssl/ssl.h>
#include <stddef.h>

#define TLSC_FP_LEN 72 /* "sha256:" + 64 hex + NUL */

/* Formats "sha256:<64 lowercase hex>" of the certificate's DER encoding. 0 or -1. */
int tlsc_fingerprint(X509 *cert, char out[TLSC_FP_LEN]);

/* Server context. With cert_file/key_file set, loads them. Otherwise uses
 * state_dir/server.crt and state_dir/server.key, generating a self-signed
 * EC P-256 certificate (10 years, CN=burrow, mode 0600 key, state_dir created
 * 0700 when missing) on first use. Writes the fingerprint of the certificate in
 * use to fp_out and sets *generated when it was created now. TLS 1.2+ only,
 * AEAD ciphers. Returns a new SSL_CTX (caller frees) or NULL after logging why. */
SSL_CTX *tlsc_server_ctx(const char *cert_file, const char *key_file, const char *state_dir,
                         char fp_out[TLSC_FP_LEN], int *generated);

/* Server context with a self-signed EC P-256 certificate (CN and DNS name
 * "burrow") made now and kept in memory only; its fingerprint in fp_out.
 * NULL after logging why. */
SSL_CTX *tlsc_server_ctx_ephemeral(char fp_out[TLSC_FP_LEN]);

/* Client context: TLS 1.2+; when ca_file is set, peer verification against it is
 * enabled (SSL_VERIFY_PEER) — host name checks are set per connection by the
 * caller. Without a CA the context does not verify; the caller checks the
 * fingerprint after the handshake. Returns NULL after logging why. */
SSL_CTX *tlsc_client_ctx(const char *ca_file);

/* Refuses a directory other users may write to (they could swap our files):
 * tightened to 0700 when it is ours (and not sticky, like /tmp), else -1
 * with a message. 0 when safe. */
int tlsc_secure_dir(const char *dir);

/* Checks a private key file's mode. `ours` (the state dir's server.key): a
 * mode open to group or others is fixed to 0600. Otherwise (transport.tls.
 * keyFile) world-readable is refused with a message saying how to fix it, and
 * group-readable only warns. 0 when usable, -1 after logging why. */
int tlsc_check_key_file(const char *path, int ours);

typedef enum {
    TOFU_ERROR = -1,   /* the store could not be read or written */
    TOFU_NEW = 0,      /* first contact: the fingerprint was recorded */
    TOFU_MATCH = 1,    /* matches the recorded fingerprint */
    TOFU_MISMATCH = 2, /* differs from the recorded one (stored one in old_fp) */
} tofu_result_t;

/* Trust on first use. `path` is a text file of lines "<host>:<port> sha256:<hex>"
 * (comments with '#'). Looks up `endpoint` ("host:port"); records fp when absent
 * (creating the file and its directory). Never overwrites a mismatch. The
 * file is never opened through a symlink, and its directory must pass
 * tlsc_secure_dir(); either failure is TOFU_ERROR after logging why. */
tofu_result_t tlsc_tofu_check(const char *path, const char *endpoint, const char *fp,
                              char old_fp[TLSC_FP_LEN]);

#endif
