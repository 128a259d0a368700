/*
 * The PsLoadedModuleList walker over a target whose memory holds a
 * two-entry KLDR_DATA_TABLE_ENTRY list (x64 and x86 layouts) and, at each
 * DllBase, the headers of a real image from $KD_DATA/pe: names, bases and
 * sizes come from the entries, timestamps from the in-memory PE headers
 * (checked against llvm-readobj-14); a looping list stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/engine/engine.h"
#include "base/error.h"
#include "kd/engine/modlist.h"

static const char *data_dir;

struct region {
	uint64_t addr;
	uint8_t bytes[4096];
};

struct fake {
	struct kd_target t;
	enum kd_machine machine;
	struct region r[8];
	int n;
};

static struct region *region_at(struct fake *f, uint64_t addr)
{
	for (int i = 0; i < f->n; i++)
		if (addr >= f->r[i].addr && addr - f->r[i].addr < sizeof f->r[i].bytes)
			return &f->r[i];
	return NULL;
}

static int fake_read(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	struct fake *f = t->impl;
	*done = 0;
	while (*done < len) {
		struct region *r = region_at(f, addr + *done);
		if (!r)
			break;
		uint64_t off = addr + *done - r->addr;
		uint32_t n = (uint32_t)(sizeof r->bytes - off) < len - *done ? (uint32_t)(sizeof r->bytes - off) : len - *done;
		memcpy((uint8_t *)buf + *done, r->bytes + off, n);
		*done += n;
	}
	return *done ? 0 : KD_EUNREADABLE;
}

static int fake_version(struct kd_target *t, struct kd_version *v)
{
	struct fake *f = t->impl;
	memset(v, 0, sizeof *v);
	v->machine = f->machine;
	v->processors = 1;
	return 0;
}

static void fake_close(struct kd_target *t)
{
	(void)t;
}

static const struct kd_target_ops fake_ops = {
	.kind = "live", .close = fake_close, .version = fake_version, .read_virtual = fake_read,
};

static void put(struct fake *f, uint64_t addr, uint64_t v, unsigned n)
{
	struct region *r = region_at(f, addr);
	assert_non_null(r);
	for (unsigned i = 0; i < n; i++)
		r->bytes[addr - r->addr + i] = (uint8_t)(v >> (8 * i));
}

static void put_ustr(struct fake *f, uint64_t at, unsigned ps, uint64_t buf, const char *s)
{
	size_t l = strlen(s);
	put(f, at, 2 * l, 2);
	put(f, at + 2, 2 * l, 2);
	put(f, at + ps, buf, ps);
	for (size_t i = 0; i < l; i++)
		put(f, buf + 2 * i, (uint8_t)s[i], 2);
}

static void load_headers(struct fake *f, uint64_t base, const char *file)
{
	struct region *r = &f->r[f->n++];
	r->addr = base;
	FILE *fp = fopen(file, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(r->bytes, 1, sizeof r->bytes, fp), sizeof r->bytes);
	fclose(fp);
}

static unsigned long timestamp_of(const char *file)
{
	char cmd[4200], line[512];
	unsigned long ts = 0;
	snprintf(cmd, sizeof cmd, "llvm-readobj-14 --file-headers '%s'", file);
	FILE *p = popen(cmd, "r");
	while (fgets(line, sizeof line, p)) {
		char *x = strstr(line, "TimeDateStamp:");
		if (x && (x = strstr(x, "(0x")) && !ts)
			ts = strtoul(x + 1, NULL, 16);
	}
	pclose(p);
	return ts;
}

static void outfn(void *user, enum kd_output_kind kind, const char *text)
{
	(void)user;
	(void)kind;
	(void)text;
}

static void check(enum kd_machine machine, int loop)
{
	int x64 = machine == KD_MACHINE_AMD64;
	unsigned ps = x64 ? 8 : 4;
	unsigned dll_base = x64 ? 0x30 : 0x18, size_of = x64 ? 0x40 : 0x20;
	unsigned full = x64 ? 0x48 : 0x24, basen = x64 ? 0x58 : 0x2c;
	static struct fake f;
	memset(&f, 0, sizeof f);
	f.t.ops = &fake_ops;
	f.t.impl = &f;
	f.machine = machine;
	uint64_t list = x64 ? 0xfffff80012a00000ull : 0x82a00000ull;
	uint64_t b1 = x64 ? 0xfffff80012600000ull : 0x82600000ull, b2 = x64 ? 0xfffff80015a30000ull : 0x8f400000ull;
	f.r[f.n++].addr = list;
	char img1[4096], img2[4096];
	const char *arch = x64 ? "x64" : "x86";
	snprintf(img1, sizeof img1, "%s/pe/%s/xframe_eh_exe.exe", data_dir, arch);
	snprintf(img2, sizeof img2, "%s/pe/%s/xframe_eh_dll.dll", data_dir, arch);
	load_headers(&f, b1, img1);
	load_headers(&f, b2, img2);
	uint64_t head = list, e1 = list + 0x100, e2 = list + 0x300, strings = list + 0x800;
	put(&f, head, e1, ps);
	put(&f, e1, e2, ps);
	put(&f, e2, loop ? e1 : head, ps);
	put(&f, e1 + dll_base, b1, ps);
	put(&f, e1 + size_of, 0x9000, 4);
	put_ustr(&f, e1 + full, ps, strings, "\\SystemRoot\\system32\\ntoskrnl.exe");
	put_ustr(&f, e1 + basen, ps, strings + 0x100, "ntoskrnl.exe");
	put(&f, e2 + dll_base, b2, ps);
	put(&f, e2 + size_of, 0x8000, 4);
	put_ustr(&f, e2 + full, ps, strings + 0x200, "\\SystemRoot\\system32\\drivers\\xframe_eh_dll.dll");
	put_ustr(&f, e2 + basen, ps, strings + 0x300, "xframe_eh_dll.dll");

	uv_loop_t uvl;
	uv_loop_init(&uvl);
	struct kd_engine *eng = kd_engine_new(&uvl, outfn, NULL);
	assert_int_equal(kd_engine_open_target(eng, &f.t), 0);
	size_t n;
	assert_int_equal(kd_symbols_walk_module_list(eng, head, &n), 0);
	assert_int_equal(n, 2);
	const struct kd_module *m = kd_engine_module_by_name(eng, "nt");
	assert_non_null(m);
	assert_int_equal(m->base, b1);
	assert_int_equal(m->size, 0x9000);
	assert_string_equal(m->path, "\\SystemRoot\\system32\\ntoskrnl.exe");
	assert_int_equal(m->timestamp, timestamp_of(img1));
	m = kd_engine_module_by_name(eng, "xframe_eh_dll");
	assert_non_null(m);
	assert_int_equal(m->base, b2);
	assert_int_equal(m->size, 0x8000);
	assert_int_equal(m->timestamp, timestamp_of(img2));
	kd_engine_free(eng);
	uv_loop_close(&uvl);
}

static void test_x64(void **state)
{
	(void)state;
	check(KD_MACHINE_AMD64, 0);
}

static void test_x86(void **state)
{
	(void)state;
	check(KD_MACHINE_I386, 0);
}

static void test_loop_stops(void **state)
{
	(void)state;
	check(KD_MACHINE_AMD64, 1);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	if (!data_dir || system("llvm-readobj-14 --version >/dev/null 2>&1") != 0) {
		printf("test_pe_modlist: KD_DATA or llvm-readobj-14 missing, skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x64),
		cmocka_unit_test(test_x86),
		cmocka_unit_test(test_loop_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
