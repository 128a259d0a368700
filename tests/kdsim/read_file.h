/*
 * kdsim: reading a whole file (scenario scripts, PE images) into memory,
 * with a size limit and one line of error.
 */
#ifndef KDSIM_READ_FILE_H
#define KDSIM_READ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* *data gets a malloc'd copy of the file (at most max bytes), *len its
 * size. KD_EIO when it cannot be opened, KD_ENOMEM when too large. */
int sim_read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *err, size_t errlen);

#endif
