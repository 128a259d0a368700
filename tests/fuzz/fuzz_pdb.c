/*
 * Fuzz harness for the MSF/PDB reader: open the bytes as a PDB and walk
 * every structure a debugger session would touch, undecorating each name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/pdb.h"
#include "symbols/types.h"
#include "symbols/undname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void visit(void *ctx, const struct kd_pdb_symbol *s)
{
	size_t *count = ctx;
	char shown[512];
	kd_undname(s->name, KD_UNDNAME_FULL, shown, sizeof shown);
	*count += strlen(shown);
}

static int field(void *ctx, const struct kd_type_field *f)
{
	size_t *count = ctx;
	*count += strlen(f->name) + (size_t)f->offset;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_pdb *pdb;
	char err[256];
	if (kd_pdb_open_mem(data, size, &pdb, err, sizeof err) < 0)
		return 0;
	size_t count = 0, n, at;
	const struct kd_pdb_module *m;
	kd_pdb_modules(pdb, &m, &n);
	for (size_t i = 0; i < n; i++)
		kd_pdb_foreach_proc(pdb, i, visit, &count);
	kd_pdb_foreach_public(pdb, visit, &count);
	const struct kd_pdb_symbol *syms;
	if (kd_pdb_symbols(pdb, &syms, &n) == 0) {
		for (size_t i = 0; i < n && i < 64; i++) {
			struct kd_pdb_symbol s;
			kd_pdb_find_public(pdb, syms[i].name, &s);
			kd_pdb_find_global(pdb, syms[i].name, &s);
			kd_pdb_lookup_rva(pdb, syms[i].rva + 1, &at);
		}
	}
	struct kd_types *types;
	if (kd_types_open(pdb, &types) == 0) {
		uint32_t first = kd_types_first(types), nt = kd_types_count(types);
		for (uint32_t i = 0; i < nt && i < 512; i++) {
			struct kd_type_info info;
			char name[256];
			kd_types_get(types, first + i, &info);
			kd_types_name(types, first + i, name, sizeof name);
			kd_types_fields(types, first + i, field, &count);
			kd_types_enum_name(types, first + i, 1);
		}
		kd_types_find(types, "_LIST_ENTRY", &first);
		kd_types_close(types);
	}
	const struct kd_pdb_frame_data *fd;
	kd_pdb_frame_data(pdb, &fd, &n);
	for (size_t i = 0; i < n; i++)
		kd_pdb_string(pdb, fd[i].frame_func);
	kd_pdb_close(pdb);
	return 0;
}
