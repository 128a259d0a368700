/*
 * The symbols layer inside an engine: a PE image opened as a target
 * (kd_image_target_open), symbols attached with a symbol path, and the
 * commands lm/lmv, x, ln, .sympath, .reload run through kd_execute. The
 * expected addresses come from llvm-pdbutil-14 and llvm-readobj-14.
 * Also: a PDB with the wrong GUID is refused, the symbol-store layout is
 * searched, and images without a PDB fall back to exports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kd/engine/engine.h"
#include "kd/commands/command.h"
#include "kd/targets/image_target.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"
#include "kd/engine/symbols.h"

static const char *data_dir;

struct out {
	char *buf;
	size_t len;
};

static void on_output(void *user, enum kd_output_kind kind, const char *text)
{
	(void)kind;
	struct out *o = user;
	size_t l = strlen(text);
	o->buf = realloc(o->buf, o->len + l + 1);
	memcpy(o->buf + o->len, text, l + 1);
	o->len += l;
}

struct session {
	uv_loop_t loop;
	struct kd_engine *eng;
	struct out out;
};

static void open_session(struct session *s, const char *image, const char *sympath)
{
	memset(s, 0, sizeof *s);
	uv_loop_init(&s->loop);
	s->eng = kd_engine_new(&s->loop, on_output, &s->out);
	assert_non_null(s->eng);
	struct kd_target *t;
	char err[256];
	if (kd_image_target_open(image, &t, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(kd_engine_open_target(s->eng, t), 0);
	assert_int_equal(kd_symbols_attach(s->eng, sympath), 0);
}

static const char *run(struct session *s, const char *cmd)
{
	s->out.len = 0;
	if (s->out.buf)
		s->out.buf[0] = 0;
	kd_execute(s->eng, cmd);
	return s->out.buf ? s->out.buf : "";
}

static void close_session(struct session *s)
{
	kd_engine_free(s->eng);
	uv_loop_close(&s->loop);
	free(s->out.buf);
}

/* Oracle: RVA of procedure `name` from llvm-pdbutil + llvm-readobj. */
static uint32_t oracle_rva(const char *image, const char *pdb, const char *name)
{
	char cmd[8192], line[4096];
	unsigned sec = 0, off = 0;
	snprintf(cmd, sizeof cmd, "llvm-pdbutil-14 dump -symbols '%s' 2>/dev/null", pdb);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int want = 0;
	char tick[600];
	snprintf(tick, sizeof tick, "`%s`", name);
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "S_GPROC32") && strstr(line, tick)) {
			want = 1;
			continue;
		}
		char *a = strstr(line, "addr = ");
		if (want && a && sscanf(a, "addr = %u:%u", &sec, &off) == 2)
			break;
		want = 0;
	}
	pclose(f);
	assert_true(sec > 0);
	snprintf(cmd, sizeof cmd, "llvm-readobj-14 --sections '%s' 2>/dev/null", image);
	f = popen(cmd, "r");
	unsigned k = 0, rva = 0, v;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "Section {"))
			k++;
		if (k == sec && sscanf(line, " VirtualAddress: 0x%x", &v) == 1)
			rva = v;
	}
	pclose(f);
	assert_true(rva > 0);
	return rva + off;
}

static void check_image(const char *arch)
{
	char image[4096], pdb[4096], dir[2048], cmd[4200], want[8192];
	snprintf(dir, sizeof dir, "%s/pe/%s", data_dir, arch);
	snprintf(image, sizeof image, "%s/xframe_eh_exe.exe", dir);
	snprintf(pdb, sizeof pdb, "%s/xframe_eh_exe.pdb", dir);
	struct session s;
	open_session(&s, image, dir);
	const struct kd_module *m = kd_engine_module_by_name(s.eng, "xframe_eh_exe");
	assert_non_null(m);
	uint64_t main_addr = m->base + oracle_rva(image, pdb, "main");
	char a[20], b[20];

	const char *o = run(&s, "lmv m xframe_eh_exe");
	assert_non_null(strstr(o, "module name\n"));
	snprintf(want, sizeof want, "%s %s   xframe_eh_exe   (pdb symbols)          %s\n",
	         kd_format_addr(s.eng, m->base, a), kd_format_addr(s.eng, m->base + m->size, b), pdb);
	if (!strstr(o, want))
		fail_msg("lmv:\n%s\nwanted:\n%s", o, want);
	assert_non_null(strstr(o, "    Image name: xframe_eh_exe.exe\n"));
	snprintf(want, sizeof want, "    ImageSize:        %08X\n", m->size);
	assert_non_null(strstr(o, want));

	o = run(&s, "x xframe_eh_exe!*main*");
	snprintf(want, sizeof want, "%s xframe_eh_exe!main (", kd_format_addr(s.eng, main_addr, a));
	if (!strstr(o, want))
		fail_msg("x:\n%s\nwanted: %s", o, want);
	/* every line matches the pattern */
	for (const char *l = o; *l; l = strchr(l, '\n') + 1) {
		const char *bang = strchr(l, '!');
		assert_non_null(bang);
		assert_true(strstr(bang, "main") || strstr(bang, "Main") || strstr(bang, "MAIN"));
		if (!strchr(l, '\n'))
			break;
	}

	snprintf(cmd, sizeof cmd, "ln %" PRIx64 "+5", main_addr);
	o = run(&s, cmd);
	snprintf(want, sizeof want, "(%s)   xframe_eh_exe!main+0x5   |  (", kd_format_addr(s.eng, main_addr, a));
	if (strncmp(o, want, strlen(want)) != 0)
		fail_msg("ln:\n%s\nwanted: %s", o, want);
	assert_null(strstr(o, "Exact matches:"));

	snprintf(cmd, sizeof cmd, "ln %" PRIx64, main_addr);
	o = run(&s, cmd);
	assert_non_null(strstr(o, "Exact matches:\n    xframe_eh_exe!main ("));

	char sym[256];
	assert_int_equal(kd_format_symbol(s.eng, main_addr + 5, sym, sizeof sym), 0);
	assert_string_equal(sym, "xframe_eh_exe!main+0x5");
	uint64_t v;
	assert_int_equal(kd_resolve_symbol(s.eng, "xframe_eh_exe!main", &v), 0);
	assert_int_equal(v, main_addr);
	assert_int_equal(kd_resolve_symbol(s.eng, "main", &v), 0);
	assert_int_equal(v, main_addr);

	/* The stack walkers' view: image and PDB of the module at main. */
	struct kd_pe *ipe;
	struct kd_pdb *ipdb;
	uint64_t ibase;
	assert_int_equal(kd_symbols_image_at(s.eng, main_addr, &ipe, &ipdb, &ibase), 0);
	assert_int_equal(ibase, m->base);
	assert_non_null(ipe);
	assert_non_null(ipdb);
	struct kd_pe_runtime_function rf;
	if (kd_pe_get_info(ipe)->machine == 0x8664) {
		assert_int_equal(kd_pe_runtime_function_at(ipe, (uint32_t)(main_addr + 5 - m->base), &rf), 0);
		assert_int_equal(rf.begin, main_addr - m->base);
	}

	/* The image's bytes at main are the file's .text bytes. */
	uint8_t mem[16];
	size_t done;
	assert_int_equal(kd_read_virtual(s.eng, main_addr, mem, sizeof mem, &done), 0);
	assert_int_equal(done, sizeof mem);
	struct kd_pe *pe;
	char err[256];
	assert_int_equal(kd_pe_open_file(image, &pe, err, sizeof err), 0);
	uint8_t file[16];
	assert_int_equal(kd_pe_read_rva(pe, (uint32_t)(main_addr - m->base), file, sizeof file), 0);
	assert_memory_equal(mem, file, sizeof mem);
	kd_pe_close(pe);
	assert_true(kd_read_virtual(s.eng, m->base + m->size + 0x1000, mem, 4, &done) < 0 || done == 0);

	o = run(&s, ".sympath");
	snprintf(want, sizeof want, "Symbol search path is: %s\n", dir);
	assert_non_null(strstr(o, want));
	o = run(&s, ".reload /f xframe_eh_exe; lm");
	assert_non_null(strstr(o, "(pdb symbols)"));
	close_session(&s);
}

/* The first output line of cmd containing needle, "" when none. */
static void oracle_line(const char *cmd, const char *needle, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char line[4096];
	out[0] = 0;
	while (fgets(line, sizeof line, f))
		if (!out[0] && strstr(line, needle))
			snprintf(out, n, "%s", line);
	pclose(f);
}

static void check_dt(void)
{
	char image[4096], dir[2048], want[8192], cmd[8192], line[4096];
	snprintf(dir, sizeof dir, "%s/pe/x64", data_dir);
	snprintf(image, sizeof image, "%s/xframe_eh_exe.exe", dir);
	FILE *f = fopen(image, "rb");
	assert_non_null(f);
	uint8_t hdr[1024];
	assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
	fclose(f);
	uint32_t lfanew = hdr[0x3c] | hdr[0x3d] << 8 | hdr[0x3e] << 16 | (uint32_t)hdr[0x3f] << 24;
	assert_true(lfanew + 6 < sizeof hdr);
	struct session s;
	open_session(&s, image, dir);
	const struct kd_module *m = kd_engine_module_by_name(s.eng, "xframe_eh_exe");

	snprintf(cmd, sizeof cmd, "dt xframe_eh_exe!_IMAGE_DOS_HEADER %" PRIx64, m->base);
	const char *o = run(&s, cmd);
	snprintf(want, sizeof want, "   +0x000 e_magic          : 0x%x\n", hdr[0] | hdr[1] << 8);
	if (strncmp(o, want, strlen(want)) != 0)
		fail_msg("dt:\n%s\nwanted first: %s", o, want);
	snprintf(want, sizeof want, "   +0x03c e_lfanew         : 0n%u\n", lfanew);
	assert_non_null(strstr(o, want));

	snprintf(cmd, sizeof cmd, "dt -r xframe_eh_exe!_IMAGE_NT_HEADERS64.FileHeader %" PRIx64, m->base + lfanew);
	o = run(&s, cmd);
	snprintf(want, sizeof want, "   +0x004 FileHeader       : _IMAGE_FILE_HEADER\n"
	         "      +0x000 Machine          : 0x%x\n", hdr[lfanew + 4] | hdr[lfanew + 5] << 8);
	if (strncmp(o, want, strlen(want)) != 0)
		fail_msg("dt:\n%s\nwanted: %s", o, want);

	/* A character array shows its text: the first section's name. */
	uint32_t opt = hdr[lfanew + 20] | hdr[lfanew + 21] << 8, sec = lfanew + 24 + opt;
	assert_true(sec + 8 < sizeof hdr);
	snprintf(cmd, sizeof cmd, "dt xframe_eh_exe!_IMAGE_SECTION_HEADER %" PRIx64, m->base + sec);
	o = run(&s, cmd);
	snprintf(want, sizeof want, "   +0x000 Name             : [8]  \"%.8s\"\n", (const char *)hdr + sec);
	if (strncmp(o, want, strlen(want)) != 0)
		fail_msg("dt:\n%s\nwanted: %s", o, want);

	/* A bitfield: llvm-pdbutil names its type record and position. */
	snprintf(cmd, sizeof cmd, "llvm-pdbutil-14 dump -types '%s/xframe_eh_exe.pdb'", dir);
	oracle_line(cmd, "LF_MEMBER [name = `IOC`", line, sizeof line);
	unsigned ti, pos, bits;
	char *t = strstr(line, "Type = 0x");
	assert_non_null(t);
	assert_int_equal(sscanf(t, "Type = 0x%x", &ti), 1);
	snprintf(cmd, sizeof cmd, "llvm-pdbutil-14 dump -type-index=0x%x '%s/xframe_eh_exe.pdb'", ti, dir);
	oracle_line(cmd, "bit offset = ", line, sizeof line);
	t = strstr(line, "bit offset = ");
	assert_non_null(t);
	assert_int_equal(sscanf(t, "bit offset = %u, # bits = %u", &pos, &bits), 2);
	o = run(&s, "dt _ARM64_FPSR_REG");
	assert_non_null(strstr(o, "xframe_eh_exe!_ARM64_FPSR_REG\n"));
	snprintf(want, sizeof want, "   +0x000 IOC              : Pos %u, %u Bit%s\n", pos, bits, bits == 1 ? "" : "s");
	if (!strstr(o, want))
		fail_msg("dt:\n%s\nwanted: %s", o, want);

	o = run(&s, "dt nosuchtype_xyz");
	assert_non_null(strstr(o, "Symbol nosuchtype_xyz not found."));
	close_session(&s);
}

static void test_x64(void **state)
{
	(void)state;
	check_image("x64");
	check_dt();
}

static void test_x86(void **state)
{
	(void)state;
	check_image("x86");
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* The x86 PDB renamed as the x64 image's: same name, wrong GUID. */
static void test_mismatched_pdb_refused(void **state)
{
	(void)state;
	char tmp[] = "/tmp/kd-sym-XXXXXX", path[4200], from[4200];
	assert_non_null(mkdtemp(tmp));
	snprintf(from, sizeof from, "%s/pe/x64/xframe_eh_dll.dll", data_dir);
	snprintf(path, sizeof path, "%s/xframe_eh_dll.dll", tmp);
	copy_file(from, path);
	snprintf(from, sizeof from, "%s/pe/x86/xframe_eh_dll.pdb", data_dir);
	snprintf(path, sizeof path, "%s/xframe_eh_dll.pdb", tmp);
	copy_file(from, path);
	struct session s;
	snprintf(path, sizeof path, "%s/xframe_eh_dll.dll", tmp);
	open_session(&s, path, tmp);
	const char *o = run(&s, "!sym noisy; .reload /f; lm");
	assert_non_null(strstr(o, "mismatched pdb"));
	assert_non_null(strstr(o, "xframe_eh_dll   (export symbols)       xframe_eh_dll.dll"));
	/* exports name addresses: the oracle is llvm-readobj's export list */
	char cmd[20000], line[1024], name[256] = "";
	unsigned rva = 0;
	snprintf(cmd, sizeof cmd, "llvm-readobj-14 --coff-exports '%s'", path);
	FILE *f = popen(cmd, "r");
	while (fgets(line, sizeof line, f)) {
		sscanf(line, " Name: %255s", name);
		if (sscanf(line, " RVA: 0x%x", &rva) == 1)
			break;
	}
	pclose(f);
	assert_true(name[0] && rva);
	const struct kd_module *m = kd_engine_module(s.eng, 0);
	char expr[300], sym[300];
	uint64_t v;
	snprintf(expr, sizeof expr, "xframe_eh_dll!%s", name);
	assert_int_equal(kd_resolve_symbol(s.eng, expr, &v), 0);
	assert_int_equal(v, m->base + rva);
	assert_int_equal(kd_format_symbol(s.eng, m->base + rva + 2, sym, sizeof sym), 0);
	snprintf(expr, sizeof expr, "xframe_eh_dll!%s+0x2", name);
	assert_string_equal(sym, expr);
	close_session(&s);

	/* The right PDB in a symbol store (name/GUIDAGE/name) is found. */
	struct kd_pe *pe;
	char err[256], key[48], store[4200];
	snprintf(from, sizeof from, "%s/pe/x64/xframe_eh_dll.dll", data_dir);
	assert_int_equal(kd_pe_open_file(from, &pe, err, sizeof err), 0);
	kd_pdb_guid_age_string(kd_pe_get_info(pe)->guid, kd_pe_get_info(pe)->age, key);
	kd_pe_close(pe);
	snprintf(store, sizeof store, "%s/store/xframe_eh_dll.pdb/%s", tmp, key);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/pe/x64/xframe_eh_dll.pdb' '%s/' && rm '%s/xframe_eh_dll.pdb'",
	         store, data_dir, store, tmp);
	assert_int_equal(system(cmd), 0);
	snprintf(store, sizeof store, "srv*%s/store", tmp);
	open_session(&s, path, store);
	o = run(&s, "lmv m xframe_eh_dll");
	assert_non_null(strstr(o, "(pdb symbols)"));
	assert_non_null(strstr(o, key));
	close_session(&s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	if (!data_dir) {
		printf("test_pdb_engine: KD_DATA not set, skipping\n");
		return 77;
	}
	if (system("llvm-pdbutil-14 --version >/dev/null 2>&1") != 0 ||
	    system("llvm-readobj-14 --version >/dev/null 2>&1") != 0) {
		printf("test_pdb_engine: llvm-pdbutil-14/llvm-readobj-14 not installed, skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x64),
		cmocka_unit_test(test_x86),
		cmocka_unit_test(test_mismatched_pdb_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
