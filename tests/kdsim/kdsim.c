/*
 * kdsim: a simulated Windows kernel for kd to debug. It listens on a unix
 * socket, a TCP port or a pty, speaks KDCOM as the target, and serves a
 * synthetic x64 or x86 machine (see machine.h and stub.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/targets/dump_target.h"
#include "proto/kdnet_replay.h"
#include "proto/kdcom.h"
#include "proto/kdnet_key.h"
#include "proto/kdnet_link.h"
#include "tests/kdsim/machine.h"
#include "tests/kdsim/scenario.h"
#include "tests/kdsim/script.h"
#include "tests/kdsim/stub.h"
#include "transport/stream.h"

struct sim {
	uv_loop_t loop;
	struct sim_machine machine;
	struct sim_stub stub;
	struct sim_script script;
	struct kd_stream *stream;
	struct kd_link *link;
	uv_signal_t sigterm, sigint;
	int quiet;
};

static int link_write(void *ctx, const void *data, size_t len)
{
	struct sim *s = ctx;
	return s->stream ? kd_stream_write(s->stream, data, len) : -1;
}

static void sim_data(void *user, const uint8_t *data, size_t len)
{
	struct sim *s = user;
	kdcom_feed(s->link, data, len);
}

static void sim_connect(void *user)
{
	struct sim *s = user;
	if (!s->quiet)
		fprintf(stderr, "kdsim: debugger connected\n");
	kdcom_peer_connected(s->link);
	sim_stub_debugger_connected(&s->stub);
}

static void sim_disconnect(void *user, int err)
{
	struct sim *s = user;
	if (!s->quiet)
		fprintf(stderr, "kdsim: debugger gone (%s)\n", uv_strerror(err));
	sim_stub_check_clean(&s->stub, 1);
	kdcom_peer_lost(s->link);
}

/* KDNET: the handshake is done; the link calls back with the stub. */
static void net_connect(void *user)
{
	sim_stub_session_start(user);
}

static void on_stop_signal(uv_signal_t *h, int sig)
{
	(void)sig;
	uv_stop(h->loop);
}

static void usage(FILE *f)
{
	fputs(
"Usage: kdsim (--pipe PATH | --tcp PORT | --pty | --udp HOST:PORT --key K)\n"
"             [--arch x64|x86] [--cpus N] [--dbgprint TEXT]\n"
"             [--replay CAPTURE --key K | --dump FILE] [--scenario FILE]\n"
"             [--check-clean] [--max-instructions N] [--quiet]\n"
"\n"
"A simulated Windows kernel with a KD stub, for kd to attach to.\n"
"  --pipe PATH     listen on a unix socket (kd -k com:pipe,port=PATH)\n"
"  --tcp PORT      listen on 127.0.0.1:PORT (kd -k com:ipport=PORT,port=127.0.0.1)\n"
"  --pty           create a pseudo-terminal and print its name (kd -k com:port=NAME)\n"
"  --udp HOST:PORT speak KDNET to a debugger listening at HOST:PORT\n"
"                  (kd -k net:port=PORT,key=K); needs --key\n"
"  --key K         the KDNET key (A.B.C.D, env:NAME or file:PATH)\n"
"  --replay FILE   serve what the target of a recorded KDNET session (a pcap\n"
"                  or pcapng capture, gzip accepted; needs --key) answered\n"
"  --dump FILE     serve the machine of a crash dump\n"
"  --scenario FILE lay out memory, modules and registers as FILE says, and\n"
"                  what the running target does (see kdsim(1)):\n"
"                    image FILE BASE                   map a PE file now\n"
"                    event load NAME BASE SIZE PATH [FILE]\n"
"                    event unload NAME BASE\n"
"                    event run CPU ADDR [REG=V ...]\n"
"                    event exception CPU CODE ADDR first|second [PARAM ...]\n"
"                                    [REG=V ...]\n"
"                    event write CPU ADDR SIZE VALUE\n"
"                    event print TEXT\n"
"                    event prompt TEXT\n"
"                    event bugcheck CODE P1 P2 P3 P4\n"
"  --check-clean   when the debugger goes and at exit, say on stderr whether a\n"
"                  breakpoint byte the debugger wrote is still in memory\n"
"  --max-instructions N  a processor's code ends after N instructions\n"
"                  (default 100000; 0: never, it runs until a break-in)\n"
"  --arch A        x64 (default) or x86\n"
"  --cpus N        number of processors (default 2)\n"
"  --dbgprint TEXT DbgPrint this text each time the target resumes\n"
"  --kdfile NAME   ask the debugger for a replacement of driver NAME each\n"
"                  time the target resumes (kd serves it with .kdfiles)\n"
"  --quiet         no status lines on stderr\n", f);
}

int main(int argc, char **argv)
{
	static struct sim s;
	struct kd_stream_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.server = 1;
	spec.kind = -1;
	enum kd_machine arch = KD_MACHINE_AMD64;
	unsigned cpus = 2;
	const char *dbgprint = NULL, *keyspec = NULL, *replay = NULL, *dumpfile = NULL, *scenario = NULL;
	const char *kdfile = NULL;
	int check_clean = 0;
	unsigned long max_insns = 100000;
	char udp_host[128] = "";
	int udp_port = 0;
	static const struct option longopts[] = {
		{ "pipe", required_argument, NULL, 'p' },
		{ "tcp", required_argument, NULL, 't' },
		{ "pty", no_argument, NULL, 'P' },
		{ "arch", required_argument, NULL, 'a' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "dbgprint", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "udp", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "replay", required_argument, NULL, 'r' },
		{ "dump", required_argument, NULL, 'D' },
		{ "scenario", required_argument, NULL, 's' },
		{ "kdfile", required_argument, NULL, 'F' },
		{ "check-clean", no_argument, NULL, 'C' },
		{ "max-instructions", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': spec.kind = KD_STREAM_UNIX; spec.path = optarg; break;
		case 't': spec.kind = KD_STREAM_TCP; spec.port = atoi(optarg); spec.host = "127.0.0.1"; break;
		case 'P': spec.kind = KD_STREAM_PTY; break;
		case 'a':
			if (strcmp(optarg, "x64") == 0 || strcmp(optarg, "amd64") == 0)
				arch = KD_MACHINE_AMD64;
			else if (strcmp(optarg, "x86") == 0 || strcmp(optarg, "i386") == 0)
				arch = KD_MACHINE_I386;
			else {
				fprintf(stderr, "kdsim: unknown --arch %s (x64 or x86)\n", optarg);
				return 2;
			}
			break;
		case 'c': cpus = (unsigned)atoi(optarg); break;
		case 'd': dbgprint = optarg; break;
		case 'q': s.quiet = 1; break;
		case 'k': keyspec = optarg; break;
		case 'r': replay = optarg; break;
		case 'D': dumpfile = optarg; break;
		case 's': scenario = optarg; break;
		case 'F': kdfile = optarg; break;
		case 'C': check_clean = 1; break;
		case 'M': {
			char *end;
			max_insns = strtoul(optarg, &end, 0);
			if (!*optarg || *end) {
				fprintf(stderr, "kdsim: --max-instructions takes a number\n");
				return 2;
			}
			break;
		}
		case 'u': {
			const char *colon = strrchr(optarg, ':');
			if (!colon || colon == optarg || (size_t)(colon - optarg) >= sizeof udp_host ||
			    (udp_port = atoi(colon + 1)) <= 0 || udp_port > 65535) {
				fprintf(stderr, "kdsim: --udp takes HOST:PORT\n");
				return 2;
			}
			memcpy(udp_host, optarg, (size_t)(colon - optarg));
			udp_host[colon - optarg] = '\0';
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((int)spec.kind < 0 && !udp_port) {
		usage(stderr);
		return 2;
	}
	uint8_t key[KDNET_KEY_SIZE];
	char kerr[256];
	if ((udp_port || replay) && kdnet_key_load(keyspec, key, kerr, sizeof kerr) < 0) {
		fprintf(stderr, "kdsim: %s\n", kerr);
		return 2;
	}
	if (cpus < 1 || cpus > 64) {
		fprintf(stderr, "kdsim: --cpus must be 1 to 64\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&s.loop);
	if (sim_machine_init(&s.machine, arch, cpus) < 0) {
		fprintf(stderr, "kdsim: out of memory\n");
		return 1;
	}
	char serr[512];
	if (scenario && (sim_scenario_load(&s.machine, scenario, serr, sizeof serr) < 0 ||
	                 sim_script_load(&s.script, &s.machine, scenario, serr, sizeof serr) < 0)) {
		fprintf(stderr, "kdsim: %s\n", serr);
		return 1;
	}
	if (sim_machine_finish(&s.machine) < 0) {
		fprintf(stderr, "kdsim: out of memory\n");
		return 1;
	}
	sim_stub_init(&s.stub, &s.loop, &s.machine);
	s.stub.dbgprint = dbgprint;
	s.stub.kdfile = kdfile;
	s.stub.check_clean = check_clean;
	s.stub.code_limit = max_insns;
	if (scenario)
		s.stub.script = &s.script;
	char err[512];
	struct kd_replay *rp = NULL;
	struct kd_target *dump = NULL;
	if (replay) {
		if (kd_replay_load(replay, key, &rp, err, sizeof err) < 0) {
			fprintf(stderr, "kdsim: %s\n", err);
			return 1;
		}
		sim_stub_use_replay(&s.stub, rp);
	}
	if (dumpfile) {
		if (kd_dump_target_open(dumpfile, &dump, err, sizeof err) < 0 ||
		    sim_stub_use_dump(&s.stub, dump) < 0) {
			fprintf(stderr, "kdsim: %s\n", dump ? "the dump has no version data" : err);
			return 1;
		}
	}
	struct kd_link_callbacks lcb;
	sim_stub_callbacks(&s.stub, &lcb);
	if (udp_port) {
		struct kd_link_callbacks ncb = lcb;
		ncb.on_connect = net_connect;
		ncb.user = &s.stub;
		if (kdnet_link_open_target(&s.loop, udp_host, udp_port, key, &ncb, &s.link, err, sizeof err) < 0) {
			fprintf(stderr, "kdsim: %s\n", err);
			return 1;
		}
		memset(key, 0, sizeof key);
		s.stub.link = s.link;
		printf("kdsim: KDNET to %s:%d\n", udp_host, udp_port);
		fflush(stdout);
	} else {
		struct kdcom_writer w = { link_write, &s };
		if (kdcom_link_new(&s.loop, KD_LINK_TARGET, NULL, &w, &lcb, &s.link) < 0)
			return 1;
		s.stub.link = s.link;
		struct kd_stream_callbacks scb = { sim_data, sim_connect, sim_disconnect, &s };
		if (kd_stream_open(&s.loop, &spec, &scb, &s.stream, err, sizeof err) < 0) {
			fprintf(stderr, "kdsim: %s\n", err);
			return 1;
		}
	}
	if (udp_port)
		; /* announced above */
	else if (spec.kind == KD_STREAM_PTY)
		printf("kdsim: pty %s\n", kd_stream_pty_name(s.stream));
	else if (spec.kind == KD_STREAM_TCP)
		printf("kdsim: listening on 127.0.0.1:%d\n", spec.port);
	else
		printf("kdsim: listening on %s\n", spec.path);
	fflush(stdout);
	uv_signal_init(&s.loop, &s.sigterm);
	uv_signal_start(&s.sigterm, on_stop_signal, SIGTERM);
	uv_signal_init(&s.loop, &s.sigint);
	uv_signal_start(&s.sigint, on_stop_signal, SIGINT);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	sim_stub_check_clean(&s.stub, 0);
	s.link->ops->close(s.link);
	if (s.stream)
		kd_stream_close(s.stream);
	uv_close((uv_handle_t *)&s.sigterm, NULL);
	uv_close((uv_handle_t *)&s.sigint, NULL);
	uv_close((uv_handle_t *)&s.stub.timer, NULL);
	uv_close((uv_handle_t *)&s.stub.run_timer, NULL);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	sim_stub_free(&s.stub);
	sim_script_free(&s.script);
	sim_machine_free(&s.machine);
	if (rp)
		kd_replay_free(rp);
	if (dump)
		dump->ops->close(dump);
	if (spec.kind == KD_STREAM_UNIX)
		remove(spec.path);
	return 0;
}
