# Kernel-object extensions (!process, !thread, !pcr, !prcb, !irql, !list)
# and the type layouts they read through.
libkd_a_SOURCES += kd/klayout.h kd/klayout.c kd/klayout_rows.h
libkd_a_SOURCES += kd/cmd_kobjects.c
KD_TESTS += tests/e2e/kobjects.sh
EXTRA_DIST += tests/e2e/kobjects.sh tests/kdsim/scenarios/kobjects-x64.kds tests/kdsim/scenarios/kobjects-x86.kds
