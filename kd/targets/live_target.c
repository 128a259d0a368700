/*
 * Live target (see live_target.h). One receive path, on_packet, classifies
 * every data packet from the link and hands it to its owner: the reply a
 * request waits for, a state change, debug I/O or file I/O. Requests are
 * synchronous for the engine: they run the loop until their reply arrives.
 */
#include "kd/targets/live_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/engine/events.h"
#include "proto/dbgkd.h"
#include "proto/kd_packet.h"

#define MANIP_SIZE sizeof(struct dbgkd_manipulate_state64)
#define MAX_TRANSFER (KD_PACKET_MAX_SIZE - MANIP_SIZE)
/* Smallest read chunk on a noisy link: short packets get through. */
#define MIN_TRANSFER 64u

struct kdfile {
	struct kdfile *next;
	char *remote, *local;
};

struct open_file {
	FILE *f;
	uint64_t handle;
};

struct live {
	struct kd_target t;
	struct kd_engine *eng;
	struct kd_link *link;
	struct kd_live_options opt;
	char connection[256];
	char causes[512];

	int connected;
	int stopped;
	int trace;
	int link_error;
	char link_msg[256];
	uint64_t noisy_seen;  /* link errors counted so far */
	uint64_t noisy_until; /* verify reads until this many requests */
	uint64_t requests;

	/* the request in flight */
	int waiting;
	uint32_t want_api;
	uint8_t reply[KD_PACKET_MAX_SIZE];
	size_t reply_len;
	int got_reply;
	int bad_reply;
	uint32_t max_transfer;
	unsigned clean_replies;
	int no_context_ex;

	struct kd_version version;
	int have_version;
	unsigned processors;
	uint64_t last_dr6;
	kd_module_event_fn module_hook;
	void *module_hook_user;

	void *transport;
	void (*transport_close)(void *);
	void (*transport_free)(void *);

	struct kdfile *kdfiles;
	struct open_file files[8];
	uint64_t next_handle;
	uv_timer_t timer;
	uv_timer_t poll;
	int timer_fired;
	int pending_closes;
};

static const struct kd_target_ops live_ops;

static struct live *live_of(struct kd_target *t)
{
	return (struct live *)t;
}

/* Requests that change what the target does need it connected and
 * stopped. */
static int need_stopped(const struct live *lv)
{
	if (!lv->link || !lv->connected)
		return KD_EDISCONNECTED;
	return lv->stopped ? 0 : KD_ERUNNING;
}

/* --- what the target sends on its own ---------------------------------- */

static void send_continue(struct live *lv);

static void handle_state_change(struct live *lv, const uint8_t *data, size_t len)
{
	struct dbgkd_wait_state_change64 sc;
	if (len < offsetof(struct dbgkd_wait_state_change64, ControlReport)) {
		kd_eprintf(lv->eng, "KD: state change packet too short (%zu bytes), ignored\n", len);
		return;
	}
	memset(&sc, 0, sizeof sc);
	memcpy(&sc, data, len < sizeof sc ? len : sizeof sc);
	struct kd_stop_event ev;
	memset(&ev, 0, sizeof ev);
	ev.processor = sc.Processor;
	ev.thread = sc.Thread;
	ev.pc = sc.ProgramCounter;
	if (sc.NumberProcessors > 0 && sc.NumberProcessors <= 4096)
		lv->processors = sc.NumberProcessors;
	lv->last_dr6 = 0;
	if (len >= offsetof(struct dbgkd_wait_state_change64, ControlReport) + 8)
		lv->last_dr6 = lv->version.machine == KD_MACHINE_I386 ? sc.ControlReport.X86.Dr6
		             : sc.ControlReport.Amd64.Dr6;
	lv->stopped = 1;
	lv->max_transfer = MAX_TRANSFER;
	switch (sc.NewState) {
	case DbgKdExceptionStateChange: {
		const struct dbgkd_exception_record64 *er = &sc.u.Exception.ExceptionRecord;
		ev.kind = KD_STOP_EXCEPTION;
		ev.code = er->ExceptionCode;
		ev.flags = er->ExceptionFlags;
		ev.address = er->ExceptionAddress;
		ev.nparams = er->NumberParameters > 15 ? 15 : er->NumberParameters;
		memcpy(ev.params, er->ExceptionInformation, sizeof ev.params);
		ev.first_chance = sc.u.Exception.FirstChance != 0;
		break;
	}
	case DbgKdLoadSymbolsStateChange: {
		const struct dbgkd_load_symbols64 *ls = &sc.u.LoadSymbols;
		ev.kind = KD_STOP_LOAD_SYMBOLS;
		ev.unload = ls->UnloadSymbols != 0;
		ev.base = ls->BaseOfDll;
		ev.size = ls->SizeOfImage;
		ev.checksum = ls->CheckSum;
		/* The path ends the packet. */
		size_t plen = ls->PathNameLength;
		if (plen > len)
			plen = 0;
		size_t n = plen < sizeof ev.path - 1 ? plen : sizeof ev.path - 1;
		memcpy(ev.path, data + len - plen, n);
		ev.path[n] = '\0';
		break;
	}
	case DbgKdCommandStringStateChange:
		ev.kind = KD_STOP_COMMAND_STRING;
		break;
	default:
		kd_eprintf(lv->eng, "KD: unknown state change 0x%x, ignored\n", sc.NewState);
		lv->stopped = 0;
		return;
	}
	kd_engine_target_stopped(lv->eng, &ev);
	if (ev.kind == KD_STOP_LOAD_SYMBOLS) {
		/* A module event is not a stop the user sees: note the module and
		 * let the target go on, as WinDbg does without `sxe ld`. */
		struct kd_module m;
		memset(&m, 0, sizeof m);
		const char *base = strrchr(ev.path, '\\');
		base = base ? base + 1 : ev.path;
		snprintf(m.path, sizeof m.path, "%s", ev.path);
		snprintf(m.name, sizeof m.name, "%.63s", base);
		char *dot = strrchr(m.name, '.');
		if (dot)
			*dot = '\0';
		if (!strcasecmp(m.name, "ntoskrnl") || !strcasecmp(m.name, "ntkrnlmp") ||
		    !strcasecmp(m.name, "ntkrnlpa") || !strcasecmp(m.name, "ntkrpamp"))
			strcpy(m.name, "nt");
		m.base = ev.base;
		m.size = ev.size;
		m.checksum = ev.checksum;
		if (ev.unload)
			kd_engine_module_remove(lv->eng, ev.base);
		else if (ev.path[0])
			kd_engine_module_add(lv->eng, &m);
		if (!lv->module_hook || !lv->module_hook(lv->module_hook_user, &ev))
			send_continue(lv);
	} else if (ev.kind == KD_STOP_COMMAND_STRING) {
		send_continue(lv);
	}
}

static void handle_debug_io(struct live *lv, const uint8_t *data, size_t len)
{
	struct dbgkd_debug_io io;
	if (len < sizeof io)
		return;
	memcpy(&io, data, sizeof io);
	const char *text = (const char *)data + sizeof io;
	size_t tlen = len - sizeof io;
	if (io.ApiNumber == DbgKdPrintStringApi) {
		size_t n = io.u.PrintString.LengthOfString < tlen ? io.u.PrintString.LengthOfString : tlen;
		char *s = malloc(n + 1);
		if (!s)
			return;
		memcpy(s, text, n);
		s[n] = '\0';
		kd_output(lv->eng, KD_OUTPUT_DEBUGGEE, s);
		free(s);
	} else if (io.ApiNumber == DbgKdGetStringApi) {
		size_t n = io.u.GetString.LengthOfPromptString < tlen ? io.u.GetString.LengthOfPromptString : tlen;
		char prompt[1024];
		if (n >= sizeof prompt)
			n = sizeof prompt - 1;
		memcpy(prompt, text, n);
		prompt[n] = '\0';
		char *answer = lv->opt.prompt ? lv->opt.prompt(lv->opt.prompt_user, prompt) : NULL;
		size_t alen = answer ? strlen(answer) : 0;
		if (alen > KD_PACKET_MAX_SIZE - sizeof io - 1)
			alen = KD_PACKET_MAX_SIZE - sizeof io - 1;
		uint8_t reply[KD_PACKET_MAX_SIZE];
		io.u.GetString.LengthOfStringRead = (uint32_t)alen + 1;
		memcpy(reply, &io, sizeof io);
		if (alen)
			memcpy(reply + sizeof io, answer, alen);
		reply[sizeof io + alen] = '\0';
		free(answer);
		lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_DEBUG_IO, reply, sizeof io + alen + 1);
	}
}

static const char *kdfiles_lookup(struct live *lv, const char *remote)
{
	for (struct kdfile *f = lv->kdfiles; f; f = f->next) {
		const char *r = f->remote;
		size_t rl = strlen(r), nl = strlen(remote);
		/* A map entry names the file by its full path or by its last
		 * path components: "TestDriver.sys" serves
		 * \SystemRoot\...\TestDriver.sys, never ...\NotTestDriver.sys. */
		if (nl < rl || strcasecmp(remote + nl - rl, r) != 0)
			continue;
		if (nl == rl || r[0] == '\\' || r[0] == '/' || remote[nl - rl - 1] == '\\' ||
		    remote[nl - rl - 1] == '/')
			return f->local;
	}
	return NULL;
}

static void handle_file_io(struct live *lv, const uint8_t *data, size_t len)
{
	struct dbgkd_file_io io;
	if (len < sizeof io)
		return;
	memcpy(&io, data, sizeof io);
	uint8_t reply[KD_PACKET_MAX_SIZE];
	size_t rlen = sizeof io;
	io.Status = KD_STATUS_UNSUCCESSFUL;
	switch (io.ApiNumber) {
	case DbgKdCreateFileApi: {
		/* The name is UTF-16LE after the header; keep its ASCII part. */
		char name[520];
		size_t n = 0;
		for (size_t i = sizeof io; i + 1 < len && n < sizeof name - 1; i += 2) {
			uint16_t c = (uint16_t)(data[i] | (data[i + 1] << 8));
			if (!c)
				break;
			name[n++] = c < 0x80 ? (char)c : '?';
		}
		name[n] = '\0';
		const char *local = kdfiles_lookup(lv, name);
		FILE *f = local ? fopen(local, "rb") : NULL;
		io.Status = KD_STATUS_NO_SUCH_FILE;
		for (size_t i = 0; f && i < sizeof lv->files / sizeof lv->files[0]; i++) {
			if (!lv->files[i].f) {
				fseek(f, 0, SEEK_END);
				io.u.CreateFile.Length = (uint64_t)ftell(f);
				lv->files[i].f = f;
				lv->files[i].handle = ++lv->next_handle;
				io.u.CreateFile.Handle = lv->files[i].handle;
				io.Status = KD_STATUS_SUCCESS;
				kd_printf(lv->eng, "KD: serving %s for %s\n", local, name);
				f = NULL;
			}
		}
		if (f)
			fclose(f);
		break;
	}
	case DbgKdReadFileApi:
	case DbgKdCloseFileApi:
		for (size_t i = 0; i < sizeof lv->files / sizeof lv->files[0]; i++) {
			struct open_file *of = &lv->files[i];
			if (!of->f || of->handle != io.u.ReadFile.Handle)
				continue;
			if (io.ApiNumber == DbgKdCloseFileApi) {
				fclose(of->f);
				of->f = NULL;
				io.Status = KD_STATUS_SUCCESS;
				break;
			}
			uint32_t want = io.u.ReadFile.Length;
			if (want > sizeof reply - sizeof io)
				want = sizeof reply - sizeof io;
			size_t got = 0;
			if (fseek(of->f, (long)io.u.ReadFile.Offset, SEEK_SET) == 0)
				got = fread(reply + sizeof io, 1, want, of->f);
			io.u.ReadFile.Length = (uint32_t)got;
			io.Status = KD_STATUS_SUCCESS;
			rlen += got;
			break;
		}
		break;
	default:
		break;
	}
	memcpy(reply, &io, sizeof io);
	lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_FILE_IO, reply, rlen);
}

static void on_packet(void *user, uint16_t type, const uint8_t *data, size_t len)
{
	struct live *lv = user;
	switch (type) {
	case KD_PACKET_TYPE_KD_STATE_MANIPULATE:
		if (lv->waiting && len >= MANIP_SIZE) {
			uint32_t api = data[0] | (data[1] << 8) | (data[2] << 16) | ((uint32_t)data[3] << 24);
			if (api == lv->want_api) {
				memcpy(lv->reply, data, len);
				lv->reply_len = len;
				lv->got_reply = 1;
			} else {
				/* An answer to a question we did not ask: the request was
				 * damaged on the way in a way its checksum missed. */
				lv->bad_reply = 1;
			}
		}
		break;
	case KD_PACKET_TYPE_KD_STATE_CHANGE64:
		handle_state_change(lv, data, len);
		break;
	case KD_PACKET_TYPE_KD_DEBUG_IO:
		handle_debug_io(lv, data, len);
		break;
	case KD_PACKET_TYPE_KD_FILE_IO:
		handle_file_io(lv, data, len);
		break;
	default:
		break;
	}
}

static void on_error(void *user, int err, const char *msg)
{
	struct live *lv = user;
	lv->link_error = err;
	snprintf(lv->link_msg, sizeof lv->link_msg, "%s", msg);
}

static void on_connect(void *user)
{
	struct live *lv = user;
	if (!lv->connected)
		kd_printf(lv->eng, "Connected to %s\n", lv->connection);
	lv->connected = 1;
	lv->link_error = 0;
}

static void on_trace(void *user, const char *line)
{
	struct live *lv = user;
	char buf[300];
	snprintf(buf, sizeof buf, "%s\n", line);
	kd_output(lv->eng, KD_OUTPUT_TRACE, buf);
}

void kd_live_peer_connected(struct kd_target *t)
{
	struct live *lv = live_of(t);
	lv->connected = 1;
	lv->link_error = 0;
	kd_printf(lv->eng, "Connected to %s\n", lv->connection);
}

void kd_live_peer_lost(struct kd_target *t, const char *why)
{
	struct live *lv = live_of(t);
	if (lv->connected)
		kd_eprintf(lv->eng, "Lost the connection to %s: %s\n", lv->connection, why);
	lv->connected = 0;
	lv->link_error = KD_EDISCONNECTED;
	snprintf(lv->link_msg, sizeof lv->link_msg, "%s", why);
	/* What kd read from it is no longer the machine's state; a target
	 * that comes back (reconnect) may be another machine. */
	kd_engine_target_lost(lv->eng);
}

/* --- waiting on the loop ----------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	struct live *lv = t->data;
	lv->timer_fired = 1;
}

static void on_timer_poll(uv_timer_t *t)
{
	(void)t; /* only wakes the loop so the wait can look at the link */
}

static uint64_t link_damage(struct live *lv)
{
	if (!lv->link || !lv->link->ops->get_stats)
		return 0;
	struct kd_link_stats st;
	lv->link->ops->get_stats(lv->link, &st);
	return st.bad_checksums + st.resends + st.dropped;
}

/* Run the loop until *flag is set, the time is up, the user cancels, the
 * peer goes away, or (max_damage > 0) the link has damaged that many
 * packets since the wait began: then the caller retries in smaller pieces
 * rather than waiting for a long packet that cannot cross. */
static int run_until_ex(struct live *lv, const int *flag, unsigned timeout_ms, uint64_t max_damage)
{
	lv->timer_fired = 0;
	if (timeout_ms)
		uv_timer_start(&lv->timer, on_timer, timeout_ms, 0);
	uv_loop_t *loop = kd_engine_loop(lv->eng);
	uint64_t damage0 = link_damage(lv);
	int rc = 0;
	while (!*flag) {
		if (lv->timer_fired) {
			rc = KD_ETIMEDOUT;
			break;
		}
		if (kd_engine_canceled(lv->eng)) {
			rc = KD_ECANCELED;
			break;
		}
		if (*flag) /* the front end's cancel poll may have turned the loop */
			break;
		if (lv->waiting && !lv->connected) {
			rc = KD_EDISCONNECTED;
			break;
		}
		if ((max_damage && link_damage(lv) - damage0 >= max_damage) || lv->bad_reply) {
			rc = KD_EPROTO;
			break;
		}
		uv_timer_start(&lv->poll, on_timer_poll, 100, 0);
		uv_run(loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&lv->timer);
	uv_timer_stop(&lv->poll);
	return rc;
}

static int run_until(struct live *lv, const int *flag, unsigned timeout_ms)
{
	return run_until_ex(lv, flag, timeout_ms, 0);
}

static void live_explain_silence(struct kd_target *t)
{
	struct live *lv = live_of(t);
	kd_eprintf(lv->eng, "The target does not answer on %s%s%s.\n", lv->connection,
	           lv->link_msg[0] ? ": " : "", lv->link_msg);
	if (lv->causes[0])
		kd_eprintf(lv->eng, "%s", lv->causes);
}

/* Send a manipulate request and wait for its reply. */
static int request_once(struct live *lv, struct dbgkd_manipulate_state64 *m, const void *extra,
                        size_t extra_len, uint64_t max_damage, unsigned timeout_ms)
{
	int rc = need_stopped(lv);
	if (rc < 0)
		return rc;
	uint8_t pkt[KD_PACKET_MAX_SIZE];
	if (MANIP_SIZE + extra_len > sizeof pkt)
		return KD_EINVAL;
	m->ReturnStatus = 0;
	memcpy(pkt, m, MANIP_SIZE);
	if (extra_len)
		memcpy(pkt + MANIP_SIZE, extra, extra_len);
	lv->requests++;
	lv->waiting = 1;
	lv->want_api = m->ApiNumber;
	lv->got_reply = 0;
	lv->bad_reply = 0;
	lv->link_error = 0;
	lv->link_msg[0] = '\0';
	rc = lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, pkt, MANIP_SIZE + extra_len);
	if (rc == 0) {
		rc = run_until_ex(lv, &lv->got_reply, timeout_ms, max_damage);
	}
	lv->waiting = 0;
	if (rc == KD_EDISCONNECTED) {
		kd_eprintf(lv->eng, "The target went away (%s): %s\n", lv->connection,
		           lv->link_msg[0] ? lv->link_msg : "connection lost");
		return rc;
	}
	if (rc < 0)
		return rc;
	memcpy(m, lv->reply, MANIP_SIZE);
	return 0;
}

/* On a link that has been losing bytes, a damaged packet can still pass
 * the additive checksum; reading twice and comparing keeps damage from
 * being shown as memory. */
static int noisy(struct live *lv)
{
	if (!lv->link->ops->get_stats)
		return 0;
	struct kd_link_stats st;
	lv->link->ops->get_stats(lv->link, &st);
	uint64_t bad = st.bad_checksums + st.resends + st.dropped;
	if (bad != lv->noisy_seen) {
		lv->noisy_seen = bad;
		lv->noisy_until = lv->requests + 256;
	}
	return lv->requests < lv->noisy_until;
}

/* A request, asked again while the link shows damage: a damaged request
 * or reply costs a retry, never a wrong answer. With max_damage the caller
 * wants KD_EPROTO back to retry in smaller pieces itself. */
static int request_ex(struct live *lv, struct dbgkd_manipulate_state64 *m, const void *extra,
                      size_t extra_len, uint64_t max_damage)
{
	unsigned timeout = lv->opt.request_timeout_ms ? lv->opt.request_timeout_ms : 6000;
	struct dbgkd_manipulate_state64 orig = *m;
	int rc = KD_ETIMEDOUT;
	for (int attempt = 0; attempt < 20; attempt++) {
		*m = orig;
		uint64_t damage0 = link_damage(lv);
		rc = request_once(lv, m, extra, extra_len, max_damage, timeout);
		int damaged = link_damage(lv) != damage0;
		if (rc == KD_EPROTO || (rc == KD_ETIMEDOUT && damaged)) {
			/* The target drops its unfinished reply when the next request
			 * comes, and numbers the next one on from it. */
			if (lv->link->ops->abandon_receive)
				lv->link->ops->abandon_receive(lv->link);
			if (rc == KD_EPROTO && max_damage)
				return rc;
			continue;
		}
		break;
	}
	if (rc == KD_ETIMEDOUT || rc == KD_ECANCELED || rc == KD_EPROTO) {
		/* Forget the request so a late answer cannot be taken for the
		 * reply to the next one. */
		lv->link->ops->reset(lv->link);
		if (rc == KD_ETIMEDOUT && !noisy(lv))
			live_explain_silence(&lv->t);
	}
	return rc;
}

static int request(struct live *lv, struct dbgkd_manipulate_state64 *m, const void *extra,
                   size_t extra_len)
{
	return request_ex(lv, m, extra, extra_len, 0);
}

static void init_request(struct dbgkd_manipulate_state64 *m, uint32_t api, unsigned cpu)
{
	memset(m, 0, sizeof *m);
	m->ApiNumber = api;
	m->Processor = (uint16_t)cpu;
}

/* --- target operations -------------------------------------------------- */

static int live_version(struct kd_target *t, struct kd_version *out)
{
	struct live *lv = live_of(t);
	if (!lv->have_version) {
		struct dbgkd_manipulate_state64 m;
		init_request(&m, DbgKdGetVersionApi, 0);
		int rc = request(lv, &m, NULL, 0);
		if (rc < 0)
			return rc;
		const struct dbgkd_get_version64 *v = &m.u.GetVersion64;
		lv->version.machine = (enum kd_machine)v->MachineType;
		lv->version.major = v->MajorVersion;
		lv->version.build = v->MinorVersion;
		lv->version.protocol_version = v->ProtocolVersion;
		lv->version.kd_secondary_version = v->KdSecondaryVersion;
		lv->version.flags = v->Flags;
		lv->version.kern_base = v->KernBase;
		lv->version.ps_loaded_module_list = v->PsLoadedModuleList;
		lv->version.debugger_data_list = v->DebuggerDataList;
		lv->have_version = 1;
	}
	lv->version.processors = lv->processors ? lv->processors : 1;
	*out = lv->version;
	return 0;
}

/* Read one chunk with a memory-reading API (virtual, physical, control). */
/* Read one chunk with a reading API: virtual, physical or control memory
 * (address and count in ReadMemory), or a piece of the CONTEXT through
 * GetContextEx (offset and count in ContextEx). */
static int read_chunk(struct live *lv, uint32_t api, unsigned cpu, uint64_t addr,
                      uint8_t *buf, uint32_t len, uint32_t *got)
{
	struct dbgkd_manipulate_state64 m;
	int ctx = api == DbgKdGetContextExApi;
	init_request(&m, api, cpu);
	if (ctx) {
		m.u.ContextEx.Offset = (uint32_t)addr;
		m.u.ContextEx.ByteCount = len;
	} else {
		m.u.ReadMemory.TargetBaseAddress = addr;
		m.u.ReadMemory.TransferCount = len;
	}
	int rc = request_ex(lv, &m, NULL, 0, len > MIN_TRANSFER ? 6 : 0);
	if (rc < 0)
		return rc;
	if (ctx && m.ReturnStatus != KD_STATUS_SUCCESS)
		return KD_ETARGET;
	uint32_t n = ctx ? m.u.ContextEx.BytesCopied : m.u.ReadMemory.ActualBytesRead;
	size_t avail = lv->reply_len - MANIP_SIZE;
	/* A reply must answer the question asked: anything else is damage
	 * the checksum did not catch. */
	if ((ctx ? m.u.ContextEx.Offset != addr : m.u.ReadMemory.TargetBaseAddress != addr) ||
	    n > len || n > avail)
		return KD_EPROTO;
	memcpy(buf, lv->reply + MANIP_SIZE, n);
	*got = n;
	return n == 0 ? KD_EUNREADABLE : 0;
}

static int read_memory(struct kd_target *t, uint32_t api, unsigned cpu, uint64_t addr,
                       void *buf, uint32_t len, uint32_t *done)
{
	struct live *lv = live_of(t);
	uint8_t *out = buf;
	uint32_t total = 0;
	int attempts = 0;
	while (total < len) {
		uint32_t chunk = len - total;
		if (chunk > lv->max_transfer)
			chunk = lv->max_transfer;
		uint32_t got = 0;
		int rc = read_chunk(lv, api, cpu, addr + total, out + total, chunk, &got);
		if (rc == 0 && noisy(lv)) {
			uint8_t *again = malloc(chunk);
			uint32_t got2 = 0;
			int rc2 = again ? read_chunk(lv, api, cpu, addr + total, again, chunk, &got2) : KD_ENOMEM;
			/* Unconfirmed is not good enough: a second read that failed
			 * leaves the first unverified, so both are asked again. */
			if (rc2 == KD_ECANCELED || rc2 == KD_EDISCONNECTED)
				rc = rc2;
			else if (rc2 != 0 || got2 != got || memcmp(again, out + total, got) != 0)
				rc = KD_EPROTO;
			free(again);
		}
		/* A noisy line that went quiet for a while is still a line:
		 * ask again rather than give up on the read. */
		if ((rc == KD_EPROTO || (rc == KD_ETIMEDOUT && noisy(lv))) && ++attempts < 50) {
			lv->clean_replies = 0;
			/* Shorter packets cross a bad line more often. */
			if (lv->max_transfer > MIN_TRANSFER)
				lv->max_transfer /= 2;
			continue;
		}
		if (rc == KD_EUNREADABLE)
			break;
		if (rc < 0) {
			*done = total;
			if (total && rc != KD_ETARGET)
				kd_eprintf(lv->eng, "Reading memory at %llx stopped after %u bytes: %s\n",
				           (unsigned long long)(addr + total), total, kd_strerror(rc));
			return total && rc != KD_ETARGET ? 0 : rc;
		}
		attempts = 0;
		/* After a run of clean replies, try longer packets again. */
		if (++lv->clean_replies >= 8 && lv->max_transfer < MAX_TRANSFER) {
			lv->max_transfer = lv->max_transfer * 2 > MAX_TRANSFER ? MAX_TRANSFER : lv->max_transfer * 2;
			lv->clean_replies = 0;
		}
		total += got;
		if (got < chunk)
			break;
	}
	*done = total;
	return total == 0 && len > 0 ? KD_EUNREADABLE : 0;
}

static int live_read_virtual(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return read_memory(t, DbgKdReadVirtualMemoryApi, kd_engine_cpu(live_of(t)->eng), addr, buf, len, done);
}

static int live_read_physical(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return read_memory(t, DbgKdReadPhysicalMemoryApi, kd_engine_cpu(live_of(t)->eng), addr, buf, len, done);
}

static int live_read_control(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return read_memory(t, DbgKdReadControlSpaceApi, cpu, addr, buf, len, done);
}

static int write_memory(struct kd_target *t, uint32_t api, unsigned cpu, uint64_t addr,
                        const void *buf, uint32_t len, uint32_t *done)
{
	struct live *lv = live_of(t);
	const uint8_t *in = buf;
	uint32_t total = 0;
	while (total < len) {
		uint32_t chunk = len - total;
		if (chunk > MAX_TRANSFER)
			chunk = MAX_TRANSFER;
		struct dbgkd_manipulate_state64 m;
		init_request(&m, api, cpu);
		m.u.WriteMemory.TargetBaseAddress = addr + total;
		m.u.WriteMemory.TransferCount = chunk;
		int rc = request(lv, &m, in + total, chunk);
		if (rc < 0) {
			*done = total;
			return rc;
		}
		uint32_t n = m.u.WriteMemory.ActualBytesWritten;
		if (m.ReturnStatus != KD_STATUS_SUCCESS || n == 0) {
			*done = total;
			return total ? 0 : KD_EUNREADABLE;
		}
		if (n > chunk)
			n = chunk;
		total += n;
	}
	*done = total;
	return 0;
}

static int live_write_virtual(struct kd_target *t, uint64_t addr, const void *buf, uint32_t len, uint32_t *done)
{
	return write_memory(t, DbgKdWriteVirtualMemoryApi, kd_engine_cpu(live_of(t)->eng), addr, buf, len, done);
}

static int live_write_physical(struct kd_target *t, uint64_t addr, const void *buf, uint32_t len, uint32_t *done)
{
	return write_memory(t, DbgKdWritePhysicalMemoryApi, kd_engine_cpu(live_of(t)->eng), addr, buf, len, done);
}

static int live_write_control(struct kd_target *t, unsigned cpu, uint64_t addr, const void *buf, uint32_t len, uint32_t *done)
{
	return write_memory(t, DbgKdWriteControlSpaceApi, cpu, addr, buf, len, done);
}

static int live_get_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	struct live *lv = live_of(t);
	struct kd_version v;
	int rc = live_version(t, &v);
	if (rc < 0)
		return rc;
	size_t size = kd_context_size(v.machine);
	if (!size)
		return KD_ENOTSUP;
	memset(out, 0, sizeof *out);
	out->machine = v.machine;
	/* GetContextEx comes in pieces, so a noisy line can carry it; targets
	 * without it (the boot debugger refuses it) get the plain API. */
	uint32_t done = 0;
	if (!lv->no_context_ex) {
		rc = read_memory(t, DbgKdGetContextExApi, cpu, 0, out->u.raw, (uint32_t)size, &done);
		if (rc == 0 && done == size)
			return 0;
		if (rc != KD_ETARGET && rc != KD_EUNREADABLE && rc < 0)
			return rc;
		lv->no_context_ex = 1;
	}
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdGetContextApi, cpu);
	rc = request(lv, &m, NULL, 0);
	if (rc == 0 && m.ReturnStatus != KD_STATUS_SUCCESS)
		rc = KD_ETARGET;
	if (rc < 0)
		return rc;
	if (lv->reply_len < MANIP_SIZE + size)
		return KD_EPROTO;
	memcpy(out->u.raw, lv->reply + MANIP_SIZE, size);
	return 0;
}

static int live_set_context(struct kd_target *t, unsigned cpu, const struct kd_context *ctx)
{
	struct live *lv = live_of(t);
	size_t size = kd_context_size(ctx->machine);
	if (!size)
		return KD_ENOTSUP;
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdSetContextApi, cpu);
	int rc = request(lv, &m, ctx->u.raw, size);
	if (rc == 0 && m.ReturnStatus != KD_STATUS_SUCCESS)
		rc = KD_ETARGET;
	return rc;
}

/* A live target has a bugcheck once the kernel filled KiBugcheckData. */
static int live_bugcheck(struct kd_target *t, struct kd_bugcheck *out)
{
	struct live *lv = live_of(t);
	if (!lv->stopped)
		return KD_ERUNNING;
	return kd_events_read_bugcheck(lv->eng, out);
}

static void free_live(uv_handle_t *h)
{
	struct live *lv = h->data;
	if (--lv->pending_closes == 0)
		free(lv);
}

static void live_close(struct kd_target *t)
{
	struct live *lv = live_of(t);
	if (lv->link)
		lv->link->ops->close(lv->link);
	if (lv->transport_close)
		lv->transport_close(lv->transport);
	if (lv->transport_free)
		lv->transport_free(lv->transport);
	while (lv->kdfiles) {
		struct kdfile *f = lv->kdfiles;
		lv->kdfiles = f->next;
		free(f->remote);
		free(f->local);
		free(f);
	}
	for (size_t i = 0; i < sizeof lv->files / sizeof lv->files[0]; i++)
		if (lv->files[i].f)
			fclose(lv->files[i].f);
	/* The timer is embedded: free once libuv has let go of it. */
	lv->pending_closes = 2;
	uv_close((uv_handle_t *)&lv->timer, free_live);
	uv_close((uv_handle_t *)&lv->poll, free_live);
}


/* --- public ------------------------------------------------------------- */

int kd_live_target_new(struct kd_engine *eng, const struct kd_live_options *opt,
                       struct kd_target **out, struct kd_link_callbacks *cb)
{
	struct live *lv = calloc(1, sizeof *lv);
	if (!lv)
		return KD_ENOMEM;
	lv->t.ops = &live_ops;
	lv->t.impl = lv;
	lv->eng = eng;
	if (opt)
		lv->opt = *opt;
	snprintf(lv->connection, sizeof lv->connection, "%s", opt && opt->connection ? opt->connection : "the target");
	snprintf(lv->causes, sizeof lv->causes, "%s", opt && opt->causes ? opt->causes : "");
	lv->max_transfer = MAX_TRANSFER;
	uv_timer_init(kd_engine_loop(eng), &lv->timer);
	uv_timer_init(kd_engine_loop(eng), &lv->poll);
	lv->timer.data = lv;
	lv->poll.data = lv;
	memset(cb, 0, sizeof *cb);
	cb->on_packet = on_packet;
	cb->on_error = on_error;
	cb->on_connect = on_connect;
	cb->on_trace = on_trace;
	cb->user = lv;
	*out = &lv->t;
	return 0;
}

void kd_live_set_link(struct kd_target *t, struct kd_link *link)
{
	struct live *lv = live_of(t);
	lv->link = link;
	link->ops->set_trace(link, lv->trace);
}

void kd_live_set_transport(struct kd_target *t, void *ctx, void (*close_fn)(void *),
                           void (*free_fn)(void *))
{
	struct live *lv = live_of(t);
	lv->transport = ctx;
	lv->transport_close = close_fn;
	lv->transport_free = free_fn;
}

struct kd_link *kd_live_link(struct kd_target *t)
{
	return live_of(t)->link;
}

static int live_is_stopped(struct kd_target *t)
{
	return live_of(t)->stopped;
}

static int live_wait_stop(struct kd_target *t, unsigned timeout_ms)
{
	struct live *lv = live_of(t);
	return run_until(lv, &lv->stopped, timeout_ms);
}

static int live_break_in(struct kd_target *t)
{
	struct live *lv = live_of(t);
	if (!lv->link)
		return KD_EDISCONNECTED;
	return lv->link->ops->breakin(lv->link);
}

static int send_resume(struct live *lv, const struct kd_resume *r)
{
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdContinueApi2, kd_engine_cpu(lv->eng));
	m.u.Continue2.ContinueStatus = r && r->status ? r->status : KD_DBG_CONTINUE;
	if (r && lv->version.machine == KD_MACHINE_I386) {
		m.u.Continue2.u.X86ControlSet.TraceFlag = r->trace ? 1 : 0;
		m.u.Continue2.u.X86ControlSet.Dr7 = (uint32_t)r->dr7;
	} else if (r) {
		m.u.Continue2.u.Amd64ControlSet.TraceFlag = r->trace ? 1 : 0;
		m.u.Continue2.u.Amd64ControlSet.Dr7 = r->dr7;
	}
	uint8_t pkt[MANIP_SIZE];
	memcpy(pkt, &m, MANIP_SIZE);
	lv->stopped = 0;
	kd_engine_target_resumed(lv->eng);
	return lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, pkt, MANIP_SIZE);
}

/* Plain go: no trace flag, no debug registers. */
static void send_continue(struct live *lv)
{
	send_resume(lv, NULL);
}

static int live_resume(struct kd_target *t, const struct kd_resume *r)
{
	struct live *lv = live_of(t);
	int rc = need_stopped(lv);
	if (rc < 0)
		return rc;
	return send_resume(lv, r);
}

static int live_insert_breakpoint(struct kd_target *t, uint64_t addr, uint32_t *handle)
{
	struct live *lv = live_of(t);
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdWriteBreakPointApi, kd_engine_cpu(lv->eng));
	m.u.WriteBreakPoint.BreakPointAddress = addr;
	int rc = request(lv, &m, NULL, 0);
	if (rc < 0)
		return rc;
	if (m.ReturnStatus != KD_STATUS_SUCCESS || m.u.WriteBreakPoint.BreakPointHandle == 0)
		return KD_ETARGET;
	*handle = m.u.WriteBreakPoint.BreakPointHandle;
	return 0;
}

static int live_remove_breakpoint(struct kd_target *t, uint32_t handle)
{
	struct live *lv = live_of(t);
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdRestoreBreakPointApi, kd_engine_cpu(lv->eng));
	m.u.RestoreBreakPoint.BreakPointHandle = handle;
	int rc = request(lv, &m, NULL, 0);
	if (rc < 0)
		return rc;
	return m.ReturnStatus == KD_STATUS_SUCCESS ? 0 : KD_ETARGET;
}

static int live_cause_bugcheck(struct kd_target *t, uint32_t code)
{
	struct live *lv = live_of(t);
	int rc = need_stopped(lv);
	if (rc < 0)
		return rc;
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdCauseBugCheckApi, kd_engine_cpu(lv->eng));
	/* The code is the first field of the request's union; no reply comes:
	 * the target goes on into KeBugCheckEx. */
	memcpy(m.u.Raw, &code, sizeof code);
	uint8_t pkt[MANIP_SIZE];
	memcpy(pkt, &m, MANIP_SIZE);
	lv->stopped = 0;
	kd_engine_target_resumed(lv->eng);
	return lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, pkt, MANIP_SIZE);
}

static uint64_t live_last_dr6(struct kd_target *t)
{
	return live_of(t)->last_dr6;
}

static void live_set_module_hook(struct kd_target *t, kd_module_event_fn fn, void *user)
{
	struct live *lv = live_of(t);
	lv->module_hook = fn;
	lv->module_hook_user = user;
}

static int live_switch_processor(struct kd_target *t, unsigned cpu)
{
	struct live *lv = live_of(t);
	int rc = need_stopped(lv);
	if (rc < 0)
		return rc;
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdSwitchProcessor, cpu);
	uint8_t pkt[MANIP_SIZE];
	memcpy(pkt, &m, MANIP_SIZE);
	/* The target answers from the other processor with a new state change. */
	lv->stopped = 0;
	rc = lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, pkt, MANIP_SIZE);
	if (rc == 0)
		rc = run_until(lv, &lv->stopped, lv->opt.request_timeout_ms ? lv->opt.request_timeout_ms : 6000);
	if (rc < 0) {
		lv->stopped = 1; /* the processor we had still holds the target */
		return rc;
	}
	return 0;
}

static int live_reboot(struct kd_target *t)
{
	struct live *lv = live_of(t);
	int rc = need_stopped(lv);
	if (rc < 0)
		return rc;
	struct dbgkd_manipulate_state64 m;
	init_request(&m, DbgKdRebootApi, kd_engine_cpu(lv->eng));
	uint8_t pkt[MANIP_SIZE];
	memcpy(pkt, &m, MANIP_SIZE);
	lv->stopped = 0;
	lv->have_version = 0;
	kd_engine_target_resumed(lv->eng);
	return lv->link->ops->send(lv->link, KD_PACKET_TYPE_KD_STATE_MANIPULATE, pkt, MANIP_SIZE);
}

static void live_set_trace(struct kd_target *t, int on)
{
	struct live *lv = live_of(t);
	lv->trace = on;
	if (lv->link)
		lv->link->ops->set_trace(lv->link, on);
}

static int live_stats(struct kd_target *t, struct kd_target_stats *out)
{
	struct live *lv = live_of(t);
	struct kd_link_stats ls = { 0 };
	if (lv->link && lv->link->ops->get_stats)
		lv->link->ops->get_stats(lv->link, &ls);
	*out = (struct kd_target_stats){
		.requests = lv->requests,
		.bytes_sent = ls.bytes_sent, .bytes_received = ls.bytes_received,
		.packets_sent = ls.packets_sent, .packets_received = ls.packets_received,
		.resends = ls.resends, .bad_packets = ls.bad_checksums, .dropped = ls.dropped,
		.auth_failures = ls.auth_failures,
	};
	return 0;
}

static int live_trace(struct kd_target *t)
{
	return live_of(t)->trace;
}

static int live_serve_file(struct kd_target *t, const char *remote, const char *local)
{
	struct live *lv = live_of(t);
	struct kdfile *f = calloc(1, sizeof *f);
	if (!f || !(f->remote = strdup(remote)) || !(f->local = strdup(local))) {
		if (f)
			free(f->remote);
		free(f);
		return KD_ENOMEM;
	}
	f->next = lv->kdfiles;
	lv->kdfiles = f;
	return 0;
}

/* Run the loop until the link has delivered what it queued, or the time
 * is up. */
static void live_flush(struct kd_target *t, unsigned timeout_ms)
{
	struct live *lv = live_of(t);
	uv_loop_t *loop = kd_engine_loop(lv->eng);
	for (unsigned waited = 0; lv->link && lv->link->ops->pending(lv->link) && waited < timeout_ms;
	     waited += 20) {
		uv_timer_start(&lv->poll, on_timer_poll, 20, 0);
		uv_run(loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&lv->poll);
}

static const struct kd_target_ops live_ops = {
	.kind = "live",
	.close = live_close,
	.version = live_version,
	.read_virtual = live_read_virtual,
	.write_virtual = live_write_virtual,
	.read_physical = live_read_physical,
	.write_physical = live_write_physical,
	.get_context = live_get_context,
	.set_context = live_set_context,
	.read_control = live_read_control,
	.write_control = live_write_control,
	.bugcheck = live_bugcheck,
	.is_stopped = live_is_stopped,
	.wait_stop = live_wait_stop,
	.break_in = live_break_in,
	.resume = live_resume,
	.insert_breakpoint = live_insert_breakpoint,
	.remove_breakpoint = live_remove_breakpoint,
	.switch_processor = live_switch_processor,
	.reboot = live_reboot,
	.cause_bugcheck = live_cause_bugcheck,
	.last_dr6 = live_last_dr6,
	.set_module_hook = live_set_module_hook,
	.explain_silence = live_explain_silence,
	.trace = live_trace,
	.set_trace = live_set_trace,
	.stats = live_stats,
	.serve_file = live_serve_file,
	.flush = live_flush,
};
