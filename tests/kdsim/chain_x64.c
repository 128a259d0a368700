/*
 * kdsim: x64 call chains through real images. The scenario directive
 *
 *   chain64 CPU RSP FRAME...
 *
 * lays out on processor CPU's stack, from RSP up (the innermost frame's
 * Child-SP), the frames of a call chain, innermost first, and sets the
 * processor's registers to frame 0's. The images must be mapped (`image`)
 * and named (`module`) first. FRAME is one of
 *
 *   ADDR        the function whose RUNTIME_FUNCTION covers ADDR, with the
 *               stack its prolog builds (pushes, allocations, saves, the
 *               frame register) as its UNWIND_INFO describes it; frame 0
 *               stops at the first call instruction after the prolog (or
 *               at the prolog's end when there is none), a caller's
 *               instruction pointer is the return address after that call
 *   ADDR+OFF    frame 0 only: stopped at function start + OFF; inside the
 *               prolog only the codes of instructions before OFF have run
 *   leaf,ADDR   code without unwind data at ADDR (a leaf, or an image kd
 *               cannot read): the return address right at its Child-SP;
 *               as a caller, ADDR is used as the return address itself
 *
 * A function whose unwind data starts with UWOP_PUSH_MACHFRAME (an
 * interrupt or trap handler) gets a machine frame ([error code] RIP CS
 * EFLAGS RSP SS) instead of a return address: the next frame is the
 * interrupted code, its stack right above the machine frame. kdsim then
 * also prints `kdsim: chain64 trap N ADDR`, the KTRAP_FRAME address `kv`
 * must show (the saved RIP less 0x168).
 *
 * The last frame returns to 0. Nonvolatile registers get recognizable
 * values per frame (0x5a00..00NNRR: frame NN set register RR; the
 * outermost caller's are 0xc0de...RR); the four home slots above each
 * return address hold 0xa0..00NN0K where no saved register lives. kdsim
 * prints, per frame, what `kv` and `.frame /r` must show:
 *
 *   kdsim: chain64 frame N CHILD-SP RETADDR RIP ARG1 ARG2 ARG3 ARG4
 *   kdsim: chain64 regs N RBX RBP RSI RDI R12 R13 R14 R15
 *
 *   chain64 unmap BASE SIZE
 *
 * afterwards takes [BASE, BASE+SIZE) out of the virtual address space (the
 * pages stay in physical memory), as a dump lacks an image's pages: kd
 * must then read the unwind data from the image file.
 *
 * The layout decodes the unwind data with its own small reader and
 * simulates each prolog forwards; it shares no code with kd's unwinder,
 * so that a bug there cannot hide.
 */
#include "tests/kdsim/chain_x64.h"

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 32
#define MAX_OPS 64

enum op_kind { OP_PUSH, OP_ALLOC, OP_SETFP, OP_SAVE, OP_SAVE_XMM, OP_MACHFRAME };

struct op {
	enum op_kind kind;
	unsigned reg;
	uint64_t val; /* ALLOC: bytes; SAVE: offset from the frame base; SETFP: offset */
};

struct xframe {
	int leaf;
	uint64_t begin, end; /* the function (absolute) */
	unsigned prolog;
	uint64_t ip, rsp;
	uint64_t slot;       /* the return address, or the machine frame's lowest word */
	uint64_t next;       /* the caller's Child-SP */
	int machframe;       /* 1: a machine frame, 2: one with an error code */
	struct op ops[MAX_OPS]; /* in the order the prolog runs them */
	int nops;
	uint64_t size;       /* pushes and allocations */
	uint64_t alloc_low;  /* bytes of allocations made after the last push */
	uint64_t regs[16];   /* the registers while this frame runs */
};

static void put64(struct sim_machine *m, uint64_t addr, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sim_map(m, addr, 8);
	sim_write(m, addr, b, 8);
}

static uint64_t get64(struct sim_machine *m, uint64_t addr)
{
	uint8_t b[8] = { 0 };
	sim_read(m, addr, b, 8);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint32_t get32(struct sim_machine *m, uint64_t addr)
{
	uint8_t b[4] = { 0 };
	sim_read(m, addr, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static const struct sim_module *module_of(const struct sim_machine *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nmodules; i++)
		if (addr >= m->modules[i].base && addr - m->modules[i].base < m->modules[i].size)
			return &m->modules[i];
	return NULL;
}

/* The RUNTIME_FUNCTION covering rva, by a plain scan of the table. */
static int find_entry(struct sim_machine *m, uint64_t base, uint32_t rva, uint32_t e[3])
{
	uint32_t nt = get32(m, base + 0x3c);
	uint64_t dir = base + nt + 24 + 112 + 3 * 8;
	uint32_t pdata = get32(m, dir), psize = get32(m, dir + 4);
	for (uint32_t off = 0; off + 12 <= psize && off < 0x100000; off += 12) {
		uint64_t at = base + pdata + off;
		if (rva >= get32(m, at) && rva < get32(m, at + 4)) {
			e[0] = get32(m, at);
			e[1] = get32(m, at + 4);
			e[2] = get32(m, at + 8);
			return 0;
		}
	}
	return -1;
}

/* The codes of the UNWIND_INFO at rva, appended in the order the prolog
 * runs them (the record lists them last first); codes whose instruction
 * ends after `limit` have not run. Returns the flags, or -1. */
static int read_codes(struct sim_machine *m, uint64_t base, uint32_t rva, unsigned limit,
                      struct xframe *f, unsigned *prolog, uint32_t parent[3])
{
	uint8_t hdr[4];
	if (sim_read(m, base + rva, hdr, 4) != 4 || (hdr[0] & 7) < 1 || (hdr[0] & 7) > 2)
		return -1;
	unsigned flags = hdr[0] >> 3, count = hdr[2], fpreg = hdr[3] & 15, fpoff = hdr[3] >> 4;
	uint16_t c[256];
	uint8_t raw[512];
	if (sim_read(m, base + rva + 4, raw, count * 2) != count * 2)
		return -1;
	for (unsigned i = 0; i < count; i++)
		c[i] = (uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
	*prolog = hdr[1];
	struct op list[MAX_OPS];
	int n = 0;
	for (unsigned i = 0; i < count && n < MAX_OPS;) {
		unsigned off = c[i] & 0xff, op = (c[i] >> 8) & 15, info = c[i] >> 12, used = 1;
		struct op o = { OP_ALLOC, info, 0 };
		int keep = 1;
		switch (op) {
		case 0: o.kind = OP_PUSH; break;
		case 1:
			used = info ? 3 : 2;
			o.val = info ? (uint64_t)c[i + 1] | (uint64_t)c[i + 2] << 16 : (uint64_t)c[i + 1] * 8;
			break;
		case 2: o.val = (uint64_t)info * 8 + 8; break;
		case 3: o.kind = OP_SETFP; o.reg = fpreg; o.val = (uint64_t)fpoff * 16; break;
		case 4: o.kind = OP_SAVE; used = 2; o.val = (uint64_t)c[i + 1] * 8; break;
		case 5: o.kind = OP_SAVE; used = 3; o.val = (uint64_t)c[i + 1] | (uint64_t)c[i + 2] << 16; break;
		case 8: o.kind = OP_SAVE_XMM; used = 2; o.val = (uint64_t)c[i + 1] * 16; break;
		case 9: o.kind = OP_SAVE_XMM; used = 3; o.val = (uint64_t)c[i + 1] | (uint64_t)c[i + 2] << 16; break;
		case 6: used = (hdr[0] & 7) == 2 ? 1 : 2; keep = 0; break; /* v2: UWOP_EPILOG */
		case 7: used = 3; keep = 0; break;
		case 10:
			if (info > 1)
				return -1;
			o.kind = OP_MACHFRAME;
			break;
		default: return -1;
		}
		if (i + used > count)
			return -1;
		if (keep && off <= limit)
			list[n++] = o;
		i += used;
	}
	for (int k = n - 1; k >= 0 && f->nops < MAX_OPS; k--)
		f->ops[f->nops++] = list[k];
	if (flags & 4) {
		uint64_t at = base + rva + 4 + ((count + 1) & ~1u) * 2;
		parent[0] = get32(m, at);
		parent[1] = get32(m, at + 4);
		parent[2] = get32(m, at + 8);
	}
	return (int)flags;
}

/* The first call after the prolog: its address and length. */
static int first_call(struct sim_machine *m, const struct xframe *f, uint64_t *call, unsigned *len)
{
	uint64_t from = f->begin + f->prolog;
	size_t size = f->end > from ? (size_t)(f->end - from) : 0;
	uint8_t *code = malloc(size ? size : 1);
	if (!code || sim_read(m, from, code, (uint32_t)size) != size) {
		free(code);
		return -1;
	}
	csh cs;
	int found = -1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK) {
		cs_insn *insn;
		size_t count = cs_disasm(cs, code, size, from, 0, &insn);
		for (size_t i = 0; i < count && found < 0; i++) {
			if (insn[i].id == X86_INS_CALL) {
				*call = insn[i].address;
				*len = insn[i].size;
				found = 0;
			}
		}
		if (count)
			cs_free(insn, count);
		cs_close(&cs);
	}
	free(code);
	return found;
}

static int setup_frame(struct sim_machine *m, const char *spec, struct xframe *f, int first,
                       char *bad, size_t badlen)
{
	memset(f, 0, sizeof *f);
	if (strncmp(spec, "leaf,", 5) == 0) {
		f->leaf = 1;
		f->ip = strtoull(spec + 5, NULL, 16);
		return 0;
	}
	char *end;
	uint64_t addr = strtoull(spec, &end, 16), off = 0;
	int at = 0;
	if (*end == '+' && first) {
		off = strtoull(end + 1, &end, 16);
		at = 1;
	}
	const struct sim_module *mod = module_of(m, addr);
	uint32_t e[3], parent[3];
	if (*end || !mod || find_entry(m, mod->base, (uint32_t)(addr - mod->base), e) < 0) {
		snprintf(bad, badlen, "chain64: '%s' is not ADDR, ADDR+OFF (frame 0) or leaf,ADDR in a mapped module", spec);
		return -1;
	}
	f->begin = mod->base + e[0];
	f->end = mod->base + e[1];
	unsigned limit = at && off < 256 ? (unsigned)off : 255, prolog;
	/* Chained records: the parent's prolog ran first, all of it. */
	struct { uint32_t rva; unsigned limit; } chain[8];
	int nchain = 0, flags;
	uint32_t rva = e[2];
	do {
		if (nchain == 8) {
			snprintf(bad, badlen, "chain64: unwind chain too long at %s", spec);
			return -1;
		}
		chain[nchain].rva = rva;
		chain[nchain].limit = nchain ? 255 : limit;
		struct xframe probe;
		memset(&probe, 0, sizeof probe);
		flags = read_codes(m, mod->base, rva, 255, &probe, &prolog, parent);
		if (flags < 0) {
			snprintf(bad, badlen, "chain64: unsupported unwind data at %s", spec);
			return -1;
		}
		if (nchain == 0)
			f->prolog = prolog;
		nchain++;
		rva = parent[2];
	} while (flags & 4);
	for (int k = nchain - 1; k >= 0; k--)
		read_codes(m, mod->base, chain[k].rva, chain[k].limit, f, &prolog, parent);
	uint64_t call;
	unsigned len;
	if (at)
		f->ip = f->begin + off;
	else if (first_call(m, f, &call, &len) == 0)
		f->ip = first ? call : call + len;
	else if (first)
		f->ip = f->begin + f->prolog;
	else {
		snprintf(bad, badlen, "chain64: no call after the prolog of the function at %s", spec);
		return -1;
	}
	for (int k = 0; k < f->nops; k++) {
		if (f->ops[k].kind == OP_PUSH) {
			f->size += 8;
			f->alloc_low = 0;
		} else if (f->ops[k].kind == OP_ALLOC) {
			f->size += f->ops[k].val;
			f->alloc_low += f->ops[k].val;
		} else if (f->ops[k].kind == OP_MACHFRAME) {
			f->machframe = (int)f->ops[k].reg + 1;
		}
	}
	return 0;
}

/* Unlink the range's pages from the virtual hash; the physical list
 * still owns (and frees) them. */
static int unmap(struct sim_machine *m, char **w, int n, char *bad, size_t badlen)
{
	char *e1, *e2;
	uint64_t base = n == 4 ? strtoull(w[2], &e1, 16) : 0, size = n == 4 ? strtoull(w[3], &e2, 16) : 0;
	if (n != 4 || *e1 || *e2 || !size || base + size < base) {
		snprintf(bad, badlen, "chain64 unmap BASE SIZE");
		return -1;
	}
	for (unsigned b = 0; b < sizeof m->pages / sizeof m->pages[0]; b++) {
		for (struct sim_page **pp = &m->pages[b]; *pp;) {
			struct sim_page *p = *pp;
			if (!p->table && p->va >= (base & ~(uint64_t)(SIM_PAGE - 1)) && p->va < base + size)
				*pp = p->next;
			else
				pp = &p->next;
		}
	}
	return 0;
}

int sim_chain_x64(struct sim_machine *m, char **w, int n, char *bad, size_t badlen)
{
	static struct xframe fr[MAX_FRAMES];
	int nf = n - 3;
	if (n >= 2 && strcmp(w[1], "unmap") == 0)
		return unmap(m, w, n, bad, badlen);
	if (m->machine != KD_MACHINE_AMD64 || n < 4 || nf > MAX_FRAMES) {
		snprintf(bad, badlen, "chain64 CPU RSP FRAME... (x64 machines, at most %d frames)", MAX_FRAMES);
		return -1;
	}
	unsigned cpu = (unsigned)strtoul(w[1], NULL, 16);
	uint64_t rsp = strtoull(w[2], NULL, 16);
	if (cpu >= m->ncpu) {
		snprintf(bad, badlen, "chain64: no processor %u", cpu);
		return -1;
	}
	for (int i = 0; i < nf; i++)
		if (setup_frame(m, w[3 + i], &fr[i], i == 0, bad, badlen) < 0)
			return -1;
	/* Positions, innermost first. */
	for (int i = 0; i < nf; i++) {
		fr[i].rsp = rsp;
		fr[i].slot = rsp + fr[i].size;
		/* A machine frame: [error code] RIP CS EFLAGS RSP SS, the
		 * interrupted code's stack right above it. */
		fr[i].next = fr[i].slot + (fr[i].machframe ? 8 * (fr[i].machframe + 4) : 8);
		rsp = fr[i].next;
	}
	sim_map(m, fr[0].rsp, rsp + 0x40 - fr[0].rsp);
	/* Home slots first: saved registers may overwrite them. */
	for (int i = 0; i < nf; i++) {
		uint64_t room = i + 1 < nf ? fr[i + 1].rsp + fr[i + 1].alloc_low : UINT64_MAX;
		for (uint64_t k = 0; k < 4; k++) {
			uint64_t a = fr[i].next + 8 * k;
			if (a + 8 <= room)
				put64(m, a, 0xa000000000000000ull | (uint64_t)i << 8 | k);
		}
	}
	/* Outermost first: each prolog runs forwards from its entry, saving
	 * its caller's registers and giving them its own values. */
	uint64_t regs[16];
	for (unsigned r = 0; r < 16; r++)
		regs[r] = 0xc0de000000000000ull | r;
	for (int i = nf - 1; i >= 0; i--) {
		struct xframe *f = &fr[i];
		uint64_t ret = i + 1 < nf ? fr[i + 1].ip : 0, rip_slot = f->slot + (f->machframe == 2 ? 8 : 0);
		put64(m, rip_slot, ret);
		if (f->machframe) {
			if (f->machframe == 2)
				put64(m, f->slot, 0);
			put64(m, rip_slot + 8, 0x10);
			put64(m, rip_slot + 16, 0x246);
			put64(m, rip_slot + 24, f->next);
			put64(m, rip_slot + 32, 0x18);
		}
		uint64_t sp = f->slot, fpval = 0;
		int have_fp = 0;
		uint64_t caller[16];
		memcpy(caller, regs, sizeof caller);
		for (int k = 0; k < f->nops; k++) {
			struct op *o = &f->ops[k];
			if (o->kind == OP_PUSH) {
				sp -= 8;
				put64(m, sp, caller[o->reg]);
				regs[o->reg] = 0x5a00000000000000ull | (uint64_t)i << 8 | o->reg;
			} else if (o->kind == OP_ALLOC) {
				sp -= o->val;
			} else if (o->kind == OP_SETFP) {
				fpval = sp + o->val;
				have_fp = 1;
				regs[o->reg] = fpval;
			}
		}
		if (sp != f->rsp) {
			snprintf(bad, badlen, "chain64: frame %d's prolog does not add up", i);
			return -1;
		}
		/* Saves are relative to the frame base: rsp after the prolog, or
		 * the frame register less its offset. */
		uint64_t frame = sp;
		for (int k = 0; k < f->nops; k++)
			if (f->ops[k].kind == OP_SETFP && have_fp)
				frame = fpval - f->ops[k].val;
		for (int k = 0; k < f->nops; k++) {
			struct op *o = &f->ops[k];
			if (o->kind == OP_SAVE) {
				put64(m, frame + o->val, caller[o->reg]);
				if (regs[o->reg] == caller[o->reg])
					regs[o->reg] = 0x5a00000000000000ull | (uint64_t)i << 8 | o->reg;
			} else if (o->kind == OP_SAVE_XMM) {
				put64(m, frame + o->val, 0x3300000000000000ull | (uint64_t)i << 8 | o->reg);
				put64(m, frame + o->val + 8, 0x3300000000000000ull | (uint64_t)i << 8 | o->reg);
			}
		}
		memcpy(f->regs, regs, sizeof regs);
	}
	/* The CONTEXT is packed (the target's layout): copy into it. */
	struct kd_x64_context *x = &m->ctx[cpu].u.x64;
	fr[0].regs[4] = fr[0].rsp;
	memcpy((uint8_t *)x + offsetof(struct kd_x64_context, Rax), fr[0].regs, sizeof fr[0].regs);
	x->Rip = fr[0].ip;
	for (int i = 0; i < nf; i++) {
		const uint64_t *g = fr[i].regs;
		printf("kdsim: chain64 frame %d %016llx %016llx %016llx %016llx %016llx %016llx %016llx\n", i,
		       (unsigned long long)fr[i].rsp, (unsigned long long)(i + 1 < nf ? fr[i + 1].ip : 0),
		       (unsigned long long)fr[i].ip, (unsigned long long)get64(m, fr[i].next),
		       (unsigned long long)get64(m, fr[i].next + 8), (unsigned long long)get64(m, fr[i].next + 16),
		       (unsigned long long)get64(m, fr[i].next + 24));
		if (fr[i].machframe)
			printf("kdsim: chain64 trap %d %016llx\n", i,
			       (unsigned long long)(fr[i].slot + (fr[i].machframe == 2 ? 8 : 0) - 0x168));
		printf("kdsim: chain64 regs %d %016llx %016llx %016llx %016llx %016llx %016llx %016llx %016llx\n", i,
		       (unsigned long long)g[3], (unsigned long long)g[5], (unsigned long long)g[6],
		       (unsigned long long)g[7], (unsigned long long)g[12], (unsigned long long)g[13],
		       (unsigned long long)g[14], (unsigned long long)g[15]);
	}
	fflush(stdout);
	return 0;
}
