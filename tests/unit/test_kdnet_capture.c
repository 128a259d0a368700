/*
 * The real KDNET capture ($KD_DATA/kdnet/windbg-uncut.pcapng.gz, WinDbg
 * against a Windows x64 target, key 8.8.8.8): every datagram authenticates,
 * the data key comes from the handshake, every KD checksum holds and every
 * API has its windbgkd.h name; re-sealing each decrypted plaintext with
 * kd's encoder reproduces the captured bytes exactly; altered, truncated,
 * random and wrong-key datagrams are rejected and counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "proto/decode_pcap.h"
#include "base/error.h"
#include "proto/dbgkd.h"
#include "proto/kd_describe.h"
#include "proto/kdnet_decoder.h"

static char capture[4096];
static uint8_t key[32];

struct walk {
	struct kdnet_decoder dec;
	unsigned long count, resealed, kd_packets, apis, handshake_answers, short_payloads;
	int failed;
	/* raw datagrams kept for the mutation test */
	uint8_t *first_data;
	size_t first_data_len;
};

static int check_one(void *user, const struct kd_capture_datagram *d)
{
	struct walk *w = user;
	static uint8_t plain[KDNET_MAX_DATAGRAM], again[KDNET_MAX_DATAGRAM];
	struct kdnet_frame f;
	char err[160];
	int hs, rep;

	w->count++;
	int rc = kdnet_decoder_feed(&w->dec, d->data, d->len, plain, sizeof plain, &f, &hs, &rep, err, sizeof err);
	if (rc != 0) {
		print_error("datagram %lu: %s\n", w->count, err);
		w->failed++;
		return 0;
	}
	if (rep) {
		print_error("datagram %lu: sequence %llu replayed\n", w->count, (unsigned long long)f.seq);
		w->failed++;
	}
	if (hs == 2)
		w->handshake_answers++;
	/* re-seal: the captured bytes exactly (the IV is the tag, so the
	 * ciphertext is deterministic given the plaintext) */
	const uint8_t *k = f.channel == KDNET_CHANNEL_DATA ? w->dec.data_key : key;
	size_t n;
	if (kdnet_seal(f.version, f.channel, f.plain, f.plain_len, key, k, again, sizeof again, &n) == 0 &&
	    n == d->len && memcmp(again, d->data, n) == 0)
		w->resealed++;
	/* and through kdnet_encode from the decoded fields (zero filler) */
	if (kdnet_encode(f.channel, f.seq, f.direction, f.payload, f.payload_len, key, k, again, sizeof again, &n) != 0 ||
	    n != d->len || memcmp(again, d->data, n) != 0) {
		print_error("datagram %lu: kdnet_encode differs\n", w->count);
		w->failed++;
	}
	if (f.channel != KDNET_CHANNEL_DATA)
		return 0;
	if (!w->first_data) {
		w->first_data = malloc(d->len);
		memcpy(w->first_data, d->data, d->len);
		w->first_data_len = d->len;
	}
	if (f.payload_len < KD_PACKET_HEADER_SIZE) {
		w->short_payloads++;
		return 0;
	}
	struct kd_packet_header h;
	kd_packet_header_decode(f.payload, &h);
	const uint8_t *body = f.payload + KD_PACKET_HEADER_SIZE;
	size_t blen = f.payload_len - KD_PACKET_HEADER_SIZE;
	w->kd_packets++;
	if (h.leader == KD_CONTROL_PACKET_LEADER) {
		if (blen || h.byte_count) {
			print_error("datagram %lu: control packet with payload\n", w->count);
			w->failed++;
		}
		return 0;
	}
	if (h.leader != KD_PACKET_LEADER || h.byte_count != blen || kd_packet_checksum(body, blen) != h.checksum) {
		print_error("datagram %lu: bad KD packet\n", w->count);
		w->failed++;
		return 0;
	}
	uint32_t api;
	char line[1024];
	if (kd_packet_api(h.type, body, blen, &api) != 0 || !dbgkd_api_name(api)) {
		print_error("datagram %lu: API not named\n", w->count);
		w->failed++;
		return 0;
	}
	w->apis++;
	/* the description names the API once */
	kd_describe(&h, body, blen, line, sizeof line);
	const char *name = dbgkd_api_name(api), *p = strstr(line, name);
	if (!p || strstr(p + 1, "DbgKd") || !strstr(line, "checksum ok")) {
		print_error("datagram %lu: description \"%s\"\n", w->count, line);
		w->failed++;
	}
	return 0;
}

static void test_whole_capture(void **state)
{
	(void)state;
	struct walk *w = calloc(1, sizeof *w);
	char err[256];
	kdnet_decoder_init(&w->dec, key);
	assert_int_equal(kd_capture_each_udp(capture, check_one, w, err, sizeof err), 0);
	assert_int_equal(w->count, 955);
	assert_int_equal(w->failed, 0);
	assert_int_equal(w->dec.authenticated, 955);
	assert_int_equal(w->resealed, 955);
	assert_int_equal(w->handshake_answers, 1);
	assert_true(w->dec.have_data_key);
	assert_true(w->apis > 200);
	assert_int_equal(w->kd_packets + w->short_payloads, 527);
	free(w->first_data);
	kdnet_decoder_clear(&w->dec);
	free(w);
}

static void test_decoder_output(void **state)
{
	(void)state;
	struct kd_decode_stats st;
	char err[256];
	FILE *out = tmpfile();
	assert_non_null(out);
	assert_int_equal(kd_decode_pcap_stats(capture, key, out, &st, err, sizeof err), 0);
	assert_int_equal(st.datagrams, 955);
	assert_int_equal(st.authenticated, 955);
	assert_int_equal(st.rejected, 0);
	assert_int_equal(st.bad_checksums, 0);
	assert_int_equal(st.unnamed_apis, 0);
	assert_int_equal(st.handshakes, 1);
	/* one line per datagram plus the summary; the target's first DbgPrint
	 * (bytes checked independently: "BD: Boot Debugger Initialized") */
	rewind(out);
	char line[2048];
	unsigned long lines = 0, prints = 0;
	while (fgets(line, sizeof line, out)) {
		lines++;
		if (strstr(line, "DbgKdPrintStringApi") && strstr(line, "\"BD: Boot Debugger Initialized\\n\""))
			prints++;
	}
	fclose(out);
	assert_int_equal(lines, 956);
	assert_int_equal(prints, 2);
}

static void test_wrong_key(void **state)
{
	(void)state;
	struct kd_decode_stats st;
	uint8_t wrong[32];
	char err[256];
	memcpy(wrong, key, 32);
	wrong[8] = 9; /* 8.9.8.8 */
	FILE *out = fopen("/dev/null", "w");
	assert_int_equal(kd_decode_pcap_stats(capture, wrong, out, &st, err, sizeof err), KD_EAUTH);
	fclose(out);
	assert_int_equal(st.datagrams, 955);
	assert_int_equal(st.authenticated, 0);
	assert_int_equal(st.rejected, 955);
	assert_non_null(strstr(err, "wrong key"));
}

/* A capture of our own: the real first data datagram, then it with one bit
 * flipped, truncated, a random datagram with the KDNET magic, and random
 * non-KDNET UDP. Raw IPv4 link type. */
struct grab {
	uint8_t *dgram[3];
	size_t len[3];
	int n;
};

static int grab_first(void *user, const struct kd_capture_datagram *d)
{
	struct grab *g = user;
	g->dgram[g->n] = malloc(d->len);
	memcpy(g->dgram[g->n], d->data, d->len);
	g->len[g->n] = d->len;
	return ++g->n == 3;
}

static void dump_udp(pcap_dumper_t *dump, const uint8_t *data, size_t len, long usec)
{
	uint8_t pkt[2048] = { 0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 192, 168, 2, 72, 192, 168, 2, 1 };
	size_t total = 28 + len;
	assert_true(total <= sizeof pkt);
	pkt[2] = (uint8_t)(total >> 8);
	pkt[3] = (uint8_t)total;
	pkt[20] = 0xc7; pkt[21] = 0xa7; pkt[22] = 0xc7; pkt[23] = 0xa7; /* 51111 */
	pkt[24] = (uint8_t)((len + 8) >> 8);
	pkt[25] = (uint8_t)(len + 8);
	pkt[26] = pkt[27] = 0;
	memcpy(pkt + 28, data, len);
	struct pcap_pkthdr h = { .ts = { 1, usec }, .caplen = (bpf_u_int32)total, .len = (bpf_u_int32)total };
	pcap_dump((u_char *)dump, &h, pkt);
}

static void test_bad_datagrams(void **state)
{
	(void)state;
	struct grab g = { .n = 0 };
	char err[256], path[] = "/tmp/kdnet_badXXXXXX";
	assert_true(kd_capture_each_udp(capture, grab_first, &g, err, sizeof err) == 1);
	/* g: handshake request, answer, first data datagram */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *dump = pcap_dump_open(dead, path);
	assert_non_null(dump);
	uint8_t buf[1024];
	dump_udp(dump, g.dgram[0], g.len[0], 0);
	dump_udp(dump, g.dgram[1], g.len[1], 1);
	dump_udp(dump, g.dgram[2], g.len[2], 2);          /* good */
	memcpy(buf, g.dgram[2], g.len[2]);
	buf[20] ^= 0x10;
	dump_udp(dump, buf, g.len[2], 3);                 /* one flipped bit */
	dump_udp(dump, g.dgram[2], g.len[2] - 16, 4);     /* truncated: tag missing */
	dump_udp(dump, g.dgram[2], 30, 5);                /* truncated inside */
	srand(7);
	for (size_t i = 0; i < 75; i++)
		buf[i] = (uint8_t)rand();
	memcpy(buf, "MDBG\x04\x00", 6);
	dump_udp(dump, buf, 75, 6);                       /* random, not whole blocks */
	dump_udp(dump, buf, 54, 7);                       /* random, right size */
	buf[0] = 'X';
	dump_udp(dump, buf, 54, 8);                       /* not KDNET at all */
	pcap_dump_close(dump);
	pcap_close(dead);

	struct kd_decode_stats st;
	FILE *out = tmpfile();
	int rc = kd_decode_pcap_stats(path, key, out, &st, err, sizeof err);
	unlink(path);
	assert_int_equal(rc, KD_EAUTH);
	assert_int_equal(st.udp, 9);
	assert_int_equal(st.datagrams, 8);
	assert_int_equal(st.authenticated, 3);
	assert_int_equal(st.rejected, 5);
	assert_int_equal(st.auth_failures, 3); /* flipped, tag cut off, random */
	assert_int_equal(st.malformed, 2);
	/* every rejection has its trace line */
	rewind(out);
	char line[1024];
	int rejected_lines = 0;
	while (fgets(line, sizeof line, out))
		if (strstr(line, "REJECTED"))
			rejected_lines++;
	fclose(out);
	assert_int_equal(rejected_lines, 5);
	for (int i = 0; i < g.n; i++)
		free(g.dgram[i]);
}

static void test_not_a_capture(void **state)
{
	(void)state;
	char err[256];
	FILE *out = fopen("/dev/null", "w");
	assert_int_equal(kd_decode_pcap("/nonexistent/file.pcap", key, out, err, sizeof err), KD_EIO);
	char path[] = "/tmp/kdnet_junkXXXXXX";
	int fd = mkstemp(path);
	assert_int_equal(write(fd, "\x1f\x8bjunkjunkjunk", 14), 14);
	close(fd);
	assert_true(kd_decode_pcap(path, key, out, err, sizeof err) < 0);
	unlink(path);
	fclose(out);
}

int main(void)
{
	const char *data = getenv("KD_DATA");
	if (!data) {
		printf("KD_DATA is not set: skipping the real-capture tests\n");
		return 77;
	}
	snprintf(capture, sizeof capture, "%s/kdnet/windbg-uncut.pcapng.gz", data);
	if (access(capture, R_OK) != 0) {
		printf("%s is absent: skipping the real-capture tests\n", capture);
		return 77;
	}
	for (int i = 0; i < 4; i++)
		key[i * 8] = 8; /* 8.8.8.8, as data/README.md documents */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_capture),
		cmocka_unit_test(test_decoder_output),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_bad_datagrams),
		cmocka_unit_test(test_not_a_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
