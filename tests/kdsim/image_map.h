/*
 * kdsim: a PE file mapped into the simulated memory as the Windows loader
 * lays it out: the headers, then every section at its RVA (raw data, the
 * rest of the virtual size zero), the whole SizeOfImage mapped.
 */
#ifndef KDSIM_IMAGE_MAP_H
#define KDSIM_IMAGE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "tests/kdsim/machine.h"

/* Map FILE at base; *size (may be NULL) gets its SizeOfImage. One line in
 * err on failure. */
int sim_image_map(struct sim_machine *m, const char *path, uint64_t base, uint32_t *size,
                  char *err, size_t errlen);

/* The same from a file's bytes in memory (err without the file name). */
int sim_image_map_mem(struct sim_machine *m, const uint8_t *data, size_t len, uint64_t base, uint32_t *size,
                      char *err, size_t errlen);

#endif
