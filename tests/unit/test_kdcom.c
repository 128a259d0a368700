/*
 * KDCOM framing and sequencing: header bytes and checksums, alternating
 * packet ids, acknowledgement, resend after a lost or damaged packet,
 * duplicates dropped, resynchronisation after garbage, break-in, reset.
 * Two links (debugger and target) talk through in-memory wires whose
 * faults the tests choose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dbgkd.h"
#include "proto/kd_packet.h"
#include "proto/kdcom.h"

struct wire {
	struct kd_link *to;       /* the link that receives what is written */
	int drop_next_data;       /* discard the next data packet written */
	int corrupt_next_data;    /* flip a payload byte of the next one */
	int duplicate_next_data;  /* write the next data packet twice */
	uint8_t log[65536];       /* everything written, for inspection */
	size_t logged;
};

struct end {
	struct kd_link *link;
	struct wire out;
	int packets, breakins, resets;
	uint8_t last[KD_PACKET_MAX_SIZE];
	size_t last_len;
	uint16_t last_type;
};

static int wire_write(void *ctx, const void *data, size_t len)
{
	struct wire *w = ctx;
	const uint8_t *p = data;
	if (w->logged + len <= sizeof w->log) {
		memcpy(w->log + w->logged, p, len);
		w->logged += len;
	}
	int is_data = len > KD_PACKET_HEADER_SIZE && p[0] == KD_PACKET_LEADER_BYTE;
	if (is_data && w->drop_next_data) {
		w->drop_next_data = 0;
		return 0;
	}
	uint8_t copy[KD_PACKET_MAX_SIZE + 32];
	if (len <= sizeof copy)
		memcpy(copy, p, len);
	if (is_data && w->corrupt_next_data) {
		w->corrupt_next_data = 0;
		copy[KD_PACKET_HEADER_SIZE] ^= 0x40;
	}
	if (w->to)
		kdcom_feed(w->to, copy, len);
	if (is_data && w->duplicate_next_data && w->to) {
		w->duplicate_next_data = 0;
		kdcom_feed(w->to, p, len);
	}
	return 0;
}

static void on_packet(void *user, uint16_t type, const uint8_t *data, size_t len)
{
	struct end *e = user;
	e->packets++;
	e->last_type = type;
	memcpy(e->last, data, len);
	e->last_len = len;
}

static void on_breakin(void *user)
{
	((struct end *)user)->breakins++;
}

static void on_reset(void *user)
{
	((struct end *)user)->resets++;
}

struct pair {
	uv_loop_t loop;
	struct end dbg, tgt;
};

static void pair_open(struct pair *p)
{
	memset(p, 0, sizeof *p);
	uv_loop_init(&p->loop);
	struct kd_link_callbacks cb = { .on_packet = on_packet, .on_breakin = on_breakin, .on_reset = on_reset };
	struct kdcom_options opt = { .ack_timeout_ms = 20 };
	cb.user = &p->dbg;
	struct kdcom_writer wd = { wire_write, &p->dbg.out };
	assert_int_equal(kdcom_link_new(&p->loop, KD_LINK_DEBUGGER, &opt, &wd, &cb, &p->dbg.link), 0);
	cb.user = &p->tgt;
	struct kdcom_writer wt = { wire_write, &p->tgt.out };
	assert_int_equal(kdcom_link_new(&p->loop, KD_LINK_TARGET, &opt, &wt, &cb, &p->tgt.link), 0);
	p->dbg.out.to = p->tgt.link;
	p->tgt.out.to = p->dbg.link;
}

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void pair_wait(struct pair *p, unsigned ms)
{
	uv_timer_t t;
	uv_timer_init(&p->loop, &t);
	uv_timer_start(&t, stop_loop, ms, 0);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&p->loop, UV_RUN_NOWAIT);
}

static void pair_close(struct pair *p)
{
	p->dbg.link->ops->close(p->dbg.link);
	p->tgt.link->ops->close(p->tgt.link);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&p->loop), 0);
}

static uint32_t le32(const uint8_t *b)
{
	return b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* The header of a real GetVersion request: leader, type 2, 0x38 bytes,
 * id, and the byte sum of the payload as checksum; trailing 0xaa. */
static void test_header_and_checksum(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	struct dbgkd_manipulate_state64 m;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdGetVersionApi;
	assert_int_equal(p.dbg.link->ops->send(p.dbg.link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, &m, sizeof m), 0);
	const uint8_t *b = p.dbg.out.log;
	assert_true(p.dbg.out.logged >= KD_PACKET_HEADER_SIZE + sizeof m + 1);
	assert_int_equal(le32(b), 0x30303030);
	assert_int_equal(b[4] | (b[5] << 8), KD_PACKET_TYPE_KD_STATE_MANIPULATE);
	assert_int_equal(b[6] | (b[7] << 8), 0x38);
	assert_int_equal(le32(b + 8), KD_INITIAL_PACKET_ID);
	/* 0x46 + 0x31 from the API number, nothing else set */
	assert_int_equal(le32(b + 12), 0x46 + 0x31);
	assert_int_equal(b[KD_PACKET_HEADER_SIZE + sizeof m], KD_PACKET_TRAILING_BYTE);
	/* the target delivered it and acknowledged with the same id */
	assert_int_equal(p.tgt.packets, 1);
	const uint8_t *a = p.tgt.out.log;
	assert_int_equal(le32(a), 0x69696969);
	assert_int_equal(a[4], KD_PACKET_TYPE_KD_ACKNOWLEDGE);
	assert_int_equal(le32(a + 8), KD_INITIAL_PACKET_ID);
	assert_int_equal(p.dbg.link->ops->pending(p.dbg.link), 0);
	pair_close(&p);
}

static void test_ids_alternate(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	for (int i = 0; i < 3; i++) {
		payload[0] = (uint8_t)i;
		p.dbg.link->ops->send(p.dbg.link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, payload, sizeof payload);
	}
	assert_int_equal(p.tgt.packets, 3);
	assert_int_equal(p.tgt.last[0], 2);
	/* three data packets on the wire with ids 0, 1, 0 */
	size_t per = KD_PACKET_HEADER_SIZE + sizeof payload + 1;
	assert_int_equal(p.dbg.out.logged, 3 * per);
	assert_int_equal(le32(p.dbg.out.log + 8), 0x80800000);
	assert_int_equal(le32(p.dbg.out.log + per + 8), 0x80800001);
	assert_int_equal(le32(p.dbg.out.log + 2 * per + 8), 0x80800000);
	/* The target's first packet after a reset carries the sync bit. */
	p.tgt.link->ops->send(p.tgt.link, KD_PACKET_TYPE_KD_STATE_CHANGE64, payload, sizeof payload);
	assert_int_equal(p.dbg.packets, 1);
	size_t ack = KD_PACKET_HEADER_SIZE;
	assert_int_equal(le32(p.tgt.out.log + 3 * ack + 8), KD_INITIAL_PACKET_ID | KD_SYNC_PACKET_ID);
	pair_close(&p);
}

static void test_lost_packet_is_resent(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	uint8_t payload[4] = {9, 9, 9, 9};
	p.dbg.out.drop_next_data = 1;
	p.dbg.link->ops->send(p.dbg.link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, payload, sizeof payload);
	assert_int_equal(p.tgt.packets, 0);
	pair_wait(&p, 100);
	assert_int_equal(p.tgt.packets, 1);
	assert_int_equal(p.dbg.link->ops->pending(p.dbg.link), 0);
	struct kd_link_stats st;
	p.dbg.link->ops->get_stats(p.dbg.link, &st);
	assert_true(st.resends >= 1);
	pair_close(&p);
}

static void test_damaged_packet_asks_resend(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	uint8_t payload[16] = {0};
	p.dbg.out.corrupt_next_data = 1;
	p.dbg.link->ops->send(p.dbg.link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, payload, sizeof payload);
	/* the target saw a bad checksum, asked for a resend, got it at once */
	assert_int_equal(p.tgt.packets, 1);
	assert_memory_equal(p.tgt.last, payload, sizeof payload);
	struct kd_link_stats st;
	p.tgt.link->ops->get_stats(p.tgt.link, &st);
	assert_int_equal(st.bad_checksums, 1);
	pair_close(&p);
}

static void test_duplicate_dropped(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	uint8_t payload[4] = {1, 2, 3, 4};
	p.tgt.out.duplicate_next_data = 1;
	p.tgt.link->ops->send(p.tgt.link, KD_PACKET_TYPE_KD_DEBUG_IO, payload, sizeof payload);
	assert_int_equal(p.dbg.packets, 1);
	struct kd_link_stats st;
	p.dbg.link->ops->get_stats(p.dbg.link, &st);
	assert_int_equal(st.dropped, 1);
	pair_close(&p);
}

static void test_garbage_then_packet(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	/* line noise, a lone leader fragment, stray trailing bytes */
	static const uint8_t noise[] = { 0x00, 0xff, 0x30, 0x30, 0x11, 0x69, 0xaa, 0x30, 0x30, 0x30, 0x42 };
	kdcom_feed(p.tgt.link, noise, sizeof noise);
	pair_wait(&p, 150); /* let the stalled half packet time out */
	uint8_t payload[4] = {7, 7, 7, 7};
	p.dbg.link->ops->send(p.dbg.link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, payload, sizeof payload);
	pair_wait(&p, 100);
	assert_int_equal(p.tgt.packets, 1);
	assert_memory_equal(p.tgt.last, payload, sizeof payload);
	pair_close(&p);
}

static void test_breakin_and_reset(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	assert_int_equal(p.dbg.link->ops->breakin(p.dbg.link), 0);
	assert_int_equal(p.tgt.breakins, 1);
	/* the debugger joins: its reset is answered by the target's */
	kdcom_peer_connected(p.dbg.link);
	assert_int_equal(p.tgt.resets, 1);
	assert_int_equal(p.dbg.resets, 1);
	const uint8_t *r = p.tgt.out.log;
	assert_int_equal(le32(r), 0x69696969);
	assert_int_equal(r[4], KD_PACKET_TYPE_KD_RESET);
	pair_close(&p);
}

static void test_target_silent_reports_error(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p);
	p.dbg.out.to = NULL; /* nobody on the line */
	uint8_t payload[4] = {0};
	p.dbg.link->ops->send(p.dbg.link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, payload, sizeof payload);
	pair_wait(&p, 200);
	/* still pending, being resent */
	assert_int_equal(p.dbg.link->ops->pending(p.dbg.link), 1);
	struct kd_link_stats st;
	p.dbg.link->ops->get_stats(p.dbg.link, &st);
	assert_true(st.resends >= 3);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_checksum),
		cmocka_unit_test(test_ids_alternate),
		cmocka_unit_test(test_lost_packet_is_resent),
		cmocka_unit_test(test_damaged_packet_asks_resend),
		cmocka_unit_test(test_duplicate_dropped),
		cmocka_unit_test(test_garbage_then_packet),
		cmocka_unit_test(test_breakin_and_reset),
		cmocka_unit_test(test_target_silent_reports_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
