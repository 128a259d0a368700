/*
 * The logging target (see target_log.h). Each operation forwards to the
 * inner target and logs; the wrapper's operation table is a copy of the
 * forwarding table with the operations the inner target lacks left NULL,
 * so the engine sees the same capabilities. is_stopped, trace and
 * last_dr6 are state queries made in every wait loop: forwarded, not
 * logged.
 */
#include "kd/engine/target_log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "base/error.h"

struct log_target {
	struct kd_target t; /* first: the engine's handle */
	struct kd_target_ops ops;
	struct kd_target *inner;
	FILE *f;
	struct timespec start;
};

/* Every operation is a pointer; a new one added to kd_target_ops must be
 * forwarded here too. */
#define FORWARDED_OPS 33
_Static_assert(sizeof(struct kd_target_ops) == sizeof(const char *) + (FORWARDED_OPS - 1) * sizeof(void (*)(void)),
               "kd/engine/target_log.c must forward every target operation");

static struct log_target *lt_of(struct kd_target *t)
{
	return (struct log_target *)t;
}

static struct kd_target *inner_of(struct kd_target *t)
{
	return lt_of(t)->inner;
}

static void say(struct kd_target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct kd_target *t, const char *fmt, ...)
{
	struct log_target *lt = lt_of(t);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - lt->start.tv_sec) * 1e3 + (double)(now.tv_nsec - lt->start.tv_nsec) / 1e6;
	fprintf(lt->f, "%10.3f ", ms);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(lt->f, fmt, ap);
	va_end(ap);
	fputc('\n', lt->f);
	fflush(lt->f);
}

static const char *rcs(int rc)
{
	return rc < 0 ? kd_strerror(rc) : "ok";
}

static void lt_close(struct kd_target *t)
{
	struct log_target *lt = lt_of(t);
	say(t, "close");
	lt->inner->ops->close(lt->inner);
	fclose(lt->f);
	free(lt);
}

static int lt_version(struct kd_target *t, struct kd_version *out)
{
	int rc = inner_of(t)->ops->version(inner_of(t), out);
	say(t, "version -> %s", rcs(rc));
	return rc;
}

/* Memory and control space share one line shape. */
static void say_mem(struct kd_target *t, const char *op, int cpu, uint64_t addr, uint32_t len, int rc,
                    const uint32_t *done)
{
	char c[16] = "";
	if (cpu >= 0)
		snprintf(c, sizeof c, " cpu %d", cpu);
	say(t, "%s%s %016" PRIx64 " len %#x -> %s, %#x done", op, c, addr, len, rcs(rc), done ? *done : 0);
}

static int lt_read_virtual(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	int rc = inner_of(t)->ops->read_virtual(inner_of(t), addr, buf, len, done);
	say_mem(t, "read_virtual", -1, addr, len, rc, done);
	return rc;
}

static int lt_write_virtual(struct kd_target *t, uint64_t addr, const void *buf, uint32_t len, uint32_t *done)
{
	int rc = inner_of(t)->ops->write_virtual(inner_of(t), addr, buf, len, done);
	say_mem(t, "write_virtual", -1, addr, len, rc, done);
	return rc;
}

static int lt_read_physical(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	int rc = inner_of(t)->ops->read_physical(inner_of(t), addr, buf, len, done);
	say_mem(t, "read_physical", -1, addr, len, rc, done);
	return rc;
}

static int lt_write_physical(struct kd_target *t, uint64_t addr, const void *buf, uint32_t len, uint32_t *done)
{
	int rc = inner_of(t)->ops->write_physical(inner_of(t), addr, buf, len, done);
	say_mem(t, "write_physical", -1, addr, len, rc, done);
	return rc;
}

static int lt_get_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	int rc = inner_of(t)->ops->get_context(inner_of(t), cpu, out);
	say(t, "get_context cpu %u -> %s", cpu, rcs(rc));
	return rc;
}

static int lt_set_context(struct kd_target *t, unsigned cpu, const struct kd_context *ctx)
{
	int rc = inner_of(t)->ops->set_context(inner_of(t), cpu, ctx);
	say(t, "set_context cpu %u -> %s", cpu, rcs(rc));
	return rc;
}

static int lt_read_control(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf, uint32_t len,
                           uint32_t *done)
{
	int rc = inner_of(t)->ops->read_control(inner_of(t), cpu, addr, buf, len, done);
	say_mem(t, "read_control", (int)cpu, addr, len, rc, done);
	return rc;
}

static int lt_write_control(struct kd_target *t, unsigned cpu, uint64_t addr, const void *buf, uint32_t len,
                            uint32_t *done)
{
	int rc = inner_of(t)->ops->write_control(inner_of(t), cpu, addr, buf, len, done);
	say_mem(t, "write_control", (int)cpu, addr, len, rc, done);
	return rc;
}

static int lt_bugcheck(struct kd_target *t, struct kd_bugcheck *out)
{
	int rc = inner_of(t)->ops->bugcheck(inner_of(t), out);
	say(t, "bugcheck -> %s", rcs(rc));
	return rc;
}

static int lt_modules(struct kd_target *t, struct kd_module **list, size_t *count)
{
	int rc = inner_of(t)->ops->modules(inner_of(t), list, count);
	say(t, "modules -> %s, %zu", rcs(rc), rc < 0 ? 0 : *count);
	return rc;
}

static int lt_exception(struct kd_target *t, struct kd_stop_event *out)
{
	int rc = inner_of(t)->ops->exception(inner_of(t), out);
	say(t, "exception -> %s", rcs(rc));
	return rc;
}

static struct kd_dump *lt_dump_file(struct kd_target *t)
{
	return inner_of(t)->ops->dump_file(inner_of(t));
}

static int lt_saved_stack(struct kd_target *t, uint64_t *low, uint64_t *high)
{
	int rc = inner_of(t)->ops->saved_stack(inner_of(t), low, high);
	say(t, "saved_stack -> %s", rcs(rc));
	return rc;
}

static int lt_is_stopped(struct kd_target *t)
{
	return inner_of(t)->ops->is_stopped(inner_of(t));
}

static int lt_wait_stop(struct kd_target *t, unsigned timeout_ms)
{
	int rc = inner_of(t)->ops->wait_stop(inner_of(t), timeout_ms);
	say(t, "wait_stop %u ms -> %s", timeout_ms, rcs(rc));
	return rc;
}

static int lt_break_in(struct kd_target *t)
{
	int rc = inner_of(t)->ops->break_in(inner_of(t));
	say(t, "break_in -> %s", rcs(rc));
	return rc;
}

static int lt_resume(struct kd_target *t, const struct kd_resume *r)
{
	int rc = inner_of(t)->ops->resume(inner_of(t), r);
	if (r)
		say(t, "resume status %#x trace %d dr7 %#" PRIx64 " -> %s", r->status, r->trace, r->dr7, rcs(rc));
	else
		say(t, "resume -> %s", rcs(rc));
	return rc;
}

static int lt_insert_breakpoint(struct kd_target *t, uint64_t addr, uint32_t *handle)
{
	int rc = inner_of(t)->ops->insert_breakpoint(inner_of(t), addr, handle);
	say(t, "insert_breakpoint %016" PRIx64 " -> %s, handle %u", addr, rcs(rc), rc < 0 ? 0 : *handle);
	return rc;
}

static int lt_remove_breakpoint(struct kd_target *t, uint32_t handle)
{
	int rc = inner_of(t)->ops->remove_breakpoint(inner_of(t), handle);
	say(t, "remove_breakpoint handle %u -> %s", handle, rcs(rc));
	return rc;
}

static int lt_switch_processor(struct kd_target *t, unsigned cpu)
{
	int rc = inner_of(t)->ops->switch_processor(inner_of(t), cpu);
	say(t, "switch_processor %u -> %s", cpu, rcs(rc));
	return rc;
}

static int lt_reboot(struct kd_target *t)
{
	int rc = inner_of(t)->ops->reboot(inner_of(t));
	say(t, "reboot -> %s", rcs(rc));
	return rc;
}

static int lt_cause_bugcheck(struct kd_target *t, uint32_t code)
{
	int rc = inner_of(t)->ops->cause_bugcheck(inner_of(t), code);
	say(t, "cause_bugcheck %#x -> %s", code, rcs(rc));
	return rc;
}

static uint64_t lt_last_dr6(struct kd_target *t)
{
	return inner_of(t)->ops->last_dr6(inner_of(t));
}

static void lt_set_module_hook(struct kd_target *t, kd_module_event_fn fn, void *user)
{
	inner_of(t)->ops->set_module_hook(inner_of(t), fn, user);
	say(t, "set_module_hook %s", fn ? "on" : "off");
}

static void lt_explain_silence(struct kd_target *t)
{
	say(t, "explain_silence");
	inner_of(t)->ops->explain_silence(inner_of(t));
}

static int lt_trace(struct kd_target *t)
{
	return inner_of(t)->ops->trace(inner_of(t));
}

static void lt_set_trace(struct kd_target *t, int on)
{
	inner_of(t)->ops->set_trace(inner_of(t), on);
	say(t, "set_trace %d", on);
}

static int lt_stats(struct kd_target *t, struct kd_target_stats *out)
{
	int rc = inner_of(t)->ops->stats(inner_of(t), out);
	say(t, "stats -> %s", rcs(rc));
	return rc;
}

static int lt_serve_file(struct kd_target *t, const char *remote, const char *local)
{
	int rc = inner_of(t)->ops->serve_file(inner_of(t), remote, local);
	say(t, "serve_file %s %s -> %s", remote, local, rcs(rc));
	return rc;
}

static void lt_flush(struct kd_target *t, unsigned timeout_ms)
{
	inner_of(t)->ops->flush(inner_of(t), timeout_ms);
	say(t, "flush %u ms", timeout_ms);
}

static const struct kd_target_ops forward_ops = {
	.close = lt_close,
	.version = lt_version,
	.read_virtual = lt_read_virtual,
	.write_virtual = lt_write_virtual,
	.read_physical = lt_read_physical,
	.write_physical = lt_write_physical,
	.get_context = lt_get_context,
	.set_context = lt_set_context,
	.read_control = lt_read_control,
	.write_control = lt_write_control,
	.bugcheck = lt_bugcheck,
	.modules = lt_modules,
	.exception = lt_exception,
	.dump_file = lt_dump_file,
	.saved_stack = lt_saved_stack,
	.is_stopped = lt_is_stopped,
	.wait_stop = lt_wait_stop,
	.break_in = lt_break_in,
	.resume = lt_resume,
	.insert_breakpoint = lt_insert_breakpoint,
	.remove_breakpoint = lt_remove_breakpoint,
	.switch_processor = lt_switch_processor,
	.reboot = lt_reboot,
	.cause_bugcheck = lt_cause_bugcheck,
	.last_dr6 = lt_last_dr6,
	.set_module_hook = lt_set_module_hook,
	.explain_silence = lt_explain_silence,
	.trace = lt_trace,
	.set_trace = lt_set_trace,
	.stats = lt_stats,
	.serve_file = lt_serve_file,
	.flush = lt_flush,
};

/* The forwarding table, with each operation the inner target lacks NULL. */
#define KEEP_IF(op) \
	if (!in->op)    \
		out->op = NULL

static void mirror(struct kd_target_ops *out, const struct kd_target_ops *in)
{
	*out = forward_ops;
	out->kind = in->kind;
	KEEP_IF(version);
	KEEP_IF(read_virtual);
	KEEP_IF(write_virtual);
	KEEP_IF(read_physical);
	KEEP_IF(write_physical);
	KEEP_IF(get_context);
	KEEP_IF(set_context);
	KEEP_IF(read_control);
	KEEP_IF(write_control);
	KEEP_IF(bugcheck);
	KEEP_IF(modules);
	KEEP_IF(exception);
	KEEP_IF(dump_file);
	KEEP_IF(saved_stack);
	KEEP_IF(is_stopped);
	KEEP_IF(wait_stop);
	KEEP_IF(break_in);
	KEEP_IF(resume);
	KEEP_IF(insert_breakpoint);
	KEEP_IF(remove_breakpoint);
	KEEP_IF(switch_processor);
	KEEP_IF(reboot);
	KEEP_IF(cause_bugcheck);
	KEEP_IF(last_dr6);
	KEEP_IF(set_module_hook);
	KEEP_IF(explain_silence);
	KEEP_IF(trace);
	KEEP_IF(set_trace);
	KEEP_IF(stats);
	KEEP_IF(serve_file);
	KEEP_IF(flush);
}

int kd_target_log_new(struct kd_target *inner, FILE *f, struct kd_target **out)
{
	struct log_target *lt = calloc(1, sizeof *lt);
	if (!lt)
		return KD_ENOMEM;
	mirror(&lt->ops, inner->ops);
	lt->t.ops = &lt->ops;
	lt->t.impl = lt;
	lt->inner = inner;
	lt->f = f;
	clock_gettime(CLOCK_MONOTONIC, &lt->start);
	say(&lt->t, "open %s target", inner->ops->kind);
	*out = &lt->t;
	return 0;
}
