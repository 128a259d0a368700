# kdsim execution: breakpoint APIs, single-stepping emulation, event scripts.
tests_kdsim_kdsim_SOURCES += tests/kdsim/emulate.c tests/kdsim/emulate.h \
	tests/kdsim/script.c tests/kdsim/script.h tests/kdsim/image_map.c tests/kdsim/image_map.h \
	tests/kdsim/run.c tests/kdsim/run.h
