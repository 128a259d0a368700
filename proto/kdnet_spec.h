/*
 * The `net:` connection string of `kd -k`:
 *     net:port=50000,key=a.b.c.d[,target=HOST][,bind=ADDR]
 * key may be `env:NAME` or `file:PATH`; without key= the KD_NET_KEY
 * environment variable is used. Parsing loads the key; the text of the
 * key is never kept or shown.
 */
#ifndef KD_PROTO_KDNET_SPEC_H
#define KD_PROTO_KDNET_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "proto/kd_link.h"
#include "proto/kdnet_key.h"

struct kdnet_spec {
	int port;
	char target[256]; /* accept datagrams from this host only; "" for any */
	char bind[64];    /* local address to listen on; "" for every one */
	uint8_t key[KDNET_KEY_SIZE];
};

/* Parse what follows "net:". KD_EINVAL with one line in err for a
 * missing or bad port, an unknown option, or a bad key. */
int kdnet_spec_parse(const char *params, struct kdnet_spec *out, char *err, size_t errlen);

/* Open the debugger side of a KDNET link as the spec says. */
int kdnet_spec_open_debugger(uv_loop_t *loop, const struct kdnet_spec *s, const struct kd_link_callbacks *cb,
                             struct kd_link **out, char *err, size_t errlen);

/* A one-line description for diagnostics ("KDNET on UDP port 50000 (key
 * *.*.*.* (fingerprint 1a2b3c4d))"), and the usual reasons a target does
 * not show up. */
const char *kdnet_spec_describe(const struct kdnet_spec *s, char *buf, size_t n);
extern const char *const kdnet_causes;

#endif
