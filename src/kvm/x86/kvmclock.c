// SPDX-License-Identifier: GPL-2.0-only
// The VM's kvmclock: KVM_GET_CLOCK / KVM_SET_CLOCK (KVM_CAP_ADJUST_CLOCK).
//
// As in KVM (arch/x86/kvm/x86.c get_kvmclock_base_ns()), the clock is the host's
// CLOCK_BOOTTIME in nanoseconds plus a per-VM offset; a new VM's clock starts at 0. It
// never depends on a host TSC, so it is always stable and KVM_GET_CLOCK reports
// KVM_CLOCK_TSC_STABLE with the wall-clock time read at the same moment
// (KVM_CLOCK_REALTIME), which KVM_SET_CLOCK uses to account for migration downtime.
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include "kvm/x86/x86.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void kvm_clock_init(struct kvm *kvm)
{
	kvm->kvmclock_offset = (int64_t)-clock_ns(CLOCK_BOOTTIME);
}

uint64_t kvm_get_kvmclock_ns(struct kvm *kvm)
{
	return clock_ns(CLOCK_BOOTTIME) + (uint64_t)atomic_load(&kvm->kvmclock_offset);
}

/* kvm_vm_ioctl_get_clock() */
long kvm_vm_ioctl_get_clock(struct kvm *kvm, void *argp)
{
	struct kvm_clock_data data;

	memset(&data, 0, sizeof(data));
	data.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME;
	data.realtime = clock_ns(CLOCK_REALTIME);
	data.clock = kvm_get_kvmclock_ns(kvm);
	return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
}

/*
 * kvm_vm_ioctl_set_clock(): any flag KVM_GET_CLOCK can return is accepted so its result
 * can be passed back; only KVM_CLOCK_REALTIME has an effect: the time elapsed since
 * `realtime` is added, and the clock never steps back for it.
 */
long kvm_vm_ioctl_set_clock(struct kvm *kvm, void *argp)
{
	struct kvm_clock_data data;

	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	if (data.flags & ~(uint32_t)KVM_CLOCK_VALID_FLAGS)
		return -EINVAL;
	if (data.flags & KVM_CLOCK_REALTIME) {
		uint64_t now_real = clock_ns(CLOCK_REALTIME);

		if (now_real > data.realtime)
			data.clock += now_real - data.realtime;
	}
	atomic_store(&kvm->kvmclock_offset, (int64_t)(data.clock - clock_ns(CLOCK_BOOTTIME)));
	return 0;
}
