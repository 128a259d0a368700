/*
 * kd: the command-line front end. Parses the options, opens the target
 * (a live connection with -k, or --demo against kdsim), runs -c commands,
 * then reads commands from a readline prompt (or from stdin when it is not
 * a terminal). It alone writes to the terminal; Ctrl-C breaks into a
 * running target or stops a long command, Ctrl-D toggles the packet trace.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "kd/targets/connect.h"
#include "proto/decode_pcap.h"
#include "kd/commands/dump_banner.h"
#include "kd/targets/dump_target.h"
#include "kd/targets/image_target.h"
#include "proto/kdnet_key.h"
#include "kd/engine/symbols.h"
#include "kd/commands/control.h"
#include "kd/engine/engine.h"
#include "kd/engine/target_log.h"
#include "kd/commands/command.h"
#include "kd/targets/live_target.h"

#define ATTACH_WARN_MS 10000

struct frontend {
	uv_loop_t loop;
	struct kd_engine *eng;
	struct kd_target *live; /* the live target, until the engine owns it */
	uv_signal_t sigint;
	uv_timer_t tick;
	int interactive;
	int polling;             /* inside poll_cancel's loop turn */
	int breakin_on_connect;
	int batch;               /* -c given or stdin not a terminal */
	char history[4096];
	pid_t sim_pid;
	char sim_dir[256];
	FILE *target_log;        /* --log-target, until a log target owns it */
};

static void on_output(void *user, enum kd_output_kind kind, const char *text)
{
	(void)user;
	FILE *f = kind == KD_OUTPUT_ERROR || kind == KD_OUTPUT_TRACE ? stderr : stdout;
	fputs(text, f);
	fflush(f);
}

static void usage(FILE *f)
{
	fputs(
"Usage: kd -k CONNECTION [-b] [-y SYMPATH] [-c \"cmd; cmd\"] [--trace]\n"
"       kd -z FILE [-y SYMPATH] [-c \"cmd; cmd\"]\n"
"       kd --demo [-c \"cmd; cmd\"]\n"
"       kd --decode-pcap FILE --key KEY\n"
"\n"
"A Windows kernel debugger: attach to a target over a serial line, a VM's\n"
"COM-port pipe, TCP or KDNET, or open a crash dump or a PE image, and use\n"
"WinDbg's commands.\n"
"\n"
"Connections (-k):\n"
"  com:pipe,port=PATH[,reconnect]   unix socket of a VM's COM port (QEMU -serial\n"
"                                   unix:PATH,server=on,wait=off; VirtualBox host\n"
"                                   pipe; Hyper-V named pipe relayed to a socket)\n"
"  com:port=DEVICE[,baud=RATE]      serial line, raw mode (default 115200)\n"
"  com:ipport=PORT,port=ADDRESS     TCP (QEMU -serial tcp::PORT,server)\n"
"  net:port=PORT,key=A.B.C.D[,target=HOST]\n"
"                                   KDNET over UDP (bcdedit /dbgsettings net ...);\n"
"                                   key=env:NAME or key=file:PATH keep the key\n"
"                                   out of the process list (default: $KD_NET_KEY)\n"
"\n"
"Options:\n"
"  -k CONNECTION   attach to a live target\n"
"  -z FILE         open a crash dump (full, kernel, bitmap, triage; x86, x64)\n"
"                  or a PE image (mapped at its preferred base)\n"
"  -y SYMPATH      symbol path (default $_NT_SYMBOL_PATH): folders, cache*DIR,\n"
"                  srv*CACHE*URL, separated by ';'\n"
"  -b              break in as soon as the target is connected\n"
"  -c \"CMDS\"       run these commands (separated by ';') after attaching\n"
"  --trace         start with the KD packet trace on (Ctrl-D toggles it)\n"
"  --demo          start the simulator (kdsim) and attach to it\n"
"  --decode-pcap FILE  print every KDNET datagram of a capture (pcap, pcapng,\n"
"                  gzip accepted) with the KD packet inside; needs --key\n"
"  --key KEY       the KDNET key for --decode-pcap (A.B.C.D, env:NAME, file:PATH)\n"
"  --log-target FILE  log every request kd makes of the target (memory,\n"
"                  registers, resume, breakpoints...) with its result and time\n"
"  -h, --help      this text\n"
"  --version       print the version\n"
"\n"
"Commands: g/gu/t/p, bp/bu/bm/ba/bl/bc, sxe/sxd, k/kb/kv/kp/kn/k=, .frame, r/rM,\n"
".trap, .cxr, .tss, .thread, .process, .exr, ?, u/ub/uf, db/dd/dq/dps, eb/ed,\n"
"lm, x, ln, dt, .reload, .sympath, .bugcheck, !analyze, !pte, .dump, ~Ns,\n"
"!process, !thread, !pcr, !prcb, !irql, !idt, !list, !irp, !devobj, !drvobj,\n"
"s, dpa/dpu, .logopen, .reboot, .crash, .kdfiles, j, .if and more: type\n"
"`help` (or `help !process`) at the prompt; see kd(1).\n"
"Commands are read from stdin when it is not a terminal.\n", f);
}

static void on_sigint(uv_signal_t *h, int sig)
{
	struct frontend *fe = h->data;
	(void)sig;
	struct kd_target *t = fe->live;
	if (t && !t->ops->is_stopped(t)) {
		fputs("Break-in sent, waiting for the target...\n", stderr);
		t->ops->break_in(t);
	} else {
		kd_engine_set_cancel(fe->eng, 1);
	}
}

/* While a command prints, let a pending Ctrl-C reach on_sigint: the
 * signal is queued on the loop, which the command is not running. */
static void poll_cancel(void *user)
{
	struct frontend *fe = user;
	if (fe->polling)
		return;
	fe->polling = 1;
	uv_run(&fe->loop, UV_RUN_NOWAIT);
	fe->polling = 0;
}

static void on_tick(uv_timer_t *h)
{
	(void)h; /* wakes the loop so waits can look at the clock */
}

static char *answer_prompt(void *user, const char *prompt)
{
	struct frontend *fe = user;
	if (fe->interactive)
		return readline(prompt);
	fputs(prompt, stdout);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

/* Wait for the first stop of a live target: break in with -b, report the
 * usual causes once if nothing answers for ten seconds. */
static int attach(struct frontend *fe)
{
	struct kd_target *t = fe->live;
	uint64_t start = uv_now(&fe->loop), last_break = 0;
	int warned = 0;
	uv_timer_start(&fe->tick, on_tick, 200, 200);
	while (!t->ops->is_stopped(t)) {
		uv_run(&fe->loop, UV_RUN_ONCE);
		uint64_t now = uv_now(&fe->loop);
		if (fe->breakin_on_connect && now - last_break >= 1000) {
			if (t->ops->break_in(t) == 0)
				last_break = now;
		}
		if (!warned && now - start >= ATTACH_WARN_MS && !t->ops->is_stopped(t)) {
			warned = 1;
			t->ops->explain_silence(t);
			if (fe->batch) {
				uv_timer_stop(&fe->tick);
				return KD_ETIMEDOUT;
			}
		}
	}
	uv_timer_stop(&fe->tick);
	int rc = kd_engine_open_target(fe->eng, t);
	if (rc < 0) {
		fprintf(stderr, "kd: cannot read the target's version: %s\n", kd_strerror(rc));
		return rc;
	}
	kd_report_connected(fe->eng);
	kd_attach_modules(fe->eng);
	kd_report_stop(fe->eng);
	return 0;
}

static void prompt_text(struct frontend *fe, char *buf, size_t n)
{
	snprintf(buf, n, "%u: kd> ", kd_engine_cpu(fe->eng));
}

/* The prompt and command, for the log file (.logopen). */
static void echo_line(struct frontend *fe, const char *prompt, const char *line)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s%s\n", prompt, line);
	kd_engine_echo(fe->eng, buf);
}

static void repl(struct frontend *fe)
{
	char prompt[32];
	while (!kd_engine_quit_requested(fe->eng)) {
		prompt_text(fe, prompt, sizeof prompt);
		char *line;
		if (fe->interactive) {
			line = readline(prompt);
			if (!line)
				break;
			if (*line)
				add_history(line);
		} else {
			size_t cap = 0;
			line = NULL;
			ssize_t n = getline(&line, &cap, stdin);
			if (n < 0) {
				free(line);
				break;
			}
			if (n > 0 && line[n - 1] == '\n')
				line[n - 1] = '\0';
			printf("%s%s\n", prompt, line);
			fflush(stdout);
		}
		echo_line(fe, prompt, line);
		/* What happened on the line while kd waited for this command
		 * (the target gone, DbgPrint text) is taken in first, so the
		 * command never shows a lost target's cached state. */
		uv_run(&fe->loop, UV_RUN_NOWAIT);
		if (strcmp(line, "\x04") == 0 && fe->live) {
			int on = !fe->live->ops->trace(fe->live);
			fe->live->ops->set_trace(fe->live, on);
			printf("Packet trace %s\n", on ? "on" : "off");
		} else {
			kd_execute(fe->eng, line);
		}
		free(line);
	}
}

/* What a hangup (the terminal closed) must clean up of --demo. A signal
 * handler sees only this; it is set while the simulator runs. */
static struct {
	volatile sig_atomic_t pid;
	char sock[300], dir[256];
} demo_on_hangup;

static void on_sighup(int sig)
{
	/* Async-signal-safe calls only: the simulator ends (it would anyway,
	 * by PR_SET_PDEATHSIG), its socket and folder go, kd ends. */
	if (demo_on_hangup.pid > 0) {
		kill((pid_t)demo_on_hangup.pid, SIGTERM);
		unlink(demo_on_hangup.sock);
		rmdir(demo_on_hangup.dir);
	}
	_exit(128 + sig);
}

/* --demo: kdsim on a private socket, attached with -b. */
static int start_demo(struct frontend *fe, char *spec, size_t n)
{
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len < 0)
		return -errno;
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	char sim[4200];
	snprintf(sim, sizeof sim, "%s/../tests/kdsim/kdsim", self);
	if (access(sim, X_OK) != 0)
		snprintf(sim, sizeof sim, "%s/kdsim", self);
	if (access(sim, X_OK) != 0)
		snprintf(sim, sizeof sim, "kdsim");
	snprintf(fe->sim_dir, sizeof fe->sim_dir, "/tmp/kd-demo-XXXXXX");
	if (!mkdtemp(fe->sim_dir))
		return -errno;
	char sock[300];
	snprintf(sock, sizeof sock, "%s/com1", fe->sim_dir);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Its own session: Ctrl-C at kd's prompt is for kd alone. It
		 * dies with kd, however kd ends (a closed terminal's SIGHUP, a
		 * kill), so no simulator is left behind. */
		setsid();
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0); /* kd is already gone */
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execlp(sim, sim, "--pipe", sock, "--arch", "x64", "--quiet",
		       "--dbgprint", "kdsim: running again (Ctrl-C breaks in)\n", (char *)NULL);
		fprintf(stderr, "kd: cannot start %s: %s\n", sim, strerror(errno));
		_exit(127);
	}
	fe->sim_pid = pid;
	snprintf(demo_on_hangup.sock, sizeof demo_on_hangup.sock, "%s", sock);
	snprintf(demo_on_hangup.dir, sizeof demo_on_hangup.dir, "%s", fe->sim_dir);
	demo_on_hangup.pid = pid;
	signal(SIGHUP, on_sighup);
	for (int i = 0; i < 100; i++) {
		struct stat st;
		if (stat(sock, &st) == 0)
			break;
		usleep(20000);
	}
	printf("Started kdsim (pid %d), a simulated x64 Windows target, on %s\n", (int)pid, sock);
	snprintf(spec, n, "com:pipe,port=%s", sock);
	return 0;
}

static void stop_demo(struct frontend *fe)
{
	demo_on_hangup.pid = 0;
	if (fe->sim_pid > 0) {
		kill(fe->sim_pid, SIGTERM);
		waitpid(fe->sim_pid, NULL, 0);
		char sock[300];
		snprintf(sock, sizeof sock, "%s/com1", fe->sim_dir);
		unlink(sock);
		rmdir(fe->sim_dir);
	}
}

/* -c commands, then the prompt (or stdin), until q or end of input. */
static int run_session(struct frontend *fe, const char *commands)
{
	int status = 0;
	if (fe->interactive) {
		const char *home = getenv("HOME");
		snprintf(fe->history, sizeof fe->history, "%s/.kd_history", home ? home : ".");
		read_history(fe->history);
		/* Ctrl-D then Enter toggles the packet trace, as in WinDbg's kd:
		 * the key is taken as text, and the line "\x04" is the toggle. */
		rl_bind_key(4, rl_insert);
	}
	if (commands) {
		char prompt[32];
		prompt_text(fe, prompt, sizeof prompt);
		printf("%s%s\n", prompt, commands);
		fflush(stdout);
		echo_line(fe, prompt, commands);
		if (kd_execute(fe->eng, commands) < 0)
			status = 1;
	}
	if (!kd_engine_quit_requested(fe->eng))
		repl(fe);
	if (fe->interactive)
		write_history(fe->history);
	return status;
}

static void finish(struct frontend *fe)
{
	kd_engine_free(fe->eng);
	uv_close((uv_handle_t *)&fe->sigint, NULL);
	uv_close((uv_handle_t *)&fe->tick, NULL);
	uv_run(&fe->loop, UV_RUN_DEFAULT);
	uv_loop_close(&fe->loop);
	stop_demo(fe);
	if (fe->target_log)
		fclose(fe->target_log);
}

/* The connection string as it may be shown: a KDNET key written into it
 * becomes *.*.*.* (key=env:NAME and key=file:PATH stay: they are names). */
/* Where a net: connection's key=... parameter starts, or NULL. */
static const char *key_param(const char *conn)
{
	return strncmp(conn, "net:", 4) == 0 ? strstr(conn, "key=") : NULL;
}

static const char *without_key(const char *conn, char *buf, size_t n)
{
	const char *k = key_param(conn);
	if (!k || strncmp(k + 4, "env:", 4) == 0 || strncmp(k + 4, "file:", 5) == 0)
		return conn;
	const char *end = strchr(k, ',');
	snprintf(buf, n, "%.*skey=*.*.*.*%s", (int)(k - conn), conn, end ? end : "");
	return buf;
}

/* A KDNET key on the command line shows in the process list, and one in
 * a file others can read is no secret: say so once, before connecting. */
static void warn_about_key(const char *conn)
{
	const char *k = key_param(conn);
	if (!k)
		return;
	k += 4;
	if (strncmp(k, "file:", 5) == 0) {
		char path[4096];
		snprintf(path, sizeof path, "%.*s", (int)strcspn(k + 5, ","), k + 5);
		struct stat st;
		if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
			fprintf(stderr, "kd: warning: the KDNET key file %s can be read by other users "
			        "(chmod 600 %s)\n", path, path);
	} else if (strncmp(k, "env:", 4) != 0) {
		fprintf(stderr, "kd: warning: a KDNET key on the command line can be seen by other users "
		        "(ps); use key=env:NAME or key=file:PATH\n");
	}
}

/* --log-target: every call to the target interface is logged. */
static int log_target(struct frontend *fe, struct kd_target **t)
{
	if (!fe->target_log)
		return 0;
	struct kd_target *w;
	if (kd_target_log_new(*t, fe->target_log, &w) < 0) {
		fprintf(stderr, "kd: %s\n", kd_strerror(KD_ENOMEM));
		return KD_ENOMEM;
	}
	fe->target_log = NULL; /* the log target owns it now */
	*t = w;
	return 0;
}

/* -z: a crash dump, or else a PE image, as a stopped target. */
static int open_file(struct frontend *fe, const char *path)
{
	char err[512];
	struct kd_target *t = NULL;
	uint8_t head[8] = {0};
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "kd: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	int is_dump = kd_dump_is_dump(head, n);
	int rc = is_dump ? kd_dump_target_open(path, &t, err, sizeof err)
	       : kd_image_target_probe(path) ? kd_image_target_open(path, &t, err, sizeof err)
	       : (snprintf(err, sizeof err, "%s: neither a crash dump nor a PE image", path), KD_EFORMAT);
	if (rc < 0) {
		fprintf(stderr, "kd: %s\n", err);
		return rc;
	}
	if ((rc = log_target(fe, &t)) < 0)
		return rc;
	rc = kd_engine_open_target(fe->eng, t);
	if (rc < 0) {
		fprintf(stderr, "kd: %s: %s\n", path, kd_strerror(rc));
		return rc;
	}
	if (is_dump)
		kd_dump_show_banner(fe->eng, path);
	else
		printf("Loading Image File [%s]\n", path);
	fflush(stdout);
	return 0;
}

static int decode_pcap(const char *path, const char *key_spec)
{
	uint8_t key[KDNET_KEY_SIZE];
	char err[512];
	if (!key_spec && !getenv("KD_NET_KEY")) {
		fprintf(stderr, "kd: --decode-pcap needs --key KEY (or KD_NET_KEY in the environment)\n");
		return 2;
	}
	if (kdnet_key_load(key_spec, key, err, sizeof err) < 0) {
		fprintf(stderr, "kd: %s\n", err);
		return 2;
	}
	int rc = kd_decode_pcap(path, key, stdout, err, sizeof err);
	memset(key, 0, sizeof key);
	fflush(stdout);
	if (rc < 0) {
		fprintf(stderr, "kd: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct frontend fe;
	memset(&fe, 0, sizeof fe);
	const char *connection = NULL, *commands = NULL, *file = NULL, *sympath = NULL;
	const char *pcap = NULL, *key = NULL, *log_path = NULL;
	int demo = 0, trace = 0;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "demo", no_argument, NULL, 'D' },
		{ "trace", no_argument, NULL, 'T' },
		{ "decode-pcap", required_argument, NULL, 'P' },
		{ "key", required_argument, NULL, 'K' },
		{ "log-target", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "k:bc:hz:y:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': connection = optarg; break;
		case 'b': fe.breakin_on_connect = 1; break;
		case 'c': commands = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kd %s\n", PACKAGE_VERSION); return 0;
		case 'D': demo = 1; break;
		case 'T': trace = 1; break;
		case 'z': file = optarg; break;
		case 'y': sympath = optarg; break;
		case 'P': pcap = optarg; break;
		case 'K': key = optarg; break;
		case 'L': log_path = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kd: unexpected argument '%s' (see kd --help)\n", argv[optind]);
		return 2;
	}
	char demo_spec[400];
	if (pcap)
		return decode_pcap(pcap, key);
	if (!connection && !demo && !file) {
		fprintf(stderr, "kd: no target: use -k CONNECTION, -z FILE or --demo (see kd --help)\n");
		return 2;
	}
	if (file && (connection || demo)) {
		fprintf(stderr, "kd: -z opens a file; it cannot be combined with -k or --demo\n");
		return 2;
	}
	if (log_path && !(fe.target_log = fopen(log_path, "w"))) {
		fprintf(stderr, "kd: cannot write %s: %s\n", log_path, strerror(errno));
		return 2;
	}
	/* A target that goes away must not kill kd on its next write. */
	signal(SIGPIPE, SIG_IGN);
	fe.interactive = isatty(0);
	fe.batch = commands != NULL || !fe.interactive;
	uv_loop_init(&fe.loop);
	fe.eng = kd_engine_new(&fe.loop, on_output, &fe);
	if (!fe.eng)
		return 1;
	uv_signal_init(&fe.loop, &fe.sigint);
	fe.sigint.data = &fe;
	uv_signal_start(&fe.sigint, on_sigint, SIGINT);
	kd_engine_set_cancel_poll(fe.eng, poll_cancel, &fe);
	uv_timer_init(&fe.loop, &fe.tick);
	if (kd_symbols_attach(fe.eng, sympath) < 0)
		fprintf(stderr, "kd: the symbol path could not be set up; continuing without symbols\n");
	if (file) {
		int status = open_file(&fe, file) < 0 ? 1 : run_session(&fe, commands);
		finish(&fe);
		return status;
	}
	if (demo) {
		if (start_demo(&fe, demo_spec, sizeof demo_spec) < 0) {
			fprintf(stderr, "kd: cannot start the simulator\n");
			return 1;
		}
		connection = demo_spec;
		fe.breakin_on_connect = 1;
	}
	if (!demo)
		warn_about_key(connection);
	struct kd_live_options opt = { .prompt = answer_prompt, .prompt_user = &fe };
	char err[512];
	int rc = kd_connect(fe.eng, connection, &opt, &fe.live, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "kd: %s\n", err);
		stop_demo(&fe);
		return 1;
	}
	if (log_target(&fe, &fe.live) < 0) {
		fe.live->ops->close(fe.live);
		stop_demo(&fe);
		return 1;
	}
	if (trace)
		fe.live->ops->set_trace(fe.live, 1);
	char shown[512];
	printf("Opened %s\nWaiting to reconnect...\n", without_key(connection, shown, sizeof shown));
	fflush(stdout);
	rc = attach(&fe);
	int status = 0;
	if (rc < 0) {
		status = 1;
		if (!kd_engine_target(fe.eng))
			fe.live->ops->close(fe.live);
		fe.live = NULL;
	} else {
		status = run_session(&fe, commands);
		/* Let what is queued (the continue of q) reach the target. */
		fe.live->ops->flush(fe.live, 1000);
	}
	finish(&fe);
	return status;
}
