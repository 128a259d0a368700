/*
 * Corpus replay for the fuzz harnesses under `make check`.
 *
 * Each harness defines LLVMFuzzerTestOneInput; built with this file instead
 * of libFuzzer it feeds the harness every file of
 * $KD_SRCDIR/tests/fuzz/corpus/NAME (the kept corpus and the crashers
 * that became regression inputs), so a fixed crash stays fixed. NAME comes
 * from the program's own name, replay_NAME.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	uint8_t *buf;
	size_t len;
	char err[300];
	if (kd_read_file(path, 1u << 30, &buf, &len, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	/* An exact-size copy lets ASan catch reads one byte past the input. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	char *name = basename(argv[0]);
	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	const char *src = getenv("KD_SRCDIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src ? src : ".", name);
	DIR *d = opendir(dir);
	if (!d) {
		printf("not ok - no corpus at %s\n", dir);
		return 1;
	}
	int count = 0, errors = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4352];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (replay_file(path) < 0)
			errors++;
		else
			count++;
	}
	closedir(d);
	if (errors || count == 0) {
		printf("not ok - %s: %d inputs replayed, %d unreadable\n", name, count, errors);
		return 1;
	}
	printf("ok - %s: %d corpus inputs replayed\n", name, count);
	return 0;
}
