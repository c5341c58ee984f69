// SPDX-License-Identifier: GPL-2.0-only
// In-hypervisor PIO and MMIO buses: immutable range tables swapped on change.
//
// A vCPU reads the current table on each access. Register/unregister publish a new
// table and then wait until every vCPU inside KVM_RUN has passed a request check
// (it cannot be in the middle of a bus access then), so the old table and an
// unregistered device are no longer in use when they return.
#include <stdlib.h>
#include <string.h>

#include "kvm/iobus.h"
#include "kvm/kvm_host.h"

#define NR_IOBUS_DEVS 1000	/* KVM's limit; beyond it -ENOSPC */

struct kvm_io_range {
	uint64_t addr;
	int len;		/* 0: matches exactly `addr`, any length (ioeventfd "any length") */
	struct kvm_io_device *dev;
};

struct kvm_io_bus {
	int dev_count;
	struct kvm_io_range range[];
};

static struct kvm_io_bus *bus_get(struct kvm *kvm, enum kvm_bus idx)
{
	return atomic_load(&kvm->buses[idx]);
}

static void bus_publish(struct kvm *kvm, enum kvm_bus idx, struct kvm_io_bus *n)
{
	struct kvm_io_bus *old = atomic_exchange(&kvm->buses[idx], n);

	kvm_make_all_cpus_request_wait(kvm, KVM_REQ_SYNC);
	free(old);
}

int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus idx, uint64_t addr, int len,
			    struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *n;
	int count;

	if (idx >= KVM_NR_BUSES || len < 0)
		return -EINVAL;
	pthread_mutex_lock(&kvm->slots_lock);
	old = bus_get(kvm, idx);
	count = old ? old->dev_count : 0;
	if (count >= NR_IOBUS_DEVS) {
		pthread_mutex_unlock(&kvm->slots_lock);
		return -ENOSPC;
	}
	n = malloc(sizeof(*n) + (size_t)(count + 1) * sizeof(n->range[0]));
	if (!n) {
		pthread_mutex_unlock(&kvm->slots_lock);
		return -ENOMEM;
	}
	if (count)
		memcpy(n->range, old->range, (size_t)count * sizeof(n->range[0]));
	n->range[count] = (struct kvm_io_range){ .addr = addr, .len = len, .dev = dev };
	n->dev_count = count + 1;
	bus_publish(kvm, idx, n);
	pthread_mutex_unlock(&kvm->slots_lock);
	return 0;
}

int kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus idx, struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *n;
	int j = 0;

	if (idx >= KVM_NR_BUSES)
		return -EINVAL;
	pthread_mutex_lock(&kvm->slots_lock);
	old = bus_get(kvm, idx);
	if (!old) {
		pthread_mutex_unlock(&kvm->slots_lock);
		return -ENOENT;
	}
	n = malloc(sizeof(*n) + (size_t)old->dev_count * sizeof(n->range[0]));
	if (!n) {
		pthread_mutex_unlock(&kvm->slots_lock);
		return -ENOMEM;
	}
	for (int i = 0; i < old->dev_count; i++)
		if (old->range[i].dev != dev)
			n->range[j++] = old->range[i];
	n->dev_count = j;
	if (j == old->dev_count) {
		free(n);
		pthread_mutex_unlock(&kvm->slots_lock);
		return -ENOENT;
	}
	bus_publish(kvm, idx, n);
	pthread_mutex_unlock(&kvm->slots_lock);
	return 0;
}

static bool range_matches(const struct kvm_io_range *r, uint64_t addr, int len)
{
	if (r->len == 0)
		return r->addr == addr;
	return addr >= r->addr && addr - r->addr < (uint64_t)r->len &&
	       addr + (uint64_t)len <= r->addr + (uint64_t)r->len;
}

int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus idx, uint64_t addr, int len,
		     const void *val)
{
	struct kvm_io_bus *bus = bus_get(vcpu->kvm, idx);

	for (int i = 0; bus && i < bus->dev_count; i++) {
		const struct kvm_io_range *r = &bus->range[i];
		if (range_matches(r, addr, len) && r->dev->ops->write &&
		    r->dev->ops->write(vcpu, r->dev, addr, len, val) == 0)
			return 0;
	}
	return -EOPNOTSUPP;
}

int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus idx, uint64_t addr, int len, void *val)
{
	struct kvm_io_bus *bus = bus_get(vcpu->kvm, idx);

	for (int i = 0; bus && i < bus->dev_count; i++) {
		const struct kvm_io_range *r = &bus->range[i];
		if (range_matches(r, addr, len) && r->dev->ops->read &&
		    r->dev->ops->read(vcpu, r->dev, addr, len, val) == 0)
			return 0;
	}
	return -EOPNOTSUPP;
}

void kvm_io_bus_destroy(struct kvm *kvm)
{
	for (int i = 0; i < KVM_NR_BUSES; i++)
		free(atomic_exchange(&kvm->buses[i], NULL));
}
