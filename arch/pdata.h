/*
 * The x64 function table (.pdata) of a PE image mapped in target memory:
 * which function an address belongs to, so ub/uf know where a function
 * starts without symbols. Reads go through the disassembler's environment;
 * every length and RVA read from the image is checked.
 */
#ifndef KD_ARCH_PDATA_H
#define KD_ARCH_PDATA_H

#include <stdint.h>

#include "arch/disasm.h"

/* The primary function (after following chained unwind info) that
 * contains addr, in the image mapped at base: *begin and *end absolute.
 * KD_ENOTFOUND when the image has no entry for addr, KD_EFORMAT for a
 * header that makes no sense, KD_EUNREADABLE when memory is missing. */
int kd_x64_pdata_lookup(const struct kd_disasm_env *env, uint64_t base, uint64_t addr,
                        uint64_t *begin, uint64_t *end);

#endif
