/*
 * Kernel type layouts (see klayout.h): field lookups through the kernel's
 * PDB, its KDDEBUGGER_DATA64, the built-in rows and kd/engine/kthread.c's table.
 */
#include "kd/commands/klayout.h"

#include <string.h>

#include "base/bytes.h"
#include "kd/targets/dump_file.h"
#include "kd/targets/dump_format.h"
#include "kd/targets/dump_target.h"
#include "kd/engine/events.h"
#include "kd/engine/kthread.h"
#include "kd/engine/symbols.h"
#include "symbols/types.h"

#include "kd/commands/klayout_rows.h"

/* --- KDDEBUGGER_DATA64 --------------------------------------------------- */

int kd_kdbg_address(struct kd_engine *eng, uint64_t *addr)
{
	struct kd_target *t = kd_engine_target(eng);
	struct kd_dump *d = t ? kd_dump_target_dump(t) : NULL;
	if (d) {
		if (!d->kdbg_size)
			return KD_ENOTFOUND;
		*addr = d->kddebugger_data;
		return 0;
	}
	return kd_events_find_kdbg(eng, addr);
}

int kd_kdbg_read(struct kd_engine *eng, unsigned offset, unsigned size, uint64_t *value)
{
	struct kd_target *t = kd_engine_target(eng);
	struct kd_dump *d = t ? kd_dump_target_dump(t) : NULL;
	uint8_t b[8] = { 0 };
	if (size > 8)
		return KD_EINVAL;
	if (d) {
		/* The header's copy: decoded even where the kernel encodes the
		 * block in memory. */
		if (offset + size > d->kdbg_size)
			return KD_ENOTFOUND;
		memcpy(b, d->kdbg + offset, size);
	} else {
		uint64_t block;
		size_t done = 0;
		int rc = kd_events_find_kdbg(eng, &block);
		if (rc < 0)
			return rc;
		uint8_t hs[4];
		if (kd_read_virtual(eng, block + KDBG_SIZE_FIELD, hs, 4, &done) < 0 || done != 4 ||
		    offset + size > kd_le32(hs))
			return KD_ENOTFOUND;
		if (kd_read_virtual(eng, block + offset, b, size, &done) < 0 || done != size)
			return KD_EUNREADABLE;
	}
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = (v << 8) | b[i];
	*value = v;
	return 0;
}

/* Offsets the kernel publishes (wdbgexts.h KDDEBUGGER_DATA64): 2-byte
 * fields up to 0x2e6, 4-byte ones from Windows 8 on. size 0: pointer. */
static const struct {
	const char *type, *field;
	uint16_t kdbg;
	uint8_t width, size;
	enum kd_kfield_kind kind;
} kdbg_fields[] = {
	{ "_KTHREAD", "Teb", 0x29a, 2, 0, KD_KF_PTR },
	{ "_KTHREAD", "KernelStack", 0x29c, 2, 0, KD_KF_PTR },
	{ "_KTHREAD", "InitialStack", 0x29e, 2, 0, KD_KF_PTR },
	{ "_KTHREAD", "ApcState.Process", 0x2a0, 2, 0, KD_KF_PTR },
	{ "_KTHREAD", "State", 0x2a2, 2, 1, KD_KF_UINT },
	{ "_EPROCESS", "Peb", 0x2aa, 2, 0, KD_KF_PTR },
	{ "_EPROCESS", "InheritedFromUniqueProcessId", 0x2ac, 2, 0, KD_KF_PTR },
	{ "_KPROCESS", "DirectoryTableBase", 0x2ae, 2, 0, KD_KF_UINT },
	{ "_KPRCB", "CurrentThread", 0x2b4, 2, 0, KD_KF_PTR },
	{ "_KPRCB", "MHz", 0x2b6, 2, 4, KD_KF_UINT },
	{ "_KPRCB", "Number", 0x2be, 2, 0, KD_KF_UINT }, /* size by machine below */
	{ "_KTHREAD", "StackLimit", 0x340, 4, 0, KD_KF_PTR },
	{ "_KTHREAD", "StackBase", 0x344, 4, 0, KD_KF_PTR },
	{ "_KTHREAD", "QueueListEntry", 0x348, 4, 0, KD_KF_LIST },
	{ "_ETHREAD", "IrpList", 0x34c, 4, 0, KD_KF_LIST },
	{ "_KPRCB", "IdleThread", 0x350, 2, 0, KD_KF_PTR },
	{ "_KTHREAD", "WaitReason", 0x35c, 2, 1, KD_KF_UINT },
};

static int from_kdbg(struct kd_engine *eng, const char *type, const char *field, struct kd_kfield *out)
{
	unsigned ps = kd_engine_pointer_size(eng);
	for (size_t i = 0; i < sizeof kdbg_fields / sizeof kdbg_fields[0]; i++) {
		if (strcmp(kdbg_fields[i].type, type) || strcmp(kdbg_fields[i].field, field))
			continue;
		uint64_t off;
		if (kd_kdbg_read(eng, kdbg_fields[i].kdbg, kdbg_fields[i].width, &off) < 0 || !off || off > 0xffff)
			return KD_ENOTFOUND;
		memset(out, 0, sizeof *out);
		out->offset = off;
		out->kind = kdbg_fields[i].kind;
		out->size = kdbg_fields[i].size ? kdbg_fields[i].size : out->kind == KD_KF_LIST ? 2 * ps : ps;
		if (!strcmp(field, "Number"))
			out->size = ps == 8 ? 4 : 1; /* x86 KPRCB.Number is a CHAR before Windows 7 */
		out->source = "KDDEBUGGER_DATA64";
		return 0;
	}
	return KD_ENOTFOUND;
}

/* --- built-in rows ------------------------------------------------------- */

const struct kd_kfield_row *kd_kfield_builtin(struct kd_engine *eng, size_t *n, const char **versions)
{
	struct kd_version v;
	if (kd_engine_version(eng, &v) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof builtin_sets / sizeof builtin_sets[0]; i++)
		if (builtin_sets[i].machine == v.machine && v.build >= builtin_sets[i].first_build &&
		    v.build <= builtin_sets[i].last_build) {
			*n = builtin_sets[i].n;
			if (versions)
				*versions = builtin_sets[i].versions;
			return builtin_sets[i].rows;
		}
	return NULL;
}

static int from_rows(struct kd_engine *eng, const char *type, const char *field, struct kd_kfield *out)
{
	size_t n;
	const char *versions;
	const struct kd_kfield_row *r = kd_kfield_builtin(eng, &n, &versions);
	for (size_t i = 0; r && i < n; i++)
		if (!strcmp(r[i].type, type) && !strcmp(r[i].field, field)) {
			memset(out, 0, sizeof *out);
			out->offset = r[i].offset;
			out->size = r[i].size;
			out->bit_pos = r[i].bit_pos;
			out->bit_len = r[i].bit_len;
			out->kind = r[i].kind;
			out->source = versions;
			return 0;
		}
	return KD_ENOTFOUND;
}

/* kd/engine/kthread.c's table: the thread/process offsets of every build. */
static int from_kthread(struct kd_engine *eng, const char *type, const char *field, struct kd_kfield *out)
{
	const struct kd_kernel_layout *l;
	if (kd_kernel_layout(eng, &l) < 0)
		return KD_ENOTFOUND;
	unsigned ps = kd_engine_pointer_size(eng);
	static const struct {
		const char *type, *field;
		size_t off;
		uint8_t size; /* 0: pointer */
		enum kd_kfield_kind kind;
	} map[] = {
		{ "_KTHREAD", "InitialStack", offsetof(struct kd_kernel_layout, initial_stack), 0, KD_KF_PTR },
		{ "_KTHREAD", "StackLimit", offsetof(struct kd_kernel_layout, stack_limit), 0, KD_KF_PTR },
		{ "_KTHREAD", "StackBase", offsetof(struct kd_kernel_layout, stack_base), 0, KD_KF_PTR },
		{ "_KTHREAD", "KernelStack", offsetof(struct kd_kernel_layout, kernel_stack), 0, KD_KF_PTR },
		{ "_KTHREAD", "State", offsetof(struct kd_kernel_layout, state), 1, KD_KF_UINT },
		{ "_KTHREAD", "ApcState.Process", offsetof(struct kd_kernel_layout, apc_process), 0, KD_KF_PTR },
		{ "_KTHREAD", "Teb", offsetof(struct kd_kernel_layout, teb), 0, KD_KF_PTR },
		{ "_ETHREAD", "Cid", offsetof(struct kd_kernel_layout, cid), 0, KD_KF_CID },
		{ "_KPROCESS", "DirectoryTableBase", offsetof(struct kd_kernel_layout, directory_table_base), 0, KD_KF_UINT },
		{ "_EPROCESS", "UniqueProcessId", offsetof(struct kd_kernel_layout, unique_process_id), 0, KD_KF_PTR },
		{ "_EPROCESS", "ImageFileName", offsetof(struct kd_kernel_layout, image_file_name), 15, KD_KF_CHARS },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(map[i].type, type) || strcmp(map[i].field, field))
			continue;
		uint16_t off;
		memcpy(&off, (const char *)l + map[i].off, sizeof off);
		if (!off)
			return KD_ENOTFOUND;
		memset(out, 0, sizeof *out);
		out->offset = off;
		out->kind = map[i].kind;
		out->size = map[i].size ? map[i].size : map[i].kind == KD_KF_CID ? 2 * ps : ps;
		out->source = l->source;
		return 0;
	}
	return KD_ENOTFOUND;
}

int kd_kfield_find(struct kd_engine *eng, const char *type, const char *field, struct kd_kfield *out)
{
	if (kd_kfield_nt_pdb(eng, type, field, out) == 0 || from_kdbg(eng, type, field, out) == 0 ||
	    from_rows(eng, type, field, out) == 0 || from_kthread(eng, type, field, out) == 0)
		return 0;
	/* EPROCESS begins with its KPROCESS, ETHREAD with its KTHREAD. */
	if (!strcmp(type, "_EPROCESS"))
		return kd_kfield_find(eng, "_KPROCESS", field, out);
	if (!strcmp(type, "_ETHREAD"))
		return kd_kfield_find(eng, "_KTHREAD", field, out);
	return KD_ENOTFOUND;
}

int kd_kfield_read(struct kd_engine *eng, uint64_t base, const char *type, const char *field, uint64_t *value)
{
	struct kd_kfield f;
	int rc = kd_kfield_find(eng, type, field, &f);
	if (rc < 0)
		return rc;
	uint32_t size = f.size;
	if (f.kind == KD_KF_LIST || f.kind == KD_KF_CID)
		size = kd_engine_pointer_size(eng); /* the first pointer */
	if (size == 0 || size > 8)
		return KD_EINVAL;
	uint8_t b[8];
	size_t done = 0;
	if ((rc = kd_read_virtual(eng, base + f.offset, b, size, &done)) < 0)
		return rc;
	if (done != size)
		return KD_EUNREADABLE;
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = (v << 8) | b[i];
	if (f.bit_len) {
		v >>= f.bit_pos;
		if (f.bit_len < 64)
			v &= (1ull << f.bit_len) - 1;
	}
	*value = v;
	return 0;
}

int kd_kfield_need(struct kd_engine *eng, uint64_t base, const char *type, const char *field, uint64_t *value)
{
	int rc = kd_kfield_read(eng, base, type, field, value);
	if (rc == KD_ENOTFOUND) {
		kd_eprintf(eng, "Unable to get the offset of nt!%s.%s: no nt PDB and no built-in layout for this build\n",
		           type, field);
	} else if (rc < 0) {
		char a[20];
		kd_eprintf(eng, "Unable to read nt!%s.%s of %s\n", type, field, kd_format_addr(eng, base, a));
	}
	return rc;
}
