/*
 * MSVC C++ name undecoration ("?Foo@Bar@@QEAAHH@Z" -> "public: int
 * __cdecl Bar::Foo(int)"), for display. The full form follows
 * llvm-undname; KD_UNDNAME_NAME_ONLY gives the qualified name without
 * types ("Bar::Foo"), as WinDbg shows symbols.
 */
#ifndef KD_SYMBOLS_UNDNAME_H
#define KD_SYMBOLS_UNDNAME_H

#include <stddef.h>

enum {
	KD_UNDNAME_FULL = 0,
	KD_UNDNAME_NAME_ONLY = 1,
};

/* 0 with out filled, KD_EFORMAT when the name is not understood (out is
 * then a copy of the input). */
int kd_undname(const char *mangled, int flags, char *out, size_t n);

#endif
