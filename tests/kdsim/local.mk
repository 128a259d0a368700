# tests/kdsim/: the simulated Windows kernel kd's live tests run against.
# KDSIM_CORE is the machine without its main, for tests that drive it.
KDSIM_CORE = \
	tests/kdsim/machine.c tests/kdsim/machine.h \
	tests/kdsim/stub.c tests/kdsim/stub.h \
	tests/kdsim/emulate.c tests/kdsim/emulate.h \
	tests/kdsim/script.c tests/kdsim/script.h \
	tests/kdsim/image_map.c tests/kdsim/image_map.h \
	tests/kdsim/run.c tests/kdsim/run.h

bin_PROGRAMS += tests/kdsim/kdsim
tests_kdsim_kdsim_SOURCES = tests/kdsim/kdsim.c $(KDSIM_CORE) \
	tests/kdsim/scenario.c tests/kdsim/scenario.h \
	tests/kdsim/chain_x86.c tests/kdsim/chain_x86.h \
	tests/kdsim/chain_x64.c tests/kdsim/chain_x64.h
tests_kdsim_kdsim_LDADD = $(KD_LIBS)

EXTRA_DIST += tests/kdsim/scenarios
