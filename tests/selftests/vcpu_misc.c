// SPDX-License-Identifier: GPL-2.0-only
// Smaller vCPU/VM ioctls: TSC rate, debug registers, identity map, boot CPU, KVM_TRANSLATE.
#include <stdio.h>
#include <time.h>

#include "kvm_util.h"

static uint64_t guest_tsc(struct vcpu *v)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e.index = 0x10 };

	kvm_ioctl(v->fd, KVM_GET_MSRS, &m);
	return m.e.data;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/*
 * The guest TSC read between host clock reads: the TSC advanced by at least the host
 * time between the inner reads and at most that between the outer ones (times the
 * rate, plus 1 us for rounding), whatever the load on the machine.
 */
static bool tsc_tracks(struct vcpu *v, uint64_t ghz, uint64_t *delta)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t a0 = mono_ns(), t0 = guest_tsc(v), b0 = mono_ns();
	uint64_t a1, t1, b1;

	nanosleep(&ts, NULL);
	a1 = mono_ns();
	t1 = guest_tsc(v);
	b1 = mono_ns();
	*delta = t1 - t0;
	return *delta + 1000 * ghz >= (a1 - b0) * ghz && *delta <= (b1 - a0) * ghz + 1000 * ghz &&
	       a1 - b0 >= 20000000;
}

static void test_tsc(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	uint64_t t0, t1, d = 0;
	bool tracks;

	is(kvm_ioctl(v->fd, KVM_GET_TSC_KHZ, 0), 1000000, "default TSC rate 1 GHz");
	tracks = tsc_tracks(v, 1, &d);
	ok(tracks, "the guest TSC advances with host time at 1 GHz (%llu in a 20 ms sleep)", (unsigned long long)d);
	t1 = guest_tsc(v);
	is(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, 3000000), 0, "KVM_SET_TSC_KHZ 3 GHz");
	is(kvm_ioctl(v->fd, KVM_GET_TSC_KHZ, 0), 3000000, "reads back 3 GHz");
	t0 = guest_tsc(v);
	ok(t0 >= t1 && t0 - t1 < 100000000, "the TSC value is continuous across the change");
	tracks = tsc_tracks(v, 3, &d);
	ok(tracks, "... and at 3 GHz after KVM_SET_TSC_KHZ (%llu in a 20 ms sleep)", (unsigned long long)d);
	is_errno(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, 0xffffffffu), EINVAL, "a rate beyond the maximum: EINVAL");
	is(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, 0), 0, "0 restores the default rate");
	is(kvm_ioctl(v->fd, KVM_GET_TSC_KHZ, 0), 1000000, "1 GHz again");
	vm_free(vm);
}

static void test_debugregs(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_debugregs d, g;

	is(kvm_ioctl(v->fd, KVM_GET_DEBUGREGS, &g), 0, "GET_DEBUGREGS");
	ok(g.dr6 == 0xffff0ff0 && g.dr7 == 0x400 && !g.db[0] && !g.flags, "reset DR6 0xffff0ff0, DR7 0x400");
	memset(&d, 0, sizeof(d));
	d.db[0] = 0x1000;
	d.db[3] = 0xffffffff80001234ull;
	d.dr6 = 0xffff4ff1;
	d.dr7 = 0x403;
	is(kvm_ioctl(v->fd, KVM_SET_DEBUGREGS, &d), 0, "SET_DEBUGREGS");
	kvm_ioctl(v->fd, KVM_GET_DEBUGREGS, &g);
	ok(!memcmp(&g, &d, sizeof(d)), "round trip");
	d.flags = 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_DEBUGREGS, &d), EINVAL, "non-zero flags: EINVAL");
	d.flags = 0;
	d.dr6 = 1ull << 32;
	is_errno(kvm_ioctl(v->fd, KVM_SET_DEBUGREGS, &d), EINVAL, "DR6 bits above 31: EINVAL");
	d.dr6 = 0;
	d.dr7 = 1ull << 40;
	is_errno(kvm_ioctl(v->fd, KVM_SET_DEBUGREGS, &d), EINVAL, "DR7 bits above 31: EINVAL");
	vm_free(vm);
}

static void test_vm_setup_ioctls(void)
{
	struct vm *vm = vm_create_empty();
	uint64_t addr = 0xfeffc000;
	struct vcpu *v;

	is(kvm_ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr), 0, "SET_IDENTITY_MAP_ADDR before vCPUs");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, (void *)8), EFAULT, "bad pointer: EFAULT");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 2000), EINVAL, "boot CPU id beyond MAX_VCPU_ID");
	is(kvm_ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 1), 0, "SET_BOOT_CPU_ID 1");
	vm_add_vcpu(vm, 0);
	v = vm_add_vcpu(vm, 1);
	is(vcpu_sregs(vm->vcpus[0]).apic_base, 0xfee00800, "vCPU 0 is not the BSP any more");
	is(vcpu_sregs(v).apic_base, 0xfee00900, "vCPU 1 is the BSP");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr), EINVAL, "after a vCPU exists: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 0), EBUSY, "SET_BOOT_CPU_ID after vCPUs: EBUSY");
	vm_free(vm);
}

static void test_translate(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, NULL);
	struct kvm_translation t = { .linear_address = 0x123456 };
	static int marker;

	is(kvm_ioctl(v->fd, KVM_TRANSLATE, &t), 0, "KVM_TRANSLATE");
	ok(t.valid && t.physical_address == 0x123456 && t.writeable, "identity-mapped address");
	t = (struct kvm_translation){ .linear_address = (uintptr_t)&marker };
	kvm_ioctl(v->fd, KVM_TRANSLATE, &t);
	ok(t.valid && addr_gpa2hva(vm, t.physical_address) == addr_gva2hva(vm, (uintptr_t)&marker),
	   "an image address translates through the 4-level tables");
	t = (struct kvm_translation){ .linear_address = 0x7f0000000000ull };
	kvm_ioctl(v->fd, KVM_TRANSLATE, &t);
	ok(!t.valid, "an unmapped address is not valid");
	vm_free(vm);
}

int main(void)
{
	test_tsc();
	test_debugregs();
	test_vm_setup_ioctls();
	test_translate();
	return tap_done();
}
