// SPDX-License-Identifier: GPL-2.0-only
// The executor end to end without a hypervisor: RESET state, a real-mode program with
// port I/O replay and IVT delivery, a long-mode program with 4-level paging, intercepted
// CPUID/RDMSR, MMIO read replay and write reporting, REP OUTSB, #PF through the IDT, a
// ring-3 HLT (#GP with a TSS stack switch), triple fault and the attention words. Every
// scenario runs under all sixteen combinations of the fast paths' off switches.
#include <stdio.h>

#include "cpu_harness.h"

static void test_reset(void)
{
	struct cpu *cpu = cpu_with_switches(0);
	struct cpu_segment *cs = &cpu->seg[CPU_CS], *ds = &cpu->seg[CPU_DS];

	/* SDM Vol.3 Table 10-1 */
	ok(cs->selector == 0xf000 && cs->base == 0xffff0000ull && cs->limit == 0xffff && cs->type == 0xb &&
	   cs->present && cs->s, "reset: CS f000, base ffff0000, limit ffff, type b");
	ok(ds->selector == 0 && ds->base == 0 && ds->limit == 0xffff && ds->type == 3 && ds->present && ds->s,
	   "reset: data segments 0, limit ffff, type 3");
	ok(cpu->seg[CPU_LDTR].type == 2 && cpu->seg[CPU_LDTR].present && cpu->seg[CPU_TR].type == 0xb &&
	   cpu->seg[CPU_TR].present, "reset: LDTR type 2, TR type b (busy TSS)");
	ok(cpu->gdt.limit == 0xffff && cpu->idt.limit == 0xffff && cpu->gdt.base == 0 && cpu->idt.base == 0,
	   "reset: GDTR/IDTR limit ffff base 0");
	ok(cpu->rip == 0xfff0 && cpu_get_rflags(cpu) == 2 && cpu->cr0 == 0x60000010ull && cpu->cr4 == 0 &&
	   cpu->efer == 0, "reset: RIP fff0, RFLAGS 2, CR0 60000010, CR4 0, EFER 0");
	ok(cpu->gpr[CPU_RDX] == 0x600 && cpu->gpr[CPU_RAX] == 0 && cpu->gpr[CPU_RSP] == 0,
	   "reset: RDX 600 (processor signature), other GPRs 0");
	ok(cpu->dr[6] == 0xffff0ff0ull && cpu->dr[7] == 0x400 && cpu->xcr0 == 1,
	   "reset: DR6 ffff0ff0, DR7 400, XCR0 1");
	ok(cpu->features == CPU_FEAT_DEFAULT, "cpu_create: the default feature set");
	cpu_destroy(cpu);
}

/* ---- real mode ---- */

/*
 * At 0000:7C00 (assembled with GNU as, .code16):
 *   cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,7000h; mov cx,10; xor bx,bx
 *   1: add bx,cx; loop 1b; call sub1; push bx; pop si; mov word [500h],1234h; mov di,[500h]
 *   in al,60h (7C22); mov dl,al; mov dx,3f8h; out dx,al (7C29); int 21h; xor ax,ax
 *   mov cl,7; div cl; hlt (7C32)
 *   sub1: add bx,100h; ret       h21 (7C80): mov bp,0beefh; iret
 */
static const uint8_t real_prog[] = {
	0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x70, 0xb9, 0x0a,
	0x00, 0x31, 0xdb, 0x01, 0xcb, 0xe2, 0xfc, 0xe8, 0x1d, 0x00, 0x53, 0x5e,
	0xc7, 0x06, 0x00, 0x05, 0x34, 0x12, 0x8b, 0x3e, 0x00, 0x05, 0xe4, 0x60,
	0x88, 0xc2, 0xba, 0xf8, 0x03, 0xee, 0xcd, 0x21, 0x31, 0xc0, 0xb1, 0x07,
	0xf6, 0xf1, 0xf4, 0x81, 0xc3, 0x00, 0x01, 0xc3,
};
static const uint8_t real_h21[] = { 0xbd, 0xef, 0xbe, 0xcf };

static void test_real(unsigned sw)
{
	struct cpu *cpu = cpu_with_switches(sw);
	struct cpu_exit e;
	enum cpu_exit_reason r;
	const char *n = switch_name(sw);
	uint8_t in_val = 0xab;

	memset(ram, 0, 0x10000);
	memcpy(ram + 0x7c00, real_prog, sizeof(real_prog));
	memcpy(ram + 0x7c80, real_h21, sizeof(real_h21));
	put64(0x21 * 4, 0x00007c80);	/* IVT[21h] = 0000:7C80 */
	cpu->seg[CPU_CS].selector = 0;
	cpu->seg[CPU_CS].base = 0;
	cpu->rip = 0x7c00;
	cpu_state_changed(cpu);

	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_IO && !e.io.write && e.io.port == 0x60 && e.io.size == 1 && cpu->rip == 0x7c22 &&
	   cpu->gpr[CPU_RBX] == 55 + 0x100 && cpu->gpr[CPU_RSI] == 55 + 0x100 && cpu->gpr[CPU_RDI] == 0x1234 &&
	   cpu->gpr[CPU_RCX] == 0 && cpu->gpr[CPU_RSP] == 0x7000 && cpu_io_pending(cpu),
	   "real mode (%s): loop/call/push/pop/mov, then IN 60h stops with RIP at the IN", n);
	cpu_complete_read(cpu, &in_val, 1);
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_IO && e.io.write && e.io.port == 0x3f8 && e.io.data == 0xab && e.io.size == 1 &&
	   cpu->rip == 0x7c29 && (cpu->gpr[CPU_RAX] & 0xff) == 0xab,
	   "real mode (%s): IN replayed with the answer; OUT DX,AL stops before commit", n);
	cpu_complete_write(cpu);
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_HLT && cpu->rip == 0x7c33 && cpu->gpr[CPU_RBP] == 0xbeef &&
	   (cpu->gpr[CPU_RAX] & 0xffff) == 0 && cpu->gpr[CPU_RSP] == 0x7000 && !cpu_io_pending(cpu),
	   "real mode (%s): INT 21h through the IVT and IRET, DIV, HLT with RIP past it", n);

	/* #DE in real mode: IVT[0], IP of the DIV pushed */
	memcpy(ram + 0x7c00, "\x30\xc9\xf6\xf1", 4);	/* xor cl,cl; div cl */
	ram[0x7d00] = 0xf4;
	put64(0, 0x00007d00);
	cpu->rip = 0x7c00;
	cpu->gpr[CPU_RAX] = 0x1234;
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_HLT && cpu->rip == 0x7d01 && cpu->gpr[CPU_RSP] == 0x7000 - 6 &&
	   (get64(0x7000 - 6) & 0xffff) == 0x7c02 && (cpu->gpr[CPU_RAX] & 0xffff) == 0x1234,
	   "real mode (%s): DIV by 0 is #DE through IVT[0], IP of the DIV pushed, AX unchanged", n);
	cpu_destroy(cpu);
}

/* ---- long mode ---- */

#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define PT0 0x13000	/* 0 - 2 MiB, identity, 4-KiB pages */
#define PT1 0x14000	/* 2 MiB: one page of MMIO at gpa fee00000 */
#define GDT 0x1000
#define IDT 0x2000
#define TSS 0x7000
#define CODE 0x4000

/*
 * At 4000h (GNU as, .code64):
 *   mov rsp,5000h; mov ecx,5; xor eax,eax; 1: add rax,rcx; dec ecx; jnz 1b; imul rbx,rax,3
 *   cpuid (4019); mov ecx,10h; rdmsr (4020); mov r8,[6000h]; mov rdx,[200000h] (402A)
 *   mov dword [200010h],12345678h (4032); mov dx,3f8h (403D); mov rsi,6100h; mov ecx,3
 *   rep outsb (404D); mov rsi,600000h (404F); mov al,[rsi] (4056); hlt
 */
static const uint8_t long_prog[] = {
	0x48, 0xc7, 0xc4, 0x00, 0x50, 0x00, 0x00, 0xb9, 0x05, 0x00, 0x00, 0x00,
	0x31, 0xc0, 0x48, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xf9, 0x48, 0x6b, 0xd8,
	0x03, 0x0f, 0xa2, 0xb9, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x32, 0x4c, 0x8b,
	0x04, 0x25, 0x00, 0x60, 0x00, 0x00, 0x48, 0x8b, 0x14, 0x25, 0x00, 0x00,
	0x20, 0x00, 0xc7, 0x04, 0x25, 0x10, 0x00, 0x20, 0x00, 0x78, 0x56, 0x34,
	0x12, 0x66, 0xba, 0xf8, 0x03, 0x48, 0xc7, 0xc6, 0x00, 0x61, 0x00, 0x00,
	0xb9, 0x03, 0x00, 0x00, 0x00, 0xf3, 0x6e, 0x48, 0xc7, 0xc6, 0x00, 0x00,
	0x60, 0x00, 0x8a, 0x06, 0xf4,
};

static void idt_gate(unsigned vec, uint64_t handler)
{
	put64(IDT + vec * 16, (handler & 0xffff) | (8ull << 16) | (0x8eull << 40) |
			      ((handler & 0xffff0000ull) << 32));
	put64(IDT + vec * 16 + 8, handler >> 32);
}

static void long_setup(struct cpu *cpu)
{
	memset(ram, 0, 0x20000);
	put64(PML4, PDPT | 7);
	put64(PDPT, PD | 7);
	put64(PD, PT0 | 7);
	put64(PD + 8, PT1 | 7);
	for (uint64_t i = 0; i < 512; i++)
		put64(PT0 + i * 8, (i << 12) | 7);	/* present, writable, user */
	put64(PT1, 0xfee00000ull | 7);
	put64(GDT + 8, GDT_CODE64);
	put64(GDT + 16, GDT_DATA);
	put64(GDT + 24, GDT_UCODE64);
	put64(GDT + 32, GDT_UDATA);
	put64(TSS + 4, 0x9000);	/* RSP0 */
	for (unsigned v = 0; v < 32; v++)
		idt_gate(v, 0x3000 + v * 16);	/* each handler: HLT */
	for (unsigned v = 0; v < 32; v++)
		ram[0x3000 + v * 16] = 0xf4;

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
	cpu->gdt.limit = 47;
	cpu->idt.base = IDT;
	cpu->idt.limit = 32 * 16 - 1;
	cpu->rip = CODE;
	cpu_state_changed(cpu);
}

static void test_long(unsigned sw)
{
	struct cpu *cpu = cpu_with_switches(sw);
	struct cpu_exit e;
	enum cpu_exit_reason r;
	const char *n = switch_name(sw);
	uint64_t mmio_val = 0x1122334455667788ull;
	int outs = 0;
	bool outs_ok = true;

	long_setup(cpu);
	memcpy(ram + CODE, long_prog, sizeof(long_prog));
	memcpy(ram + 0x6100, "abc", 3);

	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_CPUID && cpu->rip == 0x4019 && e.insn_len == 2 && cpu->gpr[CPU_RAX] == 15 &&
	   cpu->gpr[CPU_RBX] == 45, "long mode (%s): loop with flags from DEC, IMUL; CPUID exits at the insn", n);
	cpu->gpr[CPU_RAX] = 0xa;
	cpu_skip_insn(cpu, e.insn_len);
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_RDMSR && e.msr.index == 0x10 && cpu->rip == 0x4020 && e.insn_len == 2,
	   "long mode (%s): RDMSR exits with the index, RIP at the insn", n);
	cpu->gpr[CPU_RAX] = 1;
	cpu->gpr[CPU_RDX] = 2;
	cpu_skip_insn(cpu, e.insn_len);
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_MMIO && !e.mmio.write && e.mmio.gpa == 0xfee00000ull && e.mmio.size == 8 &&
	   cpu->rip == 0x402a && cpu->gpr[CPU_RDX] == 2,
	   "long mode (%s): MMIO read stops before commit (RIP at the insn, RDX unchanged)", n);
	cpu_complete_read(cpu, &mmio_val, 8);
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_MMIO && e.mmio.write && e.mmio.gpa == 0xfee00010ull && e.mmio.size == 4 &&
	   !memcmp(e.mmio.data, "\x78\x56\x34\x12", 4) && cpu->rip == 0x403d && cpu->gpr[CPU_RDX] == mmio_val,
	   "long mode (%s): MMIO read answered; MMIO write reported after commit (RIP past it)", n);
	for (;;) {
		r = cpu_run(cpu, &e);
		if (r != CPU_EXIT_IO)
			break;
		outs_ok &= e.io.write && e.io.port == 0x3f8 && e.io.size == 1 && outs < 3 &&
			   e.io.data == (uint32_t)"abc"[outs] && cpu->rip == 0x404d &&
			   cpu->gpr[CPU_RCX] == 3u - (unsigned)outs;
		outs++;
		cpu_complete_write(cpu);
	}
	ok(outs == 3 && outs_ok, "long mode (%s): REP OUTSB is one event per element (%d events)", n, outs);
	ok(r == CPU_EXIT_HLT && cpu->rip == 0x3000 + 14 * 16 + 1 && cpu->cr2 == 0x600000 &&
	   cpu->gpr[CPU_RSP] == 0x5000 - 48 && get64(0x5000 - 48) == 0 && get64(0x5000 - 40) == 0x4056 &&
	   get64(0x5000 - 32) == 8 && cpu->gpr[CPU_RSI] == 0x600000,
	   "long mode (%s): #PF through the IDT: CR2, error code 0, RIP of the faulting insn", n);
	ok((get64(PT0 + 4 * 8) & 0x60) == 0x60 && (get64(PT0 + 6 * 8) & 0x60) == 0x20 &&
	   (get64(PD) & 0x20) && (get64(PML4) & 0x20),
	   "long mode (%s): the walk set A on every level, D only on written pages", n);

	/* ring 3 HLT: #GP(0), delivered on the TSS RSP0 stack */
	long_setup(cpu);
	ram[0x4800] = 0xf4;
	seg_set(&cpu->seg[CPU_CS], 0x1b, 0xb, 3, true, false);
	seg_set(&cpu->seg[CPU_SS], 0x23, 3, 3, false, true);
	cpu->rip = 0x4800;
	cpu->gpr[CPU_RSP] = 0x5800;
	cpu_state_changed(cpu);
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_HLT && cpu->rip == 0x3000 + 13 * 16 + 1 && cpu->seg[CPU_CS].selector == 8 &&
	   cpu->gpr[CPU_RSP] == 0x9000 - 48 && get64(0x9000 - 48) == 0 && get64(0x9000 - 40) == 0x4800 &&
	   get64(0x9000 - 32) == 0x1b && get64(0x9000 - 16) == 0x5800 && get64(0x9000 - 8) == 0x23,
	   "long mode (%s): HLT at CPL 3 is #GP(0), with the stack switch to RSP0", n);

	/* the attention words: checked before an instruction, RIP unchanged */
	long_setup(cpu);
	{
		volatile uint8_t stop = 1;
		cpu->attention2 = &stop;
		r = cpu_run(cpu, &e);
		ok(r == CPU_EXIT_REQUEST && cpu->rip == CODE, "attention2 (%s): CPU_EXIT_REQUEST before executing", n);
		cpu->attention2 = NULL;
	}
	{
		_Atomic uint32_t att = 1;
		cpu->attention = &att;
		r = cpu_run(cpu, &e);
		ok(r == CPU_EXIT_REQUEST && cpu->rip == CODE, "attention (%s): CPU_EXIT_REQUEST", n);
		cpu->attention = NULL;
	}

	/* triple fault: #UD with no IDT -> #GP -> #DF -> shutdown */
	memcpy(ram + CODE, "\x0f\x0b", 2);
	cpu->idt.limit = 0;
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_SHUTDOWN, "triple fault (%s): UD2 without an IDT is CPU_EXIT_SHUTDOWN", n);

	/* 16 bytes of prefixes: #GP(0) before anything executes (after RESET: shutdown sticks) */
	cpu_reset(cpu, false);
	long_setup(cpu);
	cpu->gpr[CPU_RSP] = 0x5000;
	memset(ram + CODE, 0x66, 15);
	ram[CODE + 15] = 0x90;
	r = cpu_run(cpu, &e);
	ok(r == CPU_EXIT_HLT && cpu->rip == 0x3000 + 13 * 16 + 1 && get64(0x5000 - 40) == CODE,
	   "15-byte limit (%s): a 16-byte instruction is #GP(0) at its first byte", n);
	cpu_destroy(cpu);
}

int main(void)
{
	test_reset();
	for (unsigned sw = 0; sw < SW_COMBINATIONS; sw++) {
		test_real(sw);
		test_long(sw);
	}
	return tap_done();
}
