/*
 * The live target: a Windows kernel reached over a KD link (KDCOM or
 * KDNET). It turns the target interface's calls into DBGKD manipulate-state
 * requests, waits for the answers on the libuv loop, and handles what the
 * target sends on its own: state changes (exception, load symbols, command
 * string), DbgPrint and DbgPrompt text, and file I/O requests (.kdfiles).
 */
#ifndef KD_TARGETS_LIVE_TARGET_H
#define KD_TARGETS_LIVE_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine/engine.h"
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

/* Execution control, breakpoints, processor switches, .reboot, .crash, the
 * packet trace, counters and .kdfiles are the target interface's
 * operations (kd/engine/target.h); the engine's calls drive them. */

/* Called by the front end's transport glue. */
void kd_live_peer_connected(struct kd_target *t);
void kd_live_peer_lost(struct kd_target *t, const char *why);

#endif
