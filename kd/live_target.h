/*
 * The live target: a Windows kernel reached over a KD link (KDCOM or
 * KDNET). It turns the target interface's calls into DBGKD manipulate-state
 * requests, waits for the answers on the libuv loop, and handles what the
 * target sends on its own: state changes (exception, load symbols, command
 * string), DbgPrint and DbgPrompt text, and file I/O requests (.kdfiles).
 */
#ifndef KD_LIVE_TARGET_H
#define KD_LIVE_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine.h"
#include "proto/kd_link.h"

/* Answers a DbgPrompt: returns a malloc'd line (no newline) or NULL. */
typedef char *(*kd_prompt_fn)(void *user, const char *prompt);

struct kd_live_options {
	unsigned request_timeout_ms; /* 0: 6000 */
	kd_prompt_fn prompt;
	void *prompt_user;
	/* Text shown when the target does not answer: how it is connected
	 * ("com:pipe,port=/tmp/com1") and the usual causes for that kind. */
	const char *connection;
	const char *causes;
};

/* Create a live target for `eng`; its link callbacks are returned in *cb
 * for the link the caller opens next (kd_live_set_link). */
int kd_live_target_new(struct kd_engine *eng, const struct kd_live_options *opt,
                       struct kd_target **out, struct kd_link_callbacks *cb);
/* Give the target its link (owned from now on). */
void kd_live_set_link(struct kd_target *t, struct kd_link *link);
struct kd_link *kd_live_link(struct kd_target *t);
/* What carries the link: closed (close_fn) and freed (free_fn) with the
 * target, after the link. */
void kd_live_set_transport(struct kd_target *t, void *ctx, void (*close_fn)(void *),
                           void (*free_fn)(void *));

/* Run the loop until the target reports a stop (or timeout_ms passes, 0
 * waits forever, or the user cancels). */
int kd_live_wait_stop(struct kd_target *t, unsigned timeout_ms);
int kd_live_is_stopped(struct kd_target *t);
/* Send the break-in byte (again every second while waiting). */
int kd_live_breakin(struct kd_target *t);
/* Let the target run (g); the engine drops its caches. */
int kd_live_continue(struct kd_target *t);

/* How to resume: DbgKdContinueApi2's status and control set. */
#define KD_LIVE_CONTINUE 0x00010002u              /* DBG_CONTINUE: handled */
#define KD_LIVE_EXCEPTION_NOT_HANDLED 0x80010001u /* DBG_EXCEPTION_NOT_HANDLED */
struct kd_live_resume {
	uint32_t status;  /* 0: KD_LIVE_CONTINUE */
	int trace;        /* TraceFlag: one instruction on the reporting processor */
	uint64_t dr7;     /* the control set's Dr7 */
};
int kd_live_resume(struct kd_target *t, const struct kd_live_resume *r);
/* Software breakpoints through DbgKdWriteBreakPointApi and
 * DbgKdRestoreBreakPointApi: the target keeps the original byte and
 * hands out a handle. KD_ETARGET when the target refused. */
int kd_live_write_breakpoint(struct kd_target *t, uint64_t addr, uint32_t *handle);
int kd_live_restore_breakpoint(struct kd_target *t, uint32_t handle);
/* .crash: DbgKdCauseBugCheckApi; the target resumes and bugchecks. */
int kd_live_cause_bugcheck(struct kd_target *t, uint32_t code);
/* Dr6 of the last exception's control report (hardware breakpoints). */
uint64_t kd_live_last_dr6(struct kd_target *t);
/* Called for every module load or unload the target reports, after the
 * engine's module list was updated, from the loop (no requests allowed):
 * returning nonzero keeps the target stopped so the waiter sees the
 * event, instead of letting it go on at once. NULL: always go on. */
typedef int (*kd_live_module_hook)(void *user, const struct kd_stop_event *ev);
void kd_live_set_module_hook(struct kd_target *t, kd_live_module_hook fn, void *user);
int kd_live_reboot(struct kd_target *t);
/* ~Ns: ask the target to report from processor cpu (DbgKdSwitchProcessor)
 * and wait for its state change. */
int kd_live_switch_processor(struct kd_target *t, unsigned cpu);
void kd_live_set_trace(struct kd_target *t, int on);
int kd_live_trace(struct kd_target *t);

/* Counters for diagnostics and benchmarks: requests (round trips) made and
 * what the link carried. */
struct kd_live_stats {
	uint64_t requests;
	struct kd_link_stats link;
};
int kd_live_stats(struct kd_target *t, struct kd_live_stats *out);
/* .kdfiles: serve `local` when the target asks for `remote`. */
int kd_live_kdfiles_add(struct kd_target *t, const char *remote, const char *local);
/* Called by the front end's transport glue. */
void kd_live_peer_connected(struct kd_target *t);
void kd_live_peer_lost(struct kd_target *t, const char *why);

/* Say that the target does not answer, and the usual causes. */
void kd_live_explain_silence(struct kd_target *t);

/* The live target behind a generic target, or NULL. */
int kd_target_is_live(const struct kd_target *t);

#endif
