/*
 * Whole files into memory: PE images, scenario scripts, fuzz corpora —
 * read in one place, with a size limit and one line of error.
 */
#ifndef KD_BASE_FILE_H
#define KD_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>

/* *data gets a malloc'd copy of the file, *len its size. KD_ENOTFOUND when
 * it does not exist, KD_EIO when it cannot be read, KD_ENOMEM when it is
 * larger than max bytes or memory runs out; err says which, with the path. */
int kd_read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *err, size_t errlen);

#endif
