/*
 * Whole-file reads (see file.h).
 */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/error.h"

int kd_read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kd_fail(err, errlen, errno == ENOENT ? KD_ENOTFOUND : KD_EIO, "%s: %s", path, strerror(errno));
	uint8_t *b = NULL;
	size_t cap = 0, n = 0;
	int rc = 0;
	for (;;) {
		if (n == cap && (n >= max || KD_ARRAY_RESERVE(b, cap, n + (1u << 14)) < 0)) {
			rc = kd_fail(err, errlen, KD_ENOMEM, "%s: too large or out of memory", path);
			break;
		}
		size_t want = cap - n < max - n ? cap - n : max - n;
		size_t got = fread(b + n, 1, want, f);
		n += got;
		if (got < want) {
			if (ferror(f))
				rc = kd_fail(err, errlen, KD_EIO, "%s: read error", path);
			break;
		}
		if (n == max) {
			/* Exactly max bytes, or more to come? */
			int c = fgetc(f);
			if (c != EOF)
				rc = kd_fail(err, errlen, KD_ENOMEM, "%s: too large or out of memory", path);
			break;
		}
	}
	fclose(f);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*data = b;
	*len = n;
	return 0;
}
