# Execution control in kd: breakpoints, stepping, events (bp/ba/p/t/gu/sx*).
libkd_a_SOURCES += kd/breakpoints.h kd/breakpoints.c \
	kd/events.h kd/events.c \
	kd/stepping.h kd/stepping.c \
	kd/cmd_exec.c

check_PROGRAMS += tests/unit/test_breakpoints
tests_unit_test_breakpoints_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_breakpoints

KD_TESTS += tests/e2e/exec.sh
EXTRA_DIST += tests/e2e/exec.sh
EXTRA_DIST += tests/kdsim/scenarios/exec-e2e-x64.kds tests/kdsim/scenarios/exec-e2e-x86.kds
