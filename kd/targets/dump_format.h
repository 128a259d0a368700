/*
 * The on-disk layout of Windows kernel crash dumps: byte offsets of the
 * DUMP_HEADER32 ("PAGEDUMP", 0x1000 bytes) and DUMP_HEADER64 ("PAGEDU64",
 * 0x2000 bytes) fields, the bitmap ("SDMP"/"FDMP") summary header, the
 * TRIAGE_DUMP32/64 header and its records, EXCEPTION_RECORD32/64 and the
 * public part of KDDEBUGGER_DATA64 the dump target uses. Public layouts as
 * documented by ReactOS, Volatility, rekall and rizin; everything is read
 * little-endian through offsets, never by casting file bytes.
 */
#ifndef KD_TARGETS_DUMP_FORMAT_H
#define KD_TARGETS_DUMP_FORMAT_H

#define KD_DUMP_PAGE 0x1000u

/* DumpType */
enum {
	KD_DUMP_TYPE_FULL = 1,
	KD_DUMP_TYPE_SUMMARY = 2,
	KD_DUMP_TYPE_HEADER = 3,
	KD_DUMP_TYPE_TRIAGE = 4,
	KD_DUMP_TYPE_BITMAP_FULL = 5,
	KD_DUMP_TYPE_BITMAP_KERNEL = 6,
	KD_DUMP_TYPE_AUTOMATIC = 7,
};

/* DUMP_HEADER32 */
#define DH32_SIZE                 0x1000u
#define DH32_MAJOR                0x008
#define DH32_MINOR                0x00c
#define DH32_DTB                  0x010
#define DH32_PFN_DATABASE         0x014
#define DH32_PS_LOADED_MODULES    0x018
#define DH32_PS_ACTIVE_PROCESSES  0x01c
#define DH32_MACHINE              0x020
#define DH32_NPROC                0x024
#define DH32_BUGCHECK             0x028 /* code, then four ULONG args */
#define DH32_VERSION_USER         0x03c
#define DH32_PAE                  0x05c
#define DH32_KD_SECONDARY         0x05d
#define DH32_KDDEBUGGER_DATA      0x060
#define DH32_PHYS_BLOCK           0x064 /* NumberOfRuns, NumberOfPages, {Base, Count}[] */
#define DH32_PHYS_BLOCK_SIZE      700u
#define DH32_CONTEXT              0x320
#define DH32_CONTEXT_SIZE         1200u
#define DH32_EXCEPTION            0x7d0
#define DH32_COMMENT              0x820
#define DH32_DUMP_TYPE            0xf88
#define DH32_MINIDUMP_FIELDS      0xf8c
#define DH32_SECONDARY_STATE      0xf90
#define DH32_PRODUCT_TYPE         0xf94
#define DH32_SUITE_MASK           0xf98
#define DH32_WRITER_STATUS        0xf9c
#define DH32_REQUIRED_SPACE       0xfa0
#define DH32_SYSTEM_UPTIME        0xfb8
#define DH32_SYSTEM_TIME          0xfc0

/* DUMP_HEADER64 */
#define DH64_SIZE                 0x2000u
#define DH64_MAJOR                0x008
#define DH64_MINOR                0x00c
#define DH64_DTB                  0x010
#define DH64_PFN_DATABASE         0x018
#define DH64_PS_LOADED_MODULES    0x020
#define DH64_PS_ACTIVE_PROCESSES  0x028
#define DH64_MACHINE              0x030
#define DH64_NPROC                0x034
#define DH64_BUGCHECK_CODE        0x038
#define DH64_BUGCHECK_ARGS        0x040
#define DH64_VERSION_USER         0x060
#define DH64_KDDEBUGGER_DATA      0x080
#define DH64_PHYS_BLOCK           0x088 /* NumberOfRuns, pad, NumberOfPages, {Base, Count}[] */
#define DH64_PHYS_BLOCK_SIZE      700u
#define DH64_CONTEXT              0x348
#define DH64_CONTEXT_SIZE         3000u
#define DH64_EXCEPTION            0xf00
#define DH64_DUMP_TYPE            0xf98
#define DH64_REQUIRED_SPACE       0xfa0
#define DH64_SYSTEM_TIME          0xfa8
#define DH64_COMMENT              0xfb0
#define DH64_SYSTEM_UPTIME        0x1030
#define DH64_MINIDUMP_FIELDS      0x1038
#define DH64_SECONDARY_STATE      0x103c
#define DH64_PRODUCT_TYPE         0x1040
#define DH64_SUITE_MASK           0x1044
#define DH64_WRITER_STATUS        0x1048
#define DH64_KD_SECONDARY         0x104d
#define DH64_ATTRIBUTES           0x1050
#define DH64_BOOT_ID              0x1054

#define DH_COMMENT_SIZE           128u

/* Bitmap dumps: the summary header right after DUMP_HEADER64. */
#define BMP64_FIRST_PAGE          0x20  /* file offset of the first page */
#define BMP64_PRESENT_PAGES       0x28
#define BMP64_BITS                0x30  /* pages the bitmap describes */
#define BMP64_BITMAP              0x38
/* The 32-bit summary header (after DUMP_HEADER32). */
#define BMP32_HEADER_SIZE         0x0c  /* file offset of the first page */
#define BMP32_BITS                0x10
#define BMP32_PAGES               0x14
#define BMP32_BITMAP              0x20

/* TRIAGE_DUMP32/64 (right after the dump header); offsets are file offsets. */
#define TD_SIZE_OF_DUMP           0x04
#define TD_VALID_OFFSET           0x08
#define TD_CONTEXT_OFFSET         0x0c
#define TD_EXCEPTION_OFFSET       0x10
#define TD_MM_OFFSET              0x14
#define TD_UNLOADED_OFFSET        0x18
#define TD_PRCB_OFFSET            0x1c
#define TD_PROCESS_OFFSET         0x20
#define TD_THREAD_OFFSET          0x24
#define TD_CALLSTACK_OFFSET       0x28
#define TD_CALLSTACK_SIZE         0x2c
#define TD_DRIVER_LIST_OFFSET     0x30
#define TD_DRIVER_COUNT           0x34
#define TD_STRING_POOL_OFFSET     0x38
#define TD_STRING_POOL_SIZE       0x3c
#define TD_BROKEN_DRIVER_OFFSET   0x40
#define TD_TRIAGE_OPTIONS         0x44
#define TD64_TOP_OF_STACK         0x48
#define TD64_DATA_PAGE_ADDRESS    0x60
#define TD64_DATA_PAGE_OFFSET     0x68
#define TD64_DATA_PAGE_SIZE       0x6c
#define TD64_DEBUGGER_DATA_OFFSET 0x70
#define TD64_DEBUGGER_DATA_SIZE   0x74
#define TD64_DATA_BLOCKS_OFFSET   0x78
#define TD64_DATA_BLOCKS_COUNT    0x7c
#define TD64_SIZE                 0x80
#define TD32_TOP_OF_STACK         0x48
#define TD32_DATA_PAGE_ADDRESS    0x4c
#define TD32_DATA_PAGE_OFFSET     0x50
#define TD32_DATA_PAGE_SIZE       0x54
#define TD32_DEBUGGER_DATA_OFFSET 0x58
#define TD32_DEBUGGER_DATA_SIZE   0x5c
#define TD32_DATA_BLOCKS_OFFSET   0x60
#define TD32_DATA_BLOCKS_COUNT    0x64
#define TD32_SIZE                 0x68
/* TRIAGE_DATA_BLOCK: address, file offset, size. */
#define TD64_BLOCK_SIZE           16u
#define TD32_BLOCK_SIZE           12u
/* DUMP_DRIVER_ENTRY: name offset (DUMP_STRING: ULONG length in WCHARs,
 * then the characters), then a KLDR_DATA_TABLE_ENTRY copy. */
#define TD64_DRIVER_SIZE          0x90u
#define TD64_DRIVER_LDR           0x08
#define TD32_DRIVER_SIZE          0x4cu
#define TD32_DRIVER_LDR           0x04

/* KLDR_DATA_TABLE_ENTRY (public part). */
#define LDR64_DLL_BASE            0x30
#define LDR64_SIZE_OF_IMAGE       0x40
#define LDR64_FULL_NAME           0x48 /* UNICODE_STRING64 */
#define LDR64_BASE_NAME           0x58
#define LDR64_CHECKSUM            0x78
#define LDR64_TIMESTAMP           0x80
#define LDR64_SIZE                0x88u
#define LDR32_DLL_BASE            0x18
#define LDR32_SIZE_OF_IMAGE       0x20
#define LDR32_FULL_NAME           0x24 /* UNICODE_STRING32 */
#define LDR32_BASE_NAME           0x2c
#define LDR32_CHECKSUM            0x40
#define LDR32_TIMESTAMP           0x44
#define LDR32_SIZE                0x48u

/* EXCEPTION_RECORD64 / EXCEPTION_RECORD32 */
#define ER64_CODE                 0x00
#define ER64_FLAGS                0x04
#define ER64_RECORD               0x08
#define ER64_ADDRESS              0x10
#define ER64_NPARAMS              0x18
#define ER64_PARAMS               0x20
#define ER64_SIZE                 0x98u
#define ER32_CODE                 0x00
#define ER32_FLAGS                0x04
#define ER32_RECORD               0x08
#define ER32_ADDRESS              0x0c
#define ER32_NPARAMS              0x10
#define ER32_PARAMS               0x14
#define ER32_SIZE                 0x50u

/* KDDEBUGGER_DATA64 (wdbgexts.h), the fields used here. */
#define KDBG_TAG                  0x10 /* "KDBG" */
#define KDBG_SIZE_FIELD           0x14
#define KDBG_KERN_BASE            0x18
#define KDBG_PS_LOADED_MODULES    0x48
#define KDBG_KI_PROCESSOR_BLOCK   0x218
#define KDBG_MM_PHYS_MEMORY_BLOCK 0x270
#define KDBG_OFFSET_KTHREAD_APC_PROCESS 0x2a0
#define KDBG_SIZE_EPROCESS        0x2a8
#define KDBG_OFFSET_EPROCESS_DTB  0x2ae
#define KDBG_SIZE_PRCB            0x2b0
#define KDBG_OFFSET_PRCB_CURTHREAD 0x2b4
#define KDBG_OFFSET_PRCB_NUMBER   0x2be
#define KDBG_SIZE_ETHREAD         0x2c0
#define KDBG_OFFSET_PRCB_PROCSTATE_CONTEXT 0x2bc
#define KDBG_OFFSET_PCR_CONTAINED_PRCB 0x2e6
#define KDBG_OFFSET_PRCB_PROCSTATE_SPECIAL 0x2f2
#define KDBG_OFFSET_PRCB_CONTEXT  0x338
#define KDBG_MIN_SIZE             0x340u

#endif
