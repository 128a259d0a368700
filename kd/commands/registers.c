/*
 * Register commands: r (display and set registers and pseudo-registers)
 * and the register display mask (rm, rM, rF, rX), in WinDbg's layout.
 * The display itself is kd/commands/register_display.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/disasm.h"
#include "arch/regs.h"
#include "kd/commands/command.h"
#include "kd/commands/register_display.h"
#include "kd/engine/expr.h"

/* --- r ------------------------------------------------------------------- */

static unsigned hex_width(unsigned bits)
{
	return bits <= 1 ? 1 : bits <= 2 ? 1 : (bits + 3) / 4;
}

/* One "name" or "name=expr" item of r; *p advances past it. */
static int r_item(struct kd_engine *eng, struct kd_context *c, const char **p, int *changed)
{
	const char *s = *p;
	if (*s == '@')
		s++;
	const char *name = s;
	while (isalnum((unsigned char)*s) || *s == '$' || *s == '_')
		s++;
	size_t len = (size_t)(s - name);
	const char *after = kd_skip_spaces(s);
	int assign = *after == '=';
	const char *rest = assign ? kd_skip_spaces(after + 1) : after;
	uint64_t v = 0;
	if (assign) {
		const char *end;
		int rc = kd_cmd_eval(eng, rest, &v, &end);
		if (rc < 0)
			return rc;
		rest = end;
	}
	*p = rest;
	char buf[64];
	if (len == 0 || len >= sizeof buf) {
		kd_eprintf(eng, "Bad register error at '%s'\n", name);
		return KD_EINVAL;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	unsigned pw = kd_engine_pointer_size(eng) * 2;
	if (buf[0] == '$') {
		if (!strcasecmp(buf, "$ip") && assign) {
			if (c->machine == KD_MACHINE_AMD64)
				c->u.x64.Rip = v;
			else
				c->u.x86.Eip = (uint32_t)v;
			*changed = 1;
			return 0;
		}
		if (assign) {
			int rc = kd_expr_set_pseudo(eng, buf, v);
			if (rc < 0)
				kd_eprintf(eng, "Bad register error at '%s'\n", buf);
			return rc;
		}
		char text[80];
		snprintf(text, sizeof text, "%s", buf);
		const char *end;
		if (kd_eval_msg(eng, text, &v, &end, NULL, 0) < 0) {
			kd_eprintf(eng, "Bad register error at '%s'\n", buf);
			return KD_EINVAL;
		}
		kd_printf(eng, "%s=%0*llx\n", buf, (int)pw, (unsigned long long)v);
		return 0;
	}
	const struct kd_reg *r = kd_reg_find(c->machine, buf, len);
	if (!r) {
		kd_eprintf(eng, "Bad register error at '%s'\n", name);
		return KD_EINVAL;
	}
	if (assign) {
		kd_reg_set(c, r, v);
		*changed = 1;
		return 0;
	}
	kd_printf(eng, "%s=%0*llx\n", r->name, (int)hex_width(r->bits),
	          (unsigned long long)kd_reg_get(c, r));
	return 0;
}

/* The mask of rM Mask / rF / rX, or the default; bits a machine does not
 * have are reported and ignored, as WinDbg does. */
static int r_mask(struct kd_engine *eng, const char *name, const char **p, unsigned *mask)
{
	*mask = kd_register_mask(eng);
	if (!strcmp(name, "rF"))
		*mask = KD_RM_FLOAT;
	else if (!strcmp(name, "rX"))
		*mask = KD_RM_XMM;
	else if (!strcmp(name, "rM")) {
		uint64_t m;
		const char *end;
		int rc = kd_cmd_eval(eng, *p, &m, &end);
		if (rc < 0)
			return rc;
		*p = kd_skip_spaces(end);
		if (m & ~(uint64_t)KD_RM_KNOWN)
			kd_printf(eng, "Ignored invalid bits %llx\n", (unsigned long long)(m & ~(uint64_t)KD_RM_KNOWN));
		*mask = (unsigned)(m & KD_RM_KNOWN);
	}
	return 0;
}

static int cmd_r(struct kd_engine *eng, const char *name, const char *args)
{
	if (kd_cmd_need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	struct kd_context c;
	int rc = kd_get_context(eng, &c);
	if (rc < 0) {
		kd_eprintf(eng, "Unable to get register context: %s\n", kd_strerror(rc));
		return rc;
	}
	const char *p = kd_skip_spaces(args);
	unsigned mask;
	if ((rc = r_mask(eng, name, &p, &mask)) < 0)
		return rc;
	if (!*p) {
		if (kd_context_is_overridden(eng))
			kd_printf(eng, "Last set context:\n");
		kd_show_registers(eng, &c, mask, 0);
		if (mask & (KD_RM_INTEGER32 | KD_RM_INTEGER64))
			kd_disasm_show_current(eng, &c);
		return 0;
	}
	int changed = 0;
	while (*p) {
		rc = r_item(eng, &c, &p, &changed);
		if (rc < 0)
			return rc;
		p = kd_skip_spaces(p);
		if (*p == ',')
			p = kd_skip_spaces(p + 1);
	}
	if (changed) {
		rc = kd_set_context(eng, &c);
		if (rc < 0) {
			kd_eprintf(eng, "Unable to set register context: %s\n", kd_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static const struct {
	unsigned bit;
	const char *what;
} mask_bits[] = {
	{ KD_RM_INTEGER32, "Integer state (32-bit)" },
	{ KD_RM_INTEGER64, "Integer state (64-bit)" },
	{ KD_RM_FLOAT, "Floating-point state" },
	{ KD_RM_SEGMENTS, "Segment registers" },
	{ KD_RM_MMX, "MMX registers" },
	{ KD_RM_DEBUG, "Debug registers and, in kernel, CR4" },
	{ KD_RM_XMM, "SSE XMM registers" },
	{ KD_RM_CONTROL, "Kernel mode: control registers" },
	{ KD_RM_DESCRIPTORS, "Kernel mode: descriptor and task state" },
};

static void list_mask(struct kd_engine *eng, unsigned mask)
{
	for (size_t i = 0; i < sizeof mask_bits / sizeof mask_bits[0]; i++) {
		if (mask & mask_bits[i].bit)
			kd_printf(eng, "%8x - %s\n", mask_bits[i].bit, mask_bits[i].what);
	}
}

static int cmd_rm(struct kd_engine *eng, const char *name, const char *args)
{
	const char *p = kd_skip_spaces(args);
	if (!*p) {
		unsigned m = kd_register_mask(eng);
		kd_printf(eng, "Register output mask is %x:\n", m);
		list_mask(eng, m);
		return 0;
	}
	if (*p == '?') {
		list_mask(eng, KD_RM_KNOWN);
		return 0;
	}
	uint64_t m;
	const char *end;
	int rc = kd_cmd_eval(eng, p, &m, &end);
	if (rc < 0)
		return rc;
	if (*kd_skip_spaces(end)) {
		kd_eprintf(eng, "%s: extra characters '%s'\n", name, kd_skip_spaces(end));
		return KD_EINVAL;
	}
	if (m & ~(uint64_t)KD_RM_KNOWN)
		kd_printf(eng, "Ignored invalid bits %llx\n", (unsigned long long)(m & ~(uint64_t)KD_RM_KNOWN));
	m &= KD_RM_KNOWN;
	/* 0x2 overrides 0x1. */
	if ((m & KD_RM_INTEGER64) && (m & KD_RM_INTEGER32))
		m &= ~(uint64_t)KD_RM_INTEGER32;
	kd_register_mask_set(eng, (unsigned)m);
	return 0;
}

const struct kd_command kd_cmds_registers[] = {
	{ "r", cmd_r, "r [Register[=Expression] [, ...]]", "display or set registers" },
	{ "rM", cmd_r, "rM Mask [Register[=Expression] ...]", "display registers selected by a mask (see rm ?)" },
	{ "rF", cmd_r, "rF", "display the floating-point registers" },
	{ "rX", cmd_r, "rX", "display the SSE XMM registers" },
	{ "rm", cmd_rm, "rm [? | Mask]", "display or set the register display mask" },
	{ NULL, NULL, NULL, NULL },
};
