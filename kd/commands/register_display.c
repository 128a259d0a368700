/*
 * The register display (see register_display.h): WinDbg's integer and
 * segment lines, and the optional groups rm/rM select — x87 state from
 * the CONTEXT's FloatSave/FltSave, MMX and SSE registers from its FXSAVE
 * area, debug registers from the CONTEXT, and control and descriptor
 * registers from the processor's KSPECIAL_REGISTERS in control space.
 */
#include "kd/commands/register_display.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/disasm.h"
#include "arch/frames.h"
#include "arch/regs.h"
#include "base/bytes.h"

struct mask_state {
	unsigned mask; /* 0: the default for the machine */
};

unsigned kd_register_mask(struct kd_engine *eng)
{
	struct mask_state *st = kd_engine_ext(eng, "regmask");
	if (st && st->mask)
		return st->mask;
	return kd_engine_machine(eng) == KD_MACHINE_AMD64 ? KD_RM_INTEGER64 | KD_RM_SEGMENTS
	                                                   : KD_RM_INTEGER32 | KD_RM_SEGMENTS;
}

void kd_register_mask_set(struct kd_engine *eng, unsigned mask)
{
	struct mask_state *st = kd_engine_ext_zalloc(eng, "regmask", sizeof *st);
	if (st)
		st->mask = mask;
}

#define Q(v) (unsigned long long)(v)

static void show_integer(struct kd_engine *eng, const struct kd_context *c)
{
	char fl[40];
	if (c->machine == KD_MACHINE_I386) {
		const struct kd_x86_context *x = &c->u.x86;
		kd_format_eflags(x->EFlags, fl, sizeof fl);
		kd_printf(eng, "eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n",
		          x->Eax, x->Ebx, x->Ecx, x->Edx, x->Esi, x->Edi);
		kd_printf(eng, "eip=%08x esp=%08x ebp=%08x iopl=%u         %s\n",
		          x->Eip, x->Esp, x->Ebp, (x->EFlags >> 12) & 3, fl);
		return;
	}
	const struct kd_x64_context *x = &c->u.x64;
	kd_format_eflags(x->EFlags, fl, sizeof fl);
	kd_printf(eng, "rax=%016llx rbx=%016llx rcx=%016llx\n", Q(x->Rax), Q(x->Rbx), Q(x->Rcx));
	kd_printf(eng, "rdx=%016llx rsi=%016llx rdi=%016llx\n", Q(x->Rdx), Q(x->Rsi), Q(x->Rdi));
	kd_printf(eng, "rip=%016llx rsp=%016llx rbp=%016llx\n", Q(x->Rip), Q(x->Rsp), Q(x->Rbp));
	kd_printf(eng, " r8=%016llx  r9=%016llx r10=%016llx\n", Q(x->R8), Q(x->R9), Q(x->R10));
	kd_printf(eng, "r11=%016llx r12=%016llx r13=%016llx\n", Q(x->R11), Q(x->R12), Q(x->R13));
	kd_printf(eng, "r14=%016llx r15=%016llx\n", Q(x->R14), Q(x->R15));
	kd_printf(eng, "iopl=%u         %s\n", (x->EFlags >> 12) & 3, fl);
}

static void show_segments(struct kd_engine *eng, const struct kd_context *c)
{
	if (c->machine == KD_MACHINE_I386) {
		const struct kd_x86_context *x = &c->u.x86;
		kd_printf(eng, "cs=%04x  ss=%04x  ds=%04x  es=%04x  fs=%04x  gs=%04x             efl=%08x\n",
		          x->SegCs & 0xffff, x->SegSs & 0xffff, x->SegDs & 0xffff, x->SegEs & 0xffff,
		          x->SegFs & 0xffff, x->SegGs & 0xffff, x->EFlags);
		return;
	}
	const struct kd_x64_context *x = &c->u.x64;
	kd_printf(eng, "cs=%04x  ss=%04x  ds=%04x  es=%04x  fs=%04x  gs=%04x             efl=%08x\n",
	          x->SegCs, x->SegSs, x->SegDs, x->SegEs, x->SegFs, x->SegGs, x->EFlags);
}

/* The FXSAVE image (XMM_SAVE_AREA32) of a context: x64 FltSave, x86
 * ExtendedRegisters. */
static const uint8_t *fxsave_of(const struct kd_context *c)
{
	return c->machine == KD_MACHINE_AMD64 ? c->u.x64.FltSave : c->u.x86.ExtendedRegisters;
}

/* One x87 register (80 bits) as WinDbg shows it: the value, then
 * sign:exponent:mantissa. */
static void show_st(struct kd_engine *eng, unsigned i, const uint8_t *r)
{
	uint64_t mant = kd_le64(r);
	uint16_t se = kd_le16(r + 8);
	unsigned sign = se >> 15, exp = se & 0x7fff;
	char text[64];
	if (exp == 0x7fff) {
		snprintf(text, sizeof text, "%s%s", sign ? "-" : " ", mant << 1 ? "NaN" : "Inf");
	} else {
		/* value = mantissa * 2^(exp - 16383 - 63), printed with 22
		 * significant digits and a four-digit exponent. */
		long double v = (long double)mant;
		int e2 = exp ? (int)exp - 16383 - 63 : -16382 - 63;
		while (e2 > 0) {
			v *= 2.0L;
			e2--;
		}
		while (e2 < 0) {
			v /= 2.0L;
			e2++;
		}
		char num[48];
		snprintf(num, sizeof num, "%.21Le", v);
		char *ep = strchr(num, 'e');
		int e10 = ep ? atoi(ep + 1) : 0;
		if (ep)
			*ep = '\0';
		snprintf(text, sizeof text, "%s%se%c%04d", sign ? "-" : " ", num, e10 < 0 ? '-' : '+',
		         e10 < 0 ? -e10 : e10);
	}
	kd_printf(eng, "st%u=%s (%u:%04x:%016llx)\n", i, text, sign, exp, Q(mant));
}

static void show_float(struct kd_engine *eng, const struct kd_context *c)
{
	uint16_t cw, sw, tw, fop = 0;
	uint32_t ip, ipsel, dp, dpsel;
	const uint8_t *regs;
	size_t stride;
	if (c->machine == KD_MACHINE_AMD64) {
		const uint8_t *f = c->u.x64.FltSave;
		cw = kd_le16(f);
		sw = kd_le16(f + 2);
		tw = f[4];
		fop = kd_le16(f + 6);
		ip = kd_le32(f + 8);
		ipsel = kd_le16(f + 12);
		dp = kd_le32(f + 16);
		dpsel = kd_le16(f + 20);
		regs = f + 32;
		stride = 16;
	} else {
		const struct kd_x86_float_save *f = &c->u.x86.FloatSave;
		cw = (uint16_t)f->ControlWord;
		sw = (uint16_t)f->StatusWord;
		tw = (uint16_t)f->TagWord;
		ip = f->ErrorOffset;
		ipsel = f->ErrorSelector & 0xffff;
		fop = (uint16_t)((f->ErrorSelector >> 16) & 0x7ff);
		dp = f->DataOffset;
		dpsel = f->DataSelector & 0xffff;
		regs = f->RegisterArea;
		stride = 10;
	}
	static const char *const rc[] = { "rn", "rd", "ru", "rz" };
	static const char *const pc[] = { "24", "??", "53", "64" };
	char masks[7], flags[9];
	const char *lower = "puozdi", *upper = "PUOZDI";
	for (int b = 5; b >= 0; b--)
		masks[5 - b] = (cw >> b) & 1 ? lower[5 - b] : upper[5 - b];
	masks[6] = '\0';
	const char *sflags = "ESPUOZDI";
	for (int b = 7; b >= 0; b--)
		flags[7 - b] = (sw >> b) & 1 ? sflags[7 - b] : '-';
	flags[8] = '\0';
	unsigned ccodes = ((sw >> 8) & 7) | ((sw >> 11) & 8);
	kd_printf(eng, "fpcw=%04X: %s %s %s  fpsw=%04X: top=%u cc=%u%u%u%u %s  fptw=%04X\n", cw, rc[(cw >> 10) & 3],
	          pc[(cw >> 8) & 3], masks, sw, (sw >> 11) & 7, (ccodes >> 3) & 1, (ccodes >> 2) & 1,
	          (ccodes >> 1) & 1, ccodes & 1, flags, tw);
	kd_printf(eng, "fopcode=%04x  fpip=%04x:%08x  fpdp=%04x:%08x\n", fop, ipsel, ip, dpsel, dp);
	for (unsigned i = 0; i < 8; i++)
		show_st(eng, i, regs + i * stride);
}

static void show_mmx(struct kd_engine *eng, const struct kd_context *c)
{
	const uint8_t *f = fxsave_of(c);
	for (unsigned i = 0; i < 8; i++)
		kd_printf(eng, "mm%u=%016llx%s", i, Q(kd_le64(f + 32 + 16 * i)), i % 4 == 3 ? "\n" : "  ");
}

static void show_xmm(struct kd_engine *eng, const struct kd_context *c)
{
	const uint8_t *f = fxsave_of(c);
	unsigned n = c->machine == KD_MACHINE_AMD64 ? 16 : 8;
	for (unsigned i = 0; i < n; i++) {
		float v[4];
		memcpy(v, f + 160 + 16 * i, sizeof v);
		kd_printf(eng, "xmm%u=%g %g %g %g\n", i, (double)v[3], (double)v[2], (double)v[1], (double)v[0]);
	}
	kd_printf(eng, "mxcsr=%08x\n", kd_le32(f + 24));
}

/* KSPECIAL_REGISTERS of the current processor, as x64 values. */
struct special {
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t gdtr, idtr;
	uint16_t gdtl, idtl, tr, ldtr;
};

static int read_special(struct kd_engine *eng, struct special *s)
{
	struct kd_target *t = kd_engine_target(eng);
	uint32_t done = 0;
	if (!t || !t->ops->read_control)
		return KD_ENOTSUP;
	memset(s, 0, sizeof *s);
	if (kd_engine_machine(eng) == KD_MACHINE_AMD64) {
		struct kd_x64_special_registers r;
		if (t->ops->read_control(t, kd_engine_cpu(eng), KD_X64_CONTROL_SPECIAL_REGISTERS, &r, sizeof r, &done) < 0
		    || done < offsetof(struct kd_x64_special_registers, MxCsr))
			return KD_EUNREADABLE;
		s->cr0 = r.Cr0, s->cr2 = r.Cr2, s->cr3 = r.Cr3, s->cr4 = r.Cr4;
		s->cr8 = done == sizeof r ? r.Cr8 : 0;
		s->gdtr = r.GdtrBase, s->gdtl = r.GdtrLimit, s->idtr = r.IdtrBase, s->idtl = r.IdtrLimit;
		s->tr = r.Tr, s->ldtr = r.Ldtr;
		return 0;
	}
	struct kd_x86_special_registers r;
	if (t->ops->read_control(t, kd_engine_cpu(eng), KD_X86_CONTROL_SPECIAL_REGISTERS, &r, sizeof r, &done) < 0
	    || done < offsetof(struct kd_x86_special_registers, Reserved))
		return KD_EUNREADABLE;
	s->cr0 = r.Cr0, s->cr2 = r.Cr2, s->cr3 = r.Cr3, s->cr4 = r.Cr4;
	s->gdtr = r.GdtrBase, s->gdtl = r.GdtrLimit, s->idtr = r.IdtrBase, s->idtl = r.IdtrLimit;
	s->tr = r.Tr, s->ldtr = r.Ldtr;
	return 0;
}

static void show_debug(struct kd_engine *eng, const struct kd_context *c, const struct special *s)
{
	if (c->machine == KD_MACHINE_AMD64) {
		const struct kd_x64_context *x = &c->u.x64;
		kd_printf(eng, "dr0=%016llx dr1=%016llx dr2=%016llx\n", Q(x->Dr0), Q(x->Dr1), Q(x->Dr2));
		kd_printf(eng, "dr3=%016llx dr6=%016llx dr7=%016llx", Q(x->Dr3), Q(x->Dr6), Q(x->Dr7));
		if (s)
			kd_printf(eng, " cr4=%016llx", Q(s->cr4));
	} else {
		const struct kd_x86_context *x = &c->u.x86;
		kd_printf(eng, "dr0=%08x dr1=%08x dr2=%08x\n", x->Dr0, x->Dr1, x->Dr2);
		kd_printf(eng, "dr3=%08x dr6=%08x dr7=%08x", x->Dr3, x->Dr6, x->Dr7);
		if (s)
			kd_printf(eng, " cr4=%08x", (unsigned)s->cr4);
	}
	kd_printf(eng, "\n");
}

static void show_control(struct kd_engine *eng, const struct special *s)
{
	if (kd_engine_machine(eng) == KD_MACHINE_AMD64) {
		kd_printf(eng, "cr0=%016llx cr2=%016llx cr3=%016llx\n", Q(s->cr0), Q(s->cr2), Q(s->cr3));
		kd_printf(eng, "cr8=%016llx\n", Q(s->cr8));
	} else {
		kd_printf(eng, "cr0=%08x cr2=%08x cr3=%08x\n", (unsigned)s->cr0, (unsigned)s->cr2, (unsigned)s->cr3);
	}
}

static void show_descriptors(struct kd_engine *eng, const struct special *s)
{
	int w = kd_engine_machine(eng) == KD_MACHINE_AMD64 ? 16 : 8;
	kd_printf(eng, "gdtr=%0*llx   gdtl=%04x idtr=%0*llx   idtl=%04x tr=%04x  ldtr=%04x\n", w, Q(s->gdtr),
	          s->gdtl, w, Q(s->idtr), s->idtl, s->tr, s->ldtr);
}

void kd_show_registers(struct kd_engine *eng, const struct kd_context *c, unsigned mask, int x64_trap)
{
	if (mask & (KD_RM_INTEGER32 | KD_RM_INTEGER64))
		show_integer(eng, c);
	if ((mask & KD_RM_SEGMENTS) && !x64_trap)
		show_segments(eng, c);
	struct special s;
	int have_special = (mask & (KD_RM_DEBUG | KD_RM_CONTROL | KD_RM_DESCRIPTORS)) && read_special(eng, &s) == 0;
	if (mask & KD_RM_DEBUG)
		show_debug(eng, c, have_special ? &s : NULL);
	if (mask & (KD_RM_CONTROL | KD_RM_DESCRIPTORS) && !have_special)
		kd_eprintf(eng, "Unable to read the processor's control registers\n");
	if ((mask & KD_RM_CONTROL) && have_special)
		show_control(eng, &s);
	if ((mask & KD_RM_DESCRIPTORS) && have_special)
		show_descriptors(eng, &s);
	if (mask & KD_RM_FLOAT)
		show_float(eng, c);
	if (mask & KD_RM_MMX)
		show_mmx(eng, c);
	if (mask & KD_RM_XMM)
		show_xmm(eng, c);
}

void kd_show_context(struct kd_engine *eng, const struct kd_context *c, int x64_trap)
{
	kd_show_registers(eng, c, kd_register_mask(eng), x64_trap);
	kd_disasm_show_current(eng, c);
}
