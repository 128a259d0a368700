/*
 * One-line descriptions of KD packets, for packet traces (KDCOM's Ctrl-D
 * trace, the KDNET link) and the capture decoder.
 *
 * A line names the packet type, id, byte count and whether the checksum
 * holds, then for manipulate-state, state-change, debug-I/O and file-I/O
 * packets the DbgKd... API name (once) and its main fields: addresses,
 * lengths, status, the printed text, the module path of a load-symbols
 * event. Any byte string is safe input: short or inconsistent packets are
 * described as such.
 */
#ifndef KD_PROTO_KD_DESCRIBE_H
#define KD_PROTO_KD_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/kd_packet.h"

/* Describe a whole packet (16-byte header then payload, no trailing
 * byte). Returns buf. */
const char *kd_describe_packet(const uint8_t *pkt, size_t len, char *buf, size_t n);

/* Describe a packet whose header is already decoded; payload holds
 * payload_len bytes (normally h->byte_count). Returns buf. */
const char *kd_describe(const struct kd_packet_header *h, const uint8_t *payload, size_t payload_len,
                        char *buf, size_t n);

/* The API number of a data packet's payload (manipulate, state change,
 * debug I/O, file I/O): 0 and *api set, or KD_ENOTFOUND for other types
 * or a payload too short to hold one. */
int kd_packet_api(uint16_t type, const uint8_t *payload, size_t len, uint32_t *api);

#endif
