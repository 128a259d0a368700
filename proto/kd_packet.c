/*
 * KD packet header encoding and the payload checksum (see kd_packet.h).
 */
#include "proto/kd_packet.h"

#include <string.h>

#include "base/bytes.h"
uint32_t kd_packet_checksum(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += data[i];
	return sum;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

void kd_packet_header_encode(const struct kd_packet_header *h, uint8_t out[KD_PACKET_HEADER_SIZE])
{
	put32(out, h->leader);
	out[4] = h->type & 0xff;
	out[5] = h->type >> 8;
	out[6] = h->byte_count & 0xff;
	out[7] = h->byte_count >> 8;
	put32(out + 8, h->id);
	put32(out + 12, h->checksum);
}

void kd_packet_header_decode(const uint8_t in[KD_PACKET_HEADER_SIZE], struct kd_packet_header *h)
{
	h->leader = kd_le32(in);
	h->type = kd_le16(in + 4);
	h->byte_count = kd_le16(in + 6);
	h->id = kd_le32(in + 8);
	h->checksum = kd_le32(in + 12);
}

const char *kd_packet_type_name(unsigned type)
{
	static const char *const names[] = {
		"UNUSED", "KD_STATE_CHANGE32", "KD_STATE_MANIPULATE", "KD_DEBUG_IO",
		"KD_ACKNOWLEDGE", "KD_RESEND", "KD_RESET", "KD_STATE_CHANGE64",
		"KD_POLL_BREAKIN", "KD_TRACE_IO", "KD_CONTROL_REQUEST", "KD_FILE_IO",
	};
	return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}
