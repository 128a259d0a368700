/*
 * UDP endpoints on libuv (see udp.h).
 */
#include "transport/udp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

struct kd_udp {
	uv_udp_t handle;
	struct kd_udp_callbacks cb;
	int port;
	uint8_t buf[65536];
};

struct udp_send_req {
	uv_udp_send_t req;
	struct kd_udp *u;
	size_t len;
	uint8_t data[];
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct kd_udp *u = h->data;
	(void)suggested;
	buf->base = (char *)u->buf;
	buf->len = sizeof u->buf;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
	struct kd_udp *u = h->data;
	(void)buf;
	if (nread < 0) {
		if (u->cb.on_error)
			u->cb.on_error(u->cb.user, (int)nread);
		return;
	}
	if (!addr || (flags & UV_UDP_PARTIAL))
		return; /* nothing more, or a datagram larger than any KDNET one */
	if (u->cb.on_datagram)
		u->cb.on_datagram(u->cb.user, u->buf, (size_t)nread, addr);
}

int kd_udp_resolve(const char *host, int port, struct sockaddr_storage *addr, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];

	if (port < 0 || port > 65535) {
		snprintf(err, errlen, "UDP port %d is out of range", port);
		return KD_EINVAL;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(portstr, sizeof portstr, "%d", port);
	int rc = getaddrinfo(host && *host ? host : "0.0.0.0", portstr, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return KD_EINVAL;
	}
	memset(addr, 0, sizeof *addr);
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int kd_udp_open(uv_loop_t *loop, const char *host, int port, const struct kd_udp_callbacks *cb,
                struct kd_udp **out, char *err, size_t errlen)
{
	struct sockaddr_storage addr;
	int rc = kd_udp_resolve(host ? host : "0.0.0.0", port, &addr, err, errlen);
	if (rc < 0)
		return rc;
	struct kd_udp *u = calloc(1, sizeof *u);
	if (!u)
		return KD_ENOMEM;
	u->cb = *cb;
	rc = uv_udp_init(loop, &u->handle);
	if (rc < 0) {
		free(u);
		snprintf(err, errlen, "cannot create a UDP socket: %s", uv_strerror(rc));
		return rc;
	}
	u->handle.data = u;
	rc = uv_udp_bind(&u->handle, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_udp_recv_start(&u->handle, on_alloc, on_recv);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on UDP %s:%d: %s", host ? host : "0.0.0.0", port, uv_strerror(rc));
		kd_udp_close(u);
		return rc;
	}
	struct sockaddr_storage local;
	int len = sizeof local;
	if (uv_udp_getsockname(&u->handle, (struct sockaddr *)&local, &len) == 0)
		u->port = ntohs(local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&local)->sin6_port
		                                            : ((struct sockaddr_in *)&local)->sin_port);
	*out = u;
	return 0;
}

int kd_udp_local_port(const struct kd_udp *u)
{
	return u->port;
}

static void on_sent(uv_udp_send_t *req, int status)
{
	struct udp_send_req *r = (struct udp_send_req *)req;
	if (status < 0 && status != UV_ECANCELED && r->u->cb.on_error)
		r->u->cb.on_error(r->u->cb.user, status);
	free(r);
}

int kd_udp_send(struct kd_udp *u, const void *data, size_t len, const struct sockaddr *to)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	/* Most datagrams go out at once; queue a copy only when the socket
	 * would block. */
	int rc = uv_udp_try_send(&u->handle, &b, 1, to);
	if (rc >= 0)
		return 0;
	if (rc != UV_EAGAIN)
		return rc;
	struct udp_send_req *r = malloc(sizeof *r + len);
	if (!r)
		return KD_ENOMEM;
	r->u = u;
	r->len = len;
	memcpy(r->data, data, len);
	b = uv_buf_init((char *)r->data, (unsigned)len);
	rc = uv_udp_send(&r->req, &u->handle, &b, 1, to, on_sent);
	if (rc < 0)
		free(r);
	return rc;
}

const char *kd_udp_format_addr(const struct sockaddr *sa, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		snprintf(buf, n, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		snprintf(buf, n, "%s:%u", ip, ntohs(s4->sin_port));
	}
	return buf;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void kd_udp_close(struct kd_udp *u)
{
	if (!u)
		return;
	uv_udp_recv_stop(&u->handle);
	uv_close((uv_handle_t *)&u->handle, on_closed);
}
