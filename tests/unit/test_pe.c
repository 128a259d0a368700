/*
 * PE image reader tests on the real images of $KD_DATA/pe with
 * llvm-readobj-14 as the oracle: file headers, sections, the RSDS record,
 * exports and the x64 .pdata table; the RSDS GUID/age must equal the PDB
 * beside each image; reading through a mapped-layout callback gives the
 * same answers as the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"

static const char *data_dir;
static const char *readobj;
static char **images;
static size_t nimages;

static void collect(const char *pattern)
{
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (strstr(g.gl_pathv[i], ".pdb"))
			continue;
		images = realloc(images, (nimages + 1) * sizeof *images);
		images[nimages++] = strdup(g.gl_pathv[i]);
	}
	globfree(&g);
}

static FILE *run(const char *what, const char *path)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "%s %s '%s' 2>/dev/null", readobj, what, path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	return f;
}

static struct kd_pe *open_pe(const char *path)
{
	struct kd_pe *pe = NULL;
	char err[256] = "";
	if (kd_pe_open_file(path, &pe, err, sizeof err) < 0)
		fail_msg("%s", err);
	return pe;
}

static void test_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < nimages; i++) {
		struct kd_pe *pe = open_pe(images[i]);
		const struct kd_pe_info *info = kd_pe_get_info(pe);
		FILE *f = run("--file-headers --coff-debug-directory", images[i]);
		char line[4096];
		unsigned long long v;
		unsigned g[16];
		int seen_guid = 0, first_ts = 1;
		while (fgets(line, sizeof line, f)) {
			char *p;
			if ((p = strstr(line, "Machine: ")) && (p = strstr(p, "(0x")) && sscanf(p, "(0x%llx", &v) == 1)
				assert_int_equal(info->machine, v);
			if ((p = strstr(line, "TimeDateStamp: ")) && first_ts && (p = strstr(p, "(0x")) &&
			    sscanf(p, "(0x%llx", &v) == 1) {
				assert_int_equal(info->timestamp, v);
				first_ts = 0;
			}
			if (sscanf(line, " ImageBase: 0x%llx", &v) == 1)
				assert_int_equal(info->image_base, v);
			if (sscanf(line, " SizeOfImage: %llu", &v) == 1)
				assert_int_equal(info->image_size, v);
			if (sscanf(line, " AddressOfEntryPoint: 0x%llx", &v) == 1)
				assert_int_equal(info->entry_rva, v);
			if (sscanf(line, " CheckSum: 0x%llx", &v) == 1)
				assert_int_equal(info->checksum, v);
			if (sscanf(line, " PDBGUID: (%x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x", &g[0], &g[1],
			           &g[2], &g[3], &g[4], &g[5], &g[6], &g[7], &g[8], &g[9], &g[10], &g[11], &g[12],
			           &g[13], &g[14], &g[15]) == 16) {
				assert_true(info->has_rsds);
				for (int k = 0; k < 16; k++)
					assert_int_equal(info->guid[k], g[k]);
				seen_guid = 1;
			}
			if (sscanf(line, " PDBAge: %llu", &v) == 1)
				assert_int_equal(info->age, v);
			if ((p = strstr(line, "PDBFileName: "))) {
				p += strlen("PDBFileName: ");
				p[strcspn(p, "\n")] = 0;
				assert_string_equal(info->pdb_name, p);
			}
		}
		pclose(f);
		assert_int_equal(seen_guid, info->has_rsds);
		kd_pe_close(pe);
	}
}

static void test_sections(void **state)
{
	(void)state;
	for (size_t i = 0; i < nimages; i++) {
		struct kd_pe *pe = open_pe(images[i]);
		const struct kd_pe_section *s;
		size_t n, k = 0;
		kd_pe_sections(pe, &s, &n);
		FILE *f = run("--sections", images[i]);
		char line[4096];
		unsigned long long v;
		while (fgets(line, sizeof line, f)) {
			if (strstr(line, "Section {"))
				k++;
			if (!k)
				continue;
			assert_true(k <= n);
			if (sscanf(line, " VirtualSize: 0x%llx", &v) == 1)
				assert_int_equal(s[k - 1].virtual_size, v);
			if (sscanf(line, " VirtualAddress: 0x%llx", &v) == 1)
				assert_int_equal(s[k - 1].rva, v);
			if (sscanf(line, " PointerToRawData: 0x%llx", &v) == 1)
				assert_int_equal(s[k - 1].raw_ptr, v);
		}
		pclose(f);
		assert_int_equal(k, n);
		kd_pe_close(pe);
	}
}

static void test_exports(void **state)
{
	(void)state;
	for (size_t i = 0; i < nimages; i++) {
		struct kd_pe *pe = open_pe(images[i]);
		const struct kd_pe_export *e;
		size_t n, seen = 0;
		assert_int_equal(kd_pe_exports(pe, &e, &n), 0);
		FILE *f = run("--coff-exports", images[i]);
		char line[4096], name[1024] = "";
		unsigned long long ord = 0, rva;
		while (fgets(line, sizeof line, f)) {
			sscanf(line, " Ordinal: %llu", &ord);
			if (sscanf(line, " Name: %1023s", name) == 1)
				continue;
			if (sscanf(line, " RVA: 0x%llx", &rva) != 1)
				continue;
			const struct kd_pe_export *x;
			assert_int_equal(kd_pe_export_by_name(pe, name, &x), 0);
			assert_int_equal(x->rva, rva);
			assert_int_equal(x->ordinal, ord);
			size_t at;
			assert_int_equal(kd_pe_export_by_rva(pe, (uint32_t)rva, &at), 0);
			assert_int_equal(e[at].rva, rva);
			seen++;
		}
		pclose(f);
		assert_int_equal(seen, n);
		kd_pe_close(pe);
	}
}

static void test_pdata(void **state)
{
	(void)state;
	for (size_t i = 0; i < nimages; i++) {
		struct kd_pe *pe = open_pe(images[i]);
		const struct kd_pe_info *info = kd_pe_get_info(pe);
		const struct kd_pe_runtime_function *rf;
		size_t n, k = 0;
		assert_int_equal(kd_pe_runtime_functions(pe, &rf, &n), 0);
		FILE *f = run("--unwind", images[i]);
		char line[4096];
		unsigned long long start = 0, end = 0, unwind;
		while (fgets(line, sizeof line, f)) {
			sscanf(line, " StartAddress: (0x%llx", &start);
			sscanf(line, " EndAddress: (0x%llx", &end);
			if (sscanf(line, " UnwindInfoAddress: (0x%llx", &unwind) != 1)
				continue;
			uint32_t b = (uint32_t)(start - info->image_base), e = (uint32_t)(end - info->image_base);
			struct kd_pe_runtime_function r;
			assert_int_equal(kd_pe_runtime_function_at(pe, b, &r), 0);
			assert_int_equal(r.begin, b);
			assert_int_equal(r.end, e);
			assert_int_equal(r.unwind_info, unwind - info->image_base);
			assert_int_equal(kd_pe_runtime_function_at(pe, e - 1, &r), 0);
			assert_int_equal(r.begin, b);
			/* .xdata: UNWIND_INFO starts with version 1 or 2 */
			uint8_t x[4];
			assert_int_equal(kd_pe_read_rva(pe, r.unwind_info, x, sizeof x), 0);
			assert_true((x[0] & 7) == 1 || (x[0] & 7) == 2);
			k++;
		}
		pclose(f);
		assert_int_equal(k, n);
		if (info->machine == 0x8664 && strstr(images[i], "/x64/"))
			assert_true(n > 0);
		kd_pe_close(pe);
	}
}

/* The PDB next to an image (same base name) matches its RSDS record. */
static void test_rsds_matches_pdb(void **state)
{
	(void)state;
	size_t matched = 0;
	for (size_t i = 0; i < nimages; i++) {
		char pdbpath[4096];
		snprintf(pdbpath, sizeof pdbpath, "%s", images[i]);
		char *dot = strrchr(pdbpath, '.');
		strcpy(dot, ".pdb");
		if (access(pdbpath, R_OK) != 0)
			continue;
		struct kd_pe *pe = open_pe(images[i]);
		struct kd_pdb *pdb;
		char err[256];
		assert_int_equal(kd_pdb_open(pdbpath, &pdb, err, sizeof err), 0);
		const struct kd_pe_info *info = kd_pe_get_info(pe);
		assert_true(info->has_rsds);
		assert_memory_equal(info->guid, kd_pdb_get_info(pdb)->guid, 16);
		assert_int_equal(info->age, kd_pdb_get_info(pdb)->age);
		/* and the PDB's section headers are the image's */
		const struct kd_pdb_section *ps;
		const struct kd_pe_section *es;
		size_t pn, en;
		kd_pdb_sections(pdb, &ps, &pn);
		kd_pe_sections(pe, &es, &en);
		assert_int_equal(pn, en);
		for (size_t k = 0; k < pn; k++)
			assert_int_equal(ps[k].rva, es[k].rva);
		kd_pdb_close(pdb);
		kd_pe_close(pe);
		matched++;
	}
	assert_true(matched > 0);
}

/* A mapped copy (what target memory holds) read through the callback. */
struct mapped {
	uint8_t *bytes;
	size_t len;
};

static int mapped_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mapped *m = ctx;
	if (off > m->len || len > m->len - off)
		return KD_EUNREADABLE;
	memcpy(buf, m->bytes + off, len);
	return 0;
}

static void test_mapped_layout(void **state)
{
	(void)state;
	for (size_t i = 0; i < nimages; i++) {
		struct kd_pe *pe = open_pe(images[i]);
		const struct kd_pe_info *info = kd_pe_get_info(pe);
		struct mapped m = { calloc(1, info->image_size), info->image_size };
		kd_pe_read_rva(pe, 0, m.bytes, info->headers_size);
		const struct kd_pe_section *s;
		size_t n;
		kd_pe_sections(pe, &s, &n);
		for (size_t k = 0; k < n; k++) {
			size_t len = s[k].raw_size < s[k].virtual_size ? s[k].raw_size : s[k].virtual_size;
			if (s[k].rva + len <= m.len)
				kd_pe_read_rva(pe, s[k].rva, m.bytes + s[k].rva, len);
		}
		struct kd_pe *mp;
		char err[256];
		assert_int_equal(kd_pe_open_read(mapped_read, &m, KD_PE_MAPPED, &mp, err, sizeof err), 0);
		const struct kd_pe_info *mi = kd_pe_get_info(mp);
		assert_int_equal(mi->has_rsds, info->has_rsds);
		assert_memory_equal(mi->guid, info->guid, 16);
		assert_string_equal(mi->pdb_name, info->pdb_name);
		const struct kd_pe_export *e1, *e2;
		size_t n1, n2;
		kd_pe_exports(pe, &e1, &n1);
		kd_pe_exports(mp, &e2, &n2);
		assert_int_equal(n1, n2);
		for (size_t k = 0; k < n1; k++) {
			assert_int_equal(e1[k].rva, e2[k].rva);
			if (e1[k].name)
				assert_string_equal(e1[k].name, e2[k].name);
		}
		kd_pe_close(mp);
		kd_pe_close(pe);
		free(m.bytes);
	}
}

static void test_bad_images(void **state)
{
	(void)state;
	struct kd_pe *pe = NULL;
	char err[256] = "";
	assert_int_equal(kd_pe_open_mem("hello", 5, &pe, err, sizeof err), KD_EFORMAT);
	assert_non_null(strstr(err, "not a PE"));
	uint8_t buf[512] = { 'M', 'Z' };
	buf[60] = 0x80;
	memcpy(buf + 0x80, "PE\0\0", 4);
	assert_int_equal(kd_pe_open_mem(buf, sizeof buf, &pe, err, sizeof err), KD_EFORMAT);
	assert_null(pe);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	if (!data_dir) {
		printf("test_pe: KD_DATA not set, skipping\n");
		return 77;
	}
	readobj = access("/usr/bin/llvm-readobj-14", X_OK) == 0 ? "/usr/bin/llvm-readobj-14" :
	          access("/usr/lib/llvm-14/bin/llvm-readobj", X_OK) == 0 ? "/usr/lib/llvm-14/bin/llvm-readobj" : NULL;
	if (!readobj) {
		printf("test_pe: llvm-readobj-14 not installed, skipping\n");
		return 77;
	}
	char pat[4096];
	snprintf(pat, sizeof pat, "%s/pe/*/*.*", data_dir);
	collect(pat);
	snprintf(pat, sizeof pat, "%s/pe/*.sys", data_dir);
	collect(pat);
	if (!nimages) {
		printf("test_pe: no images under %s/pe, skipping\n", data_dir);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_pdata),
		cmocka_unit_test(test_rsds_matches_pdb),
		cmocka_unit_test(test_mapped_layout),
		cmocka_unit_test(test_bad_images),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
