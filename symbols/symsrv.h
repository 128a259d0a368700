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
#include <stdint.h>

/* How a download talks to whoever asked for it; every member may be NULL
 * or 0, and so may the whole struct (a silent download). */
struct kd_symsrv_hooks {
	/* Text for the user: "SYMSRV:  GET ..." lines when verbose, progress
	 * fragments ("\rSYMSRV:  name  12 of 340 KB") when progress is set. */
	void (*print)(void *user, const char *text);
	/* Nonzero when the user wants the download stopped (Ctrl-C). */
	int (*canceled)(void *user);
	void *user;
	int verbose;
	int progress;
	/* Limits; 0 takes the default. A file larger than max_bytes (1 GiB),
	 * or a .pd_ that would expand to more, is refused before it is
	 * written; a server that sends nothing for stall_seconds (30), or a
	 * download longer than timeout_seconds (600), is given up on. Nothing
	 * of a refused or failed download stays in the store. */
	uint64_t max_bytes;
	unsigned stall_seconds;
	unsigned timeout_seconds;
};

/* Fetches url/name/key/name into store/name/key/name. 0, KD_ENOTFOUND
 * (the server has neither file), KD_ECANCELED or another KD_E* code with
 * err set. */
int kd_symsrv_fetch(const struct kd_symsrv_hooks *hooks, const char *url, const char *store,
                    const char *name, const char *key, char *err, size_t errlen);

#endif
