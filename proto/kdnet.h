/*
 * KDNET datagrams: the encrypted, authenticated UDP framing Windows uses
 * for network kernel debugging (protocol version 4), and the control
 * handshake that derives the data key. See docs/kdnet-usage.md and
 * ../shared/docs/kdnet.md for the wire format.
 *
 * A datagram is "MDBG", version, channel, AES-256-CBC ciphertext, then a
 * 16-byte tag (truncated HMAC-SHA256 with the NOT-ed control key over the
 * header and the plaintext) which is also the CBC IV. The plaintext starts
 * with a big-endian word seq << 8 | direction << 4 | pad; the payload (a KD
 * packet without its trailing byte, or a handshake) follows, then pad
 * filler bytes.
 *
 * This file is pure computation on buffers: no sockets, no state besides
 * struct kdnet_session which the caller owns.
 */
#ifndef KD_PROTO_KDNET_H
#define KD_PROTO_KDNET_H

#include <stddef.h>
#include <stdint.h>

#include "proto/kdnet_key.h"

#define KDNET_VERSION 4
#define KDNET_HEADER_SIZE 6
#define KDNET_TAG_SIZE 16
#define KDNET_WORD_SIZE 8
#define KDNET_OVERHEAD (KDNET_HEADER_SIZE + KDNET_TAG_SIZE)
/* Largest payload kd sends or accepts: a KD packet of KD_PACKET_MAX_SIZE
 * with its header, with room to spare. */
#define KDNET_MAX_PAYLOAD 4096
#define KDNET_MAX_PLAINTEXT (KDNET_WORD_SIZE + KDNET_MAX_PAYLOAD + 16)
#define KDNET_MAX_DATAGRAM (KDNET_OVERHEAD + KDNET_MAX_PLAINTEXT)

enum kdnet_channel {
	KDNET_CHANNEL_DATA = 0,
	KDNET_CHANNEL_CONTROL = 1,
};

enum kdnet_direction {
	KDNET_DIR_TARGET = 0, /* target to host */
	KDNET_DIR_HOST = 8,   /* host to target */
};

/* The control handshake. */
#define KDNET_HANDSHAKE_VALUE_SIZE 32
#define KDNET_HANDSHAKE_REQUEST_SIZE 344 /* the target's control payload */
#define KDNET_HANDSHAKE_ANSWER_SIZE 322  /* the host's control payload */
#define KDNET_CONTROL_REQUEST 0x01       /* payload[1] of the target's packet */
#define KDNET_CONTROL_ANSWER 0x02        /* payload[1] of the host's answer */

/* One opened datagram. payload points into the caller's plaintext buffer. */
struct kdnet_frame {
	uint8_t version;
	uint8_t channel;
	uint8_t direction;
	uint8_t pad;
	uint64_t seq;
	const uint8_t *plain; /* the whole plaintext (word, payload, filler) */
	size_t plain_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* Authenticate and decrypt a datagram. enc_key is the key of its channel
 * (the control key on channel 1, the data key on channel 0); the tag is
 * always checked with control_key, in constant time, before anything of
 * the plaintext is used. plain needs len bytes. Returns 0, KD_EFORMAT
 * (not a KDNET datagram, bad length, bad word after authentication),
 * KD_EPROTO (a protocol version kd does not speak) or KD_EAUTH (tag
 * mismatch: wrong key or altered datagram); err gets one line. */
int kdnet_open(const uint8_t *dgram, size_t len, const uint8_t control_key[32], const uint8_t enc_key[32],
               uint8_t *plain, size_t plain_cap, struct kdnet_frame *f, char *err, size_t errlen);

/* The channel of a datagram before it is opened (-1 when too short or not
 * KDNET), to pick the decryption key. */
int kdnet_peek_channel(const uint8_t *dgram, size_t len);

/* Encrypt and tag a complete plaintext (a multiple of 16 bytes). out needs
 * plain_len + KDNET_OVERHEAD bytes. */
int kdnet_seal(uint8_t version, uint8_t channel, const uint8_t *plain, size_t plain_len,
               const uint8_t control_key[32], const uint8_t enc_key[32],
               uint8_t *out, size_t cap, size_t *out_len);

/* Build the plaintext (word, payload, zero filler to a multiple of 16)
 * and seal it. */
int kdnet_encode(uint8_t channel, uint64_t seq, uint8_t direction, const void *payload, size_t len,
                 const uint8_t control_key[32], const uint8_t enc_key[32],
                 uint8_t *out, size_t cap, size_t *out_len);

/* Filler bytes that make 8 + len a multiple of 16. */
unsigned kdnet_pad_for(size_t payload_len);

/* --- handshake ------------------------------------------------------- */

/* The target's control payload: 01 01, its 32-byte value, then zeros
 * (Windows puts its own and the host's addresses there; kd sends zeros). */
void kdnet_handshake_request(const uint8_t value[32], uint8_t out[KDNET_HANDSHAKE_REQUEST_SIZE]);
/* The value of a target's control payload; KD_EFORMAT when it is not one. */
int kdnet_handshake_request_value(const uint8_t *payload, size_t len, uint8_t value[32]);
/* The host's answer: 01 02, the target's value, the host's 32 random
 * bytes, 256 zeros. */
void kdnet_handshake_answer(const uint8_t target_value[32], const uint8_t host_random[32],
                            uint8_t out[KDNET_HANDSHAKE_ANSWER_SIZE]);
/* Checks a host answer's form; KD_EFORMAT when it is not one. */
int kdnet_handshake_answer_check(const uint8_t *payload, size_t len);
/* Data key = SHA-256(control key || answer). */
void kdnet_data_key(const uint8_t control_key[32], const uint8_t answer[KDNET_HANDSHAKE_ANSWER_SIZE],
                    uint8_t data_key[32]);

/* --- per-direction sequence numbers ---------------------------------- */

/* The last sequence number accepted per channel in one direction: a
 * datagram whose number is not above it is stale or replayed. */
struct kdnet_seq_window {
	uint64_t last[2];
	int seen[2];
};

/* 1 when seq is new on the channel (and records it), 0 when stale. */
int kdnet_seq_accept(struct kdnet_seq_window *w, uint8_t channel, uint64_t seq);

#endif
