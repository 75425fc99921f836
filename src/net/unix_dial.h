/* unix_dial: a conn (net/conn.h) to a local unix stream socket, for the
 * unix_domain_socket plugin. A unix connect finishes at once (or fails at
 * once: no listener, backlog full), so the result is the call's; the conn
 * then works as any other (its transport the TCP backend's stream code
 * over the adopted descriptor). Linux-only: the one platform file for it. */
#ifndef BURROW_UNIX_DIAL_H
#define BURROW_UNIX_DIAL_H

#include "net/conn.h"

/* The longest path (sun_path less its NUL); "@name" means Linux's abstract
 * namespace (no file), as in Go's and frp's spelling. */
#define UNIX_PATH_MAX_LEN 107

/* Connects c (from conn_new, not yet connected) to `path` and starts it
 * reading. 0, or a negative uv error (c untouched; the caller closes it). */
int unix_dial(conn_t *c, const char *path);

#endif
