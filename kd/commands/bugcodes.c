/*
 * The bugcheck code table behind `!analyze -v` (see kd/commands/bugcodes.h).
 * Descriptions are short summaries written for kd.
 */
#include "kd/commands/bugcodes.h"

#include <stdio.h>
#include <stddef.h>

static const struct kd_bugcheck_info table[] = {
	{ 0x0a, "IRQL_NOT_LESS_OR_EQUAL",
	  "Kernel code touched pageable or invalid memory at an IRQL that was too\n"
	  "high (DISPATCH_LEVEL or above). The usual cause is a driver using a bad\n"
	  "pointer, or pageable data, while holding a spin lock or in a DPC.",
	  { "memory referenced", "IRQL", "bitfield :\n\tbit 0 : value 0 = read operation, 1 = write operation\n\tbit 3 : value 0 = not an execute operation, 1 = execute operation (only on chips which support this level of status)",
	    "address which referenced memory" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x19, "BAD_POOL_HEADER",
	  "A pool header is corrupt: something wrote outside its allocation or\n"
	  "freed a block twice.",
	  { "type of corruption", "depends on Arg1", "depends on Arg1", "depends on Arg1" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x1a, "MEMORY_MANAGEMENT",
	  "The memory manager found its own data structures inconsistent.",
	  { "type of violation", "depends on Arg1", "depends on Arg1", "depends on Arg1" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x1e, "KMODE_EXCEPTION_NOT_HANDLED",
	  "A kernel-mode exception was raised and no handler caught it. The\n"
	  "exception address usually names the faulting driver; note its\n"
	  "timestamp too.",
	  { "The exception code that was not handled", "The address that the exception occurred at",
	    "Parameter 0 of the exception", "Parameter 1 of the exception" }, KD_BC_CTX_NONE, 0, -1, 0 },
	{ 0x3b, "SYSTEM_SERVICE_EXCEPTION",
	  "An exception happened while a system service was running, on the\n"
	  "way from user mode into the kernel.",
	  { "Exception code that caused the BugCheck", "Address of the instruction which caused the BugCheck",
	    "Address of the context record for the exception that caused the BugCheck",
	    "zero" }, KD_BC_CTX_CXR, 2, -1, 0 },
	{ 0x44, "MULTIPLE_IRP_COMPLETE_REQUESTS",
	  "A driver completed an IRP that was already complete. Often two\n"
	  "drivers each believe they own the packet; the device objects of\n"
	  "the IRP's stack locations show which drivers were involved.",
	  { "Address of the IRP", NULL, NULL, NULL }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x50, "PAGE_FAULT_IN_NONPAGED_AREA",
	  "Invalid system memory was referenced. This cannot be protected by\n"
	  "try-except; it is usually a bad pointer or freed memory in a driver.",
	  { "memory referenced", "value 0 = read operation, 1 = write operation, 2 = execute, 10 = execute",
	    "If non-zero, the instruction address which referenced the bad memory address.",
	    "(reserved)" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x7e, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
	  "A system thread raised an exception that no handler caught. The\n"
	  "exception address usually pinpoints the driver and function at fault;\n"
	  "note it and the link date of the image that holds it.",
	  { "The exception code that was not handled", "The address that the exception occurred at",
	    "Exception Record Address", "Context Record Address" }, KD_BC_CTX_CXR, 3, 2, 0 },
	{ 0x7f, "UNEXPECTED_KERNEL_MODE_TRAP",
	  "The processor took a trap in kernel mode that the kernel does not\n"
	  "allow or cannot handle there: a double fault (often a kernel stack\n"
	  "overflow), a divide error, or a hardware problem.",
	  { "EXCEPTION_DOUBLE_FAULT or another trap number", NULL, NULL, NULL }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x8e, "KERNEL_MODE_EXCEPTION_NOT_HANDLED",
	  "A kernel-mode exception was not handled. The third argument is the\n"
	  "trap frame at the time of the exception.",
	  { "The exception code that was not handled", "The address that the exception occurred at",
	    "Trap Frame", NULL }, KD_BC_CTX_TRAP, 2, -1, 0 },
	{ 0x9f, "DRIVER_POWER_STATE_FAILURE",
	  "A driver kept a power IRP too long or left the device in an\n"
	  "inconsistent power state.",
	  { "subcode (3: a device object has been blocking an IRP for too long)",
	    "Physical Device Object of the stack", "Functional Device Object of the stack, or nt!TRIAGE_9F_POWER",
	    "The blocked IRP" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0xc2, "BAD_POOL_CALLER",
	  "The current thread made a bad pool request: a wrong size, pool type,\n"
	  "IRQL, or freeing memory it did not allocate or already freed.",
	  { "type of pool violation the caller is guilty of", "depends on Arg1", "depends on Arg1",
	    "depends on Arg1" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0xc5, "DRIVER_CORRUPTED_EXPOOL",
	  "Invalid pool memory was touched at a raised IRQL: a driver corrupted\n"
	  "the system pool. Special pool (driver verifier) can find the culprit.",
	  { "memory referenced", "IRQL", "value 0 = read operation, 1 = write operation",
	    "address which referenced memory" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0xd1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL",
	  "A driver touched pageable (or completely invalid) memory at an IRQL\n"
	  "that was too high. Typically a bad pointer or a pageable routine or\n"
	  "buffer used at DISPATCH_LEVEL or above.",
	  { "memory referenced", "IRQL", "value 0 = read operation, 1 = write operation",
	    "address which referenced memory" }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0xe2, "MANUALLY_INITIATED_CRASH",
	  "The user deliberately crashed the system (keyboard sequence or\n"
	  "debugger).",
	  { NULL, NULL, NULL, NULL }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0xef, "CRITICAL_PROCESS_DIED",
	  "A process or thread the system cannot run without has ended.",
	  { "Process object or thread object", "If this is 0, a process died. If this is 1, a thread died.",
	    NULL, NULL }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x101, "CLOCK_WATCHDOG_TIMEOUT",
	  "A processor did not take its clock interrupt within the allotted\n"
	  "time: it is hung, typically spinning with interrupts off or at a\n"
	  "high IRQL.",
	  { "Clock interrupt time-out interval in nominal clock ticks.", "0",
	    "The PRCB address of the hung processor.", "The index of the hung processor." }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x133, "DPC_WATCHDOG_VIOLATION",
	  "A DPC ran too long, or the processor spent too long at DISPATCH_LEVEL\n"
	  "or above in total.",
	  { "0: a single DPC or ISR exceeded its time allotment; 1: the system cumulatively spent too long at IRQL DISPATCH_LEVEL or above",
	    "The DPC time count (in ticks) or the watchdog time-out period", "The DPC time allotment (in ticks) or cast to nt!DPC_WATCHDOG_GLOBAL_TRIAGE_BLOCK",
	    NULL }, KD_BC_CTX_NONE, 0, -1, -1 },
	{ 0x139, "KERNEL_SECURITY_CHECK_FAILURE",
	  "The kernel detected corruption of a critical data structure (a\n"
	  "failed security check, such as a corrupted list entry or stack\n"
	  "cookie).",
	  { "Type of memory safety violation", "Address of the trap frame for the exception that caused the BugCheck",
	    "Address of the exception record for the exception that caused the BugCheck", "Reserved" },
	  KD_BC_CTX_TRAP, 1, 2, -1 },
};

const struct kd_bugcheck_info *kd_bugcheck_lookup(uint32_t code, char *name, unsigned namelen)
{
	int m = 0;
	if ((code & 0xf0000000u) == 0x10000000u) {
		m = 1;
		code &= 0x0fffffffu;
	}
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].code == code) {
			if (name && namelen)
				snprintf(name, namelen, "%s%s", table[i].name, m ? "_M" : "");
			return &table[i];
		}
	}
	if (name && namelen)
		snprintf(name, namelen, "Unknown bugcheck code (%x)", code);
	return NULL;
}

const char *kd_exception_code_name(uint32_t code)
{
	switch (code) {
	case 0xc0000005: return "Access violation";
	case 0x80000003: return "Break instruction exception";
	case 0x80000004: return "Single step exception";
	case 0x80000002: return "Datatype misalignment";
	case 0xc0000094: return "Integer divide-by-zero";
	case 0xc0000095: return "Integer overflow";
	case 0xc000001d: return "Illegal instruction";
	case 0xc0000096: return "Privileged instruction";
	case 0xc00000fd: return "Stack overflow";
	case 0xc0000409: return "Security check failure or stack buffer overrun";
	case 0xc0000006: return "In-page I/O error";
	case 0xc0000420: return "Assertion failure";
	default: return NULL;
	}
}
