/*
 * I/O manager objects in WinDbg's layout: !irp, !devobj, !drvobj. IRP,
 * IO_STACK_LOCATION, DEVICE_OBJECT and DRIVER_OBJECT are public WDK
 * structures (wdm.h) whose layouts have not changed from Windows 7 to 11;
 * object names come from the object header's OBJECT_HEADER_NAME_INFO
 * (InfoMask bit 1, after the creator info of bit 0). Walks are bounded
 * by the IRP's StackCount and stop on loops.
 */
#include <stdio.h>
#include <string.h>

#include "kd/commands/command.h"
#include "kd/commands/walk.h"

/* Offsets on x64 and x86 (wdm.h). */
struct io_layout {
	unsigned irp_mdl, irp_flags, irp_sysbuf, irp_pending, irp_stackcount, irp_curloc, irp_thread,
	    irp_curstack, irp_size, sl_size, sl_params, sl_device, sl_file, sl_completion, sl_context,
	    dev_driver, dev_next, dev_attached, dev_curirp, dev_flags, dev_chars, dev_ext, dev_type,
	    dev_refcount, dev_objext, drv_device, drv_name, hdr_body, hdr_infomask, hdr_creator, hdr_nameinfo,
	    nameinfo_name;
};

static const struct io_layout io64 = {
	.irp_mdl = 0x08, .irp_flags = 0x10, .irp_sysbuf = 0x18, .irp_pending = 0x41, .irp_stackcount = 0x42,
	.irp_curloc = 0x43, .irp_thread = 0x98, .irp_curstack = 0xb8, .irp_size = 0xd0, .sl_size = 0x48,
	.sl_params = 0x08, .sl_device = 0x28, .sl_file = 0x30, .sl_completion = 0x38, .sl_context = 0x40,
	.dev_driver = 0x08, .dev_next = 0x10, .dev_attached = 0x18, .dev_curirp = 0x20, .dev_flags = 0x30,
	.dev_chars = 0x34, .dev_ext = 0x40, .dev_type = 0x48, .dev_refcount = 0x04, .dev_objext = 0x138,
	.drv_device = 0x08, .drv_name = 0x38, .hdr_body = 0x30, .hdr_infomask = 0x1a, .hdr_creator = 0x20,
	.hdr_nameinfo = 0x20, .nameinfo_name = 0x08,
};

static const struct io_layout io32 = {
	.irp_mdl = 0x04, .irp_flags = 0x08, .irp_sysbuf = 0x0c, .irp_pending = 0x21, .irp_stackcount = 0x22,
	.irp_curloc = 0x23, .irp_thread = 0x50, .irp_curstack = 0x60, .irp_size = 0x70, .sl_size = 0x24,
	.sl_params = 0x04, .sl_device = 0x14, .sl_file = 0x18, .sl_completion = 0x1c, .sl_context = 0x20,
	.dev_driver = 0x08, .dev_next = 0x0c, .dev_attached = 0x10, .dev_curirp = 0x14, .dev_flags = 0x1c,
	.dev_chars = 0x20, .dev_ext = 0x28, .dev_type = 0x2c, .dev_refcount = 0x04, .dev_objext = 0xb0,
	.drv_device = 0x04, .drv_name = 0x1c, .hdr_body = 0x18, .hdr_infomask = 0x0e, .hdr_creator = 0x10,
	.hdr_nameinfo = 0x10, .nameinfo_name = 0x04,
};

static const struct io_layout *layout(struct kd_engine *eng)
{
	return kd_engine_is_64bit(eng) ? &io64 : &io32;
}

static uint64_t rd(struct kd_engine *eng, uint64_t addr, unsigned size, int *ok)
{
	uint8_t b[8] = { 0 };
	size_t done = 0;
	if (size > 8 || kd_read_virtual(eng, addr, b, size, &done) < 0 || done != size) {
		if (ok)
			*ok = 0;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = (v << 8) | b[i];
	return v;
}

static uint64_t rdp(struct kd_engine *eng, uint64_t addr, int *ok)
{
	return rd(eng, addr, kd_engine_pointer_size(eng), ok);
}

/* A UNICODE_STRING at us, as ASCII text ("" when unreadable). */
static void unicode_string(struct kd_engine *eng, uint64_t us, char *out, size_t n)
{
	int ok = 1;
	unsigned len = (unsigned)rd(eng, us, 2, &ok);
	uint64_t buf = rdp(eng, us + kd_engine_pointer_size(eng), &ok);
	size_t k = 0;
	out[0] = 0;
	if (!ok || !buf)
		return;
	for (unsigned i = 0; i + 1 < len && k + 1 < n && i < 1024; i += 2) {
		unsigned ch = (unsigned)rd(eng, buf + i, 2, &ok);
		if (!ok)
			break;
		out[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[k] = 0;
}

/* An object's name from its header's name information, "" without one. */
static void object_name(struct kd_engine *eng, uint64_t obj, char *out, size_t n)
{
	const struct io_layout *l = layout(eng);
	int ok = 1;
	uint64_t hdr = obj - l->hdr_body;
	unsigned mask = (unsigned)rd(eng, hdr + l->hdr_infomask, 1, &ok);
	out[0] = 0;
	if (!ok || !(mask & 2))
		return;
	uint64_t info = hdr - l->hdr_nameinfo - ((mask & 1) ? l->hdr_creator : 0);
	unicode_string(eng, info + l->nameinfo_name, out, n);
}

/* "\Driver\Name" of a device's driver, "" when unknown. */
static void driver_of_device(struct kd_engine *eng, uint64_t dev, char *out, size_t n)
{
	int ok = 1;
	uint64_t drv = dev ? rdp(eng, dev + layout(eng)->dev_driver, &ok) : 0;
	out[0] = 0;
	if (ok && drv)
		unicode_string(eng, drv + layout(eng)->drv_name, out, n);
}

static const char *z8(uint64_t v, char buf[20])
{
	snprintf(buf, 20, "%08llx", (unsigned long long)v);
	return buf;
}

static int cmd_irp(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	const struct io_layout *l = layout(eng);
	uint64_t irp;
	int rc, ok = 1;
	const char *p = kd_skip_spaces(args);
	if (!*p || *p == ';') {
		kd_eprintf(eng, "Syntax error: !irp Address\n");
		return KD_EINVAL;
	}
	if ((rc = kd_cmd_eval(eng, p, &irp, NULL)) < 0)
		return rc;
	if (!kd_engine_is_64bit(eng))
		irp &= 0xffffffffull;
	char a[20], b[20], c[20], d[20], e[20], f[20];
	unsigned type = (unsigned)rd(eng, irp, 2, &ok);
	unsigned count = (unsigned)rd(eng, irp + l->irp_stackcount, 1, &ok);
	unsigned cur = (unsigned)rd(eng, irp + l->irp_curloc, 1, &ok);
	uint64_t curstack = rdp(eng, irp + l->irp_curstack, &ok);
	uint64_t mdl = rdp(eng, irp + l->irp_mdl, &ok), sysbuf = rdp(eng, irp + l->irp_sysbuf, &ok);
	uint64_t thread = rdp(eng, irp + l->irp_thread, &ok);
	unsigned pending = (unsigned)rd(eng, irp + l->irp_pending, 1, &ok);
	if (!ok) {
		kd_eprintf(eng, "Unable to read the IRP at %s\n", kd_format_addr(eng, irp, a));
		return KD_EUNREADABLE;
	}
	if (type != 6)
		kd_printf(eng, "IRP signature does not match, probably not an IRP (Type %x)\n", type);
	if (cur > count)
		kd_printf(eng, "Irp is completed.  Pending has %sbeen returned\n", pending ? "" : "not ");
	else
		kd_printf(eng, "Irp is active with %u stacks %u is current (= 0x%s)\n", count, cur,
		          kd_format_addr(eng, curstack, a));
	if (mdl)
		kd_printf(eng, " Mdl=%s: ", kd_format_ptr(eng, mdl, a));
	else
		kd_printf(eng, " No Mdl: ");
	if (sysbuf)
		kd_printf(eng, "System buffer=%s: ", kd_format_ptr(eng, sysbuf, a));
	else
		kd_printf(eng, "No System Buffer: ");
	kd_printf(eng, "Thread %s:  Irp stack trace.  %s\n", z8(thread, a), pending ? "Pending has been returned" : "");
	kd_printf(eng, "     cmd  flg cl Device   File     Completion-Context\n");
	for (unsigned i = 0; i < count && !kd_engine_canceled(eng); i++) {
		uint64_t sl = irp + l->irp_size + (uint64_t)i * l->sl_size;
		uint8_t h[4] = { 0 };
		size_t done = 0;
		if (kd_read_virtual(eng, sl, h, 4, &done) < 0 || done != 4) {
			kd_printf(eng, "Unable to read stack location %u at %s\n", i + 1, kd_format_addr(eng, sl, a));
			break;
		}
		uint64_t dev = rdp(eng, sl + l->sl_device, &ok), file = rdp(eng, sl + l->sl_file, &ok);
		uint64_t compl = rdp(eng, sl + l->sl_completion, &ok), ctx = rdp(eng, sl + l->sl_context, &ok);
		kd_printf(eng, "%c[%3x,%2x]  %2x %2x %s %s %s-%s %s%s%s%s\n", sl == curstack ? '>' : ' ', h[0], h[1], h[2],
		          h[3], z8(dev, a), z8(file, b), z8(compl, c), z8(ctx, d), h[3] & 0x40 ? " Success" : "",
		          h[3] & 0x80 ? " Error" : "", h[3] & 0x20 ? " Cancel" : "", h[3] & 0x01 ? " pending" : "");
		char drv[128], sym[256];
		driver_of_device(eng, dev, drv, sizeof drv);
		if (compl && kd_format_symbol(eng, compl, sym, sizeof sym) < 0)
			snprintf(sym, sizeof sym, "%s", kd_format_ptr(eng, compl, e));
		else if (!compl)
			sym[0] = 0;
		if (drv[0] || sym[0])
			kd_printf(eng, "\t       %s\t%s\n", drv, sym);
		else
			kd_printf(eng, "\n");
		unsigned ps = kd_engine_pointer_size(eng);
		kd_printf(eng, "\t\t\tArgs: %s %s %s %s\n", z8(rdp(eng, sl + l->sl_params, &ok), a),
		          z8(rdp(eng, sl + l->sl_params + ps, &ok), b), z8(rdp(eng, sl + l->sl_params + 2 * ps, &ok), c),
		          z8(rdp(eng, sl + l->sl_params + 3 * ps, &ok), f));
	}
	return 0;
}

static const char *const characteristics[] = {
	"FILE_REMOVABLE_MEDIA", "FILE_READ_ONLY_DEVICE", "FILE_FLOPPY_DISKETTE", "FILE_WRITE_ONCE_MEDIA",
	"FILE_REMOTE_DEVICE", "FILE_DEVICE_IS_MOUNTED", "FILE_VIRTUAL_VOLUME", "FILE_AUTOGENERATED_DEVICE_NAME",
	"FILE_DEVICE_SECURE_OPEN",
};

static int parse_object(struct kd_engine *eng, const char *args, const char *syntax, uint64_t *obj)
{
	const char *p = kd_skip_spaces(args);
	if (!*p || *p == ';') {
		kd_eprintf(eng, "Syntax error: %s\n", syntax);
		return KD_EINVAL;
	}
	int rc = kd_cmd_eval(eng, p, obj, NULL);
	if (rc == 0 && !kd_engine_is_64bit(eng))
		*obj &= 0xffffffffull;
	return rc;
}

static int cmd_devobj(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	const struct io_layout *l = layout(eng);
	uint64_t dev;
	int rc, ok = 1;
	char a[20], b[20], nm[128], drvname[128];
	if ((rc = parse_object(eng, args, "!devobj DeviceAddress", &dev)) < 0)
		return rc;
	unsigned type = (unsigned)rd(eng, dev, 2, &ok);
	uint64_t drv = rdp(eng, dev + l->dev_driver, &ok), irp = rdp(eng, dev + l->dev_curirp, &ok);
	uint64_t refs = rd(eng, dev + l->dev_refcount, 4, &ok), dtype = rd(eng, dev + l->dev_type, 4, &ok);
	uint64_t flags = rd(eng, dev + l->dev_flags, 4, &ok), chars = rd(eng, dev + l->dev_chars, 4, &ok);
	uint64_t ext = rdp(eng, dev + l->dev_ext, &ok), objext = rdp(eng, dev + l->dev_objext, &ok);
	uint64_t attached = rdp(eng, dev + l->dev_attached, &ok);
	if (!ok) {
		kd_eprintf(eng, "Unable to read the device object at %s\n", kd_format_addr(eng, dev, a));
		return KD_EUNREADABLE;
	}
	if (type != 3)
		kd_printf(eng, "%s: is not a device object (Type %x)\n", kd_format_ptr(eng, dev, a), type);
	object_name(eng, dev, nm, sizeof nm);
	unicode_string(eng, drv + l->drv_name, drvname, sizeof drvname);
	kd_printf(eng, "Device object (%s) is for:\n", kd_format_ptr(eng, dev, a));
	kd_printf(eng, " %s %s DriverObject %s\n", nm, drvname, kd_format_ptr(eng, drv, a));
	kd_printf(eng, "Current Irp %s RefCount %u Type %08x Flags %08x\n", z8(irp, a), (unsigned)refs, (unsigned)dtype,
	          (unsigned)flags);
	kd_printf(eng, "DevExt %s DevObjExt %s \n", kd_format_ptr(eng, ext, a), kd_format_ptr(eng, objext, b));
	if (chars) {
		kd_printf(eng, "Characteristics (0x%08x) ", (unsigned)chars);
		for (unsigned i = 0; i < sizeof characteristics / sizeof characteristics[0]; i++)
			if (chars & (1u << i))
				kd_printf(eng, " %s", characteristics[i]);
		kd_printf(eng, "\n");
	}
	if (attached) {
		char an[128];
		driver_of_device(eng, attached, an, sizeof an);
		kd_printf(eng, "AttachedDevice (Upper) %s %s\n", kd_format_ptr(eng, attached, a), an);
	}
	kd_printf(eng, "Device queue is %sbusy.\n", irp ? "" : "not ");
	return 0;
}

static int cmd_drvobj(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	const struct io_layout *l = layout(eng);
	uint64_t drv;
	int rc, ok = 1;
	char a[20], nm[128];
	if ((rc = parse_object(eng, args, "!drvobj DriverAddress [Flags]", &drv)) < 0)
		return rc;
	unsigned type = (unsigned)rd(eng, drv, 2, &ok);
	uint64_t dev = rdp(eng, drv + l->drv_device, &ok);
	if (!ok) {
		kd_eprintf(eng, "Unable to read the driver object at %s\n", kd_format_addr(eng, drv, a));
		return KD_EUNREADABLE;
	}
	if (type != 4)
		kd_printf(eng, "%s: is not a driver object (Type %x)\n", kd_format_ptr(eng, drv, a), type);
	unicode_string(eng, drv + l->drv_name, nm, sizeof nm);
	kd_printf(eng, "Driver object (%s) is for:\n %s\n\n", kd_format_ptr(eng, drv, a), nm);
	kd_printf(eng, "Driver Extension List: (id , addr)\n\n");
	kd_printf(eng, "Device Object list:\n");
	struct kd_seen seen = { 0 };
	for (unsigned n = 0; dev && !kd_engine_canceled(eng); n++) {
		if (n >= 4096 || kd_seen_add(&seen, dev) != 0) {
			kd_printf(eng, "\nThe device list loops at %s: stopping", kd_format_ptr(eng, dev, a));
			break;
		}
		kd_printf(eng, "%s  ", kd_format_ptr(eng, dev, a));
		ok = 1;
		dev = rdp(eng, dev + l->dev_next, &ok);
		if (!ok)
			break;
	}
	kd_seen_free(&seen);
	kd_printf(eng, "\n");
	return 0;
}

const struct kd_command kd_cmds_io[] = {
	{ "!irp", cmd_irp, "!irp Address", "an IRP: its stack locations (> the current one), devices, drivers and completion routines" },
	{ "!devobj", cmd_devobj, "!devobj DeviceAddress", "a device object: name, driver, current IRP, flags, extension, attached device" },
	{ "!drvobj", cmd_drvobj, "!drvobj DriverAddress [Flags]", "a driver object: its name and its device objects" },
	{ NULL, NULL, NULL, NULL },
};
