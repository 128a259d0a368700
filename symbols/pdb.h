/*
 * PDB reader on top of the MSF container: the PDB info stream (signature,
 * age, GUID, named streams), the DBI stream (modules, section headers,
 * section contributions, FPO and FrameData for the x86 stack walker), the
 * publics and globals streams with their hash tables, module symbol
 * streams (procedures with extents) and an address index built once and
 * searched in O(log n).
 *
 * Names returned point into the PDB's streams and live until kd_pdb_close.
 */
#ifndef KD_SYMBOLS_PDB_H
#define KD_SYMBOLS_PDB_H

#include <stddef.h>
#include <stdint.h>

struct kd_pdb;
struct kd_msf;

struct kd_pdb_info {
	uint32_t version;
	uint32_t signature;
	uint32_t age;      /* the PDB stream's age (the DBI stream has its own) */
	uint8_t guid[16];  /* as stored: Data1..Data3 little-endian, then 8 bytes */
};

struct kd_pdb_section {
	char name[9];
	uint32_t virtual_size, rva, raw_size, raw_ptr, characteristics;
};

struct kd_pdb_contrib {
	uint16_t section;  /* 1-based */
	uint16_t module;   /* index into the module list */
	uint32_t offset, size;
	uint32_t characteristics, data_crc, reloc_crc;
};

struct kd_pdb_module {
	const char *name;      /* the object or import name */
	const char *obj_name;  /* the library or object file */
	uint16_t sym_stream;   /* 0xffff: none */
	uint32_t sym_size, c11_size, c13_size;
	struct kd_pdb_contrib contrib;
};

/* FPO_DATA, the old FPO stream's records (x86). */
struct kd_pdb_fpo {
	uint32_t start, proc_size, locals_dw;
	uint16_t params_dw;
	uint16_t attrs;    /* cbProlog:8 cbRegs:3 fHasSEH:1 fUseBP:1 reserved:1 cbFrame:2 */
};

/* FRAMEDATA, the "new FPO" stream's records (x86); frame_func is an
 * offset into the /names string table (kd_pdb_string). */
struct kd_pdb_frame_data {
	uint32_t rva, code_size, locals_size, params_size, max_stack_size, frame_func;
	uint16_t prolog_size, saved_regs_size;
	uint32_t flags;    /* 1 SEH, 2 C++ EH, 4 function start */
};

enum kd_pdb_sym_kind {
	KD_PDB_SYM_PUBLIC = 1,   /* S_PUB32: decorated linker name */
	KD_PDB_SYM_PROC,         /* S_GPROC32/S_LPROC32 from a module stream */
	KD_PDB_SYM_DATA,         /* S_GDATA32/S_LDATA32/thread data from globals */
};

struct kd_pdb_symbol {
	const char *name;
	uint32_t rva;
	uint32_t size;          /* code size of procedures, else 0 */
	uint16_t section;       /* 1-based; 0 when absolute */
	uint32_t offset;
	uint32_t type_index;    /* procedures and data; 0 for publics */
	uint8_t kind;           /* enum kd_pdb_sym_kind */
	uint8_t is_function;    /* procedures, and publics flagged as code */
	uint16_t module;        /* module index of procedures, else 0xffff */
};

int kd_pdb_open(const char *path, struct kd_pdb **out, char *err, size_t errlen);
/* Over caller-owned bytes that stay alive until kd_pdb_close (fuzzing). */
int kd_pdb_open_mem(const void *data, size_t len, struct kd_pdb **out, char *err, size_t errlen);
void kd_pdb_close(struct kd_pdb *pdb);
struct kd_msf *kd_pdb_msf(struct kd_pdb *pdb);

const struct kd_pdb_info *kd_pdb_get_info(const struct kd_pdb *pdb);
/* IMAGE_FILE_MACHINE_* from the DBI header, 0 when unknown. */
uint16_t kd_pdb_machine(const struct kd_pdb *pdb);
/* The "GUIDAGE" directory name of the symbol-store layout (33+ chars). */
void kd_pdb_guid_age_string(const uint8_t guid[16], uint32_t age, char out[48]);

void kd_pdb_sections(const struct kd_pdb *pdb, const struct kd_pdb_section **s, size_t *n);
void kd_pdb_contribs(const struct kd_pdb *pdb, const struct kd_pdb_contrib **c, size_t *n);
void kd_pdb_modules(const struct kd_pdb *pdb, const struct kd_pdb_module **m, size_t *n);
void kd_pdb_fpo(const struct kd_pdb *pdb, const struct kd_pdb_fpo **f, size_t *n);
void kd_pdb_frame_data(const struct kd_pdb *pdb, const struct kd_pdb_frame_data **f, size_t *n);
/* A string of the /names table, NULL when absent or out of range. */
const char *kd_pdb_string(const struct kd_pdb *pdb, uint32_t offset);
/* A named stream's index ("/names", "/LinkInfo"), KD_ENOTFOUND if absent. */
int kd_pdb_named_stream(const struct kd_pdb *pdb, const char *name, uint32_t *index);
/* TPI (2) and IPI (4) stream bytes for the type reader. */
int kd_pdb_stream(struct kd_pdb *pdb, uint32_t index, const uint8_t **data, uint32_t *size);

/* Section:offset to RVA; 0 and KD_ENOTFOUND for a bad section. */
int kd_pdb_rva(const struct kd_pdb *pdb, uint16_t section, uint32_t offset, uint32_t *rva);

/* Lookup by name through the publics' hash table (decorated names) */
int kd_pdb_find_public(struct kd_pdb *pdb, const char *name, struct kd_pdb_symbol *out);
/* ... and through the globals' hash (procedure references resolved into
 * their module stream, global data). */
int kd_pdb_find_global(struct kd_pdb *pdb, const char *name, struct kd_pdb_symbol *out);
/* Calls fn for every public symbol (in hash-record order). */
int kd_pdb_foreach_public(struct kd_pdb *pdb,
                          void (*fn)(void *ctx, const struct kd_pdb_symbol *s), void *ctx);
/* Calls fn for every procedure of module `mod`. */
int kd_pdb_foreach_proc(struct kd_pdb *pdb, size_t mod,
                        void (*fn)(void *ctx, const struct kd_pdb_symbol *s), void *ctx);

/* The address index: procedures, global data, and publics at addresses no
 * procedure or data symbol names, sorted by RVA. Built on first use. */
int kd_pdb_symbols(struct kd_pdb *pdb, const struct kd_pdb_symbol **syms, size_t *n);
/* Index into kd_pdb_symbols of the last symbol at or below rva;
 * KD_ENOTFOUND when rva precedes every symbol. */
int kd_pdb_lookup_rva(struct kd_pdb *pdb, uint32_t rva, size_t *index);

/* The PDB's name hash (LHashPbCb "V1"), exposed for tests. */
uint32_t kd_pdb_hash_v1(const char *s, size_t len);

#endif
