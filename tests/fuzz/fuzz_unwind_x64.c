/*
 * Fuzz harness for the x64 unwinder (arch/unwind_x64.c, arch/pdata.c):
 * the input is a small world — 16 control bytes, then the bytes of an
 * image (headers, .pdata, .xdata, code: with control bit 0 the harness
 * writes a valid PE header whose exception directory covers the payload,
 * so the table and records are reached) and of a stack. Parsing the
 * payload as an UNWIND_INFO, a walk of up to 32 frames, a stack scan, the
 * pdata lookup and the call recogniser must return 0 or a negative code,
 * never crash, hang or read outside the buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch/pdata.h"
#include "arch/unwind_x64.h"
#include "base/error.h"

#define IMG_BASE 0x140000000ull
#define IMG_SIZE 0x3000u
#define STACK_BASE 0xffff800000010000ull
#define STACK_SIZE 0x800u

struct world {
	uint8_t img[IMG_SIZE];
	uint8_t stack[STACK_SIZE];
};

static int world_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	struct world *w = ctx;
	const uint8_t *src = NULL;
	size_t avail = 0;
	if (addr >= IMG_BASE && addr - IMG_BASE < IMG_SIZE) {
		src = w->img + (addr - IMG_BASE);
		avail = IMG_SIZE - (size_t)(addr - IMG_BASE);
	} else if (addr >= STACK_BASE && addr - STACK_BASE < STACK_SIZE) {
		src = w->stack + (addr - STACK_BASE);
		avail = STACK_SIZE - (size_t)(addr - STACK_BASE);
	}
	*done = 0;
	if (!src)
		return KD_EUNREADABLE;
	*done = len < avail ? len : avail;
	memcpy(buf, src, *done);
	return 0;
}

static int world_module(void *ctx, uint64_t addr, uint64_t *base, uint32_t *size)
{
	(void)ctx;
	if (addr < IMG_BASE || addr - IMG_BASE >= IMG_SIZE)
		return KD_ENOTFOUND;
	*base = IMG_BASE;
	*size = IMG_SIZE;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	if (size < 16)
		return 0;
	const uint8_t *ctl = data;
	const uint8_t *payload = data + 16;
	size_t n = size - 16;
	memset(&w, 0, sizeof w);

	struct kd_x64_unwind_info ui;
	kd_x64_unwind_info_parse(payload, n, &ui);
	for (unsigned i = 0; i < 300; i++)
		kd_x64_unwind_code_slots(&ui, i);

	/* The image: a synthetic header with .pdata at 0x1000 (ctl[0] bit 0
	 * clear), or the payload from byte 0. The stack: the payload's tail,
	 * then words pointing into the image. */
	size_t at = 0;
	if (!(ctl[0] & 1)) {
		uint8_t *h = w.img;
		h[0] = 'M';
		h[1] = 'Z';
		put32(h + 0x3c, 0x80);
		memcpy(h + 0x80, "PE\0\0", 4);
		uint8_t *opt = h + 0x80 + 24;
		opt[0] = 0x0b;
		opt[1] = 0x02;
		put32(opt + 56, IMG_SIZE);
		put32(opt + 108, 16);
		put32(opt + 112 + 3 * 8, 0x1000);
		put32(opt + 112 + 3 * 8 + 4, (uint32_t)(12u * (ctl[1] % 16 + 1)));
		at = 0x1000;
	}
	size_t img_n = n < IMG_SIZE - at ? n : IMG_SIZE - at;
	memcpy(w.img + at, payload, img_n);
	for (size_t i = 0; i + 8 <= STACK_SIZE; i += 8) {
		uint64_t v = IMG_BASE + 0x1000 + (i * 37 + ctl[2]) % 0x2000;
		for (int k = 0; k < 8; k++)
			w.stack[i + (size_t)k] = (uint8_t)(v >> (8 * k));
	}
	size_t tail = n > img_n ? n - img_n : 0;
	memcpy(w.stack, payload + img_n, tail < STACK_SIZE ? tail : STACK_SIZE);

	struct kd_x64_unwind_env env = {
		.mem = { KD_MACHINE_AMD64, world_read, NULL, &w },
		.module_at = world_module,
	};
	struct kd_x64_context c;
	memset(&c, 0, sizeof c);
	c.Rip = IMG_BASE + 0x1000 + ((uint64_t)ctl[3] << 8 | ctl[4]) % 0x2000;
	c.Rsp = STACK_BASE + (((uint64_t)ctl[5] << 8 | ctl[6]) % STACK_SIZE);
	c.Rbp = STACK_BASE + (((uint64_t)ctl[7] << 8 | ctl[8]) % STACK_SIZE);
	c.R12 = IMG_BASE + ctl[9];
	int is_ret = ctl[0] & 2, epilogue = ctl[0] & 4;
	for (int frame = 0; frame < 32; frame++) {
		struct kd_x64_unwind_result res;
		uint64_t sp = c.Rsp;
		int rc = kd_x64_unwind_step(&env, is_ret, epilogue, &c, &res);
		if (rc == KD_ENOTFOUND) {
			uint64_t slot, value;
			if (kd_x64_scan_for_return(&env, sp, sp + 0x400, &slot, &value) < 0)
				break;
			c.Rip = value;
			c.Rsp = slot + 8;
		} else if (rc < 0) {
			break;
		}
		is_ret = 1;
		epilogue = 0;
	}
	uint64_t b, e;
	struct kd_x64_runtime_function rf;
	kd_x64_pdata_lookup(&env.mem, IMG_BASE, IMG_BASE + 0x1000 + ctl[10] * 16u, &b, &e);
	kd_x64_pdata_entry(&env.mem, IMG_BASE, IMG_BASE + 0x1000 + ctl[11] * 16u, &rf, NULL);
	for (size_t i = 0; i + 8 <= n && i < 256; i++)
		kd_x64_call_ends_at(payload + i, 8);
	return 0;
}
