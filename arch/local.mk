# arch: sources and tests of this area (included by Makefile.am).
# Also registers the expression evaluator, the register and disassembly
# commands (kd/expr.c, kd/cmd_registers.c, kd/cmd_disasm.c) and their tests.
libkd_a_SOURCES += \
	arch/regs.h arch/regs.c \
	kd/expr.h kd/expr.c

# The evaluator is tested on its own: the test supplies the few engine
# calls kd_eval makes, backed by a fake target.
check_PROGRAMS += tests/unit/test_expr
tests_unit_test_expr_SOURCES = tests/unit/test_expr.c kd/expr.c arch/regs.c
tests_unit_test_expr_LDADD = $(CMOCKA_LIBS)
KD_TESTS += tests/unit/test_expr
