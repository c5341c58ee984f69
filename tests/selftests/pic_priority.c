// SPDX-License-Identifier: GPL-2.0-only
// The in-kernel 8259 pair's arbitration, seen by a 64-bit guest through LINT0 ExtINT:
// fixed priority, OCW2 set-priority, rotate on non-specific EOI, specific EOI, level
// triggering through the ELCR (IRR kept through INTA, re-delivery after EOI while the
// line is high), the spurious IRQ 15 of a cascade request with nothing on the slave,
// the KVM_GET_IRQCHIP fields those commands change, and a slave pin's EOI reaching a
// resampling irqfd.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm_util.h"

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint8_t log_vec[64];
static volatile uint32_t nlog;
static volatile uint8_t eoi_cmd = 0x20;		/* what the handlers write to 0x20 */
static volatile uint32_t eoi_until = 0xffffffff;	/* handlers stop EOIing at this count */
static volatile uint8_t irr_seen[64], isr_seen[64], slave_isr_seen[64];

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

GUEST_CODE static uint8_t read_irr(uint16_t base)
{
	outb(base, 0x0a);
	return inb(base);
}

GUEST_CODE static uint8_t read_isr(uint16_t base)
{
	outb(base, 0x0b);
	return inb(base);
}

/* each handler logs its vector, the master IRR and ISR as it runs, then EOIs */
GUEST_CODE static void record(uint8_t vec)
{
	uint32_t n = nlog;

	if (n < 64) {
		log_vec[n] = vec;
		irr_seen[n] = read_irr(0x20);
		isr_seen[n] = read_isr(0x20);
		slave_isr_seen[n] = read_isr(0xa0);
	}
	nlog = n + 1;
}

#define IRQ_HANDLER(irq)                                                                   \
	GUEST_CODE __attribute__((interrupt)) static void h##irq(struct frame *f)          \
	{                                                                                  \
		record(0x20 + irq);                                                        \
		if (nlog < eoi_until)                                                      \
			outb(0x20, eoi_cmd == 0x60 ? (uint8_t)(0x60 | irq) : eoi_cmd);     \
	}
IRQ_HANDLER(1)
IRQ_HANDLER(3)
IRQ_HANDLER(5)

/* IRQ 9 on the slave: EOI the slave, then the cascade on the master */
GUEST_CODE __attribute__((interrupt)) static void h9(struct frame *f)
{
	record(0x29);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* IRQ 15 from an empty slave: only the master has it in service; EOI the cascade pin */
GUEST_CODE __attribute__((interrupt)) static void h15(struct frame *f)
{
	record(0x2f);
	outb(0x20, 0x62);
}

GUEST_CODE static void delay_ns(uint64_t ns)
{
	uint64_t t0 = __builtin_ia32_rdtsc();

	while (__builtin_ia32_rdtsc() - t0 < ns)
		;
}

/* sti until `n` handlers have run (a 2 s bound turns a lost interrupt into a failure) */
GUEST_CODE static void take(uint32_t n)
{
	uint64_t t0 = __builtin_ia32_rdtsc();

	__asm__ volatile("sti");
	while (nlog < n && __builtin_ia32_rdtsc() - t0 < 2000000000ull)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	GUEST_ASSERT_EQ(nlog, n);
}

GUEST_CODE static void guest_main(void)
{
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xd1);		/* IRQ 1, 2 (cascade), 3, 5 */
	outb(0xa1, 0xff);

	/* fixed priority: IRQ 1, 3, 5 raised in reverse order arrive 1, 3, 5 */
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(read_irr(0x20), 0x2a);
	take(3);
	GUEST_ASSERT_EQ(log_vec[0], 0x21);
	GUEST_ASSERT_EQ(log_vec[1], 0x23);
	GUEST_ASSERT_EQ(log_vec[2], 0x25);
	GUEST_ASSERT_EQ(isr_seen[0], 0x02);	/* in service while its handler runs */
	GUEST_ASSERT_EQ(irr_seen[0], 0x28);	/* the others still requested */
	GUEST_ASSERT_EQ(read_isr(0x20), 0);

	/* OCW2 set priority: IRQ 4 lowest, so 5 comes first, then 1, then 3 */
	outb(0x20, 0xc4);
	GUEST_SYNC(2);
	take(6);
	GUEST_ASSERT_EQ(log_vec[3], 0x25);
	GUEST_ASSERT_EQ(log_vec[4], 0x21);
	GUEST_ASSERT_EQ(log_vec[5], 0x23);
	outb(0x20, 0xc7);		/* back to IRQ 0 highest */

	/* rotate on non-specific EOI: a serviced IRQ 1 drops to the lowest priority */
	eoi_cmd = 0xa0;
	GUEST_SYNC(3);
	take(7);
	GUEST_ASSERT_EQ(log_vec[6], 0x21);
	GUEST_SYNC(4);
	take(9);
	GUEST_ASSERT_EQ(log_vec[7], 0x23);	/* 3 before 1 now */
	GUEST_ASSERT_EQ(log_vec[8], 0x21);

	/* specific EOI (0x60 | irq) */
	outb(0x20, 0xc7);
	eoi_cmd = 0x60;
	GUEST_SYNC(5);
	take(10);
	GUEST_ASSERT_EQ(log_vec[9], 0x23);
	GUEST_ASSERT_EQ(read_isr(0x20), 0);

	/*
	 * Level-triggered IRQ 3 (ELCR bit 3): the request stays in IRR through the
	 * acknowledge and fires again after each EOI while the line is high.
	 */
	eoi_cmd = 0x20;
	eoi_until = 13;			/* the third one stays in service */
	outb(0x4d0, 0x08);
	GUEST_SYNC(6);
	take(13);
	GUEST_ASSERT_EQ(log_vec[10], 0x23);
	GUEST_ASSERT_EQ(log_vec[12], 0x23);
	GUEST_ASSERT_EQ(irr_seen[10], 0x08);
	GUEST_ASSERT_EQ(read_isr(0x20), 0x08);
	GUEST_SYNC(7);			/* the host lowers it */
	GUEST_ASSERT_EQ(read_irr(0x20), 0);
	outb(0x20, 0x20);
	__asm__ volatile("sti");
	delay_ns(1000000);
	__asm__ volatile("cli");
	GUEST_ASSERT_EQ(read_isr(0x20), 0);
	GUEST_SYNC2(8, nlog);
	outb(0x4d0, 0x00);

	/* a cascade request with nothing on the slave: vector 0x2f, slave ISR empty */
	GUEST_SYNC(9);
	take(nlog + 1);
	GUEST_ASSERT_EQ(log_vec[nlog - 1], 0x2f);
	GUEST_ASSERT_EQ(isr_seen[nlog - 1], 0x04);
	GUEST_ASSERT_EQ(slave_isr_seen[nlog - 1], 0x00);
	GUEST_ASSERT_EQ(read_isr(0x20), 0);

	/* a resampling irqfd on GSI 9 (slave pin 1): the slave's EOI resamples it */
	outb(0xa1, 0xfd);
	GUEST_SYNC(10);
	take(nlog + 1);
	GUEST_ASSERT_EQ(log_vec[nlog - 1], 0x29);
	GUEST_ASSERT_EQ(read_isr(0xa0), 0);
	GUEST_DONE();
}

static void pulse(struct vm *vm, uint32_t gsi)
{
	struct kvm_irq_level l = { .irq = gsi, .level = 1 };

	kvm_ioctl(vm->fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	kvm_ioctl(vm->fd, KVM_IRQ_LINE, &l);
}

static int line(struct vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (kvm_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l))
		return -1000;
	return l.status;
}

static struct kvm_pic_state master(struct vm *vm)
{
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_PIC_MASTER };

	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &c);
	return c.chip.pic;
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_main);
	struct kvm_irqchip c;
	struct ucall uc;
	uint64_t n;

	vm_install_irq_handler(vm, 0x21, h1);
	vm_install_irq_handler(vm, 0x23, h3);
	vm_install_irq_handler(vm, 0x25, h5);
	vm_install_irq_handler(vm, 0x2f, h15);
	vm_install_irq_handler(vm, 0x29, h9);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "ICW1-4 and the mask");
	pulse(vm, 5); pulse(vm, 3); pulse(vm, 1);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "IRR 0x2a; taken as 1, 3, 5; ISR and IRR inside the handler");
	is(master(vm).priority_add, 5, "OCW2 0xc4: priority_add 5 (IRQ 5 highest)");
	pulse(vm, 1); pulse(vm, 3); pulse(vm, 5);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "set priority: taken as 5, 1, 3");
	pulse(vm, 1);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "rotate on EOI after IRQ 1");
	is(master(vm).priority_add, 2, "rotation made IRQ 2 the highest");
	pulse(vm, 1); pulse(vm, 3);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "then IRQ 3 before IRQ 1");
	pulse(vm, 3);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "specific EOI");
	is(master(vm).elcr, 0x08, "ELCR 0x08 in the state");
	is(line(vm, 3, 1), 1, "level IRQ 3 raised and held: delivered");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "three deliveries of the held level line, IRR kept at INTA");
	is(line(vm, 3, 1), 0, "raising it again while it is pending: coalesced (0)");
	/* lowering counts 1 at the PIC and 1 at the IOAPIC, masked or not (KVM's ioapic_set_irq) */
	is(line(vm, 3, 0), 2, "lowered: 2");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "no more after the line dropped");
	n = uc.args[1];
	is(n, 13, "13 deliveries in all");

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "ELCR cleared");
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_MASTER;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &c);
	is(c.chip.pic.elcr, 0, "ELCR back to edge");
	c.chip.pic.irr |= 0x04;
	is(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &c), 0, "SET_IRQCHIP: cascade pin requested, slave empty");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "INTA gives the spurious vector 0x2f; master ISR bit 2 only");
	{
		int fd = eventfd(0, EFD_NONBLOCK), rfd = eventfd(0, EFD_NONBLOCK);
		struct kvm_irqfd a = { .fd = (uint32_t)fd, .gsi = 9, .flags = KVM_IRQFD_FLAG_RESAMPLE,
				       .resamplefd = (uint32_t)rfd };
		uint64_t one = 1, got = 0;

		is(kvm_ioctl(vm->fd, KVM_IRQFD, &a), 0, "resampling irqfd on GSI 9 (slave pin 1)");
		ok(write(fd, &one, sizeof(one)) == sizeof(one), "signalled");
		is(vcpu_get_ucall(v, &uc), UCALL_DONE, "vector 0x29 taken and EOI'd at both PICs");
		ok(read(rfd, &got, sizeof(got)) == sizeof(got) && got == 1,
		   "the slave PIC's EOI reached the resampler (pin 9 of 0-15)");
		close(fd);
		close(rfd);
	}
	vm_free(vm);
	return tap_done();
}
