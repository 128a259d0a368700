/*
 * MSVC undecoration against llvm-undname-14: every decorated public of the
 * PDBs under $KD_DATA plus a list of hand-picked manglings (pointers to
 * functions and members, arrays, rvalue references, templates with
 * integers, anonymous namespaces, conversions). String literals (??_C)
 * are shown as `string', as WinDbg does, and are not compared.
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

#include "base/error.h"
#include "symbols/pdb.h"
#include "symbols/undname.h"

static const char *extra[] = {
	"?x@@3QBDB", "?x@@3PEBDEB", "?f@@YAXQAH@Z", "?f@@YAXAAY01H@Z", "?x@@3PAY01HA",
	"?f@@YAX$$QAH@Z", "?f@@YAXP8A@@AEHH@Z@Z", "?x@@3W4E@@A", "?f@A@@QEBAHXZ", "?f@A@@SAHXZ",
	"?x@?A0x1234@@3HA", "?f@@YA?AVA@@XZ", "??$f@H$0A@@@YAXXZ", "??$f@$0BA@@@YAXXZ",
	"??$f@$0?0@@YAXXZ", "?f@@YAXPEAPEAH@Z", "?f@@YAXP6AXXZ@Z", "??_V@YAXPAX@Z", "??Bx@@QAEHXZ",
	"?f@@YAX_N_W_J@Z", "?x@@3PECHEC", "??$f@PAH@@YAXXZ", "?x@@3PAPAHA", "?f@@YAXPAX0@Z",
	"?f@@YAXVA@@0@Z", "?f@@YAXPAUA@@0@Z", "??4A@@QEAAAEAV0@AEBV0@@Z", "?g@B@A@@IAEXXZ",
	"??1A@@UEAA@XZ", "?h@@YAXP6AHH@Z0@Z", "?v@A@@2V?$vector@H@std@@A",
};

static char **names;
static size_t nnames;

static void add(const char *s)
{
	for (size_t i = 0; i < nnames; i++)
		if (strcmp(names[i], s) == 0)
			return;
	names = realloc(names, (nnames + 1) * sizeof *names);
	names[nnames++] = strdup(s);
}

static void add_public(void *ctx, const struct kd_pdb_symbol *s)
{
	(void)ctx;
	if (s->name[0] == '?' && strncmp(s->name, "??_C@", 5) != 0 && strlen(s->name) < 4000)
		add(s->name);
}

static void collect(const char *pattern)
{
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct kd_pdb *pdb;
		char err[256];
		if (kd_pdb_open(g.gl_pathv[i], &pdb, err, sizeof err) < 0)
			continue;
		kd_pdb_foreach_public(pdb, add_public, NULL);
		kd_pdb_close(pdb);
	}
	globfree(&g);
}

static void test_against_llvm(void **state)
{
	(void)state;
	char tmp[] = "/tmp/kd-undname-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < nnames; i++)
		fprintf(f, "%s\n", names[i]);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "llvm-undname-14 < %s 2>&1", tmp);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	static char line[16384], want[16384], mine[16384], only[16384];
	size_t i = 0, handled = 0, compared = 0;
	/* llvm-undname echoes each input line, prints the result, then a blank */
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || i >= nnames || strcmp(line, names[i]) != 0)
			continue;
		if (!fgets(want, sizeof want, p))
			break;
		want[strcspn(want, "\n")] = 0;
		int rc = kd_undname(names[i], KD_UNDNAME_FULL, mine, sizeof mine);
		if (strstr(want, "Invalid mangled name")) {
			i++;
			continue;
		}
		compared++;
		if (rc == 0) {
			handled++;
			if (strcmp(mine, want) != 0)
				fail_msg("%s:\n  llvm: %s\n  kd:   %s", names[i], want, mine);
			assert_int_equal(kd_undname(names[i], KD_UNDNAME_NAME_ONLY, only, sizeof only), 0);
			if (!strstr(want, only))
				fail_msg("%s: name '%s' not in '%s'", names[i], only, want);
		} else {
			assert_string_equal(mine, names[i]);
			print_message("not undecorated: %s\n", names[i]);
		}
		i++;
	}
	pclose(p);
	unlink(tmp);
	assert_int_equal(i, nnames);
	print_message("%zu of %zu names undecorated as llvm-undname does\n", handled, compared);
	assert_true(compared > 50);
	assert_true(handled * 100 >= compared * 95);
}

static void test_bad_input(void **state)
{
	(void)state;
	static const char *bad[] = { "", "?", "??", "?x", "?x@", "?x@@", "?x@@Y", "?x@@YA", "?x@@YAX",
	                             "??$", "?x@@3P", "?x@@YAXP6AX", "foo", "?x@@3Y", "?x@@3V" };
	char out[64];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(kd_undname(bad[i], 0, out, sizeof out), KD_EFORMAT);
		assert_string_equal(out, bad[i]);
	}
	/* fuzzer finds, kept as regressions: must fail cleanly */
	static const char *found[] = {
		"?x@@7PRA??_@y@??]?_7PRA??_@y@???_R0A@\276\277R0A@\276\277$\266R$b@",
	};
	for (size_t i = 0; i < sizeof found / sizeof found[0]; i++)
		kd_undname(found[i], 0, out, sizeof out);
	/* a small output buffer truncates, never overflows */
	char tiny[8];
	kd_undname("?SomeCoolFunction@@YAXXZ", 0, tiny, sizeof tiny);
	assert_int_equal(strlen(tiny), 7);
}

int main(void)
{
	if (system("llvm-undname-14 --help >/dev/null 2>&1") != 0) {
		printf("test_undname: llvm-undname-14 not installed, skipping\n");
		return 77;
	}
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		add(extra[i]);
	const char *data = getenv("KD_DATA");
	if (data) {
		char pat[4096];
		snprintf(pat, sizeof pat, "%s/pdb/*.pdb", data);
		collect(pat);
		snprintf(pat, sizeof pat, "%s/pe/*/*.pdb", data);
		collect(pat);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_llvm),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
