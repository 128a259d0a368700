/*
 * The command table. Each family of commands (memory, registers, control,
 * symbols, stacks, dumps...) lives in its own kd/cmd_*.c file and exports a
 * table ending with a NULL name; kd/commands.c lists the tables. A command
 * parses its own arguments and calls the engine API only: commands never
 * see packets.
 */
#ifndef KD_COMMAND_H
#define KD_COMMAND_H

#include "kd/engine.h"

struct kd_command {
	const char *name;    /* as typed: "dd", ".trap", "!analyze", "~" */
	/* args: the rest of the command (leading spaces skipped). `name` is the
	 * matched table name, so one function can serve db/dw/dd/dq. */
	int (*run)(struct kd_engine *eng, const char *name, const char *args);
	const char *syntax;  /* "dd [Address] [L Count | Range]" for help and errors */
	const char *summary; /* one line for `help` */
};

/* Lookup: the longest table name that the command word starts with and
 * after which comes a space, the end, or a character that cannot continue a
 * command name (so "dd esp", "k=", "~1s", "r eax" and "u.": WinDbg-style). */
const struct kd_command *kd_command_find(const char *line, const char **args);

/* Iterate every command (for help), i from 0 until NULL. */
const struct kd_command *kd_command_at(size_t i);

/* Families: NULL-name-terminated tables. */
extern const struct kd_command kd_cmds_memory[];
extern const struct kd_command kd_cmds_control[];
extern const struct kd_command kd_cmds_registers[];
extern const struct kd_command kd_cmds_disasm[];
extern const struct kd_command kd_cmds_symbols[];
extern const struct kd_command kd_cmds_dump[];
extern const struct kd_command kd_cmds_stack[];
extern const struct kd_command kd_cmds_exec[];
extern const struct kd_command kd_cmds_kobjects[];

/* Helpers for argument parsing shared by the families. */
const char *kd_skip_spaces(const char *s);
/* Parse "[Address] [L Count | Range]": address defaults to *addr on input,
 * count to default_count units of `unit` bytes. */
int kd_parse_range(struct kd_engine *eng, const char *args, uint64_t *addr,
                   uint64_t *count, uint64_t default_count, unsigned unit);

#endif
