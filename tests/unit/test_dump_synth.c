/*
 * The dump target on synthetic dumps (tests/unit/test_dump_synth.h): full,
 * bitmap and triage, x64 and x86 -- memory through the page walk, absent
 * pages, registers, modules -- and on corrupted copies: truncated files,
 * wrong signatures, runs, bitmaps and blocks past the end, absurd counts.
 * Each bad file must give one clear error and no read outside the buffer
 * (the sanitizer build checks that).
 *
 * `test_dump_synth --write-seeds DIR` writes the synthetic dumps as the
 * fuzz seed corpus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kd/targets/dump_target.h"
#include "base/error.h"
#include "tests/unit/test_dump_synth.h"

static struct synth S;

static struct kd_target *open_ok(const uint8_t *b, size_t n)
{
	char err[256] = "";
	struct kd_target *t = NULL;
	int rc = kd_dump_target_open_buffer(b, n, &t, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	return t;
}

/* Opening must fail with KD_EFORMAT and an error naming `what`. */
static void open_bad(const uint8_t *b, size_t n, const char *what)
{
	char err[256] = "";
	struct kd_target *t = NULL;
	int rc = kd_dump_target_open_buffer(b, n, &t, err, sizeof err);
	if (rc == 0 || !strstr(err, what))
		fprintf(stderr, "expected error with '%s', got rc %d: '%s'\n", what, rc, err);
	assert_int_equal(rc, KD_EFORMAT);
	assert_null(t);
	assert_non_null(strstr(err, what));
	assert_null(strchr(err, '\n'));
}

static void check_machine(struct kd_target *t, const struct synth *s)
{
	uint8_t b[0x1000];
	uint32_t done;
	/* Virtual memory through the page tables. */
	assert_int_equal(t->ops->read_virtual(t, s->data_va + 0x800, b, 0x800, &done), 0);
	assert_int_equal(done, 0x800);
	unsigned data_pfn = s->machine == KD_MACHINE_AMD64 ? 5 : 3;
	assert_memory_equal(b, s->phys + data_pfn * 0x1000 + 0x800, 0x800);
	/* The next virtual page is not mapped: a read across is partial. */
	assert_int_equal(t->ops->read_virtual(t, s->data_va + 0xff0, b, 0x20, &done), 0);
	assert_int_equal(done, 0x10);
	assert_int_equal(t->ops->read_virtual(t, s->data_va + 0x1000, b, 4, &done), KD_EUNREADABLE);
	struct kd_context c;
	assert_int_equal(t->ops->get_context(t, 0, &c), 0);
	assert_memory_equal(c.u.raw, s->ctx.u.raw, kd_context_size(s->machine));
	struct kd_module *m;
	size_t n;
	assert_int_equal(t->ops->modules(t, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].name, "nt");
	assert_string_equal(m[0].path, "\\SystemRoot\\system32\\ntoskrnl.exe");
	assert_int_equal(m[0].size, 0x200000);
	free(m);
}

static void check_physical(struct kd_target *t, const struct synth *s)
{
	uint8_t b[0x2000];
	uint32_t done;
	assert_int_equal(t->ops->read_physical(t, 0x6000, b, 0x2000, &done), 0);
	assert_int_equal(done, 0x2000);
	assert_memory_equal(b, s->phys + 0x6000, 0x2000);
	/* Page 0 and everything past the last page are absent. */
	assert_int_equal(t->ops->read_physical(t, 0, b, 16, &done), KD_EUNREADABLE);
	assert_int_equal(t->ops->read_physical(t, 0x7ff8, b, 16, &done), 0);
	assert_int_equal(done, 8);
}

static void test_full_x64(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_full_dump(&S, &n);
	struct kd_target *t = open_ok(b, n);
	check_machine(t, &S);
	check_physical(t, &S);
	struct kd_bugcheck bc;
	t->ops->bugcheck(t, &bc);
	assert_int_equal(bc.code, 0xd1);
	struct kd_version v;
	t->ops->version(t, &v);
	assert_true(v.kern_base == 0xfffff80000400000ull);
	struct kd_stop_event ev;
	assert_int_equal(t->ops->exception(t, &ev), 0);
	assert_int_equal(ev.code, 0xc0000005);
	assert_int_equal(ev.nparams, 2);
	assert_true(ev.params[1] == 0x10);
	t->ops->close(t);
	free(b);
}

static void test_full_x86(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_I386);
	size_t n;
	uint8_t *b = synth_full_dump(&S, &n);
	struct kd_target *t = open_ok(b, n);
	check_machine(t, &S);
	check_physical(t, &S);
	struct kd_bugcheck bc;
	t->ops->bugcheck(t, &bc);
	assert_int_equal(bc.code, 0x8e);
	assert_true(bc.args[1] == 0x8082e3e0);
	/* Addresses above 4 GB do not exist on x86. */
	uint8_t x[4];
	uint32_t done;
	assert_int_equal(t->ops->read_virtual(t, 0x100000000ull + S.data_va, x, 4, &done), KD_EUNREADABLE);
	t->ops->close(t);
	free(b);
}

static void test_bitmap_x64(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_bitmap_dump(&S, &n);
	struct kd_target *t = open_ok(b, n);
	check_machine(t, &S);
	check_physical(t, &S);
	t->ops->close(t);
	free(b);
}

static void test_triage_x64(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_triage_dump(&S, &n);
	struct kd_target *t = open_ok(b, n);
	uint8_t x[0x10];
	uint32_t done;
	assert_int_equal(t->ops->read_virtual(t, S.data_va + 0x800, x, 0x10, &done), 0);
	assert_memory_equal(x, S.phys + 0x5800, 0x10);
	assert_int_equal(t->ops->read_virtual(t, 0xffff800000123000ull + 0x7f8, x, 0x10, &done), 0);
	assert_int_equal(done, 8);
	assert_int_equal(t->ops->read_physical(t, 0x5000, x, 4, &done), KD_EUNREADABLE);
	/* Processor 0's saved context is at the triage stack: it bugchecked and
	 * gets the header's context; processor 1's comes from its KPRCB. */
	struct kd_context c;
	assert_int_equal(t->ops->get_context(t, 0, &c), 0);
	assert_memory_equal(c.u.raw, S.ctx.u.raw, sizeof c.u.x64);
	assert_int_equal(t->ops->get_context(t, 1, &c), 0);
	assert_true(c.u.x64.Rip == 0xfffff80000400020ull);
	assert_int_equal(t->ops->get_context(t, 2, &c), KD_EINVAL);
	uint64_t v = 0;
	assert_int_equal(t->ops->read_control(t, 1, 1, &v, 8, &done), 0);
	assert_true(v == SYN_PRCB1);
	assert_int_equal(t->ops->read_control(t, 1, 0, &v, 8, &done), 0);
	assert_true(v == SYN_PRCB1 - 0x180);
	assert_int_equal(t->ops->read_control(t, 1, 3, &v, 8, &done), 0);
	assert_true(v == SYN_THREAD1);
	uint8_t sr[0x18];
	assert_int_equal(t->ops->read_control(t, 1, 2, sr, sizeof sr, &done), 0);
	assert_int_equal(done, sizeof sr);
	memcpy(&v, sr + 0x10, 8);
	assert_true(v == 0x1ad000);
	struct kd_version ver;
	t->ops->version(t, &ver);
	assert_int_equal(ver.processors, 2);
	assert_true(ver.kern_base == SYN_DATA_VA64);
	struct kd_module *m;
	size_t count;
	assert_int_equal(t->ops->modules(t, &m, &count), 0);
	assert_int_equal(count, 1);
	assert_string_equal(m[0].name, "nt");
	free(m);
	t->ops->close(t);
	free(b);
}

static void test_bad_signature_and_size(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_full_dump(&S, &n);
	assert_true(kd_dump_is_dump(b, n));
	assert_false(kd_dump_is_dump(b, 7));
	assert_false(kd_dump_is_dump("MZ\x90\0\3\0\0\0", 8));
	open_bad(b, 0, "only 0 bytes");
	open_bad(b, 100, "truncated");
	open_bad(b, DH64_SIZE - 1, "truncated");
	memcpy(b, "MDMP", 4);
	open_bad(b, n, "minidump");
	memcpy(b, "PAGEDUMX", 8);
	open_bad(b, n, "signature");
	memcpy(b, "PAGEDU64", 8);
	syn_put(b + DH64_MACHINE, KD_MACHINE_I386, 4);
	open_bad(b, n, "machine");
	syn_put(b + DH64_MACHINE, KD_MACHINE_AMD64, 4);
	syn_put(b + DH64_NPROC, 0, 4);
	open_bad(b, n, "processors");
	syn_put(b + DH64_NPROC, 0xffffffff, 4);
	open_bad(b, n, "processors");
	syn_put(b + DH64_NPROC, 1, 4);
	syn_put(b + DH64_DUMP_TYPE, 99, 4);
	open_bad(b, n, "dump type");
	free(b);
}

static void test_bad_runs(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_full_dump(&S, &n);
	/* Truncated page data. */
	open_bad(b, n - 1, "past the end");
	/* Absurd run count and page counts. */
	syn_put(b + DH64_PHYS_BLOCK, 0xffffffff, 4);
	open_bad(b, n, "runs");
	syn_put(b + DH64_PHYS_BLOCK, 1, 4);
	syn_put(b + DH64_PHYS_BLOCK + 24, 0xffffffffffffffffull, 8);
	open_bad(b, n, "past the end");
	syn_put(b + DH64_PHYS_BLOCK + 24, SYN_PAGES - 1, 8);
	syn_put(b + DH64_PHYS_BLOCK + 16, 0xfffffffffffff000ull, 8);
	open_bad(b, n, "past the end");
	free(b);

	synth_init(&S, KD_MACHINE_I386);
	b = synth_full_dump(&S, &n);
	open_bad(b, n - 0x1000, "past the end");
	syn_put(b + DH32_PHYS_BLOCK, 1000, 4);
	open_bad(b, n, "runs");
	free(b);
}

static void test_bad_bitmap(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_bitmap_dump(&S, &n);
	open_bad(b, n - 1, "past the end");
	open_bad(b, DH64_SIZE + 8, "bitmap header");
	uint8_t *sh = b + DH64_SIZE;
	syn_put(sh + BMP64_BITS, 0xffffffffffffffffull, 8);
	open_bad(b, n, "bitmap");
	syn_put(sh + BMP64_BITS, SYN_PAGES, 8);
	syn_put(sh + BMP64_FIRST_PAGE, 0xffffffffffull, 8);
	open_bad(b, n, "past the end");
	syn_put(sh + BMP64_FIRST_PAGE, DH64_SIZE + 0x1000, 8);
	memcpy(sh, "XXXX", 4);
	open_bad(b, n, "bitmap header signature");
	free(b);
}

static void test_bad_triage(void **state)
{
	(void)state;
	synth_init(&S, KD_MACHINE_AMD64);
	size_t n;
	uint8_t *b = synth_triage_dump(&S, &n);
	uint8_t *t = b + DH64_SIZE;
	open_bad(b, DH64_SIZE + 0x10, "triage header");
	syn_put(b + 0x240c, 0x10000, 4);
	open_bad(b, n, "data block 0");
	syn_put(b + 0x240c, 0x1000, 4);
	syn_put(t + TD64_DATA_BLOCKS_COUNT, 0x7fffffff, 4);
	open_bad(b, n, "data blocks");
	syn_put(t + TD64_DATA_BLOCKS_COUNT, 1, 4);
	syn_put(t + TD_CALLSTACK_SIZE, 0xfffff000, 4);
	open_bad(b, n, "call stack");
	syn_put(t + TD_CALLSTACK_SIZE, 0x800, 4);
	syn_put(t + TD_DRIVER_COUNT, 0x10000, 4);
	open_bad(b, n, "driver list");
	syn_put(t + TD_DRIVER_COUNT, 1, 4);
	/* A driver name offset past the end is tolerated: empty name. */
	syn_put(b + 0x2100, 0xfffffff0, 4);
	struct kd_target *tg = open_ok(b, n);
	struct kd_module *m;
	size_t count;
	assert_int_equal(tg->ops->modules(tg, &m, &count), 0);
	assert_int_equal(count, 1);
	free(m);
	tg->ops->close(tg);
	free(b);
}

/* Every prefix of each synthetic dump either opens or fails cleanly. */
static void test_every_truncation(void **state)
{
	(void)state;
	for (int kind = 0; kind < 4; kind++) {
		synth_init(&S, kind == 3 ? KD_MACHINE_I386 : KD_MACHINE_AMD64);
		size_t n;
		uint8_t *b = kind == 1 ? synth_bitmap_dump(&S, &n) : kind == 2 ? synth_triage_dump(&S, &n)
		           : synth_full_dump(&S, &n);
		for (size_t len = 0; len <= n; len += len < 0x2100 ? 0x81 : 0x1ff) {
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, b, len);
			char err[256];
			struct kd_target *t;
			if (kd_dump_target_open_buffer(copy, len, &t, err, sizeof err) == 0) {
				uint8_t x[64];
				uint32_t done;
				struct kd_context c;
				t->ops->read_virtual(t, S.data_va, x, sizeof x, &done);
				t->ops->get_context(t, 0, &c);
				t->ops->close(t);
			} else {
				assert_true(strlen(err) > 0);
			}
			free(copy);
		}
		free(b);
	}
}

static int write_seeds(const char *dir)
{
	for (int kind = 0; kind < 4; kind++) {
		static const char *const names[] = { "full_x64", "bitmap_x64", "triage_x64", "full_x86" };
		synth_init(&S, kind == 3 ? KD_MACHINE_I386 : KD_MACHINE_AMD64);
		size_t n;
		uint8_t *b = kind == 1 ? synth_bitmap_dump(&S, &n) : kind == 2 ? synth_triage_dump(&S, &n)
		           : synth_full_dump(&S, &n);
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.dmp", dir, names[kind]);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(b, 1, n, f) != n) {
			perror(path);
			return 1;
		}
		fclose(f);
		free(b);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return write_seeds(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_x64),
		cmocka_unit_test(test_full_x86),
		cmocka_unit_test(test_bitmap_x64),
		cmocka_unit_test(test_triage_x64),
		cmocka_unit_test(test_bad_signature_and_size),
		cmocka_unit_test(test_bad_runs),
		cmocka_unit_test(test_bad_bitmap),
		cmocka_unit_test(test_bad_triage),
		cmocka_unit_test(test_every_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
