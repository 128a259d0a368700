/*
 * TPI type records: index, hash lookup by name, leaves decoded for dt.
 */
#include "base/bytes.h"
#include "symbols/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "symbols/pdb.h"

#define MAX_CHAIN 64

enum {
	LF_MODIFIER = 0x1001,
	LF_POINTER = 0x1002,
	LF_PROCEDURE = 0x1008,
	LF_MFUNCTION = 0x1009,
	LF_FIELDLIST = 0x1203,
	LF_BITFIELD = 0x1205,
	LF_BCLASS = 0x1400,
	LF_VBCLASS = 0x1401,
	LF_IVBCLASS = 0x1402,
	LF_INDEX = 0x1404,
	LF_VFUNCTAB = 0x1409,
	LF_ENUMERATE = 0x1502,
	LF_ARRAY = 0x1503,
	LF_CLASS = 0x1504,
	LF_STRUCTURE = 0x1505,
	LF_UNION = 0x1506,
	LF_ENUM = 0x1507,
	LF_MEMBER = 0x150d,
	LF_STMEMBER = 0x150e,
	LF_METHOD = 0x150f,
	LF_NESTTYPE = 0x1510,
	LF_ONEMETHOD = 0x1511,
	LF_INTERFACE = 0x1519,
};

#define PROP_FWDREF 0x0080
#define PROP_SCOPED 0x0100
#define PROP_UNIQUE 0x0200

struct kd_types {
	const uint8_t *rec;     /* first record */
	size_t rec_len;
	uint32_t first, count;
	uint32_t *offsets;      /* per record: offset of its length field */
	const uint8_t *hashes;  /* hash stream: one bucket number per record */
	uint32_t nhash, key_size, buckets;
	unsigned ptr_size;
};

/* A numeric leaf at p: *v and bytes used, 0 when malformed. */
static size_t numeric(const uint8_t *p, const uint8_t *end, int64_t *v)
{
	if (end - p < 2)
		return 0;
	uint16_t k = kd_le16(p);
	if (k < 0x8000) {
		*v = k;
		return 2;
	}
	size_t need;
	switch (k) {
	case 0x8000: need = 1; break;
	case 0x8001: case 0x8002: need = 2; break;
	case 0x8003: case 0x8004: need = 4; break;
	case 0x8009: case 0x800a: need = 8; break;
	default: return 0;
	}
	if ((size_t)(end - p) < 2 + need)
		return 0;
	const uint8_t *q = p + 2;
	switch (k) {
	case 0x8000: *v = (int8_t)q[0]; break;
	case 0x8001: *v = (int16_t)kd_le16(q); break;
	case 0x8002: *v = kd_le16(q); break;
	case 0x8003: *v = (int32_t)kd_le32(q); break;
	case 0x8004: *v = kd_le32(q); break;
	default: *v = (int64_t)(kd_le32(q) | (uint64_t)kd_le32(q + 4) << 32); break;
	}
	return 2 + need;
}

static const char *cstr(const uint8_t *p, const uint8_t *end)
{
	if (p >= end || !memchr(p, 0, (size_t)(end - p)))
		return NULL;
	return (const char *)p;
}

int kd_types_open(struct kd_pdb *pdb, struct kd_types **out)
{
	const uint8_t *d;
	uint32_t n;
	if (kd_pdb_stream(pdb, 2, &d, &n) < 0 || n < 56)
		return KD_ENOTFOUND;
	uint32_t hdr = kd_le32(d + 4), first = kd_le32(d + 8), last = kd_le32(d + 12), bytes = kd_le32(d + 16);
	if (hdr < 56 || hdr > n || bytes > n - hdr || last < first || first < 0x1000)
		return KD_EFORMAT;
	struct kd_types *t = calloc(1, sizeof *t);
	if (!t)
		return KD_ENOMEM;
	t->rec = d + hdr;
	t->rec_len = bytes;
	t->first = first;
	t->ptr_size = 8;
	uint32_t want = last - first;
	if (want > bytes / 4)
		want = bytes / 4; /* every record takes at least 4 bytes */
	t->offsets = malloc((want ? want : 1) * sizeof *t->offsets);
	if (!t->offsets) {
		free(t);
		return KD_ENOMEM;
	}
	size_t off = 0;
	uint32_t i = 0;
	while (i < want && off + 4 <= bytes) {
		uint32_t len = kd_le16(t->rec + off) + 2u;
		if (len < 4 || off + len > bytes)
			break;
		t->offsets[i++] = (uint32_t)off;
		off += len;
	}
	t->count = i;
	/* The hash stream: NumHashBuckets and a value per record. */
	uint16_t hs = kd_le16(d + 20);
	uint32_t key_size = kd_le32(d + 24), buckets = kd_le32(d + 28);
	int32_t hv_off = (int32_t)kd_le32(d + 32), hv_len = (int32_t)kd_le32(d + 36);
	const uint8_t *h;
	uint32_t hn;
	if (hs != 0xffff && key_size == 4 && buckets && hv_off >= 0 && hv_len >= 0 &&
	    kd_pdb_stream(pdb, hs, &h, &hn) == 0 && (uint64_t)hv_off + (uint64_t)hv_len <= hn) {
		t->hashes = h + hv_off;
		t->nhash = (uint32_t)hv_len / 4;
		t->key_size = key_size;
		t->buckets = buckets;
	}
	*out = t;
	return 0;
}

void kd_types_close(struct kd_types *t)
{
	if (!t)
		return;
	free(t->offsets);
	free(t);
}

uint32_t kd_types_count(const struct kd_types *t)
{
	return t->count;
}

uint32_t kd_types_first(const struct kd_types *t)
{
	return t->first;
}

void kd_types_set_pointer_size(struct kd_types *t, unsigned size)
{
	t->ptr_size = size;
}

int kd_types_record(struct kd_types *t, uint32_t index, uint16_t *kind, const uint8_t **data, size_t *len)
{
	if (index < t->first || index - t->first >= t->count)
		return KD_ENOTFOUND;
	const uint8_t *r = t->rec + t->offsets[index - t->first];
	*kind = kd_le16(r + 2);
	*data = r + 4;
	*len = kd_le16(r) - 2u;
	return 0;
}

/* The name, property and field list of a UDT record; NULL name when the
 * record is not one. */
struct udt {
	const char *name, *unique;
	uint16_t prop;
	uint32_t fields;
	uint64_t size;
	uint32_t utype;
	enum kd_type_kind kind;
};

static int udt_of(uint16_t kind, const uint8_t *p, size_t len, struct udt *u)
{
	const uint8_t *end = p + len;
	int64_t v = 0;
	size_t used;
	memset(u, 0, sizeof *u);
	switch (kind) {
	case LF_CLASS:
	case LF_STRUCTURE:
	case LF_INTERFACE:
		if (len < 18 || !(used = numeric(p + 16, end, &v)))
			return KD_EFORMAT;
		u->kind = KD_TYPE_STRUCT;
		u->prop = kd_le16(p + 2);
		u->fields = kd_le32(p + 4);
		u->size = (uint64_t)v;
		u->name = cstr(p + 16 + used, end);
		break;
	case LF_UNION:
		if (len < 10 || !(used = numeric(p + 8, end, &v)))
			return KD_EFORMAT;
		u->kind = KD_TYPE_UNION;
		u->prop = kd_le16(p + 2);
		u->fields = kd_le32(p + 4);
		u->size = (uint64_t)v;
		u->name = cstr(p + 8 + used, end);
		break;
	case LF_ENUM:
		if (len < 12)
			return KD_EFORMAT;
		u->kind = KD_TYPE_ENUM;
		u->prop = kd_le16(p + 2);
		u->utype = kd_le32(p + 4);
		u->fields = kd_le32(p + 8);
		u->name = cstr(p + 12, end);
		break;
	default:
		return KD_ENOTFOUND;
	}
	if (!u->name)
		return KD_EFORMAT;
	if (u->prop & PROP_UNIQUE)
		u->unique = cstr((const uint8_t *)u->name + strlen(u->name) + 1, end);
	return 0;
}

static int match_def(struct kd_types *t, uint32_t i, const char *name, const char *unique)
{
	uint16_t kind;
	const uint8_t *p;
	size_t len;
	struct udt u;
	if (kd_types_record(t, t->first + i, &kind, &p, &len) < 0 || udt_of(kind, p, len, &u) < 0)
		return 0;
	if (u.prop & PROP_FWDREF)
		return 0;
	if (unique)
		return u.unique && strcmp(u.unique, unique) == 0;
	return strcmp(u.name, name) == 0;
}

static int find_def(struct kd_types *t, const char *name, const char *unique, uint32_t *index)
{
	if (t->hashes) {
		uint32_t b = kd_pdb_hash_v1(name, strlen(name)) % t->buckets;
		uint32_t n = t->nhash < t->count ? t->nhash : t->count;
		for (uint32_t i = 0; i < n; i++)
			if (kd_le32(t->hashes + 4 * i) == b && match_def(t, i, name, unique)) {
				*index = t->first + i;
				return 0;
			}
	}
	/* scoped names and unusual hashes: a linear scan */
	for (uint32_t i = 0; i < t->count; i++)
		if (match_def(t, i, name, unique)) {
			*index = t->first + i;
			return 0;
		}
	return KD_ENOTFOUND;
}

int kd_types_find(struct kd_types *t, const char *name, uint32_t *index)
{
	return find_def(t, name, NULL, index);
}

static void simple(struct kd_types *t, uint32_t ti, struct kd_type_info *o)
{
	uint32_t kind = ti & 0xff, mode = (ti >> 8) & 0xf;
	o->kind = KD_TYPE_BASE;
	if (mode) {
		o->kind = KD_TYPE_POINTER;
		o->target = kind;
		o->size = mode == 6 ? 8 : mode == 4 ? 4 : t->ptr_size;
		return;
	}
	switch (kind) {
	case 0x03: o->base = KD_BASE_VOID; o->size = 0; break;
	case 0x10: case 0x70: case 0x68: o->base = KD_BASE_CHAR; o->size = 1; break;
	case 0x20: case 0x69: o->base = KD_BASE_UNSIGNED; o->size = 1; break;
	case 0x71: case 0x7a: o->base = KD_BASE_WCHAR; o->size = 2; break;
	case 0x7b: o->base = KD_BASE_UNSIGNED; o->size = 4; break;
	case 0x11: case 0x72: o->base = KD_BASE_SIGNED; o->size = 2; break;
	case 0x21: case 0x73: o->base = KD_BASE_UNSIGNED; o->size = 2; break;
	case 0x12: case 0x74: case 0x08: o->base = KD_BASE_SIGNED; o->size = 4; break;
	case 0x22: case 0x75: o->base = KD_BASE_UNSIGNED; o->size = 4; break;
	case 0x13: case 0x76: o->base = KD_BASE_SIGNED; o->size = 8; break;
	case 0x23: case 0x77: o->base = KD_BASE_UNSIGNED; o->size = 8; break;
	case 0x14: case 0x78: o->base = KD_BASE_SIGNED; o->size = 16; break;
	case 0x24: case 0x79: o->base = KD_BASE_UNSIGNED; o->size = 16; break;
	case 0x40: o->base = KD_BASE_FLOAT; o->size = 4; break;
	case 0x41: o->base = KD_BASE_FLOAT; o->size = 8; break;
	case 0x42: o->base = KD_BASE_FLOAT; o->size = 10; break;
	case 0x30: o->base = KD_BASE_BOOL; o->size = 1; break;
	case 0x31: o->base = KD_BASE_BOOL; o->size = 2; break;
	case 0x32: o->base = KD_BASE_BOOL; o->size = 4; break;
	case 0x33: o->base = KD_BASE_BOOL; o->size = 8; break;
	default: o->base = KD_BASE_UNSIGNED; o->size = 0; break;
	}
}

int kd_types_get(struct kd_types *t, uint32_t ti, struct kd_type_info *o)
{
	memset(o, 0, sizeof *o);
	o->name = "";
	for (int hop = 0; hop < MAX_CHAIN; hop++) {
		o->index = ti;
		if (ti < 0x1000) {
			simple(t, ti, o);
			return 0;
		}
		uint16_t kind;
		const uint8_t *p, *end;
		size_t len;
		if (kd_types_record(t, ti, &kind, &p, &len) < 0)
			return KD_ENOTFOUND;
		end = p + len;
		struct udt u;
		int64_t v;
		switch (kind) {
		case LF_MODIFIER:
			if (len < 6)
				return KD_EFORMAT;
			o->is_const |= kd_le16(p + 4) & 1;
			ti = kd_le32(p);
			continue;
		case LF_POINTER: {
			if (len < 8)
				return KD_EFORMAT;
			uint32_t attr = kd_le32(p + 4);
			o->kind = KD_TYPE_POINTER;
			o->target = kd_le32(p);
			o->size = (attr >> 13) & 0x3f;
			if (!o->size)
				o->size = (attr & 0x1f) == 0x0c ? 8 : 4;
			return 0;
		}
		case LF_PROCEDURE:
		case LF_MFUNCTION:
			o->kind = KD_TYPE_FUNCTION;
			o->target = len >= 4 ? kd_le32(p) : 0;
			return 0;
		case LF_ARRAY: {
			size_t used;
			if (len < 8 || !(used = numeric(p + 8, end, &v)))
				return KD_EFORMAT;
			o->kind = KD_TYPE_ARRAY;
			o->target = kd_le32(p);
			o->size = (uint64_t)v;
			return 0;
		}
		case LF_BITFIELD: {
			if (len < 6)
				return KD_EFORMAT;
			struct kd_type_info under;
			if (kd_types_get(t, kd_le32(p), &under) < 0)
				return KD_EFORMAT;
			*o = under;
			o->index = ti;
			o->kind = KD_TYPE_BITFIELD;
			o->target = kd_le32(p);
			o->bit_len = p[4];
			o->bit_pos = p[5];
			return 0;
		}
		default:
			if (udt_of(kind, p, len, &u) < 0)
				return KD_EFORMAT;
			if (u.prop & PROP_FWDREF) {
				uint32_t def;
				if (find_def(t, u.name, u.unique, &def) == 0 && def != ti) {
					ti = def;
					continue;
				}
				o->forward = 1;
			}
			o->kind = u.kind;
			o->name = u.name;
			o->size = u.size;
			o->fields = u.fields;
			if (u.kind == KD_TYPE_ENUM) {
				struct kd_type_info under;
				o->target = u.utype;
				if (kd_types_get(t, u.utype, &under) == 0) {
					o->size = under.size;
					o->base = under.base;
				}
			}
			return 0;
		}
	}
	return KD_EFORMAT;
}

static const char *base_name(const struct kd_type_info *i)
{
	switch (i->base) {
	case KD_BASE_VOID: return "Void";
	case KD_BASE_CHAR: return "Char";
	case KD_BASE_WCHAR: return "Wchar";
	case KD_BASE_BOOL: return "Bool";
	case KD_BASE_FLOAT: return i->size == 4 ? "Float" : "Float";
	case KD_BASE_SIGNED:
		return i->size == 1 ? "Char" : i->size == 2 ? "Int2B" : i->size == 4 ? "Int4B" :
		       i->size == 8 ? "Int8B" : "Int16B";
	default:
		return i->size == 1 ? "UChar" : i->size == 2 ? "Uint2B" : i->size == 4 ? "Uint4B" :
		       i->size == 8 ? "Uint8B" : i->size == 16 ? "Uint16B" : "UChar";
	}
}

static int name_rec(struct kd_types *t, uint32_t ti, char *buf, size_t n, int depth)
{
	struct kd_type_info i;
	if (depth > MAX_CHAIN || kd_types_get(t, ti, &i) < 0) {
		snprintf(buf, n, "<unknown type>");
		return KD_EFORMAT;
	}
	char inner[512];
	switch (i.kind) {
	case KD_TYPE_BASE:
		snprintf(buf, n, "%s", base_name(&i));
		return 0;
	case KD_TYPE_POINTER:
		name_rec(t, i.target, inner, sizeof inner, depth + 1);
		snprintf(buf, n, "Ptr%u %s", (unsigned)i.size * 8, inner);
		return 0;
	case KD_TYPE_ARRAY: {
		struct kd_type_info e;
		uint64_t count = 0;
		if (kd_types_get(t, i.target, &e) == 0 && e.size)
			count = i.size / e.size;
		name_rec(t, i.target, inner, sizeof inner, depth + 1);
		snprintf(buf, n, "[%llu] %s", (unsigned long long)count, inner);
		return 0;
	}
	case KD_TYPE_BITFIELD:
		snprintf(buf, n, "Pos %u, %u Bit%s", i.bit_pos, i.bit_len, i.bit_len == 1 ? "" : "s");
		return 0;
	case KD_TYPE_FUNCTION:
		snprintf(buf, n, "void");
		return 0;
	default:
		/* MSVC names nested anonymous types "Outer::<unnamed-type-x>";
		 * WinDbg shows them all as <unnamed-tag>. */
		snprintf(buf, n, "%s", i.name[0] && !strstr(i.name, "<unnamed-") && !strstr(i.name, "__unnamed") ?
		         i.name : "<unnamed-tag>");
		return 0;
	}
}

int kd_types_name(struct kd_types *t, uint32_t index, char *buf, size_t n)
{
	return name_rec(t, index, buf, n, 0);
}

int kd_types_fields(struct kd_types *t, uint32_t index,
                    int (*fn)(void *ctx, const struct kd_type_field *f), void *ctx)
{
	struct kd_type_info info;
	int rc = kd_types_get(t, index, &info);
	if (rc < 0)
		return rc;
	if (info.kind != KD_TYPE_STRUCT && info.kind != KD_TYPE_UNION && info.kind != KD_TYPE_ENUM)
		return KD_EINVAL;
	uint32_t list = info.fields;
	for (int chain = 0; list && chain < MAX_CHAIN; chain++) {
		uint16_t kind;
		const uint8_t *p, *end;
		size_t len;
		if (kd_types_record(t, list, &kind, &p, &len) < 0 || kind != LF_FIELDLIST)
			return 0;
		end = p + len;
		list = 0;
		while (end - p >= 2) {
			if (*p >= 0xf0) { /* LF_PAD */
				p += *p & 0x0f ? *p & 0x0f : 1;
				continue;
			}
			uint16_t leaf = kd_le16(p);
			const uint8_t *q = p + 2;
			struct kd_type_field f = { 0 };
			int64_t v = 0;
			size_t used = 0;
			const char *nm = NULL;
			int emit = 0;
			switch (leaf) {
			case LF_MEMBER:
				if (end - q < 6 || !(used = numeric(q + 6, end, &v)) || !(nm = cstr(q + 6 + used, end)))
					return 0;
				f.type = kd_le32(q + 2);
				f.offset = (uint64_t)v;
				f.name = nm;
				emit = 1;
				q = (const uint8_t *)nm + strlen(nm) + 1;
				break;
			case LF_STMEMBER:
				if (end - q < 6 || !(nm = cstr(q + 6, end)))
					return 0;
				f.type = kd_le32(q + 2);
				f.name = nm;
				f.is_static = 1;
				emit = 1;
				q = (const uint8_t *)nm + strlen(nm) + 1;
				break;
			case LF_BCLASS:
				if (end - q < 6 || !(used = numeric(q + 6, end, &v)))
					return 0;
				f.type = kd_le32(q + 2);
				f.offset = (uint64_t)v;
				f.is_base = 1;
				f.name = "__BaseClass";
				emit = 1;
				q += 6 + used;
				break;
			case LF_VBCLASS:
			case LF_IVBCLASS: {
				size_t u2;
				int64_t v2;
				if (end - q < 10 || !(used = numeric(q + 10, end, &v)) ||
				    !(u2 = numeric(q + 10 + used, end, &v2)))
					return 0;
				q += 10 + used + u2;
				break;
			}
			case LF_ENUMERATE:
				if (end - q < 2 || !(used = numeric(q + 2, end, &v)) || !(nm = cstr(q + 2 + used, end)))
					return 0;
				f.name = nm;
				f.value = v;
				emit = 1;
				q = (const uint8_t *)nm + strlen(nm) + 1;
				break;
			case LF_METHOD:
				if (end - q < 6 || !(nm = cstr(q + 6, end)))
					return 0;
				q = (const uint8_t *)nm + strlen(nm) + 1;
				break;
			case LF_ONEMETHOD: {
				if (end - q < 6)
					return 0;
				unsigned mprop = (kd_le16(q) >> 2) & 7;
				size_t at = 6 + ((mprop == 4 || mprop == 6) ? 4 : 0);
				if ((size_t)(end - q) < at || !(nm = cstr(q + at, end)))
					return 0;
				q = (const uint8_t *)nm + strlen(nm) + 1;
				break;
			}
			case LF_NESTTYPE:
				if (end - q < 6 || !(nm = cstr(q + 6, end)))
					return 0;
				q = (const uint8_t *)nm + strlen(nm) + 1;
				break;
			case LF_VFUNCTAB:
				q += 6;
				break;
			case LF_INDEX:
				if (end - q < 6)
					return 0;
				list = kd_le32(q + 2);
				q += 6;
				break;
			default:
				return 0; /* an unknown leaf: its length is unknown */
			}
			if (emit && fn(ctx, &f))
				return 0;
			if (q > end)
				return 0;
			p = q;
		}
	}
	return 0;
}

struct enum_find {
	int64_t v;
	const char *name;
};

static int enum_one(void *ctx, const struct kd_type_field *f)
{
	struct enum_find *e = ctx;
	if (f->value == e->v) {
		e->name = f->name;
		return 1;
	}
	return 0;
}

const char *kd_types_enum_name(struct kd_types *t, uint32_t index, int64_t v)
{
	struct enum_find e = { v, NULL };
	kd_types_fields(t, index, enum_one, &e);
	return e.name;
}

static const char *c_simple(uint32_t kind)
{
	switch (kind) {
	case 0x03: return "void";
	case 0x08: return "HRESULT";
	case 0x10: return "signed char";
	case 0x20: return "unsigned char";
	case 0x68: return "signed char";
	case 0x69: return "unsigned char";
	case 0x70: return "char";
	case 0x71: return "wchar_t";
	case 0x7a: return "char16_t";
	case 0x7b: return "char32_t";
	case 0x11: case 0x72: return "short";
	case 0x21: case 0x73: return "unsigned short";
	case 0x12: return "long";
	case 0x22: return "unsigned long";
	case 0x74: return "int";
	case 0x75: return "unsigned int";
	case 0x13: case 0x76: return "__int64";
	case 0x23: case 0x77: return "unsigned __int64";
	case 0x40: return "float";
	case 0x41: return "double";
	case 0x42: return "long double";
	case 0x30: return "bool";
	default: return "<unknown>";
	}
}

static int c_name_rec(struct kd_types *t, uint32_t ti, char *buf, size_t n, int depth)
{
	if (depth > MAX_CHAIN) {
		snprintf(buf, n, "<unknown>");
		return KD_EFORMAT;
	}
	if (ti < 0x1000) {
		if ((ti >> 8) & 0xf)
			snprintf(buf, n, "%s *", c_simple(ti & 0xff));
		else
			snprintf(buf, n, "%s", c_simple(ti & 0xff));
		return 0;
	}
	uint16_t kind;
	const uint8_t *p;
	size_t len;
	char inner[512];
	if (kd_types_record(t, ti, &kind, &p, &len) < 0) {
		snprintf(buf, n, "<unknown>");
		return KD_ENOTFOUND;
	}
	struct udt u;
	switch (kind) {
	case LF_MODIFIER:
		return len >= 4 ? c_name_rec(t, kd_le32(p), buf, n, depth + 1) : KD_EFORMAT;
	case LF_POINTER: {
		if (len < 8)
			return KD_EFORMAT;
		unsigned mode = (kd_le32(p + 4) >> 5) & 7;
		const char *sym = mode == 1 ? "&" : mode == 4 ? "&&" : "*";
		c_name_rec(t, kd_le32(p), inner, sizeof inner, depth + 1);
		size_t l = strlen(inner);
		snprintf(buf, n, "%s%s%s", inner, l && inner[l - 1] == '*' ? "" : " ", sym);
		return 0;
	}
	case LF_PROCEDURE:
	case LF_MFUNCTION:
		snprintf(buf, n, "<function>");
		return 0;
	case LF_ARRAY:
		if (len < 4)
			return KD_EFORMAT;
		c_name_rec(t, kd_le32(p), inner, sizeof inner, depth + 1);
		snprintf(buf, n, "%s []", inner);
		return 0;
	default:
		if (udt_of(kind, p, len, &u) < 0) {
			snprintf(buf, n, "<unknown>");
			return KD_EFORMAT;
		}
		snprintf(buf, n, "%s %s", kind == LF_CLASS ? "class" : kind == LF_UNION ? "union" :
		         kind == LF_ENUM ? "enum" : "struct", u.name);
		return 0;
	}
}

int kd_types_c_name(struct kd_types *t, uint32_t index, char *buf, size_t n)
{
	return c_name_rec(t, index, buf, n, 0);
}

int kd_types_params(struct kd_types *t, uint32_t proc, char *buf, size_t n)
{
	uint16_t kind;
	const uint8_t *p;
	size_t len;
	uint32_t args;
	if (kd_types_record(t, proc, &kind, &p, &len) < 0)
		return KD_ENOTFOUND;
	if (kind == LF_PROCEDURE && len >= 12)
		args = kd_le32(p + 8);
	else if (kind == LF_MFUNCTION && len >= 20)
		args = kd_le32(p + 16);
	else
		return KD_EINVAL;
	const uint8_t *a;
	size_t alen;
	if (kd_types_record(t, args, &kind, &a, &alen) < 0 || kind != 0x1201 || alen < 4)
		return KD_EFORMAT;
	uint32_t count = kd_le32(a);
	if (count > (alen - 4) / 4)
		return KD_EFORMAT;
	size_t at = 0;
	at += (size_t)snprintf(buf, n, "(");
	for (uint32_t i = 0; i < count && at < n; i++) {
		char one[512];
		uint32_t ti = kd_le32(a + 4 + 4 * i);
		if (ti == 0)
			snprintf(one, sizeof one, "...");
		else
			c_name_rec(t, ti, one, sizeof one, 0);
		at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "", one);
	}
	if (at < n)
		snprintf(buf + at, n - at, "%s)", count ? "" : "void");
	return 0;
}
