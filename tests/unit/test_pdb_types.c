/*
 * TPI type records against llvm-pdbutil-14 dump -types for every PDB
 * under $KD_DATA: structure/union/enum names and sizes, forward references
 * resolved to the same definition, field lists (members with type and
 * offset, base classes, enumerates), bitfields, arrays and pointers, and
 * lookup by name through the TPI hash.
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

#include "base/error.h"
#include "symbols/pdb.h"
#include "symbols/types.h"

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

struct item {
	char name[256];
	int64_t value;   /* offset or enumerate value */
	uint32_t type;
	int kind;        /* 0 member, 1 enumerate, 2 base */
};

struct list {
	uint32_t index;
	struct item *v;
	size_t n;
	int has_index;
};

struct udt {
	uint32_t index, fields, fwd_to;
	int forward;
	uint64_t size;
	char name[4096];
	int is_enum;
};

struct oracle {
	struct list *lists;
	size_t nlists;
	struct udt *udts;
	size_t nudts;
};

static struct list *list_of(struct oracle *o, uint32_t index)
{
	for (size_t i = 0; i < o->nlists; i++)
		if (o->lists[i].index == index)
			return &o->lists[i];
	return NULL;
}

struct mine {
	struct item *v;
	size_t n;
};

static int take(void *ctx, const struct kd_type_field *f)
{
	struct mine *m = ctx;
	if (f->is_static)
		return 0;
	m->v = realloc(m->v, (m->n + 1) * sizeof *m->v);
	struct item *it = &m->v[m->n++];
	memset(it, 0, sizeof *it);
	snprintf(it->name, sizeof it->name, "%s", f->name);
	it->type = f->type;
	it->kind = f->is_base ? 2 : 0;
	it->value = (int64_t)f->offset;
	return 0;
}

static void check_pdb(const char *path)
{
	struct kd_pdb *pdb;
	char err[256];
	assert_int_equal(kd_pdb_open(path, &pdb, err, sizeof err), 0);
	struct kd_types *t;
	if (kd_types_open(pdb, &t) < 0) {
		kd_pdb_close(pdb);
		return;
	}
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "llvm-pdbutil-14 dump -types '%s' 2>/dev/null", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	static char line[65536];
	struct oracle o = { 0 };
	uint32_t cur = 0;
	char kind[64] = "";
	size_t checked = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned idx;
		char k[64];
		if (sscanf(line, " 0x%x | %63s", &idx, k) == 2 && strncmp(k, "LF_", 3) == 0) {
			cur = idx;
			snprintf(kind, sizeof kind, "%s", k);
			if (!strcmp(k, "LF_STRUCTURE") || !strcmp(k, "LF_CLASS") || !strcmp(k, "LF_UNION") ||
			    !strcmp(k, "LF_ENUM") || !strcmp(k, "LF_INTERFACE")) {
				o.udts = realloc(o.udts, (o.nudts + 1) * sizeof *o.udts);
				struct udt *u = &o.udts[o.nudts++];
				memset(u, 0, sizeof *u);
				u->index = idx;
				u->is_enum = !strcmp(k, "LF_ENUM");
				char *a = strchr(line, '`'), *b = strrchr(line, '`');
				if (a && b > a)
					snprintf(u->name, sizeof u->name, "%.*s", (int)(b - a - 1), a + 1);
			}
			if (!strcmp(k, "LF_FIELDLIST")) {
				o.lists = realloc(o.lists, (o.nlists + 1) * sizeof *o.lists);
				o.lists[o.nlists++] = (struct list){ idx, NULL, 0, 0 };
			}
			continue;
		}
		struct kd_type_info info;
		unsigned a1, a2, a3;
		char *p;
		if (!strcmp(kind, "LF_FIELDLIST")) {
			struct list *l = &o.lists[o.nlists - 1];
			struct item it = { 0 };
			long long v;
			if ((p = strstr(line, "- LF_MEMBER [name = `"))) {
				char *e = strstr(p, "`, Type = ");
				if (!e)
					continue;
				snprintf(it.name, sizeof it.name, "%.*s", (int)(e - p - 21), p + 21);
				if (sscanf(e, "`, Type = 0x%x", &a1) != 1) {
					assert_non_null(strstr(e, "<no type>"));
					a1 = 0;
				}
				char *off = strstr(e, ", offset = ");
				assert_non_null(off);
				assert_int_equal(sscanf(off, ", offset = %lld", &v), 1);
				it.type = a1;
				it.value = v;
			} else if ((p = strstr(line, "- LF_ENUMERATE ["))) {
				char *eq = strrchr(line, '=');
				snprintf(it.name, sizeof it.name, "%.*s", (int)(eq - p - 17), p + 16);
				const char *num = eq + 2;
				it.value = *num == '-' ? strtoll(num, NULL, 10) : (int64_t)strtoull(num, NULL, 10);
				it.kind = 1;
			} else if (strstr(line, "- LF_BCLASS")) {
				if (!fgets(line, sizeof line, f))
					break;
				if (sscanf(line, " type = 0x%x, offset = %lld", &a1, &v) != 2)
					fail_msg("%s: unexpected base class line: %s", path, line);
				snprintf(it.name, sizeof it.name, "__BaseClass");
				it.type = a1;
				it.value = v;
				it.kind = 2;
			} else {
				if (strstr(line, "- LF_INDEX"))
					l->has_index = 1;
				continue;
			}
			l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
			l->v[l->n++] = it;
			continue;
		}
		if (o.nudts && o.udts[o.nudts - 1].index == cur) {
			struct udt *u = &o.udts[o.nudts - 1];
			if ((p = strstr(line, "field list: 0x")))
				sscanf(p, "field list: 0x%x", &u->fields);
			if ((p = strstr(line, "forward ref"))) {
				u->forward = 1;
				if ((p = strstr(line, "(-> 0x")))
					sscanf(p, "(-> 0x%x", &u->fwd_to);
			}
			if ((p = strstr(line, "sizeof ")))
				sscanf(p, "sizeof %" SCNu64, &u->size);
			continue;
		}
		if (!strcmp(kind, "LF_BITFIELD") &&
		    (p = strstr(line, "bit offset = ")) && sscanf(p, "bit offset = %u, # bits = %u", &a1, &a2) == 2) {
			assert_int_equal(kd_types_get(t, cur, &info), 0);
			assert_int_equal(info.kind, KD_TYPE_BITFIELD);
			assert_int_equal(info.bit_pos, a1);
			assert_int_equal(info.bit_len, a2);
			checked++;
		}
		if (!strcmp(kind, "LF_ARRAY") && sscanf(line, " size: %u", &a1) == 1 &&
		    (p = strstr(line, "element type: 0x")) && sscanf(p, "element type: 0x%x", &a2) == 1) {
			assert_int_equal(kd_types_get(t, cur, &info), 0);
			assert_int_equal(info.kind, KD_TYPE_ARRAY);
			assert_int_equal(info.size, a1);
			assert_int_equal(info.target, a2);
			checked++;
		}
		if (!strcmp(kind, "LF_POINTER") && sscanf(line, " referent = 0x%x", &a3) == 1) {
			assert_int_equal(kd_types_get(t, cur, &info), 0);
			assert_int_equal(info.kind, KD_TYPE_POINTER);
			assert_int_equal(info.target, a3);
			checked++;
		}
	}
	pclose(f);
	for (size_t i = 0; i < o.nudts; i++) {
		struct udt *u = &o.udts[i];
		struct kd_type_info info;
		assert_int_equal(kd_types_get(t, u->index, &info), 0);
		if (u->forward) {
			if (u->fwd_to)
				assert_int_equal(info.index, u->fwd_to);
			continue;
		}
		assert_string_equal(info.name, u->name);
		if (!u->is_enum)
			assert_int_equal(info.size, u->size);
		uint32_t found;
		assert_int_equal(kd_types_find(t, u->name, &found), 0);
		struct kd_type_info fi;
		assert_int_equal(kd_types_get(t, found, &fi), 0);
		assert_string_equal(fi.name, u->name);
		checked++;
		struct list *l = u->fields ? list_of(&o, u->fields) : NULL;
		if (!l || l->has_index)
			continue;
		struct mine m = { 0 };
		if (u->is_enum) {
			for (size_t k = 0; k < l->n; k++) {
				const char *nm = kd_types_enum_name(t, u->index, l->v[k].value);
				if (!nm)
					fail_msg("%s: enum %s has no enumerate = %lld (%s)", path, u->name,
					         (long long)l->v[k].value, l->v[k].name);
			}
			continue;
		}
		kd_types_fields(t, u->index, take, &m);
		assert_int_equal(m.n, l->n);
		for (size_t k = 0; k < m.n; k++) {
			assert_string_equal(m.v[k].name, l->v[k].name);
			assert_int_equal(m.v[k].type, l->v[k].type);
			assert_int_equal(m.v[k].value, l->v[k].value);
		}
		free(m.v);
	}
	assert_true(checked > 0 || o.nudts == 0);
	for (size_t i = 0; i < o.nlists; i++)
		free(o.lists[i].v);
	free(o.lists);
	free(o.udts);
	kd_types_close(t);
	kd_pdb_close(pdb);
}

static void test_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < npdbs; i++)
		check_pdb(pdbs[i]);
}

int main(void)
{
	const char *data = getenv("KD_DATA");
	if (!data) {
		printf("test_pdb_types: KD_DATA not set, skipping\n");
		return 77;
	}
	if (system("llvm-pdbutil-14 --version >/dev/null 2>&1") != 0) {
		printf("test_pdb_types: llvm-pdbutil-14 not installed, skipping\n");
		return 77;
	}
	char pat[4096];
	snprintf(pat, sizeof pat, "%s/pdb/*.pdb", data);
	collect(pat);
	snprintf(pat, sizeof pat, "%s/pe/*/*.pdb", data);
	collect(pat);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
