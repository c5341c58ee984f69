// SPDX-License-Identifier: GPL-2.0-only
// KVM_IRQFD: an eventfd signal raises a GSI through the in-kernel IOAPIC; a resampling
// irqfd holds a level-triggered line until the guest's EOI, then lowers it and signals
// the resamplefd (one delivery per signal, not an interrupt storm); deassignment; the
// argument checks of kvm_irqfd()/kvm_irqfd_assign().
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm_util.h"

#define IOAPIC 0xfec00000ull

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t count[256];

GUEST_CODE static void io_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

GUEST_CODE __attribute__((interrupt)) static void h45(struct frame *f)
{
	count[0x45]++;
	*(volatile uint32_t *)0xfee000b0 = 0;
}

GUEST_CODE __attribute__((interrupt)) static void h46(struct frame *f)
{
	count[0x46]++;
	*(volatile uint32_t *)0xfee000b0 = 0;
}

GUEST_CODE static void wait_for(unsigned vec, uint64_t n)
{
	while (count[vec] < n)
		__asm__ volatile("sti; hlt; cli");
}

/* interrupts open long enough for a still-asserted level pin to come back at once */
GUEST_CODE static void window(void)
{
	for (int i = 0; i < 200; i++)
		__asm__ volatile("sti; nop; cli");
}

GUEST_CODE static void guest_main(void)
{
	__asm__ volatile("outb %%al, $0x21; outb %%al, $0xa1" : : "a"(0xff));
	*(volatile uint32_t *)0xfee000f0 = 0x1ff;
	io_write(0x11 + 2 * 5, 0);
	io_write(0x10 + 2 * 5, 0x8000 | 0x45);	/* level, to APIC 0 */
	io_write(0x11 + 2 * 6, 0);
	io_write(0x10 + 2 * 6, 0x46);		/* edge */
	GUEST_SYNC(1);
	wait_for(0x46, 1);
	window();
	GUEST_SYNC(count[0x46]);
	wait_for(0x45, 1);
	window();
	GUEST_SYNC(count[0x45]);
	wait_for(0x45, 2);
	window();
	GUEST_SYNC(count[0x45]);
	io_write(0x10 + 2 * 5, 0x10000 | 0x8000 | 0x45);	/* mask pin 5 */
	GUEST_SYNC(0x100);
	io_write(0x10 + 2 * 5, 0x8000 | 0x45);		/* unmask with its IRR set */
	window();
	GUEST_SYNC(count[0x45]);
	wait_for(0x45, 3);
	window();
	GUEST_SYNC(count[0x45]);
	wait_for(0x46, 2);	/* a resampling irqfd on the edge-triggered pin */
	window();
	GUEST_SYNC(count[0x46]);
	wait_for(0x46, 3);
	window();
	GUEST_SYNC(count[0x46]);
	GUEST_DONE();
}

static int irqfd(struct vm *vm, int fd, uint32_t gsi, uint32_t flags, int resamplefd)
{
	struct kvm_irqfd a = { .fd = (uint32_t)fd, .gsi = gsi, .flags = flags,
			       .resamplefd = (uint32_t)resamplefd };

	return kvm_ioctl(vm->fd, KVM_IRQFD, &a);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		tap_bail("eventfd write");
}

static uint64_t read_now(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static uint32_t ioapic_irr(struct vm *vm)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip))
		tap_bail("KVM_GET_IRQCHIP");
	return chip.chip.ioapic.irr;
}

/* the irqfd thread raises the line asynchronously: wait (at most 2 s) for the IRR */
static bool wait_ioapic_irr(struct vm *vm, uint32_t bits)
{
	for (int i = 0; i < 2000; i++) {
		if ((ioapic_irr(vm) & bits) == bits)
			return true;
		usleep(1000);
	}
	return false;
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	int edge = eventfd(0, EFD_NONBLOCK), lvl = eventfd(0, EFD_NONBLOCK);
	int resample = eventfd(0, EFD_NONBLOCK), pipefd[2];
	struct ucall uc;

	if (edge < 0 || lvl < 0 || resample < 0 || pipe(pipefd))
		tap_bail("eventfd/pipe");
	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1, "KVM_CAP_IRQFD");
	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE), 1, "KVM_CAP_IRQFD_RESAMPLE");
	is_errno(irqfd(vm, edge, 6, 0, 0), EINVAL, "without an irqchip: EINVAL (kvm_arch_irqfd_allowed)");
	is_errno(irqfd(vm, 999, 6, KVM_IRQFD_FLAG_RESAMPLE, 998), EINVAL,
		 "checked before the descriptors: EINVAL");
	is(irqfd(vm, edge, 6, KVM_IRQFD_FLAG_DEASSIGN, 0), 0, "deassigning nothing: 0");
	vm_free(vm);

	vm = vm_create_64_irqchip(&v, guest_main);
	vm_install_irq_handler(vm, 0x45, h45);
	vm_install_irq_handler(vm, 0x46, h46);
	is_errno(irqfd(vm, edge, 6, 4, 0), EINVAL, "unknown flag: EINVAL");
	is_errno(irqfd(vm, pipefd[0], 6, 0, 0), EINVAL, "a pipe is not an eventfd: EINVAL");
	is_errno(irqfd(vm, 999, 6, 0, 0), EBADF, "a closed descriptor: EBADF");
	is_errno(irqfd(vm, lvl, 5, KVM_IRQFD_FLAG_RESAMPLE, pipefd[1]), EINVAL,
		 "a resamplefd that is not an eventfd: EINVAL");
	is(irqfd(vm, edge, 6, 0, 0), 0, "irqfd on GSI 6");
	is_errno(irqfd(vm, edge, 7, 0, 0), EBUSY, "the same eventfd again: EBUSY");
	is(irqfd(vm, lvl, 5, KVM_IRQFD_FLAG_RESAMPLE, resample), 0, "resampling irqfd on GSI 5");

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "guest: pins 5 (level) and 6 (edge) programmed");
	signal_fd(edge);
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 1, "edge irqfd: one interrupt");
	signal_fd(lvl);
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 1,
	   "resampling irqfd: one interrupt, the EOI lowered the line");
	is(read_now(resample), 1, "the EOI signalled the resamplefd");
	is(read_now(resample), 0, "once");
	signal_fd(lvl);
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 2, "signalled again: a second interrupt");
	is(read_now(resample), 1, "and a second resample");

	/*
	 * ioapic_write_indirect(): unmasking a level pin whose IRR is set asks the
	 * resampler instead of delivering a possibly stale interrupt.
	 */
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 0x100, "guest masked pin 5");
	signal_fd(lvl);
	ok(wait_ioapic_irr(vm, 1u << 5), "the masked pin holds the raised line in its IRR");
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 2,
	   "unmasking it delivered nothing: the resampler was asked instead");
	is(read_now(resample), 1, "the unmask signalled the resamplefd");
	is(ioapic_irr(vm) & (1u << 5), 0, "and dropped the IRR");
	signal_fd(lvl);
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 3, "the VMM re-signals: delivered");
	is(read_now(resample), 1, "resampled again after its EOI");

	is(irqfd(vm, edge, 6, KVM_IRQFD_FLAG_DEASSIGN, 0), 0, "deassign GSI 6");
	is(irqfd(vm, lvl, 5, KVM_IRQFD_FLAG_DEASSIGN, 0), 0, "deassign GSI 5");
	/*
	 * On an edge-triggered pin the guest's EOI runs the ack notifiers as well
	 * (kvm_ioapic_update_eoi_one() before its trigger-mode check): the line drops
	 * and the resamplefd is signalled, so the next signal is a new edge.
	 */
	is(irqfd(vm, lvl, 6, KVM_IRQFD_FLAG_RESAMPLE, resample), 0, "resampling irqfd on edge GSI 6");
	signal_fd(lvl);
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 2, "edge pin: one interrupt");
	is(read_now(resample), 1, "the edge EOI signalled the resamplefd");
	signal_fd(lvl);
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 3, "signalled again: a new edge");
	is(read_now(resample), 1, "and a second resample");
	is(irqfd(vm, lvl, 6, KVM_IRQFD_FLAG_DEASSIGN, 0), 0, "deassign it");
	signal_fd(edge);
	usleep(20000);
	is(read_now(edge), 1, "a deassigned eventfd is no longer consumed");
	is(irqfd(vm, edge, 6, 0, 0), 0, "the eventfd can be assigned again");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	vm_free(vm);	/* with an irqfd still assigned */
	close(edge);
	close(lvl);
	close(resample);
	return tap_done();
}
