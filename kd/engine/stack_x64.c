/*
 * The x64 half of the stack walk: one frame unwound with the image's
 * unwind data (arch/unwind_x64.c), read from target memory, or from the
 * image file on the symbol/image path when the target lacks those pages
 * (dumps). Without unwind data (no image anywhere, or code in no module)
 * the caller is found by scanning the stack, and every frame from there
 * down is marked as a guess.
 */
#include "kd/engine/stack.h"

#include <stddef.h>
#include <string.h>

#include "arch/frames.h"
#include "arch/unwind_x64.h"
#include "symbols/pe.h"
#include "kd/engine/symbols.h"

/* How far a scan looks when the thread's stack range is unknown. */
#define SCAN_WINDOW 0x10000u

/* Image bytes the target does not have, from the image file. */
static size_t read_from_image(struct kd_engine *eng, uint64_t addr, uint8_t *buf, size_t len)
{
	struct kd_pe *pe = NULL;
	uint64_t base;
	if (kd_symbols_image_at(eng, addr, &pe, NULL, &base) < 0 || !pe || addr < base ||
	    addr - base >= 0xffffffffu)
		return 0;
	uint32_t rva = (uint32_t)(addr - base);
	/* Reads cannot cross a section's end in a file: shrink until one fits. */
	for (size_t want = len; want; want /= 2)
		if (kd_pe_read_rva(pe, rva, buf, want) == 0)
			return want;
	return 0;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	struct kd_engine *eng = ctx;
	uint8_t *p = buf;
	size_t got = 0;
	if (kd_read_virtual(eng, addr, p, len, &got) < 0)
		got = 0;
	while (got < len) {
		size_t n = read_from_image(eng, addr + got, p + got, len - got);
		if (!n)
			break;
		got += n;
	}
	*done = got;
	return got ? 0 : KD_EUNREADABLE;
}

static int module_at(void *ctx, uint64_t addr, uint64_t *base, uint32_t *size)
{
	const struct kd_module *m = kd_engine_module_by_addr(ctx, addr);
	if (!m)
		return KD_ENOTFOUND;
	*base = m->base;
	*size = m->size;
	return 0;
}

/* The image's file name as the target names it ("amdppm.sys"), else the
 * module name. */
static void image_name(struct kd_engine *eng, uint64_t addr, char *out, size_t n)
{
	const struct kd_module *m = kd_engine_module_by_addr(eng, addr);
	out[0] = '\0';
	if (!m)
		return;
	const char *name = m->path;
	for (const char *s = m->path; *s; s++)
		if (*s == '\\' || *s == '/')
			name = s + 1;
	if (!*name || !strchr(name, '.'))
		name = m->name;
	size_t len = strnlen(name, n - 1);
	memcpy(out, name, len);
	out[len] = '\0';
}

static uint64_t scan_limit(struct kd_engine *eng, uint64_t sp)
{
	uint64_t low, high;
	if (kd_thread_stack_range(eng, &low, &high) == 0 && sp >= low && sp < high)
		return high;
	return sp > UINT64_MAX - SCAN_WINDOW ? UINT64_MAX : sp + SCAN_WINDOW;
}

int kd_x64_unwind_frame(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	struct kd_x64_unwind_env env = {
		.mem = { KD_MACHINE_AMD64, mem_read, NULL, eng },
		.module_at = module_at,
	};
	struct kd_x64_context c = cur->ctx.u.x64;
	struct kd_x64_unwind_result res;
	int guessed = cur->reached == KD_REACHED_SCAN;
	int is_ret = cur->reached == KD_REACHED_CALL || guessed;
	c.Rip = cur->ip;
	c.Rsp = cur->sp;
	cur->flags = 0;
	cur->trap_frame = 0;
	cur->missing[0] = '\0';
	cur->ret = 0;
	memset(cur->args, 0, sizeof cur->args);

	int rc = kd_x64_unwind_step(&env, is_ret, !is_ret, &c, &res);
	unsigned reached = guessed ? KD_REACHED_SCAN : KD_REACHED_CALL;
	if (rc == 0) {
		if (res.kind == KD_X64_UNWOUND_LEAF) {
			cur->flags |= KD_FRAME_LEAF;
		} else {
			cur->flags |= KD_FRAME_UNWIND;
			if (res.kind == KD_X64_UNWOUND_MACHFRAME) {
				cur->flags |= KD_FRAME_TRAP;
				cur->trap_frame = res.machine_frame - offsetof(struct kd_x64_ktrap_frame, Rip);
				reached = guessed ? KD_REACHED_SCAN : KD_REACHED_TRAP;
			}
		}
		/* Code that returns to where it was called from: the caller's
		 * stack is above this frame's, except through a machine frame
		 * (another stack may have been interrupted). */
		if (res.kind != KD_X64_UNWOUND_MACHFRAME && c.Rsp <= cur->sp)
			return KD_ENOTFOUND;
	} else if (rc == KD_ENOTFOUND) {
		uint64_t slot, value;
		image_name(eng, is_ret ? cur->ip - 1 : cur->ip, cur->missing, sizeof cur->missing);
		cur->flags |= KD_FRAME_NO_INFO | KD_FRAME_HEURISTIC;
		if (kd_x64_scan_for_return(&env, cur->sp, scan_limit(eng, cur->sp), &slot, &value) < 0)
			return KD_ENOTFOUND;
		c = cur->ctx.u.x64;
		c.Rip = value;
		c.Rsp = slot + 8;
		reached = KD_REACHED_SCAN;
	} else {
		/* The stack itself is unreadable: the walk ends here. */
		return rc == KD_EUNREADABLE ? KD_ENOTFOUND : rc;
	}
	if (guessed)
		cur->flags |= KD_FRAME_HEURISTIC;
	cur->ret = c.Rip;
	/* The callee's home slots: the caller's outgoing argument area. */
	for (int i = 0; i < 4; i++)
		if (kd_read_pointer(eng, c.Rsp + 8 * (uint64_t)i, &cur->args[i]) < 0)
			cur->args[i] = 0;
	if (c.Rip == 0)
		return KD_ENOTFOUND;
	memset(caller, 0, sizeof *caller);
	caller->ctx.machine = KD_MACHINE_AMD64;
	caller->ctx.u.x64 = c;
	caller->ip = c.Rip;
	caller->sp = c.Rsp;
	caller->fp = c.Rbp;
	caller->reached = reached;
	return 0;
}
