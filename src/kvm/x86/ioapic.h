// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor IOAPIC (arch/x86/kvm/ioapic.c): 24 pins, MMIO at 0xfec00000.
#ifndef SWKVM_KVM_X86_IOAPIC_H
#define SWKVM_KVM_X86_IOAPIC_H

#include <linux/kvm.h>
#include <stdbool.h>

struct kvm;
struct kvm_ioapic;

#define KVM_IOAPIC_NUM_PINS 24

/* Creates kvm->vioapic and registers its MMIO window. */
int kvm_ioapic_init(struct kvm *kvm);
void kvm_ioapic_destroy(struct kvm *kvm);	/* NULL-safe */
/* Pin `irq` from `irq_source_id`; the kvm_set_irq() return convention. */
int kvm_ioapic_set_irq(struct kvm_ioapic *s, int irq, int irq_source_id, int level,
		       bool line_status);
void kvm_ioapic_clear_all(struct kvm_ioapic *s, int irq_source_id);
/* KVM_GET/SET_IRQCHIP for KVM_IRQCHIP_IOAPIC (2). */
void kvm_ioapic_get_state(struct kvm_ioapic *s, struct kvm_ioapic_state *st);
void kvm_ioapic_set_state(struct kvm_ioapic *s, const struct kvm_ioapic_state *st);

#endif
