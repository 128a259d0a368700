/*
 * The register name tables of x86 and x64 and the reads and writes of a
 * register's bits in a CONTEXT record.
 */
#include "arch/regs.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define X86(n, f, sh, b) { n, offsetof(struct kd_x86_context, f), \
	sizeof(((struct kd_x86_context *)0)->f), sh, b }
#define X64(n, f, sh, b) { n, offsetof(struct kd_x64_context, f), \
	sizeof(((struct kd_x64_context *)0)->f), sh, b }

/* The flag bits WinDbg accepts as registers (r zf=1). */
#define FLAGS(M) \
	M("of", EFlags, 11, 1), M("df", EFlags, 10, 1), M("if", EFlags, 9, 1), \
	M("tf", EFlags, 8, 1), M("sf", EFlags, 7, 1), M("zf", EFlags, 6, 1), \
	M("af", EFlags, 4, 1), M("pf", EFlags, 2, 1), M("cf", EFlags, 0, 1), \
	M("vip", EFlags, 20, 1), M("vif", EFlags, 19, 1), M("iopl", EFlags, 12, 2)

static const struct kd_reg x86_regs[] = {
	X86("eax", Eax, 0, 32), X86("ebx", Ebx, 0, 32), X86("ecx", Ecx, 0, 32),
	X86("edx", Edx, 0, 32), X86("esi", Esi, 0, 32), X86("edi", Edi, 0, 32),
	X86("eip", Eip, 0, 32), X86("esp", Esp, 0, 32), X86("ebp", Ebp, 0, 32),
	X86("efl", EFlags, 0, 32),
	X86("ax", Eax, 0, 16), X86("bx", Ebx, 0, 16), X86("cx", Ecx, 0, 16),
	X86("dx", Edx, 0, 16), X86("si", Esi, 0, 16), X86("di", Edi, 0, 16),
	X86("ip", Eip, 0, 16), X86("sp", Esp, 0, 16), X86("bp", Ebp, 0, 16),
	X86("fl", EFlags, 0, 16),
	X86("al", Eax, 0, 8), X86("bl", Ebx, 0, 8), X86("cl", Ecx, 0, 8), X86("dl", Edx, 0, 8),
	X86("ah", Eax, 8, 8), X86("bh", Ebx, 8, 8), X86("ch", Ecx, 8, 8), X86("dh", Edx, 8, 8),
	X86("cs", SegCs, 0, 16), X86("ds", SegDs, 0, 16), X86("es", SegEs, 0, 16),
	X86("fs", SegFs, 0, 16), X86("gs", SegGs, 0, 16), X86("ss", SegSs, 0, 16),
	X86("dr0", Dr0, 0, 32), X86("dr1", Dr1, 0, 32), X86("dr2", Dr2, 0, 32),
	X86("dr3", Dr3, 0, 32), X86("dr6", Dr6, 0, 32), X86("dr7", Dr7, 0, 32),
	FLAGS(X86),
};

static const struct kd_reg x64_regs[] = {
	X64("rax", Rax, 0, 64), X64("rbx", Rbx, 0, 64), X64("rcx", Rcx, 0, 64),
	X64("rdx", Rdx, 0, 64), X64("rsi", Rsi, 0, 64), X64("rdi", Rdi, 0, 64),
	X64("rip", Rip, 0, 64), X64("rsp", Rsp, 0, 64), X64("rbp", Rbp, 0, 64),
	X64("r8", R8, 0, 64), X64("r9", R9, 0, 64), X64("r10", R10, 0, 64),
	X64("r11", R11, 0, 64), X64("r12", R12, 0, 64), X64("r13", R13, 0, 64),
	X64("r14", R14, 0, 64), X64("r15", R15, 0, 64),
	X64("efl", EFlags, 0, 32),
	X64("eax", Rax, 0, 32), X64("ebx", Rbx, 0, 32), X64("ecx", Rcx, 0, 32),
	X64("edx", Rdx, 0, 32), X64("esi", Rsi, 0, 32), X64("edi", Rdi, 0, 32),
	X64("eip", Rip, 0, 32), X64("esp", Rsp, 0, 32), X64("ebp", Rbp, 0, 32),
	X64("r8d", R8, 0, 32), X64("r9d", R9, 0, 32), X64("r10d", R10, 0, 32),
	X64("r11d", R11, 0, 32), X64("r12d", R12, 0, 32), X64("r13d", R13, 0, 32),
	X64("r14d", R14, 0, 32), X64("r15d", R15, 0, 32),
	X64("ax", Rax, 0, 16), X64("bx", Rbx, 0, 16), X64("cx", Rcx, 0, 16),
	X64("dx", Rdx, 0, 16), X64("si", Rsi, 0, 16), X64("di", Rdi, 0, 16),
	X64("ip", Rip, 0, 16), X64("sp", Rsp, 0, 16), X64("bp", Rbp, 0, 16),
	X64("fl", EFlags, 0, 16),
	X64("r8w", R8, 0, 16), X64("r9w", R9, 0, 16), X64("r10w", R10, 0, 16),
	X64("r11w", R11, 0, 16), X64("r12w", R12, 0, 16), X64("r13w", R13, 0, 16),
	X64("r14w", R14, 0, 16), X64("r15w", R15, 0, 16),
	X64("al", Rax, 0, 8), X64("bl", Rbx, 0, 8), X64("cl", Rcx, 0, 8), X64("dl", Rdx, 0, 8),
	X64("ah", Rax, 8, 8), X64("bh", Rbx, 8, 8), X64("ch", Rcx, 8, 8), X64("dh", Rdx, 8, 8),
	X64("sil", Rsi, 0, 8), X64("dil", Rdi, 0, 8), X64("bpl", Rbp, 0, 8), X64("spl", Rsp, 0, 8),
	X64("r8b", R8, 0, 8), X64("r9b", R9, 0, 8), X64("r10b", R10, 0, 8),
	X64("r11b", R11, 0, 8), X64("r12b", R12, 0, 8), X64("r13b", R13, 0, 8),
	X64("r14b", R14, 0, 8), X64("r15b", R15, 0, 8),
	X64("cs", SegCs, 0, 16), X64("ds", SegDs, 0, 16), X64("es", SegEs, 0, 16),
	X64("fs", SegFs, 0, 16), X64("gs", SegGs, 0, 16), X64("ss", SegSs, 0, 16),
	X64("dr0", Dr0, 0, 64), X64("dr1", Dr1, 0, 64), X64("dr2", Dr2, 0, 64),
	X64("dr3", Dr3, 0, 64), X64("dr6", Dr6, 0, 64), X64("dr7", Dr7, 0, 64),
	X64("mxcsr", MxCsr, 0, 32),
	FLAGS(X64),
};

static const struct kd_reg *table(enum kd_machine m, size_t *n)
{
	if (m == KD_MACHINE_I386) {
		*n = sizeof x86_regs / sizeof x86_regs[0];
		return x86_regs;
	}
	if (m == KD_MACHINE_AMD64) {
		*n = sizeof x64_regs / sizeof x64_regs[0];
		return x64_regs;
	}
	*n = 0;
	return NULL;
}

const struct kd_reg *kd_reg_find(enum kd_machine m, const char *name, size_t len)
{
	size_t n;
	const struct kd_reg *t = table(m, &n);
	for (size_t i = 0; i < n; i++) {
		if (strlen(t[i].name) == len && strncasecmp(t[i].name, name, len) == 0)
			return &t[i];
	}
	return NULL;
}

const struct kd_reg *kd_reg_at(enum kd_machine m, size_t i)
{
	size_t n;
	const struct kd_reg *t = table(m, &n);
	return i < n ? &t[i] : NULL;
}

static uint64_t field_get(const struct kd_context *c, const struct kd_reg *r)
{
	uint64_t v = 0;
	/* Little-endian host and target: the low bytes come first. */
	memcpy(&v, c->u.raw + r->offset, r->size);
	return v;
}

static uint64_t mask_of(unsigned bits)
{
	return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

uint64_t kd_reg_get(const struct kd_context *c, const struct kd_reg *r)
{
	return (field_get(c, r) >> r->shift) & mask_of(r->bits);
}

void kd_reg_set(struct kd_context *c, const struct kd_reg *r, uint64_t v)
{
	uint64_t f = field_get(c, r);
	uint64_t m = mask_of(r->bits) << r->shift;
	f = (f & ~m) | ((v << r->shift) & m);
	memcpy(c->u.raw + r->offset, &f, r->size);
}

void kd_format_eflags(uint32_t efl, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s %s %s %s %s %s %s",
	         efl & 0x800 ? "ov" : "nv", efl & 0x400 ? "dn" : "up",
	         efl & 0x200 ? "ei" : "di", efl & 0x80 ? "ng" : "pl",
	         efl & 0x40 ? "zr" : "nz", efl & 0x10 ? "ac" : "na",
	         efl & 0x4 ? "pe" : "po", efl & 0x1 ? "cy" : "nc");
}
