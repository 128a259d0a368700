/*
 * Unix-domain socket streams: kd connecting to a VM's COM port socket
 * (QEMU -serial unix:PATH,server, a VirtualBox host pipe, a Hyper-V named
 * pipe relayed to a socket), and kdsim listening on one.
 */
#include "transport/stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void on_connected(uv_connect_t *req, int status)
{
	struct kd_stream *s = req->data;
	uv_stream_t *pipe = s->connecting;
	s->connecting = NULL;
	if (status == UV_ECANCELED || s->closing)
		return;
	if (status < 0) {
		kd_stream_close_handle(s, (uv_handle_t *)pipe);
		kd_stream_lost(s, status);
		return;
	}
	kd_stream_adopt(s, pipe);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct kd_stream *s = server->data;
	if (status < 0)
		return;
	uv_pipe_t *client = malloc(sizeof *client);
	if (!client)
		return;
	uv_pipe_init(s->loop, client, 0);
	if (uv_accept(server, (uv_stream_t *)client) < 0) {
		kd_stream_close_handle(s, (uv_handle_t *)client);
		return;
	}
	kd_stream_adopt(s, (uv_stream_t *)client);
}

int kd_unix_start(struct kd_stream *s, char *err, size_t errlen)
{
	uv_pipe_t *pipe = malloc(sizeof *pipe);
	if (!pipe)
		return UV_ENOMEM;
	uv_pipe_init(s->loop, pipe, 0);
	pipe->data = s;
	if (!s->spec.server) {
		s->connecting = (uv_stream_t *)pipe;
		s->connect_req.data = s;
		uv_pipe_connect(&s->connect_req, pipe, s->path, on_connected);
		return 0;
	}
	unlink(s->path); /* a socket left by an earlier run */
	int rc = uv_pipe_bind(pipe, s->path);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)pipe, 1, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", s->path, uv_strerror(rc));
		kd_stream_close_handle(s, (uv_handle_t *)pipe);
		return rc;
	}
	s->listener = (uv_handle_t *)pipe;
	return 0;
}
