/*
 * Growable arrays: one place that knows how an array of items grows
 * (doubling, overflow-checked), for the tables every layer builds while
 * parsing — module lists, runs, breakpoints, symbol records.
 */
#ifndef KD_BASE_ARRAY_H
#define KD_BASE_ARRAY_H

#include <stddef.h>

/* Makes room for at least `need` items of `elem` bytes in *items, which
 * has room for *cap: grows to the larger of twice *cap and need (at least
 * 4). 0, or KD_ENOMEM with *items and *cap unchanged. */
int kd_array_reserve(void **items, size_t *cap, size_t need, size_t elem);

/* kd_array_reserve on an array variable `v` and its capacity `cap`. */
#define KD_ARRAY_RESERVE(v, cap, need) kd_array_reserve((void **)&(v), &(cap), (need), sizeof *(v))

#endif
