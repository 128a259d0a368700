/*
 * KDCOM link (see kdcom.h): one receive path that classifies every byte
 * run into break-in, control packet or data packet, and one send queue with
 * the packet in flight at its head.
 *
 * Packet ids alternate between 0x80800000 and 0x80800001 in each
 * direction. The first packet a target sends after a reset carries the
 * sync bit (0x800); a receiver that has just (re)synchronised accepts
 * whatever id comes next, then expects the alternation. A data packet
 * with a good checksum is always acknowledged, and delivered only if it is
 * not the repeat of one already delivered (its ack was lost).
 */
#include "proto/kdcom.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "proto/kd_packet.h"

struct tx_packet {
	struct tx_packet *next;
	uint16_t type;
	uint16_t len;
	uint8_t data[];
};

enum rx_state { RX_HUNT, RX_HEADER, RX_DATA, RX_TRAILER };

struct kdcom {
	struct kd_link link;
	uv_loop_t *loop;
	enum kd_link_role role;
	struct kdcom_options opt;
	struct kdcom_writer w;
	int trace;
	int closing;
	int pending_closes;

	/* send side */
	struct tx_packet *head, *tail;
	size_t queued;
	uint32_t send_id;
	int in_flight;           /* head has been written, awaiting ack */
	uint64_t in_flight_since; /* loop time of the first attempt */
	int gave_up;             /* on_error already reported for head */
	uv_timer_t ack_timer;

	/* receive side */
	enum rx_state rx;
	uint8_t leader_byte;
	int leader_count;
	uint8_t hdr[KD_PACKET_HEADER_SIZE];
	size_t hdr_len;
	struct kd_packet_header h;
	uint8_t data[KD_PACKET_MAX_SIZE];
	size_t data_len;
	uint32_t last_delivered;
	int recv_sync;           /* accept the next id whatever it is */
	uv_timer_t rx_timer;     /* a packet that stops half way is abandoned */

	struct kd_link_stats stats;
};

static struct kdcom *from_link(struct kd_link *l)
{
	return (struct kdcom *)l;
}

static void tracef(struct kdcom *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tracef(struct kdcom *k, const char *fmt, ...)
{
	if (!k->trace || !k->link.cb.on_trace)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	k->link.cb.on_trace(k->link.cb.user, line);
}

static const char *type_name(unsigned t)
{
	const char *n = kd_packet_type_name(t);
	return n ? n : "UNKNOWN";
}

static void write_bytes(struct kdcom *k, const void *p, size_t n)
{
	if (k->w.write(k->w.ctx, p, n) >= 0)
		k->stats.bytes_sent += n;
}

static void send_control(struct kdcom *k, uint16_t type, uint32_t id)
{
	struct kd_packet_header h = {
		.leader = KD_CONTROL_PACKET_LEADER, .type = type, .byte_count = 0, .id = id, .checksum = 0,
	};
	uint8_t buf[KD_PACKET_HEADER_SIZE];
	kd_packet_header_encode(&h, buf);
	write_bytes(k, buf, sizeof buf);
	tracef(k, "KDCOM >>> %s id=%08x", type_name(type), id);
}

static unsigned ack_timeout(struct kdcom *k, size_t len)
{
	unsigned ms = k->opt.ack_timeout_ms ? k->opt.ack_timeout_ms : 150;
	if (k->opt.baud > 0) /* 10 bits a byte on the line */
		ms += (unsigned)((len + 17) * 10 * 1000 / (unsigned)k->opt.baud);
	return ms;
}

/* Write the packet at the head of the queue (again). */
static void transmit_head(struct kdcom *k)
{
	struct tx_packet *p = k->head;
	if (!p)
		return;
	uint8_t *buf = malloc(KD_PACKET_HEADER_SIZE + p->len + 1);
	if (!buf)
		return;
	struct kd_packet_header h = {
		.leader = KD_PACKET_LEADER, .type = p->type, .byte_count = p->len,
		.id = k->send_id, .checksum = kd_packet_checksum(p->data, p->len),
	};
	kd_packet_header_encode(&h, buf);
	memcpy(buf + KD_PACKET_HEADER_SIZE, p->data, p->len);
	buf[KD_PACKET_HEADER_SIZE + p->len] = KD_PACKET_TRAILING_BYTE;
	/* In flight before the bytes leave: the acknowledgement may come back
	 * before the write returns. */
	if (!k->in_flight) {
		k->in_flight = 1;
		k->in_flight_since = uv_now(k->loop);
		k->gave_up = 0;
	}
	k->stats.packets_sent++;
	tracef(k, "KDCOM >>> %s id=%08x len=%u", type_name(p->type), h.id, p->len);
	write_bytes(k, buf, KD_PACKET_HEADER_SIZE + p->len + 1);
	free(buf);
}

static void on_ack_timeout(uv_timer_t *t);

static void arm_ack_timer(struct kdcom *k)
{
	if (k->head)
		uv_timer_start(&k->ack_timer, on_ack_timeout, ack_timeout(k, k->head->len), 0);
}

static void resend_head(struct kdcom *k)
{
	if (!k->head || !k->in_flight)
		return;
	k->stats.resends++;
	transmit_head(k);
	arm_ack_timer(k);
}

static void on_ack_timeout(uv_timer_t *t)
{
	struct kdcom *k = t->data;
	if (!k->head)
		return;
	unsigned give_up = k->opt.give_up_ms ? k->opt.give_up_ms : 5000;
	if (!k->gave_up && uv_now(k->loop) - k->in_flight_since >= give_up) {
		k->gave_up = 1;
		if (k->link.cb.on_error)
			k->link.cb.on_error(k->link.cb.user, KD_ETIMEDOUT,
			                    "the target does not acknowledge packets");
		if (!k->head) /* the error handler reset the link */
			return;
	}
	tracef(k, "KDCOM timeout waiting for ack of id=%08x, resending", k->send_id);
	resend_head(k);
}

static void start_next(struct kdcom *k)
{
	if (k->head && !k->in_flight) {
		transmit_head(k);
		arm_ack_timer(k);
	}
}

static void pop_head(struct kdcom *k)
{
	struct tx_packet *p = k->head;
	k->head = p->next;
	if (!k->head)
		k->tail = NULL;
	k->queued--;
	free(p);
	k->in_flight = 0;
	uv_timer_stop(&k->ack_timer);
}

static void drop_queue(struct kdcom *k)
{
	while (k->head)
		pop_head(k);
}

/* Both sides start numbering again; the target marks its next packet. */
static void reset_ids(struct kdcom *k)
{
	k->send_id = KD_INITIAL_PACKET_ID;
	if (k->role == KD_LINK_TARGET)
		k->send_id |= KD_SYNC_PACKET_ID;
	k->recv_sync = 1;
}

static void handle_control(struct kdcom *k)
{
	tracef(k, "KDCOM <<< %s id=%08x", type_name(k->h.type), k->h.id);
	switch (k->h.type) {
	case KD_PACKET_TYPE_KD_ACKNOWLEDGE:
		if (k->in_flight && (k->h.id & ~KD_SYNC_PACKET_ID) == (k->send_id & ~KD_SYNC_PACKET_ID)) {
			k->send_id = (k->send_id & ~KD_SYNC_PACKET_ID) ^ 1;
			pop_head(k);
			start_next(k);
		}
		break;
	case KD_PACKET_TYPE_KD_RESEND:
		resend_head(k);
		break;
	case KD_PACKET_TYPE_KD_RESET:
		/* The target answers a reset with one; the debugger does not, or
		 * the two would reset each other forever. */
		if (k->role == KD_LINK_TARGET) {
			send_control(k, KD_PACKET_TYPE_KD_RESET, 0);
			reset_ids(k);
		} else {
			/* Our reset's answer: the target numbers from the start again;
			 * what it resends may be a packet we already have. */
			k->send_id = KD_INITIAL_PACKET_ID;
		}
		if (k->link.cb.on_reset)
			k->link.cb.on_reset(k->link.cb.user);
		if (k->in_flight) {
			k->in_flight = 0;
			start_next(k);
		}
		break;
	default:
		break;
	}
}

static void handle_data(struct kdcom *k)
{
	uint32_t id = k->h.id;
	/* Acknowledgements name the id without the sync bit. */
	send_control(k, KD_PACKET_TYPE_KD_ACKNOWLEDGE, id & ~KD_SYNC_PACKET_ID);
	k->stats.packets_received++;
	/* Ids alternate, so a packet with the id of the last one delivered is
	 * that packet again: the sender did not see our acknowledgement. */
	/* The debugger still passes on a repeated reply: the target can number
	 * a fresh reply like the last one after it gave up on a packet whose
	 * acknowledgement was lost, and the live target checks every reply
	 * against its question anyway. */
	int reply = k->role == KD_LINK_DEBUGGER && k->h.type == KD_PACKET_TYPE_KD_STATE_MANIPULATE;
	if (!k->recv_sync && id == k->last_delivered && !reply) {
		tracef(k, "KDCOM <<< %s id=%08x repeated, dropped", type_name(k->h.type), id);
		k->stats.dropped++;
		return;
	}
	k->recv_sync = 0;
	k->last_delivered = id;
	/* A target that is still sending when a new request arrives takes it
	 * as the end of that exchange, as the Windows stub does: the debugger
	 * has given up on the packet and asks again. */
	if (k->role == KD_LINK_TARGET && k->in_flight && k->h.type == KD_PACKET_TYPE_KD_STATE_MANIPULATE) {
		tracef(k, "KDCOM abandoning id=%08x: the debugger sent a new request", k->send_id);
		k->send_id = (k->send_id & ~KD_SYNC_PACKET_ID) ^ 1;
		pop_head(k);
		start_next(k);
	}
	tracef(k, "KDCOM <<< %s id=%08x len=%u", type_name(k->h.type), id, k->h.byte_count);
	if (k->link.cb.on_packet)
		k->link.cb.on_packet(k->link.cb.user, k->h.type, k->data, k->data_len);
}

/* A packet went wrong on the way in: ask for it again and hunt for the
 * next leader. */
static void rx_fail(struct kdcom *k, const char *why)
{
	tracef(k, "KDCOM <<< bad packet (%s), asking for a resend", why);
	k->stats.bad_checksums++;
	send_control(k, KD_PACKET_TYPE_KD_RESEND, 0);
	k->rx = RX_HUNT;
	k->leader_count = 0;
	uv_timer_stop(&k->rx_timer);
}

static void on_rx_stalled(uv_timer_t *t)
{
	struct kdcom *k = t->data;
	if (k->rx != RX_HUNT)
		rx_fail(k, "incomplete");
}

static void rx_byte(struct kdcom *k, uint8_t b)
{
	switch (k->rx) {
	case RX_HUNT:
		if (b == KD_PACKET_LEADER_BYTE || b == KD_CONTROL_PACKET_LEADER_BYTE) {
			if (k->leader_count > 0 && b == k->leader_byte) {
				k->leader_count++;
			} else {
				k->leader_byte = b;
				k->leader_count = 1;
			}
			if (k->leader_count == 4) {
				memset(k->hdr, b, 4);
				k->hdr_len = 4;
				k->rx = RX_HEADER;
			}
			return;
		}
		if (b == KD_PACKET_TRAILING_BYTE && k->leader_count == 0)
			return;
		k->leader_count = 0;
		if (b == KD_BREAKIN_PACKET_BYTE && k->role == KD_LINK_TARGET) {
			tracef(k, "KDCOM <<< break-in");
			if (k->link.cb.on_breakin)
				k->link.cb.on_breakin(k->link.cb.user);
		}
		return;
	case RX_HEADER:
		k->hdr[k->hdr_len++] = b;
		if (k->hdr_len < KD_PACKET_HEADER_SIZE)
			return;
		kd_packet_header_decode(k->hdr, &k->h);
		if (k->leader_byte == KD_CONTROL_PACKET_LEADER_BYTE) {
			k->rx = RX_HUNT;
			k->leader_count = 0;
			if (k->h.byte_count == 0)
				handle_control(k);
			return;
		}
		if (k->h.byte_count > KD_PACKET_MAX_SIZE || k->h.type == 0 ||
		    k->h.type >= KD_PACKET_TYPE_MAX) {
			rx_fail(k, "impossible header");
			return;
		}
		k->data_len = 0;
		k->rx = k->h.byte_count ? RX_DATA : RX_TRAILER;
		return;
	case RX_DATA:
		k->data[k->data_len++] = b;
		if (k->data_len == k->h.byte_count)
			k->rx = RX_TRAILER;
		return;
	case RX_TRAILER:
		k->rx = RX_HUNT;
		k->leader_count = 0;
		uv_timer_stop(&k->rx_timer);
		if (b != KD_PACKET_TRAILING_BYTE) {
			rx_fail(k, "no trailing byte");
			return;
		}
		if (kd_packet_checksum(k->data, k->data_len) != k->h.checksum) {
			rx_fail(k, "checksum");
			return;
		}
		handle_data(k);
		return;
	}
}

void kdcom_feed(struct kd_link *l, const uint8_t *data, size_t len)
{
	struct kdcom *k = from_link(l);
	k->stats.bytes_received += len;
	for (size_t i = 0; i < len && !k->closing; i++)
		rx_byte(k, data[i]);
	if (k->rx != RX_HUNT)
		uv_timer_start(&k->rx_timer, on_rx_stalled, 100, 0);
}

void kdcom_peer_connected(struct kd_link *l)
{
	struct kdcom *k = from_link(l);
	k->rx = RX_HUNT;
	k->leader_count = 0;
	reset_ids(k);
	if (k->role == KD_LINK_DEBUGGER) {
		/* A stopped target answers with a reset and sends its state change
		 * again: that is how kd learns the state of a target it joins. */
		drop_queue(k);
		send_control(k, KD_PACKET_TYPE_KD_RESET, 0);
	} else if (k->in_flight) {
		k->in_flight = 0;
		start_next(k);
	}
}

void kdcom_peer_lost(struct kd_link *l)
{
	struct kdcom *k = from_link(l);
	k->rx = RX_HUNT;
	k->leader_count = 0;
	uv_timer_stop(&k->rx_timer);
}

static void kdcom_stats(struct kd_link *l, struct kd_link_stats *out)
{
	*out = from_link(l)->stats;
}

static int kdcom_send(struct kd_link *l, uint16_t type, const void *data, size_t len)
{
	struct kdcom *k = from_link(l);
	if (len > KD_PACKET_MAX_SIZE)
		return KD_EINVAL;
	struct tx_packet *p = malloc(sizeof *p + len);
	if (!p)
		return KD_ENOMEM;
	p->next = NULL;
	p->type = type;
	p->len = (uint16_t)len;
	memcpy(p->data, data, len);
	if (k->tail)
		k->tail->next = p;
	else
		k->head = p;
	k->tail = p;
	k->queued++;
	start_next(k);
	return 0;
}

static int kdcom_breakin(struct kd_link *l)
{
	struct kdcom *k = from_link(l);
	uint8_t b = KD_BREAKIN_PACKET_BYTE;
	tracef(k, "KDCOM >>> break-in");
	return k->w.write(k->w.ctx, &b, 1) < 0 ? KD_EDISCONNECTED : 0;
}

static size_t kdcom_pending(struct kd_link *l)
{
	return from_link(l)->queued;
}

static void kdcom_reset(struct kd_link *l)
{
	struct kdcom *k = from_link(l);
	drop_queue(k);
	reset_ids(k);
	send_control(k, KD_PACKET_TYPE_KD_RESET, 0);
}

static void kdcom_abandon_receive(struct kd_link *l)
{
	from_link(l)->recv_sync = 1;
}

static void kdcom_set_trace(struct kd_link *l, int on)
{
	from_link(l)->trace = on;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct kdcom *k = h->data;
	if (--k->pending_closes == 0)
		free(k);
}

static void kdcom_close(struct kd_link *l)
{
	struct kdcom *k = from_link(l);
	if (k->closing)
		return;
	k->closing = 1;
	drop_queue(k);
	k->pending_closes = 2;
	uv_close((uv_handle_t *)&k->ack_timer, on_timer_closed);
	uv_close((uv_handle_t *)&k->rx_timer, on_timer_closed);
}

static const struct kd_link_ops kdcom_ops = {
	.send = kdcom_send,
	.breakin = kdcom_breakin,
	.pending = kdcom_pending,
	.reset = kdcom_reset,
	.set_trace = kdcom_set_trace,
	.close = kdcom_close,
	.get_stats = kdcom_stats,
	.abandon_receive = kdcom_abandon_receive,
};

int kdcom_link_new(uv_loop_t *loop, enum kd_link_role role, const struct kdcom_options *opt,
                   const struct kdcom_writer *w, const struct kd_link_callbacks *cb,
                   struct kd_link **out)
{
	struct kdcom *k = calloc(1, sizeof *k);
	if (!k)
		return KD_ENOMEM;
	k->link.ops = &kdcom_ops;
	k->link.cb = *cb;
	k->loop = loop;
	k->role = role;
	if (opt)
		k->opt = *opt;
	k->w = *w;
	reset_ids(k);
	uv_timer_init(loop, &k->ack_timer);
	uv_timer_init(loop, &k->rx_timer);
	k->ack_timer.data = k;
	k->rx_timer.data = k;
	*out = &k->link;
	return 0;
}
