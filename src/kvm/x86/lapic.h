// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor local APIC (arch/x86/kvm/lapic.c): the vCPU side of its interface.
// The chip-to-chip half (IPIs, EOI broadcast, PIC acceptance) is in irq.h.
#ifndef SWKVM_KVM_X86_LAPIC_H
#define SWKVM_KVM_X86_LAPIC_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

/* APIC register offsets (SDM Vol.3 Table 11-1) */
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TASKPRI	0x80
#define APIC_ARBPRI	0x90
#define APIC_PROCPRI	0xa0
#define APIC_EOI	0xb0
#define APIC_RRR	0xc0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SPIV	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_LVTCMCI	0x2f0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVTTHMR	0x330
#define APIC_LVTPC	0x340
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0

/* ICR / LVT fields */
#define APIC_VECTOR_MASK	0x000ff
#define APIC_MODE_MASK		0x00700
#define APIC_DM_FIXED		0x00000
#define APIC_DM_LOWEST		0x00100
#define APIC_DM_SMI		0x00200
#define APIC_DM_REMRD		0x00300
#define APIC_DM_NMI		0x00400
#define APIC_DM_INIT		0x00500
#define APIC_DM_STARTUP		0x00600
#define APIC_DM_EXTINT		0x00700
#define APIC_DEST_LOGICAL	0x00800
#define APIC_ICR_BUSY		0x01000
#define APIC_INPUT_POLARITY	0x02000
#define APIC_LVT_REMOTE_IRR	0x04000
#define APIC_INT_ASSERT		0x04000
#define APIC_INT_LEVELTRIG	0x08000
#define APIC_LVT_LEVEL_TRIGGER	0x08000
#define APIC_LVT_MASKED		0x10000
#define APIC_SHORT_MASK		0xc0000
#define APIC_DEST_SELF		0x40000
#define APIC_DEST_ALLINC	0x80000
#define APIC_DEST_ALLBUT	0xc0000
#define APIC_LVT_TIMER_ONESHOT	 (0u << 17)
#define APIC_LVT_TIMER_PERIODIC	 (1u << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2u << 17)
#define APIC_SPIV_APIC_ENABLED	(1u << 8)

#define APIC_BASE_MSR		0x800	/* x2APIC MSRs 0x800-0x8ff (SDM Vol.3 §11.12.1) */
#define MSR_IA32_TSC_DEADLINE	0x6e0

int kvm_create_lapic(struct kvm_vcpu *vcpu);
void kvm_free_lapic(struct kvm_vcpu *vcpu);
/* kvm_lapic_reset(): also sets IA32_APIC_BASE at RESET (not at INIT). */
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event);
/* IA32_APIC_BASE writes with kvm_apic_set_base()'s rules; 1 = #GP. */
int kvm_apic_set_base(struct kvm_vcpu *vcpu, uint64_t value, bool host_initiated);

/* The xAPIC MMIO page of this vCPU: 0 handled, -EOPNOTSUPP not ours. */
int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, int len, void *val);
int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, int len, const void *val);
/* x2APIC MSRs; 1 = #GP. */
int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data);
int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data);
uint64_t kvm_get_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu);
void kvm_set_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu, uint64_t data);

/* CR8 is TPR[7:4] (SDM Vol.3 §11.8.6.1). */
void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, uint64_t cr8);
uint64_t kvm_lapic_get_cr8(struct kvm_vcpu *vcpu);
/*
 * The priority class of the highest IRR vector that only TPR keeps from being
 * delivered, else 0: a MOV to CR8 below it must come back to the hypervisor (the
 * VMX "TPR threshold", SDM Vol.3 §30.1.2).
 */
unsigned kvm_lapic_tpr_threshold(struct kvm_vcpu *vcpu);

/* The LAPIC timer fired since the last call: deliver LVTT (kvm_inject_apic_timer_irqs). */
bool kvm_lapic_timer_pending(struct kvm_vcpu *vcpu);
void kvm_inject_apic_timer_irqs(struct kvm_vcpu *vcpu);
/* KVM_SET_MP_STATE(SIPI_RECEIVED): latch a SIPI with the last vector received. */
void kvm_apic_latch_sipi(struct kvm_vcpu *vcpu);
/* INIT, SIPI or an NMI latched for this vCPU (does not consume them). */
bool kvm_apic_has_pending_init_or_sipi(struct kvm_vcpu *vcpu);

/*
 * KVM_HC_SEND_IPI: bit i of lo/hi targets physical APIC ID min+i / min+32|64+i;
 * returns the number of APICs that accepted, or -KVM_EINVAL/-KVM_EOPNOTSUPP.
 */
long kvm_pv_send_ipi(struct kvm *kvm, uint64_t lo, uint64_t hi, uint32_t min, uint64_t icr, bool op64);
/* KVM_HC_KICK_CPU: wake the vCPU with that APIC ID from HLT. */
void kvm_pv_kick_cpu(struct kvm *kvm, uint32_t apic_id);

/* MSR_KVM_PV_EOI_EN and the offer made around each guest entry */
int kvm_lapic_set_pv_eoi(struct kvm_vcpu *vcpu, uint64_t data);	/* 1 = #GP */
void kvm_lapic_sync_to_vapic(struct kvm_vcpu *vcpu);
void kvm_lapic_sync_from_vapic(struct kvm_vcpu *vcpu);

/* KVM_TPR_ACCESS_REPORTING: a TPR access since the last call (and whether a write) */
long kvm_lapic_tpr_access_reporting(struct kvm_vcpu *vcpu, bool enable);
bool kvm_lapic_take_tpr_access(struct kvm_vcpu *vcpu, bool *write);
/* KVM_SET_VAPIC_ADDR */
long kvm_lapic_set_vapic_addr(struct kvm_vcpu *vcpu, uint64_t gpa);

/* KVM_GET_LAPIC / KVM_SET_LAPIC */
int kvm_apic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);
int kvm_apic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);

#endif
