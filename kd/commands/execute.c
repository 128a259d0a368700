/*
 * Command lines: splitting on ';' (not inside quotes or braces), WinDbg's
 * flow control — `j Expression Command1 ; Command2` and
 * `.if (Condition) { Commands } .elsif (Condition) { Commands } .else { Commands }`
 * — and running each command through the command table.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kd/engine/breakpoints.h"
#include "kd/commands/command.h"
#include "kd/engine/expr.h"

/* Run one command (no ';' outside quotes in it). */
static int execute_one(struct kd_engine *eng, const char *cmd)
{
	cmd = kd_skip_spaces(cmd);
	if (!*cmd)
		return 0;
	const char *args = NULL;
	const struct kd_command *c = kd_command_find(cmd, &args);
	if (!c && cmd[0] == '!') {
		/* An extension no loaded extension DLL exports, as WinDbg says. */
		size_t n = strcspn(cmd + 1, " \t");
		kd_eprintf(eng, "No export %.*s found\n", (int)n, cmd + 1);
		return KD_ENOTFOUND;
	}
	if (!c) {
		kd_eprintf(eng, "       ^ Syntax error in '%s'\n", cmd);
		return KD_EINVAL;
	}
	return c->run(eng, c->name, args);
}

/* Where the command starting at s ends: the first ';' outside double
 * quotes and braces, or the end of the line. */
static const char *command_end(const char *s)
{
	int quote = 0, depth = 0;
	for (; *s; s++) {
		if (*s == '\\' && quote && s[1] == '"') {
			s++; /* \" inside quotes (!list -x "...") */
		} else if (*s == '"') {
			quote = !quote;
		} else if (quote) {
			continue;
		} else if (*s == '{') {
			depth++;
		} else if (*s == '}' && depth) {
			depth--;
		} else if (*s == ';' && !depth) {
			break;
		}
	}
	return s;
}

static int word_is(const char *s, const char *w)
{
	size_t n = strlen(w);
	return !strncmp(s, w, n) && (s[n] == ' ' || s[n] == '\t' || s[n] == '(' || s[n] == '{' || !s[n]);
}

static int condition(struct kd_engine *eng, const char *expr, int *truth)
{
	uint64_t v = 0;
	const char *end = NULL;
	char msg[300];
	if (kd_eval_msg(eng, expr, &v, &end, msg, sizeof msg) < 0) {
		kd_eprintf(eng, "%s\n", msg);
		return KD_EINVAL;
	}
	*truth = v != 0;
	return 0;
}

/* The text between a '(' or '{' at *p and its partner, into a malloc'd
 * string; *p moves past the partner. NULL when unbalanced. */
static char *enclosed(const char **p, char open, char close)
{
	const char *s = kd_skip_spaces(*p);
	if (*s != open)
		return NULL;
	int depth = 0;
	char quote = 0;
	for (const char *e = s; *e; e++) {
		if (quote) {
			if (*e == quote)
				quote = 0;
		} else if (*e == '"' || *e == '\'') {
			quote = *e;
		} else if (*e == open) {
			depth++;
		} else if (*e == close && --depth == 0) {
			*p = e + 1;
			return strndup(s + 1, (size_t)(e - s - 1));
		}
	}
	return NULL;
}

/* .if (c) { a } [.elsif (c) { b }]... [.else { c }] at *p; *p moves past
 * it. Runs the block whose condition holds. */
static int run_if(struct kd_engine *eng, const char **p)
{
	int chosen = 0, rc = 0, first = 1;
	const char *s = *p;
	for (;;) {
		s = kd_skip_spaces(s);
		int is_else = !first && word_is(s, ".else");
		if (first)
			s += 3;
		else if (word_is(s, ".elsif"))
			s += 6;
		else if (is_else)
			s += 5;
		else
			break;
		first = 0;
		int truth = 1;
		if (!is_else) {
			char *cond = enclosed(&s, '(', ')');
			if (!cond) {
				kd_eprintf(eng, "Syntax error: .if needs (Condition) { Commands }\n");
				return KD_EINVAL;
			}
			if (!chosen && (rc = condition(eng, cond, &truth)) < 0) {
				free(cond);
				return rc;
			}
			free(cond);
		}
		char *block = enclosed(&s, '{', '}');
		if (!block) {
			kd_eprintf(eng, "Syntax error: .if needs (Condition) { Commands }\n");
			return KD_EINVAL;
		}
		if (!chosen && truth) {
			chosen = 1;
			rc = kd_execute(eng, block);
		}
		free(block);
		if (is_else)
			break;
	}
	*p = s;
	return rc;
}

/* j Expression Command1 ; Command2: the rest of the line is the two
 * branches (quoted with ' or not), as in a breakpoint's command string. */
static int run_j(struct kd_engine *eng, const char *line)
{
	struct kd_bp_cmd c;
	int truth;
	if (kd_bp_split_command(line, &c) < 0 || !c.is_j) {
		kd_eprintf(eng, "Syntax error: j Expression Command1 ; Command2\n");
		return KD_EINVAL;
	}
	int rc = condition(eng, c.expr, &truth);
	if (rc < 0)
		return rc;
	return kd_execute(eng, truth ? c.a : c.b);
}

int kd_execute(struct kd_engine *eng, const char *line)
{
	int first_err = 0, rc;
	const char *p = line;
	kd_engine_set_command_runner(eng, kd_execute);
	kd_engine_set_cancel(eng, 0);
	for (;;) {
		p = kd_skip_spaces(p);
		while (*p == ';')
			p = kd_skip_spaces(p + 1);
		if (!*p || kd_engine_quit_requested(eng) || kd_engine_canceled(eng))
			break;
		if (word_is(p, "j")) {
			rc = run_j(eng, p);
			if (rc < 0 && !first_err)
				first_err = rc;
			break;
		}
		if (word_is(p, ".if")) {
			rc = run_if(eng, &p);
			if (rc < 0) {
				if (!first_err)
					first_err = rc;
				if (rc == KD_EINVAL)
					break;
			}
			continue;
		}
		const char *e = command_end(p);
		char *cmd = strndup(p, (size_t)(e - p));
		if (!cmd)
			return KD_ENOMEM;
		/* trim trailing blanks and line ends */
		for (size_t n = strlen(cmd); n && isspace((unsigned char)cmd[n - 1]); n--)
			cmd[n - 1] = '\0';
		rc = execute_one(eng, cmd);
		free(cmd);
		if (rc < 0 && !first_err)
			first_err = rc;
		p = e;
	}
	return first_err;
}
