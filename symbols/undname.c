/*
 * MSVC name undecoration.
 */
#include "symbols/undname.h"

#include <stdio.h>

#include "kd/error.h"

int kd_undname(const char *mangled, int flags, char *out, size_t n)
{
	(void)flags;
	snprintf(out, n, "%s", mangled);
	return KD_EFORMAT;
}
