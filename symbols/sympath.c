/*
 * Symbol path parsing and the symbol-store file layout.
 */
#include "symbols/sympath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"

void kd_sympath_default_cache(char *out, size_t n)
{
	const char *e = getenv("KD_SYMBOL_CACHE");
	if (e && *e) {
		snprintf(out, n, "%s", e);
		return;
	}
	e = getenv("XDG_CACHE_HOME");
	if (e && *e) {
		snprintf(out, n, "%s/kd/sym", e);
		return;
	}
	e = getenv("HOME");
	snprintf(out, n, "%s/.cache/kd/sym", e && *e ? e : "/tmp");
}

static int is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static int push(struct kd_sympath *sp, const char *dir, const char *url, int store)
{
	struct kd_sympath_elem *v = realloc(sp->v, (sp->n + 1) * sizeof *v);
	if (!v)
		return KD_ENOMEM;
	sp->v = v;
	struct kd_sympath_elem *e = &v[sp->n];
	e->dir = dir ? strdup(dir) : NULL;
	e->url = url ? strdup(url) : NULL;
	e->store = store;
	if ((dir && !e->dir) || (url && !e->url)) {
		free(e->dir);
		free(e->url);
		return KD_ENOMEM;
	}
	sp->n++;
	return 0;
}

/* One `srv*a*b*URL` element: each local store in turn, the last one
 * downstream of the URL (where downloads land). */
static int parse_srv(struct kd_sympath *sp, char *rest, const char *default_cache, const char *cache)
{
	char *tok[16];
	size_t n = 0;
	for (char *p = rest, *save = NULL;; p = NULL) {
		char *t = strtok_r(p, "*", &save);
		if (!t || n == 16)
			break;
		tok[n++] = t;
	}
	/* "srv**URL" has an empty field: strtok drops it, the default applies */
	const char *url = NULL;
	if (n && is_url(tok[n - 1]))
		url = tok[--n];
	if (n == 0)
		return push(sp, cache ? cache : default_cache, url, 1);
	for (size_t i = 0; i < n; i++) {
		int rc = push(sp, tok[i], i + 1 == n ? url : NULL, 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int kd_sympath_parse(const char *text, const char *default_cache, struct kd_sympath *out)
{
	memset(out, 0, sizeof *out);
	if (!text)
		return 0;
	char *copy = strdup(text), *save = NULL;
	if (!copy)
		return KD_ENOMEM;
	char *cache = NULL;
	int rc = 0;
	for (char *p = copy;; p = NULL) {
		char *el = strtok_r(p, ";", &save);
		if (!el)
			break;
		while (*el == ' ' || *el == '\t')
			el++;
		size_t l = strlen(el);
		while (l && (el[l - 1] == ' ' || el[l - 1] == '\t' || el[l - 1] == '\n'))
			el[--l] = 0;
		if (!l)
			continue;
		if (strncasecmp(el, "srv*", 4) == 0) {
			rc = parse_srv(out, el + 4, default_cache, cache);
		} else if (strcasecmp(el, "srv") == 0) {
			rc = parse_srv(out, el + 3, default_cache, cache);
		} else if (strncasecmp(el, "symsrv*", 7) == 0) {
			char *star = strchr(el + 7, '*'); /* skip the DLL name */
			rc = star ? parse_srv(out, star + 1, default_cache, cache) : 0;
		} else if (strncasecmp(el, "cache*", 6) == 0 || strcasecmp(el, "cache") == 0) {
			free(cache);
			cache = strdup(el[5] && el[6] ? el + 6 : default_cache);
			if (!cache)
				rc = KD_ENOMEM;
			else
				rc = push(out, cache, NULL, 1);
		} else if (is_url(el)) {
			rc = push(out, cache ? cache : default_cache, el, 1);
		} else {
			rc = push(out, el, NULL, 0);
		}
		if (rc < 0)
			break;
	}
	free(cache);
	free(copy);
	if (rc < 0)
		kd_sympath_free(out);
	return rc;
}

void kd_sympath_free(struct kd_sympath *sp)
{
	for (size_t i = 0; i < sp->n; i++) {
		free(sp->v[i].dir);
		free(sp->v[i].url);
	}
	free(sp->v);
	sp->v = NULL;
	sp->n = 0;
}

int kd_sympath_safe_name(const char *path, char *out, size_t n)
{
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '\\' || *p == '/' || *p == ':')
			base = p + 1;
	size_t l = strlen(base);
	if (l == 0 || l > 255 || l >= n || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return KD_EINVAL;
	for (size_t i = 0; i < l; i++) {
		unsigned char c = (unsigned char)base[i];
		if (c < 0x20 || c == 0x7f || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|')
			return KD_EINVAL;
	}
	memcpy(out, base, l + 1);
	return 0;
}

int kd_sympath_store_path(const char *dir, const char *name, const char *key, char *out, size_t n)
{
	char safe[256];
	if (kd_sympath_safe_name(name, safe, sizeof safe) < 0 || strcmp(safe, name) != 0)
		return KD_EINVAL;
	for (const char *k = key; *k; k++)
		if (!((*k >= '0' && *k <= '9') || (*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z')))
			return KD_EINVAL;
	int w = snprintf(out, n, "%s/%s/%s/%s", dir, name, key, name);
	return w < 0 || (size_t)w >= n ? KD_EINVAL : 0;
}
