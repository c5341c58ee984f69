// SPDX-License-Identifier: GPL-2.0-only
// 32-bit protected-mode instructions with byte-level vectors: BCD adjust (DAA DAS AAA AAS
// AAM AAD), BOUND, ARPL, LAR/LSL/VERR/VERW, SYSENTER/SYSEXIT, and the feature-gated
// LZCNT/TZCNT/RDTSCP rows. Expected values are worked from the SDM pseudo-code (the DAS
// vector is the SDM's own example), with lazy flags on and off.
#include <stdio.h>

#include "cpu_harness.h"

#define CODE 0x4000
#define GDT32 0x1000
#define IDT32 0x2000

/* Flat 32-bit: code 0x08, data 0x10, user code 0x1b, user data 0x23; IDT gates to HLTs at 3000h + 16*v */
static void pm32_setup(struct cpu *cpu)
{
	cpu_reset(cpu, false);
	memset(ram, 0, 0x10000);
	put64(GDT32 + 8, 0x00cf9a000000ffffull);
	put64(GDT32 + 16, 0x00cf92000000ffffull);
	put64(GDT32 + 24, 0x00cffa000000ffffull);
	put64(GDT32 + 32, 0x00cff2000000ffffull);
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = 0x3000 + v * 16;
		put64(IDT32 + v * 8, (h & 0xffff) | (8ull << 16) | (0x8eull << 40) | ((h & 0xffff0000ull) << 32));
		ram[h] = 0xf4;
	}
	cpu->cr0 = CPU_CR0_PE | CPU_CR0_ET;
	seg_set(&cpu->seg[CPU_CS], 8, 0xb, 0, false, true);
	seg_set(&cpu->seg[CPU_SS], 0x10, 3, 0, false, true);
	seg_set(&cpu->seg[CPU_DS], 0x10, 3, 0, false, true);
	seg_set(&cpu->seg[CPU_ES], 0x10, 3, 0, false, true);
	cpu->gdt.base = GDT32;
	cpu->gdt.limit = 39;
	cpu->idt.base = IDT32;
	cpu->idt.limit = 32 * 8 - 1;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->rip = CODE;
	cpu_state_changed(cpu);
}

/* Runs `n` bytes at CODE followed by HLT. Returns -1 when it reached that HLT, else the vector taken. */
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
#define AX(cpu) ((cpu)->gpr[CPU_RAX] & 0xffff)
#define FL(cpu, f) ((cpu_get_rflags(cpu) & (f)) != 0)

static void test_bcd(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	ok(RUN(cpu, "\xb0\x79\x04\x35\x27") == -1 && (AX(cpu) & 0xff) == 0x14 && FL(cpu, CPU_FLAG_CF) &&
	   FL(cpu, CPU_FLAG_AF) && !FL(cpu, CPU_FLAG_ZF), "DAA (%s): 79h + 35h -> 14h, CF=1 AF=1", n);
	ok(RUN(cpu, "\xb0\x35\xb3\x47\x28\xd8\x2f") == -1 && (AX(cpu) & 0xff) == 0x88 && FL(cpu, CPU_FLAG_CF) &&
	   FL(cpu, CPU_FLAG_AF) && FL(cpu, CPU_FLAG_SF), "DAS (%s): 35h - 47h -> 88h, CF=1 AF=1 (SDM example)", n);
	ok(RUN(cpu, "\x66\xb8\x09\x00\x04\x08\x37") == -1 && AX(cpu) == 0x0107 && FL(cpu, CPU_FLAG_CF) &&
	   FL(cpu, CPU_FLAG_AF), "AAA (%s): 9 + 8 -> AX 0107h, CF=AF=1", n);
	ok(RUN(cpu, "\x66\xb8\x03\x01\x2c\x05\x3f") == -1 && AX(cpu) == 0x0008 && FL(cpu, CPU_FLAG_CF) &&
	   FL(cpu, CPU_FLAG_AF), "AAS (%s): 0103h, AL - 5 -> AX 0008h, CF=AF=1", n);
	ok(RUN(cpu, "\x66\xb8\x02\x00\x04\x03\x37") == -1 && AX(cpu) == 0x0005 && !FL(cpu, CPU_FLAG_CF) &&
	   !FL(cpu, CPU_FLAG_AF), "AAA (%s): 2 + 3 -> AX 0005h, CF=AF=0", n);
	ok(RUN(cpu, "\xb0\x4b\xd4\x0a") == -1 && AX(cpu) == 0x0705 && !FL(cpu, CPU_FLAG_ZF),
	   "AAM (%s): 75 -> AX 0705h", n);
	ok(RUN(cpu, "\x66\xb8\x05\x07\xd5\x0a") == -1 && AX(cpu) == 0x004b && !FL(cpu, CPU_FLAG_SF),
	   "AAD (%s): 0705h -> AX 004Bh", n);
	cpu->gpr[CPU_RAX] = 0x1234;
	ok(RUN(cpu, "\xd4\x00") == CPU_EXC_DE && AX(cpu) == 0x1234, "AAM 0 (%s): #DE, AX unchanged", n);
}

static void test_bound_arpl(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	put64(0x5000, 10 | (20ull << 32));
	cpu->gpr[CPU_RAX] = 25;
	ok(RUN(cpu, "\x62\x05\x00\x50\x00\x00") == CPU_EXC_BR, "BOUND (%s): 25 outside [10, 20] is #BR", n);
	cpu->gpr[CPU_RAX] = 15;
	ok(RUN(cpu, "\x62\x05\x00\x50\x00\x00") == -1, "BOUND (%s): 15 inside [10, 20] passes", n);
	cpu->gpr[CPU_RAX] = (uint64_t)-5;
	put64(0x5000, 0xfffffff6ull | (20ull << 32));	/* [-10, 20] signed */
	ok(RUN(cpu, "\x62\x05\x00\x50\x00\x00") == -1, "BOUND (%s): bounds are signed (-5 in [-10, 20])", n);
	cpu->gpr[CPU_RCX] = 0x10;
	cpu->gpr[CPU_RDX] = 0x3;
	ok(RUN(cpu, "\x63\xd1") == -1 && (cpu->gpr[CPU_RCX] & 0xffff) == 0x13 && FL(cpu, CPU_FLAG_ZF),
	   "ARPL (%s): RPL 0 raised to 3, ZF=1", n);
	ok(RUN(cpu, "\x63\xd1") == -1 && (cpu->gpr[CPU_RCX] & 0xffff) == 0x13 && !FL(cpu, CPU_FLAG_ZF),
	   "ARPL (%s): already 3, unchanged, ZF=0", n);
}

static void test_desc(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	cpu->gpr[CPU_RCX] = 0x10;
	ok(RUN(cpu, "\x0f\x02\xc1") == -1 && cpu->gpr[CPU_RAX] == 0x00c09200 && FL(cpu, CPU_FLAG_ZF),
	   "LAR (%s): data selector 10h -> access rights 00C09200h, ZF=1", n);
	ok(RUN(cpu, "\x0f\x03\xc1") == -1 && cpu->gpr[CPU_RAX] == 0xffffffff && FL(cpu, CPU_FLAG_ZF),
	   "LSL (%s): 4-GiB granular limit ffffffffh", n);
	cpu->gpr[CPU_RCX] = 0x78;
	cpu->gpr[CPU_RAX] = 0x55;
	ok(RUN(cpu, "\x0f\x03\xc1") == -1 && cpu->gpr[CPU_RAX] == 0x55 && !FL(cpu, CPU_FLAG_ZF),
	   "LSL (%s): a selector beyond the GDT limit: ZF=0, no fault, destination unchanged", n);
	cpu->gpr[CPU_RCX] = 0x10;
	ok(RUN(cpu, "\x0f\x00\xe1") == -1 && FL(cpu, CPU_FLAG_ZF), "VERR (%s): data segment readable", n);
	cpu->gpr[CPU_RCX] = 0x08;
	ok(RUN(cpu, "\x0f\x00\xe9") == -1 && !FL(cpu, CPU_FLAG_ZF), "VERW (%s): code segment not writable", n);
	ok(RUN(cpu, "\x0f\x00\xe1") == -1 && FL(cpu, CPU_FLAG_ZF), "VERR (%s): readable code segment", n);
}

static void test_sysenter(struct cpu *cpu, const char *n)
{
	struct cpu_exit e;

	pm32_setup(cpu);
	cpu_msr_write(cpu, 0x174, 0x08);
	cpu_msr_write(cpu, 0x175, 0x7000);
	cpu_msr_write(cpu, 0x176, 0x4100);
	ram[0x4100] = 0xf4;
	/* from ring 3: SYSENTER to ring 0 */
	seg_set(&cpu->seg[CPU_CS], 0x1b, 0xb, 3, false, true);
	seg_set(&cpu->seg[CPU_SS], 0x23, 3, 3, false, true);
	cpu_state_changed(cpu);
	memcpy(ram + CODE, "\x0f\x34", 2);
	cpu->rip = CODE;
	ok(cpu_run(cpu, &e) == CPU_EXIT_HLT && cpu->rip == 0x4101 && cpu->seg[CPU_CS].selector == 8 &&
	   cpu->seg[CPU_SS].selector == 0x10 && cpu->gpr[CPU_RSP] == 0x7000 && cpu->seg[CPU_CS].dpl == 0,
	   "SYSENTER (%s): from ring 3 to CS 08h, SS 10h, ESP/EIP from the MSRs", n);
	/* SYSEXIT back to ring 3 at EDX with ESP = ECX; CPUID there exits at any CPL */
	memcpy(ram + CODE, "\x0f\x35", 2);
	memcpy(ram + 0x4200, "\x0f\xa2", 2);
	cpu->gpr[CPU_RCX] = 0x6000;
	cpu->gpr[CPU_RDX] = 0x4200;
	cpu->rip = CODE;
	ok(cpu_run(cpu, &e) == CPU_EXIT_CPUID && cpu->rip == 0x4200 && cpu->seg[CPU_CS].selector == 0x1b &&
	   cpu->seg[CPU_SS].selector == 0x23 && cpu->gpr[CPU_RSP] == 0x6000 && cpu->seg[CPU_CS].db,
	   "SYSEXIT (%s): CS 1Bh, SS 23h, ESP=ECX, EIP=EDX", n);
	cpu_msr_write(cpu, 0x174, 0);
	seg_set(&cpu->seg[CPU_CS], 8, 0xb, 0, false, true);
	seg_set(&cpu->seg[CPU_SS], 0x10, 3, 0, false, true);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x0f\x34") == CPU_EXC_GP && get64(0x8000 - 16) == (uint64_t)CODE << 32,
	   "SYSENTER (%s): IA32_SYSENTER_CS = 0 is #GP(0) at the SYSENTER", n);
}

static void test_features(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	cpu->gpr[CPU_RCX] = 0x10;
	cpu->features = CPU_FEAT_DEFAULT;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\xf3\x0f\xbd\xc1") == -1 && cpu->gpr[CPU_RAX] == 4 && !FL(cpu, CPU_FLAG_ZF),
	   "F3 0F BD without LZCNT (%s): BSR, EAX=4", n);
	cpu->features = CPU_FEAT_ALL;
	ok(RUN(cpu, "\xf3\x0f\xbd\xc1") == -1 && cpu->gpr[CPU_RAX] == 27 && !FL(cpu, CPU_FLAG_CF),
	   "F3 0F BD with LZCNT (%s): EAX=27", n);
	cpu->gpr[CPU_RCX] = 0;
	ok(RUN(cpu, "\xf3\x0f\xbc\xc1") == -1 && cpu->gpr[CPU_RAX] == 32 && FL(cpu, CPU_FLAG_CF) &&
	   !FL(cpu, CPU_FLAG_ZF), "TZCNT of 0 (%s): 32, CF=1", n);
	cpu_msr_write(cpu, 0xc0000103, 7);
	tsc_value = 0x100000002ull;
	ok(RUN(cpu, "\x0f\x01\xf9") == -1 && cpu->gpr[CPU_RAX] == 2 && cpu->gpr[CPU_RDX] == 1 &&
	   cpu->gpr[CPU_RCX] == 7, "RDTSCP (%s): EDX:EAX = TSC, ECX = TSC_AUX", n);
	cpu->features = CPU_FEAT_DEFAULT;
	ok(RUN(cpu, "\x0f\x01\xf9") == CPU_EXC_UD, "RDTSCP without the feature (%s): #UD", n);
	ok(RUN(cpu, "\x0f\xb8\xc1") == CPU_EXC_UD, "0F B8 without F3 (%s): #UD", n);
}

int main(void)
{
	for (unsigned sw = 0; sw < SW_COMBINATIONS; sw += 4) {
		struct cpu *cpu = cpu_with_switches(sw);
		const char *n = switch_name(sw);

		test_bcd(cpu, n);
		test_bound_arpl(cpu, n);
		test_desc(cpu, n);
		test_sysenter(cpu, n);
		test_features(cpu, n);
		cpu_destroy(cpu);
	}
	return tap_done();
}
