/*
 * Fuzz harness for the text and bytes the register/expression layer
 * parses: MASM expressions (kd/engine/expr.c) against a fake register context
 * and memory, and — the same input as machine code — the WinDbg-notation
 * disassembler (arch/disasm.c): decoding, formatting, the effective
 * address note and backward decoding. Trap frame, TSS and exception
 * record conversions (arch/frames.c) and the .pdata lookup
 * (arch/pdata.c) get the bytes too.
 *
 * Input: byte 0 picks x86 or x64; the rest is both the expression text
 * (up to the first NUL) and the code/record bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/disasm.h"
#include "arch/frames.h"
#include "arch/pdata.h"
#include "base/error.h"
#include "kd/engine/expr.h"

struct mem {
	const uint8_t *data;
	size_t len;
	uint64_t base;
	struct kd_context ctx;
};

static int x_get_context(void *ctx, struct kd_context *out)
{
	*out = ((struct mem *)ctx)->ctx;
	return 0;
}

static int x_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (addr < m->base || addr - m->base > m->len || len > m->len - (addr - m->base))
		return KD_EUNREADABLE;
	memcpy(buf, m->data + (addr - m->base), len);
	return 0;
}

static int x_resolve(void *ctx, const char *name, uint64_t *addr)
{
	(void)ctx;
	if (strcmp(name, "nt!KiTrap0E") == 0) {
		*addr = 0x1000;
		return 0;
	}
	return KD_ENOTFOUND;
}

static int d_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	const struct mem *m = ctx;
	*done = 0;
	if (addr < m->base || addr - m->base >= m->len)
		return KD_EUNREADABLE;
	size_t off = (size_t)(addr - m->base);
	size_t n = m->len - off < len ? m->len - off : len;
	memcpy(buf, m->data + off, n);
	*done = n;
	return 0;
}

static int d_symbolize(void *ctx, uint64_t addr, char *buf, size_t n)
{
	const struct mem *m = ctx;
	if (addr < m->base || addr - m->base >= m->len || n < 32)
		return KD_ENOTFOUND;
	memcpy(buf, "fuzz+0x10", 10);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum kd_machine m = data[0] & 1 ? KD_MACHINE_AMD64 : KD_MACHINE_I386;
	data++;
	size--;
	struct mem mem;
	memset(&mem, 0, sizeof mem);
	mem.data = data;
	mem.len = size;
	mem.base = 0x1000;
	mem.ctx.machine = m;
	memcpy(mem.ctx.u.raw, data, size < sizeof mem.ctx.u.raw ? size : sizeof mem.ctx.u.raw);

	/* The expression: the input up to the first NUL, as a C string. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct kd_expr_ops ops = { m, x_get_context, x_read, x_resolve, NULL, &mem };
	uint64_t v;
	const char *end;
	char msg[256];
	if (kd_expr_evaluate(&ops, text, &v, &end, msg, sizeof msg) == 0 && (end < text || end > text + size))
		abort();
	free(text);

	/* The bytes as code. */
	struct kd_disasm_env env = { m, d_read, d_symbolize, &mem };
	char line[600], ea[128];
	uint64_t a = mem.base;
	for (int i = 0; i < 64 && a < mem.base + size; i++) {
		struct kd_insn in;
		kd_disasm_one(&env, a, &in);
		kd_disasm_format(&env, &in, line, sizeof line);
		kd_disasm_effective_address(&env, &in, &mem.ctx, strlen(line), ea, sizeof ea);
		if (in.size == 0)
			abort();
		a += in.size;
	}
	if (size)
		(void)kd_disasm_back(&env, mem.base + size, 8, data[0] & 2 ? mem.base : 0);

	/* The bytes as an x64 image with a function table. */
	uint64_t fb, fe;
	uint64_t probe = size >= 2 ? (uint64_t)(data[size - 2] | data[size - 1] << 8) : 0;
	kd_x64_pdata_lookup(&env, mem.base, mem.base + probe, &fb, &fe);

	/* The bytes as records. */
	struct kd_context c;
	uint32_t err;
	kd_x86_trap_to_context(data, size, 0x1000, &c, &err);
	kd_x64_trap_to_context(data, size, &c);
	kd_x86_tss_to_context(data, size, &c);
	struct kd_exception_record r;
	kd_exception_record_parse(data, size, m == KD_MACHINE_AMD64, &r);
	if (size >= 8) {
		struct kd_x86_descriptor d;
		kd_x86_descriptor_decode(data, &d);
	}
	return 0;
}
