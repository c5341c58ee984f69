// SPDX-License-Identifier: GPL-2.0-only
// Through the KVM API, from the reset-style real mode: into 32-bit protected mode, LTR, an
// IRET to ring 3, a far CALL through a call gate back to ring 0 with two parameters copied
// to the TSS's ring-0 stack, RETF 8 to ring 3, a JMP from ring 3 to a TSS (task switch),
// an IRET into virtual-8086 mode, an INT from there to a ring-0 handler and its IRET back,
// and a HLT in virtual-8086 mode raising #GP(0). The guest reports each stage with
// OUT 80h; the host checks registers, segments and memory with exact values (SDM Vol.3
// §5.8, chapters 8 and 20).
#include <stdio.h>

#include "kvm_util.h"

#define BASE 0x1000
#define GDT 0x800
#define IDT 0x2000
#define TSSA 0x6000
#define TSSB 0xa000

/* the guest program, placed at BASE (GNU as, position-dependent through BASE) */
extern const uint8_t sys_start[], sys_end[], sys_gate_target[], sys_after_lcall[], sys_after_ljmp[];
extern const uint8_t sys_taskb[], sys_int21[], sys_gp[];
__asm__(".pushsection .rodata\n"
	".set SYS_BASE, 0x1000\n"
	".globl sys_start, sys_end, sys_gate_target, sys_after_lcall, sys_after_ljmp, sys_taskb, sys_int21, sys_gp\n"
	"sys_start:\n"
	".code16\n"
	"	cli\n"
	"	lgdtl SYS_BASE + (sys_gdtr - sys_start)\n"
	"	lidtl SYS_BASE + (sys_idtr - sys_start)\n"
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x08, $(SYS_BASE + sys_pm - sys_start)\n"
	".code32\n"
	"sys_pm:\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov $0x8000, %esp\n"
	"	mov $0x28, %ax\n"
	"	ltr %ax\n"
	"	mov $1, %al\n"
	"	out %al, $0x80\n"
	/* IRET to ring 3 with IOPL 3 (OUT stays allowed there) */
	"	push $0x23\n"
	"	push $0x7000\n"
	"	push $0x3002\n"
	"	push $0x1b\n"
	"	push $(SYS_BASE + sys_r3 - sys_start)\n"
	"	iret\n"
	"sys_r3:\n"
	"	push $0x11111111\n"
	"	push $0x22222222\n"
	"	lcall $0x53, $0\n"
	"sys_after_lcall:\n"
	"	mov $3, %al\n"
	"	out %al, $0x80\n"
	"	ljmp $0xd3, $0\n"
	"sys_after_ljmp:\n"
	"	hlt\n"
	"sys_gate_target:\n"
	"	mov $2, %al\n"
	"	out %al, $0x80\n"
	"	lret $8\n"
	"sys_taskb:\n"
	"	mov $4, %al\n"
	"	out %al, $0x80\n"
	/* IRET into virtual-8086 mode at 0400:0100: GS FS DS ES SS ESP EFLAGS CS EIP */
	"	push $0x400\n"
	"	push $0x300\n"
	"	push $0x200\n"
	"	push $0x123\n"
	"	push $0x700\n"
	"	push $0xff0\n"
	"	push $0x23002\n"
	"	push $0x400\n"
	"	push $0x100\n"
	"	iret\n"
	"sys_int21:\n"
	"	mov $6, %al\n"
	"	out %al, $0x80\n"
	"	iret\n"
	"sys_gp:\n"
	"	hlt\n"
	"sys_gdtr: .word 0xd7\n"
	"	.long 0x800\n"
	"sys_idtr: .word 0x22 * 8 - 1\n"
	"	.long 0x2000\n"
	"sys_end:\n"
	".code64\n"
	".popsection\n");

/* virtual-8086 code at 0400:0100: OUT 5, INT 21h, OUT 7, HLT (#GP(0) at CPL 3) */
static const uint8_t v86_code[] = { 0xb0, 0x05, 0xe6, 0x80, 0xcd, 0x21, 0xb0, 0x07, 0xe6, 0x80, 0xf4 };

static uint64_t desc(uint32_t base, uint32_t limit, unsigned type, bool s, unsigned dpl, bool db, bool g)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)type << 40) |
	       ((uint64_t)s << 44) | ((uint64_t)dpl << 45) | (1ull << 47) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)db << 54) | ((uint64_t)g << 55) |
	       ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl, unsigned pcount)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)pcount << 32) | ((uint64_t)type << 40) |
	       ((uint64_t)dpl << 45) | (1ull << 47) | ((uint64_t)(off >> 16) << 48);
}

static uint32_t addr(const uint8_t *label)
{
	return BASE + (uint32_t)(label - sys_start);
}

static uint8_t *mem;

static uint32_t get32(uint32_t gpa)
{
	uint32_t v;
	memcpy(&v, mem + gpa, 4);
	return v;
}

static void put32(uint32_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, 4);
}

static void put64(uint32_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

/* Runs to the next stage report; returns the stage, or -1 for anything else. */
static int stage(struct vcpu *v)
{
	if (vcpu_run(v) || v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != 0x80 ||
	    v->run->io.direction != KVM_EXIT_IO_OUT)
		return -1;
	return *((uint8_t *)v->run + v->run->io.data_offset);
}

int main(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v;
	struct kvm_sregs s;
	struct kvm_regs r;

	mem = vm_add_memory(vm, 0, 0, 0x20000, 0);
	v = vm_add_vcpu(vm, 0);
	memcpy(mem + BASE, sys_start, (size_t)(sys_end - sys_start));
	memcpy(mem + 0x4100, v86_code, sizeof(v86_code));
	put64(GDT + 0x08, desc(0, 0xfffff, 0xb, 1, 0, 1, 1));
	put64(GDT + 0x10, desc(0, 0xfffff, 0x3, 1, 0, 1, 1));
	put64(GDT + 0x18, desc(0, 0xfffff, 0xb, 1, 3, 1, 1));
	put64(GDT + 0x20, desc(0, 0xfffff, 0x3, 1, 3, 1, 1));
	put64(GDT + 0x28, desc(TSSA, 0x67, 0x9, 0, 0, 0, 0));
	put64(GDT + 0x50, gate(0x08, addr(sys_gate_target), 0xc, 3, 2));
	put64(GDT + 0xd0, desc(TSSB, 0x87, 0x9, 0, 3, 0, 0));
	put64(IDT + 13 * 8, gate(0x08, addr(sys_gp), 0xe, 0, 0));
	put64(IDT + 0x21 * 8, gate(0x08, addr(sys_int21), 0xe, 3, 0));
	put32(TSSA + 4, 0x9000);	/* ESP0 */
	put32(TSSA + 8, 0x10);		/* SS0 */
	put32(TSSB + 4, 0x8800);
	put32(TSSB + 8, 0x10);
	put32(TSSB + 0x20, addr(sys_taskb));
	put32(TSSB + 0x24, 2);
	put32(TSSB + 0x38, 0x8400);
	put32(TSSB + 0x48, 0x10);	/* ES */
	put32(TSSB + 0x4c, 0x08);	/* CS */
	put32(TSSB + 0x50, 0x10);	/* SS */
	put32(TSSB + 0x54, 0x10);	/* DS */
	put32(TSSB + 0x64, 0x68u << 16);	/* I/O map base 68h: a zero bitmap allows port 80h */

	s = vcpu_sregs(v);
	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v, &s);
	r = (struct kvm_regs){ .rip = BASE, .rflags = 2 };
	vcpu_set_regs(v, &r);

	is(stage(v), 1, "stage 1: protected mode, LTR");
	s = vcpu_sregs(v);
	ok(s.cs.selector == 8 && (s.cr0 & 1) && s.tr.selector == 0x28 && s.tr.type == 0xb && (mem[GDT + 0x2d] & 0xf) == 0xb,
	   "CS 08h, TR 28h busy in the GDT");

	is(stage(v), 2, "stage 2: CALL through the call gate from ring 3");
	s = vcpu_sregs(v);
	r = vcpu_regs(v);
	ok(s.cs.selector == 8 && s.ss.selector == 0x10 && r.rsp == 0x9000 - 24 && get32(0x9000 - 4) == 0x23 &&
	   get32(0x9000 - 8) == 0x6ff8 && get32(0x9000 - 12) == 0x11111111 && get32(0x9000 - 16) == 0x22222222 &&
	   get32(0x9000 - 20) == 0x1b && get32(0x9000 - 24) == addr(sys_after_lcall),
	   "ring 0 on SS0:ESP0 with SS, ESP, both parameters, CS and EIP");

	is(stage(v), 3, "stage 3: RETF 8 back to ring 3");
	s = vcpu_sregs(v);
	r = vcpu_regs(v);
	ok(s.cs.selector == 0x1b && s.ss.selector == 0x23 && r.rsp == 0x7000 && s.ds.selector == 0 && s.ds.unusable,
	   "CS 1Bh, SS 23h, ESP 7000h (parameters released); DS (DPL 0) null since the IRET to ring 3");

	is(stage(v), 4, "stage 4: JMP from ring 3 to TSS D3h");
	s = vcpu_sregs(v);
	r = vcpu_regs(v);
	/* TR holds the selector as the JMP gave it, RPL included */
	ok(s.tr.selector == 0xd3 && s.cs.selector == 8 && r.rsp == 0x8400 && (s.cr0 & 8) &&
	   get32(TSSA + 0x20) == addr(sys_after_ljmp) && get32(TSSA + 0x4c) == 0x1b && get32(TSSA + 0x38) == 0x7000 &&
	   (mem[GDT + 0x2d] & 0xf) == 0x9 && (mem[GDT + 0xd5] & 0xf) == 0xb && !(r.rflags & (1u << 14)),
	   "task B at ring 0, CR0.TS; task A saved (EIP, CS, ESP) and no longer busy; NT clear");

	is(stage(v), 5, "stage 5: IRET into virtual-8086 mode");
	s = vcpu_sregs(v);
	r = vcpu_regs(v);
	ok((r.rflags & (1u << 17)) && s.cs.selector == 0x400 && s.cs.base == 0x4000 && s.ds.base == 0x2000 &&
	   s.ss.base == 0x7000 && s.es.base == 0x1230 && s.gs.base == 0x4000 && r.rsp == 0xff0 && s.cs.dpl == 3,
	   "VM set, real-style segment bases, SP from the frame");

	is(stage(v), 6, "stage 6: INT 21h from virtual-8086 mode");
	s = vcpu_sregs(v);
	r = vcpu_regs(v);
	ok(!(r.rflags & (1u << 17)) && s.cs.selector == 8 && s.ss.selector == 0x10 && r.rsp == 0x8800 - 36 &&
	   get32(0x8800 - 4) == 0x400 && get32(0x8800 - 8) == 0x300 && get32(0x8800 - 12) == 0x200 &&
	   get32(0x8800 - 16) == 0x123 && get32(0x8800 - 20) == 0x700 && get32(0x8800 - 24) == 0xff0 &&
	   (get32(0x8800 - 28) & (1u << 17)) && get32(0x8800 - 32) == 0x400 && get32(0x8800 - 36) == 0x106 &&
	   s.ds.selector == 0 && s.es.selector == 0 && s.fs.selector == 0 && s.gs.selector == 0,
	   "ring 0 on task B's SS0:ESP0: GS FS DS ES SS ESP EFLAGS CS EIP; data segments null");

	is(stage(v), 7, "stage 7: IRET back into virtual-8086 mode");
	s = vcpu_sregs(v);
	r = vcpu_regs(v);
	ok((r.rflags & (1u << 17)) && s.ds.selector == 0x200 && s.ds.base == 0x2000 && r.rsp == 0xff0,
	   "VM set again, DS restored, SP FF0h");

	is(vcpu_run(v), 0, "run");
	r = vcpu_regs(v);
	ok(v->run->exit_reason == KVM_EXIT_HLT && r.rip == addr(sys_gp) + 1 && get32((uint32_t)r.rsp) == 0 &&
	   get32((uint32_t)r.rsp + 4) == 0x10a && get32((uint32_t)r.rsp + 8) == 0x400,
	   "HLT in virtual-8086 mode: #GP(0) at 0400:010A to the ring-0 handler");
	vm_free(vm);
	return tap_done();
}
