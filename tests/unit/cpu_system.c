// SPDX-License-Identifier: GPL-2.0-only
// System architecture with byte-level vectors: segment limit and rights checks on data,
// stack and code accesses (real, 32-bit protected and 64-bit mode), far JMP/CALL/RET with
// their descriptor checks, 16/32/64-bit call gates with the stack switch through the TSS
// and parameter copy, and the far RET to an outer ring that nulls data segments.
// Expected vectors and error codes are those of the SDM (Vol.3 §5.3, §5.8; Vol.2 CALL,
// JMP, RET), each scenario with the fast paths on and off.
#include <stdio.h>

#include "cpu_harness.h"

#define GDT 0x1000
#define IDT 0x2000
#define TSS 0x6000
#define CODE 0x4000

static uint64_t desc(uint32_t base, uint32_t limit, unsigned type, bool s, unsigned dpl, bool p, bool db, bool g)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)type << 40) |
	       ((uint64_t)s << 44) | ((uint64_t)dpl << 45) | ((uint64_t)p << 47) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)db << 54) | ((uint64_t)g << 55) |
	       ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl, unsigned pcount, bool p)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)pcount << 32) | ((uint64_t)type << 40) |
	       ((uint64_t)dpl << 45) | ((uint64_t)p << 47) | ((uint64_t)(off >> 16) << 48);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, ram + gpa, 4);
	return v;
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, ram + gpa, 2);
	return v;
}

/* Loads a segment register's cache from the GDT entry of `sel`, as a load would. */
static void ld(struct cpu *cpu, int sreg, uint16_t sel)
{
	seg_from_descriptor(&cpu->seg[sreg], sel, (sel & ~3) ? get64(GDT + (sel & ~7)) : 0);
	if (!(sel & ~3)) {
		cpu->seg[sreg].unusable = 1;
		cpu->seg[sreg].present = 0;
	}
	cpu_state_changed(cpu);
}

/*
 * 32-bit protected mode. GDT: 08 code DPL0, 10 data DPL0, 1B code DPL3, 23 data DPL3,
 * 28 TSS (ESP0 9000h/SS0 10h, ESP1 8800h/SS1 B9h), 30 data limit FFFh, 38 read-only
 * data, 40 expand-down data base 2000h limit FFFh B=1, 48 execute-only code, 50 32-bit call gate
 * DPL3 (2 parameters) -> 08:4800, 58 call gate DPL0 -> 08:4800, 60 16-bit call gate
 * DPL0 -> 08:4900, 68 call gate DPL3 not present, 70 code DPL0 limit 4FFFh,
 * 88 data DPL0 limit 7FFFh, 90 data DPL3 limit 7FFFh, 98 code not present,
 * A0 code DPL1, A8 call gate DPL3 -> A0:4800, B0 data DPL1 not present, B8 data DPL1,
 * C0 data DPL3 limit FFFFh expand-down B=0, E8 conforming code DPL0.
 * IDT: interrupt gates to HLTs at 3000h + 16 * vector.
 */
static void pm32_setup(struct cpu *cpu)
{
	cpu_reset(cpu, false);
	memset(ram, 0, 0x10000);
	put64(GDT + 0x08, desc(0, 0xfffff, 0xb, 1, 0, 1, 1, 1));
	put64(GDT + 0x10, desc(0, 0xfffff, 0x3, 1, 0, 1, 1, 1));
	put64(GDT + 0x18, desc(0, 0xfffff, 0xb, 1, 3, 1, 1, 1));
	put64(GDT + 0x20, desc(0, 0xfffff, 0x3, 1, 3, 1, 1, 1));
	put64(GDT + 0x28, desc(TSS, 0x67, 0xb, 0, 0, 1, 0, 0));
	put64(GDT + 0x30, desc(0, 0xfff, 0x3, 1, 0, 1, 1, 0));
	put64(GDT + 0x38, desc(0, 0xfffff, 0x1, 1, 0, 1, 1, 1));
	put64(GDT + 0x40, desc(0x2000, 0xfff, 0x7, 1, 0, 1, 1, 0));
	put64(GDT + 0x48, desc(0, 0xfffff, 0x9, 1, 0, 1, 1, 1));
	put64(GDT + 0x50, gate(0x08, 0x4800, 0xc, 3, 2, true));
	put64(GDT + 0x58, gate(0x08, 0x4800, 0xc, 0, 0, true));
	put64(GDT + 0x60, gate(0x08, 0x4900, 0x4, 0, 0, true));
	put64(GDT + 0x68, gate(0x08, 0x4800, 0xc, 3, 0, false));
	put64(GDT + 0x70, desc(0, 0x4fff, 0xb, 1, 0, 1, 1, 0));
	put64(GDT + 0x88, desc(0, 0x7fff, 0x3, 1, 0, 1, 1, 0));
	put64(GDT + 0x90, desc(0, 0x7fff, 0x3, 1, 3, 1, 1, 0));
	put64(GDT + 0x98, desc(0, 0xfffff, 0xb, 1, 0, 0, 1, 1));
	put64(GDT + 0xa0, desc(0, 0xfffff, 0xb, 1, 1, 1, 1, 1));
	put64(GDT + 0xa8, gate(0xa0, 0x4800, 0xc, 3, 0, true));
	put64(GDT + 0xb0, desc(0, 0xfffff, 0x3, 1, 1, 0, 1, 1));
	put64(GDT + 0xb8, desc(0, 0xfffff, 0x3, 1, 1, 1, 1, 1));
	put64(GDT + 0xc0, desc(0, 0xfff, 0x7, 1, 3, 1, 0, 0));
	put64(GDT + 0xe8, desc(0, 0xfffff, 0xf, 1, 0, 1, 1, 1));	/* conforming code, DPL 0 */
	memcpy(ram + 0x4800, "\x0f\xa2", 2);	/* call-gate targets: CPUID */
	memcpy(ram + 0x4900, "\x0f\xa2", 2);
	put64(TSS + 4, 0x9000);
	put64(TSS + 8, 0x10);
	put64(TSS + 12, 0x8800);
	put64(TSS + 16, 0xb9);
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = 0x3000 + v * 16;
		put64(IDT + v * 8, (h & 0xffff) | (8ull << 16) | (0x8eull << 40) | ((h & 0xffff0000ull) << 32));
		ram[h] = 0xf4;
	}
	cpu->cr0 = CPU_CR0_PE | CPU_CR0_ET;
	cpu->gdt.base = GDT;
	cpu->gdt.limit = 0xff;
	cpu->idt.base = IDT;
	cpu->idt.limit = 32 * 8 - 1;
	cpu_state_changed(cpu);
	ld(cpu, CPU_CS, 0x08);
	ld(cpu, CPU_SS, 0x10);
	ld(cpu, CPU_DS, 0x10);
	ld(cpu, CPU_ES, 0x10);
	ld(cpu, CPU_TR, 0x28);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->rip = CODE;
	cpu_state_changed(cpu);
}

static void ring3(struct cpu *cpu)
{
	ld(cpu, CPU_CS, 0x1b);
	ld(cpu, CPU_SS, 0x23);
	ld(cpu, CPU_DS, 0x23);
	ld(cpu, CPU_ES, 0x23);
	cpu->gpr[CPU_RSP] = 0x7000;
}

/*
 * Runs `n` bytes at `at` followed by CPUID (which exits at any CPL). Returns -1 when it
 * reached that CPUID, -5 for a CPUID elsewhere, the vector when a fault handler's HLT ran.
 */
static int run_at(struct cpu *cpu, uint32_t at, const char *code, unsigned n)
{
	struct cpu_exit e;
	enum cpu_exit_reason r;

	memcpy(ram + at, code, n);
	ram[at + n] = 0x0f;
	ram[at + n + 1] = 0xa2;
	cpu->rip = at;
	r = cpu_run(cpu, &e);
	if (r == CPU_EXIT_CPUID)
		return cpu->rip == at + n ? -1 : -5;
	if (r != CPU_EXIT_HLT)
		return -2;
	if (cpu->rip >= 0x3001 && cpu->rip < 0x3000 + 32 * 16 && (cpu->rip & 15) == 1)
		return (int)((cpu->rip - 0x3001) / 16);
	return -3;
}

#define RUN(cpu, lit) run_at(cpu, CODE, lit, sizeof(lit) - 1)
/* the error code on the handler's stack (32-bit frame) */
#define ERR(cpu) get32(cpu->seg[CPU_SS].base + (uint32_t)cpu->gpr[CPU_RSP])
#define FRAME(cpu, i) get32(cpu->seg[CPU_SS].base + (uint32_t)cpu->gpr[CPU_RSP] + 4 * (i))

static void test_data_limits(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	ld(cpu, CPU_DS, 0x30);
	ok(RUN(cpu, "\x8b\x05\xfc\x0f\x00\x00") == -1, "limit (%s): a dword ending at the limit FFFh is fine", n);
	cpu->gpr[CPU_RAX] = 0x55;
	ok(RUN(cpu, "\x8b\x05\xfd\x0f\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0 && FRAME(cpu, 1) == CODE &&
	   cpu->gpr[CPU_RAX] == 0x55, "limit (%s): a dword crossing the DS limit is #GP(0), EAX unchanged", n);
	ok(FRAME(cpu, 3) & CPU_FLAG_RF, "fault frame (%s): the saved EFLAGS has RF set", n);

	pm32_setup(cpu);
	ld(cpu, CPU_ES, 0x38);
	put64(0x100, 0x1234);
	ok(RUN(cpu, "\x26\x8b\x05\x00\x01\x00\x00") == -1 && cpu->gpr[CPU_RAX] == 0x1234,
	   "rights (%s): a read through a read-only data segment", n);
	cpu->gpr[CPU_RAX] = 0x99;
	ok(RUN(cpu, "\x26\x89\x05\x00\x01\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0 && get64(0x100) == 0x1234,
	   "rights (%s): a write through a read-only data segment is #GP(0), memory unchanged", n);
	ok(RUN(cpu, "\x26\xff\x05\x00\x01\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0 && get64(0x100) == 0x1234,
	   "rights (%s): INC through a read-only segment is #GP(0)", n);
	ok(RUN(cpu, "\xf0\x26\xff\x05\x00\x01\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "rights (%s): LOCK INC through a read-only segment is #GP(0)", n);

	pm32_setup(cpu);
	ok(RUN(cpu, "\x2e\x8b\x05\x00\x01\x00\x00") == -1, "rights (%s): a read through a readable CS", n);
	ok(RUN(cpu, "\x2e\x89\x05\x00\x01\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "rights (%s): a write through CS is #GP(0)", n);
	ld(cpu, CPU_CS, 0x48);
	ok(RUN(cpu, "\x90") == -1, "rights (%s): an execute-only code segment runs", n);
	ok(RUN(cpu, "\x2e\x8b\x05\x00\x01\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "rights (%s): a read through an execute-only CS is #GP(0)", n);

	pm32_setup(cpu);
	ld(cpu, CPU_ES, 0x40);
	ok(RUN(cpu, "\x26\x8b\x05\x00\x08\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "expand-down (%s): offset 800h at or below the limit FFFh is #GP(0)", n);
	ok(RUN(cpu, "\x26\x8b\x05\x00\x10\x00\x00") == -1, "expand-down (%s): offset 1000h is valid", n);
	ok(RUN(cpu, "\x26\x8b\x05\xfe\xff\xff\xff") == CPU_EXC_GP && ERR(cpu) == 0,
	   "expand-down (%s): a dword at FFFFFFFEh passes the B=1 upper bound: #GP(0)", n);
	ok(RUN(cpu, "\x26\x8b\x05\xfc\xff\xff\xff") == -1, "expand-down (%s): a dword at FFFFFFFCh is valid", n);

	pm32_setup(cpu);
	ld(cpu, CPU_DS, 0);
	ok(RUN(cpu, "\x8b\x05\x00\x01\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "null DS (%s): a data access is #GP(0)", n);
	ok(RUN(cpu, "\x26\x8b\x05\x00\x01\x00\x00") == -1, "null DS (%s): ES still works", n);
}

static void test_stack_limits(struct cpu *cpu, const char *n)
{
	/* at ring 3, so the fault's delivery switches to the ring-0 stack */
	pm32_setup(cpu);
	ring3(cpu);
	ld(cpu, CPU_SS, 0x93);
	cpu->gpr[CPU_RSP] = 0x8002;
	ok(RUN(cpu, "\x50") == CPU_EXC_SS && ERR(cpu) == 0 && FRAME(cpu, 1) == CODE && FRAME(cpu, 4) == 0x8002 &&
	   FRAME(cpu, 5) == 0x93, "stack (%s): PUSH across the SS limit is #SS(0), ESP unchanged", n);
	/* INT through a gate to conforming code stays on the ring-3 stack, which has no room */
	put64(IDT + 23 * 8, (0x3170ull & 0xffff) | (0xe8ull << 16) | (0xeeull << 40));
	ring3(cpu);
	ld(cpu, CPU_SS, 0x93);
	cpu->gpr[CPU_RSP] = 0x8002;
	ok(RUN(cpu, "\xcd\x17") == CPU_EXC_SS && ERR(cpu) == 0 && FRAME(cpu, 1) == CODE && FRAME(cpu, 4) == 0x8002,
	   "stack (%s): an interrupt frame beyond the SS limit is #SS(0) at the INT", n);
	ring3(cpu);
	ld(cpu, CPU_SS, 0x93);
	cpu->gpr[CPU_RSP] = 0x7000;
	cpu->gpr[CPU_RBP] = 0x9000;
	ok(RUN(cpu, "\x8b\x45\x00") == CPU_EXC_SS && ERR(cpu) == 0,
	   "stack (%s): [EBP] beyond the SS limit is #SS(0)", n);
	ring3(cpu);
	ld(cpu, CPU_SS, 0x93);
	cpu->gpr[CPU_RSP] = 0x7000;
	ok(RUN(cpu, "\x36\x8b\x05\x00\x90\x00\x00") == CPU_EXC_SS && ERR(cpu) == 0,
	   "stack (%s): an SS override beyond the limit is #SS(0)", n);
	ring3(cpu);
	ld(cpu, CPU_SS, 0x93);
	cpu->gpr[CPU_RSP] = 0x7000;
	cpu->gpr[CPU_RBP] = 0x9000;
	ok(RUN(cpu, "\x3e\x8b\x45\x00") == -1, "stack (%s): [EBP] with a DS override uses DS", n);
	/* a 16-bit expand-down stack (B=0): valid offsets 1000h..FFFFh */
	ring3(cpu);
	ld(cpu, CPU_SS, 0xc3);
	cpu->gpr[CPU_RSP] = 0x1002;
	ok(RUN(cpu, "\x50") == CPU_EXC_SS && ERR(cpu) == 0,
	   "stack (%s): PUSH below an expand-down SS's limit is #SS(0)", n);
	ring3(cpu);
	ld(cpu, CPU_SS, 0xc3);
	cpu->gpr[CPU_RSP] = 0x1004;
	ok(RUN(cpu, "\x50") == -1 && (cpu->gpr[CPU_RSP] & 0xffff) == 0x1000,
	   "stack (%s): PUSH to exactly the lowest valid offset works", n);
}

static void test_code_limits(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	ld(cpu, CPU_CS, 0x70);
	/* jmp rel32 to 5000h, beyond the limit 4FFFh */
	ok(RUN(cpu, "\xe9\xfb\x0f\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0 && FRAME(cpu, 1) == CODE,
	   "CS limit (%s): a near JMP beyond the limit is #GP(0) at the JMP", n);
	ld(cpu, CPU_CS, 0x70);
	cpu->gpr[CPU_RSP] = 0x8000;
	ok(RUN(cpu, "\xe8\xfb\x0f\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0 && cpu->gpr[CPU_RSP] == 0x8000 - 16,
	   "CS limit (%s): a near CALL beyond the limit is #GP(0) before the push", n);
	ld(cpu, CPU_CS, 0x70);
	ok(run_at(cpu, 0x4ffd, "\xb8\x01\x02\x03\x04", 5) == CPU_EXC_GP && ERR(cpu) == 0 && FRAME(cpu, 1) == 0x4ffd,
	   "CS limit (%s): an instruction crossing the limit is #GP(0) at its start", n);
	ld(cpu, CPU_CS, 0x70);
	ok(run_at(cpu, 0x4ffd, "\x90\x90\x90", 3) == CPU_EXC_GP && FRAME(cpu, 1) == 0x5000,
	   "CS limit (%s): the first instruction past the limit is #GP(0)", n);
	/*
	 * The same code (a decoded block, when they are on) run under a smaller limit
	 * faults at the first instruction past it, and runs whole again under a larger one.
	 */
	ld(cpu, CPU_CS, 0x08);
	ok(run_at(cpu, 0x4a00, "\x90\x90\x90\x90\x90\x90", 6) == -1,
	   "CS limit (%s): six NOPs, then CPUID, with a 4-GiB limit", n);
	cpu->seg[CPU_CS].limit = 0x4a03;
	cpu_state_changed(cpu);
	ok(run_at(cpu, 0x4a00, "\x90\x90\x90\x90\x90\x90", 6) == CPU_EXC_GP && ERR(cpu) == 0 &&
	   FRAME(cpu, 1) == 0x4a04, "CS limit (%s): the same code with limit 4A03h is #GP(0) at 4A04h", n);
	ld(cpu, CPU_CS, 0x08);
	ok(run_at(cpu, 0x4a00, "\x90\x90\x90\x90\x90\x90", 6) == -1,
	   "CS limit (%s): and runs to the CPUID with the 4-GiB limit again", n);
}

static void test_real_limits(struct cpu *cpu, const char *n)
{
	cpu_reset(cpu, false);
	memset(ram, 0, 0x10000);
	for (unsigned v = 0; v < 32; v++) {
		put64(v * 4, 0x3000 + v * 16);
		ram[0x3000 + v * 16] = 0xf4;
	}
	cpu->seg[CPU_CS].selector = 0;
	cpu->seg[CPU_CS].base = 0;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x8b\x06\xfe\xff") == -1, "real mode (%s): a word at FFFEh is fine", n);
	ok(RUN(cpu, "\x8b\x06\xff\xff") == CPU_EXC_GP && get16(0x8000 - 6) == CODE,
	   "real mode (%s): a word at FFFFh wraps past the limit: #GP", n);
	ok(RUN(cpu, "\x36\x8b\x06\xff\xff") == CPU_EXC_SS, "real mode (%s): the same through SS is #SS", n);
	ok(RUN(cpu, "\x67\x8b\x05\x00\x00\x01\x00") == CPU_EXC_GP,
	   "real mode (%s): a 32-bit address 10000h is beyond the 64-KiB limit: #GP", n);
	/* an interrupt whose frame would cross the SS limit: #SS, delivered on a fixed stack */
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->seg[CPU_SS].limit = 0x7ffb;
	cpu_state_changed(cpu);
	{
		struct cpu_exit e;
		memcpy(ram + CODE, "\xcd\x15", 2);
		cpu->rip = CODE;
		ok(cpu_run(cpu, &e) == CPU_EXIT_SHUTDOWN,
		   "real mode (%s): INT with the frame beyond the SS limit: #SS, #DF on the same stack, shutdown", n);
	}
	cpu_reset(cpu, false);
	cpu->seg[CPU_CS].selector = 0;
	cpu->seg[CPU_CS].base = 0;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->seg[CPU_SS].limit = 0x7fff;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\xcd\x15") == 21 && cpu->gpr[CPU_RSP] == 0x7ffa && get16(0x7ffa) == CODE + 2,
	   "real mode (%s): the same INT with the frame ending at the limit 7FFFh", n);
	cpu->seg[CPU_SS].limit = 0xffff;
	cpu_state_changed(cpu);
	cpu->seg[CPU_DS].limit = 0xffffffff;	/* "unreal" mode: a limit left from protected mode */
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x67\x8b\x05\x00\x00\x01\x00") == -1, "real mode (%s): with a 4-GiB DS limit it works", n);
}

/* ---- 64-bit mode ---- */

#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define PT0 0x13000

static void long_setup(struct cpu *cpu)
{
	cpu_reset(cpu, false);
	memset(ram, 0, 0x20000);
	put64(PML4, PDPT | 7);
	put64(PDPT, PD | 7);
	put64(PD, PT0 | 7);
	for (uint64_t i = 0; i < 512; i++)
		put64(PT0 + i * 8, (i << 12) | 7);
	put64(GDT + 8, GDT_CODE64);
	put64(GDT + 16, GDT_DATA);
	put64(GDT + 24, GDT_UCODE64);
	put64(GDT + 32, GDT_UDATA);
	/* 40h: a 64-bit call gate, DPL 3, to 08:4800 (16 bytes); 50h: the same with a bad upper type */
	put64(GDT + 0x40, gate(0x08, 0x4800, 0xc, 3, 0, true));
	put64(GDT + 0x48, 0);
	put64(GDT + 0x50, gate(0x08, 0x4800, 0xc, 3, 0, true));
	put64(GDT + 0x58, 0xcull << 40);
	/* 60h: an available 64-bit TSS (16 bytes); 70h: a 16-bit TSS */
	put64(GDT + 0x60, desc(TSS, 0x67, 0x9, 0, 0, 1, 0, 0));
	put64(GDT + 0x68, 0);
	put64(GDT + 0x70, desc(TSS, 0x67, 0x1, 0, 0, 1, 0, 0));
	put64(GDT + 0x78, 0);
	put64(TSS + 4, 0x9000);		/* RSP0 */
	put64(TSS + 0x24, 0x8000);	/* IST1: #SS, whose RSP may be non-canonical */
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = 0x3000 + v * 16;
		put64(IDT + v * 16, (h & 0xffff) | (8ull << 16) | (0x8eull << 40) |
				    (v == CPU_EXC_SS ? 1ull << 32 : 0));
		put64(IDT + v * 16 + 8, 0);
		ram[h] = 0xf4;
	}
	cpu->cr0 = CPU_CR0_PE | CPU_CR0_PG | CPU_CR0_ET | CPU_CR0_WP;
	cpu->cr4 = CPU_CR4_PAE;
	cpu->cr3 = PML4;
	cpu->efer = CPU_EFER_LME | CPU_EFER_LMA;
	seg_set(&cpu->seg[CPU_CS], 8, 0xb, 0, true, false);
	seg_set(&cpu->seg[CPU_SS], 0x10, 3, 0, false, true);
	seg_set(&cpu->seg[CPU_DS], 0x10, 3, 0, false, true);
	seg_set(&cpu->seg[CPU_ES], 0x10, 3, 0, false, true);
	memset(&cpu->seg[CPU_TR], 0, sizeof(cpu->seg[CPU_TR]));
	cpu->seg[CPU_TR].selector = 0x28;
	cpu->seg[CPU_TR].base = TSS;
	cpu->seg[CPU_TR].limit = 0x67;
	cpu->seg[CPU_TR].type = 0xb;
	cpu->seg[CPU_TR].present = 1;
	cpu->gdt.base = GDT;
	cpu->gdt.limit = 0x7f;
	cpu->idt.base = IDT;
	cpu->idt.limit = 32 * 16 - 1;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->rip = CODE;
	cpu_state_changed(cpu);
}

#define ERR64(cpu) get64(cpu->gpr[CPU_RSP])

static void test_long_mode(struct cpu *cpu, const char *n)
{
	long_setup(cpu);
	cpu->gpr[CPU_RSP] = 0x800000000008ull;
	ok(RUN(cpu, "\x50") == CPU_EXC_SS && ERR64(cpu) == 0 && cpu->gpr[CPU_RSP] == 0x8000 - 48 &&
	   get64(0x8000 - 40) == CODE && get64(0x8000 - 16) == 0x800000000008ull,
	   "64-bit (%s): PUSH to a non-canonical RSP is #SS(0)", n);
	long_setup(cpu);
	ok(RUN(cpu, "\x48\xa1\x00\x00\x00\x00\x00\x80\x00\x00") == CPU_EXC_GP && ERR64(cpu) == 0,
	   "64-bit (%s): a non-canonical data address is #GP(0)", n);
	long_setup(cpu);
	cpu->gpr[CPU_RBP] = 0xffff7fffffffff00ull;
	ok(RUN(cpu, "\x48\x8b\x45\x00") == CPU_EXC_SS && ERR64(cpu) == 0,
	   "64-bit (%s): a non-canonical [RBP] is #SS(0)", n);
	long_setup(cpu);
	cpu->seg[CPU_DS].limit = 0xfff;
	cpu->seg[CPU_DS].type = 1;	/* read-only: ignored in 64-bit mode */
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x89\x04\x25\x00\x50\x00\x00") == -1,
	   "64-bit (%s): DS limit and type are not checked", n);

	/* MOV SS, null: only with RPL = CPL below ring 3 */
	long_setup(cpu);
	cpu->gpr[CPU_RAX] = 1;
	ok(RUN(cpu, "\x8e\xd0") == CPU_EXC_GP && ERR64(cpu) == 0 && cpu->seg[CPU_SS].selector == 0x10,
	   "64-bit (%s): MOV SS with a null selector of RPL 1 at CPL 0 is #GP(0)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->gpr[CPU_RAX] = 0;
	ok(RUN(cpu, "\x8e\xd0") == -1 && cpu->seg[CPU_SS].selector == 0 && cpu->seg[CPU_SS].unusable,
	   "64-bit (%s): MOV SS with selector 0 at CPL 0 loads a null SS", n);
	/* LTR in IA-32e mode: a 64-bit TSS only, upper half type 0 */
	long_setup(cpu);
	cpu->gpr[CPU_RAX] = 0x70;
	ok(RUN(cpu, "\x0f\x00\xd8") == CPU_EXC_GP && ERR64(cpu) == 0x70,
	   "LTR in IA-32e mode (%s): a 16-bit TSS is #GP(selector)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(GDT + 0x68, 0x1full << 40);
	cpu->gpr[CPU_RAX] = 0x60;
	ok(RUN(cpu, "\x0f\x00\xd8") == CPU_EXC_GP && ERR64(cpu) == 0x60,
	   "LTR in IA-32e mode (%s): a non-zero upper type is #GP(selector)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(GDT + 0x68, 0);
	ok(RUN(cpu, "\x0f\x00\xd8") == -1 && cpu->seg[CPU_TR].selector == 0x60 && (ram[GDT + 0x65] & 0xf) == 0xb,
	   "LTR in IA-32e mode (%s): a 64-bit TSS loads and becomes busy", n);

	/* a 64-bit call gate from ring 3 to ring 0 and RETFQ back */
	long_setup(cpu);
	seg_set(&cpu->seg[CPU_CS], 0x1b, 0xb, 3, true, false);
	seg_set(&cpu->seg[CPU_SS], 0x23, 3, 3, false, true);
	cpu->gpr[CPU_RSP] = 0x5800;
	cpu_state_changed(cpu);
	put64(0x6100, 0x1234);		/* offset: ignored through a gate */
	put64(0x6108, 0x43);		/* selector: the gate, RPL 3 */
	memcpy(ram + 0x4800, "\x0f\xa2\x48\xcb", 4);
	ok(RUN(cpu, "\x48\xff\x1c\x25\x00\x61\x00\x00") == -5 && cpu->rip == 0x4800 &&
	   cpu->seg[CPU_CS].selector == 8 && cpu->seg[CPU_SS].selector == 0 && cpu->seg[CPU_SS].unusable &&
	   cpu->gpr[CPU_RSP] == 0x9000 - 32 && get64(0x9000 - 8) == 0x23 && get64(0x9000 - 16) == 0x5800 &&
	   get64(0x9000 - 24) == 0x1b && get64(0x9000 - 32) == 0x4008,
	   "64-bit call gate (%s): ring 3 -> 0, null SS, RSP0, SS RSP CS RIP pushed as qwords", n);
	{
		struct cpu_exit e;
		cpu_skip_insn(cpu, 2);
		ok(cpu_run(cpu, &e) == CPU_EXIT_CPUID && cpu->rip == 0x4008 && cpu->seg[CPU_CS].selector == 0x1b &&
		   cpu->seg[CPU_SS].selector == 0x23 && cpu->gpr[CPU_RSP] == 0x5800,
		   "64-bit call gate (%s): RETFQ returns to ring 3 with SS:RSP popped", n);
	}
	put64(0x6108, 0x53);
	ok(RUN(cpu, "\x48\xff\x1c\x25\x00\x61\x00\x00") == CPU_EXC_GP && ERR64(cpu) == 0x50,
	   "64-bit call gate (%s): a non-zero type in the upper half is #GP(gate)", n);
}

/* ---- SMEP, SMAP, STAC/CLAC, UMIP (64-bit) ---- */

/* long_setup with every page supervisor-only except the user pages 5000h and 6000h */
static void smx_setup(struct cpu *cpu, uint64_t cr4)
{
	long_setup(cpu);
	for (uint64_t i = 0; i < 512; i++)
		put64(PT0 + i * 8, (i << 12) | ((i == 5 || i == 6) ? 7 : 3));
	cpu->features = CPU_FEAT_ALL;
	cpu->cr4 |= cr4;
	cpu_state_changed(cpu);
}

static void test_smx(struct cpu *cpu, const char *n)
{
	smx_setup(cpu, CPU_CR4_SMAP);
	ok(RUN(cpu, "\x8b\x04\x25\x00\x50\x00\x00") == CPU_EXC_PF && ERR64(cpu) == 1 && cpu->cr2 == 0x5000 &&
	   get64(cpu->gpr[CPU_RSP] + 8) == CODE, "SMAP (%s): a ring-0 read of a user page with AC=0 is #PF(P)", n);
	ok(RUN(cpu, "\x89\x04\x25\x08\x50\x00\x00") == CPU_EXC_PF && ERR64(cpu) == 3 && cpu->cr2 == 0x5008,
	   "SMAP (%s): a ring-0 write is #PF(P|W)", n);
	put64(0x5000, 0xabcd);
	cpu->gpr[CPU_RSP] = 0x8000;
	ok(RUN(cpu, "\x0f\x01\xcb\x8b\x04\x25\x00\x50\x00\x00") == -1 && cpu->gpr[CPU_RAX] == 0xabcd &&
	   (cpu_get_rflags(cpu) & CPU_FLAG_AC), "SMAP (%s): after STAC (AC=1) the read works", n);
	ok(RUN(cpu, "\x0f\x01\xca\x8b\x04\x25\x00\x50\x00\x00") == CPU_EXC_PF && ERR64(cpu) == 1 &&
	   !(cpu_get_rflags(cpu) & CPU_FLAG_AC), "SMAP (%s): after CLAC it faults again (TLB entry present)", n);
	/* an LDT on a user page: the descriptor read is an implicit access, AC does not help */
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(0x6008, GDT_DATA);
	cpu->seg[CPU_LDTR].selector = 0x30;
	cpu->seg[CPU_LDTR].base = 0x6000;
	cpu->seg[CPU_LDTR].limit = 0xf;
	cpu->seg[CPU_LDTR].type = 2;
	cpu->seg[CPU_LDTR].present = 1;
	cpu->seg[CPU_LDTR].unusable = 0;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x0f\x01\xcb\x66\xb8\x0c\x00\x8e\xd8") == CPU_EXC_PF && ERR64(cpu) == 1 && cpu->cr2 == 0x6008,
	   "SMAP (%s): an implicit supervisor access (LDT on a user page) faults even with AC=1", n);
	cpu->cr4 &= ~CPU_CR4_SMAP;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x66\xb8\x0c\x00\x8e\xd8") == -1 && cpu->seg[CPU_DS].selector == 0x0c,
	   "SMAP off (%s): the same load works", n);

	smx_setup(cpu, CPU_CR4_SMEP);
	memcpy(ram + 0x5000, "\x0f\xa2", 2);
	ok(RUN(cpu, "\x48\xc7\xc0\x00\x50\x00\x00\xff\xe0") == CPU_EXC_PF && ERR64(cpu) == 0x11 &&
	   cpu->cr2 == 0x5000 && get64(cpu->gpr[CPU_RSP] + 8) == 0x5000,
	   "SMEP (%s): a ring-0 fetch from a user page is #PF(P|I) at the target", n);
	ok(RUN(cpu, "\x8b\x04\x25\x00\x50\x00\x00") == -1, "SMEP (%s): data reads of user pages are fine", n);
	cpu->cr4 &= ~CPU_CR4_SMEP;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x48\xc7\xc0\x00\x50\x00\x00\xff\xe0") == -5 && cpu->rip == 0x5000,
	   "SMEP off (%s): the same jump runs the user page", n);

	/* CR4 writes follow the feature bits */
	long_setup(cpu);
	cpu->features = CPU_FEAT_DEFAULT;
	cpu_state_changed(cpu);
	cpu->gpr[CPU_RAX] = CPU_CR4_PAE | CPU_CR4_SMEP;
	ok(RUN(cpu, "\x0f\x22\xe0") == CPU_EXC_GP && ERR64(cpu) == 0 && !(cpu->cr4 & CPU_CR4_SMEP),
	   "CR4.SMEP without the feature (%s): #GP(0)", n);
	ok(RUN(cpu, "\x0f\x01\xcb") == CPU_EXC_UD, "STAC without the feature (%s): #UD", n);
	cpu->features = CPU_FEAT_ALL;
	cpu->gpr[CPU_RSP] = 0x8000;
	/* (SMEP itself would stop the next fetch: every page is a user page here) */
	cpu->gpr[CPU_RAX] = CPU_CR4_PAE | CPU_CR4_SMAP | CPU_CR4_UMIP;
	ok(RUN(cpu, "\x0f\x22\xe0") == -1 && cpu->cr4 == (CPU_CR4_PAE | CPU_CR4_SMAP | CPU_CR4_UMIP),
	   "CR4.SMAP|UMIP with the features (%s)", n);

	/* UMIP at ring 3 (every page is a user page here) */
	long_setup(cpu);
	cpu->features = CPU_FEAT_ALL;
	cpu->cr4 |= CPU_CR4_UMIP;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x0f\x01\x04\x25\x00\x50\x00\x00") == -1 && get16(0x5000) == 0x7f,
	   "UMIP (%s): SGDT at ring 0 works", n);
	{
		static const struct { const char *code; unsigned len; const char *what; } umip[] = {
			{ "\x0f\x01\x04\x25\x00\x50\x00\x00", 8, "SGDT" },
			{ "\x0f\x01\x0c\x25\x00\x50\x00\x00", 8, "SIDT" },
			{ "\x0f\x00\xc0", 3, "SLDT" },
			{ "\x0f\x00\xc8", 3, "STR" },
			{ "\x0f\x01\xe0", 3, "SMSW" },
		};
		for (unsigned i = 0; i < 5; i++) {
			seg_set(&cpu->seg[CPU_CS], 0x1b, 0xb, 3, true, false);
			seg_set(&cpu->seg[CPU_SS], 0x23, 3, 3, false, true);
			cpu->gpr[CPU_RSP] = 0x5800;
			cpu_state_changed(cpu);
			ok(run_at(cpu, CODE, umip[i].code, umip[i].len) == CPU_EXC_GP && ERR64(cpu) == 0 &&
			   get64(cpu->gpr[CPU_RSP] + 8) == CODE, "UMIP (%s): %s at ring 3 is #GP(0)", n, umip[i].what);
		}
		seg_set(&cpu->seg[CPU_CS], 0x1b, 0xb, 3, true, false);
		seg_set(&cpu->seg[CPU_SS], 0x23, 3, 3, false, true);
		cpu->gpr[CPU_RSP] = 0x5800;
		cpu->cr4 &= ~CPU_CR4_UMIP;
		cpu_state_changed(cpu);
		ok(RUN(cpu, "\x0f\x01\xe0") == -1 && cpu->gpr[CPU_RAX] == (uint32_t)cpu->cr0,
		   "UMIP off (%s): SMSW at ring 3 works", n);
		ok(RUN(cpu, "\x0f\x01\xca") == CPU_EXC_UD, "CLAC at ring 3 (%s): #UD", n);
	}
}

/* ---- PCID and INVPCID (64-bit) ---- */

#define INVPCID_RAX_5000 "\x66\x0f\x38\x82\x04\x25\x00\x50\x00\x00"

static void test_pcid(struct cpu *cpu, const char *n)
{
	long_setup(cpu);
	cpu->features = CPU_FEAT_DEFAULT;
	cpu_state_changed(cpu);
	cpu->gpr[CPU_RAX] = CPU_CR4_PAE | CPU_CR4_PCIDE;
	ok(RUN(cpu, "\x0f\x22\xe0") == CPU_EXC_GP && ERR64(cpu) == 0, "CR4.PCIDE without the feature (%s): #GP(0)", n);
	ok(RUN(cpu, INVPCID_RAX_5000) == CPU_EXC_UD, "INVPCID without the feature (%s): #UD", n);

	long_setup(cpu);
	cpu->features = CPU_FEAT_ALL;
	cpu->cr3 = PML4 | 0x8;	/* PWT: CR3[11:0] not zero */
	cpu_state_changed(cpu);
	cpu->gpr[CPU_RAX] = CPU_CR4_PAE | CPU_CR4_PCIDE;
	ok(RUN(cpu, "\x0f\x22\xe0") == CPU_EXC_GP && ERR64(cpu) == 0 && !(cpu->cr4 & CPU_CR4_PCIDE),
	   "CR4.PCIDE with CR3[11:0] != 0 (%s): #GP(0)", n);
	cpu->cr3 = PML4;
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\x0f\x22\xe0") == -1 && (cpu->cr4 & CPU_CR4_PCIDE), "CR4.PCIDE in IA-32e mode (%s)", n);
	cpu->gpr[CPU_RAX] = (1ull << 63) | PML4 | 7;
	ok(RUN(cpu, "\x0f\x22\xd8") == -1 && cpu->cr3 == (PML4 | 7),
	   "MOV CR3 with PCIDE (%s): PCID 7, bit 63 (no flush) accepted and not stored", n);
	cpu->gpr[CPU_RAX] = (1ull << 62) | PML4;
	ok(RUN(cpu, "\x0f\x22\xd8") == CPU_EXC_GP && cpu->cr3 == (PML4 | 7),
	   "MOV CR3 with PCIDE (%s): bit 62 is still reserved: #GP(0)", n);

	/* INVPCID checks; the descriptor at 5000h */
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(0x5000, 5);
	put64(0x5008, 0x1000);
	cpu->gpr[CPU_RAX] = 4;
	ok(RUN(cpu, INVPCID_RAX_5000) == CPU_EXC_GP && ERR64(cpu) == 0, "INVPCID type 4 (%s): #GP(0)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(0x5008, 0x800000000000ull);
	cpu->gpr[CPU_RAX] = 0;
	ok(RUN(cpu, INVPCID_RAX_5000) == CPU_EXC_GP, "INVPCID type 0, non-canonical address (%s): #GP(0)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(0x5008, 0x1000);
	put64(0x5000, 0x1005);
	cpu->gpr[CPU_RAX] = 2;
	ok(RUN(cpu, INVPCID_RAX_5000) == CPU_EXC_GP, "INVPCID with descriptor bits 63:12 set (%s): #GP(0)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(0x5000, 5);
	cpu->gpr[CPU_RAX] = 1;
	ok(RUN(cpu, INVPCID_RAX_5000) == -1, "INVPCID type 1, PCID 5 with PCIDE (%s)", n);
	ok(RUN(cpu, "\x66\x0f\x38\x82\xc0") == CPU_EXC_UD, "INVPCID register form (%s): #UD", n);
	/* a changed PTE is seen after INVPCID type 2 */
	cpu->gpr[CPU_RSP] = 0x8000;
	put64(0x7000, 0x1111);
	put64(0x6000, 0x2222);
	ok(RUN(cpu, "\x48\x8b\x1c\x25\x00\x70\x00\x00") == -1 && cpu->gpr[CPU_RBX] == 0x1111, "a read of 7000h (%s)", n);
	put64(PT0 + 7 * 8, 0x6000 | 7);
	cpu->gpr[CPU_RAX] = 2;
	ok(RUN(cpu, INVPCID_RAX_5000 "\x48\x8b\x1c\x25\x00\x70\x00\x00") == -1 && cpu->gpr[CPU_RBX] == 0x2222,
	   "INVPCID type 2 (%s): the new translation of 7000h is used", n);
	/* without PCIDE only PCID 0 may be named */
	long_setup(cpu);
	cpu->features = CPU_FEAT_ALL;
	cpu_state_changed(cpu);
	put64(0x5000, 5);
	put64(0x5008, 0x1000);
	cpu->gpr[CPU_RAX] = 0;
	ok(RUN(cpu, INVPCID_RAX_5000) == CPU_EXC_GP, "INVPCID type 0, PCID 5 without PCIDE (%s): #GP(0)", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->gpr[CPU_RAX] = 3;
	ok(RUN(cpu, INVPCID_RAX_5000) == -1, "INVPCID type 3 without PCIDE (%s)", n);
	seg_set(&cpu->seg[CPU_CS], 0x1b, 0xb, 3, true, false);
	seg_set(&cpu->seg[CPU_SS], 0x23, 3, 3, false, true);
	cpu->gpr[CPU_RSP] = 0x5800;
	cpu_state_changed(cpu);
	ok(RUN(cpu, INVPCID_RAX_5000) == CPU_EXC_GP && ERR64(cpu) == 0, "INVPCID at ring 3 (%s): #GP(0)", n);

	/* compatibility mode: clearing CR0.PG leaves long mode, but not with PCIDE */
	long_setup(cpu);
	cpu->features = CPU_FEAT_ALL;
	cpu->cr4 |= CPU_CR4_PCIDE;
	seg_set(&cpu->seg[CPU_CS], 0x08, 0xb, 0, false, true);
	cpu_state_changed(cpu);
	cpu->gpr[CPU_RAX] = CPU_CR0_PE | CPU_CR0_ET;
	ok(RUN(cpu, "\x0f\x22\xc0") == CPU_EXC_GP && (cpu->cr0 & CPU_CR0_PG) && (cpu->efer & CPU_EFER_LMA),
	   "CR0.PG cleared with CR4.PCIDE (%s): #GP(0), still in IA-32e mode", n);
}

/* ---- far transfers and call gates (32-bit) ---- */

static void test_far(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	ok(RUN(cpu, "\xea\x00\x50\x00\x00\x70\x00") == CPU_EXC_GP && ERR(cpu) == 0 && FRAME(cpu, 2) == 8,
	   "far JMP (%s): an offset beyond the target's limit is #GP(0), CS unchanged", n);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x10\x00") == CPU_EXC_GP && ERR(cpu) == 0x10,
	   "far JMP (%s): to a data segment is #GP(selector)", n);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x98\x00") == CPU_EXC_NP && ERR(cpu) == 0x98,
	   "far JMP (%s): to a non-present code segment is #NP(selector)", n);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "far JMP (%s): a null selector is #GP(0)", n);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x1b\x00") == CPU_EXC_GP && ERR(cpu) == 0x18,
	   "far JMP (%s): to a DPL-3 non-conforming segment from ring 0 is #GP(selector)", n);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x00\x01") == CPU_EXC_GP && ERR(cpu) == 0x100,
	   "far JMP (%s): a selector beyond the GDT limit is #GP(selector)", n);

	/* through call gate 58h (DPL 0) at the same privilege: target 08:4800 */
	pm32_setup(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\x58\x00") == -5 && cpu->rip == 0x4800 && cpu->seg[CPU_CS].selector == 8 &&
	   cpu->gpr[CPU_RSP] == 0x8000 - 8 && get32(0x8000 - 8) == CODE + 7 && get32(0x8000 - 4) == 8,
	   "call gate (%s): same privilege, offset from the gate, CS and EIP pushed", n);
	pm32_setup(cpu);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x58\x00") == -5 && cpu->rip == 0x4800 && cpu->gpr[CPU_RSP] == 0x8000,
	   "call gate (%s): JMP through a gate pushes nothing", n);
	/* 16-bit gate: 16-bit pushes whatever the operand size */
	pm32_setup(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\x60\x00") == -5 && cpu->rip == 0x4900 &&
	   cpu->gpr[CPU_RSP] == 0x8000 - 4 && get16(0x8000 - 4) == CODE + 7 && get16(0x8000 - 2) == 8,
	   "16-bit call gate (%s): IP and CS pushed as words, offset truncated to 16 bits", n);

	/* ring 3 -> ring 0 through gate 50h (2 parameters), then RETF 8 back */
	pm32_setup(cpu);
	ring3(cpu);
	ok(RUN(cpu, "\x68\x11\x11\x11\x11\x68\x22\x22\x22\x22\x9a\x00\x00\x00\x00\x53\x00") == -5 &&
	   cpu->rip == 0x4800 && cpu->seg[CPU_CS].selector == 8 && cpu->seg[CPU_SS].selector == 0x10 &&
	   cpu->gpr[CPU_RSP] == 0x9000 - 24 && get32(0x9000 - 4) == 0x23 && get32(0x9000 - 8) == 0x6ff8 &&
	   get32(0x9000 - 12) == 0x11111111 && get32(0x9000 - 16) == 0x22222222 && get32(0x9000 - 20) == 0x1b &&
	   get32(0x9000 - 24) == CODE + 17,
	   "call gate (%s): ring 3 -> 0: SS0:ESP0 from the TSS, old SS:ESP, 2 parameters, CS:EIP", n);
	{
		struct cpu_exit e;
		/* ring 0: load DS with a DPL-0 segment, then RETF 8 */
		memcpy(ram + 0x4802, "\x66\xb8\x10\x00\x8e\xd8\xca\x08\x00", 9);
		cpu_skip_insn(cpu, 2);
		ok(cpu_run(cpu, &e) == CPU_EXIT_CPUID && cpu->rip == CODE + 17 && cpu->seg[CPU_CS].selector == 0x1b &&
		   cpu->seg[CPU_SS].selector == 0x23 && cpu->gpr[CPU_RSP] == 0x7000 &&
		   cpu->seg[CPU_DS].selector == 0 && cpu->seg[CPU_DS].unusable && cpu->seg[CPU_ES].selector == 0x23,
		   "RETF 8 to ring 3 (%s): SS:ESP popped past the parameters; DS (DPL 0) nulled, ES kept", n);
	}
	/* faults on the way */
	pm32_setup(cpu);
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\x5b\x00") == CPU_EXC_GP && ERR(cpu) == 0x58,
	   "call gate (%s): gate DPL 0 < CPL 3 is #GP(gate selector)", n);
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\x6b\x00") == CPU_EXC_NP && ERR(cpu) == 0x68,
	   "call gate (%s): a non-present gate is #NP(gate selector)", n);
	/* to ring 1 through gate A8h: the ring-1 stack comes from ESP1/SS1 */
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xab\x00") == -5 && cpu->rip == 0x4800 && cpu->seg[CPU_CS].selector == 0xa1 &&
	   cpu->seg[CPU_SS].selector == 0xb9 && cpu->gpr[CPU_RSP] == 0x8800 - 16 && get32(0x8800 - 4) == 0x23,
	   "call gate (%s): ring 3 -> 1 with SS1:ESP1", n);
	pm32_setup(cpu);
	put64(TSS + 16, 0x23);
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xab\x00") == CPU_EXC_TS && ERR(cpu) == 0x20,
	   "call gate (%s): SS1 with RPL/DPL 3 is #TS(SS selector)", n);
	put64(TSS + 16, 0);
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xab\x00") == CPU_EXC_TS && ERR(cpu) == 0,
	   "call gate (%s): a null SS1 is #TS(0)", n);
	put64(TSS + 16, 0xb1);
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xab\x00") == CPU_EXC_SS && ERR(cpu) == 0xb0,
	   "call gate (%s): a non-present SS1 is #SS(SS selector)", n);
	put64(TSS + 16, 0xb9);
	cpu->seg[CPU_TR].limit = 0x10;
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xab\x00") == CPU_EXC_TS && ERR(cpu) == 0x28,
	   "call gate (%s): ESP1/SS1 beyond the TSS limit is #TS(TSS selector)", n);
	cpu->seg[CPU_TR].limit = 0x67;
	memcpy(ram + TSS + 12, "\x04\x00\x00\x00", 4);	/* ESP1 = 4: no room for the 16-byte frame */
	ring3(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xab\x00") == CPU_EXC_SS && ERR(cpu) == 0xb8,
	   "call gate (%s): no room on the new stack is #SS(SS selector)", n);

	/* RETF to an outer ring with a bad SS */
	pm32_setup(cpu);
	put64(0x7f00, CODE + 0x10);
	put64(0x7f04, 0x1b);
	put64(0x7f08, 0x6000);
	put64(0x7f0c, 0x13);	/* SS RPL 3 but DPL 0 */
	cpu->gpr[CPU_RSP] = 0x7f00;
	ok(RUN(cpu, "\xcb") == CPU_EXC_GP && ERR(cpu) == 0x10 && cpu->seg[CPU_CS].selector == 8,
	   "RETF (%s): to ring 3 with a DPL-0 SS is #GP(SS selector)", n);
	cpu->gpr[CPU_RSP] = 0x7f00;
	put64(0x7f04, 0x0b);	/* RPL 3 for a DPL-0 code segment */
	ok(RUN(cpu, "\xcb") == CPU_EXC_GP && ERR(cpu) == 0x08,
	   "RETF (%s): RPL 3 to a DPL-0 non-conforming segment is #GP(selector)", n);
}

/* ---- task switches (32-bit TSSs) ---- */

#define TSSB 0x6100

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

/* GDT D0: available 32-bit TSS B at 6100h; D8: task gate to D0 (DPL 0); E0: TSS with limit 60h */
static void task_setup(struct cpu *cpu)
{
	pm32_setup(cpu);
	put64(GDT + 0xd0, desc(TSSB, 0x67, 0x9, 0, 0, 1, 0, 0));
	put64(GDT + 0xd8, gate(0xd0, 0, 0x5, 0, 0, true));
	put64(GDT + 0xe0, desc(TSSB, 0x60, 0x9, 0, 0, 1, 0, 0));
	memset(ram + TSSB, 0, 0x68);
	put32(TSSB + 0x20, 0x4800);	/* EIP */
	put32(TSSB + 0x24, 0x2);	/* EFLAGS */
	put32(TSSB + 0x28, 0x1111);	/* EAX */
	put32(TSSB + 0x38, 0x8400);	/* ESP */
	put32(TSSB + 0x48, 0x10);	/* ES */
	put32(TSSB + 0x4c, 0x08);	/* CS */
	put32(TSSB + 0x50, 0x10);	/* SS */
	put32(TSSB + 0x54, 0x10);	/* DS */
	cpu->gpr[CPU_RAX] = 0xaaaa;
	cpu->gpr[CPU_RBX] = 0xbbbb;
}

#define TYPE_OF(sel) ((ram[GDT + (sel) + 5]) & 0xf)

static void test_tasks(struct cpu *cpu, const char *n)
{
	struct cpu_exit e;

	task_setup(cpu);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == -5 && cpu->rip == 0x4800 && cpu->gpr[CPU_RAX] == 0x1111 &&
	   cpu->gpr[CPU_RBX] == 0 && cpu->gpr[CPU_RSP] == 0x8400 && cpu->seg[CPU_TR].selector == 0xd0 &&
	   cpu->seg[CPU_TR].base == TSSB && (cpu->cr0 & CPU_CR0_TS) && !(cpu_get_rflags(cpu) & CPU_FLAG_NT),
	   "JMP to a TSS (%s): the new task's EIP, registers and TR; CR0.TS set, NT clear", n);
	ok(get32(TSS + 0x20) == CODE + 7 && get32(TSS + 0x28) == 0xaaaa && get32(TSS + 0x34) == 0xbbbb &&
	   get32(TSS + 0x38) == 0x8000 && get32(TSS + 0x4c) == 8 && get32(TSS + 0x50) == 0x10,
	   "JMP to a TSS (%s): the old task's EIP (next insn), GPRs and selectors saved", n);
	ok(TYPE_OF(0x28) == 0x9 && TYPE_OF(0xd0) == 0xb && get16(TSSB) == 0,
	   "JMP to a TSS (%s): old TSS no longer busy, new busy, no back link", n);

	task_setup(cpu);
	ok(RUN(cpu, "\x9a\x00\x00\x00\x00\xd8\x00") == -5 && cpu->rip == 0x4800 &&
	   cpu->seg[CPU_TR].selector == 0xd0 && (cpu_get_rflags(cpu) & CPU_FLAG_NT) && get16(TSSB) == 0x28 &&
	   TYPE_OF(0x28) == 0xb && TYPE_OF(0xd0) == 0xb,
	   "CALL through a task gate (%s): NT set, back link 28h, both TSSs busy", n);
	memcpy(ram + 0x4802, "\xcf", 1);	/* IRET */
	cpu->gpr[CPU_RAX] = 0x2222;
	cpu_skip_insn(cpu, 2);
	ok(cpu_run(cpu, &e) == CPU_EXIT_CPUID && cpu->rip == CODE + 7 && cpu->seg[CPU_TR].selector == 0x28 &&
	   cpu->gpr[CPU_RAX] == 0xaaaa && TYPE_OF(0xd0) == 0x9 && TYPE_OF(0x28) == 0xb &&
	   get32(TSSB + 0x20) == 0x4803 && get32(TSSB + 0x28) == 0x2222 && !(get32(TSSB + 0x24) & CPU_FLAG_NT),
	   "IRET with NT (%s): back to the linked task; the nested TSS freed with NT clear in its EFLAGS", n);

	task_setup(cpu);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x28\x00") == CPU_EXC_GP && ERR(cpu) == 0x28,
	   "JMP to a busy TSS (%s): #GP(selector)", n);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xe0\x00") == CPU_EXC_TS && ERR(cpu) == 0xe0 &&
	   cpu->seg[CPU_TR].selector == 0x28, "TSS limit below 67h (%s): #TS(selector), no switch", n);
	cpu->seg[CPU_TR].limit = 0x5e;
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == CPU_EXC_TS && ERR(cpu) == 0x28 &&
	   cpu->seg[CPU_TR].selector == 0x28, "current TSS limit below 5Fh (%s): #TS(current TSS), no switch", n);
	cpu->seg[CPU_TR].limit = 0x67;
	ring3(cpu);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd3\x00") == CPU_EXC_GP && ERR(cpu) == 0xd0,
	   "JMP to a DPL-0 TSS from ring 3 (%s): #GP(selector)", n);

	/* #GP through a task gate in the IDT: the error code goes on the new task's stack */
	task_setup(cpu);
	put64(IDT + 13 * 8, gate(0xd0, 0, 0x5, 0, 0, true));
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\x10\x00") == -5 && cpu->rip == 0x4800 &&
	   cpu->seg[CPU_TR].selector == 0xd0 && cpu->gpr[CPU_RSP] == 0x8400 - 4 && get32(0x8400 - 4) == 0x10 &&
	   get32(TSS + 0x20) == CODE && get16(TSSB) == 0x28 && (cpu_get_rflags(cpu) & CPU_FLAG_NT) &&
	   (get32(TSS + 0x24) & CPU_FLAG_RF),
	   "#GP through a task gate (%s): new task, error code on its stack, old EIP at the fault, RF saved", n);
	task_setup(cpu);
	put64(IDT + 20 * 8, gate(0xd0, 0, 0x5, 0, 0, true));
	ok(RUN(cpu, "\xcd\x14") == -5 && cpu->rip == 0x4800 && cpu->gpr[CPU_RSP] == 0x8400 &&
	   get32(TSS + 0x20) == CODE + 2, "INT 14h through a task gate (%s): no error code, EIP past the INT", n);

	/* the new task's LDT, its DS from that LDT, and CR3 with paging (4-MiB identity pages) */
	task_setup(cpu);
	put64(GDT + 0xf0, desc(0x7800, 0xf, 0x2, 0, 0, 1, 0, 0));	/* LDT at 7800h */
	put64(0x7808, desc(0x2000, 0xfff, 0x3, 1, 0, 1, 1, 0));		/* LDT 0Ch: data base 2000h */
	put32(TSSB + 0x60, 0xf0);
	put32(TSSB + 0x54, 0x0c);
	put32(TSSB + 0x1c, 0xa000);
	put32(0xa000, 0x83);	/* PDE 0: 4-MiB page at 0, present, writable, PS */
	cpu->cr4 |= CPU_CR4_PSE;
	cpu->cr3 = 0x9000;	/* the old task's directory: the same identity page at 9000h */
	put32(0x9000, 0x83);
	cpu->cr0 |= CPU_CR0_PG;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == -5 && cpu->seg[CPU_LDTR].selector == 0xf0 &&
	   cpu->seg[CPU_LDTR].base == 0x7800 && cpu->seg[CPU_DS].selector == 0x0c && cpu->seg[CPU_DS].base == 0x2000 &&
	   cpu->seg[CPU_DS].limit == 0xfff && cpu->cr3 == 0xa000,
	   "task switch (%s): LDTR from the TSS, DS from the new LDT, CR3 loaded", n);
	task_setup(cpu);
	put64(GDT + 0xf0, desc(0x7800, 0xf, 0x3, 1, 0, 1, 0, 0));	/* not an LDT */
	put32(TSSB + 0x60, 0xf0);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == CPU_EXC_TS && ERR(cpu) == 0xf0 &&
	   cpu->seg[CPU_TR].selector == 0xd0, "task switch (%s): an LDT selector naming a data segment is #TS(LDT)", n);
	task_setup(cpu);
	put32(TSSB + 0x50, 0x23);	/* SS with RPL 3 for a ring-0 task */
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == CPU_EXC_TS && ERR(cpu) == 0x20,
	   "task switch (%s): SS RPL != CPL is #TS(SS)", n);

	/* the T flag: #DB with DR6.BT in the new task, before its first instruction */
	task_setup(cpu);
	ram[TSSB + 0x64] = 1;
	cpu->dr[6] = 0xffff0ff0ull;
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == CPU_EXC_DB && (cpu->dr[6] & (1ull << 15)) &&
	   cpu->seg[CPU_TR].selector == 0xd0 && FRAME(cpu, 0) == 0x4800,
	   "TSS T flag (%s): #DB (DR6.BT) at the new task's first instruction", n);

	/* a bad CS in the new TSS: #TS(CS) raised in the new task */
	task_setup(cpu);
	put32(TSSB + 0x4c, 0x10);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == CPU_EXC_TS && ERR(cpu) == 0x10 &&
	   cpu->seg[CPU_TR].selector == 0xd0 && FRAME(cpu, 1) == 0x4800,
	   "bad CS in the new TSS (%s): #TS(CS selector) after the switch, at the new task's EIP", n);
	task_setup(cpu);
	put32(TSSB + 0x54, 0x98);	/* DS: a non-present code segment */
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == CPU_EXC_NP && ERR(cpu) == 0x98 &&
	   cpu->seg[CPU_TR].selector == 0xd0, "non-present DS in the new TSS (%s): #NP(DS selector)", n);
}

/* ---- virtual-8086 mode ---- */

/*
 * From ring 0 of pm32_setup, IRET into virtual-8086 mode at 0400:0100 (linear 4100h) with
 * SS:SP 0700:0FF0, ES 0123, DS 0200, FS 0300, GS 0400 and IOPL `iopl`, running `code` and
 * then CPUID. Returns -1 at that CPUID, else the vector whose handler ran.
 */
static uint32_t v86_extra_flags;	/* more EFLAGS bits for the IRET into virtual-8086 mode */

static int run_v86(struct cpu *cpu, unsigned iopl, const char *code, unsigned n)
{
	static const uint32_t frame[9] = { 0x100, 0x400, 0, 0xff0, 0x700, 0x123, 0x200, 0x300, 0x400 };
	struct cpu_exit e;
	enum cpu_exit_reason r;

	cpu_set_rflags(cpu, 2);		/* back to ring 0 of protected mode first */
	ld(cpu, CPU_CS, 0x08);
	ld(cpu, CPU_SS, 0x10);
	ld(cpu, CPU_DS, 0x10);
	ld(cpu, CPU_ES, 0x10);
	for (int i = 0; i < 9; i++)
		put32(0x8000 - 36 + 4 * i, i == 2 ? (CPU_FLAG_VM | (iopl << 12) | 2 | v86_extra_flags) : frame[i]);
	cpu->gpr[CPU_RSP] = 0x8000 - 36;
	memcpy(ram + 0x4100, code, n);
	memcpy(ram + 0x4100 + n, "\x0f\xa2", 2);
	ram[CODE] = 0xcf;	/* IRET */
	cpu->rip = CODE;
	r = cpu_run(cpu, &e);
	if (r == CPU_EXIT_CPUID)
		return cpu->rip == 0x100 + n ? -1 : -5;
	if (r != CPU_EXIT_HLT)
		return -2;
	if (cpu->rip >= 0x3001 && cpu->rip < 0x3000 + 32 * 16 && (cpu->rip & 15) == 1)
		return (int)((cpu->rip - 0x3001) / 16);
	return -3;
}

#define V86(cpu, iopl, lit) run_v86(cpu, iopl, lit, sizeof(lit) - 1)

static void test_v86(struct cpu *cpu, const char *n)
{
	struct cpu_exit e;

	pm32_setup(cpu);
	put32(0x2010, 0xbeef);
	ok(V86(cpu, 3, "\xa1\x10\x00") == -1 && (cpu->gpr[CPU_RAX] & 0xffff) == 0xbeef &&
	   (cpu_get_rflags(cpu) & CPU_FLAG_VM) && cpu->seg[CPU_CS].base == 0x4000 && cpu->seg[CPU_DS].base == 0x2000 &&
	   cpu->seg[CPU_SS].base == 0x7000 && cpu->seg[CPU_ES].selector == 0x123 && cpu->seg[CPU_GS].base == 0x4000 &&
	   cpu->gpr[CPU_RSP] == 0xff0 && cpu->seg[CPU_CS].dpl == 3,
	   "IRET to virtual-8086 mode (%s): segments real-style, SS:ESP popped, DS:[10h] read", n);

	/* INT 15h at IOPL 3: to the ring-0 handler with the V86 frame, data segments nulled */
	pm32_setup(cpu);
	pm32_setup(cpu);
	put64(IDT + 21 * 8, get64(IDT + 21 * 8) | (3ull << 45));	/* DPL 3: INT n from CPL 3 */
	ok(V86(cpu, 3, "\xcd\x15") == 21 && cpu->seg[CPU_CS].selector == 8 && cpu->seg[CPU_SS].selector == 0x10 &&
	   cpu->gpr[CPU_RSP] == 0x9000 - 36 && get32(0x9000 - 4) == 0x400 && get32(0x9000 - 8) == 0x300 &&
	   get32(0x9000 - 12) == 0x200 && get32(0x9000 - 16) == 0x123 && get32(0x9000 - 20) == 0x700 &&
	   get32(0x9000 - 24) == 0xff0 && (get32(0x9000 - 28) & CPU_FLAG_VM) && get32(0x9000 - 32) == 0x400 &&
	   get32(0x9000 - 36) == 0x102 && cpu->seg[CPU_DS].selector == 0 && cpu->seg[CPU_DS].unusable &&
	   cpu->seg[CPU_GS].selector == 0 && !(cpu_get_rflags(cpu) & CPU_FLAG_VM),
	   "INT n from virtual-8086 mode (%s): GS FS DS ES SS ESP EFLAGS CS EIP on the ring-0 stack", n);
	ok(!(get32(0x9000 - 28) & CPU_FLAG_RF), "INT n frame (%s): no RF in the saved EFLAGS", n);
	/* IRET from the handler back into virtual-8086 mode */
	ram[0x4700] = 0xcf;
	cpu->rip = 0x4700;
	ok(cpu_run(cpu, &e) == CPU_EXIT_CPUID && cpu->rip == 0x102 && (cpu_get_rflags(cpu) & CPU_FLAG_VM) &&
	   cpu->seg[CPU_DS].selector == 0x200 && cpu->seg[CPU_DS].base == 0x2000 && cpu->gpr[CPU_RSP] == 0xff0,
	   "IRET from the handler (%s): back in virtual-8086 mode after the INT", n);

	pm32_setup(cpu);
	ok(V86(cpu, 3, "\xcd\x15") == CPU_EXC_GP && ERR(cpu) == 21 * 8 + 2,
	   "virtual-8086 mode (%s): INT n through a DPL-0 gate is #GP(vector * 8 + 2)", n);

	/* IOPL-sensitive instructions at IOPL 0: #GP(0) to the ring-0 handler */
	static const struct { const char *code; unsigned len; const char *what; } sens[] = {
		{ "\xcd\x15", 2, "INT 15h" }, { "\xfa", 1, "CLI" }, { "\xfb", 1, "STI" },
		{ "\x9c", 1, "PUSHF" }, { "\x9d", 1, "POPF" }, { "\xcf", 1, "IRET" },
	};
	for (unsigned i = 0; i < 6; i++) {
		pm32_setup(cpu);
		ok(run_v86(cpu, 0, sens[i].code, sens[i].len) == CPU_EXC_GP && ERR(cpu) == 0 && FRAME(cpu, 1) == 0x100 &&
		   FRAME(cpu, 2) == 0x400 && (FRAME(cpu, 3) & CPU_FLAG_VM),
		   "virtual-8086 mode, IOPL 0 (%s): %s is #GP(0)", n, sens[i].what);
	}
	pm32_setup(cpu);
	ok(V86(cpu, 3, "\xfa\x9c\x58") == -1 && (cpu->gpr[CPU_RAX] & 0xffff) == ((CPU_FLAG_IOPL | 2) & 0xffff),
	   "virtual-8086 mode, IOPL 3 (%s): CLI and PUSHF work", n);
	pm32_setup(cpu);
	ok(V86(cpu, 0, "\x31\xc9\xf6\xf1") == CPU_EXC_DE && FRAME(cpu, 0) == 0x102 && (FRAME(cpu, 2) & CPU_FLAG_VM) &&
	   get32(0x9000 - 4) == 0x400, "virtual-8086 mode (%s): #DE goes to the ring-0 handler, no IOPL check", n);
	pm32_setup(cpu);
	ok(V86(cpu, 3, "\x0f\x01\x16\x00\x00") == CPU_EXC_GP && ERR(cpu) == 0,
	   "virtual-8086 mode (%s): LGDT (CPL 3) is #GP(0)", n);
	pm32_setup(cpu);
	put64(IDT + 22 * 8, (0x3160ull & 0xffff) | (0x1bull << 16) | (0xeeull << 40));
	ok(V86(cpu, 3, "\xcd\x16") == CPU_EXC_GP && ERR(cpu) == 0x18,
	   "virtual-8086 mode (%s): INT to a handler not at ring 0 is #GP(CS selector)", n);

	/* CR4.VME at IOPL 0: CLI/STI/PUSHF/POPF/IRET work on VIF (SDM Vol.3 §20.4) */
	pm32_setup(cpu);
	cpu->cr4 |= CPU_CR4_VME;
	cpu_state_changed(cpu);
	v86_extra_flags = CPU_FLAG_VIF | CPU_FLAG_IF;
	ok(V86(cpu, 0, "\xfa") == -1 && !(cpu_get_rflags(cpu) & CPU_FLAG_VIF) && (cpu_get_rflags(cpu) & CPU_FLAG_IF),
	   "VME (%s): CLI at IOPL 0 clears VIF, not IF", n);
	v86_extra_flags = 0;
	ok(V86(cpu, 0, "\xfb") == -1 && (cpu_get_rflags(cpu) & CPU_FLAG_VIF) && !(cpu_get_rflags(cpu) & CPU_FLAG_IF),
	   "VME (%s): STI sets VIF", n);
	v86_extra_flags = CPU_FLAG_VIP;
	ok(V86(cpu, 0, "\xfb") == CPU_EXC_GP && ERR(cpu) == 0, "VME (%s): STI with VIP set is #GP(0)", n);
	v86_extra_flags = CPU_FLAG_VIF;
	ok(V86(cpu, 0, "\x9c\x58") == -1 && (cpu->gpr[CPU_RAX] & 0x3200) == 0x3200,
	   "VME (%s): PUSHF pushes IF = VIF and IOPL = 3", n);
	ok(V86(cpu, 0, "\x66\x9c") == CPU_EXC_GP && ERR(cpu) == 0, "VME (%s): PUSHFD is #GP(0)", n);
	v86_extra_flags = 0;
	ok(V86(cpu, 0, "\x68\x01\x02\x9d") == -1 && (cpu_get_rflags(cpu) & CPU_FLAG_VIF) &&
	   !(cpu_get_rflags(cpu) & CPU_FLAG_IF) && (cpu_get_rflags(cpu) & CPU_FLAG_CF) && !(cpu_get_rflags(cpu) & CPU_FLAG_IOPL),
	   "VME (%s): POPF sets VIF from the image's IF, CF loaded, IOPL kept", n);
	ok(V86(cpu, 0, "\x68\x00\x01\x9d") == CPU_EXC_GP && ERR(cpu) == 0, "VME (%s): POPF of an image with TF is #GP(0)", n);
	memcpy(ram + 0x4110, "\x0f\xa2", 2);
	ok(V86(cpu, 0, "\x68\x00\x02\x68\x00\x04\x68\x10\x01\xcf") == -5 && cpu->rip == 0x110 &&
	   (cpu_get_rflags(cpu) & CPU_FLAG_VIF) && !(cpu_get_rflags(cpu) & CPU_FLAG_IF),
	   "VME (%s): a 16-bit IRET at IOPL 0 loads VIF from the image's IF", n);
	ok(V86(cpu, 0, "\x66\xcf") == CPU_EXC_GP && ERR(cpu) == 0, "VME (%s): IRETD at IOPL 0 is #GP(0)", n);
	/* INT n through the redirection bitmap (32 bytes below the I/O map base 88h) */
	cpu->seg[CPU_TR].limit = 0x100;
	ram[TSS + 0x66] = 0x88;
	put32(0x15 * 4, 0x05000010);	/* IVT[15h] = 0500:0010 */
	memcpy(ram + 0x5010, "\x0f\xa2", 2);
	v86_extra_flags = CPU_FLAG_VIF;
	ok(V86(cpu, 0, "\xcd\x15") == -5 && cpu->rip == 0x10 && cpu->seg[CPU_CS].selector == 0x500 &&
	   cpu->gpr[CPU_RSP] == 0xff0 - 6 && get16(0x7fea) == 0x102 && get16(0x7fec) == 0x400 &&
	   (get16(0x7fee) & 0x3200) == 0x3200 && !(cpu_get_rflags(cpu) & CPU_FLAG_VIF) &&
	   (cpu_get_rflags(cpu) & CPU_FLAG_VM),
	   "VME (%s): INT 15h with its redirection bit clear goes to the IVT handler in virtual-8086 mode", n);
	ram[TSS + 0x68 + 2] = 1 << 5;
	ok(V86(cpu, 0, "\xcd\x15") == CPU_EXC_GP && ERR(cpu) == 0,
	   "VME (%s): with the bit set, INT 15h at IOPL 0 is #GP(0)", n);
	v86_extra_flags = 0;
	/* PVI: CLI/STI at CPL 3 in protected mode work on VIF */
	pm32_setup(cpu);
	ring3(cpu);
	cpu->cr4 |= CPU_CR4_PVI;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\xfb") == -1 && (cpu_get_rflags(cpu) & CPU_FLAG_VIF) && !(cpu_get_rflags(cpu) & CPU_FLAG_IF),
	   "PVI (%s): STI at CPL 3, IOPL 0 sets VIF", n);
	cpu->cr4 &= ~CPU_CR4_PVI;
	cpu_state_changed(cpu);
	ok(RUN(cpu, "\xfa") == CPU_EXC_GP && ERR(cpu) == 0, "no PVI (%s): CLI at CPL 3, IOPL 0 is #GP(0)", n);

	/* entry by a task switch to a TSS with EFLAGS.VM */
	task_setup(cpu);
	put32(TSSB + 0x20, 0x100);
	put32(TSSB + 0x24, CPU_FLAG_VM | CPU_FLAG_IOPL | 2);
	put32(TSSB + 0x48, 0x123);
	put32(TSSB + 0x4c, 0x400);
	put32(TSSB + 0x50, 0x700);
	put32(TSSB + 0x54, 0x200);
	put32(TSSB + 0x38, 0xff0);
	memcpy(ram + 0x4100, "\x0f\xa2", 2);
	ok(RUN(cpu, "\xea\x00\x00\x00\x00\xd0\x00") == -5 && cpu->rip == 0x100 && (cpu_get_rflags(cpu) & CPU_FLAG_VM) &&
	   cpu->seg[CPU_CS].base == 0x4000 && cpu->seg[CPU_DS].base == 0x2000 && cpu->seg[CPU_SS].base == 0x7000 &&
	   cpu->seg[CPU_ES].base == 0x1230 && cpu->gpr[CPU_RSP] == 0xff0 && cpu->seg[CPU_TR].selector == 0xd0,
	   "task switch to a virtual-8086 task (%s): real-style segments at CPL 3", n);
}

/* ---- I/O breakpoints ---- */

/* Like RUN, answering port I/O (reads return 0). */
static int run_io(struct cpu *cpu, const char *code, unsigned n)
{
	struct cpu_exit e;
	enum cpu_exit_reason r;
	uint32_t zero = 0;

	memcpy(ram + CODE, code, n);
	memcpy(ram + CODE + n, "\x0f\xa2", 2);
	cpu->rip = CODE;
	while ((r = cpu_run(cpu, &e)) == CPU_EXIT_IO) {
		if (e.io.write)
			cpu_complete_write(cpu);
		else
			cpu_complete_read(cpu, &zero, e.io.size);
	}
	if (r == CPU_EXIT_CPUID)
		return cpu->rip == CODE + n ? -1 : -5;
	if (r == CPU_EXIT_HLT && cpu->rip >= 0x3001 && cpu->rip < 0x3000 + 32 * 16 && (cpu->rip & 15) == 1)
		return (int)((cpu->rip - 0x3001) / 16);
	return -3;
}

#define RUN_IO(cpu, lit) run_io(cpu, lit, sizeof(lit) - 1)

static void test_io_bp(struct cpu *cpu, const char *n)
{
	pm32_setup(cpu);
	cpu->dr[0] = 0x80;
	cpu->dr[1] = 0x3f9;	/* LEN 4: ports 3F8h-3FBh */
	cpu->dr[7] = 0x400 | 1 | 4 | (2u << 16) | (2u << 20) | (3u << 22);
	cpu->cr4 |= CPU_CR4_DE;
	cpu_state_changed(cpu);
	ok(RUN_IO(cpu, "\xe6\x80") == CPU_EXC_DB && (cpu->dr[6] & 0xf) == 1 && FRAME(cpu, 0) == CODE + 2,
	   "I/O breakpoint (%s): OUT 80h traps after the instruction with DR6.B0", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->gpr[CPU_RDX] = 0x3fb;
	ok(RUN_IO(cpu, "\xec") == CPU_EXC_DB && (cpu->dr[6] & 0xf) == 2 && FRAME(cpu, 0) == CODE + 1,
	   "I/O breakpoint (%s): IN from 3FBh hits the 4-port range of DR1", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->gpr[CPU_RDX] = 0x3f7;
	ok(RUN_IO(cpu, "\x66\xed") == CPU_EXC_DB && (cpu->dr[6] & 0xf) == 2,
	   "I/O breakpoint (%s): a word IN from 3F7h (3F7h-3F8h) overlaps the range", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->gpr[CPU_RDX] = 0x3f6;
	ok(RUN_IO(cpu, "\x66\xed") == -1, "I/O breakpoint (%s): a word IN from 3F6h does not", n);
	cpu->gpr[CPU_RSP] = 0x8000;
	cpu->gpr[CPU_RDX] = 0x3fc;
	ok(RUN_IO(cpu, "\xec\xe6\x81") == -1, "I/O breakpoint (%s): ports 3FCh and 81h do not hit", n);
	cpu->cr4 &= ~CPU_CR4_DE;
	cpu_state_changed(cpu);
	ok(RUN_IO(cpu, "\xe6\x80") == -1, "R/W = 10 without CR4.DE (%s): no breakpoint", n);
	cpu->gpr[CPU_RAX] = CPU_CR4_DE;
	ok(RUN_IO(cpu, "\x0f\x22\xe0\xe6\x80") == CPU_EXC_DB && (cpu->dr[6] & 0xf) == 1,
	   "MOV to CR4 setting DE (%s) arms the I/O breakpoint", n);
}

int main(void)
{
	for (unsigned sw = 0; sw <= SW_ALL_OFF; sw += SW_ALL_OFF) {
		struct cpu *cpu = cpu_with_switches(sw);
		const char *n = switch_name(sw);

		test_data_limits(cpu, n);
		test_stack_limits(cpu, n);
		test_code_limits(cpu, n);
		test_real_limits(cpu, n);
		test_long_mode(cpu, n);
		test_smx(cpu, n);
		test_pcid(cpu, n);
		test_far(cpu, n);
		test_tasks(cpu, n);
		test_v86(cpu, n);
		test_io_bp(cpu, n);
		cpu_destroy(cpu);
	}
	return tap_done();
}
