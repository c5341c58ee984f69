// SPDX-License-Identifier: GPL-2.0-only
// kvmclock: the VM clock (KVM_GET_CLOCK / KVM_SET_CLOCK, KVM_CAP_ADJUST_CLOCK) and the
// guest's view of it, the pvclock MSRs (Documentation/virt/kvm/x86/msr.rst).
//
// The clock is host time in nanoseconds plus a per-VM offset; a new VM's clock starts at
// 0. KVM uses CLOCK_BOOTTIME; swkvm uses CLOCK_MONOTONIC, the base of the guest TSC too,
// so a pvclock sample (TSC, clock) is exact and the guest's extrapolation from it only
// carries the rounding of tsc_to_system_mul. The two differ only across a host suspend.
// The clock never depends on a host TSC, so it is reported stable (KVM_CLOCK_TSC_STABLE,
// PVCLOCK_TSC_STABLE_BIT), as KVM does with its master clock.
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include <linux/kvm_para.h>
#include "kvm/x86/x86.h"

#define NSEC_PER_SEC 1000000000ull

/* pvclock ABI (arch/x86/include/asm/pvclock-abi.h) */
struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

#define PVCLOCK_TSC_STABLE_BIT	(1 << 0)
#define PVCLOCK_GUEST_STOPPED	(1 << 1)

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void kvm_clock_init(struct kvm *kvm)
{
	kvm->kvmclock_offset = -(int64_t)kvm_host_ns();
}

uint64_t kvm_get_kvmclock_ns(struct kvm *kvm)
{
	return kvm_host_ns() + (uint64_t)atomic_load(&kvm->kvmclock_offset);
}

/* kvm_vm_ioctl_get_clock() */
long kvm_vm_ioctl_get_clock(struct kvm *kvm, void *argp)
{
	struct kvm_clock_data data;

	memset(&data, 0, sizeof(data));
	data.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME;
	data.realtime = realtime_ns();
	data.clock = kvm_get_kvmclock_ns(kvm);
	return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
}

/*
 * kvm_vm_ioctl_set_clock(): any flag KVM_GET_CLOCK can return is accepted so its result
 * can be passed back; only KVM_CLOCK_REALTIME has an effect: the time elapsed since
 * `realtime` is added, and the clock never steps back for it. Guests see the new clock
 * at their next entry (kvm_guest_time_update()).
 */
long kvm_vm_ioctl_set_clock(struct kvm *kvm, void *argp)
{
	struct kvm_clock_data data;

	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	if (data.flags & ~(uint32_t)KVM_CLOCK_VALID_FLAGS)
		return -EINVAL;
	if (data.flags & KVM_CLOCK_REALTIME) {
		uint64_t now_real = realtime_ns();

		if (now_real > data.realtime)
			data.clock += now_real - data.realtime;
	}
	atomic_store(&kvm->kvmclock_offset, (int64_t)(data.clock - kvm_host_ns()));
	return 0;
}

/*
 * Writes `len` bytes to guest-physical `gpa` within one page of writable RAM, marking it
 * dirty. Needs vcpu->slots. Returns false (nothing written) otherwise.
 */
bool kvm_write_guest_page(struct kvm_vcpu *vcpu, uint64_t gpa, const void *data, size_t len)
{
	struct kvm_memory_slot *slot;

	if ((gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE || !vcpu->slots)
		return false;
	slot = kvm_gfn_to_memslot(vcpu->slots, gpa >> PAGE_SHIFT);
	if (!slot || (slot->flags & KVM_MEM_READONLY))
		return false;
	kvm_mark_page_dirty(slot, gpa >> PAGE_SHIFT);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(kvm_slot_hva(slot, gpa >> PAGE_SHIFT) + (gpa & (PAGE_SIZE - 1)), data, len);
	return true;
}

bool kvm_read_guest_page(struct kvm_vcpu *vcpu, uint64_t gpa, void *data, size_t len)
{
	struct kvm_memory_slot *slot;

	if ((gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE || !vcpu->slots)
		return false;
	slot = kvm_gfn_to_memslot(vcpu->slots, gpa >> PAGE_SHIFT);
	if (!slot)
		return false;
	memcpy(data, kvm_slot_hva(slot, gpa >> PAGE_SHIFT) + (gpa & (PAGE_SIZE - 1)), len);
	return true;
}

/*
 * The pvclock scale for a TSC of `hz`: ns = ((tsc << shift), or >> -shift) * mul >> 32,
 * with mul normalised to [2^31, 2^32) for the most precision.
 */
static void time_scale(uint64_t hz, int8_t *shift, uint32_t *mul)
{
	int s = 0;
	unsigned __int128 m;

	for (;;) {
		m = s <= 32 ? ((unsigned __int128)NSEC_PER_SEC << (32 - s)) / hz
			    : ((unsigned __int128)NSEC_PER_SEC >> (s - 32)) / hz;
		if (m >= (1ull << 32))
			s++;
		else if (m < (1ull << 31) && s > -40)
			s--;
		else
			break;
	}
	*shift = (int8_t)s;
	*mul = (uint32_t)m;
}

/*
 * Writes pvclock_vcpu_time_info with the version protocol: odd while the fields change,
 * even after (kvm_setup_guest_pvclock()). TSC and clock come from one host time reading.
 */
void kvm_guest_time_update(struct kvm_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info t;
	uint64_t gpa = vcpu->arch.pv_time & ~1ull, ns;
	uint32_t version;

	if (!(vcpu->arch.pv_time & 1) || !kvm_read_guest_page(vcpu, gpa, &version, sizeof(version)))
		return;
	if (version & 1)
		version++;	/* first write over junk */
	memset(&t, 0, sizeof(t));
	t.version = version + 1;
	if (!kvm_write_guest_page(vcpu, gpa, &t.version, sizeof(t.version)))
		return;
	ns = kvm_host_ns();
	t.tsc_timestamp = kvm_scaled_tsc_at(vcpu, ns) + vcpu->arch.tsc_offset;
	t.system_time = ns + (uint64_t)atomic_load(&vcpu->kvm->kvmclock_offset);
	{
		int8_t shift;
		uint32_t mul;

		time_scale((uint64_t)vcpu->arch.tsc_khz * 1000u, &shift, &mul);
		t.tsc_shift = shift;
		t.tsc_to_system_mul = mul;
	}
	/* KVM uses its master clock, hence the stable bit, only if vCPU 0 runs the new MSRs */
	if (!vcpu->kvm->boot_vcpu_runs_old_kvmclock)
		t.flags |= PVCLOCK_TSC_STABLE_BIT;
	if (vcpu->arch.pv_time_stopped) {
		t.flags |= PVCLOCK_GUEST_STOPPED;
		vcpu->arch.pv_time_stopped = false;
	}
	kvm_write_guest_page(vcpu, gpa, &t, sizeof(t));
	t.version++;
	kvm_write_guest_page(vcpu, gpa, &t.version, sizeof(t.version));
}

/* kvm_write_wall_clock(): the wall-clock time at which kvmclock read 0 */
static void write_wall_clock(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct pvclock_wall_clock wc;
	uint64_t boot = realtime_ns() - kvm_get_kvmclock_ns(vcpu->kvm);
	uint32_t version;

	if (!kvm_read_guest_page(vcpu, gpa, &version, sizeof(version)))
		return;
	if (version & 1)
		version++;
	version++;
	kvm_write_guest_page(vcpu, gpa, &version, sizeof(version));
	wc.version = version;
	wc.sec = (uint32_t)(boot / NSEC_PER_SEC);
	wc.nsec = (uint32_t)(boot % NSEC_PER_SEC);
	kvm_write_guest_page(vcpu, gpa, &wc, sizeof(wc));
	version++;
	kvm_write_guest_page(vcpu, gpa, &version, sizeof(version));
}

/*
 * The feature a kvmclock MSR needs under KVM_CAP_ENFORCE_PV_FEATURE_CPUID, or -1 for
 * other MSRs.
 */
static int pv_msr_feature(uint32_t index)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
		return KVM_FEATURE_CLOCKSOURCE;
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return KVM_FEATURE_CLOCKSOURCE2;
	default:
		return -1;
	}
}

int kvm_pvclock_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated)
{
	int f = pv_msr_feature(index);

	if (f >= 0 && !guest_pv_has(vcpu, f)) {
		/* #GP for the guest; the host reads 0 (KVM_MSR_RET_UNSUPPORTED) */
		*data = 0;
		return host_initiated ? 0 : -1;
	}
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = vcpu->kvm->wall_clock;
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->arch.pv_time;
		return 0;
	default:
		return 1;
	}
}

int kvm_pvclock_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated)
{
	bool pinned = false;
	int f = pv_msr_feature(index);

	if (f >= 0 && !guest_pv_has(vcpu, f))
		return host_initiated && data == 0 ? 0 : -1;	/* the host may write 0 */
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		/* VM-wide; written at once, also for a host-initiated write (KVM does too) */
		vcpu->kvm->wall_clock = data;
		if (!vcpu->slots) {
			vcpu_pin_slots(vcpu);
			pinned = true;
		}
		write_wall_clock(vcpu, data);
		if (pinned)
			vcpu_unpin_slots(vcpu);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		/* kvm_write_system_time(): no validation; bit 0 enables the area at data & ~1 */
		if (vcpu->vcpu_id == 0 && !host_initiated)
			vcpu->kvm->boot_vcpu_runs_old_kvmclock = index == MSR_KVM_SYSTEM_TIME;
		vcpu->arch.pv_time = data;
		if (vcpu->slots)
			kvm_guest_time_update(vcpu);	/* a guest write: visible on return */
		return 0;
	default:
		return 1;
	}
}

/* kvm_set_guest_paused(): EINVAL unless the guest enabled its pvclock */
long kvm_vcpu_ioctl_kvmclock_ctrl(struct kvm_vcpu *vcpu)
{
	if (!(vcpu->arch.pv_time & 1))
		return -EINVAL;
	vcpu->arch.pv_time_stopped = true;
	return 0;
}
