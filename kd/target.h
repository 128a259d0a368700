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
#ifndef KD_TARGET_H
#define KD_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"

struct kd_target;

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
};

/* A target: ops plus whatever the implementation hangs off it. */
struct kd_target {
	const struct kd_target_ops *ops;
	void *impl;
};

#endif
