/*
 * Fuzz harness for the kernel-object extensions (!process, !thread, !pcr,
 * !prcb, !irql, !idt, !list, !irp, !devobj, !drvobj, dt from the built-in rows, s, dpa/dpu, du):
 * they run against a target whose every read returns the fuzzer's bytes,
 * so every pointer, offset, count and list link they follow is hostile.
 * They must neither crash nor run without bound.
 *
 * Input: byte 0 picks x86 or x64, byte 1 the build (whose layouts apply),
 * byte 2 the processor count; the whole input is the memory, repeated
 * over the address space (address a reads byte a % size), except that the
 * first page reads as unmapped and the version's DebuggerDataList leads to
 * a KDDEBUGGER_DATA64 whose header is valid and whose fields are the
 * input's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kd/commands/command.h"
#include "kd/engine/engine.h"

#define KDBG_LIST 0x7ff00000ull
#define KDBG_BLOCK 0x7ff00100ull

struct fake {
	const uint8_t *data;
	size_t size;
	enum kd_machine machine;
	uint16_t build;
	unsigned cpus;
};

static uint8_t byte_at(const struct fake *f, uint64_t a)
{
	unsigned ps = f->machine == KD_MACHINE_AMD64 ? 8 : 4;
	if (a >= KDBG_LIST && a < KDBG_LIST + ps)
		return (uint8_t)(KDBG_BLOCK >> (8 * (a - KDBG_LIST)));
	if (a >= KDBG_BLOCK + 0x10 && a < KDBG_BLOCK + 0x14)
		return (uint8_t)"KDBG"[a - KDBG_BLOCK - 0x10];
	if (a >= KDBG_BLOCK + 0x14 && a < KDBG_BLOCK + 0x18)
		return (uint8_t)(0x380u >> (8 * (a - KDBG_BLOCK - 0x14)));
	return f->data[a % f->size];
}

static int f_read(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	const struct fake *f = t->impl;
	*done = 0;
	if (addr < 0x1000)
		return KD_EUNREADABLE;
	for (uint32_t i = 0; i < len; i++) {
		if (addr + i < addr || addr + i < 0x1000)
			break;
		((uint8_t *)buf)[i] = byte_at(f, addr + i);
		*done = i + 1;
	}
	return 0;
}

static int f_version(struct kd_target *t, struct kd_version *out)
{
	const struct fake *f = t->impl;
	memset(out, 0, sizeof *out);
	out->machine = f->machine;
	out->major = 0xf;
	out->build = f->build;
	out->processors = f->cpus;
	out->kern_base = f->machine == KD_MACHINE_AMD64 ? 0xfffff80012600000ull : 0x82800000ull;
	out->debugger_data_list = KDBG_LIST;
	return 0;
}

static int f_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	const struct fake *f = t->impl;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof out->u.raw && i < f->size; i++)
		out->u.raw[i] = f->data[(i + cpu * 64) % f->size];
	out->machine = f->machine;
	return 0;
}

static int f_control(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return f_read(t, 0x2000 + cpu * 0x100 + addr * 8, buf, len, done);
}

static int f_stopped(struct kd_target *t)
{
	(void)t;
	return 1;
}

static void f_close(struct kd_target *t)
{
	free(t);
}

static const struct kd_target_ops fake_ops = {
	.kind = "dump",
	.close = f_close,
	.version = f_version,
	.read_virtual = f_read,
	.get_context = f_context,
	.read_control = f_control,
	.is_stopped = f_stopped,
};

/* Silent, unless KEXT_VERBOSE is set (to see what a corpus input does). */
static void quiet(void *user, enum kd_output_kind kind, const char *text)
{
	(void)user;
	(void)kind;
	if (getenv("KEXT_VERBOSE"))
		fputs(text, stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t builds[] = { 7601, 9200, 9600, 10240, 14393, 17763, 18362, 19041, 22621 };
	if (size < 16)
		return 0;
	struct fake f = {
		.data = data,
		.size = size,
		.machine = data[0] & 1 ? KD_MACHINE_AMD64 : KD_MACHINE_I386,
		.build = builds[data[1] % (sizeof builds / sizeof builds[0])],
		.cpus = 1 + data[2] % 4,
	};
	struct kd_target *t = calloc(1, sizeof *t);
	if (!t)
		return 0;
	t->ops = &fake_ops;
	t->impl = &f;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct kd_engine *eng = kd_engine_new(&loop, quiet, NULL);
	if (eng && kd_engine_open_target(eng, t) == 0) {
		kd_execute(eng, "!process 0 0; !process -1 7; !process 0x7ff03000 6; !thread; !thread 0x7ff02000 6");
		kd_execute(eng, "!pcr; !pcr 1; !prcb; !prcb 3; !irql; !irql 2; !idt; !idt -a; !idt 50");
		kd_execute(eng, "!list -t nt!_EPROCESS.ActiveProcessLinks -x \"? @$extret\" -m 200 0x7ff01000");
		kd_execute(eng, "!list \"-t nt!_KTHREAD.ThreadListEntry.Flink -e -x \\\"dt nt!_KTHREAD @$extret\\\" 0x7ff02000\"");
		kd_execute(eng, "!list 0x7ff04000; dt nt!_EPROCESS 0x7ff03000; dt nt!_KPRCB; dt _ETHREAD 0x7ff02000");
		kd_execute(eng, "!irp 0x7ff06000; !devobj 0x7ff07000; !drvobj 0x7ff08000; !irp 0x7ff00100");
		kd_execute(eng, "dpa 0x7ff04000 L8; dpu 0x7ff04000 L8; du /c 5 0x7ff05000; da /c 7 0x7ff05000");
		kd_execute(eng, "s -a 0x7ff00000 L1000 \"ab\"; s -[1]q 0x7ff00000 L200 1; s -u 0x7ff00000 L800 \"a\"; s -b 0xff0 L40 0");
	}
	kd_engine_free(eng); /* closes the target */
	uv_loop_close(&loop);
	return 0;
}
