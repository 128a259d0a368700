/*
 * x86/x64 disassembly in WinDbg's notation, on top of capstone: the line
 * layout ("8082e3c8 ff2508118080    jmp     dword ptr [...]"), MASM
 * immediates (2Ch, 0BADB0D00h), symbolic branch and memory targets
 * ("call nt!KeBugCheckEx (8042bf14)"), the effective-address note of the
 * register display ("ds:0023:0000002c=????????") and finding instruction
 * boundaries backwards for `ub`.
 *
 * Engine-independent: memory and symbols come through kd_disasm_env.
 */
#ifndef KD_ARCH_DISASM_H
#define KD_ARCH_DISASM_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

struct kd_engine;

struct kd_disasm_env {
	enum kd_machine machine;
	/* Read up to len bytes: *done gets how many (0 when unreadable). */
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done);
	/* "nt!Foo+0x10" / "Zyx+0xeec" for addr, else a negative code. */
	int (*symbolize)(void *ctx, uint64_t addr, char *buf, size_t n);
	void *ctx;
};

/* Read exactly len bytes through env: 0 or KD_EUNREADABLE. */
int kd_disasm_env_read_exact(const struct kd_disasm_env *env, uint64_t addr, void *buf, size_t len);

/* The environment of the engine's current target (kd/commands/disasm.c). */
void kd_disasm_env_engine(struct kd_disasm_env *env, struct kd_engine *eng);

/* Print the symbol line and the instruction at c's ip with its memory
 * operand note, as r and a stop report show it; the next `u` without an
 * address starts at that instruction. c NULL: the engine's context.
 * (kd/commands/disasm.c) */
int kd_disasm_show_current(struct kd_engine *eng, const struct kd_context *c);

#define KD_INSN_MAX 16

struct kd_insn {
	uint64_t addr;
	unsigned size;           /* bytes; 1 for an undecodable byte */
	uint8_t bytes[KD_INSN_MAX];
	int valid;               /* 0: "???" (or unreadable: all '?') */
	int readable;
	char mnemonic[40];
	char operands[256];
	/* control flow */
	int is_call, is_ret, is_jump, is_cond, is_int3;
	int has_target;          /* a direct branch target */
	uint64_t target;
	/* the first explicit memory operand, for the effective address */
	int has_mem;
	int mem_seg, mem_base, mem_index; /* capstone register ids, 0 none */
	int mem_scale;
	int64_t mem_disp;
	unsigned mem_size;       /* bytes accessed; 0 for lea */
};

/* Decode one instruction at addr (reads through env). */
int kd_disasm_one(const struct kd_disasm_env *env, uint64_t addr, struct kd_insn *out);
/* Decode from a buffer already read. */
int kd_disasm_decode(const struct kd_disasm_env *env, const uint8_t *code, size_t len,
                     uint64_t addr, struct kd_insn *out);

/* "8082e3c8 ff2508118080    jmp     dword ptr [nt!_imp_KfLowerIrql (80801108)]" */
void kd_disasm_format(const struct kd_disasm_env *env, const struct kd_insn *in, char *buf, size_t n);

/* The note r adds after the current instruction, with its leading spaces
 * ("  ds:0023:0000002c=????????"), given the line printed so far; "" when
 * the instruction has no memory operand. */
void kd_disasm_effective_address(const struct kd_disasm_env *env, const struct kd_insn *in,
                                 const struct kd_context *ctx, size_t line_len,
                                 char *buf, size_t n);

/* A target address as WinDbg prints it: "8082e3c8" or "fffff800`01875f8a". */
void kd_disasm_addr(enum kd_machine m, uint64_t addr, char *buf, size_t n);
/* A number the MASM way: 9, 0Ah, 2Ch, 0BADB0D00h. */
void kd_disasm_masm_hex(uint64_t v, char *buf, size_t n);

/* The address of the instruction `count` instructions before addr, found
 * by decoding forward from `func_start` when it is known (non-zero and
 * below addr) and lands on addr — never going back past func_start, as
 * WinDbg's ub — else by decoding from many points back and taking the
 * boundaries most of them agree on. */
uint64_t kd_disasm_back(const struct kd_disasm_env *env, uint64_t addr, unsigned count,
                        uint64_t func_start);

#endif
