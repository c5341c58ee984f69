// SPDX-License-Identifier: GPL-2.0-only
// The VM/vCPU half of irq.h: kicks and wake-ups, vCPU lookup, and the guest TSC.
#include <unistd.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/irq.h"

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	uint64_t one = 1;

	kvm_make_request(vcpu, KVM_REQ_EVENT);
	/* Wakes a vCPU sleeping in HLT or waiting for INIT/SIPI (vcpu_block()). */
	if (write(vcpu->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the vCPU will wake anyway. */
	}
}

int kvm_nr_vcpus(struct kvm *kvm)
{
	return atomic_load(&kvm->online_vcpus);
}

struct kvm_vcpu *kvm_get_vcpu(struct kvm *kvm, int idx)
{
	if (idx < 0 || idx >= kvm_nr_vcpus(kvm))
		return NULL;
	return atomic_load(&kvm->vcpus[idx]);
}

int kvm_vcpu_id(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id;
}

struct kvm_lapic *kvm_vcpu_lapic(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic;
}

bool kvm_vcpu_is_bsp(struct kvm_vcpu *vcpu)
{
	return (vcpu->apic_base & MSR_IA32_APICBASE_BSP) != 0;
}

uint64_t kvm_read_guest_tsc(struct kvm_vcpu *vcpu)
{
	return vcpu->cpu->ops->read_tsc(vcpu);
}

uint32_t kvm_guest_tsc_khz(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.tsc_khz;
}
