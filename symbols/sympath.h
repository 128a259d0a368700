/*
 * The symbol path: WinDbg's `;`-separated list of plain folders,
 * `srv*[CACHE*]URL` symbol servers (with chained downstream stores),
 * `cache*DIR` (a local cache for the elements after it) and `symsrv*DLL*...`.
 * Also the symbol-store layout (name/KEY/name) and sanitising of names
 * that come from the target, so a lookup never leaves its store.
 */
#ifndef KD_SYMBOLS_SYMPATH_H
#define KD_SYMBOLS_SYMPATH_H

#include <stddef.h>

#define KD_SYMFIX_URL "https://msdl.microsoft.com/download/symbols"

struct kd_sympath_elem {
	char *dir;    /* a plain folder, or a server's downstream store (cache) */
	char *url;    /* the server (http/https) or NULL for local ones */
	int store;    /* dir uses the symbol-store layout only (srv/cache) */
};

struct kd_sympath {
	struct kd_sympath_elem *v;
	size_t n;
};

/* Parses text (NULL or "" give an empty path). default_cache replaces
 * empty cache fields ("srv**URL", "cache*"). */
int kd_sympath_parse(const char *text, const char *default_cache, struct kd_sympath *out);
void kd_sympath_free(struct kd_sympath *sp);

/* The default downstream store: $KD_SYMBOL_CACHE, else
 * $XDG_CACHE_HOME/kd/sym, else ~/.cache/kd/sym. */
void kd_sympath_default_cache(char *out, size_t n);

/* The last path component of a Windows or POSIX path ("C:\x\ntkrnlmp.pdb"
 * -> "ntkrnlmp.pdb"), checked to be a plain file name: no separators, not
 * "." or "..", no control characters, at most 255 bytes. Returns
 * KD_EINVAL when the name is unsafe to use as a file name. */
int kd_sympath_safe_name(const char *path, char *out, size_t n);

/* dir/name/key/name (key: the GUIDAGE of a PDB, TIMESTAMPSIZE of an image). */
int kd_sympath_store_path(const char *dir, const char *name, const char *key, char *out, size_t n);

#endif
