// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor irqchip as a whole: KVM_CREATE_IRQCHIP, KVM_GET/SET_IRQCHIP, and the
// order in which the chips are created and torn down (arch/x86/kvm/x86.c).
#include <errno.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include "kvm/x86/i8254.h"
#include "kvm/x86/i8259.h"
#include "kvm/x86/ioapic.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/x86.h"

bool irqchip_in_kernel(struct kvm *kvm)
{
	return atomic_load_explicit(&kvm->irqchip_mode, memory_order_acquire) != KVM_IRQCHIP_NONE;
}

/* Tears the chips down in the reverse order of creation. */
static void irqchip_destroy_chips(struct kvm *kvm)
{
	/* chip teardown calls (PIT first: it raises lines on the others) */
	kvm_pit_destroy(kvm);
	kvm_free_irq_routing(kvm);
	kvm_ioapic_destroy(kvm);
	kvm_pic_destroy(kvm);
}

/*
 * KVM_CREATE_IRQCHIP: -EEXIST when there is one, -EINVAL once a vCPU exists (its LAPIC
 * would be missing). The PIC, then the IOAPIC, then the default GSI routing; the mode
 * is published last so nobody sees half a chip set.
 */
static long create_irqchip(struct kvm *kvm)
{
	long r = 0;

	pthread_mutex_lock(&kvm->lock);
	if (irqchip_in_kernel(kvm)) {
		r = -EEXIST;
		goto out;
	}
	if (kvm->created_vcpus) {
		r = -EINVAL;
		goto out;
	}
	/* chip creation calls */
	r = kvm_pic_init(kvm);
	if (!r)
		r = kvm_ioapic_init(kvm);
	if (!r)
		r = kvm_setup_default_irq_routing(kvm);
	if (r) {
		irqchip_destroy_chips(kvm);
		goto out;
	}
	atomic_store_explicit(&kvm->irqchip_mode, KVM_IRQCHIP_KERNEL, memory_order_release);
out:
	pthread_mutex_unlock(&kvm->lock);
	return r;
}

/* kvm_vm_ioctl_get_irqchip() / kvm_vm_ioctl_set_irqchip() */
static long irqchip_state(struct kvm *kvm, void *argp, bool set)
{
	struct kvm_irqchip chip;

	/* kvm_arch_vm_ioctl(): the argument is copied in (EFAULT) before the irqchip check */
	if (copy_from_user(&chip, argp, sizeof(chip)))
		return -EFAULT;
	if (!irqchip_in_kernel(kvm))
		return -ENXIO;
	switch (chip.chip_id) {
	/* per-chip cases */
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (set)
			kvm_pic_set_state(kvm->vpic, (int)chip.chip_id, &chip.chip.pic);
		else
			kvm_pic_get_state(kvm->vpic, (int)chip.chip_id, &chip.chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (set)
			kvm_ioapic_set_state(kvm->vioapic, &chip.chip.ioapic);
		else
			kvm_ioapic_get_state(kvm->vioapic, &chip.chip.ioapic);
		break;
	default:
		return -EINVAL;
	}
	if (!set && copy_to_user(argp, &chip, sizeof(chip)))
		return -EFAULT;
	return 0;
}

long kvm_irqchip_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return create_irqchip(kvm);
	case KVM_GET_IRQCHIP:
		return irqchip_state(kvm, ARG_PTR(arg), false);
	case KVM_SET_IRQCHIP:
		return irqchip_state(kvm, ARG_PTR(arg), true);
	/* other chips' VM ioctls */
	case KVM_IRQ_LINE:
		return kvm_vm_ioctl_irq_line(kvm, ARG_PTR(arg), false);
	case KVM_IRQ_LINE_STATUS:
		return kvm_vm_ioctl_irq_line(kvm, ARG_PTR(arg), true);
	case KVM_SET_GSI_ROUTING:
		return kvm_vm_ioctl_set_gsi_routing(kvm, ARG_PTR(arg));
	case KVM_SIGNAL_MSI:
		return kvm_vm_ioctl_signal_msi(kvm, ARG_PTR(arg));
	case KVM_IRQFD:
		return kvm_vm_ioctl_irqfd(kvm, ARG_PTR(arg));
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return kvm_pit_vm_ioctl(kvm, ioctl, arg);
	default:
		return -ENOTTY;
	}
}

void kvm_irqchip_destroy(struct kvm *kvm)
{
	irqchip_destroy_chips(kvm);
}
