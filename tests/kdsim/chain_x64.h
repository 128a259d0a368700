/*
 * kdsim: x64 call chains through real images (the chain64 scenario
 * directive; the format is described in chain_x64.c).
 */
#ifndef KDSIM_CHAIN_X64_H
#define KDSIM_CHAIN_X64_H

#include <stddef.h>

#include "tests/kdsim/machine.h"

/* "chain64 CPU RSP FRAME...": lay out the frames, set CPU's registers.
 * One line in bad on failure. */
int sim_chain_x64(struct sim_machine *m, char **w, int n, char *bad, size_t badlen);

#endif
