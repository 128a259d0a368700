/*
 * The loaded-module list of a live kernel, walked in target memory from
 * PsLoadedModuleList (what `.reload` does on a live target): each
 * KLDR_DATA_TABLE_ENTRY gives base, size and names; the image header in
 * memory gives timestamp and checksum.
 */
#ifndef KD_ENGINE_MODLIST_H
#define KD_ENGINE_MODLIST_H

#include <stddef.h>
#include <stdint.h>

struct kd_engine;

/* Walks the list at `head` (the PsLoadedModuleList address) and adds each
 * module to the engine (the first is the kernel, named "nt"). *count gets
 * the number added. Stops at 4096 entries or on a loop. */
int kd_symbols_walk_module_list(struct kd_engine *eng, uint64_t head, size_t *count);

#endif
