/*
 * Running a live target under control: g, g ADDR, t, p, gu, pc, tc and
 * their counts. Every resume goes through kd_exec_run, which
 *   - resolves deferred (bu) breakpoints,
 *   - steps off a breakpoint at the current instruction first (trace flag
 *     with nothing inserted, as WinDbg does),
 *   - inserts the software breakpoints and programs the debug registers,
 *   - resumes with DbgKdContinueApi2 and waits for the next stop,
 *   - removes every breakpoint again, so target memory never shows kd's
 *     breakpoint bytes while the user looks at it,
 *   - and decides what the stop means: a breakpoint hit (pass counts,
 *     one-shot, command strings), a finished step, a module event for a
 *     deferred breakpoint or `sxe ld`, a bugcheck, or an exception
 *     filtered by sx.
 * The per-engine state (breakpoint table, event filters) hangs off the
 * engine as the "exec" extension.
 */
#ifndef KD_ENGINE_STEPPING_H
#define KD_ENGINE_STEPPING_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine/breakpoints.h"
#include "kd/engine/engine.h"
#include "kd/engine/events.h"

struct kd_exec {
	struct kd_bp_table bps;
	struct kd_events events;
	/* Debug registers as last written to every processor. */
	uint64_t hw_addr[KD_BP_HW_SLOTS];
	uint64_t hw_dr7;
	int hw_written;
	/* The run in progress (module events are held for it). */
	int running;
	/* Hold the next module event whatever it is (after a reboot: the
	 * first chance to put the breakpoints back in). */
	int hold_next;
};

/* The engine's execution state, made on first use (NULL: no memory). */
struct kd_exec *kd_exec_get(struct kd_engine *eng);

enum kd_run_kind {
	KD_RUN_GO,        /* g [ADDR...] */
	KD_RUN_TRACE,     /* t: one instruction, into calls */
	KD_RUN_STEP,      /* p: one instruction, over calls and rep strings */
	KD_RUN_GO_UP,     /* gu: until the current function returns */
	KD_RUN_TO_CALL,   /* pc: p until the next call */
	KD_RUN_TRACE_TO_CALL, /* tc: t until the next call */
};

enum kd_run_status {
	KD_RUN_STATUS_DEFAULT, /* as the last event's filter says */
	KD_RUN_STATUS_HANDLED, /* gh */
	KD_RUN_STATUS_NOT_HANDLED, /* gn */
};

#define KD_RUN_MAX_GO_ADDRS 8

struct kd_run_req {
	enum kd_run_kind kind;
	unsigned count;                 /* t/p/pc/tc repeats; 0 means 1 */
	uint64_t go[KD_RUN_MAX_GO_ADDRS]; /* g ADDR: one-shot stops */
	size_t ngo;
	enum kd_run_status status;
};

/* Run as asked and report the stop. Returns 0 once the target is stopped
 * again (whatever stopped it), or a negative code (already printed). */
int kd_exec_run(struct kd_engine *eng, const struct kd_run_req *req);

/* .reboot: reboot the target and wait for it to come back; its first
 * module event puts the breakpoints back in (deferred ones resolved
 * again), then it runs until something stops it. */
int kd_exec_reboot(struct kd_engine *eng);

/* .crash: ask the kernel to bugcheck, wait for it and report it. */
int kd_exec_crash(struct kd_engine *eng);

/* Resolve deferred breakpoints against the modules loaded now; returns
 * how many became resolved. */
unsigned kd_exec_resolve(struct kd_engine *eng);

/* Print the stop the way the run loop does for a stop it did not cause
 * (the first stop after attaching): a bugcheck banner or the exception
 * line, then the current instruction. */
void kd_exec_report_stop(struct kd_engine *eng);

#endif
