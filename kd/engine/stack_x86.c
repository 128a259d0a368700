/*
 * The x86 half of the stack walk: unwind one frame the way the kernel's
 * code and its PDB describe it, in this order of trust:
 *   - the old FPO record says the frame is a trap handler (the caller's
 *     registers are the KTRAP_FRAME at EBP) or a task gate (they are the
 *     previous task's TSS, KiTrap08's double fault); trap handlers are
 *     also known by name when the PDB has no such record;
 *   - a FrameData (FPO v2) record: its postfix program computes the
 *     caller's EIP, ESP, EBP and saved registers;
 *   - an old FPO record (of the PDB, or of the image's debug directory
 *     in older kernels) of a frame-pointer-omitted function: saved
 *     registers and locals sit between ESP and the return address;
 *   - otherwise the EBP chain ([ebp] the caller's EBP, [ebp+4] the return
 *     address), flagged KD_FRAME_NO_INFO when the module has no PDB.
 * Where a computed return-address slot holds nothing that looks like one,
 * the next few stack slots are searched (".raSearch"), as DIA does.
 *
 * ChildEBP (frame->fp) is the frame's EBP for EBP frames and the "virtual
 * frame pointer" (return-address slot - 4) for FPO frames: both are the
 * caller's ESP - 8, which is how WinDbg's column reads.
 */
#include "kd/engine/stack.h"
#include "kd/engine/x86_tss.h"

#include <stdio.h>
#include <string.h>

#include "arch/frames.h"
#include "arch/framedata_x86.h"
#include "base/bytes.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"
#include "kd/engine/symbols.h"

#define X86_KGDT_TSS 0x28
#define X86_KGDT_DF_TSS 0x50

/* FPO_DATA cbFrame values. */
#define FPO_FRAME_FPO 0
#define FPO_FRAME_TRAP 1
#define FPO_FRAME_TSS 2
#define FPO_FRAME_NONFPO 3

/* How far .raSearch looks past the computed slot (dwords). */
#define RA_SEARCH_WORDS 64

/* --- target access ---------------------------------------------------------- */

static int read32(struct kd_engine *eng, uint32_t addr, uint32_t *v)
{
	uint8_t b[4];
	size_t done = 0;
	int rc = kd_read_virtual(eng, addr, b, 4, &done);
	if (rc < 0)
		return rc;
	if (done != 4)
		return KD_EUNREADABLE;
	*v = kd_le32(b);
	return 0;
}

static int env_read(void *ctx, uint32_t addr, uint32_t *v)
{
	return read32(ctx, addr, v);
}

/* Whether v looks like a return address: inside a module, just after a
 * call instruction (E8 rel32, FF /2 with any addressing form). */
static int is_return_address(struct kd_engine *eng, uint32_t v)
{
	if (v < 8 || !kd_engine_module_by_addr(eng, v))
		return 0;
	uint8_t b[8];
	size_t done = 0;
	if (kd_read_virtual(eng, v - 8, b, 8, &done) < 0 || done != 8)
		return 0;
	if (b[3] == 0xe8)
		return 1;
	for (int len = 2; len <= 7; len++) {
		if (b[8 - len] == 0xff && ((b[9 - len] >> 3) & 7) == 2)
			return 1;
	}
	return 0;
}

static int env_ra_search(void *ctx, uint32_t start, uint32_t *found)
{
	struct kd_engine *eng = ctx;
	for (uint32_t i = 0; i < RA_SEARCH_WORDS; i++) {
		uint32_t v, at = start + 4 * i;
		if (read32(eng, at, &v) < 0)
			break;
		if (is_return_address(eng, v)) {
			*found = at;
			return 0;
		}
	}
	*found = start;
	return 0;
}

/* The selector of the task a double fault interrupted: the Backlink of
 * the task now running (TR, else the kernel's double-fault TSS), else
 * the kernel's main TSS. */
static uint16_t interrupted_task(struct kd_engine *eng)
{
	struct kd_x86_descriptor desc;
	uint16_t tr = 0;
	uint32_t gdt, limit, link;
	if (kd_x86_gdt(eng, &gdt, &limit, &tr) < 0)
		return X86_KGDT_TSS;
	if (!tr)
		tr = X86_KGDT_DF_TSS;
	if (kd_x86_tss_descriptor(eng, tr, &desc) < 0 || read32(eng, desc.base, &link) < 0
	    || !(link & 0xfff8u) || (link & 4) || link > 0xffff)
		return X86_KGDT_TSS;
	return (uint16_t)link;
}

/* --- records of the PDB ------------------------------------------------------ */

static const struct kd_pdb_fpo *find_fpo(struct kd_pdb *pdb, uint32_t rva)
{
	const struct kd_pdb_fpo *f, *best = NULL;
	size_t n;
	kd_pdb_fpo(pdb, &f, &n);
	for (size_t i = 0; i < n; i++) {
		if (rva >= f[i].start && rva - f[i].start < f[i].proc_size && (!best || f[i].start > best->start))
			best = &f[i];
	}
	return best;
}

/* The innermost FrameData record covering rva (records nest: a function's
 * record, then one per region after each register push). */
static const struct kd_pdb_frame_data *find_frame_data(struct kd_pdb *pdb, uint32_t rva)
{
	const struct kd_pdb_frame_data *f, *best = NULL;
	size_t n;
	kd_pdb_frame_data(pdb, &f, &n);
	for (size_t i = 0; i < n; i++) {
		if (rva >= f[i].rva && rva - f[i].rva < f[i].code_size && (!best || f[i].rva >= best->rva))
			best = &f[i];
	}
	return best;
}

/* Images of older kernels carry FPO_DATA themselves, in a debug directory
 * entry of type IMAGE_DEBUG_TYPE_FPO: the record covering rva into *out
 * (returns 1), 0 when none covers it; *have is set when the image has
 * such records at all. */
#define IMAGE_DEBUG_TYPE_FPO 3
#define IMAGE_FPO_MAX 0x10000u

static int image_fpo(struct kd_pe *pe, uint32_t rva, struct kd_pdb_fpo *out, int *have)
{
	uint32_t dir, size;
	int found = 0;
	*have = 0;
	if (kd_pe_data_directory(pe, 6, &dir, &size) < 0 || !dir)
		return 0;
	for (uint32_t e = 0; e + 28 <= size && e < 16 * 28; e += 28) {
		uint8_t d[28];
		if (kd_pe_read_rva(pe, dir + e, d, sizeof d) < 0)
			break;
		uint32_t type = kd_le32(d + 12), len = kd_le32(d + 16), at = kd_le32(d + 20);
		if (type != IMAGE_DEBUG_TYPE_FPO || !at)
			continue;
		uint32_t n = len / 16 < IMAGE_FPO_MAX ? len / 16 : IMAGE_FPO_MAX;
		for (uint32_t i = 0; i < n; i++) {
			uint8_t r[16];
			if (kd_pe_read_rva(pe, at + 16 * i, r, sizeof r) < 0)
				break;
			*have = 1;
			uint32_t start = kd_le32(r), proc = kd_le32(r + 4);
			if (rva >= start && rva - start < proc && (!found || start > out->start)) {
				*out = (struct kd_pdb_fpo){ start, proc, kd_le32(r + 8), kd_le16(r + 12), kd_le16(r + 14) };
				found = 1;
			}
		}
	}
	return found;
}

/* Trap handlers known by name (kernels whose PDB has no FPO_DATA saying
 * FRAME_TRAP): their EBP is the trap frame. */
static int is_trap_handler(struct kd_engine *eng, uint32_t ip)
{
	static const char *const names[] = {
		"KiTrap", "KiUnexpectedInterrupt", "KiServiceExit", "KiSystemService",
		"KiFastCallEntry", "KiInterruptTemplate", "KiExceptionExit",
	};
	char sym[256];
	if (kd_format_symbol(eng, ip, sym, sizeof sym) < 0)
		return 0;
	const char *f = strchr(sym, '!');
	if (!f)
		return 0;
	f++;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strncmp(f, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/* --- one frame ---------------------------------------------------------------- */

static void set_caller(struct kd_stack_frame *caller, const struct kd_context *ctx)
{
	memset(caller, 0, sizeof *caller);
	caller->ctx = *ctx;
	caller->ip = ctx->u.x86.Eip;
	caller->sp = ctx->u.x86.Esp;
	caller->fp = ctx->u.x86.Ebp;
	caller->reached = KD_REACHED_CALL;
}

static void read_args(struct kd_engine *eng, struct kd_stack_frame *cur)
{
	for (int i = 0; i < 3; i++) {
		uint32_t v = 0;
		read32(eng, (uint32_t)cur->fp + 8 + 4 * (uint32_t)i, &v);
		cur->args[i] = v;
	}
	cur->args[3] = 0;
}

static void fpo_note(struct kd_stack_frame *cur, const struct kd_pdb_fpo *fpo)
{
	unsigned regs = (fpo->attrs >> 8) & 7, use_bp = (fpo->attrs >> 12) & 1, type = (fpo->attrs >> 14) & 3;
	if (type == FPO_FRAME_TSS)
		return; /* "TaskGate sel:0" once the selector is known */
	(void)use_bp;
	if (type == FPO_FRAME_NONFPO)
		snprintf(cur->fpo, sizeof cur->fpo, "[Non-Fpo]");
	else if (type == FPO_FRAME_TRAP)
		snprintf(cur->fpo, sizeof cur->fpo, "[%u,%u]", fpo->params_dw, fpo->locals_dw);
	else
		snprintf(cur->fpo, sizeof cur->fpo, "[%u,%u,%u]", fpo->params_dw, fpo->locals_dw, regs);
}

static int unwind_trap(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	uint32_t at = (uint32_t)cur->ctx.u.x86.Ebp;
	uint8_t frame[sizeof(struct kd_x86_ktrap_frame)];
	size_t got = 0;
	struct kd_context c;
	uint32_t err;
	kd_read_virtual(eng, at, frame, sizeof frame, &got);
	if (kd_x86_trap_to_context(frame, got, at, &c, &err) < 0)
		return KD_EUNREADABLE;
	cur->flags |= KD_FRAME_TRAP;
	cur->trap_frame = at;
	size_t l = strlen(cur->fpo);
	snprintf(cur->fpo + l, sizeof cur->fpo - l, "%sTrapFrame @ %08x", l ? " " : "", at);
	cur->ret = c.u.x86.Eip;
	read_args(eng, cur);
	set_caller(caller, &c);
	caller->reached = KD_REACHED_TRAP;
	return 0;
}

static int unwind_task_gate(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	uint16_t sel = interrupted_task(eng);
	struct kd_context c;
	int rc = kd_x86_tss_context(eng, sel, &c, NULL, 0);
	if (rc < 0)
		return rc;
	cur->flags |= KD_FRAME_TASK_GATE;
	cur->tss = sel;
	snprintf(cur->fpo, sizeof cur->fpo, "TaskGate %x:0", sel);
	cur->ret = c.u.x86.Eip;
	read_args(eng, cur);
	set_caller(caller, &c);
	caller->reached = KD_REACHED_TRAP;
	return 0;
}

/* The caller from a return-address slot: EIP from it, ESP past it. */
static int finish(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller,
                  struct kd_context *c, uint32_t slot)
{
	uint32_t ret;
	int rc = read32(eng, slot, &ret);
	if (rc < 0)
		return rc;
	c->u.x86.Eip = ret;
	c->u.x86.Esp = slot + 4;
	cur->fp = slot - 4;
	cur->ret = ret;
	read_args(eng, cur);
	set_caller(caller, c);
	return 0;
}

static int unwind_ebp(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	struct kd_context c = cur->ctx;
	uint32_t ebp = c.u.x86.Ebp, saved;
	int rc = read32(eng, ebp, &saved);
	if (rc < 0)
		return rc;
	c.u.x86.Ebp = saved;
	return finish(eng, cur, caller, &c, ebp + 4);
}

static int unwind_frame_data(struct kd_engine *eng, struct kd_pdb *pdb, const struct kd_pdb_frame_data *fd,
                             struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	const char *prog = kd_pdb_string(pdb, fd->frame_func);
	if (!prog || !*prog)
		return KD_EFORMAT;
	struct kd_x86_context *x = &cur->ctx.u.x86;
	struct kd_x86_fd_env env = {
		.reg = { x->Eax, x->Ecx, x->Edx, x->Ebx, x->Esp, x->Ebp, x->Esi, x->Edi, x->Eip },
		.cb_locals = fd->locals_size, .cb_params = fd->params_size,
		.cb_saved_regs = fd->saved_regs_size, .cb_callee_params = cur->callee_params,
		.read = env_read, .ra_search = env_ra_search, .ctx = eng,
	};
	int rc = kd_x86_fd_eval(prog, strlen(prog), &env);
	if (rc < 0)
		return rc;
	if (!(env.reg_set & (1u << KD_X86_FD_EIP)) || !(env.reg_set & (1u << KD_X86_FD_ESP)))
		return KD_EFORMAT;
	struct kd_context c = cur->ctx;
	struct kd_x86_context *y = &c.u.x86;
	y->Eax = env.reg[KD_X86_FD_EAX];
	y->Ecx = env.reg[KD_X86_FD_ECX];
	y->Edx = env.reg[KD_X86_FD_EDX];
	y->Ebx = env.reg[KD_X86_FD_EBX];
	y->Ebp = env.reg[KD_X86_FD_EBP];
	y->Esi = env.reg[KD_X86_FD_ESI];
	y->Edi = env.reg[KD_X86_FD_EDI];
	y->Eip = env.reg[KD_X86_FD_EIP];
	y->Esp = env.reg[KD_X86_FD_ESP];
	cur->flags |= KD_FRAME_FRAMEDATA;
	cur->fp = y->Esp - 8;
	cur->ret = y->Eip;
	read_args(eng, cur);
	set_caller(caller, &c);
	caller->callee_params = fd->params_size;
	return 0;
}

static int unwind_fpo(struct kd_engine *eng, const struct kd_pdb_fpo *fpo, uint32_t rva,
                      struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	struct kd_context c = cur->ctx;
	unsigned prolog = fpo->attrs & 0xff, regs = (fpo->attrs >> 8) & 7;
	/* Inside the prologue the registers may not be pushed yet: trust the
	 * search below to find the slot. */
	uint32_t slot = c.u.x86.Esp + cur->callee_params + 4 * fpo->locals_dw
	              + (rva - fpo->start >= prolog ? 4 * regs : 0);
	uint32_t v;
	if (read32(eng, slot, &v) < 0 || !is_return_address(eng, v))
		env_ra_search(eng, slot, &slot);
	/* fUseBP: EBP is one of the saved registers, the first one pushed
	 * (the highest slot of the saved-register area, below the locals). */
	if (((fpo->attrs >> 12) & 1) && regs && rva - fpo->start >= prolog
	    && read32(eng, c.u.x86.Esp + cur->callee_params + 4 * regs - 4, &v) == 0)
		c.u.x86.Ebp = v;
	cur->flags |= KD_FRAME_FPO;
	int rc = finish(eng, cur, caller, &c, slot);
	if (rc == 0)
		caller->callee_params = 4u * fpo->params_dw;
	return rc;
}

int kd_x86_unwind_frame(struct kd_engine *eng, struct kd_stack_frame *cur, struct kd_stack_frame *caller)
{
	uint32_t ip = (uint32_t)cur->ip;
	cur->ret = 0;
	cur->fpo[0] = '\0';
	cur->missing[0] = '\0';
	memset(cur->args, 0, sizeof cur->args);
	struct kd_pdb *pdb = NULL;
	struct kd_pe *pe = NULL;
	uint64_t base = 0;
	const struct kd_module *m = ip ? kd_engine_module_by_addr(eng, ip) : NULL;
	if (m && kd_symbols_image_at(eng, ip, &pe, &pdb, &base) < 0)
		pdb = NULL, pe = NULL;
	const struct kd_pdb_fpo *fpo = NULL;
	const struct kd_pdb_frame_data *fd = NULL;
	struct kd_pdb_fpo img;
	int img_has_fpo = 0;
	uint32_t rva = (uint32_t)(ip - base);
	if (pdb) {
		fpo = find_fpo(pdb, rva);
		fd = find_frame_data(pdb, rva);
	} else if (pe && image_fpo(pe, rva, &img, &img_has_fpo)) {
		fpo = &img;
	}
	unsigned type = fpo ? (fpo->attrs >> 14) & 3 : FPO_FRAME_NONFPO;
	if (fpo)
		fpo_note(cur, fpo);
	if (m && !pdb && !img_has_fpo) {
		cur->flags |= KD_FRAME_NO_INFO;
		snprintf(cur->missing, sizeof cur->missing, "%s", m->name);
	}
	int rc;
	if (fpo && type == FPO_FRAME_TSS)
		return unwind_task_gate(eng, cur, caller) < 0 ? unwind_ebp(eng, cur, caller) : 0;
	if ((fpo && type == FPO_FRAME_TRAP) || (!fpo && is_trap_handler(eng, ip))) {
		if (unwind_trap(eng, cur, caller) == 0)
			return 0;
	}
	if (fd && (rc = unwind_frame_data(eng, pdb, fd, cur, caller)) == 0)
		return 0;
	if (fpo && type == FPO_FRAME_FPO)
		return unwind_fpo(eng, fpo, rva, cur, caller);
	if (fpo)
		cur->flags |= KD_FRAME_NONFPO;
	rc = unwind_ebp(eng, cur, caller);
	if (rc < 0) {
		cur->fp = cur->ctx.u.x86.Ebp;
		read_args(eng, cur);
		return KD_ENOTFOUND;
	}
	return 0;
}
