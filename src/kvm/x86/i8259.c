// SPDX-License-Identifier: GPL-2.0-only
// Two cascaded 8259A PICs as KVM's arch/x86/kvm/i8259.c models them (Intel 8259A data
// sheet): master at 0x20/0x21, slave at 0xa0/0xa1 on master pin 2, the ELCR edge/level
// registers at 0x4d0/0x4d1, ICW1-ICW4, OCW1-OCW3 with specific, non-specific and
// rotating EOI, priority rotation, auto-EOI, special fully nested mode, special mask
// bit, polling, and the spurious IRQ 7/15 on an acknowledge with nothing pending.
// The master's INTR output reaches a vCPU through LINT0 in ExtINT mode
// (kvm_apic_accept_pic_intr()); the vCPU then acknowledges with kvm_pic_read_irq().
#include <stdlib.h>
#include <string.h>

#include "kvm/iobus.h"
#include "kvm/kvm_host.h"
#include "kvm/x86/i8259.h"
#include "kvm/x86/irq.h"

#define PIC_NUM_PINS 16

struct kpic {
	struct kvm_pic_state st;	/* the register file, in KVM_GET_IRQCHIP's layout */
	struct kvm_pic *pics;
};

/* one bus device per port range: the master, the slave, the ELCR pair */
struct picdev {
	struct kvm_io_device dev;	/* first: the bus hands us this pointer */
	struct kvm_pic *pic;
	int which;			/* 0 master, 1 slave, 2 ELCR */
};

struct kvm_pic {
	struct picdev devs[3];
	struct kvm *kvm;
	pthread_mutex_t lock;
	struct kpic pics[2];
	atomic_bool output;		/* INTR of the master */
	bool wakeup_needed;
	uint16_t acked;			/* pins whose ISR bit was cleared: ack notifiers to run */
	uint16_t mask_changed;		/* pins whose IMR bit changed: mask notifiers to run */
	unsigned long irq_states[PIC_NUM_PINS];	/* bit per irq_source_id */
};

/* pic_set_irq1(): returns -1 if masked, 0 if coalesced (already pending), 1 otherwise */
static int set_irq1(struct kpic *p, int irq, int level)
{
	struct kvm_pic_state *s = &p->st;
	uint8_t mask = (uint8_t)(1u << irq);
	int ret = 1;

	if (s->elcr & mask) {		/* level triggered */
		if (level) {
			ret = !(s->irr & mask);
			s->irr |= mask;
			s->last_irr |= mask;
		} else {
			s->irr &= (uint8_t)~mask;
			s->last_irr &= (uint8_t)~mask;
		}
	} else {			/* edge triggered */
		if (level) {
			if (!(s->last_irr & mask)) {
				ret = !(s->irr & mask);
				s->irr |= mask;
			}
			s->last_irr |= mask;
		} else {
			s->last_irr &= (uint8_t)~mask;
		}
	}
	return (s->imr & mask) ? -1 : ret;
}

/* priority of the highest-priority bit of mask, relative to the rotation; 8 if none */
static int get_priority(const struct kvm_pic_state *s, int mask)
{
	int priority = 0;

	if (!mask)
		return 8;
	while (!(mask & (1 << ((priority + s->priority_add) & 7))))
		priority++;
	return priority;
}

/* pic_get_irq(): the pin to signal, or -1 */
static int get_irq(struct kpic *p)
{
	struct kvm_pic_state *s = &p->st;
	int mask = s->irr & ~s->imr, priority, cur;

	priority = get_priority(s, mask);
	if (priority == 8)
		return -1;
	/* special fully nested mode: the slave's in-service request does not block the master */
	mask = s->isr;
	if (s->special_fully_nested_mode && p == &p->pics->pics[0])
		mask &= ~(1 << 2);
	cur = get_priority(s, mask);
	return priority < cur ? (priority + s->priority_add) & 7 : -1;
}

static void irq_request(struct kvm_pic *s, bool level)
{
	if (!atomic_load(&s->output) && level)
		s->wakeup_needed = true;
	atomic_store(&s->output, level);
}

/* pic_update_irq(): cascade the slave into master pin 2, then set INTR */
static void update_irq(struct kvm_pic *s)
{
	if (get_irq(&s->pics[1]) >= 0) {
		set_irq1(&s->pics[0], 2, 1);
		set_irq1(&s->pics[0], 2, 0);
	}
	irq_request(s, get_irq(&s->pics[0]) >= 0);
}

static void pic_lock(struct kvm_pic *s)
{
	pthread_mutex_lock(&s->lock);
}

/*
 * pic_unlock(): a rising INTR wakes the first vCPU that takes PIC interrupts; the ack
 * and mask notifiers collected under the lock run after it (KVM drops the lock for them).
 */
static void pic_unlock(struct kvm_pic *s)
{
	bool wakeup = s->wakeup_needed;
	uint16_t acked = s->acked, changed = s->mask_changed, imr;

	imr = (uint16_t)(s->pics[0].st.imr | s->pics[1].st.imr << 8);
	s->wakeup_needed = false;
	s->acked = s->mask_changed = 0;
	pthread_mutex_unlock(&s->lock);
	for (unsigned irq = 0; irq < PIC_NUM_PINS; irq++) {
		unsigned chip = irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;

		if (acked & (1u << irq))
			kvm_notify_acked_irq(s->kvm, chip, irq);
		if (changed & (1u << irq))
			kvm_fire_mask_notifiers(s->kvm, chip, irq, (imr >> irq) & 1);
	}
	if (!wakeup)
		return;
	for (int i = 0; i < kvm_nr_vcpus(s->kvm); i++) {
		struct kvm_vcpu *v = kvm_get_vcpu(s->kvm, i);

		if (v && kvm_apic_accept_pic_intr(v)) {
			kvm_vcpu_kick(v);
			return;
		}
	}
}

/* pic_clear_isr(): the cascade pin aside, an ISR bit leaving is the GSI's acknowledge */
static void clear_isr(struct kpic *p, int irq)
{
	bool slave = p != &p->pics->pics[0];

	p->st.isr &= (uint8_t)~(1u << irq);
	if (slave || irq != 2)
		p->pics->acked |= (uint16_t)(1u << (irq + (slave ? 8 : 0)));
}

/* pic_intack() */
static void intack(struct kpic *p, int irq)
{
	struct kvm_pic_state *s = &p->st;

	s->isr |= (uint8_t)(1u << irq);
	if (!(s->elcr & (1u << irq)))	/* a level-triggered request stays in IRR */
		s->irr &= (uint8_t)~(1u << irq);
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (uint8_t)((irq + 1) & 7);
		clear_isr(p, irq);
	}
}

int kvm_pic_set_irq(struct kvm_pic *s, int irq, int irq_source_id, int level)
{
	int ret;

	if (irq < 0 || irq >= PIC_NUM_PINS)
		return -1;
	pic_lock(s);
	if (level)
		s->irq_states[irq] |= 1ul << irq_source_id;
	else
		s->irq_states[irq] &= ~(1ul << irq_source_id);
	ret = set_irq1(&s->pics[irq >> 3], irq & 7, s->irq_states[irq] != 0);
	update_irq(s);
	pic_unlock(s);
	return ret;
}

void kvm_pic_clear_all(struct kvm_pic *s, int irq_source_id)
{
	pic_lock(s);
	for (int i = 0; i < PIC_NUM_PINS; i++)
		s->irq_states[i] &= ~(1ul << irq_source_id);
	pic_unlock(s);
}

bool kvm_pic_intr_output(struct kvm *kvm)
{
	return kvm->vpic && atomic_load(&kvm->vpic->output);
}

/* kvm_pic_read_irq(): INTA. With nothing pending, the spurious IRQ 7 (or 15 via the slave). */
int kvm_pic_read_irq(struct kvm *kvm)
{
	struct kvm_pic *s = kvm->vpic;
	int irq, irq2, intno;

	atomic_store(&s->output, false);
	pic_lock(s);
	irq = get_irq(&s->pics[0]);
	if (irq >= 0) {
		intack(&s->pics[0], irq);
		if (irq == 2) {
			irq2 = get_irq(&s->pics[1]);
			if (irq2 >= 0)
				intack(&s->pics[1], irq2);
			else
				irq2 = 7;
			intno = s->pics[1].st.irq_base + irq2;
		} else {
			intno = s->pics[0].st.irq_base + irq;
		}
	} else {
		intno = s->pics[0].st.irq_base + 7;
	}
	update_irq(s);
	pic_unlock(s);
	return intno;
}

/* kvm_pic_reset(): ICW1 */
static void pic_reset(struct kpic *p)
{
	struct kvm_pic_state *s = &p->st;
	uint8_t edge_irr = s->irr & (uint8_t)~s->elcr;
	bool found = false;

	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = 0;
	s->priority_add = 0;
	s->special_mask = 0;
	s->read_reg_select = 0;
	if (!s->init4) {
		s->special_fully_nested_mode = 0;
		s->auto_eoi = 0;
	}
	s->init_state = 1;
	for (int i = 0; i < kvm_nr_vcpus(p->pics->kvm); i++) {
		struct kvm_vcpu *v = kvm_get_vcpu(p->pics->kvm, i);

		if (v && kvm_apic_accept_pic_intr(v)) {
			found = true;
			break;
		}
	}
	if (!found)
		return;
	for (int irq = 0; irq < 8; irq++)
		if (edge_irr & (1u << irq))
			clear_isr(p, irq);
}

static void ioport_write(struct kpic *p, uint32_t addr, uint8_t val)
{
	struct kvm_pic_state *s = &p->st;
	int priority, irq;

	if (!(addr & 1)) {
		if (val & 0x10) {			/* ICW1 (single mode, level mode: not modelled) */
			s->init4 = val & 1;
			pic_reset(p);
		} else if (val & 0x08) {		/* OCW3 */
			if (val & 0x04)
				s->poll = 1;
			if (val & 0x02)
				s->read_reg_select = val & 1;
			if (val & 0x40)
				s->special_mask = (val >> 5) & 1;
		} else {				/* OCW2 */
			switch (val >> 5) {
			case 0:				/* rotate in auto-EOI mode off / on */
			case 4:
				s->rotate_on_auto_eoi = (val >> 5) >> 2;
				break;
			case 1:				/* non-specific EOI */
			case 5:				/* rotate on non-specific EOI */
				priority = get_priority(s, s->isr);
				if (priority != 8) {
					irq = (priority + s->priority_add) & 7;
					if ((val >> 5) == 5)
						s->priority_add = (uint8_t)((irq + 1) & 7);
					clear_isr(p, irq);
					update_irq(p->pics);
				}
				break;
			case 3:				/* specific EOI */
				clear_isr(p, val & 7);
				update_irq(p->pics);
				break;
			case 6:				/* set priority */
				s->priority_add = (uint8_t)((val + 1) & 7);
				update_irq(p->pics);
				break;
			case 7:				/* rotate on specific EOI */
				irq = val & 7;
				s->priority_add = (uint8_t)((irq + 1) & 7);
				clear_isr(p, irq);
				update_irq(p->pics);
				break;
			default:			/* 2: no operation */
				break;
			}
		}
		return;
	}
	switch (s->init_state) {
	case 0:					/* OCW1: the mask */
		p->pics->mask_changed |= (uint16_t)((s->imr ^ val) << (p == &p->pics->pics[0] ? 0 : 8));
		s->imr = val;
		update_irq(p->pics);
		break;
	case 1:					/* ICW2: vector base */
		s->irq_base = val & 0xf8;
		s->init_state = 2;
		break;
	case 2:					/* ICW3: cascade wiring, not checked */
		s->init_state = s->init4 ? 3 : 0;
		break;
	case 3:					/* ICW4 */
		s->special_fully_nested_mode = (val >> 4) & 1;
		s->auto_eoi = (val >> 1) & 1;
		s->init_state = 0;
		break;
	}
}

/* pic_poll_read(): OCW3 poll; bit 7 says whether an interrupt was pending */
static uint8_t poll_read(struct kpic *p, uint32_t addr)
{
	struct kvm_pic *pics = p->pics;
	int ret = get_irq(p);

	if (ret >= 0) {
		if (addr >> 7) {		/* the slave: its master request on pin 2 goes too */
			pics->pics[0].st.isr &= (uint8_t)~(1u << 2);
			pics->pics[0].st.irr &= (uint8_t)~(1u << 2);
		}
		p->st.irr &= (uint8_t)~(1u << ret);
		clear_isr(p, ret);
		if ((addr >> 7) || ret != 2)
			update_irq(pics);
		return (uint8_t)(ret | 0x80);
	}
	update_irq(pics);
	return 0x07;
}

static uint8_t ioport_read(struct kpic *p, uint32_t addr)
{
	struct kvm_pic_state *s = &p->st;
	uint8_t ret;

	if (s->poll) {
		ret = poll_read(p, addr);
		s->poll = 0;
	} else if (!(addr & 1)) {
		ret = s->read_reg_select ? s->isr : s->irr;
	} else {
		ret = s->imr;
	}
	return ret;
}

static int picdev_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
			const void *val)
{
	struct kvm_pic *s = ((struct picdev *)dev)->pic;
	int which = ((struct picdev *)dev)->which;
	uint8_t data = *(const uint8_t *)val;

	if (len != 1)
		return 0;	/* KVM ignores wider accesses */
	pic_lock(s);
	if (which == 2)
		s->pics[addr & 1].st.elcr = data & s->pics[addr & 1].st.elcr_mask;
	else
		ioport_write(&s->pics[which], (uint32_t)addr, data);
	pic_unlock(s);
	return 0;
}

static int picdev_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len, void *val)
{
	struct kvm_pic *s = ((struct picdev *)dev)->pic;
	int which = ((struct picdev *)dev)->which;

	memset(val, 0, (size_t)len);
	if (len != 1)
		return 0;
	pic_lock(s);
	*(uint8_t *)val = which == 2 ? s->pics[addr & 1].st.elcr : ioport_read(&s->pics[which], (uint32_t)addr);
	pic_unlock(s);
	return 0;
}

static const struct kvm_io_device_ops pic_ops = { .read = picdev_read, .write = picdev_write };

int kvm_pic_init(struct kvm *kvm)
{
	struct kvm_pic *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->kvm = kvm;
	pthread_mutex_init(&s->lock, NULL);
	s->pics[0].st.elcr_mask = 0xf8;	/* IRQ 0-2 are always edge (timer, keyboard, cascade) */
	s->pics[1].st.elcr_mask = 0xde;	/* IRQ 8 and 13 too */
	s->pics[0].pics = s->pics[1].pics = s;
	for (int i = 0; i < 3; i++) {
		static const uint16_t port[3] = { 0x20, 0xa0, 0x4d0 };

		s->devs[i] = (struct picdev){ .dev.ops = &pic_ops, .pic = s, .which = i };
		r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, port[i], 2, &s->devs[i].dev);
		if (r) {
			while (i--)
				kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &s->devs[i].dev);
			pthread_mutex_destroy(&s->lock);
			free(s);
			return r;
		}
	}
	kvm->vpic = s;
	return 0;
}

void kvm_pic_destroy(struct kvm *kvm)
{
	struct kvm_pic *s = kvm->vpic;

	if (!s)
		return;
	for (int i = 0; i < 3; i++)
		kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &s->devs[i].dev);
	kvm->vpic = NULL;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void kvm_pic_get_state(struct kvm_pic *s, int chip, struct kvm_pic_state *st)
{
	pic_lock(s);
	*st = s->pics[chip].st;
	pic_unlock(s);
}

void kvm_pic_set_state(struct kvm_pic *s, int chip, const struct kvm_pic_state *st)
{
	pic_lock(s);
	s->pics[chip].st = *st;
	update_irq(s);
	pic_unlock(s);
}
