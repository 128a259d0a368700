/*
 * Crash dump commands in WinDbg's layout: .bugcheck, .dumpdebug, !vtop,
 * !pte, !analyze and .dump. They use the engine API only; .dumpdebug and
 * the page-directory lookup of !vtop/!pte also ask a dump target for its
 * parsed header (kd/targets/dump_target.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/vtop.h"
#include "kd/commands/command.h"
#include "kd/commands/dump_banner.h"
#include "kd/commands/bugcodes.h"
#include "kd/targets/dump_file.h"
#include "kd/targets/dump_target.h"
#include "kd/targets/dump_write.h"

static int get_bugcheck(struct kd_engine *eng, struct kd_bugcheck *bc)
{
	struct kd_target *t = kd_engine_target(eng);
	memset(bc, 0, sizeof *bc);
	if (!t->ops->bugcheck)
		return KD_ENOTSUP;
	return t->ops->bugcheck(t, bc);
}

/* Pointer-sized hex without the backtick: 16 digits on x64, 8 on x86. */
static const char *hexp(struct kd_engine *eng, uint64_t v, char buf[20])
{
	if (kd_engine_is_64bit(eng))
		snprintf(buf, 20, "%016llx", (unsigned long long)v);
	else
		snprintf(buf, 20, "%08llx", (unsigned long long)(v & 0xffffffffull));
	return buf;
}

/* --- .bugcheck ---------------------------------------------------------- */

static int cmd_bugcheck(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	(void)args;
	struct kd_bugcheck bc;
	int rc = kd_cmd_need_target(eng, ".bugcheck");
	if (rc < 0)
		return rc;
	if ((rc = get_bugcheck(eng, &bc)) < 0) {
		kd_eprintf(eng, ".bugcheck: no bugcheck information on this target\n");
		return rc;
	}
	char a[4][20];
	kd_printf(eng, "Bugcheck code %08X\n", bc.code);
	kd_printf(eng, "Arguments %s %s %s %s\n", kd_format_addr(eng, bc.args[0], a[0]),
	          kd_format_addr(eng, bc.args[1], a[1]), kd_format_addr(eng, bc.args[2], a[2]),
	          kd_format_addr(eng, bc.args[3], a[3]));
	return 0;
}

/* --- .dumpdebug --------------------------------------------------------- */

static void field32(struct kd_engine *eng, const char *name, uint64_t v)
{
	kd_printf(eng, "%-22s%08llx\n", name, (unsigned long long)(v & 0xffffffffull));
}

static void field64(struct kd_engine *eng, const char *name, uint64_t v)
{
	kd_printf(eng, "%-22s%08x`%08x\n", name, (unsigned)(v >> 32), (unsigned)v);
}

static void fieldp(struct kd_engine *eng, const struct kd_dump *d, const char *name, uint64_t v)
{
	if (d->is64)
		field64(eng, name, v);
	else
		field32(eng, name, v);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void show_triage(struct kd_engine *eng, const struct kd_dump *d)
{
	static const char *const names[] = {
		"ServicePackBuild", "SizeOfDump", "ValidOffset", "ContextOffset", "ExceptionOffset",
		"MmOffset", "UnloadedDriversOffset", "PrcbOffset", "ProcessOffset", "ThreadOffset",
		"CallStackOffset", "SizeOfCallStack", "DriverListOffset", "DriverCount",
		"StringPoolOffset", "StringPoolSize", "BrokenDriverOffset", "TriageOptions",
	};
	const uint8_t *t = d->data + d->triage_offset;
	kd_printf(eng, "\n%s:\n", d->is64 ? "TRIAGE_DUMP64" : "TRIAGE_DUMP32");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		field32(eng, names[i], le32(t + 4 * i));
	if (d->is64) {
		field64(eng, "TopOfStack", le64(t + TD64_TOP_OF_STACK));
		field64(eng, "DataPageAddress", le64(t + TD64_DATA_PAGE_ADDRESS));
		field32(eng, "DataPageOffset", le32(t + TD64_DATA_PAGE_OFFSET));
		field32(eng, "DataPageSize", le32(t + TD64_DATA_PAGE_SIZE));
		field32(eng, "DebuggerDataOffset", le32(t + TD64_DEBUGGER_DATA_OFFSET));
		field32(eng, "DebuggerDataSize", le32(t + TD64_DEBUGGER_DATA_SIZE));
		field32(eng, "DataBlocksOffset", le32(t + TD64_DATA_BLOCKS_OFFSET));
		field32(eng, "DataBlocksCount", le32(t + TD64_DATA_BLOCKS_COUNT));
	} else {
		field32(eng, "TopOfStack", le32(t + TD32_TOP_OF_STACK));
		field32(eng, "DataPageAddress", le32(t + TD32_DATA_PAGE_ADDRESS));
		field32(eng, "DataPageOffset", le32(t + TD32_DATA_PAGE_OFFSET));
		field32(eng, "DataPageSize", le32(t + TD32_DATA_PAGE_SIZE));
		field32(eng, "DebuggerDataOffset", le32(t + TD32_DEBUGGER_DATA_OFFSET));
		field32(eng, "DebuggerDataSize", le32(t + TD32_DEBUGGER_DATA_SIZE));
		field32(eng, "DataBlocksOffset", le32(t + TD32_DATA_BLOCKS_OFFSET));
		field32(eng, "DataBlocksCount", le32(t + TD32_DATA_BLOCKS_COUNT));
	}
}

static void show_memory_layout(struct kd_engine *eng, const struct kd_dump *d)
{
	if (d->bitmap_signature[0]) {
		kd_printf(eng, "\n%s:\n", d->is64 ? "SUMMARY_DUMP64" : "SUMMARY_DUMP32");
		kd_printf(eng, "%-22s%s\n", "Signature", d->bitmap_signature);
		fieldp(eng, d, "FirstPageOffset", d->bitmap_first_page);
		fieldp(eng, d, "Pages", d->bitmap_bits);
		fieldp(eng, d, "PresentPages", d->phys_pages);
	}
	if (!d->nruns)
		return;
	size_t shown = d->nruns < 20 ? d->nruns : 20;
	kd_printf(eng, "\nPhysical Memory Description:\n");
	kd_printf(eng, "Number of runs: %zu (limited to 20)\n", d->nruns);
	kd_printf(eng, "  FileOffset           Start Address           Length\n");
	for (size_t i = 0; i < shown; i++) {
		const struct kd_dump_run *r = &d->runs[i];
		kd_printf(eng, "  %016llx     %016llx        %016llx\n", (unsigned long long)r->file_offset,
		          (unsigned long long)(r->base_page * KD_DUMP_PAGE),
		          (unsigned long long)(r->pages * KD_DUMP_PAGE));
	}
	kd_printf(eng, "Last Page: %016llx     %016llx\n",
	          (unsigned long long)(d->runs[d->nruns - 1].file_offset + (d->runs[d->nruns - 1].pages - 1) * KD_DUMP_PAGE),
	          (unsigned long long)((d->runs[d->nruns - 1].base_page + d->runs[d->nruns - 1].pages - 1) * KD_DUMP_PAGE));
}

static int cmd_dumpdebug(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	(void)args;
	int rc = kd_cmd_need_target(eng, ".dumpdebug");
	if (rc < 0)
		return rc;
	struct kd_dump *d = kd_dump_target_dump(kd_engine_target(eng));
	if (!d) {
		kd_eprintf(eng, ".dumpdebug: the target is not a dump file\n");
		return KD_ENOTSUP;
	}
	const char *kind = d->triage ? "Mini" : d->bitmap_signature[0] ? "Bitmap" : "Full";
	kd_printf(eng, "----- %d bit Kernel %s Dump Analysis\n\n", d->is64 ? 64 : 32, kind);
	kd_printf(eng, "%s:\n", d->is64 ? "DUMP_HEADER64" : "DUMP_HEADER32");
	field32(eng, "MajorVersion", d->major);
	field32(eng, "MinorVersion", d->minor);
	field32(eng, "KdSecondaryVersion", d->kd_secondary_version);
	fieldp(eng, d, "DirectoryTableBase", d->dtb);
	fieldp(eng, d, "PfnDataBase", d->pfn_database);
	fieldp(eng, d, "PsLoadedModuleList", d->ps_loaded_module_list);
	fieldp(eng, d, "PsActiveProcessHead", d->ps_active_process_head);
	field32(eng, "MachineImageType", d->machine);
	field32(eng, "NumberProcessors", d->processors);
	field32(eng, "BugCheckCode", d->bugcheck.code);
	for (int i = 0; i < 4; i++) {
		char n[24];
		snprintf(n, sizeof n, "BugCheckParameter%d", i + 1);
		fieldp(eng, d, n, d->bugcheck.args[i]);
	}
	if (!d->is64)
		field32(eng, "PaeEnabled", (uint64_t)d->pae);
	fieldp(eng, d, "KdDebuggerDataBlock", d->kddebugger_data);
	field32(eng, "DumpType", d->dump_type);
	field32(eng, "MiniDumpFields", d->minidump_fields);
	field32(eng, "SecondaryDataState", d->secondary_state);
	field32(eng, "ProductType", d->product_type);
	field32(eng, "SuiteMask", d->suite_mask);
	field32(eng, "WriterStatus", d->writer_status);
	field64(eng, "RequiredDumpSpace", d->required_space);
	field64(eng, "SystemUpTime", d->system_uptime);
	field64(eng, "SystemTime", d->system_time);
	if (d->is64)
		field32(eng, "Attributes", d->attributes);
	if (d->comment[0])
		kd_printf(eng, "%-22s%s\n", "Comment", d->comment);
	kd_printf(eng, "\n%s\n", kd_dump_type_name(d));
	if (d->triage)
		show_triage(eng, d);
	show_memory_layout(eng, d);
	return 0;
}

/* --- !vtop and !pte ---------------------------------------------------- */

static int eng_phys(void *ctx, uint64_t pa, void *buf, uint32_t len)
{
	size_t done = 0;
	int rc = kd_read_physical(ctx, pa, buf, len, &done);
	if (rc < 0)
		return rc;
	return done == len ? 0 : KD_EUNREADABLE;
}

static int current_paging(struct kd_engine *eng, enum kd_paging *mode, uint64_t *dtb)
{
	return kd_dump_current_paging(eng, mode, dtb);
}

static int cmd_vtop(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	int rc = kd_cmd_need_target(eng, "!vtop");
	if (rc < 0)
		return rc;
	uint64_t dirbase, va;
	const char *end;
	if (kd_eval(eng, args, &dirbase, &end) < 0 || kd_eval(eng, kd_skip_spaces(end), &va, &end) < 0) {
		kd_eprintf(eng, "Usage: !vtop DirBase VirtualAddress\n");
		return KD_EINVAL;
	}
	enum kd_paging mode;
	uint64_t dtb;
	if ((rc = current_paging(eng, &mode, &dtb)) < 0) {
		if (dirbase == 0) {
			kd_eprintf(eng, "!vtop: cannot find the current page directory; give DirBase\n");
			return rc;
		}
		mode = kd_engine_machine(eng) == KD_MACHINE_AMD64 ? KD_PAGING_X64 : KD_PAGING_X86;
	}
	/* DirBase is a page frame number, or a page-aligned physical address. */
	if (dirbase)
		dtb = (dirbase & 0xfff) || dirbase < 0x1000 ? dirbase << 12 : dirbase;
	struct kd_vtop_walk w;
	rc = kd_vtop(mode, dtb, va, eng_phys, eng, &w);
	const char *p = mode == KD_PAGING_X64 ? "Amd64VtoP" : "X86VtoP";
	static const char *const x64names[] = { "PML4E", "PDPE", "PDE", "PTE" };
	if (mode == KD_PAGING_X64)
		kd_printf(eng, "%s: Virt %016llx, pagedir %016llx\n", p, (unsigned long long)va, (unsigned long long)dtb);
	else
		kd_printf(eng, "%s: Virt %08llx, pagedir %08llx\n", p, (unsigned long long)va, (unsigned long long)dtb);
	for (unsigned i = 0; i < w.nlevels; i++) {
		const struct kd_vtop_level *l = &w.level[i];
		if (mode == KD_PAGING_X64)
			kd_printf(eng, "%s: %s %016llx\n", p, x64names[i], (unsigned long long)l->entry_pa);
		else
			kd_printf(eng, "%s: %s%s %08llx - %0*llx\n", p, mode == KD_PAGING_PAE ? "PAE " : "",
			          l->name, (unsigned long long)l->entry_pa, mode == KD_PAGING_PAE ? 16 : 8,
			          (unsigned long long)l->entry);
	}
	if (rc == 0 && w.prototype)
		kd_printf(eng, "%s: prototype PTE %0*llx - %016llx\n", p, mode == KD_PAGING_X64 ? 16 : 8,
		          (unsigned long long)w.prototype_pa, (unsigned long long)w.prototype_entry);
	if (rc == 0 && w.transition)
		kd_printf(eng, "%s: transition PTE, the page is still in memory\n", p);
	if (rc == 0) {
		kd_printf(eng, "%s: %s%s phys %0*llx\n", p, mode == KD_PAGING_PAE ? "PAE " : "",
		          w.page_size > 0x1000 ? "Large page mapped" : "Mapped",
		          mode == KD_PAGING_X64 ? 16 : 8, (unsigned long long)w.pa);
		kd_printf(eng, "Virtual address %llx translates to physical address %llx.\n",
		          (unsigned long long)va, (unsigned long long)w.pa);
		return 0;
	}
	if (w.nlevels && rc == KD_EUNREADABLE) {
		kd_printf(eng, "%s: %s\n", p, w.prototype ? "prototype PTE" : "zero PTE");
		kd_printf(eng, "Virtual address %llx translation fails, error 0xD0000147.\n", (unsigned long long)va);
		return 0;
	}
	kd_eprintf(eng, "!vtop: %s\n", rc == KD_EINVAL ? "not a canonical address" : "page tables not readable");
	return rc;
}

/* WinDbg's flag string: C G L D A N T K/U W/R E V. */
static void pte_flags(uint64_t e, int nx_capable, char out[12])
{
	snprintf(out, 12, "%c%c%c%c%c%c%c%c%c%c%c",
	         (e & KD_PTE_COPYWRITE) ? 'C' : '-', (e & KD_PTE_GLOBAL) ? 'G' : '-',
	         (e & KD_PTE_LARGE) ? 'L' : '-', (e & KD_PTE_DIRTY) ? 'D' : '-',
	         (e & KD_PTE_ACCESSED) ? 'A' : '-', (e & KD_PTE_CACHEDIS) ? 'N' : '-',
	         (e & KD_PTE_WRITETHRU) ? 'T' : '-', (e & KD_PTE_OWNER) ? 'U' : 'K',
	         (e & KD_PTE_WRITE) ? 'W' : 'R', (nx_capable && (e & KD_PTE_NX)) ? '-' : 'E', 'V');
}

/* x64: the PML4 slot that maps the page tables themselves. */
static int self_map_index(struct kd_engine *eng, uint64_t dtb, unsigned *index)
{
	uint8_t pml4[4096];
	size_t done = 0;
	if (kd_read_physical(eng, dtb & 0x000ffffffffff000ull, pml4, sizeof pml4, &done) < 0 || done < sizeof pml4)
		return KD_EUNREADABLE;
	for (unsigned i = 256; i < 512; i++) {
		uint64_t e = le64(pml4 + 8 * i);
		if ((e & KD_PTE_VALID) && (e & 0x000ffffffffff000ull) == (dtb & 0x000ffffffffff000ull)) {
			*index = i;
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

static int cmd_pte(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	int rc = kd_cmd_need_target(eng, "!pte");
	if (rc < 0)
		return rc;
	uint64_t va;
	if (kd_eval(eng, args, &va, NULL) < 0) {
		kd_eprintf(eng, "Usage: !pte VirtualAddress\n");
		return KD_EINVAL;
	}
	enum kd_paging mode;
	uint64_t dtb;
	if ((rc = current_paging(eng, &mode, &dtb)) < 0) {
		kd_eprintf(eng, "!pte: cannot find the current page directory\n");
		return rc;
	}
	struct kd_vtop_walk w;
	rc = kd_vtop(mode, dtb, va, eng_phys, eng, &w);
	if (w.nlevels == 0) {
		kd_eprintf(eng, "!pte: %s\n", rc == KD_EINVAL ? "not a canonical address" : "page tables are not in this dump");
		return rc;
	}
	/* Virtual addresses of the entries, through the self-map. */
	uint64_t at[4] = { 0 };
	int wide = mode != KD_PAGING_X86;
	for (unsigned i = 0; i < w.nlevels; i++)
		at[i] = w.level[i].entry_pa;
	if (mode == KD_PAGING_X64) {
		unsigned s;
		if (self_map_index(eng, dtb, &s) != 0) {
			kd_printf(eng, "(no page-table self-map: entry addresses are physical)\n");
		} else {
			uint64_t v = va & 0xffffffffffffull;
			uint64_t pte_base = 0xffff000000000000ull | (uint64_t)s << 39;
			uint64_t pde_base = pte_base + ((uint64_t)s << 30);
			uint64_t ppe_base = pde_base + ((uint64_t)s << 21);
			uint64_t pxe_base = ppe_base + ((uint64_t)s << 12);
			at[0] = pxe_base + (v >> 39) * 8;
			at[1] = ppe_base + (v >> 30) * 8;
			at[2] = pde_base + (v >> 21) * 8;
			at[3] = pte_base + (v >> 12) * 8;
		}
		kd_printf(eng, "%43sVA %016llx\n", "", (unsigned long long)va);
	} else if (mode == KD_PAGING_PAE) {
		at[1] = 0xc0600000ull + ((va & 0xffffffffull) >> 21) * 8;
		at[2] = 0xc0000000ull + ((va & 0xffffffffull) >> 12) * 8;
		kd_printf(eng, "%15sVA %08llx\n", "", (unsigned long long)va);
	} else {
		at[0] = 0xc0300000ull + ((va & 0xffffffffull) >> 22) * 4;
		at[1] = 0xc0000000ull + ((va & 0xffffffffull) >> 12) * 4;
		kd_printf(eng, "%15sVA %08llx\n", "", (unsigned long long)va);
	}
	/* PAE's PDPT entry has no self-map address; show the PD and PT. */
	unsigned first = mode == KD_PAGING_PAE ? 1 : 0;
	char line[3][256];
	size_t len[3] = { 0, 0, 0 };
	line[0][0] = line[1][0] = line[2][0] = '\0';
	for (unsigned i = first; i < w.nlevels; i++) {
		const struct kd_vtop_level *l = &w.level[i];
		char flags[12];
		pte_flags(l->entry, mode != KD_PAGING_X86, flags);
		if (mode == KD_PAGING_X64 || mode == KD_PAGING_PAE)
			len[0] += snprintf(line[0] + len[0], sizeof line[0] - len[0], "%s at %0*llX    ", l->name,
			                   mode == KD_PAGING_X64 ? 16 : 8, (unsigned long long)at[i]);
		else
			len[0] += snprintf(line[0] + len[0], sizeof line[0] - len[0], "%s at %08llX            ",
			                   l->name, (unsigned long long)at[i]);
		if (wide)
			len[1] += snprintf(line[1] + len[1], sizeof line[1] - len[1], "contains %016llX  ",
			                   (unsigned long long)l->entry);
		else
			len[1] += snprintf(line[1] + len[1], sizeof line[1] - len[1], "contains %08llX          ",
			                   (unsigned long long)l->entry);
		uint64_t pfn = (l->entry & 0x000ffffffffff000ull) >> 12;
		if (l->entry & KD_PTE_VALID)
			len[2] += snprintf(line[2] + len[2], sizeof line[2] - len[2], "pfn %-10llx%s  ",
			                   (unsigned long long)pfn, flags);
		else if (l->entry & KD_PTE_PROTOTYPE)
			len[2] += snprintf(line[2] + len[2], sizeof line[2] - len[2], "%-27s", "not valid (prototype)");
		else if (l->entry & KD_PTE_TRANSITION)
			len[2] += snprintf(line[2] + len[2], sizeof line[2] - len[2], "Transition: %-15llx",
			                   (unsigned long long)pfn);
		else
			len[2] += snprintf(line[2] + len[2], sizeof line[2] - len[2], "%-27s", "not valid");
		if (len[0] >= sizeof line[0] || len[1] >= sizeof line[1] || len[2] >= sizeof line[2])
			break;
	}
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(line[i]);
		while (n && line[i][n - 1] == ' ')
			line[i][--n] = '\0';
		kd_printf(eng, "%s\n", line[i]);
	}
	return 0;
}

/* --- !analyze ----------------------------------------------------------- */

/* An exception record as .exr prints it. */
static void print_exception(struct kd_engine *eng, uint32_t code, uint32_t flags, uint64_t where,
                            uint32_t np, const uint64_t *p)
{
	char h[20], sym[256];
	if (kd_format_symbol(eng, where, sym, sizeof sym) == 0)
		kd_printf(eng, "ExceptionAddress: %s (%s)\n", hexp(eng, where, h), sym);
	else
		kd_printf(eng, "ExceptionAddress: %s\n", hexp(eng, where, h));
	const char *cn = kd_exception_code_name(code);
	if (cn)
		kd_printf(eng, "   ExceptionCode: %08x (%s)\n", code, cn);
	else
		kd_printf(eng, "   ExceptionCode: %08x\n", code);
	kd_printf(eng, "  ExceptionFlags: %08x\n", flags);
	kd_printf(eng, "NumberParameters: %u\n", np);
	for (uint32_t i = 0; i < np; i++)
		kd_printf(eng, "   Parameter[%u]: %s\n", i, hexp(eng, p[i], h));
	if (code == 0xc0000005 && np >= 2)
		kd_printf(eng, "Attempt to %s address %s\n",
		          p[0] == 1 ? "write to" : p[0] == 8 ? "execute non-executable" : "read from", hexp(eng, p[1], h));
}

/* Print an EXCEPTION_RECORD read from target memory. */
static int show_exception_record(struct kd_engine *eng, uint64_t addr)
{
	int is64 = kd_engine_is_64bit(eng);
	uint8_t b[ER64_SIZE];
	size_t n = is64 ? ER64_SIZE : ER32_SIZE, done = 0;
	if (kd_read_virtual(eng, addr, b, n, &done) < 0 || done < n) {
		char a[20];
		kd_printf(eng, "Unable to read exception record at %s\n", kd_format_addr(eng, addr, a));
		return KD_EUNREADABLE;
	}
	uint32_t np = le32(b + (is64 ? ER64_NPARAMS : ER32_NPARAMS));
	uint64_t p[15] = { 0 };
	if (np > 15)
		np = 15;
	for (uint32_t i = 0; i < np; i++)
		p[i] = is64 ? le64(b + ER64_PARAMS + 8 * i) : le32(b + ER32_PARAMS + 4 * i);
	print_exception(eng, le32(b), le32(b + 4), is64 ? le64(b + ER64_ADDRESS) : le32(b + ER32_ADDRESS), np, p);
	return 0;
}

static int read_context_at(struct kd_engine *eng, uint64_t addr, struct kd_context *c)
{
	size_t n = kd_context_size(kd_engine_machine(eng)), done = 0;
	memset(c, 0, sizeof *c);
	c->machine = kd_engine_machine(eng);
	if (!n || kd_read_virtual(eng, addr, c->u.raw, n, &done) < 0 || done < n)
		return KD_EUNREADABLE;
	return 0;
}

/* An address for a command line: 0x and, on x86, sign-extended like WinDbg. */
static unsigned long long cmd_addr(struct kd_engine *eng, uint64_t v)
{
	if (!kd_engine_is_64bit(eng))
		v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
	return (unsigned long long)v;
}

static int cmd_analyze(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	int rc = kd_cmd_need_target(eng, "!analyze");
	if (rc < 0)
		return rc;
	int verbose = strstr(args, "-v") != NULL;
	struct kd_bugcheck bc;
	if (get_bugcheck(eng, &bc) < 0) {
		kd_eprintf(eng, "!analyze: no bugcheck on this target\n");
		return KD_ENOTSUP;
	}
	char bname[96], h[20];
	const struct kd_bugcheck_info *bi = kd_bugcheck_lookup(bc.code, bname, sizeof bname);
	static const char stars[] = "*******************************************************************************";
	kd_printf(eng, "%s\n*%77s*\n*                        Bugcheck Analysis                                    *\n*%77s*\n%s\n\n",
	          stars, "", "", stars);
	if (!verbose) {
		kd_printf(eng, "Use !analyze -v to get detailed debugging information.\n\n");
		kd_printf(eng, "BugCheck %X, {%llx, %llx, %llx, %llx}\n\n", bc.code,
		          (unsigned long long)bc.args[0], (unsigned long long)bc.args[1],
		          (unsigned long long)bc.args[2], (unsigned long long)bc.args[3]);
		return 0;
	}
	kd_printf(eng, "%s (%x)\n", bname, bc.code);
	if (bi)
		kd_printf(eng, "%s\n", bi->description);
	kd_printf(eng, "Arguments:\n");
	for (int i = 0; i < 4; i++) {
		const char *m = bi ? bi->args[i] : NULL;
		if (m)
			kd_printf(eng, "Arg%d: %s, %s\n", i + 1, hexp(eng, bc.args[i], h), m);
		else
			kd_printf(eng, "Arg%d: %s\n", i + 1, hexp(eng, bc.args[i], h));
	}
	kd_printf(eng, "\nDebugging Details:\n------------------\n\n");
	kd_printf(eng, "BUGCHECK_CODE:  %x\n\n", bc.code);
	for (int i = 0; i < 4; i++)
		kd_printf(eng, "BUGCHECK_P%d: %llx\n", i + 1, (unsigned long long)bc.args[i]);
	kd_printf(eng, "\n");
	if (bi && bi->code_arg >= 0) {
		uint32_t code = (uint32_t)bc.args[bi->code_arg];
		const char *cn = kd_exception_code_name(code);
		kd_printf(eng, "EXCEPTION_CODE_STR:  %x%s%s%s\n\n", code, cn ? " (" : "", cn ? cn : "", cn ? ")" : "");
	}
	if (bi && bi->exr_arg >= 0 && bc.args[bi->exr_arg]) {
		uint64_t a = bc.args[bi->exr_arg];
		kd_printf(eng, "EXCEPTION_RECORD:  %s -- (.exr 0x%llx)\n", hexp(eng, a, h), cmd_addr(eng, a));
		show_exception_record(eng, a);
		kd_printf(eng, "\n");
	}
	char stack_cmd[96] = "kb", cmd[64];
	struct kd_context c;
	int overridden = 0;
	/* Show the context the bugcheck names with .cxr/.trap; the stack
	 * below is walked in it, then the default scope comes back. */
	if (bi && bi->context == KD_BC_CTX_CXR && bc.args[bi->context_arg]) {
		uint64_t a = bc.args[bi->context_arg];
		kd_printf(eng, "CONTEXT:  %s -- (.cxr 0x%llx)\n", hexp(eng, a, h), cmd_addr(eng, a));
		snprintf(cmd, sizeof cmd, ".cxr 0x%llx", cmd_addr(eng, a));
		if (read_context_at(eng, a, &c) < 0) {
			kd_printf(eng, "Unable to read context at %s\n", hexp(eng, a, h));
		} else {
			kd_execute(eng, cmd);
			overridden = kd_context_is_overridden(eng);
		}
		kd_printf(eng, "Resetting default scope\n\n");
		snprintf(stack_cmd, sizeof stack_cmd, "%s ; kb", cmd);
	} else if (bi && bi->context == KD_BC_CTX_TRAP && bc.args[bi->context_arg]) {
		uint64_t a = bc.args[bi->context_arg];
		kd_printf(eng, "TRAP_FRAME:  %s -- (.trap 0x%llx)\n", hexp(eng, a, h), cmd_addr(eng, a));
		snprintf(cmd, sizeof cmd, ".trap 0x%llx", cmd_addr(eng, a));
		kd_execute(eng, cmd);
		overridden = kd_context_is_overridden(eng);
		kd_printf(eng, "Resetting default scope\n\n");
		snprintf(stack_cmd, sizeof stack_cmd, "%s ; kb", cmd);
	}
	if (kd_command_find("kb", NULL)) {
		kd_printf(eng, "STACK_TEXT:  \n");
		kd_execute(eng, "kb");
		kd_printf(eng, "\n");
	}
	if (overridden)
		kd_context_reset(eng);
	kd_printf(eng, "STACK_COMMAND:  %s\n\n", stack_cmd);
	if (bi && bi->code_arg >= 0) {
		const struct kd_module *m = kd_engine_module_by_addr(eng, bc.args[bi->code_arg + 1]);
		if (m) {
			kd_printf(eng, "MODULE_NAME: %s\n\n", m->name);
			const char *base = strrchr(m->path, '\\');
			kd_printf(eng, "IMAGE_NAME:  %s\n\n", base ? base + 1 : m->path);
		}
	}
	kd_printf(eng, "FAILURE_BUCKET_ID:  0x%X\n\n", bc.code);
	kd_printf(eng, "Followup:     MachineOwner\n---------\n\n");
	return 0;
}

/* --- .dump -------------------------------------------------------------- */

static int cmd_dump(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	int rc = kd_cmd_need_target(eng, ".dump");
	if (rc < 0)
		return rc;
	enum kd_dump_write_kind kind = KD_DUMP_WRITE_FULL;
	int overwrite = 0;
	const char *p = kd_skip_spaces(args);
	/* Options are "/" or "-" and letters; anything else is the file name
	 * (which may itself start with "/"). */
	for (;;) {
		size_t n = 0;
		while (p[n] && p[n] != ' ' && p[n] != '\t')
			n++;
		int opt = n >= 2 && (*p == '/' || *p == '-');
		for (size_t i = 1; opt && i < n; i++)
			opt = isalpha((unsigned char)p[i]);
		if (!opt)
			break;
		for (size_t i = 1; i < n; i++) {
			switch (tolower((unsigned char)p[i])) {
			case 'f': kind = KD_DUMP_WRITE_FULL; break;
			case 'k': kind = KD_DUMP_WRITE_KERNEL; break;
			case 'o': overwrite = 1; break;
			default:
				kd_eprintf(eng, "Usage: .dump [/f | /k] [/o] FileName\n");
				return KD_EINVAL;
			}
		}
		p = kd_skip_spaces(p + n);
	}
	char path[4096];
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof path) {
		kd_eprintf(eng, "Usage: .dump [/f | /k] [/o] FileName\n");
		return KD_EINVAL;
	}
	memcpy(path, p, n);
	path[n] = '\0';
	char err[512];
	struct kd_dump_write_stats st;
	kd_printf(eng, "Creating %s - %s\n", path, kind == KD_DUMP_WRITE_FULL ? "Full kernel dump" : "kernel memory dump");
	rc = kd_dump_write(eng, path, kind, overwrite, &st, err, sizeof err);
	if (rc < 0) {
		kd_eprintf(eng, "%s\n", err);
		return rc;
	}
	kd_printf(eng, "Dump successfully written (%llu pages", (unsigned long long)st.pages);
	if (st.unreadable_pages)
		kd_printf(eng, ", %llu unreadable", (unsigned long long)st.unreadable_pages);
	if (kind == KD_DUMP_WRITE_KERNEL && st.all_pages)
		kd_printf(eng, "; the kernel's page tables were not readable, so every readable page");
	kd_printf(eng, ")\n");
	return 0;
}

/* --- the kd -z banner ---------------------------------------------------- */

int kd_dump_show_banner(struct kd_engine *eng, const char *path)
{
	struct kd_dump *d = kd_dump_target_dump(kd_engine_target(eng));
	if (!d)
		return KD_ENOTSUP;
	kd_printf(eng, "\nLoading Dump File [%s]\n%s\n\n", path, kd_dump_type_name(d));
	if (kd_command_find("vertarget", NULL))
		kd_execute(eng, "vertarget");
	/* FILETIME: 100 ns units since 1601. */
	if (d->system_time && d->system_time != 0x4547415045474150ull) {
		time_t secs = (time_t)(d->system_time / 10000000ull - 11644473600ull);
		unsigned ms = (unsigned)(d->system_time / 10000ull % 1000);
		struct tm tm;
		char when[64];
		if (gmtime_r(&secs, &tm) && strftime(when, sizeof when, "%a %b %e %H:%M:%S", &tm))
			kd_printf(eng, "Debug session time: %s.%03u %d (UTC + 0:00)\n", when, ms, tm.tm_year + 1900);
	}
	if (d->system_uptime != 0x4547415045474150ull) {
		uint64_t ms = d->system_uptime / 10000ull;
		kd_printf(eng, "System Uptime: %llu days %llu:%02llu:%02llu.%03llu\n",
		          (unsigned long long)(ms / 86400000ull), (unsigned long long)(ms / 3600000ull % 24),
		          (unsigned long long)(ms / 60000ull % 60), (unsigned long long)(ms / 1000ull % 60),
		          (unsigned long long)(ms % 1000ull));
	}
	kd_printf(eng, "Use !analyze -v to get detailed debugging information.\n\n");
	kd_printf(eng, "BugCheck %X, {%llx, %llx, %llx, %llx}\n\n", d->bugcheck.code,
	          (unsigned long long)d->bugcheck.args[0], (unsigned long long)d->bugcheck.args[1],
	          (unsigned long long)d->bugcheck.args[2], (unsigned long long)d->bugcheck.args[3]);
	return 0;
}

const struct kd_command kd_cmds_dump[] = {
	{ ".bugcheck", cmd_bugcheck, ".bugcheck", "show the bugcheck code and arguments" },
	{ ".dumpdebug", cmd_dumpdebug, ".dumpdebug", "show the crash dump's header" },
	{ "!vtop", cmd_vtop, "!vtop DirBase VirtualAddress", "translate a virtual address, showing the walk" },
	{ "!pte", cmd_pte, "!pte VirtualAddress", "show the page-table entries of an address" },
	{ "!analyze", cmd_analyze, "!analyze [-v]", "analyze the bugcheck" },
	{ ".dump", cmd_dump, ".dump [/f | /k] [/o] FileName", "write a crash dump of the target" },
	{ NULL, NULL, NULL, NULL },
};
