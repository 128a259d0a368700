/*
 * The breakpoint table, its argument parsers, the bl line and the Dr7
 * encoding (see breakpoints.h). Pure data: no target, no engine.
 */
#include "kd/engine/breakpoints.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/error.h"

void kd_bp_table_init(struct kd_bp_table *t)
{
	memset(t, 0, sizeof *t);
}

void kd_bp_table_free(struct kd_bp_table *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

static size_t index_of(const struct kd_bp_table *t, unsigned id, int *found)
{
	size_t i = 0;
	while (i < t->n && t->v[i].id < id)
		i++;
	*found = i < t->n && t->v[i].id == id;
	return i;
}

struct kd_bp *kd_bp_add(struct kd_bp_table *t, const struct kd_bp *b, int want_id)
{
	unsigned id = 0;
	if (want_id) {
		id = b->id;
		if (id > KD_BP_MAX_ID)
			return NULL;
	} else {
		/* The lowest id not in use, as WinDbg numbers them. */
		for (size_t i = 0; i < t->n && t->v[i].id == id; i++)
			id++;
		if (id > KD_BP_MAX_ID)
			return NULL;
	}
	int found;
	size_t at = index_of(t, id, &found);
	if (!found) {
		if (KD_ARRAY_RESERVE(t->v, t->cap, t->n + 1) < 0)
			return NULL;
		memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof *t->v);
		t->n++;
	}
	t->v[at] = *b;
	t->v[at].id = id;
	if (t->v[at].passes == 0)
		t->v[at].passes = 1;
	t->v[at].passes_left = t->v[at].passes;
	return &t->v[at];
}

struct kd_bp *kd_bp_find(struct kd_bp_table *t, unsigned id)
{
	int found;
	size_t at = index_of(t, id, &found);
	return found ? &t->v[at] : NULL;
}

struct kd_bp *kd_bp_at(struct kd_bp_table *t, enum kd_bp_kind kind, uint64_t addr)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].kind == kind && t->v[i].resolved && t->v[i].addr == addr)
			return &t->v[i];
	return NULL;
}

int kd_bp_delete(struct kd_bp_table *t, unsigned id)
{
	int found;
	size_t at = index_of(t, id, &found);
	if (!found)
		return KD_ENOTFOUND;
	memmove(&t->v[at], &t->v[at + 1], (t->n - at - 1) * sizeof *t->v);
	t->n--;
	return 0;
}

unsigned kd_bp_hw_count(const struct kd_bp_table *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].kind == KD_BP_HARDWARE && t->v[i].enabled && t->v[i].resolved)
			n++;
	return n;
}

/* --- id lists ------------------------------------------------------------ */

static int parse_id(const char **p, unsigned *id)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return KD_EINVAL;
	unsigned long v = 0;
	/* Breakpoint ids are decimal, as bl prints them. */
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > KD_BP_MAX_ID)
			return KD_EINVAL;
		s++;
	}
	*p = s;
	*id = (unsigned)v;
	return 0;
}

int kd_bp_parse_ids(const char *spec, uint8_t *sel, const char **bad)
{
	const char *p = spec;
	int count = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*') {
			memset(sel, 1, KD_BP_MAX_ID + 1);
			count++;
			p++;
			continue;
		}
		const char *start = p;
		unsigned lo, hi;
		if (parse_id(&p, &lo) < 0)
			goto fail;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_id(&p, &hi) < 0 || hi < lo)
				goto fail;
		}
		if (*p && *p != ' ' && *p != '\t' && *p != ',') {
			p = start;
			goto fail;
		}
		for (unsigned i = lo; i <= hi; i++)
			sel[i] = 1;
		count++;
	}
	return count;
fail:
	if (bad)
		*bad = p;
	return KD_EINVAL;
}

/* --- bp/ba arguments ------------------------------------------------------ */

/* One word: up to a blank outside parentheses and brackets. */
static int take_word(const char **p, char *out, size_t n)
{
	const char *s = *p;
	int depth = 0;
	size_t len = 0;
	while (*s && (depth > 0 || (*s != ' ' && *s != '\t'))) {
		if (*s == '"' && depth == 0)
			break;
		if (*s == '(' || *s == '[')
			depth++;
		else if ((*s == ')' || *s == ']') && depth > 0)
			depth--;
		if (len + 1 >= n)
			return KD_EINVAL;
		out[len++] = *s++;
	}
	out[len] = '\0';
	*p = s;
	return len ? 0 : KD_EINVAL;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int kd_bp_parse_args(const char *args, int is_ba, struct kd_bp_args *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *p = skip_blanks(args);
	/* Options first. */
	while (*p == '/') {
		if (p[1] == '1' && (p[2] == '\0' || p[2] == ' ' || p[2] == '\t')) {
			out->oneshot = 1;
			p += 2;
		} else if (p[1] == 'p' || p[1] == 't' || p[1] == 'c' || p[1] == 'C') {
			/* /p EProcess, /t EThread, /c /C depth: one argument each */
			char skip[128];
			p = skip_blanks(p + 2);
			if (take_word(&p, skip, sizeof skip) < 0)
				return kd_fail(err, errlen, KD_EINVAL, "option /%c needs a value", p[-1]);
		} else if (p[1] == 'w' && (p[2] == ' ' || p[2] == '\t' || p[2] == '"')) {
			p = skip_blanks(p + 2);
			const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
			if (!end || end == p + 1)
				return kd_fail(err, errlen, KD_EINVAL, "/w needs a condition in double quotes");
			size_t len = (size_t)(end - (p + 1));
			if (len >= sizeof out->condition)
				return kd_fail(err, errlen, KD_EINVAL, "condition too long");
			memcpy(out->condition, p + 1, len);
			out->condition[len] = '\0';
			p = end + 1;
		} else {
			return kd_fail(err, errlen, KD_EINVAL, "unknown option '%.8s'", p);
		}
		p = skip_blanks(p);
	}
	if (is_ba) {
		/* "w4" or "w 4", as WinDbg takes both. */
		char acc[8], size[8] = "";
		if (take_word(&p, acc, sizeof acc) < 0 || !strchr("erwiERWI", acc[0]) || strlen(acc) > 2)
			return kd_fail(err, errlen, KD_EINVAL, "ba needs an access type: e, r, w or i");
		out->access = (char)tolower((unsigned char)acc[0]);
		p = skip_blanks(p);
		if (acc[1])
			size[0] = acc[1], size[1] = '\0';
		else if (take_word(&p, size, sizeof size) < 0)
			size[0] = '\0';
		if (strlen(size) != 1 || !strchr("1248", size[0]))
			return kd_fail(err, errlen, KD_EINVAL, "ba needs a size: 1, 2, 4 or 8");
		out->size = (unsigned)(size[0] - '0');
		p = skip_blanks(p);
	}
	if (*p && *p != '"') {
		if (take_word(&p, out->addr, sizeof out->addr) < 0)
			return kd_fail(err, errlen, KD_EINVAL, "address too long");
		p = skip_blanks(p);
		if (*p && *p != '"') {
			if (take_word(&p, out->passes, sizeof out->passes) < 0)
				return kd_fail(err, errlen, KD_EINVAL, "pass count too long");
			p = skip_blanks(p);
		}
	}
	if (*p == '"') {
		const char *end = strrchr(p + 1, '"');
		if (!end)
			return kd_fail(err, errlen, KD_EINVAL, "the command string has no closing quote");
		size_t len = (size_t)(end - (p + 1));
		if (len >= sizeof out->command)
			return kd_fail(err, errlen, KD_EINVAL, "command string too long");
		memcpy(out->command, p + 1, len);
		out->command[len] = '\0';
		out->has_command = 1;
		p = skip_blanks(end + 1);
	}
	if (*p)
		return kd_fail(err, errlen, KD_EINVAL, "unexpected text '%.40s'", p);
	return 0;
}

int kd_bp_check_hw(char access, unsigned size, uint64_t addr, char *err, size_t errlen)
{
	if (!strchr("erwi", access) || access == '\0')
		return kd_fail(err, errlen, KD_EINVAL, "access must be e, r, w or i");
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return kd_fail(err, errlen, KD_EINVAL, "size must be 1, 2, 4 or 8");
	if (access == 'e' && size != 1)
		return kd_fail(err, errlen, KD_EINVAL, "execute breakpoints must have size 1");
	if (addr & (size - 1))
		return kd_fail(err, errlen, KD_EINVAL, "Data breakpoint must be aligned: the address must be a multiple of the size (%u)", size);
	return 0;
}

/* --- command strings --------------------------------------------------------- */

static void trim_copy(char *out, size_t n, const char *s, size_t len, int unquote)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (unquote && len >= 2 && s[0] == '\'' && s[len - 1] == '\'')
		s++, len -= 2;
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

/* The first ';' (or with last set, the last one) outside quotes, or NULL. */
static const char *top_semicolon(const char *s, int last)
{
	const char *found = NULL;
	char quote = 0;
	for (; *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == ';') {
			found = s;
			if (!last)
				return s;
		}
	}
	return found;
}

static int is_go_word(const char *s)
{
	return !strcmp(s, "g") || !strcmp(s, "gc") || !strcmp(s, "gh") || !strcmp(s, "gn");
}

int kd_bp_split_command(const char *cmd, struct kd_bp_cmd *out)
{
	memset(out, 0, sizeof *out);
	const char *p = skip_blanks(cmd);
	if ((p[0] == 'j' || p[0] == 'J') && (p[1] == ' ' || p[1] == '\t' || p[1] == '(')) {
		p = skip_blanks(p + 1);
		const char *e = p;
		if (*e == '(') {
			int depth = 0;
			for (; *e; e++) {
				if (*e == '(')
					depth++;
				else if (*e == ')' && --depth == 0) {
					e++;
					break;
				}
			}
			if (depth)
				return KD_EINVAL;
		} else {
			while (*e && *e != ' ' && *e != '\t')
				e++;
		}
		if (e == p || (size_t)(e - p) >= sizeof out->expr)
			return KD_EINVAL;
		memcpy(out->expr, p, (size_t)(e - p));
		out->expr[e - p] = '\0';
		const char *semi = top_semicolon(e, 0);
		size_t alen = semi ? (size_t)(semi - e) : strlen(e);
		trim_copy(out->a, sizeof out->a, e, alen, 1);
		if (semi)
			trim_copy(out->b, sizeof out->b, semi + 1, strlen(semi + 1), 1);
		out->is_j = 1;
		return 0;
	}
	const char *semi = top_semicolon(p, 1);
	const char *tail = semi ? semi + 1 : p;
	char word[8];
	trim_copy(word, sizeof word, tail, strlen(tail), 0);
	if (is_go_word(word)) {
		strcpy(out->go, word);
		trim_copy(out->a, sizeof out->a, p, semi ? (size_t)(semi - p) : 0, 0);
	} else {
		if (strlen(p) >= sizeof out->a)
			return KD_EINVAL;
		trim_copy(out->a, sizeof out->a, p, strlen(p), 0);
	}
	return 0;
}

/* --- bl ---------------------------------------------------------------------- */

void kd_bp_format(const struct kd_bp *b, int is64, const char *sym, char *buf, size_t n)
{
	char addr[24];
	/* An unresolved breakpoint shows "u" in a column one wider than an
	 * address, as WinDbg lays it out. */
	if (!b->resolved)
		snprintf(addr, sizeof addr, "%-*s", is64 ? 18 : 9, "u");
	else if (is64)
		snprintf(addr, sizeof addr, "%08x`%08x", (unsigned)(b->addr >> 32), (unsigned)b->addr);
	else
		snprintf(addr, sizeof addr, "%08x", (unsigned)b->addr);
	char hw[16] = "     ";
	if (b->kind == KD_BP_HARDWARE)
		snprintf(hw, sizeof hw, " %c %u ", b->access, b->size);
	char where[300];
	if (!b->resolved)
		snprintf(where, sizeof where, " (%s)", b->expr);
	else if (sym && *sym)
		snprintf(where, sizeof where, " %s", sym);
	else
		where[0] = '\0';
	char cmd[600] = "";
	if (b->command[0])
		snprintf(cmd, sizeof cmd, " \"%s\"", b->command);
	snprintf(buf, n, "%6u %c %s Clear  %s%s%04x (%04x)%s%s%s", b->id, b->enabled ? 'e' : 'd',
	         b->enabled ? "Disable" : "Enable", addr, hw,
	         b->passes_left, b->passes, b->oneshot ? " /1" : "", where, cmd);
}

/* --- Dr7 ---------------------------------------------------------------------- */

uint64_t kd_bp_dr7(const struct kd_bp *const slots[KD_BP_HW_SLOTS])
{
	uint64_t dr7 = 0;
	for (unsigned i = 0; i < KD_BP_HW_SLOTS; i++) {
		const struct kd_bp *b = slots[i];
		if (!b)
			continue;
		/* R/W: 00 execute, 01 write, 10 I/O, 11 read or write. */
		unsigned rw = b->access == 'w' ? 1 : b->access == 'i' ? 2 : b->access == 'r' ? 3 : 0;
		/* LEN: 00 one byte, 01 two, 11 four, 10 eight. */
		unsigned len = b->size == 2 ? 1 : b->size == 4 ? 3 : b->size == 8 ? 2 : 0;
		dr7 |= 1ull << (2 * i);
		dr7 |= (uint64_t)(rw | (len << 2)) << (16 + 4 * i);
	}
	return dr7;
}
