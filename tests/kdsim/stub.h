/*
 * kdsim's kernel debugger stub: the target side of the DBGKD protocol, as
 * the Windows kernel's KD stub behaves, serving a sim_machine over a KD
 * link: boot-time load-symbols events, break-in answered with a breakpoint
 * exception, manipulate-state requests answered from the machine, continue,
 * reboot, DbgPrint; breakpoints written into memory, debug registers in
 * each processor's special registers, and continue2's trace flag and Dr7
 * (the processors' execution itself is run.c's).
 */
#ifndef KDSIM_STUB_H
#define KDSIM_STUB_H

#include <uv.h>

#include "proto/kdnet_replay.h"
#include "kd/engine/target.h"
#include "proto/kd_link.h"
#include "arch/frames.h"
#include "tests/kdsim/emulate.h"
#include "tests/kdsim/machine.h"
#include "tests/kdsim/script.h"

#define SIM_MAX_BREAKPOINTS 256

/* A breakpoint the debugger wrote: handle = index + 1. */
struct sim_breakpoint {
	uint64_t addr;
	uint8_t orig;
	int used;
};

/* What a processor is doing (see run.c). */
struct sim_cpu_state {
	int running;          /* executing code: from `event run`, or stepped */
	int end_on_resume;    /* an `event exception` stop: no code to go on with */
	struct kd_context idle; /* its registers before the code, back when it ends */
	uint64_t sp0;         /* a ret from at or above this leaves the code */
	unsigned long count;  /* instructions run since the code started */
	int resume_flag;      /* the next instruction ignores execute breakpoints */
	int at_int3;          /* stopped at the code's own int 3 at int3_addr */
	uint64_t int3_addr;
	/* A scripted exception being reported: 1 first chance, 2 second. */
	int exc_chance;
	uint32_t exc_code;
	uint64_t exc_addr, exc_params[15];
	unsigned exc_nparams;
};

struct sim_stub {
	uv_loop_t *loop;
	struct sim_machine *m;
	struct kd_link *link;
	int stopped;
	int booted;           /* boot events sent to a debugger */
	int boot_step;        /* which boot event is outstanding */
	int break_pending;    /* a break-in came during boot */
	unsigned cpu;         /* processor that reported the stop */
	const char *dbgprint; /* printed each time the target resumes */
	const char *kdfile;   /* asked of the debugger each time it resumes */
	uint64_t file_handle, file_size, file_got;
	uint32_t file_sum;
	uv_timer_t timer;
	uv_timer_t run_timer; /* the processors run in slices between packets */
	unsigned long requests;
	struct sim_breakpoint bp[SIM_MAX_BREAKPOINTS];
	struct sim_cpu_state cpus[64];
	struct kd_x64_special_registers x64_special[64]; /* x64 control item 2 */
	struct sim_emu emu;
	struct sim_script *script;  /* NULL: no events */
	int bugchecked;       /* the script ends at a bugcheck */
	int prompting;        /* a DbgPrompt waits for the debugger's answer */
	uint64_t kdbg_list;   /* DebuggerDataList: a LIST_ENTRY, Flink = the block */
	uint64_t kdbg, bugcheck_data;
	size_t boot_modules;  /* modules[] up to here are the boot's; loads add after */
	int check_clean;      /* --check-clean */
	unsigned long code_limit; /* --max-instructions: a processor's code ends after this many (0: never) */
	int clean_reported;   /* the breakpoint bytes were reported since the last change */
	/* Instead of the synthetic machine's memory and registers, serve a
	 * recorded session's answers (replay) or a dump file's machine. */
	struct kd_replay *replay;
	struct kd_target *dump;
};

/* Take the processor count, registers and version from a dump target, so
 * the stub serves the dump's machine. */
int sim_stub_use_dump(struct sim_stub *s, struct kd_target *t);
void sim_stub_use_replay(struct sim_stub *s, struct kd_replay *r);

void sim_stub_init(struct sim_stub *s, uv_loop_t *loop, struct sim_machine *m);
/* Callbacks to give the link; user is the stub. */
void sim_stub_callbacks(struct sim_stub *s, struct kd_link_callbacks *cb);
/* A debugger appeared on the transport. */
void sim_stub_debugger_connected(struct sim_stub *s);
/* The debugger is ready (KDCOM: its reset; KDNET: the handshake): a
 * booting kernel reports its modules now. */
void sim_stub_session_start(struct sim_stub *s);
/* Stop with a breakpoint exception on processor cpu (as a break-in does). */
void sim_stub_break(struct sim_stub *s, unsigned cpu);
void sim_stub_free(struct sim_stub *s);

/* Reports run.c makes: an exception state change from processor cpu (its
 * registers as they are now), a load- or unload-symbols state change,
 * DbgPrint text. */
void sim_stub_report_exception(struct sim_stub *s, unsigned cpu, uint32_t code, uint64_t addr, int first_chance,
                               const uint64_t *params, unsigned nparams);
void sim_stub_report_symbols(struct sim_stub *s, const char *path, uint64_t base, uint32_t size,
                             uint32_t checksum, int unload);
void sim_stub_print(struct sim_stub *s, const char *text);
/* DbgPrompt: the prompt goes out, the target waits for the answer, which
 * kdsim prints on stdout ("kdsim: DbgPrompt answered 'TEXT'"). */
void sim_stub_prompt(struct sim_stub *s, const char *text);
/* The debug registers of processor cpu: Dr0-3 (i 0-3), Dr6 (6), Dr7 (7). */
uint64_t sim_stub_get_dr(struct sim_stub *s, unsigned cpu, unsigned i);
void sim_stub_set_dr(struct sim_stub *s, unsigned cpu, unsigned i, uint64_t v);
/* The breakpoint the debugger wrote at addr, or NULL. */
const struct sim_breakpoint *sim_stub_breakpoint_at(const struct sim_stub *s, uint64_t addr);
/* --check-clean: one line on stderr per breakpoint byte left in memory,
 * or "kdsim: memory clean"; only when something changed since the last
 * report unless force. */
void sim_stub_check_clean(struct sim_stub *s, int force);
/* Page tables again after memory was mapped while running (a module
 * load), and CR3 where the special registers keep it. */
int sim_stub_remap(struct sim_stub *s);

#endif
