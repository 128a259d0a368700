/*
 * kdsim's KD stub (see stub.h): one packet handler, one reply per request.
 */
#include "tests/kdsim/stub.h"

#include <stdio.h>
#include <string.h>

#include "proto/dbgkd.h"
#include "kd/error.h"
#include "proto/kd_packet.h"

#define MANIP_SIZE sizeof(struct dbgkd_manipulate_state64)

static uint32_t stub_read(struct sim_stub *s, uint32_t api, unsigned cpu, uint64_t a, void *buf, uint32_t want);

static void send_state_change(struct sim_stub *s, const struct dbgkd_wait_state_change64 *sc,
                              const char *path)
{
	uint8_t pkt[KD_PACKET_MAX_SIZE];
	size_t len = sizeof *sc;
	memcpy(pkt, sc, len);
	if (path) {
		size_t pl = strlen(path) + 1;
		memcpy(pkt + len, path, pl);
		len += pl;
	}
	s->link->ops->send(s->link, KD_PACKET_TYPE_KD_STATE_CHANGE64, pkt, len);
}

static void fill_common(struct sim_stub *s, struct dbgkd_wait_state_change64 *sc, uint32_t state, unsigned cpu)
{
	memset(sc, 0, sizeof *sc);
	sc->NewState = state;
	sc->Processor = (uint16_t)cpu;
	sc->ProcessorLevel = 6;
	sc->NumberProcessors = s->m->ncpu;
	sc->Thread = s->m->kern_base + 0x900000 + cpu * 0x1000;
	sc->ProgramCounter = kd_context_ip(&s->m->ctx[cpu]);
	uint8_t code[16] = {0};
	stub_read(s, DbgKdReadVirtualMemoryApi, cpu, sc->ProgramCounter, code, sizeof code);
	if (s->m->machine == KD_MACHINE_AMD64) {
		sc->ControlReport.Amd64.InstructionCount = 16;
		memcpy(sc->ControlReport.Amd64.InstructionStream, code, 16);
		sc->ControlReport.Amd64.SegCs = 0x10;
		sc->ControlReport.Amd64.EFlags = s->m->ctx[cpu].u.x64.EFlags;
	} else {
		sc->ControlReport.X86.InstructionCount = 16;
		memcpy(sc->ControlReport.X86.InstructionStream, code, 16);
		sc->ControlReport.X86.SegCs = 0x8;
		sc->ControlReport.X86.EFlags = s->m->ctx[cpu].u.x86.EFlags;
	}
}

void sim_stub_break(struct sim_stub *s, unsigned cpu)
{
	struct dbgkd_wait_state_change64 sc;
	if (s->replay) {
		/* The real target's own breakpoint report. */
		for (size_t i = 0; i < kd_replay_state_change_count(s->replay); i++) {
			const uint8_t *p;
			size_t len;
			if (kd_replay_state_change(s->replay, i, &p, &len) == 0 && len >= 4 &&
			    (p[0] | (p[1] << 8)) == DbgKdExceptionStateChange) {
				s->stopped = 1;
				s->link->ops->send(s->link, KD_PACKET_TYPE_KD_STATE_CHANGE64, p, len);
				return;
			}
		}
	}
	fill_common(s, &sc, DbgKdExceptionStateChange, cpu);
	struct dbgkd_exception_record64 *er = &sc.u.Exception.ExceptionRecord;
	er->ExceptionCode = KD_STATUS_BREAKPOINT;
	er->ExceptionAddress = sc.ProgramCounter;
	er->NumberParameters = 3;
	sc.u.Exception.FirstChance = 1;
	s->stopped = 1;
	s->cpu = cpu;
	send_state_change(s, &sc, NULL);
}

/* Boot: one load-symbols event per module, each answered by a continue. */
static void send_boot_event(struct sim_stub *s)
{
	if ((size_t)s->boot_step >= s->m->nmodules) {
		s->booted = 1;
		return;
	}
	const struct sim_module *mod = &s->m->modules[s->boot_step];
	struct dbgkd_wait_state_change64 sc;
	fill_common(s, &sc, DbgKdLoadSymbolsStateChange, 0);
	sc.u.LoadSymbols.PathNameLength = (uint32_t)strlen(mod->path) + 1;
	sc.u.LoadSymbols.BaseOfDll = mod->base;
	sc.u.LoadSymbols.SizeOfImage = mod->size;
	sc.u.LoadSymbols.CheckSum = mod->checksum;
	sc.u.LoadSymbols.ProcessId = 0;
	s->stopped = 1;
	send_state_change(s, &sc, mod->path);
}

static void print(struct sim_stub *s, const char *text)
{
	uint8_t pkt[KD_PACKET_MAX_SIZE];
	struct dbgkd_debug_io io;
	memset(&io, 0, sizeof io);
	io.ApiNumber = DbgKdPrintStringApi;
	size_t n = strlen(text);
	if (n > sizeof pkt - sizeof io)
		n = sizeof pkt - sizeof io;
	io.u.PrintString.LengthOfString = (uint32_t)n;
	memcpy(pkt, &io, sizeof io);
	memcpy(pkt + sizeof io, text, n);
	s->link->ops->send(s->link, KD_PACKET_TYPE_KD_DEBUG_IO, pkt, sizeof io + n);
}

/* File I/O, as a booting kernel asks the debugger for a replacement
 * driver: create, read until the end, close; then report what came. */
static void send_file_io(struct sim_stub *s, uint32_t api, const void *extra, size_t extra_len)
{
	uint8_t pkt[KD_PACKET_MAX_SIZE];
	struct dbgkd_file_io io;
	memset(&io, 0, sizeof io);
	io.ApiNumber = api;
	switch (api) {
	case DbgKdCreateFileApi:
		io.u.CreateFile.DesiredAccess = 0x80100080u; /* GENERIC_READ | SYNCHRONIZE | FILE_READ_ATTRIBUTES */
		io.u.CreateFile.ShareAccess = 1;
		io.u.CreateFile.CreateDisposition = 1; /* FILE_OPEN */
		break;
	case DbgKdReadFileApi:
		io.u.ReadFile.Handle = s->file_handle;
		io.u.ReadFile.Offset = s->file_got;
		io.u.ReadFile.Length = 2048;
		break;
	case DbgKdCloseFileApi:
		io.u.CloseFile.Handle = s->file_handle;
		break;
	}
	memcpy(pkt, &io, sizeof io);
	if (extra_len)
		memcpy(pkt + sizeof io, extra, extra_len);
	s->link->ops->send(s->link, KD_PACKET_TYPE_KD_FILE_IO, pkt, sizeof io + extra_len);
}

static void ask_for_file(struct sim_stub *s)
{
	uint8_t name[2 * 260];
	size_t n = 0;
	for (const char *c = s->kdfile; *c && n + 4 <= sizeof name; c++) {
		name[n++] = (uint8_t)*c;
		name[n++] = 0;
	}
	name[n++] = 0;
	name[n++] = 0;
	s->file_got = 0;
	s->file_sum = 0;
	send_file_io(s, DbgKdCreateFileApi, name, n);
}

static void handle_file_io(struct sim_stub *s, const uint8_t *data, size_t len)
{
	struct dbgkd_file_io io;
	if (len < sizeof io)
		return;
	memcpy(&io, data, sizeof io);
	if (io.ApiNumber == DbgKdCreateFileApi) {
		if (io.Status != KD_STATUS_SUCCESS) {
			printf("kdsim: the debugger has no %s (status %08x)\n", s->kdfile, io.Status);
			fflush(stdout);
			return;
		}
		s->file_handle = io.u.CreateFile.Handle;
		s->file_size = io.u.CreateFile.Length;
		send_file_io(s, DbgKdReadFileApi, NULL, 0);
	} else if (io.ApiNumber == DbgKdReadFileApi) {
		uint32_t n = io.u.ReadFile.Length;
		if (io.Status != KD_STATUS_SUCCESS || n > len - sizeof io)
			n = 0;
		for (uint32_t i = 0; i < n; i++)
			s->file_sum = s->file_sum * 31 + data[sizeof io + i];
		s->file_got += n;
		send_file_io(s, n ? DbgKdReadFileApi : DbgKdCloseFileApi, NULL, 0);
	} else if (io.ApiNumber == DbgKdCloseFileApi) {
		printf("kdsim: the debugger served %llu of %llu bytes of %s (sum %08x)\n",
		       (unsigned long long)s->file_got, (unsigned long long)s->file_size, s->kdfile, s->file_sum);
		fflush(stdout);
	}
}

static void resume(struct sim_stub *s)
{
	s->stopped = 0;
	if (!s->booted) {
		s->boot_step++;
		send_boot_event(s);
		if (!s->booted)
			return;
		print(s, "kdsim: the simulated kernel is running\n");
		if (s->break_pending) {
			s->break_pending = 0;
			sim_stub_break(s, 0);
		}
		return;
	}
	if (s->dbgprint)
		print(s, s->dbgprint);
	if (s->kdfile)
		ask_for_file(s);
}

static void on_reboot_done(uv_timer_t *t)
{
	struct sim_stub *s = t->data;
	s->booted = 0;
	s->boot_step = 0;
	send_boot_event(s);
}

/* Memory and registers come from the machine, or from the dump. */
static uint32_t stub_read(struct sim_stub *s, uint32_t api, unsigned cpu, uint64_t a, void *buf, uint32_t want)
{
	uint32_t got = 0;
	if (s->dump) {
		const struct kd_target_ops *o = s->dump->ops;
		int rc = api == DbgKdReadVirtualMemoryApi ? (o->read_virtual ? o->read_virtual(s->dump, a, buf, want, &got) : KD_ENOTSUP)
		       : api == DbgKdReadPhysicalMemoryApi ? (o->read_physical ? o->read_physical(s->dump, a, buf, want, &got) : KD_ENOTSUP)
		       : (o->read_control ? o->read_control(s->dump, cpu, a, buf, want, &got) : KD_ENOTSUP);
		return rc < 0 ? 0 : got;
	}
	if (api == DbgKdReadVirtualMemoryApi)
		return sim_read(s->m, a, buf, want);
	if (api == DbgKdReadPhysicalMemoryApi)
		return sim_read_physical(s->m, a, buf, want);
	if (s->m->machine == KD_MACHINE_AMD64 && a == 2) {
		/* x64 control item 2: KSPECIAL_REGISTERS, Cr0 Cr2 Cr3 Cr4 first. */
		uint64_t cr[4] = { 0x80050033u, 0, s->m->cr3, 0x00350ef8u };
		got = want < sizeof cr ? want : (uint32_t)sizeof cr;
		memcpy(buf, cr, got);
		return got;
	}
	if (a < sizeof s->m->control[0]) {
		got = (uint32_t)(sizeof s->m->control[0] - a) < want ? (uint32_t)(sizeof s->m->control[0] - a) : want;
		memcpy(buf, s->m->control[cpu] + a, got);
	}
	return got;
}

int sim_stub_use_dump(struct sim_stub *s, struct kd_target *t)
{
	struct kd_version v;
	if (!t->ops->version || t->ops->version(t, &v) < 0)
		return KD_EFORMAT;
	s->dump = t;
	s->m->machine = v.machine;
	s->m->ncpu = v.processors ? (v.processors > 64 ? 64 : v.processors) : 1;
	s->m->build = v.build;
	s->m->kern_base = v.kern_base;
	s->m->ps_loaded_module_list = v.ps_loaded_module_list;
	for (unsigned i = 0; i < s->m->ncpu; i++) {
		if (!t->ops->get_context || t->ops->get_context(t, i, &s->m->ctx[i]) < 0)
			s->m->ctx[i] = s->m->ctx[0];
	}
	/* A dump is a stopped machine: no boot, it breaks when asked. */
	s->booted = 1;
	s->m->nmodules = 0;
	return 0;
}

void sim_stub_use_replay(struct sim_stub *s, struct kd_replay *r)
{
	s->replay = r;
	s->booted = 1;
}

static void reply(struct sim_stub *s, struct dbgkd_manipulate_state64 *m, const void *extra, size_t len)
{
	uint8_t pkt[KD_PACKET_MAX_SIZE];
	memcpy(pkt, m, MANIP_SIZE);
	if (len)
		memcpy(pkt + MANIP_SIZE, extra, len);
	s->link->ops->send(s->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, pkt, MANIP_SIZE + len);
}

static void handle_manipulate(struct sim_stub *s, const uint8_t *data, size_t len)
{
	struct dbgkd_manipulate_state64 m;
	if (len < MANIP_SIZE || !s->stopped)
		return; /* a running kernel does not read requests */
	memcpy(&m, data, MANIP_SIZE);
	const uint8_t *extra = data + MANIP_SIZE;
	size_t extra_len = len - MANIP_SIZE;
	unsigned cpu = m.Processor < s->m->ncpu ? m.Processor : s->cpu;
	uint8_t buf[KD_PACKET_MAX_SIZE];
	s->requests++;
	if (s->replay) {
		size_t rlen = 0;
		if (kd_replay_answer(s->replay, data, len, buf, sizeof buf, &rlen) == 0) {
			s->link->ops->send(s->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, buf, rlen);
			return;
		}
	}
	m.ReturnStatus = KD_STATUS_SUCCESS;
	switch (m.ApiNumber) {
	case DbgKdGetVersionApi: {
		struct dbgkd_get_version64 *v = &m.u.GetVersion64;
		memset(v, 0, sizeof *v);
		v->MajorVersion = 0xf;
		v->MinorVersion = s->m->build;
		v->ProtocolVersion = 6;
		v->KdSecondaryVersion = 2;
		v->Flags = DBGKD_VERS_FLAG_MP | DBGKD_VERS_FLAG_DATA |
		           (s->m->machine == KD_MACHINE_AMD64 ? DBGKD_VERS_FLAG_PTR64 : 0);
		v->MachineType = (uint16_t)s->m->machine;
		v->MaxPacketType = KD_PACKET_TYPE_MAX;
		v->MaxStateChange = DbgKdMaximumStateChange - DbgKdExceptionStateChange;
		v->MaxManipulate = DbgKdMaximumManipulate - DbgKdReadVirtualMemoryApi;
		v->KernBase = s->m->kern_base;
		v->PsLoadedModuleList = s->m->ps_loaded_module_list;
		reply(s, &m, NULL, 0);
		return;
	}
	case DbgKdReadVirtualMemoryApi:
	case DbgKdReadPhysicalMemoryApi:
	case DbgKdReadControlSpaceApi: {
		uint32_t want = m.u.ReadMemory.TransferCount;
		if (want > sizeof buf - MANIP_SIZE)
			want = sizeof buf - MANIP_SIZE;
		uint32_t got = stub_read(s, m.ApiNumber, cpu, m.u.ReadMemory.TargetBaseAddress, buf, want);
		m.u.ReadMemory.ActualBytesRead = got;
		if (got < want)
			m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
		reply(s, &m, buf, got);
		return;
	}
	case DbgKdWriteVirtualMemoryApi:
	case DbgKdWritePhysicalMemoryApi:
	case DbgKdWriteControlSpaceApi: {
		if (s->dump || s->replay) { /* recorded machines are read-only */
			m.u.WriteMemory.ActualBytesWritten = 0;
			m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
			reply(s, &m, NULL, 0);
			return;
		}
		uint32_t n = m.u.WriteMemory.TransferCount;
		if (n > extra_len)
			n = (uint32_t)extra_len;
		uint64_t a = m.u.WriteMemory.TargetBaseAddress;
		uint32_t done;
		if (m.ApiNumber == DbgKdWriteVirtualMemoryApi)
			done = sim_write(s->m, a, extra, n);
		else if (m.ApiNumber == DbgKdWritePhysicalMemoryApi)
			done = sim_write_physical(s->m, a, extra, n);
		else if (a + n <= sizeof s->m->control[0]) {
			memcpy(s->m->control[cpu] + a, extra, n);
			done = n;
		} else {
			done = 0;
		}
		m.u.WriteMemory.ActualBytesWritten = done;
		if (done < n)
			m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
		reply(s, &m, NULL, 0);
		return;
	}
	case DbgKdGetContextApi:
		reply(s, &m, s->m->ctx[cpu].u.raw, kd_context_size(s->m->machine));
		return;
	case DbgKdGetContextExApi: {
		size_t size = kd_context_size(s->m->machine);
		uint32_t off = m.u.ContextEx.Offset, n = m.u.ContextEx.ByteCount;
		if (off > size)
			off = (uint32_t)size;
		if (n > size - off)
			n = (uint32_t)(size - off);
		m.u.ContextEx.BytesCopied = n;
		reply(s, &m, s->m->ctx[cpu].u.raw + off, n);
		return;
	}
	case DbgKdSetContextApi: {
		size_t size = kd_context_size(s->m->machine);
		if (extra_len >= size)
			memcpy(s->m->ctx[cpu].u.raw, extra, size);
		else
			m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
		reply(s, &m, NULL, 0);
		return;
	}
	case DbgKdContinueApi:
	case DbgKdContinueApi2:
		resume(s);
		return;
	case DbgKdRebootApi:
		s->stopped = 0;
		uv_timer_start(&s->timer, on_reboot_done, 200, 0);
		return;
	case DbgKdSwitchProcessor:
		sim_stub_break(s, cpu);
		return;
	default:
		m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
		reply(s, &m, NULL, 0);
		return;
	}
}

static void on_packet(void *user, uint16_t type, const uint8_t *data, size_t len)
{
	struct sim_stub *s = user;
	if (type == KD_PACKET_TYPE_KD_STATE_MANIPULATE)
		handle_manipulate(s, data, len);
	else if (type == KD_PACKET_TYPE_KD_FILE_IO)
		handle_file_io(s, data, len);
}

/* The debugger's reset starts the session: a booting kernel then reports
 * its modules. (Sent before the reset, they would be sent twice.) */
void sim_stub_session_start(struct sim_stub *s)
{
	if (!s->booted && s->boot_step == 0 && !s->stopped)
		send_boot_event(s);
}

static void on_reset(void *user)
{
	sim_stub_session_start(user);
}

static void on_breakin(void *user)
{
	struct sim_stub *s = user;
	if (!s->booted)
		s->break_pending = 1; /* honoured once the boot events are out */
	else if (!s->stopped)
		sim_stub_break(s, 0);
}

void sim_stub_debugger_connected(struct sim_stub *s)
{
	(void)s; /* the session starts with the debugger's reset */
}

void sim_stub_callbacks(struct sim_stub *s, struct kd_link_callbacks *cb)
{
	memset(cb, 0, sizeof *cb);
	cb->on_packet = on_packet;
	cb->on_breakin = on_breakin;
	cb->on_reset = on_reset;
	cb->user = s;
}

void sim_stub_init(struct sim_stub *s, uv_loop_t *loop, struct sim_machine *m)
{
	memset(s, 0, sizeof *s);
	s->loop = loop;
	s->m = m;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
}
