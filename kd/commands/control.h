/*
 * Execution control shared by the front end and the commands: waiting for
 * a running target to stop and reporting the stop as WinDbg does.
 */
#ifndef KD_COMMANDS_CONTROL_H
#define KD_COMMANDS_CONTROL_H

#include "kd/engine/engine.h"

/* Print why the target stopped and where (the first lines after a break). */
void kd_report_stop(struct kd_engine *eng);
/* Print the connection banner (once a target first stops). */
void kd_report_connected(struct kd_engine *eng);
/* After attaching: a target that was already running sends no module
 * events, so its modules come from PsLoadedModuleList, as WinDbg loads
 * them (nothing to do when modules are already known). */
int kd_attach_modules(struct kd_engine *eng);
/* Run the loop until the live target stops, then report the stop. */
int kd_run_until_stop(struct kd_engine *eng);

#endif
