/*
 * Expressions: ? (a MASM expression's value) and .formats (one value in
 * several notations), in WinDbg's layout.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kd/commands/command.h"
#include "kd/engine/expr.h"

static int cmd_eval(struct kd_engine *eng, const char *name, const char *args)
{
	uint64_t v;
	const char *end;
	int rc = kd_cmd_eval(eng, kd_skip_spaces(args), &v, &end);
	if (rc < 0)
		return rc;
	end = kd_skip_spaces(end);
	if (*end) {
		kd_eprintf(eng, "Syntax error at '%s'\n", end);
		return KD_EINVAL;
	}
	kd_printf(eng, "Evaluate expression: %lld = %08x`%08x\n", (long long)v,
	          (unsigned)(v >> 32), (unsigned)v);
	return 0;
}

/* %g with the three-digit exponent of the Microsoft C runtime. */
static void ms_float(double d, char *buf, size_t n)
{
	char t[64];
	snprintf(t, sizeof t, "%g", d);
	char *e = strchr(t, 'e');
	if (e && (e[1] == '+' || e[1] == '-') && strlen(e + 2) == 2)
		snprintf(buf, n, "%.*s%c0%s", (int)(e - t + 1), t, e[1], e + 2);
	else
		snprintf(buf, n, "%s", t);
}

static int cmd_formats(struct kd_engine *eng, const char *name, const char *args)
{
	uint64_t v;
	const char *end;
	int rc = kd_cmd_eval(eng, kd_skip_spaces(args), &v, &end);
	if (rc < 0)
		return rc;
	kd_printf(eng, "Evaluate expression:\n");
	kd_printf(eng, "  Hex:     %08x`%08x\n", (unsigned)(v >> 32), (unsigned)v);
	kd_printf(eng, "  Decimal: %lld\n", (long long)v);
	kd_printf(eng, "  Octal:   %022llo\n", (unsigned long long)v);
	char bin[80];
	size_t j = 0;
	for (int i = 63; i >= 0; i--) {
		bin[j++] = (v >> i) & 1 ? '1' : '0';
		if (i % 8 == 0 && i)
			bin[j++] = ' ';
	}
	bin[j] = '\0';
	kd_printf(eng, "  Binary:  %s\n", bin);
	char chars[9];
	for (int i = 0; i < 8; i++) {
		unsigned ch = (unsigned)(v >> (8 * (7 - i))) & 0xff;
		chars[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
	}
	chars[8] = '\0';
	kd_printf(eng, "  Chars:   %s\n", chars);
	/* 32-bit values are time_t seconds, larger ones FILETIME ticks. */
	time_t secs;
	int valid = 1;
	if (v <= 0xffffffffull) {
		secs = (time_t)v;
	} else {
		uint64_t unix100ns = 116444736000000000ull;
		valid = v >= unix100ns && (v - unix100ns) / 10000000ull < (1ull << 40);
		secs = valid ? (time_t)((v - unix100ns) / 10000000ull) : 0;
	}
	struct tm tm;
	char tbuf[64];
	if (valid && gmtime_r(&secs, &tm) && strftime(tbuf, sizeof tbuf, "%a %b %e %H:%M:%S %Y", &tm))
		kd_printf(eng, "  Time:    %s\n", tbuf);
	else
		kd_printf(eng, "  Time:    ***** Invalid\n");
	float lo, hi;
	uint32_t l32 = (uint32_t)v, h32 = (uint32_t)(v >> 32);
	memcpy(&lo, &l32, 4);
	memcpy(&hi, &h32, 4);
	double d;
	memcpy(&d, &v, 8);
	char f1[64], f2[64], f3[64];
	ms_float(lo, f1, sizeof f1);
	ms_float(hi, f2, sizeof f2);
	ms_float(d, f3, sizeof f3);
	kd_printf(eng, "  Float:   low %s high %s\n", f1, f2);
	kd_printf(eng, "  Double:  %s\n", f3);
	return 0;
}

const struct kd_command kd_cmds_evaluate[] = {
	{ "?", cmd_eval, "? Expression", "evaluate a MASM expression" },
	{ ".formats", cmd_formats, ".formats Expression", "show a value in several formats" },
	{ NULL, NULL, NULL, NULL },
};
