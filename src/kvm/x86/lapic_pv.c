// SPDX-License-Identifier: GPL-2.0-only
// KVM's paravirtual LAPIC interfaces: PV EOI (MSR_KVM_PV_EOI_EN), TPR access reporting
// and the VAPIC page QEMU's kvmvapic option ROM uses (KVM_TPR_ACCESS_REPORTING,
// KVM_SET_VAPIC_ADDR). The registers themselves are lapic.c's.
#include <stdatomic.h>

#include "kvm/x86/lapic_internal.h"

/* ---- PV EOI (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_PV_EOI_EN) ---- */

static void vapic_to_guest(struct kvm_vcpu *vcpu, struct kvm_lapic *a);
static void vapic_from_guest(struct kvm_vcpu *vcpu, struct kvm_lapic *a);

int kvm_lapic_set_pv_eoi(struct kvm_vcpu *vcpu, uint64_t data)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint64_t gpa = data & ~1ull;

	if (gpa & 3)
		return 1;
	if (data & 1) {
		/* kvm_gfn_to_hva_cache_init(): the byte must be guest RAM */
		struct kvm_memslots *s = atomic_load(&vcpu->kvm->memslots[0]);

		if (!kvm_gfn_to_memslot(s, gpa >> PAGE_SHIFT))
			return 1;
	}
	vcpu->arch.pv_eoi_msr = data;
	if (a)
		a->pv_eoi_pending = false;
	return 0;
}

/*
 * apic_sync_pv_eoi_to_guest(), before entry: offer the guest a PV EOI (the byte set to
 * KVM_PV_EOI_ENABLED) only when it is safe: nothing in IRR, the in-service vector is the
 * one just delivered, and no IOAPIC needs to see its EOI (level-triggered).
 */
void kvm_lapic_sync_to_vapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint8_t one = 1;
	bool offer;

	if (a && a->vapic_addr)
		vapic_to_guest(vcpu, a);
	if (!a || !(vcpu->arch.pv_eoi_msr & 1) || a->pv_eoi_pending)
		return;
	pthread_mutex_lock(&a->lock);
	offer = highest_vector(a, APIC_IRR) < 0 && a->highest_isr_cache >= 0 &&
		!vec_test(a, APIC_TMR, a->highest_isr_cache);
	pthread_mutex_unlock(&a->lock);
	if (offer && kvm_write_guest_page(vcpu, vcpu->arch.pv_eoi_msr & ~1ull, &one, 1))
		a->pv_eoi_pending = true;
}

/*
 * apic_sync_pv_eoi_from_guest(), after an exit: if the guest cleared the byte it did
 * its EOI that way and we perform it; otherwise we withdraw the offer.
 */
void kvm_lapic_sync_from_vapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint64_t gpa;
	uint8_t v = 0, zero = 0;

	if (a && a->vapic_addr)
		vapic_from_guest(vcpu, a);
	if (!a || !a->pv_eoi_pending)
		return;
	a->pv_eoi_pending = false;
	gpa = vcpu->arch.pv_eoi_msr & ~1ull;
	if (!kvm_read_guest_page(vcpu, gpa, &v, 1))
		return;
	if (v & 1) {
		kvm_write_guest_page(vcpu, gpa, &zero, 1);
		return;
	}
	lapic_reg_write(a, APIC_EOI, 0);
}

/* ---- TPR access reporting and the VAPIC page (QEMU's kvmvapic) ---- */

long kvm_lapic_tpr_access_reporting(struct kvm_vcpu *vcpu, bool enable)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	pthread_mutex_lock(&a->lock);
	a->tpr_access_reporting = enable;
	a->tpr_access_hit = false;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

bool kvm_lapic_take_tpr_access(struct kvm_vcpu *vcpu, bool *write)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	bool hit;

	if (!a)
		return false;
	pthread_mutex_lock(&a->lock);
	hit = a->tpr_access_hit;
	*write = a->tpr_access_write;
	a->tpr_access_hit = false;
	pthread_mutex_unlock(&a->lock);
	return hit;
}

/* kvm_lapic_set_vapic_addr(): 0 turns the page off; otherwise it must be guest RAM */
long kvm_lapic_set_vapic_addr(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (gpa) {
		struct kvm_memslots *s = atomic_load(&vcpu->kvm->memslots[0]);

		if (!kvm_gfn_to_memslot(s, gpa >> PAGE_SHIFT) ||
		    !kvm_gfn_to_memslot(s, (gpa + 3) >> PAGE_SHIFT))
			return -EINVAL;
	}
	a->vapic_addr = gpa;
	return 0;
}

/*
 * kvm_lapic_sync_to_vapic()/_from_vapic() for the VAPIC page: before entry the u32 at
 * vapic_addr gets TPR | (highest ISR class) << 8 | highest IRR << 24; after an exit the
 * guest's TPR byte there is taken back into the APIC.
 */
static void vapic_to_guest(struct kvm_vcpu *vcpu, struct kvm_lapic *a)
{
	uint32_t tpr, data;
	int irr, isr;

	pthread_mutex_lock(&a->lock);
	tpr = reg_get(a, APIC_TASKPRI) & 0xff;
	irr = highest_vector(a, APIC_IRR);
	isr = highest_vector(a, APIC_ISR);
	pthread_mutex_unlock(&a->lock);
	data = tpr | ((uint32_t)(isr < 0 ? 0 : isr) & 0xf0) << 8 | (uint32_t)(irr < 0 ? 0 : irr) << 24;
	kvm_write_guest_page(vcpu, a->vapic_addr, &data, sizeof(data));
}

static void vapic_from_guest(struct kvm_vcpu *vcpu, struct kvm_lapic *a)
{
	uint32_t data;

	if (!kvm_read_guest_page(vcpu, a->vapic_addr, &data, sizeof(data)))
		return;
	pthread_mutex_lock(&a->lock);
	reg_set(a, APIC_TASKPRI, data & 0xff);
	lapic_update_ppr(a);
	pthread_mutex_unlock(&a->lock);
}
