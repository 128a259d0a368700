/*
 * KDNET link over UDP, debugger and target roles (see kdnet_link.h).
 *
 * One receive path classifies every datagram: authentication first (a
 * failure is counted and reported, nothing else happens), then channel,
 * direction and sequence number (stale or replayed ones are dropped),
 * then the control handshake or the KD packet inside. Outgoing KD data
 * packets wait in a queue; the head is resent until the peer acknowledges
 * its id. Packet ids follow the real session: the target counts 0, 2, 4..,
 * the debugger 0x80000000, 0x80000002...
 */
#include "proto/kdnet_link.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/bytes.h"
#include "base/error.h"
#include "proto/kd_describe.h"
#include "proto/kd_packet.h"
#include "proto/kdnet.h"
#include "transport/udp.h"

#define DEBUGGER_FIRST_ID 0x80000000u
#define TARGET_FIRST_ID 0x00000000u
#define KEEPALIVE_MS 3000
#define REPORT_INTERVAL_MS 5000
/* A target silent this long may have rebooted: its new handshake may
 * restart its sequence numbers. */
#define REBOOT_SILENCE_MS 10000

struct out_packet {
	struct out_packet *next;
	uint16_t type;
	uint32_t id;
	size_t len; /* KD header + payload */
	uint8_t data[];
};

struct kdnet_link {
	struct kd_link base; /* first: a struct kd_link * is a struct kdnet_link * */
	enum kd_link_role role;
	uv_loop_t *loop;
	struct kd_udp *udp;
	uv_timer_t timer;
	uint8_t ck[KDNET_KEY_SIZE], dk[KDNET_KEY_SIZE];
	int connected;
	int data_confirmed; /* debugger: the target has used the data key */
	struct sockaddr_storage peer;
	int have_peer;
	struct sockaddr_storage filter;
	int have_filter;
	/* handshake */
	uint8_t value[KDNET_HANDSHAKE_VALUE_SIZE]; /* the target's value of this session */
	uint32_t hs_counter;
	uint64_t ctrl_seq_tx, data_seq_tx;
	struct kdnet_seq_window rx;
	/* KD packets */
	uint32_t next_id, last_rx_id;
	int have_rx_id;
	struct out_packet *head, *tail;
	size_t queued;
	unsigned retries;
	int reset_sent;
	/* settings, reporting */
	unsigned resend_ms, max_resends, handshake_ms;
	int trace;
	uint64_t last_auth_report, last_version_report;
	uint64_t last_data_rx; /* loop time of the last data datagram accepted */
	struct kd_link_stats stats;
	uint8_t plain[KDNET_MAX_DATAGRAM];
	uint8_t wire[KDNET_MAX_DATAGRAM];
};

static void trace(struct kdnet_link *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(struct kdnet_link *k, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	if (!k->trace || !k->base.cb.on_trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	k->base.cb.on_trace(k->base.cb.user, line);
}

static void report(struct kdnet_link *k, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(struct kdnet_link *k, int err, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (k->base.cb.on_error)
		k->base.cb.on_error(k->base.cb.user, err, line);
}

static uint8_t my_direction(const struct kdnet_link *k)
{
	return k->role == KD_LINK_DEBUGGER ? KDNET_DIR_HOST : KDNET_DIR_TARGET;
}

static const char *peer_name(const struct kdnet_link *k)
{
	return k->role == KD_LINK_DEBUGGER ? "target" : "debugger";
}

/* --- sending --------------------------------------------------------- */

static int send_datagram(struct kdnet_link *k, uint8_t channel, uint64_t seq, const void *payload, size_t len)
{
	size_t n;
	if (!k->have_peer)
		return KD_EDISCONNECTED;
	int rc = kdnet_encode(channel, seq, my_direction(k), payload, len, k->ck,
	                      channel == KDNET_CHANNEL_DATA ? k->dk : k->ck, k->wire, sizeof k->wire, &n);
	if (rc < 0)
		return rc;
	rc = kd_udp_send(k->udp, k->wire, n, (const struct sockaddr *)&k->peer);
	if (rc == 0) {
		k->stats.bytes_sent += n;
		k->stats.packets_sent++;
	}
	return rc;
}

static int send_data_payload(struct kdnet_link *k, const void *payload, size_t len)
{
	char line[1024];
	if (len >= KD_PACKET_HEADER_SIZE)
		trace(k, "kdnet > %s data seq=%llu %s", peer_name(k), (unsigned long long)(k->data_seq_tx + 1),
		      kd_describe_packet(payload, len, line, sizeof line));
	return send_datagram(k, KDNET_CHANNEL_DATA, ++k->data_seq_tx, payload, len);
}

static void send_control_packet(struct kdnet_link *k, uint16_t type, uint32_t id)
{
	uint8_t h[KD_PACKET_HEADER_SIZE];
	struct kd_packet_header hdr = { KD_CONTROL_PACKET_LEADER, type, 0, id, 0 };
	kd_packet_header_encode(&hdr, h);
	send_data_payload(k, h, sizeof h);
}

static void arm_timer(struct kdnet_link *k);

static void send_head(struct kdnet_link *k)
{
	if (k->head && k->connected)
		send_data_payload(k, k->head->data, k->head->len);
	arm_timer(k);
}

static void drop_queue(struct kdnet_link *k)
{
	while (k->head) {
		struct out_packet *p = k->head;
		k->head = p->next;
		free(p);
	}
	k->tail = NULL;
	k->queued = 0;
	k->retries = 0;
}

static int link_send(struct kd_link *l, uint16_t type, const void *data, size_t len)
{
	struct kdnet_link *k = (struct kdnet_link *)l;
	if (len > KD_PACKET_MAX_SIZE)
		return KD_EINVAL;
	struct out_packet *p = malloc(sizeof *p + KD_PACKET_HEADER_SIZE + len);
	if (!p)
		return KD_ENOMEM;
	struct kd_packet_header h = { KD_PACKET_LEADER, type, (uint16_t)len, k->next_id,
	                              kd_packet_checksum(data, len) };
	k->next_id += 2;
	kd_packet_header_encode(&h, p->data);
	if (len)
		memcpy(p->data + KD_PACKET_HEADER_SIZE, data, len);
	p->next = NULL;
	p->type = type;
	p->id = h.id;
	p->len = KD_PACKET_HEADER_SIZE + len;
	if (k->tail)
		k->tail->next = p;
	else
		k->head = p;
	k->tail = p;
	k->queued++;
	if (k->head == p) {
		k->retries = 0;
		send_head(k);
	}
	return 0;
}

static int link_breakin(struct kd_link *l)
{
	struct kdnet_link *k = (struct kdnet_link *)l;
	uint8_t b = KD_BREAKIN_PACKET_BYTE;
	if (!k->connected)
		return KD_EDISCONNECTED;
	trace(k, "kdnet > target break-in");
	return send_datagram(k, KDNET_CHANNEL_DATA, ++k->data_seq_tx, &b, 1);
}

static size_t link_pending(struct kd_link *l)
{
	return ((struct kdnet_link *)l)->queued;
}

static void link_reset(struct kd_link *l)
{
	struct kdnet_link *k = (struct kdnet_link *)l;
	drop_queue(k);
	if (k->connected) {
		k->reset_sent = 1;
		send_control_packet(k, KD_PACKET_TYPE_KD_RESET, k->next_id);
	}
	arm_timer(k);
}

static void link_set_trace(struct kd_link *l, int on)
{
	((struct kdnet_link *)l)->trace = on;
}

/* --- the handshake ---------------------------------------------------- */

static void send_handshake_request(struct kdnet_link *k)
{
	uint8_t req[KDNET_HANDSHAKE_REQUEST_SIZE];
	k->hs_counter++;
	for (int i = 0; i < 4; i++)
		k->value[i] = (uint8_t)(k->hs_counter >> (8 * i));
	kdnet_handshake_request(k->value, req);
	trace(k, "kdnet > debugger control seq=%llu handshake request", (unsigned long long)(k->ctrl_seq_tx + 1));
	send_datagram(k, KDNET_CHANNEL_CONTROL, ++k->ctrl_seq_tx, req, sizeof req);
}

/* A new data key: sequence numbers and packet ids start again. */
static void start_session(struct kdnet_link *k, const uint8_t answer[KDNET_HANDSHAKE_ANSWER_SIZE], int renewed)
{
	int was = k->connected && !renewed;
	kdnet_data_key(k->ck, answer, k->dk);
	k->rx.seen[KDNET_CHANNEL_DATA] = 0;
	k->data_seq_tx = 0;
	k->have_rx_id = 0;
	k->data_confirmed = 0;
	k->connected = 1;
	k->retries = 0;
	if (was && k->base.cb.on_reset)
		k->base.cb.on_reset(k->base.cb.user);
	if (!renewed && k->base.cb.on_connect)
		k->base.cb.on_connect(k->base.cb.user);
	/* packets queued before the (new) session go out now */
	send_head(k);
}

/* Debugger: a target's request. Answer a new target, or the current one
 * while it has not used the data key yet (the answer may have been lost);
 * the requests a stopped target repeats every few seconds in a working
 * session (bytes 4.. of its value unchanged) are keep-alives. */
static void on_handshake_request(struct kdnet_link *k, const struct kdnet_frame *f,
                                 const struct sockaddr *from)
{
	uint8_t value[KDNET_HANDSHAKE_VALUE_SIZE], host[32], answer[KDNET_HANDSHAKE_ANSWER_SIZE];
	if (kdnet_handshake_request_value(f->payload, f->payload_len, value) < 0)
		return;
	int same = k->connected && memcmp(value + 4, k->value + 4, sizeof value - 4) == 0;
	if (same && k->data_confirmed) {
		trace(k, "kdnet < target control seq=%llu keep-alive", (unsigned long long)f->seq);
		return;
	}
	if (RAND_bytes(host, sizeof host) != 1) {
		report(k, KD_EIO, "KDNET: no random bytes for the handshake");
		return;
	}
	memcpy(k->value, value, sizeof value);
	memcpy(&k->peer, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	k->have_peer = 1;
	kdnet_handshake_answer(value, host, answer);
	trace(k, "kdnet < target control seq=%llu handshake request; answering", (unsigned long long)f->seq);
	send_datagram(k, KDNET_CHANNEL_CONTROL, f->seq, answer, sizeof answer);
	if (!same) {
		k->next_id = DEBUGGER_FIRST_ID;
		drop_queue(k);
	}
	start_session(k, answer, same);
	OPENSSL_cleanse(answer, sizeof answer);
	OPENSSL_cleanse(host, sizeof host);
}

/* Target: the debugger's answer to one of our requests. */
static void on_handshake_answer(struct kdnet_link *k, const struct kdnet_frame *f)
{
	if (kdnet_handshake_answer_check(f->payload, f->payload_len) < 0 ||
	    memcmp(f->payload + 2 + 4, k->value + 4, KDNET_HANDSHAKE_VALUE_SIZE - 4) != 0) {
		trace(k, "kdnet < debugger control seq=%llu: not an answer to our handshake", (unsigned long long)f->seq);
		return;
	}
	trace(k, "kdnet < debugger control seq=%llu handshake answer; data key derived", (unsigned long long)f->seq);
	/* Queued packets survive: like Windows, the target sends them to
	 * whichever debugger answers (a new kd after a restart). */
	start_session(k, f->payload, 0);
}

/* --- receiving ------------------------------------------------------- */

static void on_kd_control(struct kdnet_link *k, const struct kd_packet_header *h)
{
	switch (h->type) {
	case KD_PACKET_TYPE_KD_ACKNOWLEDGE:
		if (k->head && k->head->id == h->id) {
			struct out_packet *p = k->head;
			k->head = p->next;
			if (!k->head)
				k->tail = NULL;
			free(p);
			k->queued--;
			k->retries = 0;
			send_head(k);
		}
		break;
	case KD_PACKET_TYPE_KD_RESEND:
		k->stats.resends++;
		send_head(k);
		break;
	case KD_PACKET_TYPE_KD_RESET:
		if (k->reset_sent) {
			k->reset_sent = 0; /* the peer's answer to our reset */
		} else {
			send_control_packet(k, KD_PACKET_TYPE_KD_RESET, k->next_id);
			if (k->base.cb.on_reset)
				k->base.cb.on_reset(k->base.cb.user);
		}
		k->have_rx_id = 0;
		k->retries = 0;
		send_head(k);
		break;
	default:
		break;
	}
}

static void on_data_payload(struct kdnet_link *k, const struct kdnet_frame *f)
{
	if (f->payload_len >= 1 && f->payload_len <= 4 && f->payload[0] == KD_BREAKIN_PACKET_BYTE) {
		trace(k, "kdnet < %s break-in", peer_name(k));
		if (k->role == KD_LINK_TARGET && k->base.cb.on_breakin)
			k->base.cb.on_breakin(k->base.cb.user);
		return;
	}
	if (f->payload_len < KD_PACKET_HEADER_SIZE) {
		/* Windows sends one such short payload after the handshake. */
		trace(k, "kdnet < %s data seq=%llu: %zu-byte non-KD payload ignored", peer_name(k),
		      (unsigned long long)f->seq, f->payload_len);
		return;
	}
	struct kd_packet_header h;
	char line[1024];
	const uint8_t *body = f->payload + KD_PACKET_HEADER_SIZE;
	size_t blen = f->payload_len - KD_PACKET_HEADER_SIZE;
	kd_packet_header_decode(f->payload, &h);
	trace(k, "kdnet < %s data seq=%llu %s", peer_name(k), (unsigned long long)f->seq,
	      kd_describe(&h, body, blen, line, sizeof line));
	if (h.leader == KD_CONTROL_PACKET_LEADER) {
		on_kd_control(k, &h);
		return;
	}
	if (h.leader != KD_PACKET_LEADER)
		return;
	if (h.byte_count != blen || kd_packet_checksum(body, blen) != h.checksum) {
		k->stats.bad_checksums++;
		send_control_packet(k, KD_PACKET_TYPE_KD_RESEND, 0);
		return;
	}
	send_control_packet(k, KD_PACKET_TYPE_KD_ACKNOWLEDGE, h.id);
	if (k->have_rx_id && h.id == k->last_rx_id) {
		k->stats.dropped++; /* a resend of a packet already delivered */
		return;
	}
	k->have_rx_id = 1;
	k->last_rx_id = h.id;
	k->stats.packets_received++;
	if (k->base.cb.on_packet)
		k->base.cb.on_packet(k->base.cb.user, h.type, body, blen);
}

static int same_host(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
		              sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
	              sizeof(struct in6_addr)) == 0;
}

/* Debugger: a handshake request with an old sequence number is a
 * replay, unless the target has been silent for a while and the request
 * starts a new session (a rebooted target counts from the start again). */
static int rebooted_target(struct kdnet_link *k, const struct kdnet_frame *f)
{
	uint8_t value[KDNET_HANDSHAKE_VALUE_SIZE];
	if (k->role != KD_LINK_DEBUGGER || f->channel != KDNET_CHANNEL_CONTROL ||
	    kdnet_handshake_request_value(f->payload, f->payload_len, value) < 0)
		return 0;
	if (k->connected && memcmp(value + 4, k->value + 4, sizeof value - 4) == 0)
		return 0;
	if (k->connected && uv_now(k->loop) - k->last_data_rx < REBOOT_SILENCE_MS)
		return 0;
	k->rx.last[KDNET_CHANNEL_CONTROL] = f->seq;
	return 1;
}

static void on_datagram(void *user, const uint8_t *data, size_t len, const struct sockaddr *from)
{
	struct kdnet_link *k = user;
	struct kdnet_frame f;
	char err[200], who[64];
	uint8_t peer_dir = k->role == KD_LINK_DEBUGGER ? KDNET_DIR_TARGET : KDNET_DIR_HOST;

	kd_udp_format_addr(from, who, sizeof who);
	k->stats.bytes_received += len;
	if (k->have_filter && !same_host(from, &k->filter)) {
		trace(k, "kdnet: datagram from %s ignored (not the target host)", who);
		return;
	}
	if (k->role == KD_LINK_TARGET && !same_host(from, &k->peer))
		return;
	int ch = kdnet_peek_channel(data, len);
	const uint8_t *key = ch == KDNET_CHANNEL_DATA ? (k->connected ? k->dk : NULL) : k->ck;
	int rc = kdnet_open(data, len, k->ck, key, k->plain, sizeof k->plain, &f, err, sizeof err);
	if (rc < 0) {
		uint64_t now = uv_now(k->loop);
		if (rc == KD_EAUTH && ch == KDNET_CHANNEL_DATA && !k->connected) {
			/* a target still in an earlier session: its next handshake
			 * request (every few seconds) starts a new one */
			trace(k, "kdnet < %s: data datagram before the handshake, waiting for the next request", who);
			return;
		}
		k->stats.dropped++;
		if (rc == KD_EAUTH)
			k->stats.auth_failures++;
		trace(k, "kdnet < %s: datagram of %zu bytes dropped: %s", who, len, err);
		if (rc == KD_EAUTH && (!k->last_auth_report || now - k->last_auth_report >= REPORT_INTERVAL_MS)) {
			char masked[64];
			k->last_auth_report = now;
			report(k, KD_EAUTH, "KDNET packets from %s fail authentication (%llu so far): check the key "
			       "(kd uses %s) against the target's `bcdedit /dbgsettings`",
			       who, (unsigned long long)k->stats.auth_failures, kdnet_key_masked(k->ck, masked, sizeof masked));
		} else if (rc == KD_EPROTO && (!k->last_version_report || now - k->last_version_report >= REPORT_INTERVAL_MS)) {
			k->last_version_report = now;
			report(k, KD_EPROTO, "%s: %s", who, err);
		}
		return;
	}
	if (f.direction != peer_dir) {
		k->stats.dropped++;
		trace(k, "kdnet < %s: datagram in our own direction dropped (reflected?)", who);
		return;
	}
	if (!kdnet_seq_accept(&k->rx, f.channel, f.seq) && !rebooted_target(k, &f)) {
		k->stats.dropped++;
		trace(k, "kdnet < %s: %s seq=%llu is stale or replayed, dropped", who,
		      f.channel == KDNET_CHANNEL_DATA ? "data" : "control", (unsigned long long)f.seq);
		return;
	}
	if (f.channel == KDNET_CHANNEL_CONTROL) {
		if (k->role == KD_LINK_DEBUGGER)
			on_handshake_request(k, &f, from);
		else
			on_handshake_answer(k, &f);
		return;
	}
	k->last_data_rx = uv_now(k->loop);
	if (k->role == KD_LINK_DEBUGGER && !k->data_confirmed) {
		k->data_confirmed = 1;
		memcpy(&k->peer, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	}
	on_data_payload(k, &f);
}

static void on_udp_error(void *user, int err)
{
	struct kdnet_link *k = user;
	/* ICMP port unreachable when the other side is not there yet */
	if (err == UV_ECONNREFUSED)
		return;
	report(k, err, "KDNET UDP: %s", uv_strerror(err));
}

/* --- timer: resends and handshake requests --------------------------- */

static void on_timer(uv_timer_t *t)
{
	struct kdnet_link *k = t->data;
	if (k->role == KD_LINK_TARGET && !k->connected) {
		send_handshake_request(k);
		arm_timer(k);
		return;
	}
	if (k->head && k->connected) {
		if (++k->retries > k->max_resends) {
			report(k, KD_ETIMEDOUT, "the %s does not acknowledge KDNET packets (%u resends)", peer_name(k),
			       k->max_resends);
			drop_queue(k);
			if (k->base.cb.on_reset)
				k->base.cb.on_reset(k->base.cb.user);
		} else {
			k->stats.resends++;
			send_head(k);
			return;
		}
	}
	if (k->role == KD_LINK_TARGET && k->connected)
		send_handshake_request(k); /* keep-alive, lets a new debugger attach */
	arm_timer(k);
}

static void arm_timer(struct kdnet_link *k)
{
	uint64_t ms = 0;
	if (k->head && k->connected)
		ms = k->resend_ms;
	else if (k->role == KD_LINK_TARGET)
		ms = k->connected ? KEEPALIVE_MS : k->handshake_ms;
	if (ms)
		uv_timer_start(&k->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&k->timer);
}

/* --- life cycle ------------------------------------------------------ */

static void on_timer_closed(uv_handle_t *h)
{
	struct kdnet_link *k = h->data;
	OPENSSL_cleanse(k, sizeof *k);
	free(k);
}

static void link_close(struct kd_link *l)
{
	struct kdnet_link *k = (struct kdnet_link *)l;
	if (!k)
		return;
	drop_queue(k);
	kd_udp_close(k->udp);
	k->udp = NULL;
	uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->timer, on_timer_closed);
}

static const struct kd_link_ops kdnet_link_ops = {
	.send = link_send,
	.breakin = link_breakin,
	.pending = link_pending,
	.reset = link_reset,
	.set_trace = link_set_trace,
	.close = link_close,
};

static int link_new(uv_loop_t *loop, enum kd_link_role role, const char *bind_host, int port,
                    const uint8_t key[KDNET_KEY_SIZE], const struct kd_link_callbacks *cb,
                    struct kdnet_link **out, char *err, size_t errlen)
{
	struct kdnet_link *k = calloc(1, sizeof *k);
	if (!k)
		return KD_ENOMEM;
	k->base.ops = &kdnet_link_ops;
	k->base.cb = *cb;
	k->role = role;
	k->loop = loop;
	memcpy(k->ck, key, KDNET_KEY_SIZE);
	k->next_id = role == KD_LINK_DEBUGGER ? DEBUGGER_FIRST_ID : TARGET_FIRST_ID;
	k->resend_ms = 500;
	k->max_resends = 10;
	k->handshake_ms = 1000;
	struct kd_udp_callbacks ucb = { on_datagram, on_udp_error, k };
	int rc = kd_udp_open(loop, bind_host, port, &ucb, &k->udp, err, errlen);
	if (rc < 0) {
		OPENSSL_cleanse(k, sizeof *k);
		free(k);
		return rc;
	}
	uv_timer_init(loop, &k->timer);
	k->timer.data = k;
	*out = k;
	return 0;
}

int kdnet_link_open_debugger(uv_loop_t *loop, const char *bind_host, int port, const uint8_t key[KDNET_KEY_SIZE],
                             const struct kd_link_callbacks *cb, struct kd_link **out, char *err, size_t errlen)
{
	struct kdnet_link *k;
	int rc = link_new(loop, KD_LINK_DEBUGGER, bind_host, port, key, cb, &k, err, errlen);
	if (rc < 0)
		return rc;
	*out = &k->base;
	return 0;
}

int kdnet_link_open_target(uv_loop_t *loop, const char *host, int port, const uint8_t key[KDNET_KEY_SIZE],
                           const struct kd_link_callbacks *cb, struct kd_link **out, char *err, size_t errlen)
{
	struct sockaddr_storage peer;
	int rc = kd_udp_resolve(host, port, &peer, err, errlen);
	if (rc < 0)
		return rc;
	if (port <= 0) {
		snprintf(err, errlen, "the debugger's UDP port is missing");
		return KD_EINVAL;
	}
	struct kdnet_link *k;
	rc = link_new(loop, KD_LINK_TARGET, peer.ss_family == AF_INET6 ? "::" : "0.0.0.0", 0, key, cb, &k, err, errlen);
	if (rc < 0)
		return rc;
	k->peer = peer;
	k->have_peer = 1;
	if (RAND_bytes(k->value, sizeof k->value) != 1) {
		link_close(&k->base);
		snprintf(err, errlen, "no random bytes for the KDNET handshake");
		return KD_EIO;
	}
	k->hs_counter = kd_le32(k->value);
	send_handshake_request(k);
	arm_timer(k);
	*out = &k->base;
	return 0;
}

int kdnet_link_restrict_peer(struct kd_link *l, const char *host, char *err, size_t errlen)
{
	struct kdnet_link *k = (struct kdnet_link *)l;
	int rc = kd_udp_resolve(host, 0, &k->filter, err, errlen);
	if (rc == 0)
		k->have_filter = 1;
	return rc;
}

int kdnet_link_local_port(const struct kd_link *l)
{
	return kd_udp_local_port(((const struct kdnet_link *)l)->udp);
}

int kdnet_link_connected(const struct kd_link *l)
{
	return ((const struct kdnet_link *)l)->connected;
}

void kdnet_link_stats(const struct kd_link *l, struct kd_link_stats *st)
{
	*st = ((const struct kdnet_link *)l)->stats;
}

void kdnet_link_set_timing(struct kd_link *l, unsigned resend_ms, unsigned max_resends, unsigned handshake_ms)
{
	struct kdnet_link *k = (struct kdnet_link *)l;
	k->resend_ms = resend_ms ? resend_ms : 500;
	k->max_resends = max_resends;
	k->handshake_ms = handshake_ms ? handshake_ms : 1000;
	arm_timer(k);
}
