/*
 * The command table: the list of command families and the lookup that maps
 * a typed command word to its handler, WinDbg-style.
 */
#include "kd/commands/command.h"

#include <ctype.h>
#include <string.h>

#include "kd/engine/expr.h"

/* Every family, in the order `help` lists them. A family adds itself here
 * with one line. */
static const struct kd_command *const families[] = {
	kd_cmds_control,
	kd_cmds_memory,
	kd_cmds_registers,
	kd_cmds_contexts,
	kd_cmds_threads,
	kd_cmds_evaluate,
	kd_cmds_disasm,
	kd_cmds_symbols,
	kd_cmds_dump,
	kd_cmds_stack,
	kd_cmds_exec,
	kd_cmds_kobjects,
	kd_cmds_list,
	kd_cmds_search,
	kd_cmds_log,
	kd_cmds_io,
};

const struct kd_command *kd_command_at(size_t i)
{
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
		for (const struct kd_command *c = families[f]; c->name; c++) {
			if (i-- == 0)
				return c;
		}
	}
	return NULL;
}

const char *kd_skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int kd_cmd_need_target(struct kd_engine *eng, const char *cmd)
{
	if (kd_engine_target(eng))
		return 0;
	kd_eprintf(eng, "%s: %s\n", cmd, kd_strerror(KD_EDISCONNECTED));
	return KD_EDISCONNECTED;
}

int kd_cmd_eval(struct kd_engine *eng, const char *text, uint64_t *v, const char **end)
{
	char msg[300];
	int rc = kd_eval_msg(eng, text, v, end, msg, sizeof msg);
	if (rc < 0)
		kd_eprintf(eng, "%s\n", msg);
	return rc;
}

/* A name ending in a letter cannot be followed by another letter or digit
 * ("dd" must not match "dds"), except by its option letters ("kvn"); other
 * endings ("~", "k=", ".") end anywhere. */
static int name_matches(const struct kd_command *c, const char *line)
{
	size_t n = strlen(c->name);
	if (strncasecmp(c->name, line, n) != 0)
		return 0;
	char last = c->name[n - 1];
	if (c->letters) {
		size_t k = strspn(line + n, c->letters);
		if (k) {
			n += k;
			last = line[n - 1];
		}
	}
	char next = line[n];
	if (next == '\0' || next == ' ' || next == '\t' || next == ';')
		return 1;
	return !isalnum((unsigned char)last) || !isalnum((unsigned char)next);
}

const struct kd_command *kd_command_find(const char *line, const char **args)
{
	const struct kd_command *best = NULL;
	size_t best_len = 0;
	line = kd_skip_spaces(line);
	for (size_t i = 0;; i++) {
		const struct kd_command *c = kd_command_at(i);
		if (!c)
			break;
		size_t n = strlen(c->name);
		/* Names differing only in case (rm, rM): the exact one wins. */
		if ((n > best_len || (n == best_len && best && strncmp(best->name, line, n) != 0 &&
		                      strncmp(c->name, line, n) == 0)) && name_matches(c, line)) {
			best = c;
			best_len = n;
		}
	}
	if (best && args)
		*args = best->letters ? line + best_len : kd_skip_spaces(line + best_len);
	return best;
}
