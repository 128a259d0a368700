/*
 * Stack walking: the frames of the current thread, from a register context
 * back to the thread's first call, as `k`, `.frame`, `gu` and `$ra` use
 * them. The walk is generic (kd/engine/stack.c); unwinding one frame is per
 * architecture (x64 from .pdata/.xdata unwind data, x86 from EBP chains,
 * FPO and FrameData records, trap frames and task gates).
 */
#ifndef KD_ENGINE_STACK_H
#define KD_ENGINE_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"
#include "arch/framedata_x86.h"
#include "kd/engine/engine.h"

/* How a frame's caller was found (kd_stack_frame.flags). */
#define KD_FRAME_FPO        0x01u /* x86: an FPO record of the PDB */
#define KD_FRAME_FRAMEDATA  0x02u /* x86: a FrameData (FPO v2) record */
#define KD_FRAME_NONFPO     0x04u /* x86: a record saying "uses EBP" */
#define KD_FRAME_TRAP       0x08u /* the caller's registers come from a trap or machine frame */
#define KD_FRAME_TASK_GATE  0x10u /* x86: the caller's registers come from a TSS */
#define KD_FRAME_UNWIND     0x20u /* x64: unwind data of the image */
#define KD_FRAME_LEAF       0x40u /* x64: no unwind data, a leaf function */
#define KD_FRAME_HEURISTIC  0x80u /* found by scanning the stack: may be wrong */
#define KD_FRAME_NO_INFO   0x100u /* no unwind information for this frame's code */

/* How a frame itself was reached (kd_stack_frame.reached): the unwinder
 * sets it on the caller it fills; the starting frame has 0. */
#define KD_REACHED_START 0 /* the starting context: ip may be anywhere, even in an epilogue */
#define KD_REACHED_CALL  1 /* ip is a return address: the call ends at ip */
#define KD_REACHED_TRAP  2 /* ip is the interrupted instruction of a trap/machine frame */
#define KD_REACHED_SCAN  3 /* ip found by a stack scan: other registers are unknown */

/* One frame. `ctx` holds the registers as they are while this frame's
 * code runs (for frame 0, the starting context; for a caller, what the
 * unwind restored: nonvolatile registers, stack and instruction pointer). */
struct kd_stack_frame {
	struct kd_context ctx;
	uint64_t ip;        /* instruction pointer in this frame */
	uint64_t sp;        /* x64 Child-SP: the stack pointer in this frame */
	uint64_t fp;        /* x86 ChildEBP: the frame pointer in this frame */
	uint64_t ret;       /* RetAddr: where this frame returns to */
	uint64_t args[4];   /* "Args to Child" (x86: [ebp+8..]; x64: home slots) */
	unsigned flags;     /* KD_FRAME_* describing how the caller was found */
	uint64_t trap_frame; /* KD_FRAME_TRAP: address of the trap frame */
	uint16_t tss;       /* KD_FRAME_TASK_GATE: the TSS selector */
	char fpo[48];       /* x86 kv annotation without "(FPO: " and ")": "[1,0,0]", "[Non-Fpo]" */
	char missing[64];   /* image whose unwind data was not available, or "" */
	uint32_t callee_params; /* x86: argument bytes this frame pushed for its callee
	                         * (from the callee's record; .raSearch skips them) */
	unsigned reached;   /* KD_REACHED_*: how the walk got to this frame */
};

/* Unwind one frame: from `cur` (ctx, ip, sp, fp filled), fill in cur's
 * ret/args/flags/trap_frame/tss/fpo and the caller's ctx/ip/sp/fp. Returns
 * 0, KD_ENOTFOUND when `cur` is the last frame (no caller), or another
 * negative code. The per-architecture halves of the walk. */
int kd_x64_unwind_frame(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller);
int kd_x86_unwind_frame(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller);

/* Walk from `start` (NULL: the current context, honouring .trap/.cxr/.tss)
 * into frames[0..max), *count frames. Stops at the end of the stack, at a
 * frame outside the thread's stack range when it is known, or at max. */
int kd_stack_walk(struct kd_engine *eng, const struct kd_context *start,
                  struct kd_stack_frame *frames, size_t max, size_t *count);
/* The same, saying how the start was reached: KD_REACHED_CALL when its
 * instruction pointer is a return address read from the stack (x64
 * `k = StackPtr`), so it is not taken for an epilogue. */
int kd_stack_walk_reached(struct kd_engine *eng, const struct kd_context *start, unsigned reached,
                          struct kd_stack_frame *frames, size_t max, size_t *count);

/* --- x86 helpers shared with the commands and tests ------------------ */



/* The current thread's stack bounds [*low, *high): from the thread object
 * (KTHREAD StackLimit/InitialStack) on live targets and full dumps, from
 * the saved stack on triage dumps. KD_ENOTFOUND when unknown. */
int kd_thread_stack_range(struct kd_engine *eng, uint64_t *low, uint64_t *high);

#endif
