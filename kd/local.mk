# kd/: the engine library and the kd program.
libkd_a_SOURCES += \
	kd/error.h kd/error.c \
	kd/engine.h kd/target.h kd/command.h \
	arch/context.h
libkd_a_SOURCES += kd/engine.c kd/commands.c
