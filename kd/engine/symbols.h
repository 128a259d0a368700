/*
 * The symbols layer of one engine: the symbol path, per-module symbol
 * state (deferred, PDB, exports, none), and the kd_symbolizer the engine
 * calls to print and resolve names. Everything hangs off the engine
 * (kd_engine_set_ext "symbols"); nothing is global.
 *
 * A module's symbols load on first use ("deferred" until then): its image
 * comes from the module's path, the symbol path or target memory; its PDB
 * from the RSDS record's name searched along the symbol path, used only
 * when GUID and age match; without one, the image's exports.
 */
#ifndef KD_ENGINE_SYMBOLS_H
#define KD_ENGINE_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine/engine.h"

struct kd_symbols;
struct kd_pdb;
struct kd_pe;

/* Creates the context (symbol path from sympath, else $_NT_SYMBOL_PATH),
 * installs the symbolizer and registers the cleanup with the engine. */
int kd_symbols_attach(struct kd_engine *eng, const char *sympath);
/* The engine's context, NULL before kd_symbols_attach. */
struct kd_symbols *kd_symbols_get(struct kd_engine *eng);

const char *kd_symbols_path(const struct kd_symbols *s);
/* Replaces (append 0) or extends (append 1) the symbol path; drops
 * modules that found no symbols so they are searched again. */
int kd_symbols_set_path(struct kd_symbols *s, const char *text, int append);
void kd_symbols_set_noisy(struct kd_symbols *s, int noisy);
int kd_symbols_noisy(const struct kd_symbols *s);

enum kd_sym_state {
	KD_SYM_DEFERRED,
	KD_SYM_PDB,
	KD_SYM_EXPORT,
	KD_SYM_NONE,
};

struct kd_symbols_module {
	enum kd_sym_state state;
	const char *image_path; /* "" when read from target memory or absent */
	const char *pdb_path;   /* "" without a PDB */
	struct kd_pdb *pdb;
	struct kd_pe *pe;
};

/* The symbol state of m; load 1 loads deferred symbols first. */
int kd_symbols_module(struct kd_symbols *s, const struct kd_module *m, int load,
                      struct kd_symbols_module *out);
/* .reload: forget module symbols (all when name is NULL); force loads
 * them at once instead of deferring. */
int kd_symbols_reload(struct kd_symbols *s, const char *name, int force);

/* One symbol as `x` and `ln` show it. */
struct kd_sym_entry {
	char name[512];     /* display name (undecorated), no module prefix */
	uint64_t addr;
	uint32_t size;
	int is_function;
	int is_public;      /* from publics or exports: no type information */
	uint32_t type_index;
};

/* Every symbol of m whose name matches the wildcard pattern (* ?),
 * case-insensitively, in address order. fn returns nonzero to stop. */
int kd_symbols_enum(struct kd_symbols *s, const struct kd_module *m, const char *pattern,
                    int (*fn)(void *ctx, const struct kd_sym_entry *e), void *ctx);
/* The symbols around addr in m: *prev at or below (KD_ENOTFOUND when
 * none), *next above (has_next 0 when none). */
int kd_symbols_near(struct kd_symbols *s, const struct kd_module *m, uint64_t addr,
                    struct kd_sym_entry *prev, struct kd_sym_entry *next, int *has_next);

/* The type records of m's PDB (opened on first use); KD_ENOTFOUND
 * without a PDB or types. */
struct kd_types;
int kd_symbols_types(struct kd_symbols *s, const struct kd_module *m, struct kd_types **out);

/* For the stack walkers: the image (for .pdata/.xdata, x64) and PDB (for
 * FPO/FrameData, x86) of the module holding addr, loading its symbols;
 * either may come back NULL. *base is the module's load address. */
int kd_symbols_image_at(struct kd_engine *eng, uint64_t addr, struct kd_pe **pe, struct kd_pdb **pdb,
                        uint64_t *base);

/* WinDbg's wildcard match: * and ?, case-insensitive. */
int kd_symbols_wildcard(const char *pattern, const char *text);

#endif
