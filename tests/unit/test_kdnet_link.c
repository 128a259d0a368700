/*
 * The KDNET link's two roles against each other over real UDP sockets on
 * 127.0.0.1: handshake, KD packets both ways with acknowledgements,
 * break-in; a target with the wrong key is reported as failing
 * authentication; a replayed datagram and an unknown protocol version
 * from a hand-made target are dropped and reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "base/error.h"
#include "proto/dbgkd.h"
#include "proto/kd_packet.h"
#include "proto/kdnet.h"
#include "proto/kdnet_link.h"
#include "proto/kdnet_spec.h"
#include "transport/udp.h"

struct side {
	int connects, resets, breakins, packets, errors, last_err;
	uint16_t last_type;
	uint8_t last[4096];
	size_t last_len;
	char last_msg[400];
};

static void on_packet(void *user, uint16_t type, const uint8_t *data, size_t len)
{
	struct side *s = user;
	s->packets++;
	s->last_type = type;
	memcpy(s->last, data, len);
	s->last_len = len;
}
static void on_breakin(void *user) { ((struct side *)user)->breakins++; }
static void on_reset(void *user) { ((struct side *)user)->resets++; }
static void on_connect(void *user) { ((struct side *)user)->connects++; }
static void on_error(void *user, int err, const char *msg)
{
	struct side *s = user;
	s->errors++;
	s->last_err = err;
	snprintf(s->last_msg, sizeof s->last_msg, "%s", msg);
}

static struct kd_link_callbacks callbacks(struct side *s)
{
	struct kd_link_callbacks cb = { on_packet, on_breakin, on_reset, on_error, on_connect, NULL, s };
	return cb;
}

static void on_deadline(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Run the loop until cond holds or ms pass; returns whether it held. */
#define RUN_UNTIL(loop, cond, ms)                                                \
	({                                                                       \
		uv_timer_t _t;                                                   \
		int _expired = 0;                                                \
		uv_timer_init(loop, &_t);                                        \
		_t.data = &_expired;                                             \
		uv_timer_start(&_t, on_deadline, ms, 0);                         \
		while (!(cond) && !_expired)                                     \
			uv_run(loop, UV_RUN_ONCE);                               \
		uv_close((uv_handle_t *)&_t, NULL);                              \
		uv_run(loop, UV_RUN_NOWAIT);                                     \
		(cond);                                                          \
	})

static const uint8_t key8[32] = { 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0,
                                  8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0 };

static void close_all(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_two_roles(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct side dbg = { 0 }, tgt = { 0 };
	struct kd_link_callbacks dcb = callbacks(&dbg), tcb = callbacks(&tgt);
	struct kd_link *d, *t;
	char err[256];

	uv_loop_init(&loop);
	assert_int_equal(kdnet_link_open_debugger(&loop, "127.0.0.1", 0, key8, &dcb, &d, err, sizeof err), 0);
	int port = kdnet_link_local_port(d);
	assert_true(port > 0);
	assert_int_equal(kdnet_link_open_target(&loop, "127.0.0.1", port, key8, &tcb, &t, err, sizeof err), 0);
	assert_true(RUN_UNTIL(&loop, dbg.connects && tgt.connects, 5000));
	assert_true(kdnet_link_connected(d));

	/* target -> debugger: a state change */
	struct dbgkd_wait_state_change64 sc;
	memset(&sc, 0, sizeof sc);
	sc.NewState = DbgKdExceptionStateChange;
	sc.NumberProcessors = 2;
	sc.ProgramCounter = 0xfffff80012345678ull;
	assert_int_equal(t->ops->send(t, KD_PACKET_TYPE_KD_STATE_CHANGE64, &sc, sizeof sc), 0);
	assert_true(RUN_UNTIL(&loop, dbg.packets == 1 && t->ops->pending(t) == 0, 5000));
	assert_int_equal(dbg.last_type, KD_PACKET_TYPE_KD_STATE_CHANGE64);
	assert_int_equal(dbg.last_len, sizeof sc);
	assert_memory_equal(dbg.last, &sc, sizeof sc);

	/* debugger -> target and the reply, several in a row */
	for (int i = 0; i < 20; i++) {
		struct dbgkd_manipulate_state64 m;
		memset(&m, 0, sizeof m);
		m.ApiNumber = DbgKdReadVirtualMemoryApi;
		m.u.ReadMemory.TargetBaseAddress = 0xfffff80000000000ull + (uint64_t)i * 0x1000;
		m.u.ReadMemory.TransferCount = 0x100;
		assert_int_equal(d->ops->send(d, KD_PACKET_TYPE_KD_STATE_MANIPULATE, &m, sizeof m), 0);
		assert_true(RUN_UNTIL(&loop, tgt.packets == i + 1, 5000));
		assert_memory_equal(tgt.last, &m, sizeof m);
		uint8_t reply[sizeof m + 0x100];
		memcpy(reply, &m, sizeof m);
		memset(reply + sizeof m, i, 0x100);
		assert_int_equal(t->ops->send(t, KD_PACKET_TYPE_KD_STATE_MANIPULATE, reply, sizeof reply), 0);
		assert_true(RUN_UNTIL(&loop, dbg.packets == i + 2, 5000));
		assert_int_equal(dbg.last_len, sizeof reply);
		assert_memory_equal(dbg.last, reply, sizeof reply);
	}
	assert_true(RUN_UNTIL(&loop, d->ops->pending(d) == 0 && t->ops->pending(t) == 0, 5000));

	/* break-in */
	assert_int_equal(d->ops->breakin(d), 0);
	assert_true(RUN_UNTIL(&loop, tgt.breakins == 1, 5000));

	struct kd_link_stats st;
	kdnet_link_stats(d, &st);
	assert_int_equal(st.auth_failures, 0);
	assert_true(st.packets_received >= 21);
	assert_int_equal(dbg.errors, 0);
	assert_int_equal(tgt.errors, 0);
	t->ops->close(t);
	d->ops->close(d);
	close_all(&loop);
}

static void test_wrong_key_reported(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct side dbg = { 0 }, tgt = { 0 };
	struct kd_link_callbacks dcb = callbacks(&dbg), tcb = callbacks(&tgt);
	struct kd_link *d, *t;
	uint8_t wrong[32];
	char err[256];

	memcpy(wrong, key8, 32);
	wrong[0] = 9;
	uv_loop_init(&loop);
	assert_int_equal(kdnet_link_open_debugger(&loop, "127.0.0.1", 0, key8, &dcb, &d, err, sizeof err), 0);
	assert_int_equal(kdnet_link_open_target(&loop, "127.0.0.1", kdnet_link_local_port(d), wrong, &tcb, &t, err,
	                                        sizeof err), 0);
	assert_true(RUN_UNTIL(&loop, dbg.errors > 0, 5000));
	assert_int_equal(dbg.last_err, KD_EAUTH);
	assert_non_null(strstr(dbg.last_msg, "fail authentication"));
	assert_non_null(strstr(dbg.last_msg, "fingerprint"));
	assert_int_equal(dbg.connects, 0);
	struct kd_link_stats st;
	kdnet_link_stats(d, &st);
	assert_true(st.auth_failures >= 1);
	t->ops->close(t);
	d->ops->close(d);
	close_all(&loop);
}

/* A hand-made target on a raw UDP endpoint. */
struct raw {
	uint8_t got[KDNET_MAX_DATAGRAM];
	size_t len;
	int count;
};

static void raw_datagram(void *user, const uint8_t *data, size_t len, const struct sockaddr *from)
{
	struct raw *r = user;
	(void)from;
	memcpy(r->got, data, len);
	r->len = len;
	r->count++;
}

static void test_replay_and_version(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct side dbg = { 0 };
	struct kd_link_callbacks dcb = callbacks(&dbg);
	struct kd_link *d;
	struct kd_udp *u;
	struct raw r = { .count = 0 };
	struct kd_udp_callbacks ucb = { raw_datagram, NULL, &r };
	struct sockaddr_storage to;
	uint8_t pkt[KDNET_MAX_DATAGRAM], plain[KDNET_MAX_DATAGRAM], value[32], req[KDNET_HANDSHAKE_REQUEST_SIZE], dk[32];
	char err[256];
	size_t n;

	uv_loop_init(&loop);
	assert_int_equal(kdnet_link_open_debugger(&loop, "127.0.0.1", 0, key8, &dcb, &d, err, sizeof err), 0);
	assert_int_equal(kd_udp_open(&loop, "127.0.0.1", 0, &ucb, &u, err, sizeof err), 0);
	assert_int_equal(kd_udp_resolve("127.0.0.1", kdnet_link_local_port(d), &to, err, sizeof err), 0);

	memset(value, 0x5a, sizeof value);
	kdnet_handshake_request(value, req);
	assert_int_equal(kdnet_encode(KDNET_CHANNEL_CONTROL, 7, KDNET_DIR_TARGET, req, sizeof req, key8, key8, pkt,
	                              sizeof pkt, &n), 0);
	assert_int_equal(kd_udp_send(u, pkt, n, (struct sockaddr *)&to), 0);
	assert_true(RUN_UNTIL(&loop, r.count == 1, 5000));
	/* the answer: control channel, same sequence number, 322 bytes */
	struct kdnet_frame f;
	assert_int_equal(kdnet_open(r.got, r.len, key8, key8, plain, sizeof plain, &f, err, sizeof err), 0);
	assert_int_equal(f.channel, KDNET_CHANNEL_CONTROL);
	assert_int_equal(f.direction, KDNET_DIR_HOST);
	assert_int_equal(f.seq, 7);
	assert_int_equal(f.payload_len, KDNET_HANDSHAKE_ANSWER_SIZE);
	assert_int_equal(kdnet_handshake_answer_check(f.payload, f.payload_len), 0);
	assert_memory_equal(f.payload + 2, value, 32);
	kdnet_data_key(key8, f.payload, dk);
	assert_int_equal(dbg.connects, 1);

	/* a DbgPrint as a KD packet in data datagram seq 1 */
	uint8_t kd[16 + 16 + 5] = { 0 };
	uint8_t *body = kd + 16;
	body[0] = 0x30; body[1] = 0x32; body[8] = 5; /* DbgKdPrintStringApi, length 5 */
	memcpy(body + 16, "hello", 5);
	struct kd_packet_header h = { KD_PACKET_LEADER, KD_PACKET_TYPE_KD_DEBUG_IO, 21, 0, kd_packet_checksum(body, 21) };
	kd_packet_header_encode(&h, kd);
	assert_int_equal(kdnet_encode(KDNET_CHANNEL_DATA, 1, KDNET_DIR_TARGET, kd, sizeof kd, key8, dk, pkt, sizeof pkt,
	                              &n), 0);
	assert_int_equal(kd_udp_send(u, pkt, n, (struct sockaddr *)&to), 0);
	assert_true(RUN_UNTIL(&loop, dbg.packets == 1 && r.count == 2, 5000));
	assert_int_equal(dbg.last_type, KD_PACKET_TYPE_KD_DEBUG_IO);
	/* the acknowledgement came back for id 0 */
	assert_int_equal(kdnet_open(r.got, r.len, key8, dk, plain, sizeof plain, &f, err, sizeof err), 0);
	kd_packet_header_decode(f.payload, &h);
	assert_int_equal(h.leader, KD_CONTROL_PACKET_LEADER);
	assert_int_equal(h.type, KD_PACKET_TYPE_KD_ACKNOWLEDGE);
	assert_int_equal(h.id, 0);

	/* the same datagram again: stale sequence number, dropped */
	struct kd_link_stats before, after;
	kdnet_link_stats(d, &before);
	assert_int_equal(kd_udp_send(u, pkt, n, (struct sockaddr *)&to), 0);
	RUN_UNTIL(&loop, 0, 200);
	kdnet_link_stats(d, &after);
	assert_int_equal(dbg.packets, 1);
	assert_int_equal(after.dropped, before.dropped + 1);

	/* a flipped bit: counted, reported */
	pkt[30] ^= 1;
	assert_int_equal(kd_udp_send(u, pkt, n, (struct sockaddr *)&to), 0);
	assert_true(RUN_UNTIL(&loop, dbg.errors == 1, 5000));
	assert_int_equal(dbg.last_err, KD_EAUTH);
	kdnet_link_stats(d, &after);
	assert_int_equal(after.auth_failures, 1);

	/* protocol version 5 */
	pkt[30] ^= 1;
	pkt[4] = 5;
	assert_int_equal(kd_udp_send(u, pkt, n, (struct sockaddr *)&to), 0);
	assert_true(RUN_UNTIL(&loop, dbg.errors == 2, 5000));
	assert_int_equal(dbg.last_err, KD_EPROTO);
	assert_non_null(strstr(dbg.last_msg, "version 5"));
	assert_int_equal(dbg.packets, 1);

	/* a handshake request of another session with an old sequence
	 * number, while the target is talking: a replay, ignored */
	memset(value, 0xa5, sizeof value);
	kdnet_handshake_request(value, req);
	assert_int_equal(kdnet_encode(KDNET_CHANNEL_CONTROL, 2, KDNET_DIR_TARGET, req, sizeof req, key8, key8, pkt,
	                              sizeof pkt, &n), 0);
	kdnet_link_stats(d, &before);
	int answers = r.count;
	assert_int_equal(kd_udp_send(u, pkt, n, (struct sockaddr *)&to), 0);
	RUN_UNTIL(&loop, 0, 200);
	kdnet_link_stats(d, &after);
	assert_int_equal(dbg.connects, 1);
	assert_int_equal(r.count, answers);
	assert_int_equal(after.dropped, before.dropped + 1);

	kd_udp_close(u);
	d->ops->close(d);
	close_all(&loop);
}

static void test_spec(void **state)
{
	(void)state;
	struct kdnet_spec sp;
	char err[256];
	assert_int_equal(kdnet_spec_parse("port=50000,key=8.8.8.8,target=10.0.0.7", &sp, err, sizeof err), 0);
	assert_int_equal(sp.port, 50000);
	assert_memory_equal(sp.key, key8, 32);
	assert_string_equal(sp.target, "10.0.0.7");
	assert_string_equal(sp.bind, "");
	kdnet_spec_describe(&sp, err, sizeof err);
	assert_non_null(strstr(err, "50000"));
	assert_null(strstr(err, "8.8.8.8"));

	static const struct {
		const char *spec, *needle;
	} bad[] = {
		{ "key=8.8.8.8", "needs port=" },
		{ "port=0,key=8.8.8.8", "not a UDP port" },
		{ "port=70000,key=8.8.8.8", "not a UDP port" },
		{ "port=5x,key=8.8.8.8", "not a UDP port" },
		{ "port=50000,key=8.8.8.8,colour=blue", "unknown option 'colour'" },
		{ "port=50000,key=8.8.8", "has 3 parts" },
		{ "port=50000,key=env:KD_TEST_UNSET_KEY", "KD_TEST_UNSET_KEY" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(kdnet_spec_parse(bad[i].spec, &sp, err, sizeof err), KD_EINVAL);
		if (!strstr(err, bad[i].needle))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].spec, err, bad[i].needle);
	}
	unsetenv(KDNET_KEY_ENV);
	assert_int_equal(kdnet_spec_parse("port=50000", &sp, err, sizeof err), KD_EINVAL);
	assert_non_null(strstr(err, "needs key="));
	setenv(KDNET_KEY_ENV, "8.8.8.8", 1);
	assert_int_equal(kdnet_spec_parse("port=50000", &sp, err, sizeof err), 0);
	assert_memory_equal(sp.key, key8, 32);
	unsetenv(KDNET_KEY_ENV);
}

/* target=HOST: datagrams from elsewhere are ignored. */
static void test_target_filter(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct side dbg = { 0 }, tgt = { 0 };
	struct kd_link_callbacks dcb = callbacks(&dbg), tcb = callbacks(&tgt);
	struct kd_link *d, *t;
	struct kdnet_spec sp;
	char err[256];

	memset(&sp, 0, sizeof sp);
	memcpy(sp.key, key8, 32);
	strcpy(sp.bind, "127.0.0.1");
	strcpy(sp.target, "127.0.0.2");
	uv_loop_init(&loop);
	assert_int_equal(kdnet_spec_open_debugger(&loop, &sp, &dcb, &d, err, sizeof err), 0);
	assert_int_equal(kdnet_link_open_target(&loop, "127.0.0.1", kdnet_link_local_port(d), key8, &tcb, &t, err,
	                                        sizeof err), 0);
	assert_false(RUN_UNTIL(&loop, dbg.connects > 0, 1500));
	t->ops->close(t);
	d->ops->close(d);
	uv_run(&loop, UV_RUN_NOWAIT);

	strcpy(sp.target, "127.0.0.1");
	assert_int_equal(kdnet_spec_open_debugger(&loop, &sp, &dcb, &d, err, sizeof err), 0);
	assert_int_equal(kdnet_link_open_target(&loop, "127.0.0.1", kdnet_link_local_port(d), key8, &tcb, &t, err,
	                                        sizeof err), 0);
	assert_true(RUN_UNTIL(&loop, dbg.connects > 0 && tgt.connects > 0, 5000));
	t->ops->close(t);
	d->ops->close(d);
	close_all(&loop);
}

/* A relay between the two roles that drops every fourth datagram in
 * each direction: handshakes are repeated, packets resent, duplicates
 * not delivered twice. */
struct relay {
	struct kd_udp *u;
	struct sockaddr_storage debugger, target;
	int have_target;
	unsigned long seen[2], dropped;
};

static void relay_datagram(void *user, const uint8_t *data, size_t len, const struct sockaddr *from)
{
	struct relay *r = user;
	const struct sockaddr_in *a = (const struct sockaddr_in *)from, *dbg = (const struct sockaddr_in *)&r->debugger;
	int from_debugger = a->sin_port == dbg->sin_port;
	if (!from_debugger) {
		memcpy(&r->target, from, sizeof(struct sockaddr_in));
		r->have_target = 1;
	}
	if (++r->seen[from_debugger] % 4 == 0) {
		r->dropped++;
		return;
	}
	if (from_debugger && !r->have_target)
		return;
	kd_udp_send(r->u, data, len, (const struct sockaddr *)(from_debugger ? &r->target : &r->debugger));
}

static void test_lossy_link(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct side dbg = { 0 }, tgt = { 0 };
	struct kd_link_callbacks dcb = callbacks(&dbg), tcb = callbacks(&tgt);
	struct kd_link *d, *t;
	struct relay rl;
	struct kd_udp_callbacks rcb = { relay_datagram, NULL, &rl };
	char err[256];

	memset(&rl, 0, sizeof rl);
	uv_loop_init(&loop);
	assert_int_equal(kdnet_link_open_debugger(&loop, "127.0.0.1", 0, key8, &dcb, &d, err, sizeof err), 0);
	kdnet_link_set_timing(d, 30, 50, 100);
	assert_int_equal(kd_udp_open(&loop, "127.0.0.1", 0, &rcb, &rl.u, err, sizeof err), 0);
	assert_int_equal(kd_udp_resolve("127.0.0.1", kdnet_link_local_port(d), &rl.debugger, err, sizeof err), 0);
	assert_int_equal(kdnet_link_open_target(&loop, "127.0.0.1", kd_udp_local_port(rl.u), key8, &tcb, &t, err,
	                                        sizeof err), 0);
	kdnet_link_set_timing(t, 30, 50, 100);
	assert_true(RUN_UNTIL(&loop, dbg.connects && tgt.connects, 5000));

	for (int i = 0; i < 50; i++) {
		struct dbgkd_manipulate_state64 m;
		memset(&m, 0, sizeof m);
		m.ApiNumber = DbgKdReadVirtualMemoryApi;
		m.u.ReadMemory.TargetBaseAddress = 0x1000u * (unsigned)i;
		m.u.ReadMemory.TransferCount = 0x200;
		assert_int_equal(d->ops->send(d, KD_PACKET_TYPE_KD_STATE_MANIPULATE, &m, sizeof m), 0);
		assert_true(RUN_UNTIL(&loop, tgt.packets == i + 1, 5000));
		assert_memory_equal(tgt.last, &m, sizeof m);
		uint8_t reply[sizeof m + 0x200];
		memcpy(reply, &m, sizeof m);
		for (size_t k = 0; k < 0x200; k++)
			reply[sizeof m + k] = (uint8_t)(k * 7 + (size_t)i);
		assert_int_equal(t->ops->send(t, KD_PACKET_TYPE_KD_STATE_MANIPULATE, reply, sizeof reply), 0);
		assert_true(RUN_UNTIL(&loop, dbg.packets == i + 1, 5000));
		assert_memory_equal(dbg.last, reply, sizeof reply);
	}
	/* let the last acknowledgements through, then count: no packet twice */
	assert_true(RUN_UNTIL(&loop, d->ops->pending(d) == 0 && t->ops->pending(t) == 0, 5000));
	RUN_UNTIL(&loop, 0, 200);
	assert_int_equal(dbg.packets, 50);
	assert_int_equal(tgt.packets, 50);
	assert_true(rl.dropped >= 40);
	struct kd_link_stats st;
	kdnet_link_stats(d, &st);
	assert_true(st.resends > 0);
	assert_int_equal(dbg.errors, 0);
	t->ops->close(t);
	d->ops->close(d);
	kd_udp_close(rl.u);
	close_all(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_roles),
		cmocka_unit_test(test_wrong_key_reported),
		cmocka_unit_test(test_replay_and_version),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_target_filter),
		cmocka_unit_test(test_lossy_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
