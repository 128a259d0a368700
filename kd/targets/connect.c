/*
 * From a -k connection string to a live target on its link and transport
 * (see connect.h). This file is the only place that knows which link runs
 * over which transport.
 */
#include "kd/targets/connect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kdcom.h"
#include "proto/kdnet_spec.h"
#include "transport/stream.h"

/* The glue between a byte stream and a KDCOM link. */
struct com_glue {
	struct kd_stream *stream;
	struct kd_link *link;
	struct kd_target *target;
};

static int glue_write(void *ctx, const void *data, size_t len)
{
	struct com_glue *g = ctx;
	return g->stream ? kd_stream_write(g->stream, data, len) : -1;
}

static void glue_data(void *user, const uint8_t *data, size_t len)
{
	struct com_glue *g = user;
	kdcom_feed(g->link, data, len);
}

static void glue_connect(void *user)
{
	struct com_glue *g = user;
	kd_live_peer_connected(g->target);
	kdcom_peer_connected(g->link);
}

static void glue_disconnect(void *user, int err)
{
	struct com_glue *g = user;
	kdcom_peer_lost(g->link);
	kd_live_peer_lost(g->target, uv_strerror(err));
}

static const char *opt_value(const char *spec, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = spec; p && *p;) {
		if (strncmp(p, name, nl) == 0 && (p[nl] == '=' || p[nl] == ',' || p[nl] == '\0')) {
			if (p[nl] != '=')
				return "";
			const char *v = p + nl + 1;
			size_t vl = strcspn(v, ",");
			if (vl >= n)
				vl = n - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

static const char *const com_causes_pipe =
	"Usual causes:\n"
	"  - the VM is off, or its COM port is redirected to another path\n"
	"  - debugging is not enabled in the target (bcdedit /debug on; bcdedit /dbgsettings serial debugport:1 baudrate:115200)\n"
	"  - the boot entry does not inherit {dbgsettings} (bcdedit /set inherit {dbgsettings})\n"
	"  - another debugger or program holds the pipe\n";
static const char *const com_causes_serial =
	"Usual causes:\n"
	"  - wrong port or baud rate (the target's bcdedit /dbgsettings must match)\n"
	"  - debugging is not enabled in the target (bcdedit /debug on), or the boot entry does not inherit {dbgsettings}\n"
	"  - the cable is not a null-modem cable, or another program holds the port\n";

static void com_close_stream(struct com_glue *g)
{
	if (g->stream)
		kd_stream_close(g->stream);
	g->stream = NULL;
}

static int connect_com(struct kd_engine *eng, const char *params, struct kd_live_options *opt,
                       struct kd_target **out, char *err, size_t errlen)
{
	char path[256], host[128], port[256], baud[32];
	struct kd_stream_spec spec;
	memset(&spec, 0, sizeof spec);
	const char *portv = opt_value(params, "port", port, sizeof port);
	const char *ipport = opt_value(params, "ipport", host, sizeof host);
	int is_pipe = opt_value(params, "pipe", path, sizeof path) != NULL;
	spec.reconnect = opt_value(params, "reconnect", path, sizeof path) != NULL;
	const char *baudv = opt_value(params, "baud", baud, sizeof baud);
	if (!portv || !*portv) {
		snprintf(err, errlen, "com: needs port= (a socket path, a serial device, or with ipport= an address)");
		return KD_EINVAL;
	}
	if (ipport) {
		spec.kind = KD_STREAM_TCP;
		spec.port = atoi(ipport);
		spec.host = portv;
		if (spec.port <= 0 || spec.port > 65535) {
			snprintf(err, errlen, "com: ipport=%s is not a TCP port", ipport);
			return KD_EINVAL;
		}
	} else if (is_pipe) {
		spec.kind = KD_STREAM_UNIX;
		spec.path = portv;
	} else {
		spec.kind = KD_STREAM_SERIAL;
		spec.path = portv;
		spec.baud = baudv ? atoi(baudv) : 115200;
	}
	char conn[300];
	snprintf(conn, sizeof conn, "%s %s%s%s", ipport ? "TCP" : is_pipe ? "pipe" : "serial port",
	         portv, ipport ? ":" : "", ipport ? ipport : "");
	opt->connection = conn;
	opt->causes = spec.kind == KD_STREAM_SERIAL ? com_causes_serial : com_causes_pipe;

	struct com_glue *g = calloc(1, sizeof *g);
	if (!g)
		return KD_ENOMEM;
	struct kd_link_callbacks lcb;
	int rc = kd_live_target_new(eng, opt, &g->target, &lcb);
	if (rc < 0) {
		free(g);
		return rc;
	}
	struct kdcom_options kopt = { .baud = spec.kind == KD_STREAM_SERIAL ? spec.baud : 0 };
	struct kdcom_writer w = { glue_write, g };
	rc = kdcom_link_new(kd_engine_loop(eng), KD_LINK_DEBUGGER, &kopt, &w, &lcb, &g->link);
	if (rc < 0) {
		g->target->ops->close(g->target);
		free(g);
		return rc;
	}
	kd_live_set_link(g->target, g->link);
	struct kd_stream_callbacks scb = { glue_data, glue_connect, glue_disconnect, g };
	rc = kd_stream_open(kd_engine_loop(eng), &spec, &scb, &g->stream, err, errlen);
	if (rc < 0) {
		g->stream = NULL;
		g->target->ops->close(g->target);
		free(g);
		return rc;
	}
	kd_live_set_transport(g->target, g, (void (*)(void *))com_close_stream, free);
	*out = g->target;
	return 0;
}

/* KDNET: the link owns its UDP socket and reports the target through
 * on_connect once the handshake is done. */
static int connect_net(struct kd_engine *eng, const char *params, struct kd_live_options *opt,
                       struct kd_target **out, char *err, size_t errlen)
{
	struct kdnet_spec ns;
	int rc = kdnet_spec_parse(params, &ns, err, errlen);
	if (rc < 0)
		return rc;
	char conn[300];
	opt->connection = kdnet_spec_describe(&ns, conn, sizeof conn);
	opt->causes = kdnet_causes;
	struct kd_target *t;
	struct kd_link_callbacks lcb;
	rc = kd_live_target_new(eng, opt, &t, &lcb);
	if (rc < 0)
		return rc;
	struct kd_link *link;
	rc = kdnet_spec_open_debugger(kd_engine_loop(eng), &ns, &lcb, &link, err, errlen);
	memset(&ns, 0, sizeof ns); /* the key does not outlive the link */
	if (rc < 0) {
		t->ops->close(t);
		return rc;
	}
	kd_live_set_link(t, link);
	*out = t;
	return 0;
}

int kd_connect(struct kd_engine *eng, const char *spec, const struct kd_live_options *base,
               struct kd_target **out, char *err, size_t errlen)
{
	struct kd_live_options opt;
	memset(&opt, 0, sizeof opt);
	if (base)
		opt = *base;
	if (strncmp(spec, "com:", 4) == 0)
		return connect_com(eng, spec + 4, &opt, out, err, errlen);
	if (strncmp(spec, "net:", 4) == 0)
		return connect_net(eng, spec + 4, &opt, out, err, errlen);
	snprintf(err, errlen, "unknown connection '%s' (use com:... or net:...; see kd --help)", spec);
	return KD_EINVAL;
}
