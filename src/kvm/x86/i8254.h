// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor 8254 PIT (arch/x86/kvm/i8254.c) and the speaker port 0x61.
#ifndef SWKVM_KVM_X86_I8254_H
#define SWKVM_KVM_X86_I8254_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;

/*
 * The PIT's VM ioctls: KVM_CREATE_PIT2, KVM_GET/SET_PIT, KVM_GET/SET_PIT2,
 * KVM_REINJECT_CONTROL. Returns -ENOTTY for any other ioctl.
 */
long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
void kvm_pit_destroy(struct kvm *kvm);	/* NULL-safe; cancels its timer */
/*
 * The ack and mask notifiers of GSI 0 (KVM's irq_ack_notifier / irq_mask_notifier),
 * called through kvm_notify_acked_irq() / kvm_fire_mask_notifiers() for any GSI; any
 * thread, any lock held (they only touch atomics and the timer queue).
 */
void kvm_pit_irq_acked(struct kvm *kvm, uint32_t gsi);
void kvm_pit_irq_masked(struct kvm *kvm, uint32_t gsi, bool masked);

#endif
