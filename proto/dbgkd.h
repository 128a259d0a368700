/*
 * DBGKD messages carried inside KD packets: manipulate-state requests and
 * replies, state changes, debug I/O and file I/O.
 *
 * Layouts and numbers are the public ones of windbgkd.h (64-bit forms, as
 * every target since Windows XP speaks them). The structures below are the
 * exact wire images: explicit padding, checked sizes, little-endian fields
 * (kd runs on little-endian hosts only; configure would need a byte-swap
 * layer for anything else).
 */
#ifndef KD_PROTO_DBGKD_H
#define KD_PROTO_DBGKD_H

#include <stddef.h>
#include <stdint.h>

/* Manipulate-state API numbers (DbgKd...Api). */
enum dbgkd_api {
	DbgKdReadVirtualMemoryApi = 0x3130,
	DbgKdWriteVirtualMemoryApi = 0x3131,
	DbgKdGetContextApi = 0x3132,
	DbgKdSetContextApi = 0x3133,
	DbgKdWriteBreakPointApi = 0x3134,
	DbgKdRestoreBreakPointApi = 0x3135,
	DbgKdContinueApi = 0x3136,
	DbgKdReadControlSpaceApi = 0x3137,
	DbgKdWriteControlSpaceApi = 0x3138,
	DbgKdReadIoSpaceApi = 0x3139,
	DbgKdWriteIoSpaceApi = 0x313a,
	DbgKdRebootApi = 0x313b,
	DbgKdContinueApi2 = 0x313c,
	DbgKdReadPhysicalMemoryApi = 0x313d,
	DbgKdWritePhysicalMemoryApi = 0x313e,
	DbgKdQuerySpecialCallsApi = 0x313f,
	DbgKdSetSpecialCallApi = 0x3140,
	DbgKdClearSpecialCallsApi = 0x3141,
	DbgKdSetInternalBreakPointApi = 0x3142,
	DbgKdGetInternalBreakPointApi = 0x3143,
	DbgKdReadIoSpaceExtendedApi = 0x3144,
	DbgKdWriteIoSpaceExtendedApi = 0x3145,
	DbgKdGetVersionApi = 0x3146,
	DbgKdWriteBreakPointExApi = 0x3147,
	DbgKdRestoreBreakPointExApi = 0x3148,
	DbgKdCauseBugCheckApi = 0x3149,
	DbgKdSwitchProcessor = 0x3150,
	DbgKdPageInApi = 0x3151,
	DbgKdReadMachineSpecificRegister = 0x3152,
	DbgKdWriteMachineSpecificRegister = 0x3153,
	OldVlm1 = 0x3154,
	OldVlm2 = 0x3155,
	DbgKdSearchMemoryApi = 0x3156,
	DbgKdGetBusDataApi = 0x3157,
	DbgKdSetBusDataApi = 0x3158,
	DbgKdCheckLowMemoryApi = 0x3159,
	DbgKdClearAllInternalBreakpointsApi = 0x315a,
	DbgKdFillMemoryApi = 0x315b,
	DbgKdQueryMemoryApi = 0x315c,
	DbgKdSwitchPartition = 0x315d,
	DbgKdWriteCustomBreakpointApi = 0x315e,
	DbgKdGetContextExApi = 0x315f,
	DbgKdSetContextExApi = 0x3160,
	DbgKdMaximumManipulate = 0x3161,
};

/* State-change kinds (NewState). */
enum dbgkd_state {
	DbgKdExceptionStateChange = 0x3030,
	DbgKdLoadSymbolsStateChange = 0x3031,
	DbgKdCommandStringStateChange = 0x3032,
	DbgKdMaximumStateChange = 0x3033,
};

/* Debug I/O API numbers. */
enum dbgkd_debug_io_api {
	DbgKdPrintStringApi = 0x3230,
	DbgKdGetStringApi = 0x3231,
};

/* File I/O API numbers. */
enum dbgkd_file_io_api {
	DbgKdCreateFileApi = 0x3430,
	DbgKdReadFileApi = 0x3431,
	DbgKdWriteFileApi = 0x3432,
	DbgKdCloseFileApi = 0x3433,
};

/* NTSTATUS values the protocol uses. */
#define KD_STATUS_SUCCESS 0x00000000u
#define KD_STATUS_UNSUCCESSFUL 0xc0000001u
#define KD_STATUS_NO_SUCH_FILE 0xc000000fu
#define KD_STATUS_BREAKPOINT 0x80000003u
#define KD_STATUS_SINGLE_STEP 0x80000004u
#define KD_STATUS_ACCESS_VIOLATION 0xc0000005u
#define KD_DBG_CONTINUE 0x00010002u
#define KD_DBG_EXCEPTION_HANDLED 0x00010001u

/* DBGKD_GET_VERSION64.Flags */
#define DBGKD_VERS_FLAG_MP 0x0001
#define DBGKD_VERS_FLAG_DATA 0x0002
#define DBGKD_VERS_FLAG_PTR64 0x0004
#define DBGKD_VERS_FLAG_NOMM 0x0008
#define DBGKD_VERS_FLAG_HSS 0x0010
#define DBGKD_VERS_FLAG_PARTITIONS 0x0020

struct dbgkd_read_memory64 {
	uint64_t TargetBaseAddress;
	uint32_t TransferCount;
	uint32_t ActualBytesRead;
};

struct dbgkd_write_memory64 {
	uint64_t TargetBaseAddress;
	uint32_t TransferCount;
	uint32_t ActualBytesWritten;
};

struct dbgkd_get_version64 {
	uint16_t MajorVersion; /* 0xf free build, 0xc checked */
	uint16_t MinorVersion; /* the OS build number */
	uint8_t ProtocolVersion;
	uint8_t KdSecondaryVersion;
	uint16_t Flags;
	uint16_t MachineType;
	uint8_t MaxPacketType;
	uint8_t MaxStateChange;
	uint8_t MaxManipulate;
	uint8_t Simulation;
	uint16_t Unused;
	uint64_t KernBase;
	uint64_t PsLoadedModuleList;
	uint64_t DebuggerDataList;
};

struct dbgkd_write_breakpoint64 {
	uint64_t BreakPointAddress;
	uint32_t BreakPointHandle;
	uint32_t Pad;
};

struct dbgkd_restore_breakpoint {
	uint32_t BreakPointHandle;
};

struct dbgkd_continue {
	uint32_t ContinueStatus;
};

/* The x86 and x64 control sets of DBGKD_CONTINUE2 (x64's is 4-packed). */
struct dbgkd_x86_control_set {
	uint32_t TraceFlag, Dr7, CurrentSymbolStart, CurrentSymbolEnd;
};

#pragma pack(push, 4)
struct dbgkd_amd64_control_set {
	uint32_t TraceFlag;
	uint64_t Dr7;
	uint64_t CurrentSymbolStart;
	uint64_t CurrentSymbolEnd;
};

struct dbgkd_continue2 {
	uint32_t ContinueStatus;
	union {
		struct dbgkd_x86_control_set X86ControlSet;
		struct dbgkd_amd64_control_set Amd64ControlSet;
		uint8_t Reserved[32]; /* room for every architecture's set */
	} u;
};
#pragma pack(pop)

struct dbgkd_context_ex {
	uint32_t Offset, ByteCount, BytesCopied;
};

struct dbgkd_query_memory {
	uint64_t Address, Reserved;
	uint32_t AddressSpace, Flags;
};

struct dbgkd_read_write_msr {
	uint32_t Msr, DataValueLow, DataValueHigh;
};

/* DBGKD_MANIPULATE_STATE64: 0x38 bytes, then the request's extra data. */
struct dbgkd_manipulate_state64 {
	uint32_t ApiNumber;
	uint16_t ProcessorLevel;
	uint16_t Processor;
	uint32_t ReturnStatus;
	uint32_t Pad;
	union {
		struct dbgkd_read_memory64 ReadMemory;
		struct dbgkd_write_memory64 WriteMemory;
		struct dbgkd_get_version64 GetVersion64;
		struct dbgkd_write_breakpoint64 WriteBreakPoint;
		struct dbgkd_restore_breakpoint RestoreBreakPoint;
		struct dbgkd_continue Continue;
		struct dbgkd_continue2 Continue2;
		struct dbgkd_context_ex ContextEx;
		struct dbgkd_query_memory QueryMemory;
		struct dbgkd_read_write_msr ReadWriteMsr;
		uint8_t Raw[40];
	} u;
};

/* EXCEPTION_RECORD64 */
struct dbgkd_exception_record64 {
	uint32_t ExceptionCode;
	uint32_t ExceptionFlags;
	uint64_t ExceptionRecord;
	uint64_t ExceptionAddress;
	uint32_t NumberParameters;
	uint32_t UnusedAlignment;
	uint64_t ExceptionInformation[15];
};

struct dbgkm_exception64 {
	struct dbgkd_exception_record64 ExceptionRecord;
	uint32_t FirstChance;
	uint32_t Pad;
};

struct dbgkd_load_symbols64 {
	uint32_t PathNameLength;
	uint32_t Pad;
	uint64_t BaseOfDll;
	uint64_t ProcessId;
	uint32_t CheckSum;
	uint32_t SizeOfImage;
	uint8_t UnloadSymbols;
	uint8_t Pad2[7];
};

struct dbgkd_command_string {
	uint32_t Flags;
	uint32_t Reserved1;
	uint64_t Reserved2[7];
};

struct dbgkd_x86_control_report {
	uint32_t Dr6, Dr7;
	uint16_t InstructionCount, ReportFlags;
	uint8_t InstructionStream[16];
	uint16_t SegCs, SegDs, SegEs, SegFs;
	uint32_t EFlags;
};

struct dbgkd_amd64_control_report {
	uint64_t Dr6, Dr7;
	uint32_t EFlags;
	uint16_t InstructionCount, ReportFlags;
	uint8_t InstructionStream[16];
	uint16_t SegCs, SegDs, SegEs, SegFs;
};

/* DBGKD_ANY_WAIT_STATE_CHANGE, fixed part (the control report union is
 * followed by padding up to the size the target sends; see
 * DBGKD_STATE_CHANGE64_SIZE). */
struct dbgkd_wait_state_change64 {
	uint32_t NewState;
	uint16_t ProcessorLevel;
	uint16_t Processor;
	uint32_t NumberProcessors;
	uint32_t Pad;
	uint64_t Thread;
	uint64_t ProgramCounter;
	union {
		struct dbgkm_exception64 Exception;
		struct dbgkd_load_symbols64 LoadSymbols;
		struct dbgkd_command_string CommandString;
	} u;
	union {
		struct dbgkd_x86_control_report X86;
		struct dbgkd_amd64_control_report Amd64;
	} ControlReport;
};

/* DBGKD_DEBUG_IO: the print or prompt text follows the 16-byte header
 * (checked against the real capture: a 30-byte DbgPrint has ByteCount 46). */
struct dbgkd_print_string {
	uint32_t LengthOfString;
};

struct dbgkd_get_string {
	uint32_t LengthOfPromptString;
	uint32_t LengthOfStringRead;
};

struct dbgkd_debug_io {
	uint32_t ApiNumber;
	uint16_t ProcessorLevel;
	uint16_t Processor;
	union {
		struct dbgkd_print_string PrintString;
		struct dbgkd_get_string GetString;
	} u;
};

/* DBGKD_FILE_IO: a create request is followed by the UTF-16 file name. */
struct dbgkd_create_file {
	uint32_t DesiredAccess, FileAttributes, ShareAccess, CreateDisposition, CreateOptions;
	uint32_t Pad;
	uint64_t Handle;
	uint64_t Length;
};

struct dbgkd_read_write_file {
	uint64_t Handle;
	uint64_t Offset;
	uint32_t Length;
	uint32_t Pad;
};

struct dbgkd_close_file {
	uint64_t Handle;
};

struct dbgkd_file_io {
	uint32_t ApiNumber;
	uint32_t Status;
	union {
		uint64_t ReserveSpace[7];
		struct dbgkd_create_file CreateFile;
		struct dbgkd_read_write_file ReadFile;
		struct dbgkd_read_write_file WriteFile;
		struct dbgkd_close_file CloseFile;
	} u;
};

_Static_assert(sizeof(struct dbgkd_manipulate_state64) == 0x38, "DBGKD_MANIPULATE_STATE64 is 0x38 bytes");
_Static_assert(offsetof(struct dbgkd_wait_state_change64, u) == 0x20, "state change union at 0x20");
_Static_assert(sizeof(struct dbgkm_exception64) == 0xa0, "DBGKM_EXCEPTION64 is 0xa0 bytes");
_Static_assert(offsetof(struct dbgkd_wait_state_change64, ControlReport) == 0xc0, "control report at 0xc0");
_Static_assert(sizeof(struct dbgkd_debug_io) == 0x10, "DBGKD_DEBUG_IO is 0x10 bytes");
_Static_assert(sizeof(struct dbgkd_wait_state_change64) == 0xf0, "DBGKD_ANY_WAIT_STATE_CHANGE is 0xf0 bytes");
_Static_assert(sizeof(struct dbgkd_file_io) == 0x40, "DBGKD_FILE_IO is 0x40 bytes");

/* Name of a manipulate, state-change, debug-I/O or file-I/O API number as
 * windbgkd.h spells it ("DbgKdReadVirtualMemoryApi"), NULL when unknown. */
const char *dbgkd_api_name(uint32_t api);

#endif
