# kd/: the engine library and the kd program.
libkd_a_SOURCES += \
	kd/error.h kd/error.c \
	kd/engine.h kd/target.h kd/command.h \
	arch/context.h
libkd_a_SOURCES += kd/engine.c kd/commands.c
libkd_a_SOURCES += kd/live_target.h kd/live_target.c
libkd_a_SOURCES += kd/connect.h kd/connect.c
libkd_a_SOURCES += kd/cmd_memory.c
libkd_a_SOURCES += kd/cmd_control.c kd/control.h

bin_PROGRAMS += kd/kd
kd_kd_SOURCES = kd/main.c
kd_kd_LDADD = $(KD_LIBS) $(READLINE_LIBS)
libkd_a_SOURCES += kd/kthread.h kd/kthread.c kd/kthread_layouts.h
libkd_a_SOURCES += kd/register_display.h kd/register_display.c
KD_TESTS += tests/e2e/threads.sh
EXTRA_DIST += tests/e2e/threads.sh tests/kdsim/scenarios/threads-x64.kds tests/kdsim/scenarios/threads-x86.kds
libkd_a_SOURCES += kd/x86_tss.h kd/x86_tss.c
libkd_a_SOURCES += kd/execute.c
check_PROGRAMS += tests/unit/test_execute
tests_unit_test_execute_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_execute
