/*
 * The MASM expression evaluator: numbers in WinDbg's notations (default
 * radix 16, 0x 0n 0t 0y prefixes, backtick-grouped 64-bit values),
 * registers and pseudo-registers, module!symbol names, poi/dwo/qwo/wo/by
 * memory reads and the MASM operators with their precedence:
 *
 *   unary (- + ~ not hi low poi dwo qwo wo by)  >  * / % mod  >  + -
 *   >  << >> >>>  >  = == != < > <= >=  >  & and  >  ^ xor  >  | or
 *
 * Outside parentheses a space ends the expression unless an operator
 * follows it, so "dd esp L8" evaluates "esp" and leaves "L8" to the
 * command, while "esp+ 8" and "1 + 2" are whole expressions.
 */
#include "kd/engine/expr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch/regs.h"
#include "base/bytes.h"
#include "kd/engine/engine.h"
#include "base/error.h"
#include "kd/engine/kthread.h"
#include "kd/engine/stack.h"

/* Recursion steps (about nine per parenthesis level): deep enough for
 * any real expression, small enough for the C stack. */
#define MAX_DEPTH 1000

struct parser {
	const struct kd_expr_ops *ops;
	const char *s;
	int depth;       /* parenthesis nesting: spaces are free inside */
	int recursion;
	int err;
	const char *err_at;
	const char *err_kind;
	struct kd_context ctx;
	int have_ctx;
};

enum binop {
	OP_NONE, OP_OR, OP_XOR, OP_AND, OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE,
	OP_SHL, OP_SHR, OP_SAR, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
};

/* Precedence levels, lowest first. */
enum level { LV_OR, LV_XOR, LV_AND, LV_CMP, LV_SHIFT, LV_ADD, LV_MUL, LV_UNARY };

static int fail(struct parser *p, int err, const char *kind, const char *at)
{
	if (!p->err) {
		p->err = err;
		p->err_kind = kind;
		p->err_at = at;
	}
	return err;
}

int kd_expr_token_char(int c)
{
	return isalnum(c) || c == '_' || c == '$' || c == '@' || c == '!' || c == '.'
	    || c == '`' || c == '?';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip(const char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

/* A word operator ("and", "mod", "poi") at s: the word, then a character
 * that cannot continue an identifier. */
static int word_at(const char *s, const char *word)
{
	size_t n = strlen(word);
	return strncasecmp(s, word, n) == 0 && !kd_expr_token_char((unsigned char)s[n]);
}

/* The binary operator at s, its level and length; OP_NONE when none. */
static enum binop binop_at(const char *s, enum level *lv, size_t *len)
{
	static const struct {
		const char *text;
		enum binop op;
		enum level lv;
		int word;
	} ops[] = {
		{ ">>>", OP_SAR, LV_SHIFT, 0 }, { "<<", OP_SHL, LV_SHIFT, 0 },
		{ ">>", OP_SHR, LV_SHIFT, 0 }, { "==", OP_EQ, LV_CMP, 0 },
		{ "!=", OP_NE, LV_CMP, 0 }, { "<=", OP_LE, LV_CMP, 0 },
		{ ">=", OP_GE, LV_CMP, 0 }, { "=", OP_EQ, LV_CMP, 0 },
		{ "<", OP_LT, LV_CMP, 0 }, { ">", OP_GT, LV_CMP, 0 },
		{ "|", OP_OR, LV_OR, 0 }, { "^", OP_XOR, LV_XOR, 0 },
		{ "&", OP_AND, LV_AND, 0 }, { "+", OP_ADD, LV_ADD, 0 },
		{ "-", OP_SUB, LV_ADD, 0 }, { "*", OP_MUL, LV_MUL, 0 },
		{ "/", OP_DIV, LV_MUL, 0 }, { "%", OP_MOD, LV_MUL, 0 },
		{ "or", OP_OR, LV_OR, 1 }, { "xor", OP_XOR, LV_XOR, 1 },
		{ "and", OP_AND, LV_AND, 1 }, { "mod", OP_MOD, LV_MUL, 1 },
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t n = strlen(ops[i].text);
		if (ops[i].word ? word_at(s, ops[i].text) : strncmp(s, ops[i].text, n) == 0) {
			*lv = ops[i].lv;
			*len = n;
			return ops[i].op;
		}
	}
	return OP_NONE;
}

static int parse_level(struct parser *p, enum level lv, uint64_t *out);

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* A number token [tok, tok+len): 1 and *v when it is one, 0 when it is not
 * a number, negative on overflow. */
static int parse_number(struct parser *p, const char *tok, size_t len, uint64_t *v)
{
	unsigned radix = 16;
	size_t i = 0;
	if (len >= 2 && tok[0] == '0') {
		switch (tolower((unsigned char)tok[1])) {
		case 'x': radix = 16; i = 2; break;
		case 'n': radix = 10; i = 2; break;
		case 't': radix = 8; i = 2; break;
		case 'y': radix = 2; i = 2; break;
		}
	}
	if (i == len)
		return 0;
	uint64_t x = 0;
	int digits = 0;
	for (; i < len; i++) {
		if (tok[i] == '`')
			continue;
		unsigned d = (unsigned)digit_value(tok[i]);
		if (d >= radix)
			return 0;
		if (x > (UINT64_MAX - d) / radix)
			return fail(p, KD_EINVAL, "Numeric overflow", tok);
		x = x * radix + d;
		digits++;
	}
	if (!digits)
		return 0;
	*v = x;
	return 1;
}

static int need_context(struct parser *p, const char *at)
{
	if (p->have_ctx)
		return 0;
	if (!p->ops->get_context || p->ops->get_context(p->ops->ctx, &p->ctx) < 0)
		return fail(p, KD_ENOTFOUND, "Bad register", at);
	p->have_ctx = 1;
	return 0;
}

static int pseudo_register(struct parser *p, const char *name, size_t len, const char *at,
                           uint64_t *v)
{
	char buf[64];
	if (len >= sizeof buf)
		return fail(p, KD_ENOTFOUND, "Bad register", at);
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!strcasecmp(buf, "$ptrsize")) {
		*v = p->ops->machine == KD_MACHINE_AMD64 ? 8 : 4;
		return 0;
	}
	if (!strcasecmp(buf, "$ip") || !strcasecmp(buf, "$csp") || !strcasecmp(buf, "$retreg")) {
		if (need_context(p, at) < 0)
			return p->err;
		*v = !strcasecmp(buf, "$ip") ? kd_context_ip(&p->ctx)
		   : !strcasecmp(buf, "$csp") ? kd_context_sp(&p->ctx)
		   : p->ctx.machine == KD_MACHINE_AMD64 ? p->ctx.u.x64.Rax : p->ctx.u.x86.Eax;
		return 0;
	}
	if (p->ops->pseudo && p->ops->pseudo(p->ops->ctx, buf, v) == 0)
		return 0;
	return fail(p, KD_ENOTFOUND, "Bad register", at);
}

static int register_value(struct parser *p, const char *name, size_t len, const char *at,
                          uint64_t *v)
{
	const struct kd_reg *r = kd_reg_find(p->ops->machine, name, len);
	if (!r)
		return KD_ENOTFOUND;
	if (need_context(p, at) < 0)
		return p->err;
	*v = kd_reg_get(&p->ctx, r);
	return 0;
}

/* A name, number or register token at p->s. */
static int parse_token(struct parser *p, uint64_t *v)
{
	const char *start = p->s, *tok = p->s;
	size_t len = 0;
	/* C++ names keep their scopes: nt!Foo::Bar. */
	for (;;) {
		if (kd_expr_token_char((unsigned char)tok[len]))
			len++;
		else if (tok[len] == ':' && tok[len + 1] == ':')
			len += 2;
		else
			break;
	}
	if (len == 0)
		return fail(p, KD_EINVAL, "Syntax", start);
	p->s = tok + len;
	if (tok[0] == '@') {
		tok++;
		len--;
		if (len && tok[0] == '$')
			return pseudo_register(p, tok, len, start, v);
		if (register_value(p, tok, len, start, v) == 0)
			return 0;
		return fail(p, p->err ? p->err : KD_ENOTFOUND, "Bad register", start);
	}
	if (tok[0] == '$')
		return pseudo_register(p, tok, len, start, v);
	/* "." is the current address, as $ip. */
	if (len == 1 && tok[0] == '.')
		return pseudo_register(p, "$ip", 3, start, v);
	/* A leading '!' forces a symbol: "!dead" is not the number 0xdead. */
	int forced = tok[0] == '!' && len > 1;
	if (forced) {
		tok++;
		len--;
	}
	int r = forced ? 0 : parse_number(p, tok, len, v);
	if (r != 0)
		return r < 0 ? r : 0;
	if (!forced && isdigit((unsigned char)tok[0]) && !memchr(tok, '!', len))
		return fail(p, KD_EINVAL, "Syntax", start);
	r = forced ? KD_ENOTFOUND : register_value(p, tok, len, start, v);
	if (r == 0 || p->err)
		return r;
	char name[512];
	if (len >= sizeof name || !p->ops->resolve)
		return fail(p, KD_ENOTFOUND, "Couldn't resolve", start);
	memcpy(name, tok, len);
	name[len] = '\0';
	if (p->ops->resolve(p->ops->ctx, name, v) < 0)
		return fail(p, KD_ENOTFOUND, "Couldn't resolve", start);
	return 0;
}

static int read_value(struct parser *p, uint64_t addr, unsigned size, uint64_t *v)
{
	uint8_t buf[8];
	/* WinDbg points at the parenthesis that closed the address. */
	if (!p->ops->read || p->ops->read(p->ops->ctx, addr, buf, size) < 0)
		return fail(p, KD_EUNREADABLE, "Memory access", p->s[-1] == ')' ? p->s - 1 : p->s);
	*v = kd_le(buf, size);
	return 0;
}

static int parse_unary(struct parser *p, uint64_t *v)
{
	static const struct {
		const char *word;
		int size; /* bytes read, 0: pointer size, -1..-3: not a read */
	} words[] = {
		{ "poi", 0 }, { "qwo", 8 }, { "dwo", 4 }, { "wo", 2 }, { "by", 1 },
		{ "not", -1 }, { "hi", -2 }, { "low", -3 },
	};
	if (++p->recursion > MAX_DEPTH)
		return fail(p, KD_EINVAL, "Syntax", p->s);
	int r = 0;
	p->s = skip(p->s);
	char c = *p->s;
	if (c == '-' || c == '+' || c == '~') {
		p->s++;
		if ((r = parse_unary(p, v)) < 0)
			goto out;
		*v = c == '-' ? 0 - *v : c == '~' ? ~*v : *v;
		goto out;
	}
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (!word_at(p->s, words[i].word))
			continue;
		/* A word operator needs its operand: "poi(x)", "poi x", "by -1";
		 * "by" alone or "by+1" is a name. */
		const char *word_end = p->s + strlen(words[i].word);
		const char *after = skip(word_end);
		if (!(*after == '(' || *after == '[' || (after != word_end
		      && (kd_expr_token_char((unsigned char)*after) || *after == '-' || *after == '~'))))
			break;
		p->s = after;
		if ((r = parse_unary(p, v)) < 0)
			goto out;
		int size = words[i].size;
		if (size == 0)
			size = p->ops->machine == KD_MACHINE_AMD64 ? 8 : 4;
		if (size > 0)
			r = read_value(p, *v, (unsigned)size, v);
		else if (size == -1)
			*v = *v == 0;
		else if (size == -2)
			*v = (*v >> 16) & 0xffff;
		else
			*v &= 0xffff;
		goto out;
	}
	if (c == '(' || c == '[') {
		char close = c == '(' ? ')' : ']';
		p->s++;
		p->depth++;
		if ((r = parse_level(p, LV_OR, v)) < 0)
			goto out;
		p->s = skip(p->s);
		if (*p->s != close) {
			r = fail(p, KD_EINVAL, "Syntax", p->s);
			goto out;
		}
		p->s++;
		p->depth--;
		goto out;
	}
	r = parse_token(p, v);
out:
	p->recursion--;
	return r;
}

static uint64_t apply(enum binop op, uint64_t a, uint64_t b)
{
	int64_t sa = (int64_t)a, sb = (int64_t)b;
	switch (op) {
	case OP_OR: return a | b;
	case OP_XOR: return a ^ b;
	case OP_AND: return a & b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return sa < sb;
	case OP_GT: return sa > sb;
	case OP_LE: return sa <= sb;
	case OP_GE: return sa >= sb;
	case OP_SHL: return b >= 64 ? 0 : a << b;
	case OP_SHR: return b >= 64 ? 0 : a >> b;
	case OP_SAR: return (uint64_t)(sa >> (b >= 64 ? 63 : b));
	case OP_ADD: return a + b;
	case OP_SUB: return a - b;
	case OP_MUL: return a * b;
	/* Signed, as WinDbg's 64-bit arithmetic; INT64_MIN / -1 wraps. */
	case OP_DIV: return sb == -1 ? 0 - a : (uint64_t)(sa / sb);
	case OP_MOD: return sb == -1 ? 0 : (uint64_t)(sa % sb);
	case OP_NONE: break;
	}
	return 0;
}

static int parse_level(struct parser *p, enum level lv, uint64_t *out)
{
	if (lv == LV_UNARY)
		return parse_unary(p, out);
	if (++p->recursion > MAX_DEPTH)
		return fail(p, KD_EINVAL, "Syntax", p->s);
	uint64_t a;
	int r = parse_level(p, lv + 1, &a);
	while (r == 0) {
		/* Outside parentheses, a space ends the expression unless an
		 * operator comes after it. */
		const char *look = skip(p->s);
		enum level olv;
		size_t len;
		enum binop op = binop_at(look, &olv, &len);
		if (op == OP_NONE || olv != lv)
			break;
		const char *op_at = look;
		p->s = look + len;
		uint64_t b;
		if ((r = parse_level(p, lv + 1, &b)) < 0)
			break;
		if ((op == OP_DIV || op == OP_MOD) && b == 0) {
			r = fail(p, KD_EINVAL, "Divide by zero", op_at);
			break;
		}
		a = apply(op, a, b);
	}
	p->recursion--;
	if (r == 0)
		*out = a;
	return r;
}

int kd_expr_evaluate(const struct kd_expr_ops *ops, const char *text, uint64_t *value,
                     const char **end, char *msg, size_t n)
{
	struct parser p = { .ops = ops, .s = text };
	uint64_t v = 0;
	int r = parse_level(&p, LV_OR, &v);
	if (r == 0 && p.s == text)
		r = fail(&p, KD_EINVAL, "Syntax", p.s);
	if (end)
		*end = p.s;
	if (r < 0) {
		if (msg && n) {
			/* WinDbg quotes the rest of the expression from the error. */
			const char *at = p.err_at ? p.err_at : p.s;
			size_t len = strlen(at);
			while (len && is_space(at[len - 1]))
				len--;
			snprintf(msg, n, "%s error at '%.*s'", p.err_kind ? p.err_kind : "Syntax",
			         (int)(len > 200 ? 200 : len), at);
		}
		return p.err ? p.err : r;
	}
	if (msg && n)
		msg[0] = '\0';
	*value = v;
	return 0;
}

/* --- the engine's side ------------------------------------------------ */

static int eng_get_context(void *ctx, struct kd_context *out)
{
	return kd_get_context(ctx, out);
}

static int eng_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	int r = kd_read_virtual(ctx, addr, buf, len, &done);
	if (r < 0)
		return r;
	return done == len ? 0 : KD_EUNREADABLE;
}

static int eng_resolve(void *ctx, const char *name, uint64_t *addr)
{
	return kd_resolve_symbol(ctx, name, addr);
}

/* $t0-$t19 live in the engine's "expr" slot. */
#define T_REGS 20

struct expr_state {
	uint64_t t[T_REGS];
	uint64_t extret;   /* $extret: the element !list runs its commands on */
	int have_extret;
};

static struct expr_state *state_of(struct kd_engine *eng, int create)
{
	if (!create)
		return kd_engine_ext(eng, "expr");
	return kd_engine_ext_zalloc(eng, "expr", sizeof(struct expr_state));
}

/* "$t7" -> 7, else -1. */
static int t_index(const char *name)
{
	if ((name[1] != 't' && name[1] != 'T') || !isdigit((unsigned char)name[2]))
		return -1;
	char *end;
	long i = strtol(name + 2, &end, 10);
	return *end || i < 0 || i >= T_REGS ? -1 : (int)i;
}

int kd_expr_set_pseudo(struct kd_engine *eng, const char *name, uint64_t value)
{
	int i = name[0] == '$' ? t_index(name) : -1;
	int extret = !strcasecmp(name, "$extret");
	if (i < 0 && !extret)
		return KD_ENOTFOUND;
	struct expr_state *st = state_of(eng, 1);
	if (!st)
		return KD_ENOMEM;
	if (extret) {
		st->extret = value;
		st->have_extret = 1;
	} else {
		st->t[i] = value;
	}
	return 0;
}

/* $exentry: the entry point of the kernel image (its optional header's
 * AddressOfEntryPoint), the first module of a kernel session. */
static int kernel_entry(struct kd_engine *eng, uint64_t *v)
{
	const struct kd_module *m = kd_engine_module_by_name(eng, "nt");
	if (!m && kd_engine_module_count(eng))
		m = kd_engine_module(eng, 0);
	uint8_t b[4];
	if (!m || eng_read(eng, m->base + 0x3c, b, 4) < 0)
		return KD_ENOTFOUND;
	uint32_t lfanew = kd_le32(b);
	if (lfanew > 0x1000 || eng_read(eng, m->base + lfanew + 0x28, b, 4) < 0)
		return KD_ENOTFOUND;
	*v = m->base + kd_le32(b);
	return 0;
}

/* $ra: where the current function returns to, as the stack walk finds
 * it (from the current context, honouring .cxr/.trap/.thread). */
static int return_address(struct kd_engine *eng, uint64_t *v)
{
	struct kd_stack_frame *f = calloc(2, sizeof *f);
	size_t n = 0;
	if (!f)
		return KD_ENOMEM;
	int rc = kd_stack_walk(eng, NULL, f, 2, &n);
	if (rc == 0 && n == 0)
		rc = KD_ENOTFOUND;
	if (rc == 0)
		*v = f[0].ret;
	free(f);
	return rc;
}

static int eng_pseudo(void *ctx, const char *name, uint64_t *v)
{
	struct kd_engine *eng = ctx;
	int i = t_index(name);
	if (i >= 0) {
		struct expr_state *st = state_of(eng, 0);
		*v = st ? st->t[i] : 0;
		return 0;
	}
	if (!strcasecmp(name, "$extret")) {
		struct expr_state *st = state_of(eng, 0);
		if (!st || !st->have_extret)
			return KD_ENOTFOUND;
		*v = st->extret;
		return 0;
	}
	if (!strcasecmp(name, "$thread"))
		return kd_thread_current(eng, v);
	if (!strcasecmp(name, "$proc"))
		return kd_process_current(eng, v);
	if (!strcasecmp(name, "$exentry"))
		return kernel_entry(eng, v);
	if (!strcasecmp(name, "$ra"))
		return return_address(eng, v);
	if (!strcasecmp(name, "$pcr"))
		return kd_processor_object(eng, kd_engine_cpu(eng), KD_X64_CONTROL_KPCR, v);
	if (!strcasecmp(name, "$prcb"))
		return kd_processor_object(eng, kd_engine_cpu(eng), KD_X64_CONTROL_KPRCB, v);
	return KD_ENOTFOUND;
}

int kd_eval_msg(struct kd_engine *eng, const char *text, uint64_t *value,
                const char **end, char *msg, size_t n)
{
	struct kd_expr_ops ops = {
		.machine = kd_engine_machine(eng),
		.get_context = eng_get_context,
		.read = eng_read,
		.resolve = eng_resolve,
		.pseudo = eng_pseudo,
		.ctx = eng,
	};
	return kd_expr_evaluate(&ops, text, value, end, msg, n);
}

int kd_eval(struct kd_engine *eng, const char *text, uint64_t *value, const char **end)
{
	return kd_eval_msg(eng, text, value, end, NULL, 0);
}
