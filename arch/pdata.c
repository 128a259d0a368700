/*
 * Looking up an address in the x64 exception directory (.pdata) of an
 * image in target memory: RUNTIME_FUNCTION {BeginAddress, EndAddress,
 * UnwindData} entries sorted by address, indirect entries (UnwindData
 * with bit 0 set names another entry), and UNWIND_INFO chaining
 * (UNW_FLAG_CHAININFO: the parent RUNTIME_FUNCTION follows the unwind
 * codes) back to the function's primary entry.
 */
#include "arch/pdata.h"

#include <string.h>

#include "base/bytes.h"
#include "base/error.h"

#define UNW_FLAG_CHAININFO 0x4
#define MAX_CHAIN 32

static void unpack(const uint8_t *e, struct kd_x64_runtime_function *rf)
{
	rf->begin = kd_le32(e);
	rf->end = kd_le32(e + 4);
	rf->unwind = kd_le32(e + 8);
}

int kd_x64_pdata_entry(const struct kd_disasm_env *env, uint64_t base, uint64_t addr,
                       struct kd_x64_runtime_function *out, uint32_t *image_size_out)
{
	uint8_t dos[0x40];
	int rc = kd_disasm_env_read_exact(env, base, dos, sizeof dos);
	if (rc < 0)
		return rc;
	if (dos[0] != 'M' || dos[1] != 'Z')
		return KD_EFORMAT;
	uint32_t nt = kd_le32(dos + 0x3c);
	if (nt > 0x10000000)
		return KD_EFORMAT;
	/* Signature, FileHeader (20 bytes), OptionalHeader64 up to the
	 * exception directory (data directory 3 at +112+24). */
	uint8_t hdr[4 + 20 + 112 + 4 * 8];
	if ((rc = kd_disasm_env_read_exact(env, base + nt, hdr, sizeof hdr)) < 0)
		return rc;
	if (memcmp(hdr, "PE\0\0", 4) != 0)
		return KD_EFORMAT;
	const uint8_t *opt = hdr + 24;
	if (opt[0] != 0x0b || opt[1] != 0x02) /* PE32+ */
		return KD_EFORMAT;
	uint32_t image_size = kd_le32(opt + 56);
	if (image_size_out)
		*image_size_out = image_size;
	uint32_t ndirs = kd_le32(opt + 108);
	if (ndirs < 4)
		return KD_ENOTFOUND;
	uint32_t pdata = kd_le32(opt + 112 + 3 * 8), psize = kd_le32(opt + 112 + 3 * 8 + 4);
	if (!pdata || psize < 12 || pdata > image_size || psize > image_size - pdata)
		return KD_ENOTFOUND;
	if (addr < base || addr - base >= image_size)
		return KD_ENOTFOUND;
	uint32_t rva = (uint32_t)(addr - base);
	/* Binary search for the entry whose [Begin, End) holds rva. */
	size_t lo = 0, hi = psize / 12;
	uint8_t e[12];
	int found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((rc = kd_disasm_env_read_exact(env, base + pdata + mid * 12, e, sizeof e)) < 0)
			return rc;
		uint32_t b = kd_le32(e), en = kd_le32(e + 4);
		if (rva < b) {
			hi = mid;
		} else if (rva >= en) {
			lo = mid + 1;
		} else {
			found = 1;
			break;
		}
	}
	if (!found)
		return KD_ENOTFOUND;
	/* An indirect entry: UnwindData names another RUNTIME_FUNCTION. */
	for (int i = 0; i < MAX_CHAIN && (kd_le32(e + 8) & 1); i++) {
		uint32_t at = kd_le32(e + 8) & ~1u;
		if (image_size < 12 || at > image_size - 12)
			return KD_EFORMAT;
		if ((rc = kd_disasm_env_read_exact(env, base + at, e, 12)) < 0)
			return rc;
	}
	unpack(e, out);
	if (out->unwind & 1)
		return KD_EFORMAT;
	return 0;
}

int kd_x64_pdata_lookup(const struct kd_disasm_env *env, uint64_t base, uint64_t addr,
                        uint64_t *begin, uint64_t *end)
{
	struct kd_x64_runtime_function rf;
	uint32_t image_size = 0;
	int rc = kd_x64_pdata_entry(env, base, addr, &rf, &image_size);
	if (rc < 0)
		return rc;
	/* Follow chained unwind information to the primary entry. */
	for (int i = 0; i < MAX_CHAIN; i++) {
		uint8_t ui[4], e[12];
		if (image_size < 4 || rf.unwind > image_size - 4 || kd_disasm_env_read_exact(env, base + rf.unwind, ui, sizeof ui) < 0)
			break;
		if (!((ui[0] >> 3) & UNW_FLAG_CHAININFO))
			break;
		uint32_t parent = rf.unwind + 4 + (uint32_t)((ui[2] + 1u) & ~1u) * 2;
		if (image_size < 12 || parent > image_size - 12 || kd_disasm_env_read_exact(env, base + parent, e, 12) < 0)
			break;
		unpack(e, &rf);
		if (rf.unwind & 1)
			break;
	}
	if (rf.begin >= rf.end || rf.end > image_size)
		return KD_EFORMAT;
	*begin = base + rf.begin;
	*end = base + rf.end;
	return 0;
}
