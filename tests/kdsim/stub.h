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

#include "proto/kd_link.h"
#include "tests/kdsim/machine.h"

struct sim_stub {
	uv_loop_t *loop;
	struct sim_machine *m;
	struct kd_link *link;
	int stopped;
	int booted;           /* boot events sent to a debugger */
	int boot_step;        /* which boot event is outstanding */
	unsigned cpu;         /* processor that reported the stop */
	const char *dbgprint; /* printed each time the target resumes */
	uv_timer_t timer;
	unsigned long requests;
};

void sim_stub_init(struct sim_stub *s, uv_loop_t *loop, struct sim_machine *m);
/* Callbacks to give the link; user is the stub. */
void sim_stub_callbacks(struct sim_stub *s, struct kd_link_callbacks *cb);
/* A debugger appeared on the transport. */
void sim_stub_debugger_connected(struct sim_stub *s);
/* Stop with a breakpoint exception on processor cpu (as a break-in does). */
void sim_stub_break(struct sim_stub *s, unsigned cpu);

#endif
