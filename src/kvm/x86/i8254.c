// SPDX-License-Identifier: GPL-2.0-only
// The in-hypervisor 8254 PIT as KVM's arch/x86/kvm/i8254.c models it (Intel 8254 data
// sheet): channels 0-2 at 0x40-0x42, the control word at 0x43, the speaker port 0x61
// with KVM_PIT_SPEAKER_DUMMY, KVM_CREATE_PIT(2), KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL.
//
// Counts are derived from CLOCK_MONOTONIC (no per-tick work). Channel 0 drives GSI 0
// from a per-VM timer (timer.h): periodic in modes 2 and 3, one-shot in 0, 1 and 4;
// each expiry is a pulse (raise, lower) on KVM_PIT_IRQ_SOURCE_ID. With reinjection
// (the default) a tick is injected only once the previous one was acknowledged
// (EOI at the PIC or IOAPIC), and missed ticks are replayed one per EOI (KVM's
// pending/irq_ack protocol); without it, every expiry is injected at once and an
// unacknowledged one is lost (coalesced).
//
// Where KVM deviates from the 8254 data sheet we follow KVM, because the guest-visible
// values must match a real /dev/kvm: BCD is stored and reported but the count runs in
// binary; the mode 2, 4 and 5 outputs are a one-tick high pulse; mode 0/4 ignore the gate.
#include <stdlib.h>
#include <string.h>

#include "kvm/iobus.h"
#include "kvm/kvm_host.h"
#include "kvm/timer.h"
#include "kvm/uaccess.h"
#include "kvm/x86/i8254.h"
#include "kvm/x86/i8259.h"
#include "kvm/x86/ioapic.h"
#include "kvm/x86/irq.h"

#define PIT_BASE		0x40
#define PIT_LEN			4
#define SPEAKER_PORT		0x61
/* KVM_PIT_FREQ: KVM's constant (the 8254 input clock is 14.31818 MHz / 12 = 1193181.8 Hz) */
#define PIT_FREQ		1193181ull
#define NSEC_PER_SEC		1000000000ull
/* min_timer_period_us, KVM's default: periodic timers faster than this are slowed down */
#define MIN_TIMER_PERIOD_NS	200000ll

enum { RW_STATE_LSB = 1, RW_STATE_MSB = 2, RW_STATE_WORD0 = 3, RW_STATE_WORD1 = 4 };

struct pitdev {
	struct kvm_io_device dev;	/* first: the bus hands us this pointer */
	struct kvm_pit *pit;
};

struct kvm_pit {
	struct pitdev dev, speaker;
	bool speaker_registered;
	struct kvm *kvm;
	pthread_mutex_t lock;			/* everything below but the atomics */
	struct kvm_pit_channel_state ch[3];	/* the ABI layout is KVM's kvm_kpit_channel_state */
	uint32_t flags;				/* KVM_PIT_FLAGS_* */
	/* channel 0's hrtimer: the period (0: never armed) and its current expiry */
	int64_t period;
	bool is_periodic;
	bool stopped;		/* cancelled: the expiry below no longer advances */
	uint64_t first;		/* the first expiry, CLOCK_MONOTONIC ns */
	uint64_t expires;	/* the hrtimer's expiry, advanced one period per callback */
	struct kvm_timer timer;	/* the channel 0 hrtimer */
	struct kvm_timer work;	/* pit_do_work(), run on the timer thread */
	atomic_bool reinject;
	atomic_int pending;	/* expiries not yet delivered (reinject mode) */
	atomic_int irq_ack;	/* the last injected tick was acknowledged */
};

static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)(((unsigned __int128)a * b) / c);
}

/*
 * __kpit_elapsed(): channel 0 measures time by what its timer has left
 * (period - remaining), so a periodic channel restarts at each expiry.
 */
static int64_t elapsed_ns(struct kvm_pit *pit, int channel, uint64_t now)
{
	const struct kvm_pit_channel_state *c = &pit->ch[channel];

	if (channel != 0)
		return (int64_t)(now - (uint64_t)c->count_load_time);
	if (!pit->period)
		return 0;
	if (!pit->is_periodic || pit->stopped || now < pit->first)
		return pit->period - (int64_t)(pit->first - now);
	return (int64_t)((now - pit->first) % (uint64_t)pit->period);
}

/* elapsed PIT clocks */
static uint64_t elapsed_ticks(struct kvm_pit *pit, int channel)
{
	int64_t t = elapsed_ns(pit, channel, kvm_clock_ns());

	return t <= 0 ? 0 : mul_div((uint64_t)t, PIT_FREQ, NSEC_PER_SEC);
}

/* pit_get_count() */
static int get_count(struct kvm_pit *pit, int channel)
{
	const struct kvm_pit_channel_state *c = &pit->ch[channel];
	uint64_t d = elapsed_ticks(pit, channel);

	switch (c->mode) {
	case 0: case 1: case 4: case 5:
		return (int)((c->count - d) & 0xffff);
	case 3:	/* counts down by two; KVM's formula (not exact for odd counts) */
		return (int)(c->count - (2 * d) % c->count);
	default:
		return (int)(c->count - d % c->count);
	}
}

/* pit_get_out() */
static int get_out(struct kvm_pit *pit, int channel)
{
	const struct kvm_pit_channel_state *c = &pit->ch[channel];
	uint64_t d = elapsed_ticks(pit, channel);

	switch (c->mode) {
	default:
	case 0:
		return d >= c->count;
	case 1:
		return d < c->count;
	case 2:
		return d % c->count == 0 && d != 0;
	case 3:
		return d % c->count < (c->count + 1) >> 1;
	case 4: case 5:
		return d == c->count;
	}
}

static void latch_count(struct kvm_pit *pit, int channel)
{
	struct kvm_pit_channel_state *c = &pit->ch[channel];

	if (!c->count_latched) {
		c->latched_count = (uint16_t)get_count(pit, channel);
		c->count_latched = c->rw_mode;
	}
}

/* Read-back status byte (8254 data sheet, "Status Byte"); NULL COUNT (bit 6) is not modelled, as in KVM. */
static void latch_status(struct kvm_pit *pit, int channel)
{
	struct kvm_pit_channel_state *c = &pit->ch[channel];

	if (!c->status_latched) {
		c->status = (uint8_t)((get_out(pit, channel) << 7) | (c->rw_mode << 4) | (c->mode << 1) | c->bcd);
		c->status_latched = 1;
	}
}

/* pit_set_gate(): modes 1, 2, 3 and 5 restart on a rising gate; 0 and 4 ignore it */
static void set_gate(struct kvm_pit *pit, int channel, uint8_t val)
{
	struct kvm_pit_channel_state *c = &pit->ch[channel];

	switch (c->mode) {
	case 1: case 2: case 3: case 5:
		if (c->gate < val)
			c->count_load_time = (int64_t)kvm_clock_ns();
		break;
	default:
		break;
	}
	c->gate = val;
}

/* ---- injection: pit_timer_fn() and pit_do_work() ---- */

static void reset_reinject(struct kvm_pit *pit)
{
	atomic_store(&pit->pending, 0);
	atomic_store(&pit->irq_ack, 1);
}

static void queue_work(struct kvm_pit *pit)
{
	kvm_timer_start(&pit->work, kvm_clock_ns());
}

/* Runs on the timer thread; takes no PIT lock (the ioctl side cancels under it). */
static uint64_t pit_do_work(struct kvm_timer *t, uint64_t now)
{
	struct kvm_pit *pit = (struct kvm_pit *)((char *)t - offsetof(struct kvm_pit, work));

	if (atomic_load(&pit->reinject) && !atomic_exchange(&pit->irq_ack, 0))
		return 0;
	kvm_set_irq(pit->kvm, KVM_PIT_IRQ_SOURCE_ID, 0, 1, false);
	kvm_set_irq(pit->kvm, KVM_PIT_IRQ_SOURCE_ID, 0, 0, false);
	/*
	 * The NMI watchdog through virtual wire, as KVM's pit_do_work() wires it: while any
	 * LAPIC has LVT LINT0 in NMI mode, every tick also goes to LINT0 of every vCPU (each
	 * LAPIC decides by its own LVT entry), besides the PIC/IOAPIC delivery above.
	 */
	if (atomic_load(&pit->kvm->vapics_in_nmi_mode) > 0) {
		int n = kvm_nr_vcpus(pit->kvm);

		for (int i = 0; i < n; i++) {
			struct kvm_vcpu *vcpu = kvm_get_vcpu(pit->kvm, i);

			if (vcpu)
				kvm_apic_nmi_wd_deliver(vcpu);
		}
	}
	return 0;
}

static uint64_t pit_timer_fn(struct kvm_timer *t, uint64_t now)
{
	struct kvm_pit *pit = (struct kvm_pit *)((char *)t - offsetof(struct kvm_pit, timer));

	if (atomic_load(&pit->reinject))
		atomic_fetch_add(&pit->pending, 1);
	queue_work(pit);
	if (!pit->is_periodic)
		return 0;
	/* hrtimer_add_expires_ns(): one period on; a late thread fires again at once */
	pit->expires += (uint64_t)pit->period;
	return pit->expires;
}

/* kvm_pit_ack_irq(): the guest's EOI of GSI 0; replay one missed tick if any. */
static void pit_ack(struct kvm_pit *pit)
{
	int p;

	atomic_store(&pit->irq_ack, 1);
	/* atomic_dec_if_positive(&pending) > 0 */
	p = atomic_load(&pit->pending);
	while (p > 0 && !atomic_compare_exchange_weak(&pit->pending, &p, p - 1))
		;
	if (p - 1 > 0)
		queue_work(pit);
}

static struct kvm_pit *get_pit(struct kvm *kvm);

void kvm_pit_irq_acked(struct kvm *kvm, uint32_t gsi)
{
	struct kvm_pit *pit = get_pit(kvm);

	if (pit && gsi == 0 && atomic_load(&pit->reinject))
		pit_ack(pit);
}

/* pit_mask_notifer(): unmasking GSI 0 forgets the ticks missed while it was masked */
void kvm_pit_irq_masked(struct kvm *kvm, uint32_t gsi, bool masked)
{
	struct kvm_pit *pit = get_pit(kvm);

	if (pit && gsi == 0 && !masked && atomic_load(&pit->reinject))
		reset_reinject(pit);
}

static void destroy_timer(struct kvm_pit *pit)
{
	uint64_t now = kvm_clock_ns();

	kvm_timer_cancel(&pit->timer);
	kvm_timer_cancel(&pit->work);	/* kthread_flush_work() */
	/* a cancelled hrtimer keeps its last expiry: the elapsed time keeps growing from it */
	if (pit->period && pit->is_periodic && !pit->stopped && now >= pit->first)
		pit->first += ((now - pit->first) / (uint64_t)pit->period + 1) * (uint64_t)pit->period;
	pit->stopped = true;
}

/* create_pit_timer() */
static void create_timer(struct kvm_pit *pit, uint32_t val, bool periodic)
{
	int64_t interval;
	uint64_t now;

	if (pit->flags & KVM_PIT_FLAGS_HPET_LEGACY)
		return;
	interval = (int64_t)mul_div(val, NSEC_PER_SEC, PIT_FREQ);
	kvm_timer_cancel(&pit->timer);
	kvm_timer_cancel(&pit->work);
	now = kvm_clock_ns();
	pit->period = interval;
	pit->is_periodic = periodic;
	pit->stopped = false;
	reset_reinject(pit);
	/* a host timer is not throttled by the guest: KVM slows fast periodic timers down */
	if (periodic && pit->period < MIN_TIMER_PERIOD_NS)
		pit->period = MIN_TIMER_PERIOD_NS;
	pit->first = now + (uint64_t)interval;
	pit->expires = pit->first;
	kvm_timer_start(&pit->timer, pit->first);
}

/* pit_load_count(): 0 means 0x10000 */
static void load_count(struct kvm_pit *pit, int channel, uint32_t val)
{
	if (val == 0)
		val = 0x10000;
	pit->ch[channel].count = val;
	if (channel != 0) {
		pit->ch[channel].count_load_time = (int64_t)kvm_clock_ns();
		return;
	}
	switch (pit->ch[0].mode) {
	case 0: case 1: case 4:
		create_timer(pit, val, false);
		break;
	case 2: case 3:
		create_timer(pit, val, true);
		break;
	default:	/* mode 5 and the reset value 0xff: no interrupt */
		destroy_timer(pit);
		break;
	}
}

/* kvm_pit_load_count(): HPET legacy start stops channel 0's timer but keeps its state */
static void kvm_pit_load_count(struct kvm_pit *pit, int channel, uint32_t val, bool hpet_legacy_start)
{
	if (hpet_legacy_start) {
		uint8_t saved = pit->ch[0].mode;

		pit->ch[0].mode = 0xff;
		load_count(pit, channel, val);
		pit->ch[0].mode = saved;
	} else {
		load_count(pit, channel, val);
	}
}

/* ---- the ports ---- */

static void ioport_write(struct kvm_pit *pit, int addr, uint32_t val)
{
	struct kvm_pit_channel_state *c;
	int channel;

	if (addr == 3) {
		channel = (int)(val >> 6);
		if (channel == 3) {
			/* read-back: bit 5 clear latches the count, bit 4 clear the status */
			for (channel = 0; channel < 3; channel++) {
				if (!(val & (2u << channel)))
					continue;
				if (!(val & 0x20))
					latch_count(pit, channel);
				if (!(val & 0x10))
					latch_status(pit, channel);
			}
			return;
		}
		c = &pit->ch[channel];
		if (((val >> 4) & 3) == 0) {	/* counter latch command */
			latch_count(pit, channel);
			return;
		}
		c->rw_mode = (uint8_t)((val >> 4) & 3);
		c->read_state = c->rw_mode;
		c->write_state = c->rw_mode;
		c->mode = (uint8_t)((val >> 1) & 7);
		if (c->mode > 5)		/* 6 and 7 are modes 2 and 3 */
			c->mode -= 4;
		c->bcd = val & 1;
		return;
	}
	c = &pit->ch[addr];
	switch (c->write_state) {
	default:
	case RW_STATE_LSB:
		kvm_pit_load_count(pit, addr, val, false);
		break;
	case RW_STATE_MSB:
		kvm_pit_load_count(pit, addr, val << 8, false);
		break;
	case RW_STATE_WORD0:
		c->write_latch = (uint8_t)val;
		c->write_state = RW_STATE_WORD1;
		break;
	case RW_STATE_WORD1:
		kvm_pit_load_count(pit, addr, c->write_latch | (val << 8), false);
		c->write_state = RW_STATE_WORD0;
		break;
	}
}

static int ioport_read(struct kvm_pit *pit, int addr)
{
	struct kvm_pit_channel_state *c = &pit->ch[addr];
	int ret;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		switch (c->count_latched) {
		default:
		case RW_STATE_LSB:
			ret = c->latched_count & 0xff;
			c->count_latched = 0;
			break;
		case RW_STATE_MSB:
			ret = c->latched_count >> 8;
			c->count_latched = 0;
			break;
		case RW_STATE_WORD0:
			ret = c->latched_count & 0xff;
			c->count_latched = RW_STATE_MSB;
			break;
		}
		return ret;
	}
	switch (c->read_state) {
	default:
	case RW_STATE_LSB:
		return get_count(pit, addr) & 0xff;
	case RW_STATE_MSB:
		return (get_count(pit, addr) >> 8) & 0xff;
	case RW_STATE_WORD0:
		c->read_state = RW_STATE_WORD1;
		return get_count(pit, addr) & 0xff;
	case RW_STATE_WORD1:
		c->read_state = RW_STATE_WORD0;
		return (get_count(pit, addr) >> 8) & 0xff;
	}
}

static int pit_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
		     const void *val)
{
	struct kvm_pit *pit = ((struct pitdev *)dev)->pit;

	if (addr < PIT_BASE || addr >= PIT_BASE + PIT_LEN || len < 1)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&pit->lock);
	ioport_write(pit, (int)(addr & 3), *(const uint8_t *)val);	/* only the low byte counts */
	pthread_mutex_unlock(&pit->lock);
	return 0;
}

static int pit_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len, void *val)
{
	struct kvm_pit *pit = ((struct pitdev *)dev)->pit;
	uint32_t ret;

	if (addr < PIT_BASE || addr >= PIT_BASE + PIT_LEN || len < 1)
		return -EOPNOTSUPP;
	memset(val, 0, (size_t)len);
	if ((addr & 3) == 3)		/* the control word is write-only */
		return 0;
	pthread_mutex_lock(&pit->lock);
	ret = (uint32_t)ioport_read(pit, (int)(addr & 3));
	pthread_mutex_unlock(&pit->lock);
	memcpy(val, &ret, len > 4 ? 4 : (size_t)len);
	return 0;
}

/* Port 0x61 (KVM_PIT_SPEAKER_DUMMY): bit 0 channel 2's gate, bit 1 speaker data. */
static int speaker_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
			 const void *val)
{
	struct kvm_pit *pit = ((struct pitdev *)dev)->pit;
	uint8_t v = *(const uint8_t *)val;

	if (addr != SPEAKER_PORT)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&pit->lock);
	if (v & 2)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	set_gate(pit, 2, v & 1);
	pthread_mutex_unlock(&pit->lock);
	return 0;
}

/* Reads: bit 0 gate 2, bit 1 speaker data, bit 4 the ~15us refresh toggle, bit 5 OUT2. */
static int speaker_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len, void *val)
{
	struct kvm_pit *pit = ((struct pitdev *)dev)->pit;
	/* KVM approximates the refresh clock's 15us half-period as 2^14 ns */
	uint32_t refresh = (uint32_t)(kvm_clock_ns() >> 14) & 1, ret;

	if (addr != SPEAKER_PORT)
		return -EOPNOTSUPP;
	memset(val, 0, (size_t)len);
	pthread_mutex_lock(&pit->lock);
	ret = (uint32_t)(!!(pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) << 1) | pit->ch[2].gate |
	      (uint32_t)(get_out(pit, 2) << 5) | (refresh << 4);
	pthread_mutex_unlock(&pit->lock);
	memcpy(val, &ret, len > 4 ? 4 : (size_t)len);
	return 0;
}

static const struct kvm_io_device_ops pit_ops = { .read = pit_read, .write = pit_write };
static const struct kvm_io_device_ops speaker_ops = { .read = speaker_read, .write = speaker_write };

/* ---- creation, teardown, ioctls ---- */

/* kvm_pit_reset(): every channel in the "no mode" 0xff, gates 1, 1, 0, counts 0x10000 */
static void pit_reset(struct kvm_pit *pit)
{
	pit->flags = 0;
	for (int i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &pit->ch[i];

		c->mode = 0xff;
		c->gate = i != 2;
		load_count(pit, i, 0);
	}
	reset_reinject(pit);
}

static void set_reinject(struct kvm_pit *pit, bool reinject)
{
	if (atomic_load(&pit->reinject) == reinject)
		return;
	if (reinject)	/* the state is left alone while reinjection is off */
		reset_reinject(pit);
	atomic_store(&pit->reinject, reinject);
}

static void pit_free(struct kvm *kvm, struct kvm_pit *pit)
{
	kvm_timer_cancel(&pit->timer);
	kvm_timer_cancel(&pit->work);
	/* kvm_free_irq_source_id(): drop the lines the PIT holds */
	if (kvm->vpic)
		kvm_pic_clear_all(kvm->vpic, KVM_PIT_IRQ_SOURCE_ID);
	if (kvm->vioapic)
		kvm_ioapic_clear_all(kvm->vioapic, KVM_PIT_IRQ_SOURCE_ID);
	pthread_mutex_destroy(&pit->lock);
	free(pit);
}

/*
 * Serialises PIT creation. kvm->lock cannot be held across the bus registration: that
 * waits for every running vCPU, and a vCPU may need kvm->lock (timer.c) to get there.
 */
static pthread_mutex_t pit_create_lock = PTHREAD_MUTEX_INITIALIZER;

static struct kvm_pit *get_pit(struct kvm *kvm)
{
	return __atomic_load_n(&kvm->vpit, __ATOMIC_ACQUIRE);
}

/* kvm_create_pit(); called with pit_create_lock held */
static long create_pit(struct kvm *kvm, uint32_t flags)
{
	struct kvm_pit *pit;
	bool have_pic;
	long r;

	if (get_pit(kvm))
		return -EEXIST;
	pthread_mutex_lock(&kvm->lock);
	have_pic = kvm->vpic != NULL;
	pthread_mutex_unlock(&kvm->lock);
	if (!have_pic)
		return -ENOENT;
	pit = calloc(1, sizeof(*pit));
	if (!pit)
		return -ENOMEM;
	pit->kvm = kvm;
	pthread_mutex_init(&pit->lock, NULL);
	kvm_timer_init(kvm, &pit->timer, pit_timer_fn);
	kvm_timer_init(kvm, &pit->work, pit_do_work);
	pit_reset(pit);
	set_reinject(pit, true);
	pit->dev = (struct pitdev){ .dev.ops = &pit_ops, .pit = pit };
	pit->speaker = (struct pitdev){ .dev.ops = &speaker_ops, .pit = pit };
	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIT_BASE, PIT_LEN, &pit->dev.dev);
	if (r)
		goto fail;
	if (flags & KVM_PIT_SPEAKER_DUMMY) {
		r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, SPEAKER_PORT, 4, &pit->speaker.dev);
		if (r) {
			kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev.dev);
			goto fail;
		}
		pit->speaker_registered = true;
	}
	__atomic_store_n(&kvm->vpit, pit, __ATOMIC_RELEASE);
	return 0;
fail:
	pit_free(kvm, pit);
	return r;
}

void kvm_pit_destroy(struct kvm *kvm)
{
	struct kvm_pit *pit = kvm->vpit;

	if (!pit)
		return;
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev.dev);
	if (pit->speaker_registered)
		kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->speaker.dev);
	__atomic_store_n(&kvm->vpit, NULL, __ATOMIC_RELEASE);
	pit_free(kvm, pit);
}

static long create_pit2(struct kvm *kvm, void *argp, bool legacy)
{
	struct kvm_pit_config cfg;
	long r;

	memset(&cfg, 0, sizeof(cfg));
	if (legacy) {
		cfg.flags = KVM_PIT_SPEAKER_DUMMY;	/* KVM_CREATE_PIT: what KVM always did */
	} else {
		if (copy_from_user(&cfg, argp, sizeof(cfg)))
			return -EFAULT;
		/*
		 * swkvm rejects unknown flags and non-zero padding (house rule); the kernel
		 * only looks at bit 0 and ignores the rest.
		 */
		if (cfg.flags & ~(uint32_t)KVM_PIT_SPEAKER_DUMMY)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(cfg.pad) / sizeof(cfg.pad[0]); i++)
			if (cfg.pad[i])
				return -EINVAL;
	}
	pthread_mutex_lock(&pit_create_lock);
	r = create_pit(kvm, cfg.flags);
	pthread_mutex_unlock(&pit_create_lock);
	return r;
}

long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	void *argp = ARG_PTR(arg);
	struct kvm_pit *pit;

	switch (ioctl) {
	case KVM_CREATE_PIT:
		return create_pit2(kvm, argp, true);
	case KVM_CREATE_PIT2:
		return create_pit2(kvm, argp, false);
	}
	pit = get_pit(kvm);
	switch (ioctl) {
	case KVM_GET_PIT: {
		struct kvm_pit_state ps;

		if (!pit)
			return -ENXIO;
		pthread_mutex_lock(&pit->lock);
		memcpy(ps.channels, pit->ch, sizeof(ps.channels));
		pthread_mutex_unlock(&pit->lock);
		return copy_to_user(argp, &ps, sizeof(ps)) ? -EFAULT : 0;
	}
	case KVM_SET_PIT: {
		struct kvm_pit_state ps;

		if (copy_from_user(&ps, argp, sizeof(ps)))
			return -EFAULT;
		if (!pit)
			return -ENXIO;
		pthread_mutex_lock(&pit->lock);
		memcpy(pit->ch, ps.channels, sizeof(pit->ch));
		for (int i = 0; i < 3; i++)
			kvm_pit_load_count(pit, i, pit->ch[i].count, false);
		pthread_mutex_unlock(&pit->lock);
		return 0;
	}
	case KVM_GET_PIT2: {
		struct kvm_pit_state2 ps;

		if (!pit)
			return -ENXIO;
		memset(&ps, 0, sizeof(ps));
		pthread_mutex_lock(&pit->lock);
		memcpy(ps.channels, pit->ch, sizeof(ps.channels));
		ps.flags = pit->flags;
		pthread_mutex_unlock(&pit->lock);
		return copy_to_user(argp, &ps, sizeof(ps)) ? -EFAULT : 0;
	}
	case KVM_SET_PIT2: {
		struct kvm_pit_state2 ps;
		bool start;

		if (copy_from_user(&ps, argp, sizeof(ps)))
			return -EFAULT;
		if (!pit)
			return -ENXIO;
		pthread_mutex_lock(&pit->lock);
		/* entering HPET legacy mode stops channel 0's interrupts */
		start = !(pit->flags & KVM_PIT_FLAGS_HPET_LEGACY) && (ps.flags & KVM_PIT_FLAGS_HPET_LEGACY);
		memcpy(pit->ch, ps.channels, sizeof(pit->ch));
		pit->flags = ps.flags;
		for (int i = 0; i < 3; i++)
			kvm_pit_load_count(pit, i, pit->ch[i].count, start && i == 0);
		pthread_mutex_unlock(&pit->lock);
		return 0;
	}
	case KVM_REINJECT_CONTROL: {
		struct kvm_reinject_control rc;

		if (copy_from_user(&rc, argp, sizeof(rc)))
			return -EFAULT;
		if (!pit)
			return -ENXIO;
		pthread_mutex_lock(&pit->lock);
		set_reinject(pit, rc.pit_reinject != 0);
		pthread_mutex_unlock(&pit->lock);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}
