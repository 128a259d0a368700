/*
 * The engine's symbol context: symbol path, per-module state, image and
 * PDB location (GUID/age checked), and the symbolizer callbacks.
 */
#include "kd/engine/symbols.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"
#include "symbols/symsrv.h"
#include "symbols/sympath.h"
#include "symbols/types.h"
#include "symbols/undname.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

struct mem_image {
	struct kd_engine *eng;
	uint64_t base;
};

struct sym_module {
	uint64_t base;
	uint32_t size, timestamp;
	char name[64];
	enum kd_sym_state state;
	struct kd_pe *pe;
	struct mem_image *mem;
	struct kd_pdb *pdb;
	struct kd_types *types;
	char image_path[PATH_MAX];
	char pdb_path[PATH_MAX];
};

struct kd_symbols {
	struct kd_engine *eng;
	char *path_text;
	struct kd_sympath path;
	int noisy;
	struct sym_module *mods;
	size_t nmods;
	char default_cache[PATH_MAX];
};

static void noisy(struct kd_symbols *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void noisy(struct kd_symbols *s, const char *fmt, ...)
{
	if (!s->noisy)
		return;
	va_list ap;
	va_start(ap, fmt);
	kd_vprintf_kind(s->eng, KD_OUTPUT_NORMAL, fmt, ap);
	va_end(ap);
}

static void unload(struct sym_module *sm)
{
	kd_types_close(sm->types);
	sm->types = NULL;
	kd_pdb_close(sm->pdb);
	kd_pe_close(sm->pe);
	free(sm->mem);
	sm->pdb = NULL;
	sm->pe = NULL;
	sm->mem = NULL;
	sm->image_path[0] = sm->pdb_path[0] = 0;
	sm->state = KD_SYM_DEFERRED;
}

static void symbols_free(void *p)
{
	struct kd_symbols *s = p;
	for (size_t i = 0; i < s->nmods; i++)
		unload(&s->mods[i]);
	free(s->mods);
	kd_sympath_free(&s->path);
	free(s->path_text);
	free(s);
}

/* The per-module record for m, created on first sight; a different
 * module at the same base replaces it. */
static struct sym_module *module_of(struct kd_symbols *s, const struct kd_module *m)
{
	for (size_t i = 0; i < s->nmods; i++) {
		struct sym_module *sm = &s->mods[i];
		if (sm->base == m->base) {
			if (sm->size != m->size || sm->timestamp != m->timestamp || strcmp(sm->name, m->name) != 0) {
				unload(sm);
				sm->size = m->size;
				sm->timestamp = m->timestamp;
				snprintf(sm->name, sizeof sm->name, "%s", m->name);
			}
			return sm;
		}
	}
	struct sym_module *v = realloc(s->mods, (s->nmods + 1) * sizeof *v);
	if (!v)
		return NULL;
	s->mods = v;
	struct sym_module *sm = &v[s->nmods++];
	memset(sm, 0, sizeof *sm);
	sm->base = m->base;
	sm->size = m->size;
	sm->timestamp = m->timestamp;
	snprintf(sm->name, sizeof sm->name, "%s", m->name);
	return sm;
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem_image *mi = ctx;
	size_t done = 0;
	int rc = kd_read_virtual(mi->eng, mi->base + off, buf, len, &done);
	if (rc < 0)
		return rc;
	return done == len ? 0 : KD_EUNREADABLE;
}

/* An image file for m that agrees with its timestamp (when known). */
static int try_image(struct kd_symbols *s, struct sym_module *sm, const struct kd_module *m,
                     const char *path)
{
	if (!is_file(path))
		return KD_ENOTFOUND;
	struct kd_pe *pe;
	char err[256];
	if (kd_pe_open_file(path, &pe, err, sizeof err) < 0) {
		noisy(s, "DBGHELP: %s - %s\n", path, err);
		return KD_EFORMAT;
	}
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	if ((m->timestamp && info->timestamp != m->timestamp) || (m->size && info->image_size != m->size)) {
		noisy(s, "DBGHELP: %s - image does not match the module (timestamp %08x, size %x)\n",
		      path, info->timestamp, info->image_size);
		kd_pe_close(pe);
		return KD_ENOTFOUND;
	}
	sm->pe = pe;
	snprintf(sm->image_path, sizeof sm->image_path, "%s", path);
	return 0;
}

static void find_image(struct kd_symbols *s, struct sym_module *sm, const struct kd_module *m)
{
	char name[256], path[PATH_MAX + 300];
	if (m->path[0] && try_image(s, sm, m, m->path) == 0)
		return;
	if (kd_sympath_safe_name(m->path[0] ? m->path : m->name, name, sizeof name) == 0) {
		for (size_t i = 0; i < s->path.n; i++) {
			const struct kd_sympath_elem *e = &s->path.v[i];
			if (!e->store) {
				snprintf(path, sizeof path, "%s/%s", e->dir, name);
				if (try_image(s, sm, m, path) == 0)
					return;
			}
			char key[32];
			snprintf(key, sizeof key, "%08X%x", m->timestamp, m->size);
			if (m->timestamp && kd_sympath_store_path(e->dir, name, key, path, sizeof path) == 0 &&
			    try_image(s, sm, m, path) == 0)
				return;
		}
	}
	/* The loaded image in target memory. */
	if (!kd_engine_target(s->eng))
		return;
	struct mem_image *mi = malloc(sizeof *mi);
	if (!mi)
		return;
	*mi = (struct mem_image){ s->eng, m->base };
	char err[256];
	if (kd_pe_open_read(mem_read, mi, KD_PE_MAPPED, &sm->pe, err, sizeof err) < 0) {
		noisy(s, "DBGHELP: %s - image headers unreadable in memory: %s\n", m->name, err);
		free(mi);
		sm->pe = NULL;
		return;
	}
	sm->mem = mi;
	noisy(s, "DBGHELP: %s - image read from target memory at %llx\n", m->name, (unsigned long long)m->base);
}

static int try_pdb(struct kd_symbols *s, struct sym_module *sm, const char *path,
                   const struct kd_pe_info *info)
{
	if (!is_file(path))
		return KD_ENOTFOUND;
	struct kd_pdb *pdb;
	char err[256];
	noisy(s, "DBGHELP: %s - trying %s\n", sm->name, path);
	if (kd_pdb_open(path, &pdb, err, sizeof err) < 0) {
		noisy(s, "DBGHELP: %s - %s\n", path, err);
		return KD_EFORMAT;
	}
	const struct kd_pdb_info *pi = kd_pdb_get_info(pdb);
	if (memcmp(pi->guid, info->guid, 16) != 0 || pi->age != info->age) {
		char want[48], have[48];
		kd_pdb_guid_age_string(info->guid, info->age, want);
		kd_pdb_guid_age_string(pi->guid, pi->age, have);
		noisy(s, "DBGHELP: %s - mismatched pdb (has %s, image wants %s)\n", path, have, want);
		kd_pdb_close(pdb);
		return KD_ENOTFOUND;
	}
	sm->pdb = pdb;
	snprintf(sm->pdb_path, sizeof sm->pdb_path, "%s", path);
	return 0;
}


/* The symbol server's messages and progress go to the engine's output;
 * Ctrl-C stops a download. */
static void symsrv_print(void *user, const char *text)
{
	kd_printf(user, "%s", text);
}

static int symsrv_canceled(void *user)
{
	return kd_engine_canceled(user);
}

static void find_pdb(struct kd_symbols *s, struct sym_module *sm)
{
	const struct kd_pe_info *info = kd_pe_get_info(sm->pe);
	char name[256], key[48], path[PATH_MAX + 600];
	if (!info->has_rsds) {
		noisy(s, "DBGHELP: %s - the image has no CodeView (RSDS) record\n", sm->name);
		return;
	}
	if (kd_sympath_safe_name(info->pdb_name, name, sizeof name) < 0) {
		noisy(s, "DBGHELP: %s - unsafe PDB name in the image, ignored\n", sm->name);
		return;
	}
	kd_pdb_guid_age_string(info->guid, info->age, key);
	for (size_t i = 0; i < s->path.n; i++) {
		const struct kd_sympath_elem *e = &s->path.v[i];
		if (!e->store) {
			snprintf(path, sizeof path, "%s/%s", e->dir, name);
			if (try_pdb(s, sm, path, info) == 0)
				return;
		}
		if (kd_sympath_store_path(e->dir, name, key, path, sizeof path) < 0)
			continue;
		if (try_pdb(s, sm, path, info) == 0)
			return;
		if (e->url) {
			char err[256] = "";
			struct kd_symsrv_hooks hooks = {
				.print = symsrv_print, .canceled = symsrv_canceled, .user = s->eng,
				.verbose = s->noisy, .progress = isatty(STDOUT_FILENO),
			};
			int rc = kd_symsrv_fetch(&hooks, e->url, e->dir, name, key, err, sizeof err);
			if (rc == 0 && try_pdb(s, sm, path, info) == 0)
				return;
			if (rc == 0) {
				/* The server sent a PDB that is not the image's (or no
				 * PDB at all): keep it out of the store. */
				snprintf(err, sizeof err, "it sent a file that is not the image's PDB (removed)");
				unlink(path);
				rc = KD_EFORMAT;
			}
			/* Not on the server is the usual case; anything else is a
			 * failure the user sees in one line, noisy or not. */
			if (rc < 0 && rc != KD_ENOTFOUND)
				kd_eprintf(s->eng, "*** ERROR: symbols for %s could not be downloaded from %s: %s\n",
				           sm->name, e->url, err);
			else if (rc < 0)
				noisy(s, "SYMSRV:  %s/%s/%s/%s: %s\n", e->url, name, key, name, err);
		}
	}
	/* Beside the image, as the linker left it. */
	if (sm->image_path[0]) {
		const char *slash = strrchr(sm->image_path, '/');
		int dl = slash ? (int)(slash - sm->image_path) : 1;
		snprintf(path, sizeof path, "%.*s/%s", dl, slash ? sm->image_path : ".", name);
		if (try_pdb(s, sm, path, info) == 0)
			return;
	}
	noisy(s, "DBGHELP: %s - no matching %s (%s) on the symbol path\n", sm->name, name, key);
}

static void load(struct kd_symbols *s, struct sym_module *sm, const struct kd_module *m)
{
	noisy(s, "DBGHELP: loading symbols for %s\n", m->name);
	find_image(s, sm, m);
	if (sm->pe)
		find_pdb(s, sm);
	if (sm->pdb) {
		sm->state = KD_SYM_PDB;
		noisy(s, "DBGHELP: %s - private symbols\n        %s\n", m->name, sm->pdb_path);
		return;
	}
	const struct kd_pe_export *e;
	size_t n;
	if (sm->pe && kd_pe_exports(sm->pe, &e, &n) == 0 && n) {
		sm->state = KD_SYM_EXPORT;
		noisy(s, "DBGHELP: %s - export symbols\n", m->name);
		return;
	}
	sm->state = KD_SYM_NONE;
	noisy(s, "DBGHELP: %s - no symbols loaded\n", m->name);
}

static struct sym_module *loaded(struct kd_symbols *s, const struct kd_module *m)
{
	struct sym_module *sm = module_of(s, m);
	if (sm && sm->state == KD_SYM_DEFERRED)
		load(s, sm, m);
	return sm;
}

/* --- names ------------------------------------------------------------ */

static void display_name(const char *raw, char *out, size_t n)
{
	if (raw[0] == '?' && kd_undname(raw, KD_UNDNAME_NAME_ONLY, out, n) == 0)
		return;
	snprintf(out, n, "%s", raw);
}

static void entry_from_pdb(const struct sym_module *sm, const struct kd_pdb_symbol *p,
                           struct kd_sym_entry *e)
{
	display_name(p->name, e->name, sizeof e->name);
	e->addr = sm->base + p->rva;
	e->size = p->size;
	e->is_function = p->is_function;
	e->is_public = p->kind == KD_PDB_SYM_PUBLIC;
	e->type_index = p->type_index;
}

static void entry_from_export(const struct sym_module *sm, const struct kd_pe_export *x,
                              struct kd_sym_entry *e)
{
	if (x->name)
		snprintf(e->name, sizeof e->name, "%s", x->name);
	else
		snprintf(e->name, sizeof e->name, "Ordinal%u", x->ordinal);
	e->addr = sm->base + x->rva;
	e->size = 0;
	e->is_function = 1;
	e->is_public = 1;
	e->type_index = 0;
}

int kd_symbols_wildcard(const char *p, const char *t)
{
	const char *star = NULL, *resume = NULL;
	while (*t) {
		if (*p == '*') {
			star = ++p;
			resume = t;
		} else if (*p == '?' || (*p && strncasecmp(p, t, 1) == 0)) {
			p++;
			t++;
		} else if (star) {
			p = star;
			t = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

int kd_symbols_enum(struct kd_symbols *s, const struct kd_module *m, const char *pattern,
                    int (*fn)(void *ctx, const struct kd_sym_entry *e), void *ctx)
{
	struct sym_module *sm = loaded(s, m);
	if (!sm)
		return KD_ENOMEM;
	struct kd_sym_entry e;
	if (sm->state == KD_SYM_PDB) {
		const struct kd_pdb_symbol *v;
		size_t n;
		int rc = kd_pdb_symbols(sm->pdb, &v, &n);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < n; i++) {
			entry_from_pdb(sm, &v[i], &e);
			if ((kd_symbols_wildcard(pattern, e.name) || kd_symbols_wildcard(pattern, v[i].name)) &&
			    fn(ctx, &e))
				break;
		}
	} else if (sm->state == KD_SYM_EXPORT) {
		const struct kd_pe_export *x;
		size_t n;
		kd_pe_exports(sm->pe, &x, &n);
		for (size_t i = 0; i < n; i++) {
			entry_from_export(sm, &x[i], &e);
			if (!x[i].forwarder && kd_symbols_wildcard(pattern, e.name) && fn(ctx, &e))
				break;
		}
	}
	return 0;
}

int kd_symbols_near(struct kd_symbols *s, const struct kd_module *m, uint64_t addr,
                    struct kd_sym_entry *prev, struct kd_sym_entry *next, int *has_next)
{
	struct sym_module *sm = loaded(s, m);
	*has_next = 0;
	if (!sm)
		return KD_ENOMEM;
	if (addr < sm->base || addr - sm->base > 0xffffffffull)
		return KD_ENOTFOUND;
	uint32_t rva = (uint32_t)(addr - sm->base);
	size_t i;
	if (sm->state == KD_SYM_PDB) {
		const struct kd_pdb_symbol *v;
		size_t n;
		if (kd_pdb_lookup_rva(sm->pdb, rva, &i) < 0 || kd_pdb_symbols(sm->pdb, &v, &n) < 0)
			return KD_ENOTFOUND;
		entry_from_pdb(sm, &v[i], prev);
		for (size_t k = i + 1; k < n; k++)
			if (v[k].rva > v[i].rva) {
				entry_from_pdb(sm, &v[k], next);
				*has_next = 1;
				break;
			}
		return 0;
	}
	if (sm->state == KD_SYM_EXPORT) {
		const struct kd_pe_export *x;
		size_t n;
		kd_pe_exports(sm->pe, &x, &n);
		if (kd_pe_export_by_rva(sm->pe, rva, &i) < 0)
			return KD_ENOTFOUND;
		entry_from_export(sm, &x[i], prev);
		for (size_t k = i + 1; k < n; k++)
			if (x[k].rva > x[i].rva) {
				entry_from_export(sm, &x[k], next);
				*has_next = 1;
				break;
			}
		return 0;
	}
	return KD_ENOTFOUND;
}

/* --- the symbolizer --------------------------------------------------- */

static int addr_to_name(void *ctx, const struct kd_module *m, uint64_t addr, char *name, size_t n,
                        uint64_t *disp)
{
	struct kd_sym_entry prev, next;
	int has_next;
	int rc = kd_symbols_near(ctx, m, addr, &prev, &next, &has_next);
	if (rc < 0)
		return rc;
	snprintf(name, n, "%s", prev.name);
	*disp = addr - prev.addr;
	return 0;
}

static int lookup_in(struct kd_symbols *s, const struct kd_module *m, const char *sym, uint64_t *addr)
{
	struct sym_module *sm = loaded(s, m);
	if (!sm)
		return KD_ENOMEM;
	if (sm->state == KD_SYM_PDB) {
		struct kd_pdb_symbol p;
		if ((kd_pdb_find_global(sm->pdb, sym, &p) == 0 && p.rva) ||
		    (kd_pdb_find_public(sm->pdb, sym, &p) == 0 && p.rva)) {
			*addr = sm->base + p.rva;
			return 0;
		}
		/* Static procedures and undecorated names: the address index. */
		const struct kd_pdb_symbol *v;
		size_t n;
		if (kd_pdb_symbols(sm->pdb, &v, &n) == 0) {
			char disp[512];
			for (size_t i = 0; i < n; i++) {
				display_name(v[i].name, disp, sizeof disp);
				if (strcmp(v[i].name, sym) == 0 || strcmp(disp, sym) == 0) {
					*addr = sm->base + v[i].rva;
					return 0;
				}
			}
		}
	} else if (sm->state == KD_SYM_EXPORT) {
		const struct kd_pe_export *x;
		if (kd_pe_export_by_name(sm->pe, sym, &x) == 0) {
			*addr = sm->base + x->rva;
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

static int name_to_addr(void *ctx, const struct kd_module *m, const char *sym, uint64_t *addr)
{
	struct kd_symbols *s = ctx;
	if (m)
		return lookup_in(s, m, sym, addr);
	/* Modules whose symbols are loaded first: an unqualified name should
	 * not make every deferred module fetch its PDB when one already has it. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < kd_engine_module_count(s->eng); i++) {
			const struct kd_module *mi = kd_engine_module(s->eng, i);
			struct sym_module *sm = module_of(s, mi);
			if (!sm || (sm->state == KD_SYM_DEFERRED) != pass)
				continue;
			if (lookup_in(s, mi, sym, addr) == 0)
				return 0;
		}
	}
	return KD_ENOTFOUND;
}

/* --- the context ------------------------------------------------------ */

int kd_symbols_attach(struct kd_engine *eng, const char *sympath)
{
	struct kd_symbols *s = calloc(1, sizeof *s);
	if (!s)
		return KD_ENOMEM;
	s->eng = eng;
	kd_sympath_default_cache(s->default_cache, sizeof s->default_cache);
	if (!sympath)
		sympath = getenv("_NT_SYMBOL_PATH");
	int rc = kd_symbols_set_path(s, sympath ? sympath : "", 0);
	if (rc == 0)
		rc = kd_engine_set_ext(eng, "symbols", s, symbols_free);
	if (rc < 0) {
		symbols_free(s);
		return rc;
	}
	struct kd_symbolizer z = { addr_to_name, name_to_addr, s };
	kd_engine_set_symbolizer(eng, &z);
	return 0;
}

struct kd_symbols *kd_symbols_get(struct kd_engine *eng)
{
	return kd_engine_ext(eng, "symbols");
}

const char *kd_symbols_path(const struct kd_symbols *s)
{
	return s->path_text ? s->path_text : "";
}

int kd_symbols_set_path(struct kd_symbols *s, const char *text, int append)
{
	char *full;
	if (append && s->path_text && s->path_text[0]) {
		size_t l = strlen(s->path_text) + strlen(text) + 2;
		full = malloc(l);
		if (full)
			snprintf(full, l, "%s;%s", s->path_text, text);
	} else {
		full = strdup(text);
	}
	if (!full)
		return KD_ENOMEM;
	struct kd_sympath sp;
	int rc = kd_sympath_parse(full, s->default_cache, &sp);
	if (rc < 0) {
		free(full);
		return rc;
	}
	kd_sympath_free(&s->path);
	s->path = sp;
	free(s->path_text);
	s->path_text = full;
	/* Modules without symbols get another chance on the new path. */
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].state == KD_SYM_NONE || s->mods[i].state == KD_SYM_EXPORT)
			unload(&s->mods[i]);
	return 0;
}

void kd_symbols_set_noisy(struct kd_symbols *s, int on)
{
	s->noisy = on;
}

int kd_symbols_noisy(const struct kd_symbols *s)
{
	return s->noisy;
}

int kd_symbols_module(struct kd_symbols *s, const struct kd_module *m, int load_now,
                      struct kd_symbols_module *out)
{
	struct sym_module *sm = load_now ? loaded(s, m) : module_of(s, m);
	if (!sm)
		return KD_ENOMEM;
	out->state = sm->state;
	out->image_path = sm->image_path;
	out->pdb_path = sm->pdb_path;
	out->pdb = sm->pdb;
	out->pe = sm->pe;
	return 0;
}

int kd_symbols_types(struct kd_symbols *s, const struct kd_module *m, struct kd_types **out)
{
	struct sym_module *sm = loaded(s, m);
	if (!sm)
		return KD_ENOMEM;
	if (sm->state != KD_SYM_PDB)
		return KD_ENOTFOUND;
	if (!sm->types) {
		int rc = kd_types_open(sm->pdb, &sm->types);
		if (rc < 0)
			return rc;
		if (sm->pe)
			kd_types_set_pointer_size(sm->types, kd_pe_get_info(sm->pe)->is64 ? 8 : 4);
	}
	*out = sm->types;
	return 0;
}

int kd_symbols_reload(struct kd_symbols *s, const char *name, int force)
{
	int found = 0;
	for (size_t i = 0; i < kd_engine_module_count(s->eng); i++) {
		const struct kd_module *m = kd_engine_module(s->eng, i);
		if (name && strcasecmp(m->name, name) != 0)
			continue;
		found = 1;
		struct sym_module *sm = module_of(s, m);
		if (!sm)
			return KD_ENOMEM;
		unload(sm);
		if (force)
			load(s, sm, m);
	}
	return name && !found ? KD_ENOTFOUND : 0;
}

int kd_symbols_image_at(struct kd_engine *eng, uint64_t addr, struct kd_pe **pe, struct kd_pdb **pdb,
                        uint64_t *base)
{
	struct kd_symbols *s = kd_symbols_get(eng);
	const struct kd_module *m = kd_engine_module_by_addr(eng, addr);
	if (!s || !m)
		return KD_ENOTFOUND;
	struct sym_module *sm = loaded(s, m);
	if (!sm)
		return KD_ENOMEM;
	if (pe)
		*pe = sm->pe;
	if (pdb)
		*pdb = sm->pdb;
	*base = m->base;
	return sm->pe || sm->pdb ? 0 : KD_ENOTFOUND;
}
