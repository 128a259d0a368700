/*
 * The "[Address] [L[?] Count | EndAddress]" argument of the memory,
 * disassembly and search commands (see command.h), parsed once for all of
 * them. `L` starts a count unless a letter or '_' follows it (then it is a
 * symbol, such as Lfoo); `L?` lifts WinDbg's size check, which kd keeps.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "kd/commands/command.h"
#include "kd/engine/expr.h"

/* The largest count or span a command lists. */
#define RANGE_MAX 0x100000u

static int starts_count(const char *p)
{
	return (*p == 'L' || *p == 'l') && !isalpha((unsigned char)p[1]) && p[1] != '_';
}

int kd_range_parse(struct kd_engine *eng, const char *args, struct kd_range *r, char *msg, size_t n)
{
	const char *p = kd_skip_spaces(args), *end;
	memset(r, 0, sizeof *r);
	if (*p && !starts_count(p)) {
		if (kd_eval_msg(eng, p, &r->addr, &end, msg, n) < 0)
			return KD_EINVAL;
		r->has_addr = 1;
		p = kd_skip_spaces(end);
	}
	if (starts_count(p)) {
		p++;
		if (*p == '?')
			p++;
		if (kd_eval_msg(eng, kd_skip_spaces(p), &r->count, &end, msg, n) < 0)
			return KD_EINVAL;
		r->has_count = 1;
		p = kd_skip_spaces(end);
	} else if (*p) {
		if (kd_eval_msg(eng, p, &r->end, &end, msg, n) < 0)
			return KD_EINVAL;
		r->has_end = 1;
		p = kd_skip_spaces(end);
	}
	if (*p)
		return kd_fail(msg, n, KD_EINVAL, "Syntax error at '%s'", p);
	if (r->has_count && r->count > RANGE_MAX)
		return kd_fail(msg, n, KD_EINVAL, "Range error in '%s'", args);
	return 0;
}

int kd_range_count(const struct kd_range *r, uint64_t start, unsigned unit, uint64_t default_count,
                   uint64_t *count)
{
	if (r->has_count) {
		*count = r->count;
	} else if (r->has_end) {
		if (r->end < start || (r->end - start) / unit >= RANGE_MAX)
			return KD_EINVAL;
		*count = (r->end - start) / unit + 1;
	} else {
		*count = default_count;
	}
	return 0;
}
