# tests/fuzz/: libFuzzer harnesses; `make check` replays their corpora.
# A harness NAME is tests/fuzz/fuzz_NAME.c with its corpus in
# tests/fuzz/corpus/NAME/; the area that owns the parser adds, in its own
# local.mk:
#   check_PROGRAMS += tests/fuzz/replay_NAME
#   tests_fuzz_replay_NAME_SOURCES = tests/fuzz/fuzz_NAME.c tests/fuzz/replay_main.c
#   tests_fuzz_replay_NAME_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"NAME"'
#   tests_fuzz_replay_NAME_LDADD = $(KD_LIBS)
#   KD_TESTS += tests/fuzz/replay_NAME
#   FUZZ_TARGETS += NAME
EXTRA_DIST += tests/fuzz/run-fuzz tests/fuzz/replay_main.c
