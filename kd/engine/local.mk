# kd/engine/: the engine object and the target interface it drives; the
# memory cache, context stack and modules (engine.c), execution control
# over the target (stepping.c), breakpoints and events, expressions,
# stacks, kernel threads and processes, and each module's symbols.
libkd_a_SOURCES += \
	kd/engine/engine.h kd/engine/engine.c \
	kd/engine/target.h \
	kd/engine/breakpoints.h kd/engine/breakpoints.c \
	kd/engine/events.h kd/engine/events.c \
	kd/engine/run_control.h kd/engine/run_control.c \
	kd/engine/target_log.h kd/engine/target_log.c \
	kd/engine/stepping.h kd/engine/stepping.c \
	kd/engine/expr.h kd/engine/expr.c \
	kd/engine/stack.h kd/engine/stack.c kd/engine/stack_x86.c kd/engine/stack_x64.c \
	kd/engine/kthread.h kd/engine/kthread.c kd/engine/kthread_layouts.h \
	kd/engine/x86_tss.h kd/engine/x86_tss.c \
	kd/engine/symbols.h kd/engine/symbols.c \
	kd/engine/modlist.h kd/engine/modlist.c
