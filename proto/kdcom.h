/*
 * KDCOM: the KD link over a byte stream (serial line, COM-port pipe, TCP).
 *
 * It frames KD packets with their leaders and trailing byte, numbers them
 * with the alternating packet ids, acknowledges what it receives, resends
 * until acknowledged, answers and sends resets, passes the break-in byte,
 * and resynchronises on the next leader after garbage or a lost byte. It is
 * fed received bytes and writes through a callback: it does not know which
 * transport carries it.
 */
#ifndef KD_PROTO_KDCOM_H
#define KD_PROTO_KDCOM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "proto/kd_link.h"

struct kdcom_writer {
	/* Send bytes to the peer; a negative return means no peer now. */
	int (*write)(void *ctx, const void *data, size_t len);
	void *ctx;
};

struct kdcom_options {
	/* Resend an unacknowledged packet after this long (ms); the time the
	 * bytes take on the wire at `baud` is added. 0: defaults. */
	unsigned ack_timeout_ms;
	int baud; /* 0 for links without a line speed (sockets) */
	/* Report KD_ETIMEDOUT through on_error once a packet has gone
	 * unacknowledged this long (ms). 0: 5000. */
	unsigned give_up_ms;
};

int kdcom_link_new(uv_loop_t *loop, enum kd_link_role role, const struct kdcom_options *opt,
                   const struct kdcom_writer *w, const struct kd_link_callbacks *cb,
                   struct kd_link **out);

/* Bytes from the transport. */
void kdcom_feed(struct kd_link *l, const uint8_t *data, size_t len);
/* The transport (re)connected: the debugger side resets the link so a
 * stopped target sends its state change again. */
void kdcom_peer_connected(struct kd_link *l);
void kdcom_peer_lost(struct kd_link *l);

#endif
