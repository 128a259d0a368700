/*
 * Bounded walks of target lists: the set of addresses a walk has visited,
 * so that !list, !process and !thread stop where a list loops back on
 * itself instead of running on.
 */
#ifndef KD_COMMANDS_WALK_H
#define KD_COMMANDS_WALK_H

#include <stddef.h>
#include <stdint.h>

struct kd_seen {
	uint64_t *slot;
	size_t cap, n;
	int has_zero;
};

/* 1 when v was added before, 0 when it is new, KD_ENOMEM. */
int kd_seen_add(struct kd_seen *s, uint64_t v);
void kd_seen_free(struct kd_seen *s);

#endif
