/*
 * kdsim scenario files (see scenario.h). One directive a line, numbers in
 * hex, '#' starts a comment:
 *
 *   module NAME BASE SIZE PATH          a module reported at boot
 *   bytes ADDR HH HH ...                bytes at ADDR
 *   u32 ADDR V ...  /  u64 ADDR V ...   little-endian values at ADDR
 *   struct TYPE ADDR FIELD=V ...        a structure at ADDR, other fields 0
 *   cpu N FIELD=V ...                   processor N's CONTEXT registers
 *   gdtr BASE LIMIT                     every processor's GDTR (x86)
 *   chain86 CPU STACK FRAME...          an x86 call chain through mapped images
 *                                       (tests/kdsim/chain_x86.c)
 *   chain64 CPU RSP FRAME...            an x64 call chain through mapped images
 *                                       (tests/kdsim/chain_x64.c)
 *   kdbg OFFSET VALUE                   a KDDEBUGGER_DATA64 field (0x50
 *                                       PsActiveProcessHead, 0x218 KiProcessorBlock)
 *   processor N KPCR KPRCB              processor N's objects (x64 control
 *                                       space items 0 and 1)
 *   image FILE BASE / event ...         a PE file mapped / what the running
 *                                       target does (tests/kdsim/script.c)
 *
 * TYPE is x86_context, x64_context, x86_ktrap_frame, x64_ktrap_frame,
 * x86_ktss, exception_record32 or exception_record64; FIELD is the public
 * structure's field name (ExceptionInformation0..3 for the parameters).
 */
#include "tests/kdsim/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch/frames.h"
#include "base/error.h"
#include "tests/kdsim/chain_x64.h"
#include "tests/kdsim/chain_x86.h"
#include "tests/kdsim/script.h"

struct field {
	const char *name;
	size_t off, size;
};

#define F(type, name) { #name, offsetof(type, name), sizeof(((type *)0)->name) }
#define FA(type, name, i) { #name #i, offsetof(type, name[i]), sizeof(((type *)0)->name[i]) }

static const struct field x86_context_fields[] = {
	F(struct kd_x86_context, ContextFlags), F(struct kd_x86_context, Dr0), F(struct kd_x86_context, Dr7),
	F(struct kd_x86_context, SegGs), F(struct kd_x86_context, SegFs), F(struct kd_x86_context, SegEs),
	F(struct kd_x86_context, SegDs), F(struct kd_x86_context, Edi), F(struct kd_x86_context, Esi),
	F(struct kd_x86_context, Ebx), F(struct kd_x86_context, Edx), F(struct kd_x86_context, Ecx),
	F(struct kd_x86_context, Eax), F(struct kd_x86_context, Ebp), F(struct kd_x86_context, Eip),
	F(struct kd_x86_context, SegCs), F(struct kd_x86_context, EFlags), F(struct kd_x86_context, Esp),
	F(struct kd_x86_context, SegSs), { NULL, 0, 0 },
};

static const struct field x64_context_fields[] = {
	F(struct kd_x64_context, ContextFlags), F(struct kd_x64_context, SegCs), F(struct kd_x64_context, SegDs),
	F(struct kd_x64_context, SegEs), F(struct kd_x64_context, SegFs), F(struct kd_x64_context, SegGs),
	F(struct kd_x64_context, SegSs), F(struct kd_x64_context, EFlags), F(struct kd_x64_context, Rax),
	F(struct kd_x64_context, Rcx), F(struct kd_x64_context, Rdx), F(struct kd_x64_context, Rbx),
	F(struct kd_x64_context, Rsp), F(struct kd_x64_context, Rbp), F(struct kd_x64_context, Rsi),
	F(struct kd_x64_context, Rdi), F(struct kd_x64_context, R8), F(struct kd_x64_context, R9),
	F(struct kd_x64_context, R10), F(struct kd_x64_context, R11), F(struct kd_x64_context, R12),
	F(struct kd_x64_context, R13), F(struct kd_x64_context, R14), F(struct kd_x64_context, R15),
	F(struct kd_x64_context, Rip), { NULL, 0, 0 },
};

static const struct field x86_trap_fields[] = {
	F(struct kd_x86_ktrap_frame, SegGs), F(struct kd_x86_ktrap_frame, SegEs), F(struct kd_x86_ktrap_frame, SegDs),
	F(struct kd_x86_ktrap_frame, Edx), F(struct kd_x86_ktrap_frame, Ecx), F(struct kd_x86_ktrap_frame, Eax),
	F(struct kd_x86_ktrap_frame, SegFs), F(struct kd_x86_ktrap_frame, Edi), F(struct kd_x86_ktrap_frame, Esi),
	F(struct kd_x86_ktrap_frame, Ebx), F(struct kd_x86_ktrap_frame, Ebp), F(struct kd_x86_ktrap_frame, ErrCode),
	F(struct kd_x86_ktrap_frame, Eip), F(struct kd_x86_ktrap_frame, SegCs), F(struct kd_x86_ktrap_frame, EFlags),
	F(struct kd_x86_ktrap_frame, HardwareEsp), F(struct kd_x86_ktrap_frame, HardwareSegSs), { NULL, 0, 0 },
};

static const struct field x64_trap_fields[] = {
	F(struct kd_x64_ktrap_frame, PreviousMode), F(struct kd_x64_ktrap_frame, Rax), F(struct kd_x64_ktrap_frame, Rcx),
	F(struct kd_x64_ktrap_frame, Rdx), F(struct kd_x64_ktrap_frame, R8), F(struct kd_x64_ktrap_frame, R9),
	F(struct kd_x64_ktrap_frame, R10), F(struct kd_x64_ktrap_frame, R11), F(struct kd_x64_ktrap_frame, FaultAddress),
	F(struct kd_x64_ktrap_frame, SegDs), F(struct kd_x64_ktrap_frame, SegEs), F(struct kd_x64_ktrap_frame, SegFs),
	F(struct kd_x64_ktrap_frame, SegGs), F(struct kd_x64_ktrap_frame, Rbx), F(struct kd_x64_ktrap_frame, Rdi),
	F(struct kd_x64_ktrap_frame, Rsi), F(struct kd_x64_ktrap_frame, Rbp), F(struct kd_x64_ktrap_frame, ErrorCode),
	F(struct kd_x64_ktrap_frame, Rip), F(struct kd_x64_ktrap_frame, SegCs), F(struct kd_x64_ktrap_frame, EFlags),
	F(struct kd_x64_ktrap_frame, Rsp), F(struct kd_x64_ktrap_frame, SegSs), { NULL, 0, 0 },
};

static const struct field x86_tss_fields[] = {
	F(struct kd_x86_ktss, Cr3), F(struct kd_x86_ktss, Eip), F(struct kd_x86_ktss, EFlags),
	F(struct kd_x86_ktss, Eax), F(struct kd_x86_ktss, Ecx), F(struct kd_x86_ktss, Edx),
	F(struct kd_x86_ktss, Ebx), F(struct kd_x86_ktss, Esp), F(struct kd_x86_ktss, Ebp),
	F(struct kd_x86_ktss, Esi), F(struct kd_x86_ktss, Edi), F(struct kd_x86_ktss, Es),
	F(struct kd_x86_ktss, Cs), F(struct kd_x86_ktss, Ss), F(struct kd_x86_ktss, Ds),
	F(struct kd_x86_ktss, Fs), F(struct kd_x86_ktss, Gs), { NULL, 0, 0 },
};

static const struct field exr32_fields[] = {
	F(struct kd_exception_record32, ExceptionCode), F(struct kd_exception_record32, ExceptionFlags),
	F(struct kd_exception_record32, ExceptionRecord), F(struct kd_exception_record32, ExceptionAddress),
	F(struct kd_exception_record32, NumberParameters),
	FA(struct kd_exception_record32, ExceptionInformation, 0), FA(struct kd_exception_record32, ExceptionInformation, 1),
	FA(struct kd_exception_record32, ExceptionInformation, 2), FA(struct kd_exception_record32, ExceptionInformation, 3),
	{ NULL, 0, 0 },
};

static const struct field exr64_fields[] = {
	F(struct kd_exception_record64, ExceptionCode), F(struct kd_exception_record64, ExceptionFlags),
	F(struct kd_exception_record64, ExceptionRecord), F(struct kd_exception_record64, ExceptionAddress),
	F(struct kd_exception_record64, NumberParameters),
	FA(struct kd_exception_record64, ExceptionInformation, 0), FA(struct kd_exception_record64, ExceptionInformation, 1),
	FA(struct kd_exception_record64, ExceptionInformation, 2), FA(struct kd_exception_record64, ExceptionInformation, 3),
	{ NULL, 0, 0 },
};

static const struct {
	const char *name;
	size_t size;
	const struct field *fields;
} types[] = {
	{ "x86_context", sizeof(struct kd_x86_context), x86_context_fields },
	{ "x64_context", sizeof(struct kd_x64_context), x64_context_fields },
	{ "x86_ktrap_frame", sizeof(struct kd_x86_ktrap_frame), x86_trap_fields },
	{ "x64_ktrap_frame", sizeof(struct kd_x64_ktrap_frame), x64_trap_fields },
	{ "x86_ktss", sizeof(struct kd_x86_ktss), x86_tss_fields },
	{ "exception_record32", sizeof(struct kd_exception_record32), exr32_fields },
	{ "exception_record64", sizeof(struct kd_exception_record64), exr64_fields },
};

static int parse_num(const char *s, uint64_t *v)
{
	char *end;
	if (!*s)
		return -1;
	*v = strtoull(s, &end, 16);
	return *end ? -1 : 0;
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* FIELD=V words into the structure image buf. */
static int set_fields(const struct field *fields, uint8_t *buf, char **words, int nwords, char *bad, size_t badlen)
{
	for (int i = 0; i < nwords; i++) {
		char *eq = strchr(words[i], '=');
		uint64_t v;
		if (!eq) {
			snprintf(bad, badlen, "'%s' is not FIELD=VALUE", words[i]);
			return -1;
		}
		*eq = '\0';
		const struct field *f = fields;
		while (f->name && strcasecmp(f->name, words[i]) != 0)
			f++;
		if (!f->name || parse_num(eq + 1, &v) < 0) {
			snprintf(bad, badlen, "unknown field or bad value '%s=%s'", words[i], eq + 1);
			return -1;
		}
		put_le(buf + f->off, v, f->size);
	}
	return 0;
}

static int write_mem(struct sim_machine *m, uint64_t addr, const void *data, size_t len)
{
	if (sim_map(m, addr, len) < 0)
		return -1;
	return sim_write(m, addr, data, (uint32_t)len) == len ? 0 : -1;
}

static int load_line(struct sim_machine *m, char **w, int n, char *bad, size_t badlen)
{
	uint64_t a, b;
	if (strcmp(w[0], "module") == 0) {
		if (n != 5 || parse_num(w[2], &a) < 0 || parse_num(w[3], &b) < 0 ||
		    m->nmodules >= sizeof m->modules / sizeof m->modules[0]) {
			snprintf(bad, badlen, "module NAME BASE SIZE PATH");
			return -1;
		}
		/* A scenario's modules replace the synthetic machine's. */
		if (!m->scenario_modules) {
			m->nmodules = 0;
			m->scenario_modules = 1;
		}
		struct sim_module *mod = &m->modules[m->nmodules++];
		memset(mod, 0, sizeof *mod);
		snprintf(mod->path, sizeof mod->path, "%s", w[4]);
		mod->base = a;
		mod->size = (uint32_t)b;
		return sim_map(m, a, SIM_PAGE);
	}
	if (strcmp(w[0], "bytes") == 0 || strcmp(w[0], "u32") == 0 || strcmp(w[0], "u64") == 0) {
		size_t unit = w[0][0] == 'b' ? 1 : w[0][1] == '3' ? 4 : 8;
		uint8_t buf[512];
		size_t len = 0;
		if (n < 3 || parse_num(w[1], &a) < 0) {
			snprintf(bad, badlen, "%s ADDR VALUE...", w[0]);
			return -1;
		}
		for (int i = 2; i < n && len + unit <= sizeof buf; i++) {
			if (parse_num(w[i], &b) < 0) {
				snprintf(bad, badlen, "bad value '%s'", w[i]);
				return -1;
			}
			put_le(buf + len, b, unit);
			len += unit;
		}
		return write_mem(m, a, buf, len);
	}
	if (strcmp(w[0], "struct") == 0) {
		size_t t = 0;
		while (t < sizeof types / sizeof types[0] && (n < 2 || strcmp(types[t].name, w[1]) != 0))
			t++;
		if (t == sizeof types / sizeof types[0] || n < 3 || parse_num(w[2], &a) < 0) {
			snprintf(bad, badlen, "struct TYPE ADDR FIELD=VALUE... (unknown type?)");
			return -1;
		}
		uint8_t buf[sizeof(struct kd_x64_context)];
		memset(buf, 0, sizeof buf);
		if (set_fields(types[t].fields, buf, w + 3, n - 3, bad, badlen) < 0)
			return -1;
		return write_mem(m, a, buf, types[t].size);
	}
	if (strcmp(w[0], "cpu") == 0) {
		if (n < 2 || parse_num(w[1], &a) < 0 || a >= m->ncpu) {
			snprintf(bad, badlen, "cpu N FIELD=VALUE... (N below the processor count)");
			return -1;
		}
		const struct field *f = m->machine == KD_MACHINE_AMD64 ? x64_context_fields : x86_context_fields;
		return set_fields(f, m->ctx[a].u.raw, w + 2, n - 2, bad, badlen);
	}
	if (strcmp(w[0], "gdtr") == 0) {
		if (n != 3 || parse_num(w[1], &a) < 0 || parse_num(w[2], &b) < 0 || m->machine != KD_MACHINE_I386) {
			snprintf(bad, badlen, "gdtr BASE LIMIT (x86 machines)");
			return -1;
		}
		/* KSPECIAL_REGISTERS follows the CONTEXT in KPROCESSOR_STATE. */
		for (unsigned i = 0; i < m->ncpu; i++) {
			uint8_t *sr = m->control[i] + sizeof(struct kd_x86_context);
			put_le(sr + offsetof(struct kd_x86_special_registers, GdtrLimit), b, 2);
			put_le(sr + offsetof(struct kd_x86_special_registers, GdtrBase), a, 4);
		}
		return 0;
	}
	if (strcmp(w[0], "kdbg") == 0) {
		if (n != 3 || parse_num(w[1], &a) < 0 || parse_num(w[2], &b) < 0 || a + 8 > 0x380 ||
		    m->nkdbg_set >= sizeof m->kdbg_set / sizeof m->kdbg_set[0]) {
			snprintf(bad, badlen, "kdbg OFFSET VALUE (an offset into KDDEBUGGER_DATA64)");
			return -1;
		}
		m->kdbg_set[m->nkdbg_set].offset = (uint16_t)a;
		m->kdbg_set[m->nkdbg_set++].value = b;
		return 0;
	}
	if (strcmp(w[0], "processor") == 0) {
		uint64_t c;
		if (n != 4 || parse_num(w[1], &c) < 0 || c >= m->ncpu || parse_num(w[2], &a) < 0 || parse_num(w[3], &b) < 0) {
			snprintf(bad, badlen, "processor N KPCR KPRCB (N below the processor count)");
			return -1;
		}
		m->pcr[c] = a;
		m->prcb[c] = b;
		return 0;
	}
	if (strcmp(w[0], "image") == 0 || strcmp(w[0], "event") == 0)
		return sim_script_directive(m, w, n, bad, badlen);
	if (strcmp(w[0], "chain86") == 0)
		return sim_chain_x86(m, w, n, bad, badlen);
	if (strcmp(w[0], "chain64") == 0)
		return sim_chain_x64(m, w, n, bad, badlen);
	snprintf(bad, badlen, "unknown directive '%s'", w[0]);
	return -1;
}

int sim_scenario_load(struct sim_machine *m, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return kd_fail(err, errlen, KD_EIO, "cannot open %s", path);
	char line[4096];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *w[128];
		int n = 0;
		for (char *tok = strtok(line, " \t\r\n"); tok && n < 128; tok = strtok(NULL, " \t\r\n"))
			w[n++] = tok;
		if (n == 0)
			continue;
		char bad[256] = "cannot map memory";
		if (load_line(m, w, n, bad, sizeof bad) < 0) {
			fclose(f);
			return kd_fail(err, errlen, KD_EFORMAT, "%s:%d: %s", path, lineno, bad);
		}
	}
	fclose(f);
	return 0;
}
