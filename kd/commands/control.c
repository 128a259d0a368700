/*
 * Session commands: q, ~Ns, vertarget, .reboot, .kdfiles, .echo, help,
 * and the stop report printed when the target breaks in (g and the other
 * execution commands are in kd/commands/exec.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/disasm.h"
#include "kd/commands/command.h"
#include "kd/commands/control.h"
#include "kd/engine/run_control.h"
#include "kd/engine/stepping.h"
#include "kd/engine/modlist.h"

static const char *os_name(unsigned build)
{
	if (build >= 22000) return "Windows 10"; /* WinDbg names 11 this way too */
	if (build >= 10240) return "Windows 10";
	if (build >= 9600) return "Windows 8.1";
	if (build >= 9200) return "Windows 8";
	if (build >= 7600) return "Windows 7";
	if (build >= 6000) return "Windows Vista";
	if (build >= 3790) return "Windows Server 2003";
	if (build >= 2600) return "Windows XP";
	return "Windows";
}

static const char *machine_name(enum kd_machine m)
{
	return m == KD_MACHINE_AMD64 ? "x64" : m == KD_MACHINE_I386 ? "x86" : "unknown";
}

static int cmd_vertarget(struct kd_engine *eng, const char *name, const char *args)
{
	struct kd_version v;
	int rc = kd_engine_version(eng, &v);
	if (rc < 0) {
		kd_eprintf(eng, "vertarget: %s\n", kd_strerror(rc));
		return rc;
	}
	char a[20], b[20];
	kd_printf(eng, "%s Kernel Version %u %s (%u procs) %s %s\n", os_name(v.build), v.build,
	          v.processors > 1 ? "MP" : "UP", v.processors,
	          v.major == 0xc ? "Checked" : "Free", machine_name(v.machine));
	if (v.protocol_version)
		kd_printf(eng, "KD protocol version %u, secondary version %u\n",
		          v.protocol_version, v.kd_secondary_version);
	kd_printf(eng, "Kernel base = 0x%s PsLoadedModuleList = 0x%s\n",
	          kd_format_addr(eng, v.kern_base, a), kd_format_addr(eng, v.ps_loaded_module_list, b));
	return 0;
}

/* Commands about a running target's connection need one that can run. */
static int need_runnable(struct kd_engine *eng, const char *cmd)
{
	if (!kd_engine_target(eng)) {
		kd_eprintf(eng, "%s: %s\n", cmd, kd_strerror(KD_EDISCONNECTED));
		return KD_EDISCONNECTED;
	}
	if (!kd_engine_can_run(eng)) {
		kd_eprintf(eng, "%s: the target is %s, it cannot run\n", cmd, kd_engine_target_noun(eng));
		return KD_ENOTSUP;
	}
	return 0;
}

void kd_report_stop(struct kd_engine *eng)
{
	/* A bugcheck banner or the exception line, then the symbol and the
	 * instruction where it stopped, as `r` ends. */
	kd_exec_report_stop(eng);
}

void kd_report_connected(struct kd_engine *eng)
{
	struct kd_version v;
	if (kd_engine_version(eng, &v) < 0)
		return;
	kd_printf(eng, "Connected to %s %u %s target, ptr64 %s\n", os_name(v.build), v.build,
	          machine_name(v.machine), v.machine == KD_MACHINE_AMD64 ? "TRUE" : "FALSE");
	kd_printf(eng, "Kernel Debugger connection established.\n");
	cmd_vertarget(eng, "vertarget", "");
}

int kd_attach_modules(struct kd_engine *eng)
{
	struct kd_version v;
	size_t n;
	int rc = kd_engine_version(eng, &v);
	if (rc < 0 || kd_engine_module_count(eng) || !v.ps_loaded_module_list)
		return rc;
	if ((rc = kd_symbols_walk_module_list(eng, v.ps_loaded_module_list, &n)) < 0)
		kd_eprintf(eng, "Unable to read the loaded module list at %s\n",
		           kd_format_addr(eng, v.ps_loaded_module_list, (char[20]){ 0 }));
	return rc;
}

int kd_run_until_stop(struct kd_engine *eng)
{
	int rc = kd_engine_wait_stop(eng, 0);
	if (rc == 0)
		kd_report_stop(eng);
	return rc;
}

static int cmd_quit(struct kd_engine *eng, const char *name, const char *args)
{
	/* q leaves a live target running, as kd does when it detaches. */
	if (kd_engine_check_stopped(eng) == 0)
		kd_engine_resume(eng, NULL);
	kd_engine_request_quit(eng);
	return 0;
}

static int cmd_reboot(struct kd_engine *eng, const char *name, const char *args)
{
	if (need_runnable(eng, name) < 0)
		return KD_ENOTSUP;
	if (!kd_engine_is_stopped(eng)) {
		kd_eprintf(eng, ".reboot: %s\n", kd_strerror(KD_ERUNNING));
		return KD_ERUNNING;
	}
	kd_printf(eng, "Shutdown occurred...unloading all symbol tables.\nWaiting to reconnect...\n");
	/* Wait for the target to come back, putting the breakpoints back in
	 * at its first module event, until something stops it (Ctrl-C
	 * breaks in). */
	int rc = kd_exec_reboot(eng);
	if (rc < 0 && rc != KD_EDISCONNECTED)
		kd_eprintf(eng, ".reboot: %s\n", kd_strerror(rc));
	return rc;
}

/* ~ lists processors; ~Ns switches to processor N. */
static int cmd_processor(struct kd_engine *eng, const char *name, const char *args)
{
	const char *p = kd_skip_spaces(args);
	if (!kd_engine_target(eng)) {
		kd_eprintf(eng, "~: %s\n", kd_strerror(KD_EDISCONNECTED));
		return KD_EDISCONNECTED;
	}
	if (!*p) {
		for (unsigned i = 0; i < kd_engine_cpu_count(eng); i++)
			kd_printf(eng, "%c%u\n", i == kd_engine_cpu(eng) ? '.' : ' ', i);
		return 0;
	}
	char *end;
	unsigned long n = strtoul(p, &end, 10);
	if (end == p || (*end != 's' && *end != 'S') || *kd_skip_spaces(end + 1)) {
		kd_eprintf(eng, "~: use ~Ns to switch to processor N (decimal)\n");
		return KD_EINVAL;
	}
	if (n >= kd_engine_cpu_count(eng)) {
		kd_eprintf(eng, "~%lus: no processor %lu (the target has %u)\n", n, n, kd_engine_cpu_count(eng));
		return KD_EINVAL;
	}
	if (kd_engine_can_run(eng) && n != kd_engine_cpu(eng)) {
		/* As WinDbg does: the target reports again from that processor. */
		int rc = kd_engine_switch_processor(eng, (unsigned)n);
		if (rc < 0) {
			kd_eprintf(eng, "~%lus: %s\n", n, kd_strerror(rc));
			return rc;
		}
	}
	return kd_engine_set_cpu(eng, (unsigned)n);
}

static int cmd_kdfiles(struct kd_engine *eng, const char *name, const char *args)
{
	if (need_runnable(eng, name) < 0)
		return KD_ENOTSUP;
	const char *p = kd_skip_spaces(args);
	char remote[512], local[512];
	if (sscanf(p, "%511s %511s", remote, local) != 2) {
		kd_eprintf(eng, ".kdfiles: use .kdfiles TargetPath LocalFile\n");
		return KD_EINVAL;
	}
	int rc = kd_engine_serve_file(eng, remote, local);
	if (rc == 0)
		kd_printf(eng, "KD file assocations: %s -> %s\n", remote, local);
	return rc;
}

/* .echo Text / .echo "Text": a quoted string is printed without its
 * quotes (so it may hold ';'). */
static int cmd_echo(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	size_t n = strlen(args);
	if (n >= 2 && args[0] == '"' && args[n - 1] == '"')
		kd_printf(eng, "%.*s\n", (int)(n - 2), args + 1);
	else
		kd_printf(eng, "%s\n", args);
	return 0;
}

/* j and .if are flow control of the command line (kd/commands/execute.c); these
 * entries list them in help and run them when called as commands. */
static int cmd_flow(struct kd_engine *eng, const char *name, const char *args)
{
	size_t n = strlen(name) + strlen(args) + 2;
	char *line = malloc(n);
	if (!line)
		return KD_ENOMEM;
	snprintf(line, n, "%s %s", name, args);
	int rc = kd_execute(eng, line);
	free(line);
	return rc;
}

static int cmd_trace(struct kd_engine *eng, const char *name, const char *args)
{
	if (need_runnable(eng, name) < 0)
		return KD_ENOTSUP;
	const char *p = kd_skip_spaces(args);
	int on = !*p ? !kd_engine_link_trace(eng) : strcmp(p, "on") == 0;
	kd_engine_set_link_trace(eng, on);
	kd_printf(eng, "Packet trace %s\n", on ? "on" : "off");
	return 0;
}

static int cmd_stats(struct kd_engine *eng, const char *name, const char *args)
{
	if (need_runnable(eng, name) < 0)
		return KD_ENOTSUP;
	struct kd_target_stats st;
	kd_engine_link_stats(eng, &st);
	kd_printf(eng, "requests %llu, packets sent %llu received %llu, bytes sent %llu received %llu, "
	          "resends %llu, bad packets %llu, repeats dropped %llu\n",
	          (unsigned long long)st.requests, (unsigned long long)st.packets_sent,
	          (unsigned long long)st.packets_received, (unsigned long long)st.bytes_sent,
	          (unsigned long long)st.bytes_received, (unsigned long long)st.resends,
	          (unsigned long long)st.bad_packets, (unsigned long long)st.dropped);
	return 0;
}

static int cmd_help(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	const char *p = kd_skip_spaces(args);
	if (*p && *p != ';') {
		/* help NAME: that command's syntax and what it does. */
		const struct kd_command *c = kd_command_find(p, NULL);
		if (!c) {
			size_t n = strcspn(p, " \t;");
			kd_eprintf(eng, "No command %.*s: type help for the list\n", (int)n, p);
			return KD_ENOTFOUND;
		}
		kd_printf(eng, "%s\n  %s\n", c->syntax, c->summary);
		return 0;
	}
	for (size_t i = 0;; i++) {
		const struct kd_command *c = kd_command_at(i);
		if (!c)
			break;
		kd_printf(eng, "  %-40s %s\n", c->syntax, c->summary);
	}
	return 0;
}

const struct kd_command kd_cmds_control[] = {
	{ "q", cmd_quit, "q", "leave kd; a live target keeps running" },
	{ "~", cmd_processor, "~[N]s", "list processors, or switch to processor N" },
	{ "vertarget", cmd_vertarget, "vertarget", "show the target's version and kernel base" },
	{ ".reboot", cmd_reboot, ".reboot", "reboot the target and wait until it stops again (breakpoints go back in)" },
	{ ".kdfiles", cmd_kdfiles, ".kdfiles TargetPath LocalFile", "serve a replacement driver file to the target" },
	{ ".echo", cmd_echo, ".echo Text", "print text" },
	{ "j", cmd_flow, "j Condition Commands1 ; Commands2", "run one of two command lists by a condition" },
	{ ".if", cmd_flow, ".if (Condition) { Commands } [.elsif (Condition) { Commands }] [.else { Commands }]",
	  "run the commands of the first condition that holds" },
	{ ".kdtrace", cmd_trace, ".kdtrace [on|off]", "toggle the KD packet trace (also Ctrl-D)" },
	{ ".kdstats", cmd_stats, ".kdstats", "show round trips, packets and bytes on the KD link" },
	{ "help", cmd_help, "help [Command]", "list commands, or show one command's syntax and purpose" },
	{ ".help", cmd_help, ".help [Command]", "list commands, or show one command's syntax and purpose" },
	{ NULL, NULL, NULL, NULL },
};
