/*
 * Small synthetic machines and crash dumps for the dump tests and the fuzz
 * seeds: a few pages of physical memory holding x64 or x86 page tables, one
 * mapped data page with a PsLoadedModuleList of one module, and a CONTEXT;
 * wrapped as a full (run-based) dump, a bitmap dump or a triage dump.
 * Every value here is made up; nothing comes from a real machine.
 */
#ifndef KD_TEST_DUMP_SYNTH_H
#define KD_TEST_DUMP_SYNTH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/context.h"
#include "kd/targets/dump_format.h"

#define SYN_PAGES 8           /* physical pages 0..7; page 0 is absent */
#define SYN_DATA_VA64 0xfffff80000400000ull
#define SYN_DATA_VA32 0x80400000ull
#define SYN_DTB 0x1000ull

struct synth {
	enum kd_machine machine;
	uint8_t phys[SYN_PAGES * 0x1000];
	uint8_t present[SYN_PAGES];
	uint64_t data_va;
	struct kd_context ctx;
};

static inline void syn_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void syn_wstr(uint8_t *p, const char *s)
{
	for (size_t i = 0; s[i]; i++)
		syn_put(p + 2 * i, (uint8_t)s[i], 2);
}

/* The machine: page tables mapping data_va to page 5 (x64) or 3 (x86). */
static inline void synth_init(struct synth *s, enum kd_machine m)
{
	memset(s, 0, sizeof *s);
	s->machine = m;
	uint8_t *P = s->phys;
	unsigned data_pfn;
	if (m == KD_MACHINE_AMD64) {
		uint64_t va = SYN_DATA_VA64;
		syn_put(P + 0x1000 + ((va >> 39) & 511) * 8, 0x2000 | 0x63, 8);
		syn_put(P + 0x2000 + ((va >> 30) & 511) * 8, 0x3000 | 0x63, 8);
		syn_put(P + 0x3000 + ((va >> 21) & 511) * 8, 0x4000 | 0x63, 8);
		syn_put(P + 0x4000 + ((va >> 12) & 511) * 8, 0x5000 | 0x63, 8);
		/* The page tables map themselves at PML4 slot 0x1ed, as Windows
		 * did before the slot was randomized. */
		syn_put(P + 0x1000 + 0x1ed * 8, SYN_DTB | 0x63, 8);
		data_pfn = 5;
		s->data_va = va;
	} else {
		uint64_t va = SYN_DATA_VA32;
		syn_put(P + 0x1000 + (va >> 22) * 4, 0x2000 | 0x63, 4);
		syn_put(P + 0x2000 + ((va >> 12) & 1023) * 4, 0x3000 | 0x63, 4);
		data_pfn = 3;
		s->data_va = va;
	}
	for (unsigned i = 1; i < SYN_PAGES; i++)
		s->present[i] = 1;
	/* The data page: a module list head, one entry, its names, a pattern. */
	uint8_t *D = P + data_pfn * 0x1000;
	uint64_t v = s->data_va;
	int w = m == KD_MACHINE_AMD64 ? 8 : 4;
	syn_put(D, v + 0x100, w);
	syn_put(D + w, v + 0x100, w);
	uint8_t *L = D + 0x100;
	syn_put(L, v, w);
	syn_put(L + w, v, w);
	const char *full = "\\SystemRoot\\system32\\ntoskrnl.exe";
	syn_wstr(D + 0x300, full);
	syn_wstr(D + 0x380, "ntoskrnl.exe");
	if (w == 8) {
		syn_put(L + LDR64_DLL_BASE, 0xfffff80000400000ull, 8);
		syn_put(L + LDR64_SIZE_OF_IMAGE, 0x200000, 4);
		syn_put(L + LDR64_FULL_NAME, strlen(full) * 2, 2);
		syn_put(L + LDR64_FULL_NAME + 2, strlen(full) * 2 + 2, 2);
		syn_put(L + LDR64_FULL_NAME + 8, v + 0x300, 8);
		syn_put(L + LDR64_BASE_NAME, 24, 2);
		syn_put(L + LDR64_BASE_NAME + 8, v + 0x380, 8);
		syn_put(L + LDR64_CHECKSUM, 0x1234, 4);
		syn_put(L + LDR64_TIMESTAMP, 0x5f000000, 4);
	} else {
		syn_put(L + LDR32_DLL_BASE, 0x80400000, 4);
		syn_put(L + LDR32_SIZE_OF_IMAGE, 0x200000, 4);
		syn_put(L + LDR32_FULL_NAME, strlen(full) * 2, 2);
		syn_put(L + LDR32_FULL_NAME + 2, strlen(full) * 2 + 2, 2);
		syn_put(L + LDR32_FULL_NAME + 4, v + 0x300, 4);
		syn_put(L + LDR32_BASE_NAME, 24, 2);
		syn_put(L + LDR32_BASE_NAME + 4, v + 0x380, 4);
		syn_put(L + LDR32_CHECKSUM, 0x1234, 4);
		syn_put(L + LDR32_TIMESTAMP, 0x5f000000, 4);
	}
	for (unsigned i = 0x800; i < 0x1000; i++)
		D[i] = (uint8_t)(i * 7);
	/* Pages 6 and 7 hold a pattern too. */
	for (unsigned i = 0x6000; i < 0x8000; i++)
		P[i] = (uint8_t)(i >> 3);
	s->ctx.machine = m;
	if (m == KD_MACHINE_AMD64) {
		s->ctx.u.x64.ContextFlags = KD_CONTEXT_AMD64_FULL;
		s->ctx.u.x64.SegCs = 0x10;
		s->ctx.u.x64.SegSs = 0x18;
		s->ctx.u.x64.Rip = 0xfffff80000401234ull;
		s->ctx.u.x64.Rsp = 0xffff800000123000ull;
		s->ctx.u.x64.Rax = 0x1122334455667788ull;
	} else {
		s->ctx.u.x86.ContextFlags = KD_CONTEXT_X86_FULL;
		s->ctx.u.x86.SegCs = 8;
		s->ctx.u.x86.SegSs = 0x10;
		s->ctx.u.x86.Eip = 0x80401234;
		s->ctx.u.x86.Esp = 0xf78aec38;
		s->ctx.u.x86.Eax = 0x11223344;
	}
}

/* The header both dump kinds share; returns its size. */
static inline size_t synth_header(const struct synth *s, uint8_t *h, uint32_t dump_type)
{
	int is64 = s->machine == KD_MACHINE_AMD64;
	size_t hs = is64 ? DH64_SIZE : DH32_SIZE;
	for (size_t i = 0; i < hs; i += 4)
		memcpy(h + i, "PAGE", 4);
	memcpy(h + 4, is64 ? "DU64" : "DUMP", 4);
	if (is64) {
		syn_put(h + DH64_MAJOR, 0xf, 4);
		syn_put(h + DH64_MINOR, 19041, 4);
		syn_put(h + DH64_DTB, SYN_DTB, 8);
		syn_put(h + DH64_PS_LOADED_MODULES, s->data_va, 8);
		syn_put(h + DH64_MACHINE, KD_MACHINE_AMD64, 4);
		syn_put(h + DH64_NPROC, 1, 4);
		syn_put(h + DH64_BUGCHECK_CODE, 0xd1, 4);
		syn_put(h + DH64_BUGCHECK_ARGS, 0x10, 8);
		syn_put(h + DH64_BUGCHECK_ARGS + 8, 2, 8);
		syn_put(h + DH64_BUGCHECK_ARGS + 16, 0, 8);
		syn_put(h + DH64_BUGCHECK_ARGS + 24, 0xfffff80000401234ull, 8);
		syn_put(h + DH64_KDDEBUGGER_DATA, 0, 8);
		memcpy(h + DH64_CONTEXT, s->ctx.u.raw, sizeof s->ctx.u.x64);
		memset(h + DH64_EXCEPTION, 0, ER64_SIZE);
		syn_put(h + DH64_EXCEPTION, 0xc0000005, 4);
		syn_put(h + DH64_EXCEPTION + ER64_ADDRESS, 0xfffff80000401234ull, 8);
		syn_put(h + DH64_EXCEPTION + ER64_NPARAMS, 2, 4);
		syn_put(h + DH64_EXCEPTION + ER64_PARAMS + 8, 0x10, 8);
		syn_put(h + DH64_DUMP_TYPE, dump_type, 4);
		memset(h + DH64_COMMENT, 0, DH_COMMENT_SIZE);
		strcpy((char *)h + DH64_COMMENT, "synthetic test dump");
	} else {
		syn_put(h + DH32_MAJOR, 0xf, 4);
		syn_put(h + DH32_MINOR, 2600, 4);
		syn_put(h + DH32_DTB, SYN_DTB, 4);
		syn_put(h + DH32_PS_LOADED_MODULES, s->data_va, 4);
		syn_put(h + DH32_MACHINE, KD_MACHINE_I386, 4);
		syn_put(h + DH32_NPROC, 1, 4);
		syn_put(h + DH32_BUGCHECK, 0x8e, 4);
		syn_put(h + DH32_BUGCHECK + 4, 0x80000003, 4);
		syn_put(h + DH32_BUGCHECK + 8, 0x8082e3e0, 4);
		syn_put(h + DH32_BUGCHECK + 12, 0xf78aec38, 4);
		syn_put(h + DH32_BUGCHECK + 16, 0, 4);
		h[DH32_PAE] = 0;
		syn_put(h + DH32_KDDEBUGGER_DATA, 0, 4);
		memcpy(h + DH32_CONTEXT, s->ctx.u.raw, sizeof s->ctx.u.x86);
		memset(h + DH32_EXCEPTION, 0, ER32_SIZE);
		syn_put(h + DH32_EXCEPTION, 0x80000003, 4);
		syn_put(h + DH32_EXCEPTION + ER32_ADDRESS, 0x8082e3e0, 4);
		syn_put(h + DH32_DUMP_TYPE, dump_type, 4);
	}
	return hs;
}

/* A full dump: runs of the present pages (1..SYN_PAGES-1 as one run). */
static inline uint8_t *synth_full_dump(const struct synth *s, size_t *len)
{
	int is64 = s->machine == KD_MACHINE_AMD64;
	size_t hs = is64 ? DH64_SIZE : DH32_SIZE;
	size_t n = hs + (SYN_PAGES - 1) * 0x1000;
	uint8_t *b = calloc(1, n);
	synth_header(s, b, KD_DUMP_TYPE_FULL);
	uint8_t *pb = b + (is64 ? DH64_PHYS_BLOCK : DH32_PHYS_BLOCK);
	memset(pb, 0, is64 ? DH64_PHYS_BLOCK_SIZE : DH32_PHYS_BLOCK_SIZE);
	syn_put(pb, 1, 4);
	if (is64) {
		syn_put(pb + 8, SYN_PAGES - 1, 8);
		syn_put(pb + 16, 1, 8);
		syn_put(pb + 24, SYN_PAGES - 1, 8);
	} else {
		syn_put(pb + 4, SYN_PAGES - 1, 4);
		syn_put(pb + 8, 1, 4);
		syn_put(pb + 12, SYN_PAGES - 1, 4);
	}
	memcpy(b + hs, s->phys + 0x1000, (SYN_PAGES - 1) * 0x1000);
	*len = n;
	return b;
}

/* A 64-bit bitmap dump ("SDMP") of the present pages, page 0 left out. */
static inline uint8_t *synth_bitmap_dump(const struct synth *s, size_t *len)
{
	size_t first = DH64_SIZE + 0x1000;
	size_t n = first + (SYN_PAGES - 1) * 0x1000;
	uint8_t *b = calloc(1, n);
	synth_header(s, b, KD_DUMP_TYPE_BITMAP_KERNEL);
	uint8_t *sh = b + DH64_SIZE;
	memcpy(sh, "SDMPDUMP", 8);
	syn_put(sh + BMP64_FIRST_PAGE, first, 8);
	syn_put(sh + BMP64_PRESENT_PAGES, SYN_PAGES - 1, 8);
	syn_put(sh + BMP64_BITS, SYN_PAGES, 8);
	sh[BMP64_BITMAP] = (uint8_t)(((1u << SYN_PAGES) - 1) & ~1u);
	memcpy(b + first, s->phys + 0x1000, (SYN_PAGES - 1) * 0x1000);
	*len = n;
	return b;
}

/* Addresses of the triage dump's two processors' structures. */
#define SYN_KPB   0xfffff80000500000ull /* KiProcessorBlock */
#define SYN_PRCB0 0xfffff80000510000ull
#define SYN_PRCB1 0xfffff80000520000ull
#define SYN_CTX0  0xfffff80000530000ull
#define SYN_CTX1  0xfffff80000540000ull
#define SYN_KDBG  0xfffff80000550000ull
#define SYN_THREAD1 0xffffc00000001080ull
#define SYN_TOP_OF_STACK 0xffff800000123000ull

/* A 64-bit triage dump of two processors: the data page as a data block,
 * a fake stack, a one-entry driver list, and a KDDEBUGGER_DATA64 copy
 * leading to both KPRCBs and their saved contexts (processor 0's at the
 * triage stack, so it is the bugcheck processor). */
static inline uint8_t *synth_triage_dump(const struct synth *s, size_t *len)
{
	size_t n = 0x6400;
	uint8_t *b = calloc(1, n);
	synth_header(s, b, KD_DUMP_TYPE_TRIAGE);
	uint8_t *t = b + DH64_SIZE;
	syn_put(t + TD_SIZE_OF_DUMP, n, 4);
	syn_put(t + TD_CONTEXT_OFFSET, DH64_CONTEXT, 4);
	syn_put(t + TD_EXCEPTION_OFFSET, DH64_EXCEPTION, 4);
	syn_put(t + TD_CALLSTACK_OFFSET, 0x3000, 4);
	syn_put(t + TD_CALLSTACK_SIZE, 0x800, 4);
	syn_put(t + TD64_TOP_OF_STACK, SYN_TOP_OF_STACK, 8);
	syn_put(t + TD_DRIVER_LIST_OFFSET, 0x2100, 4);
	syn_put(t + TD_DRIVER_COUNT, 1, 4);
	syn_put(t + TD_STRING_POOL_OFFSET, 0x2200, 4);
	syn_put(t + TD_STRING_POOL_SIZE, 0x100, 4);
	syn_put(t + TD64_DATA_BLOCKS_OFFSET, 0x2400, 4);
	syn_put(t + TD64_DATA_BLOCKS_COUNT, 7, 4);
	syn_put(t + TD64_DEBUGGER_DATA_OFFSET, 0x5000, 4);
	syn_put(t + TD64_DEBUGGER_DATA_SIZE, 0x380, 4);
	syn_put(b + DH64_NPROC, 2, 4);
	syn_put(b + DH64_KDDEBUGGER_DATA, SYN_KDBG, 8);
	/* driver entry */
	syn_put(b + 0x2100, 0x2200, 4);
	syn_put(b + 0x2100 + TD64_DRIVER_LDR + LDR64_DLL_BASE, 0xfffff80000400000ull, 8);
	syn_put(b + 0x2100 + TD64_DRIVER_LDR + LDR64_SIZE_OF_IMAGE, 0x200000, 4);
	const char *name = "\\SystemRoot\\system32\\ntoskrnl.exe";
	syn_put(b + 0x2200, strlen(name), 4);
	syn_wstr(b + 0x2204, name);
	/* data block: the data page */
	syn_put(b + 0x2400, s->data_va, 8);
	syn_put(b + 0x2408, 0x4000, 4);
	syn_put(b + 0x240c, 0x1000, 4);
	memcpy(b + 0x4000, s->phys + (s->machine == KD_MACHINE_AMD64 ? 5 : 3) * 0x1000, 0x1000);
	/* KDDEBUGGER_DATA64 */
	uint8_t *k = b + 0x5000;
	syn_put(k + KDBG_SIZE_FIELD, 0x380, 4);
	memcpy(k + KDBG_TAG, "KDBG", 4);
	syn_put(k + KDBG_KERN_BASE, SYN_DATA_VA64, 8);
	syn_put(k + KDBG_KI_PROCESSOR_BLOCK, SYN_KPB, 8);
	syn_put(k + KDBG_OFFSET_PRCB_CURTHREAD, 8, 2);
	syn_put(k + KDBG_OFFSET_PRCB_CONTEXT, 0x100, 2);
	syn_put(k + KDBG_OFFSET_PCR_CONTAINED_PRCB, 0x180, 2);
	syn_put(k + KDBG_OFFSET_PRCB_PROCSTATE_SPECIAL, 0x40, 2);
	/* KiProcessorBlock, the KPRCBs and the contexts they point to */
	syn_put(b + 0x5400, SYN_PRCB0, 8);
	syn_put(b + 0x5408, SYN_PRCB1, 8);
	syn_put(b + 0x5500 + 0x100, SYN_CTX0, 8);
	syn_put(b + 0x5700 + 8, SYN_THREAD1, 8);
	syn_put(b + 0x5700 + 0x40 + 0x10, 0x1ad000, 8); /* KSPECIAL_REGISTERS.Cr3 */
	syn_put(b + 0x5700 + 0x100, SYN_CTX1, 8);
	struct kd_x64_context c0 = s->ctx.u.x64, c1 = s->ctx.u.x64;
	c0.Rsp = SYN_TOP_OF_STACK;
	c0.Rip = 0xfffff80000400010ull;
	c1.Rsp = 0xffff800000200000ull;
	c1.Rip = 0xfffff80000400020ull;
	memcpy(b + 0x5900, &c0, sizeof c0);
	memcpy(b + 0x5e00, &c1, sizeof c1);
	static const struct { uint64_t va; uint32_t off, size; } blk[] = {
		{ SYN_KPB, 0x5400, 16 }, { SYN_PRCB0, 0x5500, 0x200 }, { SYN_PRCB1, 0x5700, 0x200 },
		{ SYN_CTX0, 0x5900, 0x4d0 }, { SYN_CTX1, 0x5e00, 0x4d0 }, { SYN_KDBG, 0x5000, 0x380 },
	};
	for (unsigned i = 0; i < 6; i++) {
		syn_put(b + 0x2410 + 16 * i, blk[i].va, 8);
		syn_put(b + 0x2418 + 16 * i, blk[i].off, 4);
		syn_put(b + 0x241c + 16 * i, blk[i].size, 4);
	}
	for (size_t i = 0; i < 0x800; i++)
		b[0x3000 + i] = (uint8_t)(0xa5 ^ i);
	*len = n;
	return b;
}

#endif
