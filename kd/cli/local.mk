# kd/cli/: the kd program — options, attaching, the REPL.
bin_PROGRAMS += kd/kd
kd_kd_SOURCES = kd/cli/main.c
kd_kd_LDADD = $(KD_LIBS) $(READLINE_LIBS)
