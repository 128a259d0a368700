/*
 * Page-table walks on hand-built page tables: x64 4 KB, 2 MB and 1 GB
 * pages, PAE and non-PAE x86, absent, transition and prototype entries.
 * The expected translations are the architecture's (Intel SDM vol. 3, 4.3-4.5)
 * and, for prototype PTEs, the x64 MMPTE_PROTOTYPE layout (address in bits 16-63).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/vtop.h"
#include "base/error.h"

#define MEM_SIZE (64 * 4096)

struct phys {
	uint8_t mem[MEM_SIZE];
};

static int rd(void *ctx, uint64_t pa, void *buf, uint32_t len)
{
	struct phys *p = ctx;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return KD_EUNREADABLE;
	memcpy(buf, p->mem + pa, len);
	return 0;
}

static void put64(struct phys *p, uint64_t pa, uint64_t v)
{
	memcpy(p->mem + pa, &v, 8);
}

static void put32(struct phys *p, uint64_t pa, uint32_t v)
{
	memcpy(p->mem + pa, &v, 4);
}

static struct phys P;

static void test_x64(void **state)
{
	(void)state;
	memset(&P, 0, sizeof P);
	uint64_t va = 0xfffff8047ba01234ull;
	unsigned i4 = (va >> 39) & 511, i3 = (va >> 30) & 511, i2 = (va >> 21) & 511, i1 = (va >> 12) & 511;
	put64(&P, 0x1000 + i4 * 8, 0x2000 | 0x63);
	put64(&P, 0x2000 + i3 * 8, 0x3000 | 0x63);
	put64(&P, 0x3000 + i2 * 8, 0x4000 | 0x63);
	put64(&P, 0x4000 + i1 * 8, 0x8000000000009000ull | 0x121);
	struct kd_vtop_walk w;
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x9234);
	assert_int_equal(w.nlevels, 4);
	assert_string_equal(w.level[0].name, "PXE");
	assert_true(w.level[0].entry_pa == 0x1000 + i4 * 8);
	assert_true(w.level[3].entry == (0x8000000000009000ull | 0x121));
	assert_true(w.page_size == 0x1000);

	/* Absent PTE: unreadable, the walk shows four levels. */
	put64(&P, 0x4000 + i1 * 8, 0);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), KD_EUNREADABLE);
	assert_int_equal(w.nlevels, 4);
	/* Transition: still in memory. */
	put64(&P, 0x4000 + i1 * 8, 0xa000 | KD_PTE_TRANSITION);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0xa234);
	assert_true(w.transition);
	/* Prototype: not resolvable from the page tables alone. */
	put64(&P, 0x4000 + i1 * 8, 0xa000 | KD_PTE_PROTOTYPE);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), KD_EUNREADABLE);
	assert_true(w.prototype);

	/* A PTE pointing to a prototype PTE: the prototype's own address maps
	 * through the next PTE to page 0xb000, where a valid entry names 0xc000. */
	uint64_t proto_va = (va & ~0x1fffffull) | ((uint64_t)(i1 + 1) << 12) | 0x80;
	put64(&P, 0x4000 + (i1 + 1) * 8, 0xb000 | 0x63);
	put64(&P, 0xb080, 0xc000 | 0x63);
	put64(&P, 0x4000 + i1 * 8, (proto_va << 16) | KD_PTE_PROTOTYPE);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0xc234);
	assert_true(w.prototype);
	assert_true(w.prototype_pa == 0xb080);
	/* ... in transition still resolves; invalid does not. */
	put64(&P, 0xb080, 0xd000 | KD_PTE_TRANSITION);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0xd234);
	assert_true(w.transition);
	put64(&P, 0xb080, 0);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), KD_EUNREADABLE);
	/* A prototype that points at itself does not loop. */
	put64(&P, 0xb080, (proto_va << 16) | KD_PTE_PROTOTYPE);
	put64(&P, 0x4000 + (i1 + 1) * 8, (proto_va << 16) | KD_PTE_PROTOTYPE);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), KD_EUNREADABLE);
	/* The "look in the VAD" marker does not resolve. */
	put64(&P, 0x4000 + i1 * 8, 0xffffffffffff0000ull | KD_PTE_PROTOTYPE);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), KD_EUNREADABLE);
	assert_true(w.prototype);

	/* 2 MB page at the PDE. */
	put64(&P, 0x3000 + i2 * 8, 0x40000000ull | 0xe3);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x40000000ull + (va & 0x1fffff));
	assert_true(w.page_size == 0x200000);
	assert_int_equal(w.nlevels, 3);
	/* 1 GB page at the PDPTE. */
	put64(&P, 0x2000 + i3 * 8, 0x80000000ull | 0xe3);
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x80000000ull + (va & 0x3fffffff));
	assert_true(w.page_size == 0x40000000ull);
	/* Non-canonical. */
	assert_int_equal(kd_vtop(KD_PAGING_X64, 0x1000, 0x0000900000000000ull, rd, &P, &w), KD_EINVAL);
}

static void test_pae(void **state)
{
	(void)state;
	memset(&P, 0, sizeof P);
	uint64_t va = 0x8054c123;
	put64(&P, 0x1020 + (va >> 30) * 8, 0x2000 | 1);
	put64(&P, 0x2000 + ((va >> 21) & 511) * 8, 0x3000 | 0x63);
	put64(&P, 0x3000 + ((va >> 12) & 511) * 8, 0x5000 | 0x63);
	struct kd_vtop_walk w;
	assert_int_equal(kd_vtop(KD_PAGING_PAE, 0x1020, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x5123);
	assert_int_equal(w.nlevels, 3);
	put64(&P, 0x2000 + ((va >> 21) & 511) * 8, 0x200000 | 0xe3);
	assert_int_equal(kd_vtop(KD_PAGING_PAE, 0x1020, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x200000 + (va & 0x1fffff));
}

static void test_x86(void **state)
{
	(void)state;
	memset(&P, 0, sizeof P);
	uint64_t va = 0xf78aec38;
	put32(&P, 0x1000 + (va >> 22) * 4, 0x2000 | 0x63);
	put32(&P, 0x2000 + ((va >> 12) & 1023) * 4, 0x7000 | 0x63);
	struct kd_vtop_walk w;
	assert_int_equal(kd_vtop(KD_PAGING_X86, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x7c38);
	assert_string_equal(w.level[0].name, "PDE");
	put32(&P, 0x1000 + (va >> 22) * 4, 0x00c00000 | 0xe3);
	assert_int_equal(kd_vtop(KD_PAGING_X86, 0x1000, va, rd, &P, &w), 0);
	assert_true(w.pa == 0x00c00000 + (va & 0x3fffff));
	assert_true(w.page_size == 0x400000);
	/* A page table outside physical memory: the read error comes back. */
	put32(&P, 0x1000 + (va >> 22) * 4, 0x7fff0000 | 0x63);
	assert_int_equal(kd_vtop(KD_PAGING_X86, 0x1000, va, rd, &P, &w), KD_EUNREADABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x64),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_x86),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
