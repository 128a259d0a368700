# x64 unwinding from .pdata/.xdata, and kdsim call chains through real images.
libkd_a_SOURCES += arch/unwind_x64.h arch/unwind_x64.c kd/stack_x64.c

check_PROGRAMS += tests/unit/test_unwind_x64
tests_unit_test_unwind_x64_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_unwind_x64

# kdsim: x64 call chains through real images (chain64 scenario directive).
tests_kdsim_kdsim_SOURCES += tests/kdsim/chain_x64.c tests/kdsim/chain_x64.h

KD_TESTS += tests/e2e/stack-x64.sh
EXTRA_DIST += tests/e2e/stack-x64.sh

check_PROGRAMS += tests/fuzz/replay_unwind_x64
tests_fuzz_replay_unwind_x64_SOURCES = tests/fuzz/fuzz_unwind_x64.c tests/fuzz/replay_main.c
tests_fuzz_replay_unwind_x64_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"unwind_x64"'
tests_fuzz_replay_unwind_x64_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_unwind_x64
FUZZ_TARGETS += unwind_x64
EXTRA_DIST += tests/fuzz/corpus/unwind_x64
