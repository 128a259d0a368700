/*
 * A byte stream to or from a target: one interface over unix sockets, TCP
 * and serial lines (a tty in raw mode, or a pty for the simulator).
 *
 * A stream is a client (kd connecting to a VM's COM pipe, a TCP relay or a
 * serial device) or a server (kdsim waiting for kd). It owns its libuv
 * handles; bytes arrive through on_data, and a client with `reconnect`
 * keeps trying when the peer is absent or goes away. The stream knows
 * nothing of KD.
 */
#ifndef KD_TRANSPORT_STREAM_H
#define KD_TRANSPORT_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum kd_stream_kind {
	KD_STREAM_UNIX,   /* unix-domain socket (QEMU -serial unix:, a relayed Hyper-V pipe) */
	KD_STREAM_TCP,    /* TCP (QEMU -serial tcp:) */
	KD_STREAM_SERIAL, /* a tty device, raw mode at `baud` */
	KD_STREAM_PTY,    /* server only: a new pseudo-terminal; its name is reported */
};

struct kd_stream_spec {
	enum kd_stream_kind kind;
	int server;        /* listen/accept instead of connect */
	const char *path;  /* socket or device path */
	const char *host;  /* TCP host (client) or bind address (server) */
	int port;          /* TCP port */
	int baud;          /* serial speed; 0 keeps 115200 */
	int reconnect;     /* client: retry while the peer is absent */
};

struct kd_stream_callbacks {
	void (*on_data)(void *user, const uint8_t *data, size_t len);
	/* A peer is there: connected, accepted, or the device opened. */
	void (*on_connect)(void *user);
	/* The peer went away or the stream failed (err: libuv code). With
	 * reconnect, a later on_connect may follow. */
	void (*on_disconnect)(void *user, int err);
	void *user;
};

struct kd_stream;

/* Open a stream. Failures that happen at once (bad path, device that
 * cannot be opened, port in use) are returned with a message in err. */
int kd_stream_open(uv_loop_t *loop, const struct kd_stream_spec *spec,
                   const struct kd_stream_callbacks *cb, struct kd_stream **out,
                   char *err, size_t errlen);

/* Queue bytes for the peer; dropped (returns UV_ENOTCONN) with no peer. */
int kd_stream_write(struct kd_stream *s, const void *data, size_t len);
int kd_stream_connected(const struct kd_stream *s);
/* The pty's slave device name (KD_STREAM_PTY), else NULL. */
const char *kd_stream_pty_name(const struct kd_stream *s);
/* Close; the memory is freed once libuv has released the handles. */
void kd_stream_close(struct kd_stream *s);

#endif
