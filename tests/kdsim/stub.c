/*
 * kdsim's KD stub (see stub.h): one packet handler, one reply per request.
 */
#include "tests/kdsim/stub.h"

#include <stdio.h>
#include <string.h>

#include "proto/dbgkd.h"
#include "base/error.h"
#include "proto/kd_packet.h"
#include "tests/kdsim/run.h"

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
	/* The kernel reports the instruction stream without its breakpoints. */
	for (size_t i = 0; i < SIM_MAX_BREAKPOINTS && !s->dump; i++)
		if (s->bp[i].used && s->bp[i].addr - sc->ProgramCounter < sizeof code)
			code[s->bp[i].addr - sc->ProgramCounter] = s->bp[i].orig;
	if (s->m->machine == KD_MACHINE_AMD64) {
		sc->ControlReport.Amd64.Dr6 = sim_stub_get_dr(s, cpu, 6);
		sc->ControlReport.Amd64.Dr7 = sim_stub_get_dr(s, cpu, 7);
		sc->ControlReport.Amd64.InstructionCount = 16;
		memcpy(sc->ControlReport.Amd64.InstructionStream, code, 16);
		sc->ControlReport.Amd64.SegCs = 0x10;
		sc->ControlReport.Amd64.EFlags = s->m->ctx[cpu].u.x64.EFlags;
	} else {
		sc->ControlReport.X86.Dr6 = (uint32_t)sim_stub_get_dr(s, cpu, 6);
		sc->ControlReport.X86.Dr7 = (uint32_t)sim_stub_get_dr(s, cpu, 7);
		sc->ControlReport.X86.InstructionCount = 16;
		memcpy(sc->ControlReport.X86.InstructionStream, code, 16);
		sc->ControlReport.X86.SegCs = 0x8;
		sc->ControlReport.X86.EFlags = s->m->ctx[cpu].u.x86.EFlags;
	}
}

void sim_stub_break(struct sim_stub *s, unsigned cpu)
{
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
	sim_run_halt(s);
	uint64_t pc = kd_context_ip(&s->m->ctx[cpu]);
	uint64_t params[3] = { 0, 0, 0 };
	uint8_t b = 0;
	/* At an int 3 of the code: a continue goes on after it. */
	if (!s->dump && sim_read(s->m, pc, &b, 1) == 1 && b == 0xcc && !sim_stub_breakpoint_at(s, pc)) {
		s->cpus[cpu].at_int3 = 1;
		s->cpus[cpu].int3_addr = pc;
	}
	sim_stub_report_exception(s, cpu, KD_STATUS_BREAKPOINT, pc, 1, params, 3);
}

void sim_stub_report_exception(struct sim_stub *s, unsigned cpu, uint32_t code, uint64_t addr, int first_chance,
                               const uint64_t *params, unsigned nparams)
{
	struct dbgkd_wait_state_change64 sc;
	fill_common(s, &sc, DbgKdExceptionStateChange, cpu);
	struct dbgkd_exception_record64 *er = &sc.u.Exception.ExceptionRecord;
	er->ExceptionCode = code;
	er->ExceptionAddress = addr;
	if (nparams > 15)
		nparams = 15;
	er->NumberParameters = nparams;
	for (unsigned i = 0; i < nparams; i++)
		er->ExceptionInformation[i] = params[i];
	sc.u.Exception.FirstChance = first_chance ? 1 : 0;
	s->stopped = 1;
	s->cpu = cpu;
	send_state_change(s, &sc, NULL);
}

void sim_stub_report_symbols(struct sim_stub *s, const char *path, uint64_t base, uint32_t size,
                             uint32_t checksum, int unload)
{
	struct dbgkd_wait_state_change64 sc;
	fill_common(s, &sc, DbgKdLoadSymbolsStateChange, 0);
	sc.u.LoadSymbols.PathNameLength = (uint32_t)strlen(path) + 1;
	sc.u.LoadSymbols.BaseOfDll = base;
	sc.u.LoadSymbols.SizeOfImage = size;
	sc.u.LoadSymbols.CheckSum = checksum;
	sc.u.LoadSymbols.ProcessId = 0;
	sc.u.LoadSymbols.UnloadSymbols = unload ? 1 : 0;
	s->stopped = 1;
	s->cpu = 0;
	send_state_change(s, &sc, path);
}

/* Boot: one load-symbols event per module, each answered by a continue. */
static void send_boot_event(struct sim_stub *s)
{
	if ((size_t)s->boot_step >= s->m->nmodules) {
		s->booted = 1;
		return;
	}
	const struct sim_module *mod = &s->m->modules[s->boot_step];
	sim_stub_report_symbols(s, mod->path, mod->base, mod->size, mod->checksum, 0);
}

/* A debug-I/O packet: the header, then the text (cut to what a packet
 * holds); *len gets the text's length for the header's length field. */
static void send_debug_io(struct sim_stub *s, struct dbgkd_debug_io *io, uint32_t *len, const char *text)
{
	uint8_t pkt[KD_PACKET_MAX_SIZE];
	size_t n = strlen(text);
	if (n > sizeof pkt - sizeof *io)
		n = sizeof pkt - sizeof *io;
	*len = (uint32_t)n;
	memcpy(pkt, io, sizeof *io);
	memcpy(pkt + sizeof *io, text, n);
	s->link->ops->send(s->link, KD_PACKET_TYPE_KD_DEBUG_IO, pkt, sizeof *io + n);
}

void sim_stub_print(struct sim_stub *s, const char *text)
{
	struct dbgkd_debug_io io;
	memset(&io, 0, sizeof io);
	io.ApiNumber = DbgKdPrintStringApi;
	send_debug_io(s, &io, &io.u.PrintString.LengthOfString, text);
}

void sim_stub_prompt(struct sim_stub *s, const char *text)
{
	struct dbgkd_debug_io io;
	memset(&io, 0, sizeof io);
	io.ApiNumber = DbgKdGetStringApi;
	io.u.GetString.LengthOfStringRead = 512;
	s->prompting = 1;
	send_debug_io(s, &io, &io.u.GetString.LengthOfPromptString, text);
}

static void handle_debug_io(struct sim_stub *s, const uint8_t *data, size_t len)
{
	struct dbgkd_debug_io io;
	if (len < sizeof io || !s->prompting)
		return;
	memcpy(&io, data, sizeof io);
	if (io.ApiNumber != DbgKdGetStringApi)
		return;
	size_t n = io.u.GetString.LengthOfStringRead;
	char answer[KD_PACKET_MAX_SIZE];
	if (n > len - sizeof io)
		n = len - sizeof io;
	if (n > sizeof answer - 1)
		n = sizeof answer - 1;
	memcpy(answer, data + sizeof io, n);
	answer[n] = '\0';
	printf("kdsim: DbgPrompt answered '%s'\n", answer);
	fflush(stdout);
	s->prompting = 0;
	sim_run_go_on(s);
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

static void resume(struct sim_stub *s, int trace, uint32_t status)
{
	s->stopped = 0;
	if (!s->booted) {
		s->boot_step++;
		send_boot_event(s);
		if (!s->booted)
			return;
		sim_stub_print(s, "kdsim: the simulated kernel is running\n");
		if (s->break_pending) {
			s->break_pending = 0;
			sim_stub_break(s, 0);
		} else {
			sim_run_resume(s, 0, KD_DBG_CONTINUE);
		}
		return;
	}
	if (!trace && s->dbgprint)
		sim_stub_print(s, s->dbgprint);
	if (!trace && s->kdfile)
		ask_for_file(s);
	sim_run_resume(s, trace, status);
}

static void on_reboot_done(uv_timer_t *t)
{
	struct sim_stub *s = t->data;
	s->booted = 0;
	s->boot_step = 0;
	s->bugchecked = 0;
	s->prompting = 0;
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
	if (s->m->machine == KD_MACHINE_AMD64 && (a == 0 || a == 1 || a == 3) && s->m->prcb[cpu]) {
		/* x64 control items 0, 1 and 3: the processor's KPCR, KPRCB and
		 * KPRCB.CurrentThread (ReactOS kd64 amd64 KdpSysReadControlSpace,
		 * AMD64_DEBUG_CONTROL_SPACE_KPCR/KPRCB/KTHREAD). */
		uint64_t v = a == 0 ? s->m->pcr[cpu] : s->m->prcb[cpu];
		if (a == 3 && sim_read(s->m, s->m->prcb[cpu] + 8, &v, 8) != 8)
			return 0;
		got = want < 8 ? want : 8;
		memcpy(buf, &v, got);
		return got;
	}
	if (s->m->machine == KD_MACHINE_AMD64 && a == 2) {
		/* x64 control item 2: the processor's KSPECIAL_REGISTERS. */
		got = want < sizeof s->x64_special[0] ? want : (uint32_t)sizeof s->x64_special[0];
		memcpy(buf, &s->x64_special[cpu], got);
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

/* An x86 kernel sees a 32-bit pointer in the request's 64-bit field. */
static uint64_t target_address(const struct sim_stub *s, uint64_t a)
{
	return s->m->machine == KD_MACHINE_I386 ? (uint32_t)a : a;
}

/* DbgKdWriteBreakPointApi: 0xcc into memory, the byte kept; the handle
 * is the table index + 1. A second breakpoint at the same address fails,
 * as the kernel's table refuses it. */
static void write_breakpoint(struct sim_stub *s, struct dbgkd_manipulate_state64 *m)
{
	uint64_t a = target_address(s, m->u.WriteBreakPoint.BreakPointAddress);
	uint8_t orig, cc = 0xcc;
	size_t i = 0;
	m->u.WriteBreakPoint.BreakPointHandle = 0;
	while (i < SIM_MAX_BREAKPOINTS && s->bp[i].used)
		i++;
	if (s->dump || s->replay || i == SIM_MAX_BREAKPOINTS || sim_stub_breakpoint_at(s, a) ||
	    sim_read(s->m, a, &orig, 1) != 1 ||
	    sim_write(s->m, a, &cc, 1) != 1) {
		m->ReturnStatus = KD_STATUS_UNSUCCESSFUL;
	} else {
		s->bp[i] = (struct sim_breakpoint){ a, orig, 1 };
		m->u.WriteBreakPoint.BreakPointHandle = (uint32_t)i + 1;
		s->clean_reported = 0;
	}
	reply(s, m, NULL, 0);
}

static void restore_breakpoint(struct sim_stub *s, struct dbgkd_manipulate_state64 *m)
{
	uint32_t h = m->u.RestoreBreakPoint.BreakPointHandle;
	if (h == 0 || h > SIM_MAX_BREAKPOINTS || !s->bp[h - 1].used) {
		m->ReturnStatus = KD_STATUS_UNSUCCESSFUL;
	} else {
		struct sim_breakpoint *b = &s->bp[h - 1];
		sim_write(s->m, b->addr, &b->orig, 1);
		b->used = 0;
		s->clean_reported = 0;
	}
	reply(s, m, NULL, 0);
}

/* A reboot brings the image back from disk: no breakpoint survives. */
static void forget_breakpoints(struct sim_stub *s)
{
	for (size_t i = 0; i < SIM_MAX_BREAKPOINTS; i++) {
		if (s->bp[i].used)
			sim_write(s->m, s->bp[i].addr, &s->bp[i].orig, 1);
		s->bp[i].used = 0;
	}
	for (unsigned c = 0; c < s->m->ncpu; c++) {
		if (s->cpus[c].running || s->cpus[c].end_on_resume)
			s->m->ctx[c] = s->cpus[c].idle;
		memset(&s->cpus[c], 0, sizeof s->cpus[c]);
	}
}

/* Continue2's control set: Dr7 goes to every processor (Dr6 cleared), as
 * the kernel applies it; the trace flag is returned. */
static int continue2_controls(struct sim_stub *s, const struct dbgkd_manipulate_state64 *m)
{
	uint64_t dr7;
	int trace;
	if (s->m->machine == KD_MACHINE_AMD64) {
		dr7 = m->u.Continue2.u.Amd64ControlSet.Dr7;
		trace = m->u.Continue2.u.Amd64ControlSet.TraceFlag != 0;
	} else {
		dr7 = m->u.Continue2.u.X86ControlSet.Dr7;
		trace = m->u.Continue2.u.X86ControlSet.TraceFlag != 0;
	}
	if (!s->dump && !s->replay) {
		for (unsigned c = 0; c < s->m->ncpu; c++) {
			sim_stub_set_dr(s, c, 7, dr7);
			sim_stub_set_dr(s, c, 6, 0);
		}
	}
	return trace;
}

const struct sim_breakpoint *sim_stub_breakpoint_at(const struct sim_stub *s, uint64_t addr)
{
	for (size_t i = 0; i < SIM_MAX_BREAKPOINTS; i++)
		if (s->bp[i].used && s->bp[i].addr == addr)
			return &s->bp[i];
	return NULL;
}

static unsigned dr_slot(unsigned i)
{
	return i < 4 ? i : i == 6 ? 4 : 5;
}

uint64_t sim_stub_get_dr(struct sim_stub *s, unsigned cpu, unsigned i)
{
	if (cpu >= 64)
		return 0;
	if (s->m->machine == KD_MACHINE_AMD64) {
		uint64_t v;
		memcpy(&v, (const uint8_t *)&s->x64_special[cpu] + offsetof(struct kd_x64_special_registers, KernelDr0) +
		       8 * dr_slot(i), 8);
		return v;
	}
	uint32_t v;
	memcpy(&v, s->m->control[cpu] + KD_X86_CONTROL_SPECIAL_REGISTERS +
	       offsetof(struct kd_x86_special_registers, KernelDr0) + 4 * dr_slot(i), 4);
	return v;
}

void sim_stub_set_dr(struct sim_stub *s, unsigned cpu, unsigned i, uint64_t v)
{
	if (cpu >= 64)
		return;
	if (s->m->machine == KD_MACHINE_AMD64) {
		memcpy((uint8_t *)&s->x64_special[cpu] + offsetof(struct kd_x64_special_registers, KernelDr0) +
		       8 * dr_slot(i), &v, 8);
		return;
	}
	uint32_t w = (uint32_t)v;
	memcpy(s->m->control[cpu] + KD_X86_CONTROL_SPECIAL_REGISTERS +
	       offsetof(struct kd_x86_special_registers, KernelDr0) + 4 * dr_slot(i), &w, 4);
}

void sim_stub_check_clean(struct sim_stub *s, int force)
{
	if (!s->check_clean || (s->clean_reported && !force))
		return;
	int left = 0;
	for (size_t i = 0; i < SIM_MAX_BREAKPOINTS; i++) {
		uint8_t b;
		if (s->bp[i].used && sim_read(s->m, s->bp[i].addr, &b, 1) == 1 && b == 0xcc && s->bp[i].orig != 0xcc) {
			fprintf(stderr, "kdsim: breakpoint byte left at %llx\n", (unsigned long long)s->bp[i].addr);
			left++;
		}
	}
	if (!left)
		fprintf(stderr, "kdsim: memory clean\n");
	s->clean_reported = 1;
}

int sim_stub_remap(struct sim_stub *s)
{
	if (sim_machine_finish(s->m) < 0)
		return KD_ENOMEM;
	for (unsigned c = 0; c < 64; c++)
		s->x64_special[c].Cr3 = s->m->cr3;
	return 0;
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
		v->DebuggerDataList = s->dump ? 0 : s->kdbg_list;
		reply(s, &m, NULL, 0);
		return;
	}
	case DbgKdReadVirtualMemoryApi:
	case DbgKdReadPhysicalMemoryApi:
	case DbgKdReadControlSpaceApi: {
		uint32_t want = m.u.ReadMemory.TransferCount;
		if (want > sizeof buf - MANIP_SIZE)
			want = sizeof buf - MANIP_SIZE;
		uint64_t a = m.u.ReadMemory.TargetBaseAddress;
		if (m.ApiNumber == DbgKdReadVirtualMemoryApi && !s->dump)
			a = target_address(s, a);
		uint32_t got = stub_read(s, m.ApiNumber, cpu, a, buf, want);
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
		if (m.ApiNumber == DbgKdWriteVirtualMemoryApi)
			a = target_address(s, a);
		uint32_t done;
		if (m.ApiNumber == DbgKdWriteVirtualMemoryApi)
			done = sim_write(s->m, a, extra, n);
		else if (m.ApiNumber == DbgKdWritePhysicalMemoryApi)
			done = sim_write_physical(s->m, a, extra, n);
		else if (s->m->machine == KD_MACHINE_AMD64 && a == 2) {
			done = n < sizeof s->x64_special[0] ? n : (uint32_t)sizeof s->x64_special[0];
			memcpy(&s->x64_special[cpu], extra, done);
		} else if (a <= sizeof s->m->control[0] && n <= sizeof s->m->control[0] - a) {
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
	case DbgKdWriteBreakPointApi:
		write_breakpoint(s, &m);
		return;
	case DbgKdRestoreBreakPointApi:
		restore_breakpoint(s, &m);
		return;
	case DbgKdContinueApi:
		resume(s, 0, m.u.Continue.ContinueStatus);
		return;
	case DbgKdContinueApi2:
		resume(s, continue2_controls(s, &m), m.u.Continue2.ContinueStatus);
		return;
	case DbgKdRebootApi:
		forget_breakpoints(s);
		if (!s->dump && !s->replay && s->m->nmodules > s->boot_modules) {
			s->m->nmodules = s->boot_modules; /* the drivers loaded since are gone */
			sim_stub_remap(s);
		}
		s->stopped = 0;
		uv_timer_start(&s->timer, on_reboot_done, 200, 0);
		return;
	case DbgKdCauseBugCheckApi:
		/* .crash: KeBugCheck(MANUALLY_INITIATED_CRASH); no reply */
		if (s->dump || s->replay) {
			m.ReturnStatus = KD_STATUS_UNSUCCESSFUL;
			reply(s, &m, NULL, 0);
			return;
		}
		s->stopped = 0;
		sim_run_bugcheck(s, cpu, 0xe2, NULL);
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
	else if (type == KD_PACKET_TYPE_KD_DEBUG_IO)
		handle_debug_io(s, data, len);
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
		sim_stub_break(s, sim_run_break_cpu(s));
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

static void kdbg_put(struct sim_machine *m, uint64_t va, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sim_write(m, va, b, n);
}

/* KDDEBUGGER_DATA64 (wdbgexts.h; the 64-bit layout on both machines,
 * 32-bit pointers zero-extended as the version data has them) behind a
 * list head, in the kernel image as KdpDebuggerDataListHead and
 * KdDebuggerDataBlock are; KiBugCheckData next to it. */
#define KDBG_SIZE 0x380u
static void write_debugger_data(struct sim_stub *s)
{
	struct sim_machine *m = s->m;
	unsigned ps = sim_pointer_size(m);
	uint64_t list = m->kern_base + 0xf0000, kdbg = list + 0x100, bcd = list + 0x600;
	uint8_t zero[KDBG_SIZE];
	memset(zero, 0, sizeof zero);
	sim_write(m, kdbg, zero, sizeof zero);
	sim_write(m, bcd, zero, 5 * 8);
	kdbg_put(m, list, kdbg, ps);          /* Flink */
	kdbg_put(m, list + ps, kdbg, ps);     /* Blink */
	kdbg_put(m, kdbg + 0x00, list, 8);    /* Header.List */
	kdbg_put(m, kdbg + 0x08, list, 8);
	sim_write(m, kdbg + 0x10, "KDBG", 4); /* Header.OwnerTag */
	kdbg_put(m, kdbg + 0x14, KDBG_SIZE, 4);    /* Header.Size */
	kdbg_put(m, kdbg + 0x18, m->kern_base, 8); /* KernBase */
	kdbg_put(m, kdbg + 0x20, m->break_pc, 8);  /* BreakpointWithStatus */
	kdbg_put(m, kdbg + 0x48, m->ps_loaded_module_list, 8); /* PsLoadedModuleList */
	kdbg_put(m, kdbg + 0x88, bcd, 8);          /* KiBugcheckData */
	kdbg_put(m, kdbg + 0x138, SIM_PAGE, 8);    /* MmPageSize */
	for (size_t i = 0; i < m->nkdbg_set; i++) /* a scenario's objects */
		kdbg_put(m, kdbg + m->kdbg_set[i].offset, m->kdbg_set[i].value, 8);
	s->kdbg_list = list;
	s->kdbg = kdbg;
	s->bugcheck_data = bcd;
}

void sim_stub_init(struct sim_stub *s, uv_loop_t *loop, struct sim_machine *m)
{
	memset(s, 0, sizeof *s);
	s->loop = loop;
	s->m = m;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	uv_timer_init(loop, &s->run_timer);
	s->run_timer.data = s;
	s->code_limit = 100000;
	s->boot_modules = m->nmodules;
	sim_emu_open(&s->emu, m->machine);
	for (unsigned c = 0; c < 64; c++) {
		struct kd_x64_special_registers *sr = &s->x64_special[c];
		sr->Cr0 = 0x80050033u;
		sr->Cr3 = m->cr3;
		sr->Cr4 = 0x00350ef8u;
		/* x86: the debug registers in control space start clear. */
		if (m->machine == KD_MACHINE_I386)
			for (unsigned i = 0; i < 8; i++)
				sim_stub_set_dr(s, c, i, 0);
	}
	write_debugger_data(s);
}

void sim_stub_free(struct sim_stub *s)
{
	sim_emu_close(&s->emu);
}
