/*
 * The x64 unwinder: from a frame's registers to its caller's, with the
 * rules of the Windows x64 ABI's exception handling:
 *
 * - the function's RUNTIME_FUNCTION (arch/pdata.c) gives its UNWIND_INFO;
 *   its codes describe the prolog in reverse, so executing them in order
 *   undoes it; in a partial prolog only the codes of instructions that
 *   already ran (CodeOffset <= the ip's offset) apply;
 * - chained records (UNW_FLAG_CHAININFO) continue with the parent's
 *   codes, all of them;
 * - a frame stopped in an epilogue (add/lea rsp, pops, then ret or a tail
 *   jmp) is unwound by emulating the rest of the epilogue, because its
 *   prolog's effects are already partly undone;
 * - a machine frame (UWOP_PUSH_MACHFRAME) gives rip and rsp of the
 *   interrupted code instead of a return address;
 * - code without an entry is a leaf: the return address is at [rsp].
 * When no unwind data can be read the caller scans the stack for a value
 * that follows a call instruction (kd_x64_scan_for_return).
 */
#include "arch/unwind_x64.h"

#include <string.h>

#include "base/bytes.h"
#include "base/error.h"

#define MAX_CHAIN 32
#define REG_RSP 4

static int read_u64(const struct kd_disasm_env *mem, uint64_t addr, uint64_t *v)
{
	uint8_t b[8];
	int rc = kd_disasm_env_read_exact(mem, addr, b, sizeof b);
	if (rc < 0)
		return rc;
	*v = kd_le64(b);
	return 0;
}

/* Rax..R15 are consecutive in the CONTEXT, in the encoding's order. The
 * structure is packed (the target's layout): copy, never dereference a
 * uint64_t pointer into it. */
static uint64_t get_reg(const struct kd_x64_context *c, unsigned r)
{
	uint64_t v;
	memcpy(&v, (const uint8_t *)c + offsetof(struct kd_x64_context, Rax) + 8 * (r & 15), sizeof v);
	return v;
}

static void set_reg(struct kd_x64_context *c, unsigned r, uint64_t v)
{
	memcpy((uint8_t *)c + offsetof(struct kd_x64_context, Rax) + 8 * (r & 15), &v, sizeof v);
}

/* --- UNWIND_INFO ------------------------------------------------------- */

size_t kd_x64_unwind_info_size(uint8_t count, uint8_t flags)
{
	size_t n = 4 + (size_t)((count + 1u) & ~1u) * 2;
	if (flags & KD_UNW_FLAG_CHAININFO)
		n += 12;
	else if (flags & (KD_UNW_FLAG_EHANDLER | KD_UNW_FLAG_UHANDLER))
		n += 4;
	return n;
}

static unsigned code_op(uint16_t slot)
{
	return (slot >> 8) & 0xf;
}

static unsigned code_info(uint16_t slot)
{
	return slot >> 12;
}

static unsigned code_offset(uint16_t slot)
{
	return slot & 0xff;
}

unsigned kd_x64_unwind_code_slots(const struct kd_x64_unwind_info *ui, unsigned i)
{
	if (i >= ui->count)
		return 0;
	unsigned n;
	switch (code_op(ui->codes[i])) {
	case KD_UWOP_PUSH_NONVOL:
	case KD_UWOP_ALLOC_SMALL:
	case KD_UWOP_SET_FPREG:
		n = 1;
		break;
	case KD_UWOP_PUSH_MACHFRAME:
		n = code_info(ui->codes[i]) <= 1 ? 1 : 0;
		break;
	case KD_UWOP_ALLOC_LARGE:
		n = code_info(ui->codes[i]) == 0 ? 2 : code_info(ui->codes[i]) == 1 ? 3 : 0;
		break;
	case KD_UWOP_EPILOG:
		/* Version 2: one slot per epilogue (the first gives their size,
		 * the others their offsets from the function's end); version 1
		 * used the code for the obsolete two-slot SAVE_XMM. */
		n = ui->version >= 2 ? 1 : 2;
		break;
	case KD_UWOP_SAVE_NONVOL:
	case KD_UWOP_SAVE_XMM128:
		n = 2;
		break;
	case KD_UWOP_SAVE_NONVOL_FAR:
	case KD_UWOP_SAVE_XMM128_FAR:
	case KD_UWOP_SPARE_CODE:
		n = 3;
		break;
	default:
		n = 0;
	}
	return n && i + n <= ui->count ? n : 0;
}

int kd_x64_unwind_info_parse(const uint8_t *buf, size_t len, struct kd_x64_unwind_info *out)
{
	if (len < 4)
		return KD_EFORMAT;
	memset(out, 0, sizeof *out);
	out->version = buf[0] & 7;
	out->flags = buf[0] >> 3;
	out->prolog_size = buf[1];
	out->count = buf[2];
	out->frame_reg = buf[3] & 0xf;
	out->frame_offset = buf[3] >> 4;
	if (out->version != 1 && out->version != 2)
		return KD_EFORMAT;
	size_t need = kd_x64_unwind_info_size(out->count, out->flags);
	if (len < need)
		return KD_EFORMAT;
	for (unsigned i = 0; i < out->count; i++)
		out->codes[i] = kd_le16(buf + 4 + 2 * i);
	for (unsigned i = 0; i < out->count;) {
		unsigned n = kd_x64_unwind_code_slots(out, i);
		if (!n)
			return KD_EFORMAT;
		i += n;
	}
	if (out->flags & KD_UNW_FLAG_CHAININFO) {
		const uint8_t *p = buf + 4 + (size_t)((out->count + 1u) & ~1u) * 2;
		out->chained.begin = kd_le32(p);
		out->chained.end = kd_le32(p + 4);
		out->chained.unwind = kd_le32(p + 8);
	}
	return 0;
}

static int read_info(const struct kd_disasm_env *mem, uint64_t base, uint32_t rva,
                     struct kd_x64_unwind_info *ui)
{
	uint8_t buf[4 + 256 * 2 + 12];
	int rc = kd_disasm_env_read_exact(mem, base + rva, buf, 4);
	if (rc < 0)
		return rc;
	size_t n = kd_x64_unwind_info_size(buf[2], (uint8_t)(buf[0] >> 3));
	if ((rc = kd_disasm_env_read_exact(mem, base + rva + 4, buf + 4, n - 4)) < 0)
		return rc;
	return kd_x64_unwind_info_parse(buf, n, ui);
}

/* --- executing unwind codes -------------------------------------------- */

/* Whether SET_FPREG ran by prolog offset ip_off (partial prologs). */
static int fpreg_established(const struct kd_x64_unwind_info *ui, int partial, unsigned ip_off)
{
	if (!partial)
		return 1;
	for (unsigned i = 0; i < ui->count;) {
		unsigned n = kd_x64_unwind_code_slots(ui, i);
		if (!n)
			break;
		if (code_op(ui->codes[i]) == KD_UWOP_SET_FPREG)
			return code_offset(ui->codes[i]) <= ip_off;
		i += n;
	}
	return 0;
}

/* Undo the prolog ui describes: all codes, or in a partial prolog those
 * whose instruction ends at or before ip_off. *machframe gets the saved
 * RIP's address when a machine frame was popped (0 otherwise). */
static int apply_codes(const struct kd_disasm_env *mem, const struct kd_x64_unwind_info *ui, int partial,
                       unsigned ip_off, struct kd_x64_context *c, uint64_t *frame_out, uint64_t *machframe)
{
	/* The establisher frame: rsp after the prolog, or the frame register
	 * less its offset once the prolog set it (rsp may have moved since). */
	uint64_t frame = c->Rsp;
	if (ui->frame_reg && fpreg_established(ui, partial, ip_off))
		frame = get_reg(c, ui->frame_reg) - (uint64_t)ui->frame_offset * 16;
	*frame_out = frame;
	*machframe = 0;
	for (unsigned i = 0; i < ui->count;) {
		unsigned n = kd_x64_unwind_code_slots(ui, i);
		uint16_t s = ui->codes[i];
		unsigned info = code_info(s);
		uint64_t v, off;
		int rc = 0;
		if (!n)
			return KD_EFORMAT;
		if (partial && code_offset(s) > ip_off) {
			i += n;
			continue;
		}
		switch (code_op(s)) {
		case KD_UWOP_PUSH_NONVOL:
			if ((rc = read_u64(mem, c->Rsp, &v)) < 0)
				return rc;
			c->Rsp += 8;
			if (info != REG_RSP)
				set_reg(c, info, v);
			break;
		case KD_UWOP_ALLOC_LARGE:
			off = info == 0 ? (uint64_t)ui->codes[i + 1] * 8
			                : (uint64_t)ui->codes[i + 1] | (uint64_t)ui->codes[i + 2] << 16;
			c->Rsp += off;
			break;
		case KD_UWOP_ALLOC_SMALL:
			c->Rsp += (uint64_t)info * 8 + 8;
			break;
		case KD_UWOP_SET_FPREG:
			if (!ui->frame_reg)
				return KD_EFORMAT;
			c->Rsp = get_reg(c, ui->frame_reg) - (uint64_t)ui->frame_offset * 16;
			break;
		case KD_UWOP_SAVE_NONVOL:
		case KD_UWOP_SAVE_NONVOL_FAR:
			off = code_op(s) == KD_UWOP_SAVE_NONVOL ? (uint64_t)ui->codes[i + 1] * 8
			    : (uint64_t)ui->codes[i + 1] | (uint64_t)ui->codes[i + 2] << 16;
			if ((rc = read_u64(mem, frame + off, &v)) < 0)
				return rc;
			if (info != REG_RSP)
				set_reg(c, info, v);
			break;
		case KD_UWOP_SAVE_XMM128:
		case KD_UWOP_SAVE_XMM128_FAR: {
			off = code_op(s) == KD_UWOP_SAVE_XMM128 ? (uint64_t)ui->codes[i + 1] * 16
			    : (uint64_t)ui->codes[i + 1] | (uint64_t)ui->codes[i + 2] << 16;
			uint8_t x[16];
			if ((rc = kd_disasm_env_read_exact(mem, frame + off, x, sizeof x)) < 0)
				return rc;
			/* XMM_SAVE_AREA32.XmmRegisters starts at byte 160. */
			memcpy(c->FltSave + 160 + 16 * info, x, sizeof x);
			break;
		}
		case KD_UWOP_PUSH_MACHFRAME: {
			uint64_t at = c->Rsp + (info ? 8 : 0), rip, rsp;
			if ((rc = read_u64(mem, at, &rip)) < 0 || (rc = read_u64(mem, at + 24, &rsp)) < 0)
				return rc;
			c->Rip = rip;
			c->Rsp = rsp;
			*machframe = at;
			/* The machine frame is the first thing the prolog did. */
			return 0;
		}
		default:
			/* UWOP_EPILOG descriptions and version 1's obsolete codes
			 * change nothing on the way back. */
			break;
		}
		i += n;
	}
	return 0;
}

/* --- epilogues --------------------------------------------------------- */

/* If the code at c->Rip is an epilogue (the documented forms: an optional
 * `add rsp, imm` or `lea rsp, [frame register + disp]`, pops, then `ret`
 * or a jmp leaving the function: rel8/rel32 outside it, indirect through
 * memory, or REX.W-marked), emulate it to the return: 1 when done, 0 when
 * not an epilogue, a negative code when its stack is unreadable. */
static int emulate_epilogue(const struct kd_disasm_env *mem, uint64_t begin, uint64_t end,
                            unsigned frame_reg, struct kd_x64_context *c)
{
	uint8_t b[64];
	size_t n = 0;
	if (mem->read(mem->ctx, c->Rip, b, sizeof b, &n) < 0 || n == 0)
		return 0;
	size_t p = 0;
	int have_rsp = 0, have_lea = 0;
	uint64_t rsp_delta = 0;
	unsigned lea_reg = 0;
	/* add rsp, imm8 / imm32 */
	if (n >= 4 && b[0] == 0x48 && b[1] == 0x83 && b[2] == 0xc4) {
		rsp_delta = (uint64_t)(int64_t)(int8_t)b[3];
		p = 4;
		have_rsp = 1;
	} else if (n >= 7 && b[0] == 0x48 && b[1] == 0x81 && b[2] == 0xc4) {
		rsp_delta = (uint64_t)(int64_t)(int32_t)kd_le32(b + 3);
		p = 7;
		have_rsp = 1;
	} else if (n >= 4 && frame_reg && (b[0] & 0xfe) == 0x48 && b[1] == 0x8d) {
		/* lea rsp, [reg + disp8/disp32] with reg the frame register */
		unsigned mod = b[2] >> 6, r = (b[2] >> 3) & 7, rm = (b[2] & 7) | (b[0] & 1) << 3;
		size_t q = 3;
		if (r == REG_RSP && (mod == 1 || mod == 2) && rm == frame_reg) {
			if ((rm & 7) == 4)
				q++; /* SIB byte (r12) */
			if (mod == 1 && q + 1 <= n) {
				rsp_delta = (uint64_t)(int64_t)(int8_t)b[q];
				p = q + 1;
				have_lea = 1;
			} else if (mod == 2 && q + 4 <= n) {
				rsp_delta = (uint64_t)(int64_t)(int32_t)kd_le32(b + q);
				p = q + 4;
				have_lea = 1;
			}
			lea_reg = rm;
		}
		if (!have_lea)
			return 0;
	}
	/* pops */
	unsigned pops[16], npops = 0;
	for (;;) {
		if (p < n && b[p] >= 0x58 && b[p] <= 0x5f && npops < 16) {
			pops[npops++] = b[p] - 0x58u;
			p += 1;
		} else if (p + 1 < n && b[p] == 0x41 && b[p + 1] >= 0x58 && b[p + 1] <= 0x5f && npops < 16) {
			pops[npops++] = 8u + b[p + 1] - 0x58u;
			p += 2;
		} else {
			break;
		}
	}
	/* ret, or a jmp that leaves the function (a tail call) */
	int term = 0;
	if (p < n && (b[p] == 0xc3 || b[p] == 0xc2)) {
		term = 1;
	} else if (p + 1 < n && b[p] == 0xf3 && b[p + 1] == 0xc3) {
		term = 1;
	} else if (p + 5 <= n && b[p] == 0xe9) {
		uint64_t t = c->Rip + p + 5 + (uint64_t)(int64_t)(int32_t)kd_le32(b + p + 1);
		term = t < begin || t >= end;
	} else if (p + 2 <= n && b[p] == 0xeb) {
		uint64_t t = c->Rip + p + 2 + (uint64_t)(int64_t)(int8_t)b[p + 1];
		term = t < begin || t >= end;
	} else {
		/* An indirect jmp: `jmp qword ptr [mem]` with ModRM mod 00, or
		 * any form with REX.W, which compilers put on a tail call's jmp
		 * (`rex.w jmp rax`) to mark it as the end of an epilogue. */
		int rexw = p < n && b[p] >= 0x48 && b[p] <= 0x4f;
		size_t q = p < n && (b[p] & 0xf0) == 0x40 ? p + 1 : p;
		term = q + 1 < n && b[q] == 0xff && ((b[q + 1] >> 3) & 7) == 4 && (rexw || (b[q + 1] >> 6) == 0);
	}
	if (!term)
		return 0;
	if (have_rsp)
		c->Rsp += rsp_delta;
	else if (have_lea)
		c->Rsp = get_reg(c, lea_reg) + rsp_delta;
	for (unsigned i = 0; i < npops; i++) {
		uint64_t v;
		int rc = read_u64(mem, c->Rsp, &v);
		if (rc < 0)
			return rc;
		c->Rsp += 8;
		if (pops[i] != REG_RSP)
			set_reg(c, pops[i], v);
	}
	uint64_t ret;
	int rc = read_u64(mem, c->Rsp, &ret);
	if (rc < 0)
		return rc;
	c->Rip = ret;
	c->Rsp += 8;
	return 1;
}

/* --- one frame ----------------------------------------------------------- */

int kd_x64_virtual_unwind(const struct kd_disasm_env *mem, uint64_t base,
                          const struct kd_x64_runtime_function *rf, int epilogue_check,
                          struct kd_x64_context *c, struct kd_x64_unwind_result *res)
{
	struct kd_x64_unwind_info ui;
	struct kd_x64_runtime_function cur = *rf;
	memset(res, 0, sizeof *res);
	res->image_base = base;
	res->function = cur;
	if (cur.begin >= cur.end)
		return KD_ENOTFOUND;
	int rc = read_info(mem, base, cur.unwind & ~1u, &ui);
	if (rc < 0)
		return KD_ENOTFOUND;
	uint64_t begin = base + cur.begin;
	uint64_t ip_off64 = c->Rip >= begin ? c->Rip - begin : 0;
	unsigned ip_off = ip_off64 > 0xffff ? 0xffff : (unsigned)ip_off64;
	int partial = ip_off < ui.prolog_size;
	struct kd_x64_context save = *c;
	if (epilogue_check && !partial) {
		rc = emulate_epilogue(mem, begin, base + cur.end, ui.frame_reg, c);
		if (rc < 0) {
			*c = save;
			return rc;
		}
		if (rc == 1) {
			res->kind = KD_X64_UNWOUND_DATA;
			res->epilogue = 1;
			res->establisher = save.Rsp;
			return 0;
		}
	}
	uint64_t machframe = 0, frame = 0;
	for (int depth = 0;; depth++) {
		uint64_t f;
		if ((rc = apply_codes(mem, &ui, partial, ip_off, c, &f, &machframe)) < 0) {
			*c = save;
			return rc == KD_EFORMAT ? KD_ENOTFOUND : rc;
		}
		if (depth == 0)
			frame = f;
		if (machframe || !(ui.flags & KD_UNW_FLAG_CHAININFO))
			break;
		if (depth + 1 >= MAX_CHAIN) {
			*c = save;
			return KD_ENOTFOUND;
		}
		cur = ui.chained;
		partial = 0;
		if (read_info(mem, base, cur.unwind & ~1u, &ui) < 0) {
			*c = save;
			return KD_ENOTFOUND;
		}
	}
	res->function = cur;
	res->establisher = frame;
	if (machframe) {
		res->kind = KD_X64_UNWOUND_MACHFRAME;
		res->machine_frame = machframe;
		return 0;
	}
	uint64_t ret;
	if ((rc = read_u64(mem, c->Rsp, &ret)) < 0) {
		*c = save;
		return rc;
	}
	c->Rip = ret;
	c->Rsp += 8;
	res->kind = KD_X64_UNWOUND_DATA;
	return 0;
}

int kd_x64_unwind_step(const struct kd_x64_unwind_env *env, int is_return_address, int epilogue_check,
                       struct kd_x64_context *c, struct kd_x64_unwind_result *res)
{
	uint64_t look = is_return_address ? c->Rip - 1 : c->Rip, base;
	uint32_t size;
	struct kd_x64_runtime_function rf;
	memset(res, 0, sizeof *res);
	if (env->module_at(env->mem.ctx, look, &base, &size) < 0)
		return KD_ENOTFOUND;
	int rc = kd_x64_pdata_entry(&env->mem, base, look, &rf, NULL);
	if (rc == KD_ENOTFOUND) {
		/* A leaf function: nothing pushed, the return address at [rsp]. */
		uint64_t ret;
		if ((rc = read_u64(&env->mem, c->Rsp, &ret)) < 0)
			return rc;
		res->kind = KD_X64_UNWOUND_LEAF;
		res->image_base = base;
		res->establisher = c->Rsp;
		c->Rip = ret;
		c->Rsp += 8;
		return 0;
	}
	if (rc < 0)
		return KD_ENOTFOUND; /* the image's headers or table are not there */
	return kd_x64_virtual_unwind(&env->mem, base, &rf, epilogue_check, c, res);
}

/* --- finding a caller without unwind data -------------------------------- */

/* One call instruction from bytes[start] to exactly bytes[n]. */
static int call_at(const uint8_t *b, size_t start, size_t n)
{
	size_t p = start;
	if (p < n && (b[p] == 0x2e || b[p] == 0x3e)) /* branch hint / notrack */
		p++;
	if (p < n && (b[p] & 0xf0) == 0x40)
		p++;
	if (p >= n)
		return 0;
	if (b[p] == 0xe8)
		return p + 5 == n;
	if (b[p] != 0xff || p + 1 >= n)
		return 0;
	unsigned modrm = b[p + 1], mod = modrm >> 6, rm = modrm & 7;
	if (((modrm >> 3) & 7) != 2)
		return 0;
	size_t len = 2;
	if (mod != 3 && rm == 4) {
		if (p + 2 >= n)
			return 0;
		if (mod == 0 && (b[p + 2] & 7) == 5)
			len += 4;
		len++;
	}
	if (mod == 0 && rm == 5)
		len += 4;
	else if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return p + len == n;
}

int kd_x64_call_ends_at(const uint8_t *bytes, size_t n)
{
	for (size_t k = 2; k <= 8 && k <= n; k++)
		if (call_at(bytes, n - k, n))
			return 1;
	return 0;
}

int kd_x64_scan_for_return(const struct kd_x64_unwind_env *env, uint64_t sp, uint64_t limit,
                           uint64_t *slot, uint64_t *value)
{
	uint8_t chunk[512];
	sp &= ~(uint64_t)7;
	while (sp < limit && limit - sp >= 8) {
		size_t want = limit - sp < sizeof chunk ? (size_t)(limit - sp) & ~(size_t)7 : sizeof chunk, done = 0;
		if (env->mem.read(env->mem.ctx, sp, chunk, want, &done) < 0)
			done = 0;
		done &= ~(size_t)7;
		if (done == 0)
			return KD_ENOTFOUND;
		for (size_t i = 0; i < done; i += 8) {
			uint64_t v = kd_le64(chunk + i), base;
			uint32_t size;
			if (v < 8 || env->module_at(env->mem.ctx, v, &base, &size) < 0)
				continue;
			uint8_t code[8];
			if (kd_disasm_env_read_exact(&env->mem, v - sizeof code, code, sizeof code) == 0 &&
			    !kd_x64_call_ends_at(code, sizeof code))
				continue;
			*slot = sp + i;
			*value = v;
			return 0;
		}
		sp += done;
		if (done < want)
			return KD_ENOTFOUND;
	}
	return KD_ENOTFOUND;
}
