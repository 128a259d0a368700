/*
 * .dump round trips: a small synthetic live-like target (its own struct
 * kd_target over the machine of tests/unit/test_dump_synth.h) is written
 * with /f and /k through the engine, and the file reopened with
 * kd_dump_target_open must give byte-identical physical and virtual
 * memory, identical registers, bugcheck and modules -- for x64 and x86.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "arch/vtop.h"
#include "kd/commands/command.h"
#include "kd/targets/dump_target.h"
#include "kd/targets/dump_write.h"
#include "kd/engine/engine.h"
#include "base/error.h"
#include "tests/unit/test_dump_synth.h"

struct synth_target {
	struct kd_target t;
	struct synth s;
};

static struct synth *syn(struct kd_target *t)
{
	return &((struct synth_target *)t->impl)->s;
}

static void st_close(struct kd_target *t)
{
	free(t->impl);
}

static int st_version(struct kd_target *t, struct kd_version *v)
{
	struct synth *s = syn(t);
	memset(v, 0, sizeof *v);
	v->machine = s->machine;
	v->major = 0xf;
	v->build = s->machine == KD_MACHINE_AMD64 ? 19041 : 2600;
	v->processors = 1;
	v->ps_loaded_module_list = s->data_va;
	v->kern_base = s->data_va;
	return 0;
}

static int st_read_physical(struct kd_target *t, uint64_t pa, void *buf, uint32_t len, uint32_t *done)
{
	struct synth *s = syn(t);
	uint32_t n = 0;
	while (n < len) {
		uint64_t a = pa + n;
		if (a / 0x1000 >= SYN_PAGES || !s->present[a / 0x1000])
			break;
		uint32_t chunk = 0x1000 - (uint32_t)(a & 0xfff);
		if (chunk > len - n)
			chunk = len - n;
		memcpy((uint8_t *)buf + n, s->phys + a, chunk);
		n += chunk;
	}
	*done = n;
	return n ? 0 : KD_EUNREADABLE;
}

static int phys_cb(void *ctx, uint64_t pa, void *buf, uint32_t len)
{
	uint32_t done = 0;
	int rc = st_read_physical(ctx, pa, buf, len, &done);
	return rc < 0 ? rc : done == len ? 0 : KD_EUNREADABLE;
}

static int st_read_virtual(struct kd_target *t, uint64_t va, void *buf, uint32_t len, uint32_t *done)
{
	struct synth *s = syn(t);
	enum kd_paging mode = s->machine == KD_MACHINE_AMD64 ? KD_PAGING_X64 : KD_PAGING_X86;
	uint32_t n = 0;
	while (n < len) {
		struct kd_vtop_walk w;
		if (kd_vtop(mode, SYN_DTB, va + n, phys_cb, t, &w) < 0)
			break;
		uint32_t chunk = 0x1000 - (uint32_t)((va + n) & 0xfff), got = 0;
		if (chunk > len - n)
			chunk = len - n;
		st_read_physical(t, w.pa, (uint8_t *)buf + n, chunk, &got);
		n += got;
		if (got < chunk)
			break;
	}
	*done = n;
	return n ? 0 : KD_EUNREADABLE;
}

static int st_get_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	if (cpu != 0)
		return KD_EINVAL;
	*out = syn(t)->ctx;
	return 0;
}

/* Control space: KSPECIAL_REGISTERS (x64 address 2; x86 after the CONTEXT). */
static int st_read_control(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	uint8_t sr[0x20];
	(void)cpu;
	memset(sr, 0, sizeof sr);
	if (syn(t)->machine == KD_MACHINE_AMD64 && addr == 2)
		syn_put(sr + 0x10, SYN_DTB, 8);
	else if (syn(t)->machine == KD_MACHINE_I386 && addr == 0x2cc)
		syn_put(sr + 8, SYN_DTB, 4);
	else
		return KD_EUNREADABLE;
	*done = len < sizeof sr ? len : sizeof sr;
	memcpy(buf, sr, *done);
	return 0;
}

static int st_bugcheck(struct kd_target *t, struct kd_bugcheck *bc)
{
	(void)t;
	memset(bc, 0, sizeof *bc);
	bc->code = 0xe2;
	bc->args[0] = 0x12345678;
	return 0;
}

static const struct kd_target_ops synth_ops = {
	.kind = "live",
	.close = st_close,
	.version = st_version,
	.read_virtual = st_read_virtual,
	.read_physical = st_read_physical,
	.get_context = st_get_context,
	.read_control = st_read_control,
	.bugcheck = st_bugcheck,
};

static char output[65536];

static void out_cb(void *user, enum kd_output_kind kind, const char *text)
{
	(void)user;
	(void)kind;
	size_t n = strlen(output);
	snprintf(output + n, sizeof output - n, "%s", text);
}

struct fixture {
	uv_loop_t loop;
	struct kd_engine *eng;
	struct synth s;
	char path[256];
};

static struct fixture *make(enum kd_machine m)
{
	struct fixture *f = calloc(1, sizeof *f);
	uv_loop_init(&f->loop);
	f->eng = kd_engine_new(&f->loop, out_cb, NULL);
	struct synth_target *st = calloc(1, sizeof *st);
	synth_init(&st->s, m);
	f->s = st->s;
	st->t.ops = &synth_ops;
	st->t.impl = st;
	assert_int_equal(kd_engine_open_target(f->eng, &st->t), 0);
	snprintf(f->path, sizeof f->path, "/tmp/kd-test-dump-%d-%x.dmp", (int)getpid(), (unsigned)m);
	unlink(f->path);
	output[0] = '\0';
	return f;
}

static void destroy(struct fixture *f)
{
	kd_engine_free(f->eng);
	uv_loop_close(&f->loop);
	unlink(f->path);
	free(f);
}

/* The reopened dump holds the synthetic machine. */
static void check_reopened(const char *path, const struct synth *s)
{
	char err[256];
	struct kd_target *t;
	int rc = kd_dump_target_open(path, &t, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
	uint8_t page[0x1000];
	uint32_t done;
	for (unsigned p = 0; p < SYN_PAGES; p++) {
		rc = t->ops->read_physical(t, (uint64_t)p * 0x1000, page, sizeof page, &done);
		if (!s->present[p]) {
			assert_int_equal(rc, KD_EUNREADABLE);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(done, sizeof page);
		assert_memory_equal(page, s->phys + p * 0x1000, sizeof page);
	}
	assert_int_equal(t->ops->read_physical(t, SYN_PAGES * 0x1000ull, page, 16, &done), KD_EUNREADABLE);
	unsigned data_pfn = s->machine == KD_MACHINE_AMD64 ? 5 : 3;
	assert_int_equal(t->ops->read_virtual(t, s->data_va, page, sizeof page, &done), 0);
	assert_int_equal(done, sizeof page);
	assert_memory_equal(page, s->phys + data_pfn * 0x1000, sizeof page);
	struct kd_context c;
	assert_int_equal(t->ops->get_context(t, 0, &c), 0);
	assert_int_equal(c.machine, s->machine);
	assert_memory_equal(c.u.raw, s->ctx.u.raw, kd_context_size(s->machine));
	struct kd_bugcheck bc;
	t->ops->bugcheck(t, &bc);
	assert_int_equal(bc.code, 0xe2);
	assert_true(bc.args[0] == 0x12345678);
	struct kd_version v;
	t->ops->version(t, &v);
	assert_int_equal(v.machine, s->machine);
	assert_int_equal(v.build, s->machine == KD_MACHINE_AMD64 ? 19041 : 2600);
	assert_true(v.ps_loaded_module_list == s->data_va);
	struct kd_module *m;
	size_t n;
	assert_int_equal(t->ops->modules(t, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].name, "nt");
	assert_string_equal(m[0].path, "\\SystemRoot\\system32\\ntoskrnl.exe");
	free(m);
	t->ops->close(t);
}

/* What a kernel dump (/k, x64) keeps of the synthetic machine: the pages
 * the kernel half maps (page tables 1-4 and the data page 5), not 6-7. */
static struct synth kernel_view(const struct synth *s)
{
	struct synth k = *s;
	k.present[6] = k.present[7] = 0;
	return k;
}

static void roundtrip(enum kd_machine m, enum kd_dump_write_kind kind)
{
	struct fixture *f = make(m);
	int kernel_only = kind == KD_DUMP_WRITE_KERNEL && m == KD_MACHINE_AMD64;
	char err[256];
	struct kd_dump_write_stats st;
	int rc = kd_dump_write(f->eng, f->path, kind, 0, &st, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(st.pages, kernel_only ? 5 : SYN_PAGES - 1);
	assert_int_equal(st.unreadable_pages, 0);
	assert_int_equal(st.all_pages, 0);
	if (kernel_only) {
		struct synth k = kernel_view(&f->s);
		check_reopened(f->path, &k);
	} else {
		check_reopened(f->path, &f->s);
	}
	/* The file exists now: refused without /o. */
	rc = kd_dump_write(f->eng, f->path, kind, 0, &st, err, sizeof err);
	assert_int_equal(rc, KD_EIO);
	assert_non_null(strstr(err, "/o"));
	destroy(f);
}

static void test_full_x64(void **state)
{
	(void)state;
	roundtrip(KD_MACHINE_AMD64, KD_DUMP_WRITE_FULL);
}

static void test_kernel_x64(void **state)
{
	(void)state;
	roundtrip(KD_MACHINE_AMD64, KD_DUMP_WRITE_KERNEL);
}

static void test_full_x86(void **state)
{
	(void)state;
	roundtrip(KD_MACHINE_I386, KD_DUMP_WRITE_FULL);
}

static void test_kernel_x86(void **state)
{
	(void)state;
	roundtrip(KD_MACHINE_I386, KD_DUMP_WRITE_KERNEL);
}

/* Through the command, then a dump of the reopened dump (/k of /f). */
static void test_command_and_dump_of_dump(void **state)
{
	(void)state;
	struct fixture *f = make(KD_MACHINE_AMD64);
	char cmd[512];
	snprintf(cmd, sizeof cmd, ".dump /f %s", f->path);
	assert_int_equal(kd_execute(f->eng, cmd), 0);
	assert_non_null(strstr(output, "Dump successfully written (7 pages)"));
	assert_int_not_equal(kd_execute(f->eng, cmd), 0);
	snprintf(cmd, sizeof cmd, ".dump /f /o %s", f->path);
	assert_int_equal(kd_execute(f->eng, cmd), 0);

	char err[256], path2[300];
	struct kd_target *t;
	assert_int_equal(kd_dump_target_open(f->path, &t, err, sizeof err), 0);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct kd_engine *e2 = kd_engine_new(&loop, out_cb, NULL);
	assert_int_equal(kd_engine_open_target(e2, t), 0);
	snprintf(path2, sizeof path2, "%s.k", f->path);
	unlink(path2);
	output[0] = '\0';
	snprintf(cmd, sizeof cmd, ".dump /k %s", path2);
	assert_int_equal(kd_execute(e2, cmd), 0);
	assert_non_null(strstr(output, "Dump successfully written (5 pages)"));
	struct synth k = kernel_view(&f->s);
	check_reopened(path2, &k);
	/* .bugcheck and .dumpdebug on the dump. */
	output[0] = '\0';
	assert_int_equal(kd_execute(e2, ".bugcheck"), 0);
	assert_string_equal(output, "Bugcheck code 000000E2\nArguments 00000000`12345678 00000000`00000000 00000000`00000000 00000000`00000000\n");
	output[0] = '\0';
	assert_int_equal(kd_execute(e2, "!vtop 0 fffff80000400123"), 0);
	assert_non_null(strstr(output, "Amd64VtoP: PTE 0000000000004000\n"));
	assert_non_null(strstr(output, "Virtual address fffff80000400123 translates to physical address 5123.\n"));
	output[0] = '\0';
	assert_int_equal(kd_execute(e2, "!pte fffff80000400123"), 0);
	assert_non_null(strstr(output, "PXE at FFFFF6FB7DBEDF80    PPE at FFFFF6FB7DBF0000    "
	                               "PDE at FFFFF6FB7E000010    PTE at FFFFF6FC00002000\n"));
	assert_non_null(strstr(output, "contains 0000000000005063\n"));
	assert_non_null(strstr(output, "pfn 5         ---DA--KWEV\n"));
	kd_engine_free(e2);
	uv_loop_close(&loop);
	unlink(path2);
	destroy(f);
}

/* x86: .bugcheck in the layout of the WinDbg transcript (seed 001), and
 * !analyze -v's trap-frame suggestion, on a synthetic PAGEDUMP. */
static void test_x86_bugcheck_commands(void **state)
{
	(void)state;
	struct synth s;
	synth_init(&s, KD_MACHINE_I386);
	size_t n;
	uint8_t *b = synth_full_dump(&s, &n);
	char err[256];
	struct kd_target *t;
	assert_int_equal(kd_dump_target_open_buffer(b, n, &t, err, sizeof err), 0);
	free(b);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct kd_engine *e = kd_engine_new(&loop, out_cb, NULL);
	assert_int_equal(kd_engine_open_target(e, t), 0);
	output[0] = '\0';
	assert_int_equal(kd_execute(e, ".bugcheck"), 0);
	assert_string_equal(output, "Bugcheck code 0000008E\nArguments 80000003 8082e3e0 f78aec38 00000000\n");
	output[0] = '\0';
	assert_int_equal(kd_execute(e, "!analyze -v"), 0);
	assert_non_null(strstr(output, "KERNEL_MODE_EXCEPTION_NOT_HANDLED (8e)\n"));
	assert_non_null(strstr(output, "Arg1: 80000003, The exception code that was not handled\n"));
	assert_non_null(strstr(output, "Arg3: f78aec38, Trap Frame\n"));
	assert_non_null(strstr(output, "STACK_COMMAND:  .trap 0xfffffffff78aec38 ; kb\n"));
	output[0] = '\0';
	assert_int_equal(kd_execute(e, "!pte 80400123"), 0);
	assert_non_null(strstr(output, "PDE at C0300804            PTE at C0201000\n"));
	assert_non_null(strstr(output, "pfn 2         ---DA--KWEV  pfn 3         ---DA--KWEV\n"));
	output[0] = '\0';
	assert_int_equal(kd_execute(e, "!vtop 0 80400123"), 0);
	assert_non_null(strstr(output, "X86VtoP: PDE 00001804 - 00002063\n"));
	assert_non_null(strstr(output, "Virtual address 80400123 translates to physical address 3123.\n"));
	kd_engine_free(e);
	uv_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_x64),
		cmocka_unit_test(test_kernel_x64),
		cmocka_unit_test(test_full_x86),
		cmocka_unit_test(test_kernel_x86),
		cmocka_unit_test(test_command_and_dump_of_dump),
		cmocka_unit_test(test_x86_bugcheck_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
