/*
 * A parsed kernel crash dump: the header fields, where each physical page
 * and each saved block of virtual memory sits in the file, and reads
 * through them. The bytes stay the caller's (an mmap'd file or a buffer);
 * every offset and size taken from the file is checked against its length
 * when the dump is parsed, so reads never leave the buffer.
 */
#ifndef KD_TARGETS_DUMP_FILE_H
#define KD_TARGETS_DUMP_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"
#include "arch/vtop.h"
#include "kd/targets/dump_format.h"
#include "kd/engine/target.h"

/* Contiguous physical pages stored back to back in the file. */
struct kd_dump_run {
	uint64_t base_page;
	uint64_t pages;
	uint64_t file_offset;
};

/* Virtual memory saved as such (triage dumps): stack, data blocks. */
struct kd_dump_vblock {
	uint64_t address;
	uint64_t size;
	uint64_t file_offset;
	uint64_t max_end; /* highest end of this and every earlier block */
};

struct kd_dump {
	const uint8_t *data;
	size_t size;

	int is64;
	enum kd_machine machine;
	uint32_t dump_type;
	uint32_t major, minor;
	uint64_t dtb;
	uint64_t pfn_database;
	uint64_t ps_loaded_module_list;
	uint64_t ps_active_process_head;
	uint64_t kddebugger_data;
	uint32_t processors;
	struct kd_bugcheck bugcheck;
	int pae;
	uint8_t kd_secondary_version;
	uint32_t minidump_fields, secondary_state, product_type, suite_mask;
	uint32_t writer_status, attributes, boot_id;
	uint64_t required_space, system_time, system_uptime;
	char comment[129];
	size_t context_offset;   /* of the header's CONTEXT */
	size_t exception_offset; /* of the header's EXCEPTION_RECORD */
	size_t header_size;

	/* Physical memory (full and bitmap dumps), sorted by base_page. */
	struct kd_dump_run *runs;
	size_t nruns;
	uint64_t phys_pages;        /* pages present */
	char bitmap_signature[5];   /* "SDMP"/"FDMP" for bitmap dumps */
	uint64_t bitmap_first_page, bitmap_bits;

	/* Triage dumps. */
	int triage;
	size_t triage_offset;
	uint64_t top_of_stack;
	uint32_t stack_size;
	size_t driver_list, driver_count, string_pool, string_pool_size;
	struct kd_dump_vblock *vblocks; /* sorted by address */
	size_t nvblocks;

	/* KDDEBUGGER_DATA64 copy when one could be found (triage copy, or the
	 * block read from memory when it is not encoded). */
	uint8_t kdbg[0x380];
	size_t kdbg_size;

	int bugcheck_cpu;           /* -1 until found */
};

/* Parse a dump held in buf (which must stay valid until kd_dump_free).
 * On failure returns KD_EFORMAT (or KD_ENOMEM) with one line in err. */
int kd_dump_parse(const uint8_t *buf, size_t len, struct kd_dump **out, char *err, size_t errlen);
void kd_dump_free(struct kd_dump *d);

/* Reads: 0 with *done == len, 0 with *done < len (partial), or
 * KD_EUNREADABLE when the first byte is absent. */
int kd_dump_read_physical(const struct kd_dump *d, uint64_t pa, void *buf, uint32_t len, uint32_t *done);
int kd_dump_read_virtual(const struct kd_dump *d, uint64_t va, void *buf, uint32_t len, uint32_t *done);

/* The paging mode of the dumped machine. */
enum kd_paging kd_dump_paging(const struct kd_dump *d);
/* Translate va through the header's page directory. */
int kd_dump_vtop(const struct kd_dump *d, uint64_t dtb, uint64_t va, struct kd_vtop_walk *w);

/* Register context of a processor: the header's for the bugcheck
 * processor, the others from their KPRCB. */
int kd_dump_context(struct kd_dump *d, unsigned cpu, struct kd_context *out);
/* Control space as a live x64 target gives it (0 KPCR, 1 KPRCB, 2
 * KSPECIAL_REGISTERS, 3 current KTHREAD), or on x86 bytes of the
 * processor's KPROCESSOR_STATE; from the KPRCB the dump holds. */
int kd_dump_read_control(const struct kd_dump *d, unsigned cpu, uint64_t addr, void *buf, uint32_t len,
                         uint32_t *done);
/* The exception record of the header. */
int kd_dump_exception(const struct kd_dump *d, struct kd_stop_event *out);
/* Version data for vertarget. */
void kd_dump_version(const struct kd_dump *d, struct kd_version *out);
/* Modules: the triage driver list, else PsLoadedModuleList in memory. */
int kd_dump_modules(const struct kd_dump *d, struct kd_module **list, size_t *count);

/* "Full", "Kernel summary", "Triage"... for .dumpdebug and vertarget. */
const char *kd_dump_type_name(const struct kd_dump *d);

#endif
