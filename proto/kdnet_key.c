/*
 * KDNET key parsing, loading and masked display (see kdnet_key.h).
 */
#include "proto/kdnet_key.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/error.h"

static int digit36(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

int kdnet_key_parse(const char *text, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen)
{
	uint64_t parts[4];
	const char *p = text;
	int n = 0;

	if (!text || !*text)
		return kd_fail(err, errlen, KD_EINVAL, "KDNET key is empty (expected four base-36 numbers a.b.c.d)");
	for (;;) {
		if (n == 4)
			return kd_fail(err, errlen, KD_EINVAL, "KDNET key has more than four parts (expected a.b.c.d)");
		if (*p == '.' || *p == '\0')
			return kd_fail(err, errlen, KD_EINVAL, "KDNET key part %d is empty (expected a.b.c.d)", n + 1);
		uint64_t v = 0;
		for (; *p && *p != '.'; p++) {
			int d = digit36((unsigned char)*p);
			if (d < 0) {
				if (isprint((unsigned char)*p))
					return kd_fail(err, errlen, KD_EINVAL, "KDNET key part %d has '%c', not a base-36 digit (0-9, a-z)",
					            n + 1, *p);
				return kd_fail(err, errlen, KD_EINVAL, "KDNET key part %d has byte 0x%02x, not a base-36 digit (0-9, a-z)",
				            n + 1, (unsigned char)*p);
			}
			if (v > (UINT64_MAX - (uint64_t)d) / 36)
				return kd_fail(err, errlen, KD_EINVAL, "KDNET key part %d is larger than 64 bits", n + 1);
			v = v * 36 + (uint64_t)d;
		}
		parts[n++] = v;
		if (*p == '\0')
			break;
		p++; /* the dot */
	}
	if (n != 4)
		return kd_fail(err, errlen, KD_EINVAL, "KDNET key has %d part%s, expected four (a.b.c.d)", n, n == 1 ? "" : "s");
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 8; b++)
			key[i * 8 + b] = (uint8_t)(parts[i] >> (8 * b));
	OPENSSL_cleanse(parts, sizeof parts);
	return 0;
}

/* Trim trailing whitespace (a newline at the end of a key file). */
static void rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

int kdnet_key_from_file(const char *path, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen)
{
	char line[512];
	FILE *f = fopen(path, "r");
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "cannot open KDNET key file %s: %s", path, strerror(errno));
		return KD_EIO;
	}
	char *got = fgets(line, sizeof line, f);
	fclose(f);
	if (!got) {
		OPENSSL_cleanse(line, sizeof line);
		return kd_fail(err, errlen, KD_EINVAL, "KDNET key file %s is empty", path);
	}
	rstrip(line);
	const char *start = line;
	while (isspace((unsigned char)*start))
		start++;
	int rc = kdnet_key_parse(start, key, err, errlen);
	OPENSSL_cleanse(line, sizeof line);
	return rc;
}

int kdnet_key_from_env(const char *name, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return kd_fail(err, errlen, KD_EINVAL, "no KDNET key: environment variable %s is not set", name);
	char buf[512];
	snprintf(buf, sizeof buf, "%s", v);
	rstrip(buf);
	int rc = kdnet_key_parse(buf, key, err, errlen);
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

int kdnet_key_load(const char *spec, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen)
{
	if (!spec || !*spec)
		return kdnet_key_from_env(KDNET_KEY_ENV, key, err, errlen);
	if (strncmp(spec, "file:", 5) == 0)
		return kdnet_key_from_file(spec + 5, key, err, errlen);
	if (strncmp(spec, "env:", 4) == 0)
		return kdnet_key_from_env(spec + 4, key, err, errlen);
	return kdnet_key_parse(spec, key, err, errlen);
}

const char *kdnet_key_masked(const uint8_t key[KDNET_KEY_SIZE], char *buf, size_t n)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256(key, KDNET_KEY_SIZE, md);
	snprintf(buf, n, "*.*.*.* (fingerprint %02x%02x%02x%02x)", md[0], md[1], md[2], md[3]);
	return buf;
}
