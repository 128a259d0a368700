# base/: errors, byte order and growable arrays. Every folder may use it;
# it includes nothing of the project.
libkd_a_SOURCES += \
	base/error.h base/error.c \
	base/bytes.h \
	base/array.h base/array.c \
	base/file.h base/file.c
