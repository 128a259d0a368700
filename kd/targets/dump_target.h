/*
 * A crash dump file as a kd target (kd -z FILE): a stopped machine whose
 * memory, registers, modules, bugcheck and exception come from the file.
 */
#ifndef KD_TARGETS_DUMP_TARGET_H
#define KD_TARGETS_DUMP_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "kd/engine/target.h"

struct kd_dump;

/* Open the dump at path (mmap'd read-only). On failure returns a negative
 * KD_E* code with one line for the user in err. */
int kd_dump_target_open(const char *path, struct kd_target **out, char *err, size_t errlen);

/* The same over bytes in memory; the target keeps its own copy. */
int kd_dump_target_open_buffer(const void *buf, size_t len, struct kd_target **out, char *err, size_t errlen);

/* Whether a file starting with these bytes is a kernel crash dump (for
 * kd -z to choose between a dump and a PE image): 8 bytes suffice. */
int kd_dump_is_dump(const void *head, size_t len);

/* The parsed dump behind a target, or NULL when t is not a dump target
 * (for .dumpdebug, !vtop, !pte). */
struct kd_dump *kd_dump_target_dump(struct kd_target *t);

#endif
