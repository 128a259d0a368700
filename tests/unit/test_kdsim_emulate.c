/*
 * kdsim's execution: the instruction stepper on hand-assembled x86 and x64
 * code and on the real code of $KD_DATA/pe images (capstone, opened
 * separately, is the oracle for lengths and branch targets), the PE mapper
 * against the PE reader's file layout, the event script parser, and the
 * stub driven packet by packet without kd: breakpoints written into memory
 * and restored, a run to a breakpoint, a step that trips a write
 * watchpoint, a module load, a bugcheck found through KDDEBUGGER_DATA64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <capstone/capstone.h>

#include "proto/dbgkd.h"
#include "proto/kd_packet.h"
#include "symbols/pe.h"
#include "tests/kdsim/emulate.h"
#include "tests/kdsim/image_map.h"
#include "tests/kdsim/machine.h"
#include "tests/kdsim/run.h"
#include "tests/kdsim/script.h"
#include "tests/kdsim/stub.h"

static const char *data_dir;

static uint64_t rd(struct sim_machine *m, uint64_t a, unsigned n)
{
	uint8_t b[8] = { 0 };
	assert_int_equal(sim_read(m, a, b, n), n);
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* ---- the stepper on hand-made code ---- */

static void test_x64_call_ret_stack(void **state)
{
	(void)state;
	struct sim_machine m;
	struct sim_emu e;
	struct sim_step st;
	assert_int_equal(sim_machine_init(&m, KD_MACHINE_AMD64, 1), 0);
	assert_int_equal(sim_emu_open(&e, KD_MACHINE_AMD64), 0);
	uint64_t c = m.kern_base + 0x10000;
	static const uint8_t code[] = {
		0x55,                                     /* +0  push rbp */
		0x48, 0x89, 0xe5,                         /* +1  mov rbp, rsp */
		0x48, 0x83, 0xec, 0x20,                   /* +4  sub rsp, 0x20 */
		0xc7, 0x45, 0xf8, 0x78, 0x56, 0x34, 0x12, /* +8  mov dword ptr [rbp-8], 0x12345678 */
		0xe8, 0x0c, 0x00, 0x00, 0x00,             /* +f  call +0x20 */
		0x48, 0x83, 0xc4, 0x20,                   /* +14 add rsp, 0x20 */
		0x5d,                                     /* +18 pop rbp */
		0xc3,                                     /* +19 ret */
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0x31, 0xc9,                               /* +20 xor ecx, ecx */
		0x85, 0xc9,                               /* +22 test ecx, ecx */
		0x74, 0x01,                               /* +24 je +0x27 */
		0xf4,                                     /* +26 hlt (skipped) */
		0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00, /* +27 lea rax, [rip+0x10] */
		0xc3,                                     /* +2e ret */
	};
	sim_write(&m, c, code, sizeof code);
	struct kd_context *x = &m.ctx[0];
	x->u.x64.Rip = c;
	uint64_t sp = x->u.x64.Rsp, bp = x->u.x64.Rbp;
	uint64_t ret_addr = rd(&m, sp, 8);
	sim_emu_step(&e, &m, x, &st); /* push rbp */
	assert_int_equal(st.kind, SIM_STEP_DONE);
	assert_int_equal(x->u.x64.Rsp, sp - 8);
	assert_int_equal(rd(&m, sp - 8, 8), bp);
	assert_int_equal(st.naccess, 1);
	assert_int_equal(st.access[0].write, 1);
	sim_emu_step(&e, &m, x, &st); /* mov rbp, rsp */
	assert_int_equal(x->u.x64.Rbp, sp - 8);
	sim_emu_step(&e, &m, x, &st); /* sub rsp, 0x20 */
	assert_int_equal(x->u.x64.Rsp, sp - 8 - 0x20);
	sim_emu_step(&e, &m, x, &st); /* mov [rbp-8], imm */
	assert_int_equal(rd(&m, sp - 16, 4), 0x12345678);
	assert_int_equal(st.naccess, 1);
	assert_int_equal(st.access[0].addr, sp - 16);
	assert_int_equal(st.access[0].size, 4);
	assert_int_equal(st.access[0].write, 1);
	sim_emu_step(&e, &m, x, &st); /* call */
	assert_true(st.call);
	assert_int_equal(x->u.x64.Rip, c + 0x20);
	assert_int_equal(rd(&m, x->u.x64.Rsp, 8), c + 0x14);
	sim_emu_step(&e, &m, x, &st); /* xor */
	sim_emu_step(&e, &m, x, &st); /* test */
	assert_true(x->u.x64.EFlags & 0x40);
	sim_emu_step(&e, &m, x, &st); /* je: taken */
	assert_int_equal(x->u.x64.Rip, c + 0x27);
	sim_emu_step(&e, &m, x, &st); /* lea */
	assert_int_equal(x->u.x64.Rax, c + 0x2e + 0x10);
	sim_emu_step(&e, &m, x, &st); /* ret */
	assert_true(st.ret);
	assert_int_equal(x->u.x64.Rip, c + 0x14);
	sim_emu_step(&e, &m, x, &st); /* add rsp */
	sim_emu_step(&e, &m, x, &st); /* pop rbp */
	assert_int_equal(x->u.x64.Rbp, bp);
	sim_emu_step(&e, &m, x, &st); /* ret to the caller on the stack */
	assert_int_equal(st.ret_sp, sp);
	assert_int_equal(x->u.x64.Rip, ret_addr);
	assert_int_equal(x->u.x64.Rsp, sp + 8);
	/* int 3 is not executed; unmapped code is a fault */
	x->u.x64.Rip = c + 0x1a;
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(st.kind, SIM_STEP_INT3);
	assert_int_equal(x->u.x64.Rip, c + 0x1a);
	x->u.x64.Rip = 0x1000;
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(st.kind, SIM_STEP_FAULT);
	sim_emu_close(&e);
	sim_machine_free(&m);
}

/* rep: one iteration a step, the IP stays until the count is done, as a
 * single-stepping processor shows it; repne scasb ends on the match. */
static void test_x64_rep_strings(void **state)
{
	(void)state;
	struct sim_machine m;
	struct sim_emu e;
	struct sim_step st;
	assert_int_equal(sim_machine_init(&m, KD_MACHINE_AMD64, 1), 0);
	assert_int_equal(sim_emu_open(&e, KD_MACHINE_AMD64), 0);
	uint64_t c = m.kern_base + 0x10000;
	static const uint8_t code[] = {
		0xb9, 0x03, 0x00, 0x00, 0x00,             /* +0  mov ecx, 3 */
		0x48, 0x8d, 0x3d, 0xf4, 0x00, 0x00, 0x00, /* +5  lea rdi, [rip+0xf4] (c+0x100) */
		0xb0, 0x41,                               /* +c  mov al, 0x41 */
		0xf3, 0xaa,                               /* +e  rep stosb */
		0x48, 0x8d, 0x3d, 0xe9, 0x00, 0x00, 0x00, /* +10 lea rdi, [rip+0xe9] (c+0x100) */
		0xb9, 0x10, 0x00, 0x00, 0x00,             /* +17 mov ecx, 0x10 */
		0xb0, 0x42,                               /* +1c mov al, 0x42 */
		0xf2, 0xae,                               /* +1e repne scasb */
		0x90,                                     /* +20 nop */
	};
	sim_write(&m, c, code, sizeof code);
	uint8_t pat[4] = { 0, 0, 0, 0x42 };
	sim_write(&m, c + 0x100, pat, sizeof pat);
	struct kd_context *x = &m.ctx[0];
	x->u.x64.Rip = c;
	for (int i = 0; i < 3; i++)
		sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rdi, c + 0x100);
	for (int i = 2; i >= 0; i--) {
		sim_emu_step(&e, &m, x, &st);
		assert_int_equal(x->u.x64.Rcx, (uint64_t)i);
		assert_int_equal(x->u.x64.Rip, i ? c + 0xe : c + 0x10);
		assert_int_equal(st.access[0].write, 1);
	}
	assert_int_equal(rd(&m, c + 0x100, 4), 0x42414141);
	for (int i = 0; i < 3; i++)
		sim_emu_step(&e, &m, x, &st);
	int n = 0;
	while (x->u.x64.Rip == c + 0x1e && n < 20) {
		sim_emu_step(&e, &m, x, &st);
		n++;
	}
	assert_int_equal(n, 4); /* the 0x42 at +3 */
	assert_int_equal(x->u.x64.Rip, c + 0x20);
	assert_int_equal(x->u.x64.Rdi, c + 0x104);
	assert_int_equal(x->u.x64.Rcx, 0xc);
	assert_true(x->u.x64.EFlags & 0x40);
	sim_emu_close(&e);
	sim_machine_free(&m);
}

/* neg, shifts, setcc, cmovcc, xchg, movabs, not: x64 semantics */
static void test_x64_more_alu(void **state)
{
	(void)state;
	struct sim_machine m;
	struct sim_emu e;
	struct sim_step st;
	assert_int_equal(sim_machine_init(&m, KD_MACHINE_AMD64, 1), 0);
	assert_int_equal(sim_emu_open(&e, KD_MACHINE_AMD64), 0);
	uint64_t c = m.kern_base + 0x10000;
	static const uint8_t code[] = {
		0xb8, 0x05, 0x00, 0x00, 0x00,       /* mov eax, 5 */
		0x48, 0xf7, 0xd8,                   /* neg rax */
		0x48, 0xc1, 0xe0, 0x04,             /* shl rax, 4 */
		0x48, 0xc1, 0xf8, 0x02,             /* sar rax, 2 */
		0x48, 0xd1, 0xe8,                   /* shr rax, 1 */
		0x31, 0xc9,                         /* xor ecx, ecx */
		0x0f, 0x94, 0xc1,                   /* sete cl */
		0xba, 0x07, 0x00, 0x00, 0x00,       /* mov edx, 7 */
		0x48, 0x0f, 0x44, 0xc2,             /* cmove rax, rdx */
		0x48, 0x87, 0xca,                   /* xchg rdx, rcx */
		0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* movabs rax, 1122334455667788 */
		0xf7, 0xd0,                         /* not eax */
	};
	sim_write(&m, c, code, sizeof code);
	struct kd_context *x = &m.ctx[0];
	x->u.x64.Rip = c;
	sim_emu_step(&e, &m, x, &st);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, (uint64_t)-5);
	assert_true(x->u.x64.EFlags & 1);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, (uint64_t)-80);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, (uint64_t)-20);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, (uint64_t)-20 >> 1);
	sim_emu_step(&e, &m, x, &st);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rcx, 1);
	sim_emu_step(&e, &m, x, &st);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, 7);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rdx, 1);
	assert_int_equal(x->u.x64.Rcx, 7);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, 0x1122334455667788ull);
	sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x64.Rax, 0xaa998877ull);
	assert_int_equal(x->u.x64.Rip, c + sizeof code);
	sim_emu_close(&e);
	sim_machine_free(&m);
}

static void test_x86_frames_and_jcc(void **state)
{
	(void)state;
	struct sim_machine m;
	struct sim_emu e;
	struct sim_step st;
	assert_int_equal(sim_machine_init(&m, KD_MACHINE_I386, 1), 0);
	assert_int_equal(sim_emu_open(&e, KD_MACHINE_I386), 0);
	uint32_t c = (uint32_t)m.kern_base + 0x10000;
	static const uint8_t code[] = {
		0x55,                         /* +0  push ebp */
		0x8b, 0xec,                   /* +1  mov ebp, esp */
		0x6a, 0x05,                   /* +3  push 5 */
		0xe8, 0x06, 0x00, 0x00, 0x00, /* +5  call +0x10 */
		0x83, 0xc4, 0x04,             /* +a  add esp, 4 */
		0xc9,                         /* +d  leave */
		0xc3,                         /* +e  ret */
		0x90,
		0x8b, 0x44, 0x24, 0x04,       /* +10 mov eax, [esp+4] */
		0x83, 0xf8, 0x07,             /* +14 cmp eax, 7 */
		0x7d, 0x01,                   /* +17 jge +0x1a (not taken: 5 < 7) */
		0x40,                         /* +19 inc eax */
		0xc2, 0x00, 0x00,             /* +1a ret 0 */
	};
	sim_write(&m, c, code, sizeof code);
	struct kd_context *x = &m.ctx[0];
	x->u.x86.Eip = c;
	uint32_t sp = x->u.x86.Esp, bp = x->u.x86.Ebp;
	for (int i = 0; i < 3; i++)
		sim_emu_step(&e, &m, x, &st);
	assert_int_equal(x->u.x86.Esp, sp - 8);
	assert_int_equal(rd(&m, sp - 8, 4), 5);
	sim_emu_step(&e, &m, x, &st); /* call */
	assert_int_equal(x->u.x86.Eip, c + 0x10);
	assert_int_equal(rd(&m, x->u.x86.Esp, 4), c + 0xa);
	sim_emu_step(&e, &m, x, &st); /* mov eax, [esp+4] */
	assert_int_equal(x->u.x86.Eax, 5);
	assert_int_equal(st.access[0].write, 0);
	sim_emu_step(&e, &m, x, &st); /* cmp */
	sim_emu_step(&e, &m, x, &st); /* jge: not taken */
	assert_int_equal(x->u.x86.Eip, c + 0x19);
	sim_emu_step(&e, &m, x, &st); /* inc */
	assert_int_equal(x->u.x86.Eax, 6);
	sim_emu_step(&e, &m, x, &st); /* ret 0 */
	assert_int_equal(x->u.x86.Eip, c + 0xa);
	sim_emu_step(&e, &m, x, &st); /* add esp, 4 */
	sim_emu_step(&e, &m, x, &st); /* leave */
	assert_int_equal(x->u.x86.Ebp, bp);
	assert_int_equal(x->u.x86.Esp, sp);
	sim_emu_close(&e);
	sim_machine_free(&m);
}

/* ---- real code: lengths and branch targets as capstone decodes them ---- */

static int is_rel_branch(const cs_insn *i)
{
	const cs_x86 *d = &i->detail->x86;
	return d->op_count == 1 && d->operands[0].type == X86_OP_IMM &&
	       (i->id == X86_INS_CALL || i->id == X86_INS_JMP);
}

static void walk_image(const char *path, enum kd_machine mach)
{
	struct sim_machine m;
	struct sim_emu e;
	struct kd_pe *pe;
	char err[256];
	csh cs;
	assert_int_equal(sim_machine_init(&m, mach, 1), 0);
	assert_int_equal(sim_emu_open(&e, mach), 0);
	if (kd_pe_open_file(path, &pe, err, sizeof err) < 0)
		fail_msg("%s", err);
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	uint64_t base = info->image_base;
	assert_int_equal(sim_image_map(&m, path, base, NULL, err, sizeof err), 0);
	/* every section's raw bytes are where the loader puts them */
	const struct kd_pe_section *sec;
	size_t nsec;
	kd_pe_sections(pe, &sec, &nsec);
	for (size_t i = 0; i < nsec; i++) {
		uint8_t a[256], b[256];
		size_t n = sec[i].raw_size < sec[i].virtual_size ? sec[i].raw_size : sec[i].virtual_size;
		if (n > sizeof a)
			n = sizeof a;
		if (!n)
			continue;
		assert_int_equal(kd_pe_read_rva(pe, sec[i].rva, a, n), 0);
		assert_int_equal(sim_read(&m, base + sec[i].rva, b, (uint32_t)n), n);
		assert_memory_equal(a, b, n);
	}
	assert_int_equal(cs_open(CS_ARCH_X86, mach == KD_MACHINE_AMD64 ? CS_MODE_64 : CS_MODE_32, &cs), CS_ERR_OK);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	/* from the entry point, through whatever the code does */
	struct kd_context *x = &m.ctx[0];
	uint64_t stack = 0x7ff00000;
	assert_int_equal(sim_map(&m, stack - 0x10000, 0x10000), 0);
	if (mach == KD_MACHINE_AMD64) {
		x->u.x64.Rip = base + info->entry_rva;
		x->u.x64.Rsp = stack - 0x800;
	} else {
		x->u.x86.Eip = (uint32_t)(base + info->entry_rva);
		x->u.x86.Esp = (uint32_t)(stack - 0x800);
	}
	int steps = 0, calls = 0, rets = 0;
	for (; steps < 400; steps++) {
		uint64_t ip = kd_context_ip(x), sp = kd_context_sp(x);
		uint8_t code[16];
		uint32_t got = sim_read(&m, ip, code, sizeof code);
		cs_insn *in = NULL;
		if (!got || cs_disasm(cs, code, got, ip, 1, &in) != 1)
			break;
		uint64_t popped = 0;
		if (in->id == X86_INS_RET)
			popped = rd(&m, sp, mach == KD_MACHINE_AMD64 ? 8 : 4);
		struct sim_step st;
		sim_emu_step(&e, &m, x, &st);
		if (st.kind == SIM_STEP_FAULT || st.kind == SIM_STEP_INT3 || st.kind == SIM_STEP_HALT) {
			cs_free(in, 1);
			break;
		}
		assert_int_equal(st.len, in->size);
		if (is_rel_branch(in)) {
			assert_int_equal(kd_context_ip(x), (uint64_t)in->detail->x86.operands[0].imm);
			if (in->id == X86_INS_CALL) {
				calls++;
				assert_int_equal(rd(&m, kd_context_sp(x), mach == KD_MACHINE_AMD64 ? 8 : 4), ip + in->size);
			}
		} else if (in->id == X86_INS_RET) {
			rets++;
			assert_int_equal(kd_context_ip(x), popped);
		} else if (!cs_insn_group(cs, in, CS_GRP_JUMP) && !cs_insn_group(cs, in, CS_GRP_CALL)) {
			assert_int_equal(kd_context_ip(x), ip + in->size);
		}
		cs_free(in, 1);
	}
	print_message("%s: %d instructions, %d calls, %d rets\n", path, steps, calls, rets);
	assert_true(steps >= 5);
	cs_close(&cs);
	kd_pe_close(pe);
	sim_emu_close(&e);
	sim_machine_free(&m);
}

/* Mapped at another base: every relocation llvm-readobj-14 lists holds
 * the value at the preferred base plus the difference, and no other byte
 * of the image differs. */
static void check_relocations(const char *path, enum kd_machine mach)
{
	char cmd[2048], line[256], err[256];
	snprintf(cmd, sizeof cmd, "llvm-readobj-14 --coff-basereloc '%s' 2>/dev/null", path);
	FILE *f = popen(cmd, "r");
	if (!f)
		return;
	struct kd_pe *pe;
	if (kd_pe_open_file(path, &pe, err, sizeof err) < 0)
		fail_msg("%s", err);
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	uint64_t base = info->image_base, moved = base + 0x1230000, delta = moved - base;
	uint32_t size = info->image_size;
	struct sim_machine *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	assert_int_equal(sim_machine_init(a, mach, 1), 0);
	assert_int_equal(sim_machine_init(b, mach, 1), 0);
	assert_int_equal(sim_image_map(a, path, base, NULL, err, sizeof err), 0);
	assert_int_equal(sim_image_map(b, path, moved, NULL, err, sizeof err), 0);
	uint8_t *ia = malloc(size), *ib = malloc(size), *explained = calloc(1, size);
	assert_int_equal(sim_read(a, base, ia, size), size);
	assert_int_equal(sim_read(b, moved, ib, size), size);
	unsigned w = 0, n = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long addr;
		if (strstr(line, "Type: HIGHLOW"))
			w = 4;
		else if (strstr(line, "Type: DIR64"))
			w = 8;
		else if (strstr(line, "Type: ABSOLUTE"))
			w = 0;
		else if (sscanf(line, " Address: %lx", &addr) == 1 && w && addr + w <= size) {
			uint64_t va = 0, vb = 0;
			for (unsigned i = 0; i < w; i++) {
				va |= (uint64_t)ia[addr + i] << (8 * i);
				vb |= (uint64_t)ib[addr + i] << (8 * i);
				explained[addr + i] = 1;
			}
			assert_int_equal(vb, (va + delta) & (w == 4 ? 0xffffffffull : ~0ull));
			n++;
		}
	}
	pclose(f);
	/* the header's ImageBase is the other difference */
	uint32_t lfanew = (uint32_t)(ia[0x3c] | ia[0x3d] << 8 | ia[0x3e] << 16 | (uint32_t)ia[0x3f] << 24);
	for (unsigned i = 0; i < (info->is64 ? 8u : 4u); i++)
		explained[lfanew + (info->is64 ? 0x30 : 0x34) + i] = 1;
	for (uint32_t i = 0; i < size; i++)
		if (ia[i] != ib[i] && !explained[i])
			fail_msg("%s: byte %#x differs and no relocation covers it", path, i);
	print_message("%s: %u relocations\n", path, n);
	assert_true(n > 0);
	free(ia);
	free(ib);
	free(explained);
	sim_machine_free(a);
	sim_machine_free(b);
	free(a);
	free(b);
	kd_pe_close(pe);
}

static void test_real_images(void **state)
{
	(void)state;
	static const struct { const char *pattern; enum kd_machine mach; } sets[] = {
		{ "pe/x64/*.exe", KD_MACHINE_AMD64 }, { "pe/x64/*.dll", KD_MACHINE_AMD64 },
		{ "pe/x86/*.exe", KD_MACHINE_I386 }, { "pe/x86/*.dll", KD_MACHINE_I386 },
	};
	int n = 0;
	for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
		char pat[1024];
		glob_t g;
		snprintf(pat, sizeof pat, "%s/%s", data_dir, sets[s].pattern);
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++, n++) {
			walk_image(g.gl_pathv[i], sets[s].mach);
			if (access("/usr/bin/llvm-readobj-14", X_OK) == 0)
				check_relocations(g.gl_pathv[i], sets[s].mach);
		}
		globfree(&g);
	}
	if (!n)
		skip();
}

/* ---- the event script ---- */

static void test_script_parse(void **state)
{
	(void)state;
	struct sim_machine m;
	struct sim_script s;
	char err[512];
	assert_int_equal(sim_machine_init(&m, KD_MACHINE_AMD64, 2), 0);
	static const char good[] =
		"bytes 1000 90 # not an event\n"
		"event load Foo fffff80015b00000 2000 \\SystemRoot\\foo.sys\n"
		"event run 1 fffff80012610000 rcx=5 Rdx=6\n"
		"  event print hello # world  \n"
		"event exception 0 c0000005 fffff80012610000 second 1 ffffffffffffffff\n"
		"event write 1 fffff80012611000 4 deadbeef\n"
		"event unload Foo fffff80015b00000\n"
		"event bugcheck 7e c0000005 1 2 3\n";
	assert_int_equal(sim_script_load_text(&s, &m, good, sizeof good - 1, "t", err, sizeof err), 0);
	assert_int_equal(s.n, 7);
	const struct sim_event *e = sim_script_next(&s);
	assert_int_equal(e->kind, SIM_EVENT_LOAD);
	assert_string_equal(e->path, "\\SystemRoot\\foo.sys");
	assert_int_equal(e->size, 0x2000);
	e = sim_script_next(&s);
	assert_int_equal(e->kind, SIM_EVENT_RUN);
	assert_int_equal(e->cpu, 1);
	assert_int_equal(e->nregs, 2);
	assert_int_equal(e->regs[1].value, 6);
	e = sim_script_next(&s);
	assert_string_equal(e->text, "hello \n");
	e = sim_script_next(&s);
	assert_int_equal(e->code, 0xc0000005);
	assert_int_equal(e->first_chance, 0);
	assert_int_equal(e->nparams, 2);
	assert_int_equal(e->params[1], ~0ull);
	e = sim_script_next(&s);
	assert_int_equal(e->value, 0xdeadbeef);
	e = sim_script_next(&s);
	assert_int_equal(e->kind, SIM_EVENT_UNLOAD);
	e = sim_script_next(&s);
	assert_int_equal(e->kind, SIM_EVENT_BUGCHECK);
	assert_int_equal(e->params[3], 3);
	assert_null(sim_script_next(&s));
	sim_script_free(&s);
	static const char *const bad[] = {
		"event run 2 1000\n",             /* processor 2 of 2 */
		"event run 0 1000 xmm0=1\n",
		"event exception 0 c0000005 1000 first esi\n",
		"event write 0 1000 3 1\n",
		"event exception 0 c0000005 1000 third\n",
		"event load Foo 1234 2000 p\n",   /* not page aligned */
		"event bugcheck 7e 1 2 3\n",
		"event jump 0 1000\n",
		"event\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_true(sim_script_load_text(&s, &m, bad[i], strlen(bad[i]), "t", err, sizeof err) < 0);
		assert_non_null(strstr(err, "t:1: "));
		assert_null(strchr(err, '\n'));
	}
	sim_machine_free(&m);
}

/* ---- the stub, packet by packet ---- */

struct packet {
	uint16_t type;
	size_t len;
	uint8_t data[KD_PACKET_MAX_SIZE];
};

struct fake_link {
	struct kd_link link;
	struct packet q[16];
	size_t n;
};

static int fake_send(struct kd_link *l, uint16_t type, const void *data, size_t len)
{
	struct fake_link *f = (struct fake_link *)l;
	assert_true(f->n < 16);
	assert_true(len <= KD_PACKET_MAX_SIZE);
	f->q[f->n].type = type;
	f->q[f->n].len = len;
	memcpy(f->q[f->n].data, data, len);
	f->n++;
	return 0;
}

static const struct kd_link_ops fake_ops = { .send = fake_send };

struct rig {
	uv_loop_t loop;
	struct sim_machine m;
	struct sim_stub s;
	struct sim_script script;
	struct fake_link link;
	struct kd_link_callbacks cb;
};

/* The next packet the target sends, running its event loop for it. */
static struct packet next_packet(struct rig *r)
{
	for (int i = 0; i < 1000 && r->link.n == 0; i++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
	assert_true(r->link.n > 0);
	struct packet p = r->link.q[0];
	memmove(&r->link.q[0], &r->link.q[1], (r->link.n - 1) * sizeof r->link.q[0]);
	r->link.n--;
	return p;
}

static struct dbgkd_wait_state_change64 next_state_change(struct rig *r)
{
	struct packet p = next_packet(r);
	struct dbgkd_wait_state_change64 sc;
	assert_int_equal(p.type, KD_PACKET_TYPE_KD_STATE_CHANGE64);
	assert_true(p.len >= sizeof sc);
	memcpy(&sc, p.data, sizeof sc);
	return sc;
}

static struct packet manipulate(struct rig *r, struct dbgkd_manipulate_state64 *m, const void *extra, size_t len)
{
	uint8_t buf[KD_PACKET_MAX_SIZE];
	memcpy(buf, m, sizeof *m);
	if (len)
		memcpy(buf + sizeof *m, extra, len);
	r->cb.on_packet(r->cb.user, KD_PACKET_TYPE_KD_STATE_MANIPULATE, buf, sizeof *m + len);
	struct packet p = next_packet(r);
	assert_int_equal(p.type, KD_PACKET_TYPE_KD_STATE_MANIPULATE);
	memcpy(m, p.data, sizeof *m);
	return p;
}

static void go_status(struct rig *r, int trace, uint64_t dr7, uint32_t status)
{
	struct dbgkd_manipulate_state64 m;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdContinueApi2;
	m.u.Continue2.ContinueStatus = status;
	if (r->m.machine == KD_MACHINE_AMD64) {
		m.u.Continue2.u.Amd64ControlSet.TraceFlag = (uint32_t)trace;
		m.u.Continue2.u.Amd64ControlSet.Dr7 = dr7;
	} else {
		m.u.Continue2.u.X86ControlSet.TraceFlag = (uint32_t)trace;
		m.u.Continue2.u.X86ControlSet.Dr7 = (uint32_t)dr7;
	}
	r->cb.on_packet(r->cb.user, KD_PACKET_TYPE_KD_STATE_MANIPULATE, (uint8_t *)&m, sizeof m);
}

static void go(struct rig *r, int trace, uint64_t dr7)
{
	go_status(r, trace, dr7, KD_DBG_CONTINUE);
}

static uint64_t read_ptr(struct rig *r, uint64_t a)
{
	struct dbgkd_manipulate_state64 m;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdReadVirtualMemoryApi;
	m.u.ReadMemory.TargetBaseAddress = a;
	m.u.ReadMemory.TransferCount = 8;
	struct packet p = manipulate(r, &m, NULL, 0);
	assert_int_equal(m.ReturnStatus, KD_STATUS_SUCCESS);
	uint64_t v = 0;
	memcpy(&v, p.data + sizeof m, sim_pointer_size(&r->m));
	return v;
}

/* The scenario's `bytes ADDR HH...` lines (scenario.c's job in kdsim,
 * done here so the test links only the execution side). */
static void put_bytes(struct sim_machine *m, const char *text)
{
	for (const char *l = text; (l = strstr(l, "bytes ")) != NULL; l++) {
		char *end;
		uint64_t a = strtoull(l + 6, &end, 16);
		while (*end == ' ') {
			uint8_t b = (uint8_t)strtoul(end, &end, 16);
			assert_int_equal(sim_write(m, a++, &b, 1), 1);
		}
	}
}

static void rig_start(struct rig *r, enum kd_machine mach, const char *scenario)
{
	char path[] = "/tmp/kdsim-scenario-XXXXXX", err[512];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, scenario, strlen(scenario)), (ssize_t)strlen(scenario));
	close(fd);
	memset(r, 0, sizeof *r);
	uv_loop_init(&r->loop);
	assert_int_equal(sim_machine_init(&r->m, mach, 2), 0);
	put_bytes(&r->m, scenario);
	if (sim_script_load(&r->script, &r->m, path, err, sizeof err) < 0)
		fail_msg("%s", err);
	unlink(path);
	assert_int_equal(sim_machine_finish(&r->m), 0);
	sim_stub_init(&r->s, &r->loop, &r->m);
	r->s.script = &r->script;
	r->link.link.ops = &fake_ops;
	r->s.link = &r->link.link;
	sim_stub_callbacks(&r->s, &r->cb);
	/* boot with a break-in pending: the modules, then the break */
	sim_stub_session_start(&r->s);
	r->cb.on_breakin(r->cb.user);
	for (size_t i = 0; i < r->m.nmodules; i++) {
		struct dbgkd_wait_state_change64 sc = next_state_change(r);
		assert_int_equal(sc.NewState, DbgKdLoadSymbolsStateChange);
		go(r, 0, 0);
	}
	assert_int_equal(next_packet(r).type, KD_PACKET_TYPE_KD_DEBUG_IO);
	struct dbgkd_wait_state_change64 sc = next_state_change(r);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_BREAKPOINT);
}

static void rig_stop(struct rig *r)
{
	uv_close((uv_handle_t *)&r->s.timer, NULL);
	uv_close((uv_handle_t *)&r->s.run_timer, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_loop_close(&r->loop);
	sim_stub_free(&r->s);
	sim_script_free(&r->script);
	sim_machine_free(&r->m);
}

/* Is a module at base in the KLDR_DATA_TABLE_ENTRY list behind
 * PsLoadedModuleList (DllBase at 0x30 on x64)? */
static int in_module_list(struct sim_machine *m, uint64_t base)
{
	uint64_t head = m->ps_loaded_module_list, e = rd(m, head, 8);
	for (int n = 0; e != head && n < 16; n++, e = rd(m, e, 8))
		if (rd(m, e + 0x30, 8) == base)
			return 1;
	return 0;
}

static void test_stub_run_x64(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof *r);
	/* C: push rbp; mov rbp, rsp; call C+10; pop rbp; ret
	 * C+10: mov dword ptr [rip+0xfea], 0x12345678 (C+1004); ret */
	static const char scenario[] =
		"bytes fffff80012610000 55 48 89 e5 e8 07 00 00 00 5d c3\n"
		"bytes fffff80012610010 c7 05 ea 0f 00 00 78 56 34 12 c3\n"
		"event print hello\n"
		"event run 0 fffff80012610000\n"
		"event load Foo fffff80015b00000 2000 \\SystemRoot\\system32\\drivers\\Foo.sys\n"
		"event unload Foo.sys fffff80015b00000\n"
		"event bugcheck 7e c0000005 1 2 3\n";
	rig_start(r, KD_MACHINE_AMD64, scenario);
	const uint64_t c = 0xfffff80012610000ull;
	struct dbgkd_manipulate_state64 m;

	/* a breakpoint at C+10: 0xcc in memory, handle 1 */
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdWriteBreakPointApi;
	m.u.WriteBreakPoint.BreakPointAddress = c + 0x10;
	manipulate(r, &m, NULL, 0);
	assert_int_equal(m.ReturnStatus, KD_STATUS_SUCCESS);
	assert_int_equal(m.u.WriteBreakPoint.BreakPointHandle, 1);
	assert_int_equal(rd(&r->m, c + 0x10, 1), 0xcc);
	manipulate(r, &m, NULL, 0); /* the same address again: refused */
	assert_int_equal(m.ReturnStatus, KD_STATUS_UNSUCCESSFUL);
	assert_int_equal(m.u.WriteBreakPoint.BreakPointHandle, 0);
	/* a write watchpoint on C+1004 in processor 0's special registers */
	struct kd_x64_special_registers sr;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdReadControlSpaceApi;
	m.u.ReadMemory.TargetBaseAddress = 2;
	m.u.ReadMemory.TransferCount = sizeof sr;
	struct packet p = manipulate(r, &m, NULL, 0);
	assert_int_equal(m.u.ReadMemory.ActualBytesRead, sizeof sr);
	memcpy(&sr, p.data + sizeof m, sizeof sr);
	assert_int_equal(sr.Cr3, r->m.cr3);
	sr.KernelDr0 = c + 0x1004;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdWriteControlSpaceApi;
	m.u.WriteMemory.TargetBaseAddress = 2;
	m.u.WriteMemory.TransferCount = sizeof sr;
	manipulate(r, &m, &sr, sizeof sr);
	assert_int_equal(m.ReturnStatus, KD_STATUS_SUCCESS);
	uint64_t dr7 = 1 | (1u << 16) | (3u << 18); /* L0, write, 4 bytes */

	/* go: the print, then the code runs into the breakpoint */
	go(r, 0, dr7);
	p = next_packet(r);
	assert_int_equal(p.type, KD_PACKET_TYPE_KD_DEBUG_IO);
	assert_memory_equal(p.data + sizeof(struct dbgkd_debug_io), "hello\n", 6);
	struct dbgkd_wait_state_change64 sc = next_state_change(r);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_BREAKPOINT);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionAddress, c + 0x10);
	assert_int_equal(sc.ProgramCounter, c + 0x10);
	assert_int_equal(sc.Processor, 0);
	assert_int_equal(sc.ControlReport.Amd64.InstructionStream[0], 0xc7); /* not the 0xcc */
	assert_int_equal(sc.ControlReport.Amd64.InstructionCount, 16);
	assert_int_equal(rd(&r->m, r->m.ctx[0].u.x64.Rsp, 8), c + 9);

	/* restore it; step: the write trips the watchpoint after the access */
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdRestoreBreakPointApi;
	m.u.RestoreBreakPoint.BreakPointHandle = 1;
	manipulate(r, &m, NULL, 0);
	assert_int_equal(m.ReturnStatus, KD_STATUS_SUCCESS);
	assert_int_equal(rd(&r->m, c + 0x10, 1), 0xc7);
	manipulate(r, &m, NULL, 0); /* twice: the handle is gone */
	assert_int_equal(m.ReturnStatus, KD_STATUS_UNSUCCESSFUL);
	go(r, 1, dr7);
	sc = next_state_change(r);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_SINGLE_STEP);
	assert_int_equal(sc.ProgramCounter, c + 0x1a);
	assert_int_equal(sc.ControlReport.Amd64.Dr6 & 0xf, 1);
	assert_int_equal(rd(&r->m, c + 0x1004, 4), 0x12345678);

	/* go: the code returns out of itself; the load comes */
	go(r, 0, 0);
	p = next_packet(r);
	assert_int_equal(p.type, KD_PACKET_TYPE_KD_STATE_CHANGE64);
	memcpy(&sc, p.data, sizeof sc);
	assert_int_equal(sc.NewState, DbgKdLoadSymbolsStateChange);
	assert_int_equal(sc.u.LoadSymbols.BaseOfDll, 0xfffff80015b00000ull);
	assert_int_equal(sc.u.LoadSymbols.SizeOfImage, 0x2000);
	assert_int_equal(sc.u.LoadSymbols.UnloadSymbols, 0);
	assert_string_equal((const char *)p.data + sizeof sc, "\\SystemRoot\\system32\\drivers\\Foo.sys");
	assert_int_equal(sc.u.LoadSymbols.PathNameLength, strlen("\\SystemRoot\\system32\\drivers\\Foo.sys") + 1);
	assert_int_equal(r->m.ctx[0].u.x64.Rip, r->m.break_pc); /* back to idle */
	assert_true(in_module_list(&r->m, 0xfffff80015b00000ull));
	assert_true(in_module_list(&r->m, r->m.modules[0].base));
	go(r, 0, 0);
	p = next_packet(r);
	memcpy(&sc, p.data, sizeof sc);
	assert_int_equal(sc.NewState, DbgKdLoadSymbolsStateChange);
	assert_int_equal(sc.u.LoadSymbols.UnloadSymbols, 1);
	assert_string_equal((const char *)p.data + sizeof sc, "Foo.sys");
	assert_false(in_module_list(&r->m, 0xfffff80015b00000ull));
	assert_true(in_module_list(&r->m, r->m.modules[0].base));

	/* the bugcheck: a breakpoint at BreakpointWithStatus, rcx = 3, and
	 * KiBugcheckData found through the version's DebuggerDataList */
	go(r, 0, 0);
	sc = next_state_change(r);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_BREAKPOINT);
	assert_int_equal(r->m.ctx[0].u.x64.Rcx, 3);
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdGetVersionApi;
	manipulate(r, &m, NULL, 0);
	uint64_t kdbg = read_ptr(r, m.u.GetVersion64.DebuggerDataList);
	assert_int_equal(rd(&r->m, kdbg + 0x10, 4), 0x4742444b); /* "KDBG" */
	assert_int_equal(read_ptr(r, kdbg + 0x18), m.u.GetVersion64.KernBase);
	assert_int_equal(read_ptr(r, kdbg + 0x20), sc.ProgramCounter);
	assert_int_equal(read_ptr(r, kdbg + 0x48), m.u.GetVersion64.PsLoadedModuleList);
	uint64_t bcd = read_ptr(r, kdbg + 0x88);
	assert_int_equal(read_ptr(r, bcd), 0x7e);
	assert_int_equal(read_ptr(r, bcd + 8), 0xc0000005);
	assert_int_equal(read_ptr(r, bcd + 32), 3);

	/* going on: the second break of KeBugCheckEx, then the machine hangs */
	go(r, 0, 0);
	sc = next_state_change(r);
	assert_int_equal(sc.ProgramCounter, r->m.break_pc);
	assert_int_equal(r->m.ctx[0].u.x64.Rcx, 4);
	go(r, 0, 0);
	for (int i = 0; i < 50; i++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
	assert_int_equal(r->link.n, 0);
	rig_stop(r);
	free(r);
}

static void test_stub_step_x86(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof *r);
	/* C: push 5; call C+10; add esp, 4; hlt ... C+10: mov eax, [esp+4]; ret */
	static const char scenario[] =
		"bytes 82810000 6a 05 e8 09 00 00 00 83 c4 04 f4\n"
		"bytes 82810010 8b 44 24 04 c3\n"
		"event prompt Your name? \n"
		"event run 1 82810000 ebx=77\n"
		"event exception 0 c0000005 82810010 first 0 1234 esi=42\n"
		"event write 1 82811000 4 1\n";
	rig_start(r, KD_MACHINE_I386, scenario);
	struct dbgkd_manipulate_state64 m;
	/* an execute breakpoint on processor 1 at the callee, Dr0 in its
	 * KSPECIAL_REGISTERS (control space 0x2cc + 0x10) */
	uint32_t dr0 = 0x82810010;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdWriteControlSpaceApi;
	m.Processor = 1;
	m.u.WriteMemory.TargetBaseAddress = 0x2cc + 0x10;
	m.u.WriteMemory.TransferCount = 4;
	manipulate(r, &m, &dr0, 4);
	assert_int_equal(m.ReturnStatus, KD_STATUS_SUCCESS);
	go(r, 0, 1); /* L0, execute */
	/* DbgPrompt first: the target waits for the answer */
	struct packet p = next_packet(r);
	struct dbgkd_debug_io io;
	assert_int_equal(p.type, KD_PACKET_TYPE_KD_DEBUG_IO);
	memcpy(&io, p.data, sizeof io);
	assert_int_equal(io.ApiNumber, DbgKdGetStringApi);
	assert_int_equal(io.u.GetString.LengthOfPromptString, strlen("Your name? "));
	assert_memory_equal(p.data + sizeof io, "Your name? ", strlen("Your name? "));
	for (int i = 0; i < 20; i++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
	assert_int_equal(r->link.n, 0);
	io.u.GetString.LengthOfStringRead = 4;
	uint8_t answer[sizeof io + 4];
	memcpy(answer, &io, sizeof io);
	memcpy(answer + sizeof io, "kd!", 4);
	r->cb.on_packet(r->cb.user, KD_PACKET_TYPE_KD_DEBUG_IO, answer, sizeof answer);
	struct dbgkd_wait_state_change64 sc = next_state_change(r);
	assert_int_equal(sc.Processor, 1);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_SINGLE_STEP);
	assert_int_equal(sc.ProgramCounter, 0x82810010);
	assert_int_equal(sc.ControlReport.X86.Dr6 & 0xf, 1);
	assert_int_equal(r->m.ctx[1].u.x86.Ebx, 0x77);
	/* step (the resume flag lets it run): mov, then ret back */
	go(r, 1, 1);
	sc = next_state_change(r);
	assert_int_equal(sc.ProgramCounter, 0x82810014);
	assert_int_equal(r->m.ctx[1].u.x86.Eax, 5);
	go(r, 1, 1);
	sc = next_state_change(r);
	assert_int_equal(sc.ProgramCounter, 0x82810007);
	/* go: hlt ends the code; the exception comes from processor 0 */
	go(r, 0, 0);
	sc = next_state_change(r);
	assert_int_equal(sc.Processor, 0);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, 0xc0000005);
	assert_int_equal(sc.u.Exception.FirstChance, 1);
	assert_int_equal(sc.u.Exception.ExceptionRecord.NumberParameters, 2);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionInformation[1], 0x1234);
	assert_int_equal(sc.ProgramCounter, 0x82810010);
	assert_int_equal(r->m.ctx[0].u.x86.Esi, 0x42);
	/* a write watchpoint on processor 1 sees the scripted write */
	uint32_t watch = 0x82811000;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdWriteControlSpaceApi;
	m.Processor = 1;
	m.u.WriteMemory.TargetBaseAddress = 0x2cc + 0x14; /* Dr1 */
	m.u.WriteMemory.TransferCount = 4;
	manipulate(r, &m, &watch, 4);
	go(r, 0, (1u << 2) | (1u << 20) | (3u << 22)); /* L1, write, 4 bytes */
	sc = next_state_change(r);
	assert_int_equal(sc.Processor, 1);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_SINGLE_STEP);
	assert_int_equal(sc.ControlReport.X86.Dr6 & 0xf, 2);
	assert_int_equal(r->m.ctx[0].u.x86.Eip, r->m.break_pc); /* processor 0 idles again */
	rig_stop(r);
	free(r);
}

/* A first-chance exception continued "not handled" comes back as the
 * second chance, then KMODE_EXCEPTION_NOT_HANDLED (1e) bugchecks. */
static void test_stub_exception_chances(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof *r);
	static const char scenario[] =
		"event exception 1 c0000005 fffff80012610010 first 1 fffff80012611004\n"
		"event print not reached\n";
	rig_start(r, KD_MACHINE_AMD64, scenario);
	go(r, 0, 0);
	struct dbgkd_wait_state_change64 sc = next_state_change(r);
	assert_int_equal(sc.Processor, 1);
	assert_int_equal(sc.u.Exception.FirstChance, 1);
	go_status(r, 0, 0, 0x80010001u);
	sc = next_state_change(r);
	assert_int_equal(sc.Processor, 1);
	assert_int_equal(sc.u.Exception.FirstChance, 0);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, 0xc0000005);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionInformation[1], 0xfffff80012611004ull);
	go_status(r, 0, 0, 0x80010001u);
	sc = next_state_change(r);
	assert_int_equal(sc.u.Exception.ExceptionRecord.ExceptionCode, KD_STATUS_BREAKPOINT);
	assert_int_equal(sc.ProgramCounter, r->m.break_pc);
	assert_int_equal(r->m.ctx[1].u.x64.Rcx, 3);
	uint64_t kdbg = read_ptr(r, r->s.kdbg_list);
	uint64_t bcd = read_ptr(r, kdbg + 0x88);
	assert_int_equal(read_ptr(r, bcd), 0x1e);
	assert_int_equal(read_ptr(r, bcd + 8), 0xc0000005);
	assert_int_equal(read_ptr(r, bcd + 16), 0xfffff80012610010ull);
	assert_int_equal(read_ptr(r, bcd + 32), 0xfffff80012611004ull);
	rig_stop(r);
	free(r);
}

/* A load with a PE file: mapped and relocated before the report, whose
 * SizeOfImage and CheckSum are the file's (the PE reader's view). */
static void test_stub_load_file(void **state)
{
	(void)state;
	char path[1024], scenario[1400], err[256];
	snprintf(path, sizeof path, "%s/pe/x64/xframe_eh_dll.dll", data_dir);
	if (access(path, R_OK) != 0)
		skip();
	struct kd_pe *pe;
	if (kd_pe_open_file(path, &pe, err, sizeof err) < 0)
		fail_msg("%s", err);
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	snprintf(scenario, sizeof scenario, "event load xf fffff80015c00000 0 \\SystemRoot\\xf.dll %s\n", path);
	struct rig *r = calloc(1, sizeof *r);
	rig_start(r, KD_MACHINE_AMD64, scenario);
	go(r, 0, 0);
	struct packet p = next_packet(r);
	struct dbgkd_wait_state_change64 sc;
	memcpy(&sc, p.data, sizeof sc);
	assert_int_equal(sc.NewState, DbgKdLoadSymbolsStateChange);
	assert_int_equal(sc.u.LoadSymbols.SizeOfImage, info->image_size);
	assert_int_equal(sc.u.LoadSymbols.CheckSum, info->checksum);
	assert_string_equal((const char *)p.data + sizeof sc, "\\SystemRoot\\xf.dll");
	uint8_t a[64], b[64];
	assert_int_equal(kd_pe_read_rva(pe, info->entry_rva, a, sizeof a), 0);
	assert_int_equal(sim_read(&r->m, 0xfffff80015c00000ull + info->entry_rva, b, sizeof b), sizeof b);
	assert_memory_equal(a, b, sizeof a);
	kd_pe_close(pe);
	rig_stop(r);
	free(r);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x64_call_ret_stack),
		cmocka_unit_test(test_x64_rep_strings),
		cmocka_unit_test(test_x64_more_alu),
		cmocka_unit_test(test_x86_frames_and_jcc),
		cmocka_unit_test(test_script_parse),
		cmocka_unit_test(test_stub_run_x64),
		cmocka_unit_test(test_stub_step_x86),
		cmocka_unit_test(test_stub_exception_chances),
		cmocka_unit_test(test_stub_load_file),
		cmocka_unit_test(test_real_images),
	};
	if (!data_dir) {
		printf("test_kdsim_emulate: KD_DATA not set, skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
