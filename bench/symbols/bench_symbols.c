/*
 * Symbol lookup benchmark driver: open a PE image as a target with its
 * PDB on the symbol path, then resolve one address, every address of a
 * file (one hex address a line, as llvm-symbolizer reads them), or show a
 * type with dt. bench/symbols/run.sh times it against llvm-symbolizer-14.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd/engine/engine.h"
#include "kd/commands/command.h"
#include "kd/targets/image_target.h"
#include "kd/engine/symbols.h"

static void out(void *user, enum kd_output_kind kind, const char *text)
{
	(void)kind;
	fputs(text, user);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s IMAGE SYMPATH addr HEX | addrs FILE | dt TYPE\n", argv[0]);
		return 2;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct kd_engine *eng = kd_engine_new(&loop, out, stdout);
	struct kd_target *t;
	char err[256], name[1024];
	if (!eng || kd_image_target_open(argv[1], &t, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	kd_engine_open_target(eng, t);
	kd_symbols_attach(eng, argv[2]);
	if (!strcmp(argv[3], "addr")) {
		uint64_t a = strtoull(argv[4], NULL, 16);
		kd_format_symbol(eng, a, name, sizeof name);
		printf("%s\n", name);
	} else if (!strcmp(argv[3], "addrs")) {
		FILE *f = fopen(argv[4], "r");
		char line[128];
		if (!f) {
			perror(argv[4]);
			return 1;
		}
		while (fgets(line, sizeof line, f)) {
			kd_format_symbol(eng, strtoull(line, NULL, 16), name, sizeof name);
			puts(name);
		}
		fclose(f);
	} else if (!strcmp(argv[3], "dt")) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "dt %.500s", argv[4]);
		kd_execute(eng, cmd);
	}
	kd_engine_free(eng);
	uv_loop_close(&loop);
	return 0;
}
