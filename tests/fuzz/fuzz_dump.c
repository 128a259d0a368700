/*
 * Fuzz harness for crash dump files: open the bytes as a dump target and,
 * when that succeeds, exercise every operation a session would (version,
 * bugcheck, exception, contexts and control space of each processor,
 * modules, virtual reads at the addresses the header names, physical
 * reads), then open it again in an engine and run the dump commands.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kd/targets/dump_target.h"
#include "kd/engine/engine.h"
#include "kd/commands/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *user, enum kd_output_kind kind, const char *text)
{
	(void)user;
	(void)kind;
	(void)text;
}

static void run_commands(const uint8_t *data, size_t size)
{
	char err[256];
	struct kd_target *t;
	if (kd_dump_target_open_buffer(data, size, &t, err, sizeof err) < 0)
		return;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct kd_engine *eng = kd_engine_new(&loop, quiet, NULL);
	if (eng && kd_engine_open_target(eng, t) == 0) {
		kd_execute(eng, ".bugcheck; .dumpdebug; !analyze -v; !pte fffff80000400123; "
		                "!vtop 0 80400123; ~1s; !pte 0");
	}
	kd_engine_free(eng);
	uv_loop_close(&loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct kd_target *t;
	if (kd_dump_target_open_buffer(data, size, &t, err, sizeof err) < 0)
		return 0;
	struct kd_version v;
	struct kd_bugcheck bc;
	struct kd_stop_event ev;
	struct kd_context c;
	uint8_t buf[0x1800];
	uint32_t done;
	t->ops->version(t, &v);
	t->ops->bugcheck(t, &bc);
	t->ops->exception(t, &ev);
	for (unsigned i = 0; i < v.processors && i < 8; i++) {
		t->ops->get_context(t, i, &c);
		for (uint64_t a = 0; a < 4; a++)
			t->ops->read_control(t, i, a, buf, 0x100, &done);
	}
	struct kd_module *m = NULL;
	size_t n = 0;
	if (t->ops->modules(t, &m, &n) == 0)
		free(m);
	uint64_t addrs[] = { bc.args[0], bc.args[1], bc.args[2], bc.args[3], v.kern_base,
	                     v.ps_loaded_module_list, v.debugger_data_list, 0xfffff80000400ff0ull,
	                     0x80400ff0ull, 0 };
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
		t->ops->read_virtual(t, addrs[i], buf, sizeof buf, &done);
	t->ops->read_physical(t, 0x1ff8, buf, sizeof buf, &done);
	t->ops->close(t);
	run_commands(data, size);
	return 0;
}
