/*
 * Writing a crash dump of the engine's target (.dump): a PAGEDU64 or
 * PAGEDUMP file that kd_dump_target_open reads back with the same memory,
 * registers and modules. Everything comes through the engine API and the
 * target's operations (version, contexts, control space, physical reads).
 */
#ifndef KD_TARGETS_DUMP_WRITE_H
#define KD_TARGETS_DUMP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/vtop.h"
#include "kd/engine/engine.h"

enum kd_dump_write_kind {
	KD_DUMP_WRITE_FULL,   /* /f: every physical page, as memory runs */
	KD_DUMP_WRITE_KERNEL, /* /k: a bitmap dump of the pages the kernel half of the
	                       * address space maps, and its page tables (x64) */
};

struct kd_dump_write_stats {
	uint64_t pages;             /* pages written */
	uint64_t unreadable_pages;  /* pages of a run that could not be read (zero-filled in /f) */
	int all_pages;              /* /k fell back to every readable page (no page tables) */
};

/* Write the dump to path (refusing to replace an existing file unless
 * overwrite). On failure returns a negative KD_E* code with one line in err
 * and removes the partial file. */
int kd_dump_write(struct kd_engine *eng, const char *path, enum kd_dump_write_kind kind, int overwrite,
                  struct kd_dump_write_stats *stats, char *err, size_t errlen);

/* The current processor's page directory and paging mode: a dump's
 * header, or CR3/CR4 from the processor's control space. */
int kd_dump_current_paging(struct kd_engine *eng, enum kd_paging *mode, uint64_t *dtb);

#endif
