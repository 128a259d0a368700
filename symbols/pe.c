/*
 * PE image reader: DOS/NT headers, section table, debug directory (RSDS),
 * export directory and the x64 exception directory, over a read callback
 * so files and target memory share one parser.
 */
#include "base/bytes.h"
#include "symbols/pe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "base/file.h"

#define MAX_SECTIONS 96
#define MAX_EXPORTS (1u << 20)
#define MAX_PDATA (1u << 22)

struct mem_src {
	const uint8_t *data;
	size_t len;
	uint8_t *owned;
};

struct kd_pe {
	kd_pe_read_fn read;
	void *ctx;
	enum kd_pe_layout layout;
	struct mem_src mem;
	struct kd_pe_info info;
	uint32_t dirs[16][2];
	unsigned ndirs;
	struct kd_pe_section *sections;
	size_t nsections;
	/* exports */
	int exports_loaded;
	struct kd_pe_export *exports;
	size_t nexports;
	char *export_names;
	/* pdata */
	int pdata_loaded;
	struct kd_pe_runtime_function *pdata;
	size_t npdata;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem_src *m = ctx;
	if (off > m->len || len > m->len - off)
		return KD_EUNREADABLE;
	memcpy(buf, m->data + off, len);
	return 0;
}

int kd_pe_rva_to_offset(const struct kd_pe *pe, uint32_t rva, uint32_t *offset)
{
	if (rva < pe->info.headers_size) {
		*offset = rva;
		return 0;
	}
	for (size_t i = 0; i < pe->nsections; i++) {
		const struct kd_pe_section *s = &pe->sections[i];
		uint32_t span = s->virtual_size ? s->virtual_size : s->raw_size;
		if (rva >= s->rva && rva - s->rva < span) {
			if (rva - s->rva >= s->raw_size)
				return KD_ENOTFOUND; /* zero-fill beyond raw data */
			*offset = s->raw_ptr + (rva - s->rva);
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

int kd_pe_read_rva(struct kd_pe *pe, uint32_t rva, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if ((uint64_t)rva + len > 0x100000000ull)
		return KD_EUNREADABLE;
	if (pe->layout == KD_PE_MAPPED)
		return pe->read(pe->ctx, rva, buf, len);
	/* File layout: the whole range must lie in one backed region. */
	uint32_t off, off_end;
	if (kd_pe_rva_to_offset(pe, rva, &off) < 0 ||
	    kd_pe_rva_to_offset(pe, (uint32_t)(rva + len - 1), &off_end) < 0 ||
	    off_end - off != len - 1)
		return KD_EUNREADABLE;
	return pe->read(pe->ctx, off, buf, len);
}

/* A NUL-terminated string at rva, at most n-1 characters. */
static int read_string(struct kd_pe *pe, uint32_t rva, char *out, size_t n)
{
	size_t i = 0;
	while (i + 1 < n) {
		uint8_t chunk[64];
		size_t want = sizeof chunk;
		/* shrink near the end of a section */
		while (want > 1 && kd_pe_read_rva(pe, rva + (uint32_t)i, chunk, want) < 0)
			want /= 2;
		if (want == 1 && kd_pe_read_rva(pe, rva + (uint32_t)i, chunk, 1) < 0)
			return KD_EUNREADABLE;
		for (size_t k = 0; k < want && i + 1 < n; k++) {
			out[i++] = (char)chunk[k];
			if (!chunk[k])
				return 0;
		}
	}
	out[n - 1] = 0;
	return 0;
}

static void read_rsds(struct kd_pe *pe)
{
	uint32_t rva, size;
	if (kd_pe_data_directory(pe, 6, &rva, &size) < 0)
		return;
	for (uint32_t i = 0; i < size / 28 && i < 32; i++) {
		uint8_t d[28];
		if (kd_pe_read_rva(pe, rva + 28 * i, d, sizeof d) < 0)
			return;
		if (kd_le32(d + 12) != 2 /* IMAGE_DEBUG_TYPE_CODEVIEW */ || kd_le32(d + 16) < 24)
			continue;
		uint8_t cv[24];
		uint64_t where = pe->layout == KD_PE_MAPPED ? kd_le32(d + 20) : kd_le32(d + 24);
		if (pe->read(pe->ctx, where, cv, sizeof cv) < 0 || memcmp(cv, "RSDS", 4) != 0)
			continue;
		memcpy(pe->info.guid, cv + 4, 16);
		pe->info.age = kd_le32(cv + 20);
		size_t nlen = kd_le32(d + 16) - 24;
		if (nlen >= sizeof pe->info.pdb_name)
			nlen = sizeof pe->info.pdb_name - 1;
		memset(pe->info.pdb_name, 0, sizeof pe->info.pdb_name);
		if (nlen && pe->read(pe->ctx, where + 24, pe->info.pdb_name, nlen) < 0)
			continue;
		pe->info.pdb_name[nlen] = 0;
		pe->info.has_rsds = 1;
		return;
	}
}

static int parse_headers(struct kd_pe *pe, char *err, size_t errlen)
{
	uint8_t dos[64];
	if (pe->read(pe->ctx, 0, dos, sizeof dos) < 0 || dos[0] != 'M' || dos[1] != 'Z')
		return kd_fail(err, errlen, KD_EFORMAT, "not a PE image (no MZ header)");
	uint32_t nt = kd_le32(dos + 60);
	uint8_t h[24 + 240];
	if (nt > 0x10000000 || pe->read(pe->ctx, nt, h, 24 + 2) < 0 || memcmp(h, "PE\0\0", 4) != 0)
		return kd_fail(err, errlen, KD_EFORMAT, "not a PE image (no PE signature)");
	uint16_t nsec = kd_le16(h + 6), opt_size = kd_le16(h + 20);
	pe->info.machine = kd_le16(h + 4);
	pe->info.timestamp = kd_le32(h + 8);
	pe->info.characteristics = kd_le16(h + 22);
	uint16_t magic = kd_le16(h + 24);
	if (magic != 0x10b && magic != 0x20b)
		return kd_fail(err, errlen, KD_EFORMAT, "PE optional header has unknown magic 0x%x", magic);
	pe->info.is64 = magic == 0x20b;
	size_t min_opt = pe->info.is64 ? 112 : 96;
	if (opt_size < min_opt || opt_size > 240)
		return kd_fail(err, errlen, KD_EFORMAT, "PE optional header size %u is invalid", opt_size);
	if (pe->read(pe->ctx, nt + 24, h + 24, opt_size) < 0)
		return kd_fail(err, errlen, KD_EFORMAT, "PE optional header is truncated");
	const uint8_t *o = h + 24;
	pe->info.entry_rva = kd_le32(o + 16);
	pe->info.image_base = pe->info.is64 ? kd_le64(o + 24) : kd_le32(o + 28);
	pe->info.image_size = kd_le32(o + 56);
	pe->info.headers_size = kd_le32(o + 60);
	pe->info.checksum = kd_le32(o + 64);
	pe->info.subsystem = kd_le16(o + 68);
	uint32_t ndirs = kd_le32(o + (pe->info.is64 ? 108 : 92));
	const uint8_t *dirs = o + min_opt;
	if (ndirs > 16)
		ndirs = 16;
	if (min_opt + 8 * ndirs > opt_size)
		ndirs = (uint32_t)((opt_size - min_opt) / 8);
	pe->ndirs = ndirs;
	for (uint32_t i = 0; i < ndirs; i++) {
		pe->dirs[i][0] = kd_le32(dirs + 8 * i);
		pe->dirs[i][1] = kd_le32(dirs + 8 * i + 4);
	}
	if (nsec > MAX_SECTIONS)
		return kd_fail(err, errlen, KD_EFORMAT, "PE image has %u sections", nsec);
	pe->sections = calloc(nsec ? nsec : 1, sizeof *pe->sections);
	if (!pe->sections)
		return KD_ENOMEM;
	uint64_t sec_at = (uint64_t)nt + 24 + opt_size;
	for (uint16_t i = 0; i < nsec; i++) {
		uint8_t s[40];
		if (pe->read(pe->ctx, sec_at + 40u * i, s, sizeof s) < 0)
			return kd_fail(err, errlen, KD_EFORMAT, "PE section table is truncated");
		struct kd_pe_section *d = &pe->sections[i];
		memcpy(d->name, s, 8);
		d->name[8] = 0;
		d->virtual_size = kd_le32(s + 8);
		d->rva = kd_le32(s + 12);
		d->raw_size = kd_le32(s + 16);
		d->raw_ptr = kd_le32(s + 20);
		d->characteristics = kd_le32(s + 36);
		if (d->raw_size > d->virtual_size && d->virtual_size)
			d->raw_size = d->virtual_size;
	}
	pe->nsections = nsec;
	if (pe->info.headers_size > pe->info.image_size && pe->info.image_size)
		pe->info.headers_size = pe->info.image_size;
	read_rsds(pe);
	return 0;
}

int kd_pe_open_read(kd_pe_read_fn read, void *ctx, enum kd_pe_layout layout,
                    struct kd_pe **out, char *err, size_t errlen)
{
	struct kd_pe *pe = calloc(1, sizeof *pe);
	if (!pe)
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory");
	pe->read = read;
	pe->ctx = ctx;
	pe->layout = layout;
	int rc = parse_headers(pe, err, errlen);
	if (rc < 0) {
		if (rc == KD_ENOMEM)
			kd_fail(err, errlen, rc, "out of memory");
		kd_pe_close(pe);
		return rc;
	}
	*out = pe;
	return 0;
}

int kd_pe_open_mem(const void *data, size_t len, struct kd_pe **out, char *err, size_t errlen)
{
	struct mem_src *m = malloc(sizeof *m);
	if (!m)
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory");
	*m = (struct mem_src){ data, len, NULL };
	int rc = kd_pe_open_read(mem_read, m, KD_PE_FILE, out, err, errlen);
	if (rc < 0) {
		free(m);
		return rc;
	}
	(*out)->mem = *m;
	(*out)->ctx = &(*out)->mem;
	free(m);
	return 0;
}

int kd_pe_open_file(const char *path, struct kd_pe **out, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int rc = kd_read_file(path, 1u << 30, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	char why[200] = "";
	rc = kd_pe_open_mem(buf, len, out, why, sizeof why);
	if (rc < 0) {
		free(buf);
		return kd_fail(err, errlen, rc, "%s: %s", path, why);
	}
	(*out)->mem.owned = buf;
	return 0;
}

void kd_pe_close(struct kd_pe *pe)
{
	if (!pe)
		return;
	free(pe->mem.owned);
	free(pe->sections);
	free(pe->exports);
	free(pe->export_names);
	free(pe->pdata);
	free(pe);
}

const struct kd_pe_info *kd_pe_get_info(const struct kd_pe *pe)
{
	return &pe->info;
}

void kd_pe_sections(const struct kd_pe *pe, const struct kd_pe_section **s, size_t *n)
{
	*s = pe->sections;
	*n = pe->nsections;
}

int kd_pe_data_directory(const struct kd_pe *pe, unsigned i, uint32_t *rva, uint32_t *size)
{
	if (i >= pe->ndirs || pe->dirs[i][0] == 0 || pe->dirs[i][1] == 0)
		return KD_ENOTFOUND;
	*rva = pe->dirs[i][0];
	*size = pe->dirs[i][1];
	return 0;
}

/* --- exports ---------------------------------------------------------- */

static int by_export_rva(const void *a, const void *b)
{
	const struct kd_pe_export *x = a, *y = b;
	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

static int load_exports(struct kd_pe *pe)
{
	uint32_t dir, dsize;
	uint8_t d[40];
	if (kd_pe_data_directory(pe, 0, &dir, &dsize) < 0 || kd_pe_read_rva(pe, dir, d, sizeof d) < 0)
		return 0;
	uint32_t base = kd_le32(d + 16), nfuncs = kd_le32(d + 20), nnames = kd_le32(d + 24);
	uint32_t funcs = kd_le32(d + 28), names = kd_le32(d + 32), ords = kd_le32(d + 36);
	if (nfuncs > MAX_EXPORTS || nnames > MAX_EXPORTS)
		return 0;
	uint32_t *fv = calloc(nfuncs ? nfuncs : 1, 4);
	char **fname = calloc(nfuncs ? nfuncs : 1, sizeof *fname);
	size_t pool_len = 0, pool_cap = 4096;
	char *pool = malloc(pool_cap);
	size_t *name_off = calloc(nfuncs ? nfuncs : 1, sizeof *name_off);
	int rc = KD_ENOMEM;
	if (!fv || !fname || !pool || !name_off)
		goto out;
	for (uint32_t i = 0; i < nfuncs; i++) {
		uint8_t b[4];
		fv[i] = kd_pe_read_rva(pe, funcs + 4 * i, b, 4) == 0 ? kd_le32(b) : 0;
		name_off[i] = (size_t)-1;
	}
	/* Names: strings into the pool; both names and forwarders. */
	for (uint32_t i = 0; i < nnames; i++) {
		uint8_t b[4], o[2];
		char nm[512];
		if (kd_pe_read_rva(pe, names + 4 * i, b, 4) < 0 || kd_pe_read_rva(pe, ords + 2 * i, o, 2) < 0)
			break;
		uint16_t ord = kd_le16(o);
		if (ord >= nfuncs || read_string(pe, kd_le32(b), nm, sizeof nm) < 0)
			continue;
		size_t l = strlen(nm) + 1;
		if (pool_len + l > pool_cap) {
			while (pool_len + l > pool_cap)
				pool_cap *= 2;
			char *g = realloc(pool, pool_cap);
			if (!g)
				goto out;
			pool = g;
		}
		memcpy(pool + pool_len, nm, l);
		name_off[ord] = pool_len;
		pool_len += l;
	}
	size_t nexp = 0;
	for (uint32_t i = 0; i < nfuncs; i++)
		nexp += fv[i] != 0;
	pe->exports = calloc(nexp ? nexp : 1, sizeof *pe->exports);
	if (!pe->exports)
		goto out;
	size_t *fwd_off = calloc(nfuncs ? nfuncs : 1, sizeof *fwd_off);
	if (!fwd_off)
		goto out;
	for (uint32_t i = 0; i < nfuncs; i++) {
		fwd_off[i] = (size_t)-1;
		if (fv[i] >= dir && fv[i] - dir < dsize) {
			char nm[512];
			if (read_string(pe, fv[i], nm, sizeof nm) == 0) {
				size_t l = strlen(nm) + 1;
				if (pool_len + l > pool_cap) {
					while (pool_len + l > pool_cap)
						pool_cap *= 2;
					char *g = realloc(pool, pool_cap);
					if (!g) {
						free(fwd_off);
						goto out;
					}
					pool = g;
				}
				memcpy(pool + pool_len, nm, l);
				fwd_off[i] = pool_len;
				pool_len += l;
			}
		}
	}
	for (uint32_t i = 0; i < nfuncs; i++) {
		if (!fv[i])
			continue;
		struct kd_pe_export *e = &pe->exports[pe->nexports++];
		e->rva = fv[i];
		e->ordinal = base + i;
		e->name = name_off[i] != (size_t)-1 ? pool + name_off[i] : NULL;
		e->forwarder = fwd_off[i] != (size_t)-1 ? pool + fwd_off[i] : NULL;
	}
	free(fwd_off);
	qsort(pe->exports, pe->nexports, sizeof *pe->exports, by_export_rva);
	pe->export_names = pool;
	pool = NULL;
	rc = 0;
out:
	free(fv);
	free(fname);
	free(pool);
	free(name_off);
	return rc;
}

int kd_pe_exports(struct kd_pe *pe, const struct kd_pe_export **e, size_t *n)
{
	if (!pe->exports_loaded) {
		int rc = load_exports(pe);
		if (rc < 0)
			return rc;
		pe->exports_loaded = 1;
	}
	*e = pe->exports;
	*n = pe->nexports;
	return 0;
}

int kd_pe_export_by_name(struct kd_pe *pe, const char *name, const struct kd_pe_export **out)
{
	const struct kd_pe_export *e;
	size_t n;
	int rc = kd_pe_exports(pe, &e, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (e[i].name && strcmp(e[i].name, name) == 0) {
			*out = &e[i];
			return 0;
		}
	for (size_t i = 0; i < n; i++)
		if (e[i].name && strcasecmp(e[i].name, name) == 0) {
			*out = &e[i];
			return 0;
		}
	return KD_ENOTFOUND;
}

int kd_pe_export_by_rva(struct kd_pe *pe, uint32_t rva, size_t *index)
{
	const struct kd_pe_export *e;
	size_t n;
	int rc = kd_pe_exports(pe, &e, &n);
	if (rc < 0)
		return rc;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return KD_ENOTFOUND;
	*index = lo - 1;
	return 0;
}

/* --- .pdata ----------------------------------------------------------- */

static int load_pdata(struct kd_pe *pe)
{
	uint32_t rva, size;
	if (pe->info.machine != 0x8664 || kd_pe_data_directory(pe, 3, &rva, &size) < 0)
		return 0;
	size_t n = size / 12;
	if (n > MAX_PDATA)
		return 0;
	uint8_t *raw = malloc(n * 12 + 1);
	if (!raw)
		return KD_ENOMEM;
	if (kd_pe_read_rva(pe, rva, raw, n * 12) < 0) {
		free(raw);
		return 0;
	}
	pe->pdata = calloc(n ? n : 1, sizeof *pe->pdata);
	if (!pe->pdata) {
		free(raw);
		return KD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = raw + 12 * i;
		pe->pdata[i] = (struct kd_pe_runtime_function){ kd_le32(e), kd_le32(e + 4), kd_le32(e + 8) };
	}
	pe->npdata = n;
	free(raw);
	return 0;
}

int kd_pe_runtime_functions(struct kd_pe *pe, const struct kd_pe_runtime_function **f, size_t *n)
{
	if (!pe->pdata_loaded) {
		int rc = load_pdata(pe);
		if (rc < 0)
			return rc;
		pe->pdata_loaded = 1;
	}
	*f = pe->pdata;
	*n = pe->npdata;
	return 0;
}

int kd_pe_runtime_function_at(struct kd_pe *pe, uint32_t rva, struct kd_pe_runtime_function *out)
{
	const struct kd_pe_runtime_function *f;
	size_t n;
	int rc = kd_pe_runtime_functions(pe, &f, &n);
	if (rc < 0)
		return rc;
	/* The table is sorted by begin address (the loader requires it). */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f[mid].begin <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || rva >= f[lo - 1].end)
		return KD_ENOTFOUND;
	*out = f[lo - 1];
	return 0;
}
