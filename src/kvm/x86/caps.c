// SPDX-License-Identifier: GPL-2.0-only
// KVM_CHECK_EXTENSION: every capability swkvm implements, and nothing else.
#include <unistd.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/x86.h"

/*
 * kvm_vm_ioctl_check_extension_generic() + kvm_vm_ioctl_check_extension() (x86).
 * A capability appears here only once the code behind it exists and is tested;
 * everything else answers 0 so VMMs stay on paths we support.
 */
long kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	(void)kvm;
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_HLT:
	case KVM_CAP_SYNC_MMU:		/* guest memory is the VMM's mapping itself */
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_ENABLE_CAP_VM:		/* generic: KVM_ENABLE_CAP on the VM fd (vm.c) */
	case KVM_CAP_ENABLE_CAP:		/* x86: KVM_ENABLE_CAP on the vCPU fd (x86.c) */
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_BINARY_STATS_FD:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_TSC_CONTROL:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_XSAVE:
	case KVM_CAP_XCRS:
	case KVM_CAP_SREGS2:
	case KVM_CAP_KVMCLOCK_CTRL:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
	case KVM_CAP_TSC_DEADLINE_TIMER:	/* with the in-kernel LAPIC (x86/lapic.c) */
	case KVM_CAP_X86_SMM:			/* x86/smm.c */
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_IRQCHIP:			/* x86/irqchip.c: PIC, IOAPIC, LAPICs */
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQFD:			/* irqfd.c */
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_IOAPIC_POLARITY_IGNORED:
	case KVM_CAP_PIT2:			/* x86/i8254.c */
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;	/* the ring's page in the vCPU mapping */
	case KVM_CAP_COALESCED_PIO:
		return 1;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return SWKVM_ADDRESS_SPACES;	/* 2: the SMM address space */
	case KVM_CAP_ADJUST_CLOCK:
		return KVM_CLOCK_VALID_FLAGS;
	case KVM_CAP_MCE:
		return 32;	/* KVM_MAX_MCE_BANKS */
	case KVM_CAP_XSAVE2:
		return sizeof(struct kvm_xsave);	/* 4096: no dynamic features */
	case KVM_CAP_NR_MEMSLOTS:
		return SWKVM_USER_MEM_SLOTS;
	case KVM_CAP_NR_VCPUS: {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		return n < 1 ? 1 : n > SWKVM_MAX_VCPUS ? SWKVM_MAX_VCPUS : n;
	}
	case KVM_CAP_MAX_VCPUS:
		return SWKVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return SWKVM_MAX_VCPU_IDS;
	case KVM_CAP_DISABLE_QUIRKS2:
		return SWKVM_QUIRKS;
	case KVM_CAP_EXIT_HYPERCALL:
		return 1ull << 12;	/* KVM_HC_MAP_GPA_RANGE */
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
	default:
		return 0;
	}
}
