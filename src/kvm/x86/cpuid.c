// SPDX-License-Identifier: GPL-2.0-only
// The guest's CPUID: lookup with KVM's out-of-range rule, and what CPUID gates (CR4 bits).
#include <string.h>

#include "kvm/kvm_host.h"

/* kvm_find_cpuid_entry_index(): the index matters only for leaves flagged as indexed. */
struct kvm_cpuid_entry2 *kvm_find_cpuid_entry_index(struct kvm_vcpu *vcpu, uint32_t function,
						     uint32_t index)
{
	for (int i = 0; i < vcpu->arch.cpuid_nent; i++) {
		struct kvm_cpuid_entry2 *e = &vcpu->arch.cpuid_entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

bool guest_cpuid_has(struct kvm_vcpu *vcpu, uint32_t leaf, int reg, int bit)
{
	struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, leaf, 0);
	uint32_t v;

	if (!e)
		return false;
	v = reg == CPUID_EAX ? e->eax : reg == CPUID_EBX ? e->ebx : reg == CPUID_ECX ? e->ecx : e->edx;
	return (v >> bit) & 1;
}

static bool vendor_is_amd_like(const struct kvm_cpuid_entry2 *basic)
{
	/* "AuthenticAMD" and "HygonGenuine" in EBX, EDX, ECX order */
	return (basic->ebx == 0x68747541 && basic->edx == 0x69746e65 && basic->ecx == 0x444d4163) ||
	       (basic->ebx == 0x6f677948 && basic->edx == 0x6e65476e && basic->ecx == 0x656e6975);
}

/*
 * get_out_of_range_cpuid_entry() (arch/x86/kvm/cpuid.c): on Intel, a leaf above the
 * maximum of its class returns the highest basic leaf, with the requested index.
 */
static struct kvm_cpuid_entry2 *out_of_range_entry(struct kvm_vcpu *vcpu, uint32_t *fn,
						   uint32_t index)
{
	struct kvm_cpuid_entry2 *basic = kvm_find_cpuid_entry_index(vcpu, 0, 0), *class;
	uint32_t function = *fn;

	if (!basic || vendor_is_amd_like(basic))
		return NULL;
	if (function >= 0x40000000 && function <= 0x4fffffff)
		class = kvm_find_cpuid_entry_index(vcpu, function & 0xffffff00, 0);
	else if (function >= 0xc0000000)
		class = kvm_find_cpuid_entry_index(vcpu, 0xc0000000, 0);
	else
		class = kvm_find_cpuid_entry_index(vcpu, function & 0x80000000, 0);
	if (class && function <= class->eax)
		return NULL;
	*fn = basic->eax;
	return kvm_find_cpuid_entry_index(vcpu, basic->eax, index);
}

/* kvm_emulate_cpuid() / kvm_cpuid(): results are 32-bit, zero-extended into RAX..RDX. */
void kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	uint32_t function = (uint32_t)c->gpr[CPU_RAX], index = (uint32_t)c->gpr[CPU_RCX];
	uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
	struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, function, index);

	if (!e)
		e = out_of_range_entry(vcpu, &function, index);
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	} else if (function == 0xb || function == 0x1f) {
		/* Undefined subleaves of the topology leaves still pass CL and the x2APIC ID. */
		struct kvm_cpuid_entry2 *one = kvm_find_cpuid_entry_index(vcpu, function, 1);
		if (one) {
			ecx = index & 0xff;
			edx = one->edx;
		}
	}
	c->gpr[CPU_RAX] = eax;
	c->gpr[CPU_RBX] = ebx;
	c->gpr[CPU_RCX] = ecx;
	c->gpr[CPU_RDX] = edx;
}

/*
 * CR4 bits the modelled CPU implements (__cr4_reserved_bits() without a guest
 * CPUID). Until KVM_SET_CPUID2 exists, these are judged against the CPU model,
 * not the guest's CPUID.
 */
#define SWKVM_CR4_SUPPORTED \
	(CPU_CR4_VME | CPU_CR4_PVI | CPU_CR4_TSD | CPU_CR4_DE | CPU_CR4_PSE | CPU_CR4_PAE | \
	 CPU_CR4_MCE | CPU_CR4_PGE | CPU_CR4_PCE | CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT | \
	 CPU_CR4_FSGSBASE | CPU_CR4_PCIDE | CPU_CR4_OSXSAVE | CPU_CR4_SMEP | CPU_CR4_SMAP | \
	 CPU_CR4_UMIP)

bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	(void)vcpu;
	return (cr4 & ~(uint64_t)SWKVM_CR4_SUPPORTED) == 0;
}
