/*
 * Memory commands in WinDbg's syntax and layout: db dw dd dq dp dc da du
 * (display), dps dpp dpa dpu (pointers with symbols or strings), eb ew ed
 * eq (edit).
 * Unreadable memory shows as question marks, never as zeros.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "kd/commands/command.h"

/* Where a display command without an address continues. */
struct memory_state {
	uint64_t next;
	char last[8];
};

static struct memory_state *state_of(struct kd_engine *eng)
{
	return kd_engine_ext_zalloc(eng, "memory", sizeof(struct memory_state));
}

static int report(struct kd_engine *eng, int rc, const char *what)
{
	if (rc == KD_EINVAL)
		kd_eprintf(eng, "Syntax error in '%s'\n", what);
	else if (rc < 0)
		kd_eprintf(eng, "%s: %s\n", what, kd_strerror(rc));
	return rc;
}

static unsigned unit_of(struct kd_engine *eng, char c)
{
	switch (c) {
	case 'b': case 'a': case 'c': return c == 'c' ? 4 : 1;
	case 'w': case 'u': return 2;
	case 'd': return 4;
	case 'q': return 8;
	case 'p': return kd_engine_pointer_size(eng);
	}
	return 1;
}

/* One value of `unit` bytes as WinDbg prints it, or question marks. */
static void format_value(char *buf, size_t n, const uint8_t *p, unsigned unit, int readable)
{
	if (!readable) {
		snprintf(buf, n, "%s", unit == 1 ? "??" : unit == 2 ? "????" : unit == 4 ? "????????" : "????????`????????");
		return;
	}
	uint64_t v = kd_le(p, unit);
	switch (unit) {
	case 1: snprintf(buf, n, "%02x", (unsigned)v); break;
	case 2: snprintf(buf, n, "%04x", (unsigned)v); break;
	case 4: snprintf(buf, n, "%08x", (unsigned)v); break;
	default: snprintf(buf, n, "%08x`%08x", (unsigned)(v >> 32), (unsigned)v); break;
	}
}

static char printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '.';
}

/* db dw dd dq dp dc: rows of values, with characters for db and dc. */
static int display_values(struct kd_engine *eng, char kind, uint64_t addr, uint64_t count)
{
	unsigned unit = unit_of(eng, kind);
	unsigned per_line = kind == 'b' || kind == 'c' ? 16 / unit : 16 / unit;
	uint64_t bytes = count * unit;
	uint8_t *buf = malloc(bytes ? bytes : 1);
	if (!buf)
		return KD_ENOMEM;
	size_t done = 0;
	int rc = kd_read_virtual(eng, addr, buf, bytes, &done);
	if (rc < 0 && rc != KD_EUNREADABLE) {
		free(buf);
		return rc;
	}
	char line[512], a[20], v[24];
	for (uint64_t i = 0; i < count && !kd_engine_canceled(eng); i += per_line) {
		uint64_t la = addr + i * unit;
		int len = snprintf(line, sizeof line, "%s ", kd_format_addr(eng, la, a));
		uint64_t n = count - i < per_line ? count - i : per_line;
		for (uint64_t j = 0; j < n; j++) {
			uint64_t off = (i + j) * unit;
			format_value(v, sizeof v, buf + off, unit, off + unit <= done);
			char sep = (kind == 'b' && j == 8) ? '-' : ' ';
			len += snprintf(line + len, sizeof line - len, "%c%s", sep, v);
		}
		if (kind == 'b' || kind == 'c') {
			/* pad a short last row so the characters line up */
			for (uint64_t j = n; j < per_line; j++)
				len += snprintf(line + len, sizeof line - len, "%*s", kind == 'b' ? 3 : 9, "");
			len += snprintf(line + len, sizeof line - len, "  ");
			for (uint64_t j = 0; j < n * unit; j++) {
				uint64_t off = i * unit + j;
				line[len++] = off < done ? printable(buf[off]) : '?';
			}
			line[len] = '\0';
		}
		kd_printf(eng, "%s\n", line);
	}
	free(buf);
	struct memory_state *st = state_of(eng);
	if (st)
		st->next = addr + count * unit;
	return 0;
}

/* da du: a string up to its terminator or the count, `width` characters
 * a line (/c Width; 32 by default). */
static int display_string(struct kd_engine *eng, char kind, uint64_t addr, uint64_t count, unsigned width)
{
	unsigned unit = kind == 'u' ? 2 : 1;
	char a[20];
	uint64_t i = 0;
	int ended = 0;
	while (i < count && !ended && !kd_engine_canceled(eng)) {
		char text[1024];
		int n = 0;
		uint64_t start = addr + i * unit;
		int unreadable = 0;
		while ((unsigned)n < width && i < count) {
			uint8_t c[2] = {0, 0};
			size_t done = 0;
			kd_read_virtual(eng, addr + i * unit, c, unit, &done);
			if (done < unit) {
				unreadable = 1;
				break;
			}
			uint16_t ch = (uint16_t)kd_le(c, unit);
			i++;
			if (ch == 0) {
				ended = 1;
				break;
			}
			text[n++] = ch < 0x80 ? printable((uint8_t)ch) : '.';
		}
		text[n] = '\0';
		if (n || (!unreadable && start == addr))
			kd_printf(eng, "%s  \"%s\"\n", kd_format_addr(eng, start, a), text);
		if (unreadable) {
			kd_printf(eng, "%s  ????\n", kd_format_addr(eng, addr + i * unit, a));
			break;
		}
	}
	struct memory_state *st = state_of(eng);
	if (st)
		st->next = addr + i * unit;
	return 0;
}

/* The string at p for dpa/dpu: up to 256 characters, "" when unreadable. */
static void pointed_string(struct kd_engine *eng, uint64_t p, unsigned unit, char *out, size_t n)
{
	size_t k = 0;
	for (unsigned i = 0; i < 256 && k + 1 < n; i++) {
		uint8_t c[2] = { 0, 0 };
		size_t done = 0;
		if (kd_read_virtual(eng, p + (uint64_t)i * unit, c, unit, &done) < 0 || done < unit)
			break;
		uint16_t ch = (uint16_t)kd_le(c, unit);
		if (!ch)
			break;
		out[k++] = ch < 0x80 ? printable((uint8_t)ch) : '.';
	}
	out[k] = 0;
}

/* dps dpp dpa dpu: one pointer a line, with its symbol (dpp: the value it
 * points at; dpa/dpu: the ASCII/Unicode string it points at). */
static int display_pointers(struct kd_engine *eng, int deref, uint64_t addr, uint64_t count)
{
	unsigned ps = kd_engine_pointer_size(eng);
	char a[20], v[24], w[24], sym[512];
	for (uint64_t i = 0; i < count && !kd_engine_canceled(eng); i++) {
		uint64_t la = addr + i * ps;
		uint8_t b[8];
		size_t done = 0;
		kd_read_virtual(eng, la, b, ps, &done);
		int ok = done == ps;
		format_value(v, sizeof v, b, ps, ok);
		if (!ok) {
			kd_printf(eng, "%s  %s\n", kd_format_addr(eng, la, a), v);
			continue;
		}
		uint64_t p = kd_le(b, ps);
		uint64_t shown = p;
		if (deref == 'a' || deref == 'u') {
			pointed_string(eng, p, deref == 'u' ? 2 : 1, sym, sizeof sym);
			kd_printf(eng, "%s  %s \"%s\"\n", kd_format_addr(eng, la, a), v, sym);
			continue;
		}
		if (deref) {
			uint64_t q = 0;
			int okq = kd_read_pointer(eng, p, &q) == 0;
			uint8_t qb[8];
			for (unsigned k = 0; k < 8; k++)
				qb[k] = (uint8_t)(q >> (8 * k));
			format_value(w, sizeof w, qb, ps, okq);
			shown = q;
			if (kd_format_symbol(eng, shown, sym, sizeof sym) < 0 || !okq)
				sym[0] = '\0';
			kd_printf(eng, "%s  %s %s%s%s\n", kd_format_addr(eng, la, a), v, w, sym[0] ? " " : "", sym);
			continue;
		}
		if (kd_format_symbol(eng, shown, sym, sizeof sym) < 0)
			sym[0] = '\0';
		kd_printf(eng, "%s  %s%s%s\n", kd_format_addr(eng, la, a), v, sym[0] ? " " : "", sym);
	}
	struct memory_state *st = state_of(eng);
	if (st)
		st->next = addr + count * ps;
	return 0;
}

static int cmd_display(struct kd_engine *eng, const char *name, const char *args)
{
	struct memory_state *st = state_of(eng);
	if (!st)
		return KD_ENOMEM;
	if (!kd_engine_target(eng)) {
		kd_eprintf(eng, "%s: %s\n", name, kd_strerror(KD_EDISCONNECTED));
		return KD_EDISCONNECTED;
	}
	int pointers = strcmp(name, "dps") == 0 || strcmp(name, "dpp") == 0 || strcmp(name, "dpa") == 0 ||
	               strcmp(name, "dpu") == 0;
	unsigned width = 32;
	const char *p = kd_skip_spaces(args);
	if ((name[1] == 'a' || name[1] == 'u') && p[0] == '/' && (p[1] == 'c' || p[1] == 'C')) {
		/* da/du /c Width: characters a line. */
		uint64_t w;
		const char *end;
		if (kd_cmd_eval(eng, p + 2, &w, &end) < 0)
			return KD_EINVAL;
		if (w == 0 || w > 1000) {
			kd_eprintf(eng, "%s: /c takes a width from 1 to 1000\n", name);
			return KD_EINVAL;
		}
		width = (unsigned)w;
		args = end;
	}
	char kind = pointers ? 'p' : name[1];
	unsigned unit = unit_of(eng, kind);
	uint64_t defaults = pointers ? 0x80 / unit
	                  : kind == 'a' || kind == 'u' ? 0x100
	                  : 0x80 / unit;
	uint64_t addr = st->next, count;
	struct kd_range r;
	char msg[300];
	int rc = kd_range_parse(eng, args, &r, msg, sizeof msg);
	if (rc == 0 && r.has_addr)
		addr = r.addr;
	if (rc == 0)
		rc = kd_range_count(&r, addr, unit, defaults, &count);
	if (rc < 0)
		return report(eng, rc, name);
	snprintf(st->last, sizeof st->last, "%s", name);
	if (pointers)
		return report(eng, display_pointers(eng, name[2] == 's' ? 0 : name[2], addr, count), name);
	if (kind == 'a' || kind == 'u')
		return report(eng, display_string(eng, kind, addr, count, width), name);
	return report(eng, display_values(eng, kind, addr, count), name);
}

/* eb ew ed eq ADDR VALUE...: write each value, then show nothing (as WinDbg). */
static int cmd_edit(struct kd_engine *eng, const char *name, const char *args)
{
	unsigned unit = unit_of(eng, name[1]);
	const char *p = kd_skip_spaces(args);
	uint64_t addr;
	const char *end;
	if (!*p) {
		kd_eprintf(eng, "%s: needs an address and values (%s Address Value [Value...])\n", name, name);
		return KD_EINVAL;
	}
	int rc = kd_eval(eng, p, &addr, &end);
	if (rc < 0)
		return report(eng, rc, name);
	p = kd_skip_spaces(end);
	if (!*p) {
		kd_eprintf(eng, "%s: no values to write\n", name);
		return KD_EINVAL;
	}
	uint8_t buf[256];
	size_t len = 0;
	while (*p && len + unit <= sizeof buf) {
		uint64_t v;
		rc = kd_eval(eng, p, &v, &end);
		if (rc < 0)
			return report(eng, rc, name);
		if (unit < 8 && v >> (unit * 8) && (v >> (unit * 8)) != (~0ULL >> (unit * 8))) {
			kd_eprintf(eng, "%s: value %llx does not fit in %u bytes\n", name, (unsigned long long)v, unit);
			return KD_EINVAL;
		}
		for (unsigned i = 0; i < unit; i++)
			buf[len++] = (uint8_t)(v >> (8 * i));
		p = kd_skip_spaces(end);
	}
	size_t done = 0;
	rc = kd_write_virtual(eng, addr, buf, len, &done);
	if (rc < 0 || done < len) {
		char a[20];
		kd_eprintf(eng, "Memory access error at %s\n", kd_format_addr(eng, addr + done, a));
		return rc < 0 ? rc : KD_EUNREADABLE;
	}
	return 0;
}

const struct kd_command kd_cmds_memory[] = {
	{ "db", cmd_display, "db [Address] [L Count | Range]", "display bytes and characters" },
	{ "dw", cmd_display, "dw [Address] [L Count | Range]", "display words" },
	{ "dd", cmd_display, "dd [Address] [L Count | Range]", "display double words" },
	{ "dq", cmd_display, "dq [Address] [L Count | Range]", "display quad words" },
	{ "dp", cmd_display, "dp [Address] [L Count | Range]", "display pointer-sized values" },
	{ "dc", cmd_display, "dc [Address] [L Count | Range]", "display double words and characters" },
	{ "da", cmd_display, "da [/c Width] [Address] [L Count | Range]", "display an ASCII string" },
	{ "du", cmd_display, "du [/c Width] [Address] [L Count | Range]", "display a Unicode string" },
	{ "dps", cmd_display, "dps [Address] [L Count | Range]", "display pointers with symbols" },
	{ "dpa", cmd_display, "dpa [Address] [L Count | Range]", "display pointers and the ASCII strings they point at" },
	{ "dpu", cmd_display, "dpu [Address] [L Count | Range]", "display pointers and the Unicode strings they point at" },
	{ "dpp", cmd_display, "dpp [Address] [L Count | Range]", "display pointers, what they point at, and its symbol" },
	{ "eb", cmd_edit, "eb Address Value [Value...]", "write bytes" },
	{ "ew", cmd_edit, "ew Address Value [Value...]", "write words" },
	{ "ed", cmd_edit, "ed Address Value [Value...]", "write double words" },
	{ "eq", cmd_edit, "eq Address Value [Value...]", "write quad words" },
	{ NULL, NULL, NULL, NULL },
};
