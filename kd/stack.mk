# Stack walking and the k family (x86 walker, generic walk, commands).
libkd_a_SOURCES += kd/stack.h kd/stack.c kd/stack_x86.c kd/cmd_stack.c

# kdsim: x86 call chains through real images (chain86 scenario directive).
tests_kdsim_kdsim_SOURCES += tests/kdsim/chain_x86.c tests/kdsim/chain_x86.h

check_PROGRAMS += tests/unit/test_stack_x86
tests_unit_test_stack_x86_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_stack_x86

check_PROGRAMS += tests/fuzz/replay_framedata
tests_fuzz_replay_framedata_SOURCES = tests/fuzz/fuzz_framedata.c tests/fuzz/replay_main.c
tests_fuzz_replay_framedata_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"framedata"'
tests_fuzz_replay_framedata_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_framedata
FUZZ_TARGETS += framedata

KD_TESTS += tests/e2e/stack-x86.sh
EXTRA_DIST += tests/e2e/stack-x86.sh tests/kdsim/scenarios/stack-k-eq.kds \
	tests/kdsim/scenarios/stack-seeds-x86.kds
