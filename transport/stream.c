/*
 * The byte stream object shared by every kind of transport: opening by
 * kind, the read and write paths over a libuv stream, losing and regaining
 * the peer, and closing with libuv's asynchronous handle release.
 */
#include "transport/stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void maybe_free(struct kd_stream *s)
{
	if (s->closing && s->pending_closes == 0)
		free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct kd_stream *s = h->data;
	if (h != (uv_handle_t *)&s->retry_timer)
		free(h);
	s->pending_closes--;
	maybe_free(s);
}

void kd_stream_close_handle(struct kd_stream *s, uv_handle_t *h)
{
	h->data = s;
	s->pending_closes++;
	uv_close(h, on_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(suggested);
	buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *peer, ssize_t n, const uv_buf_t *buf)
{
	struct kd_stream *s = peer->data;
	if (n > 0 && s->cb.on_data)
		s->cb.on_data(s->cb.user, (const uint8_t *)buf->base, (size_t)n);
	free(buf->base);
	if (n < 0 && s->peer == peer)
		kd_stream_lost(s, (int)n);
}

void kd_stream_adopt(struct kd_stream *s, uv_stream_t *peer)
{
	if (s->peer)
		kd_stream_close_handle(s, (uv_handle_t *)s->peer);
	s->peer = peer;
	peer->data = s;
	uv_read_start(peer, on_alloc, on_read);
	if (s->cb.on_connect)
		s->cb.on_connect(s->cb.user);
}

static void on_retry(uv_timer_t *t)
{
	struct kd_stream *s = t->data;
	char err[128];
	if (s->closing || s->peer)
		return;
	int rc = 0;
	switch (s->spec.kind) {
	case KD_STREAM_UNIX: rc = kd_unix_start(s, err, sizeof err); break;
	case KD_STREAM_TCP: rc = kd_tcp_start(s, err, sizeof err); break;
	case KD_STREAM_SERIAL: rc = kd_serial_start(s, err, sizeof err); break;
	case KD_STREAM_PTY: rc = kd_pty_start(s, err, sizeof err); break;
	}
	if (rc < 0)
		kd_stream_lost(s, rc);
}

void kd_stream_retry_later(struct kd_stream *s, unsigned ms)
{
	if (!s->closing)
		uv_timer_start(&s->retry_timer, on_retry, ms, 0);
}

void kd_stream_lost(struct kd_stream *s, int err)
{
	if (s->peer) {
		kd_stream_close_handle(s, (uv_handle_t *)s->peer);
		s->peer = NULL;
	}
	if (s->closing)
		return;
	if (s->cb.on_disconnect)
		s->cb.on_disconnect(s->cb.user, err);
	if (!s->spec.server && s->spec.reconnect)
		kd_stream_retry_later(s, 500);
}

int kd_stream_open(uv_loop_t *loop, const struct kd_stream_spec *spec,
                   const struct kd_stream_callbacks *cb, struct kd_stream **out,
                   char *err, size_t errlen)
{
	struct kd_stream *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return UV_ENOMEM;
	}
	s->loop = loop;
	s->spec = *spec;
	s->cb = *cb;
	s->pty_master = -1;
	if (spec->path) {
		if (strlen(spec->path) >= sizeof s->path) {
			snprintf(err, errlen, "path too long: %s", spec->path);
			free(s);
			return UV_ENAMETOOLONG;
		}
		strcpy(s->path, spec->path);
	}
	if (spec->host)
		snprintf(s->host, sizeof s->host, "%s", spec->host);
	s->spec.path = s->path;
	s->spec.host = s->host;
	uv_timer_init(loop, &s->retry_timer);
	s->retry_timer.data = s;
	/* A device opens at once and reports its peer from inside this call:
	 * the caller must already hold the stream then. */
	*out = s;
	int rc = UV_EINVAL;
	switch (spec->kind) {
	case KD_STREAM_UNIX: rc = kd_unix_start(s, err, errlen); break;
	case KD_STREAM_TCP: rc = kd_tcp_start(s, err, errlen); break;
	case KD_STREAM_SERIAL: rc = kd_serial_start(s, err, errlen); break;
	case KD_STREAM_PTY: rc = kd_pty_start(s, err, errlen); break;
	}
	if (rc < 0 && !(spec->reconnect && !spec->server)) {
		*out = NULL;
		s->closing = 1;
		kd_stream_close_handle(s, (uv_handle_t *)&s->retry_timer);
		return rc;
	}
	if (rc < 0)
		kd_stream_retry_later(s, 500);
	return 0;
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

int kd_stream_write(struct kd_stream *s, const void *data, size_t len)
{
	if (!s->peer)
		return UV_ENOTCONN;
	/* One allocation holds the request and a copy of the bytes. */
	uv_write_t *req = malloc(sizeof *req + len);
	if (!req)
		return UV_ENOMEM;
	memcpy(req + 1, data, len);
	uv_buf_t buf = uv_buf_init((char *)(req + 1), (unsigned)len);
	int rc = uv_write(req, s->peer, &buf, 1, on_written);
	if (rc < 0)
		free(req);
	return rc;
}

int kd_stream_connected(const struct kd_stream *s)
{
	return s->peer != NULL;
}

const char *kd_stream_pty_name(const struct kd_stream *s)
{
	return s->pty_name[0] ? s->pty_name : NULL;
}

void kd_stream_close(struct kd_stream *s)
{
	if (!s || s->closing)
		return;
	s->closing = 1;
	if (s->peer) {
		kd_stream_close_handle(s, (uv_handle_t *)s->peer);
		s->peer = NULL;
	}
	if (s->connecting) {
		kd_stream_close_handle(s, (uv_handle_t *)s->connecting);
		s->connecting = NULL;
	}
	if (s->listener) {
		kd_stream_close_handle(s, s->listener);
		s->listener = NULL;
	}
	kd_stream_close_handle(s, (uv_handle_t *)&s->retry_timer);
}
