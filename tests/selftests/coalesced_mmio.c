// SPDX-License-Identifier: GPL-2.0-only
// KVM_(UN)REGISTER_COALESCED_MMIO: writes to a zone land in the ring at page 2 of the
// vCPU mapping without exits, reads still exit, PIO zones, a full ring falls back to
// exits, a corrupted ring index is harmless, unregistering by sub-range, argument errors.
#include <errno.h>
#include <stdio.h>

#include "kvm_util.h"

#define ZONE 0xd0000000ull
#define RING_MAX ((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio))

static volatile uint32_t nwrites;

GUEST_CODE static void guest_main(void)
{
	*(volatile uint8_t *)(ZONE + 1) = 0x11;
	*(volatile uint16_t *)(ZONE + 2) = 0x2222;
	*(volatile uint32_t *)(ZONE + 4) = 0x33333333;
	*(volatile uint64_t *)(ZONE + 8) = 0x4444444444444444ull;
	__asm__ volatile("outb %%al, %%dx" : : "a"(0x55), "d"(0x3f8));	/* PIO zone */
	GUEST_SYNC(1);
	GUEST_SYNC(*(volatile uint32_t *)(ZONE + 4));			/* a read exits */
	for (uint32_t i = 0; i < nwrites; i++)
		*(volatile uint32_t *)(ZONE + 0x10) = i;
	GUEST_SYNC(2);
	*(volatile uint32_t *)(ZONE + 0x20) = 0x77;
	GUEST_SYNC(3);
	*(volatile uint32_t *)(ZONE + 0x30) = 0x88;
	GUEST_DONE();
}

static struct kvm_coalesced_mmio_ring *ring_of(struct vcpu *v)
{
	return (struct kvm_coalesced_mmio_ring *)((uint8_t *)v->run + 2 * 4096);
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	struct kvm_coalesced_mmio_zone z = { .addr = ZONE, .size = 0x1000 };
	struct kvm_coalesced_mmio_zone pz = { .addr = 0x3f8, .size = 8, .pio = 1 };
	struct kvm_coalesced_mmio_ring *ring = ring_of(v);
	struct kvm_coalesced_mmio *e = ring->coalesced_mmio;
	struct ucall uc;
	uint64_t d;
	int n;

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO), 2,
	   "CAP_COALESCED_MMIO: the ring is page 2 of the vCPU mapping");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO), 1, "CAP_COALESCED_PIO");
	vm_map_4k(vm, ZONE, ZONE);
	is(kvm_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &z), 0, "register an MMIO zone");
	is(kvm_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &pz), 0, "register a PIO zone");
	pz.pio = 2;
	is_errno(kvm_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &pz), EINVAL, "pio 2: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, &pz), EINVAL, "unregister pio 2: EINVAL");
	pz.pio = 1;

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "five writes, no exit until the SYNC");
	is(ring->first, 0, "ring first 0");
	is(ring->last, 5, "ring last 5");
	ok(e[0].phys_addr == ZONE + 1 && e[0].len == 1 && e[0].data[0] == 0x11 && e[0].pio == 0, "byte write");
	ok(e[1].phys_addr == ZONE + 2 && e[1].len == 2 && e[1].data[0] == 0x22 && e[1].data[1] == 0x22,
	   "word write");
	ok(e[2].phys_addr == ZONE + 4 && e[2].len == 4 && !memcmp(e[2].data, "\x33\x33\x33\x33", 4), "dword write");
	memcpy(&d, e[3].data, 8);
	ok(e[3].phys_addr == ZONE + 8 && e[3].len == 8 && d == 0x4444444444444444ull, "qword write");
	ok(e[4].phys_addr == 0x3f8 && e[4].len == 1 && e[4].data[0] == 0x55 && e[4].pio == 1, "OUT to the PIO zone");
	ring->first = ring->last;		/* consumed */

	is(vcpu_run(v), 0, "run");
	ok(v->run->exit_reason == KVM_EXIT_MMIO && !v->run->mmio.is_write && v->run->mmio.phys_addr == ZONE + 4,
	   "a read from the zone is an ordinary KVM_EXIT_MMIO");
	memcpy(v->run->mmio.data, "\x78\x56\x34\x12", 4);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "SYNC");
	is(uc.args[0], 0x12345678, "with the value userspace supplied");

	/* fill the ring: RING_MAX - 1 entries fit, the next write exits */
	nwrites = (uint32_t)RING_MAX;
	vm_sync_to_guest(vm, (const void *)&nwrites, sizeof(nwrites));
	for (n = 0; vcpu_run(v) == 0 && v->run->exit_reason == KVM_EXIT_MMIO; n++)
		;
	is(n, 1, "one write exited once the ring was full");
	is(((int64_t)ring->last - (int64_t)ring->first + (int64_t)RING_MAX) % (int64_t)RING_MAX, RING_MAX - 1, "the ring holds RING_MAX - 1 entries");
	ring->first = ring->last;

	/* a corrupted index from userspace never makes the hypervisor write out of the page */
	ring->last = 9999;
	is(vcpu_run(v), 0, "run");
	ok(v->run->exit_reason == KVM_EXIT_MMIO && v->run->mmio.is_write && v->run->mmio.phys_addr == ZONE + 0x20,
	   "with a corrupted ring index the write is an ordinary exit");
	is(ring->last, 9999, "the bad index was left alone");
	ring->last = ring->first;
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "SYNC 3");
	z.addr = ZONE + 0x20;
	z.size = 4;
	is(kvm_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, &z), 0, "unregister by a range inside the zone");
	is(vcpu_run(v), 0, "run");
	ok(v->run->exit_reason == KVM_EXIT_MMIO && v->run->mmio.is_write && v->run->mmio.phys_addr == ZONE + 0x30,
	   "after unregistering, a write is an ordinary exit");
	is(ring->last, ring->first, "and nothing was queued");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	vm_free(vm);
	return tap_done();
}
