// SPDX-License-Identifier: GPL-2.0-only
// KVM hypercalls: the register ABI, return codes, 32-bit truncation, VMMCALL patching and
// KVM_CAP_DISABLE_QUIRKS2, and MAP_GPA_RANGE through KVM_EXIT_HYPERCALL.
#include <linux/kvm_para.h>
#include <stdio.h>

#include "kvm_util.h"

#define ENOSYS_RET ((uint64_t)-KVM_ENOSYS)

GUEST_CODE static uint64_t hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t ret;

	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1), "d"(a2) : "memory");
	return ret;
}

/* VMMCALL (AMD's encoding) in its own stub so the host can look at the patched bytes */
GUEST_ASM_STUB(vmmcall_stub, "mov $1, %eax\n vmmcall");

GUEST_CODE static void guest_hypercalls(void)
{
	uint64_t b = 0x1111, c = 0x2222, d = 0x3333, s = 0x4444, ret;

	GUEST_ASSERT_EQ(hc(KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(hc(1234, 0, 0, 0), ENOSYS_RET);
	GUEST_ASSERT_EQ(hc(KVM_HC_MMU_OP, 0, 0, 0), ENOSYS_RET);
	GUEST_ASSERT_EQ(hc(KVM_HC_SEND_IPI, 1, 0, 0), (uint64_t)-KVM_EOPNOTSUPP);
	GUEST_ASSERT_EQ(hc(KVM_HC_CLOCK_PAIRING, 0x1000, 1, 0), (uint64_t)-KVM_EOPNOTSUPP);
	GUEST_ASSERT_EQ(hc(KVM_HC_SCHED_YIELD, 7, 0, 0), 0);
	GUEST_ASSERT_EQ(hc(KVM_HC_KICK_CPU, 0, 3, 0), 0);
	/* high bits of the number count in 64-bit mode */
	GUEST_ASSERT_EQ(hc(0x100000001ull, 0, 0, 0), ENOSYS_RET);
	/* nothing but RAX is clobbered */
	__asm__ volatile("vmcall" : "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s) : "a"(1ull) : "memory");
	GUEST_ASSERT_EQ(ret, 0);
	GUEST_ASSERT(b == 0x1111 && c == 0x2222 && d == 0x3333 && s == 0x4444);
	/* MAP_GPA_RANGE before it is enabled, then checked and forwarded */
	GUEST_SYNC(hc(KVM_HC_MAP_GPA_RANGE, 0x2000, 2, 0));
	GUEST_SYNC(hc(KVM_HC_MAP_GPA_RANGE, 0x2001, 2, 0));
	GUEST_SYNC(hc(KVM_HC_MAP_GPA_RANGE, 0x2000, 0, 0));
	GUEST_SYNC(hc(KVM_HC_MAP_GPA_RANGE, 0x2000, 4, 0x10));
	/* VMMCALL: patched to VMCALL by default */
	GUEST_SYNC(guest_call_safe(vmmcall_stub));
	GUEST_DONE();
}

GUEST_CODE static void guest_vmmcall_ud(void)
{
	GUEST_SYNC(guest_call_safe(vmmcall_stub));
	GUEST_DONE();
}

static void test_64bit(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_hypercalls);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL };
	struct kvm_run *run = v->run;
	uint8_t *code;

	vcpu_expect_sync(v, ENOSYS_RET, "MAP_GPA_RANGE is -KVM_ENOSYS until KVM_CAP_EXIT_HYPERCALL");
	cap.args[0] = 1ull << 3;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "EXIT_HYPERCALL for another number: EINVAL");
	cap.args[0] = 1ull << KVM_HC_MAP_GPA_RANGE;
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "enable KVM_CAP_EXIT_HYPERCALL(MAP_GPA_RANGE)");
	vcpu_expect_sync(v, (uint64_t)-KVM_EINVAL, "an unaligned GPA: -KVM_EINVAL");
	vcpu_expect_sync(v, (uint64_t)-KVM_EINVAL, "zero pages: -KVM_EINVAL");
	is(vcpu_run(v), 0, "a valid range");
	ok(run->exit_reason == KVM_EXIT_HYPERCALL && run->hypercall.nr == KVM_HC_MAP_GPA_RANGE &&
	   run->hypercall.args[0] == 0x2000 && run->hypercall.args[1] == 4 && run->hypercall.args[2] == 0x10 &&
	   run->hypercall.longmode == 1 && run->hypercall.ret == 0,
	   "KVM_EXIT_HYPERCALL with gpa, npages, attributes, long mode, ret preset 0");
	run->hypercall.ret = 42;
	vcpu_expect_sync(v, 42, "userspace's ret becomes the guest's RAX");
	vcpu_expect_sync(v, GUEST_NO_EXC, "VMMCALL works (no #UD)");
	code = addr_gva2hva(vm, (uintptr_t)vmmcall_stub);
	ok(code && code[5] == 0x0f && code[6] == 0x01 && code[7] == 0xc1,
	   "and was patched to VMCALL in guest memory (FIX_HYPERCALL_INSN quirk)");
	{
		struct ucall uc;
		is(vcpu_get_ucall(v, &uc), UCALL_DONE, "ABI: results, 64-bit numbers, only RAX clobbered");
	}
	vm_free(vm);

	vm = vm_create_64(&v, guest_vmmcall_ud);
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2),
	   KVM_X86_QUIRK_LINT0_REENABLED | KVM_X86_QUIRK_LAPIC_MMIO_HOLE | KVM_X86_QUIRK_FIX_HYPERCALL_INSN,
	   "CAP_DISABLE_QUIRKS2 lists LINT0_REENABLED, LAPIC_MMIO_HOLE, FIX_HYPERCALL_INSN");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { KVM_X86_QUIRK_CD_NW_CLEARED } };
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "a quirk swkvm does not have: EINVAL");
	cap.args[0] = KVM_X86_QUIRK_FIX_HYPERCALL_INSN;
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "disable FIX_HYPERCALL_INSN");
	/* kvm_vm_ioctl_enable_cap(): disabled quirks accumulate (|=), a later call adds to them */
	cap.args[0] = KVM_X86_QUIRK_LINT0_REENABLED;
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "then disable LINT0_REENABLED in a second call");
	vcpu_expect_sync(v, 6, "VMMCALL is still #UD: FIX_HYPERCALL_INSN stays disabled");
	vm_free(vm);
}

static void test_realmode_truncation(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *mem = vm_add_memory(vm, 0, 0, 0x4000, 0);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2, .rax = 0xffffffff00000001ull };

	memcpy(mem + 0x1000, "\x0f\x01\xc1\xf4", 4);	/* vmcall; hlt */
	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v, &s);
	vcpu_set_regs(v, &r);
	vcpu_run(v);
	r = vcpu_regs(v);
	ok(v->run->exit_reason == KVM_EXIT_HLT && r.rax == 0 && r.rip == 0x1004,
	   "outside 64-bit mode the number is truncated to 32 bits: 1 = VAPIC_POLL_IRQ, RIP advanced");
	r.rip = 0x1000;
	r.rax = 0x12345678000004d2ull;	/* 1234 */
	vcpu_set_regs(v, &r);
	vcpu_run(v);
	is(vcpu_regs(v).rax, 0xfffffc18, "and the result is truncated too: (u32)-KVM_ENOSYS");
	vm_free(vm);
}

int main(void)
{
	test_64bit();
	test_realmode_truncation();
	return tap_done();
}
