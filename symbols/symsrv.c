/*
 * Symbol server downloads with libcurl, .pd_ expansion with libmspack.
 */
#include "symbols/symsrv.h"

#include <curl/curl.h>
#include <errno.h>
#include <mspack.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "symbols/sympath.h"

#define DEFAULT_MAX_BYTES (1ull << 30)
#define DEFAULT_STALL_SECONDS 30u
#define DEFAULT_TIMEOUT_SECONDS 600u

struct progress {
	const struct kd_symsrv_hooks *hooks;
	const char *name;
	int shown;
	uint64_t max_bytes;
	int too_large;
};

static uint64_t max_bytes(const struct kd_symsrv_hooks *h)
{
	return h && h->max_bytes ? h->max_bytes : DEFAULT_MAX_BYTES;
}

static void say(const struct kd_symsrv_hooks *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct kd_symsrv_hooks *h, const char *fmt, ...)
{
	if (!h || !h->print)
		return;
	char line[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	h->print(h->user, line);
}

/* mkdir -p of a path we built ourselves. */
static int make_dirs(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return KD_EINVAL;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return KD_EIO;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return KD_EIO;
	return 0;
}

static int on_progress(void *user, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	(void)ut;
	(void)un;
	struct progress *p = user;
	/* A body without a length (chunked) is stopped once it is too large. */
	if ((uint64_t)now > p->max_bytes || (uint64_t)total > p->max_bytes) {
		p->too_large = 1;
		return 1;
	}
	if (p->hooks && p->hooks->progress && now > 0) {
		if (total > 0)
			say(p->hooks, "\rSYMSRV:  %s  %lld of %lld KB", p->name, (long long)now / 1024,
			    (long long)total / 1024);
		else
			say(p->hooks, "\rSYMSRV:  %s  %lld KB", p->name, (long long)now / 1024);
		p->shown = 1;
	}
	return p->hooks && p->hooks->canceled && p->hooks->canceled(p->hooks->user) ? 1 : 0;
}

/* GET url into the open file f: 0, KD_ENOTFOUND (HTTP 404) or KD_EIO. */
static int http_get(const char *url, FILE *f, struct progress *prog, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	if (!c)
		return kd_fail(err, errlen, KD_ENOMEM, "cannot start libcurl");
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Microsoft-Symbol-Server/10.0.0.0");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	const struct kd_symsrv_hooks *h = prog->hooks;
	long stall = h && h->stall_seconds ? (long)h->stall_seconds : (long)DEFAULT_STALL_SECONDS;
	long total = h && h->timeout_seconds ? (long)h->timeout_seconds : (long)DEFAULT_TIMEOUT_SECONDS;
	/* Less than a byte a second for `stall` seconds is a stalled server. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, total);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)prog->max_bytes);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, prog);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (prog->shown) {
		say(prog->hooks, "\n");
		prog->shown = 0;
	}
	if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_ABORTED_BY_CALLBACK && prog->too_large))
		return kd_fail(err, errlen, KD_EFORMAT, "refused: larger than %llu bytes",
		               (unsigned long long)prog->max_bytes);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return kd_fail(err, errlen, KD_ECANCELED, "download interrupted");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return kd_fail(err, errlen, KD_ETIMEDOUT, "the server stopped sending (%s)",
		               cerr[0] ? cerr : "timed out");
	if (rc != CURLE_OK)
		return kd_fail(err, errlen, KD_EIO, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	if (status == 404)
		return KD_ENOTFOUND;
	if (status != 200)
		return kd_fail(err, errlen, KD_EIO, "HTTP status %ld", status);
	return 0;
}

static int download(const char *url, const char *dest, struct progress *prog, char *err, size_t errlen)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.partXXXXXX", dest);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return kd_fail(err, errlen, KD_EIO, "%s: %s", tmp, strerror(errno));
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		unlink(tmp);
		return kd_fail(err, errlen, KD_EIO, "%s: %s", tmp, strerror(errno));
	}
	int rc = http_get(url, f, prog, err, errlen);
	if (fclose(f) != 0 && rc == 0)
		rc = kd_fail(err, errlen, KD_EIO, "%s: write failed", tmp);
	if (rc == 0 && rename(tmp, dest) < 0)
		rc = kd_fail(err, errlen, KD_EIO, "%s: %s", dest, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Expands the single file of a cabinet into dest (via a temporary). */
static int expand_cab(const char *cab_path, const char *dest, uint64_t max, char *err, size_t errlen)
{
	struct mscab_decompressor *d = mspack_create_cab_decompressor(NULL);
	if (!d)
		return kd_fail(err, errlen, KD_ENOMEM, "cannot start libmspack");
	int rc = 0;
	struct mscabd_cabinet *cab = d->open(d, cab_path);
	if (!cab || !cab->files) {
		rc = kd_fail(err, errlen, KD_EFORMAT, "the .pd_ file is not a valid cabinet");
	} else if ((uint64_t)cab->files->length > max) {
		/* The cabinet says how large its file is: refuse before writing. */
		rc = kd_fail(err, errlen, KD_EFORMAT, "refused: the .pd_ expands to %llu bytes, more than %llu",
		             (unsigned long long)cab->files->length, (unsigned long long)max);
	} else {
		char tmp[4200];
		snprintf(tmp, sizeof tmp, "%s.cabXXXXXX", dest);
		int fd = mkstemp(tmp);
		if (fd < 0) {
			rc = kd_fail(err, errlen, KD_EIO, "%s: %s", tmp, strerror(errno));
		} else {
			close(fd);
			if (d->extract(d, cab->files, tmp) != MSPACK_ERR_OK)
				rc = kd_fail(err, errlen, KD_EFORMAT, "the .pd_ cabinet does not expand");
			else if (rename(tmp, dest) < 0)
				rc = kd_fail(err, errlen, KD_EIO, "%s: %s", dest, strerror(errno));
			if (rc < 0)
				unlink(tmp);
		}
	}
	if (cab)
		d->close(d, cab);
	mspack_destroy_cab_decompressor(d);
	return rc;
}

int kd_symsrv_fetch(const struct kd_symsrv_hooks *hooks, const char *url, const char *store,
                    const char *name, const char *key, char *err, size_t errlen)
{
	char dest[4096], dir[4096], link[4096];
	if (kd_sympath_store_path(store, name, key, dest, sizeof dest) < 0)
		return kd_fail(err, errlen, KD_EINVAL, "unsafe symbol name '%s'", name);
	snprintf(dir, sizeof dir, "%s/%s/%s", store, name, key);
	if (make_dirs(dir) < 0)
		return kd_fail(err, errlen, KD_EIO, "cannot create %s: %s", dir, strerror(errno));
	size_t ul = strlen(url);
	while (ul && url[ul - 1] == '/')
		ul--;
	struct progress prog = { hooks, name, 0, max_bytes(hooks), 0 };
	int verbose = hooks && hooks->verbose;
	snprintf(link, sizeof link, "%.*s/%s/%s/%s", (int)ul, url, name, key, name);
	if (verbose)
		say(hooks, "SYMSRV:  GET %s\n", link);
	int rc = download(link, dest, &prog, err, errlen);
	if (rc != KD_ENOTFOUND)
		return rc;
	/* The compressed form: the name's last character becomes '_'. */
	char cname[300];
	snprintf(cname, sizeof cname, "%s", name);
	cname[strlen(cname) - 1] = '_';
	snprintf(link, sizeof link, "%.*s/%s/%s/%s", (int)ul, url, name, key, cname);
	char cab[4200];
	snprintf(cab, sizeof cab, "%s/%s", dir, cname);
	if (verbose)
		say(hooks, "SYMSRV:  GET %s\n", link);
	rc = download(link, cab, &prog, err, errlen);
	if (rc == KD_ENOTFOUND)
		return kd_fail(err, errlen, KD_ENOTFOUND, "not on the server");
	if (rc < 0)
		return rc;
	rc = expand_cab(cab, dest, prog.max_bytes, err, errlen);
	unlink(cab);
	return rc;
}
