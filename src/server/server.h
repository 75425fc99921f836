/* server: the public side. Accepts control and work connections, runs the
 * login handshake, and owns client sessions and their proxies. */
#ifndef BURROW_SERVER_H
#define BURROW_SERVER_H

#include <uv.h>

#include "config/config.h"

typedef struct srv srv_t;

/* cfg and state_dir are borrowed and must outlive the server. Returns NULL
 * after logging why. */
srv_t *server_create(uv_loop_t *loop, const server_cfg_t *cfg, const char *state_dir);
/* Binds and listens. 0, or a negative uv error after logging it. */
int server_start(srv_t *s);
/* The port the control listener is bound to: bindPort, or the one the
 * system picked when bindPort is 0 (tests, fuzz harnesses). -1 when not
 * listening. */
int server_listen_port(srv_t *s);
/* The UDP port of the STUN service (natDiscovery), or -1 when it is off. */
int server_stun_port(srv_t *s);
/* The UDP port of the P2P relay (p2p.relayPort), or -1 when it is off. */
int server_relay_port(srv_t *s);
/* Closes every listener, session (and its work pool), gate, vhost front
 * and tunnel; the loop then runs dry (uv_run returns once the last close
 * callback ran, and uv_loop_close succeeds). */
void server_stop(srv_t *s);
/* Frees the server after the loop has run dry. NULL is a no-op. */
void server_destroy(srv_t *s);

#endif
