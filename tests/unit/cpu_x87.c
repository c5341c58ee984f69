// SPDX-License-Identifier: GPL-2.0-only
// x87 system behaviour with byte-level vectors: #NM (CR0.EM, CR0.TS; WAIT with CR0.MP),
// #MF at the next waiting instruction with CR0.NE=1, FIP/FOP/FDP, and the exact FNSTENV,
// FNSAVE and FRSTOR images in the 16- and 32-bit, protected- and real-mode formats
// (SDM Vol.1 §8.1.10 Figures 8-9..8-12, Vol.3 Table 2-2). Arithmetic itself is checked
// against the host in tests/diff/diff_x87.
#include <stdio.h>

#include "cpu_harness.h"

#define CODE 0x4000
#define GDT32 0x1000
#define IDT32 0x2000

/* Flat 32-bit: code 0x08, data 0x10; IDT gates to HLTs at 3000h + 16*v */
static void pm32_setup(struct cpu *cpu, uint64_t cr0_extra)
{
	cpu_reset(cpu, false);
	memset(ram, 0, 0x10000);
	put64(GDT32 + 8, 0x00cf9a000000ffffull);
	put64(GDT32 + 16, 0x00cf92000000ffffull);
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = 0x3000 + v * 16;
		put64(IDT32 + v * 8, (h & 0xffff) | (8ull << 16) | (0x8eull << 40) | ((h & 0xffff0000ull) << 32));
		ram[h] = 0xf4;
	}
	cpu->cr0 = CPU_CR0_PE | CPU_CR0_ET | cr0_extra;
	seg_set(&cpu->seg[CPU_CS], 8, 0xb, 0, false, true);
	seg_set(&cpu->seg[CPU_SS], 0x10, 3, 0, false, true);
	seg_set(&cpu->seg[CPU_DS], 0x10, 3, 0, false, true);
	seg_set(&cpu->seg[CPU_ES], 0x10, 3, 0, false, true);
	cpu->gdt.base = GDT32;
	cpu->gdt.limit = 23;
	cpu->idt.base = IDT32;
	cpu->idt.limit = 32 * 8 - 1;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->rip = CODE;
	cpu_state_changed(cpu);
}

/* Runs `n` bytes at CODE followed by HLT: -1 when it reached that HLT, else the vector taken. */
static int run32(struct cpu *cpu, const char *code, unsigned n)
{
	struct cpu_exit e;

	memcpy(ram + CODE, code, n);
	ram[CODE + n] = 0xf4;
	cpu->rip = CODE;
	if (cpu_run(cpu, &e) != CPU_EXIT_HLT)
		return -2;
	if (cpu->rip == CODE + n + 1)
		return -1;
	if (cpu->rip >= 0x3001 && cpu->rip < 0x3000 + 32 * 16 && (cpu->rip & 15) == 1)
		return (int)((cpu->rip - 0x3001) / 16);
	return -3;
}

#define RUN(cpu, lit) run32(cpu, lit, sizeof(lit) - 1)

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, ram + gpa, 2);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, ram + gpa, 4);
	return v;
}

static bool bytes_are(uint64_t gpa, const uint8_t *want, unsigned n, const char *what)
{
	if (!memcmp(ram + gpa, want, n))
		return true;
	for (unsigned i = 0; i < n; i++)
		if (ram[gpa + i] != want[i])
			tap_diag("%s: byte %u is %02x, want %02x", what, i, ram[gpa + i], want[i]);
	return false;
}

static void test_nm(struct cpu *cpu)
{
	pm32_setup(cpu, CPU_CR0_EM);
	is(RUN(cpu, "\xd9\xe8"), CPU_EXC_NM, "CR0.EM: FLD1 raises #NM");
	is(cpu->fxsave[2] | cpu->fxsave[3] << 8, 0, "  and leaves FSW (TOP) unchanged");
	pm32_setup(cpu, CPU_CR0_EM);
	is(RUN(cpu, "\xdb\xe3"), CPU_EXC_NM, "CR0.EM: FNINIT (no-wait) raises #NM too");
	pm32_setup(cpu, CPU_CR0_EM | CPU_CR0_MP);
	is(RUN(cpu, "\x9b"), -1, "CR0.EM with MP: WAIT runs");
	pm32_setup(cpu, CPU_CR0_TS | CPU_CR0_MP);
	is(RUN(cpu, "\xd9\xe8"), CPU_EXC_NM, "CR0.TS: FLD1 raises #NM");
	pm32_setup(cpu, CPU_CR0_TS);
	is(RUN(cpu, "\x9b"), -1, "CR0.TS without MP: WAIT runs");
	is(RUN(cpu, "\xdd\x36\x00\x50\x00\x00"), CPU_EXC_NM, "CR0.TS: FNSAVE raises #NM");
	pm32_setup(cpu, CPU_CR0_TS | CPU_CR0_MP);
	is(RUN(cpu, "\x9b"), CPU_EXC_NM, "CR0.TS with MP: WAIT raises #NM");
	is(get32(0x8000 - 12), CODE, "  at the WAIT");
	pm32_setup(cpu, 0);
	is(RUN(cpu, "\xd9\xd1"), CPU_EXC_UD, "D9 D1 is #UD");
	is(RUN(cpu, "\xdf\xf8"), CPU_EXC_UD, "DF F8 is #UD");
	is(RUN(cpu, "\xdd\x2d\x00\x50\x00\x00"), CPU_EXC_UD, "DD /5 is #UD");
}

/*
 * A kernel's lazy FPU switch: CR0.TS set, the first x87 instruction traps to #NM, the
 * handler runs CLTS and FRSTOR of the task's saved image and IRETs, and the faulting
 * instruction runs again on the restored state.
 */
static void test_lazy(struct cpu *cpu)
{
	pm32_setup(cpu, CPU_CR0_NE | CPU_CR0_MP);
	/* the task's image: FNINIT; FLD1; FNSAVE [5000h] */
	is(RUN(cpu, "\xdb\xe3\xd9\xe8\xdd\x35\x00\x50\x00\x00"), -1, "lazy FPU: a task's state saved");
	/* #NM handler at 3070h: clts; frstor [5000h]; iret (after a counter in 6000h) */
	memcpy(ram + 0x3070, "\xff\x05\x00\x60\x00\x00\x0f\x06\xdd\x25\x00\x50\x00\x00\xcf", 15);
	cpu->cr0 |= CPU_CR0_TS;
	cpu_state_changed(cpu);
	/* fldpi; fstp qword [5400h]; fstp qword [5408h] */
	is(RUN(cpu, "\xd9\xeb\xdd\x1d\x00\x54\x00\x00\xdd\x1d\x08\x54\x00\x00"), -1,
	   "  FLDPI with CR0.TS set: #NM, handler restores, FLDPI runs again");
	is(get32(0x6000), 1, "  one #NM");
	is(cpu->cr0 & CPU_CR0_TS, 0, "  TS cleared by CLTS");
	is(get64(0x5400), 0x400921fb54442d18ull, "  pi (rounded to double)");
	is(get64(0x5408), 0x3ff0000000000000ull, "  on top of the restored 1.0");
}

/* FNINIT; FLDCW [6100h]; FLD1; FLDZ; FDIVP (divide by zero, ZE unmasked); FNSTSW AX; FNSTENV [5000h] */
#define MF_PROLOGUE "\xdb\xe3\xd9\x2d\x00\x61\x00\x00\xd9\xe8\xd9\xee\xde\xf9\xdf\xe0\xd9\x35\x00\x50\x00\x00"

static void test_mf(struct cpu *cpu)
{
	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x037b);
	is(RUN(cpu, MF_PROLOGUE "\x9b"), CPU_EXC_MF, "unmasked #Z: #MF at the next FWAIT (CR0.NE=1)");
	is(get32(0x8000 - 12), CODE + 22, "  pushed EIP is the FWAIT's");
	is(cpu->gpr[CPU_RAX] & 0x80ff, 0x8084, "  FNSTSW AX (no-wait) showed B, ES and ZE first");
	is(get32(0x5000 + 12), CODE + 12, "  FIP is the FDIVP's offset");
	is(get32(0x5000 + 16), 0x06f90008, "  FOP DE F9 and FCS 08h");
	is(cpu->fxsave[0] | cpu->fxsave[1] << 8, 0x37f, "  FNSTENV masked every exception after storing");

	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x037b);
	is(RUN(cpu, "\xdb\xe3\xd9\x2d\x00\x61\x00\x00\xd9\xe8\xd9\xee\xde\xf9\xd9\xe8"), CPU_EXC_MF,
	   "  a waiting x87 instruction (FLD1) raises #MF too");
	is(get32(0x8000 - 12), CODE + 14, "  before executing");
	is((cpu->fxsave[3] >> 3) & 7, 6, "  TOP unchanged by the faulting FLD1");

	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x037b);
	is(RUN(cpu, "\xdb\xe3\xd9\x2d\x00\x61\x00\x00\xd9\xe8\xd9\xee\xde\xf9\xdb\xe2\x9b"), -1,
	   "  FNCLEX clears the pending exception: FWAIT runs");

	pm32_setup(cpu, 0);
	put64(0x6100, 0x037b);
	is(RUN(cpu, MF_PROLOGUE "\x9b"), CPU_EXC_MF, "CR0.NE=0: FWAIT still #MF (NE is held at 1 under KVM/VMX)");
	is(cpu->fxsave[3] & 0x80, 0x80, "  and B stays set");
}

/* FNINIT; FLDCW [6100h]; FLD1; FLDZ; FLD dword [6000h] (2.0) */
#define ENV_PROLOGUE "\xdb\xe3\xd9\x2d\x00\x61\x00\x00\xd9\xe8\xd9\xee\xd9\x05\x00\x60\x00\x00"

static void test_env_pm(struct cpu *cpu)
{
	static const uint8_t env32[28] = {
		0x62, 0x03, 0xff, 0xff, 0x00, 0x28, 0xff, 0xff, 0xff, 0x13, 0xff, 0xff,
		0x0c, 0x40, 0x00, 0x00, 0x08, 0x00, 0x05, 0x01, 0x00, 0x60, 0x00, 0x00,
		0x10, 0x00, 0xff, 0xff,
	};
	static const uint8_t env16[14] = {
		0x62, 0x03, 0x00, 0x28, 0xff, 0x13, 0x0c, 0x40, 0x08, 0x00, 0x00, 0x60, 0x10, 0x00,
	};
	static const uint8_t regs[30] = {
		0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40,	/* ST0 = 2.0 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* ST1 = +0 */
		0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f,	/* ST2 = 1.0 */
	};

	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x0362);
	put64(0x6000, 0x40000000);
	is(RUN(cpu, ENV_PROLOGUE "\xd9\x35\x00\x50\x00\x00\xd9\x3d\x00\x62\x00\x00"), -1,
	   "FNSTENV, 32-bit protected mode");
	ok(bytes_are(0x5000, env32, 28, "env32"), "  28 bytes: FCW FSW FTW (ones above), FIP, FOP|FCS, FDP, FDS");
	is(get16(0x6200), 0x037f, "  then FNSTCW shows every exception masked");

	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x0362);
	put64(0x6000, 0x40000000);
	memset(ram + 0x5000, 0xaa, 32);
	is(RUN(cpu, ENV_PROLOGUE "\x66\xd9\x35\x00\x50\x00\x00"), -1, "FNSTENV with 66h, 16-bit protected mode");
	ok(bytes_are(0x5000, env16, 14, "env16") && ram[0x5000 + 14] == 0xaa, "  14 bytes: FCW FSW FTW FIP FCS FDP FDS");

	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x0362);
	put64(0x6000, 0x40000000);
	is(RUN(cpu, ENV_PROLOGUE "\xdd\x35\x00\x50\x00\x00\xdf\xe0\xd9\x3d\x00\x62\x00\x00"), -1, "FNSAVE, 32-bit");
	ok(bytes_are(0x5000, env32, 28, "fnsave env"), "  the environment part");
	ok(bytes_are(0x5000 + 28, regs, 30, "fnsave regs") && ram[0x5000 + 108] == 0, "  ST0..ST2 in stack order, 108 bytes");
	is(cpu->gpr[CPU_RAX] & 0xffff, 0, "  then FSW is 0 (FNINIT)");
	is(get16(0x6200), 0x037f, "  and FCW 037Fh");
	is(cpu->fxsave[4], 0, "  and every register empty");
	/* FRSTOR [5000h]; FNSAVE [5100h] */
	is(RUN(cpu, "\xdd\x25\x00\x50\x00\x00\xdd\x35\x00\x51\x00\x00"), -1, "FRSTOR then FNSAVE");
	ok(!memcmp(ram + 0x5000, ram + 0x5100, 108), "  the same 108 bytes");
	/* FRSTOR; FSTP st0 twice: 1.0 is what remains */
	is(RUN(cpu, "\xdd\x25\x00\x50\x00\x00\xdd\xd8\xdd\xd8\xd9\x1d\x00\x63\x00\x00"), -1, "FRSTOR restores the stack");
	is(get32(0x6300), 0x3f800000, "  ST2 became ST0 = 1.0");

	pm32_setup(cpu, CPU_CR0_NE);
	put64(0x6100, 0x0362);
	put64(0x6000, 0x40000000);
	/* FLDENV of an image with TOP 3 and an unmasked ZE flag set: ES and B appear */
	{
		uint8_t env[28];
		memcpy(env, env32, 28);
		env[0] = 0x7b;
		env[4] = 0x04;
		env[5] = 0x18;
		memcpy(ram + 0x5800, env, 28);
	}
	is(RUN(cpu, ENV_PROLOGUE "\xd9\x25\x00\x58\x00\x00\xdf\xe0"), -1, "FLDENV");
	is(cpu->gpr[CPU_RAX] & 0xffff, 0x9884, "  FSW with TOP 3, ZE, and ES/B recomputed");
	is(cpu->fxsave[0] | cpu->fxsave[1] << 8, 0x037b, "  FCW");
	is(RUN(cpu, "\xd9\xe8"), CPU_EXC_MF, "  the pending exception traps the next FLD1");
}

static void test_env_real(struct cpu *cpu)
{
	static const uint8_t env16[14] = {
		0x7f, 0x03, 0x00, 0x30, 0xff, 0x0f, 0x04, 0x40, 0x06, 0x01, 0x00, 0x51, 0x00, 0x00,
	};
	static const uint8_t env32[28] = {
		0x7f, 0x03, 0xff, 0xff, 0x00, 0x30, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff,
		0x04, 0x40, 0xff, 0xff, 0x06, 0x01, 0x00, 0x00, 0x00, 0x51, 0xff, 0xff,
		0x00, 0x00, 0x00, 0x00,
	};
	static const char code[] =
		"\xdb\xe3"			/* 1000 fninit */
		"\xd9\xe8"			/* 1002 fld1 */
		"\xd9\x06\x00\x01"		/* 1004 fld dword [100h] */
		"\xd9\x36\x00\x02"		/* 1008 fnstenv [200h] (16-bit real-mode format) */
		"\x66\xd9\x36\x00\x03"		/* 100c fnstenv [300h] (32-bit real-mode format) */
		"\xdb\xe3"			/* 1011 fninit */
		"\xd9\x26\x00\x02"		/* 1013 fldenv [200h] */
		"\xd9\x36\x00\x04"		/* 1017 fnstenv [400h] */
		"\xf4";
	struct cpu_exit e;

	cpu_reset(cpu, false);
	memset(ram, 0, 0x10000);
	cpu->seg[CPU_CS].selector = 0x300;
	cpu->seg[CPU_CS].base = 0x3000;
	cpu->seg[CPU_DS].selector = 0x500;
	cpu->seg[CPU_DS].base = 0x5000;
	cpu->rip = 0x1000;
	cpu_state_changed(cpu);
	memcpy(ram + 0x4000, code, sizeof(code) - 1);
	put64(0x5100, 0x40000000);
	is(cpu_run(cpu, &e), CPU_EXIT_HLT, "real mode: FNSTENV in both formats");
	is(cpu->rip, 0x101c, "  reached the HLT");
	ok(bytes_are(0x5200, env16, 14, "real env16"), "  16-bit: linear FIP 04004h (bits 19:16 above FOP 106h), FDP 05100h");
	ok(bytes_are(0x5300, env32, 28, "real env32"), "  32-bit: FIP[15:0], FIP[31:16] << 12 | FOP, FDP halves");
	ok(bytes_are(0x5400, env16, 14, "real env16 again"),
	   "  FNINIT, FLDENV of the 16-bit image, FNSTENV: the same 14 bytes (linear pointers, FOP, tags)");
}

/* 64-bit code: FIP and FDP are the 64-bit RIP and operand offset at FXSAVE bytes 8 and 16. */
static void test_pointers64(struct cpu *cpu)
{
	struct cpu_exit e;
	uint64_t fip, fdp;

	set_mode(cpu, M64);
	memset(ram, 0, 0x10000);
	/* fld dword [rip+1000h] at 1000h (next RIP 1006h); FOP D9 05, then FLD1: FOP D9 E8 */
	memcpy(ram + 0x1000, "\xd9\x05\x00\x10\x00\x00\xd9\xe8\xf4", 9);
	put64(0x2006, 0x3f800000);
	is(cpu_run(cpu, &e), CPU_EXIT_HLT, "64-bit: FLD m32 (RIP-relative); FLD1");
	memcpy(&fip, cpu->fxsave + 8, 8);
	memcpy(&fdp, cpu->fxsave + 16, 8);
	is(fip, 0x1006, "  FIP is FLD1's RIP (64 bits)");
	is(fdp, 0x2006, "  FDP is the last memory operand's offset (FLD1 has none)");
	is(cpu->fxsave[6] | cpu->fxsave[7] << 8, 0x1e8, "  FOP D9 E8");
	is(cpu->fxsave[4], 0xc0, "  abridged tag: R7 and R6 in use");
	is((cpu->fxsave[3] >> 3) & 7, 6, "  TOP 6");
	is(cpu->fxsave[32 + 9] << 8 | cpu->fxsave[32 + 8], 0x3fff, "  slot 0 (ST0) holds 1.0");
	is(cpu->fxsave[48 + 9] << 8 | cpu->fxsave[48 + 8], 0x3fff, "  slot 1 (ST1) holds 1.0 from memory");
}

/* MMX register i is physical register Ri whatever TOP is; the MMX instruction sets TOP 0. */
static void test_mmx_alias(struct cpu *cpu)
{
	struct cpu_exit e;

	set_mode(cpu, M64);
	memset(ram, 0, 0x10000);
	cpu->cr4 |= CPU_CR4_OSFXSR;
	cpu_state_changed(cpu);
	/* fninit; fld1 (TOP 7, R7 = 1.0); movq rax, mm7; emms */
	memcpy(ram + 0x1000, "\xdb\xe3\xd9\xe8\x48\x0f\x7e\xf8\x0f\x77\xf4", 11);
	is(cpu_run(cpu, &e), CPU_EXIT_HLT, "MMX after x87: FLD1; MOVQ RAX, MM7; EMMS");
	is(cpu->gpr[CPU_RAX], 0x8000000000000000ull, "  MM7 is R7, the 1.0 FLD1 pushed with TOP 7");
	is((cpu->fxsave[3] >> 3) & 7, 0, "  TOP 0");
	is(cpu->fxsave[32 + 16 * 7 + 9] << 8 | cpu->fxsave[32 + 16 * 7 + 8], 0x3fff, "  ST(7) is now R7 = 1.0");
}

/*
 * Precise faults: an x87 store or load whose operand crosses into a not-present page
 * raises #PF with nothing written and the stack unchanged (32-bit paging, page C000h absent).
 */
static void test_page_fault(struct cpu *cpu)
{
	pm32_setup(cpu, CPU_CR0_NE);
	memset(ram + 0x10000, 0, 0x2000);
	put64(0x10000, 0x11000 | 3);			/* PDE 0: the page table at 11000h */
	for (uint32_t i = 0; i < 512; i++)
		if (i != 0xc)
			memcpy(ram + 0x11000 + 4 * i, &(uint32_t){ i * 4096 | 3 }, 4);
	cpu->cr3 = 0x10000;
	cpu->cr0 |= CPU_CR0_PG;
	cpu_state_changed(cpu);
	memset(ram + 0xbff0, 0x5a, 16);
	/* fninit; fld1; fstp tword [0BFFAh] */
	is(RUN(cpu, "\xdb\xe3\xd9\xe8\xdb\x3d\xfa\xbf\x00\x00"), CPU_EXC_PF, "FSTP m80 across into a missing page: #PF");
	is(cpu->cr2, 0xc000, "  CR2 is the missing page");
	is(get32(0x8000 - 16), 2, "  error code: write, not present");
	is(get32(0x8000 - 12), CODE + 4, "  at the FSTP");
	ok(ram[0xbffa] == 0x5a && ram[0xbfff] == 0x5a, "  nothing written in the present page");
	is((cpu->fxsave[3] >> 3) & 7, 7, "  no pop: TOP still 7");
	is(cpu->fxsave[6] | cpu->fxsave[7] << 8, 0x1e8, "  FOP still FLD1's");
	/* fld tword [0BFFAh] */
	cpu->gpr[CPU_RSP] = 0x8000;
	is(RUN(cpu, "\xdb\x2d\xfa\xbf\x00\x00"), CPU_EXC_PF, "FLD m80 across into a missing page: #PF");
	is(get32(0x8000 - 16), 0, "  error code: read, not present");
	is((cpu->fxsave[3] >> 3) & 7, 7, "  no push");
	/* fnsave [0BFA0h]: 108 bytes cross into C000h */
	cpu->gpr[CPU_RSP] = 0x8000;
	is(RUN(cpu, "\xdd\x35\xa0\xbf\x00\x00"), CPU_EXC_PF, "FNSAVE across into a missing page: #PF");
	ok(ram[0xbff0] == 0x5a && ram[0xbfa0] == 0, "  nothing written");
	is(cpu->fxsave[4], 0x80, "  and no FNINIT: R7 still in use");
}

int main(void)
{
	struct cpu *cpu = cpu_create(&harness_ops, NULL);

	if (!cpu)
		tap_bail("cpu_create");
	test_nm(cpu);
	test_mf(cpu);
	test_env_pm(cpu);
	test_env_real(cpu);
	test_pointers64(cpu);
	test_lazy(cpu);
	test_mmx_alias(cpu);
	test_page_fault(cpu);
	cpu_destroy(cpu);
	return tap_done();
}
