// SPDX-License-Identifier: GPL-2.0-only
// PV MSRs besides kvmclock (Documentation/virt/kvm/x86/msr.rst): steal time, poll
// control, PV EOI (with lapic.c), and the async page fault MSRs.
//
// Async PF is accepted and validated as KVM does, but never fires: swkvm never makes a
// vCPU wait for a host page, so there is nothing to report (and the features are not
// advertised in the PV leaf).
//
// Steal time is what KVM reports: the time the vCPU's host thread was runnable but not
// running, the scheduler's run_delay (here from /proc/thread-self/schedstat, the same
// counter KVM reads from current->sched_info), added to the guest's `steal` field at
// every entry with the version protocol.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/lapic.h"
#include "kvm/x86/x86.h"

/* struct kvm_steal_time (64 bytes): steal at 0, version at 8, preempted at 16 */
#define ST_STEAL	0
#define ST_VERSION	8
#define ST_PREEMPTED	16
/* 64-byte-aligned GPA | enable: bits 5:1 reserved (KVM_STEAL_RESERVED_MASK) */
#define ST_RESERVED	0x3eull

/* The calling thread's run delay in ns, or false if the kernel has no schedstat. */
static bool thread_run_delay(struct kvm_vcpu *vcpu, uint64_t *delay)
{
	char buf[96];
	unsigned long long run, wait;
	int tid = (int)gettid();
	ssize_t n;

	if (vcpu->arch.st_tid != tid) {
		if (vcpu->arch.st_fd >= 0)
			close(vcpu->arch.st_fd);
		vcpu->arch.st_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
		vcpu->arch.st_tid = vcpu->arch.st_fd >= 0 ? tid : 0;
		if (vcpu->arch.st_fd < 0)
			return false;
	}
	n = pread(vcpu->arch.st_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return false;
	*delay = wait;
	return true;
}

void kvm_pv_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.st_fd >= 0)
		close(vcpu->arch.st_fd);
	vcpu->arch.st_fd = -1;
}

/* record_steal_time() */
void kvm_record_steal_time(struct kvm_vcpu *vcpu)
{
	uint64_t gpa = vcpu->arch.st_msr & ~63ull, steal, delay;
	uint32_t version;
	uint8_t preempted = 0;

	if (!(vcpu->arch.st_msr & 1) || !thread_run_delay(vcpu, &delay))
		return;
	if (!kvm_read_guest_page(vcpu, gpa + ST_VERSION, &version, sizeof(version)))
		return;
	kvm_write_guest_page(vcpu, gpa + ST_PREEMPTED, &preempted, 1);
	if (version & 1)
		version++;	/* first write over junk */
	version++;
	kvm_write_guest_page(vcpu, gpa + ST_VERSION, &version, sizeof(version));
	kvm_read_guest_page(vcpu, gpa + ST_STEAL, &steal, sizeof(steal));
	steal += delay - vcpu->arch.st_last;
	vcpu->arch.st_last = delay;
	kvm_write_guest_page(vcpu, gpa + ST_STEAL, &steal, sizeof(steal));
	version++;
	kvm_write_guest_page(vcpu, gpa + ST_VERSION, &version, sizeof(version));
}

int kvm_pv_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated)
{
	int f = index == MSR_KVM_STEAL_TIME ? KVM_FEATURE_STEAL_TIME :
		index == MSR_KVM_POLL_CONTROL ? KVM_FEATURE_POLL_CONTROL :
		index == MSR_KVM_PV_EOI_EN ? KVM_FEATURE_PV_EOI :
		index == MSR_KVM_ASYNC_PF_EN ? KVM_FEATURE_ASYNC_PF :
		index == MSR_KVM_ASYNC_PF_INT || index == MSR_KVM_ASYNC_PF_ACK ? KVM_FEATURE_ASYNC_PF_INT : -1;

	if (f < 0)
		return 1;
	if (!guest_pv_has(vcpu, f)) {
		*data = 0;
		return host_initiated ? 0 : -1;
	}
	switch (index) {
	case MSR_KVM_STEAL_TIME: *data = vcpu->arch.st_msr; break;
	case MSR_KVM_PV_EOI_EN: *data = vcpu->arch.pv_eoi_msr; break;
	case MSR_KVM_ASYNC_PF_EN: *data = vcpu->arch.apf_en; break;
	case MSR_KVM_ASYNC_PF_INT: *data = vcpu->arch.apf_int; break;
	case MSR_KVM_ASYNC_PF_ACK: *data = 0; break;
	default: *data = vcpu->arch.poll_control; break;
	}
	return 0;
}

int kvm_pv_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated)
{
	uint64_t delay;

	switch (index) {
	case MSR_KVM_STEAL_TIME:
		if (!guest_pv_has(vcpu, KVM_FEATURE_STEAL_TIME))
			return host_initiated && !data ? 0 : -1;
		/* no schedstat (KVM: !sched_info_on()) or a reserved bit: #GP */
		if ((data & ST_RESERVED) || !thread_run_delay(vcpu, &delay))
			return -1;
		if ((data & 1) && !(vcpu->arch.st_msr & 1))
			vcpu->arch.st_last = delay;	/* steal counts from enabling */
		vcpu->arch.st_msr = data;
		if ((data & 1) && vcpu->slots)
			kvm_record_steal_time(vcpu);
		return 0;
	case MSR_KVM_PV_EOI_EN:
		if (!guest_pv_has(vcpu, KVM_FEATURE_PV_EOI))
			return host_initiated && !data ? 0 : -1;
		/* a 4-byte-aligned GPA (bit 1 reserved) in guest RAM; used with the in-kernel LAPIC */
		return kvm_lapic_set_pv_eoi(vcpu, data) ? -1 : 0;
	case MSR_KVM_ASYNC_PF_EN:
		/* kvm_pv_enable_async_pf() */
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF))
			return host_initiated && !data ? 0 : -1;
		if (data & 0x30)		/* bits 5:4 reserved */
			return -1;
		if ((data & KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT) && !guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_VMEXIT))
			return -1;
		if ((data & KVM_ASYNC_PF_DELIVERY_AS_INT) && !guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return -1;
		if (!vcpu->arch.apic)
			return data ? -1 : 0;
		if ((data & (KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT)) ==
		    (KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT)) {
			/* the 64-byte area must be guest RAM (kvm_gfn_to_hva_cache_init()) */
			struct kvm_memslots *s = atomic_load(&vcpu->kvm->memslots[0]);

			if (!kvm_gfn_to_memslot(s, (data & ~0x3full) >> PAGE_SHIFT))
				return -1;
		}
		vcpu->arch.apf_en = data;
		return 0;
	case MSR_KVM_ASYNC_PF_INT:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return host_initiated && !data ? 0 : -1;
		if (data >> 8)			/* only the vector */
			return -1;
		vcpu->arch.apf_int = data;
		return 0;
	case MSR_KVM_ASYNC_PF_ACK:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return host_initiated && !data ? 0 : -1;
		return 0;	/* no page-ready event is ever pending */
	case MSR_KVM_POLL_CONTROL:
		if (!guest_pv_has(vcpu, KVM_FEATURE_POLL_CONTROL))
			return host_initiated && !data ? 0 : -1;
		if (data & ~1ull)	/* only the enable bit exists */
			return -1;
		vcpu->arch.poll_control = data;
		return 0;
	default:
		return 1;
	}
}
