/*
 * Error codes shared by every layer of kd.
 *
 * Functions return 0 or a negative KD_E* value (transport errors carry the
 * libuv code instead, which is also negative); the library never prints.
 * The REPL or CLI turns a code into the one line the user sees.
 */
#ifndef KD_BASE_ERROR_H
#define KD_BASE_ERROR_H

#include <stddef.h>

enum {
	KD_OK = 0,
	KD_EIO = -10001,         /* the link or file failed */
	KD_ETIMEDOUT = -10002,   /* the target did not answer in time */
	KD_EPROTO = -10003,      /* the peer sent something the protocol forbids */
	KD_ENOMEM = -10004,
	KD_EINVAL = -10005,      /* bad argument or syntax */
	KD_EUNREADABLE = -10006, /* target memory that cannot be read (????????) */
	KD_ENOTSUP = -10007,     /* not possible on this kind of target */
	KD_EFORMAT = -10008,     /* a file that is corrupt or not of the expected kind */
	KD_ENOTFOUND = -10009,   /* no such symbol, module, file or command */
	KD_ERUNNING = -10010,    /* the target is running; break in first */
	KD_EDISCONNECTED = -10011, /* no target is attached */
	KD_ECANCELED = -10012,   /* interrupted by the user (Ctrl-C) */
	KD_EAUTH = -10013,       /* a packet failed authentication */
	KD_ETARGET = -10014,     /* the target reported a failure status */
};

/* Write a one-line message into err (when given) and return code: the
 * way parsers report why input was refused. */
int kd_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A short description of a KD_E* code or a libuv error code. */
const char *kd_strerror(int err);

#endif
