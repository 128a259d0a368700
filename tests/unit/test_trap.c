/*
 * Trap frame, TSS, exception record and GDT descriptor conversions
 * (arch/frames.c), on the cases the kernel's own rules distinguish
 * (ReactOS KiEspFromTrapFrame/KiSsFromTrapFrame, Intel SDM vol. 3 for
 * descriptors):
 *  - kernel-mode x86 frame: ESP is the address of HardwareEsp, SS 0x10;
 *  - user-mode frame (CS RPL 3): ESP/SS pushed by the processor;
 *  - V86 frame: ESP/SS pushed and DS/ES/FS/GS from the V86 fields;
 *  - edited frame (SegCs without the FRAME_EDITED bits): TempSegCs/TempEsp;
 *  - short reads are refused, not read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/frames.h"
#include "base/error.h"

static struct kd_x86_ktrap_frame base_frame(void)
{
	struct kd_x86_ktrap_frame f;
	memset(&f, 0, sizeof f);
	f.Eax = 1; f.Ebx = 2; f.Ecx = 3; f.Edx = 4; f.Esi = 5; f.Edi = 6; f.Ebp = 7;
	f.Eip = 0x80401234; f.EFlags = 0x202; f.ErrCode = 0x11;
	f.SegDs = 0x23; f.SegEs = 0x23; f.SegFs = 0x30; f.SegGs = 0;
	f.HardwareEsp = 0x0012ff00; f.HardwareSegSs = 0x23;
	f.V86Es = 0x1111; f.V86Ds = 0x2222; f.V86Fs = 0x3333; f.V86Gs = 0x4444;
	f.TempSegCs = 0x1b; f.TempEsp = 0xdead0000;
	return f;
}

static void test_x86_kernel_frame(void **state)
{
	(void)state;
	struct kd_x86_ktrap_frame f = base_frame();
	f.SegCs = 8;
	struct kd_context c;
	uint32_t err = 0;
	/* Only the part up to HardwareEsp exists for a kernel frame. */
	assert_int_equal(kd_x86_trap_to_context(&f, 0x74, 0xf71efb38, &c, &err), 0);
	assert_int_equal(c.machine, KD_MACHINE_I386);
	assert_int_equal(c.u.x86.Esp, 0xf71efbac); /* the seed's .trap f71efb38 */
	assert_int_equal(c.u.x86.SegSs, 0x10);
	assert_int_equal(c.u.x86.SegCs, 8);
	assert_int_equal(c.u.x86.SegDs, 0x23);
	assert_int_equal(c.u.x86.SegFs, 0x30);
	assert_int_equal(c.u.x86.Eip, 0x80401234);
	assert_int_equal(c.u.x86.Ebp, 7);
	assert_int_equal(err, 0x11);
	assert_int_equal(kd_x86_trap_to_context(&f, 0x73, 0xf71efb38, &c, &err), KD_EFORMAT);
}

static void test_x86_user_frame(void **state)
{
	(void)state;
	struct kd_x86_ktrap_frame f = base_frame();
	f.SegCs = 0x1b;
	struct kd_context c;
	/* A user frame needs the pushed SS:ESP. */
	assert_int_equal(kd_x86_trap_to_context(&f, 0x74, 0x1000, &c, NULL), KD_EFORMAT);
	assert_int_equal(kd_x86_trap_to_context(&f, 0x7c, 0x1000, &c, NULL), 0);
	assert_int_equal(c.u.x86.Esp, 0x0012ff00);
	assert_int_equal(c.u.x86.SegSs, 0x23);
	assert_int_equal(c.u.x86.SegCs, 0x1b);
	assert_int_equal(c.u.x86.SegDs, 0x23);
}

static void test_x86_v86_frame(void **state)
{
	(void)state;
	struct kd_x86_ktrap_frame f = base_frame();
	f.SegCs = 0x2000;
	f.EFlags = 0x00020202;
	struct kd_context c;
	assert_int_equal(kd_x86_trap_to_context(&f, 0x7c, 0x1000, &c, NULL), KD_EFORMAT);
	assert_int_equal(kd_x86_trap_to_context(&f, sizeof f, 0x1000, &c, NULL), 0);
	assert_int_equal(c.u.x86.Esp, 0x0012ff00);
	assert_int_equal(c.u.x86.SegEs, 0x1111);
	assert_int_equal(c.u.x86.SegDs, 0x2222);
	assert_int_equal(c.u.x86.SegFs, 0x3333);
	assert_int_equal(c.u.x86.SegGs, 0x4444);
}

static void test_x86_edited_frame(void **state)
{
	(void)state;
	struct kd_x86_ktrap_frame f = base_frame();
	f.SegCs = 0; /* kernel mode, FRAME_EDITED bits clear */
	f.TempSegCs = 8;
	struct kd_context c;
	assert_int_equal(kd_x86_trap_to_context(&f, 0x74, 0x1000, &c, NULL), 0);
	assert_int_equal(c.u.x86.Esp, 0xdead0000);
	assert_int_equal(c.u.x86.SegCs, 8);
}

static void test_x64_frame(void **state)
{
	(void)state;
	struct kd_x64_ktrap_frame f;
	memset(&f, 0, sizeof f);
	f.Rax = 1; f.Rcx = 2; f.Rdx = 3; f.R8 = 4; f.R9 = 5; f.R10 = 6; f.R11 = 7;
	f.Rbx = 8; f.Rsi = 9; f.Rdi = 10; f.Rbp = 11;
	f.Rip = 0xfffff80012345678ull; f.Rsp = 0xffff850429892120ull;
	f.EFlags = 0x10286; f.SegCs = 0x10; f.SegSs = 0x18; f.MxCsr = 0x1f80;
	struct kd_context c;
	assert_int_equal(kd_x64_trap_to_context(&f, sizeof f - 1, &c), KD_EFORMAT);
	assert_int_equal(kd_x64_trap_to_context(&f, sizeof f, &c), 0);
	assert_int_equal(c.machine, KD_MACHINE_AMD64);
	assert_int_equal(c.u.x64.Rip, f.Rip);
	assert_int_equal(c.u.x64.Rsp, f.Rsp);
	assert_int_equal(c.u.x64.Rbp, 11);
	assert_int_equal(c.u.x64.R11, 7);
	/* Nonvolatile registers are not saved by the trap handler. */
	assert_int_equal(c.u.x64.Rbx, 0);
	assert_int_equal(c.u.x64.Rsi, 0);
	assert_int_equal(c.u.x64.Rdi, 0);
	assert_int_equal(c.u.x64.SegSs, 0x18);
	assert_int_equal(c.u.x64.MxCsr, 0x1f80);
}

static void test_tss(void **state)
{
	(void)state;
	struct kd_x86_ktss t;
	memset(&t, 0, sizeof t);
	t.Eip = 0xbfb2b7f4; t.Esp = 0xf2438ed8; t.Ebp = 0xf24391c0; t.EFlags = 0x00210296;
	t.Eax = 0xbfb2b7eb; t.Cs = 8; t.Ss = 0x10; t.Ds = 0x23; t.Fs = 0x30;
	struct kd_context c;
	assert_int_equal(kd_x86_tss_to_context(&t, sizeof t - 1, &c), KD_EFORMAT);
	assert_int_equal(kd_x86_tss_to_context(&t, sizeof t, &c), 0);
	assert_int_equal(c.u.x86.Eip, 0xbfb2b7f4);
	assert_int_equal(c.u.x86.Esp, 0xf2438ed8);
	assert_int_equal(c.u.x86.SegFs, 0x30);
	assert_int_equal(c.u.x86.EFlags, 0x00210296);
}

static void test_exception_records(void **state)
{
	(void)state;
	struct kd_exception_record32 r32;
	memset(&r32, 0, sizeof r32);
	r32.ExceptionCode = 0xc0000005;
	r32.ExceptionAddress = 0xf07a973b;
	r32.NumberParameters = 2;
	r32.ExceptionInformation[1] = 0xc;
	struct kd_exception_record r;
	assert_int_equal(kd_exception_record_parse(&r32, sizeof r32, 0, &r), 0);
	assert_int_equal(r.code, 0xc0000005);
	assert_int_equal(r.address, 0xf07a973b);
	assert_int_equal(r.params[1], 0xc);
	assert_int_equal(kd_exception_record_parse(&r32, sizeof r32 - 1, 0, &r), KD_EFORMAT);
	struct kd_exception_record64 r64;
	memset(&r64, 0, sizeof r64);
	r64.ExceptionCode = 0x80000003;
	r64.ExceptionAddress = 0xfffff8047bdf5a80ull;
	r64.NumberParameters = 40; /* corrupt: kept as stored, parameters capped */
	r64.ExceptionInformation[14] = 0x1234;
	assert_int_equal(kd_exception_record_parse(&r64, sizeof r64, 1, &r), 0);
	assert_int_equal(r.address, 0xfffff8047bdf5a80ull);
	assert_int_equal(r.nparams, 40);
	assert_int_equal(r.params[14], 0x1234);
	assert_string_equal(kd_exception_name(0xc0000005), "Access violation");
	assert_null(kd_exception_name(0x12345678));
}

static void test_descriptors(void **state)
{
	(void)state;
	/* Windows x86 GDT: 0x28 is the busy TSS, 0x08 the flat ring-0 code. */
	static const uint8_t tss[8] = { 0xab, 0x20, 0x00, 0x20, 0x04, 0x8b, 0x00, 0x80 };
	static const uint8_t code[8] = { 0xff, 0xff, 0x00, 0x00, 0x00, 0x9b, 0xcf, 0x00 };
	struct kd_x86_descriptor d;
	kd_x86_descriptor_decode(tss, &d);
	assert_int_equal(d.base, 0x80042000);
	assert_int_equal(d.limit, 0x20ab);
	assert_int_equal(d.type, 0xb);
	assert_true(d.present);
	assert_true(kd_x86_descriptor_is_tss(&d));
	kd_x86_descriptor_decode(code, &d);
	assert_int_equal(d.base, 0);
	assert_int_equal(d.limit, 0xffffffffu);
	assert_int_equal(d.dpl, 0);
	assert_false(kd_x86_descriptor_is_tss(&d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_kernel_frame),
		cmocka_unit_test(test_x86_user_frame),
		cmocka_unit_test(test_x86_v86_frame),
		cmocka_unit_test(test_x86_edited_frame),
		cmocka_unit_test(test_x64_frame),
		cmocka_unit_test(test_tss),
		cmocka_unit_test(test_exception_records),
		cmocka_unit_test(test_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
