# tests/unit/: cmocka programs, one per concern, linked against libkd
# (LDADD's default) unless they name their own sources.
UNIT_TESTS = \
	tests/unit/test_kdcom tests/unit/test_kdnet_key tests/unit/test_kdnet \
	tests/unit/test_kdnet_capture tests/unit/test_kdnet_link tests/unit/test_kdnet_replay \
	tests/unit/test_describe tests/unit/test_regs tests/unit/test_pdb tests/unit/test_pe \
	tests/unit/test_pdb_engine tests/unit/test_undname tests/unit/test_pdb_types \
	tests/unit/test_sympath tests/unit/test_pe_modlist tests/unit/test_dump_triage \
	tests/unit/test_vtop tests/unit/test_dump_synth tests/unit/test_dump_write \
	tests/unit/test_dump_cmds tests/unit/test_stack_x86 tests/unit/test_unwind_x64 \
	tests/unit/test_breakpoints tests/unit/test_execute tests/unit/test_kdsim_emulate \
	tests/unit/test_expr tests/unit/test_disasm tests/unit/test_trap
check_PROGRAMS += $(UNIT_TESTS)
KD_TESTS += $(UNIT_TESTS)

tests_unit_test_dump_synth_SOURCES = tests/unit/test_dump_synth.c tests/unit/test_dump_synth.h
tests_unit_test_dump_write_SOURCES = tests/unit/test_dump_write.c tests/unit/test_dump_synth.h
tests_unit_test_kdsim_emulate_SOURCES = tests/unit/test_kdsim_emulate.c $(KDSIM_CORE)

# Tested on their own, without the library: the evaluator with the few
# engine calls it makes faked by the test, disassembly, trap frames.
tests_unit_test_expr_SOURCES = tests/unit/test_expr.c kd/engine/expr.c arch/regs.c
tests_unit_test_expr_LDADD = $(CMOCKA_LIBS)
tests_unit_test_disasm_SOURCES = tests/unit/test_disasm.c arch/disasm.c arch/regs.c arch/pdata.c
tests_unit_test_disasm_LDADD = $(CAPSTONE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_trap_SOURCES = tests/unit/test_trap.c arch/frames.c
tests_unit_test_trap_LDADD = $(CMOCKA_LIBS)
