/*
 * A passive KDNET session decoder: follows one debugging session from its
 * datagrams as a capture shows them, both directions, deriving the data
 * key from the handshake the host answers. Used by the capture decoder
 * and the replay of recorded sessions; the live link has its own state.
 */
#ifndef KD_PROTO_KDNET_DECODER_H
#define KD_PROTO_KDNET_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "proto/kdnet.h"

struct kdnet_decoder {
	uint8_t control_key[KDNET_KEY_SIZE];
	uint8_t data_key[KDNET_KEY_SIZE];
	int have_data_key;
	/* sequence numbers seen, per direction (index 0 target, 1 host) */
	struct kdnet_seq_window seq[2];
	/* counts */
	unsigned long datagrams, authenticated, auth_failures, malformed, bad_version, no_key, replayed;
	unsigned long handshakes;
};

void kdnet_decoder_init(struct kdnet_decoder *d, const uint8_t control_key[KDNET_KEY_SIZE]);
void kdnet_decoder_clear(struct kdnet_decoder *d);

/* Open one datagram (plain needs len bytes). Returns 0 with *f filled,
 * or the kdnet_open error (counted) with one line in err. A host answer
 * on the control channel installs a new data key and restarts the data
 * sequence numbers; *handshake is set to 1 for a target's request, 2 for
 * a host's answer, 0 otherwise. A datagram whose sequence number is not
 * new in its direction and channel is still returned but *replayed is 1. */
int kdnet_decoder_feed(struct kdnet_decoder *d, const uint8_t *dgram, size_t len, uint8_t *plain,
                       size_t plain_cap, struct kdnet_frame *f, int *handshake, int *replayed,
                       char *err, size_t errlen);

#endif
