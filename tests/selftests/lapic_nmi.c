// SPDX-License-Identifier: GPL-2.0-only
// NMIs at the LAPIC's LINT inputs with the in-kernel irqchip.
//
// LINT1: KVM does not wire it; api.rst (4.x KVM_NMI) tells the VMM to read LVT LINT1 with
// KVM_GET_LAPIC and issue KVM_NMI when the entry is an unmasked NMI, so the NMI is the
// VMM's decision and KVM_NMI itself does not look at the LVT.
// LINT0: KVM's NMI watchdog (pit_do_work()): while some LAPIC has LVT LINT0 in NMI mode,
// each PIT tick also goes to LINT0 of every vCPU, where the LVT entry decides.
#include <stdio.h>

#include "kvm_util.h"

#define APIC_GPA 0xfee00000ull
enum { SPIV = 0xf0, LVT0 = 0x350, LVT1 = 0x360 };

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t nmis;
static volatile uint64_t wd_nmis, after_mask, after_extint;

GUEST_CODE static void apic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

GUEST_CODE static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* the guest TSC counts nanoseconds (1 GHz) */
GUEST_CODE static uint64_t now_ns(void)
{
	return __builtin_ia32_rdtsc();
}

GUEST_CODE __attribute__((interrupt)) static void nmi_handler(struct frame *f)
{
	(void)f;
	nmis++;
}

/* waits up to `ns` for the NMI count to pass `want`; returns the count */
GUEST_CODE static uint64_t wait_nmis(uint64_t want, uint64_t ns)
{
	uint64_t t0 = now_ns();

	while (nmis < want && now_ns() - t0 < ns)
		__asm__ volatile("pause");
	return nmis;
}

GUEST_CODE static void guest_main(void)
{
	uint64_t base;

	__asm__ volatile("cli");		/* NMIs do not care about IF */
	apic_write(SPIV, 0x1ff);
	outb(0x21, 0xff);			/* PIC: everything masked */
	outb(0xa1, 0xff);

	/* LINT1 */
	apic_write(LVT1, 0x400);		/* NMI, unmasked */
	GUEST_SYNC(1);				/* the VMM reads LVT1 and issues KVM_NMI */
	GUEST_ASSERT_EQ(nmis, 1);
	apic_write(LVT1, 0x10400);		/* masked */
	GUEST_SYNC(2);				/* KVM_NMI anyway: it does not look at LVT1 */
	GUEST_ASSERT_EQ(nmis, 2);

	/* LINT0 in NMI mode: PIT channel 0 at 1 kHz (mode 2, 1193 clocks) */
	apic_write(LVT0, 0x400);
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	wd_nmis = wait_nmis(2 + 5, 2000000000ull) - 2;
	GUEST_ASSERT(wd_nmis >= 5);
	apic_write(LVT0, 0x10400);		/* masked: the ticks stop reaching the vCPU */
	base = nmis;
	wait_nmis(base + 1, 30000000ull);
	after_mask = nmis - base;
	apic_write(LVT0, 0x700);		/* ExtINT: no LAPIC in NMI mode any more */
	base = nmis;
	wait_nmis(base + 1, 30000000ull);
	after_extint = nmis - base;
	outb(0x43, 0x30);			/* channel 0 mode 0, no count: stopped */
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_main);
	struct kvm_pit_config cfg = { .flags = 0 };
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_lapic_state ls;
	struct ucall uc;
	uint32_t lvt1;

	vm_install_irq_handler(vm, 2, nmi_handler);
	is(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), 0, "CREATE_PIT2");
	/* with reinjection the PIT waits for the guest's EOI of IRQ 0, which the masked PIC
	 * never gives; QEMU turns it off the same way for lost_tick_policy=discard */
	is(kvm_ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc), 0, "REINJECT_CONTROL off");

	vcpu_expect_sync(v, 1, "guest programmed LVT LINT1");
	is(kvm_ioctl(v->fd, KVM_GET_LAPIC, &ls), 0, "KVM_GET_LAPIC");
	memcpy(&lvt1, ls.regs + LVT1, 4);
	is(lvt1, 0x400, "LVT LINT1 reads 0x400: an unmasked NMI entry, so the VMM injects");
	is(kvm_ioctl(v->fd, KVM_NMI, 0), 0, "KVM_NMI");
	vcpu_expect_sync(v, 2, "the guest took the LINT1 NMI with IF=0");
	is(kvm_ioctl(v->fd, KVM_GET_LAPIC, &ls), 0, "KVM_GET_LAPIC");
	memcpy(&lvt1, ls.regs + LVT1, 4);
	is(lvt1, 0x10400, "LVT LINT1 masked now");
	is(kvm_ioctl(v->fd, KVM_NMI, 0), 0, "KVM_NMI regardless");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest: KVM_NMI was delivered, then the watchdog part ran");
	vm_sync_from_guest(vm, (void *)&wd_nmis, sizeof(wd_nmis));
	vm_sync_from_guest(vm, (void *)&after_mask, sizeof(after_mask));
	vm_sync_from_guest(vm, (void *)&after_extint, sizeof(after_extint));
	ok(wd_nmis >= 5, "LVT LINT0 in NMI mode: PIT ticks arrive as NMIs (%llu)", (unsigned long long)wd_nmis);
	is(after_mask, 0, "LVT LINT0 masked: no NMI in 30 ms of ticks");
	is(after_extint, 0, "LVT LINT0 back to ExtINT: no NMI in 30 ms of ticks");
	vm_free(vm);
	return tap_done();
}
