// SPDX-License-Identifier: GPL-2.0-only
// Machine-check setup: KVM_CAP_MCE, KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE, MCG/MCi MSRs.
#include <stdio.h>

#include "kvm_util.h"

static int set_msr(struct vcpu *v, uint32_t idx, uint64_t val)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e = { .index = idx, .data = val } };

	return kvm_ioctl(v->fd, KVM_SET_MSRS, &m);
}

static uint64_t get_msr(struct vcpu *v, uint32_t idx, int *r)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e = { .index = idx } };

	*r = kvm_ioctl(v->fd, KVM_GET_MSRS, &m);
	return m.e.data;
}

GUEST_CODE static void guest_mce(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(guest_rdmsr_safe(0x179, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0x10a);			/* MCG_CTL_P | 10 banks */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x179, 0), 13);	/* MCG_CAP is read-only */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x401, 5), 13);	/* MC0_STATUS: only 0 */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x401, 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x400, 0x1234), 13);	/* MC0_CTL: 0 or all ones */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x400, ~(1ull << 10)), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(0x400 + 4 * 10, &v), 13);	/* bank 10 does not exist */
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_mce);
	uint64_t cap = 0;
	struct ucall uc;
	int r;

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MCE), 32, "CAP_MCE: 32 banks");
	is(kvm_ioctl(vm->kvm_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap), 0, "GET_MCE_CAP_SUPPORTED");
	is(cap, (1ull << 8) | (1ull << 24), "MCG_CTL_P | MCG_SER_P");
	cap = 0;
	is_errno(kvm_ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL, "0 banks: EINVAL");
	cap = 33;
	is_errno(kvm_ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL, "33 banks: EINVAL");
	cap = 10 | (1ull << 27);
	is_errno(kvm_ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL, "an unsupported capability bit (LMCE): EINVAL");
	cap = 10 | (1ull << 8);
	is(kvm_ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), 0, "10 banks with MCG_CTL_P (QEMU's default)");
	is(get_msr(v, 0x17b, &r), ~0ull, "MCG_CTL all ones");
	is(get_msr(v, 0x400 + 4 * 9, &r), ~0ull, "MC9_CTL all ones");
	is(set_msr(v, 0x401, 0xbe00000000000001ull), 1, "the host may set MC0_STATUS");
	is(get_msr(v, 0x401, &r), 0xbe00000000000001ull, "and read it back");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest view of MCG_CAP and the banks");
	vm_free(vm);
	return tap_done();
}
