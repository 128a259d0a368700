/*
 * kdsim event scripts (see script.h). In a scenario file, numbers in hex:
 *
 *   image FILE BASE                   map the PE file FILE at BASE now
 *   event load NAME BASE SIZE PATH [FILE]
 *                                     map FILE (if given; SIZE 0: its
 *                                     SizeOfImage) and report a load of
 *                                     PATH at BASE
 *   event unload NAME BASE            report the unload of NAME at BASE
 *   event run CPU ADDR [REG=V ...]    processor CPU runs the code at ADDR
 *                                     (REG: rax..r15 rip rsp efl, or
 *                                     eax..edi eip esp efl on x86)
 *   event exception CPU CODE ADDR first|second [PARAM ...] [REG=V ...]
 *   event write CPU ADDR SIZE VALUE   processor CPU writes SIZE (1 2 4 8)
 *                                     bytes of VALUE at ADDR
 *   event print TEXT                  DbgPrint TEXT and a newline
 *   event prompt TEXT                 DbgPrompt TEXT; kdsim prints the answer
 *   event bugcheck CODE P1 P2 P3 P4   KeBugCheckEx(CODE, P1..P4)
 *
 * Events happen in file order, each once the processors have no code
 * left to run (run.c).
 *
 * Where this goes beyond the execution model of the team contract (the
 * contract holds otherwise; man/kdsim.1 has it all):
 *  - events start at the first continue after the boot-time module
 *    reports (with a break-in pending, e.g. kd -b, after that break);
 *  - `event unload` reports NAME as the path, SizeOfImage 0 (as
 *    DbgUnLoadImageSymbols does); `event load` SIZE 0 takes the file's;
 *    the file is relocated to BASE as the loader does;
 *  - the code's own int 3 stops with the IP at the int 3; a continue
 *    goes on after it, a trace step executes it (IP + 1);
 *  - trace steps set Dr6.BS (0x4000), debug-register hits bits 0-3; an
 *    execute hit stops before the instruction and the next resume runs
 *    it (the resume flag); Dr7 of continue2 goes to every processor and
 *    Dr6 is cleared, as the kernel does;
 *  - `event exception` puts the processor's IP at ADDR (and REG=V) while
 *    stopped; continued "not handled", a first chance is reported again
 *    as the second chance, a second chance bugchecks (0x1e);
 *  - a bugcheck breaks twice (status 3, then 4 after a continue), then
 *    the machine hangs until a break-in; later events wait for a reboot;
 *    DbgKdCauseBugCheckApi (.crash) bugchecks with 0xe2;
 *  - a reboot restores every breakpoint byte and forgets the table; a
 *    second breakpoint at the same address is refused (handle 0), as the
 *    kernel's breakpoint table does;
 *  - `event prompt TEXT` (DbgPrompt) is an addition;
 *  - the state change's instruction stream shows the original bytes
 *    under the debugger's breakpoints, as the kernel reports it;
 *  - x64 control space item 2 is the whole KSPECIAL_REGISTERS (0xa8
 *    bytes), readable and writable per processor.
 */
#include "tests/kdsim/script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "tests/kdsim/image_map.h"
#include "base/file.h"

#define MAX_EVENTS 4096

static int parse_num(const char *s, uint64_t *v)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	*v = strtoull(s, &end, 16);
	return *end ? -1 : 0;
}

static int reg_field(enum kd_machine mach, const char *name, size_t *off, size_t *size)
{
	static const char *const x64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	                                   "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	static const struct { const char *name; size_t off; } x86[] = {
		{ "eax", offsetof(struct kd_x86_context, Eax) }, { "ecx", offsetof(struct kd_x86_context, Ecx) },
		{ "edx", offsetof(struct kd_x86_context, Edx) }, { "ebx", offsetof(struct kd_x86_context, Ebx) },
		{ "esp", offsetof(struct kd_x86_context, Esp) }, { "ebp", offsetof(struct kd_x86_context, Ebp) },
		{ "esi", offsetof(struct kd_x86_context, Esi) }, { "edi", offsetof(struct kd_x86_context, Edi) },
		{ "eip", offsetof(struct kd_x86_context, Eip) }, { "efl", offsetof(struct kd_x86_context, EFlags) },
		{ "eflags", offsetof(struct kd_x86_context, EFlags) },
	};
	if (mach == KD_MACHINE_AMD64) {
		for (size_t i = 0; i < sizeof x64 / sizeof x64[0]; i++) {
			if (!strcasecmp(name, x64[i])) {
				*off = offsetof(struct kd_x64_context, Rax) + 8 * i;
				*size = 8;
				return 0;
			}
		}
		if (!strcasecmp(name, "rip")) {
			*off = offsetof(struct kd_x64_context, Rip);
			*size = 8;
			return 0;
		}
		if (!strcasecmp(name, "efl") || !strcasecmp(name, "eflags")) {
			*off = offsetof(struct kd_x64_context, EFlags);
			*size = 4;
			return 0;
		}
		return -1;
	}
	for (size_t i = 0; i < sizeof x86 / sizeof x86[0]; i++) {
		if (!strcasecmp(name, x86[i].name)) {
			*off = x86[i].off;
			*size = 4;
			return 0;
		}
	}
	return -1;
}

int sim_set_register(struct kd_context *ctx, const char *name, uint64_t value)
{
	size_t off, size;
	if (reg_field(ctx->machine, name, &off, &size) < 0)
		return -1;
	for (size_t i = 0; i < size; i++)
		ctx->u.raw[off + i] = (uint8_t)(value >> (8 * i));
	return 0;
}

static int set_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

#define BAD(...) do { snprintf(bad, badlen, __VA_ARGS__); return KD_EFORMAT; } while (0)

/* REG=VALUE into ev's registers (word is changed). */
static int parse_register(const struct sim_machine *m, char *word, struct sim_event *ev, char *bad, size_t badlen)
{
	char *eq = strchr(word, '=');
	size_t off, size;
	if (ev->nregs == SIM_EVENT_MAX_REGS)
		BAD("event: more than %d registers", SIM_EVENT_MAX_REGS);
	*eq = '\0';
	if (strlen(word) >= sizeof ev->regs[0].name || reg_field(m->machine, word, &off, &size) < 0 ||
	    parse_num(eq + 1, &ev->regs[ev->nregs].value) < 0)
		BAD("event: unknown register or bad value '%s=%s'", word, eq + 1);
	strcpy(ev->regs[ev->nregs++].name, word);
	return 0;
}

int sim_script_parse_event(const struct sim_machine *m, char *line, struct sim_event *ev, char *bad, size_t badlen)
{
	memset(ev, 0, sizeof *ev);
	while (*line == ' ' || *line == '\t')
		line++;
	/* print and prompt keep the rest of the line as it is */
	int prompt = !strncmp(line, "prompt", 6);
	size_t kw = prompt ? 6 : 5;
	if ((prompt || !strncmp(line, "print", 5)) && (line[kw] == ' ' || line[kw] == '\t' || line[kw] == '\0' ||
	                                              line[kw] == '\n' || line[kw] == '\r')) {
		char *t = line + kw;
		while (*t == ' ' || *t == '\t')
			t++;
		size_t n = strcspn(t, "\r\n");
		if (n + 2 > sizeof ev->text)
			BAD("event %s: text longer than %zu bytes", prompt ? "prompt" : "print", sizeof ev->text - 2);
		ev->kind = prompt ? SIM_EVENT_PROMPT : SIM_EVENT_PRINT;
		memcpy(ev->text, t, n);
		if (!prompt)
			ev->text[n++] = '\n';
		ev->text[n] = '\0';
		return 0;
	}
	char *w[24];
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == (int)(sizeof w / sizeof w[0]))
			BAD("event: too many words");
		w[n++] = tok;
	}
	if (n == 0)
		BAD("event load|unload|run|exception|write|print|prompt|bugcheck ...");
	uint64_t v;
	if (!strcmp(w[0], "load")) {
		if ((n != 5 && n != 6) || set_text(ev->name, sizeof ev->name, w[1]) < 0 ||
		    parse_num(w[2], &ev->addr) < 0 || parse_num(w[3], &ev->size) < 0 || ev->size > 0xffffffffu ||
		    set_text(ev->path, sizeof ev->path, w[4]) < 0 ||
		    (n == 6 && set_text(ev->file, sizeof ev->file, w[5]) < 0))
			BAD("event load NAME BASE SIZE PATH [FILE]");
		if (!ev->size && n == 5)
			BAD("event load: SIZE 0 needs a FILE");
		if (ev->addr & (SIM_PAGE - 1))
			BAD("event load: BASE must be page aligned");
		ev->kind = SIM_EVENT_LOAD;
		return 0;
	}
	if (!strcmp(w[0], "unload")) {
		if (n != 3 || set_text(ev->name, sizeof ev->name, w[1]) < 0 || parse_num(w[2], &ev->addr) < 0)
			BAD("event unload NAME BASE");
		ev->kind = SIM_EVENT_UNLOAD;
		return 0;
	}
	if (!strcmp(w[0], "run")) {
		if (n < 3 || parse_num(w[1], &v) < 0 || v >= m->ncpu || parse_num(w[2], &ev->addr) < 0)
			BAD("event run CPU ADDR [REG=VALUE ...] (CPU below the processor count)");
		ev->cpu = (unsigned)v;
		for (int i = 3; i < n; i++) {
			if (!strchr(w[i], '='))
				BAD("event run: '%s' is not REG=VALUE", w[i]);
			if (parse_register(m, w[i], ev, bad, badlen) < 0)
				return KD_EFORMAT;
		}
		ev->kind = SIM_EVENT_RUN;
		return 0;
	}
	if (!strcmp(w[0], "exception")) {
		if (n < 5 || parse_num(w[1], &v) < 0 || v >= m->ncpu)
			BAD("event exception CPU CODE ADDR first|second [PARAM ...]");
		ev->cpu = (unsigned)v;
		if (parse_num(w[2], &v) < 0 || v > 0xffffffffu || parse_num(w[3], &ev->addr) < 0 ||
		    (strcmp(w[4], "first") && strcmp(w[4], "second")) || n - 5 > 15 + SIM_EVENT_MAX_REGS)
			BAD("event exception CPU CODE ADDR first|second [PARAM ...] [REG=VALUE ...]");
		ev->code = (uint32_t)v;
		ev->first_chance = !strcmp(w[4], "first");
		for (int i = 5; i < n; i++) {
			if (strchr(w[i], '=')) {
				if (parse_register(m, w[i], ev, bad, badlen) < 0)
					return KD_EFORMAT;
			} else if (parse_num(w[i], &ev->params[ev->nparams++]) < 0) {
				BAD("event exception: bad parameter '%s'", w[i]);
			}
		}
		ev->kind = SIM_EVENT_EXCEPTION;
		return 0;
	}
	if (!strcmp(w[0], "write")) {
		if (n != 5 || parse_num(w[1], &v) < 0 || v >= m->ncpu || parse_num(w[2], &ev->addr) < 0 ||
		    parse_num(w[3], &ev->size) < 0 || (ev->size != 1 && ev->size != 2 && ev->size != 4 && ev->size != 8) ||
		    parse_num(w[4], &ev->value) < 0)
			BAD("event write CPU ADDR SIZE VALUE (SIZE 1, 2, 4 or 8)");
		ev->cpu = (unsigned)v;
		ev->kind = SIM_EVENT_WRITE;
		return 0;
	}
	if (!strcmp(w[0], "bugcheck")) {
		if (n != 6 || parse_num(w[1], &v) < 0 || v > 0xffffffffu)
			BAD("event bugcheck CODE P1 P2 P3 P4");
		ev->code = (uint32_t)v;
		for (int i = 0; i < 4; i++)
			if (parse_num(w[2 + i], &ev->params[i]) < 0)
				BAD("event bugcheck: bad parameter '%s'", w[2 + i]);
		ev->nparams = 4;
		ev->kind = SIM_EVENT_BUGCHECK;
		return 0;
	}
	BAD("unknown event '%s' (load unload run exception write print prompt bugcheck)", w[0]);
}

int sim_script_directive(struct sim_machine *m, char **w, int n, char *bad, size_t badlen)
{
	uint64_t base;
	if (!strcmp(w[0], "image")) {
		if (n != 3 || parse_num(w[2], &base) < 0)
			BAD("image FILE BASE");
		return sim_image_map(m, w[1], base, NULL, bad, badlen);
	}
	/* event: checked here, collected by sim_script_load */
	char line[4096];
	size_t len = 0;
	for (int i = 1; i < n; i++) {
		size_t l = strlen(w[i]);
		if (len + l + 2 > sizeof line)
			BAD("event: line too long");
		memcpy(line + len, w[i], l);
		len += l;
		line[len++] = ' ';
	}
	line[len] = '\0';
	struct sim_event *ev = malloc(sizeof *ev);
	if (!ev)
		BAD("out of memory");
	int rc = sim_script_parse_event(m, line, ev, bad, badlen);
	free(ev);
	return rc;
}

static int add_event(struct sim_script *s, const struct sim_event *ev)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		if (cap > MAX_EVENTS)
			return KD_ENOTSUP;
		struct sim_event *n = realloc(s->ev, cap * sizeof *n);
		if (!n)
			return KD_ENOMEM;
		s->ev = n;
		s->cap = cap;
	}
	s->ev[s->n++] = *ev;
	return 0;
}

int sim_script_load_text(struct sim_script *s, const struct sim_machine *m, const char *text, size_t len,
                         const char *name, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	struct sim_event *ev = malloc(sizeof *ev);
	if (!ev)
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory");
	char line[4096];
	size_t pos = 0;
	int lineno = 0, rc = 0;
	while (pos < len && rc == 0) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		size_t l = end - pos < sizeof line - 1 ? end - pos : sizeof line - 1;
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos = end + 1;
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *p = line + strspn(line, " \t\r");
		if (strncmp(p, "event", 5) || (p[5] != ' ' && p[5] != '\t' && p[5] != '\r' && p[5] != '\0'))
			continue;
		char bad[256];
		if (sim_script_parse_event(m, p + 5, ev, bad, sizeof bad) < 0)
			rc = kd_fail(err, errlen, KD_EFORMAT, "%s:%d: %s", name, lineno, bad);
		else if (add_event(s, ev) < 0)
			rc = kd_fail(err, errlen, KD_ENOTSUP, "%s:%d: more than %d events", name, lineno, MAX_EVENTS);
	}
	free(ev);
	if (rc < 0)
		sim_script_free(s);
	return rc;
}

int sim_script_load(struct sim_script *s, const struct sim_machine *m, const char *path, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	uint8_t *b;
	size_t n;
	int rc = kd_read_file(path, 16u << 20, &b, &n, err, errlen);
	if (rc < 0)
		return rc;
	rc = sim_script_load_text(s, m, (const char *)b, n, path, err, errlen);
	free(b);
	return rc;
}

const struct sim_event *sim_script_next(struct sim_script *s)
{
	return s->next < s->n ? &s->ev[s->next++] : NULL;
}

void sim_script_free(struct sim_script *s)
{
	free(s->ev);
	memset(s, 0, sizeof *s);
}
