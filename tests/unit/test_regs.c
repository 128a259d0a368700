/*
 * Transcript tests of the register and context commands (r, .trap, .cxr,
 * .tss, .exr, ?, ub) through the real engine, on a fake x86 target that
 * holds exactly the values the seed transcripts show: their trap frames,
 * CONTEXT and exception records, a GDT with the double-fault TSS, the
 * code bytes at each eip and the symbols.
 *
 * Where an expected value is computed (ESP of a kernel trap frame is the
 * frame address + 0x74) the seed's own number is the check.
 *
 * One known difference from the seeds: the 2008 transcripts of seed 002
 * print pe/po inverted (efl=00010246 has PF set, which every WinDbg since
 * prints "pe", as seeds 000 and 001 do: 00010296 -> pe, 00000202 -> po).
 * The expected lines follow the EFLAGS bits; everything else is the seed.
 *
 * Also: the flags line for every combination of the eight flags, and on
 * the real triage dump (once present) `.cxr ffff850429891720` then `r`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/frames.h"
#include "arch/regs.h"
#include "kd/targets/dump_target.h"
#include "kd/engine/engine.h"
#include "kd/commands/command.h"

/* --- output ------------------------------------------------------------- */

struct capture {
	char buf[16384];
	size_t len;
};

static void on_output(void *user, enum kd_output_kind kind, const char *text)
{
	struct capture *c = user;
	(void)kind;
	size_t l = strlen(text);
	if (c->len + l >= sizeof c->buf)
		l = sizeof c->buf - c->len - 1;
	memcpy(c->buf + c->len, text, l);
	c->len += l;
	c->buf[c->len] = '\0';
}

/* --- the fake target ------------------------------------------------------ */

struct region {
	uint64_t addr;
	size_t len;
	const uint8_t *data;
};

struct fake {
	struct region regions[16];
	int nregions;
	struct kd_context ctx;
	struct kd_x86_special_registers special;
	enum kd_machine machine;
};

static int f_version(struct kd_target *t, struct kd_version *v)
{
	struct fake *f = t->impl;
	memset(v, 0, sizeof *v);
	v->machine = f->machine;
	v->processors = 1;
	v->build = 2195;
	v->major = 0xf;
	return 0;
}

/* Memory is paged like a real target's: a 4 KiB page holding part of a
 * region is readable (zeros around the region), other pages are not. */
static int f_byte(const struct fake *f, uint64_t addr, uint8_t *b)
{
	int page = 0;
	for (int i = 0; i < f->nregions; i++) {
		const struct region *r = &f->regions[i];
		if (addr >= r->addr && addr - r->addr < r->len) {
			*b = r->data[addr - r->addr];
			return 1;
		}
		if ((addr >> 12) >= (r->addr >> 12) && (addr >> 12) <= ((r->addr + r->len - 1) >> 12))
			page = 1;
	}
	*b = 0;
	return page;
}

static int f_read(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	struct fake *f = t->impl;
	uint32_t n = 0;
	while (n < len && f_byte(f, addr + n, (uint8_t *)buf + n))
		n++;
	*done = n;
	return n ? 0 : KD_EUNREADABLE;
}

static int f_get_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	struct fake *f = t->impl;
	(void)cpu;
	*out = f->ctx;
	return 0;
}

static int f_read_control(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf,
                          uint32_t len, uint32_t *done)
{
	struct fake *f = t->impl;
	(void)cpu;
	*done = 0;
	if (addr < KD_X86_CONTROL_SPECIAL_REGISTERS
	    || addr - KD_X86_CONTROL_SPECIAL_REGISTERS + len > sizeof f->special)
		return KD_EUNREADABLE;
	memcpy(buf, (uint8_t *)&f->special + (addr - KD_X86_CONTROL_SPECIAL_REGISTERS), len);
	*done = len;
	return 0;
}

static void f_close(struct kd_target *t)
{
	(void)t;
}

static const struct kd_target_ops fake_ops = {
	.kind = "fake",
	.close = f_close,
	.version = f_version,
	.read_virtual = f_read,
	.get_context = f_get_context,
	.read_control = f_read_control,
};

/* A target without control space (a dump): .tss finds the GDT via KPCR. */
static const struct kd_target_ops fake_ops_nocontrol = {
	.kind = "fake",
	.close = f_close,
	.version = f_version,
	.read_virtual = f_read,
	.get_context = f_get_context,
};

static const struct {
	uint64_t addr;
	const char *name;
} symbols[] = {
	{ 0x80467386, "ExFreePoolWithTag" },
	{ 0x8081c7b6, "IoIsOperationSynchronous" },
	{ 0x8082e3aa, "KiCheckForKernelApcDelivery" },
	{ 0x80801098, "_imp_HalRequestSoftwareInterrupt" },
	{ 0x80801108, "_imp_KfLowerIrql" },
	{ 0x80500000, "TestFunc" },
	{ 0x80401100, "KfLowerIrql" },
};

static int sym_addr_to_name(void *ctx, const struct kd_module *m, uint64_t addr, char *name,
                            size_t n, uint64_t *disp)
{
	(void)ctx;
	if (strcmp(m->name, "nt"))
		return KD_ENOTFOUND;
	int best = -1;
	for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
		if (symbols[i].addr <= addr && (best < 0 || symbols[i].addr > symbols[best].addr))
			best = (int)i;
	if (best < 0)
		return KD_ENOTFOUND;
	snprintf(name, n, "%s", symbols[best].name);
	*disp = addr - symbols[best].addr;
	return 0;
}

static int sym_name_to_addr(void *ctx, const struct kd_module *m, const char *name, uint64_t *addr)
{
	(void)ctx;
	if (m && strcmp(m->name, "nt"))
		return KD_ENOTFOUND;
	for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
		if (!strcmp(symbols[i].name, name)) {
			*addr = symbols[i].addr;
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

static struct fake fake;
static struct kd_target target = { &fake_ops, &fake };
static struct capture out;
static struct kd_engine *eng;

/* Seed 002 .trap f71efb38 / seed 001 .trap f78aec38: the frames. */
static struct kd_x86_ktrap_frame trap1, trap2;
static struct kd_x86_context cxr1, cxr2;
static struct kd_exception_record32 exr1;
static uint8_t gdt[0x30];
static struct kd_x86_ktss tss;
static const uint8_t code_mov[] = { 0x89, 0x0a };                  /* 804676c8 */
static const uint8_t code_cmp[] = { 0x39, 0x45, 0x0c };            /* f07a973b */
static const uint8_t code_push[] = { 0x57 };                       /* bfb2b7f4 */
static const uint8_t code_test[] = {                               /* 8081c7b1 */
	0x90, 0x90, 0x90, 0x90, 0x90, /* the previous function's padding */
	0x8b, 0xff, 0x55, 0x8b, 0xec, 0x8b, 0x45, 0x08, 0x8b, 0x48, 0x60, 0x8b, 0x49, 0x18,
	0xf6, 0x41, 0x2c, 0x02,                                    /* 8081c7c4 */
};
static const uint8_t code_apc[] = {                                /* 8082e3c6 */
	0x32, 0xc9, 0xff, 0x25, 0x08, 0x11, 0x80, 0x80, 0x64, 0xa1, 0x24, 0x01, 0x00, 0x00,
	0xc6, 0x40, 0x3d, 0x01, 0xff, 0x25, 0x98, 0x10, 0x80, 0x80, 0xcc, 0xcc, 0xcc, 0xcc,
};

static const uint8_t code_func[] = {                               /* 80500000 */
	0x8b, 0xff, 0x85, 0xc0, 0x74, 0x05, 0x33, 0xc0, 0x40, 0xc3, 0xcc, 0x83, 0xc8, 0xff, 0xc3,
	0x68, 0x00, 0x11, 0x40, 0x80, /* push offset nt!KfLowerIrql */
	0x68, 0x10, 0xa0, 0x7a, 0xf0, /* push offset vicamusb+0x2010 */
	0x68, 0x00, 0x00, 0x00, 0x80, /* push 80000000h: in no module */
};

static void add_region(uint64_t addr, const void *data, size_t len)
{
	fake.regions[fake.nregions++] = (struct region){ addr, len, data };
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof fake);
	memset(&out, 0, sizeof out);
	fake.machine = KD_MACHINE_I386;

	memset(&trap1, 0, sizeof trap1);
	trap1.Eax = 0xe1e40fc0; trap1.Ebx = 0; trap1.Ecx = 0; trap1.Edx = 0;
	trap1.Esi = 0xe1e40ea0; trap1.Edi = 0x81438428; trap1.Ebp = 0xf71efbd0;
	trap1.Eip = 0x804676c8; trap1.SegCs = 8; trap1.EFlags = 0x00010246;
	trap1.SegDs = 0x23; trap1.SegEs = 0x23; trap1.SegFs = 0x30; trap1.SegGs = 0;
	trap1.ErrCode = 2;
	/* A kernel frame ends at HardwareEsp: the stack continues there. */
	add_region(0xf71efb38, &trap1, offsetof(struct kd_x86_ktrap_frame, HardwareEsp));

	memset(&trap2, 0, sizeof trap2);
	trap2.Eax = 0x0e364a01; trap2.Ebx = 0xf78aed50; trap2.Ecx = 0xf78aecb8; trap2.Edx = 0xe1;
	trap2.Esi = 0xf7727ec0; trap2.Edi = 0xf75d9ca2; trap2.Ebp = 0xf78aecc0;
	trap2.Eip = 0x8082e3e1; trap2.SegCs = 8; trap2.EFlags = 0x202;
	trap2.SegDs = 0x23; trap2.SegEs = 0x23; trap2.SegFs = 0x30;
	add_region(0xf78aec38, &trap2, sizeof trap2);

	memset(&cxr1, 0, sizeof cxr1);
	cxr1.ContextFlags = KD_CONTEXT_X86_FULL;
	cxr1.Eax = 0; cxr1.Ebx = 0x802ac6c8; cxr1.Ecx = 0x802ac610; cxr1.Edx = 0;
	cxr1.Esi = 0x802ac6c8; cxr1.Edi = 0x802ac610; cxr1.Eip = 0xf07a973b;
	cxr1.Esp = 0xf0853b6c; cxr1.Ebp = 0; cxr1.EFlags = 0x00210246;
	cxr1.SegCs = 8; cxr1.SegSs = 0x10; cxr1.SegDs = 0x23; cxr1.SegEs = 0x23; cxr1.SegFs = 0x30;
	add_region(0xf08536fc, &cxr1, sizeof cxr1);

	memset(&cxr2, 0, sizeof cxr2);
	cxr2.Eax = 0x8923b008; cxr2.Edx = 0x8923b008; cxr2.Esi = 0x891312d0; cxr2.Edi = 0x89f0b300;
	cxr2.Eip = 0x8081c7c4; cxr2.Esp = 0xf1b5d7a4; cxr2.Ebp = 0xf1b5d7a4; cxr2.EFlags = 0x00010296;
	cxr2.SegCs = 8; cxr2.SegSs = 0x10; cxr2.SegDs = 0x23; cxr2.SegEs = 0x23; cxr2.SegFs = 0x30;
	add_region(0x89000000, &cxr2, sizeof cxr2);

	memset(&exr1, 0, sizeof exr1);
	exr1.ExceptionCode = 0xc0000005;
	exr1.ExceptionAddress = 0xf07a973b;
	exr1.NumberParameters = 2;
	exr1.ExceptionInformation[1] = 0xc;
	add_region(0xf0853aa4, &exr1, sizeof exr1);

	/* GDT with a busy 32-bit TSS at selector 28, base 80042000. */
	memset(gdt, 0, sizeof gdt);
	static const uint8_t tss_desc[8] = { 0x67, 0x00, 0x00, 0x20, 0x04, 0x8b, 0x00, 0x80 };
	memcpy(gdt + 0x28, tss_desc, 8);
	add_region(0x8003f000, gdt, sizeof gdt);
	fake.special.GdtrBase = 0x8003f000;
	fake.special.GdtrLimit = 0x3ff;
	memset(&tss, 0, sizeof tss);
	tss.Eax = 0xbfb2b7eb; tss.Ebx = 0x81fafd80; tss.Ecx = 0x81f44be0; tss.Edx = 0;
	tss.Esi = 0x81f44be0; tss.Edi = 0xfe0c02c0; tss.Eip = 0xbfb2b7f4; tss.Esp = 0xf2438ed8;
	tss.Ebp = 0xf24391c0; tss.EFlags = 0x00210296;
	tss.Cs = 8; tss.Ss = 0x10; tss.Ds = 0x23; tss.Es = 0x23; tss.Fs = 0x30; tss.Gs = 0;
	add_region(0x80042000, &tss, sizeof tss);

	add_region(0x804676c8, code_mov, sizeof code_mov);
	add_region(0xf07a973b, code_cmp, sizeof code_cmp);
	add_region(0xbfb2b7f4, code_push, sizeof code_push);
	add_region(0x8081c7b1, code_test, sizeof code_test);
	add_region(0x8082e3c6, code_apc, sizeof code_apc);
	add_region(0x80500000, code_func, sizeof code_func);

	/* The processor's own context: KeBugCheckEx-like, eip in nt. */
	fake.ctx.machine = KD_MACHINE_I386;
	fake.ctx.u.x86.Eip = 0x804676c8;
	fake.ctx.u.x86.Esp = 0xf71ef9c0;
	fake.ctx.u.x86.EFlags = 0x00000246;
	fake.ctx.u.x86.SegCs = 8;
	fake.ctx.u.x86.SegSs = 0x10;

	eng = kd_engine_new(NULL, on_output, &out);
	assert_non_null(eng);
	assert_int_equal(kd_engine_open_target(eng, &target), 0);
	static const struct kd_module mods[] = {
		{ "nt", "ntoskrnl.exe", 0x80400000, 0x500000, 0, 0 },
		{ "vicamusb", "vicamusb.sys", 0xf07a8000, 0x10000, 0, 0 },
		{ "xyzwdm", "xyzwdm.sys", 0xbfabb000, 0x100000, 0, 0 },
	};
	for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
		assert_int_equal(kd_engine_module_add(eng, &mods[i]), 0);
	static const struct kd_symbolizer sym = { sym_addr_to_name, sym_name_to_addr, NULL };
	kd_engine_set_symbolizer(eng, &sym);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kd_engine_free(eng);
	return 0;
}

static void run(const char *cmd, const char *expect)
{
	out.len = 0;
	out.buf[0] = '\0';
	kd_execute(eng, cmd);
	assert_string_equal(out.buf, expect);
}

static void test_trap_seed002(void **state)
{
	(void)state;
	run(".trap f71efb38",
	    "ErrCode = 00000002\n"
	    "eax=e1e40fc0 ebx=00000000 ecx=00000000 edx=00000000 esi=e1e40ea0 edi=81438428\n"
	    "eip=804676c8 esp=f71efbac ebp=f71efbd0 iopl=0         nv up ei pl zr na pe nc\n"
	    "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00010246\n"
	    "nt!ExFreePoolWithTag+0x342:\n"
	    "804676c8 890a            mov     dword ptr [edx],ecx  ds:0023:00000000=????????\n");
	assert_true(kd_context_is_overridden(eng));
	run(".trap", "");
	assert_false(kd_context_is_overridden(eng));
}

static void test_trap_seed001(void **state)
{
	(void)state;
	run(".trap f78aec38",
	    "ErrCode = 00000000\n"
	    "eax=0e364a01 ebx=f78aed50 ecx=f78aecb8 edx=000000e1 esi=f7727ec0 edi=f75d9ca2\n"
	    "eip=8082e3e1 esp=f78aecac ebp=f78aecc0 iopl=0         nv up ei pl nz na po nc\n"
	    "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00000202\n"
	    "nt!KiCheckForKernelApcDelivery+0x37:\n"
	    "8082e3e1 cc              int     3\n");
	/* Seed 001's ub. */
	run("ub 8082e3e1",
	    "nt!KiCheckForKernelApcDelivery+0x1c:\n"
	    "8082e3c6 32c9            xor     cl,cl\n"
	    "8082e3c8 ff2508118080    jmp     dword ptr [nt!_imp_KfLowerIrql (80801108)]\n"
	    "8082e3ce 64a124010000    mov     eax,dword ptr fs:[00000124h]\n"
	    "8082e3d4 c6403d01        mov     byte ptr [eax+3Dh],1\n"
	    "8082e3d8 ff2598108080    jmp     dword ptr [nt!_imp_HalRequestSoftwareInterrupt (80801098)]\n"
	    "8082e3de cc              int     3\n"
	    "8082e3df cc              int     3\n"
	    "8082e3e0 cc              int     3\n");
	/* A jump through memory: the note shows where it goes. */
	static const uint32_t kflowerirql = 0x80401100;
	add_region(0x80801108, &kflowerirql, 4);
	run("r eip=8082e3c8", "");
	kd_memory_cache_flush(eng);
	run("r",
	    "Last set context:\n"
	    "eax=0e364a01 ebx=f78aed50 ecx=f78aecb8 edx=000000e1 esi=f7727ec0 edi=f75d9ca2\n"
	    "eip=8082e3c8 esp=f78aecac ebp=f78aecc0 iopl=0         nv up ei pl nz na po nc\n"
	    "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00000202\n"
	    "nt!KiCheckForKernelApcDelivery+0x1e:\n"
	    "8082e3c8 ff2508118080    jmp     dword ptr [nt!_imp_KfLowerIrql (80801108)] "
	    "ds:0023:80801108={nt!KfLowerIrql (80401100)}\n");
	run("?0y0100", "Evaluate expression: 4 = 00000000`00000004\n");
	run("?0y0000", "Evaluate expression: 0 = 00000000`00000000\n");
	run("?00010004>>2", "Evaluate expression: 16385 = 00000000`00004001\n");
}

static void test_cxr_exr_seed002(void **state)
{
	(void)state;
	run(".exr f0853aa4",
	    "ExceptionAddress: f07a973b (vicamusb+0x173b)\n"
	    "   ExceptionCode: c0000005 (Access violation)\n"
	    "  ExceptionFlags: 00000000\n"
	    "NumberParameters: 2\n"
	    "   Parameter[0]: 00000000\n"
	    "   Parameter[1]: 0000000c\n"
	    "Attempt to read from address 0000000c\n");
	const char *regs =
	    "eax=00000000 ebx=802ac6c8 ecx=802ac610 edx=00000000 esi=802ac6c8 edi=802ac610\n"
	    "eip=f07a973b esp=f0853b6c ebp=00000000 iopl=0         nv up ei pl zr na pe nc\n"
	    "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00210246\n"
	    "vicamusb+0x173b:\n"
	    "f07a973b 39450c          cmp     dword ptr [ebp+0Ch],eax ss:0010:0000000c=????????\n";
	run(".cxr f08536fc", regs);
	char last[2048];
	snprintf(last, sizeof last, "Last set context:\n%s", regs);
	run("r", last);
	/* u without an address starts at the instruction just shown. */
	run("u L1", "vicamusb+0x173b:\nf07a973b 39450c          cmp     dword ptr [ebp+0Ch],eax\n");
	run("r ebx", "ebx=802ac6c8\n");
	run("r eip, bl, efl, zf", "eip=f07a973b\nbl=c8\nefl=00210246\nzf=1\n");
	run("r @$ip", "$ip=f07a973b\n");
	/* r reg=expr writes into the override. */
	run("r eax=poi(f0853aa4+c)+1", "");
	run("r eax", "eax=f07a973c\n");
	/* .cxr alone goes back to the processor's registers. */
	run(".cxr", "");
	run("r eip", "eip=804676c8\n");
}

static void test_tss_seed002(void **state)
{
	(void)state;
	run(".tss 28",
	    "eax=bfb2b7eb ebx=81fafd80 ecx=81f44be0 edx=00000000 esi=81f44be0 edi=fe0c02c0\n"
	    "eip=bfb2b7f4 esp=f2438ed8 ebp=f24391c0 iopl=0         nv up ei ng nz ac pe nc\n"
	    "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00210296\n"
	    "xyzwdm+0x707f4:\n"
	    "bfb2b7f4 57              push    edi\n");
	out.len = 0;
	assert_int_not_equal(kd_execute(eng, ".tss 30"), 0);

	/* Without control space the GDT comes from KPCR.GDT (0xffdff03c). */
	static const uint32_t kpcr_gdt = 0x8003f000;
	add_region(0xffdff03c, &kpcr_gdt, 4);
	static struct kd_target t2 = { &fake_ops_nocontrol, &fake };
	kd_engine_free(eng);
	eng = kd_engine_new(NULL, on_output, &out);
	assert_int_equal(kd_engine_open_target(eng, &t2), 0);
	out.len = 0;
	assert_int_equal(kd_execute(eng, ".tss 28"), 0);
	assert_non_null(strstr(out.buf, "eip=bfb2b7f4 esp=f2438ed8 ebp=f24391c0 iopl=0"));

	/* .exr -1: the last exception the target stopped with. */
	struct kd_stop_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = KD_STOP_EXCEPTION;
	ev.code = 0xc0000005;
	ev.address = 0xbfb2b7f4;
	ev.nparams = 2;
	ev.params[0] = 1;
	ev.params[1] = 0xf2438ed4;
	kd_engine_target_stopped(eng, &ev);
	run(".exr -1",
	    "ExceptionAddress: bfb2b7f4\n"
	    "   ExceptionCode: c0000005 (Access violation)\n"
	    "  ExceptionFlags: 00000000\n"
	    "NumberParameters: 2\n"
	    "   Parameter[0]: 00000001\n"
	    "   Parameter[1]: f2438ed4\n"
	    "Attempt to write to address f2438ed4\n");
}

static void test_r_seed000(void **state)
{
	(void)state;
	kd_execute(eng, ".cxr 89000000");
	run("r",
	    "Last set context:\n"
	    "eax=8923b008 ebx=00000000 ecx=00000000 edx=8923b008 esi=891312d0 edi=89f0b300\n"
	    "eip=8081c7c4 esp=f1b5d7a4 ebp=f1b5d7a4 iopl=0         nv up ei ng nz ac pe nc\n"
	    "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00010296\n"
	    "nt!IoIsOperationSynchronous+0xe:\n"
	    "8081c7c4 f6412c02        test    byte ptr [ecx+2Ch],2 ds:0023:0000002c=??\n");
	/* Seed 000's ub, column for column: it stops at the function start. */
	run("ub 8081c7c4",
	    "nt!IoIsOperationSynchronous:\n"
	    "8081c7b6 8bff            mov     edi,edi\n"
	    "8081c7b8 55              push    ebp\n"
	    "8081c7b9 8bec            mov     ebp,esp\n"
	    "8081c7bb 8b4508          mov     eax,dword ptr [ebp+8]\n"
	    "8081c7be 8b4860          mov     ecx,dword ptr [eax+60h]\n"
	    "8081c7c1 8b4918          mov     ecx,dword ptr [ecx+18h]\n");
	run("r $t1=ecx+2c", "");
	run("? @$t1", "Evaluate expression: 44 = 00000000`0000002c\n");
	run("? poi(0)", "Memory access error at ')'\n");
	/* The documentation's example value (its 32-bit widths grown to the
	 * 64-bit ones `?` uses; time in UTC, the docs show Pacific time). */
	run(".formats 1c407e62",
	    "Evaluate expression:\n"
	    "  Hex:     00000000`1c407e62\n"
	    "  Decimal: 473988706\n"
	    "  Octal:   0000000000003420077142\n"
	    "  Binary:  00000000 00000000 00000000 00000000 00011100 01000000 01111110 01100010\n"
	    "  Chars:   .....@~b\n"
	    "  Time:    Mon Jan  7 23:31:46 1985\n"
	    "  Float:   low 6.36908e-022 high 0\n"
	    "  Double:  2.34182e-315\n");
	run("? nt!NoSuchThing", "Couldn't resolve error at 'nt!NoSuchThing'\n");
}

/* u continues where it stopped; a range includes its end; uf lists the
 * blocks a function's branches reach, each under its symbol line. */
static void test_u_uf(void **state)
{
	(void)state;
	run("u 80500000 L3",
	    "nt!TestFunc:\n"
	    "80500000 8bff            mov     edi,edi\n"
	    "80500002 85c0            test    eax,eax\n"
	    "80500004 7405            je      nt!TestFunc+0xb (8050000b)\n");
	run("u L2",
	    "nt!TestFunc+0x6:\n"
	    "80500006 33c0            xor     eax,eax\n"
	    "80500008 40              inc     eax\n");
	run("u nt!TestFunc+9 nt!TestFunc+0xb",
	    "nt!TestFunc+0x9:\n"
	    "80500009 c3              ret\n"
	    "8050000a cc              int     3\n");
	run("uf nt!TestFunc+6",
	    "nt!TestFunc:\n"
	    "80500000 8bff            mov     edi,edi\n"
	    "80500002 85c0            test    eax,eax\n"
	    "80500004 7405            je      nt!TestFunc+0xb (8050000b)  Branch\n"
	    "\n"
	    "nt!TestFunc+0x6:\n"
	    "80500006 33c0            xor     eax,eax\n"
	    "80500008 40              inc     eax\n"
	    "80500009 c3              ret\n"
	    "\n"
	    "nt!TestFunc+0xb:\n"
	    "8050000b 83c8ff          or      eax,0FFFFFFFFh\n"
	    "8050000e c3              ret\n");
	run("u 8050000f L3",
	    "nt!TestFunc+0xf:\n"
	    "8050000f 6800114080      push    offset nt!KfLowerIrql (80401100)\n"
	    "80500014 6810a07af0      push    offset vicamusb+0x2010 (f07aa010)\n"
	    "80500019 6800000080      push    80000000h\n");
	run("ub 8050000b L2",
	    "nt!TestFunc+0x9:\n"
	    "80500009 c3              ret\n"
	    "8050000a cc              int     3\n");
	out.len = 0;
	assert_int_not_equal(kd_execute(eng, "u 0 ffffffff"), 0);
	assert_string_equal(out.buf, "Range error in '0 ffffffff'\n");
	out.len = 0;
	assert_int_not_equal(kd_execute(eng, "uf 0"), 0);
	assert_string_equal(out.buf, "No code found, aborting\n");
	out.len = 0;
	assert_int_not_equal(kd_execute(eng, "u nosuch"), 0);
	assert_string_equal(out.buf, "Couldn't resolve error at 'nosuch'\n");
}

/* x64: a trap frame (synthetic values) shows the NOTE, zeroes for the
 * registers trap frames do not save, no segment line, and the x64 form
 * of the effective address. */
static struct kd_x64_ktrap_frame trap64;
static const uint8_t code64[] = { 0x48, 0x8b, 0x48, 0x18 }; /* mov rcx,qword ptr [rax+18h] */

static void test_trap_x64(void **state)
{
	(void)state;
	kd_engine_free(eng);
	fake.machine = KD_MACHINE_AMD64;
	fake.nregions = 0;
	memset(&fake.ctx, 0, sizeof fake.ctx);
	fake.ctx.machine = KD_MACHINE_AMD64;
	memset(&trap64, 0, sizeof trap64);
	trap64.Rax = 0; trap64.Rcx = 0xfffffa8003cea8e0ull; trap64.Rdx = 0xfffffa8003cea870ull;
	trap64.R10 = 0xfffffa80057f5060ull; trap64.R11 = 0xfffffa8003cea870ull;
	trap64.Rbx = 0x1111; trap64.Rsi = 0x2222; trap64.Rdi = 0x3333; /* not saved: shown as 0 */
	trap64.Rbp = 0xfffffa8003e2b1a0ull; trap64.Rip = 0xfffff88003c7d3cdull;
	trap64.Rsp = 0xfffff880009f2d00ull; trap64.EFlags = 0x10286;
	trap64.SegCs = 0x10; trap64.SegSs = 0x18; trap64.SegDs = 0x2b;
	add_region(0xfffff880009f2b70ull, &trap64, sizeof trap64);
	add_region(0xfffff88003c7d3cdull, code64, sizeof code64);
	eng = kd_engine_new(NULL, on_output, &out);
	assert_int_equal(kd_engine_open_target(eng, &target), 0);
	static const struct kd_module usbport = { "USBPORT", "USBPORT.SYS", 0xfffff88003c00000ull, 0x100000, 0, 0 };
	kd_engine_module_add(eng, &usbport);
	run(".trap fffff880`009f2b70",
	    "NOTE: The trap frame does not contain all registers.\n"
	    "Some register values may be zeroed or incorrect.\n"
	    "rax=0000000000000000 rbx=0000000000000000 rcx=fffffa8003cea8e0\n"
	    "rdx=fffffa8003cea870 rsi=0000000000000000 rdi=0000000000000000\n"
	    "rip=fffff88003c7d3cd rsp=fffff880009f2d00 rbp=fffffa8003e2b1a0\n"
	    " r8=0000000000000000  r9=0000000000000000 r10=fffffa80057f5060\n"
	    "r11=fffffa8003cea870 r12=0000000000000000 r13=0000000000000000\n"
	    "r14=0000000000000000 r15=0000000000000000\n"
	    "iopl=0         nv up ei ng nz na pe nc\n"
	    "USBPORT+0x7d3cd:\n"
	    "fffff880`03c7d3cd 488b4818        mov     rcx,qword ptr [rax+18h] ds:00000000`00000018=????????????????\n");
	run("r rcx, ecx, cl, $ip", "rcx=fffffa8003cea8e0\necx=03cea8e0\ncl=e0\n$ip=fffff88003c7d3cd\n");
	run("? rip", "Evaluate expression: -8246273780787 = fffff880`03c7d3cd\n");
	run("u . L1", "USBPORT+0x7d3cd:\n"
	    "fffff880`03c7d3cd 488b4818        mov     rcx,qword ptr [rax+18h]\n");
}

/* Seed 001's processor 3, whose context the dump did not capture. */
static void test_r_zero_context(void **state)
{
	(void)state;
	kd_engine_free(eng);
	memset(&fake.ctx, 0, sizeof fake.ctx);
	fake.ctx.machine = KD_MACHINE_I386;
	eng = kd_engine_new(NULL, on_output, &out);
	assert_int_equal(kd_engine_open_target(eng, &target), 0);
	run("r",
	    "eax=00000000 ebx=00000000 ecx=00000000 edx=00000000 esi=00000000 edi=00000000\n"
	    "eip=00000000 esp=00000000 ebp=00000000 iopl=0         nv up di pl nz na po nc\n"
	    "cs=0000  ss=0000  ds=0000  es=0000  fs=0000  gs=0000             efl=00000000\n"
	    "00000000 ??              ???\n");
}

/* Every combination of OF DF IF SF ZF AF PF CF gives WinDbg's mnemonics
 * (documented pairs: ov/nv, dn/up, ei/di, ng/pl, zr/nz, ac/na, pe/po,
 * cy/nc), whatever the other bits hold. */
static void test_flags_all_combinations(void **state)
{
	(void)state;
	static const struct {
		uint32_t bit;
		const char *set, *clear;
	} flags[8] = {
		{ 1u << 11, "ov", "nv" }, { 1u << 10, "dn", "up" }, { 1u << 9, "ei", "di" },
		{ 1u << 7, "ng", "pl" }, { 1u << 6, "zr", "nz" }, { 1u << 4, "ac", "na" },
		{ 1u << 2, "pe", "po" }, { 1u << 0, "cy", "nc" },
	};
	for (unsigned combo = 0; combo < 256; combo++) {
		uint32_t efl = 0x2;
		char expect[64] = "";
		for (int i = 0; i < 8; i++) {
			int on = (combo >> i) & 1;
			if (on)
				efl |= flags[i].bit;
			strcat(expect, i ? " " : "");
			strcat(expect, on ? flags[i].set : flags[i].clear);
		}
		char got[64];
		kd_format_eflags(efl, got, sizeof got);
		assert_string_equal(got, expect);
		/* Other bits (TF, IOPL, RF, VM, ID) do not change them. */
		kd_format_eflags(efl | 0x00277100, got, sizeof got);
		assert_string_equal(got, expect);
	}
	/* The seeds' own values. */
	char got[64];
	kd_format_eflags(0x00000202, got, sizeof got);
	assert_string_equal(got, "nv up ei pl nz na po nc");
	kd_format_eflags(0x00010296, got, sizeof got);
	assert_string_equal(got, "nv up ei ng nz ac pe nc");
}

/* The real x64 triage dump: .cxr to the context record the bugcheck
 * left, then r shows the faulting rip. */
static void test_triage_dump_cxr(void **state)
{
	(void)state;
	const char *data = getenv("KD_DATA");
	if (!data) {
		skip();
		return;
	}
	char path[1024], err[256];
	snprintf(path, sizeof path, "%s/dumps/triage_x64.dmp", data);
	struct kd_target *t;
	if (kd_dump_target_open(path, &t, err, sizeof err) < 0)
		fail_msg("cannot open %s: %s", path, err);
	struct capture cap = { .len = 0 };
	struct kd_engine *e = kd_engine_new(NULL, on_output, &cap);
	assert_int_equal(kd_engine_open_target(e, t), 0);
	kd_execute(e, ".cxr ffff850429891720");
	cap.len = 0;
	cap.buf[0] = '\0';
	assert_int_equal(kd_execute(e, "r"), 0);
	print_message("%s", cap.buf);
	assert_non_null(strstr(cap.buf, "Last set context:\nrax="));
	assert_non_null(strstr(cap.buf, "\nrip=fffff8048b58334c "));
	assert_non_null(strstr(cap.buf, "\niopl="));
	/* With a selector in the context, x64 shows it: ds:002b:... */
	assert_non_null(strstr(cap.buf, "mov     dword ptr [r9+r8],edx ds:002b:ffff9b00`0336004c=????????\n"));
	assert_int_equal(kd_execute(e, "r rip"), 0);
	assert_non_null(strstr(cap.buf, "rip=fffff8048b58334c\n"));
	kd_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trap_seed002, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trap_seed001, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cxr_exr_seed002, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tss_seed002, setup, teardown),
		cmocka_unit_test_setup_teardown(test_r_seed000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_u_uf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_r_zero_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trap_x64, setup, teardown),
		cmocka_unit_test(test_flags_all_combinations),
		cmocka_unit_test(test_triage_dump_cxr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
