/*
 * The command table. Each family of commands (memory, registers, control,
 * symbols, stacks, dumps...) lives in its own file under kd/commands/ and exports a
 * table ending with a NULL name; kd/commands/commands.c lists the tables. A command
 * parses its own arguments and calls the engine API only: commands never
 * see packets.
 */
#ifndef KD_COMMANDS_COMMAND_H
#define KD_COMMANDS_COMMAND_H

#include "kd/engine/engine.h"

struct kd_command {
	const char *name;    /* as typed: "dd", ".trap", "!analyze", "~" */
	/* args: the rest of the command (leading spaces skipped). `name` is the
	 * matched table name, so one function can serve db/dw/dd/dq. */
	int (*run)(struct kd_engine *eng, const char *name, const char *args);
	const char *syntax;  /* "dd [Address] [L Count | Range]" for help and errors */
	const char *summary; /* one line for `help` */
	/* Option letters that may follow the name in the same word (k's
	 * b v p n L: "kvn"); then args starts at those letters. NULL: none. */
	const char *letters;
};

/* Lookup: the longest table name that the command word starts with and
 * after which comes a space, the end, or a character that cannot continue a
 * command name (so "dd esp", "k=", "~1s", "r eax" and "u.": WinDbg-style). */
/* Run one command line (may hold several commands separated by ';').
 * Returns 0, or the error of the first command that failed (which has
 * already printed its one-line message). Installs itself as the engine's
 * command runner. */
int kd_execute(struct kd_engine *eng, const char *line);

const struct kd_command *kd_command_find(const char *line, const char **args);

/* Iterate every command (for help), i from 0 until NULL. */
const struct kd_command *kd_command_at(size_t i);

/* Families: NULL-name-terminated tables. */
extern const struct kd_command kd_cmds_memory[];
extern const struct kd_command kd_cmds_control[];
extern const struct kd_command kd_cmds_registers[];
extern const struct kd_command kd_cmds_contexts[];
extern const struct kd_command kd_cmds_threads[];
extern const struct kd_command kd_cmds_evaluate[];
extern const struct kd_command kd_cmds_disasm[];
extern const struct kd_command kd_cmds_symbols[];
extern const struct kd_command kd_cmds_dump[];
extern const struct kd_command kd_cmds_stack[];
extern const struct kd_command kd_cmds_exec[];
extern const struct kd_command kd_cmds_kobjects[];
extern const struct kd_command kd_cmds_list[];
extern const struct kd_command kd_cmds_search[];
extern const struct kd_command kd_cmds_log[];
extern const struct kd_command kd_cmds_io[];

/* Helpers for argument parsing shared by the families. */
const char *kd_skip_spaces(const char *s);
/* 0 when a target is open; else says "<cmd>: no target attached" and
 * returns KD_EDISCONNECTED. */
int kd_cmd_need_target(struct kd_engine *eng, const char *cmd);
/* An expression's value (kd_eval_msg); on error its one-line reason is
 * printed. */
int kd_cmd_eval(struct kd_engine *eng, const char *text, uint64_t *v, const char **end);
/* "[Address] [L[?] Count | EndAddress]" (kd/commands/range.c): what was
 * given, each with its has_ flag. 0, or KD_EINVAL with a one-line reason
 * in msg (an expression's error, "Syntax error at '...'", "Range error in
 * '...'" for a count over 0x100000). */
struct kd_range {
	uint64_t addr, count, end;
	int has_addr, has_count, has_end;
};
int kd_range_parse(struct kd_engine *eng, const char *args, struct kd_range *r, char *msg, size_t n);
/* The number of `unit`-byte items the range covers from start: its count,
 * the items up to and including its end address, or default_count.
 * KD_EINVAL for an end before start or a span over 0x100000 items. */
int kd_range_count(const struct kd_range *r, uint64_t start, unsigned unit, uint64_t default_count,
                   uint64_t *count);

#endif
