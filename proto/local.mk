# proto/: KD packets, KDCOM framing, KDNET (keys, datagrams, the link),
# the DBGKD messages, packet descriptions, captures and their replay.
libkd_a_SOURCES += \
	proto/kd_packet.h proto/kd_packet.c \
	proto/kd_link.h \
	proto/kdcom.h proto/kdcom.c \
	proto/dbgkd.h proto/dbgkd_names.c \
	proto/kd_describe.h proto/kd_describe.c \
	proto/kdnet_key.h proto/kdnet_key.c \
	proto/kdnet.h proto/kdnet.c \
	proto/kdnet_spec.h proto/kdnet_spec.c \
	proto/kdnet_link.h proto/kdnet_link.c \
	proto/kdnet_decoder.h proto/kdnet_decoder.c \
	proto/decode_pcap.h proto/decode_pcap.c \
	proto/kdnet_replay.h proto/kdnet_replay.c
