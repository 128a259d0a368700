# symbols/: MSF/PDB, PE images, types, undecoration, the symbol path and
# the symbol server; a format library that knows nothing of the engine.
libkd_a_SOURCES += \
	symbols/msf.h symbols/msf.c \
	symbols/pdb.h symbols/pdb.c \
	symbols/pe.h symbols/pe.c \
	symbols/sympath.h symbols/sympath.c \
	symbols/symsrv.h symbols/symsrv.c \
	symbols/undname.h symbols/undname.c \
	symbols/types.h symbols/types.c
