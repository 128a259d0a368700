/*
 * A target that logs: wraps any target and forwards every operation of the
 * target interface to it unchanged, writing one line per call (operation,
 * arguments, result, time since the log began) to a file — what kd
 * --log-target FILE does, to see which requests a command makes. It is
 * built only on kd/engine/target.h, so it is also the check that the
 * engine and the commands need nothing else from a target: the e2e tests
 * run execution control through it.
 */
#ifndef KD_ENGINE_TARGET_LOG_H
#define KD_ENGINE_TARGET_LOG_H

#include <stdio.h>

#include "kd/engine/target.h"

/* Wraps inner (owned from now on: closing the log target closes it) and
 * logs to f (owned: closed with it). The wrapper has exactly the
 * operations inner has. KD_ENOMEM. */
int kd_target_log_new(struct kd_target *inner, FILE *f, struct kd_target **out);

#endif
