/*
 * Stack commands: k and its variants (kb kv kp kn kL and combinations such
 * as knL or kvn, a frame count, k= BasePtr StackPtr InstructionPtr) and
 * .frame, in WinDbg's layout: x86 "ChildEBP RetAddr  Args to Child" and
 * x64 "Child-SP RetAddr Call Site" (": Args to Child :" with kb/kv), with
 * the warnings WinDbg prints where frames may be wrong. A thin layer over
 * kd_stack_walk (kd/engine/stack.c).
 *
 * kp adds, where the PDB types the function (a procedure symbol with a
 * procedure type), its parameters' types and values to the call site:
 * "mod!Func(int = 0n1, char * = 0x00403000)+0x12" (x86: the stack slots
 * after the return address; x64: the four home slots). Parameter names
 * are not read (they live in the module's symbol stream); other frames
 * show what kb shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/commands/command.h"
#include "kd/engine/expr.h"
#include "kd/commands/register_display.h"
#include "kd/engine/stack.h"
#include "kd/engine/symbols.h"
#include "symbols/types.h"

#define DEFAULT_FRAMES 0x100
#define MAX_FRAMES 0x10000
#define FRAME_SLOT "stack.frame"

struct k_opts {
	int args;       /* b, v, p, P */
	int params;     /* p, P: typed parameters in the call site */
	int verbose;    /* v: FPO and trap annotations */
	int numbers;    /* n */
	int have_start; /* k= */
	unsigned start_reached; /* KD_REACHED_CALL: k = StackPtr on x64 */
	struct kd_context start;
	uint64_t count;
};

/* Which modifiers the command word holds ("knL" -> n, L). */
/* The option letters of k, as WinDbg takes them in any order: b
 * (arguments), v (and FPO/trap data), p (parameters), n (frame numbers);
 * L, f and c change nothing kd shows. */
#define K_LETTERS "bvpPnLlfc"

/* Reads the letters at the start of *p into o. */
static void parse_letters(const char **p, struct k_opts *o)
{
	for (; **p && strchr(K_LETTERS, **p); (*p)++) {
		switch (**p) {
		case 'b': o->args = 1; break;
		case 'p': case 'P': o->args = 1; o->params = 1; break;
		case 'v': o->args = 1; o->verbose = 1; break;
		case 'n': o->numbers = 1; break;
		}
	}
}

static int eval_value(struct kd_engine *eng, const char **p, uint64_t *v)
{
	char msg[300];
	const char *end;
	int rc = kd_eval_msg(eng, *p, v, &end, msg, sizeof msg);
	if (rc < 0) {
		kd_eprintf(eng, "%s\n", msg);
		return rc;
	}
	*p = kd_skip_spaces(end);
	return 0;
}

static void set_count(struct k_opts *o, uint64_t v)
{
	o->count = v == 0 ? 1 : v > MAX_FRAMES ? MAX_FRAMES : v;
}

/* The forms WinDbg documents for kernel mode:
 *   x86: = BasePtr StackPtr InstructionPtr [FrameCount]
 *        = StackPtr [FrameCount]   (the current function, with EBP and
 *                                   ESP at StackPtr)
 *   x64: = StackPtr InstructionPtr FrameCount
 *        = StackPtr [FrameCount]   (the return address at StackPtr
 *                                   starts the walk)
 * then, without '=', an optional frame count. */
static int parse_args(struct kd_engine *eng, const char *args, struct k_opts *o)
{
	const char *p = kd_skip_spaces(args);
	int x64 = kd_engine_machine(eng) == KD_MACHINE_AMD64, rc;
	o->count = DEFAULT_FRAMES;
	if (*p != '=') {
		if (*p && *p != ';') {
			uint64_t v;
			if ((rc = eval_value(eng, &p, &v)) < 0)
				return rc;
			set_count(o, v);
		}
		if (*p && *p != ';') {
			kd_eprintf(eng, "Syntax error at '%s'\n", p);
			return KD_EINVAL;
		}
		return 0;
	}
	uint64_t v[4];
	int n = 0;
	p = kd_skip_spaces(p + 1);
	while (n < 4 && *p && *p != ';') {
		if ((rc = eval_value(eng, &p, &v[n])) < 0)
			return rc;
		n++;
	}
	if (n == 0 || (*p && *p != ';') || (x64 && n > 3)) {
		kd_eprintf(eng, "Usage: k[b|v|p|n|L] = %s\n",
		           x64 ? "StackPtr [InstructionPtr FrameCount | FrameCount]"
		               : "BasePtr StackPtr InstructionPtr [FrameCount] | = StackPtr [FrameCount]");
		return KD_EINVAL;
	}
	if ((rc = kd_get_context(eng, &o->start)) < 0) {
		kd_eprintf(eng, "Unable to get the register context: %s\n", kd_strerror(rc));
		return rc;
	}
	o->have_start = 1;
	if (!x64) {
		o->start.u.x86.Ebp = (uint32_t)v[0];
		o->start.u.x86.Esp = (uint32_t)(n >= 3 ? v[1] : v[0]);
		if (n >= 3)
			o->start.u.x86.Eip = (uint32_t)v[2];
		if (n == 2 || n == 4)
			set_count(o, v[n - 1]);
		return 0;
	}
	o->start.u.x64.Rsp = v[0];
	if (n == 3) {
		o->start.u.x64.Rip = v[1];
		set_count(o, v[2]);
		return 0;
	}
	uint64_t ip;
	if (kd_read_pointer(eng, v[0], &ip) < 0) {
		kd_eprintf(eng, "Unable to read the stack at %llx\n", (unsigned long long)v[0]);
		return KD_EUNREADABLE;
	}
	o->start.u.x64.Rip = ip;
	o->start.u.x64.Rsp = v[0] + 8;
	o->start_reached = KD_REACHED_CALL;
	if (n == 2)
		set_count(o, v[1]);
	return 0;
}

/* The names of images whose frames came from a heuristic scan or without
 * unwind information, "a, b". */
static void missing_images(const struct kd_stack_frame *f, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!f[i].missing[0] || !(f[i].flags & (KD_FRAME_HEURISTIC | KD_FRAME_NO_INFO)))
			continue;
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(f[j].missing, f[i].missing) == 0 && (f[j].flags & (KD_FRAME_HEURISTIC | KD_FRAME_NO_INFO));
		if (dup)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f[i].missing);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

/* The warnings WinDbg prints before the first frame they concern. */
struct warn_state {
	int unwind, module, heuristic;
};

static void frame_warnings(struct kd_engine *eng, const struct kd_stack_frame *all, size_t n, size_t i,
                           struct warn_state *w)
{
	const struct kd_stack_frame *f = &all[i];
	if (!w->module && !kd_engine_module_by_addr(eng, f->ip)) {
		kd_printf(eng, "WARNING: Frame IP not in any known module. Following frames may be wrong.\n");
		w->module = 1;
	}
	if (!w->unwind && (f->flags & (KD_FRAME_NO_INFO | KD_FRAME_HEURISTIC))) {
		kd_printf(eng, "WARNING: Stack unwind information not available. Following frames may be wrong.\n");
		w->unwind = 1;
	}
	if (!w->heuristic && (f->flags & KD_FRAME_HEURISTIC)) {
		char names[512];
		missing_images(all, n, names, sizeof names);
		if (names[0])
			kd_printf(eng, "NOTE: No unwind data for %s: the frames below were found by a heuristic "
			               "scan of the stack and may be wrong.\n", names);
		else
			kd_printf(eng, "NOTE: The frames below were found by a heuristic scan of the stack and may be wrong.\n");
		w->heuristic = 1;
	}
}

static void call_site(struct kd_engine *eng, uint64_t ip, char *buf, size_t n)
{
	if (kd_format_symbol(eng, ip, buf, n) < 0 || !buf[0])
		snprintf(buf, n, "0x%llx", (unsigned long long)ip);
}

#define LF_PROCEDURE 0x1008
#define LF_MFUNCTION 0x1009
#define LF_ARGLIST 0x1201

static uint32_t rec32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "(int = 0n1, char * = 0x00403000)" for the frame's function when its
 * PDB types it; "" otherwise. */
static void frame_params(struct kd_engine *eng, const struct kd_stack_frame *f, char *buf, size_t n)
{
	struct kd_symbols *s = kd_symbols_get(eng);
	const struct kd_module *m = kd_engine_module_by_addr(eng, f->ip);
	struct kd_sym_entry prev, next;
	struct kd_types *t;
	int has_next;
	uint16_t kind;
	const uint8_t *p, *a;
	size_t len, alen;
	buf[0] = '\0';
	if (!s || !m || kd_symbols_near(s, m, f->ip, &prev, &next, &has_next) < 0 || prev.is_public
	    || !prev.is_function || !prev.type_index || kd_symbols_types(s, m, &t) < 0
	    || kd_types_record(t, prev.type_index, &kind, &p, &len) < 0)
		return;
	uint32_t args;
	if (kind == LF_PROCEDURE && len >= 12)
		args = rec32(p + 8);
	else if (kind == LF_MFUNCTION && len >= 20)
		args = rec32(p + 16);
	else
		return;
	if (kd_types_record(t, args, &kind, &a, &alen) < 0 || kind != LF_ARGLIST || alen < 4)
		return;
	uint32_t count = rec32(a);
	if (count > (alen - 4) / 4)
		return;
	int x64 = kd_engine_machine(eng) == KD_MACHINE_AMD64;
	uint64_t slot = f->fp + 8; /* x86: the first argument */
	size_t at = (size_t)snprintf(buf, n, "(");
	for (uint32_t i = 0; i < count && at < n; i++) {
		uint32_t ti = rec32(a + 4 + 4 * i);
		char type[256], value[40] = "";
		struct kd_type_info info;
		if (ti == 0 || kd_types_c_name(t, ti, type, sizeof type) < 0) {
			at += (size_t)snprintf(buf + at, n - at, "%s...", i ? ", " : "");
			break;
		}
		int have = kd_types_get(t, ti, &info) == 0;
		uint64_t size = have && info.size ? info.size : kd_engine_pointer_size(eng);
		uint64_t v = 0;
		int ok;
		if (x64) {
			ok = i < 4;
			v = f->args[i < 4 ? i : 0];
		} else {
			uint8_t b[8] = { 0 };
			size_t done = 0;
			size_t want = size > 4 ? 8 : 4;
			ok = kd_read_virtual(eng, slot, b, want, &done) == 0 && done == want;
			for (size_t k = 0; k < want; k++)
				v |= (uint64_t)b[k] << (8 * k);
			if (size < 4)
				v &= (1ull << (8 * size)) - 1;
			slot += want;
		}
		if (!ok)
			snprintf(value, sizeof value, "<value unavailable>");
		else if (have && info.kind == KD_TYPE_BASE && (info.base == KD_BASE_SIGNED || info.base == KD_BASE_BOOL))
			snprintf(value, sizeof value, "0n%lld", (long long)(size == 1 ? (int8_t)v : size == 2 ? (int16_t)v
			                                                      : size == 4 ? (int32_t)v : (int64_t)v));
		else
			snprintf(value, sizeof value, "0x%0*llx", x64 || size > 4 ? 16 : 8, (unsigned long long)v);
		at += (size_t)snprintf(buf + at, n - at, "%s%s = %s", i ? ", " : "", type, value);
	}
	if (at < n)
		snprintf(buf + at, n - at, "%s)", count ? "" : "void");
}

/* The call site with typed parameters before its offset. */
static void call_site_params(struct kd_engine *eng, const struct kd_stack_frame *f, char *site, size_t n)
{
	char params[512], tail[64] = "";
	frame_params(eng, f, params, sizeof params);
	if (!params[0])
		return;
	char *plus = strrchr(site, '+');
	if (plus && plus[1] == '0' && plus[2] == 'x') {
		snprintf(tail, sizeof tail, "%s", plus);
		*plus = '\0';
	}
	size_t l = strlen(site);
	snprintf(site + l, n - l, "%s%s", params, tail);
}

static void print_header(struct kd_engine *eng, const struct k_opts *o)
{
	const char *num = o->numbers ? " # " : "";
	if (kd_engine_machine(eng) == KD_MACHINE_AMD64) {
		if (o->args)
			kd_printf(eng, "%sChild-SP          RetAddr           : Args to Child                        "
			               "                                   : Call Site\n", num);
		else
			kd_printf(eng, "%sChild-SP          RetAddr           Call Site\n", num);
	} else {
		kd_printf(eng, "%sChildEBP RetAddr%s\n", num, o->args ? "  Args to Child              " : "");
	}
}

static void print_frame(struct kd_engine *eng, const struct k_opts *o, const struct kd_stack_frame *f, size_t i)
{
	char site[1200], num[8] = "";
	call_site(eng, f->ip, site, sizeof site);
	if (o->params)
		call_site_params(eng, f, site, sizeof site);
	if (o->numbers)
		snprintf(num, sizeof num, "%02zx ", i);
	if (kd_engine_machine(eng) == KD_MACHINE_AMD64) {
		char a[20], b[20], c[4][20], note[80] = "";
		if (o->verbose && (f->flags & KD_FRAME_TRAP))
			snprintf(note, sizeof note, " (TrapFrame @ %s)", kd_format_addr(eng, f->trap_frame, a));
		kd_format_addr(eng, f->sp, a);
		kd_format_addr(eng, f->ret, b);
		if (o->args) {
			for (int k = 0; k < 4; k++)
				kd_format_addr(eng, f->args[k], c[k]);
			kd_printf(eng, "%s%s %s : %s %s %s %s : %s%s\n", num, a, b, c[0], c[1], c[2], c[3], site, note);
		} else {
			kd_printf(eng, "%s%s %s %s%s\n", num, a, b, site, note);
		}
		return;
	}
	uint32_t fp = (uint32_t)f->fp, ret = (uint32_t)f->ret;
	if (!o->args) {
		kd_printf(eng, "%s%08x %08x %s\n", num, fp, ret, site);
		return;
	}
	char note[64] = "";
	if (o->verbose && f->fpo[0])
		snprintf(note, sizeof note, " (FPO: %s)", f->fpo);
	kd_printf(eng, "%s%08x %08x %08x %08x %08x %s%s\n", num, fp, ret, (uint32_t)f->args[0],
	          (uint32_t)f->args[1], (uint32_t)f->args[2], site, note);
}

static int walk(struct kd_engine *eng, const struct kd_context *start, unsigned reached, size_t max,
                struct kd_stack_frame **out, size_t *n)
{
	struct kd_stack_frame *f = calloc(max, sizeof *f);
	if (!f)
		return KD_ENOMEM;
	int rc = kd_stack_walk_reached(eng, start, reached, f, max, n);
	if (rc < 0) {
		free(f);
		kd_eprintf(eng, "Unable to walk the stack: %s\n", kd_strerror(rc));
		return rc;
	}
	*out = f;
	return 0;
}

static int cmd_k(struct kd_engine *eng, const char *name, const char *args)
{
	struct k_opts o;
	memset(&o, 0, sizeof o);
	int rc;
	if ((rc = kd_cmd_need_target(eng, name)) < 0)
		return rc;
	parse_letters(&args, &o);
	if ((rc = parse_args(eng, kd_skip_spaces(args), &o)) < 0)
		return rc;
	struct kd_stack_frame *f;
	size_t n;
	if ((rc = walk(eng, o.have_start ? &o.start : NULL, o.start_reached, (size_t)o.count, &f, &n)) < 0)
		return rc;
	if (!o.have_start && kd_context_is_overridden(eng) == KD_OVERRIDE_CONTEXT)
		kd_printf(eng, "*** Stack trace for last set context - .thread/.cxr resets it\n");
	print_header(eng, &o);
	struct warn_state w = { 0, 0, 0 };
	for (size_t i = 0; i < n && !kd_engine_canceled(eng); i++) {
		frame_warnings(eng, f, n, i, &w);
		print_frame(eng, &o, &f[i], i);
	}
	free(f);
	return 0;
}

/* .frame [/r] [FrameNumber]: select (and show) a frame of the current
 * stack; /r adds the registers the unwind restored for it. */
static int cmd_frame(struct kd_engine *eng, const char *name, const char *args)
{
	int rc, regs = 0;
	if ((rc = kd_cmd_need_target(eng, name)) < 0)
		return rc;
	const char *p = kd_skip_spaces(args);
	if (p[0] == '/' && (p[1] == 'r' || p[1] == 'R')) {
		regs = 1;
		p = kd_skip_spaces(p + 2);
	}
	/* The selected frame holds while the target stays stopped. */
	struct frame_slot {
		unsigned runs;
		size_t frame;
	} *cur = kd_engine_ext_zalloc(eng, FRAME_SLOT, sizeof *cur);
	if (!cur)
		return KD_ENOMEM;
	if (cur->runs != kd_engine_run_count(eng)) {
		cur->runs = kd_engine_run_count(eng);
		cur->frame = 0;
	}
	uint64_t want = cur->frame;
	if (*p && *p != ';' && (rc = eval_value(eng, &p, &want)) < 0)
		return rc;
	struct kd_stack_frame *f;
	size_t n;
	if ((rc = walk(eng, NULL, KD_REACHED_START, want < MAX_FRAMES ? (size_t)want + 1 : MAX_FRAMES, &f, &n)) < 0)
		return rc;
	if (want >= n) {
		free(f);
		kd_eprintf(eng, "Frame %llx not found\n", (unsigned long long)want);
		return KD_ENOTFOUND;
	}
	cur->frame = (size_t)want;
	struct k_opts o = { .numbers = 1 };
	print_frame(eng, &o, &f[want], (size_t)want);
	if (regs)
		kd_show_context(eng, &f[want].ctx, 0);
	free(f);
	return 0;
}

const struct kd_command kd_cmds_stack[] = {
	{ "k", cmd_k, "k[b|v|p][n][L] [= Start...] [FrameCount]",
	  "stack trace; b: three arguments, v: and FPO/trap data, p: parameters, n: frame numbers",
	  K_LETTERS },
	{ ".frame", cmd_frame, ".frame [/r] [FrameNumber]", "select a stack frame; /r shows its registers" },
	{ NULL, NULL, NULL, NULL },
};
