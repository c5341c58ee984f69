// SPDX-License-Identifier: GPL-2.0-only
// Interrupt plumbing between the in-hypervisor chips (PIC, IOAPIC, LAPIC, PIT) and vCPUs.
//
// The chips (i8259.c, ioapic.c, lapic.c, i8254.c) are plain structs with bus handlers
// and save/restore functions. This header is the contract between them and the
// vCPU/VM side (irq.c, x86.c): who calls whom, from which thread.
#ifndef SWKVM_KVM_X86_IRQ_H
#define SWKVM_KVM_X86_IRQ_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct kvm_vcpu;
struct kvm_lapic;

/* ---- provided by the VM/vCPU side (irq.c, x86.c) ---- */

/*
 * Something changed that may let `vcpu` take an interrupt, NMI, INIT or SIPI: make it
 * re-evaluate (KVM_REQ_EVENT) and wake it if it sleeps in HLT. Any thread.
 */
void kvm_vcpu_kick(struct kvm_vcpu *vcpu);
int kvm_nr_vcpus(struct kvm *kvm);
struct kvm_vcpu *kvm_get_vcpu(struct kvm *kvm, int idx);	/* idx < kvm_nr_vcpus() */
int kvm_vcpu_id(struct kvm_vcpu *vcpu);				/* the initial APIC ID */
struct kvm_lapic *kvm_vcpu_lapic(struct kvm_vcpu *vcpu);	/* NULL without an irqchip */
bool kvm_vcpu_is_bsp(struct kvm_vcpu *vcpu);
/* Guest TSC of `vcpu` and its rate; the LAPIC's TSC-deadline timer compares against it. */
uint64_t kvm_read_guest_tsc(struct kvm_vcpu *vcpu);
uint32_t kvm_guest_tsc_khz(struct kvm_vcpu *vcpu);

/*
 * GSI routing (irq_route.c): raise or lower GSI `irq` from `irq_source_id`
 * (KVM_USERSPACE_IRQ_SOURCE_ID = 0, KVM_PIT_IRQ_SOURCE_ID = 2). Returns >0 delivered,
 * 0 coalesced, <0 masked, as kvm_set_irq().
 */
#define KVM_USERSPACE_IRQ_SOURCE_ID	0
#define KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID 1
#define KVM_PIT_IRQ_SOURCE_ID		2
int kvm_set_irq(struct kvm *kvm, int irq_source_id, uint32_t irq, int level, bool line_status);
#define KVM_MAX_IRQ_ROUTES 4096		/* KVM_CAP_IRQ_ROUTING answers this */
int kvm_setup_default_irq_routing(struct kvm *kvm);
void kvm_free_irq_routing(struct kvm *kvm);
long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void *argp);
long kvm_vm_ioctl_irq_line(struct kvm *kvm, void *argp, bool status);
long kvm_vm_ioctl_signal_msi(struct kvm *kvm, void *argp);
/*
 * The guest acknowledged (EOI) pin `pin` of `irqchip` (KVM_IRQCHIP_*; PIC pins are
 * 0-15 across both chips, as KVM numbers them), or (un)masked it: tell the notifiers
 * of every GSI routed there (resampling irqfds, the PIT's reinjection). Any thread;
 * call without the chip's lock.
 */
void kvm_notify_acked_irq(struct kvm *kvm, uint32_t irqchip, uint32_t pin);
void kvm_fire_mask_notifiers(struct kvm *kvm, uint32_t irqchip, uint32_t pin, bool mask);
/* kvm_notify_irqfd_resampler(): ask the resampling irqfds behind a chip pin; false if none */
bool kvm_notify_irqfd_resampler(struct kvm *kvm, uint32_t irqchip, uint32_t pin);

/* ---- provided by the chips ---- */

/* An interrupt message as the IOAPIC, MSIs and IPIs describe it (KVM's kvm_lapic_irq). */
struct kvm_lapic_irq {
	uint32_t vector;
	uint16_t delivery_mode;		/* APIC_DM_* in ICR bit positions (0x000 fixed ... 0x700 ExtINT) */
	uint16_t dest_mode;		/* 0 physical, APIC_DEST_LOGICAL (0x800) logical */
	bool level;			/* assert (INIT level de-assert has level=false) */
	uint16_t trig_mode;		/* 0 edge, 1 level */
	uint32_t shorthand;		/* 0, APIC_DEST_SELF, ALLINC, ALLBUT (ICR bit positions) */
	uint32_t dest_id;
	bool msi_redir_hint;
};

/* lapic.c: deliver `irq` to every matching LAPIC; returns the number of LAPICs that took it, -1 if none. */
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src, struct kvm_lapic_irq *irq);
/* lapic.c: the vCPU side asks before each guest entry; -1 when nothing is deliverable. */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu);
/* lapic.c: acknowledge the highest deliverable vector (IRR -> ISR) and return it. */
int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu);
/* lapic.c: LINT0 in ExtINT mode and unmasked (or APIC disabled on the BSP): take PIC interrupts. */
bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu);
/*
 * lapic.c: INIT / SIPI (APIC_PENDING_* bits) and NMIs received since the last call, for
 * the vCPU thread; clears them. *sipi_vector is the last SIPI's vector.
 */
#define APIC_PENDING_INIT	(1u << 0)
#define APIC_PENDING_SIPI	(1u << 1)
#define APIC_PENDING_SMI	(1u << 2)
/*
 * With init_sipi_allowed false (SMM) an INIT stays latched and a SIPI is dropped;
 * SMIs and NMIs are always taken.
 */
unsigned kvm_apic_take_pending_events(struct kvm_vcpu *vcpu, uint8_t *sipi_vector, unsigned *nmis,
				      bool init_sipi_allowed);
/* The latched INIT, for KVM_GET/SET_VCPU_EVENTS (smi.latched_init). */
bool kvm_apic_init_pending(struct kvm_vcpu *vcpu);
void kvm_apic_set_init_pending(struct kvm_vcpu *vcpu, bool pending);
/* lapic.c: the PIT's NMI watchdog fires LINT0 of `vcpu` (kvm_apic_nmi_wd_deliver). */
void kvm_apic_nmi_wd_deliver(struct kvm_vcpu *vcpu);

/* ioapic.c: a LAPIC EOI of a level-triggered `vector` (EOI broadcast, remote IRR). */
void kvm_ioapic_update_eoi(struct kvm *kvm, int vector, int trigger_mode);
/* i8259.c: INTR output of the master PIC; and INTA: the vector to deliver (spurious 7/15 rules). */
bool kvm_pic_intr_output(struct kvm *kvm);
int kvm_pic_read_irq(struct kvm *kvm);

#endif
