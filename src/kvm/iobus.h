// SPDX-License-Identifier: GPL-2.0-only
// In-hypervisor I/O buses (KVM's kvm_io_bus): PIO and MMIO ranges handled without a VM exit.
#ifndef SWKVM_KVM_IOBUS_H
#define SWKVM_KVM_IOBUS_H

#include <stdint.h>

struct kvm;
struct kvm_vcpu;
struct kvm_io_device;

/*
 * A device's handlers return 0 when they handled the access, or -EOPNOTSUPP to let
 * the next device on the bus (or userspace) have it. `vcpu` may be NULL for accesses
 * that do not come from a vCPU. Handlers run on vCPU threads concurrently: a device
 * protects its own state.
 */
struct kvm_io_device_ops {
	int (*read)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
		    void *val);
	int (*write)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr, int len,
		     const void *val);
};

struct kvm_io_device {
	const struct kvm_io_device_ops *ops;
};

enum kvm_bus { KVM_MMIO_BUS, KVM_PIO_BUS, KVM_NR_BUSES };

/* Registers [addr, addr+len) on a bus. -ENOSPC when the bus is full, -ENOMEM. */
int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus, uint64_t addr, int len,
			    struct kvm_io_device *dev);
/* Removes every range of `dev`; waits until no vCPU can still be calling it. */
int kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus, struct kvm_io_device *dev);
/* 0 if a device handled the access, -EOPNOTSUPP if none did. */
int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus, uint64_t addr, int len,
		     const void *val);
int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus, uint64_t addr, int len, void *val);
void kvm_io_bus_destroy(struct kvm *kvm);

#endif
