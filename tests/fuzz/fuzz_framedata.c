/*
 * Fuzz harness for the x86 FrameData program evaluator (kd_x86_fd_eval):
 * any bytes as a program, evaluated over a small synthetic stack whose
 * reads fail outside it, must return 0 or a negative code, never crash,
 * hang or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kd/engine/stack.h"

#define STACK_BASE 0x1000u
#define STACK_WORDS 64

static int read_mem(void *ctx, uint32_t addr, uint32_t *value)
{
	const uint32_t *stack = ctx;
	if (addr < STACK_BASE || (addr & 3) || (addr - STACK_BASE) / 4 >= STACK_WORDS)
		return KD_EUNREADABLE;
	*value = stack[(addr - STACK_BASE) / 4];
	return 0;
}

static int ra_search(void *ctx, uint32_t start, uint32_t *found)
{
	(void)ctx;
	*found = start;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t stack[STACK_WORDS];
	for (uint32_t i = 0; i < STACK_WORDS; i++)
		stack[i] = STACK_BASE + 4 * i + 8;
	struct kd_x86_fd_env env;
	memset(&env, 0, sizeof env);
	env.reg[KD_X86_FD_ESP] = STACK_BASE;
	env.reg[KD_X86_FD_EBP] = STACK_BASE + 0x20;
	env.reg[KD_X86_FD_EIP] = 0x401000;
	env.cb_locals = 8;
	env.cb_saved_regs = 4;
	env.read = read_mem;
	env.ra_search = ra_search;
	env.ctx = stack;
	kd_x86_fd_eval((const char *)data, size, &env);
	return 0;
}
