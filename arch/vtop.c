/*
 * Page-table walks for x86 non-PAE, PAE and x64 (see arch/vtop.h).
 */
#include "arch/vtop.h"

#include <string.h>

#include "base/bytes.h"
#include "base/error.h"

#define PFN_MASK_64 0x000ffffffffff000ull

/* An entry leads on when it is valid, or (Windows) in transition: the
 * page is still resident at the frame the entry names. */
static int entry_usable(struct kd_vtop_walk *w, uint64_t e)
{
	if (e & KD_PTE_VALID)
		return 1;
	if (e & KD_PTE_PROTOTYPE) {
		w->prototype = 1;
		return 0;
	}
	if (e & KD_PTE_TRANSITION) {
		w->transition = 1;
		return 1;
	}
	return 0;
}

static int read_entry(kd_phys_read_fn read, void *ctx, struct kd_vtop_walk *w,
                      const char *name, uint64_t pa, unsigned size, uint64_t *e)
{
	uint8_t b[8] = {0};
	int rc = read(ctx, pa, b, size);
	if (rc < 0)
		return rc;
	uint64_t v = kd_le(b, size);
	struct kd_vtop_level *l = &w->level[w->nlevels++];
	l->name = name;
	l->entry_pa = pa;
	l->entry = v;
	*e = v;
	return 0;
}

static int walk_x64(uint64_t dtb, uint64_t va, kd_phys_read_fn read, void *ctx,
                    struct kd_vtop_walk *w);
static int walk_pae(uint64_t dtb, uint64_t va, kd_phys_read_fn read, void *ctx,
                    struct kd_vtop_walk *w);

/* A PTE pointing to a prototype PTE (x64: its address in bits 16-63, PAE:
 * in bits 32-63; an address of all ones in those bits means "look in the
 * VAD", which a dump cannot resolve). The prototype resolves when it is
 * valid or in transition. */
static int resolve_prototype(enum kd_paging mode, uint64_t dtb, uint64_t va, uint64_t e,
                             kd_phys_read_fn read, void *ctx, struct kd_vtop_walk *w)
{
	uint64_t proto;
	if (mode == KD_PAGING_X64) {
		proto = (uint64_t)((int64_t)e >> 16);
		if ((e >> 16) == 0xffffffffffffull || !(proto >> 47))
			return KD_EUNREADABLE;
	} else {
		proto = e >> 32;
		if (proto == 0xffffffffull || proto == 0)
			return KD_EUNREADABLE;
	}
	struct kd_vtop_walk pw;
	memset(&pw, 0, sizeof pw);
	pw.in_prototype = 1; /* a prototype's own translation never recurses */
	int rc = mode == KD_PAGING_X64 ? walk_x64(dtb, proto, read, ctx, &pw) : walk_pae(dtb, proto, read, ctx, &pw);
	if (rc < 0 || pw.prototype)
		return KD_EUNREADABLE;
	uint8_t b[8];
	if (read(ctx, pw.pa, b, 8) < 0)
		return KD_EUNREADABLE;
	uint64_t p = kd_le64(b);
	if (!(p & KD_PTE_VALID) && ((p & KD_PTE_PROTOTYPE) || !(p & KD_PTE_TRANSITION)))
		return KD_EUNREADABLE;
	if (!(p & KD_PTE_VALID))
		w->transition = 1;
	w->prototype_pa = pw.pa;
	w->prototype_entry = p;
	w->page_size = 0x1000;
	w->pa = (p & PFN_MASK_64) | (va & 0xfff);
	return 0;
}

static int walk_x64(uint64_t dtb, uint64_t va, kd_phys_read_fn read, void *ctx,
                    struct kd_vtop_walk *w)
{
	static const char *const names[4] = { "PXE", "PPE", "PDE", "PTE" };
	uint64_t top = va >> 47;
	if (top != 0 && top != 0x1ffff)
		return KD_EINVAL;
	uint64_t table = dtb & PFN_MASK_64;
	for (int lvl = 0; lvl < 4; lvl++) {
		unsigned shift = 39 - 9 * lvl;
		uint64_t e;
		int rc = read_entry(read, ctx, w, names[lvl],
		                    table + ((va >> shift) & 0x1ff) * 8, 8, &e);
		if (rc < 0)
			return rc;
		if (!entry_usable(w, e)) {
			if (lvl == 3 && w->prototype && !w->in_prototype) {
				w->in_prototype = 1;
				return resolve_prototype(KD_PAGING_X64, dtb, va, e, read, ctx, w);
			}
			return KD_EUNREADABLE;
		}
		if ((lvl == 1 || lvl == 2) && (e & KD_PTE_VALID) && (e & KD_PTE_LARGE)) {
			uint64_t size = 1ull << shift;
			w->page_size = size;
			w->pa = (e & PFN_MASK_64 & ~(size - 1)) | (va & (size - 1));
			return 0;
		}
		table = e & PFN_MASK_64;
	}
	w->page_size = 0x1000;
	w->pa = table | (va & 0xfff);
	return 0;
}

static int walk_pae(uint64_t dtb, uint64_t va, kd_phys_read_fn read, void *ctx,
                    struct kd_vtop_walk *w)
{
	uint64_t e;
	va &= 0xffffffffull;
	int rc = read_entry(read, ctx, w, "PPE", (dtb & 0xffffffe0ull) + (va >> 30) * 8, 8, &e);
	if (rc < 0)
		return rc;
	if (!(e & KD_PTE_VALID))
		return KD_EUNREADABLE;
	rc = read_entry(read, ctx, w, "PDE", (e & PFN_MASK_64) + ((va >> 21) & 0x1ff) * 8, 8, &e);
	if (rc < 0)
		return rc;
	if (!entry_usable(w, e))
		return KD_EUNREADABLE;
	if ((e & KD_PTE_VALID) && (e & KD_PTE_LARGE)) {
		w->page_size = 0x200000;
		w->pa = (e & PFN_MASK_64 & ~0x1fffffull) | (va & 0x1fffff);
		return 0;
	}
	rc = read_entry(read, ctx, w, "PTE", (e & PFN_MASK_64) + ((va >> 12) & 0x1ff) * 8, 8, &e);
	if (rc < 0)
		return rc;
	if (!entry_usable(w, e)) {
		if (w->prototype && !w->in_prototype) {
			w->in_prototype = 1;
			return resolve_prototype(KD_PAGING_PAE, dtb, va, e, read, ctx, w);
		}
		return KD_EUNREADABLE;
	}
	w->page_size = 0x1000;
	w->pa = (e & PFN_MASK_64) | (va & 0xfff);
	return 0;
}

static int walk_x86(uint64_t dtb, uint64_t va, kd_phys_read_fn read, void *ctx,
                    struct kd_vtop_walk *w)
{
	uint64_t e;
	va &= 0xffffffffull;
	int rc = read_entry(read, ctx, w, "PDE", (dtb & 0xfffff000ull) + (va >> 22) * 4, 4, &e);
	if (rc < 0)
		return rc;
	if (!entry_usable(w, e))
		return KD_EUNREADABLE;
	if ((e & KD_PTE_VALID) && (e & KD_PTE_LARGE)) {
		w->page_size = 0x400000;
		w->pa = (e & 0xffc00000ull) | (va & 0x3fffff);
		return 0;
	}
	rc = read_entry(read, ctx, w, "PTE", (e & 0xfffff000ull) + ((va >> 12) & 0x3ff) * 4, 4, &e);
	if (rc < 0)
		return rc;
	if (!entry_usable(w, e))
		return KD_EUNREADABLE;
	w->page_size = 0x1000;
	w->pa = (e & 0xfffff000ull) | (va & 0xfff);
	return 0;
}

int kd_vtop(enum kd_paging mode, uint64_t dtb, uint64_t va,
            kd_phys_read_fn read, void *ctx, struct kd_vtop_walk *w)
{
	memset(w, 0, sizeof *w);
	switch (mode) {
	case KD_PAGING_X64:
		return walk_x64(dtb, va, read, ctx, w);
	case KD_PAGING_PAE:
		return walk_pae(dtb, va, read, ctx, w);
	case KD_PAGING_X86:
		return walk_x86(dtb, va, read, ctx, w);
	}
	return KD_EINVAL;
}
