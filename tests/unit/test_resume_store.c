/* test_resume_store: the client's saved {run_id, resume_key} — round trip,
 * mode 0600, atomic replace, and no use of symlinks, files others can read,
 * or malformed files. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/resume_store.h"
#include "testlib.h"

static char g_dir[] = "/tmp/brw-resume.XXXXXX";

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", g_dir, name);
}

static void test_path_is_safe(void)
{
    char p[256];
    char q[256];
    resume_path("/st", "203.0.113.10:7000", "alice\nalice.web\n", p, sizeof p);
    CHECK(strncmp(p, "/st/resume-203.0.113.10_7000-", 29) == 0 && strlen(p) == 29 + 16);
    resume_path("/st", "203.0.113.10:7000", "alice\nalice.web\n", q, sizeof q);
    CHECK_EQ_STR(p, q); /* the same client finds its file again */
    resume_path("/st", "203.0.113.10:7000", "alice\nalice.ssh\n", q, sizeof q);
    CHECK(strcmp(p, q) != 0); /* another client's proxies: another file */
    resume_path("/st", "../../etc/x:1", "", p, sizeof p);
    CHECK(strncmp(p, "/st/resume-.._.._etc_x_1-", 25) == 0); /* no '/' survives */
    CHECK(strchr(p + 4, '/') == NULL);
}

static void test_round_trip_and_mode(void)
{
    char p[256], id[RESUME_RUN_ID_MAX];
    uint8_t key[AUTH_MAC_LEN], got[AUTH_MAC_LEN];
    for (int i = 0; i < AUTH_MAC_LEN; i++)
        key[i] = (uint8_t)(i * 7);
    path_in(p, sizeof p, "rt");
    umask(022);
    CHECK_EQ_INT(resume_save(p, "0123abcd", key), 0);
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(resume_load(p, id, got), 0);
    CHECK_EQ_STR(id, "0123abcd");
    CHECK(memcmp(key, got, sizeof key) == 0);
    key[0] ^= 1; /* replaced atomically, no temp file left */
    CHECK_EQ_INT(resume_save(p, "ffff", key), 0);
    CHECK_EQ_INT(resume_load(p, id, got), 0);
    CHECK_EQ_STR(id, "ffff");
    CHECK(memcmp(key, got, sizeof key) == 0);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", p, (long)getpid());
    CHECK(access(tmp, F_OK) != 0);
}

static void test_symlinks_not_followed(void)
{
    char p[256], target[256], id[RESUME_RUN_ID_MAX];
    uint8_t key[AUTH_MAC_LEN] = {1}, got[AUTH_MAC_LEN];
    path_in(target, sizeof target, "target");
    path_in(p, sizeof p, "link");
    CHECK_EQ_INT(resume_save(target, "aa", key), 0);
    CHECK_EQ_INT(symlink(target, p), 0);
    CHECK_EQ_INT(resume_load(p, id, got), -1); /* reading through a link */
    CHECK_EQ_INT(resume_save(p, "bb", key), 0);
    struct stat st;
    CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode)); /* the link itself was replaced */
    CHECK_EQ_INT(resume_load(target, id, got), 0);
    CHECK_EQ_STR(id, "aa"); /* its target untouched */
}

static void write_file(const char *p, const char *text, mode_t mode)
{
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    chmod(p, mode);
}

static void test_refuses_bad_files(void)
{
    char p[256], id[RESUME_RUN_ID_MAX];
    uint8_t got[AUTH_MAC_LEN];
    static const char good[] =
        "abcd 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    path_in(p, sizeof p, "f");
    write_file(p, good, 0600);
    CHECK_EQ_INT(resume_load(p, id, got), 0);
    CHECK_EQ_INT(got[31], 0x1f);
    write_file(p, good, 0644); /* readable by others: the key proves nothing */
    CHECK_EQ_INT(resume_load(p, id, got), -1);
    static const char *const bad[] = {
        "",
        "abcd\n",
        "abcd 0001\n",
        "ABCD 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        "abcd 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(p, bad[i], 0600);
        CHECK_EQ_INT(resume_load(p, id, got), -1);
    }
    /* A run id of RESUME_RUN_ID_MAX bytes does not fit; a file longer than
     * RESUME_FILE_MAX is cut and so malformed. */
    char longer[RESUME_FILE_MAX + 80];
    memset(longer, 'a', RESUME_RUN_ID_MAX);
    snprintf(longer + RESUME_RUN_ID_MAX, sizeof longer - RESUME_RUN_ID_MAX, "%s", good + 4);
    write_file(p, longer, 0600);
    CHECK_EQ_INT(resume_load(p, id, got), -1);
    snprintf(longer + RESUME_RUN_ID_MAX - 1, sizeof longer - RESUME_RUN_ID_MAX + 1, "%s", good + 4);
    write_file(p, longer, 0600);
    CHECK_EQ_INT(resume_load(p, id, got), 0); /* one byte shorter fits */
    memset(longer, 'a', RESUME_FILE_MAX + 10);
    longer[RESUME_FILE_MAX + 10] = '\0';
    memcpy(longer, good, sizeof good - 2); /* valid start, no end of line in range */
    write_file(p, longer, 0600);
    CHECK_EQ_INT(resume_load(p, id, got), -1);
    path_in(p, sizeof p, "missing");
    CHECK_EQ_INT(resume_load(p, id, got), -1);
}

int main(void)
{
    if (!mkdtemp(g_dir)) return 1;
    RUN(test_path_is_safe);
    RUN(test_round_trip_and_mode);
    RUN(test_symlinks_not_followed);
    RUN(test_refuses_bad_files);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) return 1;
    return TEST_SUMMARY();
}
