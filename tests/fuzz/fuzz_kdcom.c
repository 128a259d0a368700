/*
 * Fuzz harness: arbitrary bytes from the line into a KDCOM link, in the
 * debugger role and in the target role. Whatever arrives, the link must
 * neither crash nor read out of bounds; packets it delivers must be whole.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/kdcom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const void *d, size_t n)
{
	(void)ctx;
	(void)d;
	return (int)n;
}

static void deliver(void *user, uint16_t type, const uint8_t *d, size_t len)
{
	size_t *total = user;
	(void)type;
	for (size_t i = 0; i < len; i++)
		*total += d[i]; /* touch every byte delivered */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int role = 0; role < 2; role++) {
		uv_loop_t loop;
		uv_loop_init(&loop);
		size_t total = 0;
		struct kd_link_callbacks cb = { .on_packet = deliver, .user = &total };
		struct kdcom_writer w = { sink, NULL };
		struct kd_link *l;
		if (kdcom_link_new(&loop, role ? KD_LINK_TARGET : KD_LINK_DEBUGGER, NULL, &w, &cb, &l) == 0) {
			/* in two halves, so packets straddle reads */
			kdcom_feed(l, data, size / 2);
			kdcom_feed(l, data + size / 2, size - size / 2);
			l->ops->close(l);
		}
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
	}
	return 0;
}
