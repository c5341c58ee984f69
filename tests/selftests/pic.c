// SPDX-License-Identifier: GPL-2.0-only
// The in-kernel 8259 pair through the LAPIC's LINT0 (ExtINT): ICW/OCW programming, IMR,
// ELCR masks, OCW3 register reads, interrupts from KVM_IRQ_LINE on master and slave pins
// with EOIs, masking, polling, auto-EOI, KVM_GET/SET_IRQCHIP.
#include <errno.h>
#include <stdio.h>

#include "kvm_util.h"

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t count[256];
static volatile uint8_t isr_in_handler[256];

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

GUEST_CODE static void init_pics(uint8_t icw4)
{
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, icw4);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, icw4);
	outb(0x21, 0xf9);	/* IRQ1 and the cascade (IRQ2) */
	outb(0xa1, 0xfe);	/* IRQ8 */
}

GUEST_CODE __attribute__((interrupt)) static void h21(struct frame *f)
{
	outb(0x20, 0x0b);	/* OCW3: read ISR */
	isr_in_handler[0x21] = inb(0x20);
	count[0x21]++;
	outb(0x20, 0x20);	/* non-specific EOI */
}

GUEST_CODE __attribute__((interrupt)) static void h28(struct frame *f)
{
	outb(0xa0, 0x0b);
	isr_in_handler[0x28] = inb(0xa0);
	count[0x28]++;
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

GUEST_CODE static void wait_for(unsigned vec, uint64_t n)
{
	while (count[vec] < n)
		__asm__ volatile("sti; hlt; cli");
}

GUEST_CODE static void guest_main(void)
{
	init_pics(0x01);
	GUEST_ASSERT_EQ(inb(0x21), 0xf9);
	GUEST_ASSERT_EQ(inb(0xa1), 0xfe);
	outb(0x4d0, 0xff);
	GUEST_ASSERT_EQ(inb(0x4d0), 0xf8);	/* IRQ 0-2 cannot be level */
	outb(0x4d1, 0xff);
	GUEST_ASSERT_EQ(inb(0x4d1), 0xde);	/* nor 8 and 13 */
	outb(0x4d0, 0);
	outb(0x4d1, 0);
	GUEST_SYNC(1);
	wait_for(0x21, 1);
	GUEST_ASSERT_EQ(isr_in_handler[0x21], 0x02);	/* IRQ1 in service */
	outb(0x20, 0x0b);
	GUEST_ASSERT_EQ(inb(0x20), 0);			/* and done after the EOI */
	GUEST_SYNC(2);
	wait_for(0x28, 1);
	GUEST_ASSERT_EQ(isr_in_handler[0x28], 0x01);	/* IRQ8 on the slave */
	GUEST_SYNC(3);
	/* polling with interrupts off: the host raised IRQ1 */
	outb(0x20, 0x0c);
	GUEST_ASSERT_EQ(inb(0x20), 0x81);		/* bit 7: pending, IRQ 1 */
	outb(0x20, 0x0c);
	GUEST_ASSERT_EQ(inb(0x20), 0x07);		/* nothing left */
	outb(0x20, 0x0a);
	GUEST_ASSERT_EQ(inb(0x20), 0x08);		/* IRR: only the masked IRQ3 the host raised */
	/* auto-EOI: nothing stays in service */
	init_pics(0x03);
	GUEST_SYNC(4);
	wait_for(0x21, 2);
	GUEST_ASSERT_EQ(isr_in_handler[0x21], 0);
	GUEST_DONE();
}

static int irq_line(struct vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (kvm_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l))
		return -1000;
	return l.status;
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_main);
	struct kvm_irqchip m = { .chip_id = KVM_IRQCHIP_PIC_MASTER }, sl = { .chip_id = KVM_IRQCHIP_PIC_SLAVE }, m2;
	struct ucall uc;

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP), 1, "CAP_IRQCHIP");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING), 4096, "CAP_IRQ_ROUTING: 4096");
	is(kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &m), 0, "KVM_GET_IRQCHIP master");
	is(kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &sl), 0, "KVM_GET_IRQCHIP slave");
	ok(m.chip.pic.elcr_mask == 0xf8 && sl.chip.pic.elcr_mask == 0xde && m.chip.pic.imr == 0 &&
	   m.chip.pic.irq_base == 0 && m.chip.pic.init_state == 0, "creation state: ELCR masks, nothing else");
	vm_install_irq_handler(vm, 0x21, h21);
	vm_install_irq_handler(vm, 0x28, h28);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "ICW1-4, OCW1, ELCR masks");
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &m);
	ok(m.chip.pic.irq_base == 0x20 && m.chip.pic.imr == 0xf9 && m.chip.pic.init4 == 1 && !m.chip.pic.auto_eoi,
	   "the state shows the programming");
	is(irq_line(vm, 3, 1), -1, "IRQ3 masked on the PIC (and the IOAPIC): -1");
	is(irq_line(vm, 1, 1), 1, "IRQ1 raised: delivered");
	irq_line(vm, 1, 0);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "vector 0x21 through LINT0 ExtINT, ISR bit 1, EOI");
	is(irq_line(vm, 8, 1), 1, "IRQ8 (slave) raised");
	irq_line(vm, 8, 0);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "vector 0x28 through the cascade");
	irq_line(vm, 1, 1);
	irq_line(vm, 1, 0);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "OCW3 poll takes the pending IRQ1 (0x81), then 0x07");
	irq_line(vm, 1, 1);
	irq_line(vm, 1, 0);
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "auto-EOI leaves nothing in service");

	memset(&m, 0, sizeof(m));
	memset(&m2, 0, sizeof(m2));
	m.chip_id = KVM_IRQCHIP_PIC_MASTER;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &m);
	is(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &m), 0, "KVM_SET_IRQCHIP master");
	m2.chip_id = KVM_IRQCHIP_PIC_MASTER;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &m2);
	ok(!memcmp(&m, &m2, sizeof(m)), "get -> set -> get is identical");
	vm_free(vm);
	return tap_done();
}
