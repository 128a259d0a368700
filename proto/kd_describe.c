/*
 * One-line KD packet descriptions (see kd_describe.h).
 */
#include "proto/kd_describe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "base/error.h"
#include "proto/dbgkd.h"

/* A bounded line being built; output past the end is dropped. */
struct line {
	char *buf;
	size_t n, len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	if (l->len + 1 >= l->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(l->buf + l->len, l->n - l->len, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	l->len += (size_t)w;
	if (l->len >= l->n)
		l->len = l->n - 1;
}

/* Printable text in quotes, escapes for the rest, at most max bytes shown. */
static void add_text(struct line *l, const uint8_t *s, size_t len, size_t max)
{
	add(l, "\"");
	for (size_t i = 0; i < len && i < max; i++) {
		uint8_t c = s[i];
		if (c == '\n')
			add(l, "\\n");
		else if (c == '\r')
			add(l, "\\r");
		else if (c == '\t')
			add(l, "\\t");
		else if (c == '"' || c == '\\')
			add(l, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			add(l, "%c", c);
		else
			add(l, "\\x%02x", c);
	}
	add(l, len > max ? "\"..." : "\"");
}

/* UTF-16LE text (file names), ASCII shown as is. */
static void add_utf16(struct line *l, const uint8_t *s, size_t len, size_t max)
{
	add(l, "\"");
	for (size_t i = 0; i + 1 < len && i / 2 < max; i += 2) {
		unsigned c = s[i] | s[i + 1] << 8;
		if (c == 0)
			break;
		if (c >= 0x20 && c < 0x7f && c != '"')
			add(l, "%c", (char)c);
		else
			add(l, "\\u%04x", c);
	}
	add(l, "\"");
}

/* Copy a fixed structure out of the payload, zero-filled when short. */
static int take(void *dst, size_t size, const uint8_t *p, size_t len, size_t off)
{
	memset(dst, 0, size);
	if (off >= len)
		return 0;
	size_t n = len - off < size ? len - off : size;
	memcpy(dst, p + off, n);
	return n == size;
}

int kd_packet_api(uint16_t type, const uint8_t *payload, size_t len, uint32_t *api)
{
	switch (type) {
	case KD_PACKET_TYPE_KD_STATE_CHANGE32:
	case KD_PACKET_TYPE_KD_STATE_MANIPULATE:
	case KD_PACKET_TYPE_KD_DEBUG_IO:
	case KD_PACKET_TYPE_KD_STATE_CHANGE64:
	case KD_PACKET_TYPE_KD_FILE_IO:
		if (len < 4)
			return KD_ENOTFOUND;
		*api = kd_le32(payload);
		return 0;
	default:
		return KD_ENOTFOUND;
	}
}

static void add_api(struct line *l, uint32_t api)
{
	const char *name = dbgkd_api_name(api);
	if (name)
		add(l, " %s", name);
	else
		add(l, " api=0x%x(unknown)", api);
}

static void describe_manipulate(struct line *l, const uint8_t *p, size_t len)
{
	struct dbgkd_manipulate_state64 m;
	int whole = take(&m, sizeof m, p, len, 0);
	size_t extra = len > sizeof m ? len - sizeof m : 0;

	add_api(l, m.ApiNumber);
	add(l, " cpu=%u status=0x%08x", m.Processor, m.ReturnStatus);
	switch (m.ApiNumber) {
	case DbgKdReadVirtualMemoryApi:
	case DbgKdWriteVirtualMemoryApi:
	case DbgKdReadPhysicalMemoryApi:
	case DbgKdWritePhysicalMemoryApi:
	case DbgKdReadControlSpaceApi:
	case DbgKdWriteControlSpaceApi:
	case DbgKdReadIoSpaceApi:
	case DbgKdWriteIoSpaceApi:
		add(l, " addr=%016llx count=0x%x actual=0x%x", (unsigned long long)m.u.ReadMemory.TargetBaseAddress,
		    m.u.ReadMemory.TransferCount, m.u.ReadMemory.ActualBytesRead);
		break;
	case DbgKdGetContextExApi:
	case DbgKdSetContextExApi:
		add(l, " offset=0x%x count=0x%x copied=0x%x", m.u.ContextEx.Offset, m.u.ContextEx.ByteCount,
		    m.u.ContextEx.BytesCopied);
		break;
	case DbgKdContinueApi:
		add(l, " continue=0x%08x", m.u.Continue.ContinueStatus);
		break;
	case DbgKdContinueApi2:
		add(l, " continue=0x%08x trace=%u dr7=%llx", m.u.Continue2.ContinueStatus,
		    m.u.Continue2.u.Amd64ControlSet.TraceFlag,
		    (unsigned long long)m.u.Continue2.u.Amd64ControlSet.Dr7);
		break;
	case DbgKdGetVersionApi: {
		const struct dbgkd_get_version64 *v = &m.u.GetVersion64;
		/* only a reply carries the version (requests hold garbage) */
		if (m.ReturnStatus == KD_STATUS_SUCCESS && (v->MajorVersion || v->KernBase))
			add(l, " major=0x%x build=%u protocol=%u.%u flags=0x%x machine=0x%x kernbase=%016llx"
			    " psloadedmodulelist=%016llx debuggerdatalist=%016llx",
			    v->MajorVersion, v->MinorVersion, v->ProtocolVersion, v->KdSecondaryVersion, v->Flags,
			    v->MachineType, (unsigned long long)v->KernBase,
			    (unsigned long long)v->PsLoadedModuleList, (unsigned long long)v->DebuggerDataList);
		break;
	}
	case DbgKdWriteBreakPointApi:
	case DbgKdWriteBreakPointExApi:
		add(l, " addr=%016llx handle=0x%x", (unsigned long long)m.u.WriteBreakPoint.BreakPointAddress,
		    m.u.WriteBreakPoint.BreakPointHandle);
		break;
	case DbgKdRestoreBreakPointApi:
		add(l, " handle=0x%x", m.u.RestoreBreakPoint.BreakPointHandle);
		break;
	case DbgKdReadMachineSpecificRegister:
	case DbgKdWriteMachineSpecificRegister:
		add(l, " msr=0x%x value=%08x%08x", m.u.ReadWriteMsr.Msr, m.u.ReadWriteMsr.DataValueHigh,
		    m.u.ReadWriteMsr.DataValueLow);
		break;
	case DbgKdQueryMemoryApi:
		add(l, " addr=%016llx space=%u flags=0x%x", (unsigned long long)m.u.QueryMemory.Address,
		    m.u.QueryMemory.AddressSpace, m.u.QueryMemory.Flags);
		break;
	default:
		break;
	}
	if (!whole)
		add(l, " (short: %zu of %zu bytes)", len, sizeof m);
	else if (extra)
		add(l, " data=0x%zx", extra);
}

static void describe_state_change(struct line *l, const uint8_t *p, size_t len)
{
	struct dbgkd_wait_state_change64 s;
	int whole = take(&s, sizeof s, p, len, 0);

	add_api(l, s.NewState);
	add(l, " cpu=%u/%u thread=%016llx pc=%016llx", s.Processor, s.NumberProcessors,
	    (unsigned long long)s.Thread, (unsigned long long)s.ProgramCounter);
	switch (s.NewState) {
	case DbgKdExceptionStateChange: {
		const struct dbgkd_exception_record64 *e = &s.u.Exception.ExceptionRecord;
		add(l, " code=0x%08x addr=%016llx params=%u first=%u", e->ExceptionCode,
		    (unsigned long long)e->ExceptionAddress, e->NumberParameters, s.u.Exception.FirstChance);
		break;
	}
	case DbgKdLoadSymbolsStateChange: {
		const struct dbgkd_load_symbols64 *ls = &s.u.LoadSymbols;
		add(l, " %s base=%016llx size=0x%x checksum=0x%x", ls->UnloadSymbols ? "unload" : "load",
		    (unsigned long long)ls->BaseOfDll, ls->SizeOfImage, ls->CheckSum);
		if (len > sizeof s) {
			size_t plen = len - sizeof s;
			if (ls->PathNameLength < plen)
				plen = ls->PathNameLength;
			/* The path is NUL-terminated inside its length. */
			size_t shown = strnlen((const char *)p + sizeof s, plen);
			add(l, " path=");
			add_text(l, p + sizeof s, shown, 260);
		}
		break;
	}
	case DbgKdCommandStringStateChange:
		if (len > sizeof s) {
			add(l, " command=");
			add_text(l, p + sizeof s, strnlen((const char *)p + sizeof s, len - sizeof s), 200);
		}
		break;
	default:
		break;
	}
	if (!whole)
		add(l, " (short: %zu of %zu bytes)", len, sizeof s);
}

/* DBGKD_DEBUG_IO on the wire: ApiNumber, ProcessorLevel, Processor and
 * the 8-byte union, then the text. The real capture's DbgPrint packets
 * (ByteCount 46 for a 30-byte string) show this 16-byte header. */
#define DEBUG_IO_WIRE_HEADER 16

static void describe_debug_io(struct line *l, const uint8_t *p, size_t len)
{
	struct dbgkd_debug_io d;
	memset(&d, 0, sizeof d);
	int whole = take(&d, DEBUG_IO_WIRE_HEADER, p, len, 0);
	size_t tlen = len > DEBUG_IO_WIRE_HEADER ? len - DEBUG_IO_WIRE_HEADER : 0;
	const uint8_t *text = p + DEBUG_IO_WIRE_HEADER;

	add_api(l, d.ApiNumber);
	add(l, " cpu=%u", d.Processor);
	if (d.ApiNumber == DbgKdPrintStringApi) {
		add(l, " length=%u text=", d.u.PrintString.LengthOfString);
		if (d.u.PrintString.LengthOfString < tlen)
			tlen = d.u.PrintString.LengthOfString;
		add_text(l, text, tlen, 400);
	} else if (d.ApiNumber == DbgKdGetStringApi) {
		add(l, " prompt_length=%u read=%u text=", d.u.GetString.LengthOfPromptString,
		    d.u.GetString.LengthOfStringRead);
		add_text(l, text, strnlen((const char *)text, tlen), 400);
	}
	if (!whole)
		add(l, " (short: %zu of %d bytes)", len, DEBUG_IO_WIRE_HEADER);
}

static void describe_file_io(struct line *l, const uint8_t *p, size_t len)
{
	struct dbgkd_file_io f;
	int whole = take(&f, sizeof f, p, len, 0);
	size_t extra = len > sizeof f ? len - sizeof f : 0;

	add_api(l, f.ApiNumber);
	add(l, " status=0x%08x", f.Status);
	switch (f.ApiNumber) {
	case DbgKdCreateFileApi:
		add(l, " access=0x%x disposition=%u handle=%llx length=0x%llx", f.u.CreateFile.DesiredAccess,
		    f.u.CreateFile.CreateDisposition, (unsigned long long)f.u.CreateFile.Handle,
		    (unsigned long long)f.u.CreateFile.Length);
		if (extra) {
			add(l, " name=");
			add_utf16(l, p + sizeof f, extra, 260);
		}
		break;
	case DbgKdReadFileApi:
	case DbgKdWriteFileApi:
		add(l, " handle=%llx offset=0x%llx length=0x%x", (unsigned long long)f.u.ReadFile.Handle,
		    (unsigned long long)f.u.ReadFile.Offset, f.u.ReadFile.Length);
		if (extra)
			add(l, " data=0x%zx", extra);
		break;
	case DbgKdCloseFileApi:
		add(l, " handle=%llx", (unsigned long long)f.u.CloseFile.Handle);
		break;
	default:
		break;
	}
	if (!whole)
		add(l, " (short: %zu of %zu bytes)", len, sizeof f);
}

const char *kd_describe(const struct kd_packet_header *h, const uint8_t *payload, size_t payload_len,
                        char *buf, size_t n)
{
	struct line l = { buf, n, 0 };
	const char *tname = kd_packet_type_name(h->type);

	if (!n)
		return buf;
	buf[0] = '\0';
	if (h->leader == KD_CONTROL_PACKET_LEADER)
		add(&l, "ctrl ");
	else if (h->leader == KD_PACKET_LEADER)
		add(&l, "data ");
	else if (h->leader == KD_BREAKIN_PACKET)
		add(&l, "breakin ");
	else
		add(&l, "leader=0x%08x ", h->leader);
	if (tname)
		add(&l, "%s", tname);
	else
		add(&l, "type=%u", h->type);
	add(&l, " id=0x%x len=%u", h->id, h->byte_count);
	if (payload_len != h->byte_count)
		add(&l, " (has %zu)", payload_len);
	if (h->leader != KD_PACKET_LEADER)
		return buf;
	size_t len = payload_len < h->byte_count ? payload_len : h->byte_count;
	uint32_t sum = kd_packet_checksum(payload, len);
	if (sum == h->checksum && len == h->byte_count)
		add(&l, " checksum ok");
	else
		add(&l, " checksum BAD (0x%x, computed 0x%x)", h->checksum, sum);
	switch (h->type) {
	case KD_PACKET_TYPE_KD_STATE_MANIPULATE:
		describe_manipulate(&l, payload, len);
		break;
	case KD_PACKET_TYPE_KD_STATE_CHANGE64:
		describe_state_change(&l, payload, len);
		break;
	case KD_PACKET_TYPE_KD_DEBUG_IO:
		describe_debug_io(&l, payload, len);
		break;
	case KD_PACKET_TYPE_KD_FILE_IO:
		describe_file_io(&l, payload, len);
		break;
	case KD_PACKET_TYPE_KD_STATE_CHANGE32: {
		uint32_t api;
		if (kd_packet_api(h->type, payload, len, &api) == 0)
			add_api(&l, api);
		break;
	}
	default:
		break;
	}
	return buf;
}

const char *kd_describe_packet(const uint8_t *pkt, size_t len, char *buf, size_t n)
{
	struct kd_packet_header h;

	if (len < KD_PACKET_HEADER_SIZE) {
		struct line l = { buf, n, 0 };
		if (n)
			buf[0] = '\0';
		add(&l, "not a KD packet (%zu bytes)", len);
		return buf;
	}
	kd_packet_header_decode(pkt, &h);
	return kd_describe(&h, pkt + KD_PACKET_HEADER_SIZE, len - KD_PACKET_HEADER_SIZE, buf, n);
}
