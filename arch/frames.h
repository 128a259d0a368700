/*
 * The processor-state records a kernel leaves in memory besides CONTEXT:
 * trap frames (KTRAP_FRAME) of x86 and x64, the x86 task state segment
 * (KTSS), exception records (EXCEPTION_RECORD32/64), the special registers
 * of KPROCESSOR_STATE (KSPECIAL_REGISTERS) and x86 GDT descriptors, from
 * the public definitions (Windows DDK/ReactOS headers, Intel SDM).
 *
 * The conversions turn such a record, as raw target bytes, into the
 * register context that .trap/.tss show, applying the kernel's rules for
 * where ESP and SS really are (a kernel-mode x86 trap frame does not hold
 * them: the stack pointer was the address just past the frame's EFlags).
 */
#ifndef KD_ARCH_FRAMES_H
#define KD_ARCH_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

#pragma pack(push, 1)

/* KTRAP_FRAME on x86: 0x8c bytes. */
struct kd_x86_ktrap_frame {
	uint32_t DbgEbp, DbgEip, DbgArgMark, DbgArgPointer;
	uint32_t TempSegCs, TempEsp;
	uint32_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	uint32_t SegGs, SegEs, SegDs;
	uint32_t Edx, Ecx, Eax;
	uint32_t PreviousPreviousMode, ExceptionList;
	uint32_t SegFs;
	uint32_t Edi, Esi, Ebx, Ebp;
	uint32_t ErrCode;
	uint32_t Eip, SegCs, EFlags;
	uint32_t HardwareEsp, HardwareSegSs; /* only on a ring change or V86 */
	uint32_t V86Es, V86Ds, V86Fs, V86Gs;
};

/* KTRAP_FRAME on x64: 0x190 bytes. Rbx, Rsi, Rdi and R12-R15 are not
 * saved by the trap handlers (they are nonvolatile). */
struct kd_x64_ktrap_frame {
	uint64_t P1Home, P2Home, P3Home, P4Home, P5;
	uint8_t PreviousMode, PreviousIrql, FaultIndicator, ExceptionActive;
	uint32_t MxCsr;
	uint64_t Rax, Rcx, Rdx, R8, R9, R10, R11;
	uint64_t GsBase;
	struct kd_m128 Xmm[6];
	uint64_t FaultAddress;
	uint64_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	uint64_t DebugControl, LastBranchToRip, LastBranchFromRip;
	uint64_t LastExceptionToRip, LastExceptionFromRip;
	uint16_t SegDs, SegEs, SegFs, SegGs;
	uint64_t TrapFrame;
	uint64_t Rbx, Rdi, Rsi, Rbp;
	uint64_t ErrorCode;
	uint64_t Rip;
	uint16_t SegCs;
	uint8_t Fill0, Logging;
	uint16_t Fill1[2];
	uint32_t EFlags, Fill2;
	uint64_t Rsp;
	uint16_t SegSs, Fill3;
	uint32_t Fill4;
};

/* The hardware part of the x86 KTSS (the I/O map follows it). */
struct kd_x86_ktss {
	uint16_t Backlink, Reserved0;
	uint32_t Esp0;
	uint16_t Ss0, Reserved1;
	uint32_t NotUsed1[4];
	uint32_t Cr3, Eip, EFlags;
	uint32_t Eax, Ecx, Edx, Ebx, Esp, Ebp, Esi, Edi;
	uint16_t Es, Reserved2, Cs, Reserved3, Ss, Reserved4;
	uint16_t Ds, Reserved5, Fs, Reserved6, Gs, Reserved7;
	uint16_t LDT, Reserved8;
	uint16_t Flags, IoMapBase;
};

#define KD_EXCEPTION_MAXIMUM_PARAMETERS 15

struct kd_exception_record32 {
	uint32_t ExceptionCode, ExceptionFlags;
	uint32_t ExceptionRecord, ExceptionAddress;
	uint32_t NumberParameters;
	uint32_t ExceptionInformation[KD_EXCEPTION_MAXIMUM_PARAMETERS];
};

struct kd_exception_record64 {
	uint32_t ExceptionCode, ExceptionFlags;
	uint64_t ExceptionRecord, ExceptionAddress;
	uint32_t NumberParameters, unusedAlignment;
	uint64_t ExceptionInformation[KD_EXCEPTION_MAXIMUM_PARAMETERS];
};

/* KSPECIAL_REGISTERS on x86: it follows the CONTEXT in KPROCESSOR_STATE,
 * which is what x86 control space addresses (offset 0x2cc). */
struct kd_x86_special_registers {
	uint32_t Cr0, Cr2, Cr3, Cr4;
	uint32_t KernelDr0, KernelDr1, KernelDr2, KernelDr3, KernelDr6, KernelDr7;
	uint16_t GdtrPad, GdtrLimit;
	uint32_t GdtrBase;
	uint16_t IdtrPad, IdtrLimit;
	uint32_t IdtrBase;
	uint16_t Tr, Ldtr;
	uint32_t Reserved[6];
};

/* KSPECIAL_REGISTERS on x64: control space address 2 of a processor. */
struct kd_x64_special_registers {
	uint64_t Cr0, Cr2, Cr3, Cr4;
	uint64_t KernelDr0, KernelDr1, KernelDr2, KernelDr3, KernelDr6, KernelDr7;
	uint16_t GdtrPad[3], GdtrLimit;
	uint64_t GdtrBase;
	uint16_t IdtrPad[3], IdtrLimit;
	uint64_t IdtrBase;
	uint16_t Tr, Ldtr;
	uint32_t MxCsr;
	uint64_t DebugControl, LastBranchToRip, LastBranchFromRip;
	uint64_t LastExceptionToRip, LastExceptionFromRip;
	uint64_t Cr8;
};

#pragma pack(pop)

_Static_assert(sizeof(struct kd_x86_ktrap_frame) == 0x8c, "x86 KTRAP_FRAME is 0x8c bytes");
_Static_assert(offsetof(struct kd_x86_ktrap_frame, ErrCode) == 0x64, "x86 ErrCode at 0x64");
_Static_assert(offsetof(struct kd_x86_ktrap_frame, HardwareEsp) == 0x74, "x86 HardwareEsp at 0x74");
_Static_assert(sizeof(struct kd_x64_ktrap_frame) == 0x190, "x64 KTRAP_FRAME is 0x190 bytes");
_Static_assert(offsetof(struct kd_x64_ktrap_frame, Rip) == 0x168, "x64 trap Rip at 0x168");
_Static_assert(offsetof(struct kd_x64_ktrap_frame, Rsp) == 0x180, "x64 trap Rsp at 0x180");
_Static_assert(sizeof(struct kd_x86_ktss) == 0x68, "x86 hardware TSS is 0x68 bytes");
_Static_assert(sizeof(struct kd_exception_record32) == 0x50, "EXCEPTION_RECORD32 is 0x50 bytes");
_Static_assert(sizeof(struct kd_exception_record64) == 0x98, "EXCEPTION_RECORD64 is 0x98 bytes");
_Static_assert(offsetof(struct kd_x86_special_registers, GdtrLimit) == 0x2a, "x86 Gdtr.Limit at 0x2a");
_Static_assert(offsetof(struct kd_x64_special_registers, GdtrBase) == 0x58, "x64 Gdtr.Base at 0x58");
_Static_assert(offsetof(struct kd_x64_special_registers, Cr8) == 0xa0, "x64 Cr8 at 0xa0");

/* Where KSPECIAL_REGISTERS lives in each machine's control space. */
#define KD_X86_CONTROL_SPECIAL_REGISTERS 0x2cc /* after CONTEXT in KPROCESSOR_STATE */
#define KD_X64_CONTROL_SPECIAL_REGISTERS 2     /* DEBUG_CONTROL_SPACE_KSPECIAL */

/* Segment selectors of the Windows GDT a kernel-mode frame implies. */
#define KD_X86_KGDT_R0_DATA 0x10
#define KD_X86_EFLAGS_V86 0x00020000u
/* An x86 trap frame whose SegCs lacks these bits was edited: the real
 * CS and ESP are in TempSegCs/TempEsp. */
#define KD_X86_FRAME_EDITED 0xfff8u

/* An x86 trap frame (len bytes at frame_addr) as a context; *err_code
 * gets ErrCode. KD_EFORMAT when len is too short. */
int kd_x86_trap_to_context(const void *frame, size_t len, uint32_t frame_addr,
                           struct kd_context *out, uint32_t *err_code);
/* An x64 trap frame as a context (nonvolatile registers zero). */
int kd_x64_trap_to_context(const void *frame, size_t len, struct kd_context *out);
/* The registers an x86 TSS holds as a context. */
int kd_x86_tss_to_context(const void *tss, size_t len, struct kd_context *out);

/* One exception record of either width, unpacked. */
struct kd_exception_record {
	uint32_t code, flags;
	uint64_t record, address;
	uint32_t nparams;           /* as stored; may exceed 15 in corrupt data */
	uint64_t params[KD_EXCEPTION_MAXIMUM_PARAMETERS];
};
int kd_exception_record_parse(const void *rec, size_t len, int is64, struct kd_exception_record *out);

/* An x86 GDT descriptor (8 bytes). */
struct kd_x86_descriptor {
	uint32_t base, limit; /* limit in bytes (granularity applied) */
	uint8_t type;         /* the 4-bit type; with system=0 9/0xb are TSS */
	uint8_t system_flag;  /* S bit: 1 code/data, 0 system */
	uint8_t dpl, present;
};
void kd_x86_descriptor_decode(const uint8_t d[8], struct kd_x86_descriptor *out);
/* Whether a decoded descriptor is a 32-bit TSS (available or busy). */
int kd_x86_descriptor_is_tss(const struct kd_x86_descriptor *d);

/* The name WinDbg gives an exception code ("Access violation"), or NULL. */
const char *kd_exception_name(uint32_t code);

#endif
