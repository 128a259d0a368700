/*
 * The dump commands on the real triage dump in $KD_DATA, through the
 * engine: .bugcheck in WinDbg's layout, .exr and .cxr (the registers
 * family's) on the records the bugcheck names, !analyze -v naming the bugcheck,
 * decoding the exception record and context its arguments point to and
 * suggesting the .cxr stack command, .dumpdebug's header fields, and the
 * errors of !pte and .dump on a dump without physical memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "kd/commands/dump_banner.h"
#include "kd/targets/dump_target.h"
#include "kd/engine/engine.h"
#include "kd/commands/command.h"

static char path[4096];
static char output[1 << 16];

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
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];
	struct kd_target *t;
	assert_int_equal(kd_dump_target_open(path, &t, err, sizeof err), 0);
	uv_loop_init(&f->loop);
	f->eng = kd_engine_new(&f->loop, out_cb, NULL);
	assert_int_equal(kd_engine_open_target(f->eng, t), 0);
	output[0] = '\0';
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kd_engine_free(f->eng);
	uv_loop_close(&f->loop);
	free(f);
	return 0;
}

#define HAS(s) do { if (!strstr(output, s)) fprintf(stderr, "missing: %s\n", s); assert_non_null(strstr(output, s)); } while (0)

static void test_bugcheck(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(kd_execute(f->eng, ".bugcheck"), 0);
	assert_string_equal(output, "Bugcheck code 1000007E\n"
	                    "Arguments ffffffff`c0000005 fffff804`8b58334c ffff8504`29891ee8 ffff8504`29891720\n");
}

static void test_analyze(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(kd_execute(f->eng, "!analyze -v"), 0);
	HAS("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M (1000007e)\n");
	HAS("Arg1: ffffffffc0000005, The exception code that was not handled\n");
	HAS("Arg2: fffff8048b58334c, The address that the exception occurred at\n");
	HAS("Arg3: ffff850429891ee8, Exception Record Address\n");
	HAS("Arg4: ffff850429891720, Context Record Address\n");
	HAS("EXCEPTION_RECORD:  ffff850429891ee8 -- (.exr 0xffff850429891ee8)\n");
	HAS("   ExceptionCode: c0000005 (Access violation)\n");
	HAS("CONTEXT:  ffff850429891720 -- (.cxr 0xffff850429891720)\n");
	HAS("rip=fffff8048b58334c");
	HAS("STACK_COMMAND:  .cxr 0xffff850429891720 ; kb\n");
}

static void test_exr(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(kd_execute(f->eng, ".exr ffff850429891ee8"), 0);
	HAS("ExceptionAddress: fffff8048b58334c");
	HAS("   ExceptionCode: c0000005 (Access violation)\n");
	HAS("NumberParameters: 2\n");
	HAS("Attempt to write to address ffffffffffffffff\n");
	output[0] = '\0';
	assert_int_equal(kd_execute(f->eng, ".exr -1"), 0);
	HAS("   ExceptionCode: 80000003 (Break instruction exception)\n");
	/* The context record the bugcheck names (issue 7's done criteria). */
	output[0] = '\0';
	assert_int_equal(kd_execute(f->eng, ".cxr ffff850429891720"), 0);
	HAS("rip=fffff8048b58334c");
}

static void test_banner(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(kd_dump_show_banner(f->eng, "triage_x64.dmp"), 0);
	HAS("Loading Dump File [triage_x64.dmp]\n");
	HAS("Mini Kernel Dump File: Only registers and stack trace are available\n");
	HAS("System Uptime: 0 days 0:00:03.747\n");
	HAS("Debug session time: ");
	HAS("BugCheck 1000007E, {ffffffffc0000005, fffff8048b58334c, ffff850429891ee8, ffff850429891720}\n");
}

static void test_dumpdebug(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(kd_execute(f->eng, ".dumpdebug"), 0);
	HAS("DUMP_HEADER64:\n");
	HAS("MinorVersion          00004a61\n");
	HAS("NumberProcessors      00000010\n");
	HAS("BugCheckCode          1000007e\n");
	HAS("DumpType              00000004\n");
	HAS("TRIAGE_DUMP64:\n");
	HAS("TopOfStack            ffff8504`29890ee8\n");
}

static void test_no_physical_memory(void **state)
{
	struct fixture *f = *state;
	assert_int_not_equal(kd_execute(f->eng, "!pte fffff8047ba00000"), 0);
	HAS("!pte: page tables are not in this dump\n");
	output[0] = '\0';
	assert_int_not_equal(kd_execute(f->eng, ".dump /f /tmp/kd-test-never-written.dmp"), 0);
	HAS("no readable physical memory");
}

int main(void)
{
	const char *data = getenv("KD_DATA");
	if (!data) {
		printf("KD_DATA not set: skipping the real-dump command tests\n");
		return 77;
	}
	snprintf(path, sizeof path, "%s/dumps/triage_x64.dmp", data);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		printf("%s absent: skipping the real-dump command tests\n", path);
		return 77;
	}
	fclose(fp);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bugcheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_analyze, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_banner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumpdebug, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_physical_memory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
