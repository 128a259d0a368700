/*
 * Command lines (kd/commands/execute.c): ';' separation outside quotes and braces,
 * j and .if/.elsif/.else, on an engine with no target (.echo and ? work
 * without one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "kd/engine/engine.h"
#include "kd/commands/command.h"

struct capture {
	char text[4096];
	size_t len;
};

static void out(void *user, enum kd_output_kind kind, const char *text)
{
	(void)kind;
	struct capture *c = user;
	size_t n = strlen(text);
	if (c->len + n < sizeof c->text) {
		memcpy(c->text + c->len, text, n + 1);
		c->len += n;
	}
}

static const char *run(const char *line, int *rc)
{
	static struct capture c;
	uv_loop_t loop;
	uv_loop_init(&loop);
	memset(&c, 0, sizeof c);
	struct kd_engine *eng = kd_engine_new(&loop, out, &c);
	assert_non_null(eng);
	*rc = kd_execute(eng, line);
	kd_engine_free(eng);
	uv_loop_close(&loop);
	return c.text;
}

static void test_separators(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(run(".echo a; .echo b;; .echo c", &rc), "a\nb\nc\n");
	assert_int_equal(rc, 0);
	assert_string_equal(run(".echo \"x;y\"; .echo z", &rc), "x;y\nz\n");
}

static void test_if(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(run(".if (1) { .echo yes } .else { .echo no }", &rc), "yes\n");
	assert_string_equal(run(".if (0) { .echo yes } .else { .echo no }; .echo after", &rc), "no\nafter\n");
	assert_string_equal(run(".if (0) { .echo a } .elsif (3 > 2) { .echo b; .echo c } .else { .echo d }", &rc),
	                    "b\nc\n");
	assert_string_equal(run(".if (0) { .echo a }; .echo only", &rc), "only\n");
	assert_string_equal(run(".if (1) { .if (0n10 == a) { .echo nested } }", &rc), "nested\n");
	assert_int_equal(rc, 0);
	/* A condition that does not evaluate, and a missing block: one
	 * error line each, nothing run. */
	const char *o = run(".if (nosuchsym) { .echo x }", &rc);
	assert_true(rc < 0);
	assert_null(strstr(o, "x\n"));
	o = run(".if (1) .echo x", &rc);
	assert_true(rc < 0);
	assert_non_null(strstr(o, "Syntax error"));
}

static void test_j(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(run("j (1+1==2) .echo a; .echo b", &rc), "a\n");
	assert_string_equal(run("j 0 '.echo a' ; '.echo b; .echo c'", &rc), "b\nc\n");
	run("j (1", &rc);
	assert_true(rc < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_if),
		cmocka_unit_test(test_j),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
