/* addr: socket addresses to and from text, the one place that knows how.
 *
 * Formats "ip:port" (IPv4) and "[ip6]:port" (IPv6; an IPv4-mapped IPv6
 * address stays in its IPv6 form, "[::ffff:a.b.c.d]:port", as the kernel
 * reports it), the bare IP alone, and parses a numeric IP literal plus a port
 * into a sockaddr. Pure functions: no sockets, no name resolution. */
#ifndef BURROW_ADDR_H
#define BURROW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Longest "[ip6]:port" plus the terminating NUL (46 + 2 + 6 + ...). */
#define ADDR_STRLEN 64

/* Writes "ip:port" or "[ip6]:port" of sa into buf (size bytes, truncated to
 * fit) and returns buf; "?" when sa is neither IPv4 nor IPv6. */
const char *addr_format(const struct sockaddr *sa, char *buf, size_t size);

/* Writes the IP of sa alone ("192.0.2.1", "2001:db8::1"); "" when sa is
 * neither IPv4 nor IPv6. Returns buf. */
const char *addr_ip(const struct sockaddr *sa, char *buf, size_t size);

/* The port of sa in host order, or -1 when sa is neither IPv4 nor IPv6. */
int addr_port(const struct sockaddr *sa);

/* Parses a numeric IPv4 or IPv6 literal (no brackets, no host names) and a
 * port into out. 0, or UV_EINVAL when ip is no IP literal or the port is out
 * of 0..65535. */
int addr_parse(const char *ip, int port, struct sockaddr_storage *out);

/* Parses what addr_format writes: "ip:port" or "[ip6]:port" (decimal port,
 * nothing after it). 0, or UV_EINVAL. */
int addr_parse_text(const char *s, struct sockaddr_storage *out);

/* Whether sa's IP is a global (public) one for NAT discovery. IPv4: not
 * 0/8, 10/8, 100.64/10 (carrier-grade NAT), 127/8, 169.254/16, 172.16/12,
 * 192.0.0/24, 192.168/16, 198.18/15, 224/4 and above. The documentation
 * ranges (192.0.2/24, 198.51.100/24, 203.0.113/24) count as global: the
 * NAT lab's "internet" is 203.0.113.0/24. IPv6: 2000::/3, global unicast
 * (2001:db8::/32, documentation, included); an IPv4-mapped IPv6 address
 * is judged as its IPv4 address. */
bool addr_is_global(const struct sockaddr *sa);

/* Copies sa into out, turning an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, what a dual-stack socket reports) into plain IPv4. */
void addr_unmap_v4(const struct sockaddr *sa, struct sockaddr_storage *out);

#endif
