/*
 * Register names of x86 and x64 as WinDbg knows them (eax, ax, al, ah,
 * r8d, efl, the flag bits zf/cf/..., the segment and debug registers),
 * mapped onto fields of the CONTEXT record in arch/context.h.
 *
 * A register is a bit range of one CONTEXT field, so sub-registers (al of
 * rax) and flag bits (zf of EFlags) read and write through the same code.
 */
#ifndef KD_ARCH_REGS_H
#define KD_ARCH_REGS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

struct kd_reg {
	const char *name;
	uint16_t offset; /* byte offset of the field in the CONTEXT record */
	uint8_t size;    /* bytes of that field: 2, 4 or 8 */
	uint8_t shift;   /* first bit of the register inside the field */
	uint8_t bits;    /* width of the register in bits */
};

/* The register `name` (len bytes, case-insensitive) of machine m, or NULL. */
const struct kd_reg *kd_reg_find(enum kd_machine m, const char *name, size_t len);

/* The i-th register of machine m (for completion and tests), NULL past the end. */
const struct kd_reg *kd_reg_at(enum kd_machine m, size_t i);

/* Read or write a register of a context (of the register's machine). A
 * write changes only the register's bits of the field. */
uint64_t kd_reg_get(const struct kd_context *c, const struct kd_reg *r);
void kd_reg_set(struct kd_context *c, const struct kd_reg *r, uint64_t v);

/* The eight flag mnemonics of r: "nv up ei pl zr na po nc" (OF DF IF SF
 * ZF AF PF CF, set/clear: ov/nv dn/up ei/di ng/pl zr/nz ac/na pe/po cy/nc). */
void kd_format_eflags(uint32_t efl, char *buf, size_t n);

#endif
