/*
 * The KD packet: the unit both KDCOM (serial) and KDNET (UDP) carry.
 *
 * A packet is a 16-byte header (leader, type, byte count, id, checksum)
 * followed by ByteCount payload bytes; on a serial line a trailing 0xAA
 * byte ends a data packet. Constants are the public ones of windbgkd.h.
 * This file knows nothing of transports or of the engine.
 */
#ifndef KD_PROTO_KD_PACKET_H
#define KD_PROTO_KD_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define KD_PACKET_LEADER 0x30303030u          /* data packet: "0000" */
#define KD_CONTROL_PACKET_LEADER 0x69696969u  /* control packet: "iiii" */
#define KD_BREAKIN_PACKET 0x62626262u
#define KD_PACKET_LEADER_BYTE 0x30
#define KD_CONTROL_PACKET_LEADER_BYTE 0x69
#define KD_BREAKIN_PACKET_BYTE 0x62
#define KD_PACKET_TRAILING_BYTE 0xaa

#define KD_INITIAL_PACKET_ID 0x80800000u
#define KD_SYNC_PACKET_ID 0x00000800u
#define KD_PACKET_MAX_SIZE 4000
#define KD_PACKET_HEADER_SIZE 16

enum kd_packet_type {
	KD_PACKET_TYPE_UNUSED = 0,
	KD_PACKET_TYPE_KD_STATE_CHANGE32 = 1,
	KD_PACKET_TYPE_KD_STATE_MANIPULATE = 2,
	KD_PACKET_TYPE_KD_DEBUG_IO = 3,
	KD_PACKET_TYPE_KD_ACKNOWLEDGE = 4,
	KD_PACKET_TYPE_KD_RESEND = 5,
	KD_PACKET_TYPE_KD_RESET = 6,
	KD_PACKET_TYPE_KD_STATE_CHANGE64 = 7,
	KD_PACKET_TYPE_KD_POLL_BREAKIN = 8,
	KD_PACKET_TYPE_KD_TRACE_IO = 9,
	KD_PACKET_TYPE_KD_CONTROL_REQUEST = 10,
	KD_PACKET_TYPE_KD_FILE_IO = 11,
	KD_PACKET_TYPE_MAX = 12,
};

/* A decoded header; the wire form is little-endian. */
struct kd_packet_header {
	uint32_t leader;
	uint16_t type;
	uint16_t byte_count;
	uint32_t id;
	uint32_t checksum;
};

/* The KD checksum: the sum of the payload bytes. */
uint32_t kd_packet_checksum(const uint8_t *data, size_t len);

/* Encode/decode the 16-byte header (no validation on decode). */
void kd_packet_header_encode(const struct kd_packet_header *h, uint8_t out[KD_PACKET_HEADER_SIZE]);
void kd_packet_header_decode(const uint8_t in[KD_PACKET_HEADER_SIZE], struct kd_packet_header *h);

/* Name of a packet type ("KD_STATE_MANIPULATE"), or NULL when unknown. */
const char *kd_packet_type_name(unsigned type);

#endif
