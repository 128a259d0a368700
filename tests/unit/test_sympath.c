/*
 * Symbol path parsing, name sanitising, and the symbol server client
 * against a local HTTP server (python3 -m http.server on 127.0.0.1)
 * serving a symbol-store layout: a plain PDB, a CAB-compressed .pd_ (made
 * with gcab when installed), a 404, and a server PDB whose GUID does not
 * match the image, which must be refused and not kept in the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kd/engine/engine.h"
#include "kd/commands/command.h"
#include "base/error.h"
#include "kd/targets/image_target.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"
#include "kd/engine/symbols.h"
#include "symbols/sympath.h"
#include "symbols/symsrv.h"

static const char *data_dir;

static void test_parse(void **state)
{
	(void)state;
	struct kd_sympath sp;
	assert_int_equal(kd_sympath_parse("C:\\sym;srv*/tmp/cache*https://msdl.microsoft.com/download/symbols;"
	                                  "cache*/tmp/c2;/plain ; srv**http://h/s;SRV*http://x/y;"
	                                  "symsrv*symsrv.dll*/tmp/d*http://z", "/def", &sp), 0);
	assert_int_equal(sp.n, 7);
	assert_string_equal(sp.v[0].dir, "C:\\sym");
	assert_null(sp.v[0].url);
	assert_int_equal(sp.v[0].store, 0);
	assert_string_equal(sp.v[1].dir, "/tmp/cache");
	assert_string_equal(sp.v[1].url, "https://msdl.microsoft.com/download/symbols");
	assert_int_equal(sp.v[1].store, 1);
	assert_string_equal(sp.v[2].dir, "/tmp/c2");
	assert_null(sp.v[2].url);
	assert_string_equal(sp.v[3].dir, "/plain");
	/* an empty downstream store: the cache*DIR in force, else the default */
	assert_string_equal(sp.v[4].dir, "/tmp/c2");
	assert_string_equal(sp.v[4].url, "http://h/s");
	assert_string_equal(sp.v[5].url, "http://x/y");
	assert_string_equal(sp.v[6].dir, "/tmp/d");
	assert_string_equal(sp.v[6].url, "http://z");
	kd_sympath_free(&sp);

	assert_int_equal(kd_sympath_parse("srv*http://only", "/def", &sp), 0);
	assert_int_equal(sp.n, 1);
	assert_string_equal(sp.v[0].dir, "/def");
	kd_sympath_free(&sp);
	assert_int_equal(kd_sympath_parse("", "/def", &sp), 0);
	assert_int_equal(sp.n, 0);
	kd_sympath_free(&sp);
}

static void test_safe_names(void **state)
{
	(void)state;
	char out[256], path[512];
	assert_int_equal(kd_sympath_safe_name("C:\\build\\x64\\ntkrnlmp.pdb", out, sizeof out), 0);
	assert_string_equal(out, "ntkrnlmp.pdb");
	assert_int_equal(kd_sympath_safe_name("..\\..\\..\\etc\\passwd", out, sizeof out), 0);
	assert_string_equal(out, "passwd");
	assert_int_equal(kd_sympath_safe_name("..", out, sizeof out), KD_EINVAL);
	assert_int_equal(kd_sympath_safe_name("a/..", out, sizeof out), KD_EINVAL);
	assert_int_equal(kd_sympath_safe_name("x\\", out, sizeof out), KD_EINVAL);
	assert_int_equal(kd_sympath_safe_name("bad\nname.pdb", out, sizeof out), KD_EINVAL);
	assert_int_equal(kd_sympath_store_path("/s", "a.pdb", "ABC1", path, sizeof path), 0);
	assert_string_equal(path, "/s/a.pdb/ABC1/a.pdb");
	assert_int_equal(kd_sympath_store_path("/s", "../a.pdb", "ABC1", path, sizeof path), KD_EINVAL);
	assert_int_equal(kd_sympath_store_path("/s", "a.pdb", "../x", path, sizeof path), KD_EINVAL);
	assert_int_equal(kd_sympath_store_path("/s", "..", "AB", path, sizeof path), KD_EINVAL);
	/* the client refuses such names before touching the network */
	char err[256];
	assert_int_equal(kd_symsrv_fetch(NULL, "http://127.0.0.1:9", "/tmp", "../x.pdb", "AB", err,
	                                 sizeof err), KD_EINVAL);
}

/* --- the HTTP server --------------------------------------------------- */

struct server {
	pid_t pid;
	int port;
	char root[64];
};

/* Killed by the group teardown too, so a failed assertion never leaves
 * the server running. */
static struct server srv;

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof a;
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int start_server(struct server *s)
{
	s->port = free_port();
	if (s->port <= 0)
		return -1;
	char port[16];
	snprintf(port, sizeof port, "%d", s->port);
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("python3", "python3", "-m", "http.server", port, "--bind", "127.0.0.1", "--directory",
		       s->root, (char *)NULL);
		_exit(127);
	}
	/* wait until it accepts connections (at most 10 s) */
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

static void stop_server(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

static int teardown(void **state)
{
	(void)state;
	stop_server(&srv);
	return 0;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int same_file(const char *a, const char *b)
{
	return sh("cmp -s '%s' '%s'", a, b) == 0;
}

struct out {
	char buf[65536];
	size_t len;
};

static void on_output(void *user, enum kd_output_kind kind, const char *text)
{
	(void)kind;
	struct out *o = user;
	size_t l = strlen(text);
	if (o->len + l < sizeof o->buf) {
		memcpy(o->buf + o->len, text, l + 1);
		o->len += l;
	}
}

static void test_server(void **state)
{
	(void)state;
	snprintf(srv.root, sizeof srv.root, "/tmp/kd-srv-XXXXXX");
	assert_non_null(mkdtemp(srv.root));
	char cache[64] = "/tmp/kd-cache-XXXXXX";
	assert_non_null(mkdtemp(cache));

	char image[4096], pdb[4096], wrong[4096], key[48], err[256], url[64], dest[4300];
	snprintf(image, sizeof image, "%s/pe/x64/xframe_eh_dll.dll", data_dir);
	snprintf(pdb, sizeof pdb, "%s/pe/x64/xframe_eh_dll.pdb", data_dir);
	snprintf(wrong, sizeof wrong, "%s/pe/x86/xframe_eh_dll.pdb", data_dir);
	struct kd_pe *pe;
	assert_int_equal(kd_pe_open_file(image, &pe, err, sizeof err), 0);
	kd_pdb_guid_age_string(kd_pe_get_info(pe)->guid, kd_pe_get_info(pe)->age, key);
	kd_pe_close(pe);

	/* plain layout */
	assert_int_equal(sh("mkdir -p %s/xframe_eh_dll.pdb/%s && cp '%s' %s/xframe_eh_dll.pdb/%s/", srv.root,
	                    key, pdb, srv.root, key), 0);
	if (start_server(&srv) < 0) {
		stop_server(&srv);
		skip();
		return;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
	assert_int_equal(kd_symsrv_fetch(NULL, url, cache, "xframe_eh_dll.pdb", key, err, sizeof err), 0);
	snprintf(dest, sizeof dest, "%s/xframe_eh_dll.pdb/%s/xframe_eh_dll.pdb", cache, key);
	assert_true(same_file(dest, pdb));
	assert_int_equal(kd_symsrv_fetch(NULL, url, cache, "nothere.pdb", key, err, sizeof err), KD_ENOTFOUND);

	/* compressed .pd_ */
	if (system("gcab --version >/dev/null 2>&1") == 0) {
		assert_int_equal(sh("cd %s/xframe_eh_dll.pdb/%s && gcab -c -z xframe_eh_dll.pd_ xframe_eh_dll.pdb "
		                    ">/dev/null && rm xframe_eh_dll.pdb", srv.root, key), 0);
		sh("rm -rf %s/xframe_eh_dll.pdb", cache);
		assert_int_equal(kd_symsrv_fetch(NULL, url, cache, "xframe_eh_dll.pdb", key, err, sizeof err), 0);
		assert_true(same_file(dest, pdb));
		snprintf(dest, sizeof dest, "%s/xframe_eh_dll.pdb/%s/xframe_eh_dll.pd_", cache, key);
		assert_int_not_equal(access(dest, F_OK), 0); /* the cabinet is not kept */
	} else {
		print_message("gcab not installed: .pd_ download not tested\n");
	}

	/* through the engine: srv*CACHE*URL finds and loads it */
	sh("rm -rf %s/xframe_eh_dll.pdb", cache);
	uv_loop_t loop;
	uv_loop_init(&loop);
	static struct out out;
	out.len = 0;
	struct kd_engine *eng = kd_engine_new(&loop, on_output, &out);
	struct kd_target *t;
	char local[4300], sympath[256];
	/* the image alone in a folder, so only the server can supply the PDB */
	snprintf(local, sizeof local, "%s/img", cache);
	assert_int_equal(sh("mkdir -p %s && cp '%s' %s/", local, image, local), 0);
	snprintf(local, sizeof local, "%s/img/xframe_eh_dll.dll", cache);
	assert_int_equal(kd_image_target_open(local, &t, err, sizeof err), 0);
	assert_int_equal(kd_engine_open_target(eng, t), 0);
	snprintf(sympath, sizeof sympath, "srv*%s*%s", cache, url);
	assert_int_equal(kd_symbols_attach(eng, sympath), 0);
	kd_execute(eng, "!sym noisy; lmv m xframe_eh_dll");
	if (!strstr(out.buf, "(pdb symbols)"))
		fail_msg("%s", out.buf);
	snprintf(dest, sizeof dest, "%s/xframe_eh_dll.pdb/%s/xframe_eh_dll.pdb", cache, key);
	assert_non_null(strstr(out.buf, dest));

	/* a server PDB with another GUID under this key: refused, removed */
	sh("rm -rf %s/xframe_eh_dll.pdb %s/xframe_eh_dll.pdb/%s/*", cache, srv.root, key);
	assert_int_equal(sh("cp '%s' %s/xframe_eh_dll.pdb/%s/xframe_eh_dll.pdb", wrong, srv.root, key), 0);
	out.len = 0;
	out.buf[0] = 0;
	kd_execute(eng, "!sym noisy; .reload /f; lm");
	assert_non_null(strstr(out.buf, "mismatched pdb"));
	assert_null(strstr(out.buf, "(pdb symbols)"));
	assert_int_not_equal(access(dest, F_OK), 0);
	/* not noisy: the failure is still one line with its reason */
	out.len = 0;
	out.buf[0] = 0;
	kd_execute(eng, "!sym quiet; .reload /f; lm");
	char line[512];
	snprintf(line, sizeof line, "*** ERROR: symbols for xframe_eh_dll could not be downloaded from %s: "
	         "it sent a file that is not the image's PDB (removed)\n", url);
	if (!strstr(out.buf, line))
		fail_msg("no one-line reason in:\n%s", out.buf);
	assert_null(strstr(out.buf, "mismatched pdb"));
	kd_engine_free(eng);
	uv_loop_close(&loop);

	stop_server(&srv);
	sh("rm -rf %s %s", srv.root, cache);
}

/* Files under dir (a download that failed must leave none). */
static int count_files(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "find '%s' -type f | wc -l", dir);
	FILE *f = popen(cmd, "r");
	int n = -1;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/* A file over the size limit is refused before it is written; a server
 * that stops sending is given up on after the stall time. */
static void test_limits(void **state)
{
	(void)state;
	struct server big = { 0 };
	snprintf(big.root, sizeof big.root, "/tmp/kd-srv-XXXXXX");
	assert_non_null(mkdtemp(big.root));
	char cache[64] = "/tmp/kd-cache-XXXXXX", err[256], url[64];
	assert_non_null(mkdtemp(cache));
	const char *key = "00112233445566778899AABBCCDDEEFF1";
	assert_int_equal(sh("mkdir -p %s/big.pdb/%s && head -c 200000 /dev/zero > %s/big.pdb/%s/big.pdb", big.root, key,
	                    big.root, key), 0);
	if (start_server(&big) < 0) {
		stop_server(&big);
		skip();
		return;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d", big.port);
	struct kd_symsrv_hooks small = { .max_bytes = 100000 };
	assert_int_equal(kd_symsrv_fetch(&small, url, cache, "big.pdb", key, err, sizeof err), KD_EFORMAT);
	assert_non_null(strstr(err, "larger than 100000 bytes"));
	assert_int_equal(count_files(cache), 0);
	struct kd_symsrv_hooks enough = { .max_bytes = 300000 };
	assert_int_equal(kd_symsrv_fetch(&enough, url, cache, "big.pdb", key, err, sizeof err), 0);
	assert_int_equal(count_files(cache), 1);
	stop_server(&big);

	/* A server that accepts and then sends nothing. */
	int port = free_port();
	assert_true(port > 0);
	pid_t pid = fork();
	if (pid == 0) {
		char prog[512];
		snprintf(prog, sizeof prog,
		         "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
		         "s.bind(('127.0.0.1',%d))\ns.listen(4)\nc=[]\nwhile True:\n c.append(s.accept()[0])\n", port);
		execlp("python3", "python3", "-c", prog, (char *)NULL);
		_exit(127);
	}
	struct server mute = { .pid = pid, .port = port };
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (up)
			break;
		usleep(50000);
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	struct kd_symsrv_hooks quick = { .stall_seconds = 1, .timeout_seconds = 5 };
	assert_int_equal(kd_symsrv_fetch(&quick, url, cache, "other.pdb", key, err, sizeof err), KD_ETIMEDOUT);
	assert_non_null(strstr(err, "the server stopped sending"));
	assert_int_equal(count_files(cache), 1); /* big.pdb only: no .part left */
	stop_server(&mute);
	sh("rm -rf %s %s", big.root, cache);
}

int main(void)
{
	data_dir = getenv("KD_DATA");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_safe_names),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_limits),
	};
	if (!data_dir || system("python3 -c 'import http.server' 2>/dev/null") != 0) {
		printf("test_sympath: KD_DATA or python3 missing, server test skipped\n");
		return cmocka_run_group_tests(tests, NULL, teardown) ? 1 : 77;
	}
	return cmocka_run_group_tests(tests, NULL, teardown);
}
