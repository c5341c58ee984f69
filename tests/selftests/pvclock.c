// SPDX-License-Identifier: GPL-2.0-only
// kvmclock as the guest sees it (Documentation/virt/kvm/x86/msr.rst): MSR_KVM_SYSTEM_TIME
// (_NEW) enables a pvclock_vcpu_time_info area that is refreshed at every entry; the time
// the guest computes from it lies between the host's KVM_GET_CLOCK readings around the
// run; KVM_SET_CLOCK, KVM_SET_TSC_KHZ and KVM_KVMCLOCK_CTRL show up at the next entry;
// MSR_KVM_WALL_CLOCK(_NEW) writes the wall-clock time of kvmclock 0. Every bound is exact
// (readings before and after the run), none depends on the machine's speed. Last,
// KVM_CAP_ENFORCE_PV_FEATURE_CPUID gates the MSRs and PV hypercalls on the guest CPUID.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/kvm_para.h>

#include "kvm_util.h"

#define NS 1000000000ull

struct wallclock {
	uint32_t version, sec, nsec;
};

static uint64_t pv_gpa;	/* synced to the guest: pvti at +0, wall clock at +64 */

GUEST_CODE static uint64_t guest_pvclock(uint8_t *flags)
{
	return guest_pvclock_read(pv_gpa, flags);
}

GUEST_CODE static void guest_main(void)
{
	volatile struct pvti *p = (volatile struct pvti *)pv_gpa;
	volatile struct wallclock *wc = (volatile struct wallclock *)(pv_gpa + 64);
	uint32_t a = 0x40000001, b, c = 0, d;
	uint64_t v = 0;
	uint8_t flags;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	GUEST_ASSERT_EQ(a, (1u << KVM_FEATURE_CLOCKSOURCE) | (1u << KVM_FEATURE_NOP_IO_DELAY) |
			   (1u << KVM_FEATURE_CLOCKSOURCE2) |
			   (1u << KVM_FEATURE_STEAL_TIME) | (1u << KVM_FEATURE_POLL_CONTROL) |
			   (1u << KVM_FEATURE_PV_EOI) | (1u << KVM_FEATURE_PV_UNHALT) |
			   (1u << KVM_FEATURE_PV_SEND_IPI) | (1u << KVM_FEATURE_PV_SCHED_YIELD) |
			   (1u << KVM_FEATURE_ASYNC_PF) | (1u << KVM_FEATURE_ASYNC_PF_INT) |
			   (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT));
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, pv_gpa | 1), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, pv_gpa | 1);
	for (int step = 1; step <= 5; step++) {
		uint64_t t = guest_pvclock(&flags);
		ucall(UCALL_SYNC, (uint64_t)step, t, flags, p->version);
	}

	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_WALL_CLOCK_NEW, pv_gpa + 64), GUEST_NO_EXC);
	ucall(UCALL_SYNC, 6, wc->sec, wc->nsec, wc->version);

	/* vCPU 0 on the old MSR: no master clock in KVM, so no stable bit */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_SYSTEM_TIME, pv_gpa | 1), GUEST_NO_EXC);
	guest_pvclock(&flags);
	ucall(UCALL_SYNC, 7, flags, 0, 0);

	/* disabled: the area is left alone */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, 0), GUEST_NO_EXC);
	p->version = 12346;
	GUEST_SYNC(8);
	GUEST_SYNC2(9, p->version);
	GUEST_DONE();
}

GUEST_CODE static uint64_t guest_hc(uint64_t nr, uint64_t a0)
{
	uint64_t ret;

	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a0), "c"(0ull), "d"(0ull) : "memory");
	return ret;
}

/* KVM_CAP_ENFORCE_PV_FEATURE_CPUID with a CPUID that offers no PV feature, then off */
GUEST_CODE static void guest_enforce(void)
{
	uint64_t v = 0;

	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, 1), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_WALL_CLOCK_NEW, 0), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_SYSTEM_TIME, &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_WALL_CLOCK, 0), 13);
	/* and the other six of the ten PV MSRs (ST:x86/kvm_pv_test.c) */
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_ASYNC_PF_EN, &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_STEAL_TIME, 0), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_PV_EOI_EN, &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_POLL_CONTROL, 0), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_INT, 0), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_ASYNC_PF_ACK, &v), 13);
	GUEST_ASSERT_EQ(guest_hc(KVM_HC_SCHED_YIELD, 0), (uint64_t)-KVM_ENOSYS);
	GUEST_ASSERT_EQ(guest_hc(KVM_HC_KICK_CPU, 0), (uint64_t)-KVM_ENOSYS);
	GUEST_ASSERT_EQ(guest_hc(KVM_HC_SEND_IPI, 0), (uint64_t)-KVM_ENOSYS);
	GUEST_ASSERT_EQ(guest_hc(KVM_HC_VAPIC_POLL_IRQ, 0), 0);	/* not gated */
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_hc(KVM_HC_SCHED_YIELD, 0), 0);
	/* async PF without enforcement: validated and stored, never fires */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0x1000 | 9), 13);	/* no in-kernel LAPIC */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0x10), 13);	/* reserved bit */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_INT, 0x1ff), 13);	/* only bits 7:0 */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_INT, 0xec), GUEST_NO_EXC);
	guest_rdmsr_safe(MSR_KVM_ASYNC_PF_INT, &v);
	GUEST_ASSERT_EQ(v, 0xec);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_ASYNC_PF_ACK, 1), GUEST_NO_EXC);
	guest_rdmsr_safe(MSR_KVM_ASYNC_PF_ACK, &v);
	GUEST_ASSERT_EQ(v, 0);
	GUEST_DONE();
}

/* steal time at pv_gpa + 128 and poll control */
GUEST_CODE static void guest_steal(void)
{
	volatile uint32_t *version = (volatile uint32_t *)(pv_gpa + 128 + 8);
	volatile uint64_t *steal = (volatile uint64_t *)(pv_gpa + 128);
	uint64_t v = 0;

	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_POLL_CONTROL, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 1);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_POLL_CONTROL, 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_POLL_CONTROL, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_POLL_CONTROL, 2), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_STEAL_TIME, (pv_gpa + 128) | 2), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_STEAL_TIME, (pv_gpa + 128) | 1), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_KVM_STEAL_TIME, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, (pv_gpa + 128) | 1);
	GUEST_SYNC2(1, *version);
	GUEST_SYNC2(2, *version);
	ucall(UCALL_SYNC, 3, *version, *steal, 0);
	GUEST_DONE();
}

static uint64_t my_run_delay(void)
{
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &run, &wait) != 2)
			wait = 0;
		fclose(f);
	}
	return wait;
}

static void test_steal(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_steal);
	struct ucall uc;
	uint64_t r0, r2, v1 = 0;

	vcpu_set_supported_cpuid(v);
	pv_gpa = vm->next_free_gpa;
	vm->next_free_gpa += 4096;
	vm_sync_to_guest(vm, &pv_gpa, sizeof(pv_gpa));
	memset(addr_gpa2hva(vm, pv_gpa), 0, 4096);
	memset((uint8_t *)addr_gpa2hva(vm, pv_gpa) + 128 + 8, 0x55, 4);	/* odd junk version */

	r0 = my_run_delay();
	if (vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 1) {
		v1 = uc.args[1];
		is(v1, 0x55555556u + 2, "steal time: odd junk version rounded up, then +2 per update");
	} else
		ok(0, "poll control and steal time MSRs (guest)");
	if (vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 2)
		is(uc.args[1], v1 + 2, "updated again at the next entry");
	else
		ok(0, "SYNC 2");
	if (vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 3) {
		r2 = my_run_delay();
		ok(uc.args[2] <= r2 - r0, "steal (%llu ns) within this thread's run delay over the runs (%llu ns)",
		   (unsigned long long)uc.args[2], (unsigned long long)(r2 - r0));
	} else {
		ok(0, "SYNC 3");
	}
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest done");
	vm_free(vm);
}

struct msr_one {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

static void test_enforce(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_enforce);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 } };
	struct msr_one m = { .hdr.nmsrs = 1, .e.index = MSR_KVM_SYSTEM_TIME_NEW };
	struct ucall uc;

	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID), 1,
	   "KVM_CAP_ENFORCE_PV_FEATURE_CPUID");
	cap.flags = 1;
	is_errno(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), EINVAL, "vCPU ENABLE_CAP with flags: EINVAL");
	cap.flags = 0;
	cap.cap = KVM_CAP_HLT;
	is_errno(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), EINVAL, "vCPU ENABLE_CAP of another capability: EINVAL");
	cap.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID;
	is(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), 0, "enforce PV features (the guest CPUID has none)");

	is(kvm_ioctl(v->fd, KVM_GET_MSRS, &m), 1, "host read of a gated PV MSR succeeds");
	is(m.e.data, 0, "and reads 0");
	m.e.data = 0;
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &m), 1, "host write of 0 succeeds");
	m.e.data = 0x1001;
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &m), 0, "host write of another value is refused");

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "guest: #GP on the four kvmclock MSRs, -KVM_ENOSYS for gated hypercalls");
	cap.args[0] = 0;
	is(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), 0, "enforcement off");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest: the MSRs and hypercalls work again");
	vm_free(vm);
}

static uint64_t vm_clock(struct vm *vm)
{
	struct kvm_clock_data d;

	if (kvm_ioctl(vm->fd, KVM_GET_CLOCK, &d))
		tap_bail("KVM_GET_CLOCK: %s", strerror(errno));
	return d.clock;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* Runs to the next SYNC with the given step; the clock readings around it go to before and after. */
static bool step(struct vcpu *v, uint64_t n, struct ucall *uc, uint64_t *before, uint64_t *after)
{
	*before = vm_clock(v->vm);
	if (vcpu_get_ucall(v, uc) != UCALL_SYNC || uc->args[0] != n) {
		tap_diag("expected SYNC %llu", (unsigned long long)n);
		return false;
	}
	*after = vm_clock(v->vm);
	return true;
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	struct ucall uc;
	struct pvti *pv;
	uint64_t before, after, rb, ra, boot;
	struct kvm_clock_data cd = { .clock = 1000 * NS };

	vcpu_set_supported_cpuid(v);
	pv_gpa = vm->next_free_gpa;
	vm->next_free_gpa += 4096;
	vm_sync_to_guest(vm, &pv_gpa, sizeof(pv_gpa));
	pv = addr_gpa2hva(vm, pv_gpa);
	memset(pv, 0, 4096);

	is_errno(kvm_ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0), EINVAL, "KVMCLOCK_CTRL before the guest enables kvmclock: EINVAL");
	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_KVMCLOCK_CTRL), 1, "KVM_CAP_KVMCLOCK_CTRL");

	if (step(v, 1, &uc, &before, &after)) {
		ok(uc.args[1] >= before && uc.args[1] <= after,
		   "guest pvclock time within the host's readings (%llu in [%llu, %llu])",
		   (unsigned long long)uc.args[1], (unsigned long long)before, (unsigned long long)after);
		is(uc.args[2], 1, "flags: PVCLOCK_TSC_STABLE_BIT");
		ok(uc.args[3] >= 2 && !(uc.args[3] & 1), "version even after an update (%llu)",
		   (unsigned long long)uc.args[3]);
		ok(pv->mul == 0x80000000u && pv->shift == 1, "1 GHz TSC: mul 2^31, shift 1");
	}

	is(kvm_ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0), 0, "KVMCLOCK_CTRL with kvmclock enabled");
	if (step(v, 2, &uc, &before, &after))
		is(uc.args[2], 3, "next entry: STABLE | GUEST_STOPPED");
	if (step(v, 3, &uc, &before, &after))
		is(uc.args[2], 1, "GUEST_STOPPED is reported once");

	is(kvm_ioctl(vm->fd, KVM_SET_CLOCK, &cd), 0, "KVM_SET_CLOCK 1000 s");
	if (step(v, 4, &uc, &before, &after))
		ok(uc.args[1] >= 1000 * NS && uc.args[1] >= before && uc.args[1] <= after,
		   "the guest sees the new clock at its next entry");

	is(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, 3000000), 0, "KVM_SET_TSC_KHZ 3 GHz");
	if (step(v, 5, &uc, &before, &after)) {
		ok(uc.args[1] >= before && uc.args[1] <= after, "time still exact with a 3 GHz TSC");
		ok(pv->mul == 2863311530u && pv->shift == -1, "3 GHz TSC: mul 2863311530, shift -1 (got %u, %d)",
		   pv->mul, pv->shift);
	}

	rb = real_ns();
	before = vm_clock(vm);
	if (vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 6) {
		after = vm_clock(vm);
		ra = real_ns();
		boot = uc.args[1] * NS + uc.args[2];
		ok(boot >= rb - after && boot <= ra - before, "wall clock: the real time at kvmclock 0");
		ok(uc.args[3] >= 2 && !(uc.args[3] & 1), "wall clock version even");
		ok(uc.args[2] < NS, "nsec below one second");
	} else {
		ok(0, "SYNC 6");
	}

	if (step(v, 7, &uc, &before, &after))
		is(uc.args[1], 0, "vCPU 0 on MSR_KVM_SYSTEM_TIME (old): no stable bit");
	if (step(v, 8, &uc, &before, &after) && step(v, 9, &uc, &before, &after))
		is(uc.args[1], 12346, "a disabled area is not written at entry");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest done");
	vm_free(vm);
	test_enforce();
	test_steal();
	return tap_done();
}
