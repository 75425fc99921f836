/* tls_cert: see tls_cert.h.
 *
 * This file owns the server identity on disk (state_dir/server.key and
 * state_dir/server.crt, created once and reused), the SSL_CTX policy for both
 * roles (TLS 1.2+, ECDHE+AEAD for 1.2, default 1.3 suites, session resumption
 * on the server), certificate fingerprints, and the client's TOFU store. Files
 * holding secrets are written atomically (temp file, fsync, rename) with mode
 * 0600; directories we create get 0700. Every failure is logged here, so
 * callers only need to check the return value. */
#include "tls/tls_cert.h"

#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CERT_NAME "burrow"
#define CERT_DAYS 3652 /* ten years, leap days included */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define SESSION_ID_CTX "burrow"

#define TOFU_LINE_MAX 1024    /* longer lines are malformed and skipped whole */
#define TOFU_ENDPOINT_MAX 512 /* keeps every line we write under TOFU_LINE_MAX */

/* ---- small helpers ---------------------------------------------------- */

/* Formats the most recent OpenSSL error into buf and clears the queue. */
static const char *ossl_reason(char *buf, size_t size)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, size, "unknown error");
    else
        ERR_error_string_n(e, buf, size);
    ERR_clear_error();
    return buf;
}

static int is_set(const char *s)
{
    return s && s[0] != '\0';
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p; directories created here get mode 0700 whatever the umask. */
static int mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        errno = n ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0700) == 0) {
            if (chmod(buf, 0700) != 0) return -1;
        } else if (errno != EEXIST && !is_dir(buf)) {
            return -1;
        }
        *p = saved;
        if (saved == '\0') break;
    }
    if (!is_dir(dir)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Copies the directory part of path into out ("" when there is none). */
static void parent_dir(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash == path) n = 1; /* "/file" */
    if (n >= size) n = 0;
    memcpy(out, path, n);
    out[n] = '\0';
}

static void fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    parent_dir(path, dir, sizeof dir);
    int fd = open(dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    if (fsync(fd) != 0) LOG_W("fsync failed path=%s err=%s", dir, strerror(errno));
    close(fd);
}

static int join_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        LOG_E("path too long dir=%s name=%s", dir, name);
        return -1;
    }
    return 0;
}

/* ---- atomic PEM files ------------------------------------------------- */

typedef int (*pem_writer_fn)(FILE *f, void *obj);

static int write_key_pem(FILE *f, void *obj)
{
    return PEM_write_PrivateKey(f, obj, NULL, NULL, 0, NULL, NULL);
}

static int write_cert_pem(FILE *f, void *obj)
{
    return PEM_write_X509(f, obj);
}

/* Writes the PEM produced by fn to path.tmpXXXXXX (mode `mode`), fsyncs it and
 * renames it over path, so readers see either nothing or the whole file. */
static int write_atomic(const char *path, mode_t mode, pem_writer_fn fn, void *obj)
{
    char tmp[PATH_MAX], err[256] = "";
    FILE *f = NULL;
    int fd = -1, created = 0;
    int n = snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        snprintf(err, sizeof err, "path too long");
        goto fail;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) goto fail_errno;
    created = 1;
    if (fchmod(fd, mode) != 0) goto fail_errno;
    f = fdopen(fd, "w");
    if (!f) goto fail_errno;
    fd = -1;
    if (!fn(f, obj)) {
        ossl_reason(err, sizeof err);
        goto fail;
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) goto fail_errno;
    n = fclose(f);
    f = NULL;
    if (n != 0) goto fail_errno;
    if (rename(tmp, path) != 0) goto fail_errno;
    fsync_dir(path);
    return 0;

fail_errno:
    snprintf(err, sizeof err, "%s", strerror(errno));
fail:
    LOG_E("cannot write file path=%s err=%s", path, err);
    if (f) fclose(f);
    if (fd >= 0) close(fd);
    if (created) unlink(tmp);
    return -1;
}

/* ---- self-signed certificate ------------------------------------------ */

static int set_random_serial(X509 *x)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) return -1;
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    if (!bn) return -1;
    if (BN_is_zero(bn)) BN_one(bn);
    int ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int set_names(X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)CERT_NAME, -1,
                                    -1, 0))
        return -1;
    return X509_set_issuer_name(x, name) ? 0 : -1;
}

static int set_validity(X509 *x)
{
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -3600)) return -1;
    return X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) ? 0 : -1;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext) return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int add_extensions(X509 *x)
{
    if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0) return -1;
    if (add_ext(x, NID_key_usage, "critical,digitalSignature") != 0) return -1;
    if (add_ext(x, NID_ext_key_usage, "serverAuth") != 0) return -1;
    if (add_ext(x, NID_subject_key_identifier, "hash") != 0) return -1;
    return add_ext(x, NID_subject_alt_name, "DNS:" CERT_NAME);
}

static X509 *make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (!x) goto fail;
    if (!X509_set_version(x, X509_VERSION_3)) goto fail;
    if (set_random_serial(x) != 0) goto fail;
    if (set_names(x) != 0) goto fail;
    if (set_validity(x) != 0) goto fail;
    if (!X509_set_pubkey(x, key)) goto fail;
    if (add_extensions(x) != 0) goto fail;
    if (X509_sign(x, key, EVP_sha256()) <= 0) goto fail;
    return x;

fail:
    X509_free(x);
    return NULL;
}

/* Creates a key and a self-signed certificate and stores both. The key goes
 * first: a crash in between leaves a key without a certificate, which the next
 * start simply replaces (no fingerprint was ever shown for it). */
static int generate_identity(const char *crt_path, const char *key_path)
{
    char err[256];
    X509 *x = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key) {
        LOG_E("EC P-256 key generation failed err=%s", ossl_reason(err, sizeof err));
        goto fail;
    }
    x = make_cert(key);
    if (!x) {
        LOG_E("self-signed certificate creation failed err=%s", ossl_reason(err, sizeof err));
        goto fail;
    }
    if (write_atomic(key_path, 0600, write_key_pem, key) != 0) goto fail;
    if (write_atomic(crt_path, 0644, write_cert_pem, x) != 0) goto fail;
    X509_free(x);
    EVP_PKEY_free(key);
    return 0;

fail:
    X509_free(x);
    EVP_PKEY_free(key);
    return -1;
}

/* ---- permissions of state files -------------------------------------- */

int tlsc_secure_dir(const char *dir)
{
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        LOG_E("cannot open state dir path=%s err=%s", dir, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    int r = 0;
    mode_t m = st.st_mode & 07777;
    if (!(m & (S_IWGRP | S_IWOTH))) {
        /* nobody else can replace our files */
    } else if (st.st_uid == geteuid() && !(m & S_ISVTX)) {
        if (fchmod(fd, 0700) == 0) {
            LOG_W("state dir was writable by other users; tightened to 0700 path=%s mode=%03o", dir,
                  (unsigned)m);
        } else {
            LOG_E("cannot tighten state dir path=%s mode=%03o err=%s", dir, (unsigned)m,
                  strerror(errno));
            r = -1;
        }
    } else {
        /* Not ours (or a shared sticky dir like /tmp): chmod is not our call. */
        LOG_E("state dir is writable by other users path=%s mode=%03o owner_uid=%u: refusing to "
              "keep keys or trusted fingerprints there; use a directory only this user can write "
              "(chmod 0700, or --state-dir)",
              dir, (unsigned)m, (unsigned)st.st_uid);
        r = -1;
    }
    close(fd);
    return r;
}

int tlsc_check_key_file(const char *path, int ours)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        LOG_E("cannot stat private key path=%s err=%s", path, strerror(errno));
        return -1;
    }
    mode_t m = st.st_mode & 0777;
    if (!(m & 077)) return 0;
    if (ours && chmod(path, 0600) == 0) {
        LOG_W("server key was readable by other users; fixed to 0600 path=%s mode=%03o", path,
              (unsigned)m);
        return 0;
    }
    if (m & 007) {
        LOG_E("private key is readable by every user path=%s mode=%03o: refusing to use it; run "
              "chmod 600 %s (or 640 with a group only the burrow user is in)",
              path, (unsigned)m, path);
        return -1;
    }
    LOG_W("private key is readable by its group path=%s mode=%03o; chmod 600 it unless that "
          "group is trusted",
          path, (unsigned)m);
    return 0;
}

/* 1 when path exists, 0 when it does not, -1 (logged) when stat fails. */
static int file_exists(const char *path, mode_t *mode)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (mode) *mode = st.st_mode;
        return 1;
    }
    if (errno == ENOENT) return 0;
    LOG_E("cannot stat file path=%s err=%s", path, strerror(errno));
    return -1;
}

/* Makes sure state_dir holds server.crt and server.key, generating them when
 * the certificate is missing. Fills the two paths. */
static int ensure_identity(const char *state_dir, char *crt, char *key, size_t size, int *generated)
{
    if (mkdir_p(state_dir) != 0) {
        LOG_E("cannot create state dir path=%s err=%s", state_dir, strerror(errno));
        return -1;
    }
    if (tlsc_secure_dir(state_dir) != 0) return -1;
    if (join_path(crt, size, state_dir, "server.crt") != 0) return -1;
    if (join_path(key, size, state_dir, "server.key") != 0) return -1;
    mode_t key_mode = 0;
    int have_crt = file_exists(crt, NULL);
    int have_key = file_exists(key, &key_mode);
    if (have_crt < 0 || have_key < 0) return -1;
    if (have_crt && !have_key) {
        LOG_E("server certificate present without its key path=%s err=%s", key,
              "remove the certificate to generate a new identity");
        return -1;
    }
    if (have_crt) return tlsc_check_key_file(key, 1);
    if (generate_identity(crt, key) != 0) return -1;
    *generated = 1;
    return 0;
}

/* ---- contexts --------------------------------------------------------- */

static int load_identity(SSL_CTX *ctx, const char *crt, const char *key)
{
    char err[256];
    if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) {
        LOG_E("cannot load certificate path=%s err=%s", crt, ossl_reason(err, sizeof err));
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        LOG_E("cannot load private key path=%s err=%s", key, ossl_reason(err, sizeof err));
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        LOG_E("private key does not match certificate path=%s err=%s", key,
              ossl_reason(err, sizeof err));
        return -1;
    }
    return 0;
}

#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

/* Protocol policy shared by both roles. */
static int apply_policy(SSL_CTX *ctx)
{
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return -1;
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) return -1;
    /* TLS 1.3: AES-128-GCM first. It is as standard as the AES-256 default
     * and costs less CPU per relayed byte; ChaCha20 for CPUs without AES-NI. */
    if (SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1) return -1;
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    return 0;
}

static int apply_server_policy(SSL_CTX *ctx)
{
    if (apply_policy(ctx) != 0) return -1;
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    const unsigned char *sid = (const unsigned char *)SESSION_ID_CTX;
    if (SSL_CTX_set_session_id_context(ctx, sid, sizeof SESSION_ID_CTX - 1) != 1) return -1;
    return 0;
}

int tlsc_fingerprint(X509 *cert, char out[TLSC_FP_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char err[256];
    if (!cert || !out) return -1;
    if (X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32) {
        LOG_E("certificate digest failed err=%s", ossl_reason(err, sizeof err));
        return -1;
    }
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < len; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 0xf];
    }
    out[7 + 2 * len] = '\0';
    return 0;
}

/* Picks the certificate and key files: explicit ones, or the state dir's. */
static int server_files(const char *cert_file, const char *key_file, const char *state_dir,
                        char *crt, char *key, size_t size, int *generated)
{
    if (is_set(cert_file) != is_set(key_file)) {
        LOG_E("cert_file and key_file must be set together path=%s err=%s",
              is_set(cert_file) ? cert_file : key_file, "the other one is missing");
        return -1;
    }
    if (is_set(cert_file)) {
        int n = snprintf(crt, size, "%s", cert_file);
        int m = snprintf(key, size, "%s", key_file);
        if (n < 0 || m < 0 || (size_t)n >= size || (size_t)m >= size) {
            LOG_E("path too long path=%s err=%s", cert_file, strerror(ENAMETOOLONG));
            return -1;
        }
        return tlsc_check_key_file(key, 0);
    }
    if (!is_set(state_dir)) {
        LOG_E("no certificate configured and no state dir path=%s err=%s", "(none)",
              "set cert_file/key_file or state_dir");
        return -1;
    }
    return ensure_identity(state_dir, crt, key, size, generated);
}

SSL_CTX *tlsc_server_ctx(const char *cert_file, const char *key_file, const char *state_dir,
                         char fp_out[TLSC_FP_LEN], int *generated)
{
    char crt[PATH_MAX], key[PATH_MAX], err[256], fp[TLSC_FP_LEN];
    int gen = 0;
    SSL_CTX *ctx = NULL;
    if (generated) *generated = 0;
    if (fp_out) fp_out[0] = '\0';
    if (server_files(cert_file, key_file, state_dir, crt, key, sizeof crt, &gen) != 0) goto fail;
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || apply_server_policy(ctx) != 0) {
        LOG_E("server TLS context setup failed path=%s err=%s", crt, ossl_reason(err, sizeof err));
        goto fail;
    }
    if (load_identity(ctx, crt, key) != 0) goto fail;
    if (tlsc_fingerprint(SSL_CTX_get0_certificate(ctx), fp) != 0) goto fail;
    if (fp_out) memcpy(fp_out, fp, sizeof fp);
    if (generated) *generated = gen;
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* A fresh identity for this process only: nothing is written (frp's
 * https2http without crtPath/keyPath does the same). */
SSL_CTX *tlsc_server_ctx_ephemeral(char fp_out[TLSC_FP_LEN])
{
    char err[256];
    X509 *x = NULL;
    SSL_CTX *ctx = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (key) x = make_cert(key);
    if (x) ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || apply_server_policy(ctx) != 0 || SSL_CTX_use_certificate(ctx, x) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1 || tlsc_fingerprint(x, fp_out) != 0) {
        LOG_E("self-signed certificate setup failed err=%s", ossl_reason(err, sizeof err));
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

SSL_CTX *tlsc_client_ctx(const char *ca_file)
{
    char err[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || apply_policy(ctx) != 0) {
        LOG_E("client TLS context setup failed path=%s err=%s", is_set(ca_file) ? ca_file : "-",
              ossl_reason(err, sizeof err));
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (is_set(ca_file)) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            LOG_E("cannot load CA file path=%s err=%s", ca_file, ossl_reason(err, sizeof err));
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* ---- trust on first use ----------------------------------------------- */

static int fp_valid(const char *fp)
{
    if (strncasecmp(fp, "sha256:", 7) != 0) return 0;
    for (int i = 0; i < 64; i++) {
        char c = fp[7 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return 0;
    }
    return fp[71] == '\0';
}

/* Endpoints are single tokens: no blanks or controls, not a comment, "x:y". */
static int endpoint_valid(const char *ep)
{
    size_t n = strlen(ep);
    if (n == 0 || n > TOFU_ENDPOINT_MAX || ep[0] == '#' || !strchr(ep, ':')) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)ep[i] <= ' ' || ep[i] == 0x7f) return 0;
    return 1;
}

static void fp_normalize(const char *in, char out[TLSC_FP_LEN])
{
    memcpy(out, "sha256:", 7);
    for (int i = 7; i < 71; i++) {
        char c = in[i];
        out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    out[71] = '\0';
}

/* Reads one line. Returns 1 for a line in buf, 2 for a line that is
 * malformed as a whole: overlong, or holding a NUL byte (a power cut can
 * leave zeros in a file). Either is skipped up to its own newline and no
 * further, so the next line is never lost or mistaken for a tail. 0 at EOF
 * or on error. *last tracks the last byte read, to know whether the file
 * ends in '\n'. */
static int read_line(FILE *f, char *buf, size_t size, int *last)
{
    size_t n = 0;
    int c = EOF, r = 1;
    while ((c = getc(f)) != EOF) {
        *last = c;
        if (c == '\0' || n + 1 >= size)
            r = 2;
        else
            buf[n++] = (char)c;
        if (c == '\n') break;
    }
    buf[n] = '\0';
    return c == EOF && n == 0 && r == 1 ? 0 : r;
}

/* Splits "endpoint fp" (exactly two tokens, fp well-formed). 0 or -1. */
static int parse_entry(char *line, char **ep, char **fp)
{
    char *save = NULL;
    *ep = strtok_r(line, " \t\r\n", &save);
    if (!*ep || (*ep)[0] == '#') return -1;
    *fp = strtok_r(NULL, " \t\r\n", &save);
    if (!*fp || strtok_r(NULL, " \t\r\n", &save)) return -1;
    return fp_valid(*fp) ? 0 : -1;
}

/* Looks endpoint up. 1 found (stored fp in out), 0 absent, -1 read error. */
static int tofu_find(FILE *f, const char *path, const char *endpoint, char out[TLSC_FP_LEN],
                     int *last)
{
    char line[TOFU_LINE_MAX];
    char *ep, *fp;
    int r;
    while ((r = read_line(f, line, sizeof line, last)) != 0) {
        if (r != 1 || parse_entry(line, &ep, &fp) != 0) continue;
        if (strcasecmp(ep, endpoint) != 0) continue;
        fp_normalize(fp, out);
        return 1;
    }
    if (ferror(f)) {
        LOG_E("cannot read TOFU store path=%s err=%s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int tofu_append(FILE *f, const char *path, const char *endpoint, const char *fp, int last)
{
    if (fseek(f, 0, SEEK_END) != 0) goto fail;
    if (last != '\n' && fputc('\n', f) == EOF) goto fail;
    if (fprintf(f, "%s %s\n", endpoint, fp) < 0) goto fail;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) goto fail;
    return 0;

fail:
    LOG_E("cannot append to TOFU store path=%s err=%s", path, strerror(errno));
    return -1;
}

/* Opens (creating when missing) and locks the store. *writable is 0 when it
 * could only be opened read-only. */
static FILE *tofu_open(const char *path, int *writable)
{
    char dir[PATH_MAX];
    parent_dir(path, dir, sizeof dir);
    if (dir[0] && mkdir_p(dir) != 0) {
        LOG_E("cannot create TOFU store dir path=%s err=%s", dir, strerror(errno));
        return NULL;
    }
    if (dir[0] && tlsc_secure_dir(dir) != 0) return NULL;
    *writable = 1;
    /* O_NOFOLLOW: a symlink planted here must not redirect our writes. */
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
        int first = errno;
        *writable = 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT) errno = first;
    }
    if (fd < 0 && errno == ELOOP) {
        LOG_E("TOFU store is a symbolic link path=%s: refusing to follow it; replace it with a "
              "regular file",
              path);
        return NULL;
    }
    if (fd < 0) goto fail;
    struct stat st;
    if (fstat(fd, &st) != 0) goto fail;
    if (!S_ISREG(st.st_mode)) {
        LOG_E("TOFU store is not a regular file path=%s: refusing to use it", path);
        close(fd);
        return NULL;
    }
    if (flock(fd, *writable ? LOCK_EX : LOCK_SH) != 0) goto fail;
    FILE *f = fdopen(fd, *writable ? "r+" : "r");
    if (!f) goto fail;
    return f;

fail:
    LOG_E("cannot open TOFU store path=%s err=%s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
}

tofu_result_t tlsc_tofu_check(const char *path, const char *endpoint, const char *fp,
                              char old_fp[TLSC_FP_LEN])
{
    char stored[TLSC_FP_LEN], want[TLSC_FP_LEN];
    int writable = 0, last = '\n';
    if (old_fp) old_fp[0] = '\0';
    if (!is_set(path) || !endpoint || !endpoint_valid(endpoint) || !fp || !fp_valid(fp)) {
        LOG_E("invalid TOFU lookup path=%s err=%s", path ? path : "(null)",
              "malformed endpoint or fingerprint");
        return TOFU_ERROR;
    }
    fp_normalize(fp, want);
    FILE *f = tofu_open(path, &writable);
    if (!f) return TOFU_ERROR;
    tofu_result_t r;
    int found = tofu_find(f, path, endpoint, stored, &last);
    if (found < 0) {
        r = TOFU_ERROR;
    } else if (found) {
        r = strcmp(stored, want) == 0 ? TOFU_MATCH : TOFU_MISMATCH;
        if (r == TOFU_MISMATCH && old_fp) memcpy(old_fp, stored, TLSC_FP_LEN);
    } else if (!writable) {
        LOG_E("cannot record fingerprint path=%s err=%s", path, "store is read-only");
        r = TOFU_ERROR;
    } else {
        r = tofu_append(f, path, endpoint, want, last) == 0 ? TOFU_NEW : TOFU_ERROR;
    }
    fclose(f);
    return r;
}
