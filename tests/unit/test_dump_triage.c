/*
 * The dump target on the real Windows 10 x64 triage dump in $KD_DATA:
 * the bugcheck, version, exception record and context the bugcheck names,
 * modules, per-processor contexts and absent memory. Expected values are
 * WinDbg's for this file (issue 7).
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

static char path[4096];

static int setup(void **state)
{
	char err[256];
	struct kd_target *t;
	int rc = kd_dump_target_open(path, &t, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct kd_target *t = *state;
	t->ops->close(t);
	return 0;
}

static void test_bugcheck(void **state)
{
	struct kd_target *t = *state;
	struct kd_bugcheck bc;
	assert_string_equal(t->ops->kind, "dump");
	assert_int_equal(t->ops->bugcheck(t, &bc), 0);
	assert_int_equal(bc.code, 0x1000007e);
	assert_true(bc.args[0] == 0xffffffffc0000005ull);
	assert_true(bc.args[1] == 0xfffff8048b58334cull);
	assert_true(bc.args[2] == 0xffff850429891ee8ull);
	assert_true(bc.args[3] == 0xffff850429891720ull);
}

static void test_version(void **state)
{
	struct kd_target *t = *state;
	struct kd_version v;
	assert_int_equal(t->ops->version(t, &v), 0);
	assert_int_equal(v.machine, KD_MACHINE_AMD64);
	assert_int_equal(v.build, 19041);
	assert_int_equal(v.major, 0xf);
	assert_int_equal(v.processors, 16);
	assert_true(v.ps_loaded_module_list == 0xfffff8047c62a390ull);
	/* KernBase from the KDDEBUGGER_DATA64 copy... */
	assert_true(v.kern_base == 0xfffff8047ba00000ull);
}

static void test_exception_record_in_triage_data(void **state)
{
	struct kd_target *t = *state;
	uint8_t er[0x98];
	uint32_t done = 0;
	assert_int_equal(t->ops->read_virtual(t, 0xffff850429891ee8ull, er, sizeof er, &done), 0);
	assert_int_equal(done, sizeof er);
	uint32_t code;
	uint64_t addr;
	memcpy(&code, er, 4);
	memcpy(&addr, er + 0x10, 8);
	assert_int_equal(code, 0xc0000005);
	assert_true(addr == 0xfffff8048b58334cull);
}

static void test_context_record_in_triage_data(void **state)
{
	struct kd_target *t = *state;
	struct kd_x64_context c;
	uint32_t done = 0;
	assert_int_equal(t->ops->read_virtual(t, 0xffff850429891720ull, &c, sizeof c, &done), 0);
	assert_int_equal(done, sizeof c);
	assert_true(c.Rip == 0xfffff8048b58334cull);
	assert_int_equal(c.SegCs, 0x10);
}

static void test_contexts(void **state)
{
	struct kd_target *t = *state;
	struct kd_context c;
	/* The bugcheck processor gets the header's context. */
	assert_int_equal(t->ops->get_context(t, 0, &c), 0);
	assert_int_equal(c.machine, KD_MACHINE_AMD64);
	assert_true(c.u.x64.Rip == 0xfffff8048b58334cull);
	/* Another processor's comes from its KPRCB. */
	assert_int_equal(t->ops->get_context(t, 1, &c), 0);
	assert_int_equal(c.u.x64.SegCs, 0x10);
	assert_true(c.u.x64.Rip >= 0xfffff8047ba00000ull && c.u.x64.Rip < 0xfffff8047ba00000ull + 0x1046000);
	assert_int_equal(t->ops->get_context(t, 16, &c), KD_EINVAL);
}

/* Control space from the KPRCBs: the KPRCB address is KiProcessorBlock's,
 * and its CurrentThread matches the thread the PRCB copy names. */
static void test_control_space(void **state)
{
	struct kd_target *t = *state;
	uint64_t v = 0;
	uint32_t done = 0;
	assert_int_equal(t->ops->read_control(t, 0, 1, &v, 8, &done), 0);
	assert_int_equal(done, 8);
	assert_true(v == 0xfffff804782d4180ull);
	assert_int_equal(t->ops->read_control(t, 0, 0, &v, 8, &done), 0);
	assert_true(v == 0xfffff804782d4000ull);
	assert_int_equal(t->ops->read_control(t, 1, 1, &v, 8, &done), 0);
	assert_true(v == 0xffff9b0002300180ull);
	assert_int_equal(t->ops->read_control(t, 0, 3, &v, 8, &done), 0);
	assert_true(v == 0xffffc08bde9e1640ull);
}

/* The triage copies of the crashing thread's process: the System process,
 * whose page directory is the one the dump header names. */
static void test_process_copy(void **state)
{
	struct kd_target *t = *state;
	uint64_t thread = 0, process = 0, dtb = 0;
	uint32_t done = 0;
	assert_int_equal(t->ops->read_control(t, 0, 3, &thread, 8, &done), 0);
	assert_int_equal(t->ops->read_virtual(t, thread + 0xb8, &process, 8, &done), 0); /* KTHREAD.ApcState.Process */
	assert_int_equal(done, 8);
	assert_int_equal(t->ops->read_virtual(t, process + 0x28, &dtb, 8, &done), 0); /* KPROCESS.DirectoryTableBase */
	assert_true(dtb == 0x1ad000);
	char name[16] = "";
	assert_int_equal(t->ops->read_virtual(t, process + 0x5a8, name, 15, &done), 0); /* EPROCESS.ImageFileName */
	assert_string_equal(name, "System");
}

static void test_exception(void **state)
{
	struct kd_target *t = *state;
	struct kd_stop_event ev;
	assert_int_equal(t->ops->exception(t, &ev), 0);
	assert_int_equal(ev.kind, KD_STOP_EXCEPTION);
	assert_int_equal(ev.code, 0x80000003);
}

static void test_modules(void **state)
{
	struct kd_target *t = *state;
	struct kd_module *m;
	size_t n;
	assert_int_equal(t->ops->modules(t, &m, &n), 0);
	assert_int_equal(n, 151);
	assert_string_equal(m[0].name, "nt");
	assert_string_equal(m[0].path, "\\SystemRoot\\system32\\ntoskrnl.exe");
	assert_true(m[0].base == 0xfffff8047ba00000ull);
	assert_string_equal(m[1].name, "hal");
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].base <= 0xfffff8048b58334cull && 0xfffff8048b58334cull - m[i].base < m[i].size)
			found = 1;
	assert_true(found);
	free(m);
}

static void test_absent_memory(void **state)
{
	struct kd_target *t = *state;
	uint8_t b[16];
	uint32_t done = 99;
	/* The kernel's first page is saved, the next one is not: unreadable,
	 * never zeros. */
	assert_int_equal(t->ops->read_virtual(t, 0xfffff8047ba00000ull, b, 2, &done), 0);
	assert_int_equal(done, 2);
	assert_memory_equal(b, "MZ", 2);
	assert_int_equal(t->ops->read_virtual(t, 0xfffff8047ba01000ull, b, sizeof b, &done), KD_EUNREADABLE);
	assert_int_equal(done, 0);
	assert_int_equal(t->ops->read_virtual(t, 0xfffff8047ba00ff8ull, b, sizeof b, &done), 0);
	assert_int_equal(done, 8);
	/* The saved stack ends at 0xffff850429893000: a read across it is partial. */
	assert_int_equal(t->ops->read_virtual(t, 0xffff850429892ff8ull, b, sizeof b, &done), 0);
	assert_int_equal(done, 8);
	assert_int_equal(t->ops->read_physical(t, 0x1000, b, sizeof b, &done), KD_EUNREADABLE);
}

int main(void)
{
	const char *data = getenv("KD_DATA");
	if (!data) {
		printf("KD_DATA not set: skipping the real-dump tests\n");
		return 77;
	}
	snprintf(path, sizeof path, "%s/dumps/triage_x64.dmp", data);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("%s absent: skipping the real-dump tests\n", path);
		return 77;
	}
	fclose(f);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bugcheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception_record_in_triage_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_record_in_triage_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contexts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_memory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
