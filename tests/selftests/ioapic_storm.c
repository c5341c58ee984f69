// SPDX-License-Identifier: GPL-2.0-only
// IOAPIC interrupt storm: a level-triggered pin held high is re-delivered at each EOI,
// but the 10,000th EOI in a row that finds it asserted defers the next delivery by
// 10 ms (IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT in arch/x86/kvm/ioapic.c), so the guest's own
// code gets to run between bursts of exactly 10,000 interrupts.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define IOAPIC 0xfec00000ull
#define BURST 10000

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t count;

GUEST_CODE static void io_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

GUEST_CODE __attribute__((interrupt)) static void h59(struct frame *f)
{
	count++;
	*(volatile uint32_t *)0xfee000b0 = 0;	/* EOI while the line stays up */
}

GUEST_CODE static void guest_main(void)
{
	__asm__ volatile("outb %%al, $0x21; outb %%al, $0xa1" : : "a"(0xff));
	*(volatile uint32_t *)0xfee000f0 = 0x1ff;
	io_write(0x11 + 2 * 9, 0);
	io_write(0x10 + 2 * 9, 0x8000 | 0x59);	/* level, vector 0x59, APIC 0 */
	GUEST_SYNC(0);
	/* the line is up: no instruction after the NOP runs until the storm pauses */
	__asm__ volatile("sti; nop; cli" ::: "memory");
	GUEST_SYNC(count);
	/* only the deferred delivery ends this HLT; then a second burst */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	GUEST_SYNC(count);
	GUEST_DONE();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_main);
	struct kvm_irq_level l = { .irq = 9, .level = 1 };
	struct ucall uc;
	uint64_t t0, t1;

	alarm(30);	/* without the deferral the first burst never ends */
	vm_install_irq_handler(vm, 0x59, h59);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "guest: pin 9 level-triggered, vector 0x59");
	is(kvm_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l), 0, "GSI 9 raised and held");
	is(l.status, 1, "delivered");
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == BURST,
	   "the first burst is exactly 10,000 interrupts");
	t0 = now_ns();
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 2 * BURST,
	   "after the pause a second burst of exactly 10,000");
	t1 = now_ns();
	ok(t1 - t0 >= 10000000ull, "the pause lasted at least 10 ms");
	tap_diag("burst + pause took %.3f ms", (t1 - t0) / 1e6);
	l.level = 0;
	is(kvm_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l), 0, "lowered");
	is(l.status, 1, "lowering reports 1");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	vm_free(vm);
	return tap_done();
}
