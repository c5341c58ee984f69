// SPDX-License-Identifier: GPL-2.0-only
// The two cascaded 8259A PICs of the in-hypervisor irqchip (arch/x86/kvm/i8259.c).
#ifndef SWKVM_KVM_X86_I8259_H
#define SWKVM_KVM_X86_I8259_H

#include <linux/kvm.h>
#include <stdbool.h>

struct kvm;
struct kvm_pic;

/* Creates kvm->vpic and registers ports 0x20-0x21, 0xa0-0xa1 and the ELCR 0x4d0-0x4d1. */
int kvm_pic_init(struct kvm *kvm);
/* Unregisters and frees kvm->vpic (NULL-safe). */
void kvm_pic_destroy(struct kvm *kvm);
/* Pin `irq` (0-15) from `irq_source_id`; the kvm_set_irq() return convention. */
int kvm_pic_set_irq(struct kvm_pic *s, int irq, int irq_source_id, int level);
/* Drops every line `irq_source_id` holds (KVM_IRQFD resample / PIT teardown). */
void kvm_pic_clear_all(struct kvm_pic *s, int irq_source_id);
/* KVM_GET/SET_IRQCHIP for KVM_IRQCHIP_PIC_MASTER (0) and KVM_IRQCHIP_PIC_SLAVE (1). */
void kvm_pic_get_state(struct kvm_pic *s, int chip, struct kvm_pic_state *st);
void kvm_pic_set_state(struct kvm_pic *s, int chip, const struct kvm_pic_state *st);

#endif
