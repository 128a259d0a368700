/*
 * kdsim's PE mapper (see image_map.h): the file is parsed by symbols/pe.c
 * and copied section by section, then relocated to its base as the loader
 * does (base relocations applied, OptionalHeader.ImageBase updated);
 * nothing read from it is trusted.
 */
#include "tests/kdsim/image_map.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "symbols/pe.h"
#include "base/file.h"

#define MAX_IMAGE (64u << 20)

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Add delta to one HIGHLOW (4 bytes) or DIR64 (8 bytes) fixup in memory. */
static void fixup(struct sim_machine *m, uint64_t va, unsigned n, uint64_t delta)
{
	uint8_t b[8];
	if (sim_read(m, va, b, n) != n)
		return;
	put_le(b, get_le(b, n) + delta, n);
	sim_write(m, va, b, n);
}

/* The base relocation blocks (data directory 5), read from the mapped
 * image: { PageRVA, BlockSize, then type << 12 | offset words }. */
static void relocate(struct sim_machine *m, struct kd_pe *pe, uint64_t base, uint32_t image_size, uint64_t delta)
{
	uint32_t rva, size;
	if (!delta || kd_pe_data_directory(pe, 5, &rva, &size) < 0 || !size ||
	    rva >= image_size || size > image_size - rva)
		return;
	uint32_t pos = 0;
	while (pos + 8 <= size) {
		uint8_t h[8];
		if (sim_read(m, base + rva + pos, h, 8) != 8)
			return;
		uint32_t page = (uint32_t)get_le(h, 4), block = (uint32_t)get_le(h + 4, 4);
		if (block < 8 || block > size - pos)
			return;
		for (uint32_t i = 8; i + 2 <= block; i += 2) {
			uint8_t w[2];
			if (sim_read(m, base + rva + pos + i, w, 2) != 2)
				return;
			unsigned type = w[1] >> 4, off = (unsigned)(w[0] | (w[1] & 0xf) << 8);
			uint64_t at = (uint64_t)page + off;
			if (at + 8 > image_size)
				continue;
			if (type == 3)       /* IMAGE_REL_BASED_HIGHLOW */
				fixup(m, base + at, 4, delta);
			else if (type == 10) /* IMAGE_REL_BASED_DIR64 */
				fixup(m, base + at, 8, delta);
		}
		pos += block;
	}
}

int sim_image_map(struct sim_machine *m, const char *path, uint64_t base, uint32_t *size,
                  char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = kd_read_file(path, MAX_IMAGE, &data, &len, err, errlen);
	if (rc < 0)
		return rc;
	char perr[256];
	rc = sim_image_map_mem(m, data, len, base, size, perr, sizeof perr);
	free(data);
	if (rc < 0)
		return kd_fail(err, errlen, rc, "%s: %s", path, perr);
	return 0;
}

int sim_image_map_mem(struct sim_machine *m, const uint8_t *data, size_t len, uint64_t base, uint32_t *size,
                      char *err, size_t errlen)
{
	struct kd_pe *pe;
	int rc = kd_pe_open_mem(data, len, &pe, err, errlen);
	if (rc < 0)
		return rc;
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	uint32_t image_size = info->image_size;
	if (!image_size || image_size > MAX_IMAGE || (base & (SIM_PAGE - 1))) {
		kd_pe_close(pe);
		return kd_fail(err, errlen, KD_EFORMAT, "SizeOfImage %#x or base not page aligned", image_size);
	}
	if (sim_map(m, base, image_size) < 0) {
		kd_pe_close(pe);
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory");
	}
	uint32_t hdr = info->headers_size;
	if (hdr > len)
		hdr = (uint32_t)len;
	if (hdr > image_size)
		hdr = image_size;
	sim_write(m, base, data, hdr);
	const struct kd_pe_section *sec;
	size_t nsec;
	kd_pe_sections(pe, &sec, &nsec);
	for (size_t i = 0; i < nsec; i++) {
		uint64_t n = sec[i].raw_size;
		if (sec[i].virtual_size && n > sec[i].virtual_size)
			n = sec[i].virtual_size;
		if (sec[i].raw_ptr >= len)
			continue;
		if (n > len - sec[i].raw_ptr)
			n = len - sec[i].raw_ptr;
		if (sec[i].rva >= image_size)
			continue;
		if (n > image_size - sec[i].rva)
			n = image_size - sec[i].rva;
		sim_write(m, base + sec[i].rva, data + sec[i].raw_ptr, (uint32_t)n);
	}
	uint64_t delta = base - info->image_base;
	if (!info->is64)
		delta &= 0xffffffffu;
	relocate(m, pe, base, image_size, delta);
	/* The loader keeps the base it chose in the mapped header. */
	uint32_t lfanew = hdr >= 0x40 ? (uint32_t)get_le(data + 0x3c, 4) : 0;
	if (lfanew && lfanew <= hdr && hdr - lfanew >= 0x38) {
		if (info->is64)
			fixup(m, base + lfanew + 0x30, 8, delta);
		else
			fixup(m, base + lfanew + 0x34, 4, delta);
	}
	if (size)
		*size = image_size;
	kd_pe_close(pe);
	return 0;
}
