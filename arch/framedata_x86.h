/*
 * x86 FrameData (FPO v2) programs, as the PDB's FrameData stream holds
 * them for each function: the evaluator that turns a frame's registers
 * into its caller's. The x64 counterpart is arch/unwind_x64.h.
 */
#ifndef KD_ARCH_FRAMEDATA_X86_H
#define KD_ARCH_FRAMEDATA_X86_H

#include <stddef.h>
#include <stdint.h>

/* A FrameData (FPO v2) program: postfix tokens such as
 * "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =". Registers are
 * indexed by KD_X86_FD_* (also reachable as CodeView numbers $17..$24 and
 * $33); .raSearch/.raSearchStart come from ra_search (called once, on first
 * use), memory reads through read. Untrusted input: bounded stack, bounded
 * token length, every failure a negative code. */
enum {
	KD_X86_FD_EAX, KD_X86_FD_ECX, KD_X86_FD_EDX, KD_X86_FD_EBX,
	KD_X86_FD_ESP, KD_X86_FD_EBP, KD_X86_FD_ESI, KD_X86_FD_EDI,
	KD_X86_FD_EIP, KD_X86_FD_NREGS
};
struct kd_x86_fd_env {
	uint32_t reg[KD_X86_FD_NREGS]; /* in: the frame's; out: the caller's */
	unsigned reg_set;              /* out: bit i when the program assigned reg i */
	uint32_t t[10];                /* $T0..$T9 */
	unsigned t_set;
	uint32_t cb_locals, cb_params, cb_saved_regs, cb_callee_params;
	int (*read)(void *ctx, uint32_t addr, uint32_t *value);
	int (*ra_search)(void *ctx, uint32_t start, uint32_t *found);
	void *ctx;
};
int kd_x86_fd_eval(const char *program, size_t len, struct kd_x86_fd_env *env);

#endif
