/*
 * Fuzz harness for the PE reader: open the bytes as an image file and in
 * mapped layout, then read exports, .pdata and RSDS.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"
#include "symbols/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t *data;
	size_t size;
};

static int src_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct src *s = ctx;
	if (off > s->size || len > s->size - off)
		return KD_EUNREADABLE;
	memcpy(buf, s->data + off, len);
	return 0;
}

static void walk(struct kd_pe *pe)
{
	const struct kd_pe_export *e, *x;
	const struct kd_pe_runtime_function *f;
	struct kd_pe_runtime_function r;
	size_t n, at;
	if (kd_pe_exports(pe, &e, &n) == 0) {
		for (size_t i = 0; i < n && i < 32; i++) {
			if (e[i].name)
				kd_pe_export_by_name(pe, e[i].name, &x);
			kd_pe_export_by_rva(pe, e[i].rva + 1, &at);
		}
	}
	if (kd_pe_runtime_functions(pe, &f, &n) == 0)
		for (size_t i = 0; i < n && i < 32; i++) {
			uint8_t b[8];
			if (kd_pe_runtime_function_at(pe, f[i].begin, &r) == 0)
				kd_pe_read_rva(pe, r.unwind_info, b, sizeof b);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_pe *pe;
	char err[256];
	if (kd_pe_open_mem(data, size, &pe, err, sizeof err) == 0) {
		walk(pe);
		kd_pe_close(pe);
	}
	struct src s = { data, size };
	if (kd_pe_open_read(src_read, &s, KD_PE_MAPPED, &pe, err, sizeof err) == 0) {
		walk(pe);
		kd_pe_close(pe);
	}
	return 0;
}
