/*
 * Fuzz kdsim's scenario side: the event-script parser on arbitrary text,
 * the instruction stepper on arbitrary code (x86 and x64), and the PE
 * mapper (sections, base relocations) on arbitrary images. The first byte
 * picks which. The kdsim sources are compiled in here, as they are not
 * part of libkd.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/pe.h"
#include "tests/kdsim/emulate.c"
#include "tests/kdsim/image_map.c"
#include "tests/kdsim/machine.c"
#include "tests/kdsim/script.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 6;
	enum kd_machine mach = mode & 1 ? KD_MACHINE_I386 : KD_MACHINE_AMD64;
	data++;
	size--;
	struct sim_machine *m = malloc(sizeof *m);
	if (!m || sim_machine_init(m, mach, 2) < 0) {
		free(m);
		return 0;
	}
	char err[512];
	if (mode < 2) {
		struct sim_script s;
		if (sim_script_load_text(&s, m, (const char *)data, size, "fuzz", err, sizeof err) == 0) {
			const struct sim_event *e;
			while ((e = sim_script_next(&s)) != NULL)
				for (unsigned i = 0; i < e->nregs; i++)
					sim_set_register(&m->ctx[e->cpu], e->regs[i].name, e->regs[i].value);
			sim_script_free(&s);
		}
	} else if (mode < 4) {
		struct sim_emu e;
		uint64_t code = m->kern_base + 0x10000;
		sim_write(m, code, data, size > 0x4000 ? 0x4000 : (uint32_t)size);
		m->ctx[0].u.x64.Rip = code;
		if (mach == KD_MACHINE_I386)
			m->ctx[0].u.x86.Eip = (uint32_t)code;
		if (sim_emu_open(&e, mach) == 0) {
			for (int i = 0; i < 512; i++) {
				struct sim_step st;
				sim_emu_step(&e, m, &m->ctx[0], &st);
				if (st.kind != SIM_STEP_DONE)
					break;
			}
			sim_emu_close(&e);
		}
	} else {
		struct kd_pe *pe;
		/* keep the images small: the mapper maps all of SizeOfImage */
		if (kd_pe_open_mem(data, size, &pe, err, sizeof err) == 0) {
			uint32_t image_size = kd_pe_get_info(pe)->image_size;
			kd_pe_close(pe);
			if (image_size <= (1u << 20))
				sim_image_map_mem(m, data, size, mach == KD_MACHINE_AMD64 ? 0xfffff80016000000ull : 0x91000000ull,
				                  NULL, err, sizeof err);
		}
	}
	sim_machine_free(m);
	free(m);
	return 0;
}
