/*
 * Running the engine's target, in the spirit of LLDB's Process::Resume and
 * Halt: whether it can run and is stopped, waiting for a stop, breaking in,
 * resuming, breakpoints kept by the target, processor switches, reboot and
 * bugcheck, and the connection's trace, counters and served files. Each
 * call goes through the target interface (kd/engine/target.h), so commands
 * and front ends never know which kind of target is open; a target that
 * cannot do something answers KD_ENOTSUP.
 */
#ifndef KD_ENGINE_RUN_CONTROL_H
#define KD_ENGINE_RUN_CONTROL_H

#include <stdint.h>

#include "kd/engine/engine.h"

/* 1 when the open target can run (a live kernel), 0 for dumps and images
 * and without a target. */
int kd_engine_can_run(struct kd_engine *eng);
/* 1 when there is no target, or it is stopped. */
int kd_engine_is_stopped(struct kd_engine *eng);
/* 0 when the target can run and is stopped now; else KD_EDISCONNECTED,
 * KD_ENOTSUP (cannot run) or KD_ERUNNING. */
int kd_engine_check_stopped(struct kd_engine *eng);
/* "a dump file", "an image", "a live target": for messages. */
const char *kd_engine_target_noun(struct kd_engine *eng);

int kd_engine_wait_stop(struct kd_engine *eng, unsigned timeout_ms);
int kd_engine_break_in(struct kd_engine *eng);
/* r NULL: plain go. The engine's caches are dropped. */
int kd_engine_resume(struct kd_engine *eng, const struct kd_resume *r);
int kd_engine_insert_breakpoint(struct kd_engine *eng, uint64_t addr, uint32_t *handle);
int kd_engine_remove_breakpoint(struct kd_engine *eng, uint32_t handle);
int kd_engine_switch_processor(struct kd_engine *eng, unsigned cpu);
int kd_engine_reboot(struct kd_engine *eng);
int kd_engine_cause_bugcheck(struct kd_engine *eng, uint32_t code);
uint64_t kd_engine_last_dr6(struct kd_engine *eng);
void kd_engine_set_module_hook(struct kd_engine *eng, kd_module_event_fn fn, void *user);
void kd_engine_explain_silence(struct kd_engine *eng);

/* The connection underneath (.kdtrace, .kdstats, .kdfiles). */
int kd_engine_link_trace(struct kd_engine *eng);
int kd_engine_set_link_trace(struct kd_engine *eng, int on);
int kd_engine_link_stats(struct kd_engine *eng, struct kd_target_stats *out);
int kd_engine_serve_file(struct kd_engine *eng, const char *remote, const char *local);

#endif
