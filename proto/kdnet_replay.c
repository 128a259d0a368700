/*
 * Tables of a recorded KDNET session and the answers built from them
 * (see kdnet_replay.h).
 */
#include "proto/kdnet_replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "proto/decode_pcap.h"
#include "base/error.h"
#include "proto/kd_packet.h"
#include "proto/kdnet_decoder.h"

#define MANIP_SIZE sizeof(struct dbgkd_manipulate_state64)

struct range {
	uint64_t addr;
	unsigned cpu;
	uint32_t len;
	uint8_t *data;
};

struct range_list {
	struct range *v;
	size_t n, cap;
};

struct blob {
	uint8_t *data;
	size_t len;
};

#define MAX_CPUS 64

struct kd_replay {
	struct dbgkd_get_version64 version;
	int have_version;
	struct range_list virt, phys, control;
	struct blob context[MAX_CPUS];
	struct blob context_ex; /* the GetContextEx reply header as recorded */
	int have_context_ex;
	struct blob *state_changes;
	size_t n_state_changes;
	struct kd_replay_stats stats;
};

struct load_ctx {
	struct kd_replay *r;
	struct kdnet_decoder dec;
	uint8_t plain[KDNET_MAX_DATAGRAM];
	int failed;
};

static int range_add(struct range_list *l, unsigned cpu, uint64_t addr, const uint8_t *data, uint32_t len)
{
	if (!len)
		return 0;
	if (KD_ARRAY_RESERVE(l->v, l->cap, l->n + 1) < 0)
		return KD_ENOMEM;
	uint8_t *copy = malloc(len);
	if (!copy)
		return KD_ENOMEM;
	memcpy(copy, data, len);
	l->v[l->n++] = (struct range){ addr, cpu, len, copy };
	return 0;
}

static int blob_set(struct blob *b, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return KD_ENOMEM;
	memcpy(copy, data, len);
	free(b->data);
	b->data = copy;
	b->len = len;
	return 0;
}

/* One reply of the target: file it by API. */
static int record_manipulate(struct kd_replay *r, const uint8_t *p, size_t len)
{
	struct dbgkd_manipulate_state64 m;
	if (len < MANIP_SIZE)
		return 0;
	memcpy(&m, p, MANIP_SIZE);
	const uint8_t *extra = p + MANIP_SIZE;
	size_t elen = len - MANIP_SIZE;
	uint32_t got = m.u.ReadMemory.ActualBytesRead;
	if (got > elen)
		got = (uint32_t)elen;
	switch (m.ApiNumber) {
	case DbgKdGetVersionApi:
		if (m.ReturnStatus == KD_STATUS_SUCCESS) {
			r->version = m.u.GetVersion64;
			r->have_version = 1;
		}
		return 0;
	case DbgKdReadVirtualMemoryApi:
		if (m.ReturnStatus != KD_STATUS_SUCCESS)
			return 0;
		r->stats.virtual_ranges++;
		return range_add(&r->virt, 0, m.u.ReadMemory.TargetBaseAddress, extra, got);
	case DbgKdReadPhysicalMemoryApi:
		if (m.ReturnStatus != KD_STATUS_SUCCESS)
			return 0;
		r->stats.physical_ranges++;
		return range_add(&r->phys, 0, m.u.ReadMemory.TargetBaseAddress, extra, got);
	case DbgKdReadControlSpaceApi:
		if (m.ReturnStatus != KD_STATUS_SUCCESS)
			return 0;
		r->stats.control_ranges++;
		return range_add(&r->control, m.Processor, m.u.ReadMemory.TargetBaseAddress, extra, got);
	case DbgKdGetContextApi:
		if (m.ReturnStatus != KD_STATUS_SUCCESS || m.Processor >= MAX_CPUS || !elen)
			return 0;
		if (!r->context[m.Processor].data)
			r->stats.contexts++;
		return blob_set(&r->context[m.Processor], extra, elen);
	case DbgKdGetContextExApi:
		r->have_context_ex = 1;
		return blob_set(&r->context_ex, p, len);
	default:
		return 0;
	}
}

static int record_state_change(struct kd_replay *r, const uint8_t *p, size_t len)
{
	struct blob *v = realloc(r->state_changes, (r->n_state_changes + 1) * sizeof *v);
	if (!v)
		return KD_ENOMEM;
	r->state_changes = v;
	v[r->n_state_changes].data = NULL;
	if (blob_set(&v[r->n_state_changes], p, len) < 0)
		return KD_ENOMEM;
	r->n_state_changes++;
	r->stats.state_changes++;
	return 0;
}

static int load_one(void *user, const struct kd_capture_datagram *d)
{
	struct load_ctx *c = user;
	struct kdnet_frame f;
	char err[160];
	int hs, rep;

	if (kdnet_decoder_feed(&c->dec, d->data, d->len, c->plain, sizeof c->plain, &f, &hs, &rep, err, sizeof err) < 0)
		return 0;
	if (f.channel != KDNET_CHANNEL_DATA || f.payload_len < KD_PACKET_HEADER_SIZE)
		return 0;
	struct kd_packet_header h;
	kd_packet_header_decode(f.payload, &h);
	const uint8_t *body = f.payload + KD_PACKET_HEADER_SIZE;
	size_t blen = f.payload_len - KD_PACKET_HEADER_SIZE;
	if (h.leader != KD_PACKET_LEADER || h.byte_count != blen || kd_packet_checksum(body, blen) != h.checksum)
		return 0;
	if (f.direction == KDNET_DIR_HOST) {
		if (h.type == KD_PACKET_TYPE_KD_STATE_MANIPULATE)
			c->r->stats.requests++;
		return 0;
	}
	int rc = 0;
	if (h.type == KD_PACKET_TYPE_KD_STATE_MANIPULATE)
		rc = record_manipulate(c->r, body, blen);
	else if (h.type == KD_PACKET_TYPE_KD_STATE_CHANGE64)
		rc = record_state_change(c->r, body, blen);
	else if (h.type == KD_PACKET_TYPE_KD_DEBUG_IO)
		c->r->stats.prints++;
	return rc < 0 ? rc : 0;
}

int kd_replay_load(const char *path, const uint8_t key[32], struct kd_replay **out, char *err, size_t errlen)
{
	struct kd_replay *r = calloc(1, sizeof *r);
	struct load_ctx *c = calloc(1, sizeof *c);
	if (!r || !c) {
		free(r);
		free(c);
		return KD_ENOMEM;
	}
	c->r = r;
	kdnet_decoder_init(&c->dec, key);
	int rc = kd_capture_each_udp(path, load_one, c, err, errlen);
	unsigned long authenticated = c->dec.authenticated, datagrams = c->dec.datagrams;
	kdnet_decoder_clear(&c->dec);
	free(c);
	if (rc == 0 && datagrams == 0) {
		snprintf(err, errlen, "%s: no KDNET datagrams", path);
		rc = KD_ENOTFOUND;
	} else if (rc == 0 && authenticated == 0) {
		snprintf(err, errlen, "%s: no KDNET datagram authenticates with this key", path);
		rc = KD_EAUTH;
	} else if (rc == 0 && !r->have_version) {
		snprintf(err, errlen, "%s: the session has no GetVersion reply to replay", path);
		rc = KD_ENOTFOUND;
	}
	if (rc < 0) {
		kd_replay_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static void range_list_free(struct range_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].data);
	free(l->v);
}

void kd_replay_free(struct kd_replay *r)
{
	if (!r)
		return;
	range_list_free(&r->virt);
	range_list_free(&r->phys);
	range_list_free(&r->control);
	for (size_t i = 0; i < MAX_CPUS; i++)
		free(r->context[i].data);
	free(r->context_ex.data);
	for (size_t i = 0; i < r->n_state_changes; i++)
		free(r->state_changes[i].data);
	free(r->state_changes);
	free(r);
}

void kd_replay_get_stats(const struct kd_replay *r, struct kd_replay_stats *st)
{
	*st = r->stats;
}

int kd_replay_version(const struct kd_replay *r, struct dbgkd_get_version64 *out)
{
	if (!r->have_version)
		return KD_ENOTFOUND;
	*out = r->version;
	return 0;
}

/* Bytes at addr from the newest recording that holds them, range after
 * range while they continue. */
static int range_read(const struct range_list *l, int match_cpu, unsigned cpu, uint64_t addr, void *buf,
                      uint32_t len, uint32_t *done)
{
	uint32_t n = 0;
	while (n < len) {
		uint64_t at = addr + n;
		const struct range *best = NULL;
		for (size_t i = l->n; i-- > 0;) {
			const struct range *g = &l->v[i];
			if (match_cpu && g->cpu != cpu)
				continue;
			if (at >= g->addr && at - g->addr < g->len) {
				best = g;
				break;
			}
		}
		if (!best)
			break;
		uint64_t avail = best->len - (at - best->addr);
		uint32_t take = avail < (uint64_t)(len - n) ? (uint32_t)avail : len - n;
		memcpy((uint8_t *)buf + n, best->data + (at - best->addr), take);
		n += take;
	}
	*done = n;
	return n ? 0 : KD_EUNREADABLE;
}

int kd_replay_read_virtual(const struct kd_replay *r, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return range_read(&r->virt, 0, 0, addr, buf, len, done);
}

int kd_replay_read_physical(const struct kd_replay *r, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return range_read(&r->phys, 0, 0, addr, buf, len, done);
}

int kd_replay_read_control(const struct kd_replay *r, unsigned cpu, uint64_t addr, void *buf, uint32_t len,
                           uint32_t *done)
{
	return range_read(&r->control, 1, cpu, addr, buf, len, done);
}

int kd_replay_context(const struct kd_replay *r, unsigned cpu, const uint8_t **data, size_t *len)
{
	if (cpu >= MAX_CPUS || !r->context[cpu].data)
		return KD_ENOTFOUND;
	*data = r->context[cpu].data;
	*len = r->context[cpu].len;
	return 0;
}

size_t kd_replay_state_change_count(const struct kd_replay *r)
{
	return r->n_state_changes;
}

int kd_replay_state_change(const struct kd_replay *r, size_t i, const uint8_t **payload, size_t *len)
{
	if (i >= r->n_state_changes)
		return KD_ENOTFOUND;
	*payload = r->state_changes[i].data;
	*len = r->state_changes[i].len;
	return 0;
}

int kd_replay_answer(const struct kd_replay *r, const uint8_t *request, size_t len, uint8_t *reply, size_t cap,
                     size_t *reply_len)
{
	struct dbgkd_manipulate_state64 m;
	uint32_t done = 0;
	int rc;

	if (len < MANIP_SIZE || cap < MANIP_SIZE)
		return KD_EINVAL;
	memcpy(&m, request, MANIP_SIZE);
	size_t room = cap - MANIP_SIZE;
	if (room > KD_PACKET_MAX_SIZE - MANIP_SIZE)
		room = KD_PACKET_MAX_SIZE - MANIP_SIZE;
	uint8_t *data = reply + MANIP_SIZE;
	size_t extra = 0;

	switch (m.ApiNumber) {
	case DbgKdGetVersionApi:
		if (!r->have_version)
			return KD_ENOTSUP;
		m.u.GetVersion64 = r->version;
		m.ReturnStatus = KD_STATUS_SUCCESS;
		break;
	case DbgKdReadVirtualMemoryApi:
	case DbgKdReadPhysicalMemoryApi:
	case DbgKdReadControlSpaceApi: {
		uint32_t want = m.u.ReadMemory.TransferCount;
		if (want > room)
			want = (uint32_t)room;
		uint64_t addr = m.u.ReadMemory.TargetBaseAddress;
		if (m.ApiNumber == DbgKdReadVirtualMemoryApi)
			rc = kd_replay_read_virtual(r, addr, data, want, &done);
		else if (m.ApiNumber == DbgKdReadPhysicalMemoryApi)
			rc = kd_replay_read_physical(r, addr, data, want, &done);
		else
			rc = kd_replay_read_control(r, m.Processor, addr, data, want, &done);
		m.ReturnStatus = rc == 0 ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL;
		m.u.ReadMemory.ActualBytesRead = done;
		extra = done;
		break;
	}
	case DbgKdGetContextApi: {
		const uint8_t *ctx;
		size_t clen;
		if (kd_replay_context(r, m.Processor, &ctx, &clen) < 0) {
			m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
			break;
		}
		if (clen > room)
			clen = room;
		memcpy(data, ctx, clen);
		extra = clen;
		m.ReturnStatus = KD_STATUS_SUCCESS;
		break;
	}
	case DbgKdGetContextExApi: {
		if (!r->have_context_ex || r->context_ex.len < MANIP_SIZE)
			return KD_ENOTSUP;
		struct dbgkd_manipulate_state64 rec;
		memcpy(&rec, r->context_ex.data, MANIP_SIZE);
		m.ReturnStatus = rec.ReturnStatus;
		if (rec.ReturnStatus == KD_STATUS_SUCCESS) {
			/* serve the asked window of the recorded context */
			const uint8_t *ctx;
			size_t clen;
			uint32_t off = m.u.ContextEx.Offset, want = m.u.ContextEx.ByteCount;
			if (kd_replay_context(r, m.Processor, &ctx, &clen) < 0 || off > clen) {
				m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
				break;
			}
			if (want > clen - off)
				want = (uint32_t)(clen - off);
			if (want > room)
				want = (uint32_t)room;
			memcpy(data, ctx + off, want);
			m.u.ContextEx.BytesCopied = want;
			extra = want;
		} else {
			m.u.ContextEx.BytesCopied = 0;
		}
		break;
	}
	default:
		return KD_ENOTSUP;
	}
	memcpy(reply, &m, MANIP_SIZE);
	*reply_len = MANIP_SIZE + extra;
	return 0;
}
