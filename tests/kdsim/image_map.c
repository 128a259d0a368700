/*
 * kdsim's PE mapper (see image_map.h): the file is parsed by symbols/pe.c
 * and copied section by section; nothing read from it is trusted.
 */
#include "tests/kdsim/image_map.h"

#include <stdio.h>
#include <stdlib.h>

#include "kd/error.h"
#include "symbols/pe.h"

#define MAX_IMAGE (64u << 20)

static int read_whole(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kd_fail(err, errlen, KD_EIO, "cannot open %s", path);
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	while (b) {
		if (n == cap) {
			uint8_t *nb = cap >= MAX_IMAGE ? NULL : realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		if (!got)
			break;
		n += got;
	}
	fclose(f);
	if (!b)
		return kd_fail(err, errlen, KD_ENOMEM, "%s: too large or out of memory", path);
	*data = b;
	*len = n;
	return 0;
}

int sim_image_map(struct sim_machine *m, const char *path, uint64_t base, uint32_t *size,
                  char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = read_whole(path, &data, &len, err, errlen);
	if (rc < 0)
		return rc;
	struct kd_pe *pe;
	char perr[256];
	rc = kd_pe_open_mem(data, len, &pe, perr, sizeof perr);
	if (rc < 0) {
		free(data);
		return kd_fail(err, errlen, rc, "%s: %s", path, perr);
	}
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	uint32_t image_size = info->image_size;
	if (!image_size || image_size > MAX_IMAGE || (base & (SIM_PAGE - 1))) {
		kd_pe_close(pe);
		free(data);
		return kd_fail(err, errlen, KD_EFORMAT, "%s: SizeOfImage %#x or base not page aligned", path, image_size);
	}
	if (sim_map(m, base, image_size) < 0) {
		kd_pe_close(pe);
		free(data);
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory mapping %s", path);
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
	if (size)
		*size = image_size;
	kd_pe_close(pe);
	free(data);
	return 0;
}
