/*
 * Text for the error codes of base/error.h; libuv codes are passed to libuv.
 */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <uv.h>

const char *kd_strerror(int err)
{
	switch (err) {
	case KD_OK: return "success";
	case KD_EIO: return "input/output error";
	case KD_ETIMEDOUT: return "the target did not answer in time";
	case KD_EPROTO: return "protocol error";
	case KD_ENOMEM: return "out of memory";
	case KD_EINVAL: return "invalid argument";
	case KD_EUNREADABLE: return "memory access error";
	case KD_ENOTSUP: return "not supported on this target";
	case KD_EFORMAT: return "corrupt or unrecognised file";
	case KD_ENOTFOUND: return "not found";
	case KD_ERUNNING: return "the target is running";
	case KD_EDISCONNECTED: return "no target attached";
	case KD_ECANCELED: return "interrupted";
	case KD_EAUTH: return "packet failed authentication";
	case KD_ETARGET: return "the target reported a failure";
	}
	if (err < 0 && err > -4096)
		return uv_strerror(err);
	return "unknown error";
}

int kd_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
