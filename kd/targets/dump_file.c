/*
 * Parsing of kernel crash dump files (PAGEDUMP / PAGEDU64): full dumps
 * with physical memory runs, bitmap dumps, triage dumps; and reading the
 * memory, registers, exception, version and modules they hold.
 */
#include "base/bytes.h"
#include "kd/targets/dump_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/array.h"
#include "base/error.h"

static int in_file(const struct kd_dump *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off;
}

static int add_run(struct kd_dump *d, size_t *cap, uint64_t base, uint64_t pages, uint64_t off)
{
	if (d->nruns && d->runs[d->nruns - 1].base_page + d->runs[d->nruns - 1].pages == base &&
	    d->runs[d->nruns - 1].file_offset + d->runs[d->nruns - 1].pages * KD_DUMP_PAGE == off) {
		d->runs[d->nruns - 1].pages += pages;
		return 0;
	}
	if (KD_ARRAY_RESERVE(d->runs, *cap, d->nruns + 1) < 0)
		return KD_ENOMEM;
	d->runs[d->nruns++] = (struct kd_dump_run){ base, pages, off };
	return 0;
}

static int cmp_run(const void *a, const void *b)
{
	const struct kd_dump_run *x = a, *y = b;
	return x->base_page < y->base_page ? -1 : x->base_page > y->base_page;
}

static int cmp_vblock(const void *a, const void *b)
{
	const struct kd_dump_vblock *x = a, *y = b;
	return x->address < y->address ? -1 : x->address > y->address;
}

/* Full dumps: PHYSICAL_MEMORY_DESCRIPTOR runs, pages back to back after
 * the header. */
static int parse_runs(struct kd_dump *d, char *err, size_t errlen)
{
	const uint8_t *pb = d->data + (d->is64 ? DH64_PHYS_BLOCK : DH32_PHYS_BLOCK);
	uint32_t nruns = kd_le32(pb);
	size_t first = d->is64 ? 16 : 8, each = d->is64 ? 16 : 8;
	uint32_t max = (uint32_t)((DH64_PHYS_BLOCK_SIZE - first) / each);
	if (nruns > max)
		return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: %u physical memory runs (at most %u fit in the header)", nruns, max);
	uint64_t off = d->header_size;
	size_t cap = 0;
	for (uint32_t i = 0; i < nruns; i++) {
		const uint8_t *r = pb + first + i * each;
		uint64_t base = d->is64 ? kd_le64(r) : kd_le32(r);
		uint64_t count = d->is64 ? kd_le64(r + 8) : kd_le32(r + 4);
		if (count == 0)
			continue;
		if (base > (1ull << 40) || count > (d->size - off) / KD_DUMP_PAGE)
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: physical memory run %u (page %llx, %llx pages) extends past the end of the file",
			            i, (unsigned long long)base, (unsigned long long)count);
		int rc = add_run(d, &cap, base, count, off);
		if (rc < 0)
			return rc;
		off += count * KD_DUMP_PAGE;
		d->phys_pages += count;
	}
	/* No runs at all leaves d->runs NULL, which qsort must not see. */
	if (d->nruns)
		qsort(d->runs, d->nruns, sizeof *d->runs, cmp_run);
	return 0;
}

/* Bitmap dumps: one bit per physical page, present pages stored in order
 * from the first-page offset. */
static int parse_bitmap(struct kd_dump *d, char *err, size_t errlen)
{
	size_t h = d->header_size;
	if (!in_file(d, h, d->is64 ? BMP64_BITMAP : BMP32_BITMAP))
		return kd_fail(err, errlen, KD_EFORMAT, "truncated dump: the bitmap header at %#zx is past the end of the file", h);
	const uint8_t *s = d->data + h;
	if ((memcmp(s, "SDMP", 4) && memcmp(s, "FDMP", 4) && memcmp(s, "DMP", 3)) || memcmp(s + 4, "DUMP", 4))
		return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: bad bitmap header signature");
	memcpy(d->bitmap_signature, s, 4);
	uint64_t first, bits, bitmap_off;
	if (d->is64) {
		first = kd_le64(s + BMP64_FIRST_PAGE);
		bits = kd_le64(s + BMP64_BITS);
		bitmap_off = h + BMP64_BITMAP;
	} else {
		first = kd_le32(s + BMP32_HEADER_SIZE);
		bits = kd_le32(s + BMP32_BITS);
		bitmap_off = h + BMP32_BITMAP;
	}
	d->bitmap_first_page = first;
	d->bitmap_bits = bits;
	uint64_t bytes = bits / 8 + (bits % 8 != 0);
	if (bits > (uint64_t)d->size * 8 || !in_file(d, bitmap_off, bytes))
		return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: bitmap of %llu pages extends past the end of the file",
		            (unsigned long long)bits);
	if (first > d->size)
		return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: first page offset %#llx is past the end of the file",
		            (unsigned long long)first);
	const uint8_t *bm = d->data + bitmap_off;
	uint64_t off = first;
	size_t cap = 0;
	for (uint64_t i = 0; i < bits;) {
		if ((i & 7) == 0 && i + 8 <= bits && bm[i >> 3] == 0) {
			i += 8;
			continue;
		}
		if (!(bm[i >> 3] & (1u << (i & 7)))) {
			i++;
			continue;
		}
		uint64_t start = i;
		while (i < bits && (bm[i >> 3] & (1u << (i & 7))))
			i++;
		uint64_t count = i - start;
		if (count > (d->size - off) / KD_DUMP_PAGE)
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: bitmap page data (page %llx) extends past the end of the file",
			            (unsigned long long)start);
		int rc = add_run(d, &cap, start, count, off);
		if (rc < 0)
			return rc;
		off += count * KD_DUMP_PAGE;
		d->phys_pages += count;
	}
	return 0;
}

static int add_vblock(struct kd_dump *d, size_t *cap, uint64_t addr, uint64_t off, uint64_t size)
{
	if (size == 0)
		return 0;
	if (KD_ARRAY_RESERVE(d->vblocks, *cap, d->nvblocks + 1) < 0)
		return KD_ENOMEM;
	d->vblocks[d->nvblocks++] = (struct kd_dump_vblock){ addr, size, off, 0 };
	return 0;
}

static void sort_vblocks(struct kd_dump *d)
{
	if (!d->nvblocks)
		return; /* d->vblocks is NULL: nothing for qsort */
	qsort(d->vblocks, d->nvblocks, sizeof *d->vblocks, cmp_vblock);
	uint64_t max_end = 0;
	for (size_t i = 0; i < d->nvblocks; i++) {
		struct kd_dump_vblock *b = &d->vblocks[i];
		uint64_t end = b->address + b->size < b->address ? UINT64_MAX : b->address + b->size;
		if (end > max_end)
			max_end = end;
		b->max_end = max_end;
	}
}

/* Triage dumps: the crashing thread's stack, the data blocks, the driver
 * list and a copy of KDDEBUGGER_DATA64, all at file offsets. */
static int parse_triage(struct kd_dump *d, char *err, size_t errlen)
{
	size_t h = d->header_size;
	size_t tsize = d->is64 ? TD64_SIZE : TD32_SIZE;
	if (!in_file(d, h, tsize))
		return kd_fail(err, errlen, KD_EFORMAT, "truncated dump: the triage header at %#zx is past the end of the file", h);
	const uint8_t *t = d->data + h;
	d->triage = 1;
	d->triage_offset = h;
	size_t cap = 0;
	int rc;
	uint32_t ctx = kd_le32(t + TD_CONTEXT_OFFSET);
	if (ctx && in_file(d, ctx, kd_context_size(d->machine)))
		d->context_offset = ctx;
	uint32_t exc = kd_le32(t + TD_EXCEPTION_OFFSET);
	if (exc && in_file(d, exc, d->is64 ? ER64_SIZE : ER32_SIZE))
		d->exception_offset = exc;

	uint32_t stack_off = kd_le32(t + TD_CALLSTACK_OFFSET), stack_size = kd_le32(t + TD_CALLSTACK_SIZE);
	d->top_of_stack = d->is64 ? kd_le64(t + TD64_TOP_OF_STACK) : kd_le32(t + TD32_TOP_OF_STACK);
	if (stack_size) {
		if (!in_file(d, stack_off, stack_size))
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: the triage call stack (%#x bytes at %#x) extends past the end of the file",
			            stack_size, stack_off);
		d->stack_size = stack_size;
		if ((rc = add_vblock(d, &cap, d->top_of_stack, stack_off, stack_size)) < 0)
			return rc;
	}
	uint64_t dp_addr = d->is64 ? kd_le64(t + TD64_DATA_PAGE_ADDRESS) : kd_le32(t + TD32_DATA_PAGE_ADDRESS);
	uint32_t dp_off = kd_le32(t + (d->is64 ? TD64_DATA_PAGE_OFFSET : TD32_DATA_PAGE_OFFSET));
	uint32_t dp_size = kd_le32(t + (d->is64 ? TD64_DATA_PAGE_SIZE : TD32_DATA_PAGE_SIZE));
	if (dp_addr && dp_size) {
		if (!in_file(d, dp_off, dp_size))
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: the triage data page extends past the end of the file");
		if ((rc = add_vblock(d, &cap, dp_addr, dp_off, dp_size)) < 0)
			return rc;
	}
	uint32_t kd_off = kd_le32(t + (d->is64 ? TD64_DEBUGGER_DATA_OFFSET : TD32_DEBUGGER_DATA_OFFSET));
	uint32_t kd_size = kd_le32(t + (d->is64 ? TD64_DEBUGGER_DATA_SIZE : TD32_DEBUGGER_DATA_SIZE));
	if (kd_off && kd_size) {
		if (!in_file(d, kd_off, kd_size))
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: the triage debugger data extends past the end of the file");
		d->kdbg_size = kd_size < sizeof d->kdbg ? kd_size : sizeof d->kdbg;
		memcpy(d->kdbg, d->data + kd_off, d->kdbg_size);
		if (d->kddebugger_data && (rc = add_vblock(d, &cap, d->kddebugger_data, kd_off, kd_size)) < 0)
			return rc;
	}
	uint32_t blocks = kd_le32(t + (d->is64 ? TD64_DATA_BLOCKS_OFFSET : TD32_DATA_BLOCKS_OFFSET));
	uint32_t nblocks = kd_le32(t + (d->is64 ? TD64_DATA_BLOCKS_COUNT : TD32_DATA_BLOCKS_COUNT));
	size_t bsize = d->is64 ? TD64_BLOCK_SIZE : TD32_BLOCK_SIZE;
	if (nblocks) {
		if (nblocks > d->size / bsize || !in_file(d, blocks, (uint64_t)nblocks * bsize))
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: %u triage data blocks at %#x extend past the end of the file",
			            nblocks, blocks);
		for (uint32_t i = 0; i < nblocks; i++) {
			const uint8_t *b = d->data + blocks + i * bsize;
			uint64_t addr = d->is64 ? kd_le64(b) : kd_le32(b);
			uint32_t off = kd_le32(b + (d->is64 ? 8 : 4)), size = kd_le32(b + (d->is64 ? 12 : 8));
			if (!in_file(d, off, size))
				return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: triage data block %u (%#x bytes at %#x) extends past the end of the file",
				            i, size, off);
			if ((rc = add_vblock(d, &cap, addr, off, size)) < 0)
				return rc;
		}
	}
	sort_vblocks(d);

	uint32_t dl = kd_le32(t + TD_DRIVER_LIST_OFFSET), dc = kd_le32(t + TD_DRIVER_COUNT);
	size_t dsize = d->is64 ? TD64_DRIVER_SIZE : TD32_DRIVER_SIZE;
	if (dc) {
		if (dc > d->size / dsize || !in_file(d, dl, (uint64_t)dc * dsize))
			return kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: the triage driver list (%u entries at %#x) extends past the end of the file",
			            dc, dl);
		d->driver_list = dl;
		d->driver_count = dc;
	}
	uint32_t sp = kd_le32(t + TD_STRING_POOL_OFFSET), sps = kd_le32(t + TD_STRING_POOL_SIZE);
	if (sps && in_file(d, sp, sps)) {
		d->string_pool = sp;
		d->string_pool_size = sps;
	}
	return 0;
}

static void parse_header_fields(struct kd_dump *d)
{
	const uint8_t *p = d->data;
	if (d->is64) {
		d->major = kd_le32(p + DH64_MAJOR);
		d->minor = kd_le32(p + DH64_MINOR);
		d->dtb = kd_le64(p + DH64_DTB);
		d->pfn_database = kd_le64(p + DH64_PFN_DATABASE);
		d->ps_loaded_module_list = kd_le64(p + DH64_PS_LOADED_MODULES);
		d->ps_active_process_head = kd_le64(p + DH64_PS_ACTIVE_PROCESSES);
		d->processors = kd_le32(p + DH64_NPROC);
		d->bugcheck.code = kd_le32(p + DH64_BUGCHECK_CODE);
		for (int i = 0; i < 4; i++)
			d->bugcheck.args[i] = kd_le64(p + DH64_BUGCHECK_ARGS + 8 * i);
		d->kddebugger_data = kd_le64(p + DH64_KDDEBUGGER_DATA);
		d->dump_type = kd_le32(p + DH64_DUMP_TYPE);
		d->required_space = kd_le64(p + DH64_REQUIRED_SPACE);
		d->system_time = kd_le64(p + DH64_SYSTEM_TIME);
		d->system_uptime = kd_le64(p + DH64_SYSTEM_UPTIME);
		d->minidump_fields = kd_le32(p + DH64_MINIDUMP_FIELDS);
		d->secondary_state = kd_le32(p + DH64_SECONDARY_STATE);
		d->product_type = kd_le32(p + DH64_PRODUCT_TYPE);
		d->suite_mask = kd_le32(p + DH64_SUITE_MASK);
		d->writer_status = kd_le32(p + DH64_WRITER_STATUS);
		d->kd_secondary_version = p[DH64_KD_SECONDARY];
		d->attributes = kd_le32(p + DH64_ATTRIBUTES);
		d->boot_id = kd_le32(p + DH64_BOOT_ID);
		d->context_offset = DH64_CONTEXT;
		d->exception_offset = DH64_EXCEPTION;
		memcpy(d->comment, p + DH64_COMMENT, DH_COMMENT_SIZE);
		d->pae = 0;
	} else {
		d->major = kd_le32(p + DH32_MAJOR);
		d->minor = kd_le32(p + DH32_MINOR);
		d->dtb = kd_le32(p + DH32_DTB);
		d->pfn_database = kd_le32(p + DH32_PFN_DATABASE);
		d->ps_loaded_module_list = kd_le32(p + DH32_PS_LOADED_MODULES);
		d->ps_active_process_head = kd_le32(p + DH32_PS_ACTIVE_PROCESSES);
		d->processors = kd_le32(p + DH32_NPROC);
		d->bugcheck.code = kd_le32(p + DH32_BUGCHECK);
		for (int i = 0; i < 4; i++)
			d->bugcheck.args[i] = kd_le32(p + DH32_BUGCHECK + 4 + 4 * i);
		d->pae = p[DH32_PAE] != 0;
		d->kd_secondary_version = p[DH32_KD_SECONDARY];
		d->kddebugger_data = kd_le32(p + DH32_KDDEBUGGER_DATA);
		d->dump_type = kd_le32(p + DH32_DUMP_TYPE);
		d->minidump_fields = kd_le32(p + DH32_MINIDUMP_FIELDS);
		d->secondary_state = kd_le32(p + DH32_SECONDARY_STATE);
		d->product_type = kd_le32(p + DH32_PRODUCT_TYPE);
		d->suite_mask = kd_le32(p + DH32_SUITE_MASK);
		d->writer_status = kd_le32(p + DH32_WRITER_STATUS);
		d->required_space = kd_le64(p + DH32_REQUIRED_SPACE);
		d->system_uptime = kd_le64(p + DH32_SYSTEM_UPTIME);
		d->system_time = kd_le64(p + DH32_SYSTEM_TIME);
		d->context_offset = DH32_CONTEXT;
		d->exception_offset = DH32_EXCEPTION;
		memcpy(d->comment, p + DH32_COMMENT, DH_COMMENT_SIZE);
	}
	/* Unused header bytes are filled with "PAGE". */
	if (!memcmp(d->comment, "PAGE", 4))
		d->comment[0] = '\0';
	d->comment[DH_COMMENT_SIZE] = '\0';
	for (char *c = d->comment; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '.';
}

/* Full dumps keep KDDEBUGGER_DATA64 in memory; use it when it is not
 * encoded (the tag reads "KDBG"). */
static void load_kdbg_from_memory(struct kd_dump *d)
{
	uint8_t b[sizeof d->kdbg];
	uint32_t done = 0;
	if (d->kdbg_size || !d->kddebugger_data)
		return;
	if (kd_dump_read_virtual(d, d->kddebugger_data, b, sizeof b, &done) < 0 || done < KDBG_MIN_SIZE)
		return;
	if (memcmp(b + KDBG_TAG, "KDBG", 4))
		return;
	uint32_t size = kd_le32(b + KDBG_SIZE_FIELD);
	if (size > done)
		size = done;
	memcpy(d->kdbg, b, size);
	d->kdbg_size = size;
}

static int read_ptr(const struct kd_dump *d, uint64_t va, uint64_t *v);

/* The triage dump's copies of the crashing processor's KPRCB, its current
 * thread and that thread's process, at their addresses (found through the
 * copies themselves and the offsets in KDDEBUGGER_DATA64). */
static int map_triage_copies(struct kd_dump *d)
{
	if (!d->triage || d->kdbg_size < KDBG_MIN_SIZE)
		return 0;
	const uint8_t *t = d->data + d->triage_offset, *k = d->kdbg;
	unsigned w = d->is64 ? 8 : 4;
	uint32_t prcb_off = kd_le32(t + TD_PRCB_OFFSET), thread_off = kd_le32(t + TD_THREAD_OFFSET);
	uint32_t process_off = kd_le32(t + TD_PROCESS_OFFSET);
	uint32_t prcb_size = kd_le16(k + KDBG_SIZE_PRCB), thread_size = kd_le16(k + KDBG_SIZE_ETHREAD);
	uint32_t process_size = kd_le16(k + KDBG_SIZE_EPROCESS);
	uint16_t num_off = kd_le16(k + KDBG_OFFSET_PRCB_NUMBER), cur_off = kd_le16(k + KDBG_OFFSET_PRCB_CURTHREAD);
	uint16_t proc_off = kd_le16(k + KDBG_OFFSET_KTHREAD_APC_PROCESS);
	size_t cap = d->nvblocks;
	uint64_t prcb = 0, thread = 0, process = 0;
	int rc;
	if (prcb_off && prcb_size && in_file(d, prcb_off, prcb_size) && num_off + 2u <= prcb_size &&
	    cur_off + w <= prcb_size) {
		uint16_t number = kd_le16(d->data + prcb_off + num_off);
		uint64_t block = kd_le64(k + KDBG_KI_PROCESSOR_BLOCK);
		if (number < d->processors && block && read_ptr(d, block + (uint64_t)number * w, &prcb) == 0 && prcb)
			if ((rc = add_vblock(d, &cap, prcb, prcb_off, prcb_size)) < 0)
				return rc;
		const uint8_t *c = d->data + prcb_off + cur_off;
		thread = d->is64 ? kd_le64(c) : kd_le32(c);
	}
	if (thread && thread_off && thread_size && in_file(d, thread_off, thread_size)) {
		if ((rc = add_vblock(d, &cap, thread, thread_off, thread_size)) < 0)
			return rc;
		if (proc_off + w <= thread_size) {
			const uint8_t *c = d->data + thread_off + proc_off;
			process = d->is64 ? kd_le64(c) : kd_le32(c);
		}
	}
	if (process && process_off && process_size && in_file(d, process_off, process_size))
		if ((rc = add_vblock(d, &cap, process, process_off, process_size)) < 0)
			return rc;
	sort_vblocks(d);
	return 0;
}

int kd_dump_parse(const uint8_t *buf, size_t len, struct kd_dump **out, char *err, size_t errlen)
{
	*out = NULL;
	if (len < 8)
		return kd_fail(err, errlen, KD_EFORMAT, "not a crash dump: the file has only %zu bytes", len);
	int is64;
	if (!memcmp(buf, "PAGEDU64", 8))
		is64 = 1;
	else if (!memcmp(buf, "PAGEDUMP", 8))
		is64 = 0;
	else if (!memcmp(buf, "MDMP", 4))
		return kd_fail(err, errlen, KD_EFORMAT, "not a kernel crash dump: this is a user-mode minidump (MDMP)");
	else
		return kd_fail(err, errlen, KD_EFORMAT, "not a kernel crash dump: no PAGEDUMP or PAGEDU64 signature");
	size_t hsize = is64 ? DH64_SIZE : DH32_SIZE;
	if (len < hsize)
		return kd_fail(err, errlen, KD_EFORMAT, "truncated dump: %zu bytes, the %s header alone needs %#zx",
		            len, is64 ? "PAGEDU64" : "PAGEDUMP", hsize);
	struct kd_dump *d = calloc(1, sizeof *d);
	if (!d)
		return KD_ENOMEM;
	d->data = buf;
	d->size = len;
	d->is64 = is64;
	d->header_size = hsize;
	d->bugcheck_cpu = -1;
	parse_header_fields(d);
	uint32_t machine = kd_le32(buf + (is64 ? DH64_MACHINE : DH32_MACHINE));
	int rc;
	if (machine != (is64 ? KD_MACHINE_AMD64 : KD_MACHINE_I386)) {
		rc = kd_fail(err, errlen, KD_EFORMAT, "unsupported dump: machine type %#x in a %s header", machine,
		          is64 ? "PAGEDU64" : "PAGEDUMP");
		goto bad;
	}
	d->machine = machine;
	if (d->processors == 0 || d->processors > 4096) {
		rc = kd_fail(err, errlen, KD_EFORMAT, "corrupt dump: %u processors", d->processors);
		goto bad;
	}
	switch (d->dump_type) {
	case KD_DUMP_TYPE_FULL:
		rc = parse_runs(d, err, errlen);
		break;
	case KD_DUMP_TYPE_SUMMARY:
	case KD_DUMP_TYPE_BITMAP_FULL:
	case KD_DUMP_TYPE_BITMAP_KERNEL:
	case KD_DUMP_TYPE_AUTOMATIC:
		rc = parse_bitmap(d, err, errlen);
		break;
	case KD_DUMP_TYPE_TRIAGE:
		rc = parse_triage(d, err, errlen);
		break;
	case KD_DUMP_TYPE_HEADER:
		rc = 0;
		break;
	default:
		rc = kd_fail(err, errlen, KD_EFORMAT, "unsupported dump type %u", d->dump_type);
		break;
	}
	if (rc < 0) {
		if (rc == KD_ENOMEM && err && errlen)
			snprintf(err, errlen, "out of memory reading the dump");
		goto bad;
	}
	load_kdbg_from_memory(d);
	if ((rc = map_triage_copies(d)) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory reading the dump");
		goto bad;
	}
	*out = d;
	return 0;
bad:
	kd_dump_free(d);
	return rc;
}

void kd_dump_free(struct kd_dump *d)
{
	if (!d)
		return;
	free(d->runs);
	free(d->vblocks);
	free(d);
}

/* --- memory ------------------------------------------------------------ */

static const struct kd_dump_run *find_run(const struct kd_dump *d, uint64_t page)
{
	size_t lo = 0, hi = d->nruns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kd_dump_run *r = &d->runs[mid];
		if (page < r->base_page)
			hi = mid;
		else if (page - r->base_page >= r->pages)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int kd_dump_read_physical(const struct kd_dump *d, uint64_t pa, void *buf, uint32_t len, uint32_t *done)
{
	uint8_t *out = buf;
	uint32_t n = 0;
	while (n < len) {
		uint64_t a = pa + n;
		const struct kd_dump_run *r = find_run(d, a / KD_DUMP_PAGE);
		if (!r)
			break;
		uint64_t in_run = a - r->base_page * KD_DUMP_PAGE;
		uint64_t avail = r->pages * KD_DUMP_PAGE - in_run;
		uint32_t chunk = len - n < avail ? len - n : (uint32_t)avail;
		memcpy(out + n, d->data + r->file_offset + in_run, chunk);
		n += chunk;
	}
	if (done)
		*done = n;
	return n == 0 && len ? KD_EUNREADABLE : 0;
}

static int phys_read_cb(void *ctx, uint64_t pa, void *buf, uint32_t len)
{
	uint32_t done = 0;
	int rc = kd_dump_read_physical(ctx, pa, buf, len, &done);
	if (rc < 0)
		return rc;
	return done == len ? 0 : KD_EUNREADABLE;
}

enum kd_paging kd_dump_paging(const struct kd_dump *d)
{
	if (d->machine == KD_MACHINE_AMD64)
		return KD_PAGING_X64;
	return d->pae ? KD_PAGING_PAE : KD_PAGING_X86;
}

int kd_dump_vtop(const struct kd_dump *d, uint64_t dtb, uint64_t va, struct kd_vtop_walk *w)
{
	return kd_vtop(kd_dump_paging(d), dtb, va, phys_read_cb, (void *)d, w);
}

/* A triage block holding va: the one with the highest start <= va that
 * covers it (blocks may overlap). */
static const struct kd_dump_vblock *find_vblock(const struct kd_dump *d, uint64_t va)
{
	size_t lo = 0, hi = d->nvblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->vblocks[mid].address <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		const struct kd_dump_vblock *b = &d->vblocks[i];
		if (b->max_end <= va)
			break;
		if (va - b->address < b->size)
			return b;
	}
	return NULL;
}

int kd_dump_read_virtual(const struct kd_dump *d, uint64_t va, void *buf, uint32_t len, uint32_t *done)
{
	uint8_t *out = buf;
	uint32_t n = 0;
	if (!d->is64 && va > 0xffffffffull) {
		if (done)
			*done = 0;
		return len ? KD_EUNREADABLE : 0;
	}
	if (!d->is64 && len > 0x100000000ull - va)
		len = (uint32_t)(0x100000000ull - va);
	while (n < len) {
		uint64_t a = va + n;
		uint32_t chunk;
		const struct kd_dump_vblock *b = find_vblock(d, a);
		if (b) {
			uint64_t off = a - b->address;
			uint64_t avail = b->size - off;
			chunk = len - n < avail ? len - n : (uint32_t)avail;
			memcpy(out + n, d->data + b->file_offset + off, chunk);
		} else if (d->nruns) {
			struct kd_vtop_walk w;
			if (kd_dump_vtop(d, d->dtb, a, &w) < 0)
				break;
			uint64_t left = KD_DUMP_PAGE - (a & (KD_DUMP_PAGE - 1));
			chunk = len - n < left ? len - n : (uint32_t)left;
			uint32_t got = 0;
			kd_dump_read_physical(d, w.pa, out + n, chunk, &got);
			if (got < chunk) {
				n += got;
				break;
			}
		} else {
			break;
		}
		n += chunk;
	}
	if (done)
		*done = n;
	return n == 0 && len ? KD_EUNREADABLE : 0;
}

static int read_ptr(const struct kd_dump *d, uint64_t va, uint64_t *v)
{
	uint8_t b[8];
	uint32_t n = d->is64 ? 8 : 4, done = 0;
	if (kd_dump_read_virtual(d, va, b, n, &done) < 0 || done < n)
		return KD_EUNREADABLE;
	*v = d->is64 ? kd_le64(b) : kd_le32(b);
	return 0;
}

/* --- registers --------------------------------------------------------- */

static int header_context(const struct kd_dump *d, struct kd_context *out)
{
	size_t n = kd_context_size(d->machine);
	memset(out, 0, sizeof *out);
	out->machine = d->machine;
	if (!in_file(d, d->context_offset, n))
		return KD_EUNREADABLE;
	memcpy(out->u.raw, d->data + d->context_offset, n);
	return 0;
}

static int prcb_address(const struct kd_dump *d, unsigned cpu, uint64_t *prcb)
{
	if (d->kdbg_size < KDBG_MIN_SIZE || cpu >= d->processors)
		return KD_EUNREADABLE;
	uint64_t block = kd_le64(d->kdbg + KDBG_KI_PROCESSOR_BLOCK);
	if (!block || read_ptr(d, block + (uint64_t)cpu * (d->is64 ? 8 : 4), prcb) < 0 || !*prcb)
		return KD_EUNREADABLE;
	return 0;
}

int kd_dump_read_control(const struct kd_dump *d, unsigned cpu, uint64_t addr, void *buf, uint32_t len,
                         uint32_t *done)
{
	uint64_t prcb, v;
	*done = 0;
	if (prcb_address(d, cpu, &prcb) < 0)
		return KD_EUNREADABLE;
	if (!d->is64) {
		uint16_t off = kd_le16(d->kdbg + KDBG_OFFSET_PRCB_PROCSTATE_CONTEXT);
		return off ? kd_dump_read_virtual(d, prcb + off + addr, buf, len, done) : KD_EUNREADABLE;
	}
	switch (addr) {
	case 0:
		v = prcb - kd_le16(d->kdbg + KDBG_OFFSET_PCR_CONTAINED_PRCB);
		break;
	case 1:
		v = prcb;
		break;
	case 2: {
		uint16_t off = kd_le16(d->kdbg + KDBG_OFFSET_PRCB_PROCSTATE_SPECIAL);
		return off ? kd_dump_read_virtual(d, prcb + off, buf, len, done) : KD_EUNREADABLE;
	}
	case 3:
		if (read_ptr(d, prcb + kd_le16(d->kdbg + KDBG_OFFSET_PRCB_CURTHREAD), &v) < 0)
			return KD_EUNREADABLE;
		break;
	default:
		return KD_EUNREADABLE;
	}
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	*done = len < 8 ? len : 8;
	memcpy(buf, b, *done);
	return 0;
}

/* A processor's context from its KPRCB: the Context pointer on newer
 * systems, else ProcessorState.ContextFrame (offsets from KDDEBUGGER_DATA64). */
static int prcb_context(const struct kd_dump *d, unsigned cpu, struct kd_context *out)
{
	uint64_t prcb, ctx;
	if (prcb_address(d, cpu, &prcb) < 0)
		return KD_EUNREADABLE;
	uint16_t off_ctx = kd_le16(d->kdbg + KDBG_OFFSET_PRCB_CONTEXT);
	if (off_ctx) {
		if (read_ptr(d, prcb + off_ctx, &ctx) < 0 || !ctx)
			return KD_EUNREADABLE;
	} else {
		uint16_t off = kd_le16(d->kdbg + KDBG_OFFSET_PRCB_PROCSTATE_CONTEXT);
		if (!off)
			return KD_EUNREADABLE;
		ctx = prcb + off;
	}
	size_t n = kd_context_size(d->machine);
	uint32_t done = 0;
	memset(out, 0, sizeof *out);
	out->machine = d->machine;
	if (kd_dump_read_virtual(d, ctx, out->u.raw, (uint32_t)n, &done) < 0 || done < n)
		return KD_EUNREADABLE;
	uint32_t flags = d->is64 ? out->u.x64.ContextFlags : out->u.x86.ContextFlags;
	if (!(flags & (d->is64 ? KD_CONTEXT_AMD64 : KD_CONTEXT_X86)))
		return KD_EUNREADABLE;
	return 0;
}

/* The processor that bugchecked: the one whose saved context is at the
 * triage stack, or equals the header's; else 0. */
static int find_bugcheck_cpu(const struct kd_dump *d)
{
	struct kd_context hc, c;
	int have_hc = header_context(d, &hc) == 0;
	for (unsigned i = 0; i < d->processors && i < 4096; i++) {
		if (prcb_context(d, i, &c) < 0)
			continue;
		if (d->triage && d->stack_size && kd_context_sp(&c) == d->top_of_stack)
			return (int)i;
		if (have_hc && kd_context_sp(&c) == kd_context_sp(&hc) && kd_context_ip(&c) == kd_context_ip(&hc))
			return (int)i;
	}
	return 0;
}

int kd_dump_context(struct kd_dump *d, unsigned cpu, struct kd_context *out)
{
	if (cpu >= d->processors)
		return KD_EINVAL;
	if (d->bugcheck_cpu < 0)
		d->bugcheck_cpu = find_bugcheck_cpu(d);
	if ((int)cpu == d->bugcheck_cpu)
		return header_context(d, out);
	return prcb_context(d, cpu, out);
}

int kd_dump_exception(const struct kd_dump *d, struct kd_stop_event *out)
{
	memset(out, 0, sizeof *out);
	size_t n = d->is64 ? ER64_SIZE : ER32_SIZE;
	if (!d->exception_offset || !in_file(d, d->exception_offset, n))
		return KD_ENOTFOUND;
	const uint8_t *e = d->data + d->exception_offset;
	out->kind = KD_STOP_EXCEPTION;
	out->processor = d->bugcheck_cpu > 0 ? (unsigned)d->bugcheck_cpu : 0;
	if (!memcmp(e, "PAGE", 4))
		return KD_ENOTFOUND;
	if (d->is64) {
		out->code = kd_le32(e + ER64_CODE);
		out->flags = kd_le32(e + ER64_FLAGS);
		out->address = kd_le64(e + ER64_ADDRESS);
		out->nparams = kd_le32(e + ER64_NPARAMS);
		if (out->nparams > 15)
			out->nparams = 15;
		for (uint32_t i = 0; i < out->nparams; i++)
			out->params[i] = kd_le64(e + ER64_PARAMS + 8 * i);
	} else {
		out->code = kd_le32(e + ER32_CODE);
		out->flags = kd_le32(e + ER32_FLAGS);
		out->address = kd_le32(e + ER32_ADDRESS);
		out->nparams = kd_le32(e + ER32_NPARAMS);
		if (out->nparams > 15)
			out->nparams = 15;
		for (uint32_t i = 0; i < out->nparams; i++)
			out->params[i] = kd_le32(e + ER32_PARAMS + 4 * i);
	}
	out->pc = out->address;
	return 0;
}

/* --- version and modules ----------------------------------------------- */

void kd_dump_version(const struct kd_dump *d, struct kd_version *out)
{
	memset(out, 0, sizeof *out);
	out->machine = d->machine;
	out->major = (uint16_t)d->major;
	out->build = (uint16_t)d->minor;
	out->kd_secondary_version = d->kd_secondary_version;
	out->flags = (d->processors > 1 ? 0x1 : 0) | 0x2 | (d->is64 ? 0x4 : 0);
	out->processors = d->processors;
	out->ps_loaded_module_list = d->ps_loaded_module_list;
	out->debugger_data_list = d->kddebugger_data;
	if (d->kdbg_size >= KDBG_MIN_SIZE)
		out->kern_base = kd_le64(d->kdbg + KDBG_KERN_BASE);
	if (!out->kern_base && d->triage && d->driver_count)
		out->kern_base = kd_le64(d->data + d->driver_list + (d->is64 ? TD64_DRIVER_LDR + LDR64_DLL_BASE : TD32_DRIVER_LDR + LDR32_DLL_BASE));
	if (!out->kern_base && d->ps_loaded_module_list) {
		uint64_t first;
		if (read_ptr(d, d->ps_loaded_module_list, &first) == 0 && first != d->ps_loaded_module_list)
			read_ptr(d, first + (d->is64 ? LDR64_DLL_BASE : LDR32_DLL_BASE), &out->kern_base);
		if (!d->is64)
			out->kern_base &= 0xffffffffull;
	}
}

/* UTF-16LE to UTF-8, stopping at NUL or the end of room. */
static void utf16_to_utf8(const uint8_t *s, size_t nchars, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < nchars && outlen; i++) {
		unsigned c = kd_le16(s + 2 * i);
		if (c == 0)
			break;
		char tmp[3];
		size_t n;
		if (c < 0x80) {
			tmp[0] = (char)c;
			n = 1;
		} else if (c < 0x800) {
			tmp[0] = (char)(0xc0 | c >> 6);
			tmp[1] = (char)(0x80 | (c & 0x3f));
			n = 2;
		} else {
			tmp[0] = (char)(0xe0 | c >> 12);
			tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			tmp[2] = (char)(0x80 | (c & 0x3f));
			n = 3;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (outlen)
		out[o] = '\0';
}

/* "nt" for the kernel, else the file name without its extension. */
static void module_name(const char *path, int first, char *name, size_t n)
{
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '\\' || *p == '/')
			base = p + 1;
	if (first || !strncasecmp(base, "ntoskrnl", 8) || !strncasecmp(base, "ntkrnl", 6) ||
	    !strncasecmp(base, "ntkrpamp", 8)) {
		if (first || strchr(base, '.'))
			base = "nt";
	}
	snprintf(name, n, "%s", base);
	char *dot = strrchr(name, '.');
	if (dot && dot != name)
		*dot = '\0';
}

static int triage_modules(const struct kd_dump *d, struct kd_module *m, size_t *count)
{
	size_t esize = d->is64 ? TD64_DRIVER_SIZE : TD32_DRIVER_SIZE;
	size_t n = 0;
	for (size_t i = 0; i < d->driver_count; i++) {
		const uint8_t *e = d->data + d->driver_list + i * esize;
		const uint8_t *l = e + (d->is64 ? TD64_DRIVER_LDR : TD32_DRIVER_LDR);
		struct kd_module *mod = &m[n];
		memset(mod, 0, sizeof *mod);
		if (d->is64) {
			mod->base = kd_le64(l + LDR64_DLL_BASE);
			mod->size = kd_le32(l + LDR64_SIZE_OF_IMAGE);
			mod->checksum = kd_le32(l + LDR64_CHECKSUM);
			mod->timestamp = kd_le32(l + LDR64_TIMESTAMP);
		} else {
			mod->base = kd_le32(l + LDR32_DLL_BASE);
			mod->size = kd_le32(l + LDR32_SIZE_OF_IMAGE);
			mod->checksum = kd_le32(l + LDR32_CHECKSUM);
			mod->timestamp = kd_le32(l + LDR32_TIMESTAMP);
		}
		uint32_t no = kd_le32(e);
		if (in_file(d, no, 4)) {
			uint32_t chars = kd_le32(d->data + no);
			uint64_t room = (d->size - no - 4) / 2;
			utf16_to_utf8(d->data + no + 4, chars < room ? chars : room, mod->path, sizeof mod->path);
		}
		module_name(mod->path, n == 0, mod->name, sizeof mod->name);
		n++;
	}
	*count = n;
	return 0;
}

static int read_unicode(const struct kd_dump *d, uint64_t us, char *out, size_t outlen)
{
	uint8_t hdr[16];
	uint32_t done = 0;
	uint32_t n = d->is64 ? 16 : 8;
	out[0] = '\0';
	if (kd_dump_read_virtual(d, us, hdr, n, &done) < 0 || done < n)
		return KD_EUNREADABLE;
	uint16_t len = kd_le16(hdr);
	uint64_t buf = d->is64 ? kd_le64(hdr + 8) : kd_le32(hdr + 4);
	uint8_t s[520];
	if (len > sizeof s)
		len = sizeof s;
	len &= ~1u;
	if (kd_dump_read_virtual(d, buf, s, len, &done) < 0)
		return KD_EUNREADABLE;
	utf16_to_utf8(s, done / 2, out, outlen);
	return 0;
}

static int list_modules(const struct kd_dump *d, struct kd_module **list, size_t *count)
{
	size_t cap = 0, n = 0;
	struct kd_module *m = NULL;
	uint64_t head = d->ps_loaded_module_list, e;
	if (!head || read_ptr(d, head, &e) < 0)
		return KD_EUNREADABLE;
	while (e && e != head && n < 4096) {
		uint8_t l[LDR64_SIZE];
		uint32_t lsize = d->is64 ? LDR64_SIZE : LDR32_SIZE, done = 0;
		if (kd_dump_read_virtual(d, e, l, lsize, &done) < 0 || done < lsize)
			break;
		if (KD_ARRAY_RESERVE(m, cap, n + 1) < 0) {
			free(m);
			return KD_ENOMEM;
		}
		struct kd_module *mod = &m[n];
		memset(mod, 0, sizeof *mod);
		if (d->is64) {
			mod->base = kd_le64(l + LDR64_DLL_BASE);
			mod->size = kd_le32(l + LDR64_SIZE_OF_IMAGE);
			mod->checksum = kd_le32(l + LDR64_CHECKSUM);
			mod->timestamp = kd_le32(l + LDR64_TIMESTAMP);
			read_unicode(d, e + LDR64_FULL_NAME, mod->path, sizeof mod->path);
		} else {
			mod->base = kd_le32(l + LDR32_DLL_BASE);
			mod->size = kd_le32(l + LDR32_SIZE_OF_IMAGE);
			mod->checksum = kd_le32(l + LDR32_CHECKSUM);
			mod->timestamp = kd_le32(l + LDR32_TIMESTAMP);
			read_unicode(d, e + LDR32_FULL_NAME, mod->path, sizeof mod->path);
		}
		module_name(mod->path, n == 0, mod->name, sizeof mod->name);
		n++;
		e = d->is64 ? kd_le64(l) : kd_le32(l);
	}
	*list = m;
	*count = n;
	return 0;
}

int kd_dump_modules(const struct kd_dump *d, struct kd_module **list, size_t *count)
{
	*list = NULL;
	*count = 0;
	if (d->triage) {
		if (!d->driver_count)
			return 0;
		struct kd_module *m = calloc(d->driver_count, sizeof *m);
		if (!m)
			return KD_ENOMEM;
		*list = m;
		return triage_modules(d, m, count);
	}
	return list_modules(d, list, count);
}

const char *kd_dump_type_name(const struct kd_dump *d)
{
	switch (d->dump_type) {
	case KD_DUMP_TYPE_FULL:
		return "Kernel Complete Dump File: Full address space is available";
	case KD_DUMP_TYPE_SUMMARY:
		return "Kernel Summary Dump File: Only kernel address space is available";
	case KD_DUMP_TYPE_TRIAGE:
		return "Mini Kernel Dump File: Only registers and stack trace are available";
	case KD_DUMP_TYPE_BITMAP_FULL:
		return "Kernel Bitmap Dump File: Full address space is available";
	case KD_DUMP_TYPE_BITMAP_KERNEL:
	case KD_DUMP_TYPE_AUTOMATIC:
		return "Kernel Bitmap Dump File: Kernel address space is available, User address space may not be available.";
	default:
		return "Kernel Dump File: Only the dump header is available";
	}
}
