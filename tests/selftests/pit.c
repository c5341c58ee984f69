// SPDX-License-Identifier: GPL-2.0-only
// The in-kernel 8254 PIT: KVM_CREATE_PIT2 error codes, the reset state, channel 2 seen
// through port 0x61 (mode 0 terminal count against host time, mode 3 square wave, gate),
// counter latch, read-back status, BCD, KVM_GET/SET_PIT2 round trip, and channel 0
// interrupting a 64-bit guest at 1 kHz through the PIC and LINT0 ExtINT.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t ticks;

GUEST_CODE static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

GUEST_CODE static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* the guest TSC counts nanoseconds (1 GHz) */
GUEST_CODE static uint64_t now_ns(void)
{
	return __builtin_ia32_rdtsc();
}

GUEST_CODE static void delay_ns(uint64_t ns)
{
	uint64_t t0 = now_ns();

	while (now_ns() - t0 < ns)
		;
}

GUEST_CODE static uint16_t read_latched(uint8_t port)
{
	uint8_t lo = inb(port);

	return (uint16_t)(lo | inb(port) << 8);
}

GUEST_CODE __attribute__((interrupt)) static void timer_handler(struct frame *f)
{
	ticks++;
	outb(0x20, 0x20);	/* non-specific EOI: the PIT's reinjection waits for it */
}

GUEST_CODE static void guest_main(void)
{
	uint64_t t1, ta, tb, tc, td, last_low;
	uint16_t v1, v2;
	uint64_t edges, decided, wrong;
	int last;

	/*
	 * Mode 0 on channel 2, gate on, speaker data on: OUT2 goes high 11932 clocks
	 * (10000.16 us) after the load. Every reading is bracketed by TSC reads (1 GHz,
	 * the host's CLOCK_MONOTONIC), so host preemption cannot make a correct PIT fail:
	 * the first high read ends at least 10 ms after the load began, the last low read
	 * starts at most 10 ms after it ended.
	 */
	outb(0x61, 0x03);
	outb(0x43, 0xb0);		/* channel 2, LSB then MSB, mode 0, binary */
	outb(0x42, 11932 & 0xff);
	ta = now_ns();
	outb(0x42, 11932 >> 8);
	tb = now_ns();
	GUEST_ASSERT_EQ(inb(0x61) & 0x23, 0x03);	/* OUT2 low, data on, gate on */
	last_low = tb;
	for (;;) {
		uint64_t tp = now_ns();
		uint8_t o = inb(0x61);
		uint64_t tq = now_ns();

		if (o & 0x20) {
			t1 = tq;
			break;
		}
		last_low = tp;
	}
	GUEST_SYNC2(1, ((t1 - ta) << 32) | (last_low - tb));

	/*
	 * Counter latch: the value is frozen at the latch, not at the read. Two latches
	 * 2 ms apart differ by the clocks between them (bracketed by TSC reads).
	 */
	outb(0x43, 0xb0);
	outb(0x42, 0xff);
	outb(0x42, 0xff);		/* 65535 clocks, 55 ms */
	ta = now_ns();
	outb(0x43, 0x80);		/* latch channel 2 */
	tb = now_ns();
	delay_ns(2000000);
	v1 = read_latched(0x42);
	tc = now_ns();
	outb(0x43, 0x80);
	td = now_ns();
	v2 = read_latched(0x42);
	ucall(UCALL_SYNC, 2, (uint64_t)v1 << 16 | v2, tc - tb, td - ta);

	/* read-back: status then count; OUT not yet high, rw 3, mode 0, binary */
	outb(0x43, 0xc8);		/* read-back, count and status, channel 2 */
	GUEST_ASSERT_EQ(inb(0x42), 0x30);
	v1 = read_latched(0x42);
	GUEST_ASSERT(v1 < 65535 - 2000);
	/* a second latch before the read is ignored: the first one stays */
	outb(0x43, 0xe8);		/* status only */
	outb(0x43, 0xe8);
	GUEST_ASSERT_EQ(inb(0x42), 0x30);
	/* BCD is kept and reported (the count runs in binary, as in KVM) */
	outb(0x43, 0xb1);
	outb(0x43, 0xe8);
	GUEST_ASSERT_EQ(inb(0x42), 0x31);
	/* MSB-only access: one write loads count 0x8000, one read returns the high byte */
	outb(0x43, 0xa0);		/* channel 2, MSB only, mode 0 */
	outb(0x42, 0x80);
	outb(0x43, 0x80);
	v1 = inb(0x42);
	GUEST_ASSERT(v1 == 0x7f || v1 == 0x80);

	/*
	 * Mode 3 on channel 2: a 1 kHz square wave, high for the first 597 of 1193 clocks.
	 * The count starts at the gate's rising edge; each sample whose TSC bracket (and
	 * the gate write's) leaves only one possible level must read that level.
	 */
	outb(0x61, 0x00);
	outb(0x43, 0xb6);
	outb(0x42, 1193 & 0xff);
	outb(0x42, 1193 >> 8);
	ta = now_ns();
	outb(0x61, 0x03);		/* rising gate: the count restarts */
	tb = now_ns();
	edges = decided = wrong = 0;
	last = 0x20;
	/* 10 ms, longer (up to 2 s) while a loaded host leaves fewer than 100 decidable samples */
	while (now_ns() - tb < 10000000 || (decided < 100 && now_ns() - tb < 2000000000)) {
		uint64_t tp = now_ns();
		int o = inb(0x61) & 0x20;
		uint64_t tq = now_ns();
		uint64_t dlo = (tp - tb) * 1193181 / 1000000000, dhi = (tq - ta) * 1193181 / 1000000000;

		edges += o != last;
		last = o;
		if (dhi - dlo < 590 && ((dlo % 1193) < 597) == ((dhi % 1193) < 597) &&
		    dhi / 1193 - dlo / 1193 <= 1 && (dhi % 1193 >= dlo % 1193)) {
			decided++;
			wrong += !!o != ((dlo % 1193) < 597);
		}
	}
	ucall(UCALL_SYNC, 3, edges, decided, wrong);

	/*
	 * A rising gate restarts the count: latched at most dt after the gate write, the
	 * count is at least 1193 - 2 * ticks(dt) (mode 3 counts by two). Retried until the
	 * bracket is short enough to decide.
	 */
	for (int i = 0;; i++) {
		uint64_t dt;

		outb(0x61, 0x00);
		GUEST_ASSERT_EQ(inb(0x61) & 0x03, 0);
		ta = now_ns();
		outb(0x61, 0x03);
		outb(0x43, 0x80);
		tb = now_ns();
		v1 = read_latched(0x42);
		dt = (tb - ta) * 1193181 / 1000000000 + 1;
		if (dt < 300) {
			GUEST_ASSERT(v1 + 2 * dt >= 1193 && v1 <= 1193);
			break;
		}
		GUEST_ASSERT(i < 100);
	}

	/* channel 0, mode 2 at 1 kHz, through the PIC (vector 0x20) and LINT0 ExtINT */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0xa1, 0xff);
	outb(0x21, 0xfe);		/* only IRQ0 */
	outb(0x43, 0x34);		/* channel 0, LSB then MSB, mode 2 */
	outb(0x40, 1193 & 0xff);
	ta = now_ns();
	outb(0x40, 1193 >> 8);
	/* the 50th tick cannot come before the 50th expiry, 50 * 999.8 us after the load */
	__asm__ volatile("sti");
	while (ticks < 50)
		__asm__ volatile("hlt");
	t1 = now_ns();
	__asm__ volatile("cli");
	GUEST_SYNC2(4, t1 - ta);

	/*
	 * 20 ms with interrupts off, then 20 ms on. Reinjection replays the missed ticks
	 * one per EOI; without it (the host turns it off) they are lost in the PIC.
	 */
	for (int round = 0; round < 2; round++) {
		uint64_t before;

		__asm__ volatile("sti; nop; cli");	/* take a tick pending from before */
		before = ticks;
		ta = now_ns();
		delay_ns(20000000);
		tb = now_ns();
		__asm__ volatile("sti");
		while (now_ns() - tb < 20000000)
			__asm__ volatile("hlt");
		__asm__ volatile("cli");
		tc = now_ns();
		ucall(UCALL_SYNC, 5 + round, ticks - before, tb - ta, tc - ta);
	}
	GUEST_DONE();
}

/*
 * KVM_CREATE_PIT2 while a vCPU runs and keeps arming its LAPIC timer: the port
 * registration waits for the vCPU, which must not be blocked behind the creation.
 */
static volatile uint32_t stop_rearming;

GUEST_CODE static void rearm_main(void)
{
	while (!stop_rearming)
		*(volatile uint32_t *)0xfee00380ul = 1000000;	/* TMICT: a one-shot LAPIC timer */
	GUEST_DONE();
}

static void *run_vcpu(void *arg)
{
	struct ucall uc;

	return (void *)(uintptr_t)vcpu_get_ucall(arg, &uc);
}

static void create_while_running(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, rearm_main);
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };
	pthread_t thr;
	void *ret;

	pthread_create(&thr, NULL, run_vcpu, v);
	usleep(20000);
	is(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), 0, "CREATE_PIT2 while the vCPU runs and arms timers");
	*(volatile uint32_t *)addr_gva2hva(vm, (uint64_t)(uintptr_t)&stop_rearming) = 1;
	pthread_join(thr, &ret);
	is((uint64_t)(uintptr_t)ret, UCALL_DONE, "the vCPU finished");
	vm_free(vm);
}

static void check_errors(void)
{
	struct vm *vm = vm_create_empty();
	struct kvm_pit_config cfg = { .flags = 0 };
	struct kvm_pit_state2 ps2;
	struct kvm_reinject_control rc = { .pit_reinject = 0 };

	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), ENOENT, "CREATE_PIT2 without an irqchip: ENOENT");
	is_errno(kvm_ioctl(vm->fd, KVM_GET_PIT2, &ps2), ENXIO, "GET_PIT2 without a PIT: ENXIO");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_PIT2, &ps2), ENXIO, "SET_PIT2 without a PIT: ENXIO");
	is_errno(kvm_ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc), ENXIO, "REINJECT_CONTROL without a PIT: ENXIO");
	is(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), 0, "irqchip");
	cfg.flags = 2;
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), EINVAL, "unknown flag: EINVAL");
	cfg.flags = 0;
	cfg.pad[3] = 1;
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), EINVAL, "non-zero padding: EINVAL");
	cfg.pad[3] = 0;
	is(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), 0, "CREATE_PIT2 flags 0");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), EEXIST, "again: EEXIST");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT, 0), EEXIST, "legacy CREATE_PIT: EEXIST");
	is(kvm_ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc), 0, "REINJECT_CONTROL off");
	memset(&ps2, 0xcc, sizeof(ps2));
	is(kvm_ioctl(vm->fd, KVM_GET_PIT2, &ps2), 0, "GET_PIT2");
	ok(ps2.flags == 0 && ps2.reserved[0] == 0 && ps2.reserved[8] == 0, "flags and reserved words 0");
	for (int i = 0; i < 3; i++)
		ok(ps2.channels[i].mode == 0xff && ps2.channels[i].count == 0x10000 &&
		   ps2.channels[i].gate == (i != 2) && ps2.channels[i].rw_mode == 0,
		   "reset channel %d: mode 0xff, count 0x10000, gate %d", i, i != 2);
	vm_free(vm);

	vm = vm_create_empty();
	is(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), 0, "irqchip");
	is(kvm_ioctl(vm->fd, KVM_CREATE_PIT, 0), 0, "legacy CREATE_PIT");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), EEXIST, "then CREATE_PIT2: EEXIST");
	vm_free(vm);
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm;
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_pit_state2 a, b;
	struct kvm_pit_state old;
	struct ucall uc;
	uint64_t e;

	check_errors();
	create_while_running();

	vm = vm_create_64_irqchip(&v, guest_main);
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2), 1, "CAP_PIT2");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT_STATE2), 1, "CAP_PIT_STATE2");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_REINJECT_CONTROL), 1, "CAP_REINJECT_CONTROL");
	is(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), 0, "CREATE_PIT2 with the dummy speaker");
	vm_install_irq_handler(vm, 0x20, timer_handler);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "mode 0 on channel 2");
	e = uc.args[1] >> 32;
	ok(e >= 10000000 && e < 60000000, "OUT2 high only after 11932 clocks (first high read %.3f ms after the load)",
	   e / 1e6);
	e = uc.args[1] & 0xffffffff;
	ok(e <= 10001000, "OUT2 still low only before 11932 clocks (last low read %.3f ms)", e / 1e6);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "counter latch");
	{
		uint64_t v1 = uc.args[1] >> 16, v2 = uc.args[1] & 0xffff;
		uint64_t lo = uc.args[2] * 1193181 / 1000000000, hi = uc.args[3] * 1193181 / 1000000000;

		ok(uc.args[2] >= 2000000 && v1 > v2 && v1 - v2 + 1 >= lo && v1 - v2 <= hi + 1,
		   "latched counts differ by the clocks between the latches (%llu, %llu..%llu)",
		   (unsigned long long)(v1 - v2), (unsigned long long)lo, (unsigned long long)hi);
	}
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "read-back status, BCD, MSB-only; mode 3");
	ok(uc.args[3] == 0 && uc.args[2] >= 50 && uc.args[1] >= 2,
	   "mode 3 at 1 kHz: %llu decided samples, %llu wrong, %llu edges",
	   (unsigned long long)uc.args[2], (unsigned long long)uc.args[3], (unsigned long long)uc.args[1]);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "gate restart; channel 0 interrupts through the PIC");
	e = uc.args[1];
	/* the bound that matters is the lower one; the upper one only catches a stopped timer */
	ok(e >= 49990000 && e < 2000000000, "IRQ0 at 1 kHz: 50 ticks took %.3f ms (49.99 at the earliest)", e / 1e6);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "20 ms with IF=0, reinjection on");
	{
		/* every expiry of the 40 ms but the last few arrives */
		uint64_t n = uc.args[1], all = uc.args[3] / 999830;

		ok(n + 4 >= all && n <= all + 2, "the ticks missed with IF=0 are replayed: %llu ticks, %llu expiries",
		   (unsigned long long)n, (unsigned long long)all);
	}
	{
		struct kvm_reinject_control rc = { .pit_reinject = 0 };

		is(kvm_ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc), 0, "reinjection off");
	}
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "20 ms with IF=0, reinjection off");
	{
		uint64_t n = uc.args[1], open = (uc.args[3] - uc.args[2]) / 999830 + 2;

		ok(n >= 1 && n <= open, "missed ticks are lost: %llu ticks in %.3f ms with IF=1 (at most %llu)",
		   (unsigned long long)n, (uc.args[3] - uc.args[2]) / 1e6, (unsigned long long)open);
	}
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");

	is(kvm_ioctl(vm->fd, KVM_GET_PIT2, &a), 0, "GET_PIT2 after the guest");
	ok(a.channels[0].mode == 2 && a.channels[0].count == 1193 && a.channels[0].rw_mode == 3 &&
	   a.channels[0].gate == 1, "channel 0: mode 2, count 1193, LSB/MSB");
	ok(a.channels[2].mode == 3 && a.channels[2].count == 1193 && a.channels[2].gate == 1 &&
	   a.channels[2].bcd == 0, "channel 2: mode 3, count 1193, gate on");
	is(a.flags, KVM_PIT_FLAGS_SPEAKER_DATA_ON, "flags: speaker data on");

	/* SET_PIT2 round trip: the counts reload, so only the load times move */
	a.channels[1].mode = 4;
	a.channels[1].count = 0x1234;
	a.flags |= KVM_PIT_FLAGS_HPET_LEGACY;
	is(kvm_ioctl(vm->fd, KVM_SET_PIT2, &a), 0, "SET_PIT2");
	is(kvm_ioctl(vm->fd, KVM_GET_PIT2, &b), 0, "GET_PIT2");
	ok(b.channels[2].count_load_time >= a.channels[2].count_load_time, "channel 2 reloaded now");
	for (int i = 0; i < 3; i++) {
		a.channels[i].count_load_time = b.channels[i].count_load_time;
	}
	ok(!memcmp(&a, &b, sizeof(a)), "get -> set -> get: the same state");
	is(b.flags, KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON, "HPET legacy kept");
	is(kvm_ioctl(vm->fd, KVM_GET_PIT, &old), 0, "legacy GET_PIT");
	ok(!memcmp(old.channels, b.channels, sizeof(old.channels)), "GET_PIT: the same channels");
	vm_free(vm);
	return tap_done();
}
