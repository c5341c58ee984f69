// SPDX-License-Identifier: GPL-2.0-only
// KVM_GET/SET_REGS and KVM_GET/SET_SREGS: the reset state, round trips, validation.
#include <stdio.h>

#include "kvm_util.h"

static void check_seg(const struct kvm_segment *s, const char *name, uint64_t base, uint32_t limit,
		      uint16_t sel, uint8_t type, uint8_t sflag)
{
	is(s->base, base, "reset %s.base", name);
	is(s->limit, limit, "reset %s.limit", name);
	is(s->selector, sel, "reset %s.selector", name);
	is(s->type, type, "reset %s.type", name);
	is(s->present, 1, "reset %s.present", name);
	is(s->s, sflag, "reset %s.s", name);
	is(s->dpl | s->db | s->l | s->g | s->avl, 0, "reset %s dpl/db/l/g/avl are 0", name);
}

static void test_reset_state(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *bsp = vm_add_vcpu(vm, 0), *ap = vm_add_vcpu(vm, 1);
	struct kvm_regs r = vcpu_regs(bsp);
	struct kvm_sregs s = vcpu_sregs(bsp);

	/* SDM Vol.3 §10.1.1, Table 10-1, and KVM's kvm_vcpu_reset(). */
	is(r.rip, 0xfff0, "reset RIP");
	is(r.rflags, 2, "reset RFLAGS");
	is(r.rdx, 0x600, "reset RDX holds the processor signature");
	is(r.rax | r.rbx | r.rcx | r.rsi | r.rdi | r.rsp | r.rbp | r.r8 | r.r15, 0, "other GPRs are 0");
	check_seg(&s.cs, "cs", 0xffff0000, 0xffff, 0xf000, 11, 1);
	check_seg(&s.ds, "ds", 0, 0xffff, 0, 3, 1);
	check_seg(&s.ss, "ss", 0, 0xffff, 0, 3, 1);
	check_seg(&s.es, "es", 0, 0xffff, 0, 3, 1);
	check_seg(&s.fs, "fs", 0, 0xffff, 0, 3, 1);
	check_seg(&s.gs, "gs", 0, 0xffff, 0, 3, 1);
	check_seg(&s.ldt, "ldt", 0, 0xffff, 0, 2, 0);
	check_seg(&s.tr, "tr", 0, 0xffff, 0, 11, 0);
	is(s.gdt.limit, 0xffff, "reset GDTR.limit");
	is(s.idt.limit, 0xffff, "reset IDTR.limit");
	is(s.gdt.base | s.idt.base, 0, "reset GDTR/IDTR base");
	is(s.cr0, 0x60000010, "reset CR0 (CD NW ET)");
	is(s.cr2 | s.cr3 | s.cr4 | s.cr8 | s.efer, 0, "reset CR2/CR3/CR4/CR8/EFER");
	is(s.apic_base, 0xfee00900, "BSP APIC base: enabled, BSP");
	is(vcpu_sregs(ap).apic_base, 0xfee00800, "AP APIC base: enabled, not BSP");
	vm_free(vm);
}

static void test_round_trip(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r = { 0 }, g;
	struct kvm_sregs s, gs;

	for (int i = 0; i < 16; i++)
		((uint64_t *)&r)[i] = 0x0101010101010101ull * (uint64_t)(i + 1);
	r.rip = 0x123456789abcull;
	r.rflags = 0x0;	/* bit 1 is forced on */
	vcpu_set_regs(v, &r);
	g = vcpu_regs(v);
	r.rflags = 2;
	ok(!memcmp(&g, &r, sizeof(r)), "KVM_SET_REGS/GET_REGS round trip (RFLAGS bit 1 forced)");

	s = vcpu_sregs(v);
	s.cr0 = 0x80000011;	/* PG ET PE */
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LMA LME */
	s.cr3 = 0x1000;
	s.cr2 = 0xdeadbeefcafeull;
	s.cs.l = 1;
	s.cs.base = 0;
	s.cs.selector = 8;
	s.gdt.base = 0x5000;
	s.gdt.limit = 0x27;
	s.idt.base = 0x6000;
	s.idt.limit = 0xfff;
	is(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), 0, "SET_SREGS long mode");
	gs = vcpu_sregs(v);
	ok(!memcmp(&gs, &s, sizeof(s)), "KVM_SET_SREGS/GET_SREGS round trip");
	vm_free(vm);
}

static void test_sregs_validation(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs base = vcpu_sregs(v), s;

	/* kvm_is_valid_sregs() and friends */
	s = base; s.efer = 0x500; s.cr0 = 0x80000011; s.cr4 = 0;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "LME+PG without CR4.PAE");
	s = base; s.efer = 0x100; s.cr0 = 0x80000011; s.cr4 = 0x20;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "LME+PG without EFER.LMA");
	s = base; s.efer = 0x400;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "LMA outside long mode");
	s = base; s.cs.l = 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CS.L outside long mode");
	s = base; s.cr0 = 0x80000010;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR0.PG without CR0.PE");
	s = base; s.cr0 = 0x20000011;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR0.NW without CR0.CD");
	s = base; s.cr0 = 0x100000011ull;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR0 bits above 31");
	s = base; s.cr4 = 1ull << 15;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "reserved CR4 bit 15");
	s = base; s.efer = 0x500; s.cr0 = 0x80000011; s.cr4 = 0x20; s.cr3 = 1ull << 36;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR3 above MAXPHYADDR in long mode");
	s = base; s.apic_base = 0xfee00900 | 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "reserved APIC base bit 0");
	s = base; s.apic_base = 0xfee00000 | (1 << 10);
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "x2APIC mode without x2APIC in CPUID");
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, (void *)16), EFAULT, "SET_SREGS from a bad pointer");
	is_errno(kvm_ioctl(v->fd, KVM_GET_SREGS, (void *)16), EFAULT, "GET_SREGS to a bad pointer");
	s = vcpu_sregs(v);
	ok(!memcmp(&s, &base, sizeof(s)), "failed SET_SREGS calls changed nothing");
	/* __set_sregs_common() ignores kvm_set_cr8()'s result: CR8 > 15 is dropped, not an error */
	s = base; s.cr8 = 7;
	is(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), 0, "SET_SREGS with CR8 7");
	s.cr8 = 16;
	is(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), 0, "SET_SREGS with CR8 16 succeeds, as in KVM");
	is(vcpu_sregs(v).cr8, 7, "and leaves CR8 as it was");
	s = base; s.apic_base = 0;
	is(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), 0, "APIC disabled is a valid APIC base");
	vm_free(vm);
}

int main(void)
{
	test_reset_state();
	test_round_trip();
	test_sregs_validation();
	return tap_done();
}
