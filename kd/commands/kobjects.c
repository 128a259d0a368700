/*
 * Kernel-object extensions in WinDbg's layout: !process, !thread, !pcr,
 * !prcb and !irql. They read the kernel's structures through the layouts
 * of kd/klayout.h only, so they work from the kernel PDB, the kernel's own
 * KDDEBUGGER_DATA64 offsets or the built-in rows; every list walk is
 * bounded and stops on a loop.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kd/commands/command.h"
#include "kd/targets/dump_format.h"
#include "kd/commands/klayout.h"
#include "kd/commands/walk.h"
#include "kd/engine/kthread.h"

#define MAX_PROCESSES 4096u
#define MAX_THREADS 4096u

#define ptr kd_format_ptr

static uint64_t kf(struct kd_engine *eng, uint64_t base, const char *type, const char *field, uint64_t dflt)
{
	uint64_t v;
	return kd_kfield_read(eng, base, type, field, &v) == 0 ? v : dflt;
}

static int64_t kf_signed(struct kd_engine *eng, uint64_t base, const char *type, const char *field)
{
	struct kd_kfield f;
	uint64_t v;
	if (kd_kfield_find(eng, type, field, &f) < 0 || kd_kfield_read(eng, base, type, field, &v) < 0)
		return 0;
	unsigned bits = f.bit_len ? f.bit_len : f.size * 8;
	if (bits && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	return (int64_t)v;
}

static uint64_t field_offset(struct kd_engine *eng, const char *type, const char *field)
{
	struct kd_kfield f;
	return kd_kfield_find(eng, type, field, &f) == 0 ? f.offset : 0;
}

/* --- processors ---------------------------------------------------------- */

/* A processor's KPRCB: KiProcessorBlock[cpu] (KDDEBUGGER_DATA64), else
 * x64 control space. */
static int prcb_address(struct kd_engine *eng, unsigned cpu, uint64_t *prcb)
{
	uint64_t block;
	if (kd_kdbg_read(eng, KDBG_KI_PROCESSOR_BLOCK, kd_engine_pointer_size(eng), &block) == 0 && block &&
	    kd_read_pointer(eng, block + (uint64_t)cpu * kd_engine_pointer_size(eng), prcb) == 0 && *prcb)
		return 0;
	return kd_processor_object(eng, cpu, KD_X64_CONTROL_KPRCB, prcb) == 0 && *prcb ? 0 : KD_ENOTFOUND;
}

/* Its KPCR: the KPRCB is embedded at KPCR.Prcb (x64) or PrcbData (x86). */
static int pcr_address(struct kd_engine *eng, unsigned cpu, uint64_t *pcr)
{
	uint64_t prcb, off;
	if (kd_engine_is_64bit(eng) && kd_processor_object(eng, cpu, KD_X64_CONTROL_KPCR, pcr) == 0 && *pcr)
		return 0;
	if (prcb_address(eng, cpu, &prcb) < 0)
		return KD_ENOTFOUND;
	if (kd_kdbg_read(eng, KDBG_OFFSET_PCR_CONTAINED_PRCB, 2, &off) < 0 || !off)
		off = kd_engine_is_64bit(eng) ? field_offset(eng, "_KPCR", "Prcb") : field_offset(eng, "_KPCR", "PrcbData");
	if (!off)
		return KD_ENOTFOUND;
	*pcr = prcb - off;
	return 0;
}

/* "!pcr 1", "!prcb": the processor argument (default: the current one). */
static int parse_cpu(struct kd_engine *eng, const char *args, unsigned *cpu)
{
	const char *p = kd_skip_spaces(args);
	*cpu = kd_engine_cpu(eng);
	if (*p && *p != ';') {
		uint64_t v;
		if (kd_eval(eng, p, &v, NULL) < 0) {
			kd_eprintf(eng, "Syntax error: a processor number is expected at '%s'\n", p);
			return KD_EINVAL;
		}
		*cpu = (unsigned)v;
	}
	if (*cpu >= kd_engine_cpu_count(eng)) {
		kd_eprintf(eng, "Cannot get PRCB address: processor %u does not exist (%u processors)\n", *cpu,
		           kd_engine_cpu_count(eng));
		return KD_EINVAL;
	}
	return 0;
}

/* The processor argument and its KPRCB, with one error line when absent. */
static int parse_cpu_prcb(struct kd_engine *eng, const char *args, unsigned *cpu, uint64_t *prcb)
{
	int rc = parse_cpu(eng, args, cpu);
	if (rc < 0)
		return rc;
	if (prcb_address(eng, *cpu, prcb) < 0) {
		kd_eprintf(eng, "Cannot get PRCB address of processor %u\n", *cpu);
		return KD_ENOTFOUND;
	}
	return 0;
}

static const char *irql_name(struct kd_engine *eng, unsigned irql)
{
	static const char *const x64[16] = { "LOW_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL", NULL, NULL, NULL, NULL, NULL,
	                                     NULL, NULL, NULL, NULL, "SYNCH_LEVEL", "CLOCK_LEVEL", "IPI_LEVEL",
	                                     "HIGH_LEVEL" };
	static const char *const x86[32] = { "LOW_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL", [27] = "PROFILE_LEVEL",
	                                     [28] = "CLOCK2_LEVEL", [29] = "IPI_LEVEL", [30] = "POWER_LEVEL",
	                                     [31] = "HIGH_LEVEL" };
	if (kd_engine_is_64bit(eng))
		return irql < 16 ? x64[irql] : NULL;
	return irql < 32 ? x86[irql] : NULL;
}

static int cmd_irql(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	unsigned cpu;
	uint64_t prcb, irql;
	int rc;
	if ((rc = parse_cpu_prcb(eng, args, &cpu, &prcb)) < 0)
		return rc;
	if ((rc = kd_kfield_need(eng, prcb, "_KPRCB", "DebuggerSavedIRQL", &irql)) < 0)
		return rc;
	const char *n = irql_name(eng, (unsigned)irql);
	kd_printf(eng, "Debugger saved IRQL for processor 0x%x -- %u", cpu, (unsigned)irql);
	kd_printf(eng, n ? " (%s)\n" : "\n", n);
	return 0;
}

static int cmd_prcb(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	unsigned cpu;
	uint64_t prcb, irql, cur, next, idle;
	char a[20], b[20], c[20];
	int rc;
	if ((rc = parse_cpu_prcb(eng, args, &cpu, &prcb)) < 0)
		return rc;
	if ((rc = kd_kfield_need(eng, prcb, "_KPRCB", "DebuggerSavedIRQL", &irql)) < 0 ||
	    (rc = kd_kfield_need(eng, prcb, "_KPRCB", "CurrentThread", &cur)) < 0 ||
	    (rc = kd_kfield_need(eng, prcb, "_KPRCB", "NextThread", &next)) < 0 ||
	    (rc = kd_kfield_need(eng, prcb, "_KPRCB", "IdleThread", &idle)) < 0)
		return rc;
	kd_printf(eng, "PRCB for Processor %u at %s:\n", cpu, kd_format_addr(eng, prcb, a));
	kd_printf(eng, "Current IRQL -- %u\n", (unsigned)irql);
	kd_printf(eng, "Threads--  Current %s Next %s Idle %s\n", kd_format_addr(eng, cur, a),
	          kd_format_addr(eng, next, b), kd_format_addr(eng, idle, c));
	uint64_t number, group, index, member;
	if (kd_kfield_read(eng, prcb, "_KPRCB", "Number", &number) == 0 &&
	    kd_kfield_read(eng, prcb, "_KPRCB", "Group", &group) == 0 &&
	    kd_kfield_read(eng, prcb, "_KPRCB", "GroupIndex", &index) == 0 &&
	    kd_kfield_read(eng, prcb, "_KPRCB", "GroupSetMember", &member) == 0)
		kd_printf(eng, "Processor Index %u Number (%u, %u) GroupSetMember %llx\n", (unsigned)number,
		          (unsigned)group, (unsigned)index, (unsigned long long)member);
	uint64_t ic, dpc, intr, kern, user;
	if (kd_kfield_read(eng, prcb, "_KPRCB", "InterruptCount", &ic) == 0)
		kd_printf(eng, "Interrupt Count -- %08x\n", (unsigned)ic);
	if (kd_kfield_read(eng, prcb, "_KPRCB", "DpcTime", &dpc) == 0 &&
	    kd_kfield_read(eng, prcb, "_KPRCB", "InterruptTime", &intr) == 0 &&
	    kd_kfield_read(eng, prcb, "_KPRCB", "KernelTime", &kern) == 0 &&
	    kd_kfield_read(eng, prcb, "_KPRCB", "UserTime", &user) == 0) {
		kd_printf(eng, "Times -- Dpc    %08x Interrupt %08x \n", (unsigned)dpc, (unsigned)intr);
		kd_printf(eng, "         Kernel %08x User      %08x \n", (unsigned)kern, (unsigned)user);
	}
	return 0;
}

/* One "\t%19s: value" line of !pcr; "Unable to read" when unreadable. */
static void pcr_line(struct kd_engine *eng, const char *label, int ok, uint64_t v)
{
	char a[20];
	if (ok)
		kd_printf(eng, "\t%19s: %s\n", label, ptr(eng, v, a));
	else
		kd_printf(eng, "\t%19s: <unreadable>\n", label);
}

static int cmd_pcr(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	unsigned cpu;
	uint64_t pcr, prcb = 0, v;
	char a[20];
	int rc, x64 = kd_engine_is_64bit(eng);
	unsigned ps = kd_engine_pointer_size(eng);
	if ((rc = parse_cpu(eng, args, &cpu)) < 0)
		return rc;
	if (pcr_address(eng, cpu, &pcr) < 0) {
		kd_eprintf(eng, "Cannot get PCR address of processor %u\n", cpu);
		return KD_ENOTFOUND;
	}
	prcb_address(eng, cpu, &prcb);
	uint64_t major, minor;
	kd_printf(eng, "KPCR for Processor %u at %s:\n", cpu, ptr(eng, pcr, a));
	if (kd_kfield_read(eng, pcr, "_KPCR", "MajorVersion", &major) == 0 &&
	    kd_kfield_read(eng, pcr, "_KPCR", "MinorVersion", &minor) == 0)
		kd_printf(eng, "    Major %u Minor %u\n", (unsigned)major, (unsigned)minor);
	else
		kd_printf(eng, "    Major <unreadable> Minor <unreadable>\n");
	/* The NT_TIB view of the first seven pointers (on x64 they are the
	 * GDT, TSS, user stack, self, PRCB, lock array and Used_Self). */
	static const char *const tib[7] = { "NtTib.ExceptionList", "NtTib.StackBase", "NtTib.StackLimit",
	                                    "NtTib.SubSystemTib", "NtTib.Version", "NtTib.UserPointer",
	                                    "NtTib.SelfTib" };
	for (unsigned i = 0; i < 7; i++) {
		int ok = kd_read_pointer(eng, pcr + i * ps, &v) == 0;
		pcr_line(eng, tib[i], ok, v);
	}
	kd_printf(eng, "\n");
	if (x64) {
		/* WinDbg shows the x86-only fields as zero on x64. */
		pcr_line(eng, "SelfPcr", 1, 0);
		int ok = kd_kfield_read(eng, pcr, "_KPCR", "CurrentPrcb", &v) == 0;
		pcr_line(eng, "Prcb", ok, v);
		ok = kd_kfield_read(eng, pcr, "_KPCR", "Irql", &v) == 0;
		pcr_line(eng, "Irql", ok, v);
		static const char *const zero[] = { "IRR", "IDR", "InterruptMode", "IDT", "GDT", "TSS" };
		for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
			pcr_line(eng, zero[i], 1, 0);
	} else {
		static const char *const f[][2] = { { "SelfPcr", "SelfPcr" }, { "Prcb", "Prcb" }, { "Irql", "Irql" },
		                                    { "IRR", "IRR" }, { "IDR", "IDR" },
		                                    { "InterruptMode", "InterruptMode" }, { "IDT", "IDT" },
		                                    { "GDT", "GDT" }, { "TSS", "TSS" } };
		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
			int ok = kd_kfield_read(eng, pcr, "_KPCR", f[i][1], &v) == 0;
			pcr_line(eng, f[i][0], ok, v);
		}
	}
	kd_printf(eng, "\n");
	static const char *const th[3] = { "CurrentThread", "NextThread", "IdleThread" };
	for (unsigned i = 0; i < 3; i++) {
		int ok = prcb && kd_kfield_read(eng, prcb, "_KPRCB", th[i], &v) == 0;
		pcr_line(eng, th[i], ok, v);
	}
	kd_printf(eng, "\n");
	/* The normal DPC queue: KDPC_DATA.DpcList, a single list of KDPCs
	 * linked through DpcListEntry (after Type/Importance/Number). */
	kd_printf(eng, "\t          DpcQueue: ");
	uint64_t dpcdata = field_offset(eng, "_KPRCB", "DpcData"), e = 0;
	if (prcb && dpcdata && kd_read_pointer(eng, prcb + dpcdata, &e) == 0) {
		unsigned link = x64 ? 8 : 4;
		for (unsigned n = 0; e && n < 64 && !kd_engine_canceled(eng); n++) {
			uint64_t dpc = e - link, routine;
			char sym[256];
			if (kd_read_pointer(eng, dpc + link + 2 * ps, &routine) < 0)
				break;
			if (kd_format_symbol(eng, routine, sym, sizeof sym) < 0)
				snprintf(sym, sizeof sym, "%s", ptr(eng, routine, a));
			kd_printf(eng, " 0x%s %s", ptr(eng, dpc, a), sym);
			if (kd_read_pointer(eng, e, &e) < 0)
				break;
		}
	}
	kd_printf(eng, "\n");
	return 0;
}

/* A field as hex of at least `width` digits (pointers: the pointer
 * width), "?" repeated when the target does not hold it. */
static const char *hexf(struct kd_engine *eng, uint64_t base, const char *type, const char *field, int width,
                        char buf[24])
{
	uint64_t v;
	if (width == 0)
		width = (int)kd_engine_pointer_size(eng) * 2;
	if (kd_kfield_read(eng, base, type, field, &v) < 0)
		snprintf(buf, 24, "%.*s", width, "????????????????");
	else
		snprintf(buf, 24, "%0*llx", width, (unsigned long long)v);
	return buf;
}

/* !idt [-a] [Vector]: the current processor's IDT (KPCR.IdtBase on x64,
 * KPCR.IDT on x86), each handler with its symbol, and for device
 * interrupts the KINTERRUPT the kernel connected (KPRCB.InterruptObject
 * on x64, VectorToInterruptObject from 0x30 on x86) and its
 * ServiceRoutine. Without -a or a vector: the device vectors (0x30 up)
 * that have a handler of their own. */
static int cmd_idt(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	int all = 0, x64 = kd_engine_is_64bit(eng);
	uint64_t vector = 0x100, idt, pcr, prcb = 0;
	const char *p = kd_skip_spaces(args);
	if (p[0] == '-' && p[1] == 'a') {
		all = 1;
		p = kd_skip_spaces(p + 2);
	}
	if (*p && *p != ';' && (kd_cmd_eval(eng, p, &vector, NULL) < 0 || vector > 0xff)) {
		kd_eprintf(eng, "Syntax error: !idt [-a] [Vector] (a vector from 0 to ff)\n");
		return KD_EINVAL;
	}
	unsigned cpu = kd_engine_cpu(eng);
	if (pcr_address(eng, cpu, &pcr) < 0 ||
	    kd_kfield_need(eng, pcr, "_KPCR", x64 ? "IdtBase" : "IDT", &idt) < 0) {
		kd_eprintf(eng, "Unable to find the IDT of processor %u\n", cpu);
		return KD_ENOTFOUND;
	}
	prcb_address(eng, cpu, &prcb);
	uint64_t objs = field_offset(eng, "_KPRCB", x64 ? "InterruptObject" : "VectorToInterruptObject");
	uint64_t isr = field_offset(eng, "_KINTERRUPT", "ServiceRoutine");
	unsigned ps = kd_engine_pointer_size(eng), esize = x64 ? 16 : 8;
	char a[20], b[20], sym[256], isym[256];
	kd_printf(eng, "Dumping IDT: %s\n\n", ptr(eng, idt, a));
	for (unsigned v = vector < 0x100 ? (unsigned)vector : 0; v < 0x100 && !kd_engine_canceled(eng); v++) {
		uint8_t e[16];
		size_t done = 0;
		if (kd_read_virtual(eng, idt + (uint64_t)v * esize, e, esize, &done) < 0 || done != esize) {
			kd_printf(eng, "%02x:\tunreadable IDT entry at %s\n", v, kd_format_addr(eng, idt + (uint64_t)v * esize, a));
			break;
		}
		uint64_t handler = (uint64_t)e[0] | (uint64_t)e[1] << 8 | (uint64_t)e[6] << 16 | (uint64_t)e[7] << 24;
		if (x64)
			handler |= (uint64_t)(e[8] | e[9] << 8 | e[10] << 16 | (uint32_t)e[11] << 24) << 32;
		int present = (e[5] & 0x80) != 0;
		uint64_t kint = 0, routine = 0;
		if (prcb && objs && (x64 || v >= 0x30))
			kd_read_pointer(eng, prcb + objs + (uint64_t)(x64 ? v : v - 0x30) * ps, &kint);
		if (kint && isr)
			kd_read_pointer(eng, kint + isr, &routine);
		if (kd_format_symbol(eng, handler, sym, sizeof sym) < 0)
			sym[0] = 0;
		if (vector > 0xff && !all &&
		    (v < 0x30 || !present || (!kint && (!sym[0] || strstr(sym, "Unexpected") || strstr(sym, "IsrThunk")))))
			continue;
		if (kint) {
			if (kd_format_symbol(eng, routine, isym, sizeof isym) < 0)
				snprintf(isym, sizeof isym, "%s", ptr(eng, routine, b));
			kd_printf(eng, "%02x:\t%s %s (KINTERRUPT %s)\n", v, ptr(eng, handler, a), isym, ptr(eng, kint, b));
		} else {
			kd_printf(eng, "%02x:\t%s%s%s\n", v, ptr(eng, handler, a), sym[0] ? " " : "", sym);
		}
		if (vector <= 0xff)
			break;
	}
	return 0;
}

/* --- threads ------------------------------------------------------------- */

static const char *const wait_reasons[] = {
	"Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended", "UserRequest",
	"WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation", "WrDelayExecution", "WrSuspended",
	"WrUserRequest", "WrSpare0", "WrQueue", "WrLpcReceive", "WrLpcReply", "WrVirtualMemory", "WrPageOut",
	"WrRendezvous", "WrKeyedEvent", "WrTerminated", "WrProcessInSwap", "WrCpuRateControl",
	"WrCalloutStack", "WrKernel", "WrResource", "WrPushLock", "WrMutex", "WrQuantumEnd", "WrDispatchInt",
	"WrPreempted", "WrYieldExecution", "WrFastMutex", "WrGuardedMutex", "WrRundown", "WrAlertByThreadId",
	"WrDeferredPreempt", "WrPhysicalFault", "WrIoRing", "WrMdlCache",
};

static const char *const object_types[] = {
	"NotificationEvent", "SynchronizationEvent", "Mutant", "ProcessObject", "QueueObject",
	"SemaphoreObject", "ThreadObject", "GateObject", "NotificationTimer", "SynchronizationTimer",
};

/* Milliseconds of `ticks` clock ticks: KUSER_SHARED_DATA.TickCountMultiplier
 * when readable, else the default 15.625 ms tick. */
static uint64_t ticks_ms(struct kd_engine *eng, uint64_t ticks)
{
	uint64_t shared = kd_engine_is_64bit(eng) ? 0xfffff78000000000ull : 0xffdf0000ull;
	uint8_t b[4];
	size_t done = 0;
	if (kd_read_virtual(eng, shared + 4, b, 4, &done) == 0 && done == 4) {
		uint32_t mult = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		if (mult)
			return (ticks * mult) >> 24;
	}
	return ticks * 15625 / 1000;
}

static void print_time(struct kd_engine *eng, const char *indent, const char *label, uint64_t ticks)
{
	uint64_t ms = ticks_ms(eng, ticks);
	kd_printf(eng, "%s%-26s%02llu:%02llu:%02llu.%03llu\n", indent, label, (unsigned long long)(ms / 3600000),
	          (unsigned long long)(ms / 60000 % 60), (unsigned long long)(ms / 1000 % 60),
	          (unsigned long long)(ms % 1000));
}

/* The tick count now (KUSER_SHARED_DATA.TickCount), 0 when unreadable. */
static uint64_t tick_count(struct kd_engine *eng)
{
	uint64_t shared = kd_engine_is_64bit(eng) ? 0xfffff78000000000ull : 0xffdf0000ull;
	uint8_t b[4];
	size_t done = 0;
	if (kd_read_virtual(eng, shared + 0x320, b, 4, &done) < 0 || done != 4)
		return 0;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void image_name(struct kd_engine *eng, uint64_t process, char out[16])
{
	struct kd_kfield f;
	size_t done = 0;
	memset(out, 0, 16);
	if (kd_kfield_find(eng, "_EPROCESS", "ImageFileName", &f) < 0 ||
	    kd_read_virtual(eng, process + f.offset, out, 15, &done) < 0)
		out[0] = 0;
	for (size_t i = 0; i < 15 && out[i]; i++)
		if (!isprint((unsigned char)out[i]))
			out[i] = '?';
}

/* The processor a thread runs on, -1 when none. */
static int running_on(struct kd_engine *eng, uint64_t thread)
{
	for (unsigned c = 0; c < kd_engine_cpu_count(eng) && c < 64; c++) {
		uint64_t prcb, cur;
		if (prcb_address(eng, c, &prcb) == 0 && kd_kfield_read(eng, prcb, "_KPRCB", "CurrentThread", &cur) == 0 &&
		    cur == thread)
			return (int)c;
	}
	return -1;
}

static void print_stack(struct kd_engine *eng, uint64_t thread)
{
	struct kd_context ctx, saved;
	int cpu, mode = kd_context_is_overridden(eng), rc;
	if ((rc = kd_thread_context(eng, thread, &ctx, &cpu)) < 0) {
		kd_printf(eng, "Unable to get context for thread %s: %s\n\n", "", kd_strerror(rc));
		return;
	}
	if (mode)
		kd_get_context(eng, &saved);
	/* Walk from the thread's registers without announcing a context. */
	if (cpu != (int)kd_engine_cpu(eng) || mode)
		kd_context_override_task(eng, &ctx);
	kd_execute(eng, "k");
	kd_context_reset(eng);
	if (mode == KD_OVERRIDE_CONTEXT)
		kd_context_override(eng, &saved);
	else if (mode == KD_OVERRIDE_TASK)
		kd_context_override_task(eng, &saved);
	kd_printf(eng, "\n");
}

/* !thread's block for one thread; flags as WinDbg: 0x2 wait details,
 * 0x4 (or full) the rest and the stack. `brief`: the one-line form !process
 * uses with flag 2 only. */
static int print_thread(struct kd_engine *eng, uint64_t thread, unsigned flags, const char *indent)
{
	char a[20], b[20], c[20];
	uint64_t pid = 0, tid = 0, state = 0;
	struct kd_kfield cid;
	if (kd_kfield_find(eng, "_ETHREAD", "Cid", &cid) < 0) {
		kd_eprintf(eng, "Unable to get the offset of nt!_ETHREAD.Cid: no nt PDB and no built-in layout for this build\n");
		return KD_ENOTFOUND;
	}
	unsigned ps = kd_engine_pointer_size(eng);
	if (kd_read_pointer(eng, thread + cid.offset, &pid) < 0 || kd_read_pointer(eng, thread + cid.offset + ps, &tid) < 0 ||
	    kd_kfield_need(eng, thread, "_KTHREAD", "State", &state) < 0) {
		kd_eprintf(eng, "%s is not a readable thread\n", kd_format_addr(eng, thread, a));
		return KD_EUNREADABLE;
	}
	char h1[24], h2[24];
	kd_printf(eng, "%sTHREAD %s  Cid %04llx.%04llx  Teb: %s Win32Thread: %s ", indent, ptr(eng, thread, a),
	          (unsigned long long)pid, (unsigned long long)tid, hexf(eng, thread, "_KTHREAD", "Teb", 0, h1),
	          hexf(eng, thread, "_KTHREAD", "Win32Thread", 0, h2));
	int cpu = running_on(eng, thread);
	switch (state) {
	case 0: kd_printf(eng, "INITIALIZED\n"); break;
	case 1: kd_printf(eng, "READY on processor %llx\n", (unsigned long long)kf(eng, thread, "_KTHREAD", "NextProcessor", 0)); break;
	case 2:
		if (cpu >= 0)
			kd_printf(eng, "RUNNING on processor %x\n", (unsigned)cpu);
		else
			kd_printf(eng, "RUNNING\n");
		break;
	case 3: kd_printf(eng, "STANDBY\n"); break;
	case 4: kd_printf(eng, "TERMINATED\n"); break;
	case 5: {
		uint64_t reason = kf(eng, thread, "_KTHREAD", "WaitReason", 0);
		int64_t mode = kf_signed(eng, thread, "_KTHREAD", "WaitMode");
		uint64_t alertable = kf(eng, thread, "_KTHREAD", "Alertable", 0);
		char rn[32];
		if (reason < sizeof wait_reasons / sizeof wait_reasons[0])
			snprintf(rn, sizeof rn, "%s", wait_reasons[reason]);
		else
			snprintf(rn, sizeof rn, "%llu", (unsigned long long)reason);
		kd_printf(eng, "WAIT: (%s) %s %s\n", rn, mode ? "UserMode" : "KernelMode",
		          alertable ? "Alertable" : "Non-Alertable");
		/* The wait blocks: WaitBlockList[0..WaitBlockCount), each naming
		 * the object waited on. */
		uint64_t list = kf(eng, thread, "_KTHREAD", "WaitBlockList", 0);
		uint64_t count = kf(eng, thread, "_KTHREAD", "WaitBlockCount", 1);
		uint64_t obj_off = field_offset(eng, "_KWAIT_BLOCK", "Object");
		uint64_t wb_size = field_offset(eng, "_KWAIT_BLOCK", "Size");
		for (uint64_t i = 0; list && obj_off && wb_size && i < count && i < 64; i++) {
			uint64_t obj;
			uint8_t type;
			size_t done = 0;
			if (kd_read_pointer(eng, list + i * wb_size + obj_off, &obj) < 0 || !obj)
				break;
			kd_read_virtual(eng, obj, &type, 1, &done);
			kd_printf(eng, "%s    %s  %s\n", indent, ptr(eng, obj, a),
			          done == 1 && (type & 0x7f) < sizeof object_types / sizeof object_types[0]
			              ? object_types[type & 0x7f] : "Unknown");
		}
		break;
	}
	case 6: kd_printf(eng, "TRANSITION\n"); break;
	case 7: kd_printf(eng, "DEFERREDREADY\n"); break;
	default: kd_printf(eng, "STATE %llu\n", (unsigned long long)state); break;
	}
	if (!(flags & 0x4))
		return 0;
	/* IRP List: ETHREAD.IrpList, IRPs linked through ThreadListEntry. */
	uint64_t irp_head = field_offset(eng, "_ETHREAD", "IrpList"), e;
	if (irp_head && kd_read_pointer(eng, thread + irp_head, &e) == 0 && e && e != thread + irp_head) {
		kd_printf(eng, "%sIRP List:\n", indent);
		uint64_t link = kd_engine_is_64bit(eng) ? 0x20 : 0x10, mdl_off = kd_engine_is_64bit(eng) ? 8 : 4;
		uint64_t flags_off = kd_engine_is_64bit(eng) ? 0x10 : 8;
		struct kd_seen seen = { 0 };
		for (unsigned n = 0; e && e != thread + irp_head && n < 4096; n++) {
			uint64_t irp = e - link, mdl = 0;
			if (kd_seen_add(&seen, e) != 0) {
				kd_printf(eng, "%s    IRP list loops at %s: stopping\n", indent, kd_format_addr(eng, e, a));
				break;
			}
			uint8_t h[4] = { 0 }, fl[4] = { 0 };
			size_t d1 = 0, d2 = 0;
			kd_read_virtual(eng, irp, h, 4, &d1);
			kd_read_virtual(eng, irp + flags_off, fl, 4, &d2);
			kd_read_pointer(eng, irp + mdl_off, &mdl);
			kd_printf(eng, "%s    %s: (%04x,%04x) Flags: %08x  Mdl: %s\n", indent, ptr(eng, irp, a),
			          (unsigned)(h[0] | h[1] << 8), (unsigned)(h[2] | h[3] << 8),
			          (unsigned)(fl[0] | fl[1] << 8 | fl[2] << 16 | (unsigned)fl[3] << 24), ptr(eng, mdl, b));
			if (kd_read_pointer(eng, e, &e) < 0)
				break;
		}
		kd_seen_free(&seen);
	}
	uint64_t imp;
	if (kd_kfield_read(eng, thread, "_ETHREAD", "ActiveImpersonationInfo", &imp) == 0 && !imp)
		kd_printf(eng, "%sNot impersonating\n", indent);
	uint64_t process = 0;
	kd_thread_process(eng, thread, &process);
	uint64_t owner = kf(eng, thread, "_KTHREAD", "Process", process);
	char img[16], img2[16];
	image_name(eng, owner, img);
	uint64_t devmap;
	if (kd_kfield_read(eng, owner, "_EPROCESS", "DeviceMap", &devmap) == 0)
		kd_printf(eng, "%s%-26s%s\n", indent, "DeviceMap", ptr(eng, devmap, a));
	kd_printf(eng, "%s%-26s%s       Image:         %s\n", indent, "Owning Process", ptr(eng, owner, a), img);
	if (process && process != owner) {
		image_name(eng, process, img2);
		kd_printf(eng, "%s%-26s%s       Image:         %s\n", indent, "Attached Process", ptr(eng, process, a), img2);
	} else {
		kd_printf(eng, "%s%-26s%-15s%-15s%s\n", indent, "Attached Process", "N/A", "Image:", "N/A");
	}
	uint64_t wait = kf(eng, thread, "_KTHREAD", "WaitTime", 0), now = tick_count(eng);
	kd_printf(eng, "%s%-26s%llu", indent, "Wait Start TickCount", (unsigned long long)wait);
	if (now && now >= wait) {
		kd_printf(eng, "%*s", (int)(15 - (wait > 99999999999999ull ? 14 : snprintf(NULL, 0, "%llu", (unsigned long long)wait))), "");
		uint64_t ms = ticks_ms(eng, now - wait);
		kd_printf(eng, "Ticks: %llu (%llu:%02llu:%02llu:%02llu.%03llu)", (unsigned long long)(now - wait),
		          (unsigned long long)(ms / 86400000), (unsigned long long)(ms / 3600000 % 24),
		          (unsigned long long)(ms / 60000 % 60), (unsigned long long)(ms / 1000 % 60),
		          (unsigned long long)(ms % 1000));
	}
	kd_printf(eng, "\n");
	kd_printf(eng, "%s%-26s%-15llu", indent, "Context Switch Count",
	          (unsigned long long)kf(eng, thread, "_KTHREAD", "ContextSwitches", 0));
	uint64_t ideal;
	if (kd_kfield_read(eng, thread, "_KTHREAD", "IdealProcessor", &ideal) == 0)
		kd_printf(eng, "IdealProcessor: %llu", (unsigned long long)ideal);
	kd_printf(eng, "\n");
	print_time(eng, indent, "UserTime", kf(eng, thread, "_KTHREAD", "UserTime", 0));
	print_time(eng, indent, "KernelTime", kf(eng, thread, "_KTHREAD", "KernelTime", 0));
	uint64_t start = kf(eng, thread, "_ETHREAD", "Win32StartAddress", 0);
	char sym[256];
	if (kd_format_symbol(eng, start, sym, sizeof sym) == 0)
		kd_printf(eng, "%sWin32 Start Address %s (0x%s)\n", indent, sym, ptr(eng, start, a));
	else
		kd_printf(eng, "%sWin32 Start Address 0x%s\n", indent, ptr(eng, start, a));
	uint64_t init = kf(eng, thread, "_KTHREAD", "InitialStack", 0), cur = kf(eng, thread, "_KTHREAD", "KernelStack", 0);
	uint64_t base = kf(eng, thread, "_KTHREAD", "StackBase", 0), limit = kf(eng, thread, "_KTHREAD", "StackLimit", 0);
	kd_printf(eng, "%sStack Init %s Current %s\n", indent, ptr(eng, init, a), ptr(eng, cur, b));
	kd_printf(eng, "%sBase %s Limit %s Call %s\n", indent, ptr(eng, base, a), ptr(eng, limit, b), ptr(eng, 0, c));
	kd_printf(eng, "%sPriority %lld BasePriority %lld PriorityDecrement %lld IoPriority %llu PagePriority %llu\n",
	          indent, (long long)kf_signed(eng, thread, "_KTHREAD", "Priority"),
	          (long long)kf_signed(eng, thread, "_KTHREAD", "BasePriority"),
	          (long long)kf_signed(eng, thread, "_KTHREAD", "PriorityDecrement"),
	          (unsigned long long)kf(eng, thread, "_ETHREAD", "ThreadIoPriority", 0),
	          (unsigned long long)kf(eng, thread, "_ETHREAD", "ThreadPagePriority", 0));
	print_stack(eng, thread);
	return 0;
}

/* "Object [Flags [Name]]" of !thread and !process: each part optional,
 * *obj and *flags keep their defaults when absent. */
static int parse_object_args(struct kd_engine *eng, const char *args, const char *syntax, uint64_t *obj,
                             uint64_t *flags, char *name, size_t name_len)
{
	const char *p = kd_skip_spaces(args), *end;
	uint64_t *slot[2] = { obj, flags };
	for (int i = 0; i < 2 && *p && *p != ';'; i++) {
		if (kd_eval(eng, p, slot[i], &end) < 0) {
			kd_eprintf(eng, "Syntax error: %s at '%s'\n", syntax, p);
			return KD_EINVAL;
		}
		p = kd_skip_spaces(end);
	}
	if (name) {
		size_t n = strcspn(p, " \t;");
		snprintf(name, name_len, "%.*s", (int)(n < name_len - 1 ? n : name_len - 1), p);
	} else if (*p && *p != ';') {
		kd_eprintf(eng, "Syntax error: %s at '%s'\n", syntax, p);
		return KD_EINVAL;
	}
	if (!kd_engine_is_64bit(eng) && *obj != ~0ull)
		*obj &= 0xffffffffull;
	return 0;
}

static int cmd_thread(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	uint64_t thread = 0, flags = 0x6;
	int rc;
	if ((rc = parse_object_args(eng, args, "!thread [Thread [Flags]]", &thread, &flags, NULL, 0)) < 0)
		return rc;
	if ((thread == 0 || thread == (kd_engine_is_64bit(eng) ? ~0ull : 0xffffffffull)) &&
	    (rc = kd_thread_current(eng, &thread)) < 0) {
		kd_eprintf(eng, "Unable to get the current thread: %s\n", kd_strerror(rc));
		return rc;
	}
	return print_thread(eng, thread, (unsigned)flags | 0x2, "");
}

/* --- processes ----------------------------------------------------------- */

/* The active process list head: KDDEBUGGER_DATA64.PsActiveProcessHead. */
static int process_head(struct kd_engine *eng, uint64_t *head)
{
	if (kd_kdbg_read(eng, 0x50, kd_engine_pointer_size(eng), head) == 0 && *head)
		return 0;
	if (kd_resolve_symbol(eng, "nt!PsActiveProcessHead", head) == 0)
		return 0;
	kd_eprintf(eng, "Unable to get the active process list: no KDDEBUGGER_DATA64 and no nt!PsActiveProcessHead\n");
	return KD_ENOTFOUND;
}

static int print_process(struct kd_engine *eng, uint64_t process, unsigned flags)
{
	char a[20], img[16], f1[24], f2[24], f3[24];
	uint64_t pid, session;
	int rc;
	if ((rc = kd_kfield_need(eng, process, "_EPROCESS", "UniqueProcessId", &pid)) < 0)
		return rc;
	char sid[16] = "none";
	uint64_t id;
	if (kd_kfield_read(eng, process, "_EPROCESS", "Session", &session) < 0)
		snprintf(sid, sizeof sid, "?");
	else if (session && kd_kfield_read(eng, session, "_MM_SESSION_SPACE", "SessionId", &id) == 0)
		snprintf(sid, sizeof sid, "%llu", (unsigned long long)id);
	kd_printf(eng, "PROCESS %s\n", ptr(eng, process, a));
	kd_printf(eng, "    SessionId: %s  Cid: %04llx    Peb: %s  ParentCid: %s\n", sid, (unsigned long long)pid,
	          hexf(eng, process, "_EPROCESS", "Peb", 8, f1),
	          hexf(eng, process, "_EPROCESS", "InheritedFromUniqueProcessId", 4, f2));
	kd_printf(eng, "    DirBase: %s  ObjectTable: %s  HandleCount: <Data Not Accessible>\n",
	          hexf(eng, process, "_KPROCESS", "DirectoryTableBase", 8, f1),
	          hexf(eng, process, "_EPROCESS", "ObjectTable", 0, f3));
	image_name(eng, process, img);
	kd_printf(eng, "    Image: %s\n", img[0] ? img : "<unreadable>");
	if (flags & 0x6) {
		uint64_t head_off = field_offset(eng, "_EPROCESS", "ThreadListHead");
		uint64_t link = field_offset(eng, "_ETHREAD", "ThreadListEntry");
		if (!head_off || !link) {
			kd_eprintf(eng, "Unable to get the offsets of nt!_EPROCESS.ThreadListHead/_ETHREAD.ThreadListEntry\n");
			return KD_ENOTFOUND;
		}
		kd_printf(eng, "\n");
		uint64_t head = process + head_off, e, prev = head;
		if (kd_read_pointer(eng, head, &e) < 0)
			return 0;
		struct kd_seen seen = { 0 };
		for (unsigned n = 0; e != head && !kd_engine_canceled(eng); n++) {
			uint64_t back, next;
			char at[20];
			if (kd_seen_add(&seen, e) != 0) {
				kd_printf(eng, "        Thread list of %s loops at %s: stopping\n", ptr(eng, process, a),
				          kd_format_addr(eng, e, at));
				break;
			}
			if (kd_read_pointer(eng, e, &next) < 0 || kd_read_pointer(eng, e + kd_engine_pointer_size(eng), &back) < 0) {
				kd_printf(eng, "        Unable to read the thread list entry at %s: stopping\n", kd_format_addr(eng, e, at));
				break;
			}
			if (n >= MAX_THREADS || back != prev) {
				kd_printf(eng, "        Thread list of %s is corrupt or too long at %s: stopping\n",
				          ptr(eng, process, a), kd_format_addr(eng, e, at));
				break;
			}
			if (print_thread(eng, e - link, flags, "        ") == 0)
				kd_printf(eng, "\n");
			prev = e;
			e = next;
		}
		kd_seen_free(&seen);
	}
	kd_printf(eng, "\n");
	return 0;
}

static int cmd_process(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	uint64_t process = ~0ull, flags = 3;
	char image[64] = "";
	int rc;
	if ((rc = parse_object_args(eng, args, "!process [Process|-1|0 [Flags [ImageName]]]", &process, &flags, image,
	                            sizeof image)) < 0)
		return rc;
	if (process == ~0ull || process == 0xffffffffull) {
		if ((rc = kd_process_current(eng, &process)) < 0) {
			kd_eprintf(eng, "Unable to get the current process: %s\n", kd_strerror(rc));
			return rc;
		}
		return print_process(eng, process, (unsigned)flags);
	}
	if (process != 0)
		return print_process(eng, process, (unsigned)flags);
	/* !process 0: every process of PsActiveProcessHead. */
	uint64_t head, e, prev, link = field_offset(eng, "_EPROCESS", "ActiveProcessLinks");
	if (!link) {
		kd_eprintf(eng, "Unable to get the offset of nt!_EPROCESS.ActiveProcessLinks: no nt PDB and no built-in layout for this build\n");
		return KD_ENOTFOUND;
	}
	if ((rc = process_head(eng, &head)) < 0)
		return rc;
	kd_printf(eng, "**** NT ACTIVE PROCESS DUMP ****\n");
	char a[20];
	if (kd_read_pointer(eng, head, &e) < 0) {
		kd_eprintf(eng, "Unable to read the active process list head at %s\n", kd_format_addr(eng, head, a));
		return KD_EUNREADABLE;
	}
	prev = head;
	struct kd_seen seen = { 0 };
	for (unsigned n = 0; e != head && !kd_engine_canceled(eng); n++) {
		uint64_t back;
		if (kd_seen_add(&seen, e) != 0) {
			kd_printf(eng, "The active process list loops at %s: stopping\n", kd_format_addr(eng, e, a));
			break;
		}
		if (n >= MAX_PROCESSES || kd_read_pointer(eng, e + kd_engine_pointer_size(eng), &back) < 0 || back != prev) {
			kd_printf(eng, "The active process list is corrupt or too long at %s: stopping\n",
			          kd_format_addr(eng, e, a));
			break;
		}
		uint64_t proc = e - link;
		char img[16];
		image_name(eng, proc, img);
		if (!image[0] || !strcasecmp(img, image))
			print_process(eng, proc, (unsigned)flags);
		prev = e;
		if (kd_read_pointer(eng, e, &e) < 0) {
			kd_printf(eng, "Unable to read the next process after %s\n", kd_format_addr(eng, prev, a));
			break;
		}
	}
	kd_seen_free(&seen);
	return 0;
}

/* --- dt from the built-in rows ------------------------------------------ */

static void dt_type_text(const struct kd_kfield_row *r, unsigned ps, char *buf, size_t n)
{
	static const char *const usz[9] = { "", "UChar", "Uint2B", "", "Uint4B", "", "", "", "Uint8B" };
	static const char *const isz[9] = { "", "Char", "Int2B", "", "Int4B", "", "", "", "Int8B" };
	if (r->bit_len)
		snprintf(buf, n, "Pos %u, %u Bit%s", r->bit_pos, r->bit_len, r->bit_len > 1 ? "s" : "");
	else if (r->kind == KD_KF_PTR)
		snprintf(buf, n, "Ptr%u Void", ps * 8);
	else if (r->kind == KD_KF_LIST)
		snprintf(buf, n, "_LIST_ENTRY");
	else if (r->kind == KD_KF_CID)
		snprintf(buf, n, "_CLIENT_ID");
	else if (r->kind == KD_KF_CHARS)
		snprintf(buf, n, "[%u] UChar", r->size);
	else if ((r->kind == KD_KF_UINT || r->kind == KD_KF_INT) && r->size <= 8 && usz[r->size][0])
		snprintf(buf, n, "%s", r->kind == KD_KF_INT ? isz[r->size] : usz[r->size]);
	else
		snprintf(buf, n, "<%u bytes>", r->size);
}

static void dt_value_text(struct kd_engine *eng, const struct kd_kfield_row *r, uint64_t addr, char *buf, size_t n)
{
	char a[20], b[20];
	uint64_t v = 0, v2 = 0;
	uint8_t raw[16] = { 0 };
	size_t done = 0;
	unsigned ps = kd_engine_pointer_size(eng);
	size_t want = r->kind == KD_KF_STRUCT ? 0 : r->size > sizeof raw ? sizeof raw : r->size;
	if (want && (kd_read_virtual(eng, addr + r->offset, raw, want, &done) < 0 || done != want)) {
		snprintf(buf, n, "<unreadable>");
		return;
	}
	for (unsigned i = want < 8 ? (unsigned)want : 8; i-- > 0;)
		v = (v << 8) | raw[i];
	if (r->kind == KD_KF_LIST || r->kind == KD_KF_CID)
		for (unsigned i = 2 * ps; i-- > ps;)
			v2 = (v2 << 8) | raw[i];
	if (ps == 4 && (r->kind == KD_KF_LIST || r->kind == KD_KF_CID))
		v &= 0xffffffffull;
	if (r->bit_len) {
		v = (v >> r->bit_pos) & (r->bit_len < 64 ? (1ull << r->bit_len) - 1 : ~0ull);
		int len = snprintf(buf, n, "0y");
		for (int i = r->bit_len - 1; i >= 0 && (size_t)len + 1 < n; i--)
			buf[len++] = (v >> i) & 1 ? '1' : '0';
		buf[len] = 0;
	} else if (r->kind == KD_KF_PTR) {
		snprintf(buf, n, "0x%s Void", kd_format_addr(eng, v, a));
	} else if (r->kind == KD_KF_LIST) {
		snprintf(buf, n, "_LIST_ENTRY [ 0x%s - 0x%s ]", kd_format_addr(eng, v, a), kd_format_addr(eng, v2, b));
	} else if (r->kind == KD_KF_CID) {
		snprintf(buf, n, "_CLIENT_ID [ 0x%llx . 0x%llx ]", (unsigned long long)v, (unsigned long long)v2);
	} else if (r->kind == KD_KF_CHARS) {
		char text[17];
		size_t i;
		for (i = 0; i < want && raw[i]; i++)
			text[i] = isprint(raw[i]) ? (char)raw[i] : '.';
		text[i] = 0;
		snprintf(buf, n, "[%u]  \"%s\"", r->size, text);
	} else if (r->kind == KD_KF_INT) {
		unsigned bits = r->size * 8;
		if (bits < 64 && (v >> (bits - 1)) & 1)
			v |= ~0ull << bits;
		snprintf(buf, n, "0n%lld", (long long)v);
	} else if (r->kind == KD_KF_UINT) {
		snprintf(buf, n, "0x%llx", (unsigned long long)v);
	} else {
		snprintf(buf, n, "<%u bytes>", r->size);
	}
}

int kd_kfield_dt(struct kd_engine *eng, const char *args)
{
	char type[128] = "", addr_text[256] = "";
	const char *p = kd_skip_spaces(args);
	for (int i = 0; i < 2 && *p && *p != ';'; i++) {
		size_t len = strcspn(p, " \t;");
		if (*p == '-') {
			i--;
		} else if (!type[0] && (p[0] == '_' || !strncasecmp(p, "nt!", 3))) {
			snprintf(type, sizeof type, "%.*s", (int)len, p);
		} else {
			snprintf(addr_text, sizeof addr_text, "%.*s", (int)len, p);
		}
		p = kd_skip_spaces(p + len);
	}
	const char *t = !strncasecmp(type, "nt!", 3) ? type + 3 : type;
	size_t n;
	const char *versions;
	const struct kd_kfield_row *r = kd_kfield_builtin(eng, &n, &versions);
	size_t first = n;
	for (size_t i = 0; r && i < n && first == n; i++)
		if (!strcmp(r[i].type, t))
			first = i;
	if (!r || first == n)
		return KD_ENOTFOUND;
	uint64_t addr = 0;
	int have_addr = 0;
	if (addr_text[0]) {
		if (kd_eval(eng, addr_text, &addr, NULL) < 0) {
			kd_eprintf(eng, "Couldn't resolve error at '%s'\n", addr_text);
			return KD_EINVAL;
		}
		have_addr = 1;
	}
	kd_printf(eng, "nt!%s (built-in layout, %s: the nt PDB is not loaded; only the fields kd uses)\n", t, versions);
	unsigned ps = kd_engine_pointer_size(eng);
	for (size_t i = first; i < n; i++) {
		char text[160];
		if (strcmp(r[i].type, t) || !strcmp(r[i].field, "Size"))
			continue; /* the structure's size, not a field */
		if (have_addr)
			dt_value_text(eng, &r[i], addr, text, sizeof text);
		else
			dt_type_text(&r[i], ps, text, sizeof text);
		kd_printf(eng, "   +0x%03x %-16s : %s\n", r[i].offset, r[i].field, text);
	}
	return 0;
}

const struct kd_command kd_cmds_kobjects[] = {
	{ "!process", cmd_process, "!process [Process|-1|0 [Flags [ImageName]]]",
	  "a process (-1: the current one) or, with 0, every active process; flags 2/4 add threads and stacks" },
	{ "!thread", cmd_thread, "!thread [Thread [Flags]]",
	  "a thread: Cid, state, wait, owning process, times, start address, stack range and stack" },
	{ "!pcr", cmd_pcr, "!pcr [Processor]", "a processor's KPCR: TIB, PRCB, IRQL, threads, DPC queue" },
	{ "!prcb", cmd_prcb, "!prcb [Processor]", "a processor's KPRCB: IRQL, threads, number, interrupt times" },
	{ "!idt", cmd_idt, "!idt [-a] [Vector]", "the current processor's IDT: handlers with symbols, KINTERRUPTs and their ISRs" },
	{ "!irql", cmd_irql, "!irql [Processor]", "the IRQL the debugger saved for a processor when it stopped" },
	{ NULL, NULL, NULL, NULL },
};
