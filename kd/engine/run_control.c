/*
 * The engine's execution control over the target interface (see
 * run_control.h). Each call checks that the open target has the operation
 * and hands it over; nothing here knows a kind of target.
 */
#include "kd/engine/run_control.h"

#include <string.h>

#include "base/error.h"

static struct kd_target *target(struct kd_engine *eng)
{
	return kd_engine_target(eng);
}

/* The target's ops when it has `op`, else NULL. */
#define HAS(t, op) ((t) && (t)->ops->op)

int kd_engine_can_run(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	return HAS(t, resume) && HAS(t, is_stopped);
}

int kd_engine_is_stopped(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	return !HAS(t, is_stopped) || t->ops->is_stopped(t);
}

int kd_engine_check_stopped(struct kd_engine *eng)
{
	if (!target(eng))
		return KD_EDISCONNECTED;
	if (!kd_engine_can_run(eng))
		return KD_ENOTSUP;
	return kd_engine_is_stopped(eng) ? 0 : KD_ERUNNING;
}

const char *kd_engine_target_noun(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	if (!t)
		return "no target";
	if (strcmp(t->ops->kind, "dump") == 0)
		return "a dump file";
	if (strcmp(t->ops->kind, "image") == 0)
		return "an image file";
	return kd_engine_can_run(eng) ? "a live target" : t->ops->kind;
}

int kd_engine_wait_stop(struct kd_engine *eng, unsigned timeout_ms)
{
	struct kd_target *t = target(eng);
	if (!HAS(t, wait_stop))
		return t ? 0 : KD_EDISCONNECTED;
	return t->ops->wait_stop(t, timeout_ms);
}

int kd_engine_break_in(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	return HAS(t, break_in) ? t->ops->break_in(t) : KD_ENOTSUP;
}

int kd_engine_resume(struct kd_engine *eng, const struct kd_resume *r)
{
	struct kd_target *t = target(eng);
	return HAS(t, resume) ? t->ops->resume(t, r) : KD_ENOTSUP;
}

int kd_engine_insert_breakpoint(struct kd_engine *eng, uint64_t addr, uint32_t *handle)
{
	struct kd_target *t = target(eng);
	return HAS(t, insert_breakpoint) ? t->ops->insert_breakpoint(t, addr, handle) : KD_ENOTSUP;
}

int kd_engine_remove_breakpoint(struct kd_engine *eng, uint32_t handle)
{
	struct kd_target *t = target(eng);
	return HAS(t, remove_breakpoint) ? t->ops->remove_breakpoint(t, handle) : KD_ENOTSUP;
}

int kd_engine_switch_processor(struct kd_engine *eng, unsigned cpu)
{
	struct kd_target *t = target(eng);
	return HAS(t, switch_processor) ? t->ops->switch_processor(t, cpu) : KD_ENOTSUP;
}

int kd_engine_reboot(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	return HAS(t, reboot) ? t->ops->reboot(t) : KD_ENOTSUP;
}

int kd_engine_cause_bugcheck(struct kd_engine *eng, uint32_t code)
{
	struct kd_target *t = target(eng);
	return HAS(t, cause_bugcheck) ? t->ops->cause_bugcheck(t, code) : KD_ENOTSUP;
}

uint64_t kd_engine_last_dr6(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	return HAS(t, last_dr6) ? t->ops->last_dr6(t) : 0;
}

void kd_engine_set_module_hook(struct kd_engine *eng, kd_module_event_fn fn, void *user)
{
	struct kd_target *t = target(eng);
	if (HAS(t, set_module_hook))
		t->ops->set_module_hook(t, fn, user);
}

void kd_engine_explain_silence(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	if (HAS(t, explain_silence))
		t->ops->explain_silence(t);
}

int kd_engine_link_trace(struct kd_engine *eng)
{
	struct kd_target *t = target(eng);
	return HAS(t, trace) ? t->ops->trace(t) : 0;
}

int kd_engine_set_link_trace(struct kd_engine *eng, int on)
{
	struct kd_target *t = target(eng);
	if (!HAS(t, set_trace))
		return KD_ENOTSUP;
	t->ops->set_trace(t, on);
	return 0;
}

int kd_engine_link_stats(struct kd_engine *eng, struct kd_target_stats *out)
{
	struct kd_target *t = target(eng);
	memset(out, 0, sizeof *out);
	return HAS(t, stats) ? t->ops->stats(t, out) : KD_ENOTSUP;
}

int kd_engine_serve_file(struct kd_engine *eng, const char *remote, const char *local)
{
	struct kd_target *t = target(eng);
	return HAS(t, serve_file) ? t->ops->serve_file(t, remote, local) : KD_ENOTSUP;
}
