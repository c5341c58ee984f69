// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor 8254 PIT (arch/x86/kvm/i8254.c) and the speaker port 0x61.
#ifndef SWKVM_KVM_X86_I8254_H
#define SWKVM_KVM_X86_I8254_H

struct kvm;

/*
 * The PIT's VM ioctls: KVM_CREATE_PIT2, KVM_GET/SET_PIT, KVM_GET/SET_PIT2,
 * KVM_REINJECT_CONTROL. Returns -ENOTTY for any other ioctl.
 */
long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
void kvm_pit_destroy(struct kvm *kvm);	/* NULL-safe; cancels its timer */

#endif
