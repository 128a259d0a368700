# kd/dump*: crash dump files as targets (included by Makefile.am).
