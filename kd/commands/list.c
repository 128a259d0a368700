/*
 * !list: run commands on every element of a linked list, WinDbg's way:
 *   !list -t [Module!]Type.Field -x "Commands" [-a "Arguments"] [-e] [-m Max] StartAddress
 *   !list "-t Type.Field -e -x \"Commands\" StartAddress"
 * Each element's address is in @$extret while its commands run; the next
 * element is the pointer at Field minus Field's offset. The walk is
 * bounded (-m, default 0x10000) and stops where it would loop.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kd/commands/command.h"
#include "kd/commands/klayout.h"
#include "kd/commands/walk.h"
#include "kd/engine/expr.h"
#include "kd/engine/symbols.h"
#include "symbols/types.h"

#define LIST_DEFAULT_MAX 0x10000u

struct list_opts {
	char type[256];     /* "nt!_EPROCESS.ActiveProcessLinks", "" for LIST_ENTRY at 0 */
	char cmds[1024];    /* -x */
	char extra[256];    /* -a */
	int echo;           /* -e */
	uint64_t max;       /* -m */
	char start[256];
};

/* The next word of s into out, honouring "..." with \" inside. */
static const char *word(const char *s, char *out, size_t n)
{
	size_t k = 0;
	s = kd_skip_spaces(s);
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1] == '"')
				s++;
			if (k + 1 < n)
				out[k++] = *s;
		}
		if (*s == '"')
			s++;
	} else {
		while (*s && *s != ' ' && *s != '\t') {
			if (k + 1 < n)
				out[k++] = *s;
			s++;
		}
	}
	out[k] = 0;
	return s;
}

static int parse(struct kd_engine *eng, const char *args, struct list_opts *o)
{
	static const char syntax[] = "!list -t [Module!]Type.Field -x \"Commands\" [-a \"Arguments\"] [-e] [-m Max] StartAddress";
	char whole[2048];
	const char *p = kd_skip_spaces(args);
	/* The whole argument may be one quoted string (the seeds' form). */
	if (*p == '"') {
		word(p, whole, sizeof whole);
		p = whole;
	}
	memset(o, 0, sizeof *o);
	o->max = LIST_DEFAULT_MAX;
	char w[1024];
	for (;;) {
		p = kd_skip_spaces(p);
		if (!*p)
			break;
		if (*p == '-' && p[1] && (p[2] == ' ' || p[2] == '\t' || p[2] == '"' || !p[2])) {
			char opt = p[1];
			p += 2;
			switch (opt) {
			case 't': p = word(p, o->type, sizeof o->type); break;
			case 'x': p = word(p, o->cmds, sizeof o->cmds); break;
			case 'a': p = word(p, o->extra, sizeof o->extra); break;
			case 'e': o->echo = 1; break;
			case 'm':
				p = word(p, w, sizeof w);
				if (kd_cmd_eval(eng, w, &o->max, NULL) < 0)
					return KD_EINVAL;
				break;
			default:
				kd_eprintf(eng, "Unknown option -%c. Syntax: %s\n", opt, syntax);
				return KD_EINVAL;
			}
			continue;
		}
		if (o->start[0]) {
			kd_eprintf(eng, "Syntax error at '%s': %s\n", p, syntax);
			return KD_EINVAL;
		}
		p = word(p, o->start, sizeof o->start);
	}
	if (!o->start[0]) {
		kd_eprintf(eng, "A start address is needed: %s\n", syntax);
		return KD_EINVAL;
	}
	return 0;
}

/* Offset of Field in "[Module!]Type.Field[.Sub]": the module's PDB, else
 * (nt types) the kernel layouts; a trailing ".Flink" of a LIST_ENTRY
 * field adds nothing. */
static int field_offset(struct kd_engine *eng, const char *spec, uint64_t *off)
{
	char mod[64] = "nt", type[256];
	const char *bang = strchr(spec, '!');
	if (bang) {
		snprintf(mod, sizeof mod, "%.*s", (int)(bang - spec), spec);
		spec = bang + 1;
	}
	const char *dot = strchr(spec, '.');
	if (!dot) {
		kd_eprintf(eng, "-t needs Type.Field, not '%s'\n", spec);
		return KD_EINVAL;
	}
	snprintf(type, sizeof type, "%.*s", (int)(dot - spec), spec);
	const char *field = dot + 1;
	struct kd_kfield f;
	const struct kd_module *m = kd_engine_module_by_name(eng, mod);
	struct kd_symbols *s = kd_symbols_get(eng);
	struct kd_types *types;
	if (m && s && kd_symbols_types(s, m, &types) == 0 && kd_kfield_pdb(types, type, field, &f) == 0) {
		*off = f.offset;
		return 0;
	}
	if (!strcasecmp(mod, "nt")) {
		char base[256];
		snprintf(base, sizeof base, "%s", field);
		size_t n = strlen(base);
		if (n > 6 && !strcmp(base + n - 6, ".Flink"))
			base[n - 6] = 0;
		if (kd_kfield_find(eng, type, field, &f) == 0 || kd_kfield_find(eng, type, base, &f) == 0) {
			*off = f.offset;
			return 0;
		}
	}
	kd_eprintf(eng, "Cannot find the offset of %s.%s in %s's types\n", type, field, mod);
	return KD_ENOTFOUND;
}

static int cmd_list(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	struct list_opts o;
	uint64_t off = 0, start, cur;
	int rc;
	if ((rc = kd_cmd_need_target(eng, "!list")) < 0 || (rc = parse(eng, args, &o)) < 0)
		return rc;
	if (o.type[0] && (rc = field_offset(eng, o.type, &off)) < 0)
		return rc;
	if ((rc = kd_cmd_eval(eng, o.start, &start, NULL)) < 0)
		return rc;
	if (!kd_engine_is_64bit(eng))
		start &= 0xffffffffull;
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "%s%s%s", o.cmds, o.extra[0] ? " " : "", o.extra);
	struct kd_seen seen = { 0 };
	char a[20];
	cur = start;
	for (uint64_t n = 0; !kd_engine_canceled(eng); n++) {
		if (n >= o.max) {
			kd_printf(eng, "Stopped after %llu elements (-m %llu)\n", (unsigned long long)n, (unsigned long long)o.max);
			break;
		}
		if ((rc = kd_seen_add(&seen, cur)) != 0) {
			if (rc > 0)
				kd_printf(eng, "Loop: element %s was visited before; stopping\n", kd_format_addr(eng, cur, a));
			break;
		}
		kd_expr_set_pseudo(eng, "$extret", cur);
		if (cmd[0]) {
			if (o.echo)
				kd_printf(eng, "%s\n", cmd);
			kd_execute(eng, cmd);
			kd_printf(eng, "\n");
		} else {
			kd_printf(eng, "%s\n", kd_format_addr(eng, cur, a));
		}
		uint64_t next;
		if (kd_read_pointer(eng, cur + off, &next) < 0) {
			kd_printf(eng, "Cannot read the next element's link at %s\n", kd_format_addr(eng, cur + off, a));
			break;
		}
		if (!next)
			break;
		next -= off;
		if (!kd_engine_is_64bit(eng))
			next &= 0xffffffffull;
		if (next == start)
			break;
		cur = next;
	}
	kd_seen_free(&seen);
	return 0;
}

const struct kd_command kd_cmds_list[] = {
	{ "!list", cmd_list, "!list -t [Module!]Type.Field -x \"Commands\" [-a \"Arguments\"] [-e] [-m Max] StartAddress",
	  "run commands on each element of a linked list, its address in @$extret" },
	{ NULL, NULL, NULL, NULL },
};
