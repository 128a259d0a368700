/*
 * The command table: the list of command families and the lookup that maps
 * a typed command word to its handler, WinDbg-style.
 */
#include "kd/command.h"

#include <ctype.h>
#include <string.h>

/* Every family, in the order `help` lists them. A family adds itself here
 * with one line. */
static const struct kd_command *const families[] = {
	kd_cmds_control,
	kd_cmds_memory,
	kd_cmds_registers,
	kd_cmds_disasm,
	kd_cmds_symbols,
	kd_cmds_dump,
	kd_cmds_stack,
	kd_cmds_exec,
	kd_cmds_kobjects,
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

/* A name ending in a letter cannot be followed by another letter or digit
 * ("dd" must not match "dds"); other endings ("~", "k=", ".") end anywhere. */
static int name_matches(const char *name, const char *line)
{
	size_t n = strlen(name);
	if (strncasecmp(name, line, n) != 0)
		return 0;
	char next = line[n];
	if (next == '\0' || next == ' ' || next == '\t' || next == ';')
		return 1;
	return !isalnum((unsigned char)name[n - 1]) || !isalnum((unsigned char)next);
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
		                      strncmp(c->name, line, n) == 0)) && name_matches(c->name, line)) {
			best = c;
			best_len = n;
		}
	}
	if (best && args)
		*args = kd_skip_spaces(line + best_len);
	return best;
}
