// SPDX-License-Identifier: GPL-2.0-only
// SSE outside 64-bit mode: 32-bit protected mode (XMM0-7, 32-bit addressing, FXSAVE's
// 288-byte 32-bit image, alignment #GP) and real mode (16-bit addressing), byte vectors.
#include "cpu_harness.h"

#define CODE 0x4000
#define GDT32 0x1000
#define IDT32 0x2000

static void pm32_setup(struct cpu *cpu)
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
	cpu->cr0 = CPU_CR0_PE | CPU_CR0_ET | CPU_CR0_NE;
	cpu->cr4 = CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT;
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

/* -1: reached the HLT after the code; else the vector taken (-2, -3: something else) */
static int run_at(struct cpu *cpu, uint64_t at, const char *code, unsigned n)
{
	struct cpu_exit e;

	memcpy(ram + at, code, n);
	ram[at + n] = 0xf4;
	cpu->rip = at;
	if (cpu_run(cpu, &e) != CPU_EXIT_HLT)
		return -2;
	if (cpu->rip == at + n + 1)
		return -1;
	if (cpu->rip >= 0x3001 && cpu->rip < 0x3000 + 32 * 16 && (cpu->rip & 15) == 1)
		return (int)((cpu->rip - 0x3001) / 16);
	return -3;
}

#define RUN(cpu, at, lit) run_at(cpu, at, lit, sizeof(lit) - 1)

int main(void)
{
	struct cpu *cpu = cpu_create(&harness_ops, NULL);
	static const float in[4] = { 1.0f, 2.0f, 3.0f, 4.0f }, twice[4] = { 2.0f, 4.0f, 6.0f, 8.0f };
	bool kept = true;

	if (!cpu)
		tap_bail("cpu_create");
	pm32_setup(cpu);
	memcpy(ram + 0x6000, in, 16);
	memset(ram + 0x7000, 0xee, 512);
	/* movups xmm1, [6000h]; addps xmm1, xmm1; movups [6010h], xmm1; fxsave [7000h] */
	is(RUN(cpu, CODE, "\x0f\x10\x0d\x00\x60\x00\x00\x0f\x58\xc9\x0f\x11\x0d\x10\x60\x00\x00"
			  "\x0f\xae\x05\x00\x70\x00\x00"), -1, "32-bit: MOVUPS, ADDPS, MOVUPS, FXSAVE run");
	ok(!memcmp(ram + 0x6010, twice, 16), "32-bit: 1,2,3,4 + itself = 2,4,6,8 stored at [6010h]");
	ok(!memcmp(ram + 0x7000 + 160 + 16, twice, 16), "32-bit FXSAVE: XMM1 at byte 176");
	for (int i = 288; i < 512; i++)
		kept = kept && ram[0x7000 + i] == 0xee;
	ok(kept, "32-bit FXSAVE: bytes 288..511 (XMM8-15 and the rest) not written");
	/* movaps xmm1, [6004h]: not 16-byte aligned */
	is(RUN(cpu, CODE, "\x0f\x28\x0d\x04\x60\x00\x00"), CPU_EXC_GP, "32-bit: misaligned MOVAPS is #GP");
	cpu->cr4 &= ~CPU_CR4_OSFXSR;
	cpu_state_changed(cpu);
	is(RUN(cpu, CODE, "\x0f\x58\xc9"), CPU_EXC_UD, "32-bit: ADDPS without CR4.OSFXSR is #UD");

	/* FNINIT; FLDCW [6100h] (#Z unmasked); FLD1; FLDZ; FDIVP: 1/0 leaves FSW.ES pending.
	 * Then PXOR mm0, mm0: #MF, also with CR0.NE=0 (held at 1 under KVM on VMX). */
	for (int ne = 1; ne >= 0; ne--) {
		pm32_setup(cpu);
		if (!ne) {
			cpu->cr0 &= ~CPU_CR0_NE;
			cpu_state_changed(cpu);
		}
		put64(0x6100, 0x037b);
		is(RUN(cpu, CODE, "\xdb\xe3\xd9\x2d\x00\x61\x00\x00\xd9\xe8\xd9\xee\xde\xf9\x0f\xef\xc0"),
		   CPU_EXC_MF, ne ? "MMX PXOR with an x87 exception pending: #MF (CR0.NE=1)"
				  : "MMX PXOR with an x87 exception pending: #MF (CR0.NE=0)");
	}
	pm32_setup(cpu);

	/* real mode: movups xmm0, [bx]; movups [bx+20h], xmm0 with BX = 6000h */
	set_mode(cpu, M16);
	cpu->cr4 = CPU_CR4_OSFXSR;
	cpu->gpr[CPU_RBX] = 0x6000;
	cpu_state_changed(cpu);
	memcpy(ram + 0x6000, in, 16);
	memset(ram + 0x6020, 0, 16);
	is(RUN(cpu, 0x1000, "\x0f\x10\x07\x0f\x11\x47\x20"), -1, "real mode: MOVUPS load and store with [bx]");
	ok(!memcmp(ram + 0x6020, in, 16), "real mode: 16 bytes copied to [bx+20h]");
	cpu_destroy(cpu);
	return tap_done();
}
