/*
 * The generic stack walk: start from a register context (the current one,
 * which honours .trap/.cxr/.tss overrides, or the caller's, for k=), then
 * ask the machine's unwinder for one caller after another. The walk ends
 * where the unwinder finds no caller, at a zero return address, at `max`,
 * when the stack pointer stops growing (a loop or garbage: only trap
 * frames and task gates may switch to another stack), or at a kernel
 * frame outside the thread's stack when the thread's bounds are known.
 */
#include "kd/engine/stack.h"

#include <string.h>

/* Whether sp is a kernel-mode stack address (user stacks reached through
 * a trap frame are not bounded by the thread's kernel stack). */
static int kernel_sp(enum kd_machine m, uint64_t sp)
{
	return m == KD_MACHINE_AMD64 ? sp >= 0xffff800000000000ull : sp >= 0x80000000ull;
}

static void start_frame(struct kd_stack_frame *f, const struct kd_context *ctx)
{
	memset(f, 0, sizeof *f);
	f->ctx = *ctx;
	f->ip = kd_context_ip(ctx);
	f->sp = kd_context_sp(ctx);
	f->fp = kd_context_fp(ctx);
}

int kd_stack_walk(struct kd_engine *eng, const struct kd_context *start,
                  struct kd_stack_frame *frames, size_t max, size_t *count)
{
	return kd_stack_walk_reached(eng, start, KD_REACHED_START, frames, max, count);
}

int kd_stack_walk_reached(struct kd_engine *eng, const struct kd_context *start, unsigned reached,
                          struct kd_stack_frame *frames, size_t max, size_t *count)
{
	struct kd_context ctx;
	int rc;
	*count = 0;
	if (max == 0)
		return 0;
	if (start) {
		ctx = *start;
	} else if ((rc = kd_get_context(eng, &ctx)) < 0) {
		return rc;
	}
	enum kd_machine m = ctx.machine;
	if (m != KD_MACHINE_I386 && m != KD_MACHINE_AMD64)
		return KD_ENOTSUP;
	uint64_t low = 0, high = 0;
	int bounded = kd_thread_stack_range(eng, &low, &high) == 0 && low < high;
	start_frame(&frames[0], &ctx);
	frames[0].reached = reached;
	size_t n = 1;
	for (;;) {
		if (kd_engine_canceled(eng))
			break;
		struct kd_stack_frame *cur = &frames[n - 1], next;
		rc = m == KD_MACHINE_AMD64 ? kd_x64_unwind_frame(eng, cur, &next)
		                           : kd_x86_unwind_frame(eng, cur, &next);
		/* An x86 trap frame's ChildEBP column repeats its callee's: the
		 * handler has no return-address slot of its own. */
		if (m == KD_MACHINE_I386 && n > 1 && (cur->flags & KD_FRAME_TRAP)) {
			cur->fp = frames[n - 2].fp;
			memcpy(cur->args, frames[n - 2].args, sizeof cur->args);
		}
		if (rc < 0 || n >= max || next.ip == 0)
			break;
		int switched = (cur->flags & (KD_FRAME_TRAP | KD_FRAME_TASK_GATE)) != 0;
		if (!switched && next.sp <= cur->sp)
			break;
		if (bounded && kernel_sp(m, next.sp) && (next.sp < low || next.sp >= high))
			break;
		frames[n++] = next;
	}
	*count = n;
	return 0;
}
