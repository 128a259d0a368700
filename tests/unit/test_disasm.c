/*
 * Tests of the WinDbg-notation disassembler (arch/disasm.c):
 *  - the instruction lines of the seed transcripts (bytes, mnemonic,
 *    operands, symbolic targets), compared with blanks collapsed because
 *    the transcripts' column spacing did not survive publication;
 *  - `ub` landing: for every function of the real PE images in
 *    $KD_DATA/pe (x64: every .pdata function; x86: every direct call
 *    target that starts after int3/nop padding), every instruction
 *    boundary reached by decoding forward from the function start is what
 *    kd_disasm_back finds going back 8 instructions (fewer near the
 *    start), without any hint;
 *  - operand rendering: over the same functions, every instruction's
 *    WinDbg-notation text equals capstone's own (LLVM's) Intel text once
 *    notation is normalised (blanks, 0x1c vs 1Ch, rip+disp vs the target,
 *    ds: on absolute operands, the sign of immediates).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <capstone/capstone.h>
#include <ctype.h>

#include "arch/disasm.h"
#include "arch/pdata.h"
#include "base/error.h"

/* --- a flat memory environment ------------------------------------------ */

struct image {
	uint64_t base;
	const uint8_t *data;
	size_t len;
	const char *const *syms; /* pairs "address" "name", NULL-terminated */
};

static int img_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	const struct image *im = ctx;
	*done = 0;
	if (addr < im->base || addr - im->base >= im->len)
		return KD_EUNREADABLE;
	size_t off = (size_t)(addr - im->base);
	size_t n = im->len - off < len ? im->len - off : len;
	memcpy(buf, im->data + off, n);
	*done = n;
	return 0;
}

static int img_symbolize(void *ctx, uint64_t addr, char *buf, size_t n)
{
	const struct image *im = ctx;
	for (const char *const *s = im->syms; s && s[0]; s += 2) {
		if (strtoull(s[0], NULL, 16) == addr) {
			snprintf(buf, n, "%s", s[1]);
			return 0;
		}
	}
	return KD_ENOTFOUND;
}

static void collapse(const char *in, char *out, size_t n)
{
	size_t j = 0;
	int space = 0;
	for (; *in && j + 1 < n; in++) {
		if (*in == ' ') {
			space = 1;
			continue;
		}
		if (space && j)
			out[j++] = ' ';
		space = 0;
		out[j++] = *in;
	}
	out[j] = '\0';
}

/* Decode `bytes` at addr and compare with a seed line. */
static void check_line(const struct kd_disasm_env *env, uint64_t addr, const uint8_t *bytes,
                       size_t len, const char *expect)
{
	struct kd_insn in;
	assert_int_equal(kd_disasm_decode(env, bytes, len, addr, &in), 0);
	char line[512], got[512];
	kd_disasm_format(env, &in, line, sizeof line);
	collapse(line, got, sizeof got);
	assert_string_equal(got, expect);
}

static const char *const seed_syms[] = {
	"80801108", "nt!_imp_KfLowerIrql",
	"80801098", "nt!_imp_HalRequestSoftwareInterrupt",
	"80a604be", "hal!HalBeginSystemInterrupt",
	"80a5d8f3", "hal!HalpIpiHandler+0xc3",
	"80a5b010", "hal!_imp_Kei386EoiHelper",
	"80a5b020", "hal!_imp__KiIpiServiceRoutine",
	"8042bf14", "nt!KeBugCheckEx",
	NULL, NULL,
};

/* Lines of seeds 001 (ub output) and 000 (r output). */
static void test_seed_lines(void **state)
{
	(void)state;
	struct image im = { 0, NULL, 0, seed_syms };
	struct kd_disasm_env env = { KD_MACHINE_I386, img_read, img_symbolize, &im };
	static const struct {
		uint64_t addr;
		uint8_t b[8];
		size_t n;
		const char *text;
	} lines[] = {
		{ 0x8082e3c6, { 0x32, 0xc9 }, 2, "8082e3c6 32c9 xor cl,cl" },
		{ 0x8082e3c8, { 0xff, 0x25, 0x08, 0x11, 0x80, 0x80 }, 6,
		  "8082e3c8 ff2508118080 jmp dword ptr [nt!_imp_KfLowerIrql (80801108)]" },
		{ 0x8082e3ce, { 0x64, 0xa1, 0x24, 0x01, 0x00, 0x00 }, 6,
		  "8082e3ce 64a124010000 mov eax,dword ptr fs:[00000124h]" },
		{ 0x8082e3d4, { 0xc6, 0x40, 0x3d, 0x01 }, 4, "8082e3d4 c6403d01 mov byte ptr [eax+3Dh],1" },
		{ 0x8082e3d8, { 0xff, 0x25, 0x98, 0x10, 0x80, 0x80 }, 6,
		  "8082e3d8 ff2598108080 jmp dword ptr [nt!_imp_HalRequestSoftwareInterrupt (80801098)]" },
		{ 0x8082e3de, { 0xcc }, 1, "8082e3de cc int 3" },
		{ 0x80a5d8e1, { 0xe8, 0xd8, 0x2b, 0x00, 0x00 }, 5,
		  "80a5d8e1 e8d82b0000 call hal!HalBeginSystemInterrupt (80a604be)" },
		{ 0x80a5d8e6, { 0x0a, 0xc0 }, 2, "80a5d8e6 0ac0 or al,al" },
		{ 0x80a5d8e8, { 0x75, 0x09 }, 2, "80a5d8e8 7509 jne hal!HalpIpiHandler+0xc3 (80a5d8f3)" },
		{ 0x80a5d8ea, { 0x83, 0xc4, 0x08 }, 3, "80a5d8ea 83c408 add esp,8" },
		{ 0x80a5d8ed, { 0xff, 0x25, 0x10, 0xb0, 0xa5, 0x80 }, 6,
		  "80a5d8ed ff2510b0a580 jmp dword ptr [hal!_imp_Kei386EoiHelper (80a5b010)]" },
		{ 0x80a5d8f3, { 0x6a, 0x00 }, 2, "80a5d8f3 6a00 push 0" },
		{ 0x80a5d8f5, { 0x55 }, 1, "80a5d8f5 55 push ebp" },
		{ 0x80a5d8f6, { 0xff, 0x15, 0x20, 0xb0, 0xa5, 0x80 }, 6,
		  "80a5d8f6 ff1520b0a580 call dword ptr [hal!_imp__KiIpiServiceRoutine (80a5b020)]" },
		{ 0x80a5d8c4, { 0xc7, 0x45, 0x08, 0x00, 0x0d, 0xdb, 0xba }, 7,
		  "80a5d8c4 c74508000ddbba mov dword ptr [ebp+8],0BADB0D00h" },
		{ 0x80a5d8cb, { 0x89, 0x5d, 0x00 }, 3, "80a5d8cb 895d00 mov dword ptr [ebp],ebx" },
		{ 0x80a5d8ce, { 0x89, 0x7d, 0x04 }, 3, "80a5d8ce 897d04 mov dword ptr [ebp+4],edi" },
		{ 0x80a5d8d1, { 0x68, 0xe1, 0x00, 0x00, 0x00 }, 5, "80a5d8d1 68e1000000 push 0E1h" },
		{ 0x80a5d8d6, { 0x83, 0xec, 0x04 }, 3, "80a5d8d6 83ec04 sub esp,4" },
		{ 0x80a5d8d9, { 0x54 }, 1, "80a5d8d9 54 push esp" },
		{ 0x80a5d8df, { 0x6a, 0x1d }, 2, "80a5d8df 6a1d push 1Dh" },
		{ 0x8081c7c4, { 0xf6, 0x41, 0x2c, 0x02 }, 4, "8081c7c4 f6412c02 test byte ptr [ecx+2Ch],2" },
		{ 0xf07a973b, { 0x39, 0x45, 0x0c }, 3, "f07a973b 39450c cmp dword ptr [ebp+0Ch],eax" },
		{ 0x804676c8, { 0x89, 0x0a }, 2, "804676c8 890a mov dword ptr [edx],ecx" },
		{ 0xbfb2b7f4, { 0x57 }, 1, "bfb2b7f4 57 push edi" },
		/* Seed 002 (its other lines use the 2000-era notation). */
		{ 0x80464b1a, { 0xe8, 0xf5, 0x73, 0xfc, 0xff }, 5,
		  "80464b1a e8f573fcff call nt!KeBugCheckEx (8042bf14)" },
		/* Seed 001, second part. */
		{ 0x82a85e3a, { 0x64, 0x89, 0x0d, 0x8c, 0x19, 0x00, 0x00 }, 7,
		  "82a85e3a 64890d8c190000 mov dword ptr fs:[198Ch],ecx" },
		{ 0x82a85e49, { 0x64, 0xff, 0x05, 0x90, 0x36, 0x00, 0x00 }, 7,
		  "82a85e49 64ff0590360000 inc dword ptr fs:[3690h]" },
		{ 0x82a85e25, { 0xf0, 0x0f, 0xb1, 0x96, 0xa4, 0x18, 0x00, 0x00 }, 8,
		  "82a85e25 f00fb196a4180000 lock cmpxchg dword ptr [esi+18A4h],edx" },
		{ 0x82a85e7d, { 0x8d, 0x49, 0x00 }, 3, "82a85e7d 8d4900 lea ecx,[ecx]" },
		{ 0x82a85e5a, { 0xc2, 0x18, 0x00 }, 3, "82a85e5a c21800 ret 18h" },
		{ 0x82a85e30, { 0xd1, 0xe9 }, 2, "82a85e30 d1e9 shr ecx,1" },
		{ 0x82a85e35, { 0x72, 0xdf }, 2, "82a85e35 72df jb 82a85e16" },
		{ 0x82a85e79, { 0xf3, 0x90 }, 2, "82a85e79 f390 pause" },
		{ 0x963a557b, { 0xb1, 0x1f }, 2, "963a557b b11f mov cl,1Fh" },
		{ 0x963a558a, { 0x88, 0x45, 0xff }, 3, "963a558a 8845ff mov byte ptr [ebp-1],al" },
		{ 0x963a55a7, { 0xff, 0xd6 }, 2, "963a55a7 ffd6 call esi" },
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		check_line(&env, lines[i].addr, lines[i].b, lines[i].n, lines[i].text);

	/* Seed 000's x64 ub, exact columns this time (its blanks survived). */
	static const char *const syms64[] = {
		"fffffa6006c919a0", "dfsc!DfscConnOpenIpcConnectionCallout", NULL, NULL,
	};
	struct image im64 = { 0, NULL, 0, syms64 };
	struct kd_disasm_env env64 = { KD_MACHINE_AMD64, img_read, img_symbolize, &im64 };
	static const struct {
		uint64_t addr;
		uint8_t b[8];
		size_t n;
		const char *text;
	} lines64[] = {
		{ 0xfffffa6006c91cb1ull, { 0x48, 0x8b, 0x88, 0xb8, 0x00, 0x00, 0x00 }, 7,
		  "fffffa60`06c91cb1 488b88b8000000  mov     rcx,qword ptr [rax+0B8h]" },
		{ 0xfffffa6006c91cb8ull, { 0x0f, 0xba, 0x61, 0x10, 0x0a }, 5,
		  "fffffa60`06c91cb8 0fba61100a      bt      dword ptr [rcx+10h],0Ah" },
		{ 0xfffffa6006c91cbdull, { 0x45, 0x0f, 0x42, 0xdf }, 4,
		  "fffffa60`06c91cbd 450f42df        cmovb   r11d,r15d" },
		{ 0xfffffa6006c91cc1ull, { 0x48, 0x8b, 0x43, 0x38 }, 4,
		  "fffffa60`06c91cc1 488b4338        mov     rax,qword ptr [rbx+38h]" },
		{ 0xfffffa6006c91cc5ull, { 0x48, 0x8d, 0x54, 0x24, 0x40 }, 5,
		  "fffffa60`06c91cc5 488d542440      lea     rdx,[rsp+40h]" },
		{ 0xfffffa6006c91ccaull, { 0x48, 0x8d, 0x0d, 0xcf, 0xfc, 0xff, 0xff }, 7,
		  "fffffa60`06c91cca 488d0dcffcffff  lea     rcx,[dfsc!DfscConnOpenIpcConnectionCallout (fffffa60`06c919a0)]" },
		{ 0xfffffa6006c91cd1ull, { 0x48, 0x89, 0x44, 0x24, 0x48 }, 5,
		  "fffffa60`06c91cd1 4889442448      mov     qword ptr [rsp+48h],rax" },
		{ 0xfffffa6006c91cd6ull, { 0x48, 0x8d, 0x84, 0x24, 0x90, 0x00, 0x00, 0x00 }, 8,
		  "fffffa60`06c91cd6 488d842490000000 lea     rax,[rsp+90h]" },
	};
	for (size_t i = 0; i < sizeof lines64 / sizeof lines64[0]; i++) {
		struct kd_insn in;
		char line[512];
		kd_disasm_decode(&env64, lines64[i].b, lines64[i].n, lines64[i].addr, &in);
		kd_disasm_format(&env64, &in, line, sizeof line);
		assert_string_equal(line, lines64[i].text);
	}
}

/* The column layout: 16-wide bytes, 7-wide mnemonic, then a space. */
static void test_columns(void **state)
{
	(void)state;
	struct image im = { 0, NULL, 0, NULL };
	struct kd_disasm_env env = { KD_MACHINE_AMD64, img_read, NULL, &im };
	struct kd_insn in;
	char line[256];
	static const uint8_t sub[] = { 0x48, 0x83, 0xec, 0x28 };
	kd_disasm_decode(&env, sub, sizeof sub, 0xfffff80001875f8aull, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	assert_string_equal(line, "fffff800`01875f8a 4883ec28        sub     rsp,28h");
	static const uint8_t ret[] = { 0xc3 };
	kd_disasm_decode(&env, ret, 1, 0x1000, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	assert_string_equal(line, "00000000`00001000 c3              ret");
	static const uint8_t and_rsp[] = { 0x48, 0x83, 0xe4, 0xf0 };
	kd_disasm_decode(&env, and_rsp, sizeof and_rsp, 0x1000, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	assert_string_equal(line, "00000000`00001000 4883e4f0        and     rsp,0FFFFFFFFFFFFFFF0h");
	static const uint8_t gs[] = { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x88, 0x01, 0x00, 0x00 };
	kd_disasm_decode(&env, gs, sizeof gs, 0x1000, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	assert_string_equal(line, "00000000`00001000 65488b042588010000 mov     rax,qword ptr gs:[188h]");
	static const uint8_t riprel[] = { 0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 };
	kd_disasm_decode(&env, riprel, sizeof riprel, 0x1000, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	assert_string_equal(line, "00000000`00001000 488b0510000000  mov     rax,qword ptr [00000000`00001017]");
	/* SSE movsd is not the string instruction movs. */
	static const uint8_t sse[] = { 0xf2, 0x0f, 0x10, 0x45, 0x08 };
	struct kd_disasm_env env32 = { KD_MACHINE_I386, img_read, NULL, &im };
	kd_disasm_decode(&env32, sse, sizeof sse, 0x1000, &in);
	kd_disasm_format(&env32, &in, line, sizeof line);
	assert_string_equal(line, "00001000 f20f104508      movsd   xmm0,qword ptr [ebp+8]");
	static const uint8_t rep_movs[] = { 0xf3, 0xa5 };
	kd_disasm_decode(&env32, rep_movs, sizeof rep_movs, 0x1000, &in);
	kd_disasm_format(&env32, &in, line, sizeof line);
	assert_string_equal(line, "00001000 f3a5            rep movs dword ptr es:[edi],dword ptr [esi]");
	static const uint8_t stos[] = { 0xaa };
	kd_disasm_decode(&env32, stos, sizeof stos, 0x1000, &in);
	kd_disasm_format(&env32, &in, line, sizeof line);
	assert_string_equal(line, "00001000 aa              stos    byte ptr es:[edi]");
	static const uint8_t bad[] = { 0xff };
	kd_disasm_decode(&env, bad, 1, 0x1000, &in);
	kd_disasm_format(&env, &in, line, sizeof line);
	assert_string_equal(line, "00000000`00001000 ff              ???");
}

/* --- PE images ---------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The image laid out at its RVAs (sections copied to their addresses). */
struct pe {
	enum kd_machine machine;
	uint8_t *mapped;
	size_t size;
	uint32_t text_rva, text_size;
	uint32_t pdata_rva, pdata_size;
	uint32_t entry;
};

static int pe_load(const uint8_t *f, size_t len, struct pe *pe)
{
	memset(pe, 0, sizeof *pe);
	if (len < 0x40 || f[0] != 'M' || f[1] != 'Z')
		return -1;
	uint32_t nt = le32(f + 0x3c);
	if (nt > len || len - nt < 24 || memcmp(f + nt, "PE\0\0", 4))
		return -1;
	uint16_t machine = le16(f + nt + 4), nsec = le16(f + nt + 6), optsz = le16(f + nt + 20);
	const uint8_t *opt = f + nt + 24;
	if ((size_t)(opt - f) + optsz > len)
		return -1;
	int is64 = le16(opt) == 0x20b;
	pe->machine = machine == 0x8664 ? KD_MACHINE_AMD64 : machine == 0x14c ? KD_MACHINE_I386 : KD_MACHINE_UNKNOWN;
	uint32_t image_size = le32(opt + 56);
	pe->entry = le32(opt + 16);
	const uint8_t *dirs = opt + (is64 ? 112 : 96);
	if (optsz >= (is64 ? 112 : 96) + 4 * 8) {
		pe->pdata_rva = le32(dirs + 3 * 8);
		pe->pdata_size = le32(dirs + 3 * 8 + 4);
	}
	if (image_size == 0 || image_size > (64u << 20))
		return -1;
	pe->mapped = calloc(1, image_size);
	pe->size = image_size;
	uint32_t headers = le32(opt + 60);
	if (headers > len || headers > image_size)
		return -1;
	memcpy(pe->mapped, f, headers);
	const uint8_t *sec = opt + optsz;
	for (unsigned i = 0; i < nsec; i++, sec += 40) {
		if ((size_t)(sec - f) + 40 > len)
			return -1;
		uint32_t vsize = le32(sec + 8), rva = le32(sec + 12);
		uint32_t rawsize = le32(sec + 16), raw = le32(sec + 20), chars = le32(sec + 36);
		uint32_t n = rawsize < vsize ? rawsize : vsize;
		if (raw > len || n > len - raw || rva > image_size || n > image_size - rva)
			continue;
		memcpy(pe->mapped + rva, f + raw, n);
		if ((chars & 0x20000020) && !pe->text_size) { /* code or executable */
			pe->text_rva = rva;
			pe->text_size = vsize;
		}
	}
	return pe->machine == KD_MACHINE_UNKNOWN ? -1 : 0;
}


/* --- rendering vs capstone's text --------------------------------------- */

/* A canonical form: lower case, no blanks, every number as #hex; outside
 * brackets numbers keep their low 32 bits (capstone writes -8 where
 * WinDbg writes 0FFFFFFF8h or 0FFFFFFFFFFFFFFF8h). */
static void canon(const char *in, int mine, uint64_t rip_next, char *out, size_t n)
{
	char t[600];
	size_t j = 0;
	for (const char *p = in; *p && j + 1 < sizeof t; p++)
		if (*p != ' ')
			t[j++] = (char)tolower((unsigned char)*p);
	t[j] = '\0';
	size_t o = 0;
	int depth = 0;
	for (const char *p = t; *p && o + 24 < n;) {
		if (mine && !strncmp(p, "ds:[", 4)) {
			p += 3;
			continue;
		}
		if (!mine && !strncmp(p, "[rip", 4) && (p[4] == '+' || p[4] == '-')) {
			uint64_t d = strtoull(p + 5, NULL, 0);
			uint64_t target = p[4] == '+' ? rip_next + d : rip_next - d;
			o += (size_t)snprintf(out + o, n - o, "[#%llx]", (unsigned long long)target);
			const char *close = strchr(p, ']');
			p = close ? close + 1 : p + strlen(p);
			continue;
		}
		if (*p == '[')
			depth++;
		if (*p == ']')
			depth--;
		size_t len = 0;
		while (isxdigit((unsigned char)p[len]) || p[len] == '`' || (!mine && p[len] == 'x'))
			len++;
		int prev_alnum = p > t && (isalnum((unsigned char)p[-1]) || p[-1] == '(');
		int number = 0;
		uint64_t v = 0;
		if (len && !prev_alnum && !isalpha((unsigned char)p[len]) ) {
			if (!mine && isdigit((unsigned char)p[0])) {
				number = 1;
				v = strtoull(p, NULL, 0);
			} else if (mine && (isdigit((unsigned char)p[0]) || len >= 8)) {
				number = 1;
				char hex[40];
				size_t k = 0;
				for (size_t i = 0; i < len && k + 1 < sizeof hex; i++)
					if (p[i] != '`')
						hex[k++] = p[i];
				hex[k] = '\0';
				v = strtoull(hex, NULL, len >= 8 ? 16 : 10);
			}
		} else if (mine && len && p[len] == 'h' && isdigit((unsigned char)p[0])
		           && !isalnum((unsigned char)p[len + 1]) && !prev_alnum) {
			number = 1;
			v = strtoull(p, NULL, 16);
			len++;
		}
		if (number) {
			int neg = !mine && o > 0 && out[o - 1] == '-' && depth == 0;
			if (neg) {
				o--;
				v = 0 - v;
			}
			if (depth == 0)
				v &= 0xffffffffu;
			o += (size_t)snprintf(out + o, n - o, "#%llx", (unsigned long long)v);
			p += len;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

struct render_stats {
	unsigned compared, skipped, mismatched;
};

static void compare_rendering(csh h, const struct kd_disasm_env *env, uint64_t addr,
                              const uint8_t *code, size_t len, struct render_stats *rs)
{
	cs_insn *ci;
	size_t c = cs_disasm(h, code, len, addr, 1, &ci);
	if (!c)
		return;
	struct kd_insn in;
	kd_disasm_decode(env, code, len, addr, &in);
	assert_int_equal(in.size, ci->size);
	/* Notations that differ on purpose: int 3, string instructions
	 * (rep movs dword ptr es:[edi],...: their operands address through
	 * esi/edi), movabs. SSE movsd/cmpsd are compared. */
	int skip_it = !strcmp(ci->mnemonic, "int3") || !strcmp(ci->mnemonic, "movabs");
	static const char *const strops[] = { "movs", "stos", "lods", "cmps", "scas", "ins", "outs" };
	for (size_t i = 0; i < sizeof strops / sizeof strops[0]; i++) {
		const char *w = strrchr(ci->mnemonic, ' ');
		w = w ? w + 1 : ci->mnemonic;
		if (!strncmp(w, strops[i], strlen(strops[i])) && strlen(w) == strlen(strops[i]) + 1
		    && (strstr(ci->op_str, "si]") || strstr(ci->op_str, "di]")))
			skip_it = 1;
	}
	if (skip_it) {
		rs->skipped++;
		cs_free(ci, c);
		return;
	}
	char a[700], b[700], ta[600], tb[600];
	snprintf(ta, sizeof ta, "%s|%s", in.mnemonic, in.operands);
	/* WinDbg's names for the 32-bit forms. */
	const char *mn = !strcmp(ci->mnemonic, "pushal") ? "pushad"
	               : !strcmp(ci->mnemonic, "popal") ? "popad" : ci->mnemonic;
	snprintf(tb, sizeof tb, "%s|%s", mn, ci->op_str);
	canon(ta, 1, addr + ci->size, a, sizeof a);
	canon(tb, 0, addr + ci->size, b, sizeof b);
	rs->compared++;
	if (strcmp(a, b)) {
		rs->mismatched++;
		if (rs->mismatched <= 10)
			print_message("%llx: ours '%s' capstone '%s' (%s | %s)\n", (unsigned long long)addr,
			              ta, tb, a, b);
	}
	cs_free(ci, c);
}

static struct render_stats rstats;

struct stats {
	unsigned functions, checked, agreed, lookups;
};

/* Decode forward from start to end; check kd_disasm_back at every
 * boundary that has 8 instructions before it inside the function. */
static void check_function(const struct kd_disasm_env *env, uint64_t start, uint64_t end,
                           struct stats *st)
{
	enum { BACK = 8, MAXI = 4096 };
	static uint64_t b[MAXI];
	size_t n = 0;
	uint64_t a = start;
	while (a < end && n < MAXI) {
		struct kd_insn in;
		kd_disasm_one(env, a, &in);
		if (!in.valid)
			return; /* data inside code (a jump table): stop this function */
		if (in.is_int3)
			break; /* padding: the function ended before */
		b[n++] = a;
		a += in.size;
	}
	st->functions++;
	csh h;
	assert_int_equal(cs_open(CS_ARCH_X86, env->machine == KD_MACHINE_AMD64 ? CS_MODE_64 : CS_MODE_32, &h), CS_ERR_OK);
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	for (size_t i = 0; i < n; i++) {
		uint8_t code[KD_INSN_MAX];
		size_t done = 0;
		env->read(env->ctx, b[i], code, sizeof code, &done);
		compare_rendering(h, env, b[i], code, done, &rstats);
	}
	cs_close(&h);
	for (size_t i = 1; i < n; i++) {
		unsigned back = i < BACK ? (unsigned)i : BACK;
		st->checked++;
		uint64_t got = kd_disasm_back(env, b[i], back, 0);
		if (got == b[i - back])
			st->agreed++;
		else if (st->checked - st->agreed <= 3)
			print_message("ub %llx L%u: got %llx, forward decode says %llx\n",
			              (unsigned long long)b[i], back, (unsigned long long)got,
			              (unsigned long long)b[i - back]);
		/* With the function start known the answer must be exact. */
		assert_int_equal(kd_disasm_back(env, b[i], back, start), b[i - back]);
	}
}

static void check_image(const char *path, struct stats *st)
{
	size_t len = 0;
	uint8_t *f = slurp(path, &len);
	if (!f)
		fail_msg("cannot read %s", path);
	struct pe pe;
	assert_int_equal(pe_load(f, len, &pe), 0);
	struct image im = { 0x10000000, pe.mapped, pe.size, NULL };
	struct kd_disasm_env env = { pe.machine, img_read, NULL, &im };
	if (pe.machine == KD_MACHINE_AMD64 && pe.pdata_size) {
		for (uint32_t off = 0; off + 12 <= pe.pdata_size; off += 12) {
			const uint8_t *rf = pe.mapped + pe.pdata_rva + off;
			uint32_t begin = le32(rf), end = le32(rf + 4), unwind = le32(rf + 8);
			if (begin >= end || end > pe.size)
				continue;
			check_function(&env, im.base + begin, im.base + end, st);
			/* The function table lookup: every address of an entry
			 * maps to it, or (chained unwind info) to its parent. */
			int chained = !(unwind & 1) && unwind + 4 <= pe.size
			              && ((pe.mapped[unwind] >> 3) & 4);
			uint64_t probes[3] = { begin, begin + (end - begin) / 2, end - 1 };
			for (int i = 0; i < 3; i++) {
				uint64_t b, e;
				assert_int_equal(kd_x64_pdata_lookup(&env, im.base, im.base + probes[i], &b, &e), 0);
				if (!chained) {
					assert_int_equal(b, im.base + begin);
					assert_int_equal(e, im.base + end);
				} else {
					assert_true(b < im.base + begin || b >= im.base + end);
				}
				st->lookups++;
			}
		}
	} else {
		/* x86: function starts are the targets of direct calls that
		 * follow padding (int3/nop) or start the code section. */
		const uint8_t *t = pe.mapped + pe.text_rva;
		static uint8_t is_start[1 << 22];
		uint32_t size = pe.text_size < sizeof is_start ? pe.text_size : sizeof is_start;
		memset(is_start, 0, size);
		if (pe.entry >= pe.text_rva && pe.entry - pe.text_rva < size)
			is_start[pe.entry - pe.text_rva] = 1;
		for (uint32_t i = 0; i + 5 <= size; i++) {
			if (t[i] != 0xe8)
				continue;
			uint32_t target = i + 5 + le32(t + i + 1);
			if (target < size && (target == 0 || t[target - 1] == 0xcc || t[target - 1] == 0x90))
				is_start[target] = 1;
		}
		uint32_t prev = UINT32_MAX;
		for (uint32_t i = 0; i <= size; i++) {
			if (i < size && !is_start[i])
				continue;
			if (prev != UINT32_MAX) {
				/* The function ends at its padding. */
				uint32_t end = i;
				while (end > prev && (t[end - 1] == 0xcc))
					end--;
				check_function(&env, im.base + pe.text_rva + prev, im.base + pe.text_rva + end, st);
			}
			prev = i;
		}
	}
	free(pe.mapped);
	free(f);
}

static void test_ub_real_images(void **state)
{
	(void)state;
	const char *data = getenv("KD_DATA");
	if (!data) {
		skip();
		return;
	}
	static const char *const files[] = {
		"pe/x64/xframe_eh_exe.exe", "pe/x64/xframe_eh_dll.dll", "pe/x64/nested_collided.exe",
		"pe/x86/xframe_eh_exe.exe", "pe/x86/xframe_eh_dll.dll", "pe/x86/nested_collided.exe",
		"pe/driver.sys", "pe/multiss_drv.sys",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", data, files[i]);
		struct stats st = { 0, 0, 0, 0 };
		check_image(path, &st);
		print_message("%s: %u functions, ub checked at %u addresses, %u agree, %u .pdata lookups\n",
		              files[i], st.functions, st.checked, st.agreed, st.lookups);
		assert_true(st.functions > 0);
		assert_int_equal(st.agreed, st.checked);
	}
	print_message("rendering: %u instructions compared with capstone's text, %u skipped, %u differ\n",
	              rstats.compared, rstats.skipped, rstats.mismatched);
	assert_true(rstats.compared > 1000);
	assert_int_equal(rstats.mismatched, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_lines),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_ub_real_images),
	};
	if (!getenv("KD_DATA"))
		fprintf(stderr, "KD_DATA not set: the real-image ub test is skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
