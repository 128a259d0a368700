/*
 * The Windows CONTEXT records of x86 and x64 targets, byte for byte as the
 * kernel's debugger stub and crash dumps carry them (public layouts from
 * the Windows SDK's winnt.h), and the machine types that select them.
 *
 * Targets hand out raw CONTEXT bytes; code that needs a register reads it
 * through these structures. Fields are little-endian, as on the target.
 */
#ifndef KD_ARCH_CONTEXT_H
#define KD_ARCH_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

/* IMAGE_FILE_MACHINE_* values, as DBGKD_GET_VERSION64 reports them. */
enum kd_machine {
	KD_MACHINE_UNKNOWN = 0,
	KD_MACHINE_I386 = 0x014c,
	KD_MACHINE_AMD64 = 0x8664,
};

/* ContextFlags bits. */
#define KD_CONTEXT_X86 0x00010000u
#define KD_CONTEXT_X86_CONTROL (KD_CONTEXT_X86 | 0x1)
#define KD_CONTEXT_X86_INTEGER (KD_CONTEXT_X86 | 0x2)
#define KD_CONTEXT_X86_SEGMENTS (KD_CONTEXT_X86 | 0x4)
#define KD_CONTEXT_X86_FLOAT (KD_CONTEXT_X86 | 0x8)
#define KD_CONTEXT_X86_DEBUG (KD_CONTEXT_X86 | 0x10)
#define KD_CONTEXT_X86_EXTENDED (KD_CONTEXT_X86 | 0x20)
#define KD_CONTEXT_X86_FULL (KD_CONTEXT_X86_CONTROL | KD_CONTEXT_X86_INTEGER | KD_CONTEXT_X86_SEGMENTS)
#define KD_CONTEXT_AMD64 0x00100000u
#define KD_CONTEXT_AMD64_CONTROL (KD_CONTEXT_AMD64 | 0x1)
#define KD_CONTEXT_AMD64_INTEGER (KD_CONTEXT_AMD64 | 0x2)
#define KD_CONTEXT_AMD64_SEGMENTS (KD_CONTEXT_AMD64 | 0x4)
#define KD_CONTEXT_AMD64_FLOAT (KD_CONTEXT_AMD64 | 0x8)
#define KD_CONTEXT_AMD64_DEBUG (KD_CONTEXT_AMD64 | 0x10)
#define KD_CONTEXT_AMD64_FULL (KD_CONTEXT_AMD64_CONTROL | KD_CONTEXT_AMD64_INTEGER | KD_CONTEXT_AMD64_FLOAT)

#pragma pack(push, 1)

struct kd_x86_float_save {
	uint32_t ControlWord, StatusWord, TagWord, ErrorOffset, ErrorSelector;
	uint32_t DataOffset, DataSelector;
	uint8_t RegisterArea[80];
	uint32_t Cr0NpxState;
};

/* CONTEXT on x86: 0x2cc bytes. */
struct kd_x86_context {
	uint32_t ContextFlags;
	uint32_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	struct kd_x86_float_save FloatSave;
	uint32_t SegGs, SegFs, SegEs, SegDs;
	uint32_t Edi, Esi, Ebx, Edx, Ecx, Eax;
	uint32_t Ebp, Eip, SegCs, EFlags, Esp, SegSs;
	uint8_t ExtendedRegisters[512];
};

struct kd_m128 {
	uint64_t Low, High;
};

/* CONTEXT on x64: 0x4d0 bytes, 16-byte aligned on the target. */
struct kd_x64_context {
	uint64_t P1Home, P2Home, P3Home, P4Home, P5Home, P6Home;
	uint32_t ContextFlags, MxCsr;
	uint16_t SegCs, SegDs, SegEs, SegFs, SegGs, SegSs;
	uint32_t EFlags;
	uint64_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	uint64_t Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
	uint64_t R8, R9, R10, R11, R12, R13, R14, R15;
	uint64_t Rip;
	uint8_t FltSave[512]; /* XMM_SAVE_AREA32 */
	struct kd_m128 VectorRegister[26];
	uint64_t VectorControl;
	uint64_t DebugControl, LastBranchToRip, LastBranchFromRip;
	uint64_t LastExceptionToRip, LastExceptionFromRip;
};

#pragma pack(pop)

_Static_assert(sizeof(struct kd_x86_context) == 0x2cc, "x86 CONTEXT is 0x2cc bytes");
_Static_assert(sizeof(struct kd_x64_context) == 0x4d0, "x64 CONTEXT is 0x4d0 bytes");
_Static_assert(offsetof(struct kd_x64_context, Rip) == 0xf8, "x64 CONTEXT.Rip at 0xf8");

/* Either architecture's CONTEXT, tagged by machine. */
struct kd_context {
	enum kd_machine machine;
	union {
		struct kd_x86_context x86;
		struct kd_x64_context x64;
		uint8_t raw[0x4d0];
	} u;
};

/* Size of the CONTEXT record for a machine, 0 when unknown. */
static inline size_t kd_context_size(enum kd_machine m)
{
	return m == KD_MACHINE_I386 ? sizeof(struct kd_x86_context)
	     : m == KD_MACHINE_AMD64 ? sizeof(struct kd_x64_context) : 0;
}

static inline uint64_t kd_context_ip(const struct kd_context *c)
{
	return c->machine == KD_MACHINE_AMD64 ? c->u.x64.Rip : c->u.x86.Eip;
}

static inline uint64_t kd_context_sp(const struct kd_context *c)
{
	return c->machine == KD_MACHINE_AMD64 ? c->u.x64.Rsp : c->u.x86.Esp;
}

static inline uint64_t kd_context_fp(const struct kd_context *c)
{
	return c->machine == KD_MACHINE_AMD64 ? c->u.x64.Rbp : c->u.x86.Ebp;
}

#endif
