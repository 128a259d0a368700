/*
 * The KDNET capture decoder (see decode_pcap.h): capture file reading
 * (libpcap, zlib for .gz), link/IP/UDP unwrapping, and the per-datagram
 * lines.
 */
#include "proto/decode_pcap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "base/error.h"
#include "proto/dbgkd.h"
#include "proto/kd_describe.h"
#include "proto/kdnet_decoder.h"

#define KD_PCAP_MAX_GUNZIP (4096ull << 20)

/* A gzip file decompressed into an anonymous temporary file, which
 * libpcap then reads like any capture. */
static FILE *gunzip_to_tmp(const char *path, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		kd_fail(err, errlen, KD_EIO, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	FILE *tmp = tmpfile();
	if (!tmp) {
		gzclose(gz);
		kd_fail(err, errlen, KD_EIO, "cannot create a temporary file: %s", strerror(errno));
		return NULL;
	}
	char buf[65536];
	int n;
	uint64_t total = 0;
	while ((n = gzread(gz, buf, sizeof buf)) > 0) {
		/* a decompression bomb must not fill the disk */
		if ((total += (uint64_t)n) > KD_PCAP_MAX_GUNZIP) {
			kd_fail(err, errlen, KD_EFORMAT, "%s: decompresses to more than %u MiB", path,
			     (unsigned)(KD_PCAP_MAX_GUNZIP >> 20));
			n = -1;
			break;
		}
		if (fwrite(buf, 1, (size_t)n, tmp) != (size_t)n) {
			kd_fail(err, errlen, KD_EIO, "cannot write a temporary file: %s", strerror(errno));
			n = -1;
			break;
		}
	}
	if (n < 0) {
		int zerr = 0;
		const char *msg = gzerror(gz, &zerr);
		if (zerr != Z_OK || !err || !*err)
			kd_fail(err, errlen, KD_EFORMAT, "%s: corrupt gzip data (%s)", path, zerr != Z_OK ? msg : "read error");
		gzclose(gz);
		fclose(tmp);
		return NULL;
	}
	gzclose(gz);
	rewind(tmp);
	return tmp;
}

static int is_gzip(const char *path)
{
	unsigned char m[2] = { 0, 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(m, 1, 2, f);
	fclose(f);
	return n == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Unwrap IP and UDP; fills d's addresses and payload. 0 when p is one
 * whole unfragmented UDP datagram. */
static int unwrap_ip(const uint8_t *p, size_t len, struct kd_capture_datagram *d)
{
	const uint8_t *udp;
	size_t udp_len;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int v6;

	if (len < 1)
		return -1;
	if ((p[0] >> 4) == 4) {
		if (len < 20)
			return -1;
		size_t ihl = (size_t)(p[0] & 0xf) * 4;
		size_t total = be16(p + 2);
		if (ihl < 20 || total < ihl || len < ihl)
			return -1;
		if (total < len)
			len = total;
		if (p[9] != 17 || (be16(p + 6) & 0x3fff) != 0) /* UDP, no fragment */
			return -1;
		inet_ntop(AF_INET, p + 12, a, sizeof a);
		inet_ntop(AF_INET, p + 16, b, sizeof b);
		udp = p + ihl;
		udp_len = len - ihl;
		v6 = 0;
	} else if ((p[0] >> 4) == 6) {
		if (len < 40 || p[6] != 17)
			return -1;
		size_t plen = be16(p + 4);
		if (40 + plen < len)
			len = 40 + plen;
		inet_ntop(AF_INET6, p + 8, a, sizeof a);
		inet_ntop(AF_INET6, p + 24, b, sizeof b);
		udp = p + 40;
		udp_len = len - 40;
		v6 = 1;
	} else {
		return -1;
	}
	if (udp_len < 8)
		return -1;
	size_t ulen = be16(udp + 4);
	if (ulen < 8)
		return -1;
	if (ulen < udp_len)
		udp_len = ulen;
	snprintf(d->src, sizeof d->src, v6 ? "[%s]:%u" : "%s:%u", a, be16(udp));
	snprintf(d->dst, sizeof d->dst, v6 ? "[%s]:%u" : "%s:%u", b, be16(udp + 2));
	d->data = udp + 8;
	d->len = udp_len - 8;
	return 0;
}

/* Skip the link-layer header; returns the IP packet or NULL. */
static const uint8_t *unwrap_link(int dlt, const uint8_t *p, size_t *len)
{
	size_t off;
	switch (dlt) {
	case DLT_EN10MB: {
		if (*len < 14)
			return NULL;
		off = 12;
		uint16_t type = be16(p + off);
		for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8); i++) {
			off += 4;
			if (*len < off + 2)
				return NULL;
			type = be16(p + off);
		}
		if (type != 0x0800 && type != 0x86dd)
			return NULL;
		off += 2;
		break;
	}
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
#ifdef DLT_IPV6
	case DLT_IPV6:
#endif
		off = 0;
		break;
	case DLT_LINUX_SLL:
		off = 16;
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		off = 20;
		break;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		off = 4;
		break;
	default:
		return NULL;
	}
	if (*len < off)
		return NULL;
	*len -= off;
	return p + off;
}

int kd_capture_each_udp(const char *path, kd_capture_fn fn, void *user, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc;

	if (is_gzip(path)) {
		FILE *tmp = gunzip_to_tmp(path, err, errlen);
		if (!tmp)
			return KD_EFORMAT;
		pc = pcap_fopen_offline_with_tstamp_precision(tmp, PCAP_TSTAMP_PRECISION_MICRO, perr);
		if (!pc)
			fclose(tmp);
	} else {
		pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	}
	if (!pc)
		return kd_fail(err, errlen, errno == ENOENT ? KD_EIO : KD_EFORMAT, "%s: not a readable pcap/pcapng capture: %s",
		            path, perr);
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = 0, r;
	while (rc == 0 && (r = pcap_next_ex(pc, &h, &data)) == 1) {
		size_t len = h->caplen;
		const uint8_t *ip = unwrap_link(dlt, data, &len);
		struct kd_capture_datagram d;
		if (!ip || unwrap_ip(ip, len, &d) != 0)
			continue;
		d.ts_usec = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		rc = fn(user, &d);
	}
	if (rc == 0 && r == PCAP_ERROR)
		rc = kd_fail(err, errlen, KD_EFORMAT, "%s: %s", path, pcap_geterr(pc));
	pcap_close(pc);
	return rc;
}

/* --- the decoder's lines ------------------------------------------- */

struct decode_ctx {
	struct kdnet_decoder dec;
	struct kd_decode_stats *st;
	FILE *out;
	uint64_t t0;
	int have_t0;
	uint8_t plain[KDNET_MAX_DATAGRAM + 64];
};

static int magic_kdnet(const uint8_t *p, size_t len)
{
	return len >= 4 && memcmp(p, "MDBG", 4) == 0;
}

static void print_hex(FILE *out, const uint8_t *p, size_t len, size_t max)
{
	for (size_t i = 0; i < len && i < max; i++)
		fprintf(out, "%02x", p[i]);
	if (len > max)
		fprintf(out, "...");
}

static int decode_one(void *user, const struct kd_capture_datagram *d)
{
	struct decode_ctx *c = user;
	struct kd_decode_stats *st = c->st;
	struct kdnet_frame f;
	char err[160], line[1024];
	int hs, replayed;

	st->udp++;
	if (!magic_kdnet(d->data, d->len))
		return 0;
	st->datagrams++;
	if (!c->have_t0) {
		c->t0 = d->ts_usec;
		c->have_t0 = 1;
	}
	uint64_t t = d->ts_usec >= c->t0 ? d->ts_usec - c->t0 : 0;
	fprintf(c->out, "%6" PRIu64 ".%06" PRIu64 " ", t / 1000000, t % 1000000);
	int rc = kdnet_decoder_feed(&c->dec, d->data, d->len, c->plain, sizeof c->plain, &f, &hs, &replayed,
	                            err, sizeof err);
	if (rc < 0) {
		st->rejected++;
		fprintf(c->out, "%s > %s REJECTED (%zu bytes): %s\n", d->src, d->dst, d->len, err);
		return 0;
	}
	st->authenticated++;
	fprintf(c->out, "%s %s seq=%" PRIu64 "%s ", f.direction == KDNET_DIR_HOST ? "host>target" : "target>host",
	        f.channel == KDNET_CHANNEL_CONTROL ? "control" : "data", f.seq, replayed ? " (replayed)" : "");
	if (replayed)
		st->replayed++;
	if (f.channel == KDNET_CHANNEL_CONTROL) {
		if (hs == 1) {
			fprintf(c->out, "handshake request value=");
			print_hex(c->out, f.payload + 2, KDNET_HANDSHAKE_VALUE_SIZE, 8);
		} else if (hs == 2) {
			st->handshakes++;
			fprintf(c->out, "handshake answer value=");
			print_hex(c->out, f.payload + 2, KDNET_HANDSHAKE_VALUE_SIZE, 8);
			fprintf(c->out, " (data key derived)");
		} else {
			fprintf(c->out, "control payload (%zu bytes) ", f.payload_len);
			print_hex(c->out, f.payload, f.payload_len, 16);
		}
		fputc('\n', c->out);
		return 0;
	}
	if (f.payload_len < KD_PACKET_HEADER_SIZE) {
		/* Windows sends one short non-KD payload on the data channel
		 * right after the handshake (it holds the host's address). */
		fprintf(c->out, "non-KD payload (%zu bytes) ", f.payload_len);
		print_hex(c->out, f.payload, f.payload_len, 32);
		fputc('\n', c->out);
		return 0;
	}
	struct kd_packet_header h;
	kd_packet_header_decode(f.payload, &h);
	const uint8_t *body = f.payload + KD_PACKET_HEADER_SIZE;
	size_t blen = f.payload_len - KD_PACKET_HEADER_SIZE;
	st->kd_packets++;
	if (h.leader == KD_PACKET_LEADER) {
		uint32_t api;
		if (blen != h.byte_count || kd_packet_checksum(body, blen) != h.checksum)
			st->bad_checksums++;
		if (kd_packet_api(h.type, body, blen, &api) == 0 && !dbgkd_api_name(api))
			st->unnamed_apis++;
	}
	fprintf(c->out, "%s\n", kd_describe(&h, body, blen, line, sizeof line));
	return 0;
}

int kd_decode_pcap_stats(const char *path, const uint8_t key[32], FILE *out, struct kd_decode_stats *st,
                         char *err, size_t errlen)
{
	struct decode_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return kd_fail(err, errlen, KD_ENOMEM, "out of memory");
	memset(st, 0, sizeof *st);
	kdnet_decoder_init(&c->dec, key);
	c->st = st;
	c->out = out;
	int rc = kd_capture_each_udp(path, decode_one, c, err, errlen);
	st->auth_failures = c->dec.auth_failures;
	st->malformed = c->dec.malformed;
	st->no_key = c->dec.no_key;
	st->bad_version = c->dec.bad_version;
	kdnet_decoder_clear(&c->dec);
	OPENSSL_cleanse(c->plain, sizeof c->plain);
	free(c);
	if (rc < 0)
		return rc;
	fprintf(out, "%lu KDNET datagrams: %lu authenticated, %lu rejected (%lu failed authentication, "
	        "%lu malformed, %lu before any handshake, %lu unknown version); %lu KD packets, "
	        "%lu bad checksums; %lu handshakes\n",
	        st->datagrams, st->authenticated, st->rejected, st->auth_failures, st->malformed, st->no_key,
	        st->bad_version, st->kd_packets, st->bad_checksums, st->handshakes);
	if (st->datagrams == 0)
		return kd_fail(err, errlen, KD_ENOTFOUND, "%s: no KDNET datagrams in %lu UDP datagrams", path, st->udp);
	if (st->auth_failures && st->auth_failures == st->datagrams - st->no_key)
		return kd_fail(err, errlen, KD_EAUTH, "no KDNET datagram authenticates: wrong key?");
	if (st->bad_version)
		return kd_fail(err, errlen, KD_EPROTO, "%lu datagrams use a KDNET protocol version kd does not speak",
		            st->bad_version);
	if (st->rejected)
		return kd_fail(err, errlen, st->auth_failures ? KD_EAUTH : KD_EFORMAT,
		            "%lu of %lu KDNET datagrams rejected", st->rejected, st->datagrams);
	return 0;
}

int kd_decode_pcap(const char *path, const uint8_t key[32], FILE *out, char *err, size_t errlen)
{
	struct kd_decode_stats st;
	return kd_decode_pcap_stats(path, key, out, &st, err, errlen);
}
