// SPDX-License-Identifier: GPL-2.0-only
// Per-VM and per-vCPU statistics counters (names follow KVM's x86 stats).
#ifndef SWKVM_KVM_STATS_H
#define SWKVM_KVM_STATS_H

#include <stdint.h>

/* Every exit site bumps one of these; KVM_GET_STATS_FD exposes them later. */
struct kvm_vcpu_stat {
	uint64_t exits;
	uint64_t io_exits;
	uint64_t mmio_exits;
	uint64_t halt_exits;
	uint64_t signal_exits;
	uint64_t request_irq_exits;
	uint64_t irq_exits;
	uint64_t insn_emulation_fail;
	uint64_t cpuid_exits;
	uint64_t msr_exits;
};

struct kvm_vm_stat {
	uint64_t remote_tlb_flush;
	uint64_t memslot_updates;
};

#endif
