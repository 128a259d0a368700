/*
 * Symbol server client: downloads name/KEY/name (or the CAB-compressed
 * name/KEY/name.pd_, expanded with libmspack) from an HTTP(S) symbol
 * server into a downstream store, atomically (temporary file + rename).
 * Names are checked with kd_sympath_safe_name so nothing is written outside
 * the store.
 */
#ifndef KD_SYMBOLS_SYMSRV_H
#define KD_SYMBOLS_SYMSRV_H

#include <stddef.h>

struct kd_engine;

/* Fetches url/name/key/name into store/name/key/name. eng (may be NULL)
 * receives a progress line when its output is a terminal and `verbose`
 * messages. 0, KD_ENOTFOUND (the server has neither file) or another
 * KD_E* code with err set. */
int kd_symsrv_fetch(struct kd_engine *eng, const char *url, const char *store, const char *name,
                    const char *key, int verbose, char *err, size_t errlen);

#endif
