/*
 * TCP streams: kd connecting to a COM port exported over TCP (QEMU
 * -serial tcp::PORT,server, ser2net), and kdsim listening on a port.
 */
#include "transport/stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_connected(uv_connect_t *req, int status)
{
	struct kd_stream *s = req->data;
	uv_stream_t *tcp = s->connecting;
	s->connecting = NULL;
	if (status == UV_ECANCELED || s->closing)
		return;
	if (status < 0) {
		kd_stream_close_handle(s, (uv_handle_t *)tcp);
		kd_stream_lost(s, status);
		return;
	}
	uv_tcp_nodelay((uv_tcp_t *)tcp, 1);
	kd_stream_adopt(s, tcp);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct kd_stream *s = server->data;
	if (status < 0)
		return;
	uv_tcp_t *client = malloc(sizeof *client);
	if (!client)
		return;
	uv_tcp_init(s->loop, client);
	if (uv_accept(server, (uv_stream_t *)client) < 0) {
		kd_stream_close_handle(s, (uv_handle_t *)client);
		return;
	}
	uv_tcp_nodelay(client, 1);
	kd_stream_adopt(s, (uv_stream_t *)client);
}

/* Numeric addresses only: name resolution would block the loop, and the
 * COM relays kd talks to are given by address. "localhost" is accepted. */
static int parse_addr(const char *host, int port, struct sockaddr_storage *sa)
{
	if (!host[0] || strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)sa) == 0)
		return 0;
	return uv_ip6_addr(host, port, (struct sockaddr_in6 *)sa);
}

int kd_tcp_start(struct kd_stream *s, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	if (parse_addr(s->host, s->spec.port, &sa) < 0) {
		snprintf(err, errlen, "not a numeric IP address: %s", s->host);
		return UV_EINVAL;
	}
	uv_tcp_t *tcp = malloc(sizeof *tcp);
	if (!tcp)
		return UV_ENOMEM;
	uv_tcp_init(s->loop, tcp);
	tcp->data = s;
	if (!s->spec.server) {
		s->connecting = (uv_stream_t *)tcp;
		s->connect_req.data = s;
		int rc = uv_tcp_connect(&s->connect_req, tcp, (struct sockaddr *)&sa, on_connected);
		if (rc < 0) {
			s->connecting = NULL;
			snprintf(err, errlen, "cannot connect to %s:%d: %s", s->host, s->spec.port, uv_strerror(rc));
			kd_stream_close_handle(s, (uv_handle_t *)tcp);
		}
		return rc;
	}
	int rc = uv_tcp_bind(tcp, (struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)tcp, 1, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", s->host[0] ? s->host : "127.0.0.1",
		         s->spec.port, uv_strerror(rc));
		kd_stream_close_handle(s, (uv_handle_t *)tcp);
		return rc;
	}
	s->listener = (uv_handle_t *)tcp;
	return 0;
}
