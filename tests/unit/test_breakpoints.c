/*
 * The breakpoint table and the execution-control parsers
 * (kd/engine/breakpoints.c, kd/engine/events.c), against outside references:
 *  - bl lines as WinDbg prints them in public kernel-debugging
 *    transcripts ("     0 e Disable Clear  fffff805`7f375f00     0001
 *    (0001) nt!PnpCallDriverEntry", and the unresolved form with "u" in
 *    the address column);
 *  - id lists as the bl/bc documentation describes them ("*", spaces or
 *    commas, ranges with '-');
 *  - Dr7 values from the Intel SDM (vol. 3, 17.2.4): L0 is bit 0, R/W0
 *    bits 16-17 (01 write, 11 read/write, 00 execute), LEN0 bits 18-19
 *    (00 1 byte, 01 2, 11 4, 10 8), and the same 4 bits higher per slot;
 *  - the sx filters' WinDbg defaults (av breaks, eh and ii only on the
 *    second chance, ld outputs) and exception codes from ntstatus.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kd/engine/breakpoints.h"
#include "base/error.h"
#include "kd/engine/events.h"

static void test_ids(void **state)
{
	(void)state;
	uint8_t sel[KD_BP_MAX_ID + 1];
	const char *bad = NULL;
	memset(sel, 0, sizeof sel);
	assert_int_equal(kd_bp_parse_ids("1 3,5", sel, &bad), 3);
	assert_true(sel[1] && sel[3] && sel[5]);
	assert_false(sel[0] || sel[2] || sel[4] || sel[6]);
	memset(sel, 0, sizeof sel);
	assert_int_equal(kd_bp_parse_ids("2-4", sel, &bad), 1);
	assert_true(sel[2] && sel[3] && sel[4]);
	assert_false(sel[1] || sel[5]);
	memset(sel, 0, sizeof sel);
	assert_int_equal(kd_bp_parse_ids("*", sel, &bad), 1);
	assert_true(sel[0] && sel[KD_BP_MAX_ID]);
	memset(sel, 0, sizeof sel);
	assert_int_equal(kd_bp_parse_ids("", sel, &bad), 0);
	assert_int_equal(kd_bp_parse_ids("4-2", sel, &bad), KD_EINVAL);
	assert_int_equal(kd_bp_parse_ids("1 x", sel, &bad), KD_EINVAL);
	assert_string_equal(bad, "x");
	assert_int_equal(kd_bp_parse_ids("5a", sel, &bad), KD_EINVAL);
	assert_int_equal(kd_bp_parse_ids("99999", sel, &bad), KD_EINVAL);
}

static void test_args(void **state)
{
	(void)state;
	struct kd_bp_args a;
	char err[200];
	assert_int_equal(kd_bp_parse_args("/1 nt!Foo+0x10 5 \"r eax; g\"", 0, &a, err, sizeof err), 0);
	assert_true(a.oneshot);
	assert_string_equal(a.addr, "nt!Foo+0x10");
	assert_string_equal(a.passes, "5");
	assert_string_equal(a.command, "r eax; g");
	assert_int_equal(kd_bp_parse_args("", 0, &a, err, sizeof err), 0);
	assert_string_equal(a.addr, "");
	assert_int_equal(kd_bp_parse_args("poi(esp+4) \"kb\"", 0, &a, err, sizeof err), 0);
	assert_string_equal(a.addr, "poi(esp+4)");
	assert_string_equal(a.command, "kb");
	assert_int_equal(kd_bp_parse_args("w4 fffff800`12345678", 1, &a, err, sizeof err), 0);
	assert_int_equal(a.access, 'w');
	assert_int_equal(a.size, 4);
	assert_int_equal(kd_bp_parse_args("w 4 fffff800`12345678", 1, &a, err, sizeof err), 0);
	assert_int_equal(a.access, 'w');
	assert_int_equal(a.size, 4);
	assert_string_equal(a.addr, "fffff800`12345678");
	assert_int_equal(kd_bp_parse_args("x 4 1000", 1, &a, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_parse_args("r 3 1000", 1, &a, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_parse_args("r16 1000", 1, &a, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_parse_args("e", 1, &a, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_parse_args("foo \"unterminated", 0, &a, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_parse_args("foo 1 2", 0, &a, err, sizeof err), KD_EINVAL);
	/* alignment and size rules of the debug registers */
	assert_int_equal(kd_bp_check_hw('w', 4, 0x1000, err, sizeof err), 0);
	assert_int_equal(kd_bp_check_hw('w', 4, 0x1002, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_check_hw('e', 4, 0x1000, err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_bp_check_hw('r', 8, 0x1008, err, sizeof err), 0);
}

/* Command strings as WinDbg's documentation writes conditional and
 * logging breakpoints: bp Address "j (Condition) 'OptionalCommands';
 * 'gc'" and "r eax; g". */
static void test_command_strings(void **state)
{
	(void)state;
	struct kd_bp_cmd c;
	assert_int_equal(kd_bp_split_command("j (poi(MyVar)>0n20) ''; 'gc'", &c), 0);
	assert_true(c.is_j);
	assert_string_equal(c.expr, "(poi(MyVar)>0n20)");
	assert_string_equal(c.a, "");
	assert_string_equal(c.b, "gc");
	assert_int_equal(kd_bp_split_command("j @eax=1 'r eax; kb' ; 'gc'", &c), 0);
	assert_true(c.is_j);
	assert_string_equal(c.expr, "@eax=1");
	assert_string_equal(c.a, "r eax; kb");
	assert_string_equal(c.b, "gc");
	assert_int_equal(kd_bp_split_command("r eax; g", &c), 0);
	assert_false(c.is_j);
	assert_string_equal(c.a, "r eax");
	assert_string_equal(c.go, "g");
	assert_int_equal(kd_bp_split_command("gc", &c), 0);
	assert_string_equal(c.a, "");
	assert_string_equal(c.go, "gc");
	assert_int_equal(kd_bp_split_command("kb; .echo \"a;g\"", &c), 0);
	assert_string_equal(c.a, "kb; .echo \"a;g\"");
	assert_string_equal(c.go, "");
	assert_int_equal(kd_bp_split_command("r; gu", &c), 0);
	assert_string_equal(c.go, "");
	assert_int_equal(kd_bp_split_command("j (1 'x'", &c), KD_EINVAL);
	/* /w takes its condition in double quotes */
	struct kd_bp_args a;
	char err[200];
	assert_int_equal(kd_bp_parse_args("/w \"@ecx==2\" nt!Foo \"kb\"", 0, &a, err, sizeof err), 0);
	assert_string_equal(a.condition, "@ecx==2");
	assert_string_equal(a.addr, "nt!Foo");
	assert_string_equal(a.command, "kb");
	assert_int_equal(kd_bp_parse_args("/w nt!Foo", 0, &a, err, sizeof err), KD_EINVAL);
}

static void test_table(void **state)
{
	(void)state;
	struct kd_bp_table t;
	struct kd_bp b;
	kd_bp_table_init(&t);
	memset(&b, 0, sizeof b);
	b.kind = KD_BP_SOFTWARE;
	b.resolved = 1;
	for (int i = 0; i < 3; i++) {
		b.addr = 0x1000 + (uint64_t)i;
		struct kd_bp *n = kd_bp_add(&t, &b, 0);
		assert_non_null(n);
		assert_int_equal(n->id, i);
		assert_int_equal(n->passes, 1); /* unset pass count means every hit */
	}
	assert_int_equal(kd_bp_delete(&t, 1), 0);
	assert_int_equal(kd_bp_delete(&t, 1), KD_ENOTFOUND);
	b.addr = 0x2000;
	b.passes = 5;
	struct kd_bp *n = kd_bp_add(&t, &b, 0);
	assert_int_equal(n->id, 1); /* the lowest free id, as WinDbg numbers */
	assert_int_equal(n->passes_left, 5);
	assert_ptr_equal(kd_bp_at(&t, KD_BP_SOFTWARE, 0x2000), kd_bp_find(&t, 1));
	assert_null(kd_bp_at(&t, KD_BP_HARDWARE, 0x2000));
	b.id = 7;
	assert_int_equal(kd_bp_add(&t, &b, 1)->id, 7);
	assert_int_equal(t.n, 4);
	for (size_t i = 1; i < t.n; i++)
		assert_true(t.v[i - 1].id < t.v[i].id);
	kd_bp_table_free(&t);
}

static void test_format(void **state)
{
	(void)state;
	struct kd_bp b;
	char line[600];
	memset(&b, 0, sizeof b);
	b.kind = KD_BP_SOFTWARE;
	b.enabled = 1;
	b.resolved = 1;
	b.addr = 0xfffff8057f375f00ull;
	b.passes = b.passes_left = 1;
	kd_bp_format(&b, 1, "nt!PnpCallDriverEntry", line, sizeof line);
	assert_string_equal(line, "     0 e Disable Clear  fffff805`7f375f00     0001 (0001) nt!PnpCallDriverEntry");
	b.id = 1;
	b.addr = 0xfffff802455f5078ull;
	kd_bp_format(&b, 1, "HEVD!IrpDeviceIoCtlHandler", line, sizeof line);
	assert_string_equal(line, "     1 e Disable Clear  fffff802`455f5078     0001 (0001) HEVD!IrpDeviceIoCtlHandler");
	/* disabled and unresolved: "u" in the address column, the expression in parentheses */
	b.id = 0;
	b.enabled = 0;
	b.resolved = 0;
	b.deferred = 1;
	strcpy(b.expr, "Displaying ");
	kd_bp_format(&b, 1, "", line, sizeof line);
	assert_string_equal(line, "     0 d Enable Clear  u                      0001 (0001) (Displaying )");
	/* x86 addresses are 8 digits */
	memset(&b, 0, sizeof b);
	b.enabled = 1;
	b.resolved = 1;
	b.addr = 0x778c2bf0;
	b.passes = b.passes_left = 1;
	kd_bp_format(&b, 0, "ntdll!NtDeviceIoControlFile", line, sizeof line);
	assert_string_equal(line, "     0 e Disable Clear  778c2bf0     0001 (0001) ntdll!NtDeviceIoControlFile");
}

static void test_dr7(void **state)
{
	(void)state;
	struct kd_bp w4 = { .kind = KD_BP_HARDWARE, .access = 'w', .size = 4 };
	struct kd_bp e1 = { .kind = KD_BP_HARDWARE, .access = 'e', .size = 1 };
	struct kd_bp r8 = { .kind = KD_BP_HARDWARE, .access = 'r', .size = 8 };
	struct kd_bp i2 = { .kind = KD_BP_HARDWARE, .access = 'i', .size = 2 };
	const struct kd_bp *slots[KD_BP_HW_SLOTS] = { &w4, NULL, NULL, NULL };
	assert_int_equal(kd_bp_dr7(slots), 0x000d0001); /* L0, R/W0=01, LEN0=11 */
	slots[0] = &e1;
	assert_int_equal(kd_bp_dr7(slots), 0x00000001); /* execute, 1 byte: only L0 */
	slots[0] = NULL;
	slots[1] = &r8;
	assert_int_equal(kd_bp_dr7(slots), 0x00b00004); /* L1, R/W1=11, LEN1=10 */
	slots[1] = NULL;
	slots[3] = &i2;
	assert_int_equal(kd_bp_dr7(slots), 0x60000040); /* L3, R/W3=10, LEN3=01 */
	const struct kd_bp *none[KD_BP_HW_SLOTS] = { NULL, NULL, NULL, NULL };
	assert_int_equal(kd_bp_dr7(none), 0);
}

static void test_events(void **state)
{
	(void)state;
	struct kd_events e;
	enum kd_sx_cont cont;
	char err[200];
	kd_events_init(&e);
	assert_int_equal(kd_events_exception(&e, 0xc0000005, &cont), KD_SX_BREAK);
	assert_int_equal(cont, KD_SX_NOT_HANDLED);
	assert_int_equal(kd_events_exception(&e, 0xe06d7363, &cont), KD_SX_SECOND);
	assert_int_equal(kd_events_exception(&e, 0xc000001d, &cont), KD_SX_SECOND);
	assert_int_equal(kd_events_exception(&e, 0x80000003, &cont), KD_SX_BREAK);
	assert_int_equal(cont, KD_SX_HANDLED);
	assert_int_equal(kd_events_exception(&e, 0x12345678, &cont), KD_SX_SECOND);
	assert_int_equal(kd_events_module(&e, 0, "xframe_eh_dll"), KD_SX_OUTPUT);
	assert_int_equal(kd_events_module(&e, 1, "xframe_eh_dll"), KD_SX_IGNORE);

	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "ld:xframe_eh_dll.dll", err, sizeof err), 0);
	assert_int_equal(kd_events_module(&e, 0, "xframe_eh_dll"), KD_SX_BREAK);
	assert_int_equal(kd_events_module(&e, 0, "other"), KD_SX_OUTPUT);
	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "ld", err, sizeof err), 0);
	assert_int_equal(kd_events_module(&e, 0, "other"), KD_SX_BREAK);
	assert_int_equal(kd_events_set(&e, KD_SX_SECOND, "av", err, sizeof err), 0);
	assert_int_equal(kd_events_exception(&e, 0xc0000005, &cont), KD_SX_SECOND);
	assert_int_equal(kd_events_set(&e, KD_SX_IGNORE, "0xc0000094", err, sizeof err), 0);
	assert_int_equal(kd_events_exception(&e, 0xc0000094, &cont), KD_SX_IGNORE); /* dz */
	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "c0000096", err, sizeof err), 0);
	assert_int_equal(kd_events_exception(&e, 0xc0000096, &cont), KD_SX_BREAK);
	assert_int_equal(kd_events_set(&e, KD_SX_OUTPUT, "*", err, sizeof err), 0);
	assert_int_equal(kd_events_exception(&e, 0x12345678, &cont), KD_SX_OUTPUT);
	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "nosuch", err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "av:foo", err, sizeof err), KD_EINVAL);
	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "", err, sizeof err), KD_EINVAL);
}

static void add_line(void *ctx, const char *line)
{
	char *buf = ctx;
	strcat(buf, line);
	strcat(buf, "\n");
}

/* Lines of WinDbg's sx listing (its documented defaults). */
static void test_sx_list(void **state)
{
	(void)state;
	static char buf[16384];
	struct kd_events e;
	char err[200];
	kd_events_init(&e);
	buf[0] = '\0';
	kd_events_list(&e, add_line, buf);
	assert_non_null(strstr(buf, "\n  ld - Load module - output\n"));
	assert_non_null(strstr(buf, "\n  av - Access violation - break - not handled\n"));
	assert_non_null(strstr(buf, "\n bpe - Break instruction exception - break\n"));
	assert_non_null(strstr(buf, "\nbpec - Break instruction exception continue - handled\n"));
	assert_non_null(strstr(buf, "\n  eh - C++ EH exception - second-chance break - not handled\n"));
	assert_non_null(strstr(buf, "\n   * - Other exception - second-chance break - not handled\n"));
	assert_int_equal(kd_events_set(&e, KD_SX_BREAK, "ld:TestDriver", err, sizeof err), 0);
	buf[0] = '\0';
	kd_events_list(&e, add_line, buf);
	assert_non_null(strstr(buf, "\n  ld - Load module - break\n       (only break for TestDriver)\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_command_strings),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sx_list),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_dr7),
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
