# transport: sources and tests of this area (included by Makefile.am).
libkd_a_SOURCES += \
	transport/stream.h transport/stream_internal.h transport/stream.c \
	transport/unix.c transport/tcp.c transport/serial.c
