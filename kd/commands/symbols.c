/*
 * Symbol commands in WinDbg's syntax and layout: lm (lmv, lmm...), x, ln,
 * dt, .reload, .sympath[+], .symfix[+], !sym noisy|quiet. Thin layer over the
 * symbols context (kd/engine/symbols.h) and the engine's module list.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kd/commands/command.h"
#include "kd/engine/modlist.h"
#include "kd/commands/klayout.h"
#include "symbols/pe.h"
#include "kd/engine/symbols.h"
#include "symbols/sympath.h"
#include "symbols/types.h"

static struct kd_symbols *need_symbols(struct kd_engine *eng)
{
	struct kd_symbols *s = kd_symbols_get(eng);
	if (!s && kd_symbols_attach(eng, NULL) == 0)
		s = kd_symbols_get(eng);
	if (!s)
		kd_eprintf(eng, "symbols are not available\n");
	return s;
}

static const char *state_text(enum kd_sym_state st)
{
	switch (st) {
	case KD_SYM_PDB:
		return "(pdb symbols)";
	case KD_SYM_EXPORT:
		return "(export symbols)";
	case KD_SYM_NONE:
		return "(no symbols)";
	default:
		return "(deferred)";
	}
}

static const char *base_name(const char *path)
{
	const char *b = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/* --- lm --------------------------------------------------------------- */

static void lm_line(struct kd_engine *eng, struct kd_symbols *s, const struct kd_module *m, int verbose)
{
	struct kd_symbols_module sm;
	char a[20], b[20], line[1024];
	if (kd_symbols_module(s, m, verbose, &sm) < 0)
		return;
	const char *tail = sm.state == KD_SYM_PDB ? sm.pdb_path :
	                   sm.state == KD_SYM_EXPORT ? base_name(m->path[0] ? m->path : sm.image_path) : "";
	snprintf(line, sizeof line, "%s %s   %-8s %c %-22s %s", kd_format_addr(eng, m->base, a),
	         kd_format_addr(eng, m->base + m->size, b), m->name, m->timestamp ? ' ' : 'T',
	         state_text(sm.state), tail);
	size_t l = strlen(line);
	while (l && line[l - 1] == ' ')
		line[--l] = 0;
	kd_printf(eng, "%s\n", line);
	if (!verbose)
		return;
	const char *image = sm.image_path[0] ? sm.image_path : m->path;
	if (sm.state != KD_SYM_DEFERRED && image[0])
		kd_printf(eng, "    Loaded symbol image file: %s\n", image);
	if (m->path[0])
		kd_printf(eng, "    Image path: %s\n", m->path);
	kd_printf(eng, "    Image name: %s\n", base_name(m->path[0] ? m->path : image));
	if (m->timestamp) {
		char when[64];
		time_t t = (time_t)m->timestamp;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm);
		kd_printf(eng, "    Timestamp:        %s (%08X)\n", when, m->timestamp);
	} else {
		kd_printf(eng, "    Timestamp:        unavailable (00000000)\n");
	}
	kd_printf(eng, "    CheckSum:         %08X\n", m->checksum);
	kd_printf(eng, "    ImageSize:        %08X\n", m->size);
	if (sm.state == KD_SYM_PDB)
		kd_printf(eng, "    PDB path:         %s\n", sm.pdb_path);
}

static int by_base(const void *a, const void *b)
{
	const struct kd_module *x = *(const struct kd_module *const *)a, *y = *(const struct kd_module *const *)b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static int cmd_lm(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	int verbose = 0, loaded_only = 0;
	char pattern[256] = "*";
	/* options may be glued to the name (lmv, lmvm) or follow it */
	for (const char *p = name + 2; *p; p++) {
		if (*p == 'v')
			verbose = 1;
		else if (*p == 'l')
			loaded_only = 1;
	}
	int want_pattern = name[strlen(name) - 1] == 'm' && strlen(name) > 2;
	const char *p = kd_skip_spaces(args);
	while (*p) {
		if (want_pattern) {
			size_t n = strcspn(p, " \t;");
			snprintf(pattern, sizeof pattern, "%.*s", (int)(n < 255 ? n : 255), p);
			p = kd_skip_spaces(p + n);
			want_pattern = 0;
			continue;
		}
		for (; *p && *p != ' ' && *p != '\t'; p++) {
			if (*p == 'v')
				verbose = 1;
			else if (*p == 'l')
				loaded_only = 1;
			else if (*p == 'm')
				want_pattern = 1;
			else if (strchr("ofnte", *p) == NULL) {
				kd_eprintf(eng, "Syntax error in '%s %s'\n", name, args);
				return KD_EINVAL;
			}
		}
		p = kd_skip_spaces(p);
	}
	kd_printf(eng, kd_engine_is_64bit(eng) ? "start             end                 module name\n"
	                                       : "start    end        module name\n");
	/* in address order, as WinDbg lists them */
	size_t nm = kd_engine_module_count(eng);
	const struct kd_module **order = calloc(nm ? nm : 1, sizeof *order);
	if (!order)
		return KD_ENOMEM;
	for (size_t i = 0; i < nm; i++)
		order[i] = kd_engine_module(eng, i);
	qsort(order, nm, sizeof *order, by_base);
	for (size_t i = 0; i < nm; i++) {
		const struct kd_module *m = order[i];
		if (!kd_symbols_wildcard(pattern, m->name))
			continue;
		if (loaded_only) {
			struct kd_symbols_module sm;
			if (kd_symbols_module(s, m, 0, &sm) < 0 || sm.state == KD_SYM_DEFERRED)
				continue;
		}
		lm_line(eng, s, m, verbose);
		if (kd_engine_canceled(eng))
			break;
	}
	free(order);
	return kd_engine_canceled(eng) ? KD_ECANCELED : 0;
}

/* --- x and ln --------------------------------------------------------- */

/* What `x` shows after a typed data symbol: its value for scalars, its
 * type for aggregates. */
static void data_value(struct kd_engine *eng, struct kd_types *types, const struct kd_sym_entry *e,
                       char *out, size_t n)
{
	struct kd_type_info info;
	uint8_t b[8] = { 0 };
	size_t done = 0;
	if (kd_types_get(types, e->type_index, &info) < 0) {
		snprintf(out, n, "<no type information>");
		return;
	}
	int scalar = (info.kind == KD_TYPE_BASE && info.size && info.size <= 8 && info.base != KD_BASE_VOID) ||
	             info.kind == KD_TYPE_POINTER || (info.kind == KD_TYPE_ENUM && info.size <= 8);
	if (!scalar) {
		kd_types_c_name(types, e->type_index, out, n);
		return;
	}
	size_t size = info.kind == KD_TYPE_POINTER ? kd_engine_pointer_size(eng) : (size_t)info.size;
	if (kd_read_virtual(eng, e->addr, b, size, &done) < 0 || done < size) {
		snprintf(out, n, "<Memory access error>");
		return;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	if (info.kind == KD_TYPE_POINTER) {
		char a[20];
		snprintf(out, n, "0x%s", kd_format_addr(eng, v, a));
	} else if (info.base == KD_BASE_SIGNED || info.kind == KD_TYPE_ENUM) {
		int64_t sv = size < 8 && (v >> (8 * size - 1)) ? (int64_t)(v | ~0ull << (8 * size)) : (int64_t)v;
		snprintf(out, n, "0n%lld", (long long)sv);
	} else if (info.base == KD_BASE_FLOAT) {
		double d;
		if (size == 4) {
			float f;
			uint32_t u = (uint32_t)v;
			memcpy(&f, &u, 4);
			d = f;
		} else {
			memcpy(&d, &v, 8);
		}
		snprintf(out, n, "%g", d);
	} else {
		snprintf(out, n, "0x%0*llx", (int)(2 * size), (unsigned long long)v);
	}
}

static void print_sym(struct kd_engine *eng, struct kd_symbols *s, const struct kd_module *m,
                      const struct kd_sym_entry *e, const char *indent, int with_addr)
{
	char a[20], params[1024];
	struct kd_types *types = NULL;
	if (with_addr)
		kd_printf(eng, "%s%s %s!%s", indent, kd_format_addr(eng, e->addr, a), m->name, e->name);
	else
		kd_printf(eng, "%s%s!%s", indent, m->name, e->name);
	if (!e->is_public && e->type_index && kd_symbols_types(s, m, &types) < 0)
		types = NULL;
	if (e->is_function) {
		if (!types || kd_types_params(types, e->type_index, params, sizeof params) < 0)
			snprintf(params, sizeof params, "(<no parameter info>)");
		kd_printf(eng, " %s\n", params);
	} else if (types) {
		char v[600];
		data_value(eng, types, e, v, sizeof v);
		kd_printf(eng, " = %s\n", v);
	} else {
		kd_printf(eng, " = <no type information>\n");
	}
}

struct x_ctx {
	struct kd_engine *eng;
	struct kd_symbols *s;
	const struct kd_module *m;
	size_t count;
};

static int x_one(void *ctx, const struct kd_sym_entry *e)
{
	struct x_ctx *x = ctx;
	print_sym(x->eng, x->s, x->m, e, "", 1);
	x->count++;
	return kd_engine_canceled(x->eng);
}

static int cmd_x(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	const char *p = kd_skip_spaces(args);
	while (*p == '/') { /* /v /t /a /n... accepted, default layout */
		while (*p && *p != ' ' && *p != '\t')
			p++;
		p = kd_skip_spaces(p);
	}
	size_t n = strcspn(p, " \t;");
	if (n == 0) {
		kd_eprintf(eng, "Syntax error: x [Module!]Pattern\n");
		return KD_EINVAL;
	}
	char spec[512];
	snprintf(spec, sizeof spec, "%.*s", (int)(n < 511 ? n : 511), p);
	char *bang = strchr(spec, '!');
	const char *modpat = "*", *sympat = spec;
	if (bang) {
		*bang = 0;
		modpat = spec;
		sympat = bang + 1;
	}
	if (!*sympat)
		sympat = "*";
	int any = 0;
	for (size_t i = 0; i < kd_engine_module_count(eng); i++) {
		const struct kd_module *m = kd_engine_module(eng, i);
		if (!kd_symbols_wildcard(modpat, m->name))
			continue;
		any = 1;
		struct x_ctx x = { eng, s, m, 0 };
		kd_symbols_enum(s, m, sympat, x_one, &x);
		if (kd_engine_canceled(eng))
			return KD_ECANCELED;
	}
	if (!any && bang) {
		kd_eprintf(eng, "Couldn't resolve 'x %s'\n", p);
		return KD_ENOTFOUND;
	}
	return 0;
}

struct exact_ctx {
	struct kd_engine *eng;
	struct kd_symbols *s;
	const struct kd_module *m;
	uint64_t addr;
};

static int exact_one(void *ctx, const struct kd_sym_entry *e)
{
	struct exact_ctx *x = ctx;
	if (e->addr == x->addr)
		print_sym(x->eng, x->s, x->m, e, "    ", 0);
	return 0;
}

static int cmd_ln(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	uint64_t addr;
	int rc = kd_eval(eng, kd_skip_spaces(args), &addr, NULL);
	if (rc < 0) {
		kd_eprintf(eng, "Couldn't resolve error at '%s'\n", kd_skip_spaces(args));
		return rc;
	}
	const struct kd_module *m = kd_engine_module_by_addr(eng, addr);
	struct kd_sym_entry prev, next;
	int has_next;
	if (!m || kd_symbols_near(s, m, addr, &prev, &next, &has_next) < 0)
		return 0; /* WinDbg prints nothing without a nearby symbol */
	char a[20], b[20];
	if (addr == prev.addr)
		kd_printf(eng, "(%s)   %s!%s", kd_format_addr(eng, prev.addr, a), m->name, prev.name);
	else
		kd_printf(eng, "(%s)   %s!%s+0x%llx", kd_format_addr(eng, prev.addr, a), m->name, prev.name,
		          (unsigned long long)(addr - prev.addr));
	if (has_next)
		kd_printf(eng, "   |  (%s)   %s!%s", kd_format_addr(eng, next.addr, b), m->name, next.name);
	kd_printf(eng, "\n");
	if (addr == prev.addr) {
		kd_printf(eng, "Exact matches:\n");
		struct exact_ctx x = { eng, s, m, addr };
		kd_symbols_enum(s, m, "*", exact_one, &x);
	}
	return 0;
}


/* --- dt --------------------------------------------------------------- */

#define DT_MAX_BYTES (1u << 20)

struct dt {
	struct kd_engine *eng;
	struct kd_types *types;
	int depth_max;
	const char *field;   /* top-level field filter (wildcards), or NULL */
	int have_addr;
	uint64_t addr;
	const uint8_t *buf;  /* the whole object, read once */
	size_t len;
	const uint8_t *ok;   /* per byte: 1 when read */
};

static int dt_bytes(const struct dt *d, uint64_t off, size_t n, uint64_t *v)
{
	if (off > d->len || n > d->len - off || n > 8)
		return KD_EUNREADABLE;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!d->ok[off + i])
			return KD_EUNREADABLE;
		*v |= (uint64_t)d->buf[off + i] << (8 * i);
	}
	return 0;
}

static int64_t sign_extend(uint64_t v, size_t n)
{
	if (n >= 8)
		return (int64_t)v;
	uint64_t m = 1ull << (8 * n - 1);
	return (int64_t)((v ^ m) - m);
}

static void fmt_ptr(struct kd_engine *eng, uint64_t v, char *out, size_t n)
{
	char a[20];
	snprintf(out, n, "0x%s", kd_format_addr(eng, v, a));
}

/* Up to max characters of a string at addr in target memory (1- or
 * 2-byte units, UTF-16 shown as ASCII with '?' for the rest). */
static void target_string(struct kd_engine *eng, uint64_t addr, size_t max, unsigned unit, char *out, size_t n)
{
	uint8_t buf[512];
	size_t want = max * unit < sizeof buf ? max * unit : sizeof buf, done = 0, at = 0;
	kd_read_virtual(eng, addr, buf, want, &done);
	for (size_t i = 0; i + unit <= done && at + 1 < n; i += unit) {
		unsigned c = unit == 2 ? (unsigned)(buf[i] | buf[i + 1] << 8) : buf[i];
		if (!c)
			break;
		out[at++] = c < 0x80 && isprint((int)c) ? (char)c : c < 0x80 ? '.' : '?';
	}
	out[at] = 0;
}

/* The value text of a field of type ti at offset off of the object. */
static void dt_value(struct dt *d, uint32_t ti, uint64_t off, char *out, size_t n)
{
	struct kd_type_info info;
	char tname[512];
	uint64_t v;
	kd_types_name(d->types, ti, tname, sizeof tname);
	if (kd_types_get(d->types, ti, &info) < 0) {
		snprintf(out, n, "%s", tname);
		return;
	}
	switch (info.kind) {
	case KD_TYPE_BASE:
		if (info.base == KD_BASE_VOID || info.size == 0 || info.size > 8) {
			snprintf(out, n, "%s", tname);
			return;
		}
		if (dt_bytes(d, off, info.size, &v) < 0) {
			snprintf(out, n, "??");
			return;
		}
		if (info.base == KD_BASE_SIGNED)
			snprintf(out, n, "0n%lld", (long long)sign_extend(v, info.size));
		else if (info.base == KD_BASE_FLOAT) {
			if (info.size == 4) {
				float f;
				uint32_t u = (uint32_t)v;
				memcpy(&f, &u, 4);
				snprintf(out, n, "%g", (double)f);
			} else {
				double f;
				memcpy(&f, &v, 8);
				snprintf(out, n, "%g", f);
			}
		} else if (info.base == KD_BASE_CHAR || info.base == KD_BASE_WCHAR) {
			char c[2] = { isprint((int)(v & 0xff)) && v < 0x80 ? (char)v : 0, 0 };
			snprintf(out, n, v ? "0x%llx '%s'" : "%llu '%s'", (unsigned long long)v, c);
		} else {
			snprintf(out, n, v ? "0x%llx" : "%llu", (unsigned long long)v);
		}
		return;
	case KD_TYPE_POINTER: {
		if (dt_bytes(d, off, info.size, &v) < 0) {
			snprintf(out, n, "??");
			return;
		}
		if (!v) {
			snprintf(out, n, "(null)");
			return;
		}
		char p[40], target[512];
		fmt_ptr(d->eng, v, p, sizeof p);
		kd_types_name(d->types, info.target, target, sizeof target);
		snprintf(out, n, "%s %s", p, target);
		return;
	}
	case KD_TYPE_BITFIELD: {
		if (info.size > 8 || dt_bytes(d, off, info.size, &v) < 0) {
			snprintf(out, n, "??");
			return;
		}
		v >>= info.bit_pos;
		size_t at = 0;
		at += (size_t)snprintf(out, n, "0y");
		for (int b = info.bit_len - 1; b >= 0 && at + 1 < n; b--)
			out[at++] = (v >> b) & 1 ? '1' : '0';
		out[at < n ? at : n - 1] = 0;
		return;
	}
	case KD_TYPE_ENUM: {
		if (info.size == 0 || info.size > 8 || dt_bytes(d, off, info.size, &v) < 0) {
			snprintf(out, n, "??");
			return;
		}
		int64_t sv = info.base == KD_BASE_SIGNED ? sign_extend(v, info.size) : (int64_t)v;
		const char *e = kd_types_enum_name(d->types, info.index, sv);
		char num[40];
		if (info.base == KD_BASE_SIGNED)
			snprintf(num, sizeof num, "0n%lld", (long long)sv);
		else
			snprintf(num, sizeof num, v ? "0x%llx" : "%llu", (unsigned long long)v);
		if (e)
			snprintf(out, n, "%s ( %s )", num, e);
		else
			snprintf(out, n, "%s", num);
		return;
	}
	case KD_TYPE_STRUCT:
	case KD_TYPE_UNION: {
		unsigned ps = kd_engine_pointer_size(d->eng);
		uint64_t a, b;
		if (!strcmp(info.name, "_LIST_ENTRY") && dt_bytes(d, off, ps, &a) == 0 &&
		    dt_bytes(d, off + ps, ps, &b) == 0) {
			char pa[40], pb[40];
			fmt_ptr(d->eng, a, pa, sizeof pa);
			fmt_ptr(d->eng, b, pb, sizeof pb);
			snprintf(out, n, "%s [ %s - %s ]", tname, pa, pb);
			return;
		}
		if (!strcmp(info.name, "_UNICODE_STRING") && dt_bytes(d, off, 2, &a) == 0 &&
		    dt_bytes(d, off + ps, ps, &b) == 0) {
			char text[300];
			target_string(d->eng, b, a / 2 < 256 ? a / 2 : 256, 2, text, sizeof text);
			snprintf(out, n, "%s \"%s\"", tname, text);
			return;
		}
		if ((!strcmp(info.name, "_LARGE_INTEGER") || !strcmp(info.name, "_ULARGE_INTEGER")) &&
		    dt_bytes(d, off, 8, &a) == 0) {
			snprintf(out, n, "%s 0x%llx", tname, (unsigned long long)a);
			return;
		}
		snprintf(out, n, "%s", tname);
		return;
	}
	case KD_TYPE_ARRAY: {
		/* character arrays show their text, as WinDbg does */
		struct kd_type_info e;
		if (kd_types_get(d->types, info.target, &e) == 0 && e.kind == KD_TYPE_BASE &&
		    (e.base == KD_BASE_CHAR || e.base == KD_BASE_WCHAR ||
		     (e.base == KD_BASE_UNSIGNED && e.size == 1)) && e.size && d->have_addr) {
			char text[300];
			target_string(d->eng, d->addr + off, (size_t)(info.size / e.size), (unsigned)e.size, text,
			              sizeof text);
			char *sp = strchr(tname, ' ');
			snprintf(out, n, "%.*s  \"%s\"", sp ? (int)(sp - tname) : (int)strlen(tname), tname, text);
			return;
		}
		snprintf(out, n, "%s", tname);
		return;
	}
	default:
		snprintf(out, n, "%s", tname);
		return;
	}
}

struct dt_level {
	struct dt *d;
	uint64_t base;   /* offset of this struct within the object */
	int depth;
	int top;
};

static void dt_struct(struct dt *d, uint32_t ti, uint64_t base, int depth, int top);

static int dt_field(void *ctx, const struct kd_type_field *f)
{
	struct dt_level *l = ctx;
	struct dt *d = l->d;
	if (kd_engine_canceled(d->eng))
		return 1;
	if (f->is_static)
		return 0;
	if (l->top && d->field && !kd_symbols_wildcard(d->field, f->name))
		return 0;
	char val[1024];
	uint64_t off = l->base + f->offset;
	if (d->have_addr)
		dt_value(d, f->type, off, val, sizeof val);
	else
		kd_types_name(d->types, f->type, val, sizeof val);
	kd_printf(d->eng, "%*s+0x%03llx %-16s : %s\n", 3 + 3 * l->depth, "",
	          (unsigned long long)f->offset, f->name, val);
	struct kd_type_info info;
	int expand = l->depth < d->depth_max || (l->top && d->field && l->depth == 0);
	if (expand && kd_types_get(d->types, f->type, &info) == 0 &&
	    (info.kind == KD_TYPE_STRUCT || info.kind == KD_TYPE_UNION))
		dt_struct(d, f->type, off, l->depth + 1, 0);
	return 0;
}

static void dt_struct(struct dt *d, uint32_t ti, uint64_t base, int depth, int top)
{
	struct dt_level l = { d, base, depth, top };
	kd_types_fields(d->types, ti, dt_field, &l);
}

/* [mod!]Type[.Field] to a module and type; mod_given tells whether the
 * text named the module. */
static int dt_find(struct kd_engine *eng, struct kd_symbols *s, const char *spec, const struct kd_module **mod,
                   struct kd_types **types, uint32_t *ti, char *field, size_t fieldlen, int *mod_given)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec);
	char *type = buf, *bang = strchr(buf, '!');
	*mod_given = 0;
	const struct kd_module *only = NULL;
	if (bang) {
		*bang = 0;
		only = kd_engine_module_by_name(eng, buf);
		if (!only)
			return KD_ENOTFOUND;
		type = bang + 1;
		*mod_given = 1;
	}
	char *dot = strchr(type, '.');
	field[0] = 0;
	if (dot) {
		*dot = 0;
		snprintf(field, fieldlen, "%s", dot + 1);
	}
	if (!*type)
		return KD_EINVAL;
	for (size_t i = 0; i < kd_engine_module_count(eng); i++) {
		const struct kd_module *m = only ? only : kd_engine_module(eng, i);
		if (kd_symbols_types(s, m, types) == 0 && kd_types_find(*types, type, ti) == 0) {
			*mod = m;
			return 0;
		}
		if (only)
			break;
	}
	return KD_ENOTFOUND;
}

static int cmd_dt(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	struct kd_symbols *s = kd_symbols_get(eng);
	if (!s && kd_kfield_dt(eng, args) == 0)
		return 0;
	if (!(s = need_symbols(eng)))
		return KD_ENOTSUP;
	struct dt d = { .eng = eng };
	char tok[2][512];
	int ntok = 0;
	const char *p = kd_skip_spaces(args);
	while (*p && *p != ';') {
		size_t n = strcspn(p, " \t;");
		if (*p == '-' && n >= 2 && isalpha((unsigned char)p[1])) {
			if (p[1] == 'r')
				d.depth_max = n > 2 && isdigit((unsigned char)p[2]) ? p[2] - '0' : 9;
		} else if (ntok < 2) {
			snprintf(tok[ntok++], sizeof tok[0], "%.*s", (int)(n < 511 ? n : 511), p);
		} else {
			kd_eprintf(eng, "Syntax error: dt [-r[N]] [Module!]Type[.Field] [Address]\n");
			return KD_EINVAL;
		}
		p = kd_skip_spaces(p + n);
	}
	if (!ntok) {
		kd_eprintf(eng, "Syntax error: dt [-r[N]] [Module!]Type[.Field] [Address]\n");
		return KD_EINVAL;
	}
	const struct kd_module *m = NULL;
	uint32_t ti = 0;
	char field[256];
	int mod_given = 0, type_tok = -1;
	for (int i = 0; i < ntok && type_tok < 0; i++)
		if (dt_find(eng, s, tok[i], &m, &d.types, &ti, field, sizeof field, &mod_given) == 0)
			type_tok = i;
	if (type_tok < 0 && kd_kfield_dt(eng, args) == 0)
		return 0;
	if (type_tok < 0) {
		kd_eprintf(eng, "Symbol %s not found.\n", tok[0]);
		return KD_ENOTFOUND;
	}
	if (ntok == 2) {
		int rc = kd_eval(eng, tok[1 - type_tok], &d.addr, NULL);
		if (rc < 0) {
			kd_eprintf(eng, "Couldn't resolve error at '%s'\n", tok[1 - type_tok]);
			return rc;
		}
		d.have_addr = 1;
	}
	d.field = field[0] ? field : NULL;
	struct kd_type_info info;
	kd_types_get(d.types, ti, &info);
	char tname[512];
	if (!mod_given)
		kd_printf(eng, "%s!%s\n", m->name, info.name);
	uint8_t *buf = NULL, *ok = NULL;
	if (d.have_addr) {
		size_t len = info.size < DT_MAX_BYTES ? (size_t)info.size : DT_MAX_BYTES;
		buf = calloc(1, len + 1);
		ok = calloc(1, len + 1);
		if (!buf || !ok) {
			free(buf);
			free(ok);
			return KD_ENOMEM;
		}
		size_t done = 0;
		kd_read_virtual(eng, d.addr, buf, len, &done);
		if (done == 0 && len) {
			char a[20];
			kd_eprintf(eng, "Memory read error %s\n", kd_format_addr(eng, d.addr, a));
			free(buf);
			free(ok);
			return KD_EUNREADABLE;
		}
		memset(ok, 1, done);
		d.buf = buf;
		d.ok = ok;
		d.len = len;
		if (!strcmp(info.name, "_LIST_ENTRY") && !d.field) {
			char v[256];
			dt_value(&d, ti, 0, v, sizeof v);
			kd_printf(eng, " %s\n", strchr(v, '[') ? strchr(v, '[') : v);
		}
	}
	if (info.kind == KD_TYPE_STRUCT || info.kind == KD_TYPE_UNION) {
		dt_struct(&d, ti, 0, 0, 1);
	} else if (info.kind == KD_TYPE_ENUM && !d.have_addr) {
		kd_types_name(d.types, ti, tname, sizeof tname);
		kd_printf(eng, "   %s\n", tname);
	}
	free(buf);
	free(ok);
	return kd_engine_canceled(eng) ? KD_ECANCELED : 0;
}

/* --- .reload, .sympath, .symfix, !sym --------------------------------- */

static int cmd_reload(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	int force = 0;
	char module[128] = "";
	const char *p = kd_skip_spaces(args);
	while (*p) {
		size_t n = strcspn(p, " \t;");
		if (*p == '/' || *p == '-') {
			for (size_t i = 1; i < n; i++)
				if (p[i] == 'f' || p[i] == 'F')
					force = 1;
		} else {
			snprintf(module, sizeof module, "%.*s", (int)(n < 127 ? n : 127), p);
			char *eq = strchr(module, '='); /* name=base,size: name only */
			if (eq)
				*eq = 0;
			char *dot = strrchr(module, '.');
			if (dot && (!strcasecmp(dot, ".sys") || !strcasecmp(dot, ".dll") || !strcasecmp(dot, ".exe")))
				*dot = 0;
		}
		p = kd_skip_spaces(p + n);
	}
	if (!module[0] && !kd_symbols_noisy(s))
		kd_printf(eng, "Loading Kernel Symbols\n");
	/* On a live kernel the module list comes from PsLoadedModuleList. */
	struct kd_target *t = kd_engine_target(eng);
	struct kd_version v;
	if (!module[0] && t && t->ops->kind && !strcmp(t->ops->kind, "live") &&
	    kd_engine_version(eng, &v) == 0 && v.ps_loaded_module_list) {
		size_t n;
		if (kd_symbols_walk_module_list(eng, v.ps_loaded_module_list, &n) == 0 && kd_symbols_noisy(s))
			kd_printf(eng, "DBGHELP: %zu modules from PsLoadedModuleList\n", n);
	}
	int rc = kd_symbols_reload(s, module[0] ? module : NULL, force);
	if (rc == KD_ENOTFOUND) {
		kd_eprintf(eng, "\"%s\" was not found in the image list.\n", module);
		return rc;
	}
	return rc;
}

static int cmd_sympath(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	int append = name[strlen(name) - 1] == '+';
	const char *p = kd_skip_spaces(args);
	if (*p) {
		int rc = kd_symbols_set_path(s, p, append);
		if (rc < 0) {
			kd_eprintf(eng, "%s: %s\n", name, kd_strerror(rc));
			return rc;
		}
	}
	kd_printf(eng, "Symbol search path is: %s\n", kd_symbols_path(s)[0] ? kd_symbols_path(s) : "<empty>");
	kd_printf(eng, "Expanded Symbol search path is: %s\n", kd_symbols_path(s)[0] ? kd_symbols_path(s) : "<empty>");
	return 0;
}

static int cmd_symfix(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	char cache[4096], text[4300];
	const char *p = kd_skip_spaces(args);
	size_t n = strcspn(p, " \t;");
	if (n)
		snprintf(cache, sizeof cache, "%.*s", (int)(n < 4095 ? n : 4095), p);
	else
		kd_sympath_default_cache(cache, sizeof cache);
	snprintf(text, sizeof text, "srv*%s*%s", cache, KD_SYMFIX_URL);
	int rc = kd_symbols_set_path(s, text, name[strlen(name) - 1] == '+');
	if (rc < 0) {
		kd_eprintf(eng, "%s: %s\n", name, kd_strerror(rc));
		return rc;
	}
	return 0;
}

static int cmd_sym(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	struct kd_symbols *s = need_symbols(eng);
	if (!s)
		return KD_ENOTSUP;
	const char *p = kd_skip_spaces(args);
	if (strncasecmp(p, "noisy", 5) == 0) {
		kd_symbols_set_noisy(s, 1);
		kd_printf(eng, "noisy mode - symbol prompts on\n");
	} else if (strncasecmp(p, "quiet", 5) == 0) {
		kd_symbols_set_noisy(s, 0);
		kd_printf(eng, "quiet mode - symbol prompts on\n");
	} else if (!*p) {
		kd_printf(eng, "!sym <noisy/quiet - prompts/prompts off> - ");
		kd_printf(eng, "%s mode - symbol prompts on\n", kd_symbols_noisy(s) ? "noisy" : "quiet");
	} else {
		kd_eprintf(eng, "Syntax error: !sym noisy|quiet\n");
		return KD_EINVAL;
	}
	return 0;
}

const struct kd_command kd_cmds_symbols[] = {
	{ "lm", cmd_lm, "lm[v][l][m Pattern]", "list loaded modules" },
	{ "lmv", cmd_lm, "lmv [m Pattern]", "list modules verbosely" },
	{ "lmm", cmd_lm, "lmm Pattern", "list modules matching a pattern" },
	{ "lmvm", cmd_lm, "lmvm Pattern", "list matching modules verbosely" },
	{ "lml", cmd_lm, "lml", "list modules with loaded symbols" },
	{ "x", cmd_x, "x [Module!]Pattern", "examine symbols (wildcards * ?)" },
	{ "ln", cmd_ln, "ln Address", "list nearest symbols" },
	{ "dt", cmd_dt, "dt [-r[N]] [Module!]Type[.Field] [Address]", "display a type" },
	{ ".reload", cmd_reload, ".reload [/f] [Module]", "reload module symbols" },
	{ ".sympath", cmd_sympath, ".sympath [Path]", "show or set the symbol path" },
	{ ".sympath+", cmd_sympath, ".sympath+ Path", "append to the symbol path" },
	{ ".symfix", cmd_symfix, ".symfix [Cache]", "use the Microsoft symbol server" },
	{ ".symfix+", cmd_symfix, ".symfix+ [Cache]", "append the Microsoft symbol server" },
	{ "!sym", cmd_sym, "!sym noisy|quiet", "explain every symbol lookup" },
	{ NULL, NULL, NULL, NULL },
};
