/*
 * MSF 7.00 container reader: superblock, stream directory, lazily
 * materialised streams over an mmap'd (or caller-owned) image of the file.
 */
#include "base/bytes.h"
#include "symbols/msf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"

static const char msf7_magic[32] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0";
static const char msf2_magic[] = "Microsoft C/C++ program database 2.00\r\n";

struct msf_stream {
	uint32_t size;        /* 0xffffffff (nil) stored as 0 */
	const uint32_t *blocks; /* little-endian block numbers inside dir */
	const uint8_t *data;  /* materialised bytes, NULL until first use */
	int owned;            /* data was malloc'd */
};

struct kd_msf {
	const uint8_t *base;
	size_t len;
	int mapped;
	uint32_t block_size;
	uint32_t num_blocks;
	uint8_t *dir;         /* the stream directory, copied contiguous */
	uint32_t nstreams;
	struct msf_stream *streams;
};

static uint32_t blocks_for(uint32_t size, uint32_t bs)
{
	return (uint32_t)(((uint64_t)size + bs - 1) / bs);
}

/* Copies `size` bytes of a stream described by its block list into dst. */
static void gather(const struct kd_msf *msf, const uint32_t *blocks, uint32_t size, uint8_t *dst)
{
	uint32_t bs = msf->block_size;
	for (uint32_t i = 0, done = 0; done < size; i++) {
		uint32_t n = size - done < bs ? size - done : bs;
		memcpy(dst + done, msf->base + (uint64_t)kd_le32(&blocks[i]) * bs, n);
		done += n;
	}
}

static int parse(struct kd_msf *msf, char *err, size_t errlen)
{
	const uint8_t *p = msf->base;
	if (msf->len >= sizeof msf2_magic - 1 && memcmp(p, msf2_magic, sizeof msf2_magic - 1) == 0)
		return kd_fail(err, errlen, KD_EFORMAT,
		            "old MSF 2.00 PDB format (VC 6 era) is not supported; only MSF 7.00");
	if (msf->len < 56 || memcmp(p, msf7_magic, sizeof msf7_magic) != 0)
		return kd_fail(err, errlen, KD_EFORMAT, "not a PDB file (no MSF 7.00 signature)");
	uint32_t bs = kd_le32(p + 32), nblocks = kd_le32(p + 40), dir_bytes = kd_le32(p + 44);
	uint32_t map_addr = kd_le32(p + 52);
	if (bs != 512 && bs != 1024 && bs != 2048 && bs != 4096 && bs != 8192 &&
	    bs != 16384 && bs != 32768)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB has an invalid block size %u", bs);
	msf->block_size = bs;
	if ((uint64_t)nblocks * bs > msf->len)
		return kd_fail(err, errlen, KD_EFORMAT,
		            "PDB is truncated: %u blocks of %u bytes but the file has %zu bytes",
		            nblocks, bs, msf->len);
	msf->num_blocks = nblocks;
	if (map_addr == 0 || map_addr >= nblocks)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB block map address %u is invalid", map_addr);
	uint32_t dir_blocks = blocks_for(dir_bytes, bs);
	if (dir_bytes < 4 || (uint64_t)dir_blocks * 4 > bs)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB stream directory size %u is invalid", dir_bytes);
	const uint32_t *map = (const uint32_t *)(p + (uint64_t)map_addr * bs);
	for (uint32_t i = 0; i < dir_blocks; i++)
		if (kd_le32(&map[i]) == 0 || kd_le32(&map[i]) >= nblocks)
			return kd_fail(err, errlen, KD_EFORMAT, "PDB stream directory points past the end of the file");
	msf->dir = malloc(dir_bytes);
	if (!msf->dir)
		return KD_ENOMEM;
	gather(msf, map, dir_bytes, msf->dir);

	uint32_t n = kd_le32(msf->dir);
	if (n > (dir_bytes - 4) / 4)
		return kd_fail(err, errlen, KD_EFORMAT, "PDB stream directory is corrupt (%u streams)", n);
	msf->streams = calloc(n ? n : 1, sizeof *msf->streams);
	if (!msf->streams)
		return KD_ENOMEM;
	msf->nstreams = n;
	uint64_t off = 4 + (uint64_t)n * 4;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size = kd_le32(msf->dir + 4 + 4 * i);
		if (size == 0xffffffffu)
			size = 0;
		uint32_t nb = blocks_for(size, bs);
		if (off + (uint64_t)nb * 4 > dir_bytes)
			return kd_fail(err, errlen, KD_EFORMAT,
			            "PDB stream %u (%u bytes) does not fit in the stream directory", i, size);
		const uint32_t *blocks = (const uint32_t *)(msf->dir + off);
		for (uint32_t b = 0; b < nb; b++) {
			uint32_t blk = kd_le32(&blocks[b]);
			if (blk >= nblocks)
				return kd_fail(err, errlen, KD_EFORMAT,
				            "PDB stream %u points past the end of the file (block %u of %u)",
				            i, blk, nblocks);
		}
		msf->streams[i].size = size;
		msf->streams[i].blocks = blocks;
		off += (uint64_t)nb * 4;
	}
	return 0;
}

int kd_msf_open_mem(const void *data, size_t len, struct kd_msf **out, char *err, size_t errlen)
{
	struct kd_msf *msf = calloc(1, sizeof *msf);
	if (!msf)
		return KD_ENOMEM;
	msf->base = data;
	msf->len = len;
	int rc = parse(msf, err, errlen);
	if (rc < 0) {
		if (rc == KD_ENOMEM)
			kd_fail(err, errlen, rc, "out of memory reading the PDB");
		kd_msf_close(msf);
		return rc;
	}
	*out = msf;
	return 0;
}

int kd_msf_open(const char *path, struct kd_msf **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_fail(err, errlen, errno == ENOENT ? KD_ENOTFOUND : KD_EIO,
		            "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kd_fail(err, errlen, KD_EIO, "%s: not a regular file", path);
	}
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED)
		return kd_fail(err, errlen, len ? KD_EIO : KD_EFORMAT, "%s: %s", path,
		            len ? strerror(errno) : "empty file");
	int rc = kd_msf_open_mem(map, len, out, err, errlen);
	if (rc < 0) {
		munmap(map, len);
		return rc;
	}
	(*out)->mapped = 1;
	return 0;
}

void kd_msf_close(struct kd_msf *msf)
{
	if (!msf)
		return;
	for (uint32_t i = 0; i < msf->nstreams; i++)
		if (msf->streams[i].owned)
			free((void *)msf->streams[i].data);
	free(msf->streams);
	free(msf->dir);
	if (msf->mapped)
		munmap((void *)msf->base, msf->len);
	free(msf);
}

uint32_t kd_msf_block_size(const struct kd_msf *msf)
{
	return msf->block_size;
}

uint32_t kd_msf_stream_count(const struct kd_msf *msf)
{
	return msf->nstreams;
}

uint32_t kd_msf_stream_size(const struct kd_msf *msf, uint32_t i)
{
	return i < msf->nstreams ? msf->streams[i].size : 0;
}

int kd_msf_stream(struct kd_msf *msf, uint32_t i, const uint8_t **data, uint32_t *size)
{
	if (i >= msf->nstreams || msf->streams[i].size == 0)
		return KD_ENOTFOUND;
	struct msf_stream *s = &msf->streams[i];
	if (!s->data) {
		uint32_t nb = blocks_for(s->size, msf->block_size);
		int contiguous = 1;
		for (uint32_t b = 1; b < nb && contiguous; b++)
			contiguous = kd_le32(&s->blocks[b]) == kd_le32(&s->blocks[b - 1]) + 1;
		if (contiguous) {
			s->data = msf->base + (uint64_t)kd_le32(&s->blocks[0]) * msf->block_size;
		} else {
			uint8_t *copy = malloc(s->size);
			if (!copy)
				return KD_ENOMEM;
			gather(msf, s->blocks, s->size, copy);
			s->data = copy;
			s->owned = 1;
		}
	}
	*data = s->data;
	*size = s->size;
	return 0;
}
