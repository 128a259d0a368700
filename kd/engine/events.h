/*
 * Events a running target reports and what kd does with them: the event
 * filters of sx/sxe/sxd/sxn/sxi (exceptions by code and by WinDbg's short
 * names, module load and unload, with ld:module), the one-line report of
 * an exception, and the bugcheck: recognised from KDDEBUGGER_DATA64
 * (the breakpoint at BreakpointWithStatus with status 3) and read from
 * KiBugcheckData.
 */
#ifndef KD_ENGINE_EVENTS_H
#define KD_ENGINE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine/engine.h"

/* What the debugger does when the event happens (sxe, sxd, sxn, sxi). */
enum kd_sx {
	KD_SX_BREAK,       /* sxe: stop on the first chance */
	KD_SX_SECOND,      /* sxd: say so on the first chance, stop on the second */
	KD_SX_OUTPUT,      /* sxn: say so, do not stop */
	KD_SX_IGNORE,      /* sxi: nothing */
};

/* How `g` continues after the exception (the -h option / gh, gn). */
enum kd_sx_cont {
	KD_SX_CONT_NONE,   /* not an exception */
	KD_SX_HANDLED,
	KD_SX_NOT_HANDLED,
};

struct kd_sx_filter {
	const char *abbr;        /* "av", "ld", "*" */
	const char *name;        /* "Access violation" */
	uint32_t code;           /* exception code, 0 for other events */
	int exception;
	const char *cont_abbr;   /* "bpec": listed on its own line */
	enum kd_sx state;
	enum kd_sx_cont cont;
	char arg[128];           /* ld:NAME / ud:NAME: only for these modules ("" all) */
};

#define KD_SX_MAX_FILTERS 40
#define KD_SX_MAX_CODES 32

struct kd_events {
	struct kd_sx_filter f[KD_SX_MAX_FILTERS];
	size_t n;
	/* Exceptions set by number that have no name. */
	struct {
		uint32_t code;
		enum kd_sx state;
		enum kd_sx_cont cont;
	} codes[KD_SX_MAX_CODES];
	size_t ncodes;
};

/* WinDbg's defaults. */
void kd_events_init(struct kd_events *e);
/* sxe/sxd/sxn/sxi SPEC: an abbreviation ("av", "ld:TestDriver"), an
 * exception code ("c0000005", "0xc0000005") or "*" for other exceptions.
 * Returns 0 or KD_EINVAL with a one-line reason. */
int kd_events_set(struct kd_events *e, enum kd_sx state, const char *spec, char *err, size_t errlen);
/* How an exception with this code is filtered. */
enum kd_sx kd_events_exception(const struct kd_events *e, uint32_t code, enum kd_sx_cont *cont);
/* How a module load (unload 0) or unload of `name` (no path, no
 * extension) is filtered. */
enum kd_sx kd_events_module(const struct kd_events *e, int unload, const char *name);
/* The sx listing, one line at a time through fn. */
void kd_events_list(const struct kd_events *e, void (*fn)(void *ctx, const char *line), void *ctx);
const char *kd_sx_name(enum kd_sx s);

/* "Access violation" for 0xc0000005, "Unknown exception" for codes
 * WinDbg has no name for. */
const char *kd_event_exception_name(uint32_t code);

/* The stop event is the kernel's bugcheck breakpoint: *bc gets the code
 * and arguments. Returns 1 when it is, 0 when not. */
int kd_events_is_bugcheck(struct kd_engine *eng, const struct kd_stop_event *ev, struct kd_bugcheck *bc);
/* The live kernel's KDDEBUGGER_DATA64 (through the version's
 * DebuggerDataList, tag checked); KD_ENOTFOUND when it has none. */
int kd_events_find_kdbg(struct kd_engine *eng, uint64_t *block);
/* Read KiBugcheckData through KDDEBUGGER_DATA64; KD_ENOTFOUND when the
 * target has not bugchecked or the block cannot be found. */
int kd_events_read_bugcheck(struct kd_engine *eng, struct kd_bugcheck *bc);
/* The banner WinDbg prints when the target bugchecks. */
void kd_events_print_bugcheck(struct kd_engine *eng, const struct kd_bugcheck *bc);

#endif
