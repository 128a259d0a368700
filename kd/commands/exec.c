/*
 * Execution-control commands in WinDbg's syntax and layout: breakpoints
 * (bp bu bm ba bl bc bd be), running and stepping (g gh gn t p gu pc tc),
 * event filters (sx sxe sxd sxn sxi) and .crash. Thin: the table lives in
 * kd/engine/breakpoints.c, the run loop in kd/engine/stepping.c, the filters in
 * kd/events.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/commands/command.h"
#include "kd/engine/expr.h"
#include "kd/engine/run_control.h"
#include "kd/engine/stepping.h"
#include "kd/engine/symbols.h"

static struct kd_target *need_live(struct kd_engine *eng, const char *cmd)
{
	struct kd_target *t = kd_engine_target(eng);
	if (!t) {
		kd_eprintf(eng, "%s: %s\n", cmd, kd_strerror(KD_EDISCONNECTED));
		return NULL;
	}
	if (!kd_engine_can_run(eng)) {
		kd_eprintf(eng, "%s: the target is %s; breakpoints and stepping need a live target\n", cmd,
		           kd_engine_target_noun(eng));
		return NULL;
	}
	if (!kd_engine_is_stopped(eng)) {
		kd_eprintf(eng, "%s: %s\n", cmd, kd_strerror(KD_ERUNNING));
		return NULL;
	}
	return t;
}

static struct kd_exec *need_exec(struct kd_engine *eng, const char *cmd)
{
	struct kd_exec *x = kd_exec_get(eng);
	if (!x)
		kd_eprintf(eng, "%s: %s\n", cmd, kd_strerror(KD_ENOMEM));
	return x;
}

/* An expression that must use all of `text`. */
static int eval_all(struct kd_engine *eng, const char *text, uint64_t *v, char *msg, size_t n)
{
	const char *end = NULL;
	int rc = kd_eval_msg(eng, text, v, &end, msg, n);
	if (rc == 0 && end && *kd_skip_spaces(end)) {
		snprintf(msg, n, "Syntax error at '%s'", end);
		return KD_EINVAL;
	}
	return rc;
}

static uint64_t current_ip(struct kd_engine *eng)
{
	struct kd_context c;
	return kd_get_context(eng, &c) == 0 ? kd_context_ip(&c) : 0;
}

/* --- bp bu ba ------------------------------------------------------------- */

static const char *hw_full_msg = "all 4 hardware breakpoint slots (Dr0-Dr3) are in use: clear (bc) or disable (bd) one first";

static int cmd_bp(struct kd_engine *eng, const char *name, const char *args)
{
	int is_ba = strcmp(name, "ba") == 0;
	int is_bu = strcmp(name, "bu") == 0;
	struct kd_exec *x = need_exec(eng, name);
	if (!x || !need_live(eng, name))
		return KD_ENOTSUP;
	struct kd_bp_args a;
	char err[200];
	if (kd_bp_parse_args(args, is_ba, &a, err, sizeof err) < 0) {
		kd_eprintf(eng, "%s: %s\n", name, err);
		return KD_EINVAL;
	}
	struct kd_bp b;
	memset(&b, 0, sizeof b);
	b.kind = is_ba ? KD_BP_HARDWARE : KD_BP_SOFTWARE;
	b.enabled = 1;
	b.oneshot = a.oneshot;
	b.access = a.access;
	b.size = a.size;
	snprintf(b.command, sizeof b.command, "%s", a.command);
	snprintf(b.condition, sizeof b.condition, "%s", a.condition);
	if (a.addr[0]) {
		snprintf(b.expr, sizeof b.expr, "%s", a.addr);
	} else {
		char buf[20];
		snprintf(b.expr, sizeof b.expr, "%s", kd_format_addr(eng, current_ip(eng), buf));
	}
	char msg[300];
	uint64_t addr = 0;
	int rc = eval_all(eng, b.expr, &addr, msg, sizeof msg);
	if (rc == 0) {
		b.resolved = 1;
		b.addr = addr;
	} else if (rc == KD_ENOTFOUND && !is_ba) {
		if (!is_bu)
			kd_printf(eng, "Bp expression '%s' could not be resolved, adding deferred bp\n", b.expr);
	} else {
		kd_eprintf(eng, "%s\n", msg);
		return rc;
	}
	b.deferred = is_bu || !b.resolved;
	if (a.passes[0]) {
		uint64_t p;
		if (eval_all(eng, a.passes, &p, msg, sizeof msg) < 0 || p == 0 || p > 0xffffffffull) {
			kd_eprintf(eng, "%s: the pass count must be a number from 1 to ffffffff\n", name);
			return KD_EINVAL;
		}
		b.passes = (uint32_t)p;
	}
	if (is_ba && kd_bp_check_hw(b.access, b.size, b.addr, err, sizeof err) < 0) {
		kd_eprintf(eng, "ba: %s\n", err);
		return KD_EINVAL;
	}
	/* One breakpoint per address and kind: setting it again redefines it. */
	struct kd_bp *old = b.resolved ? kd_bp_at(&x->bps, b.kind, b.addr) : NULL;
	if (old) {
		b.id = old->id;
		kd_printf(eng, "breakpoint %u redefined\n", old->id);
		kd_bp_delete(&x->bps, old->id);
	} else if (is_ba && kd_bp_hw_count(&x->bps) >= KD_BP_HW_SLOTS) {
		kd_eprintf(eng, "ba: %s\n", hw_full_msg);
		return KD_EINVAL;
	}
	if (!kd_bp_add(&x->bps, &b, old != NULL)) {
		kd_eprintf(eng, "%s: no more breakpoint ids (at most %u)\n", name, KD_BP_MAX_ID + 1);
		return KD_ENOMEM;
	}
	return 0;
}

/* --- bm ------------------------------------------------------------------------ */

struct bm_ctx {
	struct kd_engine *eng;
	struct kd_exec *x;
	const char *module;
	unsigned added;
	int full;
};

static int bm_one(void *ctx, const struct kd_sym_entry *e)
{
	struct bm_ctx *c = ctx;
	if (!e->is_function && !e->is_public)
		return 0;
	struct kd_bp b;
	memset(&b, 0, sizeof b);
	b.kind = KD_BP_SOFTWARE;
	b.enabled = 1;
	b.resolved = 1;
	b.addr = e->addr;
	snprintf(b.expr, sizeof b.expr, "%.63s!%.190s", c->module, e->name);
	if (kd_bp_at(&c->x->bps, KD_BP_SOFTWARE, e->addr))
		return 0;
	struct kd_bp *n = kd_bp_add(&c->x->bps, &b, 0);
	if (!n) {
		c->full = 1;
		return 1;
	}
	char a[20];
	kd_printf(c->eng, "%3u: %s @!\"%s\"\n", n->id, kd_format_addr(c->eng, e->addr, a), b.expr);
	c->added++;
	return 0;
}

static int cmd_bm(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_exec *x = need_exec(eng, name);
	if (!x || !need_live(eng, name))
		return KD_ENOTSUP;
	const char *p = kd_skip_spaces(args);
	char spec[256];
	size_t len = strcspn(p, " \t");
	if (len == 0 || len >= sizeof spec || *kd_skip_spaces(p + len)) {
		kd_eprintf(eng, "bm: use bm Module!Pattern (wildcards * and ?)\n");
		return KD_EINVAL;
	}
	memcpy(spec, p, len);
	spec[len] = '\0';
	char *bang = strchr(spec, '!');
	if (!bang || bang == spec || !bang[1]) {
		kd_eprintf(eng, "bm: use bm Module!Pattern (wildcards * and ?)\n");
		return KD_EINVAL;
	}
	*bang = '\0';
	const struct kd_module *m = kd_engine_module_by_name(eng, spec);
	struct kd_symbols *s = kd_symbols_get(eng);
	if (!m) {
		kd_eprintf(eng, "bm: no module '%s' is loaded (bu sets a breakpoint that waits for it)\n", spec);
		return KD_ENOTFOUND;
	}
	if (!s) {
		kd_eprintf(eng, "bm: no symbols\n");
		return KD_ENOTFOUND;
	}
	struct bm_ctx c = { eng, x, m->name, 0, 0 };
	kd_symbols_enum(s, m, bang + 1, bm_one, &c);
	if (c.full)
		kd_eprintf(eng, "bm: no more breakpoint ids (at most %u)\n", KD_BP_MAX_ID + 1);
	if (!c.added && !c.full) {
		kd_eprintf(eng, "No matching symbols found for '%s!%s'\n", spec, bang + 1);
		return KD_ENOTFOUND;
	}
	return 0;
}

/* --- bl bc bd be ------------------------------------------------------------- */

static int select_ids(struct kd_engine *eng, const char *name, const char *args, uint8_t *sel, int need)
{
	memset(sel, 0, KD_BP_MAX_ID + 1);
	const char *bad = NULL;
	int n = kd_bp_parse_ids(args, sel, &bad);
	if (n < 0) {
		kd_eprintf(eng, "%s: bad breakpoint list at '%s' (ids, ranges like 1-3, or *)\n", name, bad ? bad : args);
		return KD_EINVAL;
	}
	if (n == 0 && need) {
		kd_eprintf(eng, "%s: name the breakpoints: ids, ranges like 1-3, or *\n", name);
		return KD_EINVAL;
	}
	if (n == 0)
		memset(sel, 1, KD_BP_MAX_ID + 1);
	return 0;
}

static int cmd_bl(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_exec *x = need_exec(eng, name);
	uint8_t sel[KD_BP_MAX_ID + 1];
	if (!x || select_ids(eng, name, args, sel, 0) < 0)
		return KD_EINVAL;
	/* Symbols may have come since (.reload, a module loaded). */
	if (kd_engine_check_stopped(eng) == 0)
		kd_exec_resolve(eng);
	int is64 = kd_engine_is_64bit(eng);
	for (size_t i = 0; i < x->bps.n; i++) {
		const struct kd_bp *b = &x->bps.v[i];
		if (!sel[b->id])
			continue;
		char sym[300] = "", line[1200];
		if (b->resolved)
			kd_format_symbol(eng, b->addr, sym, sizeof sym);
		kd_bp_format(b, is64, sym, line, sizeof line);
		kd_printf(eng, "%s\n", line);
	}
	return 0;
}

static int cmd_bc_bd_be(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_exec *x = need_exec(eng, name);
	uint8_t sel[KD_BP_MAX_ID + 1];
	if (!x || select_ids(eng, name, args, sel, 1) < 0)
		return KD_EINVAL;
	for (unsigned id = 0; id <= KD_BP_MAX_ID; id++) {
		if (!sel[id])
			continue;
		struct kd_bp *b = kd_bp_find(&x->bps, id);
		if (!b)
			continue;
		if (name[1] == 'c') {
			kd_bp_delete(&x->bps, id);
		} else if (name[1] == 'd') {
			b->enabled = 0;
		} else if (!b->enabled) {
			if (b->kind == KD_BP_HARDWARE && kd_bp_hw_count(&x->bps) >= KD_BP_HW_SLOTS) {
				kd_eprintf(eng, "be %u: %s\n", id, hw_full_msg);
				return KD_EINVAL;
			}
			b->enabled = 1;
		}
	}
	return 0;
}

/* --- running and stepping ------------------------------------------------------ */

/* "= StartAddress" in front of g/t/p/gu/pc/tc: move the instruction pointer. */
static int start_address(struct kd_engine *eng, const char **p)
{
	const char *s = kd_skip_spaces(*p);
	if (*s != '=')
		return 0;
	uint64_t a;
	const char *end = NULL;
	char msg[300];
	if (kd_eval_msg(eng, kd_skip_spaces(s + 1), &a, &end, msg, sizeof msg) < 0) {
		kd_eprintf(eng, "%s\n", msg);
		return KD_EINVAL;
	}
	struct kd_context c;
	int rc = kd_get_context(eng, &c);
	if (rc == 0) {
		if (c.machine == KD_MACHINE_AMD64)
			c.u.x64.Rip = a;
		else
			c.u.x86.Eip = (uint32_t)a;
		rc = kd_set_context(eng, &c);
	}
	if (rc < 0) {
		kd_eprintf(eng, "Unable to set the instruction pointer: %s\n", kd_strerror(rc));
		return rc;
	}
	*p = end;
	return 0;
}

static int run(struct kd_engine *eng, const char *name, const struct kd_run_req *req)
{
	int rc = kd_exec_run(eng, req);
	if (rc == KD_ERUNNING || rc == KD_ENOTSUP || rc == KD_ENOMEM)
		kd_eprintf(eng, "%s: %s\n", name, kd_strerror(rc));
	return rc;
}

static int cmd_go(struct kd_engine *eng, const char *name, const char *args)
{
	if (!need_live(eng, name))
		return KD_ENOTSUP;
	struct kd_run_req req;
	memset(&req, 0, sizeof req);
	req.kind = KD_RUN_GO;
	req.status = name[1] == 'h' ? KD_RUN_STATUS_HANDLED : name[1] == 'n' ? KD_RUN_STATUS_NOT_HANDLED
	           : KD_RUN_STATUS_DEFAULT;
	const char *p = args;
	if (start_address(eng, &p) < 0)
		return KD_EINVAL;
	p = kd_skip_spaces(p);
	while (*p) {
		if (req.ngo == KD_RUN_MAX_GO_ADDRS) {
			kd_eprintf(eng, "%s: at most %d addresses\n", name, KD_RUN_MAX_GO_ADDRS);
			return KD_EINVAL;
		}
		const char *end = NULL;
		char msg[300];
		if (kd_eval_msg(eng, p, &req.go[req.ngo], &end, msg, sizeof msg) < 0) {
			kd_eprintf(eng, "%s\n", msg);
			return KD_EINVAL;
		}
		req.ngo++;
		p = kd_skip_spaces(end);
	}
	return run(eng, name, &req);
}

static int cmd_step(struct kd_engine *eng, const char *name, const char *args)
{
	if (!need_live(eng, name))
		return KD_ENOTSUP;
	struct kd_run_req req;
	memset(&req, 0, sizeof req);
	if (!strcmp(name, "t"))
		req.kind = KD_RUN_TRACE;
	else if (!strcmp(name, "p"))
		req.kind = KD_RUN_STEP;
	else if (!strcmp(name, "gu"))
		req.kind = KD_RUN_GO_UP;
	else if (!strcmp(name, "pc"))
		req.kind = KD_RUN_TO_CALL;
	else
		req.kind = KD_RUN_TRACE_TO_CALL;
	const char *p = args;
	if (req.kind != KD_RUN_GO_UP && start_address(eng, &p) < 0)
		return KD_EINVAL;
	p = kd_skip_spaces(p);
	if (*p) {
		uint64_t n;
		char msg[300];
		if (req.kind == KD_RUN_GO_UP || eval_all(eng, p, &n, msg, sizeof msg) < 0 || n == 0 || n > 0xffffffffull) {
			kd_eprintf(eng, "%s: the count must be a number from 1 to ffffffff\n", name);
			return KD_EINVAL;
		}
		req.count = (unsigned)n;
	}
	return run(eng, name, &req);
}

/* --- sx ---------------------------------------------------------------------------- */

static void sx_line(void *ctx, const char *line)
{
	kd_printf(ctx, "%s\n", line);
}

static int cmd_sx(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_exec *x = need_exec(eng, name);
	if (!x)
		return KD_ENOMEM;
	const char *p = kd_skip_spaces(args);
	if (!strcmp(name, "sx")) {
		if (*p) {
			kd_eprintf(eng, "sx: use sxe, sxd, sxn or sxi to change a filter\n");
			return KD_EINVAL;
		}
		kd_events_list(&x->events, sx_line, eng);
		return 0;
	}
	enum kd_sx st = name[2] == 'e' ? KD_SX_BREAK : name[2] == 'd' ? KD_SX_SECOND
	              : name[2] == 'n' ? KD_SX_OUTPUT : KD_SX_IGNORE;
	if (*p == '-') {
		kd_eprintf(eng, "%s: options (-c, -c2, -h) are not supported\n", name);
		return KD_EINVAL;
	}
	char err[200];
	if (kd_events_set(&x->events, st, p, err, sizeof err) < 0) {
		kd_eprintf(eng, "%s: %s\n", name, err);
		return KD_EINVAL;
	}
	return 0;
}

/* --- .crash ------------------------------------------------------------------------- */

static int cmd_crash(struct kd_engine *eng, const char *name, const char *args)
{
	if (!need_live(eng, name))
		return KD_ENOTSUP;
	if (*kd_skip_spaces(args)) {
		kd_eprintf(eng, ".crash takes no arguments\n");
		return KD_EINVAL;
	}
	int rc = kd_exec_crash(eng);
	if (rc < 0 && rc != KD_EDISCONNECTED)
		kd_eprintf(eng, ".crash: %s\n", kd_strerror(rc));
	return rc;
}

const struct kd_command kd_cmds_exec[] = {
	{ "bp", cmd_bp, "bp [/1] [/w \"Cond\"] [Address [Passes]] [\"Commands\"]", "set a software breakpoint" },
	{ "bu", cmd_bp, "bu [/1] Expression [Passes] [\"Commands\"]", "set a breakpoint that follows its module (deferred until it loads)" },
	{ "bm", cmd_bm, "bm Module!Pattern", "set breakpoints on every matching function" },
	{ "ba", cmd_bp, "ba [/1] e|r|w|i 1|2|4|8 Address [Passes] [\"Commands\"]", "set a hardware breakpoint (4 at most)" },
	{ "bl", cmd_bl, "bl [Ids]", "list breakpoints" },
	{ "bc", cmd_bc_bd_be, "bc Ids|*", "clear breakpoints" },
	{ "bd", cmd_bc_bd_be, "bd Ids|*", "disable breakpoints" },
	{ "be", cmd_bc_bd_be, "be Ids|*", "enable breakpoints" },
	{ "g", cmd_go, "g [=Start] [Address...]", "let the target run (Ctrl-C breaks in), optionally until Address" },
	{ "gh", cmd_go, "gh [=Start] [Address...]", "go, with the exception handled" },
	{ "gc", cmd_go, "gc", "go on from a conditional breakpoint" },
	{ "gn", cmd_go, "gn [=Start] [Address...]", "go, with the exception not handled" },
	{ "t", cmd_step, "t [=Start] [Count]", "trace: one instruction, into calls" },
	{ "p", cmd_step, "p [=Start] [Count]", "step: one instruction, over calls and rep strings" },
	{ "gu", cmd_step, "gu", "go up: run until the current function returns" },
	{ "pc", cmd_step, "pc [=Start] [Count]", "step to the next call" },
	{ "tc", cmd_step, "tc [=Start] [Count]", "trace to the next call" },
	{ "sx", cmd_sx, "sx", "list event filters" },
	{ "sxe", cmd_sx, "sxe Event|Code", "break on an event (av, ld[:Module], ud, bpe, eh... or a code)" },
	{ "sxd", cmd_sx, "sxd Event|Code", "break on the second chance only" },
	{ "sxn", cmd_sx, "sxn Event|Code", "report an event without breaking" },
	{ "sxi", cmd_sx, "sxi Event|Code", "ignore an event" },
	{ ".crash", cmd_crash, ".crash", "make the target bugcheck" },
	{ NULL, NULL, NULL, NULL },
};
