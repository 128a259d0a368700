/*
 * The KDNET capture decoder (`kd --decode-pcap FILE --key K`): reads a
 * pcap or pcapng file (gzip-compressed or not) with libpcap, finds the UDP
 * datagrams that carry KDNET, and prints one line per datagram: time,
 * direction, channel, sequence number, then the KD packet inside it as
 * kd_describe shows it. Datagrams that fail authentication or are
 * malformed are counted and shown as rejected, never trusted.
 */
#ifndef KD_PROTO_DECODE_PCAP_H
#define KD_PROTO_DECODE_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One UDP datagram of a capture. */
struct kd_capture_datagram {
	uint64_t ts_usec; /* capture time, microseconds since the epoch */
	char src[48], dst[48]; /* "192.168.2.72:51111" */
	const uint8_t *data;
	size_t len;
};

/* Called for each UDP datagram; a non-zero return stops the walk and is
 * returned by kd_capture_each_udp. */
typedef int (*kd_capture_fn)(void *user, const struct kd_capture_datagram *d);

/* Walk the UDP datagrams (IPv4/IPv6 over Ethernet, raw IP, Linux cooked or
 * loopback captures) of a pcap/pcapng file, gzip accepted. Returns 0, the
 * callback's value, or KD_EIO/KD_EFORMAT with one line in err. */
int kd_capture_each_udp(const char *path, kd_capture_fn fn, void *user, char *err, size_t errlen);

/* What kd_decode_pcap_stats found. */
struct kd_decode_stats {
	unsigned long udp, datagrams, authenticated, rejected, auth_failures, malformed, no_key, bad_version;
	unsigned long replayed, kd_packets, bad_checksums, unnamed_apis, handshakes;
};

/* Decode a capture and print its lines to out. Returns 0 when every KDNET
 * datagram authenticated and decoded, KD_EAUTH/KD_EFORMAT/KD_EPROTO when
 * some were rejected (the lines were still printed; err has the summary),
 * or KD_EIO/KD_EFORMAT when the file cannot be read. */
int kd_decode_pcap(const char *path, const uint8_t key[32], FILE *out, char *err, size_t errlen);
int kd_decode_pcap_stats(const char *path, const uint8_t key[32], FILE *out, struct kd_decode_stats *st,
                         char *err, size_t errlen);

#endif
