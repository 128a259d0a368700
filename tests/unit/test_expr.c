/*
 * Tests of the MASM expression evaluator (kd/engine/expr.c) against a tiny fake
 * target: the x86 registers of the .trap f71efb38 seed, a few bytes of
 * memory and two symbols. The engine calls kd_eval makes are provided here
 * so the evaluator is tested without a live engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/regs.h"
#include "kd/engine/engine.h"
#include "kd/engine/expr.h"
#include "kd/engine/kthread.h"
#include "kd/engine/stack.h"

struct fake {
	struct kd_context ctx;
	uint64_t mem_base;
	uint8_t mem[32];
};

static struct fake *fake_of(struct kd_engine *eng)
{
	return (struct fake *)eng;
}

/* The engine functions kd_eval uses, answered by the fake. */
int kd_get_context(struct kd_engine *eng, struct kd_context *out)
{
	*out = fake_of(eng)->ctx;
	return 0;
}

int kd_read_virtual(struct kd_engine *eng, uint64_t addr, void *buf, size_t len, size_t *done)
{
	struct fake *f = fake_of(eng);
	*done = 0;
	if (addr < f->mem_base || addr - f->mem_base >= sizeof f->mem)
		return KD_EUNREADABLE;
	size_t n = sizeof f->mem - (size_t)(addr - f->mem_base);
	if (n > len)
		n = len;
	memcpy(buf, f->mem + (addr - f->mem_base), n);
	*done = n;
	return 0;
}

int kd_resolve_symbol(struct kd_engine *eng, const char *name, uint64_t *addr)
{
	if (!strcmp(name, "nt!KiTrap0E")) {
		*addr = 0x8046a000;
		return 0;
	}
	if (!strcmp(name, "nt!Foo::Bar")) {
		*addr = 0x80401000;
		return 0;
	}
	if (!strcmp(name, "nt") || !strcmp(name, "dead")) {
		*addr = 0x80400000;
		return 0;
	}
	return KD_ENOTFOUND;
}

enum kd_machine kd_engine_machine(struct kd_engine *eng)
{
	return fake_of(eng)->ctx.machine;
}

/* One extension slot is all the evaluator uses ("expr": $t registers). */
static void *slot;
static void (*slot_free)(void *);

int kd_engine_set_ext(struct kd_engine *eng, const char *key, void *ptr, void (*free_fn)(void *))
{
	(void)eng;
	assert_string_equal(key, "expr");
	if (slot_free && slot != ptr)
		slot_free(slot);
	slot = ptr;
	slot_free = free_fn;
	return 0;
}

void *kd_engine_ext(struct kd_engine *eng, const char *key)
{
	(void)eng;
	return strcmp(key, "expr") == 0 ? slot : NULL;
}

void *kd_engine_ext_zalloc(struct kd_engine *eng, const char *key, size_t size)
{
	void *p = kd_engine_ext(eng, key);
	if (!p && (p = calloc(1, size)) != NULL)
		kd_engine_set_ext(eng, key, p, free);
	return p;
}

const struct kd_stop_event *kd_engine_last_event(struct kd_engine *eng)
{
	static struct kd_stop_event ev = { .kind = KD_STOP_EXCEPTION, .thread = 0x81288784 };
	(void)eng;
	return &ev;
}

unsigned kd_engine_cpu(struct kd_engine *eng)
{
	(void)eng;
	return 0;
}

static struct fake x86;

/* kd/engine/kthread.c and the module list are not linked in: $thread is the
 * stopped thread, as the kthread module answers without a .thread. */
int kd_thread_current(struct kd_engine *e, uint64_t *thread)
{
	*thread = kd_engine_last_event(e)->thread;
	return 0;
}

int kd_processor_object(struct kd_engine *e, unsigned cpu, unsigned item, uint64_t *v)
{
	(void)e;
	(void)cpu;
	(void)item;
	(void)v;
	return KD_ENOTFOUND;
}

int kd_process_current(struct kd_engine *e, uint64_t *process)
{
	(void)e;
	(void)process;
	return KD_ENOTFOUND;
}

const struct kd_module *kd_engine_module_by_name(struct kd_engine *e, const char *name)
{
	(void)e;
	(void)name;
	return NULL;
}

size_t kd_engine_module_count(struct kd_engine *e)
{
	(void)e;
	return 0;
}

const struct kd_module *kd_engine_module(struct kd_engine *e, size_t i)
{
	(void)e;
	(void)i;
	return NULL;
}

/* The stack walker is not linked in: one frame returning to 0x80401234. */
int kd_stack_walk(struct kd_engine *e, const struct kd_context *start, struct kd_stack_frame *frames,
                  size_t max, size_t *count)
{
	(void)e;
	(void)start;
	if (max < 1)
		return KD_EINVAL;
	memset(frames, 0, sizeof *frames);
	frames[0].ret = 0x80401234;
	*count = 1;
	return 0;
}

static void setup_x86(void)
{
	memset(&x86, 0, sizeof x86);
	x86.ctx.machine = KD_MACHINE_I386;
	struct kd_x86_context *c = &x86.ctx.u.x86;
	c->Eax = 0xe1e40fc0; c->Ebx = 0; c->Ecx = 0; c->Edx = 0;
	c->Esi = 0xe1e40ea0; c->Edi = 0x81438428;
	c->Eip = 0x804676c8; c->Esp = 0xf71efbac; c->Ebp = 0xf71efbd0;
	c->SegCs = 8; c->SegSs = 0x10; c->SegDs = 0x23; c->SegEs = 0x23;
	c->SegFs = 0x30; c->SegGs = 0; c->EFlags = 0x00010246;
	x86.mem_base = 0xf71efbac;
	for (unsigned i = 0; i < sizeof x86.mem; i++)
		x86.mem[i] = (uint8_t)(0x10 + i);
}

static struct kd_engine *eng(void)
{
	return (struct kd_engine *)&x86;
}

static uint64_t ev(const char *text)
{
	uint64_t v = 0xdeadbeef;
	char msg[256];
	int r = kd_eval_msg(eng(), text, &v, NULL, msg, sizeof msg);
	if (r != 0)
		fail_msg("'%s' failed: %s", text, msg);
	return v;
}

static void expect_error(const char *text, int code, const char *message)
{
	uint64_t v;
	char msg[256];
	assert_int_equal(kd_eval_msg(eng(), text, &v, NULL, msg, sizeof msg), code);
	assert_string_equal(msg, message);
}

static void test_numbers(void **state)
{
	(void)state;
	setup_x86();
	/* The seeds' own expressions and answers. */
	assert_int_equal(ev("0y0100"), 4);
	assert_int_equal(ev("0y0000"), 0);
	assert_int_equal(ev("00010004>>2"), 16385);
	assert_int_equal(ev("fffff8a0`05e5bc70+10"), 0xfffff8a005e5bc80ull);
	assert_int_equal(ev("fffff800`01875f8a"), 0xfffff80001875f8aull);
	assert_int_equal(ev("10"), 0x10);
	assert_int_equal(ev("0n10"), 10);
	assert_int_equal(ev("0x1F"), 0x1f);
	assert_int_equal(ev("0t17"), 15);
	assert_int_equal(ev("abc"), 0xabc);
	assert_int_equal(ev("ffffffffffffffff"), UINT64_MAX);
	expect_error("1ffffffffffffffff", KD_EINVAL, "Numeric overflow error at '1ffffffffffffffff'");
	expect_error("0n12a", KD_EINVAL, "Syntax error at '0n12a'");
}

static void test_operators(void **state)
{
	(void)state;
	setup_x86();
	assert_int_equal(ev("1+2*3"), 7);
	assert_int_equal(ev("(1+2)*3"), 9);
	assert_int_equal(ev("[1+2]*3"), 9);
	assert_int_equal(ev("10/3"), 5);
	assert_int_equal(ev("10%3"), 1);
	assert_int_equal(ev("10 mod 3"), 1);
	assert_int_equal(ev("-1"), UINT64_MAX);
	assert_int_equal(ev("~0"), UINT64_MAX);
	assert_int_equal(ev("-8/2"), (uint64_t)-4);
	assert_int_equal(ev("1<<4"), 0x10);
	assert_int_equal(ev("-10>>>4"), UINT64_MAX);
	assert_int_equal(ev("-10>>3c"), 0xf);
	assert_int_equal(ev("1+1==2"), 1);
	assert_int_equal(ev("3 = 4"), 0);
	assert_int_equal(ev("3 != 4"), 1);
	assert_int_equal(ev("-1 < 0"), 1);
	assert_int_equal(ev("2 >= 2"), 1);
	assert_int_equal(ev("f0 & 3c"), 0x30);
	assert_int_equal(ev("f0 and 3c"), 0x30);
	assert_int_equal(ev("f0 | f"), 0xff);
	assert_int_equal(ev("f0 or f"), 0xff);
	assert_int_equal(ev("ff ^ f"), 0xf0);
	assert_int_equal(ev("ff xor f"), 0xf0);
	assert_int_equal(ev("1 | 2 ^ 3 & 1"), 1 | (2 ^ (3 & 1)));
	assert_int_equal(ev("hi(12345678)"), 0x1234);
	assert_int_equal(ev("low(12345678)"), 0x5678);
	assert_int_equal(ev("not 0"), 1);
	expect_error("1/0", KD_EINVAL, "Divide by zero error at '/0'");
	expect_error("(1+2", KD_EINVAL, "Syntax error at ''");
	expect_error("1+", KD_EINVAL, "Syntax error at ''");
	expect_error("", KD_EINVAL, "Syntax error at ''");
}

static void test_registers(void **state)
{
	(void)state;
	setup_x86();
	assert_int_equal(ev("eax"), 0xe1e40fc0);
	assert_int_equal(ev("@eax"), 0xe1e40fc0);
	assert_int_equal(ev("EAX"), 0xe1e40fc0);
	assert_int_equal(ev("ax"), 0x0fc0);
	assert_int_equal(ev("al"), 0xc0);
	assert_int_equal(ev("ah"), 0x0f);
	assert_int_equal(ev("@$ip"), 0x804676c8);
	assert_int_equal(ev("$ip"), 0x804676c8);
	assert_int_equal(ev(". + 2"), 0x804676ca);
	assert_int_equal(ev("@$csp"), 0xf71efbac);
	assert_int_equal(ev("$retreg"), 0xe1e40fc0);
	assert_int_equal(ev("$ptrsize"), 4);
	assert_int_equal(ev("ebp+8"), 0xf71efbd8);
	assert_int_equal(ev("efl"), 0x10246);
	assert_int_equal(ev("@zf"), 1);
	assert_int_equal(ev("@cf"), 0);
	/* Without @, "cf" is a number in radix 16, as in WinDbg. */
	assert_int_equal(ev("cf"), 0xcf);
	assert_int_equal(ev("cs"), 8);
	assert_int_equal(ev("$thread"), 0x81288784);
	assert_int_equal(ev("$ra"), 0x80401234);
	assert_int_equal(ev("$t0"), 0);
	assert_int_equal(kd_expr_set_pseudo(eng(), "$t3", 0x1234), 0);
	assert_int_equal(ev("@$t3+1"), 0x1235);
	assert_int_equal(kd_expr_set_pseudo(eng(), "$t20", 1), KD_ENOTFOUND);
	if (slot_free)
		slot_free(slot);
	slot = NULL;
	slot_free = NULL;
	expect_error("@foo", KD_ENOTFOUND, "Bad register error at '@foo'");
	expect_error("$nosuch", KD_ENOTFOUND, "Bad register error at '$nosuch'");
}

static void test_x64_subregisters(void **state)
{
	(void)state;
	setup_x86();
	x86.ctx.machine = KD_MACHINE_AMD64;
	struct kd_x64_context *c = &x86.ctx.u.x64;
	c->Rax = 0x1122334455667788ull;
	c->R8 = 0xfffff80001875f8aull;
	c->Rsi = 0xabcd;
	c->Rip = 0xfffff8048b58334cull;
	assert_int_equal(ev("rax"), 0x1122334455667788ull);
	assert_int_equal(ev("eax"), 0x55667788);
	assert_int_equal(ev("ax"), 0x7788);
	assert_int_equal(ev("al"), 0x88);
	assert_int_equal(ev("ah"), 0x77);
	assert_int_equal(ev("r8d"), 0x01875f8a);
	assert_int_equal(ev("r8w"), 0x5f8a);
	assert_int_equal(ev("r8b"), 0x8a);
	assert_int_equal(ev("sil"), 0xcd);
	assert_int_equal(ev("@$ip"), 0xfffff8048b58334cull);
	assert_int_equal(ev("$ptrsize"), 8);

	/* Writes touch only the sub-register's bits. */
	const struct kd_reg *ah = kd_reg_find(KD_MACHINE_AMD64, "ah", 2);
	assert_non_null(ah);
	kd_reg_set(&x86.ctx, ah, 0x1ff);
	assert_int_equal(c->Rax, 0x112233445566ff88ull);
}

static void test_symbols_and_memory(void **state)
{
	(void)state;
	setup_x86();
	assert_int_equal(ev("nt!KiTrap0E"), 0x8046a000);
	assert_int_equal(ev("nt!KiTrap0E+0x27c"), 0x8046a27c);
	assert_int_equal(ev("nt"), 0x80400000);
	assert_int_equal(ev("nt!Foo::Bar+10"), 0x80401010);
	/* A hex-looking name is a number unless forced with '!'. */
	assert_int_equal(ev("dead"), 0xdead);
	assert_int_equal(ev("!dead"), 0x80400000);
	expect_error("nt!NoSuch+1", KD_ENOTFOUND, "Couldn't resolve error at 'nt!NoSuch+1'");

	assert_int_equal(ev("poi(esp)"), 0x13121110);
	assert_int_equal(ev("poi esp"), 0x13121110);
	assert_int_equal(ev("dwo(esp+4)"), 0x17161514);
	assert_int_equal(ev("qwo(esp)"), 0x1716151413121110ull);
	assert_int_equal(ev("wo(esp+2)"), 0x1312);
	assert_int_equal(ev("by(esp+1f)"), 0x2f);
	assert_int_equal(ev("poi(poi(esp)-13121110+esp)"), 0x13121110);
	expect_error("poi(0)", KD_EUNREADABLE, "Memory access error at ')'");
	expect_error("dwo(esp+1e)", KD_EUNREADABLE, "Memory access error at ')'");
}

static void test_spaces_end_expression(void **state)
{
	(void)state;
	setup_x86();
	const char *end;
	uint64_t v;
	assert_int_equal(kd_eval(eng(), "esp L8", &v, &end), 0);
	assert_int_equal(v, 0xf71efbac);
	assert_string_equal(end, " L8");
	assert_int_equal(kd_eval(eng(), "esp+ 8 L2", &v, &end), 0);
	assert_int_equal(v, 0xf71efbb4);
	assert_string_equal(end, " L2");
	assert_int_equal(kd_eval(eng(), "esp + 8", &v, &end), 0);
	assert_int_equal(v, 0xf71efbb4);
	assert_int_equal(kd_eval(eng(), "( esp + 8 ) 5", &v, &end), 0);
	assert_string_equal(end, " 5");
	assert_int_equal(kd_eval(eng(), "f085361c L 2", &v, &end), 0);
	assert_int_equal(v, 0xf085361c);
	assert_string_equal(end, " L 2");
	assert_int_equal(kd_eval(eng(), "1;r", &v, &end), 0);
	assert_string_equal(end, ";r");
	/* Real nesting works; absurd nesting is refused, not a stack overflow. */
	assert_int_equal(ev("((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))"), 1);
	char deep[4096];
	memset(deep, '(', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	assert_int_equal(kd_eval(eng(), deep, &v, &end), KD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_x64_subregisters),
		cmocka_unit_test(test_symbols_and_memory),
		cmocka_unit_test(test_spaces_end_expression),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
