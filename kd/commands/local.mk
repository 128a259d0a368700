# kd/commands/: the command table, command lines (; j .if) and one file per
# family of commands; they use the engine and the target interface only.
libkd_a_SOURCES += \
	kd/commands/command.h kd/commands/commands.c kd/commands/execute.c kd/commands/range.c \
	kd/commands/control.h kd/commands/control.c \
	kd/commands/exec.c \
	kd/commands/memory.c \
	kd/commands/registers.c kd/commands/register_display.h kd/commands/register_display.c \
	kd/commands/contexts.c kd/commands/threads.c kd/commands/evaluate.c \
	kd/commands/disasm.c \
	kd/commands/stack.c \
	kd/commands/symbols.c \
	kd/commands/dump.c kd/commands/dump_banner.h kd/commands/bugcodes.h kd/commands/bugcodes.c \
	kd/commands/klayout.h kd/commands/klayout.c kd/commands/klayout_rows.h kd/commands/kobjects.c \
	kd/commands/list.c kd/commands/search.c kd/commands/log.c kd/commands/walk.h kd/commands/walk.c kd/commands/io.c
