/*
 * The x64 function table (.pdata) of a PE image mapped in target memory:
 * which RUNTIME_FUNCTION covers an address (for the unwinder), and which
 * function an address belongs to, so ub/uf know where a function starts
 * without symbols. Reads go through the disassembler's environment; every
 * length and RVA read from the image is checked.
 */
#ifndef KD_ARCH_PDATA_H
#define KD_ARCH_PDATA_H

#include <stdint.h>

#include "arch/disasm.h"

/* A RUNTIME_FUNCTION: RVAs of the function's range and of its
 * UNWIND_INFO (bit 0 set: of another RUNTIME_FUNCTION, an indirect entry). */
struct kd_x64_runtime_function {
	uint32_t begin, end, unwind;
};

/* The RUNTIME_FUNCTION covering addr in the image mapped at base, as
 * stored (indirect entries resolved, chains not followed); *image_size
 * (may be NULL) gets SizeOfImage. KD_ENOTFOUND when the image has no
 * entry for addr, KD_EFORMAT for a header that makes no sense,
 * KD_EUNREADABLE when its headers or table cannot be read. */
int kd_x64_pdata_entry(const struct kd_disasm_env *env, uint64_t base, uint64_t addr,
                       struct kd_x64_runtime_function *out, uint32_t *image_size);

/* The primary function (after following chained unwind info) that
 * contains addr, in the image mapped at base: *begin and *end absolute.
 * Errors as kd_x64_pdata_entry. */
int kd_x64_pdata_lookup(const struct kd_disasm_env *env, uint64_t base, uint64_t addr,
                        uint64_t *begin, uint64_t *end);

#endif
