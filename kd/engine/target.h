/*
 * The target interface: one way of reaching a Windows machine's state.
 *
 * A live KD connection, a crash dump file and a PE image opened as a target
 * each implement these operations; the engine talks to whichever is open
 * through them only (LLDB's process plugins are the model). Every call is
 * synchronous from the engine's point of view: a live target runs the libuv
 * loop until its answer arrives. Operations a kind of target cannot do are
 * NULL, and the engine answers KD_ENOTSUP.
 */
#ifndef KD_ENGINE_TARGET_H
#define KD_ENGINE_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

struct kd_target;
struct kd_dump;

/* What `vertarget` shows; filled from DbgKdGetVersionApi or a dump header. */
struct kd_version {
	enum kd_machine machine;
	uint16_t major;         /* 0xf free, 0xc checked */
	uint16_t build;         /* MinorVersion: the OS build number */
	uint8_t protocol_version;
	uint8_t kd_secondary_version;
	uint16_t flags;         /* DBGKD_VERS_FLAG_* */
	uint32_t processors;
	uint64_t kern_base;
	uint64_t ps_loaded_module_list;
	uint64_t debugger_data_list;
};

/* The bugcheck a dump (or a live bugcheck state change) carries. */
struct kd_bugcheck {
	uint32_t code;
	uint64_t args[4];
};

/* Why a target stopped, as the engine reports it to the user. */
struct kd_stop_event {
	enum { KD_STOP_NONE, KD_STOP_EXCEPTION, KD_STOP_LOAD_SYMBOLS, KD_STOP_COMMAND_STRING } kind;
	unsigned processor;
	uint64_t thread;
	uint64_t pc;
	/* exception */
	uint32_t code;
	uint32_t flags;
	uint64_t address;
	uint32_t nparams;
	uint64_t params[15];
	int first_chance;
	/* load symbols */
	int unload;
	uint64_t base;
	uint32_t size, checksum;
	char path[260];
};

/* A loaded module, as the engine lists it. */
struct kd_module {
	char name[64];     /* "nt", "TestDriver" (no extension) */
	char path[260];    /* as the target names it */
	uint64_t base;
	uint32_t size;
	uint32_t checksum;
	uint32_t timestamp;
};

/* How to resume a stopped target (DbgKdContinueApi2's status and control
 * set on a live one). */
#define KD_RESUME_HANDLED 0x00010002u     /* DBG_CONTINUE */
#define KD_RESUME_NOT_HANDLED 0x80010001u /* DBG_EXCEPTION_NOT_HANDLED */
struct kd_resume {
	uint32_t status;  /* 0: KD_RESUME_HANDLED */
	int trace;        /* one instruction on the reporting processor */
	uint64_t dr7;     /* the debug registers' control word */
};

/* Called for every module load or unload a running target reports, after
 * the engine's module list was updated, from the loop (no requests
 * allowed): nonzero keeps the target stopped so the waiter sees the event.
 * NULL: always go on. */
typedef int (*kd_module_event_fn)(void *user, const struct kd_stop_event *ev);

/* What the connection to a target has carried, for .kdstats and benchmarks. */
struct kd_target_stats {
	uint64_t requests;                 /* round trips */
	uint64_t bytes_sent, bytes_received;
	uint64_t packets_sent, packets_received;
	uint64_t resends, bad_packets, dropped, auth_failures;
};

struct kd_target_ops {
	const char *kind; /* "live", "dump", "image" */
	void (*close)(struct kd_target *t);
	int (*version)(struct kd_target *t, struct kd_version *out);
	/* Memory: *done gets the bytes transferred; a partial read returns 0
	 * with *done < len, an unreadable start returns KD_EUNREADABLE. */
	int (*read_virtual)(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done);
	int (*write_virtual)(struct kd_target *t, uint64_t addr, const void *buf, uint32_t len, uint32_t *done);
	int (*read_physical)(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done);
	int (*write_physical)(struct kd_target *t, uint64_t addr, const void *buf, uint32_t len, uint32_t *done);
	/* Register context of a processor, as the target's CONTEXT record. */
	int (*get_context)(struct kd_target *t, unsigned cpu, struct kd_context *out);
	int (*set_context)(struct kd_target *t, unsigned cpu, const struct kd_context *ctx);
	/* Control space (KPROCESSOR_STATE / KPRCB on x86, per-processor
	 * addresses on x64) of one processor. */
	int (*read_control)(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf, uint32_t len, uint32_t *done);
	int (*write_control)(struct kd_target *t, unsigned cpu, uint64_t addr, const void *buf, uint32_t len, uint32_t *done);
	int (*bugcheck)(struct kd_target *t, struct kd_bugcheck *out);
	/* Modules the target knows without a live walk (dump headers, the
	 * image itself): *list is malloc'd, the engine frees it. */
	int (*modules)(struct kd_target *t, struct kd_module **list, size_t *count);
	/* The exception record a dump or stop carries (.exr -1). */
	int (*exception)(struct kd_target *t, struct kd_stop_event *out);
	/* The parsed crash dump file behind the target (kd/targets/dump_file.h),
	 * for what only a dump has: .dumpdebug, the load banner, writing a dump
	 * with the same physical layout. */
	struct kd_dump *(*dump_file)(struct kd_target *t);
	/* The stack range a dump saved for its thread (triage dumps). */
	int (*saved_stack)(struct kd_target *t, uint64_t *low, uint64_t *high);

	/* Execution control: a target that can run (a live kernel) has these;
	 * the others are always stopped and leave them NULL. The engine's
	 * calls on top (kd/engine/run_control.h) are what commands use. */
	int (*is_stopped)(struct kd_target *t);
	/* Run the loop until the target stops (timeout_ms 0: no limit); the
	 * user's Ctrl-C ends the wait with KD_ECANCELED. */
	int (*wait_stop)(struct kd_target *t, unsigned timeout_ms);
	/* Ask a running target to stop. */
	int (*break_in)(struct kd_target *t);
	int (*resume)(struct kd_target *t, const struct kd_resume *r);
	/* Software breakpoints kept by the target: it saves the original
	 * byte and hands out a handle. KD_ETARGET when it refuses. */
	int (*insert_breakpoint)(struct kd_target *t, uint64_t addr, uint32_t *handle);
	int (*remove_breakpoint)(struct kd_target *t, uint32_t handle);
	/* Report from processor cpu from now on (waits for it to stop there). */
	int (*switch_processor)(struct kd_target *t, unsigned cpu);
	int (*reboot)(struct kd_target *t);
	/* The target resumes and bugchecks with code (.crash). */
	int (*cause_bugcheck)(struct kd_target *t, uint32_t code);
	/* Dr6 of the last stop (which hardware breakpoint fired). */
	uint64_t (*last_dr6)(struct kd_target *t);
	void (*set_module_hook)(struct kd_target *t, kd_module_event_fn fn, void *user);
	/* Say why the target may not be answering, with the usual causes. */
	void (*explain_silence)(struct kd_target *t);

	/* The connection underneath: the packet trace (.kdtrace), its
	 * counters (.kdstats), files served to the target (.kdfiles). */
	int (*trace)(struct kd_target *t);
	void (*set_trace)(struct kd_target *t, int on);
	int (*stats)(struct kd_target *t, struct kd_target_stats *out);
	int (*serve_file)(struct kd_target *t, const char *remote, const char *local);
	/* Wait up to timeout_ms until what was sent is delivered (before
	 * closing: the continue of q). */
	void (*flush)(struct kd_target *t, unsigned timeout_ms);
};

/* A target: ops plus whatever the implementation hangs off it. */
struct kd_target {
	const struct kd_target_ops *ops;
	void *impl;
};

#endif
