// SPDX-License-Identifier: GPL-2.0-only
// SMM (kvm-behaviours.md Parts B and C): KVM_SMI and self-SMIs through the LAPIC, the SMM
// address space, KVM's state-save images (64-bit layout for a long-mode vCPU, 32-bit
// layout otherwise) checked field by field, RSM round trips, a handler editing the image,
// SMBASE relocation, a refused image shutting the guest down, and RSM outside SMM.
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "kvm_util.h"

#define SMBASE 0x30000u
#define SMRAM_SIZE 0x10000u
#define MSR_IA32_SMBASE 0x9e
#define MSR_SMI_COUNT 0x34

static uint32_t rd32(const uint8_t *smram, unsigned off) { uint32_t v; memcpy(&v, smram + off, 4); return v; }
static uint64_t rd64(const uint8_t *smram, unsigned off) { uint64_t v; memcpy(&v, smram + off, 8); return v; }
static uint16_t rd16(const uint8_t *smram, unsigned off) { uint16_t v; memcpy(&v, smram + off, 2); return v; }
static void wr32(uint8_t *smram, unsigned off, uint32_t v) { memcpy(smram + off, &v, 4); }

static void set_region(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	if (kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		tap_bail("SET_USER_MEMORY_REGION %#x: %s", slot, strerror(errno));
}

/*
 * The SMM address space: the VM's RAM below and above SMRAM aliased, and SMRAM itself
 * (SMBASE .. SMBASE+64K) backed by its own memory that normal mode never sees. Returns
 * the SMRAM host buffer (offset 0 = SMBASE).
 */
static uint8_t *add_smram(struct vm *vm, uint8_t *low, uint64_t low_size)
{
	uint8_t *smram = mmap(NULL, SMRAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	set_region(vm, 1u << 16 | 0, 0, SMBASE, low);
	set_region(vm, 1u << 16 | 1, SMBASE, SMRAM_SIZE, smram);
	set_region(vm, 1u << 16 | 2, SMBASE + SMRAM_SIZE, low_size - SMBASE - SMRAM_SIZE,
		   low + SMBASE + SMRAM_SIZE);
	return smram;
}

/*
 * The SMI handler at SMBASE+0x8000 (16-bit code, CS base = SMBASE):
 *   out 0xe0, al                       ; let the host look at SMM state
 *   mov dword cs:[0xfff8], 0x600dcafe  ; 64-bit image: low half of the saved RAX
 *   out 0xe1, al
 *   rsm
 */
static const uint8_t handler[] = {
	0xe6, 0xe0,
	0x2e, 0x66, 0xc7, 0x06, 0xf8, 0xff, 0xfe, 0xca, 0x0d, 0x60,
	0xe6, 0xe1,
	0x0f, 0xaa,
};

static bool expect_io(struct vcpu *v, uint16_t port, const char *what)
{
	int r = vcpu_run(v);

	return ok(r == 0 && v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == port, "%s", what);
}

static uint32_t seg_attr(const struct kvm_segment *s)
{
	return (uint32_t)s->g << 15 | (uint32_t)s->db << 14 | (uint32_t)s->l << 13 | (uint32_t)s->avl << 12 |
	       (uint32_t)s->present << 7 | (uint32_t)s->dpl << 5 | (uint32_t)s->s << 4 | s->type;
}

static bool seg_eq(const struct kvm_segment *a, const struct kvm_segment *b)
{
	return a->base == b->base && a->limit == b->limit && a->selector == b->selector &&
	       seg_attr(a) == seg_attr(b);
}

GUEST_CODE static void guest_done(void)
{
	GUEST_DONE();
}

/* where the SMI interrupts the 64-bit guest: an exit with no code in between */
GUEST_ASM_STUB(resume_point, "out %al, $0xf3\nhlt");

/* a handler that leaves the image alone: out 0xe0 ; out 0xe1 ; rsm */
static const uint8_t plain_handler[] = { 0xe6, 0xe0, 0xe6, 0xe1, 0x0f, 0xaa };

/* ---- 64-bit vCPU ---- */

static void test_smm_64(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_done);	/* RIP is moved to resume_point */
	uint8_t *low = vm->regions[0].hva, *smram;
	struct kvm_regs regs, r2;
	struct kvm_sregs sregs, s2;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr = { .dr6 = 0xffff0ff0, .dr7 = 0x455 };
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} msrs = { .h.nmsrs = 2, .e = { { .index = MSR_IA32_SMBASE }, { .index = MSR_SMI_COUNT } } };

	vcpu_set_supported_cpuid(v);
	smram = add_smram(vm, low, 64ull << 20);
	memcpy(smram + 0x8000, handler, sizeof(handler));
	memset(low + SMBASE, 0x5a, SMRAM_SIZE);	/* what normal mode sees at the same GPAs */

	kvm_ioctl(v->fd, KVM_SET_DEBUGREGS, &dr);
	regs = vcpu_regs(v);
	for (int i = 0; i < 16; i++)	/* distinctive values in every GPR but RSP */
		((uint64_t *)&regs)[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
	regs.rsp = 0x80000 - 8;
	regs.rip = (uintptr_t)resume_point;
	regs.rflags = 0xac7;	/* OF DF SF ZF PF CF, IF=0 */
	vcpu_set_regs(v, &regs);
	regs = vcpu_regs(v);
	sregs = vcpu_sregs(v);

	is(kvm_ioctl(v->fd, KVM_SMI, 0), 0, "KVM_SMI");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.smi.pending && !ev.smi.smm, "SMI pending, not in SMM yet");
	expect_io(v, 0xe0, "the SMI handler runs at SMBASE+0x8000");
	ok(v->run->flags & KVM_RUN_X86_SMM, "kvm_run->flags has KVM_RUN_X86_SMM");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.smi.smm && !ev.smi.pending && ev.nmi.masked && !ev.smi.smm_inside_nmi,
	   "in SMM, NMIs masked by the SMI");

	/* the SMM register state (B4) */
	r2 = vcpu_regs(v);
	s2 = vcpu_sregs(v);
	is(r2.rip, 0x8000, "RIP 0x8000");
	is(r2.rflags, 2, "RFLAGS 2");
	ok(s2.cs.selector == SMBASE >> 4 && s2.cs.base == SMBASE && s2.cs.limit == 0xffffffff &&
	   s2.cs.type == 3 && s2.cs.s && s2.cs.g && s2.cs.present && !s2.cs.db && !s2.cs.l,
	   "CS: selector SMBASE>>4, base SMBASE, 4 GiB, type 3, 16-bit");
	ok(s2.ds.selector == 0 && s2.ds.base == 0 && s2.ss.base == 0 && s2.es.limit == 0xffffffff,
	   "data segments flat from 0");
	is(s2.cr0, sregs.cr0 & ~0x8000000dull, "CR0 without PE, EM, TS, PG");
	is(s2.cr4, 0, "CR4 0");
	is(s2.efer, 0, "EFER 0 for a long-mode vCPU");
	ok(s2.idt.base == 0 && s2.idt.limit == 0, "IDTR 0/0");
	kvm_ioctl(v->fd, KVM_GET_DEBUGREGS, &dr);
	is(dr.dr7, 0x400, "DR7 0x400");

	/* the 64-bit image at SMBASE+0xFE00 (B2), in SMRAM only */
	is(rd32(smram, 0xfefc), 0x00020064, "revision 0x00020064");
	is(rd32(smram, 0xff00), SMBASE, "SMBASE");
	ok(rd64(smram, 0xfff8) == regs.rax && rd64(smram, 0xfff0) == regs.rcx &&
	   rd64(smram, 0xffe8) == regs.rdx && rd64(smram, 0xffe0) == regs.rbx &&
	   rd64(smram, 0xffd8) == regs.rsp && rd64(smram, 0xffd0) == regs.rbp &&
	   rd64(smram, 0xffc8) == regs.rsi && rd64(smram, 0xffc0) == regs.rdi &&
	   rd64(smram, 0xff80) == regs.r15 && rd64(smram, 0xffb8) == regs.r8, "GPRs, RAX at 0xFFF8 down to R15");
	is(rd64(smram, 0xff78), regs.rip, "RIP (above 4 GiB)");
	ok(regs.rip > 0xffffffffull, "the interrupted RIP really is above 4 GiB");
	is(rd32(smram, 0xff70), regs.rflags, "RFLAGS");
	ok(rd64(smram, 0xff58) == sregs.cr0 && rd64(smram, 0xff50) == sregs.cr3 && rd64(smram, 0xff48) == sregs.cr4,
	   "CR0, CR3, CR4");
	is(rd64(smram, 0xfed0), sregs.efer, "EFER");
	is(rd64(smram, 0xff60), 0x455, "DR7");
	is(rd64(smram, 0xff68), 0xffff0ff0, "DR6");
	ok(rd16(smram, 0xfe10) == sregs.cs.selector && rd16(smram, 0xfe12) == seg_attr(&sregs.cs) &&
	   rd32(smram, 0xfe14) == sregs.cs.limit && rd64(smram, 0xfe18) == sregs.cs.base,
	   "CS record: selector, attributes, limit, base");
	ok(rd16(smram, 0xfe20) == sregs.ss.selector && rd16(smram, 0xfe22) == seg_attr(&sregs.ss),
	   "SS record");
	ok(rd32(smram, 0xfe64) == sregs.gdt.limit && rd64(smram, 0xfe68) == sregs.gdt.base &&
	   rd32(smram, 0xfe84) == sregs.idt.limit && rd64(smram, 0xfe88) == sregs.idt.base, "GDTR, IDTR");
	ok(rd16(smram, 0xfe90) == sregs.tr.selector && rd16(smram, 0xfe92) == seg_attr(&sregs.tr) &&
	   rd64(smram, 0xfe98) == sregs.tr.base, "TR record");
	is(low[SMBASE + 0xfe00], 0x5a, "normal-mode memory at the same GPA is untouched");

	/* the handler edits the saved RAX, then RSM */
	expect_io(v, 0xe1, "the handler wrote to the image");
	expect_io(v, 0xf3, "RSM resumed the interrupted code");
	r2 = vcpu_regs(v);
	s2 = vcpu_sregs(v);
	ok(!(v->run->flags & KVM_RUN_X86_SMM), "out of SMM");
	is(r2.rax, (regs.rax & ~0xffffffffull) | 0x600dcafe, "RAX's low half is what the handler stored");
	r2.rax = regs.rax;
	ok(!memcmp(&r2, &regs, sizeof(regs)), "every other GPR, RIP and RFLAGS round-trip");
	ok(s2.cr0 == sregs.cr0 && s2.cr3 == sregs.cr3 && s2.cr4 == sregs.cr4 && s2.efer == sregs.efer,
	   "CR0, CR3, CR4, EFER (LMA from CR0.PG) round-trip");
	ok(seg_eq(&s2.cs, &sregs.cs) && seg_eq(&s2.ss, &sregs.ss) && seg_eq(&s2.ds, &sregs.ds) &&
	   seg_eq(&s2.tr, &sregs.tr) && seg_eq(&s2.ldt, &sregs.ldt), "segments round-trip");
	ok(s2.gdt.base == sregs.gdt.base && s2.gdt.limit == sregs.gdt.limit &&
	   s2.idt.base == sregs.idt.base && s2.idt.limit == sregs.idt.limit, "GDTR, IDTR round-trip");
	kvm_ioctl(v->fd, KVM_GET_DEBUGREGS, &dr);
	is(dr.dr7, 0x455, "DR7 round-trips");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(!ev.smi.smm && !ev.nmi.masked, "NMIs unmasked again by RSM");
	is(kvm_ioctl(v->fd, KVM_GET_MSRS, &msrs), 2, "GET_MSRS SMBASE, SMI_COUNT");
	ok(msrs.e[0].data == SMBASE && msrs.e[1].data == 1, "SMBASE 0x30000, one SMI taken");
	vm_free(vm);
}

/* ---- SMBASE relocation, a refused image, RSM outside SMM ---- */

/* handler: move SMBASE to 0x50000 (64-bit image: u32 at 0xFF00), then RSM */
static const uint8_t relocate[] = {
	0x2e, 0x66, 0xc7, 0x06, 0x00, 0xff, 0x00, 0x00, 0x05, 0x00,
	0x0f, 0xaa,
};
/* handler at the new SMBASE: out 0xe2, al ; rsm */
static const uint8_t second[] = { 0xe6, 0xe2, 0x0f, 0xaa };

GUEST_ASM_STUB(do_rsm, "rsm");

GUEST_CODE static void guest_rsm_ud(void)
{
	GUEST_ASSERT_EQ(guest_call_safe(do_rsm), 6);	/* RSM outside SMM: #UD */
	GUEST_SYNC(1);
	GUEST_SYNC(2);
	GUEST_DONE();
}

static void test_relocation(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_rsm_ud);
	uint8_t *low = vm->regions[0].hva, *smram;
	struct ucall uc;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_IA32_SMBASE };

	vcpu_set_supported_cpuid(v);
	smram = add_smram(vm, low, 64ull << 20);
	memcpy(smram + 0x8000, relocate, sizeof(relocate));
	memcpy(low + 0x58000, second, sizeof(second));	/* 0x50000 is aliased RAM in SMM */
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "RSM outside SMM raises #UD");
	kvm_ioctl(v->fd, KVM_SMI, 0);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "SMI, relocating handler, RSM");
	kvm_ioctl(v->fd, KVM_GET_MSRS, &m);
	is(m.e.data, 0x50000, "SMBASE relocated to 0x50000");
	kvm_ioctl(v->fd, KVM_SMI, 0);
	expect_io(v, 0xe2, "the next SMI enters at the new SMBASE + 0x8000");
	is(rd32(low, 0x5fefc), 0x00020064, "and saves its image at the new SMBASE + 0xFE00");
	/* corrupt the image: CR0.PG without PE is refused, the guest shuts down */
	wr32(low, 0x5ff58, 0x80000000u);
	is(vcpu_run(v), 0, "RSM with a refused CR0");
	is(v->run->exit_reason, KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN, not a host error");
	m.e.data = 0x12345;
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &m), 1, "the host may write SMBASE");
	vm_free(vm);
}

/* ---- a self-SMI through the LAPIC ---- */

GUEST_CODE static void guest_self_smi(void)
{
	*(volatile uint32_t *)0xfee000f0 = 0x1ff;
	*(volatile uint32_t *)0xfee00300 = 0x40000 | 0x200;	/* self, delivery mode SMI */
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void test_self_smi(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_self_smi);
	uint8_t *low = vm->regions[0].hva, *smram;
	struct kvm_vcpu_events ev;
	struct ucall uc;

	vcpu_set_supported_cpuid(v);
	smram = add_smram(vm, low, 64ull << 20);
	memcpy(smram + 0x8000, plain_handler, sizeof(plain_handler));
	expect_io(v, 0xe0, "a self-IPI with delivery mode SMI enters SMM");
	kvm_ioctl(v->fd, KVM_SMI, 0);
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.smi.smm && ev.smi.pending, "an SMI in SMM stays pending");
	expect_io(v, 0xe1, "handler");
	expect_io(v, 0xe0, "after RSM the pending SMI is taken at once");
	expect_io(v, 0xe1, "handler");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "back in the guest");
	vm_free(vm);
}

/* ---- a 32-bit vCPU (no long mode in CPUID) ---- */

/* real mode at 0x1000: nop ; out 0xf0, al ; hlt */
static const uint8_t rm_prog[] = { 0x90, 0xe6, 0xf0, 0xf4 };
/* handler: out 0xe0 ; rsm */
static const uint8_t rm_handler[] = { 0xe6, 0xe0, 0x0f, 0xaa };

static void clear_lm_cpuid(struct vcpu *v)
{
	vcpu_set_supported_cpuid_edit(v, 0x80000001, 3, 0, 1u << 29);	/* no LM */
}

static void test_smm_32(void)
{
	struct vm *vm;
	uint8_t *mem, *low, *smram;
	struct vcpu *v = vm_create_realmode(&vm, &mem, rm_prog, sizeof(rm_prog));
	struct kvm_regs regs, r2;
	struct kvm_sregs sregs, s2;

	low = vm_add_memory(vm, 5, 0x4000, 0x100000 - 0x4000, 0);
	(void)low;
	clear_lm_cpuid(v);
	/* SMM space: [0, 0x30000) aliased, SMRAM, nothing above */
	set_region(vm, 1u << 16 | 0, 0, 0x4000, mem);
	set_region(vm, 1u << 16 | 3, 0x4000, SMBASE - 0x4000, low);
	smram = mmap(NULL, SMRAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	set_region(vm, 1u << 16 | 1, SMBASE, SMRAM_SIZE, smram);
	memcpy(smram + 0x8000, rm_handler, sizeof(rm_handler));

	regs = vcpu_regs(v);
	regs.rax = 0x11111111; regs.rcx = 0x22222222; regs.rdx = 0x33333333; regs.rbx = 0x44444444;
	regs.rbp = 0x66666666; regs.rsi = 0x77777777; regs.rdi = 0x88888888;
	regs.rflags = 0x8d7;	/* OF DF SF ZF AF PF CF */
	vcpu_set_regs(v, &regs);
	sregs = vcpu_sregs(v);
	sregs.cr4 |= 0x20;		/* PAE (no paging yet) */
	sregs.efer = 0x801;		/* NX, SCE: a 32-bit vCPU may have them */
	vcpu_set_sregs(v, &sregs);
	regs = vcpu_regs(v);
	sregs = vcpu_sregs(v);
	/* NMIs already blocked when the SMI arrives: they stay blocked after RSM */
	{
		struct kvm_vcpu_events ev;

		kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
		ev.nmi.masked = 1;
		kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
	}

	kvm_ioctl(v->fd, KVM_SMI, 0);
	expect_io(v, 0xe0, "32-bit vCPU: SMI handler");
	{
		struct kvm_vcpu_events ev;

		kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
		ok(ev.smi.smm && ev.smi.smm_inside_nmi && ev.nmi.masked, "SMI taken with NMIs blocked: smm_inside_nmi");
	}
	s2 = vcpu_sregs(v);
	is(s2.efer, 0x801, "EFER is left alone on entry without long mode");
	is(rd32(smram, 0xfefc), 0x00020000, "revision 0x00020000");
	is(rd32(smram, 0xfef8), SMBASE, "SMBASE at 0xFEF8");
	ok(rd32(smram, 0xffd0) == 0x11111111 && rd32(smram, 0xffd4) == 0x22222222 &&
	   rd32(smram, 0xffd8) == 0x33333333 && rd32(smram, 0xffdc) == 0x44444444 &&
	   rd32(smram, 0xffe0) == (uint32_t)regs.rsp && rd32(smram, 0xffe4) == 0x66666666 &&
	   rd32(smram, 0xffe8) == 0x77777777 && rd32(smram, 0xffec) == 0x88888888,
	   "EAX..EDI in natural order at 0xFFD0");
	is(rd32(smram, 0xfff0), 0x1000, "EIP");
	is(rd32(smram, 0xfff4), 0x8d7, "EFLAGS");
	ok(rd32(smram, 0xfffc) == (uint32_t)sregs.cr0 && rd32(smram, 0xfff8) == (uint32_t)sregs.cr3 &&
	   rd32(smram, 0xff14) == (uint32_t)sregs.cr4, "CR0, CR3, CR4 (0xFF14)");
	ok(rd32(smram, 0xffac) == sregs.cs.selector && rd32(smram, 0xff98) == sregs.cs.base &&
	   rd32(smram, 0xff94) == sregs.cs.limit && rd32(smram, 0xff90) == seg_attr(&sregs.cs) << 8,
	   "CS: selector at 0xFFAC, record at 0xFF90");
	ok(rd32(smram, 0xffb4) == sregs.ds.selector && rd32(smram, 0xff34) == sregs.ds.base,
	   "DS: selector at 0xFFB4, record at 0xFF2C");
	ok(rd32(smram, 0xff74) == sregs.gdt.base && rd32(smram, 0xff70) == sregs.gdt.limit &&
	   rd32(smram, 0xff58) == sregs.idt.base && rd32(smram, 0xff54) == sregs.idt.limit, "GDTR, IDTR");
	expect_io(v, 0xf0, "RSM back to real mode");
	r2 = vcpu_regs(v);
	s2 = vcpu_sregs(v);
	ok(r2.rax == regs.rax && r2.rbx == regs.rbx && r2.rcx == regs.rcx && r2.rdx == regs.rdx &&
	   r2.rsi == regs.rsi && r2.rdi == regs.rdi && r2.rbp == regs.rbp && r2.rsp == regs.rsp,
	   "the eight GPRs round-trip");
	is(r2.rflags, 0x8d7, "EFLAGS round-trips");
	{
		struct kvm_vcpu_events ev;

		kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
		ok(!ev.smi.smm && !ev.smi.smm_inside_nmi && ev.nmi.masked,
		   "RSM leaves NMIs blocked when they were blocked at the SMI");
	}
	is(s2.efer, 0x801, "EFER.NX and SCE unchanged after RSM (Part C1)");
	ok(s2.cr4 & 0x20, "CR4.PAE unchanged");
	ok(seg_eq(&s2.cs, &sregs.cs) && seg_eq(&s2.ds, &sregs.ds) && seg_eq(&s2.ss, &sregs.ss),
	   "segments round-trip");
	vm_free(vm);
}

int main(void)
{
	test_smm_64();
	test_relocation();
	test_self_smi();
	test_smm_32();
	return tap_done();
}
