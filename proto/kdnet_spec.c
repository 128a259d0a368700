/*
 * The `net:` connection string (see kdnet_spec.h).
 */
#include "proto/kdnet_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/error.h"
#include "proto/kdnet_link.h"

const char *const kdnet_causes =
	"Usual causes:\n"
	"  - the target's hostip is not an address of this machine, or its port differs\n"
	"    (bcdedit /dbgsettings net hostip:ADDR port:PORT key:KEY on the target)\n"
	"  - debugging is not enabled (bcdedit /debug on) or the target has not rebooted since\n"
	"  - a firewall drops UDP to this port, or another debugger already listens on it\n"
	"  - the key differs (kd then reports packets failing authentication)\n";

int kdnet_spec_parse(const char *params, struct kdnet_spec *out, char *err, size_t errlen)
{
	char keyspec[600] = "";
	int have_key = 0, have_port = 0;
	const char *p = params ? params : "";

	memset(out, 0, sizeof *out);
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq ? (size_t)(eq - p) : len;
		const char *v = eq ? eq + 1 : p + len;
		size_t vlen = eq ? len - nlen - 1 : 0;
		char val[600];
		if (vlen >= sizeof val)
			vlen = sizeof val - 1;
		memcpy(val, v, vlen);
		val[vlen] = '\0';
		if (nlen == 4 && strncmp(p, "port", 4) == 0) {
			char *end;
			long port = strtol(val, &end, 10);
			if (!*val || *end || port <= 0 || port > 65535) {
				snprintf(err, errlen, "net: port=%s is not a UDP port (1-65535)", val);
				return KD_EINVAL;
			}
			out->port = (int)port;
			have_port = 1;
		} else if (nlen == 3 && strncmp(p, "key", 3) == 0) {
			snprintf(keyspec, sizeof keyspec, "%s", val);
			have_key = 1;
		} else if (nlen == 6 && strncmp(p, "target", 6) == 0) {
			if (vlen >= sizeof out->target) {
				snprintf(err, errlen, "net: target= is too long");
				return KD_EINVAL;
			}
			memcpy(out->target, val, vlen + 1);
		} else if (nlen == 4 && strncmp(p, "bind", 4) == 0) {
			if (vlen >= sizeof out->bind) {
				snprintf(err, errlen, "net: bind= is too long");
				return KD_EINVAL;
			}
			memcpy(out->bind, val, vlen + 1);
		} else if (len) {
			snprintf(err, errlen, "net: unknown option '%.*s' (use port=, key=, target=, bind=)", (int)nlen, p);
			return KD_EINVAL;
		}
		OPENSSL_cleanse(val, sizeof val);
		p += len;
		if (*p == ',')
			p++;
	}
	if (!have_port) {
		snprintf(err, errlen, "net: needs port= (the port of the target's bcdedit /dbgsettings net)");
		return KD_EINVAL;
	}
	int rc = kdnet_key_load(have_key ? keyspec : NULL, out->key, err, errlen);
	OPENSSL_cleanse(keyspec, sizeof keyspec);
	if (rc < 0 && !have_key) {
		snprintf(err, errlen, "net: needs key= (the key of the target's bcdedit /dbgsettings net), "
		         "or the %s environment variable", KDNET_KEY_ENV);
		return KD_EINVAL;
	}
	return rc;
}

int kdnet_spec_open_debugger(uv_loop_t *loop, const struct kdnet_spec *s, const struct kd_link_callbacks *cb,
                             struct kd_link **out, char *err, size_t errlen)
{
	struct kd_link *l;
	int rc = kdnet_link_open_debugger(loop, s->bind[0] ? s->bind : NULL, s->port, s->key, cb, &l, err, errlen);
	if (rc < 0)
		return rc;
	if (s->target[0]) {
		rc = kdnet_link_restrict_peer(l, s->target, err, errlen);
		if (rc < 0) {
			l->ops->close(l);
			return rc;
		}
	}
	*out = l;
	return 0;
}

const char *kdnet_spec_describe(const struct kdnet_spec *s, char *buf, size_t n)
{
	char masked[64];
	snprintf(buf, n, "KDNET on UDP port %d%s%s (key %s)", s->port, s->target[0] ? " from " : "", s->target,
	         kdnet_key_masked(s->key, masked, sizeof masked));
	return buf;
}
