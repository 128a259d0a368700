/*
 * PsLoadedModuleList walker. The KLDR_DATA_TABLE_ENTRY fields used here
 * (links, DllBase, SizeOfImage, FullDllName, BaseDllName) have kept their
 * offsets since Windows XP on both architectures.
 */
#include "kd/engine/modlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kd/engine/engine.h"
#include "base/bytes.h"
#include "base/error.h"
#include "symbols/pe.h"

#define MAX_MODULES 4096

struct layout {
	unsigned dll_base, size_of_image, full_name, base_name;
};

static const struct layout x64 = { 0x30, 0x40, 0x48, 0x58 };
static const struct layout x86 = { 0x18, 0x20, 0x24, 0x2c };

static int read_exact(struct kd_engine *eng, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	int rc = kd_read_virtual(eng, addr, buf, len, &done);
	if (rc < 0)
		return rc;
	return done == len ? 0 : KD_EUNREADABLE;
}

/* A UNICODE_STRING at addr as ASCII ('?' for the rest). */
static void read_ustr(struct kd_engine *eng, uint64_t addr, unsigned ps, char *out, size_t n)
{
	uint8_t us[16], text[520];
	out[0] = 0;
	if (read_exact(eng, addr, us, ps == 8 ? 16 : 8) < 0)
		return;
	size_t len = (size_t)kd_le(us, 2);
	uint64_t buf = kd_le(us + ps, ps);
	if (len > sizeof text)
		len = sizeof text;
	len &= ~(size_t)1;
	if (!len || read_exact(eng, buf, text, len) < 0)
		return;
	size_t at = 0;
	for (size_t i = 0; i + 1 < len && at + 1 < n; i += 2) {
		unsigned c = text[i] | text[i + 1] << 8;
		out[at++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[at] = 0;
}

struct mem {
	struct kd_engine *eng;
	uint64_t base;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;
	return read_exact(m->eng, m->base + off, buf, len);
}

int kd_symbols_walk_module_list(struct kd_engine *eng, uint64_t head, size_t *count)
{
	unsigned ps = kd_engine_pointer_size(eng);
	const struct layout *l = ps == 8 ? &x64 : &x86;
	uint8_t e[0x68];
	uint64_t at;
	*count = 0;
	if (read_exact(eng, head, e, ps) < 0)
		return KD_EUNREADABLE;
	at = kd_le(e, ps);
	uint64_t first = at;
	for (size_t i = 0; at != head && i < MAX_MODULES; i++) {
		if (read_exact(eng, at, e, l->base_name + 2 * ps) < 0)
			return *count ? 0 : KD_EUNREADABLE;
		struct kd_module m;
		memset(&m, 0, sizeof m);
		m.base = kd_le(e + l->dll_base, ps);
		m.size = (uint32_t)kd_le(e + l->size_of_image, 4);
		char full[260], base[260];
		read_ustr(eng, at + l->full_name, ps, full, sizeof full);
		read_ustr(eng, at + l->base_name, ps, base, sizeof base);
		snprintf(m.path, sizeof m.path, "%s", full[0] ? full : base);
		size_t bl = strlen(base) < sizeof m.name - 1 ? strlen(base) : sizeof m.name - 1;
		memcpy(m.name, base, bl);
		m.name[bl] = 0;
		char *dot = strrchr(m.name, '.');
		if (dot && dot != m.name)
			*dot = 0;
		if (i == 0 || !strcasecmp(m.name, "ntoskrnl") || !strcasecmp(m.name, "ntkrnlmp") ||
		    !strcasecmp(m.name, "ntkrnlpa") || !strcasecmp(m.name, "ntkrpamp"))
			snprintf(m.name, sizeof m.name, "nt");
		/* timestamp and checksum from the image header, when paged in */
		struct mem src = { eng, m.base };
		struct kd_pe *pe;
		char err[128];
		if (m.base && kd_pe_open_read(mem_read, &src, KD_PE_MAPPED, &pe, err, sizeof err) == 0) {
			m.timestamp = kd_pe_get_info(pe)->timestamp;
			m.checksum = kd_pe_get_info(pe)->checksum;
			kd_pe_close(pe);
		}
		if (m.base && m.name[0]) {
			int rc = kd_engine_module_add(eng, &m);
			if (rc < 0)
				return rc;
			(*count)++;
		}
		uint64_t next = kd_le(e, ps);
		if (next == at || next == first)
			break; /* a corrupt list that loops without the head */
		at = next;
	}
	return 0;
}
