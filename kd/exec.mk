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

check_PROGRAMS += tests/fuzz/replay_bp_args
tests_fuzz_replay_bp_args_SOURCES = tests/fuzz/fuzz_bp_args.c tests/fuzz/replay_main.c
tests_fuzz_replay_bp_args_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"bp_args"'
tests_fuzz_replay_bp_args_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_bp_args
FUZZ_TARGETS += bp_args
EXTRA_DIST += tests/fuzz/corpus/bp_args/bp1 tests/fuzz/corpus/bp_args/ba1 tests/fuzz/corpus/bp_args/j1 \
	tests/fuzz/corpus/bp_args/ids1 tests/fuzz/corpus/bp_args/sx1 tests/fuzz/corpus/bp_args/w1
