/*
 * Names of DBGKD API numbers as windbgkd.h spells them (dbgkd_api_name,
 * declared in dbgkd.h): manipulate-state, state-change, debug-I/O and
 * file-I/O numbers live in disjoint ranges, so one lookup serves all.
 */
#include "proto/dbgkd.h"

#define NAME(x) { x, #x }

static const struct {
	uint32_t api;
	const char *name;
} dbgkd_names[] = {
	NAME(DbgKdExceptionStateChange),
	NAME(DbgKdLoadSymbolsStateChange),
	NAME(DbgKdCommandStringStateChange),
	NAME(DbgKdReadVirtualMemoryApi),
	NAME(DbgKdWriteVirtualMemoryApi),
	NAME(DbgKdGetContextApi),
	NAME(DbgKdSetContextApi),
	NAME(DbgKdWriteBreakPointApi),
	NAME(DbgKdRestoreBreakPointApi),
	NAME(DbgKdContinueApi),
	NAME(DbgKdReadControlSpaceApi),
	NAME(DbgKdWriteControlSpaceApi),
	NAME(DbgKdReadIoSpaceApi),
	NAME(DbgKdWriteIoSpaceApi),
	NAME(DbgKdRebootApi),
	NAME(DbgKdContinueApi2),
	NAME(DbgKdReadPhysicalMemoryApi),
	NAME(DbgKdWritePhysicalMemoryApi),
	NAME(DbgKdQuerySpecialCallsApi),
	NAME(DbgKdSetSpecialCallApi),
	NAME(DbgKdClearSpecialCallsApi),
	NAME(DbgKdSetInternalBreakPointApi),
	NAME(DbgKdGetInternalBreakPointApi),
	NAME(DbgKdReadIoSpaceExtendedApi),
	NAME(DbgKdWriteIoSpaceExtendedApi),
	NAME(DbgKdGetVersionApi),
	NAME(DbgKdWriteBreakPointExApi),
	NAME(DbgKdRestoreBreakPointExApi),
	NAME(DbgKdCauseBugCheckApi),
	NAME(DbgKdSwitchProcessor),
	NAME(DbgKdPageInApi),
	NAME(DbgKdReadMachineSpecificRegister),
	NAME(DbgKdWriteMachineSpecificRegister),
	NAME(OldVlm1),
	NAME(OldVlm2),
	NAME(DbgKdSearchMemoryApi),
	NAME(DbgKdGetBusDataApi),
	NAME(DbgKdSetBusDataApi),
	NAME(DbgKdCheckLowMemoryApi),
	NAME(DbgKdClearAllInternalBreakpointsApi),
	NAME(DbgKdFillMemoryApi),
	NAME(DbgKdQueryMemoryApi),
	NAME(DbgKdSwitchPartition),
	NAME(DbgKdWriteCustomBreakpointApi),
	NAME(DbgKdGetContextExApi),
	NAME(DbgKdSetContextExApi),
	NAME(DbgKdPrintStringApi),
	NAME(DbgKdGetStringApi),
	NAME(DbgKdCreateFileApi),
	NAME(DbgKdReadFileApi),
	NAME(DbgKdWriteFileApi),
	NAME(DbgKdCloseFileApi),
};

const char *dbgkd_api_name(uint32_t api)
{
	for (size_t i = 0; i < sizeof dbgkd_names / sizeof dbgkd_names[0]; i++)
		if (dbgkd_names[i].api == api)
			return dbgkd_names[i].name;
	return NULL;
}
