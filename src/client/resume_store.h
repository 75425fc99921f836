/* resume_store: the client's proof of identity across restarts.
 *
 * After each login the client keeps {run_id, resume_key} for that server
 * endpoint in its state directory, so that a restarted process (after a
 * crash or power cut) can prove it is the client of the server's stale
 * session and replace it at once, instead of finding its proxy names and
 * ports still held. The file is one line "run_id resume_key_hex", mode 0600,
 * replaced atomically (temp file + rename) and never read or written through
 * a symlink. Pure file I/O: no logging of the key. */
#ifndef BURROW_RESUME_STORE_H
#define BURROW_RESUME_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/auth.h"

#define RESUME_RUN_ID_MAX 64 /* bytes of run id kept, NUL included */
#define RESUME_FILE_MAX 256  /* bytes read from the file; a valid one is ~100 */

/* Writes the file name for `endpoint` ("host:port") under state_dir into
 * out: "STATE/resume-<endpoint, unsafe bytes as '_'>-<16 hex>", the hex a
 * hash of `identity` (the client's user and proxy names), so that two client
 * processes with different proxies sharing a state directory never resume,
 * and so end, each other's sessions. */
void resume_path(const char *state_dir, const char *endpoint, const char *identity, char *out,
                 size_t size);

/* 0 and fills run_id (RESUME_RUN_ID_MAX bytes) and key; -1 when there is no
 * usable file (missing, not a regular file, a symlink, readable by others,
 * or malformed). */
int resume_load(const char *path, char run_id[RESUME_RUN_ID_MAX], uint8_t key[AUTH_MAC_LEN]);

/* Replaces the file atomically. 0, or a negative errno. */
int resume_save(const char *path, const char *run_id, const uint8_t key[AUTH_MAC_LEN]);

#endif
