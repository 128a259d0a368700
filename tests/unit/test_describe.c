/*
 * KD packet descriptions and DBGKD API names: every number of windbgkd.h's
 * enums maps to its own name; descriptions carry the fields of each kind
 * of packet, flag bad checksums and short packets, and never overrun the
 * caller's buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dbgkd.h"
#include "proto/kd_describe.h"

#define N(x) { x, #x }
static const struct {
	uint32_t v;
	const char *name;
} names[] = {
	N(DbgKdReadVirtualMemoryApi), N(DbgKdWriteVirtualMemoryApi), N(DbgKdGetContextApi), N(DbgKdSetContextApi),
	N(DbgKdWriteBreakPointApi), N(DbgKdRestoreBreakPointApi), N(DbgKdContinueApi), N(DbgKdReadControlSpaceApi),
	N(DbgKdWriteControlSpaceApi), N(DbgKdReadIoSpaceApi), N(DbgKdWriteIoSpaceApi), N(DbgKdRebootApi),
	N(DbgKdContinueApi2), N(DbgKdReadPhysicalMemoryApi), N(DbgKdWritePhysicalMemoryApi),
	N(DbgKdQuerySpecialCallsApi), N(DbgKdSetSpecialCallApi), N(DbgKdClearSpecialCallsApi),
	N(DbgKdSetInternalBreakPointApi), N(DbgKdGetInternalBreakPointApi), N(DbgKdReadIoSpaceExtendedApi),
	N(DbgKdWriteIoSpaceExtendedApi), N(DbgKdGetVersionApi), N(DbgKdWriteBreakPointExApi),
	N(DbgKdRestoreBreakPointExApi), N(DbgKdCauseBugCheckApi), N(DbgKdSwitchProcessor), N(DbgKdPageInApi),
	N(DbgKdReadMachineSpecificRegister), N(DbgKdWriteMachineSpecificRegister), N(OldVlm1), N(OldVlm2),
	N(DbgKdSearchMemoryApi), N(DbgKdGetBusDataApi), N(DbgKdSetBusDataApi), N(DbgKdCheckLowMemoryApi),
	N(DbgKdClearAllInternalBreakpointsApi), N(DbgKdFillMemoryApi), N(DbgKdQueryMemoryApi),
	N(DbgKdSwitchPartition), N(DbgKdWriteCustomBreakpointApi), N(DbgKdGetContextExApi),
	N(DbgKdSetContextExApi), N(DbgKdExceptionStateChange), N(DbgKdLoadSymbolsStateChange),
	N(DbgKdCommandStringStateChange), N(DbgKdPrintStringApi), N(DbgKdGetStringApi), N(DbgKdCreateFileApi),
	N(DbgKdReadFileApi), N(DbgKdWriteFileApi), N(DbgKdCloseFileApi),
};

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		assert_non_null(dbgkd_api_name(names[i].v));
		assert_string_equal(dbgkd_api_name(names[i].v), names[i].name);
	}
	/* every manipulate number up to the maximum has a name */
	for (uint32_t api = DbgKdReadVirtualMemoryApi; api < DbgKdMaximumManipulate; api++)
		if (api < 0x314a || api >= DbgKdSwitchProcessor)
			assert_non_null(dbgkd_api_name(api));
	assert_null(dbgkd_api_name(DbgKdMaximumManipulate));
	assert_null(dbgkd_api_name(0));
	assert_null(dbgkd_api_name(0xffffffff));
}

static size_t packet(uint8_t *out, uint32_t leader, uint16_t type, const void *payload, size_t len, uint32_t id)
{
	struct kd_packet_header h = { leader, type, (uint16_t)len, id, kd_packet_checksum(payload, len) };
	kd_packet_header_encode(&h, out);
	memcpy(out + KD_PACKET_HEADER_SIZE, payload, len);
	return KD_PACKET_HEADER_SIZE + len;
}

static void test_manipulate(void **state)
{
	(void)state;
	uint8_t pkt[512];
	char line[1024];
	struct dbgkd_manipulate_state64 m;
	memset(&m, 0, sizeof m);
	m.ApiNumber = DbgKdReadVirtualMemoryApi;
	m.Processor = 1;
	m.u.ReadMemory.TargetBaseAddress = 0xfffff8017bc49e30ull;
	m.u.ReadMemory.TransferCount = 0x88;
	size_t n = packet(pkt, KD_PACKET_LEADER, KD_PACKET_TYPE_KD_STATE_MANIPULATE, &m, sizeof m, 0x80000004);
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_non_null(strstr(line, "KD_STATE_MANIPULATE"));
	assert_non_null(strstr(line, "id=0x80000004"));
	assert_non_null(strstr(line, "checksum ok"));
	assert_non_null(strstr(line, "DbgKdReadVirtualMemoryApi"));
	assert_non_null(strstr(line, "addr=fffff8017bc49e30"));
	assert_non_null(strstr(line, "count=0x88"));
	assert_non_null(strstr(line, "cpu=1"));
	/* a corrupted byte */
	pkt[20] ^= 1;
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_non_null(strstr(line, "checksum BAD"));
	/* truncated */
	pkt[20] ^= 1;
	kd_describe_packet(pkt, n - 10, line, sizeof line);
	assert_non_null(strstr(line, "(has 46)"));
	kd_describe_packet(pkt, 10, line, sizeof line);
	assert_non_null(strstr(line, "not a KD packet"));
}

static void test_state_change_and_io(void **state)
{
	(void)state;
	uint8_t pkt[1024], body[600];
	char line[1024];

	memset(body, 0, sizeof body);
	struct dbgkd_wait_state_change64 *sc = (void *)body;
	sc->NewState = DbgKdLoadSymbolsStateChange;
	sc->NumberProcessors = 4;
	sc->u.LoadSymbols.BaseOfDll = 0xfffff80002a00000ull;
	sc->u.LoadSymbols.SizeOfImage = 0x5e5000;
	sc->u.LoadSymbols.PathNameLength = 32;
	strcpy((char *)body + 240, "\\SystemRoot\\system32\\ntoskrnl.exe");
	size_t n = packet(pkt, KD_PACKET_LEADER, KD_PACKET_TYPE_KD_STATE_CHANGE64, body, 240 + 34, 2);
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_non_null(strstr(line, "DbgKdLoadSymbolsStateChange"));
	assert_non_null(strstr(line, "base=fffff80002a00000"));
	assert_non_null(strstr(line, "size=0x5e5000"));
	assert_non_null(strstr(line, "cpu=0/4"));
	/* the path stops at its length (32 of the 33 characters) */
	assert_non_null(strstr(line, "path=\"\\\\SystemRoot\\\\system32\\\\ntoskrnl.ex\""));

	memset(body, 0, sizeof body);
	sc->NewState = DbgKdExceptionStateChange;
	sc->u.Exception.ExceptionRecord.ExceptionCode = KD_STATUS_BREAKPOINT;
	sc->u.Exception.ExceptionRecord.ExceptionAddress = 0xfffff80002ab1230ull;
	sc->u.Exception.FirstChance = 1;
	n = packet(pkt, KD_PACKET_LEADER, KD_PACKET_TYPE_KD_STATE_CHANGE64, body, 240, 4);
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_non_null(strstr(line, "DbgKdExceptionStateChange"));
	assert_non_null(strstr(line, "code=0x80000003"));
	assert_non_null(strstr(line, "addr=fffff80002ab1230"));

	/* DbgPrint: 16-byte header then the text, as the real target sends */
	memset(body, 0, sizeof body);
	body[0] = 0x30; body[1] = 0x32;
	body[8] = 12;
	memcpy(body + 16, "Hi \"there\"\n\x01", 12);
	n = packet(pkt, KD_PACKET_LEADER, KD_PACKET_TYPE_KD_DEBUG_IO, body, 28, 6);
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_non_null(strstr(line, "DbgKdPrintStringApi"));
	assert_non_null(strstr(line, "text=\"Hi \\\"there\\\"\\n\\x01\""));

	/* file I/O: the UTF-16 name */
	memset(body, 0, sizeof body);
	body[0] = 0x30; body[1] = 0x34;
	const char *name = "\\Windows\\hal.dll";
	for (size_t i = 0; name[i]; i++)
		body[64 + 2 * i] = (uint8_t)name[i];
	n = packet(pkt, KD_PACKET_LEADER, KD_PACKET_TYPE_KD_FILE_IO, body, 64 + 2 * strlen(name) + 2, 8);
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_non_null(strstr(line, "DbgKdCreateFileApi"));
	assert_non_null(strstr(line, "name=\"\\Windows\\hal.dll\""));

	/* control packets */
	n = packet(pkt, KD_CONTROL_PACKET_LEADER, KD_PACKET_TYPE_KD_ACKNOWLEDGE, body, 0, 0x80000002);
	kd_describe_packet(pkt, n, line, sizeof line);
	assert_string_equal(line, "ctrl KD_ACKNOWLEDGE id=0x80000002 len=0");
}

static void test_small_buffers_and_random(void **state)
{
	(void)state;
	uint8_t pkt[600];
	char line[1024];
	srand(3);
	for (int r = 0; r < 20000; r++) {
		size_t len = (size_t)(rand() % (int)sizeof pkt);
		for (size_t i = 0; i < len; i++)
			pkt[i] = (uint8_t)rand();
		if (r & 1 && len >= 16) {
			pkt[0] = pkt[1] = pkt[2] = pkt[3] = 0x30;
			pkt[4] = (uint8_t)(r % 12);
			pkt[5] = 0;
		}
		size_t n = (size_t)(rand() % 64) + 1;
		memset(line, 'X', sizeof line);
		kd_describe_packet(pkt, len, line, n);
		assert_true(strlen(line) < n);
		assert_int_equal(line[n], 'X');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_manipulate),
		cmocka_unit_test(test_state_change_and_io),
		cmocka_unit_test(test_small_buffers_and_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
