/*
 * The visited-address set of list walks (see walk.h): open addressing
 * with linear probing, doubled when half full.
 */
#include "kd/commands/walk.h"

#include <stdlib.h>

#include "base/error.h"

static size_t slot_of(uint64_t v, size_t cap)
{
	return (size_t)((v * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static int grow(struct kd_seen *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	uint64_t *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return KD_ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slot[i])
			continue;
		size_t j = slot_of(s->slot[i], cap);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int kd_seen_add(struct kd_seen *s, uint64_t v)
{
	if (v == 0) { /* 0 marks an empty slot: kept aside */
		int had = s->has_zero;
		s->has_zero = 1;
		return had;
	}
	if ((s->n + 1) * 2 > s->cap) {
		int rc = grow(s);
		if (rc < 0)
			return rc;
	}
	for (size_t j = slot_of(v, s->cap);; j = (j + 1) & (s->cap - 1)) {
		if (s->slot[j] == v)
			return 1;
		if (!s->slot[j]) {
			s->slot[j] = v;
			s->n++;
			return 0;
		}
	}
}

void kd_seen_free(struct kd_seen *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
	s->has_zero = 0;
}
