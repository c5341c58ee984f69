// SPDX-License-Identifier: GPL-2.0-only
// The local APIC's state and register helpers, shared by lapic.c (registers, timer, IPIs,
// state) and lapic_pv.c (PV EOI, TPR access reporting, the VAPIC page). Private to them.
#ifndef SWKVM_KVM_X86_LAPIC_INTERNAL_H
#define SWKVM_KVM_X86_LAPIC_INTERNAL_H

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/timer.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/lapic.h"
#include "kvm/x86/x86.h"

#define APIC_VERSION		0x14u
#define LAPIC_MMIO_LENGTH	4096u
#define APIC_BUS_CYCLE_NS	1u	/* KVM's default APIC bus: 1 GHz */
#define MIN_TIMER_PERIOD_NS	200000ull	/* KVM's min_timer_period_us = 200 */
#define APIC_BROADCAST		0xffu
#define X2APIC_BROADCAST	0xffffffffu
#define APIC_DFR_FLAT		0xffffffffu
#define APIC_DFR_CLUSTER	0x0fffffffu
#define APIC_LDR_MASK		(0xffu << 24)
#define APIC_SPIV_DIRECTED_EOI	(1u << 12)
#define APIC_LVR_DIRECTED_EOI	(1u << 24)
#define MCG_CMCI_P		(1ull << 10)
#define X2APIC_ICR_RESERVED	(0xfff00000ull | (3ull << 16) | (1ull << 13))

enum { LVT_TIMER, LVT_THERMAL, LVT_PERFCTR, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_CMCI, NR_LVT };

#define LVT_MASK	(APIC_LVT_MASKED | APIC_ICR_BUSY | APIC_VECTOR_MASK)
#define LINT_MASK	(LVT_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY | APIC_LVT_REMOTE_IRR | \
			 APIC_LVT_LEVEL_TRIGGER)

struct kvm_lapic {
	struct kvm_vcpu *vcpu;
	pthread_mutex_t lock;
	uint8_t regs[KVM_APIC_REG_SIZE] __attribute__((aligned(16)));
	uint64_t base_address;
	bool sw_enabled;
	int nr_lvt_entries;
	uint32_t divide_count;
	uint32_t timer_mode_mask;	/* 1 << 17, plus 2 << 17 with TSC-deadline in CPUID */
	uint32_t timer_mode;
	uint32_t arb_prio;		/* lowest-priority arbitration counter */
	bool lvt0_in_nmi_mode;

	/* timer: changed only with the timer cancelled, except target by its callback */
	struct kvm_timer timer;
	uint64_t period;		/* ns, 0 = not running (one-shot/periodic) */
	_Atomic uint64_t target;	/* CLOCK_MONOTONIC ns of the next expiry */
	uint64_t tscdeadline;
	atomic_int timer_pending;

	/*
	 * PV EOI (vcpu->arch.pv_eoi_msr): the vCPU thread only. highest_isr_cache is KVM's:
	 * the vector just moved to ISR, forgotten at the next EOI; PV EOI is offered for it only.
	 */
	bool pv_eoi_pending;
	int highest_isr_cache;

	/* KVM_TPR_ACCESS_REPORTING and KVM_SET_VAPIC_ADDR (vCPU thread) */
	bool tpr_access_reporting;
	bool tpr_access_hit, tpr_access_write;
	uint64_t vapic_addr;

	/* events for the vCPU thread */
	_Atomic unsigned pending_events;	/* APIC_PENDING_INIT / _SIPI */
	_Atomic uint8_t sipi_vector;
	atomic_uint nmis;
};

/* ---- register helpers ---- */

static inline uint32_t reg_get(const struct kvm_lapic *a, unsigned off)
{
	uint32_t v;

	memcpy(&v, a->regs + off, 4);
	return v;
}

static inline void reg_set(struct kvm_lapic *a, unsigned off, uint32_t v)
{
	memcpy(a->regs + off, &v, 4);
}

static inline unsigned lvt_reg(int i)
{
	return i == LVT_CMCI ? APIC_LVTCMCI : APIC_LVTT + 0x10u * (unsigned)i;
}

static inline bool vec_test(const struct kvm_lapic *a, unsigned base, int vec)
{
	return reg_get(a, base + 0x10u * ((unsigned)vec >> 5)) & (1u << (vec & 31));
}

static inline void vec_set(struct kvm_lapic *a, unsigned base, int vec)
{
	unsigned off = base + 0x10u * ((unsigned)vec >> 5);

	reg_set(a, off, reg_get(a, off) | (1u << (vec & 31)));
}

static inline void vec_clear(struct kvm_lapic *a, unsigned base, int vec)
{
	unsigned off = base + 0x10u * ((unsigned)vec >> 5);

	reg_set(a, off, reg_get(a, off) & ~(1u << (vec & 31)));
}

/* The highest vector set in a 256-bit ISR/TMR/IRR array, or -1. */
static inline int highest_vector(const struct kvm_lapic *a, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t w = reg_get(a, base + 0x10u * (unsigned)i);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

static inline bool hw_enabled(const struct kvm_lapic *a)
{
	return (a->vcpu->apic_base & MSR_IA32_APICBASE_ENABLE) != 0;
}

static inline bool x2apic_mode(const struct kvm_lapic *a)
{
	return (a->vcpu->apic_base & MSR_IA32_APICBASE_EXTD) != 0;
}

static inline bool apic_enabled(const struct kvm_lapic *a)
{
	return a->sw_enabled && hw_enabled(a);
}

static inline bool quirk(const struct kvm_lapic *a, uint64_t q)
{
	return !(a->vcpu->kvm->disabled_quirks & q);
}

static inline struct kvm_lapic *vcpu_apic(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic;
}

/* lapic.c, for lapic_pv.c: PPR from TPR and ISR (lock held); a register write (lock not held) */
uint32_t lapic_update_ppr(struct kvm_lapic *a);
int lapic_reg_write(struct kvm_lapic *a, unsigned reg, uint32_t val);

#endif
