/*
 * What the stream kinds (unix, tcp, serial) share: the stream object and
 * the hooks by which a kind connects, listens or opens a device. Private to
 * transport/.
 */
#ifndef KD_TRANSPORT_STREAM_INTERNAL_H
#define KD_TRANSPORT_STREAM_INTERNAL_H

#include "transport/stream.h"

struct kd_stream {
	uv_loop_t *loop;
	struct kd_stream_spec spec;
	char path[256];
	char host[256];
	char pty_name[64];
	struct kd_stream_callbacks cb;
	uv_stream_t *peer;      /* the connected stream, or NULL */
	uv_handle_t *listener;  /* server: the listening handle */
	uv_connect_t connect_req;
	uv_timer_t retry_timer;
	uv_stream_t *connecting; /* a client handle whose connect is in flight */
	int closing;
	int pending_closes;     /* handles whose close callback has not run */
	int pty_master;         /* PTY: the master fd (owned by peer once opened) */
};

/* Adopt a connected uv stream as the peer and start reading. */
void kd_stream_adopt(struct kd_stream *s, uv_stream_t *peer);
/* The peer failed or closed: release it and maybe schedule a reconnect. */
void kd_stream_lost(struct kd_stream *s, int err);
/* Free a handle allocated by a kind, counting it so the stream outlives it. */
void kd_stream_close_handle(struct kd_stream *s, uv_handle_t *h);
/* Arm a reconnect attempt after `ms`. */
void kd_stream_retry_later(struct kd_stream *s, unsigned ms);

/* Per-kind entry points. */
int kd_unix_start(struct kd_stream *s, char *err, size_t errlen);
int kd_tcp_start(struct kd_stream *s, char *err, size_t errlen);
int kd_serial_start(struct kd_stream *s, char *err, size_t errlen);
int kd_pty_start(struct kd_stream *s, char *err, size_t errlen);

#endif
