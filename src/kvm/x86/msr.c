// SPDX-License-Identifier: GPL-2.0-only
// MSR access rules for guest RDMSR/WRMSR and the host's KVM_GET/SET_MSRS.
#include "kvm/kvm_host.h"

/* kvm_set_apic_base(): reserved bits, and x2APIC enabled without xAPIC enabled. */
bool kvm_apic_base_invalid(struct kvm_vcpu *vcpu, uint64_t data)
{
	uint64_t reserved = ~((1ull << vcpu->arch.maxphyaddr) - 1) | 0x2ff;

	if (!guest_cpuid_has(vcpu, 1, CPUID_ECX, 21))	/* X2APIC */
		reserved |= MSR_IA32_APICBASE_EXTD;
	if (data & reserved)
		return true;
	return (data & (MSR_IA32_APICBASE_EXTD | MSR_IA32_APICBASE_ENABLE)) == MSR_IA32_APICBASE_EXTD;
}

int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated)
{
	(void)host_initiated;
	switch (index) {
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_TSC:
		*data = vcpu->cpu->ops->read_tsc(vcpu);
		return 0;
	default:
		return cpu_msr_read(vcpu->cpu, index, data) ? 1 : 0;
	}
}

int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated)
{
	switch (index) {
	case MSR_IA32_APICBASE:
		if (kvm_apic_base_invalid(vcpu, data))
			return 1;
		vcpu->apic_base = data;
		return 0;
	case MSR_IA32_TSC: {
		uint64_t now = vcpu->cpu->ops->read_tsc(vcpu) - vcpu->arch.tsc_offset;
		vcpu->arch.tsc_offset = data - now;
		return 0;
	}
	case MSR_EFER:
		/* Bits this CPU does not have: SCE, LME, LMA, NXE only (guest CPUID rules: mission issue). */
		if (data & ~(CPU_EFER_SCE | CPU_EFER_LME | CPU_EFER_LMA | CPU_EFER_NXE))
			return 1;
		if (!host_initiated) {
			struct cpu *c = vcpu->cpu;
			/* Toggling LME with paging on is #GP; LMA is read-only for the guest. */
			if ((c->cr0 & CPU_CR0_PG) && ((data ^ c->efer) & CPU_EFER_LME))
				return 1;
			data = (data & ~CPU_EFER_LMA) | (c->efer & CPU_EFER_LMA);
		}
		if (cpu_msr_write(vcpu->cpu, index, data))
			return 1;
		cpu_state_changed(vcpu->cpu);
		return 0;
	default:
		return cpu_msr_write(vcpu->cpu, index, data) ? 1 : 0;
	}
}
