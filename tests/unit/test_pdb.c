/*
 * PDB reader tests against real PDBs ($KD_DATA/pdb, $KD_DATA/pe/x86|x64)
 * with llvm-pdbutil-14 as the oracle: summary (GUID, age), publics,
 * section contributions and procedures; plus the clear errors for
 * fuzzed.pdb, a truncated PDB, a stream pointing past the file and the old
 * MSF 2.00 format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "symbols/msf.h"
#include "symbols/pdb.h"

static const char *data_dir;
static const char *pdbutil;

static char **pdbs;
static size_t npdbs;

static void collect(const char *pattern)
{
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (strstr(g.gl_pathv[i], "fuzzed.pdb"))
			continue;
		pdbs = realloc(pdbs, (npdbs + 1) * sizeof *pdbs);
		pdbs[npdbs++] = strdup(g.gl_pathv[i]);
	}
	globfree(&g);
}

static FILE *run(const char *what, const char *path)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "%s dump %s '%s' 2>/dev/null", pdbutil, what, path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	return f;
}

static struct kd_pdb *open_pdb(const char *path)
{
	struct kd_pdb *pdb = NULL;
	char err[256] = "";
	int rc = kd_pdb_open(path, &pdb, err, sizeof err);
	if (rc < 0)
		fail_msg("%s: %s", path, err);
	return pdb;
}

static void test_summary(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++) {
		struct kd_pdb *pdb = open_pdb(pdbs[i]);
		FILE *f = run("-summary", pdbs[i]);
		char line[1024];
		unsigned age = 0, sig = 0;
		char guid[64] = "";
		while (fgets(line, sizeof line, f)) {
			sscanf(line, " Age: %u", &age);
			sscanf(line, " Signature: %u", &sig);
			sscanf(line, " GUID: {%63[^}]}", guid);
		}
		pclose(f);
		const struct kd_pdb_info *info = kd_pdb_get_info(pdb);
		const uint8_t *g = info->guid;
		char mine[64];
		snprintf(mine, sizeof mine, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		         g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11],
		         g[12], g[13], g[14], g[15]);
		assert_string_equal(mine, guid);
		assert_int_equal(info->age, age);
		assert_int_equal(info->signature, sig);
		kd_pdb_close(pdb);
	}
}

static void test_publics(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++) {
		struct kd_pdb *pdb = open_pdb(pdbs[i]);
		FILE *f = run("-publics", pdbs[i]);
		char line[4096], name[4096] = "";
		size_t checked = 0;
		while (fgets(line, sizeof line, f)) {
			char *tick = strstr(line, "S_PUB32 [size = ");
			if (tick && (tick = strchr(tick, '`'))) {
				char *end = strrchr(line, '`');
				if (end > tick) {
					*end = 0;
					snprintf(name, sizeof name, "%s", tick + 1);
				}
				continue;
			}
			unsigned sec, off;
			char *a = strstr(line, "addr = ");
			if (!name[0] || !a || sscanf(a, "addr = %u:%u", &sec, &off) != 2)
				continue;
			struct kd_pdb_symbol s;
			if (kd_pdb_find_public(pdb, name, &s) < 0)
				fail_msg("%s: public %s not found by hash", pdbs[i], name);
			assert_string_equal(s.name, name);
			assert_int_equal(s.section, sec);
			assert_int_equal(s.offset, off);
			assert_int_equal(s.is_function, strstr(line, "function") != NULL);
			name[0] = 0;
			checked++;
		}
		pclose(f);
		assert_true(checked > 0);
		kd_pdb_close(pdb);
	}
}

static void test_section_contribs(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++) {
		struct kd_pdb *pdb = open_pdb(pdbs[i]);
		const struct kd_pdb_contrib *c;
		size_t n, k = 0;
		kd_pdb_contribs(pdb, &c, &n);
		FILE *f = run("-section-contribs", pdbs[i]);
		char line[1024];
		while (fgets(line, sizeof line, f)) {
			unsigned mod, sec, off, size;
			unsigned long dcrc;
			char *p = strstr(line, "| mod = ");
			if (!p || sscanf(p, "| mod = %u, %u:%u, size = %u, data crc = %lu", &mod, &sec, &off,
			                 &size, &dcrc) != 5)
				continue;
			assert_true(k < n);
			assert_int_equal(c[k].module, mod);
			assert_int_equal(c[k].section, sec);
			assert_int_equal(c[k].offset, off);
			assert_int_equal(c[k].size, size);
			assert_int_equal(c[k].data_crc, dcrc);
			k++;
		}
		pclose(f);
		assert_int_equal(k, n);
		kd_pdb_close(pdb);
	}
}

struct proc {
	unsigned sec, off, size;
	char *name;
};

struct procs {
	struct proc *v;
	size_t n;
};

static void push(struct procs *p, unsigned sec, unsigned off, unsigned size, const char *name)
{
	p->v = realloc(p->v, (p->n + 1) * sizeof *p->v);
	p->v[p->n++] = (struct proc){ sec, off, size, strdup(name) };
}

static int proc_cmp(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void add_mine(void *ctx, const struct kd_pdb_symbol *s)
{
	push(ctx, s->section, s->offset, s->size, s->name);
}

static void free_procs(struct procs *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].name);
	free(p->v);
}

static void test_procedures(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++) {
		struct kd_pdb *pdb = open_pdb(pdbs[i]);
		struct procs theirs = { 0 }, mine = { 0 };
		const struct kd_pdb_module *m;
		size_t nm;
		kd_pdb_modules(pdb, &m, &nm);
		for (size_t k = 0; k < nm; k++)
			kd_pdb_foreach_proc(pdb, k, add_mine, &mine);
		FILE *f = run("-modules -symbols", pdbs[i]);
		char line[4096], name[4096] = "";
		while (fgets(line, sizeof line, f)) {
			if (strstr(line, "PROC32") && strstr(line, "[size = ")) {
				char *a = strchr(line, '`'), *b = strrchr(line, '`');
				if (a && b > a) {
					*b = 0;
					snprintf(name, sizeof name, "%s", a + 1);
				}
				continue;
			}
			unsigned sec, off, size;
			char *p = strstr(line, "addr = ");
			if (name[0] && p && sscanf(p, "addr = %u:%u, code size = %u", &sec, &off, &size) == 3)
				push(&theirs, sec, off, size, name);
			name[0] = 0;
		}
		pclose(f);
		assert_int_equal(mine.n, theirs.n);
		qsort(mine.v, mine.n, sizeof *mine.v, proc_cmp);
		qsort(theirs.v, theirs.n, sizeof *theirs.v, proc_cmp);
		for (size_t k = 0; k < mine.n; k++) {
			assert_string_equal(mine.v[k].name, theirs.v[k].name);
			assert_int_equal(mine.v[k].sec, theirs.v[k].sec);
			assert_int_equal(mine.v[k].off, theirs.v[k].off);
			assert_int_equal(mine.v[k].size, theirs.v[k].size);
		}
		free_procs(&mine);
		free_procs(&theirs);
		kd_pdb_close(pdb);
	}
}

/* Every index entry is found again by address, and lookups between
 * entries land on the entry before. */
static void test_address_index(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++) {
		struct kd_pdb *pdb = open_pdb(pdbs[i]);
		const struct kd_pdb_symbol *v;
		size_t n, at;
		assert_int_equal(kd_pdb_symbols(pdb, &v, &n), 0);
		for (size_t k = 0; k < n; k++) {
			if (k)
				assert_true(v[k - 1].rva <= v[k].rva);
			assert_int_equal(kd_pdb_lookup_rva(pdb, v[k].rva, &at), 0);
			assert_int_equal(v[at].rva, v[k].rva);
			if (k + 1 < n && v[k + 1].rva > v[k].rva + 1) {
				assert_int_equal(kd_pdb_lookup_rva(pdb, v[k + 1].rva - 1, &at), 0);
				assert_int_equal(v[at].rva, v[k].rva);
			}
		}
		kd_pdb_close(pdb);
	}
}

/* A procedure found through the globals hash is one of the module
 * procedures of that name (names repeat across overloads and modules). */
static int name_cmp(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->off < y->off ? -1 : x->off > y->off;
}

static void test_globals(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++) {
		struct kd_pdb *pdb = open_pdb(pdbs[i]);
		struct procs mine = { 0 };
		const struct kd_pdb_module *m;
		size_t nm, found = 0;
		kd_pdb_modules(pdb, &m, &nm);
		for (size_t k = 0; k < nm; k++)
			kd_pdb_foreach_proc(pdb, k, add_mine, &mine);
		qsort(mine.v, mine.n, sizeof *mine.v, name_cmp);
		for (size_t k = 0; k < mine.n; k++) {
			struct kd_pdb_symbol g;
			if (kd_pdb_find_global(pdb, mine.v[k].name, &g) < 0 || g.kind != KD_PDB_SYM_PROC)
				continue;
			struct proc key = { g.section, g.offset, 0, (char *)g.name };
			assert_non_null(bsearch(&key, mine.v, mine.n, sizeof key, name_cmp));
			found++;
		}
		assert_true(mine.n == 0 || found > 0);
		free_procs(&mine);
		kd_pdb_close(pdb);
	}
}

static void test_fpo(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/pe/x86/xframe_eh_exe.pdb", data_dir);
	struct kd_pdb *pdb = open_pdb(path);
	const struct kd_pdb_fpo *fpo;
	const struct kd_pdb_frame_data *fd;
	size_t nfpo, nfd;
	kd_pdb_fpo(pdb, &fpo, &nfpo);
	kd_pdb_frame_data(pdb, &fd, &nfd);
	FILE *f = run("-fpo", path);
	char line[4096];
	size_t ko = 0, kn = 0;
	int in_new = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "New FPO Data"))
			in_new = 1;
		unsigned rva, code;
		if (sscanf(line, "%x | %u |", &rva, &code) != 2)
			continue;
		if (!in_new) {
			assert_true(ko < nfpo);
			assert_int_equal(fpo[ko].start, rva);
			assert_int_equal(fpo[ko].proc_size, code);
			ko++;
		} else {
			assert_true(kn < nfd);
			assert_int_equal(fd[kn].rva, rva);
			assert_int_equal(fd[kn].code_size, code);
			const char *prog = kd_pdb_string(pdb, fd[kn].frame_func);
			assert_non_null(prog);
			char *bar = strrchr(line, '|');
			assert_non_null(strstr(bar, prog));
			kn++;
		}
	}
	pclose(f);
	assert_int_equal(ko, nfpo);
	assert_int_equal(kn, nfd);
	assert_true(nfpo > 0 && nfd > 0);
	kd_pdb_close(pdb);
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct stat st;
	fstat(fileno(f), &st);
	void *buf = malloc((size_t)st.st_size);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

static void expect_error(const void *data, size_t len, const char *needle)
{
	struct kd_pdb *pdb = NULL;
	char err[256] = "";
	int rc = kd_pdb_open_mem(data, len, &pdb, err, sizeof err);
	assert_int_equal(rc, KD_EFORMAT);
	assert_null(pdb);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	assert_null(strchr(err, '\n'));
}

static void test_bad_files(void **state)
{
	(void)state;
	char path[4096];
	size_t len;
	struct kd_pdb *pdb = NULL;
	char err[256] = "";
	snprintf(path, sizeof path, "%s/pdb/fuzzed.pdb", data_dir);
	assert_int_equal(kd_pdb_open(path, &pdb, err, sizeof err), KD_EFORMAT);
	assert_true(strlen(err) > 10);

	snprintf(path, sizeof path, "%s/pdb/minimal.pdb", data_dir);
	uint8_t *buf = slurp(path, &len);
	expect_error(buf, len / 2, "truncated");

	/* A stream whose block list points past the file: the block size and
	 * block map address come from the superblock (MSF 7.00 layout). */
	uint32_t bs, map, nblocks;
	memcpy(&bs, buf + 32, 4);
	memcpy(&nblocks, buf + 40, 4);
	memcpy(&map, buf + 52, 4);
	uint32_t dir_block;
	memcpy(&dir_block, buf + (size_t)map * bs, 4);
	uint8_t *dir = buf + (size_t)dir_block * bs;
	uint32_t nstreams;
	memcpy(&nstreams, dir, 4);
	/* the first block number of the first non-empty stream */
	size_t off = 4 + 4 * (size_t)nstreams;
	uint32_t bad = nblocks + 100;
	memcpy(dir + off, &bad, 4);
	expect_error(buf, len, "past the end");
	free(buf);

	static const char old[] = "Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0 and some more bytes";
	expect_error(old, sizeof old, "2.00");
	expect_error("hello", 5, "not a PDB");
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	if (!data_dir) {
		printf("test_pdb: KD_DATA not set, skipping\n");
		return 77;
	}
	pdbutil = access("/usr/bin/llvm-pdbutil-14", X_OK) == 0 ? "/usr/bin/llvm-pdbutil-14" :
	          access("/usr/lib/llvm-14/bin/llvm-pdbutil", X_OK) == 0 ? "/usr/lib/llvm-14/bin/llvm-pdbutil" : NULL;
	if (!pdbutil) {
		printf("test_pdb: llvm-pdbutil-14 not installed, skipping\n");
		return 77;
	}
	char pat[4096];
	snprintf(pat, sizeof pat, "%s/pdb/*.pdb", data_dir);
	collect(pat);
	snprintf(pat, sizeof pat, "%s/pe/*/*.pdb", data_dir);
	collect(pat);
	if (npdbs == 0) {
		printf("test_pdb: no PDBs under %s, skipping\n", data_dir);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_publics),
		cmocka_unit_test(test_section_contribs),
		cmocka_unit_test(test_procedures),
		cmocka_unit_test(test_address_index),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_fpo),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
