// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor local APIC: xAPIC MMIO and x2APIC MSRs, priorities (TPR/PPR/ISR/IRR),
// EOI, LVTs, the timer (one-shot, periodic, TSC-deadline), IPIs and INIT/SIPI.
//
// Behaviour follows Intel SDM Vol.3 chapter 11 ("Advanced Programmable Interrupt
// Controller") as KVM's arch/x86/kvm/lapic.c models it (APIC version 0x14, a 1 GHz APIC
// bus, the quirks KVM enables by default).
//
// Locking: each APIC has one mutex protecting its registers; no code path holds two APIC
// locks, and nothing calls into another chip (IOAPIC EOI, IPI delivery) with one held.
// The timer callback takes no lock at all: it only marks the timer pending and kicks.
#include "kvm/x86/lapic_internal.h"

/* Writable bits of each LVT (the timer's mode bits are added per guest CPUID). */
static const uint32_t lvt_mask[NR_LVT] = {
	[LVT_TIMER] = LVT_MASK,
	[LVT_THERMAL] = LVT_MASK | APIC_MODE_MASK,
	[LVT_PERFCTR] = LVT_MASK | APIC_MODE_MASK,
	[LVT_LINT0] = LINT_MASK,
	[LVT_LINT1] = LINT_MASK,
	[LVT_ERROR] = LVT_MASK,
	[LVT_CMCI] = LVT_MASK | APIC_MODE_MASK,
};

/* ---- IDs and modes ---- */

static uint32_t xapic_id(const struct kvm_lapic *a)
{
	return reg_get(a, APIC_ID) >> 24;
}

static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static void set_x2apic_id(struct kvm_lapic *a)
{
	uint32_t id = (uint32_t)a->vcpu->vcpu_id;

	reg_set(a, APIC_ID, id);
	reg_set(a, APIC_LDR, x2apic_ldr(id));
}

static void set_version(struct kvm_lapic *a)
{
	/*
	 * Directed EOI is offered only without an in-hypervisor IOAPIC (split irqchip),
	 * as KVM does: the 82093AA it models has no EOI register.
	 */
	reg_set(a, APIC_LVR, APIC_VERSION | ((uint32_t)(a->nr_lvt_entries - 1) << 16));
}

static void update_timer_mode_mask(struct kvm_lapic *a)
{
	/* CPUID.01H:ECX[24] TSC-deadline */
	a->timer_mode_mask = guest_cpuid_has(a->vcpu, 1, CPUID_ECX, 24) ? (3u << 17) : (1u << 17);
}

/* ---- priorities (SDM Vol.3 §11.8.3.1) ---- */

static uint32_t compute_ppr(const struct kvm_lapic *a)
{
	uint32_t tpr = reg_get(a, APIC_TASKPRI);
	int isr = highest_vector(a, APIC_ISR);
	uint32_t isrv = isr < 0 ? 0 : (uint32_t)isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? (tpr & 0xff) : (isrv & 0xf0);
}

uint32_t lapic_update_ppr(struct kvm_lapic *a)
{
	uint32_t ppr = compute_ppr(a);

	reg_set(a, APIC_PROCPRI, ppr);
	return ppr;
}

static int has_interrupt_for_ppr(const struct kvm_lapic *a, uint32_t ppr)
{
	int irr = highest_vector(a, APIC_IRR);

	if (irr < 0 || (uint32_t)(irr & 0xf0) <= ppr)
		return -1;
	return irr;
}

/* ---- accepting interrupts (__apic_accept_irq) ---- */

static void inject_nmi(struct kvm_lapic *a)
{
	atomic_fetch_add(&a->nmis, 1);
	kvm_vcpu_kick(a->vcpu);
}

/* Called with a->lock held. Returns 1 when accepted, 0 when discarded. */
static int accept_irq_locked(struct kvm_lapic *a, int mode, int vector, bool level, bool trig)
{
	switch (mode) {
	case APIC_DM_LOWEST:
		a->arb_prio++;
		/* fallthrough */
	case APIC_DM_FIXED:
		if (trig && !level)
			return 0;
		if (!apic_enabled(a))
			return 0;
		if (trig)
			vec_set(a, APIC_TMR, vector);
		else
			vec_clear(a, APIC_TMR, vector);
		vec_set(a, APIC_IRR, vector);
		kvm_vcpu_kick(a->vcpu);
		return 1;
	case APIC_DM_REMRD:
		/* KVM_HC_KICK_CPU's wake-up: a halted vCPU becomes runnable */
		a->vcpu->arch.pv_unhalted = true;
		kvm_vcpu_kick(a->vcpu);
		return 1;
	case APIC_DM_SMI:
		/* kvm_inject_smi(): taken by the vCPU at its next entry (x86/smm.c) */
		atomic_fetch_or(&a->pending_events, APIC_PENDING_SMI);
		kvm_vcpu_kick(a->vcpu);
		return 1;
	case APIC_DM_NMI:
		inject_nmi(a);
		return 1;
	case APIC_DM_INIT:
		if (trig && !level)
			return 0;	/* INIT level de-assert: ignored */
		/* an INIT discards a pending SIPI (pending_events = INIT only); an SMI stays */
		atomic_store(&a->pending_events, APIC_PENDING_INIT |
				(atomic_load(&a->pending_events) & APIC_PENDING_SMI));
		kvm_vcpu_kick(a->vcpu);
		return 1;
	case APIC_DM_STARTUP:
		atomic_store(&a->sipi_vector, (uint8_t)vector);
		atomic_fetch_or(&a->pending_events, APIC_PENDING_SIPI);
		kvm_vcpu_kick(a->vcpu);
		return 1;
	default:
		/* ExtINT reaches the CPU through kvm_apic_accept_pic_intr() instead */
		return 0;
	}
}

static int accept_irq(struct kvm_lapic *a, const struct kvm_lapic_irq *irq)
{
	int r;

	pthread_mutex_lock(&a->lock);
	r = accept_irq_locked(a, irq->delivery_mode, (int)irq->vector, irq->level, irq->trig_mode);
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* kvm_apic_local_deliver(): an LVT entry fires. Called with a->lock held. */
static int local_deliver_locked(struct kvm_lapic *a, unsigned lvt)
{
	uint32_t reg = reg_get(a, lvt);
	int r;

	if (!hw_enabled(a) || (reg & APIC_LVT_MASKED))
		return 0;
	r = accept_irq_locked(a, reg & APIC_MODE_MASK, reg & APIC_VECTOR_MASK, true,
			      (reg & APIC_LVT_LEVEL_TRIGGER) != 0);
	/* Intel: a delivered performance-counter interrupt masks LVTPC (SDM §20.6.3.5.8) */
	if (r && lvt == APIC_LVTPC)
		reg_set(a, APIC_LVTPC, reg | APIC_LVT_MASKED);
	return r;
}

/* ---- destination matching (kvm_apic_match_dest) ---- */

static bool match_physical(const struct kvm_lapic *a, uint32_t mda)
{
	if (mda == (x2apic_mode(a) ? X2APIC_BROADCAST : APIC_BROADCAST))
		return true;
	if (x2apic_mode(a) || mda > 0xff)
		return mda == (uint32_t)a->vcpu->vcpu_id;
	return mda == xapic_id(a);
}

static bool match_logical(const struct kvm_lapic *a, uint32_t mda)
{
	uint32_t ldr;

	if (mda == (x2apic_mode(a) ? X2APIC_BROADCAST : APIC_BROADCAST))
		return true;
	ldr = reg_get(a, APIC_LDR);
	if (x2apic_mode(a))
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff) != 0;
	ldr >>= 24;
	switch (reg_get(a, APIC_DFR)) {
	case APIC_DFR_FLAT:
		return (ldr & mda) != 0;
	case APIC_DFR_CLUSTER:
		return (ldr >> 4) == (mda >> 4) && (ldr & mda & 0xf) != 0;
	default:
		return false;
	}
}

static bool match_dest(struct kvm_lapic *target, struct kvm_lapic *src, const struct kvm_lapic_irq *irq)
{
	uint32_t mda = irq->dest_id;
	bool r;

	switch (irq->shorthand) {
	case APIC_DEST_SELF:
		return target == src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != src;
	case 0:
		break;
	default:
		return false;
	}
	pthread_mutex_lock(&target->lock);
	/*
	 * kvm_apic_mda(): without interrupt remapping, a non-IPI message to 0xff is a
	 * broadcast for x2APIC targets too.
	 */
	if (!src && mda == APIC_BROADCAST && x2apic_mode(target))
		mda = X2APIC_BROADCAST;
	r = irq->dest_mode ? match_logical(target, mda) : match_physical(target, mda);
	pthread_mutex_unlock(&target->lock);
	return r;
}

static bool lowest_prio(const struct kvm_lapic_irq *irq)
{
	return irq->delivery_mode == APIC_DM_LOWEST || irq->msi_redir_hint;
}

/*
 * __kvm_irq_delivery_to_apic(): every present (hardware-enabled) LAPIC that matches
 * takes a fixed/NMI/INIT/SIPI message; a lowest-priority one goes to one of the
 * software-enabled matches, chosen by vector hashing as KVM does (vector modulo the
 * number of candidates).
 */
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src, struct kvm_lapic_irq *irq)
{
	struct kvm_lapic *cand[SWKVM_MAX_VCPUS];
	int n = kvm_nr_vcpus(kvm), ncand = 0, r = -1;

	if (irq->shorthand == APIC_DEST_SELF)
		return src ? accept_irq(src, irq) : 0;
	if (!irq->dest_mode && irq->dest_id == 0xff && lowest_prio(irq))
		irq->delivery_mode = APIC_DM_FIXED;	/* "phys broadcast and lowest prio" */
	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *v = kvm_get_vcpu(kvm, i);
		struct kvm_lapic *a = v ? vcpu_apic(v) : NULL;

		if (!a || !hw_enabled(a) || !match_dest(a, src, irq))
			continue;
		if (!lowest_prio(irq)) {
			if (r < 0)
				r = 0;
			r += accept_irq(a, irq);
		} else if (a->sw_enabled) {
			cand[ncand++] = a;
		}
	}
	if (ncand)
		r = accept_irq(cand[irq->vector % (unsigned)ncand], irq);
	return r;
}

/* ---- PV IPIs and kicks (Documentation/virt/kvm/x86/hypercalls.rst) ---- */

/* The APIC whose physical ID is `id` among the present ones (KVM's phys_map), or NULL. */
static struct kvm_lapic *find_phys(struct kvm *kvm, uint32_t id)
{
	int n = kvm_nr_vcpus(kvm);

	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *v = kvm_get_vcpu(kvm, i);
		struct kvm_lapic *a = v ? vcpu_apic(v) : NULL;
		uint32_t phys;

		if (!a || !hw_enabled(a))
			continue;
		pthread_mutex_lock(&a->lock);
		phys = x2apic_mode(a) ? (uint32_t)v->vcpu_id : xapic_id(a);
		pthread_mutex_unlock(&a->lock);
		if (phys == id)
			return a;
	}
	return NULL;
}

/* max_apic_id of KVM's map: at least 255, else the highest x2APIC ID (= vCPU ID) */
static uint32_t max_apic_id(struct kvm *kvm)
{
	uint32_t m = 255;
	int n = kvm_nr_vcpus(kvm);

	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *v = kvm_get_vcpu(kvm, i);

		if (v && vcpu_apic(v) && hw_enabled(vcpu_apic(v)) && (uint32_t)v->vcpu_id > m)
			m = (uint32_t)v->vcpu_id;
	}
	return m;
}

/* __pv_send_ipi(): never looks at IDs beyond the map, whatever `min` is */
static int pv_send_half(struct kvm *kvm, uint64_t bitmap, uint32_t min, uint32_t max_id,
			const struct kvm_lapic_irq *irq)
{
	unsigned nbits;
	int count = 0;

	if (min > max_id)
		return 0;
	nbits = max_id - min + 1 < 64 ? max_id - min + 1 : 64;
	for (unsigned i = 0; i < nbits; i++) {
		struct kvm_lapic *a;

		if (!(bitmap >> i & 1))
			continue;
		a = find_phys(kvm, min + i);
		if (a)
			count += accept_irq(a, irq);
	}
	return count;
}

long kvm_pv_send_ipi(struct kvm *kvm, uint64_t lo, uint64_t hi, uint32_t min, uint64_t icr, bool op64)
{
	struct kvm_lapic_irq irq = { 0 };
	uint32_t max_id;
	long count;

	if (!irqchip_in_kernel(kvm))
		return -95;	/* no APIC map: -KVM_EOPNOTSUPP */
	if (icr & (APIC_DEST_LOGICAL | APIC_SHORT_MASK))
		return -22;	/* -KVM_EINVAL */
	irq.vector = icr & APIC_VECTOR_MASK;
	irq.delivery_mode = icr & APIC_MODE_MASK;
	irq.level = (icr & APIC_INT_ASSERT) != 0;
	irq.trig_mode = (icr & APIC_INT_LEVELTRIG) ? 1 : 0;
	max_id = max_apic_id(kvm);
	count = pv_send_half(kvm, lo, min, max_id, &irq);
	min += op64 ? 64 : 32;	/* u32 arithmetic, as KVM's: it may wrap */
	count += pv_send_half(kvm, hi, min, max_id, &irq);
	return count;
}

/* kvm_pv_kick_cpu_op(): a "remote read" message that only wakes the target from HLT */
void kvm_pv_kick_cpu(struct kvm *kvm, uint32_t apic_id)
{
	struct kvm_lapic_irq irq = { .delivery_mode = APIC_DM_REMRD, .dest_id = apic_id };

	if (irqchip_in_kernel(kvm))
		kvm_irq_delivery_to_apic(kvm, NULL, &irq);
}

/* ---- EOI ---- */

/* apic_set_eoi(): with a->lock held; returns the vector and whether it was level. */
static int set_eoi_locked(struct kvm_lapic *a, bool *level)
{
	int vector = highest_vector(a, APIC_ISR);

	/* An EOI with nothing in service is harmless (Linux does it in setup_IO_APIC) */
	if (vector < 0)
		return -1;
	vec_clear(a, APIC_ISR, vector);
	a->highest_isr_cache = -1;
	lapic_update_ppr(a);
	*level = vec_test(a, APIC_TMR, vector);
	return vector;
}

/* The EOI broadcast to the IOAPIC (remote IRR), outside the APIC lock. */
static void send_eoi(struct kvm_lapic *a, int vector, bool level)
{
	if (vector >= 0 && a->vcpu->kvm->vioapic)
		kvm_ioapic_update_eoi(a->vcpu->kvm, vector, level);
}

/* ---- the timer (SDM Vol.3 §11.5.4) ---- */

static void update_divide_count(struct kvm_lapic *a)
{
	uint32_t tdcr = reg_get(a, APIC_TDCR) & 0xf;
	uint32_t shift = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	a->divide_count = 1u << (shift & 7);	/* 0b1011 = divide by 1 */
}

static bool lvtt_oneshot(const struct kvm_lapic *a) { return a->timer_mode == APIC_LVT_TIMER_ONESHOT; }
static bool lvtt_period(const struct kvm_lapic *a) { return a->timer_mode == APIC_LVT_TIMER_PERIODIC; }
static bool lvtt_tscdeadline(const struct kvm_lapic *a) { return a->timer_mode == APIC_LVT_TIMER_TSCDEADLINE; }

static uint64_t tmict_to_ns(const struct kvm_lapic *a, uint32_t count)
{
	return (uint64_t)count * APIC_BUS_CYCLE_NS * a->divide_count;
}

static uint64_t ns_to_tsc(struct kvm_lapic *a, uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * kvm_guest_tsc_khz(a->vcpu) / 1000000u);
}

static void timer_expired(struct kvm_lapic *a)
{
	if (atomic_load(&a->timer_pending))
		return;
	atomic_store(&a->timer_pending, 1);
	kvm_vcpu_kick(a->vcpu);
}

/* apic_timer_fn(): on the VM's timer thread. No locks: see the file comment. */
static uint64_t apic_timer_fn(struct kvm_timer *t, uint64_t now)
{
	struct kvm_lapic *a = (struct kvm_lapic *)((char *)t - offsetof(struct kvm_lapic, timer));
	uint64_t target;

	timer_expired(a);
	if (!lvtt_period(a) || !a->period)
		return 0;
	/* advance_periodic_target_expiration(): no catch-up for missed periods */
	target = atomic_load(&a->target) + a->period;
	if (target < now)
		target = now;
	atomic_store(&a->target, target);
	return target;
}

static void cancel_timer(struct kvm_lapic *a)
{
	kvm_timer_cancel(&a->timer);
	atomic_store(&a->timer_pending, 0);
}

static void limit_period(struct kvm_lapic *a)
{
	if (lvtt_period(a) && a->period && a->period < MIN_TIMER_PERIOD_NS)
		a->period = MIN_TIMER_PERIOD_NS;
}

/* set_target_expiration(): count_reg is TMICT, or TMCCT when restoring a state. */
static bool set_target(struct kvm_lapic *a, unsigned count_reg)
{
	uint64_t now = kvm_clock_ns(), deadline;

	a->period = tmict_to_ns(a, reg_get(a, APIC_TMICT));
	if (!a->period) {
		a->tscdeadline = 0;
		return false;
	}
	limit_period(a);
	deadline = a->period;
	if (count_reg != APIC_TMICT) {
		deadline = tmict_to_ns(a, reg_get(a, count_reg));
		if (!deadline)
			deadline = lvtt_period(a) ? a->period : 0;
		else if (deadline > a->period)
			deadline = a->period;
	}
	a->tscdeadline = kvm_read_guest_tsc(a->vcpu) + ns_to_tsc(a, deadline);
	atomic_store(&a->target, now + deadline);
	return true;
}

static void start_sw_timer(struct kvm_lapic *a)
{
	uint64_t now = kvm_clock_ns();

	if (!lvtt_period(a) && atomic_load(&a->timer_pending))
		return;
	if (lvtt_period(a) || lvtt_oneshot(a)) {
		uint64_t target = atomic_load(&a->target);

		if (!a->period)
			return;
		if (now > target) {
			timer_expired(a);
			if (lvtt_oneshot(a))
				return;
			target += a->period;
			if (target < now)
				target = now;
			atomic_store(&a->target, target);
		}
		kvm_timer_start(&a->timer, target);
	} else if (lvtt_tscdeadline(a)) {
		uint64_t guest_tsc = kvm_read_guest_tsc(a->vcpu), khz = kvm_guest_tsc_khz(a->vcpu);

		if (!a->tscdeadline || !khz)
			return;
		if (a->tscdeadline > guest_tsc) {
			uint64_t ns = (uint64_t)((unsigned __int128)(a->tscdeadline - guest_tsc) *
						 1000000u / khz);

			atomic_store(&a->target, now + ns);
			kvm_timer_start(&a->timer, now + ns);
		} else {
			timer_expired(a);
		}
	}
}

static void start_timer(struct kvm_lapic *a, unsigned count_reg)
{
	atomic_store(&a->timer_pending, 0);
	if ((lvtt_period(a) || lvtt_oneshot(a)) && !set_target(a, count_reg))
		return;
	start_sw_timer(a);
}

/* apic_update_lvtt(): switching to or from TSC-deadline mode stops the timer. */
static void update_lvtt(struct kvm_lapic *a)
{
	uint32_t mode = reg_get(a, APIC_LVTT) & a->timer_mode_mask;

	if (a->timer_mode == mode)
		return;
	if ((a->timer_mode == APIC_LVT_TIMER_TSCDEADLINE) != (mode == APIC_LVT_TIMER_TSCDEADLINE)) {
		cancel_timer(a);
		reg_set(a, APIC_TMICT, 0);
		a->period = 0;
		a->tscdeadline = 0;
	}
	a->timer_mode = mode;
	limit_period(a);
}

static uint32_t get_tmcct(struct kvm_lapic *a)
{
	uint64_t now, target;

	if (!reg_get(a, APIC_TMICT) || !a->period)
		return 0;
	now = kvm_clock_ns();
	target = atomic_load(&a->target);
	if (target <= now)
		return 0;
	return (uint32_t)(((target - now) % a->period) / ((uint64_t)APIC_BUS_CYCLE_NS * a->divide_count));
}

/* ---- register reads and writes ---- */

#define REG_BIT(r) (1ull << ((r) >> 4))

static uint64_t readable_mask(const struct kvm_lapic *a)
{
	uint64_t m = REG_BIT(APIC_ID) | REG_BIT(APIC_LVR) | REG_BIT(APIC_TASKPRI) |
		     REG_BIT(APIC_PROCPRI) | REG_BIT(APIC_LDR) | REG_BIT(APIC_SPIV) |
		     (0xffull << (APIC_ISR >> 4)) | (0xffull << (APIC_TMR >> 4)) |
		     (0xffull << (APIC_IRR >> 4)) | REG_BIT(APIC_ESR) | REG_BIT(APIC_ICR) |
		     REG_BIT(APIC_LVTT) | REG_BIT(APIC_LVTTHMR) | REG_BIT(APIC_LVTPC) |
		     REG_BIT(APIC_LVT0) | REG_BIT(APIC_LVT1) | REG_BIT(APIC_LVTERR) |
		     REG_BIT(APIC_TMICT) | REG_BIT(APIC_TMCCT) | REG_BIT(APIC_TDCR);

	if (a->nr_lvt_entries > LVT_CMCI)
		m |= REG_BIT(APIC_LVTCMCI);
	if (!x2apic_mode(a))	/* ARBPRI, DFR and ICR2 do not exist in x2APIC mode */
		m |= REG_BIT(APIC_ARBPRI) | REG_BIT(APIC_DFR) | REG_BIT(APIC_ICR2);
	return m;
}

/* kvm_lapic_reg_read(): 1 for an unreadable register or a bad access. a->lock held. */
static int reg_read_locked(struct kvm_lapic *a, unsigned off, int len, void *data)
{
	unsigned align = off & 0xf;
	uint32_t v;

	if (align + (unsigned)len > 4)
		return 1;
	if (off > 0x3f0 || !(readable_mask(a) & REG_BIT(off)))
		return 1;
	off &= ~0xfu;
	if (off == APIC_TASKPRI && a->tpr_access_reporting) {
		a->tpr_access_hit = true;	/* report_tpr_access() */
		a->tpr_access_write = false;
	}
	switch (off) {
	case APIC_ARBPRI:
		v = 0;	/* KVM does not model arbitration priority */
		break;
	case APIC_TMCCT:
		v = lvtt_tscdeadline(a) ? 0 : get_tmcct(a);
		break;
	case APIC_PROCPRI:
		v = lapic_update_ppr(a);
		break;
	default:
		v = reg_get(a, off);
		break;
	}
	if (len == 1 || len == 2 || len == 4)
		memcpy(data, (uint8_t *)&v + align, (size_t)len);
	return 0;
}

/* Work a register write leaves for after the lock is dropped. */
struct after_write {
	bool ipi;
	struct kvm_lapic_irq irq;
	int eoi_vector;
	bool eoi_level;
};

static void icr_to_irq(const struct kvm_lapic *a, uint32_t lo, uint32_t hi, struct kvm_lapic_irq *irq)
{
	irq->vector = lo & APIC_VECTOR_MASK;
	irq->delivery_mode = lo & APIC_MODE_MASK;
	irq->dest_mode = lo & APIC_DEST_LOGICAL;
	irq->level = (lo & APIC_INT_ASSERT) != 0;
	irq->trig_mode = (lo & APIC_INT_LEVELTRIG) ? 1 : 0;
	irq->shorthand = lo & APIC_SHORT_MASK;
	irq->msi_redir_hint = false;
	irq->dest_id = x2apic_mode(a) ? hi : hi >> 24;
}

static void set_spiv(struct kvm_lapic *a, uint32_t val)
{
	reg_set(a, APIC_SPIV, val);
	a->sw_enabled = (val & APIC_SPIV_APIC_ENABLED) != 0;
}

static void apic_manage_nmi_watchdog(struct kvm_lapic *a, uint32_t lvt0)
{
	bool nmi_mode = (lvt0 & (APIC_MODE_MASK | APIC_LVT_MASKED)) == APIC_DM_NMI;

	if (a->lvt0_in_nmi_mode != nmi_mode) {
		a->lvt0_in_nmi_mode = nmi_mode;
		atomic_fetch_add(&a->vcpu->kvm->vapics_in_nmi_mode, nmi_mode ? 1 : -1);
	}
}

static int lvt_index(unsigned reg)
{
	if (reg == APIC_LVTCMCI)
		return LVT_CMCI;
	if (reg < APIC_LVTT || reg > APIC_LVTERR)
		return -1;
	return (int)((reg - APIC_LVTT) >> 4);
}

/* kvm_lapic_reg_write(): 1 = the access is invalid (x2APIC: #GP). a->lock held. */
static int reg_write_locked(struct kvm_lapic *a, unsigned reg, uint32_t val, struct after_write *aw)
{
	switch (reg) {
	case APIC_ID:
		if (x2apic_mode(a))
			return 1;
		reg_set(a, APIC_ID, (val >> 24) << 24);
		return 0;
	case APIC_TASKPRI:
		if (a->tpr_access_reporting) {
			a->tpr_access_hit = true;
			a->tpr_access_write = true;
		}
		reg_set(a, APIC_TASKPRI, val & 0xff);
		lapic_update_ppr(a);
		return 0;
	case APIC_EOI:
		aw->eoi_vector = set_eoi_locked(a, &aw->eoi_level);
		return 0;
	case APIC_LDR:
		if (x2apic_mode(a))
			return 1;
		reg_set(a, APIC_LDR, val & APIC_LDR_MASK);
		return 0;
	case APIC_DFR:
		if (x2apic_mode(a))
			return 1;
		reg_set(a, APIC_DFR, val | 0x0fffffff);
		return 0;
	case APIC_SPIV: {
		uint32_t mask = 0x3ff;

		if (reg_get(a, APIC_LVR) & APIC_LVR_DIRECTED_EOI)
			mask |= APIC_SPIV_DIRECTED_EOI;
		set_spiv(a, val & mask);
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			/* SDM §11.4.7.2: software disable masks every LVT */
			for (int i = 0; i < a->nr_lvt_entries; i++)
				reg_set(a, lvt_reg(i), reg_get(a, lvt_reg(i)) | APIC_LVT_MASKED);
			update_lvtt(a);
			atomic_store(&a->timer_pending, 0);
		}
		return 0;
	}
	case APIC_ICR:
		/* xAPIC: delivery is instantaneous, so the busy bit always reads 0 */
		val &= ~APIC_ICR_BUSY;
		icr_to_irq(a, val, reg_get(a, APIC_ICR2), &aw->irq);
		aw->ipi = true;
		reg_set(a, APIC_ICR, val);
		return 0;
	case APIC_ICR2:
		if (x2apic_mode(a))
			return 1;
		reg_set(a, APIC_ICR2, val & 0xff000000u);
		return 0;
	case APIC_LVT0:
		apic_manage_nmi_watchdog(a, val);
		/* fallthrough */
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_LVTCMCI: {
		int i = lvt_index(reg);

		if (i < 0 || i >= a->nr_lvt_entries)
			return 1;
		if (!a->sw_enabled)
			val |= APIC_LVT_MASKED;
		reg_set(a, reg, val & lvt_mask[i]);
		return 0;
	}
	case APIC_LVTT:
		if (!a->sw_enabled)
			val |= APIC_LVT_MASKED;
		reg_set(a, APIC_LVTT, val & (lvt_mask[LVT_TIMER] | a->timer_mode_mask));
		update_lvtt(a);
		return 0;
	case APIC_TMICT:
		if (lvtt_tscdeadline(a))
			return 0;
		cancel_timer(a);
		reg_set(a, APIC_TMICT, val);
		start_timer(a, APIC_TMICT);
		return 0;
	case APIC_TDCR: {
		uint32_t old = a->divide_count;

		uint64_t now = kvm_clock_ns(), target = atomic_load(&a->target);

		reg_set(a, APIC_TDCR, val & 0xb);
		update_divide_count(a);
		/*
		 * update_target_expiration(): the remaining time scales with the divider.
		 * A one-shot count that already reached 0 stays there (SDM §11.5.4); KVM
		 * re-fires it here, which no hardware does.
		 */
		if (a->divide_count != old && a->period && (lvtt_period(a) || target > now)) {
			uint64_t rem = target > now ? target - now : 0;

			kvm_timer_cancel(&a->timer);
			a->period = tmict_to_ns(a, reg_get(a, APIC_TMICT));
			limit_period(a);
			rem = (uint64_t)((unsigned __int128)rem * a->divide_count / old);
			a->tscdeadline = kvm_read_guest_tsc(a->vcpu) + ns_to_tsc(a, rem);
			atomic_store(&a->target, now + rem);
			start_sw_timer(a);
		}
		return 0;
	}
	case APIC_ESR:
		/* xAPIC: a write re-arms the error status; no error source is modelled */
		if (x2apic_mode(a) && val)
			return 1;
		return 0;
	case APIC_SELF_IPI:
		if (!x2apic_mode(a) || (val & ~APIC_VECTOR_MASK))
			return 1;
		icr_to_irq(a, APIC_DEST_SELF | val, 0, &aw->irq);
		aw->ipi = true;
		return 0;
	default:
		return 1;
	}
}

static void after_write(struct kvm_lapic *a, struct after_write *aw)
{
	if (aw->ipi)
		kvm_irq_delivery_to_apic(a->vcpu->kvm, a, &aw->irq);
	send_eoi(a, aw->eoi_vector, aw->eoi_level);
}

int lapic_reg_write(struct kvm_lapic *a, unsigned reg, uint32_t val)
{
	struct after_write aw = { .eoi_vector = -1 };
	int r;

	pthread_mutex_lock(&a->lock);
	r = reg_write_locked(a, reg, val, &aw);
	pthread_mutex_unlock(&a->lock);
	after_write(a, &aw);
	return r;
}

/* ---- the xAPIC MMIO page ---- */

static bool mmio_in_range(const struct kvm_lapic *a, uint64_t gpa)
{
	return gpa >= a->base_address && gpa < a->base_address + LAPIC_MMIO_LENGTH;
}

int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, int len, void *val)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a || !mmio_in_range(a, gpa))
		return -EOPNOTSUPP;
	memset(val, 0, (size_t)len);
	if (!hw_enabled(a) || x2apic_mode(a)) {
		/* KVM_X86_QUIRK_LAPIC_MMIO_HOLE: the page reads as all ones */
		if (!quirk(a, KVM_X86_QUIRK_LAPIC_MMIO_HOLE))
			return -EOPNOTSUPP;
		memset(val, 0xff, (size_t)len);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	reg_read_locked(a, (unsigned)(gpa - a->base_address), len, val);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, int len, const void *val)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	unsigned off;
	uint32_t v;

	if (!a || !mmio_in_range(a, gpa))
		return -EOPNOTSUPP;
	if (!hw_enabled(a) || x2apic_mode(a))
		return quirk(a, KVM_X86_QUIRK_LAPIC_MMIO_HOLE) ? 0 : -EOPNOTSUPP;
	off = (unsigned)(gpa - a->base_address);
	/* SDM §11.4.1: registers are 128-bit aligned and accessed as 32 bits; others are dropped */
	if (len != 4 || (off & 0xf))
		return 0;
	memcpy(&v, val, 4);
	lapic_reg_write(a, off & 0xff0, v);
	return 0;
}

/* ---- x2APIC MSRs (SDM Vol.3 §11.12.1) ---- */

int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	unsigned reg = (msr - APIC_BASE_MSR) << 4;
	uint32_t lo = 0;
	int r;

	if (!a || !x2apic_mode(a))
		return 1;
	pthread_mutex_lock(&a->lock);
	if (reg == APIC_ICR) {
		*data = reg_get(a, APIC_ICR) | (uint64_t)reg_get(a, APIC_ICR2) << 32;
		r = 0;
	} else {
		r = reg_read_locked(a, reg, 4, &lo);
		*data = lo;
	}
	pthread_mutex_unlock(&a->lock);
	return r;
}

int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	unsigned reg = (msr - APIC_BASE_MSR) << 4;

	if (!a || !x2apic_mode(a))
		return 1;
	if (reg == APIC_ICR) {
		/* one 64-bit register; the destination is the full high half */
		struct after_write aw = { .eoi_vector = -1, .ipi = true };

		if (data & X2APIC_ICR_RESERVED)
			return 1;
		data &= ~(uint64_t)APIC_ICR_BUSY;
		pthread_mutex_lock(&a->lock);
		icr_to_irq(a, (uint32_t)data, (uint32_t)(data >> 32), &aw.irq);
		reg_set(a, APIC_ICR, (uint32_t)data);
		reg_set(a, APIC_ICR2, (uint32_t)(data >> 32));
		pthread_mutex_unlock(&a->lock);
		after_write(a, &aw);
		return 0;
	}
	if (data >> 32)
		return 1;
	return lapic_reg_write(a, reg, (uint32_t)data);
}

/* ---- TSC deadline MSR ---- */

uint64_t kvm_get_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint64_t v = 0;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	if (hw_enabled(a) && lvtt_tscdeadline(a))
		v = a->tscdeadline;
	pthread_mutex_unlock(&a->lock);
	return v;
}

void kvm_set_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu, uint64_t data)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	/* SDM §11.5.4.1: writes are ignored outside TSC-deadline mode */
	if (hw_enabled(a) && lvtt_tscdeadline(a)) {
		kvm_timer_cancel(&a->timer);
		a->tscdeadline = data;
		start_timer(a, APIC_TMICT);
	}
	pthread_mutex_unlock(&a->lock);
}

/* ---- TPR and CR8 ---- */

void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, uint64_t cr8)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	pthread_mutex_lock(&a->lock);
	reg_set(a, APIC_TASKPRI, (uint32_t)(cr8 & 0xf) << 4);
	lapic_update_ppr(a);
	pthread_mutex_unlock(&a->lock);
}

uint64_t kvm_lapic_get_cr8(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint64_t v;

	pthread_mutex_lock(&a->lock);
	v = (reg_get(a, APIC_TASKPRI) & 0xf0) >> 4;
	pthread_mutex_unlock(&a->lock);
	return v;
}

unsigned kvm_lapic_tpr_threshold(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	int irr, isr;
	unsigned r = 0;

	pthread_mutex_lock(&a->lock);
	irr = highest_vector(a, APIC_IRR);
	isr = highest_vector(a, APIC_ISR);
	/* deliverable but for TPR: above the in-service class, at or below TPR's */
	if (apic_enabled(a) && irr >= 0 && (isr < 0 || (irr & 0xf0) > (isr & 0xf0)) &&
	    has_interrupt_for_ppr(a, compute_ppr(a)) < 0)
		r = (unsigned)irr >> 4;
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* ---- the vCPU side of interrupt acceptance (irq.h) ---- */

int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	int r;

	if (!a || !hw_enabled(a))
		return -1;
	pthread_mutex_lock(&a->lock);
	r = has_interrupt_for_ppr(a, lapic_update_ppr(a));
	pthread_mutex_unlock(&a->lock);
	return r;
}

int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	int vector;

	if (!a || !hw_enabled(a))
		return -1;
	pthread_mutex_lock(&a->lock);
	vector = has_interrupt_for_ppr(a, lapic_update_ppr(a));
	if (vector >= 0) {
		/* kvm_apic_ack_interrupt(): IRR -> ISR, PPR rises (SDM §11.8.4) */
		vec_clear(a, APIC_IRR, vector);
		vec_set(a, APIC_ISR, vector);
		a->highest_isr_cache = vector;
		lapic_update_ppr(a);
	}
	pthread_mutex_unlock(&a->lock);
	return vector;
}

bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint32_t lvt0;

	if (!a)
		return false;
	if (!hw_enabled(a))
		return true;
	pthread_mutex_lock(&a->lock);
	lvt0 = reg_get(a, APIC_LVT0);
	pthread_mutex_unlock(&a->lock);
	return !(lvt0 & APIC_LVT_MASKED) && (lvt0 & APIC_MODE_MASK) == APIC_DM_EXTINT;
}

unsigned kvm_apic_take_pending_events(struct kvm_vcpu *vcpu, uint8_t *sipi_vector, unsigned *nmis,
				      bool init_sipi_allowed)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	unsigned ev;

	*nmis = 0;
	if (!a)
		return 0;
	*nmis = atomic_exchange(&a->nmis, 0);
	if (init_sipi_allowed)
		ev = atomic_exchange(&a->pending_events, 0);
	else
		ev = atomic_fetch_and(&a->pending_events, APIC_PENDING_INIT) & APIC_PENDING_SMI;
	*sipi_vector = atomic_load(&a->sipi_vector);
	return ev;
}

bool kvm_apic_init_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	return a && (atomic_load(&a->pending_events) & APIC_PENDING_INIT);
}

void kvm_apic_set_init_pending(struct kvm_vcpu *vcpu, bool pending)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a)
		return;
	if (pending)
		atomic_fetch_or(&a->pending_events, APIC_PENDING_INIT);
	else
		atomic_fetch_and(&a->pending_events, ~APIC_PENDING_INIT);
}

void kvm_apic_latch_sipi(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (a)
		atomic_fetch_or(&a->pending_events, APIC_PENDING_SIPI);
}

bool kvm_apic_has_pending_init_or_sipi(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	return a && ((atomic_load(&a->pending_events) & (APIC_PENDING_INIT | APIC_PENDING_SIPI)) ||
		     atomic_load(&a->nmis));
}

void kvm_apic_nmi_wd_deliver(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	local_deliver_locked(a, APIC_LVT0);
	pthread_mutex_unlock(&a->lock);
}

bool kvm_lapic_timer_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	return a && atomic_load(&a->timer_pending);
}

/*
 * The deadline has passed but the timer thread has not run the callback yet (a busy
 * host): expire it here, so that a guest that sees the count at 0 also sees the
 * interrupt. Periodic timers are re-armed for their next period.
 */
static void catch_up_timer(struct kvm_lapic *a)
{
	uint64_t target = atomic_load(&a->target);

	if (!target || atomic_load(&a->timer_pending) || kvm_clock_ns() < target)
		return;
	pthread_mutex_lock(&a->lock);
	if (kvm_timer_pending(&a->timer) && kvm_clock_ns() >= atomic_load(&a->target)) {
		kvm_timer_cancel(&a->timer);	/* the callback takes no lock: no deadlock */
		if (!atomic_load(&a->timer_pending)) {
			timer_expired(a);
			if (lvtt_period(a) && a->period) {
				uint64_t now = kvm_clock_ns(), t = atomic_load(&a->target) + a->period;

				atomic_store(&a->target, t < now ? now : t);
			}
		}
		if (lvtt_period(a) && a->period)
			kvm_timer_start(&a->timer, atomic_load(&a->target));
	}
	pthread_mutex_unlock(&a->lock);
}

void kvm_inject_apic_timer_irqs(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a)
		return;
	catch_up_timer(a);
	if (!atomic_load(&a->timer_pending))
		return;
	pthread_mutex_lock(&a->lock);
	local_deliver_locked(a, APIC_LVTT);
	if (lvtt_tscdeadline(a)) {
		a->tscdeadline = 0;
		atomic_store(&a->target, 0);
	} else if (lvtt_oneshot(a)) {
		a->tscdeadline = 0;
		atomic_store(&a->target, 0);
	}
	atomic_store(&a->timer_pending, 0);
	pthread_mutex_unlock(&a->lock);
}

/* ---- IA32_APIC_BASE (SDM Vol.3 §11.4.4, §11.12.5) ---- */

enum { MODE_DISABLED = 0, MODE_INVALID = 1, MODE_XAPIC = 2, MODE_X2APIC = 3 };

static int apic_mode(uint64_t base)
{
	return (int)((base >> 10) & 3);	/* EN is bit 11, EXTD bit 10 */
}

static void set_base_locked(struct kvm_vcpu *vcpu, uint64_t value)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint64_t old = vcpu->apic_base;

	vcpu->apic_base = value;
	if (!a)
		return;
	if ((old ^ value) & MSR_IA32_APICBASE_ENABLE) {
		if (value & MSR_IA32_APICBASE_ENABLE)
			reg_set(a, APIC_ID, (uint32_t)vcpu->vcpu_id << 24);
	}
	if ((old ^ value) & MSR_IA32_APICBASE_EXTD) {
		if (value & MSR_IA32_APICBASE_EXTD)
			set_x2apic_id(a);
		else if (value & MSR_IA32_APICBASE_ENABLE)
			reg_set(a, APIC_ID, (uint32_t)vcpu->vcpu_id << 24);
	}
	a->base_address = value & ~0xfffull & ((1ull << 52) - 1);
}

int kvm_apic_set_base(struct kvm_vcpu *vcpu, uint64_t value, bool host_initiated)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	int old_mode = apic_mode(vcpu->apic_base), new_mode = apic_mode(value);

	if (vcpu->apic_base == value)
		return 0;
	if (kvm_apic_base_invalid(vcpu, value) || new_mode == MODE_INVALID)
		return 1;
	/* SDM Figure 11-27: x2APIC -> xAPIC and disabled -> x2APIC need a reset/another step */
	if (!host_initiated && ((old_mode == MODE_X2APIC && new_mode == MODE_XAPIC) ||
				(old_mode == MODE_DISABLED && new_mode == MODE_X2APIC)))
		return 1;
	if (a)
		pthread_mutex_lock(&a->lock);
	set_base_locked(vcpu, value);
	if (a)
		pthread_mutex_unlock(&a->lock);
	return 0;
}

/* ---- create, reset, state ---- */

int kvm_create_lapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->vcpu = vcpu;
	pthread_mutex_init(&a->lock, NULL);
	a->nr_lvt_entries = NR_LVT - !(vcpu->arch.mcg_cap & MCG_CMCI_P);
	kvm_timer_init(vcpu->kvm, &a->timer, apic_timer_fn);
	a->timer_mode_mask = 1u << 17;
	vcpu->arch.apic = a;
	return 0;
}

void kvm_free_lapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a)
		return;
	kvm_timer_cancel(&a->timer);
	if (a->lvt0_in_nmi_mode)
		atomic_fetch_sub(&vcpu->kvm->vapics_in_nmi_mode, 1);
	pthread_mutex_destroy(&a->lock);
	free(a);
	vcpu->arch.apic = NULL;
}

void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	bool bsp = vcpu->vcpu_id == vcpu->kvm->bsp_vcpu_id;

	if (!a) {
		if (!init_event)
			vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
					  (bsp ? MSR_IA32_APICBASE_BSP : 0);
		return;
	}
	kvm_timer_cancel(&a->timer);
	pthread_mutex_lock(&a->lock);
	if (!init_event)
		set_base_locked(vcpu, APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
				      (bsp ? MSR_IA32_APICBASE_BSP : 0));
	/* The xAPIC ID is set at RESET even if the APIC was enabled already. */
	if (!init_event)
		reg_set(a, APIC_ID, (uint32_t)vcpu->vcpu_id << 24);
	set_version(a);
	update_timer_mode_mask(a);
	for (int i = 0; i < a->nr_lvt_entries; i++)
		reg_set(a, lvt_reg(i), APIC_LVT_MASKED);
	update_lvtt(a);
	/* KVM_X86_QUIRK_LINT0_REENABLED: the BSP's LINT0 starts as unmasked ExtINT */
	if (bsp && quirk(a, KVM_X86_QUIRK_LINT0_REENABLED))
		reg_set(a, APIC_LVT0, APIC_DM_EXTINT);
	apic_manage_nmi_watchdog(a, reg_get(a, APIC_LVT0));
	reg_set(a, APIC_DFR, 0xffffffffu);
	set_spiv(a, 0xff);
	reg_set(a, APIC_TASKPRI, 0);
	if (!x2apic_mode(a))
		reg_set(a, APIC_LDR, 0);
	reg_set(a, APIC_ESR, 0);
	reg_set(a, APIC_ICR, 0);
	reg_set(a, APIC_ICR2, 0);
	reg_set(a, APIC_TDCR, 0);
	reg_set(a, APIC_TMICT, 0);
	for (int i = 0; i < 8; i++) {
		reg_set(a, APIC_IRR + 0x10u * (unsigned)i, 0);
		reg_set(a, APIC_ISR + 0x10u * (unsigned)i, 0);
		reg_set(a, APIC_TMR + 0x10u * (unsigned)i, 0);
	}
	update_divide_count(a);
	a->period = 0;
	a->tscdeadline = 0;
	atomic_store(&a->timer_pending, 0);
	lapic_update_ppr(a);
	a->arb_prio = 0;
	vcpu->arch.pv_eoi_msr = 0;
	a->pv_eoi_pending = false;
	a->tpr_access_hit = false;
	a->highest_isr_cache = -1;
	pthread_mutex_unlock(&a->lock);
}

/*
 * KVM_GET_LAPIC: the register page with TMCCT computed; in x2APIC mode the ID reads
 * in the xAPIC position (id << 24), as KVM does without KVM_X2APIC_API_USE_32BIT_IDS.
 */
int kvm_apic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint32_t v;

	pthread_mutex_lock(&a->lock);
	memcpy(s->regs, a->regs, sizeof(s->regs));
	v = lvtt_tscdeadline(a) ? 0 : get_tmcct(a);
	memcpy(s->regs + APIC_TMCCT, &v, 4);
	if (x2apic_mode(a)) {
		v = (uint32_t)vcpu->vcpu_id << 24;
		memcpy(s->regs + APIC_ID, &v, 4);
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

int kvm_apic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	uint32_t spiv;

	kvm_timer_cancel(&a->timer);
	pthread_mutex_lock(&a->lock);
	memcpy(&spiv, s->regs + APIC_SPIV, 4);
	set_spiv(a, spiv);
	if (x2apic_mode(a)) {
		/* the x2APIC ID is read-only, the LDR derived from it (kvm_apic_state_fixup) */
		uint32_t id = (uint32_t)vcpu->vcpu_id, ldr = x2apic_ldr(id);

		memcpy(s->regs + APIC_ID, &id, 4);
		memcpy(s->regs + APIC_LDR, &ldr, 4);
	}
	memcpy(a->regs, s->regs, sizeof(a->regs));
	a->highest_isr_cache = -1;
	set_version(a);
	lapic_update_ppr(a);
	atomic_store(&a->timer_pending, 0);
	a->tscdeadline = 0;
	a->timer_mode = reg_get(a, APIC_LVTT) & a->timer_mode_mask;
	apic_manage_nmi_watchdog(a, reg_get(a, APIC_LVT0));
	update_divide_count(a);
	start_timer(a, APIC_TMCCT);
	reg_set(a, APIC_TMCCT, 0);
	a->arb_prio = 0;
	pthread_mutex_unlock(&a->lock);
	kvm_vcpu_kick(vcpu);
	return 0;
}

/* The guest CPUID changed: the LVT timer modes it may use follow TSC-deadline. */
void kvm_lapic_after_set_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	update_timer_mode_mask(a);
	pthread_mutex_unlock(&a->lock);
}

/* KVM_X86_SETUP_MCE with MCG_CMCI_P adds the CMCI LVT (kvm_apic_after_set_mcg_cap). */
void kvm_apic_after_set_mcg_cap(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *a = vcpu_apic(vcpu);
	int n;

	if (!a)
		return;
	n = NR_LVT - !(vcpu->arch.mcg_cap & MCG_CMCI_P);
	pthread_mutex_lock(&a->lock);
	for (int i = a->nr_lvt_entries; i < n; i++)
		reg_set(a, lvt_reg(i), APIC_LVT_MASKED);
	a->nr_lvt_entries = n;
	set_version(a);
	pthread_mutex_unlock(&a->lock);
}
