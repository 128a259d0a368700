/*
 * KDNET key parsing, loading from a file or the environment, and masking.
 * Values are checked against the C library's strtoull in base 36 and the
 * documented 8.8.8.8 layout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/error.h"
#include "proto/kdnet_key.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_documented_key(void **state)
{
	(void)state;
	uint8_t key[32], want[32] = { 0 };
	char err[128];
	for (int i = 0; i < 4; i++)
		want[i * 8] = 8;
	assert_int_equal(kdnet_key_parse("8.8.8.8", key, err, sizeof err), 0);
	assert_memory_equal(key, want, 32);
}

static void test_base36_against_strtoull(void **state)
{
	(void)state;
	const char *keys[] = {
		"1x2y3z.abc.0.zzzz", "3w5e11264sgsf.3w5e11264sgse.1.z", "AbC.dEf.GHI.jkl", "0.0.0.0",
		"1spwsw9o2ugo.2bo3gfc5d7ue.3b0k2pvtyr.1xj0jbmyy8q",
	};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		uint8_t key[32];
		char err[128], copy[128];
		assert_int_equal(kdnet_key_parse(keys[k], key, err, sizeof err), 0);
		snprintf(copy, sizeof copy, "%s", keys[k]);
		char *save = NULL, *part = strtok_r(copy, ".", &save);
		for (int i = 0; i < 4; i++, part = strtok_r(NULL, ".", &save)) {
			assert_non_null(part);
			errno = 0;
			unsigned long long v = strtoull(part, NULL, 36);
			assert_int_equal(errno, 0);
			assert_true(le64(key + 8 * i) == v);
		}
	}
}

/* Each way a key can be wrong gives its own message naming the problem,
 * and never repeats the key. */
static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "", "empty" },
		{ "1.2.3", "has 3 parts" },
		{ "12345", "has 1 part," },
		{ "1.2.3.4.5", "more than four" },
		{ "1..3.4", "part 2 is empty" },
		{ "1.2.3.", "part 4 is empty" },
		{ ".2.3.4", "part 1 is empty" },
		{ "1.2.-3.4", "part 3 has '-'" },
		{ "1.2.3.4 ", "part 4 has ' '" },
		{ "1.2.3.\x01", "byte 0x01" },
		{ "3w5e11264sgsg.1.1.1", "part 1 is larger than 64 bits" },
		{ "1.1.1.zzzzzzzzzzzzzzzzzzzzzz", "part 4 is larger than 64 bits" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t key[32];
		char err[160] = "";
		assert_int_equal(kdnet_key_parse(bad[i].text, key, err, sizeof err), KD_EINVAL);
		if (!strstr(err, bad[i].needle))
			fail_msg("key %zu: \"%s\" lacks \"%s\"", i, err, bad[i].needle);
		if (strlen(bad[i].text) > 4)
			assert_null(strstr(err, bad[i].text));
	}
	assert_int_equal(kdnet_key_parse(NULL, NULL, NULL, 0), KD_EINVAL);
}

static void test_file_and_env(void **state)
{
	(void)state;
	uint8_t a[32], b[32], c[32];
	char err[256], path[] = "/tmp/kdnet_key_testXXXXXX", spec[64];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "  1a.2b.3c.4d\n", 14), 14);
	close(fd);
	snprintf(spec, sizeof spec, "file:%s", path);
	assert_int_equal(kdnet_key_parse("1a.2b.3c.4d", a, err, sizeof err), 0);
	assert_int_equal(kdnet_key_load(spec, b, err, sizeof err), 0);
	assert_memory_equal(a, b, 32);
	unlink(path);
	assert_int_equal(kdnet_key_load(spec, b, err, sizeof err), KD_EIO);
	assert_non_null(strstr(err, path));

	setenv("KD_TEST_KDNET_KEY", "1a.2b.3c.4d", 1);
	assert_int_equal(kdnet_key_load("env:KD_TEST_KDNET_KEY", c, err, sizeof err), 0);
	assert_memory_equal(a, c, 32);
	unsetenv("KD_TEST_KDNET_KEY");
	assert_int_equal(kdnet_key_load("env:KD_TEST_KDNET_KEY", c, err, sizeof err), KD_EINVAL);
	assert_non_null(strstr(err, "KD_TEST_KDNET_KEY"));

	setenv(KDNET_KEY_ENV, "8.8.8.8", 1);
	assert_int_equal(kdnet_key_load(NULL, c, err, sizeof err), 0);
	assert_int_equal(c[0], 8);
	unsetenv(KDNET_KEY_ENV);
	assert_int_equal(kdnet_key_load("", c, err, sizeof err), KD_EINVAL);
}

static void test_masked(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	char err[128], ma[64], mb[64], ma2[64];
	assert_int_equal(kdnet_key_parse("secret1.secret2.secret3.secret4", a, err, sizeof err), 0);
	assert_int_equal(kdnet_key_parse("secret1.secret2.secret3.secret5", b, err, sizeof err), 0);
	kdnet_key_masked(a, ma, sizeof ma);
	kdnet_key_masked(b, mb, sizeof mb);
	kdnet_key_masked(a, ma2, sizeof ma2);
	assert_null(strstr(ma, "secret"));
	assert_string_equal(ma, ma2);
	assert_string_not_equal(ma, mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documented_key),
		cmocka_unit_test(test_base36_against_strtoull),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_file_and_env),
		cmocka_unit_test(test_masked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
