/*
 * kdsim's instruction stepper: executes one x86 or x64 instruction of a
 * processor's CONTEXT against the simulated memory, decoded by capstone.
 * Control flow (call, ret, jmp, jcc, loop), the stack (push, pop, leave),
 * moves (mov movabs movzx movsx xchg setcc cmovcc), lea and the common
 * arithmetic (add sub cmp test and or xor inc dec not neg shl shr sar,
 * with the flags jcc reads) are carried out, string instructions one iteration
 * a step (rep keeps the IP on the instruction until the count ends it, as
 * a single-stepping processor does); anything else only advances the
 * instruction pointer by its real length. Every memory operand's address
 * is reported, so hardware watchpoints can see the access.
 */
#ifndef KDSIM_EMULATE_H
#define KDSIM_EMULATE_H

#include <stdint.h>

#include <capstone/capstone.h>

#include "arch/context.h"
#include "tests/kdsim/machine.h"

enum sim_step_kind {
	SIM_STEP_DONE,  /* executed; the IP is the next instruction */
	SIM_STEP_INT3,  /* an int 3 at the IP (not executed) */
	SIM_STEP_HALT,  /* hlt, executed (the IP is past it) */
	SIM_STEP_FAULT, /* unmapped or undecodable memory; nothing changed */
};

#define SIM_STEP_MAX_ACCESS 6

struct sim_access {
	uint64_t addr;
	uint32_t size;
	int write;     /* 1 written, 0 read */
};

struct sim_step {
	enum sim_step_kind kind;
	uint64_t ip;        /* the instruction's address */
	unsigned len;       /* its length in bytes */
	int call, ret;      /* it was a call / a ret */
	uint64_t ret_sp;    /* ret: the stack pointer it popped from */
	uint64_t fault_addr;
	struct sim_access access[SIM_STEP_MAX_ACCESS];
	unsigned naccess;
	char text[200];     /* "mnemonic operands", for diagnostics */
};

struct sim_emu {
	csh cs;
	enum kd_machine machine;
};

/* 0, or a negative KD_E* code when capstone cannot be opened. */
int sim_emu_open(struct sim_emu *e, enum kd_machine machine);
void sim_emu_close(struct sim_emu *e);
/* Execute the instruction at ctx's IP; st says what happened. */
void sim_emu_step(struct sim_emu *e, struct sim_machine *m, struct kd_context *ctx, struct sim_step *st);

#endif
