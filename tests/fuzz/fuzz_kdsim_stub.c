/*
 * Fuzz kdsim's KD stub with what a debugger may send: manipulate-state
 * requests (breakpoints, control space, contexts, continues with the trace
 * flag and Dr7, memory), debug-I/O and file-I/O answers and break-ins, in
 * any order and with any lengths, against a stopped x64 or x86 machine
 * with scripted code and events to run. The kdsim sources are compiled in
 * here, as they are not part of libkd.
 *
 * Input: one byte for the machine, then records: kind (1 byte), length
 * (2 bytes, little-endian), that many bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kd_packet.h"
#include "tests/kdsim/emulate.c"
#include "tests/kdsim/image_map.c"
#include "tests/kdsim/machine.c"
#include "tests/kdsim/run.c"
#include "tests/kdsim/script.c"
#include "tests/kdsim/stub.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int drop(struct kd_link *l, uint16_t type, const void *p, size_t len)
{
	(void)l;
	(void)type;
	(void)p;
	(void)len;
	return 0;
}

static const struct kd_link_ops drop_ops = { .send = drop };

static const char events64[] =
	"event run 0 fffff80012610000\n"
	"event write 1 fffff80012611000 4 1\n"
	"event prompt ?\n"
	"event exception 1 c0000005 fffff80012610000 first 1 2\n"
	"event load Foo fffff80015b00000 2000 Foo.sys\n"
	"event unload Foo fffff80015b00000\n"
	"event bugcheck 7e 1 2 3 4\n";
static const char events86[] =
	"event run 1 82810000 eax=3\n"
	"event write 0 82811000 2 1\n"
	"event exception 0 80000003 82810000 second\n"
	"event print x\n"
	"event bugcheck d1 1 2 3 4\n";
/* a loop with a call, a string store and a memory write */
static const uint8_t code64[] = { 0xb9, 0x03, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x3d, 0xf4, 0x0f, 0x00, 0x00, 0xf3, 0xaa,
                                  0xe8, 0x01, 0x00, 0x00, 0x00, 0xc3, 0x89, 0x05, 0xe2, 0x0f, 0x00, 0x00, 0xeb, 0xe4 };
static const uint8_t code86[] = { 0xb9, 0x03, 0x00, 0x00, 0x00, 0xbf, 0x00, 0x10, 0x81, 0x82, 0xf3, 0xaa,
                                  0xe8, 0x01, 0x00, 0x00, 0x00, 0xc3, 0xa3, 0x00, 0x10, 0x81, 0x82, 0xeb, 0xe6 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum kd_machine mach = data[0] & 1 ? KD_MACHINE_I386 : KD_MACHINE_AMD64;
	int x64 = mach == KD_MACHINE_AMD64;
	size_t pos = 1;
	uv_loop_t loop;
	struct sim_machine *m = malloc(sizeof *m);
	struct sim_stub *s = malloc(sizeof *s);
	struct sim_script script;
	struct kd_link link = { &drop_ops, { 0 } };
	struct kd_link_callbacks cb;
	char err[256];
	if (!m || !s || uv_loop_init(&loop) < 0) {
		free(m);
		free(s);
		return 0;
	}
	if (sim_machine_init(m, mach, 2) < 0)
		goto out_machine;
	sim_write(m, m->kern_base + 0x10000, x64 ? code64 : code86, x64 ? sizeof code64 : sizeof code86);
	if (sim_script_load_text(&script, m, x64 ? events64 : events86, strlen(x64 ? events64 : events86),
	                         "fuzz", err, sizeof err) < 0 || sim_machine_finish(m) < 0)
		goto out_machine;
	sim_stub_init(s, &loop, m);
	s->link = &link;
	s->script = &script;
	s->code_limit = 3000;
	s->booted = 1;       /* a booted machine, stopped by a break-in */
	sim_stub_callbacks(s, &cb);
	sim_stub_break(s, 0);
	while (pos + 3 <= size) {
		unsigned kind = data[pos] % 4;
		size_t len = data[pos + 1] | (size_t)data[pos + 2] << 8;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (len > KD_PACKET_MAX_SIZE)
			len = KD_PACKET_MAX_SIZE;
		static const uint16_t types[3] = { KD_PACKET_TYPE_KD_STATE_MANIPULATE, KD_PACKET_TYPE_KD_DEBUG_IO,
		                                   KD_PACKET_TYPE_KD_FILE_IO };
		if (kind == 3)
			cb.on_breakin(cb.user);
		else
			cb.on_packet(cb.user, types[kind], data + pos, len);
		pos += len;
		for (int i = 0; i < 4; i++)
			uv_run(&loop, UV_RUN_NOWAIT);
	}
	sim_stub_check_clean(s, 0);
	uv_close((uv_handle_t *)&s->timer, NULL);
	uv_close((uv_handle_t *)&s->run_timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	sim_stub_free(s);
	sim_script_free(&script);
out_machine:
	uv_loop_close(&loop);
	sim_machine_free(m);
	free(m);
	free(s);
	return 0;
}
