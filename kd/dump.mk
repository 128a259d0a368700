# kd/dump*: crash dump files as targets (included by Makefile.am).
# Owns the dump parser and target, the dump writer, the page-table walks
# (arch/vtop*), the dump commands, and their tests and fuzz harness.
libkd_a_SOURCES += \
	arch/vtop.h arch/vtop.c \
	kd/dump_format.h \
	kd/dump_file.h kd/dump_file.c \
	kd/dump_target.h kd/dump_target.c \
	kd/dump_write.h kd/dump_write.c \
	kd/dump_bugcodes.h kd/dump_bugcodes.c \
	kd/dump_banner.h \
	kd/cmd_dump.c

check_PROGRAMS += tests/unit/test_dump_triage
tests_unit_test_dump_triage_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_dump_triage

check_PROGRAMS += tests/unit/test_vtop
tests_unit_test_vtop_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_vtop

check_PROGRAMS += tests/unit/test_dump_synth
tests_unit_test_dump_synth_SOURCES = tests/unit/test_dump_synth.c tests/unit/test_dump_synth.h
tests_unit_test_dump_synth_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_dump_synth

check_PROGRAMS += tests/fuzz/replay_dump
tests_fuzz_replay_dump_SOURCES = tests/fuzz/fuzz_dump.c tests/fuzz/replay_main.c
tests_fuzz_replay_dump_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"dump"'
tests_fuzz_replay_dump_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_dump
FUZZ_TARGETS += dump

check_PROGRAMS += tests/unit/test_dump_write
tests_unit_test_dump_write_SOURCES = tests/unit/test_dump_write.c tests/unit/test_dump_synth.h
tests_unit_test_dump_write_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_dump_write

check_PROGRAMS += tests/unit/test_dump_cmds
tests_unit_test_dump_cmds_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_dump_cmds

EXTRA_DIST += tests/e2e/dump.sh
KD_TESTS += tests/e2e/dump.sh
