/*
 * KDNET datagram authentication, encryption and the handshake
 * computations (see kdnet.h), on OpenSSL's libcrypto.
 */
#include "proto/kdnet.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "base/error.h"

static const uint8_t kdnet_magic[4] = { 'M', 'D', 'B', 'G' };

/* Truncated HMAC-SHA256 keyed with the NOT-ed control key over the header
 * and the plaintext. */
static int kdnet_tag(const uint8_t control_key[32], const uint8_t header[KDNET_HEADER_SIZE],
                     const uint8_t *plain, size_t plain_len, uint8_t tag[KDNET_TAG_SIZE])
{
	uint8_t notkey[32], md[EVP_MAX_MD_SIZE];
	int rc = KD_EIO;

	for (int i = 0; i < 32; i++)
		notkey[i] = (uint8_t)~control_key[i];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;
	if (ctx && EVP_MAC_init(ctx, notkey, sizeof notkey, params) &&
	    EVP_MAC_update(ctx, header, KDNET_HEADER_SIZE) &&
	    EVP_MAC_update(ctx, plain, plain_len) &&
	    EVP_MAC_final(ctx, md, &outl, sizeof md) && outl >= KDNET_TAG_SIZE) {
		memcpy(tag, md, KDNET_TAG_SIZE);
		rc = 0;
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	OPENSSL_cleanse(notkey, sizeof notkey);
	return rc;
}

/* AES-256-CBC without padding, in one call. */
static int kdnet_cbc(int encrypt, const uint8_t key[32], const uint8_t iv[16],
                     const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;
	if (!ctx)
		return KD_ENOMEM;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, encrypt) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
	     EVP_CipherFinal_ex(ctx, out + n1, &n2) &&
	     (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : KD_EIO;
}

int kdnet_peek_channel(const uint8_t *dgram, size_t len)
{
	if (len < KDNET_HEADER_SIZE || memcmp(dgram, kdnet_magic, 4) != 0)
		return -1;
	return dgram[5];
}

int kdnet_open(const uint8_t *dgram, size_t len, const uint8_t control_key[32], const uint8_t enc_key[32],
               uint8_t *plain, size_t plain_cap, struct kdnet_frame *f, char *err, size_t errlen)
{
	uint8_t tag[KDNET_TAG_SIZE];

	if (len < KDNET_HEADER_SIZE || memcmp(dgram, kdnet_magic, 4) != 0)
		return kd_fail(err, errlen, KD_EFORMAT, "not a KDNET datagram (no MDBG magic)");
	if (dgram[4] != KDNET_VERSION)
		return kd_fail(err, errlen, KD_EPROTO, "KDNET protocol version %u is not supported (kd speaks version %u)",
		            dgram[4], KDNET_VERSION);
	if (dgram[5] != KDNET_CHANNEL_DATA && dgram[5] != KDNET_CHANNEL_CONTROL)
		return kd_fail(err, errlen, KD_EFORMAT, "KDNET datagram on unknown channel %u", dgram[5]);
	if (len < KDNET_OVERHEAD + 16)
		return kd_fail(err, errlen, KD_EFORMAT, "truncated KDNET datagram (%zu bytes)", len);
	size_t clen = len - KDNET_OVERHEAD;
	if (clen % 16)
		return kd_fail(err, errlen, KD_EFORMAT, "KDNET datagram of %zu bytes: ciphertext is not whole AES blocks", len);
	if (clen > plain_cap)
		return kd_fail(err, errlen, KD_EFORMAT, "KDNET datagram of %zu bytes is too large", len);
	if (!enc_key)
		return kd_fail(err, errlen, KD_EAUTH, "KDNET data packet before the handshake: no data key yet");

	const uint8_t *rtag = dgram + len - KDNET_TAG_SIZE;
	if (kdnet_cbc(0, enc_key, rtag, dgram + KDNET_HEADER_SIZE, clen, plain) < 0)
		return kd_fail(err, errlen, KD_EIO, "AES decryption failed");
	if (kdnet_tag(control_key, dgram, plain, clen, tag) < 0)
		return kd_fail(err, errlen, KD_EIO, "HMAC computation failed");
	if (CRYPTO_memcmp(tag, rtag, KDNET_TAG_SIZE) != 0) {
		OPENSSL_cleanse(plain, clen);
		return kd_fail(err, errlen, KD_EAUTH, "KDNET datagram fails authentication (wrong key or altered packet)");
	}

	uint64_t word = 0;
	for (int i = 0; i < 8; i++)
		word = word << 8 | plain[i];
	f->version = dgram[4];
	f->channel = dgram[5];
	f->seq = word >> 8;
	f->direction = (word >> 4) & 0xf;
	f->pad = word & 0xf;
	f->plain = plain;
	f->plain_len = clen;
	if (f->direction != KDNET_DIR_TARGET && f->direction != KDNET_DIR_HOST)
		return kd_fail(err, errlen, KD_EFORMAT, "KDNET datagram with unknown direction %u", f->direction);
	if (KDNET_WORD_SIZE + (size_t)f->pad > clen)
		return kd_fail(err, errlen, KD_EFORMAT, "KDNET datagram with %u filler bytes in %zu", f->pad, clen);
	f->payload = plain + KDNET_WORD_SIZE;
	f->payload_len = clen - KDNET_WORD_SIZE - f->pad;
	return 0;
}

int kdnet_seal(uint8_t version, uint8_t channel, const uint8_t *plain, size_t plain_len,
               const uint8_t control_key[32], const uint8_t enc_key[32],
               uint8_t *out, size_t cap, size_t *out_len)
{
	if (plain_len % 16 || plain_len == 0 || cap < plain_len + KDNET_OVERHEAD)
		return KD_EINVAL;
	memcpy(out, kdnet_magic, 4);
	out[4] = version;
	out[5] = channel;
	uint8_t *tag = out + KDNET_HEADER_SIZE + plain_len;
	int rc = kdnet_tag(control_key, out, plain, plain_len, tag);
	if (rc < 0)
		return rc;
	rc = kdnet_cbc(1, enc_key, tag, plain, plain_len, out + KDNET_HEADER_SIZE);
	if (rc < 0)
		return rc;
	*out_len = plain_len + KDNET_OVERHEAD;
	return 0;
}

unsigned kdnet_pad_for(size_t payload_len)
{
	return (unsigned)((16 - (KDNET_WORD_SIZE + payload_len) % 16) % 16);
}

int kdnet_encode(uint8_t channel, uint64_t seq, uint8_t direction, const void *payload, size_t len,
                 const uint8_t control_key[32], const uint8_t enc_key[32],
                 uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t plain[KDNET_MAX_PLAINTEXT];
	unsigned pad = kdnet_pad_for(len);
	size_t plen = KDNET_WORD_SIZE + len + pad;

	if (len > KDNET_MAX_PAYLOAD || seq >> 56)
		return KD_EINVAL;
	uint64_t word = seq << 8 | (uint64_t)(direction & 0xf) << 4 | pad;
	for (int i = 7; i >= 0; i--, word >>= 8)
		plain[i] = word & 0xff;
	if (len)
		memcpy(plain + KDNET_WORD_SIZE, payload, len);
	memset(plain + KDNET_WORD_SIZE + len, 0, pad);
	int rc = kdnet_seal(KDNET_VERSION, channel, plain, plen, control_key, enc_key, out, cap, out_len);
	OPENSSL_cleanse(plain, plen);
	return rc;
}

void kdnet_handshake_request(const uint8_t value[32], uint8_t out[KDNET_HANDSHAKE_REQUEST_SIZE])
{
	memset(out, 0, KDNET_HANDSHAKE_REQUEST_SIZE);
	out[0] = 0x01;
	out[1] = KDNET_CONTROL_REQUEST;
	memcpy(out + 2, value, KDNET_HANDSHAKE_VALUE_SIZE);
}

int kdnet_handshake_request_value(const uint8_t *payload, size_t len, uint8_t value[32])
{
	if (len < 2 + KDNET_HANDSHAKE_VALUE_SIZE || payload[0] != 0x01 || payload[1] != KDNET_CONTROL_REQUEST)
		return KD_EFORMAT;
	memcpy(value, payload + 2, KDNET_HANDSHAKE_VALUE_SIZE);
	return 0;
}

void kdnet_handshake_answer(const uint8_t target_value[32], const uint8_t host_random[32],
                            uint8_t out[KDNET_HANDSHAKE_ANSWER_SIZE])
{
	memset(out, 0, KDNET_HANDSHAKE_ANSWER_SIZE);
	out[0] = 0x01;
	out[1] = KDNET_CONTROL_ANSWER;
	memcpy(out + 2, target_value, 32);
	memcpy(out + 34, host_random, 32);
}

int kdnet_handshake_answer_check(const uint8_t *payload, size_t len)
{
	if (len != KDNET_HANDSHAKE_ANSWER_SIZE || payload[0] != 0x01 || payload[1] != KDNET_CONTROL_ANSWER)
		return KD_EFORMAT;
	return 0;
}

void kdnet_data_key(const uint8_t control_key[32], const uint8_t answer[KDNET_HANDSHAKE_ANSWER_SIZE],
                    uint8_t data_key[32])
{
	uint8_t buf[32 + KDNET_HANDSHAKE_ANSWER_SIZE];
	memcpy(buf, control_key, 32);
	memcpy(buf + 32, answer, KDNET_HANDSHAKE_ANSWER_SIZE);
	SHA256(buf, sizeof buf, data_key);
	OPENSSL_cleanse(buf, sizeof buf);
}

int kdnet_seq_accept(struct kdnet_seq_window *w, uint8_t channel, uint64_t seq)
{
	if (channel > 1)
		return 0;
	if (w->seen[channel] && seq <= w->last[channel])
		return 0;
	w->seen[channel] = 1;
	w->last[channel] = seq;
	return 1;
}
