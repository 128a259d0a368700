# tests/: the simulator kdsim, unit tests of the foundation and the
# transcript tests of kd against kdsim.
EXTRA_DIST += tests/run-tests

bin_PROGRAMS += tests/kdsim/kdsim
tests_kdsim_kdsim_SOURCES = tests/kdsim/kdsim.c tests/kdsim/machine.c tests/kdsim/machine.h \
	tests/kdsim/stub.c tests/kdsim/stub.h tests/kdsim/scenario.c tests/kdsim/scenario.h
tests_kdsim_kdsim_LDADD = $(KD_LIBS)

EXTRA_DIST += tests/e2e/lib.sh tests/e2e/attach.sh
KD_TESTS += tests/e2e/attach.sh

check_PROGRAMS += tests/faultproxy
tests_faultproxy_LDADD = $(UV_LIBS)
EXTRA_DIST += tests/e2e/faults.sh
KD_TESTS += tests/e2e/faults.sh

check_PROGRAMS += tests/unit/test_kdcom
tests_unit_test_kdcom_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdcom

check_PROGRAMS += tests/fuzz/replay_kdcom
tests_fuzz_replay_kdcom_SOURCES = tests/fuzz/fuzz_kdcom.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdcom_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"kdcom"'
tests_fuzz_replay_kdcom_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_kdcom
FUZZ_TARGETS += kdcom

EXTRA_DIST += tests/e2e/seeds.sh tests/e2e/seeds-x86.expected tests/e2e/seeds-x64.expected \
	tests/kdsim/scenarios/seeds-x86.kds tests/kdsim/scenarios/seeds-x64.kds
KD_TESTS += tests/e2e/seeds.sh

EXTRA_DIST += tests/e2e/kdfiles.sh
KD_TESTS += tests/e2e/kdfiles.sh
