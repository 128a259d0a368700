/*
 * Register-context overrides and exception records: .trap, .cxr and .tss
 * switch the register context to a trap frame, a CONTEXT record or an x86
 * task state segment (found through the GDT, kd/engine/x86_tss.c); .exr
 * shows an exception record. WinDbg's layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/frames.h"
#include "arch/regs.h"
#include "kd/commands/command.h"
#include "kd/commands/register_display.h"
#include "kd/engine/expr.h"
#include "kd/engine/x86_tss.h"

/* --- .trap .cxr .tss ------------------------------------------------------- */

static int read_exact(struct kd_engine *eng, uint64_t addr, void *buf, size_t len, size_t *got)
{
	size_t done = 0;
	int rc = kd_read_virtual(eng, addr, buf, len, &done);
	if (got)
		*got = done;
	if (rc < 0)
		return rc;
	return done == len ? 0 : KD_EUNREADABLE;
}

/* .trap and .cxr: no argument goes back to the processor's own registers
 * (returns 1); otherwise the address of the record (returns 0). */
static int override_address(struct kd_engine *eng, const char *name, const char *args, uint64_t *addr)
{
	if (kd_cmd_need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	args = kd_skip_spaces(args);
	if (!*args) {
		kd_context_reset(eng);
		return 1;
	}
	const char *end;
	return kd_cmd_eval(eng, args, addr, &end);
}

static int cmd_trap(struct kd_engine *eng, const char *name, const char *args)
{
	uint64_t addr;
	int rc = override_address(eng, name, args, &addr);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	struct kd_context c;
	char a[20];
	if (kd_engine_machine(eng) == KD_MACHINE_AMD64) {
		uint8_t frame[sizeof(struct kd_x64_ktrap_frame)];
		if (read_exact(eng, addr, frame, sizeof frame, NULL) < 0
		    || kd_x64_trap_to_context(frame, sizeof frame, &c) < 0) {
			kd_eprintf(eng, "Unable to read trap frame at %s\n", kd_format_addr(eng, addr, a));
			return KD_EUNREADABLE;
		}
		kd_context_override(eng, &c);
		kd_printf(eng, "NOTE: The trap frame does not contain all registers.\n"
		               "Some register values may be zeroed or incorrect.\n");
		kd_show_context(eng, &c, 1);
		return 0;
	}
	addr &= 0xffffffffu;
	uint8_t frame[sizeof(struct kd_x86_ktrap_frame)];
	size_t got = 0;
	read_exact(eng, addr, frame, sizeof frame, &got);
	uint32_t err = 0;
	if (kd_x86_trap_to_context(frame, got, (uint32_t)addr, &c, &err) < 0) {
		kd_eprintf(eng, "Unable to read trap frame at %s\n", kd_format_addr(eng, addr, a));
		return KD_EUNREADABLE;
	}
	kd_context_override(eng, &c);
	kd_printf(eng, "ErrCode = %08x\n", err);
	kd_show_context(eng, &c, 0);
	return 0;
}

static int cmd_cxr(struct kd_engine *eng, const char *name, const char *args)
{
	uint64_t addr;
	int rc = override_address(eng, name, args, &addr);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	enum kd_machine m = kd_engine_machine(eng);
	if (m != KD_MACHINE_AMD64)
		addr &= 0xffffffffu;
	struct kd_context c;
	memset(&c, 0, sizeof c);
	c.machine = m;
	size_t size = kd_context_size(m), got = 0;
	read_exact(eng, addr, c.u.raw, size, &got);
	/* Older x86 records stop before ExtendedRegisters; the integer and
	 * control registers are what matter. */
	size_t need = m == KD_MACHINE_AMD64 ? offsetof(struct kd_x64_context, FltSave)
	                                     : offsetof(struct kd_x86_context, ExtendedRegisters);
	if (size == 0 || got < need) {
		char a[20];
		kd_eprintf(eng, "Unable to read context at %s\n", kd_format_addr(eng, addr, a));
		return KD_EUNREADABLE;
	}
	kd_context_override(eng, &c);
	kd_show_context(eng, &c, 0);
	return 0;
}

static int cmd_tss(struct kd_engine *eng, const char *name, const char *args)
{
	if (kd_cmd_need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	if (kd_engine_machine(eng) != KD_MACHINE_I386) {
		kd_eprintf(eng, ".tss is only available on x86 targets\n");
		return KD_ENOTSUP;
	}
	uint64_t sel;
	const char *end;
	int rc = kd_cmd_eval(eng, kd_skip_spaces(args), &sel, &end);
	if (rc < 0)
		return rc;
	struct kd_context c;
	char err[96];
	if (sel > 0xffff || kd_x86_tss_context(eng, (uint16_t)sel, &c, err, sizeof err) < 0) {
		if (sel > 0xffff)
			snprintf(err, sizeof err, "Unable to read selector %llx", (unsigned long long)sel);
		kd_eprintf(eng, "%s\n", err);
		return sel > 0xffff ? KD_EINVAL : KD_EUNREADABLE;
	}
	kd_context_override_task(eng, &c);
	kd_show_context(eng, &c, 0);
	return 0;
}

/* --- .exr ------------------------------------------------------------------ */

static void show_exception(struct kd_engine *eng, const struct kd_exception_record *r)
{
	int is64 = kd_engine_is_64bit(eng);
	int w = is64 ? 16 : 8;
	char sym[512];
	uint64_t mask = is64 ? ~0ull : 0xffffffffull;
#define P(v) w, (unsigned long long)((v) & mask)
	if (kd_format_symbol(eng, r->address & mask, sym, sizeof sym) == 0)
		kd_printf(eng, "ExceptionAddress: %0*llx (%s)\n", P(r->address), sym);
	else
		kd_printf(eng, "ExceptionAddress: %0*llx\n", P(r->address));
	const char *cname = kd_exception_name(r->code);
	if (cname)
		kd_printf(eng, "   ExceptionCode: %08x (%s)\n", r->code, cname);
	else
		kd_printf(eng, "   ExceptionCode: %08x\n", r->code);
	kd_printf(eng, "  ExceptionFlags: %08x\n", r->flags);
	kd_printf(eng, "NumberParameters: %u\n", r->nparams);
	unsigned n = r->nparams < KD_EXCEPTION_MAXIMUM_PARAMETERS ? r->nparams : KD_EXCEPTION_MAXIMUM_PARAMETERS;
	for (unsigned i = 0; i < n; i++)
		kd_printf(eng, "   Parameter[%u]: %0*llx\n", i, P(r->params[i]));
	if ((r->code == 0xc0000005 || r->code == 0xc0000006) && n >= 2) {
		const char *what = r->params[0] == 0 ? "read from" : r->params[0] == 1 ? "write to"
		                 : r->params[0] == 8 ? "execute non-executable" : NULL;
		if (what && r->code == 0xc0000005)
			kd_printf(eng, "Attempt to %s address %0*llx\n", what, P(r->params[1]));
		else if (r->code == 0xc0000006 && n >= 3)
			kd_printf(eng, "Inpage operation failed at %0*llx, due to I/O error %0*llx\n",
			          P(r->params[1]), P(r->params[2]));
	}
#undef P
}

static int cmd_exr(struct kd_engine *eng, const char *name, const char *args)
{
	if (kd_cmd_need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	args = kd_skip_spaces(args);
	struct kd_exception_record r;
	memset(&r, 0, sizeof r);
	if (!strcmp(args, "-1")) {
		struct kd_target *t = kd_engine_target(eng);
		struct kd_stop_event ev;
		const struct kd_stop_event *last = kd_engine_last_event(eng);
		if (t->ops->exception && t->ops->exception(t, &ev) == 0) {
			/* from the target */
		} else if (last && last->kind == KD_STOP_EXCEPTION) {
			ev = *last;
		} else {
			kd_eprintf(eng, "No exception record available\n");
			return KD_ENOTFOUND;
		}
		r.code = ev.code;
		r.flags = ev.flags;
		r.address = ev.address;
		r.nparams = ev.nparams;
		for (unsigned i = 0; i < KD_EXCEPTION_MAXIMUM_PARAMETERS; i++)
			r.params[i] = ev.params[i];
		show_exception(eng, &r);
		return 0;
	}
	uint64_t addr;
	const char *end;
	int rc = kd_cmd_eval(eng, args, &addr, &end);
	if (rc < 0)
		return rc;
	int is64 = kd_engine_is_64bit(eng);
	if (!is64)
		addr &= 0xffffffffu;
	uint8_t buf[sizeof(struct kd_exception_record64)];
	size_t len = is64 ? sizeof(struct kd_exception_record64) : sizeof(struct kd_exception_record32);
	if (read_exact(eng, addr, buf, len, NULL) < 0 || kd_exception_record_parse(buf, len, is64, &r) < 0) {
		char a[20];
		kd_eprintf(eng, "Unable to read exception record at %s\n", kd_format_addr(eng, addr, a));
		return KD_EUNREADABLE;
	}
	show_exception(eng, &r);
	return 0;
}

const struct kd_command kd_cmds_contexts[] = {
	{ ".trap", cmd_trap, ".trap [Address]", "show a trap frame and use it as the register context" },
	{ ".cxr", cmd_cxr, ".cxr [Address]", "use a CONTEXT record as the register context (none: reset)" },
	{ ".tss", cmd_tss, ".tss Selector", "use an x86 task state segment as the register context" },
	{ ".exr", cmd_exr, ".exr Address | -1", "display an exception record" },
	{ NULL, NULL, NULL, NULL },
};
