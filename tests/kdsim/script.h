/*
 * kdsim event scripts: the `event` lines of a scenario file, what the
 * running target does next, one event each time the processors have no
 * code left to run (see script.c for the syntax), and the `image`
 * directive that maps a PE file while the scenario is loaded.
 */
#ifndef KDSIM_SCRIPT_H
#define KDSIM_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "tests/kdsim/machine.h"

enum sim_event_kind {
	SIM_EVENT_LOAD,
	SIM_EVENT_UNLOAD,
	SIM_EVENT_RUN,
	SIM_EVENT_EXCEPTION,
	SIM_EVENT_WRITE,
	SIM_EVENT_PRINT,
	SIM_EVENT_BUGCHECK,
	SIM_EVENT_PROMPT,
};

#define SIM_EVENT_MAX_REGS 16

struct sim_event_reg {
	char name[12];
	uint64_t value;
};

struct sim_event {
	enum sim_event_kind kind;
	unsigned cpu;
	uint64_t addr;         /* load, unload: the base; run, exception, write: ADDR */
	uint64_t size;         /* load: SizeOfImage; write: bytes (1, 2, 4 or 8) */
	uint64_t value;        /* write: the value */
	uint32_t code;         /* exception, bugcheck: the code */
	int first_chance;
	uint64_t params[15];   /* exception parameters, bugcheck P1-P4 */
	unsigned nparams;
	struct sim_event_reg regs[SIM_EVENT_MAX_REGS];
	unsigned nregs;
	char name[64];         /* load, unload */
	char path[260];        /* load: the path reported */
	char file[512];        /* load: the PE file to map, "" when none */
	char text[1024];       /* print, prompt */
};

struct sim_script {
	struct sim_event *ev;
	size_t n, cap, next;
};

/* One scenario line's directive, from scenario.c's load_line: `image`
 * maps the file now; `event` is only checked (sim_script_load collects
 * the events). One line in bad on error. */
int sim_script_directive(struct sim_machine *m, char **w, int n, char *bad, size_t badlen);
/* Parse one `event ...` line (the text after the word "event", comments
 * already removed) into ev. */
int sim_script_parse_event(const struct sim_machine *m, char *line, struct sim_event *ev, char *bad, size_t badlen);
/* The events of a scenario file, in order. */
int sim_script_load(struct sim_script *s, const struct sim_machine *m, const char *path, char *err, size_t errlen);
/* The same from text in memory (tests, fuzzing); name is used in errors. */
int sim_script_load_text(struct sim_script *s, const struct sim_machine *m, const char *text, size_t len,
                         const char *name, char *err, size_t errlen);
/* The next event, or NULL when the script is done. */
const struct sim_event *sim_script_next(struct sim_script *s);
void sim_script_free(struct sim_script *s);
/* Set a register of ctx by name (rax, eip, efl, r8d is not accepted:
 * full registers only); 0, or -1 when unknown. */
int sim_set_register(struct kd_context *ctx, const char *name, uint64_t value);

#endif
