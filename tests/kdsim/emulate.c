/*
 * kdsim's instruction stepper (see emulate.h): one instruction at a time,
 * decoded by capstone with detail, carried out on a copy of the CONTEXT
 * that is kept only when every memory access succeeded.
 */
#include "tests/kdsim/emulate.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"

#define EFL_CF 0x1u
#define EFL_PF 0x4u
#define EFL_ZF 0x40u
#define EFL_SF 0x80u
#define EFL_OF 0x800u
#define EFL_ARITH (EFL_CF | EFL_PF | 0x10u | EFL_ZF | EFL_SF | EFL_OF)

/* A general register as capstone names it: which of the 16, how wide,
 * and at which bit (ah: 8). */
struct gpr_name {
	x86_reg reg;
	unsigned idx, size, shift;
};

static const struct gpr_name gprs[] = {
	{ X86_REG_RAX, 0, 8, 0 }, { X86_REG_EAX, 0, 4, 0 }, { X86_REG_AX, 0, 2, 0 }, { X86_REG_AL, 0, 1, 0 }, { X86_REG_AH, 0, 1, 8 },
	{ X86_REG_RCX, 1, 8, 0 }, { X86_REG_ECX, 1, 4, 0 }, { X86_REG_CX, 1, 2, 0 }, { X86_REG_CL, 1, 1, 0 }, { X86_REG_CH, 1, 1, 8 },
	{ X86_REG_RDX, 2, 8, 0 }, { X86_REG_EDX, 2, 4, 0 }, { X86_REG_DX, 2, 2, 0 }, { X86_REG_DL, 2, 1, 0 }, { X86_REG_DH, 2, 1, 8 },
	{ X86_REG_RBX, 3, 8, 0 }, { X86_REG_EBX, 3, 4, 0 }, { X86_REG_BX, 3, 2, 0 }, { X86_REG_BL, 3, 1, 0 }, { X86_REG_BH, 3, 1, 8 },
	{ X86_REG_RSP, 4, 8, 0 }, { X86_REG_ESP, 4, 4, 0 }, { X86_REG_SP, 4, 2, 0 }, { X86_REG_SPL, 4, 1, 0 },
	{ X86_REG_RBP, 5, 8, 0 }, { X86_REG_EBP, 5, 4, 0 }, { X86_REG_BP, 5, 2, 0 }, { X86_REG_BPL, 5, 1, 0 },
	{ X86_REG_RSI, 6, 8, 0 }, { X86_REG_ESI, 6, 4, 0 }, { X86_REG_SI, 6, 2, 0 }, { X86_REG_SIL, 6, 1, 0 },
	{ X86_REG_RDI, 7, 8, 0 }, { X86_REG_EDI, 7, 4, 0 }, { X86_REG_DI, 7, 2, 0 }, { X86_REG_DIL, 7, 1, 0 },
	{ X86_REG_R8, 8, 8, 0 }, { X86_REG_R8D, 8, 4, 0 }, { X86_REG_R8W, 8, 2, 0 }, { X86_REG_R8B, 8, 1, 0 },
	{ X86_REG_R9, 9, 8, 0 }, { X86_REG_R9D, 9, 4, 0 }, { X86_REG_R9W, 9, 2, 0 }, { X86_REG_R9B, 9, 1, 0 },
	{ X86_REG_R10, 10, 8, 0 }, { X86_REG_R10D, 10, 4, 0 }, { X86_REG_R10W, 10, 2, 0 }, { X86_REG_R10B, 10, 1, 0 },
	{ X86_REG_R11, 11, 8, 0 }, { X86_REG_R11D, 11, 4, 0 }, { X86_REG_R11W, 11, 2, 0 }, { X86_REG_R11B, 11, 1, 0 },
	{ X86_REG_R12, 12, 8, 0 }, { X86_REG_R12D, 12, 4, 0 }, { X86_REG_R12W, 12, 2, 0 }, { X86_REG_R12B, 12, 1, 0 },
	{ X86_REG_R13, 13, 8, 0 }, { X86_REG_R13D, 13, 4, 0 }, { X86_REG_R13W, 13, 2, 0 }, { X86_REG_R13B, 13, 1, 0 },
	{ X86_REG_R14, 14, 8, 0 }, { X86_REG_R14D, 14, 4, 0 }, { X86_REG_R14W, 14, 2, 0 }, { X86_REG_R14B, 14, 1, 0 },
	{ X86_REG_R15, 15, 8, 0 }, { X86_REG_R15D, 15, 4, 0 }, { X86_REG_R15W, 15, 2, 0 }, { X86_REG_R15B, 15, 1, 0 },
};

#define GPR_AX 0
#define GPR_CX 1
#define GPR_SP 4
#define GPR_BP 5
#define GPR_SI 6
#define GPR_DI 7
#define EFL_DF 0x400u

/* One instruction's work: the context being changed and what to report. */
struct exec {
	struct sim_machine *m;
	struct kd_context *c;  /* the copy */
	struct sim_step *st;
	int x64;
	uint64_t next;         /* the address after the instruction */
	int failed;
};

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static uint64_t gpr_get(const struct kd_context *c, unsigned idx)
{
	if (c->machine == KD_MACHINE_AMD64) {
		uint64_t v;
		memcpy(&v, c->u.raw + offsetof(struct kd_x64_context, Rax) + 8 * idx, 8);
		return v;
	}
	const struct kd_x86_context *x = &c->u.x86;
	static const size_t off[8] = {
		offsetof(struct kd_x86_context, Eax), offsetof(struct kd_x86_context, Ecx),
		offsetof(struct kd_x86_context, Edx), offsetof(struct kd_x86_context, Ebx),
		offsetof(struct kd_x86_context, Esp), offsetof(struct kd_x86_context, Ebp),
		offsetof(struct kd_x86_context, Esi), offsetof(struct kd_x86_context, Edi),
	};
	uint32_t v;
	if (idx >= 8)
		return 0;
	memcpy(&v, (const uint8_t *)x + off[idx], 4);
	return v;
}

static void gpr_set(struct kd_context *c, unsigned idx, uint64_t v)
{
	if (c->machine == KD_MACHINE_AMD64) {
		memcpy(c->u.raw + offsetof(struct kd_x64_context, Rax) + 8 * idx, &v, 8);
		return;
	}
	static const size_t off[8] = {
		offsetof(struct kd_x86_context, Eax), offsetof(struct kd_x86_context, Ecx),
		offsetof(struct kd_x86_context, Edx), offsetof(struct kd_x86_context, Ebx),
		offsetof(struct kd_x86_context, Esp), offsetof(struct kd_x86_context, Ebp),
		offsetof(struct kd_x86_context, Esi), offsetof(struct kd_x86_context, Edi),
	};
	uint32_t w = (uint32_t)v;
	if (idx < 8)
		memcpy((uint8_t *)&c->u.x86 + off[idx], &w, 4);
}

static uint32_t get_eflags(const struct kd_context *c)
{
	return c->machine == KD_MACHINE_AMD64 ? c->u.x64.EFlags : c->u.x86.EFlags;
}

static void put_eflags(struct kd_context *c, uint32_t f)
{
	if (c->machine == KD_MACHINE_AMD64)
		c->u.x64.EFlags = f;
	else
		c->u.x86.EFlags = f;
}

static void set_ip(struct kd_context *c, uint64_t ip)
{
	if (c->machine == KD_MACHINE_AMD64)
		c->u.x64.Rip = ip;
	else
		c->u.x86.Eip = (uint32_t)ip;
}

static const struct gpr_name *find_gpr(x86_reg r)
{
	for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++)
		if (gprs[i].reg == r)
			return &gprs[i];
	return NULL;
}

static int reg_read(struct exec *x, x86_reg r, uint64_t *v)
{
	if (r == X86_REG_RIP || r == X86_REG_EIP) {
		*v = x->next;
		return 0;
	}
	const struct gpr_name *g = find_gpr(r);
	if (!g || (!x->x64 && g->idx >= 8))
		return -1;
	*v = (gpr_get(x->c, g->idx) >> g->shift) & mask_of(g->size);
	return 0;
}

static int reg_write(struct exec *x, x86_reg r, uint64_t v)
{
	const struct gpr_name *g = find_gpr(r);
	if (!g || (!x->x64 && g->idx >= 8))
		return -1;
	uint64_t old = gpr_get(x->c, g->idx);
	if (g->size >= 4) /* a 32-bit write clears the upper half on x64 */
		old = v & mask_of(g->size);
	else
		old = (old & ~(mask_of(g->size) << g->shift)) | ((v & mask_of(g->size)) << g->shift);
	gpr_set(x->c, g->idx, old);
	return 0;
}

static uint64_t addr_mask(const struct exec *x)
{
	return x->x64 ? ~0ull : 0xffffffffull;
}

static void note_access(struct exec *x, uint64_t addr, uint32_t size, int write)
{
	struct sim_step *st = x->st;
	if (st->naccess < SIM_STEP_MAX_ACCESS)
		st->access[st->naccess++] = (struct sim_access){ addr, size, write };
}

static uint64_t effective_address(struct exec *x, const x86_op_mem *mem)
{
	uint64_t a = (uint64_t)mem->disp, v;
	if (mem->base != X86_REG_INVALID && reg_read(x, mem->base, &v) == 0)
		a += v;
	if (mem->index != X86_REG_INVALID && reg_read(x, mem->index, &v) == 0)
		a += v * (uint64_t)mem->scale;
	return a & addr_mask(x);
}

static int mem_read(struct exec *x, uint64_t a, unsigned size, uint64_t *v)
{
	uint8_t b[8] = { 0 };
	if (size > 8 || sim_read(x->m, a, b, size) != size) {
		x->st->fault_addr = a;
		x->failed = 1;
		return -1;
	}
	*v = 0;
	for (unsigned i = 0; i < size; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	return 0;
}

static int mem_write(struct exec *x, uint64_t a, unsigned size, uint64_t v)
{
	uint8_t b[8];
	for (unsigned i = 0; i < size && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (size > 8 || sim_write(x->m, a, b, size) != size) {
		x->st->fault_addr = a;
		x->failed = 1;
		return -1;
	}
	return 0;
}

static int op_read(struct exec *x, const cs_x86_op *op, uint64_t *v)
{
	switch (op->type) {
	case X86_OP_REG:
		return reg_read(x, op->reg, v);
	case X86_OP_IMM:
		*v = (uint64_t)op->imm & mask_of(op->size ? op->size : 8);
		return 0;
	case X86_OP_MEM:
		return mem_read(x, effective_address(x, &op->mem), op->size, v);
	default:
		return -1;
	}
}

static int op_write(struct exec *x, const cs_x86_op *op, uint64_t v)
{
	if (op->type == X86_OP_REG)
		return reg_write(x, op->reg, v);
	if (op->type == X86_OP_MEM)
		return mem_write(x, effective_address(x, &op->mem), op->size, v);
	return -1;
}

static unsigned stack_width(const struct exec *x)
{
	return x->x64 ? 8 : 4;
}

static int push(struct exec *x, uint64_t v, unsigned size)
{
	uint64_t sp = (gpr_get(x->c, GPR_SP) - size) & addr_mask(x);
	note_access(x, sp, size, 1);
	if (mem_write(x, sp, size, v) < 0)
		return -1;
	gpr_set(x->c, GPR_SP, sp);
	return 0;
}

static int pop(struct exec *x, uint64_t *v, unsigned size)
{
	uint64_t sp = gpr_get(x->c, GPR_SP);
	note_access(x, sp, size, 0);
	if (mem_read(x, sp, size, v) < 0)
		return -1;
	gpr_set(x->c, GPR_SP, (sp + size) & addr_mask(x));
	return 0;
}

static int parity_even(uint64_t v)
{
	unsigned b = (unsigned)(v & 0xff), n = 0;
	for (; b; b >>= 1)
		n += b & 1;
	return !(n & 1);
}

/* The flags of an arithmetic result; cf and of as computed by the caller. */
static void set_flags(struct exec *x, uint64_t r, unsigned size, int cf, int of, int keep_cf)
{
	uint32_t f = get_eflags(x->c);
	uint32_t old_cf = f & EFL_CF;
	uint64_t sign = 1ull << (size * 8 - 1);
	r &= mask_of(size);
	f &= ~EFL_ARITH;
	if (keep_cf)
		f |= old_cf;
	else if (cf)
		f |= EFL_CF;
	if (of)
		f |= EFL_OF;
	if (r == 0)
		f |= EFL_ZF;
	if (r & sign)
		f |= EFL_SF;
	if (parity_even(r))
		f |= EFL_PF;
	put_eflags(x->c, f);
}

/* The sixteen conditions, as jcc, setcc and cmovcc name them. */
static const unsigned cond_ids[16][3] = {
	{ X86_INS_JO, X86_INS_SETO, X86_INS_CMOVO },     { X86_INS_JNO, X86_INS_SETNO, X86_INS_CMOVNO },
	{ X86_INS_JB, X86_INS_SETB, X86_INS_CMOVB },     { X86_INS_JAE, X86_INS_SETAE, X86_INS_CMOVAE },
	{ X86_INS_JE, X86_INS_SETE, X86_INS_CMOVE },     { X86_INS_JNE, X86_INS_SETNE, X86_INS_CMOVNE },
	{ X86_INS_JBE, X86_INS_SETBE, X86_INS_CMOVBE },  { X86_INS_JA, X86_INS_SETA, X86_INS_CMOVA },
	{ X86_INS_JS, X86_INS_SETS, X86_INS_CMOVS },     { X86_INS_JNS, X86_INS_SETNS, X86_INS_CMOVNS },
	{ X86_INS_JP, X86_INS_SETP, X86_INS_CMOVP },     { X86_INS_JNP, X86_INS_SETNP, X86_INS_CMOVNP },
	{ X86_INS_JL, X86_INS_SETL, X86_INS_CMOVL },     { X86_INS_JGE, X86_INS_SETGE, X86_INS_CMOVGE },
	{ X86_INS_JLE, X86_INS_SETLE, X86_INS_CMOVLE },  { X86_INS_JG, X86_INS_SETG, X86_INS_CMOVG },
};

/* Whether the condition of a jcc (kind 0), setcc (1) or cmovcc (2) holds:
 * 1 or 0; -1 when id is not of that kind. */
static int condition(struct exec *x, unsigned id, unsigned kind)
{
	uint32_t f = get_eflags(x->c);
	int cf = !!(f & EFL_CF), zf = !!(f & EFL_ZF), sf = !!(f & EFL_SF), of = !!(f & EFL_OF), pf = !!(f & EFL_PF);
	unsigned c = 0;
	while (c < 16 && cond_ids[c][kind] != id)
		c++;
	switch (c) {
	case 0: return of;
	case 1: return !of;
	case 2: return cf;
	case 3: return !cf;
	case 4: return zf;
	case 5: return !zf;
	case 6: return cf || zf;
	case 7: return !cf && !zf;
	case 8: return sf;
	case 9: return !sf;
	case 10: return pf;
	case 11: return !pf;
	case 12: return sf != of;
	case 13: return sf == of;
	case 14: return zf || sf != of;
	case 15: return !zf && sf == of;
	default: return -1;
	}
}

/* not, neg, and the shifts (count from an immediate, cl, or 1). */
static int unary_or_shift(struct exec *x, unsigned id, const cs_x86 *d)
{
	const cs_x86_op *dst = &d->operands[0];
	unsigned size = dst->size ? dst->size : stack_width(x);
	uint64_t a, m = mask_of(size), sign = 1ull << (size * 8 - 1), r, n = 1;
	if (op_read(x, dst, &a) < 0)
		return -1;
	if (id == X86_INS_NOT)
		return op_write(x, dst, ~a & m);
	if (id == X86_INS_NEG) {
		r = (0 - a) & m;
		set_flags(x, r, size, a != 0, a == sign, 0);
		return op_write(x, dst, r);
	}
	if (d->op_count >= 2 && op_read(x, &d->operands[1], &n) < 0)
		return -1;
	n &= size == 8 ? 63 : 31;
	if (n == 0)
		return 0; /* flags and operand unchanged */
	int cf;
	if (id == X86_INS_SHL || id == X86_INS_SAL) {
		cf = n <= size * 8 && ((a >> (size * 8 - n)) & 1);
		r = n >= size * 8 ? 0 : (a << n) & m;
	} else if (id == X86_INS_SHR) {
		cf = (a >> (n - 1)) & 1;
		r = n >= 64 ? 0 : a >> n;
	} else { /* sar */
		uint64_t sa = a & sign ? a | ~m : a;
		cf = (int)((sa >> (n - 1 < 63 ? n - 1 : 63)) & 1);
		r = (uint64_t)((int64_t)sa >> (n < 63 ? n : 63)) & m;
	}
	set_flags(x, r, size, cf, (id == X86_INS_SHL || id == X86_INS_SAL) ? (!!(r & sign)) ^ cf : 0, 0);
	return op_write(x, dst, r);
}

static int alu(struct exec *x, unsigned id, const cs_x86 *d)
{
	const cs_x86_op *dst = &d->operands[0];
	unsigned size = dst->size ? dst->size : stack_width(x);
	uint64_t a, b = 1, r, m = mask_of(size), sign = 1ull << (size * 8 - 1);
	int cf = 0, of = 0, keep_cf = 0, store = 1;
	if (op_read(x, dst, &a) < 0)
		return -1;
	if (id != X86_INS_INC && id != X86_INS_DEC) {
		if (d->op_count < 2 || op_read(x, &d->operands[1], &b) < 0)
			return -1;
		b &= m;
	}
	switch (id) {
	case X86_INS_ADD:
	case X86_INS_INC:
		r = (a + b) & m;
		cf = r < a;
		of = !!((a ^ r) & (b ^ r) & sign);
		keep_cf = id == X86_INS_INC;
		break;
	case X86_INS_SUB:
	case X86_INS_CMP:
	case X86_INS_DEC:
		r = (a - b) & m;
		cf = a < b;
		of = !!((a ^ b) & (a ^ r) & sign);
		keep_cf = id == X86_INS_DEC;
		store = id != X86_INS_CMP;
		break;
	case X86_INS_AND:
	case X86_INS_TEST:
		r = a & b;
		store = id != X86_INS_TEST;
		break;
	case X86_INS_OR:
		r = a | b;
		break;
	default: /* xor */
		r = a ^ b;
		break;
	}
	set_flags(x, r, size, cf, of, keep_cf);
	return store ? op_write(x, dst, r) : 0;
}

/* The string instructions: movs stos lods scas cmps ('m' 's' 'l' 'a' 'c'),
 * 0 for anything else (movsd and cmpsd are also SSE instructions). */
static char string_kind(const cs_insn *insn, const cs_x86 *d)
{
	int mem = d->op_count == 2 && (d->operands[0].type == X86_OP_MEM || d->operands[1].type == X86_OP_MEM);
	switch (insn->id) {
	case X86_INS_MOVSB: case X86_INS_MOVSW: case X86_INS_MOVSD: case X86_INS_MOVSQ:
		return mem ? 'm' : 0;
	case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD: case X86_INS_STOSQ:
		return 's';
	case X86_INS_LODSB: case X86_INS_LODSW: case X86_INS_LODSD: case X86_INS_LODSQ:
		return 'l';
	case X86_INS_SCASB: case X86_INS_SCASW: case X86_INS_SCASD: case X86_INS_SCASQ:
		return 'a';
	case X86_INS_CMPSB: case X86_INS_CMPSW: case X86_INS_CMPSD: case X86_INS_CMPSQ:
		return mem ? 'c' : 0;
	default:
		return 0;
	}
}

/* One iteration of a string instruction, as the processor does between
 * two single steps: with a rep prefix the IP stays on the instruction
 * until the count (or, for scas and cmps, the flag) ends it. 1 when the
 * IP stays. */
static int string_op(struct exec *x, const cs_x86 *d, char kind)
{
	unsigned size = d->operands[0].type == X86_OP_MEM ? d->operands[0].size : d->operands[1].size;
	int rep = d->prefix[0] == X86_PREFIX_REP || d->prefix[0] == X86_PREFIX_REPNE;
	uint64_t am = addr_mask(x);
	uint64_t cx = gpr_get(x->c, GPR_CX) & am;
	if (size == 0 || size > 8 || (rep && cx == 0))
		return 0;
	uint64_t step = get_eflags(x->c) & EFL_DF ? (uint64_t)0 - size : size;
	uint64_t si = gpr_get(x->c, GPR_SI), di = gpr_get(x->c, GPR_DI), v = 0, w = 0, m = mask_of(size);
	switch (kind) {
	case 'm':
		if (mem_read(x, si & am, size, &v) == 0 && mem_write(x, di & am, size, v) == 0) {
			si += step;
			di += step;
		}
		break;
	case 's':
		if (mem_write(x, di & am, size, gpr_get(x->c, GPR_AX) & m) == 0)
			di += step;
		break;
	case 'l':
		if (mem_read(x, si & am, size, &v) == 0) {
			reg_write(x, d->operands[0].reg, v);
			si += step;
		}
		break;
	default: /* scas compares the accumulator with [di], cmps [si] with [di] */
		if (kind == 'a')
			v = gpr_get(x->c, GPR_AX) & m;
		else if (mem_read(x, si & am, size, &v) < 0)
			break;
		if (mem_read(x, di & am, size, &w) < 0)
			break;
		uint64_t r = (v - w) & m, sign = 1ull << (size * 8 - 1);
		set_flags(x, r, size, v < w, !!((v ^ w) & (v ^ r) & sign), 0);
		di += step;
		if (kind == 'c')
			si += step;
		break;
	}
	if (x->failed)
		return 0;
	gpr_set(x->c, GPR_SI, si & am);
	gpr_set(x->c, GPR_DI, di & am);
	if (!rep)
		return 0;
	cx = (cx - 1) & am;
	gpr_set(x->c, GPR_CX, cx);
	int more = cx != 0;
	if (kind == 'a' || kind == 'c') {
		int zf = !!(get_eflags(x->c) & EFL_ZF);
		more = more && (d->prefix[0] == X86_PREFIX_REPE ? zf : !zf);
	}
	if (more)
		set_ip(x->c, x->st->ip);
	return more;
}

/* Carry out insn on x; 1 when it set the IP itself. */
static int execute(struct exec *x, const cs_insn *insn)
{
	const cs_x86 *d = &insn->detail->x86;
	const cs_x86_op *o0 = &d->operands[0];
	unsigned w = stack_width(x);
	uint64_t v, t;
	switch (insn->id) {
	case X86_INS_MOV:
		if (d->op_count != 2 || op_read(x, &d->operands[1], &v) < 0)
			return 0;
		op_write(x, o0, v);
		return 0;
	case X86_INS_MOVZX:
		if (d->op_count == 2 && op_read(x, &d->operands[1], &v) == 0)
			op_write(x, o0, v);
		return 0;
	case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
		if (d->op_count == 2 && op_read(x, &d->operands[1], &v) == 0) {
			unsigned s = d->operands[1].size;
			if (s && s < 8 && (v & (1ull << (s * 8 - 1))))
				v |= ~mask_of(s);
			op_write(x, o0, v);
		}
		return 0;
	case X86_INS_LEA:
		if (d->op_count == 2 && d->operands[1].type == X86_OP_MEM)
			reg_write(x, o0->reg, effective_address(x, &d->operands[1].mem));
		return 0;
	case X86_INS_PUSH: {
		unsigned size = o0->type == X86_OP_IMM ? w : (o0->size ? o0->size : w);
		if (op_read(x, o0, &v) == 0)
			push(x, o0->type == X86_OP_IMM ? (uint64_t)o0->imm : v, size);
		return 0;
	}
	case X86_INS_POP:
		if (pop(x, &v, o0->size ? o0->size : w) == 0)
			op_write(x, o0, v);
		return 0;
	case X86_INS_LEAVE:
		gpr_set(x->c, GPR_SP, gpr_get(x->c, GPR_BP));
		if (pop(x, &v, w) == 0)
			gpr_set(x->c, GPR_BP, v);
		return 0;
	case X86_INS_CALL:
		x->st->call = 1;
		if (d->op_count != 1 || op_read(x, o0, &t) < 0)
			return 0;
		if (o0->type == X86_OP_IMM)
			t = (uint64_t)o0->imm;
		if (push(x, x->next, w) < 0)
			return 0;
		set_ip(x->c, t & addr_mask(x));
		return 1;
	case X86_INS_RET:
		x->st->ret = 1;
		x->st->ret_sp = gpr_get(x->c, GPR_SP);
		if (pop(x, &t, w) < 0)
			return 0;
		if (d->op_count == 1 && o0->type == X86_OP_IMM)
			gpr_set(x->c, GPR_SP, (gpr_get(x->c, GPR_SP) + (uint64_t)o0->imm) & addr_mask(x));
		set_ip(x->c, t);
		return 1;
	case X86_INS_JMP:
		if (d->op_count != 1 || op_read(x, o0, &t) < 0)
			return 0;
		set_ip(x->c, (o0->type == X86_OP_IMM ? (uint64_t)o0->imm : t) & addr_mask(x));
		return 1;
	case X86_INS_JCXZ:
	case X86_INS_JECXZ:
	case X86_INS_JRCXZ: {
		uint64_t cx = gpr_get(x->c, GPR_CX);
		cx &= insn->id == X86_INS_JCXZ ? 0xffff : insn->id == X86_INS_JECXZ ? 0xffffffff : ~0ull;
		if (cx == 0) {
			set_ip(x->c, (uint64_t)o0->imm & addr_mask(x));
			return 1;
		}
		return 0;
	}
	case X86_INS_LOOP:
	case X86_INS_LOOPE:
	case X86_INS_LOOPNE: {
		uint64_t cx = (gpr_get(x->c, GPR_CX) - 1) & addr_mask(x);
		int zf = !!(get_eflags(x->c) & EFL_ZF);
		gpr_set(x->c, GPR_CX, cx);
		if (cx && (insn->id == X86_INS_LOOP || (insn->id == X86_INS_LOOPE) == zf)) {
			set_ip(x->c, (uint64_t)o0->imm & addr_mask(x));
			return 1;
		}
		return 0;
	}
	case X86_INS_ADD: case X86_INS_SUB: case X86_INS_CMP: case X86_INS_AND:
	case X86_INS_OR: case X86_INS_XOR: case X86_INS_TEST: case X86_INS_INC: case X86_INS_DEC:
		if (d->op_count >= 1)
			alu(x, insn->id, d);
		return 0;
	case X86_INS_NOT: case X86_INS_NEG: case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR: case X86_INS_SAR:
		if (d->op_count >= 1)
			unary_or_shift(x, insn->id, d);
		return 0;
	case X86_INS_MOVABS:
		if (d->op_count == 2 && op_read(x, &d->operands[1], &v) == 0)
			op_write(x, o0, v);
		return 0;
	case X86_INS_XCHG:
		if (d->op_count == 2 && op_read(x, o0, &v) == 0 && op_read(x, &d->operands[1], &t) == 0 &&
		    op_write(x, o0, t) == 0)
			op_write(x, &d->operands[1], v);
		return 0;
	default: {
		char sk = string_kind(insn, d);
		if (sk)
			return string_op(x, d, sk);
		int c = condition(x, insn->id, 0);
		if (c > 0 && d->op_count == 1 && o0->type == X86_OP_IMM) {
			set_ip(x->c, (uint64_t)o0->imm & addr_mask(x));
			return 1;
		}
		if ((c = condition(x, insn->id, 1)) >= 0 && d->op_count == 1) {
			op_write(x, o0, (uint64_t)c);
		} else if ((c = condition(x, insn->id, 2)) >= 0 && d->op_count == 2) {
			/* cmov reads its source either way; a 32-bit one clears
			 * the upper half even when the condition fails */
			if (op_read(x, &d->operands[1], &v) == 0)
				op_write(x, o0, c ? v : (gpr_get(x->c, find_gpr(o0->reg) ? find_gpr(o0->reg)->idx : 0) &
				                         mask_of(o0->size)));
		}
		return 0;
	}
	}
}

int sim_emu_open(struct sim_emu *e, enum kd_machine machine)
{
	memset(e, 0, sizeof *e);
	e->machine = machine;
	if (cs_open(CS_ARCH_X86, machine == KD_MACHINE_AMD64 ? CS_MODE_64 : CS_MODE_32, &e->cs) != CS_ERR_OK)
		return KD_ENOTSUP;
	cs_option(e->cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

void sim_emu_close(struct sim_emu *e)
{
	if (e->cs)
		cs_close(&e->cs);
	e->cs = 0;
}

void sim_emu_step(struct sim_emu *e, struct sim_machine *m, struct kd_context *ctx, struct sim_step *st)
{
	memset(st, 0, sizeof *st);
	uint64_t ip = kd_context_ip(ctx);
	st->ip = ip;
	uint8_t code[16];
	uint32_t got = sim_read(m, ip, code, sizeof code);
	cs_insn *insn = NULL;
	if (!got || cs_disasm(e->cs, code, got, ip, 1, &insn) != 1) {
		st->kind = SIM_STEP_FAULT;
		st->fault_addr = got && got < sizeof code ? ip + got : ip;
		return;
	}
	st->len = insn->size;
	snprintf(st->text, sizeof st->text, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
	if (insn->id == X86_INS_INT3) {
		st->kind = SIM_STEP_INT3;
		cs_free(insn, 1);
		return;
	}
	int halt = insn->id == X86_INS_HLT;
	struct kd_context n = *ctx;
	struct exec x = { m, &n, st, ctx->machine == KD_MACHINE_AMD64, (ip + insn->size) & (ctx->machine == KD_MACHINE_AMD64 ? ~0ull : 0xffffffffull), 0 };
	/* Every explicit memory operand is an access (lea and nops only
	 * compute an address). */
	const cs_x86 *d = &insn->detail->x86;
	if (insn->id != X86_INS_LEA && insn->id != X86_INS_NOP) {
		for (unsigned i = 0; i < d->op_count; i++)
			if (d->operands[i].type == X86_OP_MEM)
				note_access(&x, effective_address(&x, &d->operands[i].mem), d->operands[i].size,
				            !!(d->operands[i].access & CS_AC_WRITE));
	}
	int jumped = execute(&x, insn);
	cs_free(insn, 1);
	if (x.failed) {
		st->kind = SIM_STEP_FAULT;
		return;
	}
	if (!jumped)
		set_ip(&n, x.next);
	*ctx = n;
	st->kind = halt ? SIM_STEP_HALT : SIM_STEP_DONE;
}
