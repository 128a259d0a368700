/*
 * Replay of a recorded KDNET session (`kdsim --replay FILE --key K`): the
 * capture is decoded once and what the real target answered is kept in
 * tables — its GetVersion64 reply, the virtual/physical memory and
 * control space WinDbg read with the bytes returned, the register
 * contexts, the state changes and DbgPrint texts — so a simulator can
 * serve the same data to a new debugger session over any transport.
 */
#ifndef KD_PROTO_KDNET_REPLAY_H
#define KD_PROTO_KDNET_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/dbgkd.h"

struct kd_replay;

struct kd_replay_stats {
	size_t virtual_ranges, physical_ranges, control_ranges, contexts, state_changes, prints;
	size_t requests, unanswered;
};

/* Decode the capture with the KDNET key and build the tables. */
int kd_replay_load(const char *path, const uint8_t key[32], struct kd_replay **out, char *err, size_t errlen);
void kd_replay_free(struct kd_replay *r);
void kd_replay_get_stats(const struct kd_replay *r, struct kd_replay_stats *st);

/* The real target's GetVersion64 reply; KD_ENOTFOUND if none was seen. */
int kd_replay_version(const struct kd_replay *r, struct dbgkd_get_version64 *out);

/* Recorded bytes at addr, newest recording first: 0 with *done bytes
 * (fewer than len when the recording stops), KD_EUNREADABLE when no
 * recorded byte is at addr. */
int kd_replay_read_virtual(const struct kd_replay *r, uint64_t addr, void *buf, uint32_t len, uint32_t *done);
int kd_replay_read_physical(const struct kd_replay *r, uint64_t addr, void *buf, uint32_t len, uint32_t *done);
int kd_replay_read_control(const struct kd_replay *r, unsigned cpu, uint64_t addr, void *buf, uint32_t len,
                           uint32_t *done);

/* The last CONTEXT record the target sent for cpu (DbgKdGetContextApi
 * reply data, raw). KD_ENOTFOUND if none. */
int kd_replay_context(const struct kd_replay *r, unsigned cpu, const uint8_t **data, size_t *len);

/* The state-change packets (KD_STATE_CHANGE64 payloads) in order. */
size_t kd_replay_state_change_count(const struct kd_replay *r);
int kd_replay_state_change(const struct kd_replay *r, size_t i, const uint8_t **payload, size_t *len);

/* The reply the real target would give to a manipulate request (payload
 * of a KD_STATE_MANIPULATE packet): GetVersion, Read{Virtual,Physical}
 * Memory, ReadControlSpace, GetContext (the processor's record) and
 * GetContextEx (as the target answered it). Memory never recorded is
 * answered as a target answers unreadable memory: STATUS_UNSUCCESSFUL,
 * no bytes. KD_ENOTSUP for other APIs (continue, writes, breakpoints: the
 * simulator answers those itself). reply needs KD_PACKET_MAX_SIZE bytes. */
int kd_replay_answer(const struct kd_replay *r, const uint8_t *request, size_t len, uint8_t *reply, size_t cap,
                     size_t *reply_len);

#endif
