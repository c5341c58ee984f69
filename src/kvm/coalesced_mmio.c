// SPDX-License-Identifier: GPL-2.0-only
// Coalesced MMIO/PIO (virt/kvm/coalesced_mmio.c): writes to registered zones are queued
// in the ring at page KVM_COALESCED_MMIO_PAGE_OFFSET of the vCPU mapping instead of
// exiting; reads still exit.
//
// In the kernel the ring is one page shared by the whole VM; QEMU reads it through the
// first vCPU's mapping only, kvmtool through each vCPU's own. Here every vCPU mapping is
// its own file, so only the first vCPU's page is the ring and only that vCPU's writes
// are coalesced: the others exit as if the ring were full. Both readers then see every
// write exactly once and in order.
#include <stdlib.h>
#include <string.h>

#include "kvm/iobus.h"
#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"

#define RING_MAX ((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio))

struct coalesced_zone {
	struct kvm_io_device dev;
	struct coalesced_zone *next;
	struct kvm *kvm;
	struct kvm_coalesced_mmio_zone zone;
};

/* coalesced_mmio_in_range(): [addr, addr+len) lies within the zone */
static bool in_zone(const struct kvm_coalesced_mmio_zone *z, uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		return false;
	return addr >= z->addr && addr + len <= z->addr + z->size;
}

static int zone_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len, void *val)
{
	return -EOPNOTSUPP;	/* reads are never coalesced */
}

static int zone_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
		      const void *val)
{
	struct coalesced_zone *z = (struct coalesced_zone *)dev;
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_coalesced_mmio *e;
	uint32_t first, last;

	if (!vcpu || vcpu->vcpu_idx != 0 || len > 8 || !in_zone(&z->zone, addr, (uint64_t)len))
		return -EOPNOTSUPP;
	ring = (struct kvm_coalesced_mmio_ring *)((uint8_t *)vcpu->run +
						   KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE);
	/* userspace owns `first` and may scribble on `last`: never index with a bad one */
	first = __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE);
	last = __atomic_load_n(&ring->last, __ATOMIC_RELAXED);
	if (last >= RING_MAX || (last + 1) % RING_MAX == first)
		return -EOPNOTSUPP;	/* full: an ordinary exit */
	e = &ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = (uint32_t)len;
	e->pio = z->zone.pio;
	memcpy(e->data, val, (size_t)len);
	__atomic_store_n(&ring->last, (last + 1) % RING_MAX, __ATOMIC_RELEASE);
	return 0;
}

static const struct kvm_io_device_ops zone_ops = { .read = zone_read, .write = zone_write };

long kvm_vm_ioctl_coalesced_mmio(struct kvm *kvm, void *argp, bool reg)
{
	struct kvm_coalesced_mmio_zone zone;
	struct coalesced_zone *z, **pp;
	int r;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	if (zone.pio != 0 && zone.pio != 1)
		return -EINVAL;
	if (reg) {
		z = calloc(1, sizeof(*z));
		if (!z)
			return -ENOMEM;
		z->dev.ops = &zone_ops;
		z->kvm = kvm;
		z->zone = zone;
		pthread_mutex_lock(&kvm->coalesced_lock);
		r = kvm_io_bus_register_dev(kvm, zone.pio ? KVM_PIO_BUS : KVM_MMIO_BUS, zone.addr,
					    (int)zone.size, &z->dev);
		if (r) {
			pthread_mutex_unlock(&kvm->coalesced_lock);
			free(z);
			return r;
		}
		z->next = kvm->coalesced_zones;
		kvm->coalesced_zones = z;
		pthread_mutex_unlock(&kvm->coalesced_lock);
		return 0;
	}
	/* unregister every zone that contains the given range; 0 even if none does */
	pthread_mutex_lock(&kvm->coalesced_lock);
	for (pp = &kvm->coalesced_zones; (z = *pp);) {
		if (z->zone.pio == zone.pio && in_zone(&z->zone, zone.addr, zone.size)) {
			kvm_io_bus_unregister_dev(kvm, zone.pio ? KVM_PIO_BUS : KVM_MMIO_BUS, &z->dev);
			*pp = z->next;
			free(z);
		} else {
			pp = &z->next;
		}
	}
	pthread_mutex_unlock(&kvm->coalesced_lock);
	return 0;
}

void kvm_coalesced_mmio_destroy(struct kvm *kvm)
{
	struct coalesced_zone *z = kvm->coalesced_zones, *n;

	for (; z; z = n) {
		n = z->next;
		free(z);
	}
	kvm->coalesced_zones = NULL;
	pthread_mutex_destroy(&kvm->coalesced_lock);
}
