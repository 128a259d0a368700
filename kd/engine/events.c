/*
 * Event filters (sx*), exception names and the bugcheck (see events.h).
 *
 * KDDEBUGGER_DATA64 (public wdbgexts.h layout): the header's OwnerTag
 * "KDBG" at +0x10, BreakpointWithStatus at +0x20, KiBugcheckData at
 * +0x88; every field is 64 bits wide, sign-extended on x86 targets.
 * KiBugcheckData holds five pointer-sized values: the code, then the four
 * arguments. DbgKdGetVersionApi's DebuggerDataList points to a LIST_ENTRY
 * whose Flink is the block.
 */
#include "kd/engine/events.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch/frames.h"
#include "base/bytes.h"

#define KDBG_OWNER_TAG 0x10
#define KDBG_BREAKPOINT_WITH_STATUS 0x20
#define KDBG_KI_BUGCHECK_DATA 0x88
#define DBG_STATUS_BUGCHECK_FIRST 3

struct filter_default {
	const char *abbr, *name;
	uint32_t code;
	const char *cont_abbr;
	enum kd_sx state;
	enum kd_sx_cont cont;
};

/* WinDbg's table and defaults, in the order sx lists them. */
static const struct filter_default defaults[] = {
	{ "ct", "Create thread", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "et", "Exit thread", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "cpr", "Create process", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "epr", "Exit process", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "ld", "Load module", 0, NULL, KD_SX_OUTPUT, KD_SX_CONT_NONE },
	{ "ud", "Unload module", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "ser", "System error", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "ibp", "Initial breakpoint", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "iml", "Initial module load", 0, NULL, KD_SX_IGNORE, KD_SX_CONT_NONE },
	{ "out", "Debuggee output", 0, NULL, KD_SX_OUTPUT, KD_SX_CONT_NONE },
	{ "av", "Access violation", 0xc0000005, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "asrt", "Assertion failure", 0xc0000420, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "aph", "Application hang", 0xcfffffff, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "bpe", "Break instruction exception", 0x80000003, "bpec", KD_SX_BREAK, KD_SX_HANDLED },
	{ "eh", "C++ EH exception", 0xe06d7363, NULL, KD_SX_SECOND, KD_SX_NOT_HANDLED },
	{ "clr", "CLR exception", 0xe0434f4d, NULL, KD_SX_SECOND, KD_SX_NOT_HANDLED },
	{ "clrn", "CLR notification exception", 0xe0444143, NULL, KD_SX_SECOND, KD_SX_HANDLED },
	{ "cce", "Control-Break exception", 0x40010008, "cc", KD_SX_BREAK, KD_SX_HANDLED },
	{ "dm", "Data misaligned", 0x80000002, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "dbce", "Debugger command exception", 0x40010009, NULL, KD_SX_IGNORE, KD_SX_HANDLED },
	{ "gp", "Guard page violation", 0x80000001, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "ii", "Illegal instruction", 0xc000001d, NULL, KD_SX_SECOND, KD_SX_NOT_HANDLED },
	{ "ip", "In-page I/O error", 0xc0000006, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "dz", "Integer divide-by-zero", 0xc0000094, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "iov", "Integer overflow", 0xc0000095, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "ch", "Invalid handle", 0xc0000008, "hc", KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "lsq", "Invalid lock sequence", 0xc000001e, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "isc", "Invalid system call", 0xc000001c, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "3c", "Port disconnected", 0xc0000037, NULL, KD_SX_SECOND, KD_SX_NOT_HANDLED },
	{ "sse", "Single step exception", 0x80000004, "ssec", KD_SX_BREAK, KD_SX_HANDLED },
	{ "sbo", "Security check failure or stack buffer overrun", 0xc0000409, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "sov", "Stack overflow", 0xc00000fd, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "vs", "Verifier stop", 0xc0000421, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "vcpp", "Visual C++ exception", 0x406d1388, NULL, KD_SX_IGNORE, KD_SX_HANDLED },
	{ "wkd", "Wake debugger", 0x80000007, NULL, KD_SX_BREAK, KD_SX_NOT_HANDLED },
	{ "*", "Other exception", 0, NULL, KD_SX_SECOND, KD_SX_NOT_HANDLED },
};

void kd_events_init(struct kd_events *e)
{
	memset(e, 0, sizeof *e);
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0] && i < KD_SX_MAX_FILTERS; i++) {
		struct kd_sx_filter *f = &e->f[e->n++];
		f->abbr = defaults[i].abbr;
		f->name = defaults[i].name;
		f->code = defaults[i].code;
		f->exception = defaults[i].code != 0 || strcmp(defaults[i].abbr, "*") == 0;
		f->cont_abbr = defaults[i].cont_abbr;
		f->state = defaults[i].state;
		f->cont = defaults[i].cont;
	}
}

const char *kd_sx_name(enum kd_sx s)
{
	switch (s) {
	case KD_SX_BREAK: return "break";
	case KD_SX_SECOND: return "second-chance break";
	case KD_SX_OUTPUT: return "output";
	case KD_SX_IGNORE: return "ignore";
	}
	return "?";
}

static struct kd_sx_filter *find_abbr(struct kd_events *e, const char *abbr, size_t len)
{
	for (size_t i = 0; i < e->n; i++)
		if (strlen(e->f[i].abbr) == len && strncasecmp(e->f[i].abbr, abbr, len) == 0)
			return &e->f[i];
	return NULL;
}

static struct kd_sx_filter *find_code(struct kd_events *e, uint32_t code)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->f[i].exception && e->f[i].code == code && code != 0)
			return &e->f[i];
	return NULL;
}

int kd_events_set(struct kd_events *e, enum kd_sx state, const char *spec, char *err, size_t errlen)
{
	while (*spec == ' ' || *spec == '\t')
		spec++;
	size_t len = strcspn(spec, ": \t");
	if (len == 0)
		return kd_fail(err, errlen, KD_EINVAL, "name an event: an abbreviation (av, ld, ud, bpe...) or an exception code");
	const char *arg = spec[len] == ':' ? spec + len + 1 : NULL;
	const char *rest = arg ? arg + strcspn(arg, " \t") : spec + len;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest)
		return kd_fail(err, errlen, KD_EINVAL, "unexpected text '%.40s'", rest);
	struct kd_sx_filter *f = find_abbr(e, spec, len);
	if (!f) {
		/* An exception code, hex with or without 0x. */
		char *end;
		const char *num = spec;
		if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X'))
			num += 2;
		unsigned long long v = strtoull(num, &end, 16);
		if (end == num || (size_t)(end - spec) != len || v > 0xffffffffull || v == 0)
			return kd_fail(err, errlen, KD_EINVAL, "'%.*s' is neither an event name nor an exception code", (int)len, spec);
		f = find_code(e, (uint32_t)v);
		if (!f) {
			for (size_t i = 0; i < e->ncodes; i++) {
				if (e->codes[i].code == (uint32_t)v) {
					e->codes[i].state = state;
					return 0;
				}
			}
			if (e->ncodes >= KD_SX_MAX_CODES)
				return kd_fail(err, errlen, KD_EINVAL, "too many exception codes set (at most %d)", KD_SX_MAX_CODES);
			e->codes[e->ncodes].code = (uint32_t)v;
			e->codes[e->ncodes].state = state;
			e->codes[e->ncodes].cont = KD_SX_NOT_HANDLED;
			e->ncodes++;
			return 0;
		}
	}
	if (arg) {
		if (strcmp(f->abbr, "ld") != 0 && strcmp(f->abbr, "ud") != 0)
			return kd_fail(err, errlen, KD_EINVAL, "only ld and ud take a module name");
		size_t alen = strcspn(arg, " \t");
		if (alen == 0 || alen >= sizeof f->arg)
			return kd_fail(err, errlen, KD_EINVAL, "bad module name after '%s:'", f->abbr);
		memcpy(f->arg, arg, alen);
		f->arg[alen] = '\0';
	} else {
		f->arg[0] = '\0';
	}
	f->state = state;
	return 0;
}

enum kd_sx kd_events_exception(const struct kd_events *e, uint32_t code, enum kd_sx_cont *cont)
{
	const struct kd_sx_filter *other = NULL;
	for (size_t i = 0; i < e->n; i++) {
		const struct kd_sx_filter *f = &e->f[i];
		if (f->exception && f->code == code && code != 0) {
			if (cont)
				*cont = f->cont;
			return f->state;
		}
		if (strcmp(f->abbr, "*") == 0)
			other = f;
	}
	for (size_t i = 0; i < e->ncodes; i++) {
		if (e->codes[i].code == code) {
			if (cont)
				*cont = e->codes[i].cont;
			return e->codes[i].state;
		}
	}
	if (cont)
		*cont = other ? other->cont : KD_SX_NOT_HANDLED;
	return other ? other->state : KD_SX_SECOND;
}

/* A module argument names the module with or without its extension. */
static int module_matches(const char *arg, const char *name)
{
	if (!arg[0])
		return 1;
	size_t n = strlen(name);
	if (strncasecmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '.'))
		return 1;
	return 0;
}

enum kd_sx kd_events_module(const struct kd_events *e, int unload, const char *name)
{
	const char *abbr = unload ? "ud" : "ld";
	for (size_t i = 0; i < e->n; i++) {
		const struct kd_sx_filter *f = &e->f[i];
		if (strcmp(f->abbr, abbr) != 0)
			continue;
		/* With a module name, other modules get the default treatment. */
		if (f->state == KD_SX_BREAK && !module_matches(f->arg, name))
			return unload ? KD_SX_IGNORE : KD_SX_OUTPUT;
		return f->state;
	}
	return KD_SX_IGNORE;
}

void kd_events_list(const struct kd_events *e, void (*fn)(void *ctx, const char *line), void *ctx)
{
	char line[256];
	int first_exception = 1;
	for (size_t i = 0; i < e->n; i++) {
		const struct kd_sx_filter *f = &e->f[i];
		if (f->exception && first_exception) {
			fn(ctx, "");
			first_exception = 0;
		}
		if (!f->exception) {
			snprintf(line, sizeof line, "%4s - %s - %s", f->abbr, f->name, kd_sx_name(f->state));
			fn(ctx, line);
			if (f->arg[0] && f->state == KD_SX_BREAK) {
				snprintf(line, sizeof line, "       (only break for %s)", f->arg);
				fn(ctx, line);
			}
			continue;
		}
		if (f->cont_abbr) {
			snprintf(line, sizeof line, "%4s - %s - %s", f->abbr, f->name, kd_sx_name(f->state));
			fn(ctx, line);
			snprintf(line, sizeof line, "%4s - %s continue - %s", f->cont_abbr, f->name,
			         f->cont == KD_SX_HANDLED ? "handled" : "not handled");
			fn(ctx, line);
			continue;
		}
		if (strcmp(f->abbr, "*") == 0 && i + 1 == e->n)
			fn(ctx, "");
		snprintf(line, sizeof line, "%4s - %s - %s - %s", f->abbr, f->name, kd_sx_name(f->state),
		         f->cont == KD_SX_HANDLED ? "handled" : "not handled");
		fn(ctx, line);
	}
	if (e->ncodes) {
		fn(ctx, "       Exception option for:");
		for (size_t i = 0; i < e->ncodes; i++) {
			snprintf(line, sizeof line, "           %08x - %s - %s", e->codes[i].code,
			         kd_sx_name(e->codes[i].state),
			         e->codes[i].cont == KD_SX_HANDLED ? "handled" : "not handled");
			fn(ctx, line);
		}
	}
}

const char *kd_event_exception_name(uint32_t code)
{
	const char *n = kd_exception_name(code);
	if (n)
		return n;
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (defaults[i].code == code && code)
			return defaults[i].name;
	return "Unknown exception";
}

/* --- the bugcheck ------------------------------------------------------- */

/* A KDDEBUGGER_DATA64 field: 64 bits, truncated to 32 on x86 targets. */
static int kdbg_field(struct kd_engine *eng, uint64_t block, unsigned off, uint64_t *v)
{
	uint8_t b[8];
	size_t done = 0;
	if (kd_read_virtual(eng, block + off, b, 8, &done) < 0 || done != 8)
		return KD_EUNREADABLE;
	uint64_t x = kd_le64(b);
	if (!kd_engine_is_64bit(eng))
		x &= 0xffffffffull;
	*v = x;
	return 0;
}

int kd_events_find_kdbg(struct kd_engine *eng, uint64_t *block)
{
	struct kd_version v;
	if (kd_engine_version(eng, &v) < 0 || !v.debugger_data_list)
		return KD_ENOTFOUND;
	uint64_t list = v.debugger_data_list;
	if (!kd_engine_is_64bit(eng))
		list &= 0xffffffffull;
	uint64_t flink;
	if (kd_read_pointer(eng, list, &flink) < 0)
		return KD_ENOTFOUND;
	char tag[4];
	size_t done = 0;
	if (kd_read_virtual(eng, flink + KDBG_OWNER_TAG, tag, 4, &done) < 0 || done != 4 ||
	    memcmp(tag, "KDBG", 4) != 0)
		return KD_ENOTFOUND;
	*block = flink;
	return 0;
}

int kd_events_read_bugcheck(struct kd_engine *eng, struct kd_bugcheck *bc)
{
	uint64_t block, data;
	memset(bc, 0, sizeof *bc);
	if (kd_events_find_kdbg(eng, &block) < 0 || kdbg_field(eng, block, KDBG_KI_BUGCHECK_DATA, &data) < 0 || !data)
		return KD_ENOTFOUND;
	unsigned ps = kd_engine_pointer_size(eng);
	uint64_t v[5];
	for (unsigned i = 0; i < 5; i++)
		if (kd_read_pointer(eng, data + i * ps, &v[i]) < 0)
			return KD_ENOTFOUND;
	if ((uint32_t)v[0] == 0)
		return KD_ENOTFOUND;
	bc->code = (uint32_t)v[0];
	for (unsigned i = 0; i < 4; i++)
		bc->args[i] = v[i + 1];
	return 0;
}

int kd_events_is_bugcheck(struct kd_engine *eng, const struct kd_stop_event *ev, struct kd_bugcheck *bc)
{
	if (ev->kind != KD_STOP_EXCEPTION || ev->code != 0x80000003)
		return 0;
	uint64_t block, bp;
	if (kd_events_find_kdbg(eng, &block) < 0 || kdbg_field(eng, block, KDBG_BREAKPOINT_WITH_STATUS, &bp) < 0)
		return 0;
	uint64_t at = kd_engine_is_64bit(eng) ? ev->address : ev->address & 0xffffffffull;
	if (!bp || at != bp)
		return 0;
	struct kd_context c;
	if (kd_get_context(eng, &c) < 0)
		return 0;
	/* The status DbgBreakPointWithStatus passes: ecx on x64, eax on x86. */
	uint64_t status = c.machine == KD_MACHINE_AMD64 ? c.u.x64.Rcx : c.u.x86.Eax;
	if ((uint32_t)status != DBG_STATUS_BUGCHECK_FIRST)
		return 0;
	return kd_events_read_bugcheck(eng, bc) == 0;
}

void kd_events_print_bugcheck(struct kd_engine *eng, const struct kd_bugcheck *bc)
{
	int w = kd_engine_is_64bit(eng) ? 16 : 8;
	uint64_t mask = w == 16 ? ~0ull : 0xffffffffull;
	kd_printf(eng, "\n*** Fatal System Error: 0x%08x\n", bc->code);
	kd_printf(eng, "                       (0x%0*llX,0x%0*llX,0x%0*llX,0x%0*llX)\n\n",
	          w, (unsigned long long)(bc->args[0] & mask), w, (unsigned long long)(bc->args[1] & mask),
	          w, (unsigned long long)(bc->args[2] & mask), w, (unsigned long long)(bc->args[3] & mask));
	kd_printf(eng, "Break instruction exception - code 80000003 (first chance)\n\n");
	kd_printf(eng, "A fatal system error has occurred.\n");
	kd_printf(eng, "Debugger entered on first try; Bugcheck callbacks have not been invoked.\n\n");
	kd_printf(eng, "A fatal system error has occurred.\n\n");
}
