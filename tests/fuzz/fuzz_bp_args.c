/*
 * Fuzz harness for the execution-control parsers (kd/engine/breakpoints.c,
 * kd/engine/events.c): bp/ba arguments, breakpoint id lists, command strings
 * (j, trailing g) and sx event names, on arbitrary text; the bl line of
 * whatever parsed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kd/engine/breakpoints.h"
#include "kd/engine/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char err[200], line[1200];
	struct kd_bp_args a;
	for (int is_ba = 0; is_ba < 2; is_ba++) {
		if (kd_bp_parse_args(text, is_ba, &a, err, sizeof err) == 0) {
			struct kd_bp b;
			memset(&b, 0, sizeof b);
			b.kind = is_ba ? KD_BP_HARDWARE : KD_BP_SOFTWARE;
			b.access = a.access;
			b.size = a.size;
			b.passes = b.passes_left = 1;
			memcpy(b.expr, a.addr, sizeof b.expr);
			memcpy(b.command, a.command, sizeof b.command);
			kd_bp_format(&b, is_ba, a.addr, line, sizeof line);
			kd_bp_check_hw(a.access, a.size, size, err, sizeof err);
		}
	}
	uint8_t sel[KD_BP_MAX_ID + 1];
	memset(sel, 0, sizeof sel);
	const char *bad = NULL;
	kd_bp_parse_ids(text, sel, &bad);
	struct kd_bp_cmd c;
	kd_bp_split_command(text, &c);
	struct kd_events e;
	kd_events_init(&e);
	kd_events_set(&e, KD_SX_BREAK, text, err, sizeof err);
	kd_events_module(&e, 0, text);
	free(text);
	return 0;
}
