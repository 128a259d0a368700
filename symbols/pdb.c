/*
 * PDB streams over MSF: info, DBI (modules, section map, contributions,
 * optional debug streams), publics/globals hash tables, module symbols and
 * the sorted address index.
 */
#include "base/bytes.h"
#include "symbols/pdb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/array.h"
#include "base/error.h"
#include "symbols/msf.h"

#define GSI_BUCKETS 4096

/* Symbol record kinds used here (CodeView). */
enum {
	S_PUB32 = 0x110e,
	S_LDATA32 = 0x110c,
	S_GDATA32 = 0x110d,
	S_LTHREAD32 = 0x1112,
	S_GTHREAD32 = 0x1113,
	S_LPROC32 = 0x110f,
	S_GPROC32 = 0x1110,
	S_LPROC32_ID = 0x1146,
	S_GPROC32_ID = 0x1147,
	S_PROCREF = 0x1125,
	S_LPROCREF = 0x1127,
};

/* A GSI hash table: record offsets grouped into 4096 buckets. */
struct gsi {
	const uint8_t *records;  /* pairs {offset+1, cref} */
	uint32_t nrecords;
	uint32_t start[GSI_BUCKETS + 1];
	int present;
};

struct kd_pdb {
	struct kd_msf *msf;
	struct kd_pdb_info info;
	uint16_t machine;
	const uint8_t *names_map; /* named stream map: strings, then pairs */
	uint32_t names_strlen;
	const uint8_t *names_pairs;
	uint32_t names_npairs;
	const uint8_t *strtab;    /* /names string bytes */
	uint32_t strtab_len;

	struct kd_pdb_module *modules;
	size_t nmodules;
	struct kd_pdb_contrib *contribs;
	size_t ncontribs;
	struct kd_pdb_section *sections;
	size_t nsections;
	struct kd_pdb_fpo *fpo;
	size_t nfpo;
	struct kd_pdb_frame_data *frames;
	size_t nframes;

	const uint8_t *symrec;    /* the symbol record stream */
	uint32_t symrec_len;
	struct gsi publics, globals;

	struct kd_pdb_symbol *index;
	size_t nindex;
	int index_built;
};

/* A NUL-terminated string at p within [p, end), else NULL. */
static const char *cstr(const uint8_t *p, const uint8_t *end)
{
	if (p >= end || !memchr(p, 0, (size_t)(end - p)))
		return NULL;
	return (const char *)p;
}

uint32_t kd_pdb_hash_v1(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t h = 0;
	size_t i = 0;
	for (; i + 4 <= len; i += 4)
		h ^= kd_le32(p + i);
	if (len - i >= 2) {
		h ^= kd_le16(p + i);
		i += 2;
	}
	if (len - i == 1)
		h ^= p[i];
	h |= 0x20202020u;
	h ^= h >> 11;
	return h ^ (h >> 16);
}

void kd_pdb_guid_age_string(const uint8_t g[16], uint32_t age, char out[48])
{
	snprintf(out, 48, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
	         kd_le32(g), kd_le16(g + 4), kd_le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13],
	         g[14], g[15], age);
}

/* --- info stream ------------------------------------------------------ */

static int parse_info(struct kd_pdb *pdb, char *err, size_t errlen)
{
	const uint8_t *d;
	uint32_t n;
	if (kd_msf_stream(pdb->msf, 1, &d, &n) < 0 || n < 28)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB has no valid PDB info stream");
	pdb->info.version = kd_le32(d);
	pdb->info.signature = kd_le32(d + 4);
	pdb->info.age = kd_le32(d + 8);
	memcpy(pdb->info.guid, d + 12, 16);
	/* Named stream map: string bytes, then a hash table of
	 * {string offset, stream} pairs behind present/deleted bit vectors. */
	const uint8_t *p = d + 28, *end = d + n;
	if (end - p < 4)
		return 0;
	uint32_t slen = kd_le32(p);
	p += 4;
	if (slen > (size_t)(end - p))
		return 0;
	pdb->names_map = p;
	pdb->names_strlen = slen;
	p += slen;
	if (end - p < 16)
		return 0;
	uint32_t size = kd_le32(p);
	p += 8;
	uint32_t present_words = kd_le32(p);
	p += 4;
	if (present_words > (size_t)(end - p) / 4)
		return 0;
	p += 4 * (size_t)present_words;
	if (end - p < 4)
		return 0;
	uint32_t deleted_words = kd_le32(p);
	p += 4;
	if (deleted_words > (size_t)(end - p) / 4)
		return 0;
	p += 4 * (size_t)deleted_words;
	if (size > (size_t)(end - p) / 8)
		return 0;
	pdb->names_pairs = p;
	pdb->names_npairs = size;
	return 0;
}

int kd_pdb_named_stream(const struct kd_pdb *pdb, const char *name, uint32_t *index)
{
	for (uint32_t i = 0; i < pdb->names_npairs; i++) {
		uint32_t off = kd_le32(pdb->names_pairs + 8 * i);
		if (off >= pdb->names_strlen)
			continue;
		const char *s = cstr(pdb->names_map + off, pdb->names_map + pdb->names_strlen);
		if (s && strcmp(s, name) == 0) {
			*index = kd_le32(pdb->names_pairs + 8 * i + 4);
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

static void load_strtab(struct kd_pdb *pdb)
{
	uint32_t idx, n;
	const uint8_t *d;
	if (kd_pdb_named_stream(pdb, "/names", &idx) < 0 || kd_msf_stream(pdb->msf, idx, &d, &n) < 0)
		return;
	if (n < 12 || kd_le32(d) != 0xeffeeffeu || kd_le32(d + 8) > n - 12)
		return;
	pdb->strtab = d + 12;
	pdb->strtab_len = kd_le32(d + 8);
}

const char *kd_pdb_string(const struct kd_pdb *pdb, uint32_t off)
{
	if (!pdb->strtab || off >= pdb->strtab_len)
		return NULL;
	return cstr(pdb->strtab + off, pdb->strtab + pdb->strtab_len);
}

/* --- DBI stream ------------------------------------------------------- */

static void contrib_at(const uint8_t *e, struct kd_pdb_contrib *c)
{
	c->section = kd_le16(e);
	c->offset = kd_le32(e + 4);
	c->size = kd_le32(e + 8);
	c->characteristics = kd_le32(e + 12);
	c->module = kd_le16(e + 16);
	c->data_crc = kd_le32(e + 20);
	c->reloc_crc = kd_le32(e + 24);
}

static int parse_modules(struct kd_pdb *pdb, const uint8_t *p, uint32_t len)
{
	size_t cap = 0;
	const uint8_t *end = p + len;
	while (end - p >= 64) {
		const char *name = cstr(p + 64, end);
		if (!name)
			return KD_EFORMAT;
		const uint8_t *q = (const uint8_t *)name + strlen(name) + 1;
		const char *obj = cstr(q, end);
		if (!obj)
			return KD_EFORMAT;
		q = (const uint8_t *)obj + strlen(obj) + 1;
		if (KD_ARRAY_RESERVE(pdb->modules, cap, pdb->nmodules + 1) < 0)
			return KD_ENOMEM;
		struct kd_pdb_module *m = &pdb->modules[pdb->nmodules++];
		contrib_at(p + 4, &m->contrib);
		m->sym_stream = kd_le16(p + 34);
		m->sym_size = kd_le32(p + 36);
		m->c11_size = kd_le32(p + 40);
		m->c13_size = kd_le32(p + 44);
		m->name = name;
		m->obj_name = obj;
		size_t used = (size_t)(q - p);
		used = (used + 3) & ~(size_t)3;
		if (used > (size_t)(end - p))
			break;
		p += used;
	}
	return 0;
}

static int parse_contribs(struct kd_pdb *pdb, const uint8_t *p, uint32_t len)
{
	if (len < 4)
		return 0;
	uint32_t ver = kd_le32(p);
	size_t esize;
	if (ver == 0xeffe0000u + 19970605u)
		esize = 28;
	else if (ver == 0xeffe0000u + 20140516u)
		esize = 32;
	else
		return 0; /* the old format predates MSF 7.00 PDBs we read */
	size_t n = (len - 4) / esize;
	pdb->contribs = calloc(n ? n : 1, sizeof *pdb->contribs);
	if (!pdb->contribs)
		return KD_ENOMEM;
	for (size_t i = 0; i < n; i++)
		contrib_at(p + 4 + i * esize, &pdb->contribs[i]);
	pdb->ncontribs = n;
	return 0;
}

static int load_sections(struct kd_pdb *pdb, uint16_t stream)
{
	const uint8_t *d;
	uint32_t n;
	if (stream == 0xffff || kd_msf_stream(pdb->msf, stream, &d, &n) < 0)
		return 0;
	size_t count = n / 40;
	pdb->sections = calloc(count ? count : 1, sizeof *pdb->sections);
	if (!pdb->sections)
		return KD_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *h = d + 40 * i;
		struct kd_pdb_section *s = &pdb->sections[i];
		memcpy(s->name, h, 8);
		s->name[8] = 0;
		s->virtual_size = kd_le32(h + 8);
		s->rva = kd_le32(h + 12);
		s->raw_size = kd_le32(h + 16);
		s->raw_ptr = kd_le32(h + 20);
		s->characteristics = kd_le32(h + 36);
	}
	pdb->nsections = count;
	return 0;
}

static int load_fpo(struct kd_pdb *pdb, uint16_t stream)
{
	const uint8_t *d;
	uint32_t n;
	if (stream == 0xffff || kd_msf_stream(pdb->msf, stream, &d, &n) < 0)
		return 0;
	size_t count = n / 16;
	pdb->fpo = calloc(count ? count : 1, sizeof *pdb->fpo);
	if (!pdb->fpo)
		return KD_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *e = d + 16 * i;
		pdb->fpo[i] = (struct kd_pdb_fpo){ kd_le32(e), kd_le32(e + 4), kd_le32(e + 8), kd_le16(e + 12), kd_le16(e + 14) };
	}
	pdb->nfpo = count;
	return 0;
}

static int load_frames(struct kd_pdb *pdb, uint16_t stream)
{
	const uint8_t *d;
	uint32_t n;
	if (stream == 0xffff || kd_msf_stream(pdb->msf, stream, &d, &n) < 0)
		return 0;
	size_t count = n / 32;
	pdb->frames = calloc(count ? count : 1, sizeof *pdb->frames);
	if (!pdb->frames)
		return KD_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *e = d + 32 * i;
		pdb->frames[i] = (struct kd_pdb_frame_data){
			kd_le32(e), kd_le32(e + 4), kd_le32(e + 8), kd_le32(e + 12), kd_le32(e + 16), kd_le32(e + 20),
			kd_le16(e + 24), kd_le16(e + 26), kd_le32(e + 28)
		};
	}
	pdb->nframes = count;
	return 0;
}

static int load_gsi(struct kd_pdb *pdb, struct gsi *g, const uint8_t *p, uint32_t len)
{
	if (len < 16 || kd_le32(p) != 0xffffffffu || kd_le32(p + 4) != 0xeffe0000u + 19990810u)
		return 0;
	uint32_t hr_size = kd_le32(p + 8), buckets_size = kd_le32(p + 12);
	p += 16;
	len -= 16;
	if (hr_size > len || buckets_size > len - hr_size)
		return 0;
	g->records = p;
	g->nrecords = hr_size / 8;
	const uint8_t *bitmap = p + hr_size;
	const size_t bitmap_bytes = ((GSI_BUCKETS + 1 + 31) / 32) * 4;
	if (buckets_size < bitmap_bytes) {
		/* An empty table may omit the buckets: every record in bucket 0. */
		for (int i = 0; i <= GSI_BUCKETS; i++)
			g->start[i] = i ? g->nrecords : 0;
		g->present = 1;
		return 0;
	}
	const uint8_t *buckets = bitmap + bitmap_bytes;
	uint32_t nbuckets = (uint32_t)((buckets_size - bitmap_bytes) / 4), k = 0;
	uint32_t next = g->nrecords;
	/* Fill from the end so empty buckets take the next bucket's start. */
	uint32_t *starts = g->start;
	int32_t set_count = 0;
	for (int i = 0; i < GSI_BUCKETS; i++)
		if (bitmap[i / 8] & (1u << (i % 8)))
			set_count++;
	if ((uint32_t)set_count > nbuckets)
		return 0;
	starts[GSI_BUCKETS] = g->nrecords;
	k = (uint32_t)set_count;
	for (int i = GSI_BUCKETS - 1; i >= 0; i--) {
		if (bitmap[i / 8] & (1u << (i % 8))) {
			uint32_t v = kd_le32(buckets + 4 * (--k)) / 12;
			if (v > next)
				v = next; /* keep ranges monotonic on corrupt input */
			next = v;
		}
		starts[i] = next;
	}
	(void)pdb;
	g->present = 1;
	return 0;
}

static int load_symrec(struct kd_pdb *pdb, uint16_t stream)
{
	if (stream == 0xffff || kd_msf_stream(pdb->msf, stream, &pdb->symrec, &pdb->symrec_len) < 0) {
		pdb->symrec = NULL;
		pdb->symrec_len = 0;
	}
	return 0;
}

static int parse_dbi(struct kd_pdb *pdb, char *err, size_t errlen)
{
	const uint8_t *d;
	uint32_t n;
	if (kd_msf_stream(pdb->msf, 3, &d, &n) < 0)
		return 0; /* a PDB without DBI (types only) */
	if (n < 64 || kd_le32(d) != 0xffffffffu)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB DBI stream header is corrupt");
	uint16_t gsi_stream = kd_le16(d + 12), psi_stream = kd_le16(d + 16), sym_stream = kd_le16(d + 20);
	uint32_t sizes[7];
	uint64_t total = 64;
	for (int i = 0; i < 7; i++) {
		static const int at[7] = { 24, 28, 32, 36, 40, 52, 48 };
		sizes[i] = kd_le32(d + at[i]);
		total += sizes[i];
	}
	/* order in the stream: modules, contributions, section map, files,
	 * type server map, EC names, optional debug header */
	if ((int32_t)sizes[0] < 0 || total > n)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB DBI substream sizes exceed the stream (%u bytes)", n);
	pdb->machine = kd_le16(d + 58);
	const uint8_t *p = d + 64;
	int rc = parse_modules(pdb, p, sizes[0]);
	if (rc == KD_EFORMAT)
		return kd_fail(err, errlen, rc, "PDB DBI module list is corrupt");
	if (rc < 0)
		return rc;
	p += sizes[0];
	if ((rc = parse_contribs(pdb, p, sizes[1])) < 0)
		return rc;
	p += sizes[1] + sizes[2] + sizes[3] + sizes[4] + sizes[5];
	uint32_t ndbg = sizes[6] / 2;
	uint16_t dbg[11];
	for (uint32_t i = 0; i < 11; i++)
		dbg[i] = i < ndbg ? kd_le16(p + 2 * i) : 0xffff;
	if ((rc = load_fpo(pdb, dbg[0])) < 0 || (rc = load_sections(pdb, dbg[5])) < 0 ||
	    (rc = load_frames(pdb, dbg[9])) < 0 || (rc = load_symrec(pdb, sym_stream)) < 0)
		return rc;
	const uint8_t *g;
	uint32_t glen;
	if (gsi_stream != 0xffff && kd_msf_stream(pdb->msf, gsi_stream, &g, &glen) == 0)
		load_gsi(pdb, &pdb->globals, g, glen);
	if (psi_stream != 0xffff && kd_msf_stream(pdb->msf, psi_stream, &g, &glen) == 0 && glen >= 28)
		load_gsi(pdb, &pdb->publics, g + 28, glen - 28);
	return 0;
}

/* --- open/close ------------------------------------------------------- */

static int finish_open(struct kd_msf *msf, struct kd_pdb **out, char *err, size_t errlen)
{
	struct kd_pdb *pdb = calloc(1, sizeof *pdb);
	if (!pdb) {
		kd_msf_close(msf);
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory reading the PDB");
	}
	pdb->msf = msf;
	int rc = parse_info(pdb, err, errlen);
	if (rc == 0) {
		load_strtab(pdb);
		rc = parse_dbi(pdb, err, errlen);
	}
	if (rc < 0) {
		if (rc == KD_ENOMEM)
			kd_fail(err, errlen, rc, "out of memory reading the PDB");
		kd_pdb_close(pdb);
		return rc;
	}
	*out = pdb;
	return 0;
}

int kd_pdb_open(const char *path, struct kd_pdb **out, char *err, size_t errlen)
{
	struct kd_msf *msf;
	int rc = kd_msf_open(path, &msf, err, errlen);
	return rc < 0 ? rc : finish_open(msf, out, err, errlen);
}

int kd_pdb_open_mem(const void *data, size_t len, struct kd_pdb **out, char *err, size_t errlen)
{
	struct kd_msf *msf;
	int rc = kd_msf_open_mem(data, len, &msf, err, errlen);
	return rc < 0 ? rc : finish_open(msf, out, err, errlen);
}

void kd_pdb_close(struct kd_pdb *pdb)
{
	if (!pdb)
		return;
	free(pdb->modules);
	free(pdb->contribs);
	free(pdb->sections);
	free(pdb->fpo);
	free(pdb->frames);
	free(pdb->index);
	kd_msf_close(pdb->msf);
	free(pdb);
}

struct kd_msf *kd_pdb_msf(struct kd_pdb *pdb)
{
	return pdb->msf;
}

int kd_pdb_stream(struct kd_pdb *pdb, uint32_t index, const uint8_t **data, uint32_t *size)
{
	return kd_msf_stream(pdb->msf, index, data, size);
}

const struct kd_pdb_info *kd_pdb_get_info(const struct kd_pdb *pdb)
{
	return &pdb->info;
}

uint16_t kd_pdb_machine(const struct kd_pdb *pdb)
{
	return pdb->machine;
}

void kd_pdb_sections(const struct kd_pdb *pdb, const struct kd_pdb_section **s, size_t *n)
{
	*s = pdb->sections;
	*n = pdb->nsections;
}

void kd_pdb_contribs(const struct kd_pdb *pdb, const struct kd_pdb_contrib **c, size_t *n)
{
	*c = pdb->contribs;
	*n = pdb->ncontribs;
}

void kd_pdb_modules(const struct kd_pdb *pdb, const struct kd_pdb_module **m, size_t *n)
{
	*m = pdb->modules;
	*n = pdb->nmodules;
}

void kd_pdb_fpo(const struct kd_pdb *pdb, const struct kd_pdb_fpo **f, size_t *n)
{
	*f = pdb->fpo;
	*n = pdb->nfpo;
}

void kd_pdb_frame_data(const struct kd_pdb *pdb, const struct kd_pdb_frame_data **f, size_t *n)
{
	*f = pdb->frames;
	*n = pdb->nframes;
}

int kd_pdb_rva(const struct kd_pdb *pdb, uint16_t section, uint32_t offset, uint32_t *rva)
{
	if (section == 0 || section > pdb->nsections) {
		*rva = 0;
		return KD_ENOTFOUND;
	}
	*rva = pdb->sections[section - 1].rva + offset;
	return 0;
}

/* --- symbol records --------------------------------------------------- */

/* Decodes one record of kind S_PUB32 / S_*DATA32 / S_*PROC32 into *s.
 * rec points at the record's length field; end bounds the stream. */
static int decode(const struct kd_pdb *pdb, const uint8_t *rec, const uint8_t *end,
                  struct kd_pdb_symbol *s)
{
	if (end - rec < 4)
		return KD_EFORMAT;
	uint32_t len = kd_le16(rec) + 2u;
	if (len > (size_t)(end - rec))
		return KD_EFORMAT;
	const uint8_t *r = rec + 4, *rend = rec + len;
	uint16_t kind = kd_le16(rec + 2);
	memset(s, 0, sizeof *s);
	s->module = 0xffff;
	switch (kind) {
	case S_PUB32:
		if (rend - r < 10)
			return KD_EFORMAT;
		s->kind = KD_PDB_SYM_PUBLIC;
		s->is_function = (kd_le32(r) & 2) != 0; /* CVPSF_FUNCTION */
		s->offset = kd_le32(r + 4);
		s->section = kd_le16(r + 8);
		s->name = cstr(r + 10, rend);
		break;
	case S_LDATA32:
	case S_GDATA32:
	case S_LTHREAD32:
	case S_GTHREAD32:
		if (rend - r < 10)
			return KD_EFORMAT;
		s->kind = KD_PDB_SYM_DATA;
		s->type_index = kd_le32(r);
		s->offset = kd_le32(r + 4);
		s->section = kd_le16(r + 8);
		s->name = cstr(r + 10, rend);
		break;
	case S_LPROC32:
	case S_GPROC32:
	case S_LPROC32_ID:
	case S_GPROC32_ID:
		if (rend - r < 35)
			return KD_EFORMAT;
		s->kind = KD_PDB_SYM_PROC;
		s->is_function = 1;
		s->size = kd_le32(r + 12);
		/* the _ID forms point into the IPI stream, not at a type */
		s->type_index = kind == S_LPROC32_ID || kind == S_GPROC32_ID ? 0 : kd_le32(r + 24);
		s->offset = kd_le32(r + 28);
		s->section = kd_le16(r + 32);
		s->name = cstr(r + 35, rend);
		break;
	default:
		return KD_ENOTFOUND;
	}
	if (!s->name)
		return KD_EFORMAT;
	if (kind == S_LTHREAD32 || kind == S_GTHREAD32)
		s->rva = 0; /* TLS offsets are not addresses */
	else
		kd_pdb_rva(pdb, s->section, s->offset, &s->rva); /* 0 when absolute */
	return 0;
}

/* The procedure a S_PROCREF names: module (1-based) and offset into it. */
static int resolve_procref(struct kd_pdb *pdb, const uint8_t *r, const uint8_t *rend,
                           struct kd_pdb_symbol *s)
{
	if (rend - r < 10)
		return KD_EFORMAT;
	uint32_t off = kd_le32(r + 4);
	uint16_t mod = kd_le16(r + 8);
	if (mod == 0 || mod > pdb->nmodules)
		return KD_EFORMAT;
	const struct kd_pdb_module *m = &pdb->modules[mod - 1];
	const uint8_t *d;
	uint32_t n;
	if (m->sym_stream == 0xffff || kd_msf_stream(pdb->msf, m->sym_stream, &d, &n) < 0)
		return KD_ENOTFOUND;
	uint32_t lim = m->sym_size < n ? m->sym_size : n;
	if (off >= lim)
		return KD_EFORMAT;
	int rc = decode(pdb, d + off, d + lim, s);
	if (rc == 0)
		s->module = (uint16_t)(mod - 1);
	return rc;
}

static int gsi_find(struct kd_pdb *pdb, const struct gsi *g, const char *name,
                    struct kd_pdb_symbol *out, int globals)
{
	if (!g->present || !pdb->symrec)
		return KD_ENOTFOUND;
	uint32_t b = kd_pdb_hash_v1(name, strlen(name)) % GSI_BUCKETS;
	const uint8_t *end = pdb->symrec + pdb->symrec_len;
	int found_ci = 0;
	for (uint32_t pass = 0; pass < 2 && !found_ci; pass++) {
		for (uint32_t i = g->start[b]; i < g->start[b + 1] && i < g->nrecords; i++) {
			uint32_t off = kd_le32(g->records + 8 * i) - 1;
			if (off >= pdb->symrec_len || end - (pdb->symrec + off) < 4)
				continue;
			const uint8_t *rec = pdb->symrec + off;
			uint16_t kind = kd_le16(rec + 2);
			uint32_t len = kd_le16(rec) + 2u;
			if (len > (size_t)(end - rec))
				continue;
			struct kd_pdb_symbol s;
			if (globals && (kind == S_PROCREF || kind == S_LPROCREF)) {
				const char *nm = len > 14 ? cstr(rec + 14, rec + len) : NULL;
				if (!nm || (pass ? strcasecmp(nm, name) : strcmp(nm, name)) != 0)
					continue;
				if (resolve_procref(pdb, rec + 4, rec + len, &s) < 0)
					continue;
			} else {
				if (decode(pdb, rec, end, &s) < 0)
					continue;
				if ((pass ? strcasecmp(s.name, name) : strcmp(s.name, name)) != 0)
					continue;
			}
			*out = s;
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

int kd_pdb_find_public(struct kd_pdb *pdb, const char *name, struct kd_pdb_symbol *out)
{
	return gsi_find(pdb, &pdb->publics, name, out, 0);
}

int kd_pdb_find_global(struct kd_pdb *pdb, const char *name, struct kd_pdb_symbol *out)
{
	return gsi_find(pdb, &pdb->globals, name, out, 1);
}

static int gsi_foreach(struct kd_pdb *pdb, const struct gsi *g,
                       void (*fn)(void *ctx, const struct kd_pdb_symbol *s), void *ctx)
{
	if (!g->present || !pdb->symrec)
		return KD_ENOTFOUND;
	const uint8_t *end = pdb->symrec + pdb->symrec_len;
	for (uint32_t i = 0; i < g->nrecords; i++) {
		uint32_t off = kd_le32(g->records + 8 * i) - 1;
		struct kd_pdb_symbol s;
		if (off < pdb->symrec_len && decode(pdb, pdb->symrec + off, end, &s) == 0)
			fn(ctx, &s);
	}
	return 0;
}

int kd_pdb_foreach_public(struct kd_pdb *pdb,
                          void (*fn)(void *ctx, const struct kd_pdb_symbol *s), void *ctx)
{
	return gsi_foreach(pdb, &pdb->publics, fn, ctx);
}

int kd_pdb_foreach_proc(struct kd_pdb *pdb, size_t mod,
                        void (*fn)(void *ctx, const struct kd_pdb_symbol *s), void *ctx)
{
	if (mod >= pdb->nmodules)
		return KD_ENOTFOUND;
	const struct kd_pdb_module *m = &pdb->modules[mod];
	const uint8_t *d;
	uint32_t n;
	if (m->sym_stream == 0xffff || kd_msf_stream(pdb->msf, m->sym_stream, &d, &n) < 0)
		return 0;
	uint32_t lim = m->sym_size < n ? m->sym_size : n;
	if (lim < 4 || kd_le32(d) != 4) /* CV_SIGNATURE_C13 */
		return 0;
	const uint8_t *p = d + 4, *end = d + lim;
	while (end - p >= 4) {
		uint32_t len = kd_le16(p) + 2u;
		if (len < 4 || len > (size_t)(end - p))
			break;
		struct kd_pdb_symbol s;
		uint16_t kind = kd_le16(p + 2);
		if ((kind == S_GPROC32 || kind == S_LPROC32 || kind == S_GPROC32_ID ||
		     kind == S_LPROC32_ID) && decode(pdb, p, end, &s) == 0) {
			s.module = (uint16_t)mod;
			fn(ctx, &s);
		}
		p += len;
	}
	return 0;
}

/* --- the address index ------------------------------------------------ */

struct index_builder {
	struct kd_pdb_symbol *v;
	size_t n, cap;
	int oom;
};

static void index_add(void *ctx, const struct kd_pdb_symbol *s)
{
	struct index_builder *b = ctx;
	if (b->oom || s->rva == 0 || !s->name[0])
		return;
	if (KD_ARRAY_RESERVE(b->v, b->cap, b->n + 1) < 0) {
		b->oom = 1;
		return;
	}
	b->v[b->n++] = *s;
}

/* Globals stream data records go to the index too. */
static void index_add_data(void *ctx, const struct kd_pdb_symbol *s)
{
	if (s->kind == KD_PDB_SYM_DATA)
		index_add(ctx, s);
}

/* By RVA; at one RVA procedures, then data, then publics. */
static int by_rva(const void *a, const void *b)
{
	const struct kd_pdb_symbol *x = a, *y = b;
	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind == KD_PDB_SYM_PUBLIC ? 1 : y->kind == KD_PDB_SYM_PUBLIC ? -1 :
		       x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int build_index(struct kd_pdb *pdb)
{
	struct index_builder b = { 0 };
	for (size_t i = 0; i < pdb->nmodules; i++)
		kd_pdb_foreach_proc(pdb, i, index_add, &b);
	gsi_foreach(pdb, &pdb->globals, index_add_data, &b);
	size_t named = b.n;
	gsi_foreach(pdb, &pdb->publics, index_add, &b);
	if (b.oom) {
		free(b.v);
		return KD_ENOMEM;
	}
	if (b.n) /* an empty symbol stream leaves b.v NULL */
		qsort(b.v, b.n, sizeof *b.v, by_rva);
	/* Drop publics at an RVA a procedure or data symbol already names,
	 * and exact duplicates (a procedure seen through two modules). */
	size_t out = 0;
	for (size_t i = 0; i < b.n; i++) {
		if (out) {
			const struct kd_pdb_symbol *prev = &b.v[out - 1];
			if (prev->rva == b.v[i].rva &&
			    ((b.v[i].kind == KD_PDB_SYM_PUBLIC && prev->kind != KD_PDB_SYM_PUBLIC && named) ||
			     strcmp(prev->name, b.v[i].name) == 0))
				continue;
		}
		b.v[out++] = b.v[i];
	}
	pdb->index = b.v;
	pdb->nindex = out;
	return 0;
}

int kd_pdb_symbols(struct kd_pdb *pdb, const struct kd_pdb_symbol **syms, size_t *n)
{
	if (!pdb->index_built) {
		int rc = build_index(pdb);
		if (rc < 0)
			return rc;
		pdb->index_built = 1;
	}
	*syms = pdb->index;
	*n = pdb->nindex;
	return 0;
}

int kd_pdb_lookup_rva(struct kd_pdb *pdb, uint32_t rva, size_t *index)
{
	const struct kd_pdb_symbol *v;
	size_t n;
	int rc = kd_pdb_symbols(pdb, &v, &n);
	if (rc < 0)
		return rc;
	size_t lo = 0, hi = n; /* first entry with rva > target */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return KD_ENOTFOUND;
	/* Among several symbols at one RVA, the first (preferred) one. */
	size_t i = lo - 1;
	while (i > 0 && v[i - 1].rva == v[i].rva)
		i--;
	*index = i;
	return 0;
}
