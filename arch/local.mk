# arch/: x86 and x64 register contexts, trap frames and TSS, register
# tables, disassembly, page-table walks, .pdata and the two unwinders
# (x64 unwind codes, x86 FPO/FrameData programs).
libkd_a_SOURCES += \
	arch/context.h \
	arch/regs.h arch/regs.c \
	arch/frames.h arch/frames.c \
	arch/disasm.h arch/disasm.c \
	arch/pdata.h arch/pdata.c \
	arch/vtop.h arch/vtop.c \
	arch/unwind_x64.h arch/unwind_x64.c \
	arch/framedata_x86.h arch/framedata_x86.c
