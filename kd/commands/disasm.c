/*
 * Disassembly commands: u (forward, continuing where the last one
 * stopped), ub (backwards, on real instruction boundaries) and uf (a whole
 * function, following its branches), in WinDbg's layout with a symbol
 * line wherever a listing starts or reaches a symbol.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/disasm.h"
#include "arch/pdata.h"
#include "kd/commands/command.h"
#include "kd/engine/expr.h"

#define DEFAULT_COUNT 8
#define UF_MAX_INSNS 20000

static int env_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	return kd_read_virtual(ctx, addr, buf, len, done);
}

static int env_symbolize(void *ctx, uint64_t addr, char *buf, size_t n)
{
	return kd_format_symbol(ctx, addr, buf, n);
}

void kd_disasm_env_engine(struct kd_disasm_env *env, struct kd_engine *eng)
{
	env->machine = kd_engine_machine(eng);
	env->read = env_read;
	env->symbolize = env_symbolize;
	env->ctx = eng;
}

/* Where `u` without an address continues. */
struct disasm_state {
	uint64_t next;
	int valid;
};

static struct disasm_state *state_of(struct kd_engine *eng)
{
	return kd_engine_ext_zalloc(eng, "disasm", sizeof(struct disasm_state));
}

int kd_disasm_show_current(struct kd_engine *eng, const struct kd_context *c)
{
	struct kd_context own;
	if (!c) {
		int rc = kd_get_context(eng, &own);
		if (rc < 0)
			return rc;
		c = &own;
	}
	struct kd_disasm_env env;
	kd_disasm_env_engine(&env, eng);
	env.machine = c->machine;
	uint64_t ip = kd_context_ip(c);
	char sym[512], line[600], ea[128];
	if (kd_format_symbol(eng, ip, sym, sizeof sym) == 0)
		kd_printf(eng, "%s:\n", sym);
	struct kd_insn in;
	kd_disasm_one(&env, ip, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	kd_disasm_effective_address(&env, &in, c, strlen(line), ea, sizeof ea);
	kd_printf(eng, "%s%s\n", line, ea);
	struct disasm_state *st = state_of(eng);
	if (st) {
		st->next = ip;
		st->valid = 1;
	}
	return 0;
}

/* The start of the symbol addr lies in, when the symbols layer knows it
 * ("nt!Foo+0x1c" gives addr - 0x1c); 0 for module+offset names. */
static uint64_t symbol_start(struct kd_engine *eng, uint64_t addr, char *name, size_t n)
{
	char sym[512];
	if (kd_format_symbol(eng, addr, sym, sizeof sym) < 0 || !strchr(sym, '!'))
		return 0;
	char *plus = strrchr(sym, '+');
	uint64_t disp = 0;
	if (plus && plus[1] == '0' && plus[2] == 'x') {
		disp = strtoull(plus + 3, NULL, 16);
		*plus = '\0';
	}
	if (name)
		snprintf(name, n, "%s", sym);
	return disp <= addr ? addr - disp : 0;
}

/* Where the function holding addr starts: from its symbol, else on x64
 * from the module's function table (.pdata) in memory; 0 when unknown. */
static uint64_t function_start(struct kd_engine *eng, uint64_t addr)
{
	uint64_t s = symbol_start(eng, addr, NULL, 0);
	if (kd_engine_machine(eng) != KD_MACHINE_AMD64)
		return s;
	/* The function table is exact where a public symbol (an export
	 * far before addr) is not: take whichever start is closer. */
	const struct kd_module *m = kd_engine_module_by_addr(eng, addr);
	struct kd_disasm_env env;
	kd_disasm_env_engine(&env, eng);
	uint64_t b, e;
	if (m && kd_x64_pdata_lookup(&env, m->base, addr, &b, &e) == 0 && b > s)
		return b;
	return s;
}

/* "[Address] [L Count | Range]" with Count in instructions. *has_end
 * tells a range from a count. */
static uint64_t current_ip(struct kd_engine *eng, int *ok)
{
	struct kd_context c;
	*ok = kd_get_context(eng, &c) == 0;
	return *ok ? kd_context_ip(&c) : 0;
}

/* One listing line, with the symbol line first when addr starts a
 * symbol (or always, for the first line of a listing). */
static uint64_t print_insn(struct kd_engine *eng, const struct kd_disasm_env *env, uint64_t addr,
                           int first, const char *suffix_if_cond)
{
	char sym[512], line[600];
	if (kd_format_symbol(eng, addr, sym, sizeof sym) == 0 && (first || !strchr(sym, '+')))
		kd_printf(eng, "%s:\n", sym);
	struct kd_insn in;
	kd_disasm_one(env, addr, &in);
	kd_disasm_format(env, &in, line, sizeof line);
	kd_printf(eng, "%s%s\n", line, suffix_if_cond && in.is_cond ? suffix_if_cond : "");
	return addr + in.size;
}

static int cmd_u(struct kd_engine *eng, const char *name, const char *args)
{
	if (!kd_engine_target(eng)) {
		kd_eprintf(eng, "%s: %s\n", name, kd_strerror(KD_EDISCONNECTED));
		return KD_EDISCONNECTED;
	}
	struct disasm_state *st = state_of(eng);
	struct kd_range r;
	char msg[300];
	int rc = kd_range_parse(eng, args, &r, msg, sizeof msg);
	/* Like the memory commands, refuse absurd spans instead of listing
	 * gigabytes. */
	if (rc == 0 && r.has_end && (!r.has_addr || r.end < r.addr || r.end - r.addr > 0x100000))
		rc = kd_fail(msg, sizeof msg, KD_EINVAL, "Range error in '%s'", args);
	if (rc < 0) {
		kd_eprintf(eng, "%s\n", msg);
		return rc;
	}
	uint64_t addr = r.addr, count = r.has_count ? r.count : DEFAULT_COUNT, end_addr = r.end;
	int has_addr = r.has_addr, has_end = r.has_end;
	int ok = 1;
	if (!has_addr)
		addr = st && st->valid ? st->next : current_ip(eng, &ok);
	if (!ok) {
		kd_eprintf(eng, "%s: no register context\n", name);
		return KD_ENOTSUP;
	}
	if (!kd_engine_is_64bit(eng))
		addr &= 0xffffffffu;
	struct kd_disasm_env env;
	kd_disasm_env_engine(&env, eng);
	if (!strcmp(name, "ub")) {
		if (has_end) {
			/* "ub end start": WinDbg lists what lies between. */
			kd_eprintf(eng, "Syntax error: ub takes an address and a count\n");
			return KD_EINVAL;
		}
		uint64_t func = function_start(eng, addr);
		uint64_t start = kd_disasm_back(&env, addr, (unsigned)(count > 256 ? 256 : count), func);
		uint64_t a = start;
		for (int first = 1; a < addr && !kd_engine_canceled(eng); first = 0)
			a = print_insn(eng, &env, a, first, NULL);
		if (st) {
			st->next = addr;
			st->valid = 1;
		}
		return 0;
	}
	uint64_t a = addr;
	if (has_end) {
		/* The range ends before its end address (seed 001's
		 * "u 82a85e1b 82a85e7d" stops at 82a85e7b). */
		for (int first = 1; a < end_addr && !kd_engine_canceled(eng); first = 0)
			a = print_insn(eng, &env, a, first, NULL);
	} else {
		for (uint64_t i = 0; i < count && !kd_engine_canceled(eng); i++)
			a = print_insn(eng, &env, a, i == 0, NULL);
	}
	if (st) {
		st->next = a;
		st->valid = 1;
	}
	return 0;
}

/* uf: the blocks reachable from the function start, in address order. */
struct block_set {
	uint64_t *starts;
	size_t n, cap;
};

#define UF_MAX_BLOCKS 2048

static int block_add(struct block_set *b, uint64_t a)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->starts[i] == a)
			return 0;
	/* Bounded: blocks are searched linearly. */
	if (b->n >= UF_MAX_BLOCKS)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		uint64_t *s = realloc(b->starts, cap * sizeof *s);
		if (!s)
			return KD_ENOMEM;
		b->starts = s;
		b->cap = cap;
	}
	b->starts[b->n++] = a;
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmd_uf(struct kd_engine *eng, const char *name, const char *args)
{
	if (!kd_engine_target(eng)) {
		kd_eprintf(eng, "%s: %s\n", name, kd_strerror(KD_EDISCONNECTED));
		return KD_EDISCONNECTED;
	}
	char msg[300];
	uint64_t addr;
	const char *end;
	int rc = kd_eval_msg(eng, kd_skip_spaces(args), &addr, &end, msg, sizeof msg);
	if (rc < 0) {
		kd_eprintf(eng, "%s\n", msg);
		return rc;
	}
	if (!kd_engine_is_64bit(eng))
		addr &= 0xffffffffu;
	char fname[512] = "";
	uint64_t sym_start = symbol_start(eng, addr, fname, sizeof fname);
	uint64_t func = function_start(eng, addr);
	/* The function table knows the function better than the symbol. */
	int by_table = func && func != sym_start;
	if (!func)
		func = addr;
	struct kd_disasm_env env;
	kd_disasm_env_engine(&env, eng);
	/* Instructions already listed, as [start, end) of each block. */
	struct block_set todo = { 0 }, done = { 0 };
	uint64_t *ends = NULL;
	if (block_add(&todo, func) < 0)
		return KD_ENOMEM;
	size_t total = 0;
	for (size_t i = 0; i < todo.n && total < UF_MAX_INSNS; i++) {
		uint64_t a = todo.starts[i];
		for (;;) {
			struct kd_insn in;
			kd_disasm_one(&env, a, &in);
			total++;
			if (!in.valid || total >= UF_MAX_INSNS)
				break;
			/* Follow branches that stay in the same function. */
			if ((in.is_jump) && in.has_target) {
				char tname[512] = "";
				uint64_t tf = symbol_start(eng, in.target, tname, sizeof tname);
				if (by_table)
					tf = function_start(eng, in.target);
				if (((fname[0] || by_table) && tf == func) || (!fname[0] && !by_table
				    && in.target >= func && in.target - func < 0x10000))
					block_add(&todo, in.target);
			}
			a += in.size;
			if (in.is_ret || (in.is_jump && !in.is_cond) || in.is_int3)
				break;
			/* After a conditional branch the fall-through is a block of
			 * its own, with its own symbol line. */
			if (in.is_cond) {
				block_add(&todo, a);
				break;
			}
			/* A fall-through into another block's start ends this one. */
			int hit = 0;
			for (size_t j = 0; j < todo.n; j++)
				hit |= todo.starts[j] == a;
			if (hit)
				break;
		}
		if (block_add(&done, todo.starts[i]) < 0)
			break;
		uint64_t *e = realloc(ends, done.n * sizeof *e);
		if (!e)
			break;
		ends = e;
		ends[done.n - 1] = a;
	}
	/* Print blocks in address order, each with its symbol line. */
	size_t n = done.n;
	if (!ends || (n == 1 && ends[0] == done.starts[0])) {
		/* Not even one instruction at the start. */
		rc = ends ? KD_EINVAL : KD_ENOMEM;
		kd_eprintf(eng, ends ? "No code found, aborting\n" : "Out of memory\n");
		free(todo.starts);
		free(done.starts);
		free(ends);
		return rc;
	}
	uint64_t (*pairs)[2] = malloc(n * sizeof *pairs);
	if (!pairs) {
		free(todo.starts);
		free(done.starts);
		free(ends);
		return KD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		pairs[i][0] = done.starts[i];
		pairs[i][1] = ends[i];
	}
	qsort(pairs, n, sizeof *pairs, cmp_u64);
	for (size_t i = 0; i < n && !kd_engine_canceled(eng); i++) {
		if (i)
			kd_printf(eng, "\n");
		uint64_t a = pairs[i][0];
		for (int first = 1; a < pairs[i][1]; first = 0) {
			char sym[512], line[600];
			if (first && kd_format_symbol(eng, a, sym, sizeof sym) == 0)
				kd_printf(eng, "%s:\n", sym);
			struct kd_insn in;
			kd_disasm_one(&env, a, &in);
			kd_disasm_format(&env, &in, line, sizeof line);
			kd_printf(eng, "%s%s\n", line, in.is_cond ? "  Branch" : "");
			a += in.size;
		}
	}
	free(pairs);
	free(todo.starts);
	free(done.starts);
	free(ends);
	return 0;
}

const struct kd_command kd_cmds_disasm[] = {
	{ "u", cmd_u, "u [Address] [L Count | Range]", "disassemble forward" },
	{ "ub", cmd_u, "ub [Address] [L Count]", "disassemble the instructions before an address" },
	{ "uf", cmd_uf, "uf Address", "disassemble a whole function, following its branches" },
	{ NULL, NULL, NULL, NULL },
};
