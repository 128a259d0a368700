# symbols: sources and tests of this area (included by Makefile.am).
libkd_a_SOURCES += \
	symbols/msf.h symbols/msf.c \
	symbols/pdb.h symbols/pdb.c \
	symbols/pe.h symbols/pe.c \
	symbols/sympath.h symbols/sympath.c \
	symbols/symsrv.h symbols/symsrv.c \
	symbols/undname.h symbols/undname.c \
	symbols/types.h symbols/types.c \
	symbols/modlist.h symbols/modlist.c \
	symbols/symbols.h symbols/symbols.c \
	kd/cmd_symbols.c \
	kd/image_target.h kd/image_target.c

check_PROGRAMS += tests/unit/test_pdb
tests_unit_test_pdb_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_pdb

check_PROGRAMS += tests/unit/test_pe
tests_unit_test_pe_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_pe

check_PROGRAMS += tests/fuzz/replay_pdb tests/fuzz/replay_pe
tests_fuzz_replay_pdb_SOURCES = tests/fuzz/fuzz_pdb.c tests/fuzz/replay_main.c
tests_fuzz_replay_pdb_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"pdb"'
tests_fuzz_replay_pdb_LDADD = $(KD_LIBS)
tests_fuzz_replay_pe_SOURCES = tests/fuzz/fuzz_pe.c tests/fuzz/replay_main.c
tests_fuzz_replay_pe_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"pe"'
tests_fuzz_replay_pe_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_pdb tests/fuzz/replay_pe
FUZZ_TARGETS += pdb pe

check_PROGRAMS += tests/unit/test_pdb_engine
tests_unit_test_pdb_engine_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_pdb_engine

check_PROGRAMS += tests/unit/test_undname
tests_unit_test_undname_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_undname

check_PROGRAMS += tests/unit/test_pdb_types
tests_unit_test_pdb_types_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_pdb_types

check_PROGRAMS += tests/unit/test_sympath
tests_unit_test_sympath_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_sympath

# bench/symbols: `sh bench/symbols/run.sh` in a build directory after
# `make bench/symbols/bench_symbols` (built by make check; needs clang-cl-14, lld-link-14,
# llvm-symbolizer-14).
check_PROGRAMS += bench/symbols/bench_symbols
bench_symbols_bench_symbols_LDADD = $(KD_LIBS)
EXTRA_DIST += bench/symbols/run.sh bench/symbols/gen.py

KD_TESTS += tests/e2e/symbols.sh
EXTRA_DIST += tests/e2e/symbols.sh

check_PROGRAMS += tests/unit/test_pe_modlist
tests_unit_test_pe_modlist_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_pe_modlist
