// SPDX-License-Identifier: GPL-2.0-only
// The decoder against Zydis as an independent oracle: instruction lengths over every
// one-byte and 0F opcode with representative prefixes and ModRM/SIB forms, and over random
// byte strings, in 64-, 32- and 16-bit code.
//
// Compared: legacy-encoded instructions Zydis decodes. VEX/EVEX/XOP/3DNow! encodings are
// features swkvm's CPU model does not have (they are #UD here, as on such a CPU). Where
// Zydis accepts an instruction that swkvm's decoder rejects, the test lists it; the
// assertion is on lengths of instructions both decode, which must agree exactly.
#include <Zydis/Zydis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_harness.h"

struct tally {
	long compared, length_mismatch, we_reject, both_reject, other_encoding;
};

static int reported;

/* Returns our length, or -1 for a fault. */
static int our_len(struct cpu *cpu, const uint8_t *b, unsigned n)
{
	struct insn in;

	memset(ram + 0x1000, 0x90, 64);
	memcpy(ram + 0x1000, b, n);
	cpu->rip = 0x1000;
	cpu->in->exc_pending = false;
	if (cpu_decode(cpu, &in) != EXEC_OK)
		return -1;
	return in.len;
}

static void compare(struct cpu *cpu, const ZydisDecoder *zd, const uint8_t *b, unsigned n,
		    struct tally *t)
{
	ZydisDecodedInstruction zi;
	ZydisDecoderContext ctx;
	ZyanStatus zs = ZydisDecoderDecodeInstruction(zd, &ctx, b, n, &zi);
	int ours = our_len(cpu, b, n);

	if (!ZYAN_SUCCESS(zs)) {
		if (ours < 0)
			t->both_reject++;
		/* Zydis rejects what we accept: only checked through lengths elsewhere */
		return;
	}
	if (zi.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) {
		t->other_encoding++;
		return;
	}
	if (ours < 0) {
		t->we_reject++;
		if (getenv("ZYDIS_LIST_REJECTS"))
			printf("# reject %s %u (%02x %02x %02x %02x) vec %d\n", ZydisMnemonicGetString(zi.mnemonic),
			       zi.length, b[0], b[1], b[2], b[3], cpu->in->exc_vector);
		return;
	}
	t->compared++;
	if (ours != zi.length) {
		t->length_mismatch++;
		if (reported++ < 25) {
			char hex[64] = "";
			for (unsigned i = 0; i < zi.length && i < 15; i++)
				sprintf(hex + 3 * i, "%02x ", b[i]);
			tap_diag("length: %s-> zydis %u, swkvm %d (%s)", hex, zi.length, ours,
				 ZydisMnemonicGetString(zi.mnemonic));
		}
	}
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	static const struct { int mode; ZydisMachineMode zm; ZydisStackWidth sw; const char *name; } modes[] = {
		{ M64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64, "64-bit" },
		{ M32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32, "32-bit" },
		{ M16, ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16, "16-bit" },
	};
	static const uint8_t prefixes[][2] = { { 0 }, { 0x66 }, { 0x67 }, { 0xf3 }, { 0xf2 }, { 0x48 }, { 0x66, 0x48 } };
	static const uint8_t modrms[][6] = {
		{ 0x00 }, { 0x05, 1, 2, 3, 4 }, { 0x04, 0x25, 1, 2, 3, 4 }, { 0x44, 0x24, 8 },
		{ 0x80, 1, 2, 3, 4 }, { 0xc0 }, { 0xc8 }, { 0xd8 }, { 0xf8 }, { 0x46, 9 }, { 0x86, 1, 2 },
	};
	struct cpu *cpu = cpu_create(&harness_ops, NULL);

	for (size_t m = 0; m < 3; m++) {
		ZydisDecoder zd;
		struct tally t = { 0 };
		long random_cases = 100000;

		ZydisDecoderInit(&zd, modes[m].zm, modes[m].sw);
		set_mode(cpu, modes[m].mode);
		for (int map = 0; map < 2; map++)
			for (int op = 0; op < 256; op++)
				for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
					for (size_t r = 0; r < sizeof(modrms) / sizeof(modrms[0]); r++) {
						uint8_t b[16];
						unsigned n = 0;

						if (prefixes[p][0] == 0x48 && modes[m].mode != M64)
							continue;
						for (int i = 0; i < 2 && prefixes[p][i]; i++)
							b[n++] = prefixes[p][i];
						if (map)
							b[n++] = 0x0f;
						b[n++] = (uint8_t)op;
						memcpy(b + n, modrms[r], 6);
						n += 6;
						while (n < 16)
							b[n++] = 0x11;
						compare(cpu, &zd, b, 15, &t);
					}
		for (long i = 0; i < random_cases; i++) {
			uint8_t b[16];
			for (int k = 0; k < 16; k += 8) {
				uint64_t v = rnd();
				memcpy(b + k, &v, 8);
			}
			compare(cpu, &zd, b, 15, &t);
		}
		ok(t.length_mismatch == 0, "%s: %ld instructions decoded by both, %ld length mismatches",
		   modes[m].name, t.compared, t.length_mismatch);
		tap_diag("%s: %ld valid only for Zydis (not in swkvm's tables yet), %ld VEX/EVEX/XOP/3DNow!, "
			 "%ld rejected by both", modes[m].name, t.we_reject, t.other_encoding, t.both_reject);
	}
	cpu_destroy(cpu);
	return tap_done();
}
