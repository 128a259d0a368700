/*
 * kdsim: x86 call chains through real images (the chain86 scenario
 * directive; the format is described in chain_x86.c).
 */
#ifndef KDSIM_CHAIN_X86_H
#define KDSIM_CHAIN_X86_H

#include <stddef.h>

#include "tests/kdsim/machine.h"

/* "chain86 CPU STACK FRAME...": lay out the frames, set CPU's registers.
 * One line in bad on failure. */
int sim_chain_x86(struct sim_machine *m, char **w, int n, char *bad, size_t badlen);

#endif
