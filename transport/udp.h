/*
 * A UDP datagram endpoint on the libuv loop: bound to a local port,
 * sending to a peer (fixed, or learned from the last datagram received),
 * delivering each received datagram with its sender. It knows nothing of
 * KD or KDNET.
 */
#ifndef KD_TRANSPORT_UDP_H
#define KD_TRANSPORT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct kd_udp;

struct kd_udp_callbacks {
	/* One datagram (data is valid during the call only). */
	void (*on_datagram)(void *user, const uint8_t *data, size_t len, const struct sockaddr *from);
	/* A receive or send failure (libuv code); the endpoint stays open. */
	void (*on_error)(void *user, int err);
	void *user;
};

/* Bind to host:port ("0.0.0.0", "::" or an address; NULL means
 * "0.0.0.0"; port 0 picks a free port) and start receiving. */
int kd_udp_open(uv_loop_t *loop, const char *host, int port, const struct kd_udp_callbacks *cb,
                struct kd_udp **out, char *err, size_t errlen);

/* The bound port (useful after port 0). */
int kd_udp_local_port(const struct kd_udp *u);

/* Resolve host:port (numeric or a name) into addr. */
int kd_udp_resolve(const char *host, int port, struct sockaddr_storage *addr, char *err, size_t errlen);

/* Send one datagram to addr; the bytes are copied. */
int kd_udp_send(struct kd_udp *u, const void *data, size_t len, const struct sockaddr *to);

/* "192.168.2.72:51111" for an address. */
const char *kd_udp_format_addr(const struct sockaddr *sa, char *buf, size_t n);

/* Close; the memory is freed once libuv has released the handle. */
void kd_udp_close(struct kd_udp *u);

#endif
