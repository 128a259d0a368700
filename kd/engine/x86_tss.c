/*
 * x86 task state segments through the GDT (see x86_tss.h).
 */
#include "kd/engine/x86_tss.h"

#include <stdio.h>

#include "base/bytes.h"

/* Where a kernel without control space (a dump) keeps the GDT pointer. */
#define X86_KPCR_GDT 0xffdff03cu

static int read_exact(struct kd_engine *eng, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;
	int rc = kd_read_virtual(eng, addr, buf, len, &got);
	return rc < 0 ? rc : got == len ? 0 : KD_EUNREADABLE;
}

int kd_x86_gdt(struct kd_engine *eng, uint32_t *base, uint32_t *limit, uint16_t *tr)
{
	struct kd_target *t = kd_engine_target(eng);
	struct kd_x86_special_registers sr;
	uint32_t done = 0;
	if (!t)
		return KD_EDISCONNECTED;
	if (t->ops->read_control
	    && t->ops->read_control(t, kd_engine_cpu(eng), KD_X86_CONTROL_SPECIAL_REGISTERS,
	                            &sr, sizeof sr, &done) == 0 && done == sizeof sr) {
		*base = sr.GdtrBase;
		*limit = sr.GdtrLimit;
		*tr = sr.Tr;
		return 0;
	}
	uint8_t b[4];
	int rc = read_exact(eng, X86_KPCR_GDT, b, sizeof b);
	if (rc < 0)
		return rc;
	*base = kd_le32(b);
	*limit = 0xffff;
	*tr = 0;
	return 0;
}

static int descriptor(struct kd_engine *eng, uint16_t sel, struct kd_x86_descriptor *desc, int *stage)
{
	uint32_t gdt, limit, off = sel & 0xfff8u;
	uint16_t tr;
	uint8_t d[8];
	*stage = 0;
	int rc = kd_x86_gdt(eng, &gdt, &limit, &tr);
	if (rc < 0)
		return rc;
	*stage = 1;
	if ((sel & 4) || off + 7 > limit || read_exact(eng, (uint32_t)(gdt + off), d, sizeof d) < 0)
		return KD_EUNREADABLE;
	*stage = 2;
	kd_x86_descriptor_decode(d, desc);
	return kd_x86_descriptor_is_tss(desc) ? 0 : KD_EINVAL;
}

int kd_x86_tss_descriptor(struct kd_engine *eng, uint16_t sel, struct kd_x86_descriptor *desc)
{
	int stage;
	return descriptor(eng, sel, desc, &stage);
}

int kd_x86_tss_context(struct kd_engine *eng, uint16_t sel, struct kd_context *out, char *err, size_t errlen)
{
	struct kd_x86_descriptor desc;
	uint8_t tss[sizeof(struct kd_x86_ktss)];
	int stage;
	int rc = descriptor(eng, sel, &desc, &stage);
	if (rc == 0) {
		stage = 3;
		rc = read_exact(eng, desc.base, tss, sizeof tss);
		if (rc == 0)
			rc = kd_x86_tss_to_context(tss, sizeof tss, out);
	}
	if (rc < 0 && err) {
		if (stage == 0)
			snprintf(err, errlen, "Unable to get the GDT of processor %u", kd_engine_cpu(eng));
		else if (stage == 1)
			snprintf(err, errlen, "Unable to read selector %x", sel);
		else if (stage == 2)
			snprintf(err, errlen, "Selector %x is not a TSS", sel);
		else
			snprintf(err, errlen, "Unable to read the TSS at %08x", desc.base);
	}
	return rc;
}
