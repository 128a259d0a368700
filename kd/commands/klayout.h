/*
 * Kernel type layouts for the extensions (!process, !thread, !pcr, !prcb,
 * !irql, dt without a PDB): where a field of a kernel structure sits, how
 * big it is and which bits it holds. Sources, first that knows wins: the
 * kernel's PDB types, the offsets the running kernel publishes in its
 * KDDEBUGGER_DATA64, the built-in rows by build (kd/commands/klayout_rows.h), and
 * kd/engine/kthread.c's table of thread/process offsets.
 */
#ifndef KD_COMMANDS_KLAYOUT_H
#define KD_COMMANDS_KLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine/engine.h"
#include "kd/engine/kthread.h"

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
 * when the rows do not have the type. (kd/commands/kobjects.c) */
int kd_kfield_dt(struct kd_engine *eng, const char *args);

/* The KDDEBUGGER_DATA64 block of the target (its address): live targets
 * through DebuggerDataList, dumps through their header copy. */
int kd_kdbg_address(struct kd_engine *eng, uint64_t *addr);
/* A field of the KDDEBUGGER_DATA64 (offset into it, size 2, 4 or 8). */
int kd_kdbg_read(struct kd_engine *eng, unsigned offset, unsigned size, uint64_t *value);

#endif
