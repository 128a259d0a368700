/*
 * The PE-image target: read_virtual over the file's sections laid out at
 * their RVAs from the preferred image base; no registers, no writes.
 */
#include "kd/targets/image_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "symbols/pe.h"

struct image {
	struct kd_target t;
	struct kd_pe *pe;
	char path[260];
};

static struct image *image_of(struct kd_target *t)
{
	return t->impl;
}

static void image_close(struct kd_target *t)
{
	struct image *im = image_of(t);
	kd_pe_close(im->pe);
	free(im);
}

static int image_version(struct kd_target *t, struct kd_version *out)
{
	const struct kd_pe_info *info = kd_pe_get_info(image_of(t)->pe);
	memset(out, 0, sizeof *out);
	out->machine = (enum kd_machine)info->machine;
	out->major = 0xf;
	out->processors = 1;
	out->kern_base = info->image_base;
	return 0;
}

/* How many bytes from rva on are mapped (up to len): 0 when rva itself is
 * not. Bytes past a section's raw data but inside its virtual size read as
 * zeros, as the loader maps them. */
static uint32_t mapped_run(struct kd_pe *pe, uint32_t rva, uint32_t len, int *zero)
{
	const struct kd_pe_info *info = kd_pe_get_info(pe);
	*zero = 0;
	if (rva < info->headers_size) {
		uint32_t n = info->headers_size - rva;
		return n < len ? n : len;
	}
	const struct kd_pe_section *s;
	size_t ns;
	kd_pe_sections(pe, &s, &ns);
	for (size_t i = 0; i < ns; i++) {
		uint32_t span = s[i].virtual_size ? s[i].virtual_size : s[i].raw_size;
		if (rva < s[i].rva || rva - s[i].rva >= span)
			continue;
		uint32_t in = rva - s[i].rva, n;
		if (in < s[i].raw_size) {
			n = s[i].raw_size - in;
		} else {
			n = span - in;
			*zero = 1;
		}
		return n < len ? n : len;
	}
	return 0;
}

static int image_read(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	struct image *im = image_of(t);
	const struct kd_pe_info *info = kd_pe_get_info(im->pe);
	*done = 0;
	uint8_t *out = buf;
	while (*done < len) {
		uint64_t a = addr + *done;
		if (a < info->image_base || a - info->image_base >= info->image_size)
			break;
		uint32_t rva = (uint32_t)(a - info->image_base);
		uint32_t room = info->image_size - rva, want = len - *done;
		int zero;
		uint32_t n = mapped_run(im->pe, rva, want < room ? want : room, &zero);
		if (n == 0)
			break;
		if (zero)
			memset(out + *done, 0, n);
		else if (kd_pe_read_rva(im->pe, rva, out + *done, n) < 0)
			break;
		*done += n;
	}
	return *done ? 0 : KD_EUNREADABLE;
}

static int image_modules(struct kd_target *t, struct kd_module **list, size_t *count)
{
	struct image *im = image_of(t);
	const struct kd_pe_info *info = kd_pe_get_info(im->pe);
	struct kd_module *m = calloc(1, sizeof *m);
	if (!m)
		return KD_ENOMEM;
	const char *base = strrchr(im->path, '/');
	base = base ? base + 1 : im->path;
	size_t l = strlen(base) < sizeof m->name - 1 ? strlen(base) : sizeof m->name - 1;
	memcpy(m->name, base, l);
	m->name[l] = 0;
	char *dot = strrchr(m->name, '.');
	if (dot && dot != m->name)
		*dot = 0;
	snprintf(m->path, sizeof m->path, "%s", im->path);
	m->base = info->image_base;
	m->size = info->image_size;
	m->checksum = info->checksum;
	m->timestamp = info->timestamp;
	*list = m;
	*count = 1;
	return 0;
}

static const struct kd_target_ops image_ops = {
	.kind = "image",
	.close = image_close,
	.version = image_version,
	.read_virtual = image_read,
	.modules = image_modules,
};

int kd_image_target_open(const char *path, struct kd_target **out, char *err, size_t errlen)
{
	struct image *im = calloc(1, sizeof *im);
	if (!im) {
		snprintf(err, errlen, "out of memory");
		return KD_ENOMEM;
	}
	if (strlen(path) >= sizeof im->path) {
		free(im);
		snprintf(err, errlen, "%s: path too long", path);
		return KD_EINVAL;
	}
	int rc = kd_pe_open_file(path, &im->pe, err, errlen);
	if (rc < 0) {
		free(im);
		return rc;
	}
	snprintf(im->path, sizeof im->path, "%s", path);
	im->t.ops = &image_ops;
	im->t.impl = im;
	*out = &im->t;
	return 0;
}

int kd_image_target_probe(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char mz[2] = { 0 };
	size_t n = fread(mz, 1, 2, f);
	fclose(f);
	return n == 2 && mz[0] == 'M' && mz[1] == 'Z';
}
