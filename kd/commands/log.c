/*
 * The log file: .logopen [/t] [/u] File (a new log), .logappend [/u] File
 * (added to), .logclose and .logfile. Everything kd prints, with the
 * prompts and commands the front end echoes, goes to the file too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kd/commands/command.h"

struct log_state {
	FILE *f;
	int unicode;     /* /u: UTF-16LE */
	char name[1024];
};

static void log_free(void *p)
{
	struct log_state *st = p;
	if (st && st->f)
		fclose(st->f);
	free(st);
}

static struct log_state *state_of(struct kd_engine *eng)
{
	struct log_state *st = kd_engine_ext(eng, "log");
	if (st)
		return st;
	st = calloc(1, sizeof *st);
	if (st && kd_engine_set_ext(eng, "log", st, log_free) < 0) {
		free(st);
		return NULL;
	}
	return st;
}

static void tap(void *user, enum kd_output_kind kind, const char *text)
{
	(void)kind;
	struct log_state *st = user;
	if (!st->f)
		return;
	if (!st->unicode) {
		fputs(text, st->f);
	} else {
		for (const char *p = text; *p; p++) {
			fputc(*p, st->f);
			fputc(0, st->f);
		}
	}
	fflush(st->f);
}

static void close_log(struct kd_engine *eng, struct log_state *st, int say)
{
	if (!st->f)
		return;
	if (say)
		kd_printf(eng, "Closing open log file %s\n", st->name);
	kd_engine_set_output_tap(eng, NULL, NULL);
	fclose(st->f);
	st->f = NULL;
}

/* "name_PID_YYYY-MM-DD_HH-MM-SS-mmm.ext" for /t. */
static void timestamped(const char *name, char *out, size_t n)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	localtime_r(&tv.tv_sec, &tm);
	char stamp[64];
	snprintf(stamp, sizeof stamp, "_%04x_%04d-%02d-%02d_%02d-%02d-%02d-%03d", (unsigned)getpid() & 0xffff,
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(tv.tv_usec / 1000));
	const char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');
	size_t base = !dot || (slash && dot < slash) ? strlen(name) : (size_t)(dot - name);
	if (base + strlen(stamp) + strlen(name + base) + 1 > n) {
		snprintf(out, n, "%s", name);
		return;
	}
	memcpy(out, name, base);
	strcpy(out + base, stamp);
	strcat(out, name + base);
}

static int cmd_logopen(struct kd_engine *eng, const char *name, const char *args)
{
	int append = !strcmp(name, ".logappend"), stamp = 0, unicode = 0;
	const char *p = kd_skip_spaces(args);
	while (*p == '/' && p[1] && (p[2] == ' ' || p[2] == '\t')) {
		if (p[1] == 't' && !append)
			stamp = 1;
		else if (p[1] == 'u')
			unicode = 1;
		else {
			kd_eprintf(eng, "%s: unknown option '/%c'\n", name, p[1]);
			return KD_EINVAL;
		}
		p = kd_skip_spaces(p + 2);
	}
	char file[1024];
	size_t n = strcspn(p, ";");
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!n) {
		kd_eprintf(eng, "%s: a file name is needed (%s %sFile)\n", name, name, append ? "[/u] " : "[/t] [/u] ");
		return KD_EINVAL;
	}
	snprintf(file, sizeof file, "%.*s", (int)n, p);
	struct log_state *st = state_of(eng);
	if (!st)
		return KD_ENOMEM;
	close_log(eng, st, 1);
	if (stamp) {
		char t[1024];
		timestamped(file, t, sizeof t);
		snprintf(file, sizeof file, "%s", t);
	}
	FILE *f = fopen(file, append ? "ab" : "wb");
	if (!f) {
		kd_eprintf(eng, "Unable to open log file '%s': %s\n", file, kd_strerror(KD_EIO));
		return KD_EIO;
	}
	if (unicode && ftell(f) == 0)
		fputs("\xff\xfe", f); /* UTF-16LE byte order mark */
	st->f = f;
	st->unicode = unicode;
	snprintf(st->name, sizeof st->name, "%s", file);
	kd_engine_set_output_tap(eng, tap, st);
	kd_printf(eng, "Opened log file '%s'\n", file);
	return 0;
}

static int cmd_logclose(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	(void)args;
	struct log_state *st = state_of(eng);
	if (!st || !st->f) {
		kd_printf(eng, "No log file open\n");
		return 0;
	}
	close_log(eng, st, 1);
	return 0;
}

static int cmd_logfile(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	(void)args;
	struct log_state *st = state_of(eng);
	if (st && st->f)
		kd_printf(eng, "Log '%s' open\n", st->name);
	else
		kd_printf(eng, "No log file open\n");
	return 0;
}

const struct kd_command kd_cmds_log[] = {
	{ ".logopen", cmd_logopen, ".logopen [/t] [/u] File", "copy everything kd prints to a new log file (/t: name it with the time)" },
	{ ".logappend", cmd_logopen, ".logappend [/u] File", "copy everything kd prints to the end of a log file" },
	{ ".logclose", cmd_logclose, ".logclose", "close the log file" },
	{ ".logfile", cmd_logfile, ".logfile", "show the open log file" },
	{ NULL, NULL, NULL, NULL },
};
