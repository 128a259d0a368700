/*
 * x86 task state segments as the kernel's GDT describes them: the GDT of
 * the current processor (its KSPECIAL_REGISTERS in control space, else
 * KPCR.GDT at 0xffdff03c on targets without control space), a selector's
 * TSS descriptor, and the registers a TSS holds. `.tss` and the stack
 * walker's task gates both use them.
 */
#ifndef KD_ENGINE_X86_TSS_H
#define KD_ENGINE_X86_TSS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/frames.h"
#include "kd/engine/engine.h"

/* The GDT base and limit and the task register of the current processor
 * (tr 0 when only KPCR.GDT could be read). */
int kd_x86_gdt(struct kd_engine *eng, uint32_t *base, uint32_t *limit, uint16_t *tr);
/* The TSS descriptor selector `sel` names: KD_EUNREADABLE when the GDT or
 * the entry cannot be read, KD_EINVAL when it is not a TSS. */
int kd_x86_tss_descriptor(struct kd_engine *eng, uint16_t sel, struct kd_x86_descriptor *desc);
/* The registers of the TSS selector `sel` names. On failure, when err is
 * not NULL, one line saying which step failed, as .tss reports it. */
int kd_x86_tss_context(struct kd_engine *eng, uint16_t sel, struct kd_context *out, char *err, size_t errlen);

#endif
