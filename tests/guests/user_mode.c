// SPDX-License-Identifier: GPL-2.0-only
// Ring 3: IRETQ and SYSRETQ into user mode, SYSCALL back, privilege checks, interrupts from
// ring 3 switching to the TSS's RSP0, user/supervisor page faults, and -KVM_EPERM.
#include <linux/kvm_para.h>
#include <stdio.h>

#include "kvm_util.h"

#define USER_CS 0x2b		/* GDT[5]: 64-bit code, DPL 3 */
#define USER_SS 0x23		/* GDT[4]: data, DPL 3 */
#define TSS_SEL 0x30		/* GDT[6..7]: 64-bit TSS */
#define TSS_GPA 0x3000ull
#define RSP0 0x7c000ull		/* ring-0 stack for events from ring 3 */
#define USER_STACK 0x60000ull
#define SUPER_PAGE 0x9000000000ull	/* a supervisor-only page */
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084

static volatile uint64_t user_results[16];

/*
 * to_user_iret(fn): saves the kernel's callee-saved registers and RSP, then IRETQ to
 * fn at CPL 3. to_user_sysret(fn): the same entry through SYSRETQ (RCX = target,
 * R11 = RFLAGS). from_user: the LSTAR target; SYSCALL lands here at CPL 0, and it
 * returns from to_user_* to its caller.
 */
uint64_t saved_ksp;
void to_user_iret(void (*fn)(void));
void to_user_sysret(void (*fn)(void));
void from_user(void);
__asm__(".pushsection .text\n"
	"to_user_iret:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	mov %rsp, saved_ksp(%rip)\n"
	"	pushq $0x23\n"
	"	pushq $0x60000\n"
	"	pushq $2\n"
	"	pushq $0x2b\n"
	"	push %rdi\n"
	"	iretq\n"
	"to_user_sysret:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	mov %rsp, saved_ksp(%rip)\n"
	"	mov %rdi, %rcx\n"
	"	mov $2, %r11\n"
	"	mov $0x60000, %rsp\n"
	"	sysretq\n"
	"from_user:\n"
	"	mov saved_ksp(%rip), %rsp\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n"
	".popsection\n");

GUEST_ASM_STUB(hlt_stub, "hlt");
GUEST_ASM_STUB(cli_stub, "cli");
GUEST_ASM_STUB(in_stub, "in $0x70, %al");
GUEST_ASM_STUB(rdmsr_stub, "mov $0x10, %ecx\n rdmsr");
GUEST_ASM_STUB(movcr_stub, "mov %cr0, %rax");
GUEST_ASM_STUB(cpuid_stub, "xor %eax, %eax\n cpuid");

GUEST_CODE static void user_main(void)
{
	uint64_t ret, v, cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	user_results[0] = cs;
	__asm__ volatile("vmcall" : "=a"(ret) : "a"((uint64_t)KVM_HC_VAPIC_POLL_IRQ) : "memory");
	user_results[1] = ret;
	user_results[2] = guest_call_safe(hlt_stub);
	user_results[3] = guest_call_safe(cli_stub);
	user_results[4] = guest_call_safe(in_stub);
	user_results[5] = guest_call_safe(rdmsr_stub);
	user_results[6] = guest_call_safe(movcr_stub);
	user_results[7] = guest_read_safe(SUPER_PAGE, &v);
	user_results[8] = guest_exc.error;
	user_results[9] = guest_read_safe(0x123000, &v);	/* user-accessible identity memory */
	user_results[10] = guest_call_safe(cpuid_stub);		/* CPUID faulting is on */
	__asm__ volatile("syscall" : : : "rcx", "r11", "memory");
	for (;;)
		;
}

GUEST_CODE static void user_again(void)
{
	uint64_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	user_results[11] = cs;
	__asm__ volatile("syscall" : : : "rcx", "r11", "memory");
	for (;;)
		;
}

/* random hypercalls from ring 3: every one is -KVM_EPERM and clobbers nothing but RAX */
#define FUZZ_CALLS 20000

GUEST_CODE static void user_fuzz(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, bad = 0;

	for (int i = 0; i < FUZZ_CALLS; i++) {
		uint64_t nr, a0, a1, a2, a3, ret, b0, b1, b2, b3;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		nr = (x & 1) ? (x >> 1) % 16 : x;	/* real numbers half of the time */
		a0 = x * 3; a1 = x * 5; a2 = x * 7; a3 = x * 11;
		b0 = a0; b1 = a1; b2 = a2; b3 = a3;
		__asm__ volatile("vmcall" : "=a"(ret), "+b"(b0), "+c"(b1), "+d"(b2), "+S"(b3)
				 : "a"(nr) : "memory");
		if (ret != (uint64_t)-KVM_EPERM || b0 != a0 || b1 != a1 || b2 != a2 || b3 != a3)
			bad++;
	}
	user_results[12] = bad;
	__asm__ volatile("syscall" : : : "rcx", "r11", "memory");
	for (;;)
		;
}

GUEST_CODE static void guest_main(void)
{
	uint64_t cs;

	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x140, 1), GUEST_NO_EXC);	/* CPUID faulting */
	to_user_iret(user_main);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x140, 0), GUEST_NO_EXC);
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT_EQ(cs, 0x08);
	GUEST_ASSERT_EQ(user_results[0], USER_CS);
	GUEST_ASSERT_EQ(user_results[1], (uint64_t)-KVM_EPERM);
	GUEST_ASSERT_EQ(user_results[2], 13);	/* HLT at CPL 3 */
	GUEST_ASSERT_EQ(user_results[3], 13);	/* CLI with IOPL 0 */
	GUEST_ASSERT_EQ(user_results[4], 13);	/* IN: no I/O permission bitmap */
	GUEST_ASSERT_EQ(user_results[5], 13);	/* RDMSR */
	GUEST_ASSERT_EQ(user_results[6], 13);	/* MOV from CR0 */
	GUEST_ASSERT_EQ(user_results[7], 14);	/* supervisor page from ring 3 */
	GUEST_ASSERT_EQ(user_results[8], 5);	/* #PF error: P | U */
	GUEST_ASSERT_EQ(user_results[9], GUEST_NO_EXC);
	GUEST_ASSERT_EQ(user_results[10], 13);	/* CPUID at CPL 3 with CPUID faulting */
	to_user_sysret(user_again);
	GUEST_ASSERT_EQ(user_results[11], USER_CS);
	user_results[12] = ~0ull;
	to_user_sysret(user_fuzz);
	GUEST_ASSERT_EQ(user_results[12], 0);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	uint64_t *gdt = addr_gpa2hva(vm, 0x1000);
	uint8_t *tss = addr_gpa2hva(vm, TSS_GPA);
	struct kvm_sregs s = vcpu_sregs(v);
	struct { struct kvm_msrs h; struct kvm_msr_entry e[3]; } msrs = {
		.h.nmsrs = 3,
		.e = { { .index = MSR_STAR, .data = (0x18ull << 48) | (0x08ull << 32) },
		       { .index = MSR_LSTAR, .data = (uintptr_t)from_user },
		       { .index = MSR_SFMASK, .data = 0x200 } },
	};
	uint64_t *pte;
	struct ucall uc;

	gdt[4] = 0x00cff3000000ffffull;			/* user data, DPL 3 */
	gdt[5] = 0x00affb000000ffffull;			/* user 64-bit code, DPL 3 */
	gdt[6] = 0x67 | ((TSS_GPA & 0xffffff) << 16) | (0x89ull << 40);	/* available 64-bit TSS */
	gdt[7] = TSS_GPA >> 32;
	memset(tss, 0, 0x68);
	memcpy(tss + 4, &(uint64_t){ RSP0 }, 8);	/* RSP0 */
	tss[0x66] = 0x68;				/* I/O map base past the limit: no port allowed */
	s.gdt.limit = 8 * 8 - 1;
	s.tr = (struct kvm_segment){ .base = TSS_GPA, .limit = 0x67, .selector = TSS_SEL, .type = 11, .present = 1 };
	s.efer |= 1;					/* SCE */
	vcpu_set_sregs(v, &s);
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &msrs), 3, "STAR, LSTAR, SFMASK");
	pte = vm_map_4k(vm, SUPER_PAGE, 0x300000);
	*pte &= ~4ull;					/* supervisor only */

	is(vcpu_get_ucall(v, &uc), UCALL_DONE,
	   "ring 3 via IRETQ and SYSRETQ, back via SYSCALL; #GP for HLT/CLI/IN/RDMSR/MOV CR at CPL 3; "
	   "#PF P|U on a supervisor page; CPUID faulting; VMCALL at CPL 3 is -KVM_EPERM, also for 20,000 random "
	   "numbers and arguments, which stay unclobbered");
	{
		/* events from ring 3 pushed their frames on the RSP0 stack */
		uint64_t *frame = addr_gpa2hva(vm, RSP0 - 8);
		is(*frame, USER_SS, "the last ring-3 event's frame at RSP0 holds the user SS");
	}
	vm_free(vm);
	return tap_done();
}
