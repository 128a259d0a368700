# kdsim execution: breakpoint APIs, single-stepping emulation, event scripts.
tests_kdsim_kdsim_SOURCES += tests/kdsim/emulate.c tests/kdsim/emulate.h \
	tests/kdsim/script.c tests/kdsim/script.h tests/kdsim/image_map.c tests/kdsim/image_map.h \
	tests/kdsim/run.c tests/kdsim/run.h tests/kdsim/read_file.c tests/kdsim/read_file.h

check_PROGRAMS += tests/unit/test_kdsim_emulate
tests_unit_test_kdsim_emulate_SOURCES = tests/unit/test_kdsim_emulate.c tests/kdsim/emulate.c \
	tests/kdsim/machine.c tests/kdsim/image_map.c tests/kdsim/script.c tests/kdsim/run.c \
	tests/kdsim/stub.c tests/kdsim/read_file.c
tests_unit_test_kdsim_emulate_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdsim_emulate

check_PROGRAMS += tests/fuzz/replay_kdsim_scenario
tests_fuzz_replay_kdsim_scenario_SOURCES = tests/fuzz/fuzz_kdsim_scenario.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdsim_scenario_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"kdsim_scenario"'
tests_fuzz_replay_kdsim_scenario_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_kdsim_scenario
FUZZ_TARGETS += kdsim_scenario
EXTRA_DIST += tests/kdsim/scenarios/exec-x64.kds tests/kdsim/scenarios/exec-x86.kds

check_PROGRAMS += tests/fuzz/replay_kdsim_stub
tests_fuzz_replay_kdsim_stub_SOURCES = tests/fuzz/fuzz_kdsim_stub.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdsim_stub_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"kdsim_stub"'
tests_fuzz_replay_kdsim_stub_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_kdsim_stub
FUZZ_TARGETS += kdsim_stub
