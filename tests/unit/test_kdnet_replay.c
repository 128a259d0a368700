/*
 * Replay tables of the real KDNET capture: every memory read WinDbg made
 * is found with the bytes the target returned, the version and context
 * are the target's, and the answers built for WinDbg's own requests equal
 * the real target's replies byte for byte. The capture is walked here a
 * second time, independently of the replay tables, to get the pairs.
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

#include "proto/decode_pcap.h"
#include "base/error.h"
#include "proto/kdnet_replay.h"
#include "proto/kd_packet.h"
#include "proto/kdnet_decoder.h"

static char capture[4096];
static uint8_t key[32];
static struct kd_replay *replay;

#define MANIP sizeof(struct dbgkd_manipulate_state64)

struct pair_walk {
	struct kdnet_decoder dec;
	uint8_t plain[KDNET_MAX_DATAGRAM];
	uint8_t request[KD_PACKET_MAX_SIZE];
	size_t request_len;
	int reads, reads_found, answers, answers_exact, versions, contexts, unreadable_exact;
	int failed;
	uint8_t last_context[KD_PACKET_MAX_SIZE];
	size_t last_context_len;
};

static int walk_one(void *user, const struct kd_capture_datagram *d)
{
	struct pair_walk *w = user;
	struct kdnet_frame f;
	char err[160];
	int hs, rep;
	if (kdnet_decoder_feed(&w->dec, d->data, d->len, w->plain, sizeof w->plain, &f, &hs, &rep, err, sizeof err) < 0 ||
	    f.channel != KDNET_CHANNEL_DATA || f.payload_len < KD_PACKET_HEADER_SIZE + MANIP)
		return 0;
	struct kd_packet_header h;
	kd_packet_header_decode(f.payload, &h);
	if (h.leader != KD_PACKET_LEADER || h.type != KD_PACKET_TYPE_KD_STATE_MANIPULATE)
		return 0;
	const uint8_t *body = f.payload + KD_PACKET_HEADER_SIZE;
	size_t blen = f.payload_len - KD_PACKET_HEADER_SIZE;
	if (f.direction == KDNET_DIR_HOST) {
		memcpy(w->request, body, blen);
		w->request_len = blen;
		return 0;
	}
	struct dbgkd_manipulate_state64 m;
	memcpy(&m, body, MANIP);
	if (m.ApiNumber == DbgKdReadVirtualMemoryApi && m.ReturnStatus == 0) {
		uint8_t buf[4096];
		uint32_t done = 0, n = m.u.ReadMemory.ActualBytesRead;
		w->reads++;
		if (kd_replay_read_virtual(replay, m.u.ReadMemory.TargetBaseAddress, buf, n, &done) == 0 && done == n &&
		    memcmp(buf, body + MANIP, n) == 0)
			w->reads_found++;
	}
	if (m.ApiNumber == DbgKdGetVersionApi) {
		struct dbgkd_get_version64 v;
		assert_int_equal(kd_replay_version(replay, &v), 0);
		if (memcmp(&v, &m.u.GetVersion64, sizeof v) == 0)
			w->versions++;
	}
	if (m.ApiNumber == DbgKdGetContextApi && m.ReturnStatus == 0) {
		memcpy(w->last_context, body + MANIP, blen - MANIP);
		w->last_context_len = blen - MANIP;
	}
	/* the answer built for WinDbg's request, against the real reply */
	uint8_t reply[KD_PACKET_MAX_SIZE];
	size_t rlen;
	if (w->request_len >= MANIP && memcmp(w->request, body, 4) == 0 &&
	    kd_replay_answer(replay, w->request, w->request_len, reply, sizeof reply, &rlen) == 0) {
		w->answers++;
		if (rlen == blen && memcmp(reply, body, blen) == 0) {
			w->answers_exact++;
			/* the real target's answer for memory it cannot read */
			if (m.ApiNumber == DbgKdReadVirtualMemoryApi && m.ReturnStatus == KD_STATUS_UNSUCCESSFUL)
				w->unreadable_exact++;
		}
		else if (m.ApiNumber != DbgKdGetContextApi) /* contexts change between stops */
			print_message("answer to 0x%x differs from the target's\n", m.ApiNumber);
	}
	return 0;
}

static void test_reads_and_answers(void **state)
{
	(void)state;
	struct pair_walk *w = calloc(1, sizeof *w);
	char err[256];
	kdnet_decoder_init(&w->dec, key);
	assert_int_equal(kd_capture_each_udp(capture, walk_one, w, err, sizeof err), 0);
	print_message("%d reads, %d found; %d answers, %d exact\n", w->reads, w->reads_found, w->answers,
	              w->answers_exact);
	assert_true(w->reads >= 40);
	assert_int_equal(w->reads_found, w->reads);
	assert_true(w->versions >= 1);
	assert_true(w->answers >= 40);
	assert_true(w->answers_exact >= w->reads);
	assert_int_equal(w->unreadable_exact, 1); /* fffff780`000003d8: STATUS_UNSUCCESSFUL, no bytes */
	/* the context served is the last one the target sent */
	const uint8_t *ctx;
	size_t clen;
	assert_int_equal(kd_replay_context(replay, 0, &ctx, &clen), 0);
	assert_int_equal(clen, w->last_context_len);
	assert_memory_equal(ctx, w->last_context, clen);
	kdnet_decoder_clear(&w->dec);
	free(w);
}

static void test_version_and_unreadable(void **state)
{
	(void)state;
	struct dbgkd_get_version64 v;
	assert_int_equal(kd_replay_version(replay, &v), 0);
	assert_int_equal(v.MachineType, 0x8664); /* the capture's target is x64 (data/README.md) */

	uint8_t buf[64];
	uint32_t done = 1;
	assert_int_equal(kd_replay_read_virtual(replay, 0x1234, buf, sizeof buf, &done), KD_EUNREADABLE);
	assert_int_equal(done, 0);

	struct dbgkd_manipulate_state64 m;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdReadVirtualMemoryApi;
	m.u.ReadMemory.TargetBaseAddress = 0x1234;
	m.u.ReadMemory.TransferCount = 16;
	uint8_t reply[KD_PACKET_MAX_SIZE];
	size_t rlen;
	assert_int_equal(kd_replay_answer(replay, (uint8_t *)&m, sizeof m, reply, sizeof reply, &rlen), 0);
	assert_int_equal(rlen, MANIP);
	memcpy(&m, reply, MANIP);
	assert_int_equal(m.ReturnStatus, KD_STATUS_UNSUCCESSFUL);
	assert_int_equal(m.u.ReadMemory.ActualBytesRead, 0);

	m.ApiNumber = DbgKdContinueApi2;
	assert_int_equal(kd_replay_answer(replay, (uint8_t *)&m, sizeof m, reply, sizeof reply, &rlen), KD_ENOTSUP);

	struct kd_replay_stats st;
	kd_replay_get_stats(replay, &st);
	assert_true(st.state_changes >= 3);
	assert_true(kd_replay_state_change_count(replay) == st.state_changes);
}

static void test_wrong_key(void **state)
{
	(void)state;
	uint8_t wrong[32] = { 1 };
	struct kd_replay *r = NULL;
	char err[256];
	assert_int_equal(kd_replay_load(capture, wrong, &r, err, sizeof err), KD_EAUTH);
	assert_null(r);
}

int main(void)
{
	const char *data = getenv("KD_DATA");
	char err[256];
	if (!data) {
		printf("KD_DATA is not set: skipping the replay tests\n");
		return 77;
	}
	snprintf(capture, sizeof capture, "%s/kdnet/windbg-uncut.pcapng.gz", data);
	if (access(capture, R_OK) != 0) {
		printf("%s is absent: skipping the replay tests\n", capture);
		return 77;
	}
	for (int i = 0; i < 4; i++)
		key[i * 8] = 8;
	if (kd_replay_load(capture, key, &replay, err, sizeof err) != 0) {
		printf("not ok - cannot load the capture: %s\n", err);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_answers),
		cmocka_unit_test(test_version_and_unreadable),
		cmocka_unit_test(test_wrong_key),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	kd_replay_free(replay);
	return rc;
}
