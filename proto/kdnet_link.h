/*
 * The KDNET link: struct kd_link (kd_link.h) over UDP, for both roles.
 *
 * Debugger role (kd): listens on the UDP port, waits for the target's
 * handshake, answers it, derives the data key, then carries KD packets
 * with acknowledgements and resends, as the real session does. Datagrams
 * that fail authentication are dropped, counted and reported through
 * on_error (rate-limited) and on_trace, so a wrong key is said, not
 * waited on. Break-in is a data datagram holding the break-in byte.
 *
 * Target role (kdsim): sends handshake requests to the host until one is
 * answered, then carries KD packets; while connected it repeats the
 * request every few seconds as Windows does, so a debugger started later
 * can attach.
 */
#ifndef KD_PROTO_KDNET_LINK_H
#define KD_PROTO_KDNET_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "proto/kd_link.h"
#include "proto/kdnet_key.h"

/* kd: listen on bind_host:port (NULL host: every address; port 0: any
 * free port, see kdnet_link_local_port). */
int kdnet_link_open_debugger(uv_loop_t *loop, const char *bind_host, int port, const uint8_t key[KDNET_KEY_SIZE],
                             const struct kd_link_callbacks *cb, struct kd_link **out, char *err, size_t errlen);

/* kdsim: talk to the debugger at host:port from a free local port. */
int kdnet_link_open_target(uv_loop_t *loop, const char *host, int port, const uint8_t key[KDNET_KEY_SIZE],
                           const struct kd_link_callbacks *cb, struct kd_link **out, char *err, size_t errlen);

/* Debugger role: accept only datagrams from this host (`target=HOST`). */
int kdnet_link_restrict_peer(struct kd_link *l, const char *host, char *err, size_t errlen);

/* The local UDP port, the handshake state and the counters. */
int kdnet_link_local_port(const struct kd_link *l);
int kdnet_link_connected(const struct kd_link *l);
void kdnet_link_stats(const struct kd_link *l, struct kd_link_stats *st);

/* Timing (milliseconds): resend interval for unacknowledged packets, how
 * many resends before the link reports the peer gone, and the handshake
 * repeat interval of the target role. Defaults 500, 10, 1000. */
void kdnet_link_set_timing(struct kd_link *l, unsigned resend_ms, unsigned max_resends, unsigned handshake_ms);

#endif
