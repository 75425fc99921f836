/* nat_local: which local address and interface the route to a server uses.
 * Asks the kernel by connecting a throw-away UDP socket (no packet is sent)
 * and reading its name; the interface comes from getifaddrs(). Synchronous
 * and immediate: a route lookup, no I/O. */
#ifndef BURROW_NAT_LOCAL_H
#define BURROW_NAT_LOCAL_H

#include <stddef.h>
#include <sys/socket.h>

/* 0 and *out (port 0), or a negative errno (-ENETUNREACH: no route). */
int nat_local_source(const struct sockaddr *server, struct sockaddr_storage *out);
/* Name of the interface holding ip, into buf ("" when none). Returns buf. */
const char *nat_local_ifname(const struct sockaddr *ip, char *buf, size_t size);

#endif
