/*
 * kdsim's processors at work: after a continue, the processors that have
 * code run it instruction by instruction (emulate.h) until something
 * stops them (a breakpoint, a debug register, the code's own int 3), and
 * when none has code left the next scripted event happens (script.h).
 * A continue with the trace flag executes one instruction.
 */
#ifndef KDSIM_RUN_H
#define KDSIM_RUN_H

#include "tests/kdsim/stub.h"

/* The debugger continued the stopped target; trace: one instruction of
 * the processor that reported the stop, then a single-step exception.
 * status is the continue's (DBG_CONTINUE, DBG_EXCEPTION_NOT_HANDLED): a
 * scripted exception not handled comes back as a second chance, then
 * bugchecks with KMODE_EXCEPTION_NOT_HANDLED, as KiDispatchException does. */
void sim_run_resume(struct sim_stub *s, int trace, uint32_t status);
/* A wait inside the running target is over (a DbgPrompt answer): the
 * processors go on. */
void sim_run_go_on(struct sim_stub *s);
/* The target stopped by itself (break-in): no more slices. */
void sim_run_halt(struct sim_stub *s);
/* KeBugCheckEx(code, params[0..3]) on cpu: KiBugCheckData filled, then
 * DbgBreakPointWithStatus(DBG_STATUS_BUGCHECK_FIRST); continuing breaks
 * once more with DBG_STATUS_BUGCHECK_SECOND, then the machine hangs (a
 * break-in still stops it); scripted events stop until a reboot. */
void sim_run_bugcheck(struct sim_stub *s, unsigned cpu, uint32_t code, const uint64_t *params);
/* The processor a break-in stops: one with code running, else 0. */
unsigned sim_run_break_cpu(const struct sim_stub *s);

#endif
