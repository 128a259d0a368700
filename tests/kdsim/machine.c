/*
 * The synthetic machine of kdsim (see machine.h). Its memory is laid out as
 * a Windows kernel's is: a PE image at the kernel base with code at
 * KdBreakPoint-like addresses, a loaded-module list, per-processor stacks.
 */
#include "tests/kdsim/machine.h"

#include <stdlib.h>
#include <string.h>

#define PHYS_BASE 0x1000000ull

static unsigned bucket(uint64_t va)
{
	return (unsigned)((va / SIM_PAGE) % 1024);
}

static struct sim_page *find_page(struct sim_machine *m, uint64_t va)
{
	uint64_t pva = va & ~(uint64_t)(SIM_PAGE - 1);
	for (struct sim_page *p = m->pages[bucket(pva)]; p; p = p->next)
		if (p->va == pva)
			return p;
	return NULL;
}

static struct sim_page *find_phys(struct sim_machine *m, uint64_t pa)
{
	uint64_t ppa = pa & ~(uint64_t)(SIM_PAGE - 1);
	for (struct sim_page *p = m->phys[bucket(ppa)]; p; p = p->pnext)
		if (p->pa == ppa)
			return p;
	return NULL;
}

static struct sim_page *new_phys_page(struct sim_machine *m)
{
	struct sim_page *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (!m->next_pa)
		m->next_pa = PHYS_BASE;
	p->pa = m->next_pa;
	m->next_pa += SIM_PAGE;
	p->pnext = m->phys[bucket(p->pa)];
	m->phys[bucket(p->pa)] = p;
	return p;
}

static struct sim_page *map_page(struct sim_machine *m, uint64_t va)
{
	struct sim_page *p = find_page(m, va);
	if (p)
		return p;
	p = new_phys_page(m);
	if (!p)
		return NULL;
	p->va = va & ~(uint64_t)(SIM_PAGE - 1);
	p->next = m->pages[bucket(p->va)];
	m->pages[bucket(p->va)] = p;
	return p;
}

static uint64_t get_entry(struct sim_page *t, unsigned idx, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)t->data[idx * size + i] << (8 * i);
	return v;
}

static void set_entry(struct sim_page *t, unsigned idx, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		t->data[idx * size + i] = (uint8_t)(v >> (8 * i));
}

/* The table an entry points at, made when absent. */
static struct sim_page *next_table(struct sim_machine *m, struct sim_page *t, unsigned idx, unsigned size)
{
	uint64_t e = get_entry(t, idx, size);
	if (e & 1)
		return find_phys(m, e & 0x000ffffffffff000ull);
	struct sim_page *n = new_phys_page(m);
	if (!n)
		return NULL;
	n->table = 1;
	set_entry(t, idx, size, n->pa | 0x63); /* present, writable, accessed, dirty */
	return n;
}

/* Page tables for every mapped page: x64 four levels, x86 two (no PAE),
 * so that a debugger walking them from CR3 finds what sim_read finds. */
static int build_page_tables(struct sim_machine *m)
{
	int x64 = m->machine == KD_MACHINE_AMD64;
	unsigned size = x64 ? 8 : 4;
	struct sim_page *root = new_phys_page(m);
	if (!root)
		return -1;
	root->table = 1;
	m->cr3 = root->pa;
	for (unsigned b = 0; b < 1024; b++) {
		for (struct sim_page *p = m->pages[b]; p; p = p->next) {
			struct sim_page *t = root;
			if (x64) {
				t = next_table(m, t, (p->va >> 39) & 511, size);
				t = t ? next_table(m, t, (p->va >> 30) & 511, size) : NULL;
				t = t ? next_table(m, t, (p->va >> 21) & 511, size) : NULL;
				if (!t)
					return -1;
				set_entry(t, (p->va >> 12) & 511, size, p->pa | 0x63);
			} else {
				t = next_table(m, t, (unsigned)(p->va >> 22) & 1023, size);
				if (!t)
					return -1;
				set_entry(t, (unsigned)(p->va >> 12) & 1023, size, p->pa | 0x63);
			}
		}
	}
	return 0;
}

static int map_range(struct sim_machine *m, uint64_t va, uint64_t len)
{
	for (uint64_t a = va & ~(uint64_t)(SIM_PAGE - 1); a < va + len; a += SIM_PAGE)
		if (!map_page(m, a))
			return -1;
	return 0;
}

/* Copy between buf and the pages from addr on, found by `find` (virtual or
 * physical), up to the first absent page. */
static uint32_t copy_pages(struct sim_machine *m, struct sim_page *(*find)(struct sim_machine *, uint64_t),
                           uint64_t addr, uint8_t *buf, uint32_t len, int write)
{
	uint32_t done = 0;
	while (done < len) {
		struct sim_page *p = find(m, addr + done);
		if (!p)
			break;
		uint32_t off = (uint32_t)((addr + done) & (SIM_PAGE - 1));
		uint32_t n = SIM_PAGE - off < len - done ? SIM_PAGE - off : len - done;
		if (write)
			memcpy(p->data + off, buf + done, n);
		else
			memcpy(buf + done, p->data + off, n);
		done += n;
	}
	return done;
}

uint32_t sim_read(struct sim_machine *m, uint64_t va, void *buf, uint32_t len)
{
	return copy_pages(m, find_page, va, buf, len, 0);
}

uint32_t sim_write(struct sim_machine *m, uint64_t va, const void *buf, uint32_t len)
{
	return copy_pages(m, find_page, va, (uint8_t *)buf, len, 1);
}

uint32_t sim_read_physical(struct sim_machine *m, uint64_t pa, void *buf, uint32_t len)
{
	return copy_pages(m, find_phys, pa, buf, len, 0);
}

uint32_t sim_write_physical(struct sim_machine *m, uint64_t pa, const void *buf, uint32_t len)
{
	return copy_pages(m, find_phys, pa, (uint8_t *)buf, len, 1);
}

unsigned sim_pointer_size(const struct sim_machine *m)
{
	return m->machine == KD_MACHINE_AMD64 ? 8 : 4;
}

static void put(struct sim_machine *m, uint64_t va, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sim_write(m, va, b, n);
}

/* A minimal PE image: MZ and PE headers with the real field positions, so
 * a debugger that reads the image's headers finds its size and stamp. */
static void write_image(struct sim_machine *m, uint64_t base, uint32_t size, uint32_t stamp)
{
	int x64 = m->machine == KD_MACHINE_AMD64;
	put(m, base, 0x5a4d, 2);             /* "MZ" */
	put(m, base + 0x3c, 0x80, 4);         /* e_lfanew */
	put(m, base + 0x80, 0x00004550, 4);   /* "PE\0\0" */
	put(m, base + 0x84, m->machine, 2);
	put(m, base + 0x86, 1, 2);            /* sections */
	put(m, base + 0x88, stamp, 4);
	put(m, base + 0x94, x64 ? 0xf0 : 0xe0, 2);
	put(m, base + 0x96, 0x2022, 2);
	put(m, base + 0x98, x64 ? 0x20b : 0x10b, 2);
	put(m, base + 0x98 + 56, size, 4);    /* SizeOfImage */
	/* A text string kd's tests can look for with da. */
	const char *text = "This program cannot be run in DOS mode.";
	sim_write(m, base + 0x4e, text, (uint32_t)strlen(text) + 1);
}

int sim_machine_init(struct sim_machine *m, enum kd_machine arch, unsigned ncpu)
{
	memset(m, 0, sizeof *m);
	m->machine = arch;
	m->ncpu = ncpu ? (ncpu > 64 ? 64 : ncpu) : 2;
	m->build = 19041;
	int x64 = arch == KD_MACHINE_AMD64;
	m->kern_base = x64 ? 0xfffff80012600000ull : 0x82800000ull;
	uint32_t ksize = 0x100000; /* 1 MiB of kernel image, all mapped */
	uint64_t drv_base = x64 ? 0xfffff80015a30000ull : 0x8f400000ull;
	m->break_pc = m->kern_base + 0x1d0b0;
	m->ps_loaded_module_list = m->kern_base + 0x80a2b0;
	m->stack_base = x64 ? 0xfffff8001a000000ull : 0x8a000000ull;
	if (map_range(m, m->kern_base, ksize) < 0 || map_range(m, drv_base, 0x8000) < 0 ||
	    map_range(m, m->ps_loaded_module_list & ~0xfffull, SIM_PAGE) < 0 ||
	    map_range(m, m->stack_base - 0x6000 * 64, 0x6000 * 64) < 0)
		return -1;
	m->modules[0] = (struct sim_module){ "\\SystemRoot\\system32\\ntoskrnl.exe", m->kern_base, ksize, 0x00a5a5a5 };
	m->modules[1] = (struct sim_module){ "\\SystemRoot\\system32\\drivers\\TestDriver.sys", drv_base, 0x8000, 0x0001f00d };
	m->nmodules = 2;
	write_image(m, m->kern_base, ksize, 0x5f0e2c31);
	write_image(m, drv_base, 0x8000, 0x61a3b0c2);
	/* Fill the rest of the kernel image with a pattern that differs on
	 * every byte offset, so a misplaced read shows. */
	for (uint64_t a = m->kern_base + 0x2000; a < m->kern_base + ksize; a += 4)
		put(m, a, (uint32_t)(a * 2654435761u), 4);
	/* The break-in address holds what a kernel's DbgBreakPointWithStatus
	 * does: int 3 ; ret, then the next function's prologue. */
	static const uint8_t code[16] = { 0xcc, 0xc3, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	                                  0x55, 0x8b, 0xec, 0x83, 0xec, 0x08, 0x5d, 0xc3 };
	sim_write(m, m->break_pc, code, sizeof code);
	put(m, m->ps_loaded_module_list, m->ps_loaded_module_list, sim_pointer_size(m));
	for (unsigned i = 0; i < m->ncpu; i++) {
		struct kd_context *c = &m->ctx[i];
		c->machine = arch;
		uint64_t sp = m->stack_base - 0x6000 * i - 0x100;
		if (x64) {
			c->u.x64.ContextFlags = KD_CONTEXT_AMD64_FULL;
			c->u.x64.Rip = m->break_pc;
			c->u.x64.Rsp = sp;
			c->u.x64.Rbp = sp + 0x80;
			c->u.x64.Rax = 0x1000 + i;
			c->u.x64.Rcx = 0x8a5;
			c->u.x64.SegCs = 0x10;
			c->u.x64.SegSs = 0x18;
			c->u.x64.SegDs = c->u.x64.SegEs = 0x2b;
			c->u.x64.SegFs = 0x53;
			c->u.x64.SegGs = 0x2b;
			c->u.x64.EFlags = 0x246;
		} else {
			c->u.x86.ContextFlags = KD_CONTEXT_X86_FULL;
			c->u.x86.Eip = (uint32_t)m->break_pc;
			c->u.x86.Esp = (uint32_t)sp;
			c->u.x86.Ebp = (uint32_t)sp + 0x80;
			c->u.x86.Eax = 0x1000 + i;
			c->u.x86.SegCs = 0x8;
			c->u.x86.SegSs = 0x10;
			c->u.x86.SegDs = c->u.x86.SegEs = 0x23;
			c->u.x86.SegFs = 0x30;
			c->u.x86.EFlags = 0x246;
		}
		/* Control space: a recognisable per-processor pattern. */
		for (unsigned j = 0; j < sizeof m->control[i]; j++)
			m->control[i][j] = (uint8_t)(i * 16 + j);
		put(m, sp, m->kern_base + 0x3456, sim_pointer_size(m)); /* a return address */
	}
	return 0;
}

int sim_map(struct sim_machine *m, uint64_t va, uint64_t len)
{
	return map_range(m, va, len);
}

/* PsLoadedModuleList as the kernel keeps it: a circular list of
 * KLDR_DATA_TABLE_ENTRY (links, DllBase, SizeOfImage, FullDllName and
 * BaseDllName at their x86/x64 offsets), names as UNICODE_STRINGs, in
 * the page after the list head. A debugger attaching to a running kernel
 * finds the modules there. */
static int write_module_list(struct sim_machine *m)
{
	int x64 = m->machine == KD_MACHINE_AMD64;
	unsigned ps = sim_pointer_size(m);
	unsigned entry_size = x64 ? 0xa0 : 0x50, name_space = 0x200;
	uint64_t head = m->ps_loaded_module_list;
	uint64_t area = (head & ~0xfffull) + SIM_PAGE;
	if (map_range(m, area, (uint64_t)m->nmodules * (entry_size + name_space) + SIM_PAGE) < 0)
		return -1;
	uint64_t prev = head;
	for (size_t i = 0; i < m->nmodules; i++) {
		const struct sim_module *mod = &m->modules[i];
		uint64_t e = area + i * (entry_size + name_space), names = e + entry_size;
		const char *base = strrchr(mod->path, '\\');
		base = base ? base + 1 : mod->path;
		size_t full_len = strlen(mod->path), base_len = strlen(base);
		for (size_t k = 0; k < full_len; k++)
			put(m, names + 2 * k, (uint8_t)mod->path[k], 2);
		uint64_t base_at = names + 2 * (full_len + 1);
		for (size_t k = 0; k < base_len; k++)
			put(m, base_at + 2 * k, (uint8_t)base[k], 2);
		put(m, e, i + 1 < m->nmodules ? e + entry_size + name_space : head, ps); /* Flink */
		put(m, e + ps, prev, ps);                                               /* Blink */
		put(m, e + (x64 ? 0x30 : 0x18), mod->base, ps);
		put(m, e + (x64 ? 0x40 : 0x20), mod->size, 4);
		uint64_t full = e + (x64 ? 0x48 : 0x24), bname = e + (x64 ? 0x58 : 0x2c);
		put(m, full, 2 * full_len, 2);
		put(m, full + 2, 2 * full_len + 2, 2);
		put(m, full + ps, names, ps);
		put(m, bname, 2 * base_len, 2);
		put(m, bname + 2, 2 * base_len + 2, 2);
		put(m, bname + ps, base_at, ps);
		if (i == 0)
			put(m, head, e, ps);
		prev = e;
	}
	put(m, head + ps, prev, ps);
	return 0;
}

int sim_machine_finish(struct sim_machine *m)
{
	if (m->nmodules && write_module_list(m) < 0)
		return -1;
	if (build_page_tables(m) < 0)
		return -1;
	/* x86: KSPECIAL_REGISTERS follow the CONTEXT in KPROCESSOR_STATE
	 * (Cr0, Cr2, Cr3, Cr4; no PAE). x64 serves them as control item 2. */
	if (m->machine == KD_MACHINE_I386) {
		for (unsigned i = 0; i < m->ncpu; i++) {
			uint32_t cr[4] = { 0x80010031u, 0, (uint32_t)m->cr3, 0x000006d0u };
			memcpy(m->control[i] + 0x2cc, cr, sizeof cr);
		}
	}
	return 0;
}

void sim_machine_free(struct sim_machine *m)
{
	for (unsigned b = 0; b < 1024; b++) {
		while (m->phys[b]) {
			struct sim_page *p = m->phys[b];
			m->phys[b] = p->pnext;
			free(p);
		}
		m->pages[b] = NULL;
	}
}
