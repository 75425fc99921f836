/* Unit tests for tls_cert: identity generation and reuse, explicit files,
 * fingerprints, client contexts, the TOFU store, and real in-memory handshakes
 * over a BIO pair (no sockets). */
#include "tls/tls_cert.h"
#include "testlib.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/ssl.h>

static char g_root[64];

static const char FP_A[] =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char FP_B[] =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", g_root, name);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return (mode_t)-1;
    return st.st_mode & 07777;
}

/* Reads a whole (small) file into a malloc'd string, NULL when missing. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static int fp_format_ok(const char *fp)
{
    if (strlen(fp) != 71 || strncmp(fp, "sha256:", 7) != 0) return 0;
    for (int i = 7; i < 71; i++)
        if (!strchr("0123456789abcdef", fp[i])) return 0;
    return 1;
}

/* Server identity in state dir `name`; returns the context and fills fp. */
static SSL_CTX *server_in(const char *name, char fp[TLSC_FP_LEN], int *generated)
{
    char dir[256];
    path_in(dir, sizeof dir, name);
    return tlsc_server_ctx(NULL, NULL, dir, fp, generated);
}

static void test_generate_and_reuse(void)
{
    char dir[256], parent[256], key[300], crt[300], fp1[TLSC_FP_LEN], fp2[TLSC_FP_LEN];
    int gen = -1;
    path_in(parent, sizeof parent, "gen");
    path_in(dir, sizeof dir, "gen/state");
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(crt, sizeof crt, "%s/server.crt", dir);

    SSL_CTX *ctx = tlsc_server_ctx(NULL, NULL, dir, fp1, &gen);
    CHECK(ctx != NULL);
    CHECK_EQ_INT(gen, 1);
    CHECK(fp_format_ok(fp1));
    CHECK_EQ_INT(mode_of(dir), 0700);
    CHECK_EQ_INT(mode_of(parent), 0700);
    CHECK_EQ_INT(mode_of(key), 0600);
    CHECK(mode_of(crt) != (mode_t)-1);
    SSL_CTX_free(ctx);

    gen = -1;
    ctx = tlsc_server_ctx(NULL, NULL, dir, fp2, &gen);
    CHECK(ctx != NULL);
    CHECK_EQ_INT(gen, 0);
    CHECK_EQ_STR(fp1, fp2);
    SSL_CTX_free(ctx);

    /* "" counts as unset, like NULL. */
    ctx = tlsc_server_ctx("", "", dir, fp2, NULL);
    CHECK(ctx != NULL);
    CHECK_EQ_STR(fp1, fp2);
    SSL_CTX_free(ctx);
}

static void test_certificate_contents(void)
{
    char crt[300], fp[TLSC_FP_LEN], fp_file[TLSC_FP_LEN];
    SSL_CTX *ctx = server_in("contents", fp, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
    path_in(crt, sizeof crt, "contents/server.crt");
    FILE *f = fopen(crt, "r");
    CHECK(f != NULL);
    if (!f) return;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    CHECK(x != NULL);
    if (!x) return;

    CHECK_EQ_INT(tlsc_fingerprint(x, fp_file), 0);
    CHECK_EQ_STR(fp_file, fp);
    CHECK_EQ_INT(X509_check_host(x, "burrow", 0, 0, NULL), 1);
    CHECK_EQ_INT(X509_check_host(x, "other", 0, 0, NULL), 0);
    char cn[64] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    CHECK_EQ_STR(cn, "burrow");
    CHECK_EQ_INT(X509_get_version(x), X509_VERSION_3);

    EVP_PKEY *pub = X509_get0_pubkey(x);
    CHECK(pub && EVP_PKEY_is_a(pub, "EC"));
    char group[64] = "";
    EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof group, NULL);
    CHECK_EQ_STR(group, "prime256v1");
    CHECK_EQ_INT(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);

    /* Validity: starts about an hour ago, ends about ten years ahead. */
    int days = 0, secs = 0;
    CHECK(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(x)));
    CHECK(days == 0 && secs <= -3500 && secs >= -3700);
    CHECK(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)));
    CHECK(days >= 3650 && days <= 3653);

    /* Serial: positive, about 128 bits. */
    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    CHECK(serial && !BN_is_negative(serial) && BN_num_bits(serial) > 100);
    CHECK(BN_num_bits(serial) <= 128);
    BN_free(serial);
    X509_free(x);
}

static void test_fingerprint_format(void)
{
    char fp[TLSC_FP_LEN];
    memset(fp, 'x', sizeof fp);
    SSL_CTX *ctx = server_in("gen/state", fp, NULL);
    CHECK(ctx != NULL);
    CHECK(fp_format_ok(fp));
    CHECK_EQ_INT(tlsc_fingerprint(SSL_CTX_get0_certificate(ctx), fp), 0);
    CHECK(fp_format_ok(fp));
    CHECK_EQ_INT(tlsc_fingerprint(NULL, fp), -1);
    SSL_CTX_free(ctx);
}

static void test_explicit_files(void)
{
    char crt[300], key[300], fp_state[TLSC_FP_LEN], fp[TLSC_FP_LEN];
    int gen = -1;
    SSL_CTX *ctx = server_in("gen/state", fp_state, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
    path_in(crt, sizeof crt, "gen/state/server.crt");
    path_in(key, sizeof key, "gen/state/server.key");

    ctx = tlsc_server_ctx(crt, key, NULL, fp, &gen);
    CHECK(ctx != NULL);
    CHECK_EQ_INT(gen, 0);
    CHECK_EQ_STR(fp, fp_state);
    SSL_CTX_free(ctx);
}

static void test_bad_server_files(void)
{
    char crt_a[300], key_b[300], missing[300], fp[TLSC_FP_LEN];
    SSL_CTX *a = server_in("A", fp, NULL);
    SSL_CTX *b = server_in("B", fp, NULL);
    CHECK(a && b);
    SSL_CTX_free(a);
    SSL_CTX_free(b);
    path_in(crt_a, sizeof crt_a, "A/server.crt");
    path_in(key_b, sizeof key_b, "B/server.key");
    path_in(missing, sizeof missing, "nope/server.crt");

    int gen = -1;
    strcpy(fp, "junk");
    CHECK(tlsc_server_ctx(crt_a, key_b, NULL, fp, &gen) == NULL);
    CHECK_EQ_INT(gen, 0);
    CHECK_EQ_STR(fp, "");
    CHECK(tlsc_server_ctx(crt_a, NULL, NULL, fp, NULL) == NULL);
    CHECK(tlsc_server_ctx(missing, key_b, NULL, fp, NULL) == NULL);
    CHECK(tlsc_server_ctx(crt_a, missing, NULL, fp, NULL) == NULL);
    CHECK(tlsc_server_ctx(NULL, NULL, NULL, fp, NULL) == NULL);

    /* A state dir whose key vanished must not silently get a new identity. */
    char dir[256], key_a[300];
    path_in(dir, sizeof dir, "A");
    path_in(key_a, sizeof key_a, "A/server.key");
    unlink(key_a);
    CHECK(tlsc_server_ctx(NULL, NULL, dir, fp, NULL) == NULL);

    /* A state dir path that is a regular file fails cleanly. */
    CHECK(tlsc_server_ctx(NULL, NULL, crt_a, fp, NULL) == NULL);
}

static void test_client_ctx(void)
{
    char missing[300], crt[300], fp[TLSC_FP_LEN];
    path_in(missing, sizeof missing, "no-such-ca.pem");
    CHECK(tlsc_client_ctx(missing) == NULL);

    SSL_CTX *ctx = tlsc_client_ctx(NULL);
    CHECK(ctx != NULL);
    CHECK_EQ_INT(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
    CHECK_EQ_INT(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    SSL_CTX_free(ctx);

    SSL_CTX *srv = server_in("gen/state", fp, NULL);
    SSL_CTX_free(srv);
    path_in(crt, sizeof crt, "gen/state/server.crt");
    ctx = tlsc_client_ctx(crt);
    CHECK(ctx != NULL);
    CHECK(ctx && SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_PEER);
    SSL_CTX_free(ctx);

    /* A file without certificates is rejected too. */
    char junk[300];
    path_in(junk, sizeof junk, "junk.pem");
    spit(junk, "not a certificate\n");
    CHECK(tlsc_client_ctx(junk) == NULL);
}

static void test_tofu_basic(void)
{
    char store[300], old[TLSC_FP_LEN];
    path_in(store, sizeof store, "tofu1/sub/known_hosts");

    strcpy(old, "junk");
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:443", FP_A, old), TOFU_NEW);
    CHECK_EQ_STR(old, "");
    CHECK_EQ_INT(mode_of(store), 0600);
    char dir[300];
    path_in(dir, sizeof dir, "tofu1/sub");
    CHECK_EQ_INT(mode_of(dir), 0700);
    path_in(dir, sizeof dir, "tofu1");
    CHECK_EQ_INT(mode_of(dir), 0700);

    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:443", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "EXAMPLE.org:443", FP_A, old), TOFU_MATCH);

    char *before = slurp(store);
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:443", FP_B, old), TOFU_MISMATCH);
    CHECK_EQ_STR(old, FP_A);
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:443", FP_B, NULL), TOFU_MISMATCH);
    char *after = slurp(store);
    CHECK_EQ_STR(before, after);
    CHECK_EQ_STR(after, "example.org:443 "
                        "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    free(before);
    free(after);

    /* Uppercase hex from the caller is the same fingerprint. */
    char upper[TLSC_FP_LEN];
    strcpy(upper, FP_A);
    for (int i = 7; i < 71; i++)
        upper[i] = 'A';
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:443", upper, old), TOFU_MATCH);

    /* Ports and hosts compare exactly. */
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:4433", FP_B, old), TOFU_NEW);
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:443", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "example.org:4433", FP_B, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "xexample.org:443", FP_B, old), TOFU_NEW);
}

/* A line holding a NUL byte (zeros left by a power cut) is skipped alone:
 * the entry after it is still found, not recorded again. */
static void test_tofu_nul_line(void)
{
    char store[300], old[TLSC_FP_LEN];
    path_in(store, sizeof store, "tofu_nul.txt");
    static const char text[] = "\0\0junk\nnul.example:1 "
                               "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    FILE *f = fopen(store, "wb");
    CHECK(f && fwrite(text, 1, sizeof text - 1, f) == sizeof text - 1);
    if (f) fclose(f);
    CHECK_EQ_INT(tlsc_tofu_check(store, "nul.example:1", FP_B, old), TOFU_MISMATCH);
    CHECK_EQ_STR(old, FP_A);
    CHECK_EQ_INT(tlsc_tofu_check(store, "nul.example:1", FP_A, old), TOFU_MATCH);
}

static void test_tofu_independent(void)
{
    char store[300], old[TLSC_FP_LEN];
    path_in(store, sizeof store, "tofu2.txt");
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:7000", FP_A, old), TOFU_NEW);
    CHECK_EQ_INT(tlsc_tofu_check(store, "b.example:7000", FP_B, old), TOFU_NEW);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:7000", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "b.example:7000", FP_B, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:7000", FP_B, old), TOFU_MISMATCH);
    CHECK_EQ_STR(old, FP_A);
    CHECK_EQ_INT(tlsc_tofu_check(store, "b.example:7000", FP_A, old), TOFU_MISMATCH);
    CHECK_EQ_STR(old, FP_B);
}

static void test_tofu_comments_and_junk(void)
{
    char store[300], old[TLSC_FP_LEN];
    path_in(store, sizeof store, "tofu3.txt");
    const char *text =
        "# burrow known servers\n"
        "\n"
        "   \t\n"
        "broken line without fingerprint\n"
        "bad.example:1 sha256:zz\n"
        "three.example:1 sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaa extra\n"
        "  # indented comment c.example:1\n"
        "\tc.example:1   sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbb\r\n"
        "last.example:1 sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaa"; /* no final newline */
    spit(store, text);

    CHECK_EQ_INT(tlsc_tofu_check(store, "c.example:1", FP_B, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "last.example:1", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "bad.example:1", FP_A, old), TOFU_NEW);
    CHECK_EQ_INT(tlsc_tofu_check(store, "three.example:1", FP_B, old), TOFU_NEW);

    char *after = slurp(store);
    CHECK(after && strncmp(after, text, strlen(text)) == 0);
    CHECK(after &&
          strcmp(after + strlen(text), "\nbad.example:1 "
                                       "sha256:aaaaaaaaaaaaaaaaaaaaaaaa"
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
                                       "three.example:1 "
                                       "sha256:bbbbbbbbbbbbbbbbbbbbbbb"
                                       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n") == 0);
    free(after);

    CHECK_EQ_INT(tlsc_tofu_check(store, "last.example:1", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "bad.example:1", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "three.example:1", FP_B, old), TOFU_MATCH);
}

/* The tail of an overlong line must never be read as an entry of its own,
 * whatever buffer size the reader uses. */
static void test_tofu_long_lines(void)
{
    static const int lens[] = {1,    200,  255,  256,  511,  512,  1000, 1022,  1023,  1024,
                               1025, 2047, 2048, 4095, 4096, 8191, 8192, 65535, 65536, 300000};
    char store[300], old[TLSC_FP_LEN];
    path_in(store, sizeof store, "tofu4.txt");
    FILE *f = fopen(store, "w");
    CHECK(f != NULL);
    if (!f) return;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int j = 0; j < lens[i]; j++)
            fputc('#', f);
        fprintf(f, "evil.example:1 %s\n", FP_A);
        for (int j = 0; j < lens[i]; j++)
            fputc('x', f);
        fprintf(f, " evil.example:2 %s\n", FP_A);
    }
    fprintf(f, "good.example:1 %s\n", FP_A);
    fclose(f);

    CHECK_EQ_INT(tlsc_tofu_check(store, "good.example:1", FP_A, old), TOFU_MATCH);
    CHECK_EQ_INT(tlsc_tofu_check(store, "evil.example:1", FP_B, old), TOFU_NEW);
    CHECK_EQ_INT(tlsc_tofu_check(store, "evil.example:2", FP_B, old), TOFU_NEW);
    CHECK_EQ_INT(tlsc_tofu_check(store, "evil.example:1", FP_B, old), TOFU_MATCH);

    /* An endpoint too long to be stored, or not a single token, is refused. */
    char *huge = malloc(100000);
    memset(huge, 'h', 99990);
    strcpy(huge + 99990, ":1");
    CHECK_EQ_INT(tlsc_tofu_check(store, huge, FP_A, old), TOFU_ERROR);
    free(huge);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a b:1", FP_A, old), TOFU_ERROR);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a:1\nb:2", FP_A, old), TOFU_ERROR);
    CHECK_EQ_INT(tlsc_tofu_check(store, "#a:1", FP_A, old), TOFU_ERROR);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a:1", "sha256:abc", old), TOFU_ERROR);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a:1",
                                 "md5:"
                                 "aaaa",
                                 old),
                 TOFU_ERROR);
}

static void test_tofu_unwritable(void)
{
    char store[300], old[TLSC_FP_LEN];
    path_in(store, sizeof store, "notadir");
    spit(store, "x\n");
    path_in(store, sizeof store, "notadir/known_hosts");
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:1", FP_A, old), TOFU_ERROR);
}

/* ---- permissions of state files ---------------------------------------- */

/* known_servers is never opened through a symlink (it could point anywhere
 * writable by us, e.g. a file an attacker wants us to append to). */
static void test_tofu_symlink_refused(void)
{
    char dir[300], store[300], target[300], old[TLSC_FP_LEN];
    path_in(dir, sizeof dir, "tofulink");
    mkdir(dir, 0700);
    path_in(target, sizeof target, "tofulink/elsewhere");
    path_in(store, sizeof store, "tofulink/known_servers");
    spit(target, "# not ours\n");
    CHECK_EQ_INT(symlink(target, store), 0);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:1", FP_A, old), TOFU_ERROR);
    char *text = slurp(target);
    CHECK_EQ_STR(text, "# not ours\n"); /* nothing appended through the link */
    free(text);
    /* A dangling link is refused too, not created through. */
    unlink(target);
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:1", FP_A, old), TOFU_ERROR);
    CHECK(access(target, F_OK) != 0);
}

/* A state dir others may write to, ours: tightened to 0700 (server identity
 * and TOFU store alike). */
static void test_state_dir_tightened(void)
{
    char dir[300], store[300], fp[TLSC_FP_LEN], old[TLSC_FP_LEN];
    path_in(dir, sizeof dir, "loose");
    mkdir(dir, 0700);
    chmod(dir, 0777);
    SSL_CTX *ctx = tlsc_server_ctx(NULL, NULL, dir, fp, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
    CHECK_EQ_INT(mode_of(dir), 0700);

    path_in(dir, sizeof dir, "loose2");
    mkdir(dir, 0700);
    chmod(dir, 0775);
    path_in(store, sizeof store, "loose2/known_servers");
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:1", FP_A, old), TOFU_NEW);
    CHECK_EQ_INT(mode_of(dir), 0700);
    CHECK_EQ_INT(tlsc_secure_dir(dir), 0);
}

/* Sticky shared dirs (like /tmp) and dirs of another user are refused and
 * left as they are. */
static void test_state_dir_refused(void)
{
    char dir[300], store[300], fp[TLSC_FP_LEN], old[TLSC_FP_LEN];
    path_in(dir, sizeof dir, "sticky");
    mkdir(dir, 0700);
    chmod(dir, 01777);
    CHECK_EQ_INT(tlsc_secure_dir(dir), -1);
    CHECK(tlsc_server_ctx(NULL, NULL, dir, fp, NULL) == NULL);
    path_in(store, sizeof store, "sticky/known_servers");
    CHECK_EQ_INT(tlsc_tofu_check(store, "a.example:1", FP_A, old), TOFU_ERROR);
    CHECK(access(store, F_OK) != 0);
    CHECK_EQ_INT(mode_of(dir), 01777);

    if (geteuid() != 0) {
        printf("  (not root: skipping the other-owner case)\n");
        return;
    }
    path_in(dir, sizeof dir, "theirs");
    mkdir(dir, 0700);
    CHECK_EQ_INT(chown(dir, 65534, 65534), 0);
    chmod(dir, 0777);
    CHECK_EQ_INT(tlsc_secure_dir(dir), -1);
    CHECK(tlsc_server_ctx(NULL, NULL, dir, fp, NULL) == NULL);
    CHECK_EQ_INT(mode_of(dir), 0777);
    chmod(dir, 0755); /* not writable by others: fine whoever owns it */
    CHECK_EQ_INT(tlsc_secure_dir(dir), 0);
}

/* The state dir's server.key opened up (0644, 0640) is put back to 0600. */
static void test_generated_key_fixed(void)
{
    char dir[300], key[300], fp1[TLSC_FP_LEN], fp2[TLSC_FP_LEN];
    path_in(dir, sizeof dir, "keyfix");
    path_in(key, sizeof key, "keyfix/server.key");
    SSL_CTX *ctx = tlsc_server_ctx(NULL, NULL, dir, fp1, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
    mode_t modes[] = {0644, 0640, 0604};
    for (int i = 0; i < 3; i++) {
        chmod(key, modes[i]);
        ctx = tlsc_server_ctx(NULL, NULL, dir, fp2, NULL);
        CHECK(ctx != NULL);
        SSL_CTX_free(ctx);
        CHECK_EQ_STR(fp1, fp2);
        CHECK_EQ_INT(mode_of(key), 0600);
    }
}

/* transport.tls.keyFile: world-readable refused (and left alone),
 * group-readable accepted with a warning, 0600 accepted. */
static void test_user_key_modes(void)
{
    char src_crt[300], src_key[300], key[300], fp[TLSC_FP_LEN];
    SSL_CTX *ctx = server_in("userkey", fp, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
    path_in(src_crt, sizeof src_crt, "userkey/server.crt");
    path_in(src_key, sizeof src_key, "userkey/server.key");
    path_in(key, sizeof key, "userkey-copy.key");
    char *pem = slurp(src_key);
    CHECK(pem != NULL);
    if (!pem) return;
    spit(key, pem);
    free(pem);

    chmod(key, 0644);
    CHECK_EQ_INT(tlsc_check_key_file(key, 0), -1);
    CHECK(tlsc_server_ctx(src_crt, key, NULL, fp, NULL) == NULL);
    CHECK_EQ_INT(mode_of(key), 0644);
    chmod(key, 0604);
    CHECK(tlsc_server_ctx(src_crt, key, NULL, fp, NULL) == NULL);
    chmod(key, 0640);
    ctx = tlsc_server_ctx(src_crt, key, NULL, fp, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
    CHECK_EQ_INT(mode_of(key), 0640);
    chmod(key, 0600);
    ctx = tlsc_server_ctx(src_crt, key, NULL, fp, NULL);
    CHECK(ctx != NULL);
    SSL_CTX_free(ctx);
}

/* ---- handshakes over a BIO pair --------------------------------------- */

typedef struct {
    SSL *c, *s;
} pair_t;

static int pair_init(pair_t *p, SSL_CTX *cctx, SSL_CTX *sctx)
{
    BIO *bc = NULL, *bs = NULL;
    p->c = SSL_new(cctx);
    p->s = SSL_new(sctx);
    if (!p->c || !p->s || !BIO_new_bio_pair(&bc, 0, &bs, 0)) return -1;
    SSL_set_bio(p->c, bc, bc);
    SSL_set_bio(p->s, bs, bs);
    SSL_set_connect_state(p->c);
    SSL_set_accept_state(p->s);
    return 0;
}

/* Closes both ends cleanly: OpenSSL drops the session of a connection freed
 * without close_notify, which would defeat resumption. */
static void pair_free(pair_t *p)
{
    if (SSL_is_init_finished(p->c) && SSL_is_init_finished(p->s)) {
        SSL_shutdown(p->c);
        SSL_shutdown(p->s);
        SSL_shutdown(p->c);
    }
    ERR_clear_error();
    SSL_free(p->c);
    SSL_free(p->s);
}

/* One handshake step; 1 done, 0 wants more, -1 failed. */
static int step(SSL *ssl)
{
    int r = SSL_do_handshake(ssl);
    if (r == 1) return 1;
    int e = SSL_get_error(ssl, r);
    return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : -1;
}

static int handshake(pair_t *p)
{
    int cd = 0, sd = 0;
    for (int i = 0; i < 64 && !(cd == 1 && sd == 1); i++) {
        if (cd != 1) cd = step(p->c);
        if (sd != 1) sd = step(p->s);
        if (cd < 0 || sd < 0) break;
    }
    /* TLS 1.3 tickets arrive after the handshake: let the client take them. */
    char b;
    if (cd == 1 && sd == 1) SSL_read(p->c, &b, 1);
    ERR_clear_error();
    return cd == 1 && sd == 1 ? 0 : -1;
}

static void test_handshake_fingerprint(void)
{
    char fp_srv[TLSC_FP_LEN], fp_peer[TLSC_FP_LEN] = "";
    SSL_CTX *sctx = server_in("gen/state", fp_srv, NULL);
    SSL_CTX *cctx = tlsc_client_ctx(NULL);
    CHECK(sctx && cctx);
    pair_t p;
    CHECK_EQ_INT(pair_init(&p, cctx, sctx), 0);
    CHECK_EQ_INT(handshake(&p), 0);
    X509 *peer = SSL_get1_peer_certificate(p.c);
    CHECK(peer != NULL);
    CHECK_EQ_INT(tlsc_fingerprint(peer, fp_peer), 0);
    CHECK_EQ_STR(fp_peer, fp_srv);
    CHECK_EQ_INT(SSL_version(p.c), TLS1_3_VERSION);

    /* Application data flows both ways. */
    char buf[8] = "";
    CHECK_EQ_INT(SSL_write(p.c, "ping", 4), 4);
    CHECK_EQ_INT(SSL_read(p.s, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    X509_free(peer);
    pair_free(&p);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_handshake_tls12_policy(void)
{
    char fp[TLSC_FP_LEN];
    SSL_CTX *sctx = server_in("gen/state", fp, NULL);
    SSL_CTX *cctx = tlsc_client_ctx(NULL);
    CHECK(sctx && cctx);

    pair_t p;
    CHECK_EQ_INT(pair_init(&p, cctx, sctx), 0);
    SSL_set_max_proto_version(p.c, TLS1_2_VERSION);
    CHECK_EQ_INT(handshake(&p), 0);
    CHECK_EQ_INT(SSL_version(p.c), TLS1_2_VERSION);
    const SSL_CIPHER *ciph = SSL_get_current_cipher(p.c);
    CHECK(ciph && SSL_CIPHER_is_aead(ciph) && SSL_CIPHER_get_kx_nid(ciph) == NID_kx_ecdhe);
    pair_free(&p);

    /* TLS 1.1 clients are turned away. */
    SSL_CTX *old = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(old, 0);
    SSL_CTX_set_min_proto_version(old, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
    CHECK_EQ_INT(pair_init(&p, old, sctx), 0);
    CHECK_EQ_INT(handshake(&p), -1);
    pair_free(&p);

    /* A TLS 1.2 client offering only CBC suites is turned away too. */
    SSL_CTX_set_min_proto_version(old, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION);
    CHECK_EQ_INT(SSL_CTX_set_cipher_list(old, "ECDHE-ECDSA-AES128-SHA256"), 1);
    CHECK_EQ_INT(pair_init(&p, old, sctx), 0);
    CHECK_EQ_INT(handshake(&p), -1);
    pair_free(&p);

    SSL_CTX_free(old);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* Sessions from one connection resume on the next (1.3 tickets and 1.2). */
static void resume_with(int max_version)
{
    char fp[TLSC_FP_LEN];
    SSL_CTX *sctx = server_in("gen/state", fp, NULL);
    SSL_CTX *cctx = tlsc_client_ctx(NULL);
    CHECK(sctx && cctx);
    pair_t p;
    CHECK_EQ_INT(pair_init(&p, cctx, sctx), 0);
    SSL_set_max_proto_version(p.c, max_version);
    CHECK_EQ_INT(handshake(&p), 0);
    CHECK_EQ_INT(SSL_session_reused(p.c), 0);
    SSL_SESSION *sess = SSL_get1_session(p.c);
    CHECK(sess && SSL_SESSION_is_resumable(sess));
    pair_free(&p);

    CHECK_EQ_INT(pair_init(&p, cctx, sctx), 0);
    SSL_set_max_proto_version(p.c, max_version);
    CHECK_EQ_INT(SSL_set_session(p.c, sess), 1);
    CHECK_EQ_INT(handshake(&p), 0);
    CHECK_EQ_INT(SSL_session_reused(p.c), 1);
    pair_free(&p);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_session_resumption(void)
{
    resume_with(TLS1_3_VERSION);
    resume_with(TLS1_2_VERSION);
}

static void verify_host(const char *host, int want_ok)
{
    char fp[TLSC_FP_LEN], crt[300];
    SSL_CTX *sctx = server_in("gen/state", fp, NULL);
    path_in(crt, sizeof crt, "gen/state/server.crt");
    SSL_CTX *cctx = tlsc_client_ctx(crt);
    CHECK(sctx && cctx);
    pair_t p;
    CHECK_EQ_INT(pair_init(&p, cctx, sctx), 0);
    CHECK_EQ_INT(SSL_set1_host(p.c, host), 1);
    CHECK_EQ_INT(handshake(&p), want_ok ? 0 : -1);
    long vr = SSL_get_verify_result(p.c);
    CHECK_EQ_INT(vr, want_ok ? X509_V_OK : X509_V_ERR_HOSTNAME_MISMATCH);
    pair_free(&p);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_verify_against_pinned_ca(void)
{
    verify_host("burrow", 1);
    verify_host("other", 0);
}

/* A client trusting one server's certificate rejects another server. */
static void test_verify_wrong_ca(void)
{
    char fp[TLSC_FP_LEN], crt[300];
    SSL_CTX *sctx = server_in("B", fp, NULL);
    path_in(crt, sizeof crt, "gen/state/server.crt");
    SSL_CTX *cctx = tlsc_client_ctx(crt);
    CHECK(sctx && cctx);
    pair_t p;
    CHECK_EQ_INT(pair_init(&p, cctx, sctx), 0);
    SSL_set1_host(p.c, "burrow");
    CHECK_EQ_INT(handshake(&p), -1);
    CHECK(SSL_get_verify_result(p.c) != X509_V_OK);
    pair_free(&p);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    strcpy(g_root, "/tmp/burrow_tlsc_XXXXXX");
    if (!mkdtemp(g_root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_generate_and_reuse);
    RUN(test_certificate_contents);
    RUN(test_fingerprint_format);
    RUN(test_explicit_files);
    RUN(test_bad_server_files);
    RUN(test_client_ctx);
    RUN(test_tofu_basic);
    RUN(test_tofu_independent);
    RUN(test_tofu_comments_and_junk);
    RUN(test_tofu_long_lines);
    RUN(test_tofu_nul_line);
    RUN(test_tofu_unwritable);
    RUN(test_tofu_symlink_refused);
    RUN(test_state_dir_tightened);
    RUN(test_state_dir_refused);
    RUN(test_generated_key_fixed);
    RUN(test_user_key_modes);
    RUN(test_handshake_fingerprint);
    RUN(test_handshake_tls12_policy);
    RUN(test_session_resumption);
    RUN(test_verify_against_pinned_ca);
    RUN(test_verify_wrong_ca);
    nftw(g_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return TEST_SUMMARY();
}
