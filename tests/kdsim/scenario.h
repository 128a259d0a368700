/*
 * kdsim scenarios: a text file that lays out a machine as a test needs it
 * (the seeds' trap frames, contexts, exception records, TSS and GDT, code
 * bytes, modules and processor registers), loaded over the synthetic
 * machine before a debugger attaches.
 */
#ifndef KDSIM_SCENARIO_H
#define KDSIM_SCENARIO_H

#include <stddef.h>

#include "tests/kdsim/machine.h"

/* Load FILE into m; one line in err on the first bad line. */
int sim_scenario_load(struct sim_machine *m, const char *path, char *err, size_t errlen);

#endif
