# kd/dump*: crash dump files as targets (included by Makefile.am).
# Owns the dump parser and target, the dump writer, the page-table walks
# (arch/vtop*), the dump commands, and their tests and fuzz harness.
libkd_a_SOURCES += \
	arch/vtop.h arch/vtop.c \
	kd/dump_format.h \
	kd/dump_file.h kd/dump_file.c \
	kd/dump_target.h kd/dump_target.c

check_PROGRAMS += tests/unit/test_dump_triage
tests_unit_test_dump_triage_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_dump_triage

check_PROGRAMS += tests/unit/test_vtop
tests_unit_test_vtop_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_vtop
