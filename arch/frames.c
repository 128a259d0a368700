/*
 * Conversions from trap frames, task state segments, exception records
 * and GDT descriptors (raw target bytes) to what the debugger shows.
 */
#include "arch/frames.h"

#include <string.h>

#include "base/error.h"

int kd_x86_trap_to_context(const void *frame, size_t len, uint32_t frame_addr,
                           struct kd_context *out, uint32_t *err_code)
{
	struct kd_x86_ktrap_frame f;
	/* The V86 segment fields exist only for V86 frames; a kernel frame
	 * may end at HardwareEsp, where the stack continued. */
	if (len < offsetof(struct kd_x86_ktrap_frame, HardwareEsp))
		return KD_EFORMAT;
	memset(&f, 0, sizeof f);
	memcpy(&f, frame, len < sizeof f ? len : sizeof f);
	memset(out, 0, sizeof *out);
	out->machine = KD_MACHINE_I386;
	struct kd_x86_context *c = &out->u.x86;
	c->ContextFlags = KD_CONTEXT_X86_FULL | KD_CONTEXT_X86_DEBUG;
	c->Eax = f.Eax; c->Ebx = f.Ebx; c->Ecx = f.Ecx; c->Edx = f.Edx;
	c->Esi = f.Esi; c->Edi = f.Edi; c->Ebp = f.Ebp; c->Eip = f.Eip;
	c->EFlags = f.EFlags;
	c->Dr0 = f.Dr0; c->Dr1 = f.Dr1; c->Dr2 = f.Dr2; c->Dr3 = f.Dr3;
	c->Dr6 = f.Dr6; c->Dr7 = f.Dr7;
	int v86 = (f.EFlags & KD_X86_EFLAGS_V86) != 0;
	int user = v86 || (f.SegCs & 1);
	c->SegCs = f.SegCs & 0xffff;
	if (user) {
		/* The processor pushed SS:ESP on the ring change. */
		if (len < offsetof(struct kd_x86_ktrap_frame, V86Es))
			return KD_EFORMAT;
		c->Esp = f.HardwareEsp;
		c->SegSs = f.HardwareSegSs & 0xffff;
	} else if ((f.SegCs & KD_X86_FRAME_EDITED) == 0) {
		/* An edited frame keeps the real CS and ESP aside. */
		c->SegCs = f.TempSegCs & 0xffff;
		c->Esp = f.TempEsp;
		c->SegSs = KD_X86_KGDT_R0_DATA;
	} else {
		c->Esp = frame_addr + (uint32_t)offsetof(struct kd_x86_ktrap_frame, HardwareEsp);
		c->SegSs = KD_X86_KGDT_R0_DATA;
	}
	if (v86) {
		if (len < sizeof f)
			return KD_EFORMAT;
		c->SegDs = f.V86Ds & 0xffff; c->SegEs = f.V86Es & 0xffff;
		c->SegFs = f.V86Fs & 0xffff; c->SegGs = f.V86Gs & 0xffff;
	} else {
		c->SegDs = f.SegDs & 0xffff; c->SegEs = f.SegEs & 0xffff;
		c->SegFs = f.SegFs & 0xffff; c->SegGs = f.SegGs & 0xffff;
	}
	if (err_code)
		*err_code = f.ErrCode;
	return 0;
}

int kd_x64_trap_to_context(const void *frame, size_t len, struct kd_context *out)
{
	struct kd_x64_ktrap_frame f;
	if (len < sizeof f)
		return KD_EFORMAT;
	memcpy(&f, frame, sizeof f);
	memset(out, 0, sizeof *out);
	out->machine = KD_MACHINE_AMD64;
	struct kd_x64_context *c = &out->u.x64;
	c->ContextFlags = KD_CONTEXT_AMD64_CONTROL | KD_CONTEXT_AMD64_INTEGER | KD_CONTEXT_AMD64_SEGMENTS;
	c->MxCsr = f.MxCsr;
	c->Rax = f.Rax; c->Rcx = f.Rcx; c->Rdx = f.Rdx;
	c->R8 = f.R8; c->R9 = f.R9; c->R10 = f.R10; c->R11 = f.R11;
	c->Rbp = f.Rbp; c->Rip = f.Rip; c->Rsp = f.Rsp;
	c->EFlags = f.EFlags;
	/* DS/ES/FS/GS of a trap frame are not reliable (kernel entries do not
	 * save them); like WinDbg, leave them out. */
	c->SegCs = f.SegCs; c->SegSs = f.SegSs;
	c->Dr0 = f.Dr0; c->Dr1 = f.Dr1; c->Dr2 = f.Dr2; c->Dr3 = f.Dr3;
	c->Dr6 = f.Dr6; c->Dr7 = f.Dr7;
	return 0;
}

int kd_x86_tss_to_context(const void *tss, size_t len, struct kd_context *out)
{
	struct kd_x86_ktss t;
	if (len < sizeof t)
		return KD_EFORMAT;
	memcpy(&t, tss, sizeof t);
	memset(out, 0, sizeof *out);
	out->machine = KD_MACHINE_I386;
	struct kd_x86_context *c = &out->u.x86;
	c->ContextFlags = KD_CONTEXT_X86_FULL;
	c->Eax = t.Eax; c->Ebx = t.Ebx; c->Ecx = t.Ecx; c->Edx = t.Edx;
	c->Esi = t.Esi; c->Edi = t.Edi; c->Ebp = t.Ebp; c->Esp = t.Esp;
	c->Eip = t.Eip; c->EFlags = t.EFlags;
	c->SegCs = t.Cs; c->SegSs = t.Ss; c->SegDs = t.Ds; c->SegEs = t.Es;
	c->SegFs = t.Fs; c->SegGs = t.Gs;
	return 0;
}

int kd_exception_record_parse(const void *rec, size_t len, int is64, struct kd_exception_record *out)
{
	memset(out, 0, sizeof *out);
	if (is64) {
		struct kd_exception_record64 r;
		if (len < sizeof r)
			return KD_EFORMAT;
		memcpy(&r, rec, sizeof r);
		out->code = r.ExceptionCode;
		out->flags = r.ExceptionFlags;
		out->record = r.ExceptionRecord;
		out->address = r.ExceptionAddress;
		out->nparams = r.NumberParameters;
		for (unsigned i = 0; i < KD_EXCEPTION_MAXIMUM_PARAMETERS; i++)
			out->params[i] = r.ExceptionInformation[i];
	} else {
		struct kd_exception_record32 r;
		if (len < sizeof r)
			return KD_EFORMAT;
		memcpy(&r, rec, sizeof r);
		out->code = r.ExceptionCode;
		out->flags = r.ExceptionFlags;
		out->record = r.ExceptionRecord;
		out->address = r.ExceptionAddress;
		out->nparams = r.NumberParameters;
		for (unsigned i = 0; i < KD_EXCEPTION_MAXIMUM_PARAMETERS; i++)
			out->params[i] = r.ExceptionInformation[i];
	}
	return 0;
}

void kd_x86_descriptor_decode(const uint8_t d[8], struct kd_x86_descriptor *out)
{
	out->base = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24;
	uint32_t limit = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)(d[6] & 0xf) << 16;
	if (d[6] & 0x80) /* 4 KiB granularity */
		limit = limit << 12 | 0xfff;
	out->limit = limit;
	out->type = d[5] & 0xf;
	out->system_flag = (d[5] >> 4) & 1;
	out->dpl = (d[5] >> 5) & 3;
	out->present = d[5] >> 7;
}

int kd_x86_descriptor_is_tss(const struct kd_x86_descriptor *d)
{
	return !d->system_flag && (d->type == 9 || d->type == 0xb);
}

const char *kd_exception_name(uint32_t code)
{
	static const struct {
		uint32_t code;
		const char *name;
	} names[] = {
		{ 0xc0000005, "Access violation" },
		{ 0x80000003, "Break instruction exception" },
		{ 0x80000004, "Single step exception" },
		{ 0x80000002, "Data misaligned" },
		{ 0x80000001, "Guard page violation" },
		{ 0xc0000006, "In-page I/O error" },
		{ 0xc000001d, "Illegal instruction" },
		{ 0xc0000094, "Integer divide-by-zero" },
		{ 0xc0000095, "Integer overflow" },
		{ 0xc0000096, "Privileged instruction" },
		{ 0xc00000fd, "Stack overflow" },
		{ 0xc000008c, "Array bounds exceeded" },
		{ 0xc000008e, "Floating-point division by zero" },
		{ 0xc0000090, "Floating-point invalid operation" },
		{ 0xc0000025, "Non-continuable exception" },
		{ 0xc0000026, "Invalid disposition" },
		{ 0xc0000409, "Security check failure or stack buffer overrun" },
		{ 0xc0000374, "Heap corruption" },
		{ 0xc0000008, "Invalid handle" },
		{ 0xe06d7363, "C++ EH exception" },
		{ 0x40010005, "Control-C exception" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}
