/*
 * The x86 FrameData (FPO v2) program evaluator (see framedata_x86.h): a
 * postfix machine over the frame's registers, $T temporaries and the
 * record's sizes, with memory reads and the return-address search left to
 * the caller. Knows nothing of the engine: kd/engine/stack_x86.c plugs in
 * target memory.
 */
#include "arch/framedata_x86.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define FD_STACK 32
#define FD_TOKEN 32

struct fd_item {
	int is_var;      /* a name not yet read (left side of =) */
	char name[FD_TOKEN];
	uint32_t value;
};

static int fd_reg_index(const char *name)
{
	static const char *const regs[KD_X86_FD_NREGS] = {
		"$eax", "$ecx", "$edx", "$ebx", "$esp", "$ebp", "$esi", "$edi", "$eip",
	};
	for (int i = 0; i < KD_X86_FD_NREGS; i++)
		if (strcmp(name, regs[i]) == 0)
			return i;
	/* CodeView register numbers (CV_REG_EAX 17 .. CV_REG_EDI 24, EIP 33). */
	if (name[0] == '$' && name[1] >= '0' && name[1] <= '9') {
		unsigned n = 0;
		for (const char *p = name + 1; *p; p++) {
			if (*p < '0' || *p > '9' || n > 1000)
				return -1;
			n = n * 10 + (unsigned)(*p - '0');
		}
		if (n >= 17 && n <= 24)
			return (int)(n - 17);
		if (n == 33)
			return KD_X86_FD_EIP;
	}
	return -1;
}

static int fd_temp_index(const char *name)
{
	if (name[0] == '$' && name[1] == 'T' && name[2] >= '0' && name[2] <= '9' && !name[3])
		return name[2] - '0';
	return -1;
}

static int fd_ra_search(struct kd_x86_fd_env *env, uint32_t *out)
{
	uint32_t start = env->reg[KD_X86_FD_ESP] + env->cb_callee_params + env->cb_locals + env->cb_saved_regs;
	if (!env->ra_search) {
		*out = start;
		return 0;
	}
	return env->ra_search(env->ctx, start, out);
}

/* The value of a name. */
static int fd_lookup(struct kd_x86_fd_env *env, const char *name, uint32_t *v, uint32_t *ra, int *have_ra)
{
	int i;
	if ((i = fd_temp_index(name)) >= 0) {
		if (!(env->t_set & (1u << i)))
			return KD_EINVAL;
		*v = env->t[i];
		return 0;
	}
	if ((i = fd_reg_index(name)) >= 0) {
		*v = env->reg[i];
		return 0;
	}
	if (strcmp(name, ".raSearch") == 0 || strcmp(name, ".raSearchStart") == 0) {
		if (!*have_ra) {
			int rc = fd_ra_search(env, ra);
			if (rc < 0)
				return rc;
			*have_ra = 1;
		}
		*v = *ra;
		return 0;
	}
	if (strcmp(name, ".cbLocals") == 0)
		*v = env->cb_locals;
	else if (strcmp(name, ".cbParams") == 0)
		*v = env->cb_params;
	else if (strcmp(name, ".cbSavedRegs") == 0)
		*v = env->cb_saved_regs;
	else if (strcmp(name, ".cbCalleeParams") == 0)
		*v = env->cb_callee_params;
	else
		return KD_EINVAL;
	return 0;
}

static int fd_value(struct kd_x86_fd_env *env, const struct fd_item *it, uint32_t *v, uint32_t *ra, int *have_ra)
{
	if (!it->is_var) {
		*v = it->value;
		return 0;
	}
	return fd_lookup(env, it->name, v, ra, have_ra);
}

/* Registers assigned by the program go to a separate set so that a later
 * read of $esp in the same program still sees the frame's own value, as
 * the compilers' programs expect ("$eip $T0 ^ = $esp $T0 4 + =" reads
 * $T0, never the new $esp). */
int kd_x86_fd_eval(const char *program, size_t len, struct kd_x86_fd_env *env)
{
	struct fd_item st[FD_STACK];
	size_t sp = 0, i = 0;
	uint32_t out[KD_X86_FD_NREGS];
	unsigned out_set = 0;
	uint32_t ra = 0;
	int have_ra = 0;
	while (i < len && program[i]) {
		if (program[i] == ' ' || program[i] == '\t' || program[i] == '\n' || program[i] == '\r') {
			i++;
			continue;
		}
		char tok[FD_TOKEN];
		size_t n = 0;
		while (i < len && program[i] && program[i] != ' ' && program[i] != '\t'
		       && program[i] != '\n' && program[i] != '\r') {
			if (n + 1 >= sizeof tok)
				return KD_EFORMAT;
			tok[n++] = program[i++];
		}
		tok[n] = '\0';
		if (n == 1 && strchr("+-*/%@^=", tok[0])) {
			char op = tok[0];
			if (op == '^') {
				uint32_t a, v;
				if (sp < 1)
					return KD_EFORMAT;
				int rc = fd_value(env, &st[sp - 1], &a, &ra, &have_ra);
				if (rc < 0)
					return rc;
				if (!env->read || (rc = env->read(env->ctx, a, &v)) < 0)
					return rc < 0 ? rc : KD_EUNREADABLE;
				st[sp - 1] = (struct fd_item){ .value = v };
				continue;
			}
			if (sp < 2)
				return KD_EFORMAT;
			struct fd_item *l = &st[sp - 2], *r = &st[sp - 1];
			uint32_t b, a;
			int rc = fd_value(env, r, &b, &ra, &have_ra);
			if (rc < 0)
				return rc;
			if (op == '=') {
				int k;
				if (!l->is_var)
					return KD_EFORMAT;
				if ((k = fd_temp_index(l->name)) >= 0) {
					env->t[k] = b;
					env->t_set |= 1u << k;
				} else if ((k = fd_reg_index(l->name)) >= 0) {
					out[k] = b;
					out_set |= 1u << k;
				} else {
					return KD_EINVAL;
				}
				sp -= 2;
				continue;
			}
			if ((rc = fd_value(env, l, &a, &ra, &have_ra)) < 0)
				return rc;
			uint32_t v;
			switch (op) {
			case '+': v = a + b; break;
			case '-': v = a - b; break;
			case '*': v = a * b; break;
			case '/': if (!b) return KD_EINVAL; v = a / b; break;
			case '%': if (!b) return KD_EINVAL; v = a % b; break;
			default: /* '@': align down to a power of two */
				if (!b || (b & (b - 1)))
					return KD_EINVAL;
				v = a & ~(b - 1);
				break;
			}
			sp--;
			st[sp - 1] = (struct fd_item){ .value = v };
			continue;
		}
		if (sp >= FD_STACK)
			return KD_EFORMAT;
		struct fd_item *it = &st[sp++];
		memset(it, 0, sizeof *it);
		if (tok[0] == '$' || tok[0] == '.') {
			it->is_var = 1;
			memcpy(it->name, tok, n + 1);
			continue;
		}
		/* Numbers: decimal, or hex with 0x; a leading '-' negates. */
		const char *p = tok;
		int neg = *p == '-';
		if (neg)
			p++;
		unsigned base = 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		}
		if (!*p)
			return KD_EFORMAT;
		uint32_t v = 0;
		for (; *p; p++) {
			unsigned d;
			if (*p >= '0' && *p <= '9')
				d = (unsigned)(*p - '0');
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = (unsigned)(*p - 'a' + 10);
			else if (base == 16 && *p >= 'A' && *p <= 'F')
				d = (unsigned)(*p - 'A' + 10);
			else
				return KD_EFORMAT;
			v = v * base + d;
		}
		it->value = neg ? 0u - v : v;
	}
	if (sp != 0)
		return KD_EFORMAT;
	for (int k = 0; k < KD_X86_FD_NREGS; k++)
		if (out_set & (1u << k))
			env->reg[k] = out[k];
	env->reg_set = out_set;
	return 0;
}
