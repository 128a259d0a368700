/*
 * s: search memory for a pattern, WinDbg's way:
 *   s [-[Flags]Type] Range Pattern       Type b (default), w, d, q, a, u
 * Range is "Address L Count" (Count in units of Type; bytes for a and u)
 * or "Address EndAddress", at most 256 MB; each hit is shown as the
 * matching display command shows that address (flag 1: the address only).
 * Pages that cannot be read are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "kd/commands/command.h"

#define SEARCH_MAX_BYTES 0x10000000ull /* 256 MB, as WinDbg without L? */
#define CHUNK 0x10000u

static int parse_pattern(struct kd_engine *eng, char type, const char *p, uint8_t *pat, size_t cap, size_t *len)
{
	unsigned unit = type == 'w' ? 2 : type == 'd' ? 4 : type == 'q' ? 8 : 1;
	*len = 0;
	p = kd_skip_spaces(p);
	if (type == 'a' || type == 'u') {
		if (*p != '"') {
			kd_eprintf(eng, "s -%c: the pattern is a \"quoted string\"\n", type);
			return KD_EINVAL;
		}
		for (p++; *p && *p != '"'; p++) {
			if (*len + unit > cap)
				break;
			pat[(*len)++] = (uint8_t)*p;
			if (unit == 2 || type == 'u')
				pat[(*len)++] = 0;
		}
		if (*p != '"') {
			kd_eprintf(eng, "s -%c: the string has no closing quote\n", type);
			return KD_EINVAL;
		}
		return *len ? 0 : KD_EINVAL;
	}
	while (*p && *p != ';') {
		uint64_t v;
		const char *end;
		if (*p == '\'' && p[1] && p[2] == '\'') { /* a character constant: 'H' */
			v = (uint8_t)p[1];
			end = p + 3;
		} else if (kd_cmd_eval(eng, p, &v, &end) < 0) {
			return KD_EINVAL;
		}
		if (unit < 8 && v >> (unit * 8)) {
			kd_eprintf(eng, "s -%c: %llx does not fit in %u bytes\n", type, (unsigned long long)v, unit);
			return KD_EINVAL;
		}
		if (*len + unit > cap) {
			kd_eprintf(eng, "s: the pattern is longer than %zu bytes\n", cap);
			return KD_EINVAL;
		}
		for (unsigned i = 0; i < unit; i++)
			pat[(*len)++] = (uint8_t)(v >> (8 * i));
		p = kd_skip_spaces(end);
	}
	if (!*len) {
		kd_eprintf(eng, "s: no pattern to search for\n");
		return KD_EINVAL;
	}
	return 0;
}

static int cmd_search(struct kd_engine *eng, const char *name, const char *args)
{
	(void)name;
	static const char syntax[] = "s [-[1]b|w|d|q|a|u] Address L Count|EndAddress Pattern";
	const char *p = kd_skip_spaces(args);
	char type = 'b';
	int addresses_only = 0;
	int rc;
	if ((rc = kd_cmd_need_target(eng, "s")) < 0)
		return rc;
	if (*p == '-') {
		p++;
		if (*p == '[') {
			for (p++; *p && *p != ']'; p++) {
				if (*p == '1')
					addresses_only = 1;
				else {
					kd_eprintf(eng, "s: flag '%c' is not supported (only 1). Syntax: %s\n", *p, syntax);
					return KD_EINVAL;
				}
			}
			if (*p == ']')
				p++;
		}
		if (!strchr("bwdqau", *p) || !*p) {
			kd_eprintf(eng, "s: unknown type '%c'. Syntax: %s\n", *p ? *p : ' ', syntax);
			return KD_EINVAL;
		}
		type = *p++;
	}
	uint64_t start, count, bytes;
	const char *end;
	if (kd_cmd_eval(eng, p, &start, &end) < 0)
		return KD_EINVAL;
	p = kd_skip_spaces(end);
	unsigned unit = type == 'w' ? 2 : type == 'd' ? 4 : type == 'q' ? 8 : 1;
	if (*p == 'L' || *p == 'l') {
		int unlimited = p[1] == '?';
		if (kd_cmd_eval(eng, p + 1 + unlimited, &count, &end) < 0)
			return KD_EINVAL;
		bytes = count * unit;
		if (!unlimited && bytes > SEARCH_MAX_BYTES) {
			kd_eprintf(eng, "Range error: over 256 MB; use L? to search more\n");
			return KD_EINVAL;
		}
	} else {
		uint64_t last;
		if (kd_cmd_eval(eng, p, &last, &end) < 0)
			return KD_EINVAL;
		if (last < start || last - start > SEARCH_MAX_BYTES) {
			kd_eprintf(eng, "Range error: the end address is before the start or over 256 MB away\n");
			return KD_EINVAL;
		}
		bytes = last - start + 1;
	}
	uint8_t pat[256];
	size_t plen;
	if ((rc = parse_pattern(eng, type, end, pat, sizeof pat, &plen)) < 0)
		return rc;
	uint8_t *buf = malloc(CHUNK + sizeof pat);
	if (!buf)
		return KD_ENOMEM;
	const char *show = type == 'w' ? "dw" : type == 'd' ? "dc" : type == 'q' ? "dq" : "db";
	char a[20], cmd[64];
	/* Chunks overlap by the pattern's length so a match across two is seen. */
	for (uint64_t off = 0; off < bytes && !kd_engine_canceled(eng);) {
		uint64_t want = bytes - off < CHUNK ? bytes - off : CHUNK;
		uint64_t have = want + plen - 1 <= bytes - off ? want + plen - 1 : bytes - off;
		size_t done = 0;
		kd_read_virtual(eng, start + off, buf, have, &done);
		if (done < plen) {
			/* Unreadable here: skip to the next page. */
			uint64_t next = ((start + off + done) | 0xfff) + 1;
			off = next - start > off ? next - start : off + 1;
			continue;
		}
		for (size_t i = 0; i + plen <= done && i < want; i += (type == 'a' || type == 'u') ? 1 : unit) {
			if (memcmp(buf + i, pat, plen))
				continue;
			uint64_t at = start + off + i;
			if (addresses_only) {
				kd_printf(eng, "%s\n", kd_format_addr(eng, at, a));
			} else {
				snprintf(cmd, sizeof cmd, "%s 0x%llx L%#x", show, (unsigned long long)at, 16 / unit);
				kd_execute(eng, cmd);
			}
		}
		off += done < want ? done : want;
	}
	free(buf);
	return 0;
}

const struct kd_command kd_cmds_search[] = {
	{ "s", cmd_search, "s [-[1]b|w|d|q|a|u] Address L Count|EndAddress Pattern",
	  "search memory for bytes, words, dwords, qwords, an ASCII or a Unicode string" },
	{ NULL, NULL, NULL, NULL },
};
