/*
 * MSVC name undecoration: a recursive-descent reader of the Microsoft C++
 * mangling (names, scopes, templates, operators and special names, the
 * function and variable encodings, types with back-references), printing
 * in llvm-undname's layout. Working strings live in a fixed arena; input
 * it does not understand (or that overflows the arena) fails cleanly.
 */
#include "symbols/undname.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "base/error.h"

#define ARENA 65536
#define MAX_DEPTH 64

struct ty {
	const char *l, *r; /* declarator text: l NAME r */
};

struct backrefs {
	const char *names[10];
	int nnames;
	struct ty types[10];
	int ntypes;
};

struct dm {
	const char *p;
	int bad;
	int depth;
	struct backrefs br;
	size_t used;
	char arena[ARENA];
};

static char *alloc(struct dm *d, size_t n)
{
	if (d->used + n > ARENA) {
		d->bad = 1;
		return NULL;
	}
	char *s = d->arena + d->used;
	d->used += n;
	return s;
}

/* Concatenation of the NULL-terminated list of strings, in the arena. */
static const char *cat(struct dm *d, ...)
{
	va_list ap;
	size_t n = 1;
	va_start(ap, d);
	for (const char *s; (s = va_arg(ap, const char *));)
		n += strlen(s);
	va_end(ap);
	char *out = alloc(d, n);
	if (!out)
		return "";
	out[0] = 0;
	size_t at = 0;
	va_start(ap, d);
	for (const char *s; (s = va_arg(ap, const char *));) {
		size_t l = strlen(s);
		memcpy(out + at, s, l);
		at += l;
	}
	va_end(ap);
	out[at] = 0;
	return out;
}

static const char *dup_n(struct dm *d, const char *s, size_t n)
{
	char *out = alloc(d, n + 1);
	if (!out)
		return "";
	memcpy(out, s, n);
	out[n] = 0;
	return out;
}

static int eat(struct dm *d, const char *s)
{
	size_t n = strlen(s);
	if (strncmp(d->p, s, n) == 0) {
		d->p += n;
		return 1;
	}
	return 0;
}

/* The next character, never stepping past the terminating NUL. */
static char next(struct dm *d)
{
	if (!*d->p) {
		d->bad = 1;
		return 0;
	}
	return *d->p++;
}

static int ends_with_ptr(const char *s)
{
	size_t n = strlen(s);
	return n && (s[n - 1] == '*' || s[n - 1] == '&' || s[n - 1] == '(');
}

/* l + name + r with a space where C declarations put one. */
static const char *declare(struct dm *d, struct ty t, const char *name)
{
	if (!name || !*name)
		return cat(d, t.l, t.r, NULL);
	return cat(d, t.l, ends_with_ptr(t.l) ? "" : " ", name, t.r, NULL);
}

static void memo_name(struct dm *d, const char *s)
{
	for (int i = 0; i < d->br.nnames; i++)
		if (strcmp(d->br.names[i], s) == 0)
			return;
	if (d->br.nnames < 10)
		d->br.names[d->br.nnames++] = s;
}

/* --- numbers and simple names ---------------------------------------- */

/* MSVC numbers: digit 0-9 means 1-10; else hex letters A-P ending '@';
 * '?' negates. */
static int64_t number(struct dm *d, int *neg)
{
	*neg = eat(d, "?");
	if (*d->p >= '0' && *d->p <= '9')
		return next(d) - '0' + 1;
	uint64_t v = 0;
	int digits = 0;
	while (*d->p >= 'A' && *d->p <= 'P' && digits < 16) {
		v = v * 16 + (uint64_t)(next(d) - 'A');
		digits++;
	}
	if (!eat(d, "@"))
		d->bad = 1;
	return (int64_t)v;
}

static const char *simple_name(struct dm *d)
{
	const char *at = strchr(d->p, '@');
	if (!at || at == d->p) {
		d->bad = 1;
		return "";
	}
	const char *s = dup_n(d, d->p, (size_t)(at - d->p));
	d->p = at + 1;
	return s;
}

static struct ty type(struct dm *d);
static const char *qualified(struct dm *d, int symbol);
static const char *template_name(struct dm *d, int memo);

static const char *backref_name(struct dm *d)
{
	int i = next(d) - '0';
	if (i >= d->br.nnames) {
		d->bad = 1;
		return "";
	}
	return d->br.names[i];
}

/* --- operators and special names ------------------------------------- */

static const char *const ops[] = {
	/* ?0..?9 */
	NULL, NULL, "operator new", "operator delete", "operator=", "operator>>", "operator<<",
	"operator!", "operator==", "operator!=",
};
static const char *const ops_a[] = {
	/* ?A..?Z */
	"operator[]", NULL, "operator->", "operator*", "operator++", "operator--", "operator-",
	"operator+", "operator&", "operator->*", "operator/", "operator%", "operator<", "operator<=",
	"operator>", "operator>=", "operator,", "operator()", "operator~", "operator^", "operator|",
	"operator&&", "operator||", "operator*=", "operator+=", "operator-=",
};
static const char *const ops_u[] = {
	/* ?_0..?_9 */
	"operator/=", "operator%=", "operator>>=", "operator<<=", "operator&=", "operator|=",
	"operator^=", "`vftable'", "`vbtable'", "`vcall'",
};
static const char *const ops_ua[] = {
	/* ?_A..?_Z */
	"`typeof'", "`local static guard'", "`string'", "`vbase dtor'", "`vector deleting dtor'",
	"`default ctor closure'", "`scalar deleting dtor'", "`vector ctor iterator'",
	"`vector dtor iterator'", "`vector vbase ctor iterator'", "`virtual displacement map'",
	"`eh vector ctor iterator'", "`eh vector dtor iterator'", "`eh vector vbase ctor iterator'",
	"`copy ctor closure'", NULL, NULL, NULL, "`local vftable'", "`local vftable ctor closure'",
	"operator new[]", "operator delete[]", NULL, "`managed vector ctor iterator'",
	"`managed vector dtor iterator'", "`EH vector copy ctor iterator'",
};

enum special {
	SP_NONE,
	SP_CTOR,
	SP_DTOR,
	SP_CONV,
	SP_RTTI,
};

/* After "?": an operator or special name. *sp tells the caller what the
 * name needs (ctor/dtor take the class name, a conversion its type). */
static const char *operator_name(struct dm *d, enum special *sp)
{
	char c = next(d);
	*sp = SP_NONE;
	if (c == '0') {
		*sp = SP_CTOR;
		return "";
	}
	if (c == '1') {
		*sp = SP_DTOR;
		return "";
	}
	if (c >= '2' && c <= '9')
		return ops[c - '0'];
	if (c == 'B') {
		*sp = SP_CONV;
		return "operator";
	}
	if (c >= 'A' && c <= 'Z')
		return ops_a[c - 'A'];
	if (c == '_') {
		c = next(d);
		if (c >= '0' && c <= '9')
			return ops_u[c - '0'];
		if (c == 'R') {
			*sp = SP_RTTI;
			return "";
		}
		if (c == '_') {
			c = next(d);
			if (c == 'E')
				return "`dynamic initializer'";
			if (c == 'F')
				return "`dynamic atexit destructor'";
			if (c == 'K')
				return cat(d, "operator \"\"", simple_name(d), NULL);
			d->bad = 1;
			return "";
		}
		if (c >= 'A' && c <= 'Z' && ops_ua[c - 'A'])
			return ops_ua[c - 'A'];
	}
	d->bad = 1;
	return "";
}

/* --- template arguments ----------------------------------------------- */

static const char *template_args(struct dm *d)
{
	const char *out = "";
	int first = 1;
	while (!d->bad && *d->p && *d->p != '@') {
		const char *arg;
		if (eat(d, "$$V") || eat(d, "$$Z")) {
			continue;
		} else if (eat(d, "$0")) {
			int neg;
			int64_t v = number(d, &neg);
			char buf[32];
			snprintf(buf, sizeof buf, "%s%lld", neg ? "-" : "", (long long)v);
			arg = cat(d, buf, NULL);
		} else if (eat(d, "$1")) {
			/* pointer to a symbol: the symbol's full name */
			if (!eat(d, "?")) {
				d->bad = 1;
				return "";
			}
			arg = cat(d, "&", qualified(d, 1), NULL);
			/* skip its type encoding: not needed for the name */
			d->bad = 1;
		} else if (eat(d, "$$B")) {
			struct ty t = type(d);
			arg = declare(d, t, NULL);
		} else {
			struct ty t = type(d);
			arg = declare(d, t, NULL);
		}
		out = cat(d, out, first ? "" : ", ", arg, NULL);
		first = 0;
	}
	if (!eat(d, "@"))
		d->bad = 1;
	return out;
}

/* "?$name@args@" after "?$": a new back-reference context. */
static const char *template_name(struct dm *d, int memo)
{
	struct backrefs outer = d->br;
	memset(&d->br, 0, sizeof d->br);
	const char *name;
	enum special sp = SP_NONE;
	if (eat(d, "?")) {
		name = operator_name(d, &sp);
		if (sp != SP_NONE)
			d->bad = 1; /* templated ctors/conversions: rare, unsupported */
	} else {
		name = simple_name(d);
		memo_name(d, name);
	}
	const char *args = template_args(d);
	d->br = outer;
	const char *s = cat(d, name, "<", args, ">", NULL);
	if (memo)
		memo_name(d, s);
	return s;
}

/* --- qualified names --------------------------------------------------- */

static const char *scope_piece(struct dm *d)
{
	if (*d->p >= '0' && *d->p <= '9')
		return backref_name(d);
	if (eat(d, "?$"))
		return template_name(d, 1);
	if (eat(d, "?A")) {
		/* anonymous namespace: ?A0x1234@ */
		simple_name(d);
		return "`anonymous namespace'";
	}
	if (eat(d, "?")) {
		if (*d->p == '?') {
			/* a nested symbol: `extern "C" f' or `f' scope */
			d->p++;
			const char *inner = qualified(d, 1);
			if (eat(d, "9"))
				return cat(d, "`extern \"C\" ", inner, "'", NULL);
			d->bad = 1; /* full nested signatures: unsupported */
			return "";
		}
		int neg;
		int64_t n = number(d, &neg);
		char buf[32];
		snprintf(buf, sizeof buf, "`%lld'", (long long)n);
		return cat(d, buf, NULL);
	}
	const char *s = simple_name(d);
	memo_name(d, s);
	return s;
}

/* A qualified name: the unqualified name then its scopes up to '@'.
 * symbol: the name of the symbol being defined (operators allowed). */
static const char *qualified_sp(struct dm *d, int symbol, enum special *spp)
{
	if (++d->depth > MAX_DEPTH) {
		d->bad = 1;
		return "";
	}
	const char *name;
	enum special sp = SP_NONE;
	const char *rtti = NULL;
	if (*d->p >= '0' && *d->p <= '9') {
		name = backref_name(d);
	} else if (eat(d, "?$")) {
		name = template_name(d, !symbol);
	} else if (symbol && eat(d, "?")) {
		if (*d->p == '$') { /* ??$ template of an operator */
			d->p++;
			name = template_name(d, 0);
		} else {
			name = operator_name(d, &sp);
			if (sp == SP_RTTI) {
				char c = next(d);
				if (c == '0') {
					rtti = "0";
				} else if (c == '1') {
					int n1, n2, n3, n4;
					int64_t a = number(d, &n1), b = number(d, &n2), e = number(d, &n3),
					        f = number(d, &n4);
					char buf[128];
					snprintf(buf, sizeof buf,
					         "`RTTI Base Class Descriptor at (%s%lld, %s%lld, %s%lld, %s%lld)'",
					         n1 ? "-" : "", (long long)a, n2 ? "-" : "", (long long)b,
					         n3 ? "-" : "", (long long)e, n4 ? "-" : "", (long long)f);
					name = cat(d, buf, NULL);
				} else if (c == '2') {
					name = "`RTTI Base Class Array'";
				} else if (c == '3') {
					name = "`RTTI Class Hierarchy Descriptor'";
				} else if (c == '4') {
					name = "`RTTI Complete Object Locator'";
				} else {
					d->bad = 1;
					name = "";
				}
				if (rtti) {
					d->depth--;
					if (spp)
						*spp = SP_RTTI;
					else
						d->bad = 1; /* RTTI names are not scopes */
					return "";
				}
				sp = SP_NONE;
			}
		}
	} else {
		name = simple_name(d);
		memo_name(d, name);
	}
	const char *scopes = "";
	const char *last_scope = NULL;
	while (!d->bad && *d->p && *d->p != '@') {
		const char *piece = scope_piece(d);
		if (!last_scope)
			last_scope = piece;
		scopes = cat(d, piece, "::", scopes, NULL);
	}
	if (!eat(d, "@"))
		d->bad = 1;
	if (sp == SP_CTOR || sp == SP_DTOR) {
		const char *cls = last_scope ? last_scope : "";
		name = cat(d, sp == SP_DTOR ? "~" : "", cls, NULL);
	}
	if (spp)
		*spp = sp;
	d->depth--;
	return cat(d, scopes, name, NULL);
}

static const char *qualified(struct dm *d, int symbol)
{
	return qualified_sp(d, symbol, NULL);
}

/* --- types ------------------------------------------------------------- */

static const char *cv_text(char c)
{
	switch (c) {
	case 'B':
	case 'J':
	case 'N':
	case 'R':
		return " const";
	case 'C':
	case 'G':
	case 'K':
	case 'O':
	case 'S':
		return " volatile";
	case 'D':
	case 'H':
	case 'L':
	case 'P':
	case 'T':
		return " const volatile";
	default:
		return "";
	}
}

static const char *calling_conv(struct dm *d)
{
	char c = next(d);
	switch (c) {
	case 'A':
	case 'B':
		return "__cdecl";
	case 'C':
	case 'D':
		return "__pascal";
	case 'E':
	case 'F':
		return "__thiscall";
	case 'G':
	case 'H':
		return "__stdcall";
	case 'I':
	case 'J':
		return "__fastcall";
	case 'M':
	case 'N':
		return "__clrcall";
	case 'O':
	case 'P':
		return "__eabi";
	case 'Q':
		return "__vectorcall";
	case 'S':
		return "__swift_1";
	case 'W':
		return "__swift_2";
	default:
		d->bad = 1;
		return "";
	}
}

static const char *params(struct dm *d)
{
	if (eat(d, "X"))
		return "void";
	const char *out = "";
	int first = 1;
	while (!d->bad && *d->p) {
		if (eat(d, "@"))
			return out;
		if (eat(d, "Z"))
			return cat(d, out, first ? "..." : ", ...", NULL);
		const char *start = d->p;
		struct ty t;
		if (*d->p >= '0' && *d->p <= '9') {
			int i = next(d) - '0';
			if (i >= d->br.ntypes) {
				d->bad = 1;
				return "";
			}
			t = d->br.types[i];
		} else {
			t = type(d);
			if (d->p - start > 1 && d->br.ntypes < 10)
				d->br.types[d->br.ntypes++] = t;
		}
		out = cat(d, out, first ? "" : ", ", declare(d, t, NULL), NULL);
		first = 0;
	}
	d->bad = 1;
	return out;
}

/* A function type after its calling convention letter's position: ret,
 * params, throw spec. */
static void function_tail(struct dm *d, struct ty *ret, const char **ps)
{
	if (eat(d, "@")) {
		ret->l = "";
		ret->r = "";
	} else {
		*ret = type(d);
	}
	*ps = params(d);
	if (!eat(d, "Z") && !eat(d, "_E"))
		d->bad = 1;
}

static const char *class_kind(char c)
{
	switch (c) {
	case 'T':
		return "union ";
	case 'U':
		return "struct ";
	case 'V':
		return "class ";
	default:
		return "enum ";
	}
}

/* Pointer modifiers after P/Q/R/S/A/B: E (ptr64), I (restrict), F
 * (unaligned), then the pointee's cv letter or a function/member form. */
static struct ty pointer(struct dm *d, const char *sym, const char *self_cv)
{
	struct ty t = { "", "" };
	const char *quals = "";
	for (;;) {
		if (eat(d, "E"))
			continue;
		if (eat(d, "I")) {
			quals = cat(d, quals, " __restrict", NULL);
			continue;
		}
		if (eat(d, "F")) {
			quals = cat(d, quals, " __unaligned", NULL);
			continue;
		}
		break;
	}
	if (eat(d, "6")) {
		const char *cc = calling_conv(d);
		struct ty ret;
		const char *ps;
		function_tail(d, &ret, &ps);
		t.l = cat(d, ret.l, ret.l[0] ? " " : "", "(", cc, " ", sym, self_cv, quals, NULL);
		t.r = cat(d, ")(", ps, ")", ret.r, NULL);
		return t;
	}
	if (eat(d, "8")) {
		const char *cls = qualified(d, 0);
		const char *cvm = cv_text(next(d));
		const char *cc = calling_conv(d);
		struct ty ret;
		const char *ps;
		function_tail(d, &ret, &ps);
		t.l = cat(d, ret.l, ret.l[0] ? " " : "", "(", cc, " ", cls, "::", sym, self_cv, NULL);
		t.r = cat(d, ")(", ps, ")", cvm, ret.r, NULL);
		return t;
	}
	const char *cv = cv_text(*d->p);
	if (!*d->p) {
		d->bad = 1;
		return t;
	}
	d->p++;
	struct ty pointee = type(d);
	if (pointee.r[0]) {
		/* pointer to array: int (*x)[2] */
		t.l = cat(d, pointee.l, cv, " (", sym, self_cv, quals, NULL);
		t.r = cat(d, ")", pointee.r, NULL);
	} else {
		t.l = cat(d, pointee.l, cv, ends_with_ptr(pointee.l) && !cv[0] ? "" : " ", sym, self_cv,
		          quals, NULL);
		t.r = "";
	}
	return t;
}

static struct ty type(struct dm *d)
{
	struct ty t = { "", "" };
	if (d->bad || ++d->depth > MAX_DEPTH) {
		d->bad = 1;
		return t;
	}
	char c = next(d);
	switch (c) {
	case 'C': t.l = "signed char"; break;
	case 'D': t.l = "char"; break;
	case 'E': t.l = "unsigned char"; break;
	case 'F': t.l = "short"; break;
	case 'G': t.l = "unsigned short"; break;
	case 'H': t.l = "int"; break;
	case 'I': t.l = "unsigned int"; break;
	case 'J': t.l = "long"; break;
	case 'K': t.l = "unsigned long"; break;
	case 'M': t.l = "float"; break;
	case 'N': t.l = "double"; break;
	case 'O': t.l = "long double"; break;
	case 'X': t.l = "void"; break;
	case '_':
		c = next(d);
		switch (c) {
		case 'J': t.l = "__int64"; break;
		case 'K': t.l = "unsigned __int64"; break;
		case 'N': t.l = "bool"; break;
		case 'W': t.l = "wchar_t"; break;
		case 'S': t.l = "char16_t"; break;
		case 'U': t.l = "char32_t"; break;
		case 'Q': t.l = "char8_t"; break;
		case 'D': t.l = "__int8"; break;
		case 'E': t.l = "unsigned __int8"; break;
		case 'F': t.l = "__int16"; break;
		case 'G': t.l = "unsigned __int16"; break;
		case 'H': t.l = "__int32"; break;
		case 'I': t.l = "unsigned __int32"; break;
		case 'L': t.l = "__int128"; break;
		case 'M': t.l = "unsigned __int128"; break;
		default: d->bad = 1;
		}
		break;
	case 'T':
	case 'U':
	case 'V':
		t.l = cat(d, class_kind(c), qualified(d, 0), NULL);
		break;
	case 'W':
		if (!*d->p) {
			d->bad = 1;
			break;
		}
		d->p++; /* the enum's underlying type letter */
		t.l = cat(d, "enum ", qualified(d, 0), NULL);
		break;
	case 'P': t = pointer(d, "*", ""); break;
	case 'Q': t = pointer(d, "*", "const"); break;
	case 'R': t = pointer(d, "*", "volatile"); break;
	case 'S': t = pointer(d, "*", "const volatile"); break;
	case 'A': t = pointer(d, "&", ""); break;
	case 'B': t = pointer(d, "&", "volatile"); break;
	case 'Y': {
		int neg;
		int64_t dims = number(d, &neg);
		const char *r = "";
		for (int64_t i = 0; i < dims && !d->bad && i < 16; i++) {
			int n2;
			char buf[32];
			snprintf(buf, sizeof buf, "[%lld]", (long long)number(d, &n2));
			r = cat(d, r, buf, NULL);
		}
		struct ty elem = type(d);
		t.l = elem.l;
		t.r = cat(d, r, elem.r, NULL);
		break;
	}
	case '$':
		if (eat(d, "$Q")) {
			t = pointer(d, "&&", "");
		} else if (eat(d, "$R")) {
			t = pointer(d, "&&", "volatile");
		} else if (eat(d, "$C")) {
			const char *cv = cv_text(next(d));
			struct ty in = type(d);
			t.l = cat(d, in.l, cv, NULL);
			t.r = in.r;
		} else if (eat(d, "$A6")) {
			const char *cc = calling_conv(d);
			struct ty ret;
			const char *ps;
			function_tail(d, &ret, &ps);
			t.l = cat(d, ret.l, " ", cc, NULL);
			t.r = cat(d, "(", ps, ")", ret.r, NULL);
		} else if (eat(d, "$T")) {
			t.l = "std::nullptr_t";
		} else {
			d->bad = 1;
		}
		break;
	case '?': {
		/* a cv-qualified class return type (?A / ?B) */
		const char *cv = cv_text(next(d));
		struct ty in = type(d);
		t.l = cat(d, in.l, cv, NULL);
		t.r = in.r;
		break;
	}
	default:
		d->bad = 1;
	}
	d->depth--;
	return t;
}

/* --- symbols ----------------------------------------------------------- */

static const char *access_text(char c)
{
	if (c >= 'A' && c <= 'H')
		return "private: ";
	if (c >= 'I' && c <= 'P')
		return "protected: ";
	if (c >= 'Q' && c <= 'X')
		return "public: ";
	return "";
}

static const char *symbol(struct dm *d, int name_only)
{
	if (eat(d, "??_C@_")) {
		/* string literals: WinDbg shows them as `string' */
		return "`string'";
	}
	if (!eat(d, "?")) {
		d->bad = 1;
		return "";
	}
	enum special sp = SP_NONE;
	const char *name = qualified_sp(d, 1, &sp);
	if (sp == SP_RTTI) {
		/* ??_R0 type descriptor: ??_R0?AVX@@@8 */
		if (!eat(d, "?") || d->bad || !*d->p) {
			d->bad = 1;
			return "";
		}
		d->p++; /* storage class letter */
		struct ty t = type(d);
		if (!eat(d, "@8"))
			d->bad = 1;
		return cat(d, declare(d, t, NULL), name_only ? "" : " `RTTI Type Descriptor'", NULL);
	}
	if (d->bad)
		return "";
	if (name_only && sp != SP_CONV)
		return name;
	char c = next(d);
	if (c >= '0' && c <= '4') {
		int is_ptr = strchr("PQRSAB", *d->p) != NULL || strncmp(d->p, "$$Q", 3) == 0;
		struct ty t = type(d);
		while (*d->p == 'E' || *d->p == 'I' || *d->p == 'F')
			d->p++;
		const char *storage = cv_text(*d->p);
		if (*d->p)
			d->p++;
		/* a pointer's own qualifiers come from P/Q/R/S, not the storage */
		if (!is_ptr)
			t.l = cat(d, t.l, storage, NULL);
		const char *prefix = c == '0' ? "private: static " : c == '1' ? "protected: static " :
		                     c == '2' ? "public: static " : "";
		return cat(d, prefix, declare(d, t, name), NULL);
	}
	if (c == '5' || c == '6' || c == '7') {
		const char *cv = cv_text(*d->p);
		if (*d->p)
			d->p++;
		const char *base = "";
		if (*d->p != '@') {
			base = qualified(d, 0);
			base = cat(d, "{for `", base, "'}", NULL);
		} else {
			d->p++;
		}
		return cat(d, cv + (cv[0] ? 1 : 0), cv[0] ? " " : "", name, base, NULL);
	}
	if (c == '8')
		return name;
	if (c == '9')
		return cat(d, "extern \"C\" ", name, NULL);
	/* functions */
	const char *acc = access_text(c), *kind = "";
	int member = c < 'Y';
	int is_static = 0;
	switch ((c - 'A') % 8) {
	case 2:
	case 3:
		if (member) {
			kind = "static ";
			is_static = 1;
		}
		break;
	case 4:
	case 5:
		if (member)
			kind = "virtual ";
		break;
	default:
		break;
	}
	if (c == 'Y' || c == 'Z')
		member = 0;
	const char *this_cv = "";
	if (member && !is_static) {
		while (*d->p == 'E' || *d->p == 'I' || *d->p == 'F')
			d->p++;
		this_cv = cv_text(*d->p);
		if (*d->p)
			d->p++;
	}
	const char *cc = calling_conv(d);
	struct ty ret;
	const char *ps;
	function_tail(d, &ret, &ps);
	if (sp == SP_CONV) {
		name = cat(d, name, " ", declare(d, ret, NULL), NULL);
		if (name_only)
			return name;
	}
	const char *head = cat(d, acc, kind, ret.l, ret.l[0] ? " " : "", cc, " ", NULL);
	return cat(d, head, name, "(", ps, ")", this_cv, ret.r, NULL);
}

int kd_undname(const char *mangled, int flags, char *out, size_t n)
{
	static const size_t max_in = 4096;
	if (!mangled || strlen(mangled) > max_in) {
		snprintf(out, n, "%s", mangled ? mangled : "");
		return KD_EFORMAT;
	}
	struct dm *d = malloc(sizeof *d);
	if (!d) {
		snprintf(out, n, "%s", mangled);
		return KD_ENOMEM;
	}
	memset(d, 0, offsetof(struct dm, arena));
	d->p = mangled;
	const char *s = symbol(d, flags & KD_UNDNAME_NAME_ONLY);
	int ok = !d->bad && (*d->p == 0 || (flags & KD_UNDNAME_NAME_ONLY));
	snprintf(out, n, "%s", ok ? s : mangled);
	free(d);
	return ok ? 0 : KD_EFORMAT;
}
