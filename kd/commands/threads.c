/*
 * The implicit thread and process: .thread (a thread's registers and
 * stack) and .process (whose page tables translate addresses), through
 * kd/engine/kthread.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kd/commands/command.h"
#include "kd/commands/register_display.h"
#include "kd/engine/expr.h"
#include "kd/engine/kthread.h"
#include "kd/engine/run_control.h"
#include "kd/targets/dump_write.h"

/* --- .thread .process ----------------------------------------------------- */

/* The options .thread and .process take, as their bits in the flags
 * slash_options returns: the letter's place in OPTION_LETTERS. */
#define OPTION_LETTERS "prwPi"
enum {
	OPT_P = 1u << 0,      /* /p: translate through the process's page tables */
	OPT_R = 1u << 1,      /* /r: reload user-mode symbols */
	OPT_W = 1u << 2,      /* /w: WOW64 (accepted, nothing to do in kernel mode) */
	OPT_BIG_P = 1u << 3,  /* /P: as /p, for a thread's process (accepted) */
	OPT_I = 1u << 4,      /* /i: invasive (accepted, kernel targets only) */
};

/* Options of .thread/.process: /p, /r, /i, /w, /P (those in `allowed`);
 * *p advances past them. */
static int slash_options(struct kd_engine *eng, const char *name, const char **p, const char *allowed,
                         unsigned *flags)
{
	*flags = 0;
	const char *s = kd_skip_spaces(*p);
	while (*s == '/' || (*s == '-' && isalpha((unsigned char)s[1]))) {
		const char *o = strchr(allowed, s[1]);
		if (!s[1] || !o) {
			kd_eprintf(eng, "%s: unknown option '%c%c'\n", name, s[0], s[1] ? s[1] : ' ');
			return KD_EINVAL;
		}
		*flags |= 1u << (strchr(OPTION_LETTERS, *o) - OPTION_LETTERS);
		s = kd_skip_spaces(s + 2);
	}
	*p = s;
	return 0;
}

static void note_user_symbols(struct kd_engine *eng)
{
	kd_printf(eng, "Loading User Symbols\n");
	kd_eprintf(eng, "kd: user-mode module lists are not loaded (not supported)\n");
}

/* Make `process` the implicit one; /p (or a dump, where there is no
 * other way) translates virtual addresses through its page tables. */
static int use_process(struct kd_engine *eng, uint64_t process, int translate)
{
	char a[20];
	kd_process_set_implicit(eng, process);
	kd_engine_set_translation(eng, KD_PAGING_X64, 0);
	kd_printf(eng, "Implicit process is now %s\n", kd_format_addr(eng, process, a));
	if (!translate)
		return 0;
	const struct kd_kernel_layout *l;
	enum kd_paging mode;
	uint64_t cur_dtb, dtb;
	int rc = kd_kernel_layout(eng, &l);
	if (rc == 0 && !l->directory_table_base)
		rc = KD_ENOTFOUND;
	if (rc == 0)
		rc = kd_read_pointer(eng, process + l->directory_table_base, &dtb);
	if (rc == 0)
		rc = kd_dump_current_paging(eng, &mode, &cur_dtb);
	if (rc < 0) {
		kd_eprintf(eng, "Unable to read the page directory of process %s: %s\n",
		           kd_format_addr(eng, process, a), kd_strerror(rc));
		return rc;
	}
	if (mode != KD_PAGING_X64)
		dtb &= 0xffffffffu;
	/* The kernel keeps flags in the low bits (x64 PCID). */
	dtb &= ~0xfffull;
	/* The process object is kernel memory, mapped in every process: if
	 * it does not translate, the page tables cannot be read (a triage
	 * dump has no physical memory) and the kernel's view stays. */
	uint8_t probe[8];
	size_t got = 0;
	kd_engine_set_translation(eng, mode, dtb);
	if (!dtb || kd_read_virtual(eng, process, probe, sizeof probe, &got) < 0 || got != sizeof probe) {
		kd_engine_set_translation(eng, mode, 0);
		kd_eprintf(eng, "Unable to translate through the page tables of process %s; using the current ones\n",
		           kd_format_addr(eng, process, a));
	}
	return 0;
}

/* The arguments of .thread/.process: options, then an optional object
 * address (*have 0 without one). Returns 0 or an error already shown. */
static int object_args(struct kd_engine *eng, const char *name, const char *args, const char *allowed,
                       unsigned *flags, uint64_t *addr, int *have)
{
	if (kd_cmd_need_target(eng, name) < 0)
		return KD_EDISCONNECTED;
	const char *p = args, *end;
	int rc = slash_options(eng, name, &p, allowed, flags);
	*have = 0;
	if (rc < 0 || !*p)
		return rc;
	if ((rc = kd_cmd_eval(eng, p, addr, &end)) < 0)
		return rc;
	if (*kd_skip_spaces(end)) {
		kd_eprintf(eng, "%s: extra characters '%s'\n", name, kd_skip_spaces(end));
		return KD_EINVAL;
	}
	if (!kd_engine_is_64bit(eng))
		*addr &= 0xffffffffu;
	*have = 1;
	return 0;
}

static int cmd_thread(struct kd_engine *eng, const char *name, const char *args)
{
	unsigned fl;
	uint64_t thread;
	int have;
	char a[20];
	int rc = object_args(eng, name, args, "prwP", &fl, &thread, &have);
	if (rc < 0)
		return rc;
	if (!have) {
		kd_thread_set_implicit(eng, 0);
		kd_context_reset(eng);
		if ((rc = kd_thread_current(eng, &thread)) < 0) {
			kd_eprintf(eng, "Unable to find the current thread: %s\n", kd_strerror(rc));
			return rc;
		}
		kd_printf(eng, "Implicit thread is now %s\n", kd_format_addr(eng, thread, a));
		return 0;
	}
	struct kd_context c;
	int cpu;
	if ((rc = kd_thread_context(eng, thread, &c, &cpu)) < 0) {
		kd_eprintf(eng, "Unable to get context of thread %s: %s\n", kd_format_addr(eng, thread, a),
		           kd_strerror(rc));
		return rc;
	}
	kd_thread_set_implicit(eng, thread);
	if (cpu >= 0 && (unsigned)cpu == kd_engine_cpu(eng))
		kd_context_reset(eng);
	else
		kd_context_override(eng, &c);
	kd_printf(eng, "Implicit thread is now %s\n", kd_format_addr(eng, thread, a));
	if (fl & OPT_P) {
		uint64_t process;
		if ((rc = kd_thread_process(eng, thread, &process)) < 0) {
			kd_eprintf(eng, "Unable to find the process of thread %s: %s\n",
			           kd_format_addr(eng, thread, a), kd_strerror(rc));
			return rc;
		}
		if ((rc = use_process(eng, process, 1)) < 0)
			return rc;
		if (fl & OPT_R)
			note_user_symbols(eng);
	}
	return 0;
}

static int cmd_process(struct kd_engine *eng, const char *name, const char *args)
{
	unsigned fl;
	uint64_t process;
	int have;
	char a[20];
	int rc = object_args(eng, name, args, "priw", &fl, &process, &have);
	if (rc < 0)
		return rc;
	if (!have) {
		kd_process_set_implicit(eng, 0);
		kd_engine_set_translation(eng, KD_PAGING_X64, 0);
		if ((rc = kd_process_current(eng, &process)) < 0) {
			kd_eprintf(eng, "Unable to find the current process: %s\n", kd_strerror(rc));
			return rc;
		}
		kd_printf(eng, "Implicit process is now %s\n", kd_format_addr(eng, process, a));
		return 0;
	}
	int live = kd_engine_can_run(eng);
	if ((rc = use_process(eng, process, (fl & OPT_P) || !live)) < 0)
		return rc;
	if (live && !(fl & OPT_P))
		kd_printf(eng, "WARNING: .cache forcedecodeuser is not enabled\n");
	if (fl & OPT_R)
		note_user_symbols(eng);
	return 0;
}

const struct kd_command kd_cmds_threads[] = {
	{ ".thread", cmd_thread, ".thread [/p [/r]] [Thread]", "use a thread's registers and stack (none: the current thread)" },
	{ ".process", cmd_process, ".process [/p [/r]] [Process]", "set the implicit process (/p: translate through its page tables)" },
	{ NULL, NULL, NULL, NULL },
};
