/*
 * kdsim's processors at work (see run.h). A processor with code runs it
 * in slices of the event loop, so that a break-in can come between two
 * instructions; the checks are the processor's own, in its order:
 * execute debug registers before the instruction (unless the resume flag
 * is set), a breakpoint byte the debugger wrote, the instruction, then
 * data debug registers after the access.
 */
#include "tests/kdsim/run.h"

#include <stdio.h>
#include <string.h>

#include "proto/dbgkd.h"
#include "tests/kdsim/image_map.h"

#define SLICE 2000          /* instructions between two looks at the link */
#define DR6_BS 0x4000u      /* single step */
#define DBG_STATUS_BUGCHECK_FIRST 3
#define DBG_STATUS_BUGCHECK_SECOND 4
#define DBG_EXCEPTION_NOT_HANDLED 0x80010001u
#define KMODE_EXCEPTION_NOT_HANDLED 0x1eu

static void run_set_ip(struct kd_context *c, uint64_t ip)
{
	if (c->machine == KD_MACHINE_AMD64)
		c->u.x64.Rip = ip;
	else
		c->u.x86.Eip = (uint32_t)ip;
}

static unsigned dr7_enabled(uint64_t dr7, unsigned i)
{
	return (unsigned)(dr7 >> (2 * i)) & 3;
}

static unsigned dr7_rw(uint64_t dr7, unsigned i)
{
	return (unsigned)(dr7 >> (16 + 4 * i)) & 3;
}

static uint64_t dr7_len(uint64_t dr7, unsigned i)
{
	static const uint64_t len[4] = { 1, 2, 8, 4 };
	return len[(dr7 >> (18 + 4 * i)) & 3];
}

/* Data debug registers of cpu that [addr, addr+size) matches. */
static unsigned data_hits(struct sim_stub *s, unsigned cpu, uint64_t addr, uint64_t size, int write)
{
	uint64_t dr7 = sim_stub_get_dr(s, cpu, 7);
	unsigned hit = 0;
	for (unsigned i = 0; i < 4; i++) {
		unsigned rw = dr7_rw(dr7, i);
		if (!dr7_enabled(dr7, i) || rw == 0 || rw == 2 || (rw == 1 && !write))
			continue;
		uint64_t len = dr7_len(dr7, i);
		uint64_t a = sim_stub_get_dr(s, cpu, i) & ~(len - 1);
		if (addr < a + len && a < addr + size)
			hit |= 1u << i;
	}
	return hit;
}

/* A debug exception: Dr6 says why. */
static void report_debug(struct sim_stub *s, unsigned cpu, unsigned dr6)
{
	sim_stub_set_dr(s, cpu, 6, dr6);
	sim_stub_report_exception(s, cpu, KD_STATUS_SINGLE_STEP, kd_context_ip(&s->m->ctx[cpu]), 1, NULL, 0);
}

static void report_breakpoint(struct sim_stub *s, unsigned cpu, uint64_t addr)
{
	uint64_t params[3] = { 0, 0, 0 };
	sim_stub_report_exception(s, cpu, KD_STATUS_BREAKPOINT, addr, 1, params, 3);
}

static void start_code(struct sim_stub *s, unsigned cpu)
{
	struct sim_cpu_state *st = &s->cpus[cpu];
	if (!st->running && !st->end_on_resume)
		st->idle = s->m->ctx[cpu];
	st->running = 1;
	st->end_on_resume = 0;
	st->count = 0;
	st->resume_flag = 0;
	st->sp0 = kd_context_sp(&s->m->ctx[cpu]);
}

/* The code is over: the processor goes back to what it did before. */
static void end_code(struct sim_stub *s, unsigned cpu)
{
	struct sim_cpu_state *st = &s->cpus[cpu];
	if (st->running || st->end_on_resume)
		s->m->ctx[cpu] = st->idle;
	st->running = 0;
	st->end_on_resume = 0;
	st->at_int3 = 0;
	st->resume_flag = 0;
	st->exc_chance = 0;
}

/* One instruction of cpu; 1 when the target stopped (a report went out). */
static int step_cpu(struct sim_stub *s, unsigned cpu, int trace)
{
	struct sim_cpu_state *st = &s->cpus[cpu];
	struct kd_context *ctx = &s->m->ctx[cpu];
	uint64_t ip = kd_context_ip(ctx);
	uint64_t dr7 = sim_stub_get_dr(s, cpu, 7);
	if (!st->resume_flag) {
		unsigned hit = 0;
		for (unsigned i = 0; i < 4; i++)
			if (dr7_enabled(dr7, i) && dr7_rw(dr7, i) == 0 && sim_stub_get_dr(s, cpu, i) == ip)
				hit |= 1u << i;
		if (hit) {
			st->resume_flag = 1; /* as the kernel sets RF: going on runs it */
			report_debug(s, cpu, hit);
			return 1;
		}
	}
	st->resume_flag = 0;
	uint8_t b;
	if (sim_read(s->m, ip, &b, 1) == 1 && b == 0xcc && sim_stub_breakpoint_at(s, ip)) {
		report_breakpoint(s, cpu, ip);
		return 1;
	}
	struct sim_step r;
	sim_emu_step(&s->emu, s->m, ctx, &r);
	switch (r.kind) {
	case SIM_STEP_INT3:
		st->at_int3 = 1;
		st->int3_addr = ip;
		report_breakpoint(s, cpu, ip);
		return 1;
	case SIM_STEP_FAULT:
		if (trace) {
			uint64_t params[2] = { 0, r.fault_addr };
			sim_stub_report_exception(s, cpu, KD_STATUS_ACCESS_VIOLATION, ip, 1, params, 2);
			return 1;
		}
		end_code(s, cpu);
		return 0;
	case SIM_STEP_HALT:
		if (!trace) {
			end_code(s, cpu);
			return 0;
		}
		break;
	case SIM_STEP_DONE:
		if (!trace && r.ret && r.ret_sp >= st->sp0) { /* left the code it was given */
			end_code(s, cpu);
			return 0;
		}
		break;
	}
	st->count++;
	unsigned hit = 0;
	for (unsigned i = 0; i < r.naccess; i++)
		hit |= data_hits(s, cpu, r.access[i].addr, r.access[i].size, r.access[i].write);
	if (hit || trace) {
		report_debug(s, cpu, hit | (trace ? DR6_BS : 0));
		return 1;
	}
	if (s->code_limit && st->count >= s->code_limit)
		end_code(s, cpu);
	return 0;
}

static void write_le(struct sim_machine *m, uint64_t a, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sim_write(m, a, b, n);
}

static uint64_t read_le(struct sim_machine *m, uint64_t a, unsigned n)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;
	sim_read(m, a, b, n);
	for (unsigned i = 0; i < n && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* The next scripted event; 0 when there is none (the target idles). */
static int next_event(struct sim_stub *s)
{
	const struct sim_event *e = s->script && !s->bugchecked ? sim_script_next(s->script) : NULL;
	struct sim_machine *m = s->m;
	if (!e)
		return 0;
	unsigned cpu = e->cpu < m->ncpu ? e->cpu : 0;
	struct kd_context *ctx = &m->ctx[cpu];
	switch (e->kind) {
	case SIM_EVENT_LOAD: {
		uint32_t size = (uint32_t)e->size, isz = 0, checksum = 0;
		char err[512];
		if (e->file[0]) {
			if (sim_image_map(m, e->file, e->addr, &isz, err, sizeof err) < 0) {
				fprintf(stderr, "kdsim: %s\n", err);
			} else {
				/* DbgLoadImageSymbols reports the header's CheckSum */
				uint32_t lfanew = (uint32_t)read_le(m, e->addr + 0x3c, 4);
				checksum = (uint32_t)read_le(m, e->addr + lfanew + 0x58, 4);
				if (!size)
					size = isz;
			}
		} else {
			sim_map(m, e->addr, size ? size : SIM_PAGE);
		}
		/* in PsLoadedModuleList too, for a debugger that attaches later */
		if (m->nmodules < sizeof m->modules / sizeof m->modules[0]) {
			struct sim_module *mod = &m->modules[m->nmodules++];
			memset(mod, 0, sizeof *mod);
			size_t pl = strlen(e->path) < sizeof mod->path - 1 ? strlen(e->path) : sizeof mod->path - 1;
			memcpy(mod->path, e->path, pl);
			mod->path[pl] = '\0';
			mod->base = e->addr;
			mod->size = size;
			mod->checksum = checksum;
		}
		sim_stub_remap(s);
		sim_stub_report_symbols(s, e->path, e->addr, size, checksum, 0);
		return 1;
	}
	case SIM_EVENT_UNLOAD:
		for (size_t i = 0; i < m->nmodules; i++) {
			if (m->modules[i].base == e->addr) {
				memmove(&m->modules[i], &m->modules[i + 1], (m->nmodules - i - 1) * sizeof m->modules[0]);
				m->nmodules--;
				if (i < s->boot_modules)
					s->boot_modules--;
				sim_stub_remap(s);
				break;
			}
		}
		sim_stub_report_symbols(s, e->name, e->addr, 0, 0, 1);
		return 1;
	case SIM_EVENT_RUN:
		start_code(s, cpu);
		run_set_ip(ctx, e->addr);
		for (unsigned i = 0; i < e->nregs; i++)
			sim_set_register(ctx, e->regs[i].name, e->regs[i].value);
		s->cpus[cpu].sp0 = kd_context_sp(ctx);
		return 1;
	case SIM_EVENT_EXCEPTION:
		s->cpus[cpu].idle = *ctx;
		s->cpus[cpu].end_on_resume = 1;
		run_set_ip(ctx, e->addr);
		for (unsigned i = 0; i < e->nregs; i++)
			sim_set_register(ctx, e->regs[i].name, e->regs[i].value);
		s->cpus[cpu].exc_chance = e->first_chance ? 1 : 2;
		s->cpus[cpu].exc_code = e->code;
		s->cpus[cpu].exc_addr = e->addr;
		s->cpus[cpu].exc_nparams = e->nparams;
		memcpy(s->cpus[cpu].exc_params, e->params, sizeof e->params);
		sim_stub_report_exception(s, cpu, e->code, e->addr, e->first_chance, e->params, e->nparams);
		return 1;
	case SIM_EVENT_WRITE: {
		unsigned hit;
		if (sim_map(m, e->addr, e->size) == 0)
			write_le(m, e->addr, e->value, (unsigned)e->size);
		hit = data_hits(s, cpu, e->addr, e->size, 1);
		if (hit)
			report_debug(s, cpu, hit);
		return 1;
	}
	case SIM_EVENT_PRINT:
		sim_stub_print(s, e->text);
		return 1;
	case SIM_EVENT_PROMPT:
		sim_stub_prompt(s, e->text);
		return 1;
	case SIM_EVENT_BUGCHECK:
		sim_run_bugcheck(s, 0, e->code, e->params);
		return 1;
	}
	return 0;
}

/* KeBugCheckEx with a debugger: DbgBreakPointWithStatus(status). */
static void bugcheck_break(struct sim_stub *s, unsigned cpu, unsigned status)
{
	struct kd_context *ctx = &s->m->ctx[cpu];
	run_set_ip(ctx, s->m->break_pc);
	if (s->m->machine == KD_MACHINE_AMD64)
		ctx->u.x64.Rcx = status;
	else
		ctx->u.x86.Eax = status;
	s->cpus[cpu].at_int3 = 1;
	s->cpus[cpu].int3_addr = s->m->break_pc;
	report_breakpoint(s, cpu, s->m->break_pc);
}

void sim_run_bugcheck(struct sim_stub *s, unsigned cpu, uint32_t code, const uint64_t *params)
{
	struct sim_machine *m = s->m;
	unsigned ps = sim_pointer_size(m);
	write_le(m, s->bugcheck_data, code, ps);
	for (unsigned i = 0; i < 4; i++)
		write_le(m, s->bugcheck_data + ps * (i + 1), params ? params[i] : 0, ps);
	s->bugchecked = 1;
	sim_run_halt(s);
	for (unsigned c = 0; c < m->ncpu; c++)
		end_code(s, c);
	bugcheck_break(s, cpu < m->ncpu ? cpu : 0, DBG_STATUS_BUGCHECK_FIRST);
}

static void on_slice(uv_timer_t *t)
{
	struct sim_stub *s = t->data;
	for (int n = 0; n < SLICE && !s->stopped && !s->prompting; n++) {
		int any = 0;
		for (unsigned c = 0; c < s->m->ncpu && !s->stopped; c++) {
			if (!s->cpus[c].running)
				continue;
			any = 1;
			step_cpu(s, c, 0);
		}
		if (!any && !s->stopped && !next_event(s))
			return; /* idle until a break-in */
	}
	/* Code that never ends (no --max-instructions) runs at a pace that
	 * leaves the machine to others: a slice a millisecond. */
	if (!s->stopped && !s->prompting)
		uv_timer_start(&s->run_timer, on_slice, s->code_limit ? 0 : 1, 0);
}

void sim_run_go_on(struct sim_stub *s)
{
	if (!s->stopped && !s->prompting)
		uv_timer_start(&s->run_timer, on_slice, 0, 0);
}

void sim_run_resume(struct sim_stub *s, int trace, uint32_t status)
{
	if (s->dump || s->replay)
		return;
	unsigned cpu = s->cpu < s->m->ncpu ? s->cpu : 0;
	struct sim_cpu_state *st = &s->cpus[cpu];
	struct kd_context *ctx = &s->m->ctx[cpu];
	if (s->bugchecked == 1 && !trace) {
		/* after the callbacks and the dump, the kernel breaks again */
		s->bugchecked = 2;
		bugcheck_break(s, cpu, DBG_STATUS_BUGCHECK_SECOND);
		return;
	}
	/* A scripted exception's processor gets the continue status, even
	 * when the debugger switched to another processor since. */
	for (unsigned c = 0; c < s->m->ncpu && !trace; c++) {
		struct sim_cpu_state *ex = &s->cpus[c];
		if (ex->exc_chance && status == DBG_EXCEPTION_NOT_HANDLED) {
			if (ex->exc_chance == 1) {
				/* no handler took it: the debugger's second chance */
				ex->exc_chance = 2;
				sim_stub_report_exception(s, c, ex->exc_code, ex->exc_addr, 0, ex->exc_params, ex->exc_nparams);
				return;
			}
			uint64_t p[4] = { ex->exc_code, ex->exc_addr, ex->exc_params[0], ex->exc_params[1] };
			sim_run_bugcheck(s, c, KMODE_EXCEPTION_NOT_HANDLED, p);
			return;
		}
		if (ex->end_on_resume)
			end_code(s, c);
	}
	if (st->at_int3) {
		/* The code's own int 3 is behind it once the debugger goes on. */
		uint64_t ip = kd_context_ip(ctx);
		uint8_t b;
		st->at_int3 = 0;
		if (ip == st->int3_addr && sim_read(s->m, ip, &b, 1) == 1 && b == 0xcc && !sim_stub_breakpoint_at(s, ip)) {
			if (trace) {
				if (!st->running)
					start_code(s, cpu);
				run_set_ip(ctx, ip + 1);
				report_debug(s, cpu, DR6_BS);
				return;
			}
			if (st->running)
				run_set_ip(ctx, ip + 1);
		}
	}
	if (trace) {
		if (!st->running)
			start_code(s, cpu);
		step_cpu(s, cpu, 1);
		return;
	}
	uv_timer_start(&s->run_timer, on_slice, 0, 0);
}

void sim_run_halt(struct sim_stub *s)
{
	uv_timer_stop(&s->run_timer);
}

unsigned sim_run_break_cpu(const struct sim_stub *s)
{
	for (unsigned c = 0; c < s->m->ncpu; c++)
		if (s->cpus[c].running)
			return c;
	return 0;
}
