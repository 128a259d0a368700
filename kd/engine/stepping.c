/*
 * The run loop of a live target (see stepping.h): one resume ("leg") at a
 * time, breakpoints in only while the target runs, and the decision what
 * each stop means.
 *
 * Debug registers live in each processor's KSPECIAL_REGISTERS, reached
 * through control space: on x86 at offset 0x2cc of KPROCESSOR_STATE
 * (after its CONTEXT), KernelDr0-3 at +0x10 and KernelDr7 at +0x24; on x64
 * as control item 2, the whole structure from its start, KernelDr0-3 at
 * +0x20 and KernelDr7 at +0x48. Dr7 also goes in Continue2's control set,
 * which the kernel copies to every processor when it resumes.
 */
#include "kd/engine/stepping.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch/disasm.h"
#include "arch/frames.h"
#include "kd/engine/expr.h"
#include "kd/engine/run_control.h"
#include "kd/engine/stack.h"

/* The debug registers in KSPECIAL_REGISTERS (arch/frames.h): x86 at an
 * offset of control space, x64 in control item 2 (read and written up to
 * KernelDr7). */
#define X86_DR0 (KD_X86_CONTROL_SPECIAL_REGISTERS + offsetof(struct kd_x86_special_registers, KernelDr0))
#define X86_DR7 (KD_X86_CONTROL_SPECIAL_REGISTERS + offsetof(struct kd_x86_special_registers, KernelDr7))
#define X64_KSPECIAL_ITEM KD_X64_CONTROL_SPECIAL_REGISTERS
#define X64_DR0 offsetof(struct kd_x64_special_registers, KernelDr0)
#define X64_DR7 offsetof(struct kd_x64_special_registers, KernelDr7)
#define X64_KSPECIAL_HEAD offsetof(struct kd_x64_special_registers, GdtrPad) /* Cr0..KernelDr7 */

#define STATUS_BREAKPOINT 0x80000003u
#define STATUS_SINGLE_STEP 0x80000004u
#define GU_MAX_STEPS 200000u

static void exec_free(void *p)
{
	struct kd_exec *x = p;
	kd_bp_table_free(&x->bps);
	free(x);
}

struct kd_exec *kd_exec_get(struct kd_engine *eng)
{
	struct kd_exec *x = kd_engine_ext(eng, "exec");
	if (x)
		return x;
	x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	kd_bp_table_init(&x->bps);
	kd_events_init(&x->events);
	if (kd_engine_set_ext(eng, "exec", x, exec_free) < 0) {
		free(x);
		return NULL;
	}
	return x;
}

/* --- resolving --------------------------------------------------------- */

unsigned kd_exec_resolve(struct kd_engine *eng)
{
	struct kd_exec *x = kd_exec_get(eng);
	unsigned n = 0;
	if (!x)
		return 0;
	for (size_t i = 0; i < x->bps.n; i++) {
		struct kd_bp *b = &x->bps.v[i];
		if (!b->deferred || b->resolved)
			continue;
		uint64_t a;
		const char *end = NULL;
		if (kd_eval(eng, b->expr, &a, &end) == 0 && end && !*end) {
			b->addr = a;
			b->resolved = 1;
			n++;
		}
	}
	return n;
}

static void module_name(const char *path, char *name, size_t n)
{
	const char *base = strrchr(path, '\\');
	base = base ? base + 1 : path;
	const char *slash = strrchr(base, '/');
	base = slash ? slash + 1 : base;
	snprintf(name, n, "%s", base);
	char *dot = strrchr(name, '.');
	if (dot)
		*dot = '\0';
}

/* From the loop, for every module event while a run is in progress. */
static int module_hook(void *user, const struct kd_stop_event *ev)
{
	struct kd_engine *eng = user;
	struct kd_exec *x = kd_exec_get(eng);
	if (!x)
		return 0;
	char name[64];
	module_name(ev->path, name, sizeof name);
	enum kd_sx st = kd_events_module(&x->events, ev->unload, name);
	if (!ev->unload && (st == KD_SX_OUTPUT || st == KD_SX_BREAK)) {
		char a[20], b[20];
		kd_printf(eng, "ModLoad: %s %s   %s\n", kd_format_addr(eng, ev->base, a),
		          kd_format_addr(eng, ev->base + ev->size, b), ev->path);
	}
	if (st == KD_SX_BREAK)
		return 1;
	if (x->hold_next) {
		x->hold_next = 0;
		return 1;
	}
	for (size_t i = 0; i < x->bps.n; i++) {
		const struct kd_bp *b = &x->bps.v[i];
		if (!b->deferred)
			continue;
		if (!ev->unload && !b->resolved)
			return 1; /* it may resolve now */
		if (ev->unload && b->resolved && b->addr >= ev->base && b->addr - ev->base < ev->size)
			return 1; /* it goes back to deferred */
	}
	return 0;
}

/* --- breakpoints in and out ---------------------------------------------- */

struct inserted {
	uint64_t addr;
	uint32_t handle;
};

struct leg {
	int trace;
	int insert;          /* software breakpoints in */
	int skip_ip;         /* ...except at this address */
	uint64_t ip;
	int hw;              /* debug registers armed */
	const uint64_t *temps;
	size_t ntemps;
	uint32_t status;
};

static void remove_all(struct kd_engine *eng, struct kd_target *t, struct inserted *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = kd_engine_remove_breakpoint(eng, v[i].handle);
		if (rc < 0 && rc != KD_EDISCONNECTED) {
			char a[20];
			kd_eprintf(eng, "Unable to remove the breakpoint at %s: %s\n",
			           kd_format_addr(eng, v[i].addr, a), kd_strerror(rc));
		}
	}
}

static int add_insert(struct kd_engine *eng, struct kd_target *t, struct inserted *v, size_t *n,
                      uint64_t addr, const char *what)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].addr == addr)
			return 0;
	uint32_t h;
	int rc = kd_engine_insert_breakpoint(eng, addr, &h);
	if (rc < 0) {
		char a[20];
		kd_eprintf(eng, "Unable to insert %s at %s: %s\n", what, kd_format_addr(eng, addr, a),
		           rc == KD_ETARGET ? "the target cannot write there" : kd_strerror(rc));
		return rc;
	}
	v[*n].addr = addr;
	v[*n].handle = h;
	(*n)++;
	return 0;
}

static int insert_all(struct kd_engine *eng, struct kd_exec *x, struct kd_target *t, const struct leg *lg,
                      struct inserted **out, size_t *nout)
{
	size_t cap = x->bps.n + lg->ntemps + 1, n = 0;
	struct inserted *v = calloc(cap, sizeof *v);
	if (!v)
		return KD_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < x->bps.n && rc == 0; i++) {
		const struct kd_bp *b = &x->bps.v[i];
		if (b->kind != KD_BP_SOFTWARE || !b->enabled || !b->resolved)
			continue;
		if (lg->skip_ip && b->addr == lg->ip)
			continue;
		char what[48];
		snprintf(what, sizeof what, "breakpoint %u", b->id);
		rc = add_insert(eng, t, v, &n, b->addr, what);
	}
	for (size_t i = 0; i < lg->ntemps && rc == 0; i++)
		if (!(lg->skip_ip && lg->temps[i] == lg->ip))
			rc = add_insert(eng, t, v, &n, lg->temps[i], "a temporary breakpoint");
	if (rc < 0) {
		remove_all(eng, t, v, n);
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* The hardware breakpoints in Dr0..Dr3 order (table order). */
static unsigned hw_slots(struct kd_exec *x, const struct kd_bp *slots[KD_BP_HW_SLOTS])
{
	unsigned n = 0;
	memset(slots, 0, KD_BP_HW_SLOTS * sizeof *slots);
	for (size_t i = 0; i < x->bps.n && n < KD_BP_HW_SLOTS; i++) {
		const struct kd_bp *b = &x->bps.v[i];
		if (b->kind == KD_BP_HARDWARE && b->enabled && b->resolved)
			slots[n++] = b;
	}
	return n;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Write Dr0-3 and Dr7 into every processor's KSPECIAL_REGISTERS. */
static int write_debug_registers(struct kd_engine *eng, struct kd_exec *x, const uint64_t addr[KD_BP_HW_SLOTS],
                                 uint64_t dr7)
{
	if (x->hw_written && x->hw_dr7 == dr7 && memcmp(x->hw_addr, addr, sizeof x->hw_addr) == 0)
		return 0;
	if (!x->hw_written && dr7 == 0)
		return 0;
	struct kd_target *t = kd_engine_target(eng);
	if (!t->ops->write_control || !t->ops->read_control)
		return KD_ENOTSUP;
	int x64 = kd_engine_is_64bit(eng);
	for (unsigned cpu = 0; cpu < kd_engine_cpu_count(eng); cpu++) {
		uint32_t done = 0;
		int rc;
		if (x64) {
			uint8_t sp[X64_KSPECIAL_HEAD];
			rc = t->ops->read_control(t, cpu, X64_KSPECIAL_ITEM, sp, sizeof sp, &done);
			if (rc < 0 || done != sizeof sp)
				return rc < 0 ? rc : KD_EUNREADABLE;
			for (unsigned i = 0; i < KD_BP_HW_SLOTS; i++)
				put_le(sp + X64_DR0 + 8 * i, addr[i], 8);
			put_le(sp + X64_DR7, dr7, 8);
			rc = t->ops->write_control(t, cpu, X64_KSPECIAL_ITEM, sp, sizeof sp, &done);
		} else {
			uint8_t dr[16], d7[4];
			for (unsigned i = 0; i < KD_BP_HW_SLOTS; i++)
				put_le(dr + 4 * i, addr[i], 4);
			put_le(d7, dr7, 4);
			rc = t->ops->write_control(t, cpu, X86_DR0, dr, sizeof dr, &done);
			if (rc == 0)
				rc = t->ops->write_control(t, cpu, X86_DR7, d7, sizeof d7, &done);
		}
		if (rc < 0)
			return rc;
	}
	memcpy(x->hw_addr, addr, sizeof x->hw_addr);
	x->hw_dr7 = dr7;
	x->hw_written = 1;
	return 0;
}

/* One resume: breakpoints in, go, wait, breakpoints out. *ev gets the stop. */
static int do_leg(struct kd_engine *eng, struct kd_exec *x, const struct leg *lg, struct kd_stop_event *ev)
{
	struct kd_target *t = kd_engine_target(eng);
	struct inserted *ins = NULL;
	size_t nins = 0;
	int rc;
	if (lg->insert && (rc = insert_all(eng, x, t, lg, &ins, &nins)) < 0)
		return rc;
	const struct kd_bp *slots[KD_BP_HW_SLOTS];
	hw_slots(x, slots);
	uint64_t addr[KD_BP_HW_SLOTS] = {0};
	for (unsigned i = 0; i < KD_BP_HW_SLOTS; i++)
		addr[i] = slots[i] ? slots[i]->addr : 0;
	uint64_t dr7 = lg->hw ? kd_bp_dr7(slots) : 0;
	rc = write_debug_registers(eng, x, addr, dr7);
	if (rc < 0) {
		kd_eprintf(eng, "Unable to set the debug registers: %s\n", kd_strerror(rc));
		remove_all(eng, t, ins, nins);
		free(ins);
		return rc;
	}
	struct kd_resume rs = { .status = lg->status, .trace = lg->trace, .dr7 = dr7 };
	rc = kd_engine_resume(eng, &rs);
	if (rc == 0) {
		/* Ctrl-C while the target runs breaks in; a cancel that reached
		 * the wait some other way asks for the same. */
		while ((rc = kd_engine_wait_stop(eng, 0)) == KD_ECANCELED) {
			kd_engine_set_cancel(eng, 0);
			kd_engine_break_in(eng);
		}
	}
	if (rc < 0) {
		kd_eprintf(eng, "The target did not stop: %s\n", kd_strerror(rc));
		if (kd_engine_is_stopped(eng))
			remove_all(eng, t, ins, nins);
		free(ins);
		return rc;
	}
	/* The hardware slots are cleared by the next plain continue; what the
	 * kernel holds now is what Continue2 gave it. */
	x->hw_dr7 = dr7;
	remove_all(eng, t, ins, nins);
	free(ins);
	*ev = *kd_engine_last_event(eng);
	return 0;
}

/* --- what a stop means ----------------------------------------------------- */

enum outcome {
	OUT_STOP,    /* reported to the user: the command ends */
	OUT_AGAIN,   /* nothing for the user: go on as before */
	OUT_TEMP,    /* a temporary breakpoint of the command was reached */
	OUT_STEPPED, /* the traced instruction completed */
};

struct run {
	struct kd_engine *eng;
	struct kd_exec *x;
	const uint64_t *temps;
	size_t ntemps;
	uint64_t thread;      /* temporary breakpoints count on this thread only (0: any) */
	uint64_t min_sp;      /* ...and only above this stack pointer (0: any) */
	uint32_t status;      /* how the next leg continues */
	char pending_cmd[512]; /* a breakpoint's command string, run after the report */
	int have_cmd;
};

static uint64_t current_ip(struct kd_engine *eng, uint64_t *sp)
{
	struct kd_context c;
	if (kd_get_context(eng, &c) < 0)
		return 0;
	if (sp)
		*sp = kd_context_sp(&c);
	return kd_context_ip(&c);
}

static void print_exception_line(struct kd_engine *eng, const struct kd_stop_event *ev)
{
	kd_printf(eng, "%s - code %08x (%s)\n", kd_event_exception_name(ev->code), ev->code,
	          ev->first_chance ? "first chance" : "!!! second chance !!!");
}

void kd_exec_report_stop(struct kd_engine *eng)
{
	const struct kd_stop_event *ev = kd_engine_last_event(eng);
	struct kd_bugcheck bc;
	if (ev->kind == KD_STOP_EXCEPTION) {
		if (kd_events_is_bugcheck(eng, ev, &bc))
			kd_events_print_bugcheck(eng, &bc);
		else
			print_exception_line(eng, ev);
	}
	kd_disasm_show_current(eng, NULL);
}

/* A breakpoint of the table was reached: count the pass, report the hit. */
static enum outcome bp_hit(struct run *r, struct kd_bp *b)
{
	if (b->condition[0]) {
		uint64_t v = 0;
		const char *end = NULL;
		char msg[300];
		if (kd_eval_msg(r->eng, b->condition, &v, &end, msg, sizeof msg) < 0)
			kd_eprintf(r->eng, "Breakpoint %u: the condition failed: %s\n", b->id, msg);
		else if (v == 0)
			return OUT_AGAIN;
	}
	if (b->passes_left > 1) {
		b->passes_left--;
		return OUT_AGAIN;
	}
	kd_printf(r->eng, "Breakpoint %u hit\n", b->id);
	kd_disasm_show_current(r->eng, NULL);
	if (b->command[0]) {
		snprintf(r->pending_cmd, sizeof r->pending_cmd, "%s", b->command);
		r->have_cmd = 1;
	}
	if (b->oneshot)
		kd_bp_delete(&r->x->bps, b->id);
	return OUT_STOP;
}

static int is_temp(const struct run *r, uint64_t addr)
{
	for (size_t i = 0; i < r->ntemps; i++)
		if (r->temps[i] == addr)
			return 1;
	return 0;
}

static enum outcome classify(struct run *r, const struct kd_stop_event *ev, int tracing)
{
	struct kd_engine *eng = r->eng;
	struct kd_exec *x = r->x;
	r->status = KD_RESUME_HANDLED;
	if (ev->kind == KD_STOP_LOAD_SYMBOLS) {
		char name[64];
		module_name(ev->path, name, sizeof name);
		if (ev->unload) {
			for (size_t i = 0; i < x->bps.n; i++) {
				struct kd_bp *b = &x->bps.v[i];
				if (b->deferred && b->resolved && b->addr >= ev->base && b->addr - ev->base < ev->size)
					b->resolved = 0;
			}
		} else {
			kd_exec_resolve(eng);
		}
		if (kd_events_module(&x->events, ev->unload, name) == KD_SX_BREAK) {
			kd_disasm_show_current(eng, NULL);
			return OUT_STOP;
		}
		return OUT_AGAIN;
	}
	if (ev->kind != KD_STOP_EXCEPTION) {
		kd_exec_report_stop(eng);
		return OUT_STOP;
	}
	if (ev->code == STATUS_BREAKPOINT) {
		struct kd_bugcheck bc;
		if (kd_events_is_bugcheck(eng, ev, &bc)) {
			kd_events_print_bugcheck(eng, &bc);
			kd_disasm_show_current(eng, NULL);
			return OUT_STOP;
		}
		struct kd_bp *b = kd_bp_at(&x->bps, KD_BP_SOFTWARE, ev->address);
		if (is_temp(r, ev->address)) {
			uint64_t sp = 0;
			current_ip(eng, &sp);
			int mine = (!r->thread || !ev->thread || ev->thread == r->thread) &&
			           (!r->min_sp || sp > r->min_sp);
			if (mine)
				return OUT_TEMP;
			if (!b || !b->enabled)
				return OUT_AGAIN;
		}
		if (b && b->enabled)
			return bp_hit(r, b);
	}
	if (ev->code == STATUS_SINGLE_STEP) {
		uint64_t dr6 = kd_engine_last_dr6(eng);
		if ((dr6 & 0xf) == 0) {
			struct kd_context c;
			if (kd_get_context(eng, &c) == 0)
				dr6 = c.machine == KD_MACHINE_AMD64 ? c.u.x64.Dr6 : c.u.x86.Dr6;
		}
		if (dr6 & 0xf) {
			const struct kd_bp *slots[KD_BP_HW_SLOTS];
			hw_slots(x, slots);
			for (unsigned i = 0; i < KD_BP_HW_SLOTS; i++) {
				if ((dr6 & (1u << i)) && slots[i])
					return bp_hit(r, kd_bp_find(&x->bps, slots[i]->id));
			}
		}
		if (tracing)
			return OUT_STEPPED;
	}
	enum kd_sx_cont cont;
	enum kd_sx st = kd_events_exception(&x->events, ev->code, &cont);
	r->status = cont == KD_SX_NOT_HANDLED ? KD_RESUME_NOT_HANDLED : KD_RESUME_HANDLED;
	if (st == KD_SX_BREAK || (st == KD_SX_SECOND && !ev->first_chance)) {
		kd_exec_report_stop(eng);
		return OUT_STOP;
	}
	if (st != KD_SX_IGNORE)
		print_exception_line(eng, ev);
	return OUT_AGAIN;
}

/* --- the kinds of run ------------------------------------------------------ */

/* A breakpoint (or execute watchpoint) of ours where the processor is:
 * it must be stepped off before the rest go in. */
static int needs_step_off(struct run *r, uint64_t ip)
{
	struct kd_exec *x = r->x;
	for (size_t i = 0; i < x->bps.n; i++) {
		const struct kd_bp *b = &x->bps.v[i];
		if (b->enabled && b->resolved && b->addr == ip &&
		    (b->kind == KD_BP_SOFTWARE || b->access == 'e'))
			return 1;
	}
	return is_temp(r, ip);
}

static int hw_exec_at(struct kd_exec *x, uint64_t ip)
{
	for (size_t i = 0; i < x->bps.n; i++) {
		const struct kd_bp *b = &x->bps.v[i];
		if (b->kind == KD_BP_HARDWARE && b->access == 'e' && b->enabled && b->resolved && b->addr == ip)
			return 1;
	}
	return 0;
}

/* Run until something stops the target for the user (OUT_STOP) or a
 * temporary breakpoint is reached (OUT_TEMP). over_ip: the instruction at
 * the current address is run without its breakpoint rather than traced
 * (p over a call that has a breakpoint). */
static int run_go(struct run *r, int over_ip, enum outcome *res)
{
	struct kd_stop_event ev;
	for (int first = 1;; first = 0) {
		uint64_t ip = current_ip(r->eng, NULL);
		struct leg lg = { .insert = 1, .hw = 1, .temps = r->temps, .ntemps = r->ntemps };
		if (first && over_ip) {
			lg.skip_ip = 1;
			lg.ip = ip;
			lg.hw = !hw_exec_at(r->x, ip);
		} else if (needs_step_off(r, ip)) {
			struct leg step = { .trace = 1, .status = r->status };
			int rc = do_leg(r->eng, r->x, &step, &ev);
			if (rc < 0)
				return rc;
			enum outcome o = classify(r, &ev, 1);
			if (o == OUT_STOP || o == OUT_TEMP) {
				*res = o;
				return 0;
			}
			if (o == OUT_AGAIN)
				continue;
		}
		lg.status = r->status;
		int rc = do_leg(r->eng, r->x, &lg, &ev);
		if (rc < 0)
			return rc;
		enum outcome o = classify(r, &ev, 0);
		if (o == OUT_STEPPED) {
			kd_exec_report_stop(r->eng);
			o = OUT_STOP;
		}
		if (o != OUT_AGAIN) {
			*res = o;
			return 0;
		}
	}
}

/* One instruction with the trace flag. */
static int run_trace(struct run *r, enum outcome *res)
{
	struct kd_stop_event ev;
	for (int tries = 0; tries < 16; tries++) {
		struct leg lg = { .trace = 1, .status = r->status };
		int rc = do_leg(r->eng, r->x, &lg, &ev);
		if (rc < 0)
			return rc;
		enum outcome o = classify(r, &ev, 1);
		if (o != OUT_AGAIN) {
			*res = o == OUT_TEMP ? OUT_STEPPED : o;
			return 0;
		}
	}
	*res = OUT_STEPPED;
	return 0;
}

static int decode_current(struct kd_engine *eng, struct kd_insn *in)
{
	struct kd_disasm_env env;
	kd_disasm_env_engine(&env, eng);
	uint64_t ip = current_ip(eng, NULL);
	int rc = kd_disasm_one(&env, ip, in);
	if (rc < 0)
		return rc;
	return in->valid ? 0 : KD_EUNREADABLE;
}

/* p: over calls and rep-prefixed string instructions with a temporary
 * breakpoint after them, else one traced instruction. */
static int run_step_over(struct run *r, enum outcome *res)
{
	struct kd_insn in;
	if (decode_current(r->eng, &in) == 0 &&
	    (in.is_call || strncasecmp(in.mnemonic, "rep", 3) == 0)) {
		uint64_t after = in.addr + in.size;
		struct kd_context c;
		if (kd_get_context(r->eng, &c) < 0)
			return KD_EUNREADABLE;
		struct run sub = *r;
		sub.temps = &after;
		sub.ntemps = 1;
		sub.thread = kd_engine_last_event(r->eng)->thread;
		/* A recursive call reaches the same address deeper in the stack. */
		sub.min_sp = kd_context_sp(&c) - 1;
		enum outcome o;
		int rc = run_go(&sub, 1, &o);
		r->status = sub.status;
		if (sub.have_cmd) {
			memcpy(r->pending_cmd, sub.pending_cmd, sizeof r->pending_cmd);
			r->have_cmd = 1;
		}
		if (rc < 0)
			return rc;
		*res = o == OUT_TEMP ? OUT_STEPPED : o;
		return 0;
	}
	return run_trace(r, res);
}

/* gu through the stack walker: a temporary breakpoint at the return
 * address of frame 0, reached with the stack pointer above the current
 * one (recursion comes back through the same address deeper down). Only
 * when the walker knows how it found the caller: unwind data or a leaf
 * on x64, FPO/FrameData/Non-FPO records on x86. Returns 1 when done. */
static int go_up_by_walk(struct run *r, uint64_t start_sp, enum outcome *res, int *rc)
{
	struct kd_stack_frame frames[2];
	size_t n = 0;
	if (kd_context_is_overridden(r->eng) || kd_stack_walk(r->eng, NULL, frames, 2, &n) < 0 || n < 2)
		return 0;
	unsigned f = frames[0].flags;
	unsigned trusted = kd_engine_is_64bit(r->eng) ? (KD_FRAME_UNWIND | KD_FRAME_LEAF)
	                 : (KD_FRAME_FPO | KD_FRAME_FRAMEDATA | KD_FRAME_NONFPO);
	if (!(f & trusted) || (f & (KD_FRAME_HEURISTIC | KD_FRAME_NO_INFO | KD_FRAME_TRAP | KD_FRAME_TASK_GATE)) ||
	    !frames[0].ret || frames[1].sp <= start_sp)
		return 0;
	uint64_t ret = frames[0].ret;
	struct run sub = *r;
	sub.temps = &ret;
	sub.ntemps = 1;
	sub.thread = kd_engine_last_event(r->eng)->thread;
	sub.min_sp = start_sp;
	*rc = run_go(&sub, 0, res);
	r->status = sub.status;
	if (sub.have_cmd) {
		memcpy(r->pending_cmd, sub.pending_cmd, sizeof r->pending_cmd);
		r->have_cmd = 1;
	}
	if (*rc == 0 && *res == OUT_TEMP)
		*res = OUT_STEPPED;
	return 1;
}

/* gu: run to the caller. With the stack walker's return address when it
 * is sure of it, else by stepping (over calls) until a ret leaves the
 * function: the stack pointer ends above where it was. */
static int run_go_up(struct run *r, enum outcome *res)
{
	uint64_t start_sp = 0;
	current_ip(r->eng, &start_sp);
	int rc = 0;
	if (go_up_by_walk(r, start_sp, res, &rc))
		return rc;
	for (unsigned n = 0; n < GU_MAX_STEPS; n++) {
		if (kd_engine_canceled(r->eng)) {
			kd_eprintf(r->eng, "gu: stopped by Ctrl-C\n");
			*res = OUT_STEPPED;
			return 0;
		}
		struct kd_insn in;
		int is_ret = decode_current(r->eng, &in) == 0 && in.is_ret;
		rc = is_ret ? run_trace(r, res) : run_step_over(r, res);
		if (rc < 0)
			return rc;
		if (*res != OUT_STEPPED)
			return 0;
		uint64_t sp = 0;
		current_ip(r->eng, &sp);
		if (is_ret && sp > start_sp)
			return 0;
	}
	kd_eprintf(r->eng, "gu: the function did not return within %u instructions\n", GU_MAX_STEPS);
	*res = OUT_STEPPED;
	return 0;
}

/* pc/tc: step until the next call instruction (not executed). */
static int run_to_call(struct run *r, int into, enum outcome *res)
{
	for (unsigned n = 0; n < GU_MAX_STEPS; n++) {
		if (kd_engine_canceled(r->eng)) {
			*res = OUT_STEPPED;
			return 0;
		}
		struct kd_insn in;
		if (n > 0 && decode_current(r->eng, &in) == 0 && in.is_call) {
			*res = OUT_STEPPED;
			return 0;
		}
		int rc = into ? run_trace(r, res) : run_step_over(r, res);
		if (rc < 0)
			return rc;
		if (*res != OUT_STEPPED)
			return 0;
	}
	*res = OUT_STEPPED;
	return 0;
}

/* The registers and the instruction, as r shows them. */
static void show_step(struct kd_engine *eng)
{
	if (kd_engine_run_command(eng, "r") == KD_ENOTSUP)
		kd_disasm_show_current(eng, NULL);
}

/* Run a breakpoint's command string: j picks one branch; a trailing
 * g/gc/gh/gn comes back in go[] for the caller to do. */
static int run_bp_command(struct kd_engine *eng, const char *cmd, char go[4])
{
	struct kd_bp_cmd c;
	go[0] = '\0';
	if (kd_bp_split_command(cmd, &c) < 0)
		return kd_engine_run_command(eng, cmd);
	if (c.is_j) {
		uint64_t v = 0;
		const char *end = NULL;
		char msg[300], chosen[sizeof c.a];
		if (kd_eval_msg(eng, c.expr, &v, &end, msg, sizeof msg) < 0) {
			kd_eprintf(eng, "%s\n", msg);
			return KD_EINVAL;
		}
		memcpy(chosen, v ? c.a : c.b, sizeof chosen);
		if (kd_bp_split_command(chosen, &c) < 0 || c.is_j)
			return kd_engine_run_command(eng, chosen);
	}
	int rc = c.a[0] ? kd_engine_run_command(eng, c.a) : 0;
	memcpy(go, c.go, sizeof c.go);
	return rc;
}

static uint32_t first_status(struct kd_engine *eng, struct kd_exec *x, enum kd_run_status s)
{
	if (s == KD_RUN_STATUS_HANDLED)
		return KD_RESUME_HANDLED;
	if (s == KD_RUN_STATUS_NOT_HANDLED)
		return KD_RESUME_NOT_HANDLED;
	const struct kd_stop_event *ev = kd_engine_last_event(eng);
	if (ev->kind != KD_STOP_EXCEPTION || !ev->first_chance)
		return KD_RESUME_HANDLED;
	enum kd_sx_cont cont;
	kd_events_exception(&x->events, ev->code, &cont);
	return cont == KD_SX_NOT_HANDLED ? KD_RESUME_NOT_HANDLED : KD_RESUME_HANDLED;
}

/* Running the target needs a live target that is stopped, and the
 * execution state. */
static int stopped_live(struct kd_engine *eng, struct kd_target **t, struct kd_exec **x)
{
	*t = kd_engine_target(eng);
	*x = kd_exec_get(eng);
	if (!kd_engine_can_run(eng))
		return *t ? KD_ENOTSUP : KD_EDISCONNECTED;
	if (!*x)
		return KD_ENOMEM;
	return kd_engine_is_stopped(eng) ? 0 : KD_ERUNNING;
}

int kd_exec_run(struct kd_engine *eng, const struct kd_run_req *req)
{
	struct kd_target *t;
	struct kd_exec *x;
	int prc = stopped_live(eng, &t, &x);
	if (prc < 0)
		return prc;
	kd_exec_resolve(eng);
	struct run r;
	memset(&r, 0, sizeof r);
	r.eng = eng;
	r.x = x;
	r.status = first_status(eng, x, req->status);
	int was_running = x->running;
	x->running = 1;
	kd_engine_set_module_hook(eng, module_hook, eng);
	unsigned count = req->count ? req->count : 1;
	int rc = 0;
	enum outcome o = OUT_STOP;
	for (unsigned i = 0; i < count && rc == 0; i++) {
		switch (req->kind) {
		case KD_RUN_GO:
			r.temps = req->go;
			r.ntemps = req->ngo;
			rc = run_go(&r, 0, &o);
			if (rc == 0 && o == OUT_TEMP)
				kd_disasm_show_current(eng, NULL);
			break;
		case KD_RUN_TRACE:
			rc = run_trace(&r, &o);
			break;
		case KD_RUN_STEP:
			rc = run_step_over(&r, &o);
			break;
		case KD_RUN_GO_UP:
			rc = run_go_up(&r, &o);
			break;
		case KD_RUN_TO_CALL:
		case KD_RUN_TRACE_TO_CALL:
			rc = run_to_call(&r, req->kind == KD_RUN_TRACE_TO_CALL, &o);
			break;
		}
		if (rc < 0 || o == OUT_STOP)
			break;
		if (o == OUT_STEPPED)
			show_step(eng);
	}
	/* A breakpoint's command string; one that ends in g goes on here,
	 * not in a nested run, so a logging breakpoint can hit any number
	 * of times. */
	while (rc == 0 && r.have_cmd) {
		char cmd[sizeof r.pending_cmd], go[4];
		memcpy(cmd, r.pending_cmd, sizeof cmd);
		r.have_cmd = 0;
		rc = run_bp_command(eng, cmd, go);
		if (rc < 0 || !go[0] || !kd_engine_is_stopped(eng))
			break;
		r.status = go[1] == 'h' ? KD_RESUME_HANDLED : go[1] == 'n' ? KD_RESUME_NOT_HANDLED
		         : first_status(eng, x, KD_RUN_STATUS_DEFAULT);
		r.temps = NULL;
		r.ntemps = 0;
		r.thread = 0;
		r.min_sp = 0;
		rc = run_go(&r, 0, &o);
		if (rc == 0 && o == OUT_TEMP)
			kd_disasm_show_current(eng, NULL);
	}
	x->running = was_running;
	if (!was_running)
		kd_engine_set_module_hook(eng, NULL, NULL);
	return rc;
}

/* dbgeng asks for this code; the kernel bugchecks with its own
 * (MANUALLY_INITIATED_CRASH, 0xE2, on current Windows). */
#define CRASH_BUGCHECK_CODE 0xdeaddeadu

/* After the resume that kd did not do through a leg (.crash, .reboot):
 * wait for the stop, then treat it as a run does. */
static int wait_and_run(struct kd_engine *eng, struct kd_exec *x, struct kd_target *t)
{
	int rc;
	while ((rc = kd_engine_wait_stop(eng, 0)) == KD_ECANCELED) {
		kd_engine_set_cancel(eng, 0);
		kd_engine_break_in(eng);
	}
	if (rc < 0)
		return rc;
	struct run r;
	memset(&r, 0, sizeof r);
	r.eng = eng;
	r.x = x;
	struct kd_stop_event ev = *kd_engine_last_event(eng);
	enum outcome o = classify(&r, &ev, 0);
	if (o != OUT_STOP)
		rc = run_go(&r, 0, &o);
	if (rc == 0 && r.have_cmd)
		rc = kd_engine_run_command(eng, r.pending_cmd);
	return rc;
}

static int resume_other(struct kd_engine *eng, int reboot)
{
	struct kd_target *t;
	struct kd_exec *x;
	int prc = stopped_live(eng, &t, &x);
	if (prc < 0)
		return prc;
	int was_running = x->running;
	x->running = 1;
	kd_engine_set_module_hook(eng, module_hook, eng);
	int rc;
	if (reboot) {
		/* Modules come back, perhaps elsewhere: bu resolves again. */
		for (size_t i = 0; i < x->bps.n; i++)
			if (x->bps.v[i].deferred)
				x->bps.v[i].resolved = 0;
		x->hold_next = 1;
		x->hw_written = 0;
		rc = kd_engine_reboot(eng);
	} else {
		rc = kd_engine_cause_bugcheck(eng, CRASH_BUGCHECK_CODE);
	}
	if (rc == 0)
		rc = wait_and_run(eng, x, t);
	x->hold_next = 0;
	x->running = was_running;
	if (!was_running)
		kd_engine_set_module_hook(eng, NULL, NULL);
	return rc;
}

int kd_exec_crash(struct kd_engine *eng)
{
	return resume_other(eng, 0);
}

int kd_exec_reboot(struct kd_engine *eng)
{
	return resume_other(eng, 1);
}
