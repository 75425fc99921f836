/* vhost_limits: what strangers may hold at the shared vhost listeners
 * (vhostHTTPPort, vhostHTTPSPort). Anyone on the internet reaches them, so
 * every connection counts against a total and against its source address
 * (net/src_limit.h: IPv4 per address, IPv6 per /64); a connection over
 * either cap is accepted and closed at once, and one WARN line (then one
 * per VHOST_CAP_LOG_MS) says which cap was hit. Well below the process's open-file limit (20,000
 * by default), so a flood cannot starve the rest of the server. */
#ifndef BURROW_VHOST_LIMITS_H
#define BURROW_VHOST_LIMITS_H

/* http fronts (user connections being served, idle keep-alives included;
 * a connection switched to a raw relay by 101 no longer counts). */
#define VHOST_FRONTS_MAX 4096
#define VHOST_FRONTS_PER_SOURCE 256
/* https connections still sending or routing their ClientHello (a
 * connection relayed to its site no longer counts). */
#define VHOST_HELLOS_MAX 1024
#define VHOST_HELLOS_PER_SOURCE 64
/* Distinct source addresses each listener tracks at once; beyond it new
 * sources are refused. */
#define VHOST_SOURCES_MAX 16384
/* Descriptors kept for everything else (the control port, work conns,
 * tcp/udp proxies, relays): a vhost connection whose descriptor number
 * reaches the open-file limit minus this (or minus a quarter of the limit,
 * when that is less) is refused, so strangers at the vhost ports can never
 * exhaust the process's descriptors whatever the limit is. */
#define VHOST_FD_RESERVE 1024
/* A cap that keeps refusing is logged once per this long (per listener). */
#define VHOST_CAP_LOG_MS 10000

#endif
