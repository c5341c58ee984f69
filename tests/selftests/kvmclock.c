// SPDX-License-Identifier: GPL-2.0-only
// KVM_GET_CLOCK / KVM_SET_CLOCK (api.rst 4.60/4.61, KVM_CAP_ADJUST_CLOCK): the VM clock
// starts at 0, runs with host time, can be set, accounts for the
// wall-clock time elapsed since `realtime` with KVM_CLOCK_REALTIME and never steps back
// for it, and rejects unknown flags. Bounds allow for a slow, shared machine; every
// lower bound is exact.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kvm_util.h"

#define NS 1000000000ull

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t get_clock(struct vm *vm, struct kvm_clock_data *d)
{
	memset(d, 0xff, sizeof(*d));
	if (kvm_ioctl(vm->fd, KVM_GET_CLOCK, d))
		return ~0ull;
	return d->clock;
}

static int set_clock(struct vm *vm, uint64_t clock, uint32_t flags, uint64_t realtime)
{
	struct kvm_clock_data d = { .clock = clock, .flags = flags, .realtime = realtime };

	return kvm_ioctl(vm->fd, KVM_SET_CLOCK, &d);
}

int main(void)
{
	struct vm *vm = vm_create_empty(), *vm2;
	struct kvm_clock_data d, d2;
	uint64_t before, c, c2;
	struct timespec pause = { 0, 20000000 };

	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK),
	   KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC,
	   "KVM_CAP_ADJUST_CLOCK: the flags KVM_SET_CLOCK accepts");

	before = real_ns();
	c = get_clock(vm, &d);
	ok(c < 5 * NS, "a new VM's clock starts near 0 (%llu ns)", (unsigned long long)c);
	is(d.flags, KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME, "flags: TSC_STABLE | REALTIME");
	ok(d.realtime >= before && d.realtime < before + 5 * NS, "realtime is the wall clock at the reading");
	ok(d.pad0 == 0 && d.host_tsc == 0, "unused fields are zeroed");

	nanosleep(&pause, NULL);
	c2 = get_clock(vm, &d2);
	ok(c2 >= c + 20000000, "the clock advances with host time (+%llu ns over a 20 ms sleep)",
	   (unsigned long long)(c2 - c));

	is(set_clock(vm, 1000 * NS, 0, 0), 0, "SET_CLOCK 1000 s");
	c = get_clock(vm, &d);
	ok(c >= 1000 * NS && c < 1005 * NS, "reads back 1000 s (+%llu ns)", (unsigned long long)(c - 1000 * NS));

	is(set_clock(vm, 2000 * NS, KVM_CLOCK_REALTIME, real_ns() - 7 * NS), 0,
	   "SET_CLOCK with REALTIME 7 s in the past");
	c = get_clock(vm, &d);
	ok(c >= 2007 * NS && c < 2012 * NS, "the 7 s of downtime are added (%llu ns)", (unsigned long long)c);

	is(set_clock(vm, 3000 * NS, KVM_CLOCK_REALTIME, real_ns() + 60 * NS), 0,
	   "SET_CLOCK with REALTIME in the future");
	c = get_clock(vm, &d);
	ok(c >= 3000 * NS && c < 3005 * NS, "no step back for a future realtime");

	c = get_clock(vm, &d);
	is(kvm_ioctl(vm->fd, KVM_SET_CLOCK, &d), 0, "GET_CLOCK's result is accepted by SET_CLOCK");
	ok(get_clock(vm, &d2) >= c, "and the clock did not go back");

	is_errno(set_clock(vm, 0, 1, 0), EINVAL, "flag bit 0: EINVAL");
	is_errno(set_clock(vm, 0, 1u << 4, 0), EINVAL, "flag bit 4: EINVAL");
	c = get_clock(vm, &d);
	ok(c >= 3000 * NS, "a rejected SET_CLOCK changes nothing");

	vm2 = vm_create_empty();
	ok(get_clock(vm2, &d2) < 5 * NS && get_clock(vm, &d) >= 3000 * NS, "each VM has its own clock");
	vm_free(vm2);
	vm_free(vm);
	return tap_done();
}
