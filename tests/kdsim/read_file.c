/*
 * kdsim's whole-file reads (see read_file.h).
 */
#include "tests/kdsim/read_file.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"

int sim_read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kd_fail(err, errlen, KD_EIO, "cannot open %s", path);
	size_t cap = 1 << 14, n = 0;
	uint8_t *b = malloc(cap);
	while (b) {
		if (n == cap) {
			uint8_t *nb = cap >= max ? NULL : realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		if (!got)
			break;
		n += got;
	}
	fclose(f);
	if (!b)
		return kd_fail(err, errlen, KD_ENOMEM, "%s: too large or out of memory", path);
	*data = b;
	*len = n;
	return 0;
}
