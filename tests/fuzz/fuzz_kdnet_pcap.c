/*
 * Fuzz harness for the capture decoder: the input is written to a file
 * and decoded as a pcap/pcapng capture (libpcap reads the file format;
 * kd unwraps link, IP and UDP headers and opens the KDNET datagrams).
 * Must never crash or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "proto/decode_pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_kdnet_pcapXXXXXX", err[256];
	uint8_t key[32] = { 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8 };
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		FILE *out = fopen("/dev/null", "w");
		if (out) {
			kd_decode_pcap(path, key, out, err, sizeof err);
			fclose(out);
		}
	}
	close(fd);
	unlink(path);
	return 0;
}
