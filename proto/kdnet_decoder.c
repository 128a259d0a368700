/*
 * Passive KDNET session decoding (see kdnet_decoder.h).
 */
#include "proto/kdnet_decoder.h"

#include <string.h>

#include <openssl/crypto.h>

#include "base/error.h"

void kdnet_decoder_init(struct kdnet_decoder *d, const uint8_t control_key[KDNET_KEY_SIZE])
{
	memset(d, 0, sizeof *d);
	memcpy(d->control_key, control_key, KDNET_KEY_SIZE);
}

void kdnet_decoder_clear(struct kdnet_decoder *d)
{
	OPENSSL_cleanse(d, sizeof *d);
}

int kdnet_decoder_feed(struct kdnet_decoder *d, const uint8_t *dgram, size_t len, uint8_t *plain,
                       size_t plain_cap, struct kdnet_frame *f, int *handshake, int *replayed,
                       char *err, size_t errlen)
{
	int ch = kdnet_peek_channel(dgram, len);
	const uint8_t *key = ch == KDNET_CHANNEL_DATA ? (d->have_data_key ? d->data_key : NULL) : d->control_key;

	*handshake = 0;
	*replayed = 0;
	d->datagrams++;
	int rc = kdnet_open(dgram, len, d->control_key, key, plain, plain_cap, f, err, errlen);
	if (rc < 0) {
		if (rc == KD_EAUTH && ch == KDNET_CHANNEL_DATA && !d->have_data_key)
			d->no_key++;
		else if (rc == KD_EAUTH)
			d->auth_failures++;
		else if (rc == KD_EPROTO)
			d->bad_version++;
		else
			d->malformed++;
		return rc;
	}
	d->authenticated++;
	int dir = f->direction == KDNET_DIR_HOST;
	if (f->channel == KDNET_CHANNEL_CONTROL) {
		uint8_t value[KDNET_HANDSHAKE_VALUE_SIZE];
		if (!dir && kdnet_handshake_request_value(f->payload, f->payload_len, value) == 0) {
			*handshake = 1;
		} else if (dir && kdnet_handshake_answer_check(f->payload, f->payload_len) == 0) {
			*handshake = 2;
			d->handshakes++;
			kdnet_data_key(d->control_key, f->payload, d->data_key);
			d->have_data_key = 1;
			/* a new session: data sequence numbers start again */
			d->seq[0].seen[KDNET_CHANNEL_DATA] = 0;
			d->seq[1].seen[KDNET_CHANNEL_DATA] = 0;
		}
		OPENSSL_cleanse(value, sizeof value);
	}
	if (!kdnet_seq_accept(&d->seq[dir], f->channel, f->seq)) {
		*replayed = 1;
		d->replayed++;
	}
	return 0;
}
