// SPDX-License-Identifier: GPL-2.0-only
// Exceptions from the guest's side through the KVM API, each with its vector, error code
// and the exact frame the CPU pushed (SDM Vol.3 §6.14, Table 6-1 and §6.13 error codes):
// #DE #DB #BP #OF #BR #UD #NM #DF #NP #SS #GP #PF #MF #AC #XM, faults saving the RIP of the
// faulting instruction and traps the one after it; the 16-byte stack alignment of a frame
// pushed in place, an IST stack, and the switch to RSP0 for an event from ring 3; selector
// and IDT error codes; and the TSS I/O permission bitmap and IOPL for IN at CPL 3.
// Faults save RFLAGS with RF set (0x100c7 below), traps without it (SDM Vol.3 §18.3.1.1).
// #OF and #BR run in compatibility mode (INTO and BOUND are #UD in 64-bit mode). #TS needs a
// task switch, which long mode does not have (tasks_v86 covers task switches).
#include <stdio.h>

#include "kvm_util.h"

#define USER_SS 0x23		/* GDT[4]: data, DPL 3 */
#define USER_CS 0x2b		/* GDT[5]: 64-bit code, DPL 3 */
#define TSS_SEL 0x30		/* GDT[6..7]: 64-bit TSS */
#define NP_SEL 0x40		/* GDT[8]: a data segment marked not present */
#define TSS_GPA 0x3000ull
#define RSP0 0x7c000ull		/* ring-0 stack for events from ring 3 */
#define IST1 0x7a000ull		/* the #BP gate uses IST 1 */
#define USER_STACK 0x60000ull
#define COMPAT_GPA 0x70000ull	/* 32-bit code for INTO/BOUND, identity-mapped below 4 GiB */
#define UNMAPPED 0x7f0000000000ull
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084

/* what the handler saw, per vector (128 bytes each, offsets used by the asm below) */
struct rec {
	uint64_t count, err, rip, cs, rflags, rsp, ss, slot, cr2, pad[7];
};
struct rec recs[32] __attribute__((aligned(128)));
/* where the handler resumes: 0 keeps the saved RIP (traps), 1..15 skips that many bytes */
uint64_t resume_for[32];
uint64_t case_rsp, case_rbp, saved_ksp;
uint32_t user_buf[4];
uint8_t fx_buf[512] __attribute__((aligned(16)));
uint32_t cw_zm = 0x037b, mx_zm = 0x1f80 & ~0x200u, one_f = 0x3f800000;

void exc_common(void);
void to_user(void (*fn)(void), uint64_t rflags);
void from_user(void);

/* one entry per vector: vectors without an error code push a fake one (-1) */
#define ENTRY(v) "	push %rax\n	push %rbx\n	push %rcx\n	mov $" #v ", %ecx\n	jmp exc_common\n"
#define E(v) "exc" #v ":\n	pushq $-1\n" ENTRY(v)
#define EE(v) "exc" #v ":\n" ENTRY(v)
__asm__(".pushsection .text\n"
	E(0) E(1) E(2) E(3) E(4) E(5) E(6) E(7) EE(8) E(9) EE(10) EE(11) EE(12) EE(13) EE(14) E(15)
	E(16) EE(17) E(18) E(19) E(20) EE(21) E(22) E(23) E(24) E(25) E(26) E(27) E(28) EE(29) EE(30) E(31)
	/* stack: rcx rbx rax err rip cs rflags rsp ss */
	"exc_common:\n"
	"	mov %rcx, %rbx\n"
	"	shl $7, %rbx\n"
	"	lea recs(%rip), %rax\n"
	"	add %rax, %rbx\n"
	"	incq (%rbx)\n"
	"	mov 24(%rsp), %rax\n	mov %rax, 8(%rbx)\n"
	"	mov 32(%rsp), %rax\n	mov %rax, 16(%rbx)\n"
	"	mov 40(%rsp), %rax\n	mov %rax, 24(%rbx)\n"
	"	mov 48(%rsp), %rax\n	mov %rax, 32(%rbx)\n"
	"	mov 56(%rsp), %rax\n	mov %rax, 40(%rbx)\n"
	"	mov 64(%rsp), %rax\n	mov %rax, 48(%rbx)\n"
	"	lea 32(%rsp), %rax\n	mov %rax, 56(%rbx)\n"	/* where the CPU put RIP */
	"	mov %cr2, %rax\n	mov %rax, 64(%rbx)\n"
	"	lea resume_for(%rip), %rax\n"
	"	mov (%rax,%rcx,8), %rax\n"
	"	cmp $15, %rax\n"
	"	ja 1f\n"
	"	add %rax, 32(%rsp)\n"		/* skip N bytes (0: a trap, keep RIP) */
	"	jmp 2f\n"
	"1:	mov %rax, 32(%rsp)\n"
	"2:	andq $~0x100, 48(%rsp)\n"	/* TF off in the resumed flags */
	"	pop %rcx\n	pop %rbx\n	pop %rax\n"
	"	add $8, %rsp\n"
	"	iretq\n"
	/* ring 3 and back (SYSCALL lands in from_user) */
	"to_user:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	mov %rsp, saved_ksp(%rip)\n"
	"	pushq $0x23\n"
	"	pushq $0x60000\n"
	"	push %rsi\n"
	"	pushq $0x2b\n"
	"	push %rdi\n"
	"	iretq\n"
	"from_user:\n"
	"	mov saved_ksp(%rip), %rsp\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n"
	".popsection\n");

/*
 * The cases. Each saves RSP in case_rsp, sets RFLAGS to a known value with POPFQ, runs
 * the instruction at its *_at label and resumes at *_out, which returns.
 */
#define CASE(name, setup, insn) \
	"	.globl " #name ", " #name "_at, " #name "_out\n" \
	#name ":\n" \
	"	mov %rbp, case_rbp(%rip)\n" setup \
	"	mov %rsp, case_rsp(%rip)\n" \
	"	pushq $0xc7\n	popfq\n" \
	#name "_at:\n	" insn "\n" \
	#name "_out:\n	mov case_rsp(%rip), %rsp\n	mov case_rbp(%rip), %rbp\n	ret\n"
void c_de(void), c_de_at(void), c_de_out(void);
void c_db(void), c_db_at(void), c_db_out(void);
void c_bp(void), c_bp_at(void), c_bp_out(void);
void c_ud(void), c_ud_at(void), c_ud_out(void);
void c_nm(void), c_nm_at(void), c_nm_out(void);
void c_np(void), c_np_at(void), c_np_out(void);
void c_ss(void), c_ss_at(void), c_ss_out(void);
void c_ssel(void), c_ssel_at(void), c_ssel_out(void);
void c_gp(void), c_gp_at(void), c_gp_out(void);
void c_gsel(void), c_gsel_at(void), c_gsel_out(void);
void c_idt(void), c_idt_at(void), c_idt_out(void);
void c_pf(void), c_pf_at(void), c_pf_out(void);
void c_mf(void), c_mf_at(void), c_mf_out(void);
void c_xm(void), c_xm_at(void), c_xm_out(void);
void c_df(void), c_df_at(void), c_df_out(void);
void c_align(void), c_align_at(void), c_align_out(void);
void c_compat(void), c_compat_at(void), c_compat_out(void);
__asm__(".pushsection .text\n"
	CASE(c_de, "	xor %edx, %edx\n	mov $1, %eax\n	xor %ecx, %ecx\n", "div %ecx")
	/* POPFQ sets TF: the trap comes after the instruction that follows it */
	CASE(c_db, "", "pushq $0x1c7\n	popfq\n	nop\n	nop")
	CASE(c_bp, "", "int3\n	nop")
	CASE(c_ud, "", "ud2")
	CASE(c_nm, "", "fxsave fx_buf(%rip)")
	CASE(c_np, "	mov $0x40, %eax\n", "mov %eax, %ds")
	CASE(c_ss, "	mov $0x8000000000000000, %rbp\n", "mov (%rbp), %rax")
	CASE(c_ssel, "	mov $0x40, %eax\n", "mov %eax, %ss")
	CASE(c_gp, "	mov $0x8000000000000000, %rax\n", "mov (%rax), %rax")
	CASE(c_gsel, "	mov $0x80, %eax\n", "mov %eax, %es")
	CASE(c_idt, "", "int $0x40")
	CASE(c_pf, "	mov $0x7f0000000000, %rax\n", "mov %rax, (%rax)")
	CASE(c_mf, "	fninit\n	fldcw cw_zm(%rip)\n	fldz\n	fld1\n	fdiv %st(1), %st\n", "fwait")
	CASE(c_xm, "	ldmxcsr mx_zm(%rip)\n	movss one_f(%rip), %xmm1\n	xorps %xmm2, %xmm2\n", "divss %xmm2, %xmm1")
	CASE(c_df, "	mov $0x8000000000000000, %rax\n", "mov (%rax), %rax")
	/*
	 * The other cases run with RSP = 8 mod 16 (a CALL pushed the return address), so
	 * the CPU pads 8 bytes to align the frame; here one more push makes RSP 16-byte
	 * aligned and the frame goes right below it.
	 */
	"	.globl c_align, c_align_at, c_align_out\n"
	"c_align:\n	push %rax\n	mov %rbp, case_rbp(%rip)\n	mov %rsp, case_rsp(%rip)\n"
	"	pushq $0xc7\n	popfq\n"
	"c_align_at:\n	ud2\n"
	"c_align_out:\n	mov case_rsp(%rip), %rsp\n	mov case_rbp(%rip), %rbp\n	pop %rax\n	ret\n"
	/* to the 32-bit code at COMPAT_GPA, which comes back to c_compat_out */
	CASE(c_compat, "", "pushq $0x18\n	pushq $0x70000\n	lretq")
	".popsection\n");

/* ring 3: I/O bitmap checks, then misaligned access with AC, then back */
void u_io(void), u_io_al22(void), u_io_eax20(void), u_io_a0(void), u_io_1f(void), u_ac_at(void), u_pf_at(void);
void u_iopl(void);
__asm__(".pushsection .text\n"
	"u_io:\n"
	"	in $0x21, %al\n"		/* allowed by the bitmap: the in-kernel PIC */
	"	in $0x20, %al\n"		/* allowed */
	"u_io_al22:\n	in $0x22, %al\n"	/* bit set: #GP(0) */
	"u_io_eax20:\n	in $0x20, %eax\n"	/* 20h-23h: 22h's bit is set */
	"u_io_a0:\n	in $0xa0, %al\n"	/* past the bitmap's end (TSS limit) */
	"u_io_1f:\n	in $0x1f, %al\n"
	"	mov %rsp, %rbx\n"
	"u_ac_at:\n	mov user_buf+1(%rip), %eax\n"	/* 6 bytes: misaligned with AC=1 */
	"	mov $0x7f0000000000, %rcx\n"
	"u_pf_at:\n	mov 1(%rcx), %eax\n"		/* misaligned and unmapped: #PF wins */
	"	syscall\n"
	"u_iopl:\n"
	"	in $0xa1, %al\n"		/* IOPL 3: no bitmap check */
	"	in $0xa0, %al\n"		/* past the map, allowed by IOPL */
	"	mov user_buf+1(%rip), %eax\n"	/* AC clear: no #AC */
	"	syscall\n"
	".popsection\n");

GUEST_CODE static void guest_main(void)
{
	uint64_t cr0, *idt = (uint64_t *)0x2000;

	resume_for[0] = (uintptr_t)c_de_out;
	c_de();
	resume_for[1] = 0;
	c_db();
	resume_for[3] = 0;
	c_bp();
	resume_for[6] = (uintptr_t)c_ud_out;
	c_ud();
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 8));	/* CR0.TS */
	resume_for[7] = (uintptr_t)c_nm_out;
	c_nm();
	__asm__ volatile("clts");
	resume_for[11] = (uintptr_t)c_np_out;
	c_np();
	resume_for[12] = (uintptr_t)c_ss_out;
	c_ss();
	GUEST_SYNC(12);			/* the host reads #SS(0), then runs the selector case */
	c_ssel();
	resume_for[13] = (uintptr_t)c_gp_out;
	c_gp();
	GUEST_SYNC(13);
	resume_for[13] = (uintptr_t)c_gsel_out;
	c_gsel();
	GUEST_SYNC(14);
	resume_for[13] = (uintptr_t)c_idt_out;
	c_idt();
	GUEST_SYNC(15);
	resume_for[14] = (uintptr_t)c_pf_out;
	c_pf();
	resume_for[16] = (uintptr_t)c_mf_out;
	c_mf();
	__asm__ volatile("fnclex; fninit");
	resume_for[19] = (uintptr_t)c_xm_out;
	c_xm();
	__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){ 0x1f80 }));
	/* #DF: the #GP gate not present, so delivering #GP raises #NP: both contributory */
	idt[2 * 13] &= ~(1ull << 47);
	resume_for[8] = (uintptr_t)c_df_out;
	c_df();
	idt[2 * 13] |= 1ull << 47;
	GUEST_SYNC(8);
	resume_for[6] = (uintptr_t)c_align_out;
	c_align();
	GUEST_SYNC(6);
	resume_for[4] = 0;			/* INTO: a trap, continue with BOUND */
	resume_for[5] = 7;			/* BOUND: skip it (6 bytes) and the INT3 pad */
	c_compat();
	GUEST_SYNC(4);
	/* ring 3 with IOPL 0 and AC: #GP for denied ports, #AC for a misaligned load */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | (1ull << 18)));	/* CR0.AM */
	/* AC at CPL 0: alignment is checked only at CPL 3 */
	__asm__ volatile("pushfq; orq $0x40000, (%%rsp); popfq\n\t"
			 "mov user_buf+1(%%rip), %%eax\n\t"
			 "pushfq; andq $~0x40000, (%%rsp); popfq" : : : "rax", "memory", "cc");
	resume_for[13] = 2;			/* each IN imm8 is 2 bytes */
	resume_for[17] = 6;
	resume_for[14] = 3;
	recs[13].count = 0;
	to_user(u_io, 0x40002);			/* AC, IOPL 0 */
	GUEST_SYNC(17);
	recs[13].count = 0;
	to_user(u_iopl, 0x3002);		/* IOPL 3 */
	GUEST_SYNC(3);
	GUEST_DONE();
}

/* 32-bit code at COMPAT_GPA: INTO (OF set), BOUND (out of range), then back to 64-bit */
static const uint8_t compat_code[] = {
	0xb8, 0xff, 0xff, 0xff, 0x7f,		/* 0: mov eax, 7fffffffh */
	0x83, 0xc0, 0x01,			/* 5: add eax, 1: OF */
	0xce,					/* 8: into: #OF, a trap: saved EIP 9 */
	0x62, 0x05, 0x00, 0x01, 0x07, 0x00,	/* 9: bound eax, [70100h]: #BR, a fault */
	0xcc,					/* 15: int3 pad (skipped with BOUND: resume = +7) */
	0xea, 0x00, 0x02, 0x07, 0x00, 0x08, 0x00, /* 16: jmp far 08h:70200h */
};
/* 64-bit code at COMPAT_GPA + 0x200: jmp [rip+0] to c_compat_out */
static const uint8_t back64[] = { 0xff, 0x25, 0x00, 0x00, 0x00, 0x00 };

static struct rec host_rec(struct vm *vm, int v)
{
	struct rec r;

	vm_sync_from_guest(vm, recs, sizeof(recs));
	r = recs[v];
	return r;
}

/* the frame of an event taken at CPL 0 without a stack switch: aligned down, 5 slots */
static uint64_t inplace_slot(struct vm *vm)
{
	vm_sync_from_guest(vm, &case_rsp, sizeof(case_rsp));
	return (case_rsp & ~15ull) - 40;
}

#define FRAME(r, vec, e, ip, fl, what)                                                            \
	ok((r).count == 1 && (r).err == (uint64_t)(e) && (r).rip == (uint64_t)(ip) && (r).cs == 8 &&  \
	   (r).rflags == (uint64_t)(fl) && (r).rsp == case_rsp && (r).ss == 0x10 &&                   \
	   (r).slot == inplace_slot(vm),                                                              \
	   "%s: vector %d, error %#llx, RIP %#llx, RFLAGS %#llx, RSP, SS, frame at %#llx",            \
	   what, vec, (unsigned long long)(r).err, (unsigned long long)(r).rip,                       \
	   (unsigned long long)(r).rflags, (unsigned long long)(r).slot)

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_main);
	uint64_t *gdt = addr_gpa2hva(vm, 0x1000), *idt = addr_gpa2hva(vm, 0x2000);
	uint8_t *tss = addr_gpa2hva(vm, TSS_GPA), *low = addr_gpa2hva(vm, COMPAT_GPA);
	struct kvm_sregs s = vcpu_sregs(v);
	struct { struct kvm_msrs h; struct kvm_msr_entry e[3]; } msrs = {
		.h.nmsrs = 3,
		.e = { { .index = MSR_STAR, .data = (0x18ull << 48) | (0x08ull << 32) },
		       { .index = MSR_LSTAR, .data = (uintptr_t)from_user },
		       { .index = MSR_SFMASK, .data = 0x40700 } },	/* AC DF IF TF */
	};
	struct ucall uc;
	struct rec r;
	const uint64_t no_err = ~0ull;

	extern void exc0(void), exc1(void), exc3(void), exc4(void), exc5(void), exc6(void),
		exc7(void), exc8(void), exc11(void), exc12(void), exc13(void), exc14(void),
		exc16(void), exc17(void), exc19(void);
	void (*handlers[32])(void) = { [0] = exc0, [1] = exc1, [3] = exc3, [4] = exc4, [5] = exc5,
				       [6] = exc6, [7] = exc7, [8] = exc8, [11] = exc11, [12] = exc12,
				       [13] = exc13, [14] = exc14, [16] = exc16, [17] = exc17, [19] = exc19 };
	for (int i = 0; i < 32; i++)
		if (handlers[i])
			vm_install_irq_handler(vm, i, handlers[i]);
	idt[2 * 3] |= 1ull << 32;		/* #BP through IST 1 */

	gdt[4] = 0x00cff3000000ffffull;		/* user data, DPL 3 */
	gdt[5] = 0x00affb000000ffffull;		/* user 64-bit code, DPL 3 */
	gdt[6] = 0x78 | ((TSS_GPA & 0xffffff) << 16) | (0x89ull << 40);	/* 64-bit TSS, limit 78h */
	gdt[7] = TSS_GPA >> 32;
	gdt[8] = 0x00cf13000000ffffull;		/* data, DPL 0, not present */
	memset(tss, 0, 0x79);
	memcpy(tss + 4, &(uint64_t){ RSP0 }, 8);	/* RSP0 */
	memcpy(tss + 0x24, &(uint64_t){ IST1 }, 8);	/* IST1 */
	tss[0x66] = 0x68;				/* I/O bitmap: ports 0-7Fh at 68h..77h */
	memset(tss + 0x68, 0xff, 16);
	tss[0x68 + 4] = 0xfc;				/* ports 20h and 21h allowed */
	tss[0x78] = 0xff;				/* the terminating byte */
	s.gdt.limit = 9 * 8 - 1;
	s.tr = (struct kvm_segment){ .base = TSS_GPA, .limit = 0x78, .selector = TSS_SEL, .type = 11, .present = 1 };
	s.efer |= 1;					/* SCE */
	vcpu_set_sregs(v, &s);
	vcpu_set_supported_cpuid(v);
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &msrs), 3, "STAR, LSTAR, SFMASK");
	memcpy(low, compat_code, sizeof(compat_code));
	memcpy(low + 0x100, "\x00\x00\x00\x00\x0a\x00\x00\x00", 8);	/* bounds 0..10 */
	memcpy(low + 0x200, back64, sizeof(back64));
	memcpy(low + 0x206, &(uint64_t){ (uintptr_t)c_compat_out }, 8);

	vcpu_expect_sync(v, 12, "faults and traps at CPL 0");
	r = host_rec(vm, 0);
	vm_sync_from_guest(vm, &case_rsp, sizeof(case_rsp));
	/* each case restored RSP the same way, so case_rsp is the same for all of them */
	is(case_rsp & 15, 8, "the cases run with RSP = 8 mod 16: each frame below is padded by 8");
	FRAME(r, 0, no_err, c_de_at, 0x100c7, "#DE from DIV by 0, a fault");
	r = host_rec(vm, 1);
	ok(r.count == 1 && r.err == no_err && r.rip == (uintptr_t)c_db_at + 5 + 1 + 1 && (r.rflags & 0x1ff) == 0x1c7,
	   "#DB single-step: a trap after the NOP that follows the POPF setting TF (RIP %#llx), TF in the frame",
	   (unsigned long long)r.rip);
	r = host_rec(vm, 3);
	ok(r.count == 1 && r.err == no_err && r.rip == (uintptr_t)c_bp_at + 1 && r.rflags == 0xc7 &&
	   r.rsp == case_rsp && r.slot == IST1 - 40,
	   "#BP from INT3: a trap (RIP past it), pushed on the IST1 stack (frame at %#llx)",
	   (unsigned long long)r.slot);
	r = host_rec(vm, 6);
	FRAME(r, 6, no_err, c_ud_at, 0x100c7, "#UD from UD2");
	r = host_rec(vm, 7);
	FRAME(r, 7, no_err, c_nm_at, 0x100c7, "#NM from FXSAVE with CR0.TS");
	r = host_rec(vm, 11);
	FRAME(r, 11, NP_SEL, c_np_at, 0x100c7, "#NP(40h) loading DS with a not-present segment");
	r = host_rec(vm, 12);
	FRAME(r, 12, 0, c_ss_at, 0x100c7, "#SS(0) for a non-canonical RBP-based access");

	vcpu_expect_sync(v, 13, "#SS(selector), #GP(0)");
	r = host_rec(vm, 12);
	ok(r.count == 2 && r.err == NP_SEL && r.rip == (uintptr_t)c_ssel_at,
	   "#SS(40h) loading SS with a not-present segment (error %#llx)", (unsigned long long)r.err);
	r = host_rec(vm, 13);
	FRAME(r, 13, 0, c_gp_at, 0x100c7, "#GP(0) for a non-canonical access");
	vcpu_expect_sync(v, 14, "#GP(selector)");
	r = host_rec(vm, 13);
	ok(r.count == 2 && r.err == 0x80 && r.rip == (uintptr_t)c_gsel_at,
	   "#GP(80h) loading ES with a selector past the GDT limit (error %#llx)", (unsigned long long)r.err);
	vcpu_expect_sync(v, 15, "#GP for INT n past the IDT limit");
	r = host_rec(vm, 13);
	ok(r.count == 3 && r.err == (0x40 << 3 | 2) && r.rip == (uintptr_t)c_idt_at,
	   "#GP(202h): INT 40h past the IDT limit, error code = vector << 3 | IDT (error %#llx)",
	   (unsigned long long)r.err);

	vcpu_expect_sync(v, 8, "#PF, #MF, #XM, #DF");
	r = host_rec(vm, 14);
	FRAME(r, 14, 2, c_pf_at, 0x100c7, "#PF(W) writing an unmapped page");
	is(r.cr2, UNMAPPED, "  CR2 = the faulting address");
	r = host_rec(vm, 16);
	ok(r.count == 1 && r.err == no_err && r.rip == (uintptr_t)c_mf_at && r.rsp == case_rsp,
	   "#MF at the FWAIT after an unmasked x87 #Z, a fault");
	r = host_rec(vm, 19);
	FRAME(r, 19, no_err, c_xm_at, 0x100c7, "#XM from DIVSS by 0 with #Z unmasked");
	r = host_rec(vm, 8);
	ok(r.count == 1 && r.err == 0 && r.cs == 8 && r.slot == inplace_slot(vm),
	   "#DF(0): #GP whose gate is not present raised #NP while being delivered");
	r = host_rec(vm, 11);
	is(r.count, 1, "  no #NP reached its handler on its own");

	vcpu_expect_sync(v, 6, "#UD with RSP misaligned");
	r = host_rec(vm, 6);
	vm_sync_from_guest(vm, &case_rsp, sizeof(case_rsp));
	ok(r.count == 2 && r.rip == (uintptr_t)c_align_at && r.rsp == case_rsp && (case_rsp & 15) == 0 &&
	   r.slot == case_rsp - 40,
	   "RSP %#llx already 16-byte aligned: the frame goes right below it, no padding (frame at %#llx)",
	   (unsigned long long)case_rsp, (unsigned long long)r.slot);

	vcpu_expect_sync(v, 4, "compatibility mode: INTO and BOUND");
	r = host_rec(vm, 4);
	ok(r.count == 1 && r.err == no_err && r.rip == COMPAT_GPA + 9 && r.cs == 0x18 && (r.rflags & 0x800),
	   "#OF from INTO with OF set: a trap, saved EIP past it, CS 18h (RIP %#llx)", (unsigned long long)r.rip);
	r = host_rec(vm, 5);
	ok(r.count == 1 && r.err == no_err && r.rip == COMPAT_GPA + 9 && r.cs == 0x18,
	   "#BR from BOUND out of range: a fault at the BOUND (RIP %#llx)", (unsigned long long)r.rip);

	vcpu_expect_sync(v, 17, "ring 3: I/O bitmap and #AC");
	r = host_rec(vm, 13);
	ok(r.count == 4 && r.err == 0 && r.rip == (uintptr_t)u_io_1f && r.cs == USER_CS && r.ss == USER_SS,
	   "IN at CPL 3 with IOPL 0: ports 20h/21h allowed; 22h, 20h-23h, A0h (past the map) and 1Fh #GP(0) "
	   "(%llu faults)", (unsigned long long)r.count);
	r = host_rec(vm, 17);
	ok(r.count == 1 && r.err == 0 && r.rip == (uintptr_t)u_ac_at && r.cs == USER_CS && r.ss == USER_SS &&
	   r.rsp == USER_STACK && r.slot == RSP0 - 40,
	   "#AC(0) for a misaligned load at CPL 3 with CR0.AM and AC; the frame is on RSP0 with the user SS:RSP "
	   "(%llu, error %#llx, RIP %#llx, CS %#llx, SS %#llx, RSP %#llx, frame at %#llx)",
	   (unsigned long long)r.count, (unsigned long long)r.err, (unsigned long long)r.rip,
	   (unsigned long long)r.cs, (unsigned long long)r.ss, (unsigned long long)r.rsp,
	   (unsigned long long)r.slot);
	r = host_rec(vm, 14);
	ok(r.count == 2 && r.err == 4 && r.rip == (uintptr_t)u_pf_at && r.cr2 == UNMAPPED + 1,
	   "a misaligned load from an unmapped page at CPL 3 with AC: #PF(U) first, not #AC (error %#llx)",
	   (unsigned long long)r.err);
	vcpu_expect_sync(v, 3, "ring 3 with IOPL 3");
	r = host_rec(vm, 13);
	is(r.count, 0, "IN at CPL 3 with IOPL 3: no bitmap check, no #GP");
	r = host_rec(vm, 17);
	is(r.count, 1, "no #AC for a misaligned load with AC clear, nor for one at CPL 0 with AC set");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	vm_free(vm);
	return tap_done();
}
