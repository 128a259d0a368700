/*
 * x64 stack unwinding from the images' unwind data, as Windows does it:
 * UNWIND_INFO records (.xdata) found through the RUNTIME_FUNCTION table
 * (.pdata), every unwind code, chained records, partial prologs, the
 * epilogue rules for a frame stopped in one, machine frames, leaf
 * functions, and a marked stack scan for code without unwind data.
 *
 * Pure: memory and modules come through kd_x64_unwind_env, so the logic
 * is tested on hand-made stacks; kd/engine/stack_x64.c plugs in the engine.
 * Every byte read (unwind data, code, stack) is untrusted and checked.
 */
#ifndef KD_ARCH_UNWIND_X64_H
#define KD_ARCH_UNWIND_X64_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"
#include "arch/disasm.h"
#include "arch/pdata.h"

/* Unwind operation codes (UNWIND_CODE.UnwindOp). */
enum {
	KD_UWOP_PUSH_NONVOL = 0,
	KD_UWOP_ALLOC_LARGE = 1,
	KD_UWOP_ALLOC_SMALL = 2,
	KD_UWOP_SET_FPREG = 3,
	KD_UWOP_SAVE_NONVOL = 4,
	KD_UWOP_SAVE_NONVOL_FAR = 5,
	KD_UWOP_EPILOG = 6,      /* version 2: epilogue descriptions; version 1: SAVE_XMM */
	KD_UWOP_SPARE_CODE = 7,  /* version 1: SAVE_XMM_FAR */
	KD_UWOP_SAVE_XMM128 = 8,
	KD_UWOP_SAVE_XMM128_FAR = 9,
	KD_UWOP_PUSH_MACHFRAME = 10,
};

#define KD_UNW_FLAG_EHANDLER 0x1
#define KD_UNW_FLAG_UHANDLER 0x2
#define KD_UNW_FLAG_CHAININFO 0x4

/* One UNWIND_INFO, decoded. */
struct kd_x64_unwind_info {
	uint8_t version, flags, prolog_size, count; /* count: UNWIND_CODE slots */
	uint8_t frame_reg, frame_offset;            /* frame_offset in 16-byte units */
	uint16_t codes[256];                        /* raw slots: offset | op << 8 | info << 12 */
	struct kd_x64_runtime_function chained;     /* KD_UNW_FLAG_CHAININFO: the parent */
};

/* Bytes of an UNWIND_INFO with count slots, up to and including the
 * chained RUNTIME_FUNCTION or handler RVA that may follow the codes. */
size_t kd_x64_unwind_info_size(uint8_t count, uint8_t flags);

/* Decode len bytes of an UNWIND_INFO. KD_EFORMAT for an unknown version,
 * a code list that runs past its count, or a truncated record. */
int kd_x64_unwind_info_parse(const uint8_t *buf, size_t len, struct kd_x64_unwind_info *out);

/* How many slots the code at slot i of info takes (1..3); 0 when the
 * code is not valid in this version or runs past the count. */
unsigned kd_x64_unwind_code_slots(const struct kd_x64_unwind_info *info, unsigned i);

/* Memory and modules for the unwinder. */
struct kd_x64_unwind_env {
	/* Reads (machine AMD64): stack, image headers, .pdata/.xdata, code. */
	struct kd_disasm_env mem;
	/* The image holding addr: base and size; KD_ENOTFOUND outside every
	 * known module. Gets mem.ctx. */
	int (*module_at)(void *ctx, uint64_t addr, uint64_t *base, uint32_t *size);
};

/* How the caller's registers were found by kd_x64_unwind_step. */
enum kd_x64_unwind_kind {
	KD_X64_UNWOUND_DATA,  /* unwind data: the return address popped */
	KD_X64_UNWOUND_LEAF,  /* no RUNTIME_FUNCTION: a leaf, [rsp] is the return address */
	KD_X64_UNWOUND_MACHFRAME, /* through a machine frame: rip and rsp from it */
};

struct kd_x64_unwind_result {
	enum kd_x64_unwind_kind kind;
	int epilogue;            /* ip was in an epilogue: the rest of it was emulated */
	uint64_t machine_frame;  /* MACHFRAME: address of the saved RIP */
	uint64_t establisher;    /* the function's frame (rsp after its prolog, or frame register based) */
	struct kd_x64_runtime_function function; /* DATA/MACHFRAME: the entry used (primary) */
	uint64_t image_base;
};

/* Unwind the function rf of the image at base, stopped at ctx->Rip (check
 * epilogues when epilogue_check): ctx becomes the caller's registers.
 * KD_ENOTFOUND when the unwind data is unreadable or malformed,
 * KD_EUNREADABLE when the stack is; ctx is unchanged on failure. */
int kd_x64_virtual_unwind(const struct kd_disasm_env *mem, uint64_t base,
                          const struct kd_x64_runtime_function *rf, int epilogue_check,
                          struct kd_x64_context *ctx, struct kd_x64_unwind_result *res);

/* One frame: find ctx->Rip's module and function (for a return address,
 * the function of the call before it: look up Rip-1), unwind it, leaf
 * rules without an entry. ctx becomes the caller's registers. KD_ENOTFOUND
 * when Rip is in no module or the module's unwind data cannot be had (the
 * caller then scans the stack), KD_EUNREADABLE when the stack cannot be
 * read. */
int kd_x64_unwind_step(const struct kd_x64_unwind_env *env, int is_return_address, int epilogue_check,
                       struct kd_x64_context *ctx, struct kd_x64_unwind_result *res);

/* A call instruction ends exactly at the end of these n bytes (the bytes
 * before a return address): E8 rel32, FF /2 in its register and memory
 * forms, with or without a REX prefix. */
int kd_x64_call_ends_at(const uint8_t *bytes, size_t n);

/* Scan the stack from sp (8-byte slots) below limit for a return
 * address: a value inside a known module that follows a call instruction
 * (when the code before it is readable). *slot gets the slot's address,
 * *value the return address. KD_ENOTFOUND when none. */
int kd_x64_scan_for_return(const struct kd_x64_unwind_env *env, uint64_t sp, uint64_t limit,
                           uint64_t *slot, uint64_t *value);

#endif
