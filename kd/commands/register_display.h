/*
 * The register display of r, .cxr, .trap, .thread, stepping and stops, in
 * WinDbg's layout, chosen by the register mask (rm / rM): integer state,
 * segments, floating point, MMX, debug, SSE, control and descriptor
 * registers.
 */
#ifndef KD_COMMANDS_REGISTER_DISPLAY_H
#define KD_COMMANDS_REGISTER_DISPLAY_H

#include "kd/engine/engine.h"

/* Mask bits, as WinDbg's rm documents them for x86 and x64. */
#define KD_RM_INTEGER32   0x001u
#define KD_RM_INTEGER64   0x002u
#define KD_RM_FLOAT       0x004u
#define KD_RM_SEGMENTS    0x008u
#define KD_RM_MMX         0x010u
#define KD_RM_DEBUG       0x020u
#define KD_RM_XMM         0x040u
#define KD_RM_CONTROL     0x080u
#define KD_RM_DESCRIPTORS 0x100u
#define KD_RM_KNOWN       0x1ffu

/* The engine's default mask (rm): 0x9 on x86, 0xa on x64 until set. */
unsigned kd_register_mask(struct kd_engine *eng);
void kd_register_mask_set(struct kd_engine *eng, unsigned mask);

/* Show the registers of c under mask; x64_trap: an x64 trap frame, which
 * has no segment line. */
void kd_show_registers(struct kd_engine *eng, const struct kd_context *c, unsigned mask, int x64_trap);
/* The registers under the default mask, then the current instruction. */
void kd_show_context(struct kd_engine *eng, const struct kd_context *c, int x64_trap);

#endif
