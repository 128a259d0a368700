/*
 * The x86 stack walker (kd/engine/stack_x86.c):
 *  - the FrameData program evaluator on hand-written programs (every
 *    operator, CodeView register numbers, errors) and on every program of
 *    the real MSVC PDBs in ../shared/data/pe/x86, each run over a stack
 *    laid out from its record's numbers by this test (the expected
 *    registers come from the layout, not from the evaluator);
 *  - kd_x86_unwind_frame on synthetic memory over a real image and PDB:
 *    an FPO function (FrameData .raSearch program with saved registers)
 *    called from an EBP-framed one, and the EBP chain of an image without
 *    a PDB (flagged as having no unwind information);
 *  - kd_stack_walk's ends: a looping chain, the frame count, a zero
 *    return address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/targets/image_target.h"
#include "kd/engine/stack.h"
#include "symbols/pdb.h"
#include "kd/engine/symbols.h"

static const char *data_dir;

/* --- the evaluator ---------------------------------------------------------- */

#define MEM_BASE 0x10000u
#define MEM_WORDS 1024

struct mem {
	uint32_t w[MEM_WORDS];
	uint32_t ra; /* what .raSearch answers; 0: the start it is given */
	uint32_t ra_start;
};

static int mem_read(void *ctx, uint32_t addr, uint32_t *v)
{
	struct mem *m = ctx;
	if (addr < MEM_BASE || (addr & 3) || (addr - MEM_BASE) / 4 >= MEM_WORDS)
		return KD_EUNREADABLE;
	*v = m->w[(addr - MEM_BASE) / 4];
	return 0;
}

static void mem_put(struct mem *m, uint32_t addr, uint32_t v)
{
	assert_true(addr >= MEM_BASE && (addr - MEM_BASE) / 4 < MEM_WORDS);
	m->w[(addr - MEM_BASE) / 4] = v;
}

static int mem_ra(void *ctx, uint32_t start, uint32_t *found)
{
	struct mem *m = ctx;
	m->ra_start = start;
	*found = m->ra ? m->ra : start;
	return 0;
}

static void env_init(struct kd_x86_fd_env *e, struct mem *m)
{
	memset(e, 0, sizeof *e);
	for (int i = 0; i < KD_X86_FD_NREGS; i++)
		e->reg[i] = 0x1000u * (uint32_t)(i + 1);
	e->read = mem_read;
	e->ra_search = mem_ra;
	e->ctx = m;
}

static int eval(struct kd_x86_fd_env *e, const char *prog)
{
	return kd_x86_fd_eval(prog, strlen(prog), e);
}

static void test_eval_operators(void **state)
{
	(void)state;
	static struct mem m;
	struct kd_x86_fd_env e;
	memset(&m, 0, sizeof m);
	env_init(&e, &m);
	e.reg[KD_X86_FD_EBP] = MEM_BASE + 0x100;
	mem_put(&m, MEM_BASE + 0x100, 0x11111111);
	mem_put(&m, MEM_BASE + 0x104, 0x00401234);
	/* The standard EBP frame. */
	assert_int_equal(eval(&e, "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + ="), 0);
	assert_int_equal(e.reg[KD_X86_FD_EIP], 0x00401234);
	assert_int_equal(e.reg[KD_X86_FD_EBP], 0x11111111);
	assert_int_equal(e.reg[KD_X86_FD_ESP], MEM_BASE + 0x108);
	assert_int_equal(e.reg_set, (1u << KD_X86_FD_EIP) | (1u << KD_X86_FD_EBP) | (1u << KD_X86_FD_ESP));
	assert_int_equal(e.t[0], MEM_BASE + 0x100);
	/* Arithmetic, hex numbers, negatives, alignment, the .cb* values and
	 * CodeView register numbers ($20 is EBX, $33 EIP). */
	env_init(&e, &m);
	e.cb_locals = 0x10;
	e.cb_saved_regs = 8;
	e.cb_params = 12;
	assert_int_equal(eval(&e, "$T1 7 3 * 2 - = $T2 100 7 % = $T3 0x1237 16 @ = $T4 -4 8 + = "
	                          "$T5 .cbLocals .cbSavedRegs + .cbParams - = $T6 90 9 / = $20 $T1 = $33 $T2 ="), 0);
	assert_int_equal(e.t[1], 19);
	assert_int_equal(e.t[2], 2);
	assert_int_equal(e.t[3], 0x1230);
	assert_int_equal(e.t[4], 4);
	assert_int_equal(e.t[5], 12);
	assert_int_equal(e.t[6], 10);
	assert_int_equal(e.reg[KD_X86_FD_EBX], 19);
	assert_int_equal(e.reg[KD_X86_FD_EIP], 2);
	/* .raSearch starts at ESP + callee arguments + locals + saved registers
	 * and is asked once. */
	env_init(&e, &m);
	e.reg[KD_X86_FD_ESP] = MEM_BASE + 0x200;
	e.cb_locals = 8;
	e.cb_saved_regs = 4;
	e.cb_callee_params = 12;
	m.ra = MEM_BASE + 0x220;
	mem_put(&m, MEM_BASE + 0x220, 0x00405678);
	mem_put(&m, MEM_BASE + 0x21c, 0x22222222);
	assert_int_equal(eval(&e, "$T0 .raSearch = $eip $T0 ^ = $esp $T0 4 + = $23 $T0 4 - ^ ="), 0);
	assert_int_equal(m.ra_start, MEM_BASE + 0x200 + 12 + 8 + 4);
	assert_int_equal(e.reg[KD_X86_FD_EIP], 0x00405678);
	assert_int_equal(e.reg[KD_X86_FD_ESP], MEM_BASE + 0x224);
	assert_int_equal(e.reg[KD_X86_FD_ESI], 0x22222222);
	/* A register assigned early is not what later reads of it see. */
	env_init(&e, &m);
	assert_int_equal(eval(&e, "$esp 5 = $T0 $esp ="), 0);
	assert_int_equal(e.t[0], 0x5000);
	assert_int_equal(e.reg[KD_X86_FD_ESP], 5);
}

static void test_eval_errors(void **state)
{
	(void)state;
	static struct mem m;
	struct kd_x86_fd_env e;
	memset(&m, 0, sizeof m);
	static const char *const bad[] = {
		"+", "$T0 =", "1 2 =", "$T0 1", "$T0 $T1 =", "$xyz 1 =", "$T0 1 0 / =", "$T0 1 0 % =",
		"$T0 5 3 @ =", "$T0 0 ^ =", "$T0 12zz =", "$T0 0x =", "$T0 .bogus =", "$99 1 =",
		"$T0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 =",
		"$T0 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa =",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		env_init(&e, &m);
		if (eval(&e, bad[i]) >= 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	/* A program cut short by its length, not by a NUL. */
	env_init(&e, &m);
	assert_true(kd_x86_fd_eval("$T0 1 = $T1 2 =", 7, &e) == 0);
	assert_int_equal(e.t[0], 1);
	assert_int_equal(e.t_set, 1);
}

/* Every FrameData program of a real PDB over a stack laid out from its
 * record: the caller's EIP/ESP/EBP and each saved register must come back. */
static void check_pdb_programs(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pe/x86/%s", data_dir, name);
	struct kd_pdb *pdb;
	char err[256];
	if (kd_pdb_open(path, &pdb, err, sizeof err) < 0)
		fail_msg("%s: %s", path, err);
	const struct kd_pdb_frame_data *fd;
	size_t n, checked = 0;
	kd_pdb_frame_data(pdb, &fd, &n);
	assert_true(n > 10);
	static struct mem m;
	for (size_t i = 0; i < n; i++) {
		const char *prog = kd_pdb_string(pdb, fd[i].frame_func);
		assert_non_null(prog);
		memset(&m, 0, sizeof m);
		struct kd_x86_fd_env e;
		env_init(&e, &m);
		uint32_t esp = MEM_BASE + 0x100, t0, slot;
		uint32_t ebp = esp + fd[i].locals_size + fd[i].saved_regs_size + 0x100;
		e.reg[KD_X86_FD_ESP] = esp;
		e.reg[KD_X86_FD_EBP] = ebp;
		e.cb_locals = fd[i].locals_size;
		e.cb_saved_regs = fd[i].saved_regs_size;
		e.cb_params = fd[i].params_size;
		int ebp_frame = strncmp(prog, "$T0 $ebp =", 10) == 0;
		int funclet = strstr(prog, ".raSearchStart") != NULL;
		if (ebp_frame && !funclet) {
			t0 = ebp;
			slot = ebp + 4;
			mem_put(&m, ebp, 0xeb000000u | (uint32_t)i);
		} else {
			t0 = slot = esp + fd[i].locals_size + fd[i].saved_regs_size;
		}
		mem_put(&m, slot, 0x00400000u | (uint32_t)i);
		/* Saved registers: "$NN $T0 OFF - ^ =", parsed here. */
		unsigned regs[8];
		int nsaved = 0;
		for (const char *p = prog; (p = strchr(p, '$')) != NULL; p++) {
			unsigned r, o;
			int used = 0;
			if (sscanf(p, "$%u $T0 %u - ^ =%n", &r, &o, &used) == 2 && used > 0 && nsaved < 8) {
				regs[nsaved++] = r;
				mem_put(&m, t0 - o, 0x5a000000u | r << 8 | (uint32_t)i);
			}
		}
		if (eval(&e, prog) < 0)
			fail_msg("%s: program '%s' failed", name, prog);
		assert_int_equal(e.reg[KD_X86_FD_EIP], 0x00400000u | (uint32_t)i);
		assert_int_equal(e.reg[KD_X86_FD_ESP], slot + 4);
		if (ebp_frame && !funclet)
			assert_int_equal(e.reg[KD_X86_FD_EBP], 0xeb000000u | (uint32_t)i);
		else
			assert_int_equal(e.reg[KD_X86_FD_EBP], ebp);
		for (int k = 0; k < nsaved; k++) {
			assert_true(regs[k] >= 17 && regs[k] <= 24);
			assert_int_equal(e.reg[regs[k] - 17], 0x5a000000u | regs[k] << 8 | (uint32_t)i);
		}
		checked++;
	}
	assert_int_equal(checked, n);
	kd_pdb_close(pdb);
}

static void test_real_programs(void **state)
{
	(void)state;
	check_pdb_programs("xframe_eh_exe.pdb");
	check_pdb_programs("xframe_eh_dll.pdb");
	check_pdb_programs("nested_collided.pdb");
}

/* --- unwinding over a real image -------------------------------------------- */

#define STACK 0x0012f000u

struct fake {
	struct kd_target t;
	struct kd_target *img;
	uint8_t stack[0x1000];
	struct kd_context ctx;
};

static int fake_read(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	struct fake *f = t->impl;
	if (addr >= STACK && addr + len <= STACK + sizeof f->stack) {
		memcpy(buf, f->stack + (addr - STACK), len);
		*done = len;
		return 0;
	}
	return f->img->ops->read_virtual(f->img, addr, buf, len, done);
}

static int fake_version(struct kd_target *t, struct kd_version *v)
{
	struct fake *f = t->impl;
	return f->img->ops->version(f->img, v);
}

static int fake_modules(struct kd_target *t, struct kd_module **list, size_t *count)
{
	struct fake *f = t->impl;
	return f->img->ops->modules(f->img, list, count);
}

static int fake_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	struct fake *f = t->impl;
	(void)cpu;
	*out = f->ctx;
	return 0;
}

static void fake_close(struct kd_target *t)
{
	struct fake *f = t->impl;
	f->img->ops->close(f->img);
}

static const struct kd_target_ops fake_ops = {
	.kind = "dump", .close = fake_close, .version = fake_version, .read_virtual = fake_read,
	.get_context = fake_context, .modules = fake_modules,
};

static void put(struct fake *f, uint32_t addr, uint32_t v)
{
	assert_true(addr >= STACK && addr + 4 <= STACK + sizeof f->stack);
	memcpy(f->stack + (addr - STACK), &v, 4);
}

static void outfn(void *user, enum kd_output_kind kind, const char *text)
{
	(void)user;
	(void)kind;
	(void)text;
}

struct session {
	uv_loop_t loop;
	struct kd_engine *eng;
	struct fake *f;
	uint32_t base;
};

/* The image is opened from `image_dir` when given (a copy without its
 * PDB beside it), else from the data folder. */
static void open_session(struct session *s, const char *sympath, const char *image_dir)
{
	char image[4096], err[256];
	memset(s, 0, sizeof *s);
	snprintf(image, sizeof image, "%s/xframe_eh_exe.exe", image_dir);
	s->f = calloc(1, sizeof *s->f);
	assert_non_null(s->f);
	if (kd_image_target_open(image, &s->f->img, err, sizeof err) < 0)
		fail_msg("%s", err);
	s->f->t.ops = &fake_ops;
	s->f->t.impl = s->f;
	uv_loop_init(&s->loop);
	s->eng = kd_engine_new(&s->loop, outfn, NULL);
	assert_int_equal(kd_engine_open_target(s->eng, &s->f->t), 0);
	assert_int_equal(kd_symbols_attach(s->eng, sympath), 0);
	assert_int_equal(kd_engine_module_count(s->eng), 1);
	s->base = (uint32_t)kd_engine_module(s->eng, 0)->base;
}

static void close_session(struct session *s)
{
	kd_engine_free(s->eng);
	uv_loop_close(&s->loop);
	free(s->f);
}

/* The return address after the first call instruction at or after rva. */
static uint32_t call_return(struct session *s, uint32_t rva, uint32_t size)
{
	uint8_t code[512];
	size_t done = 0;
	assert_true(size <= sizeof code);
	assert_int_equal(kd_read_virtual(s->eng, s->base + rva, code, size, &done), 0);
	csh cs;
	cs_insn *insn;
	assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_32, &cs), CS_ERR_OK);
	size_t n = cs_disasm(cs, code, done, s->base + rva, 0, &insn);
	uint32_t ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		if (insn[i].id == X86_INS_CALL)
			ret = (uint32_t)(insn[i].address + insn[i].size);
	cs_free(insn, n);
	cs_close(&cs);
	assert_true(ret != 0);
	return ret;
}

static void start(struct kd_stack_frame *f, uint32_t eip, uint32_t esp, uint32_t ebp)
{
	memset(f, 0, sizeof *f);
	f->ctx.machine = KD_MACHINE_I386;
	f->ctx.u.x86.Eip = eip;
	f->ctx.u.x86.Esp = esp;
	f->ctx.u.x86.Ebp = ebp;
	f->ctx.u.x86.Esi = 0x1111;
	f->ctx.u.x86.Edi = 0x2222;
	f->ctx.u.x86.Ebx = 0x3333;
	f->ip = eip;
	f->sp = esp;
	f->fp = ebp;
}

/* xframe_eh_exe.pdb (llvm-pdbutil dump --fpo): the record at rva 0x1002
 * (inside the function at 0x1000) saves ESI at .raSearch-4 and EDI at -8,
 * no locals; the function at 0x1150 has an EBP frame saving EBX, ESI and
 * EDI at EBP-32, -36 and -40, with a 51-byte prologue. */
static void test_unwind_framedata(void **state)
{
	(void)state;
	char sympath[4096];
	snprintf(sympath, sizeof sympath, "%s/pe/x86", data_dir);
	struct session s;
	open_session(&s, sympath, sympath);
	struct fake *f = s.f;
	uint32_t ret1 = call_return(&s, 0x1150 + 51, 216 - 51);
	uint32_t esp = STACK + 0x100, slot = esp + 8, ebp1 = STACK + 0x200;
	put(f, slot - 4, 0xaaaa0001);  /* ESI of the caller */
	put(f, slot - 8, 0xaaaa0002);  /* EDI */
	put(f, slot, ret1);
	put(f, slot + 4, 0x77);        /* the first argument */
	put(f, ebp1, 0);               /* the EBP chain ends */
	put(f, ebp1 + 4, 0);
	put(f, ebp1 - 32, 0xbbbb0003); /* EBX of the caller's caller */
	put(f, ebp1 - 36, 0xbbbb0001);
	put(f, ebp1 - 40, 0xbbbb0002);
	struct kd_stack_frame cur, caller, last;
	start(&cur, s.base + 0x1010, esp, ebp1);
	assert_int_equal(kd_x86_unwind_frame(s.eng, &cur, &caller), 0);
	assert_true(cur.flags & KD_FRAME_FRAMEDATA);
	assert_int_equal(cur.ret, ret1);
	assert_int_equal(cur.fp, slot - 4);
	assert_int_equal(cur.args[0], 0x77);
	assert_int_equal(caller.ip, ret1);
	assert_int_equal(caller.sp, slot + 4);
	assert_int_equal(caller.ctx.u.x86.Esi, 0xaaaa0001);
	assert_int_equal(caller.ctx.u.x86.Edi, 0xaaaa0002);
	assert_int_equal(caller.ctx.u.x86.Ebx, 0x3333);
	assert_int_equal(caller.ctx.u.x86.Ebp, ebp1);
	/* The caller has an EBP frame: its caller returns to 0, the end. */
	assert_int_equal(kd_x86_unwind_frame(s.eng, &caller, &last), 0);
	assert_true(caller.flags & KD_FRAME_FRAMEDATA);
	assert_int_equal(caller.fp, ebp1);
	assert_int_equal(caller.ret, 0);
	assert_int_equal(last.ip, 0);
	assert_int_equal(last.sp, ebp1 + 8);
	assert_int_equal(last.ctx.u.x86.Ebx, 0xbbbb0003);
	assert_int_equal(last.ctx.u.x86.Esi, 0xbbbb0001);
	assert_int_equal(last.ctx.u.x86.Edi, 0xbbbb0002);
	close_session(&s);
}

/* Without a PDB the EBP chain is followed and the frame is flagged. */
static void test_unwind_no_pdb(void **state)
{
	(void)state;
	struct session s;
	char dir[] = "/tmp/test_stack_x86.XXXXXX", cmd[8192];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp '%s/pe/x86/xframe_eh_exe.exe' '%s/'", data_dir, dir);
	assert_int_equal(system(cmd), 0);
	open_session(&s, dir, dir);
	struct fake *f = s.f;
	uint32_t ebp = STACK + 0x300, ebp2 = STACK + 0x340;
	put(f, ebp, ebp2);
	put(f, ebp + 4, s.base + 0x1234);
	put(f, ebp + 8, 1);
	put(f, ebp + 12, 2);
	put(f, ebp + 16, 3);
	struct kd_stack_frame cur, caller;
	start(&cur, s.base + 0x1010, STACK + 0x2f0, ebp);
	assert_int_equal(kd_x86_unwind_frame(s.eng, &cur, &caller), 0);
	assert_true(cur.flags & KD_FRAME_NO_INFO);
	assert_string_equal(cur.missing, kd_engine_module(s.eng, 0)->name);
	assert_int_equal(cur.fp, ebp);
	assert_int_equal(cur.ret, s.base + 0x1234);
	assert_int_equal(cur.args[0], 1);
	assert_int_equal(cur.args[1], 2);
	assert_int_equal(cur.args[2], 3);
	assert_int_equal(caller.fp, ebp2);
	assert_int_equal(caller.sp, ebp + 8);
	/* An unreadable EBP ends the walk. */
	start(&cur, s.base + 0x1010, STACK, 0x10);
	assert_int_equal(kd_x86_unwind_frame(s.eng, &cur, &caller), KD_ENOTFOUND);
	close_session(&s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The generic walk: an EBP chain that loops ends where the stack pointer
 * stops growing, the frame count is honoured, a zero return address ends
 * the walk, and the starting context is the target's own. */
static void test_walk_stops(void **state)
{
	(void)state;
	struct session s;
	char dir[] = "/tmp/test_stack_x86.XXXXXX", cmd[8192];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp '%s/pe/x86/xframe_eh_exe.exe' '%s/'", data_dir, dir);
	assert_int_equal(system(cmd), 0);
	open_session(&s, dir, dir);
	struct fake *f = s.f;
	uint32_t a = STACK + 0x100, b = STACK + 0x140, c = STACK + 0x180;
	put(f, a, b);
	put(f, a + 4, s.base + 0x1100);
	put(f, b, c);
	put(f, b + 4, s.base + 0x1200);
	put(f, c, a); /* back down: a loop */
	put(f, c + 4, s.base + 0x1300);
	memset(&f->ctx, 0, sizeof f->ctx);
	f->ctx.machine = KD_MACHINE_I386;
	f->ctx.u.x86.Eip = s.base + 0x1010;
	f->ctx.u.x86.Esp = STACK + 0xf0;
	f->ctx.u.x86.Ebp = a;
	struct kd_stack_frame fr[16];
	size_t n;
	assert_int_equal(kd_stack_walk(s.eng, NULL, fr, 16, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(fr[0].ip, s.base + 0x1010);
	assert_int_equal(fr[0].fp, a);
	assert_int_equal(fr[1].ip, s.base + 0x1100);
	assert_int_equal(fr[2].ip, s.base + 0x1200);
	assert_int_equal(fr[3].ip, s.base + 0x1300);
	assert_int_equal(fr[2].fp, c);
	assert_int_equal(fr[3].fp, a);  /* its EBP came back down to a */
	assert_int_equal(fr[3].ret, s.base + 0x1100); /* printed, not followed */
	assert_int_equal(kd_stack_walk(s.eng, NULL, fr, 2, &n), 0);
	assert_int_equal(n, 2);
	/* A zero return address ends the walk. */
	put(f, b + 4, 0);
	kd_memory_cache_flush(s.eng);
	assert_int_equal(kd_stack_walk(s.eng, NULL, fr, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fr[1].ret, 0);
	close_session(&s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	if (!data_dir) {
		printf("test_stack_x86: KD_DATA is not set; skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_operators),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_real_programs),
		cmocka_unit_test(test_unwind_framedata),
		cmocka_unit_test(test_unwind_no_pdb),
		cmocka_unit_test(test_walk_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
