/*
 * PE/COFF images (PE32 and PE32+), read from a file or from target memory
 * through a read callback: headers, sections, the CodeView RSDS record
 * (PDB name, GUID, age), exports, and the x64 .pdata table with access to
 * the .xdata unwind bytes for the stack unwinder.
 *
 * Every offset comes from untrusted bytes and is checked; a reader that
 * fails part-way leaves what it could not read absent (no RSDS, no
 * exports), only a bad header fails the open.
 */
#ifndef KD_SYMBOLS_PE_H
#define KD_SYMBOLS_PE_H

#include <stddef.h>
#include <stdint.h>

struct kd_pe;

/* Reads len bytes at off (a file offset, or an RVA for a mapped image);
 * 0 when all were read, a negative KD_E* code otherwise. */
typedef int (*kd_pe_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

enum kd_pe_layout {
	KD_PE_FILE,   /* bytes as on disk: sections at PointerToRawData */
	KD_PE_MAPPED, /* bytes as loaded: sections at their RVA */
};

struct kd_pe_section {
	char name[9];
	uint32_t virtual_size, rva, raw_size, raw_ptr, characteristics;
};

struct kd_pe_export {
	const char *name;      /* NULL for exports by ordinal only */
	const char *forwarder; /* "NTDLL.RtlFoo" when forwarded, else NULL */
	uint32_t rva;
	uint32_t ordinal;
};

/* RUNTIME_FUNCTION of the x64 exception directory. */
struct kd_pe_runtime_function {
	uint32_t begin, end, unwind_info;
};

struct kd_pe_info {
	uint16_t machine;          /* IMAGE_FILE_MACHINE_* */
	uint16_t characteristics;
	int is64;                  /* PE32+ */
	uint64_t image_base;
	uint32_t image_size, timestamp, checksum, entry_rva, headers_size;
	uint16_t subsystem;
	/* CodeView RSDS */
	int has_rsds;
	uint8_t guid[16];
	uint32_t age;
	char pdb_name[260];
};

/* Opens a file (read whole; images are small) / caller-owned bytes in file
 * layout / any source through a callback (ctx must outlive the image). */
int kd_pe_open_file(const char *path, struct kd_pe **out, char *err, size_t errlen);
int kd_pe_open_mem(const void *data, size_t len, struct kd_pe **out, char *err, size_t errlen);
int kd_pe_open_read(kd_pe_read_fn read, void *ctx, enum kd_pe_layout layout,
                    struct kd_pe **out, char *err, size_t errlen);
void kd_pe_close(struct kd_pe *pe);

const struct kd_pe_info *kd_pe_get_info(const struct kd_pe *pe);
void kd_pe_sections(const struct kd_pe *pe, const struct kd_pe_section **s, size_t *n);
/* Data directory i (0 export, 3 exception, 6 debug...); 0 when absent. */
int kd_pe_data_directory(const struct kd_pe *pe, unsigned i, uint32_t *rva, uint32_t *size);

/* Bytes at an RVA: from the section that holds it (file layout: the part
 * backed by raw data; beyond it reads as KD_EUNREADABLE). */
int kd_pe_read_rva(struct kd_pe *pe, uint32_t rva, void *buf, size_t len);
/* File offset of an RVA in file layout; KD_ENOTFOUND when not backed. */
int kd_pe_rva_to_offset(const struct kd_pe *pe, uint32_t rva, uint32_t *offset);

/* Exports, sorted by RVA (parsed on first use). */
int kd_pe_exports(struct kd_pe *pe, const struct kd_pe_export **e, size_t *n);
/* The export named `name`, or the one at or below rva (nearest). */
int kd_pe_export_by_name(struct kd_pe *pe, const char *name, const struct kd_pe_export **out);
int kd_pe_export_by_rva(struct kd_pe *pe, uint32_t rva, size_t *index);

/* x64 .pdata: the whole table, and the entry covering rva. */
int kd_pe_runtime_functions(struct kd_pe *pe, const struct kd_pe_runtime_function **f, size_t *n);
int kd_pe_runtime_function_at(struct kd_pe *pe, uint32_t rva, struct kd_pe_runtime_function *out);

#endif
