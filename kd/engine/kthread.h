/*
 * Threads and processes of the target kernel: where KTHREAD, ETHREAD,
 * KPROCESS and EPROCESS keep the fields a debugger needs (from the kernel's
 * PDB when its types are loaded, else from a table by build), the thread
 * and process the user is looking at (.thread, .process: the "implicit"
 * ones, valid until the target runs), a thread's saved registers and its
 * stack range.
 */
#ifndef KD_ENGINE_KTHREAD_H
#define KD_ENGINE_KTHREAD_H

#include <stdint.h>

#include "arch/context.h"
#include "kd/engine/engine.h"

/* Field offsets; 0 where not known (no field of interest is at 0). */
struct kd_kernel_layout {
	uint16_t initial_stack, stack_limit, stack_base, kernel_stack; /* KTHREAD */
	uint16_t state;             /* KTHREAD.State (UCHAR; 2 = Running) */
	uint16_t apc_process;       /* KTHREAD.ApcState.Process */
	uint16_t teb;               /* KTHREAD.Teb */
	uint16_t cid;               /* ETHREAD.Cid */
	uint16_t directory_table_base; /* KPROCESS.DirectoryTableBase */
	uint16_t unique_process_id; /* EPROCESS.UniqueProcessId */
	uint16_t image_file_name;   /* EPROCESS.ImageFileName (15 chars) */
	const char *source;         /* "nt PDB" or the table row's versions */
};

/* One field of a kernel structure: where it is, how big, which bits. */
enum kd_kfield_kind {
	KD_KF_UINT,    /* unsigned integer of `size` bytes */
	KD_KF_INT,     /* signed integer */
	KD_KF_PTR,     /* pointer */
	KD_KF_LIST,    /* LIST_ENTRY */
	KD_KF_CHARS,   /* UCHAR array shown as text (ImageFileName) */
	KD_KF_CID,     /* CLIENT_ID */
	KD_KF_STRUCT,  /* anything else: shown by offset only */
};
struct kd_kfield {
	uint64_t offset;
	uint32_t size;            /* bytes (of the underlying type for bitfields) */
	uint8_t bit_pos, bit_len; /* bit_len 0: not a bitfield */
	enum kd_kfield_kind kind;
	const char *source;       /* "nt PDB", "KDDEBUGGER_DATA64", or a table row's versions */
};
/* Field `path` ("ApcState.Process") of struct `type` in a PDB's types,
 * or in the kernel's PDB (kd_kfield_nt_pdb); KD_ENOTFOUND when absent. */
struct kd_types;
int kd_kfield_pdb(struct kd_types *types, const char *type, const char *path, struct kd_kfield *out);
int kd_kfield_nt_pdb(struct kd_engine *eng, const char *type, const char *path, struct kd_kfield *out);

/* The layout for the target's kernel; KD_ENOTFOUND when neither the PDB
 * nor the table knows the build. */
int kd_kernel_layout(struct kd_engine *eng, const struct kd_kernel_layout **out);

/* x64 control space items: a processor's KPCR, KPRCB and current KTHREAD
 * (KSPECIAL_REGISTERS is item 2, arch/frames.h). */
#define KD_X64_CONTROL_KPCR 0
#define KD_X64_CONTROL_KPRCB 1
#define KD_X64_CONTROL_KTHREAD 3
/* The object address an x64 processor's control space item holds;
 * KD_ENOTFOUND on other machines or when it is unreadable. */
int kd_processor_object(struct kd_engine *eng, unsigned cpu, unsigned item, uint64_t *v);

/* The thread the user looks at: .thread's when set since the target last
 * ran, else the current processor's. */
int kd_thread_current(struct kd_engine *eng, uint64_t *thread);
/* The process: .process's when set, else the current thread's. */
int kd_process_current(struct kd_engine *eng, uint64_t *process);
/* The process a thread belongs to (KTHREAD.ApcState.Process). */
int kd_thread_process(struct kd_engine *eng, uint64_t thread, uint64_t *process);

/* Registers of `thread`: a processor's when the thread runs on one,
 * else what its last context switch saved (KernelStack's switch frame:
 * instruction, stack and frame pointer). *cpu gets the processor or -1. */
int kd_thread_context(struct kd_engine *eng, uint64_t thread, struct kd_context *out, int *cpu);

/* .thread / .process: set (0 clears) the implicit thread or process. */
void kd_thread_set_implicit(struct kd_engine *eng, uint64_t thread);
void kd_process_set_implicit(struct kd_engine *eng, uint64_t process);

#endif
