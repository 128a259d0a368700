/*
 * Virtual-to-physical translation: the x86 (non-PAE and PAE) and x64
 * four-level page-table walks, as a crash dump or `!vtop`/`!pte` needs
 * them. The walk reads page-table entries through a callback, so it works
 * on any source of physical memory, and records every level it visited so
 * the commands can show the walk.
 */
#ifndef KD_ARCH_VTOP_H
#define KD_ARCH_VTOP_H

#include <stdint.h>

enum kd_paging {
	KD_PAGING_X86,  /* two levels, 32-bit entries, 4 MB large pages */
	KD_PAGING_PAE,  /* PDPT, PD, PT with 64-bit entries, 2 MB large pages */
	KD_PAGING_X64,  /* PML4, PDPT, PD, PT; 1 GB and 2 MB large pages */
};

/* Entry bits shared by all three formats (the hardware's and Windows'
 * software bits for invalid entries). */
#define KD_PTE_VALID      0x001ull
#define KD_PTE_WRITE      0x002ull
#define KD_PTE_OWNER      0x004ull /* user */
#define KD_PTE_WRITETHRU  0x008ull
#define KD_PTE_CACHEDIS   0x010ull
#define KD_PTE_ACCESSED   0x020ull
#define KD_PTE_DIRTY      0x040ull
#define KD_PTE_LARGE      0x080ull
#define KD_PTE_GLOBAL     0x100ull
#define KD_PTE_COPYWRITE  0x200ull
#define KD_PTE_PROTOTYPE  0x400ull /* invalid entry: points to a prototype PTE */
#define KD_PTE_TRANSITION 0x800ull /* invalid entry: page still in memory */
#define KD_PTE_NX         0x8000000000000000ull

/* One level of a walk. */
struct kd_vtop_level {
	const char *name;  /* "PXE", "PPE", "PDE", "PTE" (WinDbg's names) */
	uint64_t entry_pa; /* physical address of the entry */
	uint64_t entry;    /* its value (zero-extended on non-PAE x86) */
};

struct kd_vtop_walk {
	unsigned nlevels;          /* levels read (the last may be invalid) */
	struct kd_vtop_level level[4];
	uint64_t pa;               /* the translation when the walk succeeds */
	uint64_t page_size;        /* 4 KB, 2 MB, 4 MB or 1 GB */
	int transition;            /* resolved through a transition entry */
	int prototype;             /* the PTE points to a prototype PTE */
	int in_prototype;          /* (internal) resolving one already */
	uint64_t prototype_pa;     /* where the prototype PTE was read, when resolved */
	uint64_t prototype_entry;  /* its value */
};

/* Reads len bytes of physical memory; 0 or a negative KD_E* code. */
typedef int (*kd_phys_read_fn)(void *ctx, uint64_t pa, void *buf, uint32_t len);

/* Translate va under the page directory at dtb (CR3). Returns 0 with
 * w->pa set; KD_EUNREADABLE when an entry is not present (w shows how far
 * the walk went), a read error of the callback, or KD_EINVAL for a
 * non-canonical x64 address. Transition entries resolve (the page is
 * still in memory); a PTE pointing to a prototype PTE (x64, PAE) resolves
 * when that prototype is valid or in transition. */
int kd_vtop(enum kd_paging mode, uint64_t dtb, uint64_t va,
            kd_phys_read_fn read, void *ctx, struct kd_vtop_walk *w);

#endif
