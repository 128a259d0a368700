/*
 * What the common bugcheck codes mean, for `!analyze -v`: the name from
 * bugcodes.h, a short description, what each of the four arguments holds,
 * and which argument (if any) leads to the context to debug.
 */
#ifndef KD_COMMANDS_BUGCODES_H
#define KD_COMMANDS_BUGCODES_H

#include <stdint.h>

enum kd_bugcheck_context {
	KD_BC_CTX_NONE,  /* STACK_COMMAND:  kb */
	KD_BC_CTX_CXR,   /* an argument is a CONTEXT record: .cxr ARG ; kb */
	KD_BC_CTX_TRAP,  /* an argument is a trap frame: .trap ARG ; kb */
};

struct kd_bugcheck_info {
	uint32_t code;
	const char *name;
	const char *description;  /* lines separated by '\n' */
	const char *args[4];      /* meaning of Arg1..Arg4, NULL when unused */
	enum kd_bugcheck_context context;
	int context_arg;          /* 0-based argument for .cxr / .trap */
	int exr_arg;              /* 0-based argument holding an EXCEPTION_RECORD, or -1 */
	int code_arg;             /* 0-based argument holding an exception code, or -1 */
};

/* The description of code (0x1000007e and friends resolve to 0x7e with
 * the name suffixed _M), or NULL when unknown. `name` receives the name. */
const struct kd_bugcheck_info *kd_bugcheck_lookup(uint32_t code, char *name, unsigned namelen);

/* "Access violation" and the like for common NTSTATUS exception codes. */
const char *kd_exception_code_name(uint32_t code);

#endif
