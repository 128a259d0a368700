/*
 * Kernel threads and processes (see kthread.h): structure layouts, the
 * implicit thread and process, saved thread registers and stack ranges.
 */
#include "kd/engine/kthread.h"

#include <stddef.h>
#include <string.h>

#include "base/bytes.h"
#include "kd/engine/stack.h"
#include "kd/engine/symbols.h"
#include "symbols/types.h"

/* Offsets by build, from Microsoft's public symbols as Geoff Chappell's
 * studies and the Vergilius Project list them. */
struct layout_row {
	enum kd_machine machine;
	uint16_t first_build, last_build;
	struct kd_kernel_layout l;
};

static const struct layout_row rows[] = {
#include "kd/engine/kthread_layouts.h"
};

/* What the engine keeps: the implicit thread/process and the layout. */
struct kthread_state {
	unsigned runs;            /* kd_engine_run_count when set */
	uint64_t thread, process;
	int have_layout;
	struct kd_kernel_layout layout;
};

static struct kthread_state *state(struct kd_engine *eng)
{
	return kd_engine_ext_zalloc(eng, "kthread", sizeof(struct kthread_state));
}

/* --- layouts from the kernel's PDB ----------------------------------- */

struct find_field {
	const char *name;
	uint64_t offset;
	uint32_t type;
	int found;
};

static int match_field(void *ctx, const struct kd_type_field *f)
{
	struct find_field *ff = ctx;
	if (!f->is_static && !f->is_base && f->name && !strcmp(f->name, ff->name)) {
		ff->offset = f->offset;
		ff->type = f->type;
		ff->found = 1;
		return 1;
	}
	return 0;
}

int kd_kfield_pdb(struct kd_types *types, const char *type, const char *path, struct kd_kfield *out)
{
	uint32_t idx;
	if (kd_types_find(types, type, &idx) < 0)
		return KD_ENOTFOUND;
	uint64_t total = 0;
	struct kd_type_info ti;
	char part[64];
	for (unsigned depth = 0; *path && depth < 8; depth++) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof part)
			return KD_ENOTFOUND;
		memcpy(part, path, n);
		part[n] = '\0';
		if (kd_types_get(types, idx, &ti) < 0)
			return KD_ENOTFOUND;
		struct find_field ff = { .name = part };
		kd_types_fields(types, ti.index, match_field, &ff);
		if (!ff.found)
			return KD_ENOTFOUND;
		total += ff.offset;
		idx = ff.type;
		path += n + (dot != NULL);
	}
	if (*path || kd_types_get(types, idx, &ti) < 0)
		return KD_ENOTFOUND;
	memset(out, 0, sizeof *out);
	out->offset = total;
	out->size = ti.size > 0xffffffffu ? 0xffffffffu : (uint32_t)ti.size;
	if (ti.kind == KD_TYPE_BITFIELD) {
		out->bit_pos = ti.bit_pos;
		out->bit_len = ti.bit_len;
	}
	out->kind = ti.kind == KD_TYPE_POINTER ? KD_KF_PTR
	          : ti.kind == KD_TYPE_BASE && ti.base == KD_BASE_SIGNED ? KD_KF_INT
	          : ti.kind == KD_TYPE_BASE || ti.kind == KD_TYPE_BITFIELD || ti.kind == KD_TYPE_ENUM ? KD_KF_UINT
	          : KD_KF_STRUCT;
	out->source = "nt PDB";
	return 0;
}

/* Offset of "A.B.C" in struct `type` of the PDB, 0 when absent. */
static uint16_t pdb_offset(struct kd_types *types, const char *type, const char *path)
{
	struct kd_kfield f;
	return kd_kfield_pdb(types, type, path, &f) < 0 || f.offset > 0xffff ? 0 : (uint16_t)f.offset;
}

int kd_kfield_nt_pdb(struct kd_engine *eng, const char *type, const char *field, struct kd_kfield *out)
{
	const struct kd_module *nt = kd_engine_module_by_name(eng, "nt");
	struct kd_symbols *s = kd_symbols_get(eng);
	struct kd_types *types;
	if (!nt || !s || kd_symbols_types(s, nt, &types) < 0)
		return KD_ENOTFOUND;
	return kd_kfield_pdb(types, type, field, out);
}

static int layout_from_pdb(struct kd_engine *eng, struct kd_kernel_layout *l)
{
	const struct kd_module *nt = kd_engine_module_by_name(eng, "nt");
	struct kd_symbols *s = kd_symbols_get(eng);
	struct kd_types *types;
	if (!nt || !s || kd_symbols_types(s, nt, &types) < 0)
		return KD_ENOTFOUND;
	memset(l, 0, sizeof *l);
	l->initial_stack = pdb_offset(types, "_KTHREAD", "InitialStack");
	l->stack_limit = pdb_offset(types, "_KTHREAD", "StackLimit");
	l->stack_base = pdb_offset(types, "_KTHREAD", "StackBase");
	l->kernel_stack = pdb_offset(types, "_KTHREAD", "KernelStack");
	l->state = pdb_offset(types, "_KTHREAD", "State");
	l->apc_process = pdb_offset(types, "_KTHREAD", "ApcState.Process");
	l->teb = pdb_offset(types, "_KTHREAD", "Teb");
	l->cid = pdb_offset(types, "_ETHREAD", "Cid");
	l->directory_table_base = pdb_offset(types, "_KPROCESS", "DirectoryTableBase");
	l->unique_process_id = pdb_offset(types, "_EPROCESS", "UniqueProcessId");
	l->image_file_name = pdb_offset(types, "_EPROCESS", "ImageFileName");
	l->source = "nt PDB";
	return l->kernel_stack && l->apc_process ? 0 : KD_ENOTFOUND;
}

/* The state, with what held only until the target ran forgotten: the
 * implicit thread and process, and the layout (the kernel's PDB may have
 * loaded since, or the target rebooted into another kernel). */
static struct kthread_state *valid_state(struct kd_engine *eng)
{
	struct kthread_state *st = state(eng);
	if (st && st->runs != kd_engine_run_count(eng)) {
		st->runs = kd_engine_run_count(eng);
		st->thread = st->process = 0;
		st->have_layout = 0;
	}
	return st;
}

int kd_kernel_layout(struct kd_engine *eng, const struct kd_kernel_layout **out)
{
	struct kthread_state *st = valid_state(eng);
	if (!st)
		return KD_ENOMEM;
	if (st->have_layout) {
		*out = &st->layout;
		return 0;
	}
	if (layout_from_pdb(eng, &st->layout) == 0) {
		st->have_layout = 1;
		*out = &st->layout;
		return 0;
	}
	struct kd_version v;
	int rc = kd_engine_version(eng, &v);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (rows[i].machine == v.machine && v.build >= rows[i].first_build && v.build <= rows[i].last_build) {
			st->layout = rows[i].l;
			st->have_layout = 1;
			*out = &st->layout;
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

/* --- the implicit thread and process ---------------------------------- */

void kd_thread_set_implicit(struct kd_engine *eng, uint64_t thread)
{
	struct kthread_state *st = valid_state(eng);
	if (st)
		st->thread = thread;
}

void kd_process_set_implicit(struct kd_engine *eng, uint64_t process)
{
	struct kthread_state *st = valid_state(eng);
	if (st)
		st->process = process;
}

int kd_processor_object(struct kd_engine *eng, unsigned cpu, unsigned item, uint64_t *v)
{
	struct kd_target *t = kd_engine_target(eng);
	uint8_t b[8];
	uint32_t done = 0;
	if (!t || !t->ops->read_control || kd_engine_machine(eng) != KD_MACHINE_AMD64
	    || t->ops->read_control(t, cpu, item, b, sizeof b, &done) < 0 || done != sizeof b)
		return KD_ENOTFOUND;
	*v = kd_le64(b);
	return 0;
}

/* The thread running on processor cpu: the one the stop was reported on,
 * or for other processors of x64 targets their control space item. */
static int thread_on_cpu(struct kd_engine *eng, unsigned cpu, uint64_t *thread)
{
	const struct kd_stop_event *ev = kd_engine_last_event(eng);
	if (ev && ev->thread && ev->processor == cpu) {
		*thread = ev->thread;
		return 0;
	}
	int rc = kd_processor_object(eng, cpu, KD_X64_CONTROL_KTHREAD, thread);
	return rc == 0 && !*thread ? KD_ENOTFOUND : rc;
}

int kd_thread_current(struct kd_engine *eng, uint64_t *thread)
{
	struct kthread_state *st = valid_state(eng);
	if (st && st->thread) {
		*thread = st->thread;
		return 0;
	}
	return thread_on_cpu(eng, kd_engine_cpu(eng), thread);
}

int kd_thread_process(struct kd_engine *eng, uint64_t thread, uint64_t *process)
{
	const struct kd_kernel_layout *l;
	int rc = kd_kernel_layout(eng, &l);
	if (rc < 0)
		return rc;
	if (!l->apc_process)
		return KD_ENOTFOUND;
	return kd_read_pointer(eng, thread + l->apc_process, process);
}

int kd_process_current(struct kd_engine *eng, uint64_t *process)
{
	struct kthread_state *st = valid_state(eng);
	if (st && st->process) {
		*process = st->process;
		return 0;
	}
	uint64_t thread;
	int rc = kd_thread_current(eng, &thread);
	return rc < 0 ? rc : kd_thread_process(eng, thread, process);
}

/* --- saved registers and stack range ---------------------------------- */

int kd_thread_context(struct kd_engine *eng, uint64_t thread, struct kd_context *out, int *cpu)
{
	*cpu = -1;
	for (unsigned c = 0; c < kd_engine_cpu_count(eng); c++) {
		uint64_t on;
		if (thread_on_cpu(eng, c, &on) == 0 && on == thread) {
			int rc = kd_get_cpu_context(eng, c, out);
			if (rc == 0)
				*cpu = (int)c;
			return rc;
		}
	}
	const struct kd_kernel_layout *l;
	int rc = kd_kernel_layout(eng, &l);
	if (rc < 0)
		return rc;
	if (!l->kernel_stack)
		return KD_ENOTFOUND;
	uint64_t ks;
	if ((rc = kd_read_pointer(eng, thread + l->kernel_stack, &ks)) < 0)
		return rc;
	/* A thread that is not running was switched out by SwapContext: its
	 * KernelStack points at the switch frame, whose last slot is the
	 * return address into the switcher; the frame pointer sits just below
	 * it (x64 KSWITCH_FRAME) or just above the frame (x86: KiSwapContext
	 * pushed it before the call). */
	memset(out, 0, sizeof *out);
	out->machine = kd_engine_machine(eng);
	uint64_t ip, fp;
	if (out->machine == KD_MACHINE_AMD64) {
		if ((rc = kd_read_pointer(eng, ks + 0x38, &ip)) < 0 || (rc = kd_read_pointer(eng, ks + 0x30, &fp)) < 0)
			return rc;
		out->u.x64.ContextFlags = KD_CONTEXT_AMD64_CONTROL | KD_CONTEXT_AMD64_INTEGER;
		out->u.x64.Rip = ip;
		out->u.x64.Rsp = ks + 0x40;
		out->u.x64.Rbp = fp;
		out->u.x64.SegCs = 0x10;
		out->u.x64.SegSs = 0x18;
		out->u.x64.SegDs = out->u.x64.SegEs = out->u.x64.SegGs = 0x2b;
		out->u.x64.SegFs = 0x53;
		out->u.x64.EFlags = 0x202;
	} else {
		if ((rc = kd_read_pointer(eng, ks + 8, &ip)) < 0 || (rc = kd_read_pointer(eng, ks + 0xc, &fp)) < 0)
			return rc;
		out->u.x86.ContextFlags = KD_CONTEXT_X86_CONTROL | KD_CONTEXT_X86_INTEGER;
		out->u.x86.Eip = (uint32_t)ip;
		out->u.x86.Esp = (uint32_t)(ks + 0xc);
		out->u.x86.Ebp = (uint32_t)fp;
		out->u.x86.SegCs = 0x8;
		out->u.x86.SegSs = out->u.x86.SegDs = out->u.x86.SegEs = 0x10;
		out->u.x86.SegFs = 0x30;
		out->u.x86.EFlags = 0x202;
	}
	return 0;
}

int kd_thread_stack_range(struct kd_engine *eng, uint64_t *low, uint64_t *high)
{
	uint64_t thread, limit, base;
	const struct kd_kernel_layout *l;
	if (kd_thread_current(eng, &thread) == 0 && kd_kernel_layout(eng, &l) == 0 && l->stack_limit &&
	    l->stack_base && kd_read_pointer(eng, thread + l->stack_limit, &limit) == 0 &&
	    kd_read_pointer(eng, thread + l->stack_base, &base) == 0 && limit < base && base - limit <= 0x1000000) {
		*low = limit;
		*high = base;
		return 0;
	}
	/* A triage dump without the thread object: the stack it saved. */
	struct kd_target *t = kd_engine_target(eng);
	if (t && t->ops->saved_stack)
		return t->ops->saved_stack(t, low, high);
	return KD_ENOTFOUND;
}
