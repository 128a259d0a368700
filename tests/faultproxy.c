/*
 * faultproxy: a unix-socket relay for fault tests. It accepts kd on one
 * socket, connects to kdsim on another, and damages the bytes on the way
 * in both directions: corrupts (XOR with a random non-zero byte), drops,
 * duplicates them at given rates, all from a fixed seed so a run repeats.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

struct side {
	uv_pipe_t pipe;
	struct side *other;
	struct proxy *p;
	int up;
};

struct proxy {
	uv_loop_t *loop;
	uv_pipe_t server;
	struct side client, target;
	const char *target_path;
	double corrupt, drop, dup;
	uint64_t rng;
	uv_connect_t conn;
	unsigned long corrupted, dropped, duplicated;
};

static double rnd(struct proxy *p)
{
	/* xorshift64*: repeatable and good enough for fault placement */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return (double)((p->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void on_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(n);
	b->len = n;
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct side *me = s->data;
	struct proxy *p = me->p;
	if (n < 0) {
		free(buf->base);
		uv_stop(p->loop); /* either side gone: the proxy ends, like a cut cable */
		return;
	}
	uint8_t *out = malloc(sizeof(uv_write_t) + 2 * (size_t)n);
	uint8_t *data = out + sizeof(uv_write_t);
	size_t len = 0;
	for (ssize_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)buf->base[i];
		if (rnd(p) < p->drop) {
			p->dropped++;
			continue;
		}
		if (rnd(p) < p->corrupt) {
			b ^= (uint8_t)(1 + (int)(rnd(p) * 255));
			p->corrupted++;
		}
		data[len++] = b;
		if (rnd(p) < p->dup) {
			data[len++] = b;
			p->duplicated++;
		}
	}
	free(buf->base);
	if (!me->other->up || len == 0) {
		free(out);
		return;
	}
	uv_buf_t wb = uv_buf_init((char *)data, (unsigned)len);
	uv_write((uv_write_t *)out, (uv_stream_t *)&me->other->pipe, &wb, 1, on_written);
}

static void on_target_connected(uv_connect_t *c, int status)
{
	struct proxy *p = c->data;
	if (status < 0) {
		fprintf(stderr, "faultproxy: cannot reach %s: %s\n", p->target_path, uv_strerror(status));
		uv_stop(p->loop);
		return;
	}
	p->target.up = 1;
	uv_read_start((uv_stream_t *)&p->target.pipe, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&p->client.pipe, on_alloc, on_read);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct proxy *p = server->data;
	if (status < 0 || p->client.up)
		return;
	uv_pipe_init(p->loop, &p->client.pipe, 0);
	p->client.pipe.data = &p->client;
	if (uv_accept(server, (uv_stream_t *)&p->client.pipe) < 0)
		return;
	p->client.up = 1;
	uv_pipe_init(p->loop, &p->target.pipe, 0);
	p->target.pipe.data = &p->target;
	p->conn.data = p;
	uv_pipe_connect(&p->conn, &p->target.pipe, p->target_path, on_target_connected);
}

int main(int argc, char **argv)
{
	static struct proxy p;
	const char *listen_path = NULL;
	p.rng = 0x9e3779b97f4a7c15ull;
	int c;
	while ((c = getopt(argc, argv, "l:t:c:d:u:s:")) != -1) {
		switch (c) {
		case 'l': listen_path = optarg; break;
		case 't': p.target_path = optarg; break;
		case 'c': p.corrupt = atof(optarg); break;
		case 'd': p.drop = atof(optarg); break;
		case 'u': p.dup = atof(optarg); break;
		case 's': p.rng = strtoull(optarg, NULL, 0) | 1; break;
		default:
			fprintf(stderr, "usage: faultproxy -l LISTEN -t TARGET [-c corrupt] [-d drop] [-u dup] [-s seed]\n");
			return 2;
		}
	}
	if (!listen_path || !p.target_path)
		return 2;
	p.loop = uv_default_loop();
	p.client.p = p.target.p = &p;
	p.client.other = &p.target;
	p.target.other = &p.client;
	p.client.pipe.data = &p.client;
	p.target.pipe.data = &p.target;
	uv_pipe_init(p.loop, &p.server, 0);
	p.server.data = &p;
	unlink(listen_path);
	if (uv_pipe_bind(&p.server, listen_path) < 0 ||
	    uv_listen((uv_stream_t *)&p.server, 1, on_connection) < 0) {
		fprintf(stderr, "faultproxy: cannot listen on %s\n", listen_path);
		return 1;
	}
	printf("faultproxy: ready\n");
	fflush(stdout);
	uv_run(p.loop, UV_RUN_DEFAULT);
	fprintf(stderr, "faultproxy: corrupted %lu, dropped %lu, duplicated %lu bytes\n",
	        p.corrupted, p.dropped, p.duplicated);
	return 0;
}
