/*
 * Kernel type layouts for the extensions (!process, !thread, !pcr, !prcb,
 * !irql, dt without a PDB): where a field of a kernel structure sits, how
 * big it is and which bits it holds. Sources, first that knows wins: the
 * kernel's PDB types, the offsets the running kernel publishes in its
 * KDDEBUGGER_DATA64, the built-in rows by build (kd/klayout_rows.h), and
 * kd/kthread.c's table of thread/process offsets.
 */
#ifndef KD_KLAYOUT_H
#define KD_KLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine.h"

/* How dt shows a built-in field. */
enum kd_kfield_kind {
	KD_KF_UINT,    /* unsigned integer of `size` bytes */
	KD_KF_INT,     /* signed integer */
	KD_KF_PTR,     /* pointer */
	KD_KF_LIST,    /* LIST_ENTRY */
	KD_KF_CHARS,   /* UCHAR array shown as text (ImageFileName) */
	KD_KF_CID,     /* CLIENT_ID */
	KD_KF_STRUCT,  /* anything else: shown by offset only */
};

struct kd_kfield {
	uint64_t offset;
	uint32_t size;          /* bytes (of the underlying type for bitfields) */
	uint8_t bit_pos, bit_len; /* bit_len 0: not a bitfield */
	enum kd_kfield_kind kind;
	const char *source;     /* "nt PDB", "KDDEBUGGER_DATA64", or the row's versions */
};

/* A row of the built-in table: one field of one type. */
struct kd_kfield_row {
	const char *type, *field;
	uint16_t offset, size;
	uint8_t bit_pos, bit_len;
	enum kd_kfield_kind kind;
};

/* Field `field` (a dotted path for the PDB: "ApcState.Process") of
 * `type` ("_KTHREAD"). KD_ENOTFOUND when no source knows it. */
int kd_kfield_find(struct kd_engine *eng, const char *type, const char *field, struct kd_kfield *out);
/* Read the field of the object at `base` (zero-extended; bitfields
 * shifted and masked). */
int kd_kfield_read(struct kd_engine *eng, uint64_t base, const char *type, const char *field, uint64_t *value);
/* The same, printing "Unable to get TYPE.FIELD ..." (one line) on failure. */
int kd_kfield_need(struct kd_engine *eng, uint64_t base, const char *type, const char *field, uint64_t *value);

/* The built-in rows for the target's build: *n rows of every type, and the
 * versions they describe; NULL when the build has none. */
const struct kd_kfield_row *kd_kfield_builtin(struct kd_engine *eng, size_t *n, const char **versions);

/* dt for a kernel type the PDB does not give: "nt!_KTHREAD [Address]"
 * from the built-in rows, marked as such. KD_ENOTFOUND (nothing printed)
 * when the rows do not have the type. (kd/cmd_kobjects.c) */
int kd_kfield_dt(struct kd_engine *eng, const char *args);

/* Offset of a dotted field path in struct `type` of a PDB's types, with
 * its size and bits; KD_ENOTFOUND when absent. */
struct kd_types;
int kd_kfield_pdb(struct kd_types *types, const char *type, const char *path, struct kd_kfield *out);

/* The KDDEBUGGER_DATA64 block of the target (its address): live targets
 * through DebuggerDataList, dumps through their header copy. */
int kd_kdbg_address(struct kd_engine *eng, uint64_t *addr);
/* A field of the KDDEBUGGER_DATA64 (offset into it, size 2, 4 or 8). */
int kd_kdbg_read(struct kd_engine *eng, unsigned offset, unsigned size, uint64_t *value);

#endif
