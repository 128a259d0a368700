/*
 * The dump writer behind .dump /f and /k (see kd/targets/dump_write.h). The
 * physical memory layout comes from the source dump, from
 * MmPhysicalMemoryBlock through KDDEBUGGER_DATA64, or, failing both, from
 * probing physical pages. /k keeps the pages the kernel's page tables map.
 */
#include "kd/targets/dump_write.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kd/targets/dump_file.h"
#include "kd/targets/dump_format.h"
#include "kd/targets/dump_target.h"
#include "base/error.h"

#define MAX_RUNS 86
#define PROBE_CHUNK 256ull      /* pages per probe step (1 MB) */
#define PROBE_LIMIT 0x100000ull /* 4 GB of pages */

struct run {
	uint64_t base, pages;
};

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

int kd_dump_current_paging(struct kd_engine *eng, enum kd_paging *mode, uint64_t *dtb)
{
	struct kd_target *t = kd_engine_target(eng);
	if (!t)
		return KD_EDISCONNECTED;
	struct kd_dump *d = kd_dump_target_dump(t);
	if (d) {
		*mode = kd_dump_paging(d);
		*dtb = d->dtb;
		return 0;
	}
	uint8_t b[0x18];
	uint32_t done = 0;
	if (!t->ops->read_control)
		return KD_ENOTSUP;
	/* x64 control space 2 is KSPECIAL_REGISTERS (Cr0, Cr2, Cr3, Cr4); on
	 * x86 they follow the CONTEXT in KPROCESSOR_STATE. */
	if (kd_engine_machine(eng) == KD_MACHINE_AMD64) {
		*mode = KD_PAGING_X64;
		if (t->ops->read_control(t, kd_engine_cpu(eng), 2, b, 0x18, &done) < 0 || done < 0x18)
			return KD_EUNREADABLE;
		*dtb = get(b + 0x10, 8);
		return 0;
	}
	if (t->ops->read_control(t, kd_engine_cpu(eng), 0x2cc, b, 0x10, &done) < 0 || done < 0x10)
		return KD_EUNREADABLE;
	*dtb = get(b + 8, 4);
	*mode = (get(b + 12, 4) & 0x20) ? KD_PAGING_PAE : KD_PAGING_X86;
	return 0;
}

/* KDDEBUGGER_DATA64: the version's DebuggerDataList points at a list head
 * whose Flink is the block; a dump names the block itself. */
static uint64_t find_kdbg(struct kd_engine *eng, const struct kd_version *v, uint8_t *kdbg, size_t n)
{
	struct kd_dump *d = kd_dump_target_dump(kd_engine_target(eng));
	uint64_t cand[2] = { 0, 0 };
	if (d)
		cand[0] = d->kddebugger_data;
	else if (v->debugger_data_list) {
		uint64_t flink;
		if (kd_read_pointer(eng, v->debugger_data_list, &flink) == 0)
			cand[0] = flink;
		cand[1] = v->debugger_data_list;
	}
	for (int i = 0; i < 2; i++) {
		size_t done = 0;
		if (cand[i] && kd_read_virtual(eng, cand[i], kdbg, n, &done) == 0 && done == n &&
		    !memcmp(kdbg + KDBG_TAG, "KDBG", 4))
			return cand[i];
	}
	return 0;
}

static int runs_from_kdbg(struct kd_engine *eng, const uint8_t *kdbg, struct run *runs, size_t *nruns)
{
	uint64_t var = get(kdbg + KDBG_MM_PHYS_MEMORY_BLOCK, 8), desc;
	int is64 = kd_engine_is_64bit(eng);
	if (!var || kd_read_pointer(eng, var, &desc) < 0 || !desc)
		return KD_ENOTFOUND;
	uint8_t b[16 + MAX_RUNS * 16];
	size_t done = 0;
	size_t head = is64 ? 16 : 8, each = is64 ? 16 : 8;
	if (kd_read_virtual(eng, desc, b, head, &done) < 0 || done < head)
		return KD_ENOTFOUND;
	uint32_t n = (uint32_t)get(b, 4);
	if (n == 0 || n > MAX_RUNS)
		return KD_ENOTFOUND;
	if (kd_read_virtual(eng, desc + head, b, n * each, &done) < 0 || done < n * each)
		return KD_ENOTFOUND;
	for (uint32_t i = 0; i < n; i++) {
		runs[i].base = get(b + i * each, is64 ? 8 : 4);
		runs[i].pages = get(b + i * each + each / 2, is64 ? 8 : 4);
	}
	*nruns = n;
	return 0;
}

static int page_readable(struct kd_engine *eng, uint64_t pfn, uint8_t *page)
{
	size_t done = 0;
	return kd_read_physical(eng, pfn * KD_DUMP_PAGE, page, KD_DUMP_PAGE, &done) == 0 && done == KD_DUMP_PAGE;
}

static int add_page(struct run *runs, size_t *n, uint64_t pfn)
{
	if (*n && runs[*n - 1].base + runs[*n - 1].pages == pfn) {
		runs[*n - 1].pages++;
		return 0;
	}
	if (*n == MAX_RUNS)
		return KD_ENOTSUP;
	runs[(*n)++] = (struct run){ pfn, 1 };
	return 0;
}

/* Without a memory descriptor: look at the first and last page of every
 * PROBE_CHUNK pages up to PROBE_LIMIT, then read every page of the chunks
 * that answered and of their neighbours. Cheap over a slow link, and finds
 * any region of at least a chunk, and anything in the first chunk. */
static int runs_by_probing(struct kd_engine *eng, struct run *runs, size_t *nruns, uint8_t *page)
{
	uint64_t nchunks = PROBE_LIMIT / PROBE_CHUNK;
	uint8_t *hit = calloc(nchunks, 1);
	if (!hit)
		return KD_ENOMEM;
	for (uint64_t c = 0; c < nchunks; c++) {
		if (kd_engine_canceled(eng)) {
			free(hit);
			return KD_ECANCELED;
		}
		/* The first megabyte is always read page by page. */
		hit[c] = c == 0 || page_readable(eng, c * PROBE_CHUNK, page) ||
		         page_readable(eng, c * PROBE_CHUNK + PROBE_CHUNK - 1, page);
	}
	size_t n = 0;
	int rc = 0;
	for (uint64_t c = 0; c < nchunks && rc == 0; c++) {
		if (!hit[c] && !(c > 0 && hit[c - 1]) && !(c + 1 < nchunks && hit[c + 1]))
			continue;
		for (uint64_t pfn = c * PROBE_CHUNK; pfn < (c + 1) * PROBE_CHUNK && rc == 0; pfn++) {
			if (kd_engine_canceled(eng))
				rc = KD_ECANCELED;
			else if (page_readable(eng, pfn, page))
				rc = add_page(runs, &n, pfn);
		}
	}
	free(hit);
	if (rc < 0)
		return rc;
	*nruns = n;
	return n ? 0 : KD_ENOTFOUND;
}

static int layout(struct kd_engine *eng, const uint8_t *kdbg, int have_kdbg, struct run *runs, size_t *nruns,
                  uint8_t *page)
{
	struct kd_dump *d = kd_dump_target_dump(kd_engine_target(eng));
	if (d) {
		if (d->nruns > MAX_RUNS || d->nruns == 0)
			return d->nruns ? KD_ENOTSUP : KD_ENOTFOUND;
		for (size_t i = 0; i < d->nruns; i++)
			runs[i] = (struct run){ d->runs[i].base_page, d->runs[i].pages };
		*nruns = d->nruns;
		return 0;
	}
	if (have_kdbg && runs_from_kdbg(eng, kdbg, runs, nruns) == 0)
		return 0;
	return runs_by_probing(eng, runs, nruns, page);
}

static void fill_header(struct kd_engine *eng, uint8_t *h, const struct kd_version *v, uint64_t kdbg_addr,
                        const uint8_t *kdbg, int have_kdbg, uint32_t dump_type)
{
	struct kd_target *t = kd_engine_target(eng);
	int is64 = kd_engine_is_64bit(eng);
	size_t hs = is64 ? DH64_SIZE : DH32_SIZE;
	for (size_t i = 0; i < hs; i += 4)
		memcpy(h + i, "PAGE", 4);
	memcpy(h + 4, is64 ? "DU64" : "DUMP", 4);
	enum kd_paging mode = is64 ? KD_PAGING_X64 : KD_PAGING_X86;
	uint64_t dtb = 0;
	kd_dump_current_paging(eng, &mode, &dtb);
	struct kd_bugcheck bc;
	memset(&bc, 0, sizeof bc);
	if (t->ops->bugcheck)
		t->ops->bugcheck(t, &bc);
	struct kd_context ctx;
	memset(&ctx, 0, sizeof ctx);
	if (t->ops->get_context)
		t->ops->get_context(t, kd_engine_cpu(eng), &ctx);
	struct kd_stop_event ev;
	int have_ev = t->ops->exception && t->ops->exception(t, &ev) == 0 && ev.kind == KD_STOP_EXCEPTION;
	uint64_t active = have_kdbg ? get(kdbg + 0x50, 8) : 0;
	uint64_t pfndb = have_kdbg ? get(kdbg + 0xc0, 8) : 0;
	struct kd_dump *src = kd_dump_target_dump(t);
	if (src) {
		active = src->ps_active_process_head;
		pfndb = src->pfn_database;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t filetime = ((uint64_t)now.tv_sec + 11644473600ull) * 10000000ull + (uint64_t)now.tv_nsec / 100;
	static const char comment[] = "Dump written by kd .dump";
	if (is64) {
		put(h + DH64_MAJOR, v->major, 4);
		put(h + DH64_MINOR, v->build, 4);
		put(h + DH64_DTB, dtb, 8);
		put(h + DH64_PFN_DATABASE, pfndb, 8);
		put(h + DH64_PS_LOADED_MODULES, v->ps_loaded_module_list, 8);
		put(h + DH64_PS_ACTIVE_PROCESSES, active, 8);
		put(h + DH64_MACHINE, KD_MACHINE_AMD64, 4);
		put(h + DH64_NPROC, v->processors ? v->processors : 1, 4);
		put(h + DH64_BUGCHECK_CODE, bc.code, 4);
		for (int i = 0; i < 4; i++)
			put(h + DH64_BUGCHECK_ARGS + 8 * i, bc.args[i], 8);
		put(h + DH64_KDDEBUGGER_DATA, kdbg_addr, 8);
		memcpy(h + DH64_CONTEXT, ctx.u.raw, sizeof ctx.u.x64);
		if (have_ev) {
			memset(h + DH64_EXCEPTION, 0, ER64_SIZE);
			put(h + DH64_EXCEPTION + ER64_CODE, ev.code, 4);
			put(h + DH64_EXCEPTION + ER64_FLAGS, ev.flags, 4);
			put(h + DH64_EXCEPTION + ER64_ADDRESS, ev.address, 8);
			put(h + DH64_EXCEPTION + ER64_NPARAMS, ev.nparams > 15 ? 15 : ev.nparams, 4);
			for (uint32_t i = 0; i < ev.nparams && i < 15; i++)
				put(h + DH64_EXCEPTION + ER64_PARAMS + 8 * i, ev.params[i], 8);
		}
		put(h + DH64_DUMP_TYPE, dump_type, 4);
		put(h + DH64_SYSTEM_TIME, filetime, 8);
		memset(h + DH64_COMMENT, 0, DH_COMMENT_SIZE);
		memcpy(h + DH64_COMMENT, comment, sizeof comment);
		put(h + DH64_SYSTEM_UPTIME, 0, 8);
		put(h + DH64_MINIDUMP_FIELDS, 0, 4);
		put(h + DH64_SECONDARY_STATE, 0, 4);
		put(h + DH64_PRODUCT_TYPE, 1, 4);
		put(h + DH64_SUITE_MASK, 0, 4);
		put(h + DH64_WRITER_STATUS, 0, 4);
		h[DH64_KD_SECONDARY - 1] = 0;
		h[DH64_KD_SECONDARY] = v->kd_secondary_version;
		put(h + DH64_KD_SECONDARY + 1, 0, 2);
		put(h + DH64_ATTRIBUTES, 0, 4);
		put(h + DH64_BOOT_ID, 0, 4);
	} else {
		put(h + DH32_MAJOR, v->major, 4);
		put(h + DH32_MINOR, v->build, 4);
		put(h + DH32_DTB, dtb, 4);
		put(h + DH32_PFN_DATABASE, pfndb, 4);
		put(h + DH32_PS_LOADED_MODULES, v->ps_loaded_module_list, 4);
		put(h + DH32_PS_ACTIVE_PROCESSES, active, 4);
		put(h + DH32_MACHINE, KD_MACHINE_I386, 4);
		put(h + DH32_NPROC, v->processors ? v->processors : 1, 4);
		put(h + DH32_BUGCHECK, bc.code, 4);
		for (int i = 0; i < 4; i++)
			put(h + DH32_BUGCHECK + 4 + 4 * i, bc.args[i], 4);
		h[DH32_PAE] = mode == KD_PAGING_PAE;
		h[DH32_KD_SECONDARY] = v->kd_secondary_version;
		put(h + DH32_KDDEBUGGER_DATA, kdbg_addr, 4);
		memcpy(h + DH32_CONTEXT, ctx.u.raw, sizeof ctx.u.x86);
		if (have_ev) {
			memset(h + DH32_EXCEPTION, 0, ER32_SIZE);
			put(h + DH32_EXCEPTION + ER32_CODE, ev.code, 4);
			put(h + DH32_EXCEPTION + ER32_FLAGS, ev.flags, 4);
			put(h + DH32_EXCEPTION + ER32_ADDRESS, ev.address, 4);
			put(h + DH32_EXCEPTION + ER32_NPARAMS, ev.nparams > 15 ? 15 : ev.nparams, 4);
			for (uint32_t i = 0; i < ev.nparams && i < 15; i++)
				put(h + DH32_EXCEPTION + ER32_PARAMS + 4 * i, ev.params[i], 4);
		}
		memset(h + DH32_COMMENT, 0, DH_COMMENT_SIZE);
		memcpy(h + DH32_COMMENT, comment, sizeof comment);
		put(h + DH32_DUMP_TYPE, dump_type, 4);
		put(h + DH32_MINIDUMP_FIELDS, 0, 4);
		put(h + DH32_SECONDARY_STATE, 0, 4);
		put(h + DH32_PRODUCT_TYPE, 1, 4);
		put(h + DH32_SUITE_MASK, 0, 4);
		put(h + DH32_WRITER_STATUS, 0, 4);
		put(h + DH32_SYSTEM_UPTIME, 0, 8);
		put(h + DH32_SYSTEM_TIME, filetime, 8);
	}
}

static int write_at(FILE *f, uint64_t off, const void *buf, size_t n)
{
	if (fseeko(f, (off_t)off, SEEK_SET) < 0 || fwrite(buf, 1, n, f) != n)
		return KD_EIO;
	return 0;
}

/* Pages back to back after the header, runs in the header. */
static int write_full(struct kd_engine *eng, FILE *f, uint8_t *h, const struct run *runs, size_t nruns,
                      uint8_t *page, struct kd_dump_write_stats *st)
{
	int is64 = kd_engine_is_64bit(eng);
	size_t hs = is64 ? DH64_SIZE : DH32_SIZE;
	uint8_t *pb = h + (is64 ? DH64_PHYS_BLOCK : DH32_PHYS_BLOCK);
	size_t first = is64 ? 16 : 8, each = is64 ? 16 : 8;
	if (first + nruns * each > DH64_PHYS_BLOCK_SIZE)
		return KD_ENOTSUP;
	uint64_t total = 0;
	memset(pb, 0, DH64_PHYS_BLOCK_SIZE);
	put(pb, nruns, 4);
	for (size_t i = 0; i < nruns; i++) {
		put(pb + first + i * each, runs[i].base, is64 ? 8 : 4);
		put(pb + first + i * each + each / 2, runs[i].pages, is64 ? 8 : 4);
		total += runs[i].pages;
	}
	put(pb + (is64 ? 8 : 4), total, is64 ? 8 : 4);
	uint64_t off = hs;
	if (fseeko(f, (off_t)off, SEEK_SET) < 0)
		return KD_EIO;
	for (size_t i = 0; i < nruns; i++) {
		for (uint64_t p = 0; p < runs[i].pages; p++) {
			if (kd_engine_canceled(eng))
				return KD_ECANCELED;
			if (!page_readable(eng, runs[i].base + p, page)) {
				memset(page, 0, KD_DUMP_PAGE);
				st->unreadable_pages++;
			}
			if (fwrite(page, 1, KD_DUMP_PAGE, f) != KD_DUMP_PAGE)
				return KD_EIO;
			st->pages++;
			off += KD_DUMP_PAGE;
		}
	}
	put(h + (is64 ? DH64_REQUIRED_SPACE : DH32_REQUIRED_SPACE), off, 8);
	return write_at(f, 0, h, hs);
}

static void mark(uint8_t *want, uint64_t bits, uint64_t pfn, uint64_t count, uint64_t *marked)
{
	for (uint64_t i = 0; i < count && pfn + i < bits; i++) {
		uint64_t p = pfn + i;
		if (!(want[p / 8] & (1u << (p % 8)))) {
			want[p / 8] |= (uint8_t)(1u << (p % 8));
			(*marked)++;
		}
	}
}

/* One page table: its valid (or transition) entries from index `first`.
 * Large entries map `large_pages` pages; others lead to the next level
 * (level > 0) or to a data page (level 0). Entries naming one of the
 * `skip` frames (the self-map) are left out. */
static int walk_table(struct kd_engine *eng, uint64_t pfn, int level, unsigned first, unsigned nentries,
                      unsigned esize, const uint64_t *skip, unsigned nskip, uint8_t *want, uint64_t bits,
                      uint64_t *marked)
{
	uint8_t t[4096];
	size_t done = 0;
	if (kd_engine_canceled(eng))
		return KD_ECANCELED;
	if (kd_read_physical(eng, pfn * KD_DUMP_PAGE, t, sizeof t, &done) < 0 || done < sizeof t)
		return 0;
	mark(want, bits, pfn, 1, marked);
	uint64_t mask = esize == 8 ? 0x000ffffffffff000ull : 0xfffff000ull;
	for (unsigned i = first; i < nentries; i++) {
		uint64_t e = get(t + i * esize, esize);
		int valid = (e & KD_PTE_VALID) != 0;
		if (!valid && !(level == 0 && (e & KD_PTE_TRANSITION) && !(e & KD_PTE_PROTOTYPE)))
			continue;
		uint64_t next = (e & mask) >> 12;
		int skipped = 0;
		for (unsigned k = 0; k < nskip; k++)
			skipped |= next == skip[k];
		if (skipped)
			continue;
		if (level == 0) {
			mark(want, bits, next, 1, marked);
		} else if (e & KD_PTE_LARGE) {
			/* 1 GB at x64 PDPT level, 2 MB (4 MB non-PAE) at the PD level. */
			uint64_t pages = level == 2 ? 0x40000 : esize == 8 ? 0x200 : 0x400;
			mark(want, bits, next & ~(pages - 1), pages, marked);
		} else {
			int rc = walk_table(eng, next, level - 1, 0, esize == 8 ? 512 : 1024, esize, skip, nskip,
			                    want, bits, marked);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* The pages the kernel half of the address space maps, and the page
 * tables that map them; 0 pages when the page tables cannot be read. */
static int kernel_pages(struct kd_engine *eng, uint8_t *want, uint64_t bits, uint64_t *marked)
{
	enum kd_paging mode;
	uint64_t dtb;
	*marked = 0;
	if (kd_dump_current_paging(eng, &mode, &dtb) < 0)
		return 0;
	if (mode == KD_PAGING_X64) {
		uint64_t self = (dtb & 0x000ffffffffff000ull) >> 12;
		return walk_table(eng, self, 3, 256, 512, 8, &self, 1, want, bits, marked);
	}
	if (mode == KD_PAGING_X86) {
		uint64_t self = (dtb & 0xfffff000ull) >> 12;
		return walk_table(eng, self, 1, 512, 1024, 4, &self, 1, want, bits, marked);
	}
	/* PAE: the kernel's two page directories (2 GB and up); the four
	 * directories map themselves. */
	uint8_t pdpt[32];
	size_t done = 0;
	if (kd_read_physical(eng, dtb & 0xffffffe0ull, pdpt, sizeof pdpt, &done) < 0 || done < sizeof pdpt)
		return 0;
	uint64_t pds[4];
	for (int i = 0; i < 4; i++)
		pds[i] = (get(pdpt + 8 * i, 8) & 0x000ffffffffff000ull) >> 12;
	mark(want, bits, (dtb & 0xfffff000ull) >> 12, 1, marked);
	for (int i = 2; i < 4; i++) {
		if (!(get(pdpt + 8 * i, 8) & KD_PTE_VALID))
			continue;
		int rc = walk_table(eng, pds[i], 1, 0, 512, 8, pds, 4, want, bits, marked);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A bitmap dump: the kernel's pages that could be read (every readable
 * page when the kernel's page tables cannot be walked). */
static int write_bitmap(struct kd_engine *eng, FILE *f, uint8_t *h, const struct run *runs, size_t nruns,
                        uint8_t *page, struct kd_dump_write_stats *st)
{
	uint64_t bits = 0;
	for (size_t i = 0; i < nruns; i++)
		if (runs[i].base + runs[i].pages > bits)
			bits = runs[i].base + runs[i].pages;
	uint64_t bytes = (bits + 7) / 8;
	uint8_t *bm = calloc(1, bytes ? bytes : 1);
	uint8_t *want = calloc(1, bytes ? bytes : 1);
	uint64_t marked = 0;
	if (!bm || !want) {
		free(bm);
		free(want);
		return KD_ENOMEM;
	}
	int krc = kernel_pages(eng, want, bits, &marked);
	if (krc == KD_ECANCELED) {
		free(bm);
		free(want);
		return krc;
	}
	if (krc < 0 || marked == 0) {
		memset(want, 0xff, bytes);
		st->all_pages = 1;
	}
	uint64_t first = (DH64_SIZE + BMP64_BITMAP + bytes + KD_DUMP_PAGE - 1) & ~(uint64_t)(KD_DUMP_PAGE - 1);
	uint64_t off = first;
	int rc = 0;
	if (fseeko(f, (off_t)off, SEEK_SET) < 0)
		rc = KD_EIO;
	for (size_t i = 0; i < nruns && rc == 0; i++) {
		for (uint64_t p = 0; p < runs[i].pages && rc == 0; p++) {
			uint64_t pfn = runs[i].base + p;
			if (!(want[pfn / 8] & (1u << (pfn % 8))))
				continue;
			if (kd_engine_canceled(eng)) {
				rc = KD_ECANCELED;
				break;
			}
			if (!page_readable(eng, pfn, page)) {
				st->unreadable_pages++;
				continue;
			}
			if (fwrite(page, 1, KD_DUMP_PAGE, f) != KD_DUMP_PAGE) {
				rc = KD_EIO;
				break;
			}
			bm[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
			st->pages++;
			off += KD_DUMP_PAGE;
		}
	}
	if (rc == 0) {
		uint8_t sh[BMP64_BITMAP];
		memset(sh, 0, sizeof sh);
		memcpy(sh, "SDMPDUMP", 8);
		put(sh + BMP64_FIRST_PAGE, first, 8);
		put(sh + BMP64_PRESENT_PAGES, st->pages, 8);
		put(sh + BMP64_BITS, bits, 8);
		put(h + DH64_REQUIRED_SPACE, off, 8);
		rc = write_at(f, 0, h, DH64_SIZE);
		if (rc == 0)
			rc = write_at(f, DH64_SIZE, sh, sizeof sh);
		if (rc == 0 && bytes)
			rc = write_at(f, DH64_SIZE + BMP64_BITMAP, bm, bytes);
	}
	free(bm);
	free(want);
	return rc;
}

int kd_dump_write(struct kd_engine *eng, const char *path, enum kd_dump_write_kind kind, int overwrite,
                  struct kd_dump_write_stats *stats, char *err, size_t errlen)
{
	struct kd_dump_write_stats st = { .pages = 0 };
	struct kd_version v;
	if (!kd_engine_target(eng)) {
		snprintf(err, errlen, ".dump: %s", kd_strerror(KD_EDISCONNECTED));
		return KD_EDISCONNECTED;
	}
	int rc = kd_engine_version(eng, &v);
	if (rc < 0 || (v.machine != KD_MACHINE_AMD64 && v.machine != KD_MACHINE_I386)) {
		snprintf(err, errlen, ".dump: the target's machine type is unknown");
		return rc < 0 ? rc : KD_ENOTSUP;
	}
	int is64 = v.machine == KD_MACHINE_AMD64;
	uint8_t kdbg[KDBG_MIN_SIZE];
	uint64_t kdbg_addr = find_kdbg(eng, &v, kdbg, sizeof kdbg);
	uint8_t *page = malloc(KD_DUMP_PAGE);
	uint8_t *h = calloc(1, DH64_SIZE);
	struct run runs[MAX_RUNS];
	size_t nruns = 0;
	FILE *f = NULL;
	if (!page || !h) {
		rc = KD_ENOMEM;
		snprintf(err, errlen, ".dump: out of memory");
		goto out;
	}
	rc = layout(eng, kdbg, kdbg_addr != 0, runs, &nruns, page);
	if (rc < 0) {
		snprintf(err, errlen, ".dump: %s", rc == KD_ENOTSUP ? "too many physical memory runs for a dump header"
		         : rc == KD_ECANCELED ? "canceled" : "no readable physical memory on the target");
		goto out;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0644);
	if (fd < 0) {
		rc = KD_EIO;
		snprintf(err, errlen, ".dump: cannot create %s: %s%s", path, strerror(errno),
		         errno == EEXIST ? " (use /o to overwrite)" : "");
		goto out;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		rc = KD_EIO;
		snprintf(err, errlen, ".dump: cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	int bitmap = kind == KD_DUMP_WRITE_KERNEL && is64;
	fill_header(eng, h, &v, kdbg_addr, kdbg, kdbg_addr != 0,
	            bitmap ? KD_DUMP_TYPE_BITMAP_KERNEL : KD_DUMP_TYPE_FULL);
	rc = bitmap ? write_bitmap(eng, f, h, runs, nruns, page, &st) : write_full(eng, f, h, runs, nruns, page, &st);
	if (fclose(f) != 0 && rc == 0)
		rc = KD_EIO;
	f = NULL;
	if (rc < 0) {
		snprintf(err, errlen, ".dump: writing %s failed: %s", path, kd_strerror(rc));
		unlink(path);
	}
out:
	free(page);
	free(h);
	if (stats)
		*stats = st;
	return rc;
}
