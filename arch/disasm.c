/*
 * WinDbg-notation disassembly over capstone (see disasm.h). Operands are
 * rendered from capstone's decoded details, not its text, so immediates,
 * displacements and targets come out the way WinDbg writes them.
 */
#include "arch/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/regs.h"
#include "base/bytes.h"
#include "base/error.h"

static int open_cs(enum kd_machine m, csh *h)
{
	cs_mode mode = m == KD_MACHINE_AMD64 ? CS_MODE_64 : CS_MODE_32;
	if (cs_open(CS_ARCH_X86, mode, h) != CS_ERR_OK)
		return KD_ENOMEM;
	cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

void kd_disasm_addr(enum kd_machine m, uint64_t addr, char *buf, size_t n)
{
	if (m == KD_MACHINE_AMD64)
		snprintf(buf, n, "%08x`%08x", (unsigned)(addr >> 32), (unsigned)addr);
	else
		snprintf(buf, n, "%08x", (unsigned)addr);
}

void kd_disasm_masm_hex(uint64_t v, char *buf, size_t n)
{
	if (v < 10) {
		snprintf(buf, n, "%u", (unsigned)v);
		return;
	}
	char hex[20];
	snprintf(hex, sizeof hex, "%llX", (unsigned long long)v);
	snprintf(buf, n, "%s%sh", hex[0] > '9' ? "0" : "", hex);
}

/* An absolute x86 address inside brackets: 8 digits, MASM style. */
static void masm_hex_width(uint64_t v, int width, char *buf, size_t n)
{
	char hex[24];
	snprintf(hex, sizeof hex, "%0*llX", width, (unsigned long long)v);
	snprintf(buf, n, "%s%sh", hex[0] > '9' ? "0" : "", hex);
}

static uint64_t mask_bytes(uint64_t v, unsigned size)
{
	return size && size < 8 ? v & ((1ull << (size * 8)) - 1) : v;
}

/* "nt!Foo (80801108)" or just the address. */
static void symbolic(const struct kd_disasm_env *env, uint64_t addr, char *buf, size_t n)
{
	char a[24], sym[300];
	kd_disasm_addr(env->machine, addr, a, sizeof a);
	if (env->symbolize && env->symbolize(env->ctx, addr, sym, sizeof sym) == 0 && sym[0])
		snprintf(buf, n, "%s (%s)", sym, a);
	else
		snprintf(buf, n, "%s", a);
}

static int is_symbol(const struct kd_disasm_env *env, uint64_t v)
{
	char sym[300];
	return env->symbolize && env->symbolize(env->ctx, v, sym, sizeof sym) == 0 && sym[0];
}

static const char *size_name(unsigned size)
{
	switch (size) {
	case 1: return "byte";
	case 2: return "word";
	case 4: return "dword";
	case 6: return "fword";
	case 8: return "qword";
	case 10: return "tbyte";
	case 16: return "xmmword";
	case 32: return "ymmword";
	case 64: return "zmmword";
	}
	return NULL;
}

struct out {
	char *buf;
	size_t n, len;
};

static void put(struct out *o, const char *s)
{
	size_t l = strlen(s);
	if (o->len + l >= o->n)
		l = o->n - o->len - 1;
	memcpy(o->buf + o->len, s, l);
	o->len += l;
	o->buf[o->len] = '\0';
}

/* capstone needs a handle for register names; the renderer keeps one. */
struct renderer {
	csh h;
	const struct kd_disasm_env *env;
};

static void reg(struct renderer *r, int id, struct out *o)
{
	const char *name = cs_reg_name(r->h, (unsigned)id);
	put(o, name ? name : "?");
}

static void render_mem(struct renderer *r, const cs_insn *ci, const cs_x86_op *op, int is_lea,
                         struct out *o)
{
	const struct kd_disasm_env *env = r->env;
	const char *sz = is_lea ? NULL : size_name(op->size);
	char tmp[340];
	if (sz) {
		put(o, sz);
		put(o, " ptr ");
	}
	int seg = op->mem.segment;
	int base = op->mem.base, index = op->mem.index;
	if (seg != X86_REG_INVALID) {
		reg(r, seg, o);
		put(o, ":");
	}
	if (base == X86_REG_RIP) {
		uint64_t target = ci->address + ci->size + (uint64_t)op->mem.disp;
		symbolic(env, target, tmp, sizeof tmp);
		put(o, "[");
		put(o, tmp);
		put(o, "]");
		return;
	}
	if (base == X86_REG_INVALID && index == X86_REG_INVALID) {
		uint64_t a = (uint64_t)op->mem.disp;
		if (env->machine != KD_MACHINE_AMD64)
			a &= 0xffffffffu;
		char sym[300];
		if (seg == X86_REG_INVALID && env->symbolize
		    && env->symbolize(env->ctx, a, sym, sizeof sym) == 0 && sym[0]) {
			symbolic(env, a, tmp, sizeof tmp);
			put(o, "[");
			put(o, tmp);
			put(o, "]");
			return;
		}
		if (seg == X86_REG_INVALID)
			put(o, "ds:");
		/* The moffs forms (mov eax,[addr]: opcodes A0-A3) hold an
		 * address and show all its digits, fs:[00000124h]; a ModRM
		 * displacement shows as a number, fs:[198Ch] (seed 001). */
		uint8_t opc = ci->detail->x86.opcode[0];
		if (env->machine != KD_MACHINE_AMD64 && opc >= 0xa0 && opc <= 0xa3)
			masm_hex_width(a, 8, tmp, sizeof tmp);
		else
			kd_disasm_masm_hex(a, tmp, sizeof tmp);
		put(o, "[");
		put(o, tmp);
		put(o, "]");
		return;
	}
	put(o, "[");
	if (base != X86_REG_INVALID)
		reg(r, base, o);
	if (index != X86_REG_INVALID) {
		if (base != X86_REG_INVALID)
			put(o, "+");
		reg(r, index, o);
		if (op->mem.scale > 1) {
			snprintf(tmp, sizeof tmp, "*%d", op->mem.scale);
			put(o, tmp);
		}
	}
	int64_t d = op->mem.disp;
	if (env->machine != KD_MACHINE_AMD64)
		d = (int32_t)d;
	if (d > 0) {
		put(o, "+");
		kd_disasm_masm_hex((uint64_t)d, tmp, sizeof tmp);
		put(o, tmp);
	} else if (d < 0) {
		put(o, "-");
		kd_disasm_masm_hex(0 - (uint64_t)d, tmp, sizeof tmp);
		put(o, tmp);
	}
	put(o, "]");
}

/* String instructions: WinDbg writes "rep movs dword ptr es:[edi],dword ptr [esi]"
 * and "stos dword ptr es:[edi]" (no accumulator operand). Returns 1 when
 * the mnemonic was one; *drop_reg when register operands are left out. */
static int string_op(char *mn, int *drop_reg)
{
	static const char *const ops[] = { "movs", "cmps", "stos", "lods", "scas", "ins", "outs" };
	char *word = strrchr(mn, ' ');
	word = word ? word + 1 : mn;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t l = strlen(ops[i]);
		if (strncmp(word, ops[i], l) == 0 && strchr("bwdq", word[l]) && word[l] && !word[l + 1]) {
			word[l] = '\0';
			*drop_reg = i >= 2 && i <= 4; /* stos lods scas: the accumulator */
			return 1;
		}
	}
	return 0;
}

static int decode_with(csh h, const struct kd_disasm_env *env, const uint8_t *code, size_t len,
                       uint64_t addr, struct kd_insn *out)
{
	memset(out, 0, sizeof *out);
	out->addr = addr;
	out->readable = len > 0;
	if (len == 0) {
		out->size = 1;
		return 0;
	}
	cs_insn *ci = NULL;
	size_t count = cs_disasm(h, code, len > KD_INSN_MAX ? KD_INSN_MAX : len, addr, 1, &ci);
	if (count == 0) {
		out->size = 1;
		out->bytes[0] = code[0];
		return 0;
	}
	out->valid = 1;
	out->size = ci->size;
	memcpy(out->bytes, ci->bytes, ci->size > KD_INSN_MAX ? KD_INSN_MAX : ci->size);
	snprintf(out->mnemonic, sizeof out->mnemonic, "%s", ci->mnemonic);
	if (!strcmp(out->mnemonic, "int3")) {
		snprintf(out->mnemonic, sizeof out->mnemonic, "int");
		snprintf(out->operands, sizeof out->operands, "3");
		out->is_int3 = 1;
	} else if (!strcmp(out->mnemonic, "movabs")) {
		snprintf(out->mnemonic, sizeof out->mnemonic, "mov");
	} else if (!strcmp(out->mnemonic, "pushal") || !strcmp(out->mnemonic, "popal")) {
		out->mnemonic[strlen(out->mnemonic) - 1] = 'd';
	}
	out->is_call = cs_insn_group(h, ci, CS_GRP_CALL);
	out->is_ret = cs_insn_group(h, ci, CS_GRP_RET) || cs_insn_group(h, ci, CS_GRP_IRET);
	out->is_jump = cs_insn_group(h, ci, CS_GRP_JUMP);
	out->is_cond = out->is_jump && strcmp(out->mnemonic, "jmp") != 0
	               && strcmp(out->mnemonic, "ljmp") != 0;

	const cs_x86 *x = &ci->detail->x86;
	int is_lea = !strcmp(ci->mnemonic, "lea");
	int drop_reg = 0;
	/* movsd/cmpsd with xmm operands are SSE, not string instructions:
	 * those always address memory through esi/edi. */
	int stringop = 0;
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type == X86_OP_MEM && (op->mem.base == X86_REG_ESI || op->mem.base == X86_REG_EDI
		    || op->mem.base == X86_REG_RSI || op->mem.base == X86_REG_RDI || op->mem.base == X86_REG_SI
		    || op->mem.base == X86_REG_DI))
			stringop = 1;
		if (op->type == X86_OP_REG && op->reg >= X86_REG_XMM0 && op->reg <= X86_REG_XMM31)
			stringop = 0;
	}
	if (stringop)
		stringop = string_op(out->mnemonic, &drop_reg);
	struct renderer r = { h, env };
	struct out o = { out->operands, sizeof out->operands, strlen(out->operands) };
	int first = 1;
	char tmp[400];
	for (unsigned i = 0; i < x->op_count && !out->is_int3; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (stringop && drop_reg && op->type == X86_OP_REG)
			continue;
		if (!first)
			put(&o, ",");
		first = 0;
		switch (op->type) {
		case X86_OP_REG:
			reg(&r, op->reg, &o);
			break;
		case X86_OP_IMM:
			if ((out->is_call || out->is_jump) && x->op_count == 1) {
				out->has_target = 1;
				out->target = (uint64_t)op->imm;
				if (env->machine != KD_MACHINE_AMD64)
					out->target &= 0xffffffffu;
				symbolic(env, out->target, tmp, sizeof tmp);
			} else if (op->size == (env->machine == KD_MACHINE_AMD64 ? 8 : 4)
			           && is_symbol(env, mask_bytes((uint64_t)op->imm, op->size))) {
				/* An address-sized constant inside a module: "offset". */
				char sym[340];
				symbolic(env, mask_bytes((uint64_t)op->imm, op->size), sym, sizeof sym);
				snprintf(tmp, sizeof tmp, "offset %s", sym);
			} else {
				kd_disasm_masm_hex(mask_bytes((uint64_t)op->imm, op->size), tmp, sizeof tmp);
			}
			put(&o, tmp);
			break;
		case X86_OP_MEM:
			render_mem(&r, ci, op, is_lea, &o);
			if (!out->has_mem) {
				out->has_mem = 1;
				out->mem_seg = op->mem.segment;
				out->mem_base = op->mem.base;
				out->mem_index = op->mem.index;
				out->mem_scale = op->mem.scale;
				out->mem_disp = op->mem.disp;
				out->mem_size = is_lea ? 0 : op->size;
				if (op->mem.base == X86_REG_RIP) {
					out->mem_base = 0;
					out->mem_disp = (int64_t)(ci->address + ci->size + (uint64_t)op->mem.disp);
				}
			}
			break;
		default:
			break;
		}
	}
	cs_free(ci, count);
	return 0;
}

int kd_disasm_decode(const struct kd_disasm_env *env, const uint8_t *code, size_t len,
                     uint64_t addr, struct kd_insn *out)
{
	csh h;
	int rc = open_cs(env->machine, &h);
	if (rc < 0)
		return rc;
	rc = decode_with(h, env, code, len, addr, out);
	cs_close(&h);
	return rc;
}

int kd_disasm_one(const struct kd_disasm_env *env, uint64_t addr, struct kd_insn *out)
{
	uint8_t code[KD_INSN_MAX];
	size_t done = 0;
	if (env->read(env->ctx, addr, code, sizeof code, &done) < 0)
		done = 0;
	return kd_disasm_decode(env, code, done, addr, out);
}

void kd_disasm_format(const struct kd_disasm_env *env, const struct kd_insn *in, char *buf, size_t n)
{
	char a[24], bytes[2 * KD_INSN_MAX + 1];
	kd_disasm_addr(env->machine, in->addr, a, sizeof a);
	bytes[0] = '\0';
	if (!in->readable) {
		snprintf(buf, n, "%s %-16s%s", a, "??", "???");
		return;
	}
	for (unsigned i = 0; i < in->size && i < KD_INSN_MAX; i++)
		snprintf(bytes + 2 * i, 3, "%02x", in->bytes[i]);
	if (!in->valid) {
		snprintf(buf, n, "%s %-16s%s", a, bytes, "???");
		return;
	}
	/* The bytes column is 16 wide, or as wide as it must be plus a space;
	 * the mnemonic column 7 plus a space. */
	char col[2 * KD_INSN_MAX + 2];
	snprintf(col, sizeof col, strlen(bytes) < 16 ? "%-16s" : "%s ", bytes);
	if (in->operands[0])
		snprintf(buf, n, "%s %s%-7s %s", a, col, in->mnemonic, in->operands);
	else
		snprintf(buf, n, "%s %s%s", a, col, in->mnemonic);
}

/* The column WinDbg starts the effective address note at. */
#define EA_COLUMN 54

void kd_disasm_effective_address(const struct kd_disasm_env *env, const struct kd_insn *in,
                                 const struct kd_context *ctx, size_t line_len,
                                 char *buf, size_t n)
{
	buf[0] = '\0';
	if (!in->valid || !in->has_mem || in->mem_size == 0 || in->mem_size > 8 || !ctx)
		return;
	csh h;
	if (open_cs(env->machine, &h) < 0)
		return;
	int is64 = ctx->machine == KD_MACHINE_AMD64;
	uint64_t ea = (uint64_t)in->mem_disp;
	int ok = 1;
	const char *segname = NULL;
	int ints[2] = { in->mem_base, in->mem_index };
	for (int i = 0; i < 2; i++) {
		if (!ints[i])
			continue;
		const char *name = cs_reg_name(h, (unsigned)ints[i]);
		const struct kd_reg *r = name ? kd_reg_find(ctx->machine, name, strlen(name)) : NULL;
		if (!r) {
			ok = 0;
			continue;
		}
		uint64_t v = kd_reg_get(ctx, r);
		ea += i == 1 ? v * (uint64_t)(in->mem_scale ? in->mem_scale : 1) : v;
	}
	if (in->mem_seg)
		segname = cs_reg_name(h, (unsigned)in->mem_seg);
	else if (in->mem_base == X86_REG_EBP || in->mem_base == X86_REG_ESP
	         || in->mem_base == X86_REG_RBP || in->mem_base == X86_REG_RSP)
		segname = "ss";
	else
		segname = "ds";
	cs_close(&h);
	if (!ok || !segname)
		return;
	if (!is64)
		ea &= 0xffffffffu;
	const struct kd_reg *sr = kd_reg_find(ctx->machine, segname, 2);
	unsigned sel = sr ? (unsigned)kd_reg_get(ctx, sr) : 0;
	char val[24], target[340] = "";
	uint8_t data[8];
	size_t done = 0;
	/* fs/gs addresses are relative to a segment base we do not track. */
	int flat = strcmp(segname, "fs") != 0 && strcmp(segname, "gs") != 0;
	if (flat && env->read && env->read(env->ctx, ea, data, in->mem_size, &done) == 0
	    && done == in->mem_size) {
		uint64_t v = kd_le(data, in->mem_size);
		snprintf(val, sizeof val, "%0*llx", (int)in->mem_size * 2, (unsigned long long)v);
		/* A call or jump through memory shows where it goes. */
		unsigned ptr = is64 ? 8 : 4;
		char sym[300];
		if ((in->is_call || in->is_jump) && in->mem_size == ptr && env->symbolize
		    && env->symbolize(env->ctx, v, sym, sizeof sym) == 0 && sym[0]) {
			char ta[24];
			kd_disasm_addr(ctx->machine, v, ta, sizeof ta);
			snprintf(target, sizeof target, "{%s (%s)}", sym, ta);
		}
	} else {
		memset(val, '?', in->mem_size * 2);
		val[in->mem_size * 2] = '\0';
	}
	char a[24];
	kd_disasm_addr(ctx->machine, ea, a, sizeof a);
	int pad = line_len < EA_COLUMN ? (int)(EA_COLUMN - line_len) : 1;
	const char *shown = target[0] ? target : val;
	/* x64 shows the selector when the context has one (ds:002b:...);
	 * contexts built from trap frames do not. */
	if (is64 && !sel)
		snprintf(buf, n, "%*s%s:%s=%s", pad, "", segname, a, shown);
	else
		snprintf(buf, n, "%*s%s:%04x:%s=%s", pad, "", segname, sel, a, shown);
}

/* --- backwards ----------------------------------------------------------- */

/* Read [start, end) into buf; returns the first readable offset (the
 * bytes before it are unknown), end - start when nothing is readable. */
static size_t read_back(const struct kd_disasm_env *env, uint64_t start, uint64_t end, uint8_t *buf)
{
	size_t len = (size_t)(end - start);
	size_t off = 0;
	while (off < len) {
		size_t done = 0;
		if (env->read(env->ctx, start + off, buf + off, len - off, &done) == 0 && done == len - off)
			return off;
		/* Skip to the next page: the range starts on an unmapped one. */
		uint64_t next = ((start + off) | 0xfff) + 1;
		off = (size_t)(next - start);
	}
	return len;
}

static uint64_t back_from_function(const struct kd_disasm_env *env, csh h, uint64_t addr,
                                   unsigned count, uint64_t func)
{
	if (!func || func >= addr || addr - func > 0x10000)
		return 0;
	size_t len = (size_t)(addr - func);
	uint8_t *buf = malloc(len + KD_INSN_MAX);
	uint64_t *starts = malloc(sizeof *starts * (len + 1));
	uint64_t result = 0;
	if (!buf || !starts)
		goto out;
	size_t done = 0;
	if (env->read(env->ctx, func, buf, len, &done) < 0 || done != len)
		goto out;
	size_t n = 0, off = 0;
	while (off < len) {
		struct kd_insn in;
		decode_with(h, env, buf + off, len - off, func + off, &in);
		starts[n++] = func + off;
		off += in.size;
	}
	/* WinDbg's ub does not go back past the start of the function
	 * (seed 000: six instructions after nt!IoIsOperationSynchronous). */
	if (off == len)
		result = n >= count ? starts[n - count] : func;
out:
	free(buf);
	free(starts);
	return result;
}

uint64_t kd_disasm_back(const struct kd_disasm_env *env, uint64_t addr, unsigned count,
                        uint64_t func_start)
{
	if (count == 0)
		return addr;
	if (count > 256)
		count = 256;
	csh h;
	if (open_cs(env->machine, &h) < 0)
		return addr;
	uint64_t r = back_from_function(env, h, addr, count, func_start);
	if (r) {
		cs_close(&h);
		return r;
	}
	/* Decode at every byte of a window before addr. Each offset's decode
	 * leads to the next; chains that end exactly at addr are candidates,
	 * and at each step back the predecessor most chains pass through is
	 * taken (x86 decoding resynchronises within a few instructions). */
	size_t window = (size_t)count * KD_INSN_MAX + 64;
	uint64_t start = addr > window ? addr - window : 0;
	if (env->machine != KD_MACHINE_AMD64 && addr < window)
		start = 0;
	size_t len = (size_t)(addr - start);
	uint8_t *buf = malloc(len + 1);
	size_t *next = malloc(sizeof *next * (len + 1));
	unsigned *votes = calloc(len + 1, sizeof *votes);
	uint8_t *reach = calloc(len + 1, 1);
	uint64_t result = addr;
	if (!buf || !next || !votes || !reach)
		goto out;
	size_t first = read_back(env, start, addr, buf);
	for (size_t o = first; o < len; o++) {
		struct kd_insn in;
		decode_with(h, env, buf + o, len - o, start + o, &in);
		/* An instruction that runs past addr cannot precede it, and
		 * none starts inside a run of zero fill: "00 00" is padding
		 * (or data), not the "add [eax],al" it decodes to. */
		int zero_fill = buf[o] == 0 && ((o > first && (buf[o - 1] == 0 || buf[o - 1] == 0xcc))
		                                || (o + 1 < len && buf[o + 1] == 0));
		next[o] = in.valid && !zero_fill ? o + in.size : len + 1;
	}
	/* reach[o]: the chain from o lands exactly on addr. */
	for (size_t o = len; o-- > first;)
		reach[o] = next[o] == len || (next[o] < len && reach[next[o]]);
	/* votes[o]: how many starting offsets' chains pass through o. Code
	 * right after int3 or zero padding starts a function: it counts as
	 * many chains. */
	for (size_t o = first; o < len; o++) {
		votes[o] += 1;
		if (o > first + 1 && (buf[o - 1] == 0xcc || (buf[o - 1] == 0 && buf[o - 2] == 0)))
			votes[o] += 64;
		if (next[o] < len)
			votes[next[o]] += votes[o];
	}
	size_t cur = len;
	for (unsigned k = 0; k < count; k++) {
		size_t best = (size_t)-1;
		/* Predecessors of cur lie within KD_INSN_MAX bytes before it. */
		for (size_t p = cur > KD_INSN_MAX ? cur - KD_INSN_MAX : 0; p < cur; p++) {
			if (p < first || next[p] != cur || !reach[p])
				continue;
			if (best == (size_t)-1 || votes[p] > votes[best])
				best = p;
		}
		if (best == (size_t)-1)
			break;
		cur = best;
	}
	result = start + cur;
out:
	cs_close(&h);
	free(buf);
	free(next);
	free(votes);
	free(reach);
	return result;
}

int kd_disasm_env_read_exact(const struct kd_disasm_env *env, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	if (env->read(env->ctx, addr, buf, len, &done) < 0 || done != len)
		return KD_EUNREADABLE;
	return 0;
}
