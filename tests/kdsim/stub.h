/*
 * kdsim's kernel debugger stub: the target side of the DBGKD protocol, as
 * the Windows kernel's KD stub behaves, serving a sim_machine over a KD
 * link: boot-time load-symbols events, break-in answered with a breakpoint
 * exception, manipulate-state requests answered from the machine, continue,
 * reboot, DbgPrint.
 */
#ifndef KDSIM_STUB_H
#define KDSIM_STUB_H

#include <uv.h>

#include "kd/kdnet_replay.h"
#include "kd/target.h"
#include "proto/kd_link.h"
#include "tests/kdsim/machine.h"

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
	unsigned long requests;
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

#endif
