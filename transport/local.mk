# transport/: byte streams (unix socket, TCP, serial tty, pty) and UDP
# datagrams on libuv.
libkd_a_SOURCES += \
	transport/stream.h transport/stream_internal.h transport/stream.c \
	transport/unix.c transport/tcp.c transport/serial.c \
	transport/udp.h transport/udp.c
