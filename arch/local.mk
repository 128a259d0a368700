# arch: sources and tests of this area (included by Makefile.am).
# Also registers the expression evaluator, the register and disassembly
# commands (kd/expr.c, kd/cmd_registers.c, kd/cmd_disasm.c) and their tests.
libkd_a_SOURCES += \
	arch/regs.h arch/regs.c \
	arch/frames.h arch/frames.c \
	arch/disasm.h arch/disasm.c \
	arch/pdata.h arch/pdata.c \
	kd/expr.h kd/expr.c \
	kd/cmd_registers.c kd/cmd_disasm.c

# The evaluator is tested on its own: the test supplies the few engine
# calls kd_eval makes, backed by a fake target.
check_PROGRAMS += tests/unit/test_expr
tests_unit_test_expr_SOURCES = tests/unit/test_expr.c kd/expr.c arch/regs.c
tests_unit_test_expr_LDADD = $(CMOCKA_LIBS)
KD_TESTS += tests/unit/test_expr

check_PROGRAMS += tests/unit/test_disasm
tests_unit_test_disasm_SOURCES = tests/unit/test_disasm.c arch/disasm.c arch/regs.c arch/pdata.c
tests_unit_test_disasm_LDADD = $(CAPSTONE_LIBS) $(CMOCKA_LIBS)
KD_TESTS += tests/unit/test_disasm

# The register and context commands through the real engine, on a fake
# target holding the seed transcripts' values (and the real triage dump).
check_PROGRAMS += tests/unit/test_regs
tests_unit_test_regs_SOURCES = tests/unit/test_regs.c
tests_unit_test_regs_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_regs

# Expressions, disassembly and record conversions under the fuzzer.
check_PROGRAMS += tests/fuzz/replay_expr
tests_fuzz_replay_expr_SOURCES = tests/fuzz/fuzz_expr.c tests/fuzz/replay_main.c
tests_fuzz_replay_expr_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"expr"'
tests_fuzz_replay_expr_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_expr
FUZZ_TARGETS += expr
EXTRA_DIST += tests/fuzz/corpus/expr

check_PROGRAMS += tests/unit/test_trap
tests_unit_test_trap_SOURCES = tests/unit/test_trap.c arch/frames.c
tests_unit_test_trap_LDADD = $(CMOCKA_LIBS)
KD_TESTS += tests/unit/test_trap
