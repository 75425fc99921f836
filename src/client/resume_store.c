/* resume_store: see resume_store.h. */
#include "client/resume_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* FNV-1a, 64 bits: names files, protects nothing. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

void resume_path(const char *state_dir, const char *endpoint, const char *identity, char *out,
                 size_t size)
{
    int n = snprintf(out, size, "%s/resume-", state_dir);
    if (n < 0 || (size_t)n >= size) return;
    size_t o = (size_t)n;
    for (const char *p = endpoint; *p && o + 1 < size; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
        out[o++] = ok ? ch : '_';
    }
    snprintf(out + o, size - o, "-%016llx", (unsigned long long)fnv1a(identity));
}

static int parse(const char *text, char run_id[RESUME_RUN_ID_MAX], uint8_t key[AUTH_MAC_LEN])
{
    const char *sp = strchr(text, ' ');
    if (!sp || sp == text || (size_t)(sp - text) >= RESUME_RUN_ID_MAX) return -1;
    for (const char *p = text; p < sp; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return -1;
    char hex[2 * AUTH_MAC_LEN + 1];
    size_t klen = strcspn(sp + 1, "\n");
    if (klen != 2 * AUTH_MAC_LEN) return -1;
    memcpy(hex, sp + 1, klen);
    hex[klen] = '\0';
    if (auth_unhex(hex, key, AUTH_MAC_LEN) != 0) return -1;
    memcpy(run_id, text, (size_t)(sp - text));
    run_id[sp - text] = '\0';
    return 0;
}

int resume_load(const char *path, char run_id[RESUME_RUN_ID_MAX], uint8_t key[AUTH_MAC_LEN])
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    char buf[RESUME_FILE_MAX + 1];
    ssize_t n = -1;
    /* A key others can read (or a file we do not own) proves nothing. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0 &&
        st.st_uid == geteuid())
        n = read(fd, buf, RESUME_FILE_MAX);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    return parse(buf, run_id, key);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int resume_save(const char *path, const char *run_id, const uint8_t key[AUTH_MAC_LEN])
{
    char tmp[1100], line[RESUME_RUN_ID_MAX + 2 * AUTH_MAC_LEN + 4], hex[2 * AUTH_MAC_LEN + 1];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    auth_hex(key, AUTH_MAC_LEN, hex);
    int len = snprintf(line, sizeof line, "%s %s\n", run_id, hex);
    if (len < 0 || len >= (int)sizeof line) return -EINVAL;
    unlink(tmp); /* a leftover of a crash; O_EXCL below refuses anything planted */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    int r = write_all(fd, line, (size_t)len);
    if (r == 0 && fsync(fd) != 0) r = -errno;
    if (close(fd) != 0 && r == 0) r = -errno;
    /* rename replaces a symlink at `path` itself, never its target. */
    if (r == 0 && rename(tmp, path) != 0) r = -errno;
    if (r != 0) unlink(tmp);
    return r;
}
