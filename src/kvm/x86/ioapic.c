// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor IOAPIC: an 82093AA-style I/O APIC (version 0x11, 24 pins) as KVM's
// arch/x86/kvm/ioapic.c models it: IOREGSEL/IOWIN at 0x00/0x10 of the page at
// 0xfec00000, edge and level triggering with remote IRR cleared by the LAPICs' EOI
// broadcast, per-source line state so several sources share a pin, polarity ignored
// (KVM_CAP_IOAPIC_POLARITY_IGNORED: callers pass the logical level).
//
// Locking: one mutex; it may be held while delivering to LAPICs (ioapic -> lapic), and
// the LAPIC calls kvm_ioapic_update_eoi() without holding its own lock.
#include <stdlib.h>
#include <string.h>

#include "kvm/iobus.h"
#include "kvm/kvm_host.h"
#include "kvm/timer.h"
#include "kvm/x86/ioapic.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/lapic.h"

#define IOAPIC_DEFAULT_BASE	0xfec00000ull
#define IOAPIC_MEM_LENGTH	0x100
#define IOAPIC_VERSION_ID	0x11
#define IOREGSEL		0x00
#define IOWIN			0x10
#define REG_ID			0x00
#define REG_VERSION		0x01
#define REG_ARB_ID		0x02
/* kvm_ioapic_update_eoi_one(): an interrupt storm is slowed down after this many EOIs */
#define IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT	10000
#define EOI_INJECT_DELAY_NS	10000000ull	/* HZ / 100 */

/* redirection entry fields (82093AA §3.2.4) */
#define RTE_VECTOR(e)		((uint32_t)(e) & 0xff)
#define RTE_DELIVERY(e)		(((uint32_t)(e) >> 8) & 7)
#define RTE_DEST_LOGICAL	(1ull << 11)
#define RTE_DELIVERY_STATUS	(1ull << 12)
#define RTE_REMOTE_IRR		(1ull << 14)
#define RTE_LEVEL		(1ull << 15)
#define RTE_MASK		(1ull << 16)
#define RTE_DEST(e)		((uint32_t)((e) >> 56))

struct kvm_ioapic {
	struct kvm_io_device dev;	/* first: the bus hands us this pointer */
	struct kvm *kvm;
	pthread_mutex_t lock;
	uint64_t base_address;
	uint32_t ioregsel;
	uint32_t id;
	uint32_t irr;			/* pins whose (logical) line is asserted */
	uint32_t irr_delivered;		/* edge pins delivered since they were raised */
	uint64_t redirtbl[KVM_IOAPIC_NUM_PINS];
	unsigned long irq_states[KVM_IOAPIC_NUM_PINS];	/* bit per irq_source_id */
	uint32_t irq_eoi[KVM_IOAPIC_NUM_PINS];	/* EOIs in a row that found the pin asserted */
	struct kvm_timer eoi_inject;		/* the delayed re-delivery after a storm */
};

/* ioapic_service(): deliver pin `irq` if unmasked and not waiting for an EOI */
static int service(struct kvm_ioapic *s, int irq)
{
	uint64_t *e = &s->redirtbl[irq];
	struct kvm_lapic_irq m;
	int r;

	if ((*e & RTE_MASK) || ((*e & RTE_LEVEL) && (*e & RTE_REMOTE_IRR)))
		return -1;
	memset(&m, 0, sizeof(m));
	m.vector = RTE_VECTOR(*e);
	m.delivery_mode = (uint16_t)(RTE_DELIVERY(*e) << 8);
	m.dest_mode = (*e & RTE_DEST_LOGICAL) ? APIC_DEST_LOGICAL : 0;
	m.trig_mode = (*e & RTE_LEVEL) ? 1 : 0;
	m.level = true;
	m.dest_id = RTE_DEST(*e);
	if (!m.trig_mode)
		s->irr_delivered |= 1u << irq;
	r = kvm_irq_delivery_to_apic(s->kvm, NULL, &m);
	if (r > 0 && m.trig_mode)
		*e |= RTE_REMOTE_IRR;
	return r;
}

/* ioapic_set_irq(): >0 delivered, 0 coalesced (edge already pending), <0 masked/blocked */
static int set_irq_locked(struct kvm_ioapic *s, int irq, bool level)
{
	uint32_t mask = 1u << irq, old;

	if (!level) {
		s->irr &= ~mask;
		return 1;
	}
	old = s->irr;
	s->irr |= mask;
	if (!(s->redirtbl[irq] & RTE_LEVEL)) {
		s->irr_delivered &= ~mask;
		if (old == s->irr)
			return 0;	/* an edge needs the line to go low first */
	}
	return service(s, irq);
}

int kvm_ioapic_set_irq(struct kvm_ioapic *s, int irq, int irq_source_id, int level, bool line_status)
{
	int r;

	if (irq < 0 || irq >= KVM_IOAPIC_NUM_PINS)
		return -1;
	pthread_mutex_lock(&s->lock);
	/* __kvm_irq_line_state(): the pin is the OR of its sources */
	if (level)
		s->irq_states[irq] |= 1ul << irq_source_id;
	else
		s->irq_states[irq] &= ~(1ul << irq_source_id);
	r = set_irq_locked(s, irq, s->irq_states[irq] != 0);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void kvm_ioapic_clear_all(struct kvm_ioapic *s, int irq_source_id)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		s->irq_states[i] &= ~(1ul << irq_source_id);
	pthread_mutex_unlock(&s->lock);
}

/*
 * kvm_ioapic_update_eoi(): a LAPIC EOI of `vector`. Every pin programmed with that
 * vector runs its ack notifiers (a resampling irqfd lowers its line and signals the
 * resamplefd), for edge-triggered EOIs too: KVM broadcasts those for pins that have
 * a notifier. Only a level-triggered EOI then clears remote IRR and re-delivers a pin
 * whose line is still asserted (kvm_ioapic_update_eoi_one()). The LAPIC skips the
 * broadcast itself when directed EOI is on.
 * Real hardware does not re-deliver at the instant of the EOI broadcast; KVM (and
 * swkvm) re-deliver at once, except that the 10,000th EOI in a row that finds a pin
 * still asserted defers it by 10 ms, so a guest that never quiets its device still
 * makes progress (IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT, kvm_ioapic_eoi_inject_work()).
 */
void kvm_ioapic_update_eoi(struct kvm *kvm, int vector, int trigger_mode)
{
	struct kvm_ioapic *s = kvm->vioapic;
	uint32_t pins = 0;
	bool defer = false;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (RTE_VECTOR(s->redirtbl[i]) == (uint32_t)vector)
			pins |= 1u << i;
	pthread_mutex_unlock(&s->lock);
	/*
	 * Ack notifiers run before remote IRR is cleared and without our lock, as in
	 * kvm_ioapic_update_eoi_one(): a resampling irqfd lowers its line here, so the
	 * pin is not re-delivered for a device that no longer asserts it. Edge pins with
	 * the vector are acknowledged too (KVM forwards those EOIs when the pin has a
	 * notifier): the PIT's reinjection counts them.
	 */
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (pins & (1u << i))
			kvm_notify_acked_irq(kvm, KVM_IRQCHIP_IOAPIC, (uint32_t)i);
	if (!trigger_mode)
		return;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		uint64_t *e = &s->redirtbl[i];

		/* the entry may have been reprogrammed while the lock was dropped */
		if (!(pins & (1u << i)) || RTE_VECTOR(*e) != (uint32_t)vector)
			continue;
		*e &= ~RTE_REMOTE_IRR;
		if (!(*e & RTE_MASK) && (s->irr & (1u << i))) {
			if (++s->irq_eoi[i] == IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT) {
				s->irq_eoi[i] = 0;
				defer = true;
			} else {
				service(s, i);
			}
		} else {
			s->irq_eoi[i] = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
	/* armed outside our lock: the timer service may take the VM lock to start */
	if (defer && !kvm_timer_pending(&s->eoi_inject))
		kvm_timer_start(&s->eoi_inject, kvm_clock_ns() + EOI_INJECT_DELAY_NS);
}

/* kvm_ioapic_eoi_inject_work(): every asserted level pin not waiting for an EOI fires */
static uint64_t eoi_inject_fn(struct kvm_timer *t, uint64_t now_ns)
{
	struct kvm_ioapic *s = t->kvm->vioapic;

	(void)now_ns;
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if ((s->redirtbl[i] & RTE_LEVEL) && (s->irr & (1u << i)) &&
		    !(s->redirtbl[i] & RTE_REMOTE_IRR))
			service(s, i);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static uint32_t read_indirect(struct kvm_ioapic *s)
{
	unsigned idx;
	uint64_t e;

	switch (s->ioregsel) {
	case REG_VERSION:
		return ((KVM_IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION_ID;
	case REG_ID:
	case REG_ARB_ID:
		return (s->id & 0xf) << 24;
	default:
		idx = (s->ioregsel - 0x10) >> 1;
		e = idx < KVM_IOAPIC_NUM_PINS && s->ioregsel >= 0x10 ? s->redirtbl[idx] : ~0ull;
		return (s->ioregsel & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
}

/* Returns a level pin that became deliverable with its IRR set (see mmio_write()), or -1. */
/* a level pin whose IRR is set, unmasked and not waiting for an EOI */
static bool pending_level_pin(const struct kvm_ioapic *s, int i)
{
	uint64_t e = s->redirtbl[i];

	return (e & RTE_LEVEL) && (s->irr & (1u << i)) && !(e & RTE_MASK) && !(e & RTE_REMOTE_IRR);
}

static int write_indirect(struct kvm_ioapic *s, uint32_t val)
{
	unsigned idx;
	uint64_t *e, keep;

	switch (s->ioregsel) {
	case REG_VERSION:
	case REG_ARB_ID:
		return -1;	/* read-only */
	case REG_ID:
		s->id = (val >> 24) & 0xf;
		return -1;
	default:
		if (s->ioregsel < 0x10)
			return -1;
		idx = (s->ioregsel - 0x10) >> 1;
		if (idx >= KVM_IOAPIC_NUM_PINS)
			return -1;
		e = &s->redirtbl[idx];
		keep = *e & (RTE_REMOTE_IRR | RTE_DELIVERY_STATUS);	/* read-only bits */
		if (s->ioregsel & 1)
			*e = (*e & 0xffffffffull) | (uint64_t)val << 32;
		else
			*e = (*e & ~0xffffffffull) | val;
		*e = (*e & ~(RTE_REMOTE_IRR | RTE_DELIVERY_STATUS)) | keep;
		/* Linux and Xen expect remote IRR to clear when an entry becomes edge-triggered */
		if (!(*e & RTE_LEVEL))
			*e &= ~RTE_REMOTE_IRR;
		/* an asserted level-triggered pin fires as soon as it may: see mmio_write() */
		if (pending_level_pin(s, (int)idx))
			return (int)idx;
		return -1;
	}
}

static bool in_range(const struct kvm_ioapic *s, uint64_t addr)
{
	return addr >= s->base_address && addr < s->base_address + IOAPIC_MEM_LENGTH;
}

static int mmio_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len, void *val)
{
	struct kvm_ioapic *s = (struct kvm_ioapic *)dev;
	uint64_t r;

	if (!in_range(s, addr))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&s->lock);
	switch (addr & 0xff) {
	case IOREGSEL:
		r = s->ioregsel;
		break;
	case IOWIN:
		r = read_indirect(s);
		break;
	default:
		r = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	memset(val, 0, (size_t)len);
	memcpy(val, &r, len > 8 ? 8 : (size_t)len);
	return 0;
}

static int mmio_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
		      const void *val)
{
	struct kvm_ioapic *s = (struct kvm_ioapic *)dev;
	uint32_t data;
	bool resampled, masked = false;
	int pin = -1, mask_pin = -1;

	if (!in_range(s, addr))
		return -EOPNOTSUPP;
	/* ioapic_mmio_write(): 1- and 2-byte writes are zero-extended, 8 uses the low half */
	switch (len) {
	case 1:
		data = *(const uint8_t *)val;
		break;
	case 2: {
		uint16_t w;

		memcpy(&w, val, 2);
		data = w;
		break;
	}
	case 4:
	case 8:
		memcpy(&data, val, 4);
		break;
	default:
		return 0;	/* KVM ignores other sizes */
	}
	pthread_mutex_lock(&s->lock);
	switch (addr & 0xff) {
	case IOREGSEL:
		s->ioregsel = data & 0xff;
		break;
	case IOWIN: {
		/* ioapic_write_indirect(): a mask bit that changes fires the mask notifiers */
		unsigned idx = (s->ioregsel - 0x10) >> 1;
		bool rte = s->ioregsel >= 0x10 && !(s->ioregsel & 1) && idx < KVM_IOAPIC_NUM_PINS;
		bool was = rte && (s->redirtbl[idx] & RTE_MASK);

		pin = write_indirect(s, data);
		if (rte && was != !!(s->redirtbl[idx] & RTE_MASK)) {
			mask_pin = (int)idx;
			masked = !was;
		}
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&s->lock);
	if (mask_pin >= 0)
		kvm_fire_mask_notifiers(s->kvm, KVM_IRQCHIP_IOAPIC, (uint32_t)mask_pin, masked);
	if (pin < 0)
		return 0;
	/*
	 * ioapic_write_indirect(): the IRR of a level pin that was masked may be stale (a
	 * Linux oneshot handler quiets its device after the EOI, before unmasking). With a
	 * resampling irqfd behind the pin, KVM drops the IRR and signals the resamplefd
	 * instead of delivering; the VMM re-raises the line if the device still wants
	 * service. Otherwise the pin is delivered now. swkvm asks the irqfds outside the
	 * IOAPIC lock (they raise lines under their own) and re-checks the pin after.
	 */
	resampled = kvm_notify_irqfd_resampler(s->kvm, KVM_IRQCHIP_IOAPIC, (uint32_t)pin);
	pthread_mutex_lock(&s->lock);
	if (pending_level_pin(s, pin)) {
		if (resampled)
			s->irr &= ~(1u << pin);
		else
			service(s, pin);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static const struct kvm_io_device_ops ioapic_ops = { .read = mmio_read, .write = mmio_write };

/* kvm_ioapic_reset(): every pin masked, everything else 0 */
static void reset(struct kvm_ioapic *s)
{
	s->base_address = IOAPIC_DEFAULT_BASE;
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		s->redirtbl[i] = RTE_MASK;
	s->ioregsel = 0;
	s->irr = s->irr_delivered = 0;
	s->id = 0;
	memset(s->irq_eoi, 0, sizeof(s->irq_eoi));
}

int kvm_ioapic_init(struct kvm *kvm)
{
	struct kvm_ioapic *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->dev.ops = &ioapic_ops;
	s->kvm = kvm;
	pthread_mutex_init(&s->lock, NULL);
	kvm_timer_init(kvm, &s->eoi_inject, eoi_inject_fn);
	reset(s);
	r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS, s->base_address, IOAPIC_MEM_LENGTH, &s->dev);
	if (r) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return r;
	}
	kvm->vioapic = s;
	return 0;
}

void kvm_ioapic_destroy(struct kvm *kvm)
{
	struct kvm_ioapic *s = kvm->vioapic;

	if (!s)
		return;
	kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &s->dev);
	kvm_timer_cancel(&s->eoi_inject);
	kvm->vioapic = NULL;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* kvm_get_ioapic(): an edge already delivered does not show as pending */
void kvm_ioapic_get_state(struct kvm_ioapic *s, struct kvm_ioapic_state *st)
{
	pthread_mutex_lock(&s->lock);
	memset(st, 0, sizeof(*st));
	st->base_address = s->base_address;
	st->ioregsel = s->ioregsel;
	st->id = s->id;
	st->irr = s->irr & ~s->irr_delivered;
	memcpy(st->redirtbl, s->redirtbl, sizeof(s->redirtbl));
	pthread_mutex_unlock(&s->lock);
}

/* kvm_set_ioapic(): the restored IRR is injected again (kvm_ioapic_inject_all()) */
void kvm_ioapic_set_state(struct kvm_ioapic *s, const struct kvm_ioapic_state *st)
{
	pthread_mutex_lock(&s->lock);
	s->base_address = st->base_address;
	s->ioregsel = st->ioregsel;
	s->id = st->id;
	memcpy(s->redirtbl, st->redirtbl, sizeof(s->redirtbl));
	s->irr = s->irr_delivered = 0;
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (st->irr & (1u << i))
			set_irq_locked(s, i, true);
	pthread_mutex_unlock(&s->lock);
}
