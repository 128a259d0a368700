# kd/targets/: the kinds of target behind kd/engine/target.h — a live
# kernel over KDCOM or KDNET (and the -k strings that open one), crash
# dump files (format, reader, writer) and PE images.
libkd_a_SOURCES += \
	kd/targets/live_target.h kd/targets/live_target.c \
	kd/targets/connect.h kd/targets/connect.c \
	kd/targets/dump_format.h \
	kd/targets/dump_file.h kd/targets/dump_file.c \
	kd/targets/dump_target.h kd/targets/dump_target.c \
	kd/targets/dump_write.h kd/targets/dump_write.c \
	kd/targets/image_target.h kd/targets/image_target.c
