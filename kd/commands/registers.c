/*
 * Register and context commands: r (display and set registers and
 * pseudo-registers), .trap, .cxr, .tss (switch the register context to a
 * trap frame, CONTEXT record or task state segment), .exr (exception
 * records), ? and .formats (expressions), in WinDbg's exact layout.
 * .thread and .process (kd/engine/kthread.c), register masks (rm, rM, rF, rX).
 * Where the TSS of `.tss` is found: kd/x86_tss.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arch/disasm.h"
#include "arch/frames.h"
#include "arch/regs.h"
#include "kd/commands/command.h"
#include "kd/targets/dump_write.h"
#include "kd/engine/expr.h"
#include "kd/engine/kthread.h"
#include "kd/engine/run_control.h"
#include "kd/commands/register_display.h"
#include "kd/engine/x86_tss.h"

static int need_target(struct kd_engine *eng, const char *cmd)
{
	if (kd_engine_target(eng))
		return 0;
	kd_eprintf(eng, "%s: %s\n", cmd, kd_strerror(KD_EDISCONNECTED));
	return KD_EDISCONNECTED;
}

static int eval_arg(struct kd_engine *eng, const char *args, uint64_t *v, const char **end)
{
	char msg[300];
	int rc = kd_eval_msg(eng, args, v, end, msg, sizeof msg);
	if (rc < 0)
		kd_eprintf(eng, "%s\n", msg);
	return rc;
}

/* --- r ------------------------------------------------------------------- */

static unsigned hex_width(unsigned bits)
{
	return bits <= 1 ? 1 : bits <= 2 ? 1 : (bits + 3) / 4;
}

/* One "name" or "name=expr" item of r; *p advances past it. */
static int r_item(struct kd_engine *eng, struct kd_context *c, const char **p, int *changed)
{
	const char *s = *p;
	if (*s == '@')
		s++;
	const char *name = s;
	while (isalnum((unsigned char)*s) || *s == '$' || *s == '_')
		s++;
	size_t len = (size_t)(s - name);
	const char *after = kd_skip_spaces(s);
	int assign = *after == '=';
	const char *rest = assign ? kd_skip_spaces(after + 1) : after;
	uint64_t v = 0;
	if (assign) {
		const char *end;
		int rc = eval_arg(eng, rest, &v, &end);
		if (rc < 0)
			return rc;
		rest = end;
	}
	*p = rest;
	char buf[64];
	if (len == 0 || len >= sizeof buf) {
		kd_eprintf(eng, "Bad register error at '%s'\n", name);
		return KD_EINVAL;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	unsigned pw = kd_engine_pointer_size(eng) * 2;
	if (buf[0] == '$') {
		if (!strcasecmp(buf, "$ip") && assign) {
			if (c->machine == KD_MACHINE_AMD64)
				c->u.x64.Rip = v;
			else
				c->u.x86.Eip = (uint32_t)v;
			*changed = 1;
			return 0;
		}
		if (assign) {
			int rc = kd_expr_set_pseudo(eng, buf, v);
			if (rc < 0)
				kd_eprintf(eng, "Bad register error at '%s'\n", buf);
			return rc;
		}
		char text[80];
		snprintf(text, sizeof text, "%s", buf);
		const char *end;
		if (kd_eval_msg(eng, text, &v, &end, NULL, 0) < 0) {
			kd_eprintf(eng, "Bad register error at '%s'\n", buf);
			return KD_EINVAL;
		}
		kd_printf(eng, "%s=%0*llx\n", buf, (int)pw, (unsigned long long)v);
		return 0;
	}
	const struct kd_reg *r = kd_reg_find(c->machine, buf, len);
	if (!r) {
		kd_eprintf(eng, "Bad register error at '%s'\n", name);
		return KD_EINVAL;
	}
	if (assign) {
		kd_reg_set(c, r, v);
		*changed = 1;
		return 0;
	}
	kd_printf(eng, "%s=%0*llx\n", r->name, (int)hex_width(r->bits),
	          (unsigned long long)kd_reg_get(c, r));
	return 0;
}

/* The mask of rM Mask / rF / rX, or the default; bits a machine does not
 * have are reported and ignored, as WinDbg does. */
static int r_mask(struct kd_engine *eng, const char *name, const char **p, unsigned *mask)
{
	*mask = kd_register_mask(eng);
	if (!strcmp(name, "rF"))
		*mask = KD_RM_FLOAT;
	else if (!strcmp(name, "rX"))
		*mask = KD_RM_XMM;
	else if (!strcmp(name, "rM")) {
		uint64_t m;
		const char *end;
		int rc = eval_arg(eng, *p, &m, &end);
		if (rc < 0)
			return rc;
		*p = kd_skip_spaces(end);
		if (m & ~(uint64_t)KD_RM_KNOWN)
			kd_printf(eng, "Ignored invalid bits %llx\n", (unsigned long long)(m & ~(uint64_t)KD_RM_KNOWN));
		*mask = (unsigned)(m & KD_RM_KNOWN);
	}
	return 0;
}

static int cmd_r(struct kd_engine *eng, const char *name, const char *args)
{
	if (need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	struct kd_context c;
	int rc = kd_get_context(eng, &c);
	if (rc < 0) {
		kd_eprintf(eng, "Unable to get register context: %s\n", kd_strerror(rc));
		return rc;
	}
	const char *p = kd_skip_spaces(args);
	unsigned mask;
	if ((rc = r_mask(eng, name, &p, &mask)) < 0)
		return rc;
	if (!*p) {
		if (kd_context_is_overridden(eng))
			kd_printf(eng, "Last set context:\n");
		kd_show_registers(eng, &c, mask, 0);
		if (mask & (KD_RM_INTEGER32 | KD_RM_INTEGER64))
			kd_disasm_show_current(eng, &c);
		return 0;
	}
	int changed = 0;
	while (*p) {
		rc = r_item(eng, &c, &p, &changed);
		if (rc < 0)
			return rc;
		p = kd_skip_spaces(p);
		if (*p == ',')
			p = kd_skip_spaces(p + 1);
	}
	if (changed) {
		rc = kd_set_context(eng, &c);
		if (rc < 0) {
			kd_eprintf(eng, "Unable to set register context: %s\n", kd_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static const struct {
	unsigned bit;
	const char *what;
} mask_bits[] = {
	{ KD_RM_INTEGER32, "Integer state (32-bit)" },
	{ KD_RM_INTEGER64, "Integer state (64-bit)" },
	{ KD_RM_FLOAT, "Floating-point state" },
	{ KD_RM_SEGMENTS, "Segment registers" },
	{ KD_RM_MMX, "MMX registers" },
	{ KD_RM_DEBUG, "Debug registers and, in kernel, CR4" },
	{ KD_RM_XMM, "SSE XMM registers" },
	{ KD_RM_CONTROL, "Kernel mode: control registers" },
	{ KD_RM_DESCRIPTORS, "Kernel mode: descriptor and task state" },
};

static void list_mask(struct kd_engine *eng, unsigned mask)
{
	for (size_t i = 0; i < sizeof mask_bits / sizeof mask_bits[0]; i++) {
		if (mask & mask_bits[i].bit)
			kd_printf(eng, "%8x - %s\n", mask_bits[i].bit, mask_bits[i].what);
	}
}

static int cmd_rm(struct kd_engine *eng, const char *name, const char *args)
{
	const char *p = kd_skip_spaces(args);
	if (!*p) {
		unsigned m = kd_register_mask(eng);
		kd_printf(eng, "Register output mask is %x:\n", m);
		list_mask(eng, m);
		return 0;
	}
	if (*p == '?') {
		list_mask(eng, KD_RM_KNOWN);
		return 0;
	}
	uint64_t m;
	const char *end;
	int rc = eval_arg(eng, p, &m, &end);
	if (rc < 0)
		return rc;
	if (*kd_skip_spaces(end)) {
		kd_eprintf(eng, "%s: extra characters '%s'\n", name, kd_skip_spaces(end));
		return KD_EINVAL;
	}
	if (m & ~(uint64_t)KD_RM_KNOWN)
		kd_printf(eng, "Ignored invalid bits %llx\n", (unsigned long long)(m & ~(uint64_t)KD_RM_KNOWN));
	m &= KD_RM_KNOWN;
	/* 0x2 overrides 0x1. */
	if ((m & KD_RM_INTEGER64) && (m & KD_RM_INTEGER32))
		m &= ~(uint64_t)KD_RM_INTEGER32;
	kd_register_mask_set(eng, (unsigned)m);
	return 0;
}

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
	if (need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	args = kd_skip_spaces(args);
	if (!*args) {
		kd_context_reset(eng);
		return 1;
	}
	const char *end;
	return eval_arg(eng, args, addr, &end);
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

/* --- .thread .process ----------------------------------------------------- */

/* Options of .thread/.process: /p, /r, /i, /w, /P; *p advances past them. */
static int slash_options(struct kd_engine *eng, const char *name, const char **p, const char *allowed,
                         unsigned *flags)
{
	*flags = 0;
	const char *s = kd_skip_spaces(*p);
	while (*s == '/' || (*s == '-' && isalpha((unsigned char)s[1]))) {
		const char *o = strchr(allowed, s[1]);
		if (!s[1] || !o) {
			kd_eprintf(eng, "%s: unknown option '%c%c'\n", name, s[0], s[1] ? s[1] : ' ');
			return KD_EINVAL;
		}
		*flags |= 1u << (o - allowed);
		s = kd_skip_spaces(s + 2);
	}
	*p = s;
	return 0;
}

static void note_user_symbols(struct kd_engine *eng)
{
	kd_printf(eng, "Loading User Symbols\n");
	kd_eprintf(eng, "kd: user-mode module lists are not loaded (not supported)\n");
}

/* Make `process` the implicit one; /p (or a dump, where there is no
 * other way) translates virtual addresses through its page tables. */
static int use_process(struct kd_engine *eng, uint64_t process, int translate)
{
	char a[20];
	kd_process_set_implicit(eng, process);
	kd_engine_set_translation(eng, KD_PAGING_X64, 0);
	kd_printf(eng, "Implicit process is now %s\n", kd_format_addr(eng, process, a));
	if (!translate)
		return 0;
	const struct kd_kernel_layout *l;
	enum kd_paging mode;
	uint64_t cur_dtb, dtb;
	int rc = kd_kernel_layout(eng, &l);
	if (rc == 0 && !l->directory_table_base)
		rc = KD_ENOTFOUND;
	if (rc == 0)
		rc = kd_read_pointer(eng, process + l->directory_table_base, &dtb);
	if (rc == 0)
		rc = kd_dump_current_paging(eng, &mode, &cur_dtb);
	if (rc < 0) {
		kd_eprintf(eng, "Unable to read the page directory of process %s: %s\n",
		           kd_format_addr(eng, process, a), kd_strerror(rc));
		return rc;
	}
	if (mode != KD_PAGING_X64)
		dtb &= 0xffffffffu;
	/* The kernel keeps flags in the low bits (x64 PCID). */
	dtb &= ~0xfffull;
	/* The process object is kernel memory, mapped in every process: if
	 * it does not translate, the page tables cannot be read (a triage
	 * dump has no physical memory) and the kernel's view stays. */
	uint8_t probe[8];
	size_t got = 0;
	kd_engine_set_translation(eng, mode, dtb);
	if (!dtb || kd_read_virtual(eng, process, probe, sizeof probe, &got) < 0 || got != sizeof probe) {
		kd_engine_set_translation(eng, mode, 0);
		kd_eprintf(eng, "Unable to translate through the page tables of process %s; using the current ones\n",
		           kd_format_addr(eng, process, a));
	}
	return 0;
}

/* The arguments of .thread/.process: options, then an optional object
 * address (*have 0 without one). Returns 0 or an error already shown. */
static int object_args(struct kd_engine *eng, const char *name, const char *args, const char *allowed,
                       unsigned *flags, uint64_t *addr, int *have)
{
	if (need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	const char *p = args, *end;
	int rc = slash_options(eng, name, &p, allowed, flags);
	*have = 0;
	if (rc < 0 || !*p)
		return rc;
	if ((rc = eval_arg(eng, p, addr, &end)) < 0)
		return rc;
	if (*kd_skip_spaces(end)) {
		kd_eprintf(eng, "%s: extra characters '%s'\n", name, kd_skip_spaces(end));
		return KD_EINVAL;
	}
	if (!kd_engine_is_64bit(eng))
		*addr &= 0xffffffffu;
	*have = 1;
	return 0;
}

static int cmd_thread(struct kd_engine *eng, const char *name, const char *args)
{
	unsigned fl;
	uint64_t thread;
	int have;
	char a[20];
	int rc = object_args(eng, name, args, "prwP", &fl, &thread, &have);
	if (rc < 0)
		return rc;
	if (!have) {
		kd_thread_set_implicit(eng, 0);
		kd_context_reset(eng);
		if ((rc = kd_thread_current(eng, &thread)) < 0) {
			kd_eprintf(eng, "Unable to find the current thread: %s\n", kd_strerror(rc));
			return rc;
		}
		kd_printf(eng, "Implicit thread is now %s\n", kd_format_addr(eng, thread, a));
		return 0;
	}
	struct kd_context c;
	int cpu;
	if ((rc = kd_thread_context(eng, thread, &c, &cpu)) < 0) {
		kd_eprintf(eng, "Unable to get context of thread %s: %s\n", kd_format_addr(eng, thread, a),
		           kd_strerror(rc));
		return rc;
	}
	kd_thread_set_implicit(eng, thread);
	if (cpu >= 0 && (unsigned)cpu == kd_engine_cpu(eng))
		kd_context_reset(eng);
	else
		kd_context_override(eng, &c);
	kd_printf(eng, "Implicit thread is now %s\n", kd_format_addr(eng, thread, a));
	if (fl & 1) {
		uint64_t process;
		if ((rc = kd_thread_process(eng, thread, &process)) < 0) {
			kd_eprintf(eng, "Unable to find the process of thread %s: %s\n",
			           kd_format_addr(eng, thread, a), kd_strerror(rc));
			return rc;
		}
		if ((rc = use_process(eng, process, 1)) < 0)
			return rc;
		if (fl & 2)
			note_user_symbols(eng);
	}
	return 0;
}

static int cmd_process(struct kd_engine *eng, const char *name, const char *args)
{
	unsigned fl;
	uint64_t process;
	int have;
	char a[20];
	int rc = object_args(eng, name, args, "priw", &fl, &process, &have);
	if (rc < 0)
		return rc;
	if (!have) {
		kd_process_set_implicit(eng, 0);
		kd_engine_set_translation(eng, KD_PAGING_X64, 0);
		if ((rc = kd_process_current(eng, &process)) < 0) {
			kd_eprintf(eng, "Unable to find the current process: %s\n", kd_strerror(rc));
			return rc;
		}
		kd_printf(eng, "Implicit process is now %s\n", kd_format_addr(eng, process, a));
		return 0;
	}
	int live = kd_engine_can_run(eng);
	if ((rc = use_process(eng, process, (fl & 1) || !live)) < 0)
		return rc;
	if (live && !(fl & 1))
		kd_printf(eng, "WARNING: .cache forcedecodeuser is not enabled\n");
	if (fl & 2)
		note_user_symbols(eng);
	return 0;
}

static int cmd_tss(struct kd_engine *eng, const char *name, const char *args)
{
	if (need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	if (kd_engine_machine(eng) != KD_MACHINE_I386) {
		kd_eprintf(eng, ".tss is only available on x86 targets\n");
		return KD_ENOTSUP;
	}
	uint64_t sel;
	const char *end;
	int rc = eval_arg(eng, kd_skip_spaces(args), &sel, &end);
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
	if (need_target(eng, name) < 0)
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
	int rc = eval_arg(eng, args, &addr, &end);
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

/* --- ? and .formats -------------------------------------------------------- */

static int cmd_eval(struct kd_engine *eng, const char *name, const char *args)
{
	uint64_t v;
	const char *end;
	int rc = eval_arg(eng, kd_skip_spaces(args), &v, &end);
	if (rc < 0)
		return rc;
	end = kd_skip_spaces(end);
	if (*end) {
		kd_eprintf(eng, "Syntax error at '%s'\n", end);
		return KD_EINVAL;
	}
	kd_printf(eng, "Evaluate expression: %lld = %08x`%08x\n", (long long)v,
	          (unsigned)(v >> 32), (unsigned)v);
	return 0;
}

/* %g with the three-digit exponent of the Microsoft C runtime. */
static void ms_float(double d, char *buf, size_t n)
{
	char t[64];
	snprintf(t, sizeof t, "%g", d);
	char *e = strchr(t, 'e');
	if (e && (e[1] == '+' || e[1] == '-') && strlen(e + 2) == 2)
		snprintf(buf, n, "%.*s%c0%s", (int)(e - t + 1), t, e[1], e + 2);
	else
		snprintf(buf, n, "%s", t);
}

static int cmd_formats(struct kd_engine *eng, const char *name, const char *args)
{
	uint64_t v;
	const char *end;
	int rc = eval_arg(eng, kd_skip_spaces(args), &v, &end);
	if (rc < 0)
		return rc;
	kd_printf(eng, "Evaluate expression:\n");
	kd_printf(eng, "  Hex:     %08x`%08x\n", (unsigned)(v >> 32), (unsigned)v);
	kd_printf(eng, "  Decimal: %lld\n", (long long)v);
	kd_printf(eng, "  Octal:   %022llo\n", (unsigned long long)v);
	char bin[80];
	size_t j = 0;
	for (int i = 63; i >= 0; i--) {
		bin[j++] = (v >> i) & 1 ? '1' : '0';
		if (i % 8 == 0 && i)
			bin[j++] = ' ';
	}
	bin[j] = '\0';
	kd_printf(eng, "  Binary:  %s\n", bin);
	char chars[9];
	for (int i = 0; i < 8; i++) {
		unsigned ch = (unsigned)(v >> (8 * (7 - i))) & 0xff;
		chars[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
	}
	chars[8] = '\0';
	kd_printf(eng, "  Chars:   %s\n", chars);
	/* 32-bit values are time_t seconds, larger ones FILETIME ticks. */
	time_t secs;
	int valid = 1;
	if (v <= 0xffffffffull) {
		secs = (time_t)v;
	} else {
		uint64_t unix100ns = 116444736000000000ull;
		valid = v >= unix100ns && (v - unix100ns) / 10000000ull < (1ull << 40);
		secs = valid ? (time_t)((v - unix100ns) / 10000000ull) : 0;
	}
	struct tm tm;
	char tbuf[64];
	if (valid && gmtime_r(&secs, &tm) && strftime(tbuf, sizeof tbuf, "%a %b %e %H:%M:%S %Y", &tm))
		kd_printf(eng, "  Time:    %s\n", tbuf);
	else
		kd_printf(eng, "  Time:    ***** Invalid\n");
	float lo, hi;
	uint32_t l32 = (uint32_t)v, h32 = (uint32_t)(v >> 32);
	memcpy(&lo, &l32, 4);
	memcpy(&hi, &h32, 4);
	double d;
	memcpy(&d, &v, 8);
	char f1[64], f2[64], f3[64];
	ms_float(lo, f1, sizeof f1);
	ms_float(hi, f2, sizeof f2);
	ms_float(d, f3, sizeof f3);
	kd_printf(eng, "  Float:   low %s high %s\n", f1, f2);
	kd_printf(eng, "  Double:  %s\n", f3);
	return 0;
}

const struct kd_command kd_cmds_registers[] = {
	{ "r", cmd_r, "r [Register[=Expression] [, ...]]", "display or set registers" },
	{ "rM", cmd_r, "rM Mask [Register[=Expression] ...]", "display registers selected by a mask (see rm ?)" },
	{ "rF", cmd_r, "rF", "display the floating-point registers" },
	{ "rX", cmd_r, "rX", "display the SSE XMM registers" },
	{ "rm", cmd_rm, "rm [? | Mask]", "display or set the register display mask" },
	{ ".trap", cmd_trap, ".trap [Address]", "show a trap frame and use it as the register context" },
	{ ".cxr", cmd_cxr, ".cxr [Address]", "use a CONTEXT record as the register context (none: reset)" },
	{ ".tss", cmd_tss, ".tss Selector", "use an x86 task state segment as the register context" },
	{ ".thread", cmd_thread, ".thread [/p [/r]] [Thread]", "use a thread's registers and stack (none: the current thread)" },
	{ ".process", cmd_process, ".process [/p [/r]] [Process]", "set the implicit process (/p: translate through its page tables)" },
	{ ".exr", cmd_exr, ".exr Address | -1", "display an exception record" },
	{ "?", cmd_eval, "? Expression", "evaluate a MASM expression" },
	{ ".formats", cmd_formats, ".formats Expression", "show a value in several formats" },
	{ NULL, NULL, NULL, NULL },
};
