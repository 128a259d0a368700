/*
 * A KD link: reliable, ordered delivery of KD data packets between a
 * debugger and a target, whatever carries them.
 *
 * KDCOM (proto/kdcom.c) implements it over a byte stream with leaders,
 * acknowledgements, resends and resets; KDNET (proto/kdnet_link.c) over
 * UDP datagrams. Above the link, the live target (kd/targets/live_target.c) and the
 * simulator see only whole, checked, de-duplicated data packets. Control
 * packets never leave the link.
 */
#ifndef KD_PROTO_KD_LINK_H
#define KD_PROTO_KD_LINK_H

#include <stddef.h>
#include <stdint.h>

struct kd_link;

enum kd_link_role {
	KD_LINK_DEBUGGER, /* the host side: kd */
	KD_LINK_TARGET,   /* the machine side: kdsim */
};

struct kd_link_callbacks {
	/* A data packet arrived (checksum good, not a duplicate). */
	void (*on_packet)(void *user, uint16_t type, const uint8_t *data, size_t len);
	/* The debugger side saw a break-in byte (target role only). */
	void (*on_breakin)(void *user);
	/* The peer reset the link, or it resynchronised: requests in flight
	 * are lost and must be sent again. */
	void (*on_reset)(void *user);
	/* The link failed or lost its peer: err is a KD_E* or libuv code,
	 * msg one line for the user. The link may recover (reconnect). */
	void (*on_error)(void *user, int err, const char *msg);
	/* The peer (re)appeared, e.g. after reconnect. */
	void (*on_connect)(void *user);
	/* One line of packet trace (only while tracing is on). */
	void (*on_trace)(void *user, const char *line);
	void *user;
};

/* Statistics both links keep, for diagnostics and benchmarks. */
struct kd_link_stats {
	uint64_t bytes_sent, bytes_received;
	uint64_t packets_sent, packets_received;
	uint64_t resends, bad_checksums, dropped, auth_failures;
};

struct kd_link_ops {
	/* Queue a data packet; the link delivers packets in order, resending
	 * until acknowledged (or as its protocol does). */
	int (*send)(struct kd_link *l, uint16_t type, const void *data, size_t len);
	/* Ask a running target to stop (debugger role). */
	int (*breakin)(struct kd_link *l);
	/* Packets queued or not yet acknowledged. */
	size_t (*pending)(struct kd_link *l);
	/* Drop the queue and resynchronise with the peer (send a reset). */
	void (*reset)(struct kd_link *l);
	void (*set_trace)(struct kd_link *l, int on);
	void (*close)(struct kd_link *l);
	/* Give up on a packet the peer is still trying to get across (the
	 * debugger asks again, in smaller pieces): accept whatever id comes
	 * next. Optional. */
	void (*abandon_receive)(struct kd_link *l);
	/* Counters (optional; NULL when the link keeps none). */
	void (*get_stats)(struct kd_link *l, struct kd_link_stats *out);
};

struct kd_link {
	const struct kd_link_ops *ops;
	struct kd_link_callbacks cb;
};


#endif
