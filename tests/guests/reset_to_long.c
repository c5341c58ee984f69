// SPDX-License-Identifier: GPL-2.0-only
// A guest image at the reset vector that switches itself real -> protected -> long mode,
// and back: compatibility mode, paging and LME off, a 16-bit segment, real mode.
//
// The vCPU starts in the power-on state left by KVM_CREATE_VCPU (CS.base 0xffff0000,
// RIP 0xfff0). A 64 KiB "firmware" image is mapped at 0xffff0000 and aliased at
// 0xf0000, as chipsets alias the BIOS. The image reports each stage on port 0x70 and
// a computed 64-bit value on port 0x71, then halts.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kvm_util.h"

#define PIO(run) ((uint8_t *)(run) + (run)->io.data_offset)

__asm__(
	".pushsection .rodata\n"
	".set BASE, 0xf0000\n"
	".globl fw_start, fw_end\n"
	"fw_start:\n"
	/* ---- 16-bit real mode, entered from the reset vector ---- */
	".code16\n"
	"rm_entry:\n"
	"	cli\n"
	"	mov $0x0, %al\n"
	"	out %al, $0x70\n"				/* stage 0: real mode */
	"	lgdtl %cs:(gdt_desc - fw_start)\n"
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x08, $(BASE + pm_entry - fw_start)\n"
	/* ---- 32-bit protected mode ---- */
	".code32\n"
	"pm_entry:\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov $0x9000, %esp\n"
	"	mov $1, %al\n"
	"	out %al, $0x70\n"				/* stage 1: protected mode */
	/* identity-map the first 2 MiB: PML4 at 0x10000, PDPT 0x11000, PD 0x12000 */
	"	mov $0x10000, %edi\n"
	"	xor %eax, %eax\n"
	"	mov $(3 * 1024), %ecx\n"
	"	cld\n"
	"	rep stosl\n"
	"	movl $0x11003, 0x10000\n"
	"	movl $0x12003, 0x11000\n"
	"	movl $0x00083, 0x12000\n"			/* 2 MiB page, writable, present */
	"	mov $0x10000, %eax\n"
	"	mov %eax, %cr3\n"
	"	mov %cr4, %eax\n"
	"	or $0x20, %eax\n"				/* PAE */
	"	mov %eax, %cr4\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $0x100, %eax\n"				/* EFER.LME */
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000000, %eax\n"				/* paging: long mode becomes active */
	"	mov %eax, %cr0\n"
	"	ljmp $0x18, $(BASE + lm_entry - fw_start)\n"
	/* ---- 64-bit long mode ---- */
	".code64\n"
	"lm_entry:\n"
	"	mov $2, %al\n"
	"	out %al, $0x70\n"				/* stage 2: long mode */
	"	movabs $0x123456789abcdef0, %rax\n"
	"	mov %rax, 0x8000\n"
	"	mov 0x8000, %rbx\n"
	"	rol $8, %rbx\n"
	"	mov %ebx, %eax\n"
	"	out %eax, $0x71\n"				/* low half of the rotated value */
	"	shr $32, %rbx\n"
	"	mov %ebx, %eax\n"
	"	out %eax, $0x71\n"				/* high half */
	/* ---- and back (SDM Vol.3 §10.8.5.4): compatibility mode first ---- */
	"	pushq $0x08\n"
	"	pushq $(BASE + cm_entry - fw_start)\n"
	"	lretq\n"
	".code32\n"
	"cm_entry:\n"
	"	mov $3, %al\n"
	"	out %al, $0x70\n"				/* stage 3: compatibility mode */
	"	mov %cr0, %eax\n"
	"	and $0x7fffffff, %eax\n"			/* paging off: LMA clears */
	"	mov %eax, %cr0\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	and $~0x100, %eax\n"				/* EFER.LME off */
	"	wrmsr\n"
	"	mov $4, %al\n"
	"	out %al, $0x70\n"				/* stage 4: protected mode, no paging */
	"	ljmp $0x20, $(pm16 - fw_start)\n"		/* 16-bit code, base 0xf0000 */
	".code16\n"
	"pm16:\n"
	"	mov $0x28, %ax\n"				/* 16-bit data, 64 KiB limits */
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov %cr0, %eax\n"
	"	and $~1, %eax\n"				/* PE off */
	"	mov %eax, %cr0\n"
	"	ljmp $0xf000, $(rm_back - fw_start)\n"
	"rm_back:\n"
	"	xor %ax, %ax\n"
	"	mov %ax, %ss\n"
	"	mov $0x7000, %sp\n"
	"	mov $0x1000, %ax\n"
	"	mov %ax, %ds\n"
	"	mov $5, %al\n"
	"	out %al, $0x70\n"				/* stage 5: real mode again */
	"	movw $0xbeef, 0x2350\n"			/* DS 1000h: physical 12350h */
	"	xor %ax, %ax\n"
	"	mov %ax, %ds\n"
	"	mov $0x1235, %bx\n"
	"	mov %bx, %es\n"
	"	mov %es:0, %ax\n"				/* 1235h:0 is the same byte */
	"	pushw %ax\n"
	"	popw %dx\n"
	"	mov %dx, %ax\n"
	"	out %ax, $0x71\n"
	"	hlt\n"
	".code64\n"
	/* ---- data ---- */
	".balign 8\n"
	"gdt:\n"
	"	.quad 0\n"
	"	.quad 0x00cf9a000000ffff\n"			/* 0x08: 32-bit code */
	"	.quad 0x00cf92000000ffff\n"			/* 0x10: data */
	"	.quad 0x00af9a000000ffff\n"			/* 0x18: 64-bit code */
	"	.quad 0x00009a0f0000ffff\n"			/* 0x20: 16-bit code, base 0xf0000 */
	"	.quad 0x000092000000ffff\n"			/* 0x28: 16-bit data */
	"gdt_desc:\n"
	"	.word 6 * 8 - 1\n"
	"	.long BASE + gdt - fw_start\n"
	/* ---- the reset vector at offset 0xfff0 ---- */
	".org fw_start + 0xfff0\n"
	".code16\n"
	"	ljmp $0xf000, $(rm_entry - fw_start)\n"
	".org fw_start + 0x10000\n"
	"fw_end:\n"
	".code64\n"
	".popsection\n");

extern const uint8_t fw_start[], fw_end[];

struct cpuid_buf {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[128];
};

int main(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *ram = vm_add_memory(vm, 0, 0, 0x100000, 0);
	struct kvm_userspace_memory_region alias = {
		.slot = 1, .guest_phys_addr = 0xffff0000, .memory_size = 0x10000,
		.userspace_addr = (uintptr_t)(ram + 0xf0000),
	};
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_run *run = v->run;
	struct cpuid_buf *cpuid = calloc(1, sizeof(*cpuid));
	struct kvm_sregs s;
	uint32_t lo, hi;

	is(fw_end - fw_start, 0x10000, "the firmware image is 64 KiB");
	memcpy(ram + 0xf0000, fw_start, 0x10000);
	is(kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &alias), 0, "image aliased at 0xffff0000");
	/* the guest needs LM in its CPUID to set EFER.LME */
	cpuid->hdr.nent = 128;
	kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
	is(kvm_ioctl(v->fd, KVM_SET_CPUID2, cpuid), 0, "guest CPUID = the supported CPUID");

	is(vcpu_run(v), 0, "run from the reset vector");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 0,
	   "stage 0: real mode, reached through the far jump at 0xfffffff0");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 1,
	   "stage 1: protected mode");
	s = vcpu_sregs(v);
	ok((s.cr0 & 1) && s.cs.selector == 0x08 && s.cs.db == 1 && s.cs.base == 0, "CS is the flat 32-bit code segment");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 2,
	   "stage 2: long mode");
	s = vcpu_sregs(v);
	is(s.efer & 0x500, 0x500, "EFER.LME and EFER.LMA");
	ok(s.cs.l == 1 && s.cs.selector == 0x18 && (s.cr0 >> 31) && (s.cr4 & 0x20) && s.cr3 == 0x10000,
	   "64-bit CS, paging with PAE, CR3 at the guest's PML4");
	vcpu_run(v);
	lo = *(uint32_t *)PIO(run);
	vcpu_run(v);
	hi = *(uint32_t *)PIO(run);
	is(((uint64_t)hi << 32) | lo, 0x3456789abcdef012ull, "64-bit arithmetic through memory: rol(0x123456789abcdef0, 8)");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 3,
	   "stage 3: a far return to the 32-bit code segment");
	s = vcpu_sregs(v);
	ok(s.cs.selector == 0x08 && s.cs.l == 0 && s.cs.db == 1 && (s.efer & 0x500) == 0x500 && (s.cr0 >> 31),
	   "compatibility mode: CS.L=0, LMA still set, paging on");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 4,
	   "stage 4: CR0.PG and EFER.LME cleared");
	s = vcpu_sregs(v);
	ok((s.efer & 0x500) == 0 && !(s.cr0 >> 31) && (s.cr0 & 1), "protected mode without paging: LMA and LME clear");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 5,
	   "stage 5: through a 16-bit segment back to real mode");
	s = vcpu_sregs(v);
	ok(!(s.cr0 & 1) && s.cs.selector == 0xf000 && s.cs.base == 0xf0000 && s.ds.selector == 0x1000 &&
	   s.ds.base == 0x10000, "real mode: CS f000h (base f0000h), DS 1000h (base 10000h)");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x71 && run->io.size == 2 &&
	   *(uint16_t *)PIO(run) == 0xbeef, "real-mode addressing: 1000h:2350h and 1235h:0 are the same word");
	is(ram[0x12350] | ram[0x12351] << 8, 0xbeef, "at physical 12350h");
	vcpu_run(v);
	is(run->exit_reason, KVM_EXIT_HLT, "HLT");
	ok(ram[0x10000] & 0x20, "the CPU set the accessed bit in the guest's PML4 entry");
	ok((ram[0x12000] & 0x60) == 0x60, "and accessed+dirty in the 2 MiB page entry it wrote through");
	free(cpuid);
	vm_free(vm);
	return tap_done();
}
