/*
 * Fuzz harness for KDNET datagrams and KD packet descriptions: the input
 * is opened as a datagram (with a fixed control key and a data key derived
 * from a fixed handshake), fed to a session decoder, and described as a KD
 * packet; decrypted payloads are described too. Must never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/kd_describe.h"
#include "proto/kdnet.h"
#include "proto/kdnet_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t plain[KDNET_MAX_DATAGRAM];
	uint8_t ck[32] = { 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8 };
	uint8_t value[32] = { 0 }, host[32] = { 0 }, answer[KDNET_HANDSHAKE_ANSWER_SIZE], dk[32];
	struct kdnet_frame f;
	char err[160], line[1024];
	int hs, rep;

	kdnet_handshake_answer(value, host, answer);
	kdnet_data_key(ck, answer, dk);
	if (kdnet_open(data, size, ck, dk, plain, sizeof plain, &f, err, sizeof err) == 0)
		kd_describe_packet(f.payload, f.payload_len, line, sizeof line);

	struct kdnet_decoder d;
	kdnet_decoder_init(&d, ck);
	memcpy(d.data_key, dk, 32);
	d.have_data_key = 1;
	if (kdnet_decoder_feed(&d, data, size, plain, sizeof plain, &f, &hs, &rep, err, sizeof err) == 0)
		kd_describe_packet(f.payload, f.payload_len, line, sizeof line);

	/* the input as a plaintext, sealed with the right keys: reaches the
	 * word, filler and payload checks behind the tag */
	static uint8_t sealed[KDNET_MAX_DATAGRAM];
	size_t plen = size & ~(size_t)15, n;
	if (plen && plen <= KDNET_MAX_PLAINTEXT &&
	    kdnet_seal(KDNET_VERSION, data[0] & 1, data, plen, ck, (data[0] & 1) ? ck : dk, sealed, sizeof sealed, &n) == 0 &&
	    kdnet_decoder_feed(&d, sealed, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err) == 0)
		kd_describe_packet(f.payload, f.payload_len, line, sizeof line);

	/* the raw bytes as a KD packet, as a KDCOM trace would see them */
	kd_describe_packet(data, size, line, sizeof line);
	return 0;
}
