/*
 * x64 unwinder tests (arch/unwind_x64.c, arch/pdata.c).
 *
 * Hand-made images: a PE header, a .pdata table and UNWIND_INFO records
 * written here byte by byte from the documented format, with stacks laid
 * out as the prologs would have left them: every unwind code, partial
 * prologs, chained records, machine frames with and without an error
 * code, epilogues in their add/lea/pop/ret/jmp forms, leaf functions and
 * the stack scan.
 *
 * Real images ($KD_DATA/pe/x64): every RUNTIME_FUNCTION and UNWIND_INFO
 * compared with llvm-objdump-14 --unwind-info, and every function unwound
 * from a stack built from llvm's reading of its codes (not ours); every
 * call instruction capstone finds is recognised by the scan's call check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/disasm.h"
#include "arch/pdata.h"
#include "arch/unwind_x64.h"
#include "base/error.h"
#include "symbols/pe.h"

/* --- a sparse memory ------------------------------------------------------ */

struct region {
	uint64_t base;
	uint8_t *data;
	size_t len;
	int module; /* a loaded image (module_at finds it); data NULL: not in memory */
};

struct mem {
	struct region r[4];
	size_t n;
};

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	struct mem *m = ctx;
	*done = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct region *r = &m->r[i];
		if (r->data && addr >= r->base && addr - r->base < r->len) {
			size_t n = r->len - (size_t)(addr - r->base);
			if (n > len)
				n = len;
			memcpy(buf, r->data + (addr - r->base), n);
			*done = n;
			return 0;
		}
	}
	return KD_EUNREADABLE;
}

static int mem_module(void *ctx, uint64_t addr, uint64_t *base, uint32_t *size)
{
	struct mem *m = ctx;
	for (size_t i = 0; i < m->n; i++) {
		struct region *r = &m->r[i];
		if (r->module && addr >= r->base && addr - r->base < r->len) {
			*base = r->base;
			*size = (uint32_t)r->len;
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* --- a hand-made image ----------------------------------------------------- */

#define IMG_BASE 0x140000000ull
#define IMG_SIZE 0x4000u
#define PDATA_RVA 0x1000u
#define XDATA_RVA 0x1800u
#define CODE_RVA 0x2000u
#define STACK_BASE 0xffff800000010000ull
#define STACK_SIZE 0x2000u

struct world {
	uint8_t img[IMG_SIZE];
	uint8_t stack[STACK_SIZE];
	struct mem mem;
	struct kd_x64_unwind_env env;
	unsigned nfuncs;
	uint32_t xdata_next;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	uint8_t *h = w->img;
	h[0] = 'M';
	h[1] = 'Z';
	put32(h + 0x3c, 0x80);
	memcpy(h + 0x80, "PE\0\0", 4);
	put16(h + 0x84, 0x8664);
	uint8_t *opt = h + 0x80 + 24;
	put16(opt, 0x20b);
	put32(opt + 56, IMG_SIZE);
	put32(opt + 108, 16);
	put32(opt + 112 + 3 * 8, PDATA_RVA);
	w->xdata_next = XDATA_RVA;
	w->mem.r[0] = (struct region){ IMG_BASE, w->img, IMG_SIZE, 1 };
	w->mem.r[1] = (struct region){ STACK_BASE, w->stack, STACK_SIZE, 0 };
	w->mem.n = 2;
	w->env.mem = (struct kd_disasm_env){ KD_MACHINE_AMD64, mem_read, NULL, &w->mem };
	w->env.module_at = mem_module;
}

/* One unwind code slot: CodeOffset, UnwindOp, OpInfo. */
#define UC(off, op, info) ((uint16_t)((off) | (op) << 8 | (info) << 12))

/* An UNWIND_INFO at the next .xdata spot; returns its RVA. */
static uint32_t add_info(struct world *w, uint8_t flags, uint8_t prolog, uint8_t frame_reg, uint8_t frame_off,
                         const uint16_t *codes, uint8_t count, const uint32_t *chain)
{
	uint32_t rva = w->xdata_next;
	uint8_t *p = w->img + rva;
	p[0] = (uint8_t)(1 | flags << 3);
	p[1] = prolog;
	p[2] = count;
	p[3] = (uint8_t)(frame_reg | frame_off << 4);
	for (unsigned i = 0; i < count; i++)
		put16(p + 4 + 2 * i, codes[i]);
	size_t n = 4 + (size_t)((count + 1u) & ~1u) * 2;
	if (chain) {
		for (int i = 0; i < 3; i++)
			put32(p + n + 4 * i, chain[i]);
		n += 12;
	}
	w->xdata_next += (uint32_t)((n + 3) & ~(size_t)3);
	return rva;
}

/* RUNTIME_FUNCTIONs must be added in address order. */
static void add_func(struct world *w, uint32_t begin, uint32_t end, uint32_t unwind)
{
	uint8_t *e = w->img + PDATA_RVA + 12 * w->nfuncs++;
	put32(e, begin);
	put32(e + 4, end);
	put32(e + 8, unwind);
	put32(w->img + 0x80 + 24 + 112 + 3 * 8 + 4, 12 * w->nfuncs);
}

static void code(struct world *w, uint32_t rva, const char *hex)
{
	for (unsigned v; sscanf(hex, "%2x", &v) == 1; hex += 2) {
		w->img[rva++] = (uint8_t)v;
		if (hex[2] == ' ')
			hex++;
	}
}

static uint64_t *st(struct world *w, uint64_t addr)
{
	assert_true(addr >= STACK_BASE && addr + 8 <= STACK_BASE + STACK_SIZE);
	return (uint64_t *)(void *)(w->stack + (addr - STACK_BASE));
}

static void spush(struct world *w, uint64_t addr, uint64_t v)
{
	put64((uint8_t *)st(w, addr), v);
}

static struct kd_x64_context start_ctx(uint64_t rip, uint64_t rsp)
{
	struct kd_x64_context c;
	memset(&c, 0, sizeof c);
	c.Rip = rip;
	c.Rsp = rsp;
	c.Rbx = 0xb0b0;
	c.Rbp = 0xbb00;
	c.Rsi = 0x5151;
	c.Rdi = 0xd1d1;
	c.R12 = 0x1212;
	c.R15 = 0x1515;
	return c;
}

#define RET_ADDR (IMG_BASE + 0x3000)
#define F1 0x2000u

/* --- parsing --------------------------------------------------------------- */

static void test_parse(void **state)
{
	(void)state;
	struct kd_x64_unwind_info ui;
	/* push rbx; sub rsp,20h: two codes, no handler */
	const uint8_t a[] = { 0x01, 0x05, 0x02, 0x00, 0x05, 0x32, 0x01, 0x30 };
	assert_int_equal(kd_x64_unwind_info_parse(a, sizeof a, &ui), 0);
	assert_int_equal(ui.version, 1);
	assert_int_equal(ui.prolog_size, 5);
	assert_int_equal(ui.count, 2);
	assert_int_equal(ui.codes[0], UC(5, KD_UWOP_ALLOC_SMALL, 3));
	assert_int_equal(ui.codes[1], UC(1, KD_UWOP_PUSH_NONVOL, 3));
	assert_int_equal(kd_x64_unwind_code_slots(&ui, 0), 1);
	/* truncated, bad version, a code running past its count */
	assert_int_equal(kd_x64_unwind_info_parse(a, 7, &ui), KD_EFORMAT);
	const uint8_t v3[] = { 0x03, 0, 0, 0 };
	assert_int_equal(kd_x64_unwind_info_parse(v3, sizeof v3, &ui), KD_EFORMAT);
	const uint8_t past[] = { 0x01, 0x08, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00 };
	assert_int_equal(kd_x64_unwind_info_parse(past, sizeof past, &ui), KD_EFORMAT);
	const uint8_t badop[] = { 0x01, 0x08, 0x01, 0x00, 0x08, 0x0b, 0x00, 0x00 };
	assert_int_equal(kd_x64_unwind_info_parse(badop, sizeof badop, &ui), KD_EFORMAT);
	/* chained: one code (padded to two slots) then the parent entry */
	const uint8_t ch[] = { 0x21, 0x00, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00,
	                       0x00, 0x20, 0, 0, 0x40, 0x20, 0, 0, 0x10, 0x18, 0, 0 };
	assert_int_equal(kd_x64_unwind_info_parse(ch, sizeof ch, &ui), 0);
	assert_int_equal(ui.flags, KD_UNW_FLAG_CHAININFO);
	assert_int_equal(ui.chained.begin, 0x2000);
	assert_int_equal(ui.chained.end, 0x2040);
	assert_int_equal(ui.chained.unwind, 0x1810);
	assert_int_equal(kd_x64_unwind_info_parse(ch, sizeof ch - 1, &ui), KD_EFORMAT);
	assert_int_equal(kd_x64_unwind_info_size(3, KD_UNW_FLAG_EHANDLER), 4 + 8 + 4);
	/* version 2: UWOP_EPILOG codes take one slot each (the header: size
	 * 5, one at the end; then one 0x40 from the end), before the prolog's */
	const uint8_t v2[] = { 0x02, 0x05, 0x04, 0x00, 0x05, 0x16, 0x40, 0x06, 0x05, 0x32, 0x01, 0x30 };
	assert_int_equal(kd_x64_unwind_info_parse(v2, sizeof v2, &ui), 0);
	assert_int_equal(ui.version, 2);
	assert_int_equal(kd_x64_unwind_code_slots(&ui, 0), 1);
	assert_int_equal(kd_x64_unwind_code_slots(&ui, 1), 1);
	assert_int_equal(ui.codes[2], UC(5, KD_UWOP_ALLOC_SMALL, 3));
	assert_int_equal(ui.codes[3], UC(1, KD_UWOP_PUSH_NONVOL, 3));
}

/* --- unwind codes ------------------------------------------------------------ */

/* push rbx (1); sub rsp,20h (5): RBX under the return address, 20h below. */
static void push_alloc_world(struct world *w)
{
	world_init(w);
	const uint16_t codes[] = { UC(5, KD_UWOP_ALLOC_SMALL, 3), UC(1, KD_UWOP_PUSH_NONVOL, 3) };
	add_func(w, F1, F1 + 0x40, add_info(w, 0, 5, 0, 0, codes, 2, NULL));
	code(w, F1, "53 4883ec20 90 90 90 4883c420 5b c3");
}

static void test_push_alloc(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	push_alloc_world(&w);
	uint64_t top = STACK_BASE + 0x1000; /* rsp at the call */
	spush(&w, top - 8, RET_ADDR);
	spush(&w, top - 16, 0xcafe);        /* caller's rbx */
	/* in the body */
	struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 6, top - 16 - 0x20);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.kind, KD_X64_UNWOUND_DATA);
	assert_int_equal(res.epilogue, 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xcafe);
	assert_int_equal(c.Rsi, 0x5151);
	assert_int_equal(res.establisher, top - 16 - 0x20);
	/* partial prolog: after the push, before the sub */
	c = start_ctx(IMG_BASE + F1 + 1, top - 16);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xcafe);
	/* at the first instruction nothing ran yet */
	c = start_ctx(IMG_BASE + F1, top - 8);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xb0b0);
}

/* The same function described by version 2 unwind data: its epilogue
 * codes change nothing on the way back. */
static void test_version2(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	world_init(&w);
	const uint16_t codes[] = { UC(6, KD_UWOP_EPILOG, 1), UC(0x20, KD_UWOP_EPILOG, 0),
	                           UC(5, KD_UWOP_ALLOC_SMALL, 3), UC(1, KD_UWOP_PUSH_NONVOL, 3) };
	uint32_t info = add_info(&w, 0, 5, 0, 0, codes, 4, NULL);
	w.img[info] = (uint8_t)(2 | w.img[info] >> 3 << 3);
	add_func(&w, F1, F1 + 0x40, info);
	uint64_t top = STACK_BASE + 0x1000;
	spush(&w, top - 8, RET_ADDR);
	spush(&w, top - 16, 0xcafe);
	struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 0x10, top - 16 - 0x20);
	assert_int_equal(kd_x64_unwind_step(&w.env, 1, 0, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xcafe);
}

/* push rbp (1); sub rsp,40h (5); lea rbp,[rsp+20h] (10); the body then
 * moves rsp (alloca): only rbp finds the frame. */
static void test_frame_register(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	world_init(&w);
	const uint16_t codes[] = { UC(10, KD_UWOP_SET_FPREG, 0), UC(5, KD_UWOP_ALLOC_SMALL, 7),
	                           UC(1, KD_UWOP_PUSH_NONVOL, 5) };
	add_func(&w, F1, F1 + 0x40, add_info(&w, 0, 10, 5, 2, codes, 3, NULL));
	code(&w, F1, "55 4883ec40 488d6c2420 90");
	uint64_t top = STACK_BASE + 0x1000;
	spush(&w, top - 8, RET_ADDR);
	spush(&w, top - 16, 0xbeef); /* caller's rbp */
	uint64_t after = top - 16 - 0x40;
	struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 10, after - 0x300);
	c.Rbp = after + 0x20;
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbp, 0xbeef);
	assert_int_equal(res.establisher, after);
	/* before the lea ran, rbp is still the caller's: rsp is used */
	c = start_ctx(IMG_BASE + F1 + 5, after);
	c.Rbp = 0xbeef;
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbp, 0xbeef);
}

/* mov [rsp+8],rbx (5); push rdi (6); sub rsp,1000h (13, ALLOC_LARGE, slot*8);
 * sub rsp,12345h (ALLOC_LARGE 32-bit); mov [rsp+...],rsi (SAVE_NONVOL_FAR);
 * movaps [rsp+20h],xmm6 (SAVE_XMM128); movaps [rsp+...],xmm7 (FAR). */
static void test_save_and_large(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	world_init(&w);
	uint32_t big = 0x12340;
	uint64_t frame_size = 8 + 0x1000 + big; /* push rdi + two allocs */
	uint32_t rbx_off = (uint32_t)frame_size + 8; /* caller's home slot 1 */
	uint32_t rsi_off = 0x10008;
	uint32_t xmm7_off = 0x10040;
	/* As MSVC does, the early `mov [rsp+8],rbx` is described at the
	 * prolog's end, where its offset from rsp is final. */
	const uint16_t codes[] = {
		UC(40, KD_UWOP_SAVE_NONVOL, 3), (uint16_t)(rbx_off / 8),
		UC(40, KD_UWOP_SAVE_XMM128_FAR, 7), (uint16_t)xmm7_off, (uint16_t)(xmm7_off >> 16),
		UC(34, KD_UWOP_SAVE_XMM128, 6), 0x20 / 16,
		UC(28, KD_UWOP_SAVE_NONVOL_FAR, 6), (uint16_t)rsi_off, (uint16_t)(rsi_off >> 16),
		UC(20, KD_UWOP_ALLOC_LARGE, 1), (uint16_t)big, (uint16_t)(big >> 16),
		UC(13, KD_UWOP_ALLOC_LARGE, 0), 0x1000 / 8,
		UC(6, KD_UWOP_PUSH_NONVOL, 7),
	};
	add_func(&w, F1, F1 + 0x80, add_info(&w, 0, 40, 0, 0, codes, sizeof codes / 2, NULL));
	/* a stack big enough for 74 KB of frame */
	static uint8_t bigstack[0x20000];
	memset(bigstack, 0, sizeof bigstack);
	uint64_t sbase = 0xffff800000100000ull;
	w.mem.r[1] = (struct region){ sbase, bigstack, sizeof bigstack, 0 };
	uint64_t top = sbase + sizeof bigstack - 0x100;
	uint64_t rsp = top - 8 - frame_size;
	put64(bigstack + (top - 8 - sbase), RET_ADDR);
	put64(bigstack + (top - 16 - sbase), 0xd00d);          /* pushed rdi */
	put64(bigstack + (rsp + rbx_off - sbase), 0xb00b);     /* rbx */
	put64(bigstack + (rsp + rsi_off - sbase), 0x5005);     /* rsi */
	for (int i = 0; i < 16; i++) {
		bigstack[rsp + 0x20 - sbase + (uint64_t)i] = (uint8_t)(0x60 + i);
		bigstack[rsp + xmm7_off - sbase + (uint64_t)i] = (uint8_t)(0x70 + i);
	}
	struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 0x50, rsp);
	assert_int_equal(kd_x64_unwind_step(&w.env, 1, 0, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xb00b);
	assert_int_equal(c.Rdi, 0xd00d);
	assert_int_equal(c.Rsi, 0x5005);
	assert_int_equal(c.FltSave[160 + 16 * 6], 0x60);
	assert_int_equal(c.FltSave[160 + 16 * 6 + 15], 0x6f);
	assert_int_equal(c.FltSave[160 + 16 * 7 + 3], 0x73);
	/* partial prolog at 13: only the first alloc, the push and the save */
	rsp = top - 8 - 8 - 0x1000;
	c = start_ctx(IMG_BASE + F1 + 13, rsp);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rdi, 0xd00d);
	assert_int_equal(c.Rsi, 0x5151);
	assert_int_equal(c.Rbx, 0xb0b0);
}

/* A chained fragment (shrink-wrapped code) that pushes r12 and saves r15,
 * chaining to the primary entry: push rbx; sub rsp,30h. */
static void test_chained(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	world_init(&w);
	const uint16_t parent[] = { UC(5, KD_UWOP_ALLOC_SMALL, 5), UC(1, KD_UWOP_PUSH_NONVOL, 3) };
	uint32_t pinfo = add_info(&w, 0, 5, 0, 0, parent, 2, NULL);
	const uint16_t child[] = { UC(7, KD_UWOP_SAVE_NONVOL, 15), 0x10 / 8, UC(2, KD_UWOP_PUSH_NONVOL, 12) };
	const uint32_t chain[] = { F1, F1 + 0x40, pinfo };
	uint32_t cinfo = add_info(&w, KD_UNW_FLAG_CHAININFO, 7, 0, 0, child, 3, chain);
	add_func(&w, F1, F1 + 0x40, pinfo);
	add_func(&w, F1 + 0x100, F1 + 0x140, cinfo);
	/* an indirect entry: UnwindData names the fragment's entry (bit 0) */
	add_func(&w, F1 + 0x140, F1 + 0x160, (PDATA_RVA + 12) | 1);
	uint64_t top = STACK_BASE + 0x1000;
	spush(&w, top - 8, RET_ADDR);
	spush(&w, top - 16, 0xb1b1);                     /* rbx */
	uint64_t pframe = top - 16 - 0x30;
	spush(&w, pframe - 8, 0x1c1c);                   /* r12, pushed by the fragment */
	uint64_t rsp = pframe - 8;
	spush(&w, rsp + 0x10, 0x1f1f);                   /* r15 saved at [rsp+10h] */
	struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 0x110, rsp);
	assert_int_equal(kd_x64_unwind_step(&w.env, 1, 0, &c, &res), 0);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xb1b1);
	assert_int_equal(c.R12, 0x1c1c);
	assert_int_equal(c.R15, 0x1f1f);
	assert_int_equal(res.function.begin, F1);
	/* the fragment's partial prolog does not limit the parent's codes */
	c = start_ctx(IMG_BASE + F1 + 0x102, pframe - 8);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.R12, 0x1c1c);
	assert_int_equal(c.R15, 0x1515);
	/* through the indirect entry */
	c = start_ctx(IMG_BASE + F1 + 0x150, rsp);
	assert_int_equal(kd_x64_unwind_step(&w.env, 1, 0, &c, &res), 0);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xb1b1);
	uint64_t b, e;
	assert_int_equal(kd_x64_pdata_lookup(&w.env.mem, IMG_BASE, IMG_BASE + F1 + 0x150, &b, &e), 0);
	assert_int_equal(b, IMG_BASE + F1);
	/* a chain that loops forever is refused, not followed */
	const uint32_t loop[] = { F1 + 0x200, F1 + 0x240, 0 };
	uint32_t linfo = add_info(&w, KD_UNW_FLAG_CHAININFO, 0, 0, 0, NULL, 0, loop);
	put32(w.img + linfo + 4 + 8, linfo);
	add_func(&w, F1 + 0x200, F1 + 0x240, linfo);
	c = start_ctx(IMG_BASE + F1 + 0x210, rsp);
	assert_int_equal(kd_x64_unwind_step(&w.env, 1, 0, &c, &res), KD_ENOTFOUND);
	assert_int_equal(c.Rip, IMG_BASE + F1 + 0x210);
}

/* An interrupt handler: PUSH_MACHFRAME (with an error code for the
 * second), push rbp, sub rsp,0E8h: rip and rsp from the machine frame,
 * the trap frame's Rip slot where KTRAP_FRAME puts it. */
static void test_machframe(void **state)
{
	(void)state;
	for (int errcode = 0; errcode <= 1; errcode++) {
		struct world w;
		struct kd_x64_unwind_result res;
		world_init(&w);
		const uint16_t codes[] = { UC(9, KD_UWOP_ALLOC_LARGE, 0), 0xe8 / 8, UC(2, KD_UWOP_PUSH_NONVOL, 5),
		                           UC(1, KD_UWOP_PUSH_MACHFRAME, errcode) };
		add_func(&w, F1, F1 + 0x80, add_info(&w, 0, 9, 0, 0, codes, 4, NULL));
		uint64_t mf = STACK_BASE + 0x1800; /* RIP slot */
		spush(&w, mf, IMG_BASE + 0x2345);  /* interrupted rip */
		spush(&w, mf + 8, 0x10);
		spush(&w, mf + 16, 0x246);
		spush(&w, mf + 24, 0xffff800000010abcull); /* interrupted rsp */
		spush(&w, mf + 32, 0x18);
		uint64_t after = mf - (errcode ? 8 : 0);
		spush(&w, after - 8, 0xbeef);
		struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 0x20, after - 8 - 0xe8);
		assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
		assert_int_equal(res.kind, KD_X64_UNWOUND_MACHFRAME);
		assert_int_equal(res.machine_frame, mf);
		assert_int_equal(c.Rip, IMG_BASE + 0x2345);
		assert_int_equal(c.Rsp, 0xffff800000010abcull);
		assert_int_equal(c.Rbp, 0xbeef);
	}
}

/* --- epilogues ----------------------------------------------------------------- */

static void test_epilogue(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	push_alloc_world(&w);
	/* F1+8: add rsp,20h; +12: pop rbx; +13: ret */
	uint64_t top = STACK_BASE + 0x1000;
	spush(&w, top - 8, RET_ADDR);
	spush(&w, top - 16, 0xcafe);
	static const struct {
		unsigned off;
		uint64_t rsp;
		uint64_t rbx;
	} at[] = {
		{ 8, 0x1000 - 16 - 0x20, 0xcafe }, { 12, 0x1000 - 16, 0xcafe }, { 13, 0x1000 - 8, 0xb0b0 },
	};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		struct kd_x64_context c = start_ctx(IMG_BASE + F1 + at[i].off, STACK_BASE + at[i].rsp);
		assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
		assert_int_equal(res.epilogue, 1);
		assert_int_equal(c.Rip, RET_ADDR);
		assert_int_equal(c.Rsp, top);
		assert_int_equal(c.Rbx, at[i].rbx);
	}
	/* A return address in front of an epilogue is not in it: the unwind
	 * codes apply (the epilogue has not started). */
	struct kd_x64_context c = start_ctx(IMG_BASE + F1 + 8, STACK_BASE + 0x1000 - 16 - 0x20);
	assert_int_equal(kd_x64_unwind_step(&w.env, 1, 0, &c, &res), 0);
	assert_int_equal(res.epilogue, 0);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbx, 0xcafe);

	/* push rbp; lea rbp,[rsp+10h] ... lea rsp,[rbp-10h]; pop rbp;
	 * jmp qword ptr [rip+x] (a tail call) */
	world_init(&w);
	const uint16_t codes[] = { UC(5, KD_UWOP_SET_FPREG, 0), UC(1, KD_UWOP_PUSH_NONVOL, 5) };
	add_func(&w, F1, F1 + 0x40, add_info(&w, 0, 5, 5, 1, codes, 2, NULL));
	code(&w, F1 + 0x20, "488d65f0 5d ff2500100000");
	spush(&w, top - 8, RET_ADDR);
	spush(&w, top - 16, 0xbeef);
	c = start_ctx(IMG_BASE + F1 + 0x20, top - 0x200);
	c.Rbp = top;
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.epilogue, 1);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbp, 0xbeef);
	/* pop rbp; jmp rel32 outside the function: an epilogue */
	code(&w, F1 + 0x30, "5d e9 00100000");
	c = start_ctx(IMG_BASE + F1 + 0x30, top - 16);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.epilogue, 1);
	assert_int_equal(c.Rbp, 0xbeef);
	/* pop rbp; rex.w jmp rax (MSVC's tail call through a register) */
	code(&w, F1 + 0x30, "5d 48ffe0");
	c = start_ctx(IMG_BASE + F1 + 0x30, top - 16);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.epilogue, 1);
	assert_int_equal(c.Rip, RET_ADDR);
	/* pop rbp; jmp rax without REX.W: not an epilogue form */
	code(&w, F1 + 0x30, "5d ffe0");
	c = start_ctx(IMG_BASE + F1 + 0x30, top - 0x100);
	c.Rbp = top;
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.epilogue, 0);
	assert_int_equal(c.Rsp, top);
	/* pop rbp; jmp rel8 inside the function: body code, the codes apply
	 * (SET_FPREG with rbp = frame + 10h) */
	code(&w, F1 + 0x30, "5d eb f0");
	c = start_ctx(IMG_BASE + F1 + 0x30, top - 0x100);
	c.Rbp = top;
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.epilogue, 0);
	assert_int_equal(c.Rsp, top);
	assert_int_equal(c.Rbp, 0xbeef);
}

/* --- leaves, no data, the scan ------------------------------------------------ */

static void test_leaf_and_no_data(void **state)
{
	(void)state;
	struct world w;
	struct kd_x64_unwind_result res;
	push_alloc_world(&w);
	uint64_t top = STACK_BASE + 0x1000;
	spush(&w, top - 8, RET_ADDR);
	/* inside the image but in no function: a leaf */
	struct kd_x64_context c = start_ctx(IMG_BASE + 0x2f00, top - 8);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), 0);
	assert_int_equal(res.kind, KD_X64_UNWOUND_LEAF);
	assert_int_equal(c.Rip, RET_ADDR);
	assert_int_equal(c.Rsp, top);
	/* in no module */
	c = start_ctx(0x7000000, top - 8);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), KD_ENOTFOUND);
	/* the image is a module but its pages are absent (a dump): no data */
	w.mem.r[0].data = NULL;
	c = start_ctx(IMG_BASE + F1 + 6, top - 0x40);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), KD_ENOTFOUND);
	assert_int_equal(c.Rip, IMG_BASE + F1 + 6);
	/* headers that are not a PE image: no data either */
	w.mem.r[0].data = w.img;
	w.img[0] = 0;
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), KD_ENOTFOUND);
	w.img[0] = 'M';
	/* the stack itself is unreadable */
	w.img[0] = 'M';
	c = start_ctx(IMG_BASE + 0x2f00, 0x5000);
	assert_int_equal(kd_x64_unwind_step(&w.env, 0, 1, &c, &res), KD_EUNREADABLE);
}

static void test_scan(void **state)
{
	(void)state;
	struct world w;
	push_alloc_world(&w);
	/* a call at F1+0x20 (E8 rel32) and one at +0x30 (FF 15 [rip+x]) */
	code(&w, F1 + 0x20, "e8 00000000 90");
	code(&w, F1 + 0x30, "ff15 00000000 90");
	uint64_t sp = STACK_BASE + 0x800, slot, value;
	spush(&w, sp, 0x1234);
	spush(&w, sp + 8, IMG_BASE + F1 + 0x22);       /* into the module, not after a call */
	spush(&w, sp + 16, STACK_BASE + 0x10);         /* a stack address */
	spush(&w, sp + 24, IMG_BASE + F1 + 0x25);      /* after the E8 call */
	spush(&w, sp + 32, IMG_BASE + F1 + 0x36);      /* after the FF 15 call */
	assert_int_equal(kd_x64_scan_for_return(&w.env, sp, sp + 0x100, &slot, &value), 0);
	assert_int_equal(slot, sp + 24);
	assert_int_equal(value, IMG_BASE + F1 + 0x25);
	assert_int_equal(kd_x64_scan_for_return(&w.env, slot + 8, sp + 0x100, &slot, &value), 0);
	assert_int_equal(value, IMG_BASE + F1 + 0x36);
	assert_int_equal(kd_x64_scan_for_return(&w.env, slot + 8, sp + 0x100, &slot, &value), KD_ENOTFOUND);
	/* the limit is respected */
	assert_int_equal(kd_x64_scan_for_return(&w.env, sp, sp + 24, &slot, &value), KD_ENOTFOUND);
	/* a module whose code is not readable: any value in it is taken */
	w.mem.r[2] = (struct region){ 0xfffff80000000000ull, NULL, 0x100000, 1 };
	w.mem.n = 3;
	spush(&w, sp + 16, 0xfffff80000012345ull);
	assert_int_equal(kd_x64_scan_for_return(&w.env, sp, sp + 0x100, &slot, &value), 0);
	assert_int_equal(slot, sp + 16);
	assert_int_equal(value, 0xfffff80000012345ull);
	/* the scan stops at the first unreadable stack page */
	assert_int_equal(kd_x64_scan_for_return(&w.env, STACK_BASE + STACK_SIZE - 8, STACK_BASE + STACK_SIZE + 0x1000,
	                                        &slot, &value), KD_ENOTFOUND);
	/* the call recogniser on its own */
	const uint8_t e8[] = { 0x90, 0x90, 0x90, 0xe8, 1, 2, 3, 4 };
	const uint8_t ff15[] = { 0x90, 0x90, 0xff, 0x15, 1, 2, 3, 4 };
	const uint8_t ffd0[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0 };
	const uint8_t rexffd3[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x41, 0xff, 0xd3 };
	const uint8_t ff5008[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x50, 0x08 };
	const uint8_t ff542408[] = { 0x90, 0x90, 0x90, 0x90, 0xff, 0x54, 0x24, 0x08 };
	const uint8_t jmp[] = { 0x90, 0x90, 0x90, 0xe9, 1, 2, 3, 4 };
	const uint8_t mov[] = { 0x90, 0x90, 0x90, 0x90, 0x48, 0x8b, 0xc1, 0x90 };
	assert_true(kd_x64_call_ends_at(e8, 8));
	assert_true(kd_x64_call_ends_at(ff15, 8));
	assert_true(kd_x64_call_ends_at(ffd0, 8));
	assert_true(kd_x64_call_ends_at(rexffd3, 8));
	assert_true(kd_x64_call_ends_at(ff5008, 8));
	assert_true(kd_x64_call_ends_at(ff542408, 8));
	assert_false(kd_x64_call_ends_at(jmp, 8));
	assert_false(kd_x64_call_ends_at(mov, 8));
}

/* --- real images -------------------------------------------------------------- */

static const char *data_dir;
static const char *objdump;

/* A real image laid out as the loader maps it. */
struct real_image {
	uint8_t *map;
	uint32_t size;
	uint64_t base;
};

static int load_mapped(const char *path, struct real_image *ri, struct kd_pe **pe_out)
{
	struct kd_pe *pe;
	char err[256];
	if (kd_pe_open_file(path, &pe, err, sizeof err) < 0)
		return -1;
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	ri->size = info->image_size;
	ri->base = info->image_base;
	ri->map = calloc(1, ri->size);
	assert_non_null(ri->map);
	kd_pe_read_rva(pe, 0, ri->map, info->headers_size < ri->size ? info->headers_size : ri->size);
	const struct kd_pe_section *s;
	size_t n;
	kd_pe_sections(pe, &s, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t len = s[i].raw_size < s[i].virtual_size || !s[i].virtual_size ? s[i].raw_size
		                                                                       : s[i].virtual_size;
		if (s[i].rva < ri->size && len <= ri->size - s[i].rva)
			kd_pe_read_rva(pe, s[i].rva, ri->map + s[i].rva, len);
	}
	*pe_out = pe;
	return 0;
}

/* llvm-objdump's reading of one function's unwind data. */
struct llvm_func {
	uint32_t begin, end, info;
	unsigned version, flags, prolog, count;
	int nframe;
	char codes[32][96]; /* "0x06: UOP_AllocSmall 32" */
	int ncodes;
};

static int llvm_funcs(const char *path, struct llvm_func **out, size_t *n)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s --unwind-info '%s'", objdump, path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 64, cnt = 0;
	struct llvm_func *v = calloc(cap, sizeof *v), *cur = NULL;
	char line[512];
	int in_codes = 0;
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		while (*p == ' ')
			p++;
		p[strcspn(p, "\n")] = 0;
		unsigned x;
		if (strcmp(p, "Function Table:") == 0) {
			if (cnt == cap)
				v = realloc(v, (cap *= 2) * sizeof *v);
			cur = &v[cnt++];
			memset(cur, 0, sizeof *cur);
			in_codes = 0;
		} else if (!cur) {
			continue;
		} else if (sscanf(p, "Start Address: %x", &x) == 1) {
			cur->begin = x;
		} else if (sscanf(p, "End Address: %x", &x) == 1) {
			cur->end = x;
		} else if (sscanf(p, "Unwind Info Address: %x", &x) == 1) {
			cur->info = x;
		} else if (sscanf(p, "Version: %u", &x) == 1) {
			cur->version = x;
		} else if (sscanf(p, "Flags: %u", &x) == 1) {
			cur->flags = x;
		} else if (sscanf(p, "Size of prolog: %u", &x) == 1) {
			cur->prolog = x;
		} else if (sscanf(p, "Number of Codes: %u", &x) == 1) {
			cur->count = x;
		} else if (strcmp(p, "Unwind Codes:") == 0) {
			in_codes = 1;
		} else if (in_codes && strncmp(p, "0x", 2) == 0 && cur->ncodes < 32) {
			snprintf(cur->codes[cur->ncodes++], sizeof cur->codes[0], "%.90s", p);
		} else if (strstr(p, "Frame register") || strstr(p, "frame pointer used")) {
			cur->nframe = strstr(p, "No frame") ? 0 : 1;
		}
	}
	assert_int_equal(pclose(f), 0);
	*out = v;
	*n = cnt;
	return 0;
}

static const char *const reg_names[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
	                                   "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };

static int real_mem_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	return mem_read(ctx, addr, buf, len, done);
}

/* Build the stack llvm's codes describe, unwind with ours, compare. */
static void unwind_with_llvm_codes(struct mem *m, const struct kd_x64_unwind_env *env,
                                   const struct real_image *ri, const struct llvm_func *lf,
                                   uint8_t *stack, uint64_t sbase, size_t slen)
{
	uint64_t regs[16] = { 0 };
	int restored[16] = { 0 };
	uint64_t size = 0;
	/* Pass 1: the frame size from pushes and allocations. */
	for (int i = 0; i < lf->ncodes; i++) {
		char op[32], arg[32] = "";
		unsigned off;
		sscanf(lf->codes[i], "0x%x: %31s %31s", &off, op, arg);
		if (strcmp(op, "UOP_PushNonVol") == 0)
			size += 8;
		else if (strcmp(op, "UOP_AllocSmall") == 0 || strcmp(op, "UOP_AllocLarge") == 0)
			size += strtoull(arg, NULL, 10);
	}
	/* llvm-objdump 14 prints a short ALLOC_LARGE's slot, not bytes. */
	for (int i = 0; i < lf->ncodes; i++) {
		char op[32], arg[32] = "";
		unsigned off;
		sscanf(lf->codes[i], "0x%x: %31s %31s", &off, op, arg);
		if (strcmp(op, "UOP_AllocLarge") == 0) {
			const uint8_t *ui = ri->map + lf->info;
			for (unsigned s = 0; s < ui[2]; s++) {
				const uint8_t *c = ui + 4 + 2 * s;
				if ((c[1] & 0xf) == 1 && (c[1] >> 4) == 0 && c[0] == off) {
					uint64_t slot = strtoull(arg, NULL, 10);
					size += slot * 8 - slot;
				}
			}
		}
	}
	memset(stack, 0, slen);
	uint64_t top = sbase + slen - 0x40;
	uint64_t rsp = top - 8 - size;
	assert_true(rsp > sbase);
	uint64_t ret = 0x7ff612340000ull + lf->begin;
	put64(stack + (top - 8 - sbase), ret);
	/* Pass 2: the pushed and saved registers get recognizable values. */
	uint64_t at = rsp + size; /* pushes are the highest part, in prolog order */
	for (int i = lf->ncodes - 1; i >= 0; i--) {
		char op[32], arg[32] = "", arg2[32] = "";
		unsigned off;
		sscanf(lf->codes[i], "0x%x: %31s %31s %31s", &off, op, arg, arg2);
		int r = -1;
		for (int k = 0; k < 16; k++)
			if (strcmp(arg, reg_names[k]) == 0)
				r = k;
		if (strcmp(op, "UOP_PushNonVol") == 0) {
			at -= 8;
			assert_true(r >= 0);
			regs[r] = 0x1000 + (uint64_t)r;
			restored[r] = 1;
			put64(stack + (at - sbase), regs[r]);
		} else if (strcmp(op, "UOP_SaveNonVol") == 0) {
			unsigned o;
			assert_true(r >= 0);
			assert_int_equal(sscanf(arg2, "[0x%x]", &o), 1);
			regs[r] = 0x2000 + (uint64_t)r;
			restored[r] = 1;
			put64(stack + (rsp + o - sbase), regs[r]);
		}
	}
	(void)m;
	struct kd_x64_context c;
	memset(&c, 0, sizeof c);
	c.Rip = ri->base + lf->begin + lf->prolog;
	c.Rsp = rsp;
	struct kd_x64_unwind_result res;
	int rc = kd_x64_unwind_step(env, 0, 0, &c, &res);
	if (rc != 0 || c.Rip != ret || c.Rsp != top)
		fail_msg("function %x: rc %d rip %llx rsp %llx (want %llx %llx)", lf->begin, rc,
		         (unsigned long long)c.Rip, (unsigned long long)c.Rsp, (unsigned long long)ret,
		         (unsigned long long)top);
	for (int k = 0; k < 16; k++) {
		uint64_t v;
		memcpy(&v, (const uint8_t *)&c + offsetof(struct kd_x64_context, Rax) + 8 * k, sizeof v);
		if (restored[k] && v != regs[k])
			fail_msg("function %x: %s %llx, want %llx", lf->begin, reg_names[k],
			         (unsigned long long)v, (unsigned long long)regs[k]);
	}
}

static void check_image(const char *path)
{
	struct real_image ri;
	struct kd_pe *pe;
	assert_int_equal(load_mapped(path, &ri, &pe), 0);
	const struct kd_pe_runtime_function *rf;
	size_t nrf;
	assert_int_equal(kd_pe_runtime_functions(pe, &rf, &nrf), 0);
	struct llvm_func *lf;
	size_t nlf;
	llvm_funcs(path, &lf, &nlf);
	assert_int_equal(nrf, nlf);
	assert_true(nlf > 10);

	static uint8_t stack[0x4000];
	struct mem m = { .n = 2 };
	m.r[0] = (struct region){ ri.base, ri.map, ri.size, 1 };
	m.r[1] = (struct region){ 0xffffa00000000000ull, stack, sizeof stack, 0 };
	struct kd_x64_unwind_env env = { { KD_MACHINE_AMD64, real_mem_read, NULL, &m }, mem_module };

	for (size_t i = 0; i < nlf; i++) {
		struct llvm_func *f = &lf[i];
		/* the table, looked up at a function's first and last byte */
		struct kd_x64_runtime_function e;
		assert_int_equal(kd_x64_pdata_entry(&env.mem, ri.base, ri.base + f->begin, &e, NULL), 0);
		assert_int_equal(e.begin, f->begin);
		assert_int_equal(e.end, f->end);
		assert_int_equal(e.unwind, f->info);
		assert_int_equal(kd_x64_pdata_entry(&env.mem, ri.base, ri.base + f->end - 1, &e, NULL), 0);
		assert_int_equal(e.begin, f->begin);
		/* the UNWIND_INFO */
		struct kd_x64_unwind_info ui;
		assert_true(f->info < ri.size - 4);
		assert_int_equal(kd_x64_unwind_info_parse(ri.map + f->info, ri.size - f->info, &ui), 0);
		assert_int_equal(ui.version, f->version);
		assert_int_equal(ui.flags, f->flags);
		assert_int_equal(ui.prolog_size, f->prolog);
		assert_int_equal(ui.count, f->count);
		assert_int_equal(ui.frame_reg != 0, f->nframe);
		int k = 0;
		for (unsigned s = 0; s < ui.count; k++) {
			unsigned n = kd_x64_unwind_code_slots(&ui, s);
			assert_true(n > 0);
			assert_true(k < f->ncodes);
			unsigned off, op = (ui.codes[s] >> 8) & 0xf, info = ui.codes[s] >> 12;
			char name[32];
			assert_int_equal(sscanf(f->codes[k], "0x%x: %31s", &off, name), 2);
			assert_int_equal(off, ui.codes[s] & 0xff);
			static const char *const ops[] = { "UOP_PushNonVol", "UOP_AllocLarge", "UOP_AllocSmall",
			                                   "UOP_SetFPReg", "UOP_SaveNonVol", "UOP_SaveNonVolBig",
			                                   "UOP_Epilog", "UOP_SpareCode", "UOP_SaveXMM128",
			                                   "UOP_SaveXMM128Big", "UOP_PushMachFrame" };
			assert_string_equal(name, ops[op]);
			if (op == KD_UWOP_PUSH_NONVOL || op == KD_UWOP_SAVE_NONVOL)
				assert_non_null(strstr(f->codes[k], reg_names[info]));
			s += n;
		}
		assert_int_equal(k, f->ncodes);
		unwind_with_llvm_codes(&m, &env, &ri, f, stack, 0xffffa00000000000ull, sizeof stack);
	}
	free(lf);
	free(ri.map);
	kd_pe_close(pe);
}

/* Every call capstone finds in the functions' code ends where the scan's
 * recogniser says a call ends. */
static void check_calls(const char *path)
{
	struct real_image ri;
	struct kd_pe *pe;
	assert_int_equal(load_mapped(path, &ri, &pe), 0);
	const struct kd_pe_runtime_function *rf;
	size_t nrf;
	assert_int_equal(kd_pe_runtime_functions(pe, &rf, &nrf), 0);
	struct mem m = { .n = 1 };
	m.r[0] = (struct region){ ri.base, ri.map, ri.size, 1 };
	struct kd_disasm_env env = { KD_MACHINE_AMD64, mem_read, NULL, &m };
	unsigned calls = 0;
	for (size_t i = 0; i < nrf; i++) {
		for (uint32_t a = rf[i].begin; a < rf[i].end && a < ri.size;) {
			struct kd_insn in;
			if (kd_disasm_one(&env, ri.base + a, &in) < 0 || !in.valid) {
				a++;
				continue;
			}
			if (in.is_call && a + in.size >= 8) {
				calls++;
				if (!kd_x64_call_ends_at(ri.map + a + in.size - 8, 8))
					fail_msg("%s: call at %x (%s %s) not recognised", path, a, in.mnemonic, in.operands);
			}
			a += in.size;
		}
	}
	assert_true(calls > 20);
	free(ri.map);
	kd_pe_close(pe);
}

static void test_real_images(void **state)
{
	(void)state;
	if (!data_dir || !objdump)
		skip();
	char pattern[1024];
	snprintf(pattern, sizeof pattern, "%s/pe/x64/*.[ed][xl][el]", data_dir);
	glob_t g;
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_image(g.gl_pathv[i]);
	globfree(&g);
}

static void test_real_calls(void **state)
{
	(void)state;
	if (!data_dir)
		skip();
	char pattern[1024];
	snprintf(pattern, sizeof pattern, "%s/pe/x64/*.[ed][xl][el]", data_dir);
	glob_t g;
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_calls(g.gl_pathv[i]);
	globfree(&g);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	if (!data_dir)
		printf("test_unwind_x64: KD_DATA not set, real-image tests skipped\n");
	objdump = access("/usr/bin/llvm-objdump-14", X_OK) == 0 ? "/usr/bin/llvm-objdump-14" :
	          access("/usr/lib/llvm-14/bin/llvm-objdump", X_OK) == 0 ? "/usr/lib/llvm-14/bin/llvm-objdump" : NULL;
	if (!objdump)
		printf("test_unwind_x64: llvm-objdump-14 not installed, llvm comparison skipped\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_push_alloc),
		cmocka_unit_test(test_frame_register),
		cmocka_unit_test(test_save_and_large),
		cmocka_unit_test(test_chained),
		cmocka_unit_test(test_version2),
		cmocka_unit_test(test_machframe),
		cmocka_unit_test(test_epilogue),
		cmocka_unit_test(test_leaf_and_no_data),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_real_images),
		cmocka_unit_test(test_real_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
