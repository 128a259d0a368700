# proto/: KD packets, KDCOM framing and the DBGKD messages.
libkd_a_SOURCES += \
	proto/kd_packet.h proto/kd_packet.c \
	proto/kd_link.h \
	proto/kdcom.h proto/kdcom.c \
	proto/dbgkd.h
