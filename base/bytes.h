/*
 * Little-endian fields of target structures and files, read and written
 * byte by byte so that no parser depends on the host's alignment or order.
 */
#ifndef KD_BASE_BYTES_H
#define KD_BASE_BYTES_H

#include <stdint.h>

static inline uint16_t kd_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t kd_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t kd_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)kd_le32(b) | (uint64_t)kd_le32(b + 4) << 32;
}

/* An n-byte (1 to 8) little-endian value. */
static inline uint64_t kd_le(const void *p, unsigned n)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

#endif
