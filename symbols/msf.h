/*
 * MSF ("multi-stream file"), the container format of PDB files: a file of
 * fixed-size blocks holding numbered streams. The file is mmap'd; a stream
 * is materialised on first use (a pointer into the mapping when its blocks
 * are contiguous, else one malloc'd copy) and stays until the MSF closes.
 *
 * Only MSF 7.00 ("big MSF") is read; the old 2.00 format gets KD_EFORMAT
 * with an explanation. Every block index and size is checked at open, so a
 * truncated file or a stream pointing past the end fails there, once.
 */
#ifndef KD_SYMBOLS_MSF_H
#define KD_SYMBOLS_MSF_H

#include <stddef.h>
#include <stdint.h>

struct kd_msf;

/* Opens and validates `path`. On failure err gets one line. */
int kd_msf_open(const char *path, struct kd_msf **out, char *err, size_t errlen);
/* The same over bytes the caller keeps alive until kd_msf_close. */
int kd_msf_open_mem(const void *data, size_t len, struct kd_msf **out, char *err, size_t errlen);
void kd_msf_close(struct kd_msf *msf);

uint32_t kd_msf_block_size(const struct kd_msf *msf);
uint32_t kd_msf_stream_count(const struct kd_msf *msf);
/* Size of stream i in bytes (0 for a nil stream); 0 when i is out of range. */
uint32_t kd_msf_stream_size(const struct kd_msf *msf, uint32_t i);
/* The bytes of stream i: KD_ENOTFOUND for a missing or nil stream. */
int kd_msf_stream(struct kd_msf *msf, uint32_t i, const uint8_t **data, uint32_t *size);

#endif
