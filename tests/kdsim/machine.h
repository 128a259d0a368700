/*
 * kdsim's synthetic Windows machine: sparse virtual memory with a kernel
 * image ("nt") and a driver at realistic bases, physical memory behind the
 * kernel's pages, several processors with their own CONTEXT and control
 * space, and the version data a real kernel reports.
 */
#ifndef KDSIM_MACHINE_H
#define KDSIM_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

#define SIM_PAGE 4096u

/* A page of memory: mapped at va (page tables have none) and backed by
 * the physical page pa. */
struct sim_page {
	struct sim_page *next;  /* in the virtual hash */
	struct sim_page *pnext; /* in the physical hash */
	uint64_t va;
	uint64_t pa;
	int table;              /* a page-table page, not mapped */
	uint8_t data[SIM_PAGE];
};

struct sim_module {
	char path[128];
	uint64_t base;
	uint32_t size;
	uint32_t checksum;
};

struct sim_machine {
	enum kd_machine machine;
	unsigned ncpu;
	struct kd_context ctx[64];
	uint8_t control[64][0x400]; /* per processor control space */
	struct sim_page *pages[1024];
	struct sim_page *phys[1024];
	uint64_t next_pa;           /* physical pages are handed out in order */
	uint64_t cr3;               /* the page directory the tables start at */
	uint64_t kern_base, ps_loaded_module_list, break_pc, stack_base;
	uint16_t build;
	struct sim_module modules[8];
	size_t nmodules;
	int scenario_modules;       /* a scenario named its own modules */
	/* KDDEBUGGER_DATA64 fields a scenario sets (PsActiveProcessHead,
	 * KiProcessorBlock...): offset into the block and value. */
	struct { uint16_t offset; uint64_t value; } kdbg_set[16];
	size_t nkdbg_set;
	/* x64 control space items 0 and 1 (a scenario's processor objects;
	 * 0 when it laid out none). */
	uint64_t pcr[64], prcb[64];
};

int sim_machine_init(struct sim_machine *m, enum kd_machine arch, unsigned ncpu);
/* Map [va, va+len) (zeroed) if it is not mapped yet. */
int sim_map(struct sim_machine *m, uint64_t va, uint64_t len);
/* Page tables over everything mapped, and CR3 in the special registers:
 * called once the memory is laid out (after a scenario is loaded). */
int sim_machine_finish(struct sim_machine *m);
void sim_machine_free(struct sim_machine *m);
/* Bytes readable from va (stops at the first unmapped page). */
uint32_t sim_read(struct sim_machine *m, uint64_t va, void *buf, uint32_t len);
uint32_t sim_write(struct sim_machine *m, uint64_t va, const void *buf, uint32_t len);
/* Physical memory: every mapped page and the page tables, from 0x1000000
 * up (the kernel image first, so its pages are contiguous). */
uint32_t sim_read_physical(struct sim_machine *m, uint64_t pa, void *buf, uint32_t len);
uint32_t sim_write_physical(struct sim_machine *m, uint64_t pa, const void *buf, uint32_t len);
unsigned sim_pointer_size(const struct sim_machine *m);

#endif
