// SPDX-License-Identifier: GPL-2.0-only
// The VM level: KVM_CREATE_VM, the VM fd's ioctls, vCPU creation, VM-wide requests.
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm/iobus.h"
#include <linux/kvm_para.h>

#include "kvm/kvm_host.h"
#include "kvm/timer.h"
#include "kvm/uaccess.h"
#include "kvm/x86/x86.h"

static void kvm_destroy_vm(struct kobj *obj)
{
	struct kvm *kvm = (struct kvm *)obj;

	/* irqfds stop injecting first, then the chips: unregistering them still walks the vCPUs */
	kvm_irqfd_destroy(kvm);
	kvm_irqchip_destroy(kvm);
	for (int i = 0; i < SWKVM_MAX_VCPUS; i++) {
		struct kvm_vcpu *vcpu = atomic_load(&kvm->vcpus[i]);
		if (vcpu)
			kvm_vcpu_destroy(vcpu);
		atomic_store(&kvm->vcpus[i], NULL);
	}
	atomic_store(&kvm->online_vcpus, 0);
	/* Devices have cancelled their timers by now; stop the thread. */
	kvm_timers_destroy(kvm);
	kvm_io_bus_destroy(kvm);
	kvm_ioeventfd_destroy(kvm);
	kvm_coalesced_mmio_destroy(kvm);
	pthread_rwlock_destroy(&kvm->irq_routing_lock);
	pthread_mutex_destroy(&kvm->ioeventfds_lock);
	kvm_free_memslots(kvm);
	kvm_stats_destroy(&kvm->stats_file);
	pthread_mutex_destroy(&kvm->lock);
	pthread_mutex_destroy(&kvm->slots_lock);
	free(kvm);
}

int kvm_dev_ioctl_create_vm(unsigned long type)
{
	struct kvm *kvm;
	int fd;

	/* x86 supports only KVM_X86_DEFAULT_VM (0) here: kvm_arch_init_vm() -> -EINVAL. */
	if (type != 0)
		return -EINVAL;
	kvm = calloc(1, sizeof(*kvm));
	if (!kvm)
		return -ENOMEM;
	pthread_mutex_init(&kvm->lock, NULL);
	pthread_mutex_init(&kvm->slots_lock, NULL);
	pthread_mutex_init(&kvm->ioeventfds_lock, NULL);
	pthread_mutex_init(&kvm->coalesced_lock, NULL);
	pthread_rwlock_init(&kvm->irq_routing_lock, NULL);
	kvm->stats_file.fd = -1;
	if (kvm_stats_create_vm(&kvm->stats_file, &kvm->stat)) {
		kvm_destroy_vm(&kvm->obj);
		return -ENOMEM;
	}
	for (int as = 0; as < SWKVM_ADDRESS_SPACES; as++) {
		struct kvm_memslots *s = calloc(1, sizeof(*s));
		if (!s) {
			kvm_destroy_vm(&kvm->obj);
			return -ENOMEM;
		}
		atomic_store(&kvm->memslots[as], s);
	}
	kvm_clock_init(kvm);
	kvm->obj.type = KOBJ_VM;
	kvm->obj.release = kvm_destroy_vm;
	/* The kernel creates the VM file O_RDWR | O_CLOEXEC (anon_inode_getfd). */
	fd = kobj_install(&kvm->obj, "kvm-vm", 0, true);
	if (fd < 0)
		kvm_destroy_vm(&kvm->obj);
	return fd;
}

void kvm_make_all_cpus_request_wait(struct kvm *kvm, unsigned req)
{
	int n = atomic_load(&kvm->online_vcpus);

	kvm->stat->remote_tlb_flush_requests++;
	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = atomic_load(&kvm->vcpus[i]);
		uint64_t one = 1;

		kvm_make_request(vcpu, req);
		/* a vCPU asleep in HLT or waiting for SIPI acknowledges from its wait loop */
		if (write(vcpu->wake_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is saturated, it wakes anyway */
		}
	}
	/*
	 * Wait until every vCPU that is inside KVM_RUN has seen the request. A vCPU
	 * outside KVM_RUN holds no memslot pointers and handles it on its next entry.
	 * vCPUs check requests between guest instructions, so this wait is short.
	 */
	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = atomic_load(&kvm->vcpus[i]);
		unsigned spins = 0;

		while (atomic_load(&vcpu->mode) == IN_GUEST_MODE &&
		       (atomic_load(&vcpu->requests) & (1u << req))) {
			if (++spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = { 0, 20000 };
				nanosleep(&ts, NULL);
			}
		}
	}
}

static long kvm_vm_ioctl_set_memory_region(struct kvm *kvm, unsigned long arg)
{
	struct kvm_userspace_memory_region mem;
	long r;

	if (copy_from_user(&mem, ARG_PTR(arg), sizeof(mem)))
		return -EFAULT;
	pthread_mutex_lock(&kvm->slots_lock);
	r = kvm_set_memory_region(kvm, &mem);
	pthread_mutex_unlock(&kvm->slots_lock);
	return r;
}

/* kvm_vm_ioctl_enable_cap_generic() and the x86 part: only capabilities we implement. */
long kvm_vm_ioctl_enable_cap(struct kvm *kvm, void *argp)
{
	struct kvm_enable_cap cap;
	const uint64_t manual_caps = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	switch (cap.cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: {
		/* INITIALLY_SET only together with PROTECT_ENABLE (kvm_vm_ioctl_enable_cap_generic). */
		uint64_t allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

		if (cap.args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
			allowed = manual_caps;
		if (cap.flags || (cap.args[0] & ~allowed))
			return -EINVAL;
		kvm->manual_dirty_log_protect = cap.args[0];
		return 0;
	}
	case KVM_CAP_DISABLE_QUIRKS2:
		/* only quirks swkvm implements can be named */
		if (cap.flags || (cap.args[0] & ~(uint64_t)SWKVM_QUIRKS))
			return -EINVAL;
		kvm->disabled_quirks |= cap.args[0];	/* cumulative, as in kvm_vm_ioctl_enable_cap() */
		return 0;
	case KVM_CAP_EXIT_HYPERCALL:
		/* KVM_EXIT_HYPERCALL_VALID_MASK: MAP_GPA_RANGE only */
		if (cap.flags || (cap.args[0] & ~(1ull << KVM_HC_MAP_GPA_RANGE)))
			return -EINVAL;
		kvm->hypercall_exit_enabled = cap.args[0];
		return 0;
	case KVM_CAP_MAX_VCPU_ID: {
		/* x86: set once (the same value again is fine); checked at vCPU creation. */
		long r = -EINVAL;

		if (cap.flags || cap.args[0] > SWKVM_MAX_VCPU_IDS)
			return -EINVAL;
		pthread_mutex_lock(&kvm->lock);
		if ((uint64_t)kvm->max_vcpu_ids == cap.args[0]) {
			r = 0;
		} else if (!kvm->max_vcpu_ids) {
			kvm->max_vcpu_ids = (int)cap.args[0];
			r = 0;
		}
		pthread_mutex_unlock(&kvm->lock);
		return r;
	}
	default:
		return -EINVAL;
	}
}

/* kvm_vm_ioctl(): virt/kvm/kvm_main.c */
long kvm_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvm_vm_ioctl_create_vcpu(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return kvm_vm_ioctl_set_memory_region(kvm, arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension(kvm, (long)arg);
	case KVM_GET_DIRTY_LOG:
		return kvm_vm_ioctl_get_dirty_log(kvm, ARG_PTR(arg));
	case KVM_CLEAR_DIRTY_LOG:
		return kvm_vm_ioctl_clear_dirty_log(kvm, ARG_PTR(arg));
	case KVM_ENABLE_CAP:
		return kvm_vm_ioctl_enable_cap(kvm, ARG_PTR(arg));
	case KVM_IOEVENTFD:
		return kvm_vm_ioctl_ioeventfd(kvm, ARG_PTR(arg));
	case KVM_REGISTER_COALESCED_MMIO:
		return kvm_vm_ioctl_coalesced_mmio(kvm, ARG_PTR(arg), true);
	case KVM_UNREGISTER_COALESCED_MMIO:
		return kvm_vm_ioctl_coalesced_mmio(kvm, ARG_PTR(arg), false);
	case KVM_GET_STATS_FD:
		return kvm_stats_get_fd(&kvm->stats_file);
	default:
		return kvm_arch_vm_ioctl(kvm, ioctl, arg);
	}
}

/* kvm_arch_vm_ioctl(): arch/x86/kvm/x86.c */
long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_SET_TSS_ADDR:
		/*
		 * kvm_vm_ioctl_set_tss_addr(): the three pages must fit below 4 GiB. With
		 * unrestricted guests (and on a software CPU) nothing else happens.
		 */
		if (arg > (unsigned int)(-3 * (int)PAGE_SIZE))
			return -EINVAL;
		pthread_mutex_lock(&kvm->lock);
		kvm->tss_addr = arg;
		pthread_mutex_unlock(&kvm->lock);
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR: {
		/* kvm_vm_ioctl_set_identity_map_addr(): only before any vCPU exists */
		uint64_t addr;
		long r = -EINVAL;

		pthread_mutex_lock(&kvm->lock);
		if (!kvm->created_vcpus) {
			r = copy_from_user(&addr, ARG_PTR(arg), sizeof(addr)) ? -EFAULT : 0;
			if (!r)
				kvm->identity_map_addr = addr;
		}
		pthread_mutex_unlock(&kvm->lock);
		return r;
	}
	case KVM_SET_BOOT_CPU_ID: {
		long r = 0;

		pthread_mutex_lock(&kvm->lock);
		if (kvm->created_vcpus)
			r = -EBUSY;
		else if (arg > SWKVM_MAX_VCPU_IDS || (kvm->max_vcpu_ids && arg > (unsigned long)kvm->max_vcpu_ids))
			r = -EINVAL;
		else
			kvm->bsp_vcpu_id = (int)arg;
		pthread_mutex_unlock(&kvm->lock);
		return r;
	}
	case KVM_GET_CLOCK:
		return kvm_vm_ioctl_get_clock(kvm, ARG_PTR(arg));
	case KVM_SET_CLOCK:
		return kvm_vm_ioctl_set_clock(kvm, ARG_PTR(arg));
	default:
		return kvm_irqchip_vm_ioctl(kvm, ioctl, arg);
	}
}
