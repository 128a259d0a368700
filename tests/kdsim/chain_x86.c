/*
 * kdsim: x86 call chains through real images. The scenario directive
 *
 *   chain86 CPU STACK FRAME...
 *
 * lays out, on processor CPU's stack starting at STACK (the innermost
 * frame's ESP), the frames of a call chain, innermost first, and points
 * the processor's registers at frame 0. FRAME is either
 *
 *   PDB,BASE,RVA   the function whose FrameData record starts at RVA, in
 *                  the image mapped at BASE (with `image`) whose PDB is
 *                  PDB: the frame's size, its saved registers and whether
 *                  it has an EBP frame come from that record
 *   ebp,ADDR       a plain EBP frame whose code is at ADDR (an image
 *                  without symbols: kd follows the EBP chain)
 *
 * Each frame's instruction pointer is the return address after a real
 * call instruction of its function (frame 0: that call instruction),
 * found by disassembling the function with capstone, in the part of the
 * function its innermost record covers after the prologue. The last
 * frame returns to 0. kdsim prints one line per frame on stdout,
 *
 *   kdsim: chain86 frame N CHILDEBP RETADDR EIP ARG1 ARG2 ARG3
 *
 * (hex; the arguments as the finished stack holds them), what `k` and
 * `kb` must show.
 *
 *   chain86 image BASE SIZE FUNC...
 *
 * writes at BASE a minimal PE32 image of SIZE bytes for kernels whose
 * stacks a test lays out by hand (the seed's reconstruction): an export
 * per FUNC, so kd names it, and a debug directory entry of type FPO
 * (IMAGE_DEBUG_TYPE_FPO, FPO_DATA records as old images carry them) for
 * the functions that say how their frame looks. FUNC is
 *
 *   NAME@RVA,SIZE                                an export only
 *   NAME@RVA,SIZE,nonfpo                         an EBP frame (FRAME_NONFPO)
 *   NAME@RVA,SIZE,fpo,LOCALS,REGS,PARAMS[,bp]    FRAME_FPO; LOCALS and PARAMS
 *                                                in dwords; bp: EBP is one of
 *                                                the REGS saved registers
 *   NAME@RVA,SIZE,trap / NAME@RVA,SIZE,tss       FRAME_TRAP / FRAME_TSS The layout reads the records' sizes and the
 * register-save list of their programs with its own small parser, not
 * with kd's FrameData evaluator, so that a bug there cannot hide.
 */
#include "tests/kdsim/chain_x86.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/pdb.h"

#define MAX_FRAMES 32
#define NREGS 8 /* eax ecx edx ebx esp ebp esi edi, CodeView 17..24 */
#define R_EBP 5

struct cframe {
	int ebp_frame;           /* the record's program starts "$T0 $ebp =" */
	uint32_t ip, esp, fp;    /* fp: EBP value while this frame runs (EBP frames) */
	uint32_t slot;           /* where its return address lives */
	uint32_t locals, saved, params;
	int nsaved;
	int save_reg[8];         /* register (0..7) saved at ... */
	int32_t save_off[8];     /* ... T0 - off (T0: EBP or the return slot) */
};

static void put32(struct sim_machine *m, uint32_t addr, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	sim_map(m, addr, 4);
	sim_write(m, addr, b, 4);
}

/* "$20 $T0 28 - ^ =" items of a program: which register sits where. */
static int parse_saves(const char *prog, struct cframe *f)
{
	const char *p = prog;
	f->nsaved = 0;
	while ((p = strchr(p, '$')) != NULL) {
		unsigned reg, off;
		int used = 0;
		if (sscanf(p, "$%u $T0 %u - ^ =%n", &reg, &off, &used) == 2 && used > 0) {
			if (reg < 17 || reg > 24 || f->nsaved >= 8)
				return -1;
			f->save_reg[f->nsaved] = (int)reg - 17;
			f->save_off[f->nsaved] = (int32_t)off;
			f->nsaved++;
			p += used;
			continue;
		}
		p++;
	}
	return 0;
}

/* The innermost record covering rva (latest start). */
static const struct kd_pdb_frame_data *record_at(struct kd_pdb *pdb, uint32_t rva)
{
	const struct kd_pdb_frame_data *fd, *best = NULL;
	size_t n;
	kd_pdb_frame_data(pdb, &fd, &n);
	for (size_t i = 0; i < n; i++)
		if (rva >= fd[i].rva && rva - fd[i].rva < fd[i].code_size && (!best || fd[i].rva >= best->rva))
			best = &fd[i];
	return best;
}

/* A call instruction of the function starting at `start` (a record
 * flagged as a function start) after which the innermost record is the
 * function's deepest one, past its prologue: *call its address,
 * *ret the return address, *rec that record. */
static int find_call(struct sim_machine *m, struct kd_pdb *pdb, uint32_t base, const struct kd_pdb_frame_data *fn,
                     uint32_t *call, uint32_t *ret, const struct kd_pdb_frame_data **rec)
{
	uint32_t size = fn->code_size;
	uint8_t *code = malloc(size ? size : 1);
	if (!code || sim_read(m, base + fn->rva, code, size) != size) {
		free(code);
		return -1;
	}
	csh cs;
	if (cs_open(CS_ARCH_X86, CS_MODE_32, &cs) != CS_ERR_OK) {
		free(code);
		return -1;
	}
	cs_insn *insn;
	size_t count = cs_disasm(cs, code, size, base + fn->rva, 0, &insn);
	int found = -1;
	uint32_t best_saved = 0;
	for (size_t i = 0; i < count; i++) {
		if (insn[i].id != X86_INS_CALL)
			continue;
		uint32_t r = (uint32_t)(insn[i].address + insn[i].size);
		const struct kd_pdb_frame_data *a = record_at(pdb, (uint32_t)insn[i].address - base);
		const struct kd_pdb_frame_data *b = record_at(pdb, r - base);
		/* The call and its return in one record, past its prologue; the
		 * record must be one of this function's own (not a funclet). */
		if (!a || a != b || (a != fn && (a->flags & 4)) || r - base - a->rva < a->prolog_size
		    || r - base >= a->rva + a->code_size)
			continue;
		const char *prog = kd_pdb_string(pdb, a->frame_func);
		if (!prog || strstr(prog, ".raSearchStart"))
			continue;
		if (found < 0 || a->saved_regs_size > best_saved) {
			found = 0;
			best_saved = a->saved_regs_size;
			*call = (uint32_t)insn[i].address;
			*ret = r;
			*rec = a;
		}
	}
	cs_free(insn, count);
	cs_close(&cs);
	free(code);
	return found;
}

static int setup_frame(struct sim_machine *m, const char *spec, struct cframe *f, int first,
                       char *bad, size_t badlen)
{
	char pdbpath[1024];
	memset(f, 0, sizeof *f);
	if (strncmp(spec, "ebp,", 4) == 0) {
		f->ebp_frame = 1;
		f->ip = (uint32_t)strtoul(spec + 4, NULL, 16);
		f->locals = 0x10;
		return 0;
	}
	const char *c1 = strchr(spec, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	if (!c1 || !c2 || (size_t)(c1 - spec) >= sizeof pdbpath) {
		snprintf(bad, badlen, "chain86 frame '%s' is not PDB,BASE,RVA or ebp,ADDR", spec);
		return -1;
	}
	memcpy(pdbpath, spec, (size_t)(c1 - spec));
	pdbpath[c1 - spec] = '\0';
	uint32_t base = (uint32_t)strtoul(c1 + 1, NULL, 16), rva = (uint32_t)strtoul(c2 + 1, NULL, 16);
	struct kd_pdb *pdb;
	char err[256];
	if (kd_pdb_open(pdbpath, &pdb, err, sizeof err) < 0) {
		snprintf(bad, badlen, "chain86: %s", err);
		return -1;
	}
	const struct kd_pdb_frame_data *fd, *fn = NULL, *rec = NULL;
	size_t n;
	kd_pdb_frame_data(pdb, &fd, &n);
	for (size_t i = 0; i < n && !fn; i++)
		if (fd[i].rva == rva && (fd[i].flags & 4))
			fn = &fd[i];
	uint32_t call = 0, ret = 0;
	int rc = -1;
	if (!fn)
		snprintf(bad, badlen, "chain86: no function record at rva %x in %s", rva, pdbpath);
	else if (find_call(m, pdb, base, fn, &call, &ret, &rec) < 0)
		snprintf(bad, badlen, "chain86: no usable call in the function at rva %x", rva);
	else {
		const char *prog = kd_pdb_string(pdb, rec->frame_func);
		f->ebp_frame = strncmp(prog, "$T0 $ebp =", 10) == 0;
		f->ip = first ? call : ret;
		f->locals = rec->locals_size;
		f->saved = rec->saved_regs_size;
		f->params = rec->params_size;
		rc = parse_saves(prog, f);
		if (rc < 0)
			snprintf(bad, badlen, "chain86: unexpected program '%s'", prog);
	}
	kd_pdb_close(pdb);
	return rc;
}

/* --- chain86 image ------------------------------------------------------------- */

#define IMG_FUNCS 64

struct ifunc {
	char name[64];
	uint32_t rva, size;
	int has_fpo;
	uint32_t locals, params;
	uint16_t attrs;
};

static int parse_func(const char *spec, struct ifunc *f)
{
	memset(f, 0, sizeof *f);
	const char *at = strchr(spec, '@');
	if (!at || at == spec || (size_t)(at - spec) >= sizeof f->name)
		return -1;
	memcpy(f->name, spec, (size_t)(at - spec));
	char kind[16] = "";
	unsigned locals = 0, regs = 0, params = 0;
	char bp[8] = "";
	int k = sscanf(at + 1, "%x,%x,%15[a-z],%x,%x,%x,%7s", &f->rva, &f->size, kind, &locals, &regs, &params, bp);
	if (k < 2)
		return -1;
	if (k == 2)
		return 0;
	f->has_fpo = 1;
	if (strcmp(kind, "nonfpo") == 0) {
		f->attrs = 3u << 14 | 1u << 12;
	} else if (strcmp(kind, "trap") == 0) {
		f->attrs = 1u << 14;
	} else if (strcmp(kind, "tss") == 0) {
		f->attrs = 2u << 14;
	} else if (strcmp(kind, "fpo") == 0 && k >= 6 && regs < 8) {
		f->locals = locals;
		f->params = params;
		f->attrs = (uint16_t)(regs << 8 | (strcmp(bp, "bp") == 0 ? 1u << 12 : 0));
	} else {
		return -1;
	}
	return 0;
}

static void put16(struct sim_machine *m, uint32_t addr, uint32_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	sim_write(m, addr, b, 2);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct ifunc *)a)->name, ((const struct ifunc *)b)->name);
}

/* Headers in the first page; the export and debug data in the last one. */
static int image(struct sim_machine *m, char **w, int n, char *bad, size_t badlen)
{
	struct ifunc f[IMG_FUNCS];
	int nf = n - 4;
	uint32_t base = (uint32_t)strtoul(w[2], NULL, 16), size = (uint32_t)strtoul(w[3], NULL, 16);
	if (nf < 1 || nf > IMG_FUNCS || size < 0x3000 || (base & 0xfff) || (size & 0xfff)) {
		snprintf(bad, badlen, "chain86 image BASE SIZE FUNC... (page-aligned, at least 3 pages, 1..%d functions)",
		         IMG_FUNCS);
		return -1;
	}
	for (int i = 0; i < nf; i++) {
		if (parse_func(w[4 + i], &f[i]) < 0 || f[i].rva < 0x1000 || f[i].rva + f[i].size > size - 0x1000) {
			snprintf(bad, badlen, "chain86 image: bad function '%s'", w[4 + i]);
			return -1;
		}
	}
	qsort(f, (size_t)nf, sizeof f[0], cmp_name);
	if (sim_map(m, base, size) < 0)
		return -1;
	uint32_t pe = base + 0x80, opt = pe + 0x18, sec = opt + 0xe0, data = size - 0x1000;
	put16(m, base, 0x5a4d);
	put32(m, base + 0x3c, 0x80);
	put32(m, pe, 0x00004550);
	put16(m, pe + 4, 0x14c);
	put16(m, pe + 6, 1);
	put16(m, pe + 0x14, 0xe0);
	put16(m, pe + 0x16, 0x2102);        /* executable, 32-bit, DLL */
	put16(m, opt, 0x10b);
	put32(m, opt + 0x1c, base);         /* ImageBase */
	put32(m, opt + 0x20, 0x1000);       /* SectionAlignment */
	put32(m, opt + 0x24, 0x200);        /* FileAlignment */
	put32(m, opt + 0x38, size);         /* SizeOfImage */
	put32(m, opt + 0x3c, 0x400);        /* SizeOfHeaders */
	put16(m, opt + 0x44, 1);            /* native subsystem */
	put32(m, opt + 0x5c, 16);           /* NumberOfRvaAndSizes */
	sim_write(m, sec, ".text\0\0\0", 8);
	put32(m, sec + 8, size - 0x1000);   /* VirtualSize */
	put32(m, sec + 12, 0x1000);         /* VirtualAddress */
	put32(m, sec + 16, size - 0x1000);  /* SizeOfRawData */
	put32(m, sec + 20, 0x400);
	put32(m, sec + 36, 0x60000020);     /* code, execute, read */
	/* Export directory, then the function, name and ordinal tables and
	 * the names; then the debug directory and the FPO records. */
	uint32_t exp = data, funcs = exp + 0x28, names = funcs + 4 * (uint32_t)nf,
	         ords = names + 4 * (uint32_t)nf, str = ords + 2 * (uint32_t)nf + 16;
	put32(m, opt + 0x60, exp);
	put32(m, opt + 0x64, 0x28);
	put32(m, base + exp + 12, str);     /* Name */
	sim_write(m, base + str, "image.sys", 10);
	str += 10;
	put32(m, base + exp + 16, 1);       /* Base */
	put32(m, base + exp + 20, (uint32_t)nf);
	put32(m, base + exp + 24, (uint32_t)nf);
	put32(m, base + exp + 28, funcs);
	put32(m, base + exp + 32, names);
	put32(m, base + exp + 36, ords);
	int nfpo = 0;
	for (int i = 0; i < nf; i++) {
		size_t l = strlen(f[i].name) + 1;
		if (str + l > size - 0x400) {
			snprintf(bad, badlen, "chain86 image: names do not fit");
			return -1;
		}
		put32(m, base + funcs + 4 * (uint32_t)i, f[i].rva);
		put32(m, base + names + 4 * (uint32_t)i, str);
		put16(m, base + ords + 2 * (uint32_t)i, (uint32_t)i);
		sim_write(m, base + str, f[i].name, (uint32_t)l);
		str += (uint32_t)l;
		nfpo += f[i].has_fpo;
	}
	uint32_t dbg = (str + 3) & ~3u, fpo = dbg + 28;
	if (fpo + 16 * (uint32_t)nfpo > size) {
		snprintf(bad, badlen, "chain86 image: FPO records do not fit");
		return -1;
	}
	put32(m, opt + 0x60 + 6 * 8, dbg);
	put32(m, opt + 0x64 + 6 * 8, 28);
	put32(m, base + dbg + 12, 3);       /* IMAGE_DEBUG_TYPE_FPO */
	put32(m, base + dbg + 16, 16 * (uint32_t)nfpo);
	put32(m, base + dbg + 20, fpo);     /* AddressOfRawData */
	for (int i = 0; i < nf; i++) {
		if (!f[i].has_fpo)
			continue;
		put32(m, base + fpo, f[i].rva);
		put32(m, base + fpo + 4, f[i].size);
		put32(m, base + fpo + 8, f[i].locals);
		put16(m, base + fpo + 12, f[i].params);
		put16(m, base + fpo + 14, f[i].attrs);
		fpo += 16;
	}
	return 0;
}

int sim_chain_x86(struct sim_machine *m, char **w, int n, char *bad, size_t badlen)
{
	struct cframe fr[MAX_FRAMES];
	if (n >= 2 && strcmp(w[1], "image") == 0)
		return n >= 5 ? image(m, w, n, bad, badlen)
		              : (snprintf(bad, badlen, "chain86 image BASE SIZE FUNC..."), -1);
	int nf = n - 3;
	if (m->machine != KD_MACHINE_I386 || n < 4 || nf > MAX_FRAMES) {
		snprintf(bad, badlen, "chain86 CPU STACK FRAME... (x86 machines, at most %d frames)", MAX_FRAMES);
		return -1;
	}
	unsigned cpu = (unsigned)strtoul(w[1], NULL, 16);
	uint32_t esp = (uint32_t)strtoul(w[2], NULL, 16);
	if (cpu >= m->ncpu) {
		snprintf(bad, badlen, "chain86: no processor %u", cpu);
		return -1;
	}
	for (int i = 0; i < nf; i++)
		if (setup_frame(m, w[3 + i], &fr[i], i == 0, bad, badlen) < 0)
			return -1;
	/* Positions, innermost first: below each frame's locals lie the
	 * arguments it pushed for its callee. */
	for (int i = 0; i < nf; i++) {
		struct cframe *f = &fr[i];
		uint32_t pushed = i > 0 ? fr[i - 1].params : 0;
		f->esp = esp;
		if (f->ebp_frame) {
			int32_t deepest = (int32_t)(f->locals + f->saved);
			for (int k = 0; k < f->nsaved; k++)
				if (f->save_off[k] > deepest)
					deepest = f->save_off[k];
			f->fp = esp + pushed + (uint32_t)deepest + 8;
			f->slot = f->fp + 4;
		} else {
			f->slot = esp + pushed + f->locals + f->saved;
		}
		esp = f->slot + 4;
	}
	if (esp < fr[0].esp || esp - fr[0].esp > 0x100000) {
		snprintf(bad, badlen, "chain86: the frames need more than 1 MB of stack");
		return -1;
	}
	sim_map(m, fr[0].esp, esp + 0x40 - fr[0].esp);
	/* Values, outermost first: the registers each frame sees, the saved
	 * copies of its caller's, the return addresses and the EBP chain. */
	uint32_t reg[NREGS];
	for (int r = 0; r < NREGS; r++)
		reg[r] = 0xc0de0000u | (uint32_t)r;
	reg[R_EBP] = 0;
	for (int i = nf - 1; i >= 0; i--) {
		struct cframe *f = &fr[i];
		put32(m, f->slot, i + 1 < nf ? fr[i + 1].ip : 0);
		/* Its arguments, in the area its caller reserved for them. */
		for (uint32_t k = 0; k < f->params / 4; k++)
			put32(m, f->slot + 4 + 4 * k, 0xa0000000u | (uint32_t)i << 8 | k);
		uint32_t t0 = f->ebp_frame ? f->fp : f->slot;
		for (int k = 0; k < f->nsaved; k++) {
			put32(m, t0 - (uint32_t)f->save_off[k], reg[f->save_reg[k]]);
			reg[f->save_reg[k]] = 0x5a000000u | (uint32_t)i << 8 | (uint32_t)f->save_reg[k];
		}
		if (f->ebp_frame) {
			put32(m, f->fp, reg[R_EBP]);
			reg[R_EBP] = f->fp;
		}
	}
	struct kd_x86_context *x = &m->ctx[cpu].u.x86;
	x->Eax = reg[0]; x->Ecx = reg[1]; x->Edx = reg[2]; x->Ebx = reg[3];
	x->Ebp = reg[R_EBP]; x->Esi = reg[6]; x->Edi = reg[7];
	x->Esp = fr[0].esp;
	x->Eip = fr[0].ip;
	for (int i = 0; i < nf; i++) {
		uint32_t a[3] = { 0, 0, 0 };
		sim_read(m, fr[i].slot + 4, a, sizeof a);
		printf("kdsim: chain86 frame %d %08x %08x %08x %08x %08x %08x\n", i, fr[i].slot - 4,
		       i + 1 < nf ? fr[i + 1].ip : 0, fr[i].ip, a[0], a[1], a[2]);
	}
	fflush(stdout);
	return 0;
}
