/*
 * The kd engine: the library every front end (the REPL, -c scripts, tests)
 * drives. It owns the open target, the processors and the current one, the
 * register-context stack (.cxr/.trap/.tss overrides), the memory cache, the
 * module list, the symbolizer hook and the command table.
 *
 * Single-threaded on one libuv loop; no global state: everything hangs off
 * struct kd_engine. The engine never writes to stdout itself: all output
 * goes through the output callback the front end installs.
 */
#ifndef KD_ENGINE_ENGINE_H
#define KD_ENGINE_ENGINE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "arch/context.h"
#include "arch/vtop.h"
#include "base/error.h"
#include "kd/engine/target.h"

struct kd_engine;

enum kd_output_kind {
	KD_OUTPUT_NORMAL,   /* command output */
	KD_OUTPUT_ERROR,    /* one-line errors */
	KD_OUTPUT_DEBUGGEE, /* DbgPrint text from the target */
	KD_OUTPUT_TRACE,    /* packet trace (Ctrl-D) and diagnostics */
};

typedef void (*kd_output_fn)(void *user, enum kd_output_kind kind, const char *text);

struct kd_engine *kd_engine_new(uv_loop_t *loop, kd_output_fn out, void *user);
void kd_engine_free(struct kd_engine *eng);
uv_loop_t *kd_engine_loop(struct kd_engine *eng);

/* Output through the front end's callback (printf formats). */
void kd_printf(struct kd_engine *eng, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kd_eprintf(struct kd_engine *eng, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kd_vprintf_kind(struct kd_engine *eng, enum kd_output_kind kind, const char *fmt, va_list ap);
void kd_output(struct kd_engine *eng, enum kd_output_kind kind, const char *text);
/* A second sink that sees all output too (the log file of .logopen);
 * NULL removes it. kd_engine_echo gives it text the front end printed
 * itself (the prompt and the command typed). */
void kd_engine_set_output_tap(struct kd_engine *eng, kd_output_fn tap, void *user);
void kd_engine_echo(struct kd_engine *eng, const char *text);

/* Set by the front end when the user presses Ctrl-C; long commands poll it
 * and stop. Cleared before each command. */
void kd_engine_set_cancel(struct kd_engine *eng, int cancel);
int kd_engine_canceled(struct kd_engine *eng);
/* The front end's way to notice Ctrl-C while a command runs without
 * waiting on the loop (a long listing from cached memory): polled by
 * kd_engine_canceled. */
void kd_engine_set_cancel_poll(struct kd_engine *eng, void (*poll)(void *user), void *user);

/* --- the target ------------------------------------------------------- */

/* The engine takes ownership of t (closing any target open before). The
 * version data is read at once; processors start at 0. */
int kd_engine_open_target(struct kd_engine *eng, struct kd_target *t);
struct kd_target *kd_engine_target(struct kd_engine *eng);
void kd_engine_close_target(struct kd_engine *eng);
int kd_engine_version(struct kd_engine *eng, struct kd_version *out);
enum kd_machine kd_engine_machine(struct kd_engine *eng);
int kd_engine_is_64bit(struct kd_engine *eng);
/* Bytes of a target pointer: 8 on x64, 4 on x86. */
unsigned kd_engine_pointer_size(struct kd_engine *eng);

unsigned kd_engine_cpu(struct kd_engine *eng);
unsigned kd_engine_cpu_count(struct kd_engine *eng);
/* Switch the current processor (~Ns); drops any context override. */
int kd_engine_set_cpu(struct kd_engine *eng, unsigned cpu);

/* Called by a live target when it stops or resumes; the engine drops its
 * caches and context overrides when the target resumes. */
void kd_engine_target_stopped(struct kd_engine *eng, const struct kd_stop_event *ev);
void kd_engine_target_resumed(struct kd_engine *eng);
/* The connection to the target is gone: nothing read from it before may
 * be shown as current (caches, registers, overrides and the last stop
 * are dropped). */
void kd_engine_target_lost(struct kd_engine *eng);
/* How many times the target resumed (or was closed): state that is only
 * valid while the target stays stopped remembers this number. */
unsigned kd_engine_run_count(struct kd_engine *eng);

/* --- memory (through the cache while the target is stopped) ---------- */

int kd_read_virtual(struct kd_engine *eng, uint64_t addr, void *buf, size_t len, size_t *done);
int kd_write_virtual(struct kd_engine *eng, uint64_t addr, const void *buf, size_t len, size_t *done);
int kd_read_physical(struct kd_engine *eng, uint64_t addr, void *buf, size_t len, size_t *done);
int kd_write_physical(struct kd_engine *eng, uint64_t addr, const void *buf, size_t len, size_t *done);
/* A pointer-sized value (zero-extended on x86). */
int kd_read_pointer(struct kd_engine *eng, uint64_t addr, uint64_t *value);
/* Forget every cached byte (after a write, on continue). */
void kd_memory_cache_flush(struct kd_engine *eng);
/* .process /p: translate virtual addresses through the page directory at
 * dtb (a process's DirectoryTableBase) and access physical memory; dtb 0
 * goes back to the target's own translation. */
void kd_engine_set_translation(struct kd_engine *eng, enum kd_paging mode, uint64_t dtb);
uint64_t kd_engine_translation(struct kd_engine *eng);

/* --- register context ------------------------------------------------- */

/* The effective context of the current processor: the .cxr/.trap/.tss
 * override when one is set, else the processor's own (cached). */
int kd_get_context(struct kd_engine *eng, struct kd_context *out);
/* A processor's own registers, whatever override is set. */
int kd_get_cpu_context(struct kd_engine *eng, unsigned cpu, struct kd_context *out);
/* Write registers: into the override when one is set, else the target. */
int kd_set_context(struct kd_engine *eng, const struct kd_context *ctx);
/* .cxr/.trap/.tss: show `ctx` instead of the processor's registers until
 * kd_context_reset or the target resumes. */
void kd_context_override(struct kd_engine *eng, const struct kd_context *ctx);
/* .tss: the same, but stack traces do not announce it (WinDbg prints no
 * "last set context" line after .tss). */
void kd_context_override_task(struct kd_engine *eng, const struct kd_context *ctx);
void kd_context_reset(struct kd_engine *eng);
/* 0, KD_OVERRIDE_CONTEXT (.cxr/.trap/.thread) or KD_OVERRIDE_TASK (.tss). */
#define KD_OVERRIDE_CONTEXT 1
#define KD_OVERRIDE_TASK 2
int kd_context_is_overridden(struct kd_engine *eng);

/* --- modules and symbols ---------------------------------------------- */


/* The module list (from load-symbols events, dumps, PsLoadedModuleList). */
size_t kd_engine_module_count(struct kd_engine *eng);
const struct kd_module *kd_engine_module(struct kd_engine *eng, size_t i);
const struct kd_module *kd_engine_module_by_addr(struct kd_engine *eng, uint64_t addr);
const struct kd_module *kd_engine_module_by_name(struct kd_engine *eng, const char *name);
/* Adds or replaces (same base) a module; removes it when `unload`. */
int kd_engine_module_add(struct kd_engine *eng, const struct kd_module *m);
void kd_engine_module_remove(struct kd_engine *eng, uint64_t base);
void kd_engine_module_clear(struct kd_engine *eng);

/* The symbols layer plugs in here; without it addresses print as
 * module+offset and names resolve to module bases only. */
struct kd_symbolizer {
	/* "sym" for an address inside a module's symbols (no module prefix),
	 * with *disp the offset from the symbol; KD_ENOTFOUND otherwise. */
	int (*addr_to_name)(void *ctx, const struct kd_module *m, uint64_t addr,
	                    char *name, size_t n, uint64_t *disp);
	/* Address of `sym` in module m (m NULL: search every module). */
	int (*name_to_addr)(void *ctx, const struct kd_module *m, const char *sym, uint64_t *addr);
	void *ctx;
};
void kd_engine_set_symbolizer(struct kd_engine *eng, const struct kd_symbolizer *s);

/* "nt!KiTrap0E+0x27c", "Zyx+0x5c5" or "" (returns KD_ENOTFOUND) for addr. */
int kd_format_symbol(struct kd_engine *eng, uint64_t addr, char *buf, size_t n);
/* "mod!sym", "sym" or "mod": the address, else KD_ENOTFOUND. */
int kd_resolve_symbol(struct kd_engine *eng, const char *name, uint64_t *addr);

/* Format a target address as WinDbg does: 8 hex digits on x86,
 * "fffff800`01875f8a" on x64. buf needs 18 bytes. */
const char *kd_format_addr(struct kd_engine *eng, uint64_t addr, char buf[20]);
/* The same without the backtick, as extensions print pointers:
 * "fffffa804f151040" on x64, "8aaa17c8" on x86. */
const char *kd_format_ptr(struct kd_engine *eng, uint64_t addr, char buf[20]);

/* --- expressions and commands ---------------------------------------- */

/* Evaluate a MASM expression (default radix 16). *end, when not NULL,
 * points past the expression; evaluation stops at a top-level space that
 * does not continue an operator, as WinDbg does for "dd esp L8". */
int kd_eval(struct kd_engine *eng, const char *text, uint64_t *value, const char **end);

/* The command interpreter the engine runs breakpoint command strings and
 * the register display after a step through. The command layer installs
 * it (kd_execute does, on its first line); the engine itself knows no
 * command. Without one, kd_engine_run_command answers KD_ENOTSUP. */
typedef int (*kd_command_runner)(struct kd_engine *eng, const char *line);
void kd_engine_set_command_runner(struct kd_engine *eng, kd_command_runner run);
int kd_engine_run_command(struct kd_engine *eng, const char *line);

/* Extension state: a layer (symbols, expressions' $t registers, the
 * disassembler's next address...) hangs its own object off the engine
 * under a name; free_fn runs when the engine is freed. No globals. */
int kd_engine_set_ext(struct kd_engine *eng, const char *key, void *ptr, void (*free_fn)(void *));
void *kd_engine_ext(struct kd_engine *eng, const char *key);
/* The slot's object, made zeroed (size bytes, freed with free()) the first
 * time it is asked for; NULL when out of memory. */
void *kd_engine_ext_zalloc(struct kd_engine *eng, const char *key, size_t size);

/* The last stop event (what state change stopped the target). */
const struct kd_stop_event *kd_engine_last_event(struct kd_engine *eng);

/* The front end wants to leave (q): the q command sets it. */
int kd_engine_quit_requested(struct kd_engine *eng);
void kd_engine_request_quit(struct kd_engine *eng);

#endif
