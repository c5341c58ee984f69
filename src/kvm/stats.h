// SPDX-License-Identifier: GPL-2.0-only
// Per-VM and per-vCPU statistics, exposed in KVM's binary stats format (KVM_GET_STATS_FD).
#ifndef SWKVM_KVM_STATS_H
#define SWKVM_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every field is a u64 counter named as in KVM (arch/x86/kvm/x86.c). The struct is the
 * data block of the stats file itself, so readers see live values. Add a field and its
 * descriptor (stats.c) together; every counter must be bumped by real code.
 */
struct kvm_vcpu_stat {
	uint64_t exits;
	uint64_t io_exits;
	uint64_t mmio_exits;
	uint64_t signal_exits;
	uint64_t halt_exits;
	uint64_t halt_wakeup;
	uint64_t halt_wait_ns;		/* time spent blocked in HLT or waiting for SIPI */
	uint64_t blocking;		/* instant, boolean: the vCPU is blocked now */
	uint64_t irq_window_exits;
	uint64_t nmi_window_exits;
	uint64_t irq_exits;		/* kicks: another thread wanted the vCPU's attention */
	uint64_t req_event;
	uint64_t pf_guest;
	uint64_t invlpg;
	uint64_t tlb_flush;
	uint64_t insn_emulation_fail;
	uint64_t request_irq_exits;
	uint64_t irq_injections;
	uint64_t nmi_injections;
	uint64_t hypercalls;
	/* not in KVM: */
	uint64_t cpuid_exits;
	uint64_t msr_exits;
};

struct kvm_vm_stat {
	uint64_t remote_tlb_flush;
	uint64_t remote_tlb_flush_requests;
	uint64_t memslot_updates;	/* not in KVM */
};

struct kvm_stats_file {
	int fd;			/* the memfd holding header, id, descriptors and data */
	void *map;
	size_t map_size;
};

/* Builds the stats file; *data points at the live data block inside it. */
int kvm_stats_create_vm(struct kvm_stats_file *f, struct kvm_vm_stat **data);
int kvm_stats_create_vcpu(struct kvm_stats_file *f, int vcpu_id, struct kvm_vcpu_stat **data);
void kvm_stats_destroy(struct kvm_stats_file *f);
/* KVM_GET_STATS_FD: a new read-only, close-on-exec descriptor on the stats file. */
int kvm_stats_get_fd(struct kvm_stats_file *f);

#endif
