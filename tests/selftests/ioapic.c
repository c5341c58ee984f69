// SPDX-License-Identifier: GPL-2.0-only
// The in-kernel IOAPIC and GSI routing: register reset values and write rules, level-
// triggered delivery with remote IRR and re-delivery after EOI while the line stays up,
// edge coalescing, masking, KVM_IRQ_LINE_STATUS results, MSIs by KVM_SIGNAL_MSI and by
// a routing entry, KVM_SET_GSI_ROUTING validation, KVM_GET/SET_IRQCHIP round trip.
#include <errno.h>
#include <stdio.h>

#include "kvm_util.h"

#define IOAPIC 0xfec00000ull
#define LOWER_PORT 0x77		/* the guest asks the host to lower GSI 5 */

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t count[256];
static volatile uint32_t seen_rte5_hi, seen_rte5_lo;

GUEST_CODE static uint32_t io_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

GUEST_CODE static void io_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

GUEST_CODE static void eoi(void)
{
	*(volatile uint32_t *)0xfee000b0 = 0;
}

GUEST_CODE __attribute__((interrupt)) static void h45(struct frame *f)
{
	uint64_t n = ++count[0x45];

	seen_rte5_lo = io_read(0x10 + 2 * 5);
	if (n >= 2)	/* the second time, have the line lowered before the EOI */
		__asm__ volatile("outb %%al, %0" : : "i"(LOWER_PORT), "a"(0));
	eoi();
}

GUEST_CODE __attribute__((interrupt)) static void h_count(struct frame *f)
{
	for (int v = 255; v >= 32; v--)
		if ((*(volatile uint32_t *)(uintptr_t)(0xfee00100ull + 0x10 * (v >> 5)) >> (v & 31)) & 1) {
			count[v]++;
			break;
		}
	eoi();
}

GUEST_CODE static void wait_for(unsigned vec, uint64_t n)
{
	while (count[vec] < n)
		__asm__ volatile("sti; hlt; cli");
}

GUEST_CODE static void guest_main(void)
{
	/* as an OS using the IOAPIC does: mask both 8259s, whose GSI 0-15 routes stay */
	__asm__ volatile("outb %%al, $0x21; outb %%al, $0xa1" : : "a"(0xff));
	*(volatile uint32_t *)0xfee000f0 = 0x1ff;
	GUEST_ASSERT_EQ(io_read(1), 0x170011);			/* version 0x11, 24 entries */
	GUEST_ASSERT_EQ(io_read(0), 0);
	io_write(0, 0xffffffff);
	GUEST_ASSERT_EQ(io_read(0), 0x0f000000);		/* a 4-bit ID */
	io_write(1, 0);
	GUEST_ASSERT_EQ(io_read(1), 0x170011);			/* read-only */
	GUEST_ASSERT_EQ(io_read(0x10), 0x10000);		/* masked at reset */
	GUEST_ASSERT_EQ(io_read(0x11), 0);
	GUEST_ASSERT_EQ(io_read(0x10 + 2 * 24), 0xffffffff);	/* past the last entry */
	*(volatile uint32_t *)IOAPIC = 0x1234;
	GUEST_ASSERT_EQ(*(volatile uint32_t *)IOAPIC, 0x34);	/* IOREGSEL is 8 bits */
	/* 1- and 2-byte writes count, zero-extended (ioapic_mmio_write()) */
	*(volatile uint8_t *)IOAPIC = 1;
	GUEST_ASSERT_EQ(*(volatile uint32_t *)IOAPIC, 1);
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(IOAPIC + 0x10), 0x170011);
	*(volatile uint32_t *)IOAPIC = 0x10 + 2 * 4;
	*(volatile uint16_t *)(IOAPIC + 0x10) = 0x8044;		/* clears the mask bit too */
	GUEST_ASSERT_EQ(io_read(0x10 + 2 * 4), 0x8044);
	io_write(0x10 + 2 * 4, 0x10000);
	/* delivery status and remote IRR are read-only */
	io_write(0x10 + 2 * 3, 0x15000 | 0x43);
	GUEST_ASSERT_EQ(io_read(0x10 + 2 * 3), 0x10000 | 0x43);
	/* pin 5: level, vector 0x45, physical APIC 0; pin 6: edge 0x46; pin 7 masked */
	io_write(0x11 + 2 * 5, 0);
	io_write(0x10 + 2 * 5, 0x8000 | 0x45);
	io_write(0x10 + 2 * 6, 0x46);
	io_write(0x10 + 2 * 7, 0x10000 | 0x47);
	GUEST_SYNC(1);
	/* the host raises GSI 5 and keeps it up: delivered, EOI, delivered again, lowered */
	wait_for(0x45, 2);
	GUEST_ASSERT_EQ(seen_rte5_lo & 0x4000, 0x4000);		/* remote IRR while in service */
	GUEST_ASSERT_EQ(io_read(0x10 + 2 * 5) & 0x4000, 0);	/* cleared by the EOI */
	GUEST_SYNC(2);
	wait_for(0x46, 1);					/* an edge */
	GUEST_SYNC(5);
	wait_for(0x46, 2);					/* and a second one */
	GUEST_SYNC(3);
	wait_for(0x48, 1);					/* KVM_SIGNAL_MSI */
	wait_for(0x49, 1);					/* MSI route + IRQ_LINE */
	GUEST_SYNC(4);
	GUEST_DONE();
}

static int irq_line(struct vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (kvm_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l))
		return -1000;
	return l.status;
}

static struct {
	struct kvm_irq_routing h;
	struct kvm_irq_routing_entry e[64];
} rt;

static void route_irqchip(int i, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	rt.e[i] = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
						  .u.irqchip = { .irqchip = chip, .pin = pin } };
}

static void test_routing_errors(struct vm *vm)
{
	memset(&rt, 0, sizeof(rt));
	rt.h.nr = 4097;
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "more than 4096 routes: EINVAL");
	rt.h.nr = 1;
	rt.h.flags = 1;
	route_irqchip(0, 1, KVM_IRQCHIP_IOAPIC, 1);
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "routing flags: EINVAL");
	rt.h.flags = 0;
	route_irqchip(0, 1, KVM_IRQCHIP_IOAPIC, 24);
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "IOAPIC pin 24: EINVAL");
	route_irqchip(0, 1, KVM_IRQCHIP_PIC_SLAVE, 8);
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "PIC pin 8: EINVAL");
	route_irqchip(0, 1, 3, 1);
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "irqchip 3: EINVAL");
	route_irqchip(0, 4096, KVM_IRQCHIP_IOAPIC, 1);
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "GSI 4096: EINVAL");
	rt.h.nr = 2;
	route_irqchip(0, 9, KVM_IRQCHIP_IOAPIC, 9);
	route_irqchip(1, 9, KVM_IRQCHIP_IOAPIC, 10);
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "one GSI to the IOAPIC twice: EINVAL");
	rt.e[1] = (struct kvm_irq_routing_entry){ .gsi = 9, .type = KVM_IRQ_ROUTING_MSI,
						  .u.msi = { .address_lo = 0xfee00000, .data = 0x49 } };
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "an MSI GSI with another route: EINVAL");
	rt.e[0].type = 99;
	rt.h.nr = 1;
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "unknown route type: EINVAL");
	route_irqchip(0, 9, KVM_IRQCHIP_IOAPIC, 9);
	rt.e[0].flags = KVM_MSI_VALID_DEVID;
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL,
		 "KVM_MSI_VALID_DEVID on an irqchip route: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (void *)8), EFAULT, "a bad pointer: EFAULT");
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC }, chip2;
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x48 };
	struct kvm_irq_level l = { .irq = 5, .level = 1 };
	struct ucall uc;
	int lowered = 0;

	is_errno(kvm_ioctl(vm->fd, KVM_IRQ_LINE, &l), ENXIO, "KVM_IRQ_LINE without an irqchip: ENXIO");
	is_errno(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), EINVAL, "KVM_SIGNAL_MSI without one: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip), ENXIO, "KVM_GET_IRQCHIP without one: ENXIO");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL, "KVM_SET_GSI_ROUTING without one: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (void *)8), EFAULT,
		 "the header is read first: EFAULT without one too");
	vm_free(vm);

	vm = vm_create_64_irqchip(&v, guest_main);
	is(kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip), 0, "KVM_GET_IRQCHIP IOAPIC");
	ok(chip.chip.ioapic.base_address == IOAPIC && chip.chip.ioapic.id == 0 && chip.chip.ioapic.irr == 0 &&
	   chip.chip.ioapic.redirtbl[0].bits == 0x10000 && chip.chip.ioapic.redirtbl[23].bits == 0x10000,
	   "reset: base 0xfec00000, every pin masked");
	chip.chip_id = 7;
	is_errno(kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip), EINVAL, "chip 7: EINVAL");
	for (int i = 0x43; i <= 0x49; i++)
		vm_install_irq_handler(vm, i, h_count);
	vm_install_irq_handler(vm, 0x45, h45);

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "guest: registers, then pins 5-7 programmed");
	is(irq_line(vm, 7, 1), -1, "masked pin: status -1");
	is(irq_line(vm, 5, 1), 1, "level GSI 5 raised: delivered (1)");
	for (;;) {
		int r = vcpu_run(v);

		if (r == 0 && v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == LOWER_PORT) {
			is(irq_line(vm, 5, 1), -1, "raised again while remote IRR is set: -1");
			irq_line(vm, 5, 0);
			lowered++;
			continue;
		}
		break;
	}
	ok(lowered == 1, "level: re-delivered after the first EOI, lowered by the host on the second");
	ok(v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == UCALL_PIO_PORT,
	   "SYNC 2: two deliveries, remote IRR set then cleared");

	is(irq_line(vm, 6, 1), 1, "edge GSI 6: delivered");
	is(irq_line(vm, 6, 1), 0, "raised again without going low: coalesced (0)");
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 5, "the guest took one edge");
	is(irq_line(vm, 6, 0), 1, "lowered");
	is(irq_line(vm, 6, 1), 1, "a new edge: delivered");
	irq_line(vm, 6, 0);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "SYNC 3: the second edge taken");

	is(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), 1, "KVM_SIGNAL_MSI to APIC 0: 1 delivered");
	msi.flags = 2;
	is_errno(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), EINVAL, "KVM_SIGNAL_MSI unknown flag: EINVAL");
	msi = (struct kvm_msi){ .address_lo = 0xfee05000, .data = 0x48 };
	is(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), -1, "to APIC 5, which does not exist: -1");
	test_routing_errors(vm);
	memset(&rt, 0, sizeof(rt));
	rt.h.nr = 2;
	route_irqchip(0, 5, KVM_IRQCHIP_IOAPIC, 5);
	rt.e[1] = (struct kvm_irq_routing_entry){ .gsi = 30, .type = KVM_IRQ_ROUTING_MSI,
						  .flags = KVM_MSI_VALID_DEVID, .u.msi = { .address_lo = 0xfee00000,
						  .data = 0x49, .devid = 77 } };
	is(kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), 0,
	   "KVM_SET_GSI_ROUTING: GSI 5 and an MSI (with a devid, ignored) on GSI 30");
	is(irq_line(vm, 30, 1), 1, "GSI 30 raises the MSI");
	is(irq_line(vm, 30, 0), -1, "lowering an MSI GSI does nothing (-1)");
	is(irq_line(vm, 6, 1), -1, "GSI 6 has no route any more (-1)");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "SYNC 4: both MSIs taken");

	memset(&chip, 0, sizeof(chip));
	memset(&chip2, 0, sizeof(chip2));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip);
	is(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip), 0, "KVM_SET_IRQCHIP IOAPIC");
	chip2.chip_id = KVM_IRQCHIP_IOAPIC;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip2);
	ok(!memcmp(&chip, &chip2, sizeof(chip)), "get -> set -> get is identical");
	ok(chip.chip.ioapic.redirtbl[5].bits == (0x8000 | 0x45) && chip.chip.ioapic.id == 0xf,
	   "the guest's programming is in the state");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");

	/*
	 * kvm_set_ioapic() re-injects the restored IRR: a level pin is delivered and keeps
	 * its IRR bit with remote IRR set; an edge pin is delivered and no longer reported
	 * pending; a masked edge pin stays pending. (The guest left its LAPIC enabled.)
	 */
	chip.chip.ioapic.redirtbl[10].bits = 0x8000 | 0x4a;
	chip.chip.ioapic.redirtbl[11].bits = 0x4b;
	chip.chip.ioapic.redirtbl[12].bits = 0x10000 | 0x4c;
	chip.chip.ioapic.irr = (1u << 10) | (1u << 11) | (1u << 12);
	is(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip), 0, "KVM_SET_IRQCHIP with pins 10-12 pending");
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip2);
	is(chip2.chip.ioapic.irr, (1u << 10) | (1u << 12), "IRR: the level pin and the masked edge pin");
	is(chip2.chip.ioapic.redirtbl[10].bits, 0x4000 | 0x8000 | 0x4a, "the level pin waits for its EOI");
	is(chip2.chip.ioapic.redirtbl[11].bits, 0x4b, "the edge pin's entry is unchanged");
	vm_free(vm);
	return tap_done();
}
