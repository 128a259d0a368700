/*
 * MASM expressions as WinDbg evaluates them (default radix 16).
 *
 * The evaluator itself knows nothing of the engine: it asks a small table
 * of callbacks for registers, memory and symbols, so it can be tested and
 * fuzzed on its own. kd_eval (kd/engine/engine.h) plugs the engine in.
 */
#ifndef KD_ENGINE_EXPR_H
#define KD_ENGINE_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

struct kd_engine;

struct kd_expr_ops {
	/* The machine whose register names apply (poi reads its pointer size). */
	enum kd_machine machine;
	/* The current register context; may be NULL (registers then fail). */
	int (*get_context)(void *ctx, struct kd_context *out);
	/* Read exactly len bytes, else a negative code. */
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	/* "mod!sym", "sym" or "mod" to an address, else KD_ENOTFOUND. */
	int (*resolve)(void *ctx, const char *name, uint64_t *addr);
	/* Pseudo-registers beyond $ip/$csp/$retreg/$ptrsize ("$thread", "$t0"),
	 * name with its '$'; may be NULL. KD_ENOTFOUND when unknown. */
	int (*pseudo)(void *ctx, const char *name, uint64_t *value);
	void *ctx;
};

/* Evaluate text. On failure returns KD_EINVAL (syntax), KD_ENOTFOUND
 * (unknown symbol or register), KD_EUNREADABLE (memory) and, when msg is
 * not NULL, puts WinDbg's one-line message there ("Syntax error at '...'",
 * "Memory access error at ')'", "Couldn't resolve error at 'foo'"). *end
 * gets the first character not consumed (on failure too). */
int kd_expr_evaluate(const struct kd_expr_ops *ops, const char *text, uint64_t *value,
                     const char **end, char *msg, size_t n);

/* kd_eval with WinDbg's error message. */
int kd_eval_msg(struct kd_engine *eng, const char *text, uint64_t *value,
                const char **end, char *msg, size_t n);

/* Set a writable pseudo-register of the engine ($t0-$t19, and $extret,
 * which !list sets to each element it visits). */
int kd_expr_set_pseudo(struct kd_engine *eng, const char *name, uint64_t value);

/* Whether c can appear in a symbol or number token of an expression. */
int kd_expr_token_char(int c);

#endif
