/*
 * KDNET datagrams without a capture: round trips through kdnet_encode and
 * kdnet_open, rejection of altered, truncated, random and wrong-key
 * datagrams, unknown versions, the handshake layout, and sequence windows.
 * The real capture's checks are in test_kdnet_capture.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "proto/decode_pcap.h"
#include "base/error.h"
#include "proto/kdnet.h"
#include "proto/kdnet_decoder.h"

static const uint8_t ck[32] = { 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0,
                                8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0 };

static void test_round_trip(void **state)
{
	(void)state;
	uint8_t dk[32], out[KDNET_MAX_DATAGRAM], plain[KDNET_MAX_DATAGRAM], payload[300];
	char err[160];
	for (int i = 0; i < 32; i++)
		dk[i] = (uint8_t)(i * 7 + 1);
	for (size_t len = 0; len < sizeof payload; len += 13) {
		size_t olen;
		struct kdnet_frame f;
		for (size_t i = 0; i < len; i++)
			payload[i] = (uint8_t)(i ^ len);
		assert_int_equal(kdnet_encode(KDNET_CHANNEL_DATA, 1000 + len, KDNET_DIR_HOST, payload, len, ck, dk,
		                              out, sizeof out, &olen), 0);
		assert_int_equal((olen - KDNET_OVERHEAD) % 16, 0);
		assert_memory_equal(out, "MDBG\x04\x00", 6);
		assert_int_equal(kdnet_open(out, olen, ck, dk, plain, sizeof plain, &f, err, sizeof err), 0);
		assert_int_equal(f.seq, 1000 + len);
		assert_int_equal(f.direction, KDNET_DIR_HOST);
		assert_int_equal(f.payload_len, len);
		assert_int_equal(f.pad, kdnet_pad_for(len));
		if (len)
			assert_memory_equal(f.payload, payload, len);
	}
}

static size_t make_packet(uint8_t *out, const uint8_t dk[32])
{
	uint8_t payload[40];
	size_t olen;
	memset(payload, 0x30, sizeof payload);
	assert_int_equal(kdnet_encode(KDNET_CHANNEL_DATA, 5, KDNET_DIR_TARGET, payload, sizeof payload, ck, dk, out,
	                              KDNET_MAX_DATAGRAM, &olen), 0);
	return olen;
}

static void test_rejections(void **state)
{
	(void)state;
	uint8_t dk[32] = { 1 }, other[32] = { 2 }, pkt[KDNET_MAX_DATAGRAM], plain[KDNET_MAX_DATAGRAM];
	uint8_t wrong_ck[32];
	char err[160];
	struct kdnet_frame f;
	size_t n = make_packet(pkt, dk);

	/* every single flipped bit of the ciphertext and tag is caught */
	for (size_t bit = 6 * 8; bit < n * 8; bit++) {
		pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(kdnet_open(pkt, n, ck, dk, plain, sizeof plain, &f, err, sizeof err), KD_EAUTH);
		pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_int_equal(kdnet_open(pkt, n, ck, dk, plain, sizeof plain, &f, err, sizeof err), 0);
	/* a flipped header bit: the version is named, the channel refused,
	 * or the tag (over the header) fails */
	pkt[4] ^= 1;
	assert_int_equal(kdnet_open(pkt, n, ck, dk, plain, sizeof plain, &f, err, sizeof err), KD_EPROTO);
	assert_non_null(strstr(err, "version 5"));
	pkt[4] ^= 1;
	/* wrong data key, wrong control key */
	assert_int_equal(kdnet_open(pkt, n, ck, other, plain, sizeof plain, &f, err, sizeof err), KD_EAUTH);
	memcpy(wrong_ck, ck, 32);
	wrong_ck[31] ^= 0x80;
	assert_int_equal(kdnet_open(pkt, n, wrong_ck, dk, plain, sizeof plain, &f, err, sizeof err), KD_EAUTH);
	assert_non_null(strstr(err, "authentication"));
	/* truncations of every length */
	for (size_t len = 0; len < n; len++) {
		int rc = kdnet_open(pkt, len, ck, dk, plain, sizeof plain, &f, err, sizeof err);
		assert_true(rc == KD_EFORMAT || rc == KD_EAUTH);
	}
	/* random datagrams, with and without the magic */
	srand(1);
	for (int r = 0; r < 2000; r++) {
		size_t len = (size_t)(rand() % 200);
		for (size_t i = 0; i < len; i++)
			pkt[i] = (uint8_t)rand();
		if (r & 1 && len >= 6)
			memcpy(pkt, "MDBG\x04\x00", 6);
		assert_true(kdnet_open(pkt, len, ck, dk, plain, sizeof plain, &f, err, sizeof err) < 0);
	}
}

static void test_decoder_counts(void **state)
{
	(void)state;
	struct kdnet_decoder d;
	uint8_t pkt[KDNET_MAX_DATAGRAM], plain[KDNET_MAX_DATAGRAM], value[32], host[32], answer[KDNET_HANDSHAKE_ANSWER_SIZE];
	uint8_t req[KDNET_HANDSHAKE_REQUEST_SIZE], dk[32];
	struct kdnet_frame f;
	char err[160];
	size_t n;
	int hs, rep;

	for (int i = 0; i < 32; i++) {
		value[i] = (uint8_t)(0xc0 + i);
		host[i] = (uint8_t)(0x40 + i);
	}
	kdnet_decoder_init(&d, ck);
	/* a data packet before any handshake has no key */
	n = make_packet(pkt, ck);
	assert_int_equal(kdnet_decoder_feed(&d, pkt, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err), KD_EAUTH);
	assert_int_equal(d.no_key, 1);
	/* the handshake */
	kdnet_handshake_request(value, req);
	assert_int_equal(kdnet_encode(KDNET_CHANNEL_CONTROL, 3, KDNET_DIR_TARGET, req, sizeof req, ck, ck, pkt,
	                              sizeof pkt, &n), 0);
	assert_int_equal(kdnet_decoder_feed(&d, pkt, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err), 0);
	assert_int_equal(hs, 1);
	kdnet_handshake_answer(value, host, answer);
	assert_int_equal(answer[0], 1);
	assert_int_equal(answer[1], 2);
	assert_memory_equal(answer + 2, value, 32);
	assert_memory_equal(answer + 34, host, 32);
	for (int i = 66; i < KDNET_HANDSHAKE_ANSWER_SIZE; i++)
		assert_int_equal(answer[i], 0);
	assert_int_equal(kdnet_encode(KDNET_CHANNEL_CONTROL, 3, KDNET_DIR_HOST, answer, sizeof answer, ck, ck, pkt,
	                              sizeof pkt, &n), 0);
	assert_int_equal(n, 6 + 336 + 16);
	assert_int_equal(kdnet_decoder_feed(&d, pkt, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err), 0);
	assert_int_equal(hs, 2);
	assert_true(d.have_data_key);
	/* data key = SHA-256(control key || answer), computed here directly */
	uint8_t cat[32 + KDNET_HANDSHAKE_ANSWER_SIZE];
	memcpy(cat, ck, 32);
	memcpy(cat + 32, answer, sizeof answer);
	SHA256(cat, sizeof cat, dk);
	assert_memory_equal(d.data_key, dk, 32);
	/* data flows; a replay is flagged */
	n = make_packet(pkt, dk);
	assert_int_equal(kdnet_decoder_feed(&d, pkt, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err), 0);
	assert_int_equal(rep, 0);
	assert_int_equal(kdnet_decoder_feed(&d, pkt, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err), 0);
	assert_int_equal(rep, 1);
	pkt[20] ^= 4;
	assert_int_equal(kdnet_decoder_feed(&d, pkt, n, plain, sizeof plain, &f, &hs, &rep, err, sizeof err), KD_EAUTH);
	assert_int_equal(d.auth_failures, 1);
	assert_int_equal(d.replayed, 1);
	kdnet_decoder_clear(&d);
}

static void test_seq_window(void **state)
{
	(void)state;
	struct kdnet_seq_window w;
	memset(&w, 0, sizeof w);
	assert_true(kdnet_seq_accept(&w, 0, 1));
	assert_true(kdnet_seq_accept(&w, 0, 2));
	assert_false(kdnet_seq_accept(&w, 0, 2));
	assert_false(kdnet_seq_accept(&w, 0, 1));
	assert_true(kdnet_seq_accept(&w, 1, 1)); /* channels are separate */
	assert_true(kdnet_seq_accept(&w, 0, 10));
	assert_false(kdnet_seq_accept(&w, 0, 9));
	assert_false(kdnet_seq_accept(&w, 2, 11));
}

/* Small captures of each link type (Ethernet IPv4/IPv6, raw IP, Linux
 * cooked) kept as fuzz seeds: each holds a handshake and one packet. */
static void test_link_types(void **state)
{
	(void)state;
	const char *src = getenv("KD_SRCDIR");
	static const char *const files[] = { "raw-ipv4.pcap", "ether-ipv4.pcap", "ether-ipv6.pcap", "sll-ipv4.pcap" };
	if (!src)
		skip();
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[4096], err[256];
		struct kd_decode_stats st;
		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/kdnet_pcap/%s", src, files[i]);
		FILE *out = fopen("/dev/null", "w");
		assert_int_equal(kd_decode_pcap_stats(path, ck, out, &st, err, sizeof err), 0);
		fclose(out);
		assert_int_equal(st.authenticated, 3);
		assert_int_equal(st.handshakes, 1);
		assert_int_equal(st.kd_packets, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_decoder_counts),
		cmocka_unit_test(test_seq_window),
		cmocka_unit_test(test_link_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
