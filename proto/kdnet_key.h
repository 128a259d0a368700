/*
 * The KDNET key: the `key=a.b.c.d` value of `bcdedit /dbgsettings net`.
 *
 * Four base-36 numbers (0-9, a-z), each at most 64 bits, stored
 * little-endian one after the other: the 32-byte control key. The key may
 * be given literally, read from a file or from an environment variable so
 * that it does not show in the process list; it is only ever shown masked.
 */
#ifndef KD_PROTO_KDNET_KEY_H
#define KD_PROTO_KDNET_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KDNET_KEY_SIZE 32
/* The environment variable kdnet_key_load reads when given no key. */
#define KDNET_KEY_ENV "KD_NET_KEY"

/* Parse "a.b.c.d" into the 32-byte control key. On error returns
 * KD_EINVAL with one line in err saying what is wrong (which part, which
 * character); the key text itself is never copied into err. */
int kdnet_key_parse(const char *text, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen);

/* Read the key from the first line of a file. */
int kdnet_key_from_file(const char *path, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen);

/* Read the key from an environment variable. */
int kdnet_key_from_env(const char *name, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen);

/* A key option's value: "file:PATH", "env:NAME", the literal key, or
 * NULL/"" for the KD_NET_KEY environment variable. */
int kdnet_key_load(const char *spec, uint8_t key[KDNET_KEY_SIZE], char *err, size_t errlen);

/* The key as it may be shown: "*.*.*.* (fingerprint 1a2b3c4d)", the
 * fingerprint being the first 4 bytes of SHA-256 of the key, enough to
 * tell two keys apart without revealing either. buf needs 40 bytes. */
const char *kdnet_key_masked(const uint8_t key[KDNET_KEY_SIZE], char *buf, size_t n);

#endif
