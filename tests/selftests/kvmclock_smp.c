// SPDX-License-Identifier: GPL-2.0-only
// kvmclock across vCPUs (KUT kvmclock_test's idea): two vCPUs on their own threads read
// their own pvclock areas and publish the largest value seen; no read may be older than
// a value another vCPU already published (no warps), and every kvmclock read is exactly
// the TSC read around it, converted with the pvclock parameters.
#include <pthread.h>
#include <stdio.h>

#include "kvm_util.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define PVTI_GPA 0x9000ull	/* identity-mapped low memory; vCPU n at + 64 * n */
#define READS 200000

static volatile uint64_t last_value, warps[2];
static volatile uint32_t started;

GUEST_CODE static void guest_main(void)
{
	uint32_t id;
	uint64_t pvti, k, off_bad = 0;
	uint8_t flags;
	volatile struct pvti *p;

	__asm__ volatile("lock xaddl %0, %1" : "=r"(id), "+m"(started) : "0"(1u));
	pvti = PVTI_GPA + 64 * id;
	p = (volatile struct pvti *)pvti;
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, pvti | 1), GUEST_NO_EXC);
	while (started < 2)
		__asm__ volatile("pause");
	guest_pvclock_read(pvti, &flags);
	GUEST_ASSERT(flags & 1);	/* PVCLOCK_TSC_STABLE_BIT */
	/* 1 GHz TSC: mul 2^31, shift 1, so kvmclock = TSC - (tsc_timestamp - system_time) */
	GUEST_ASSERT_EQ(p->mul, 1u << 31);
	GUEST_ASSERT_EQ(p->shift, 1);
	k = p->tsc_timestamp - p->system_time;
	for (int i = 0; i < READS; i++) {
		/* what others published before this read began bounds it from below */
		uint64_t last = __atomic_load_n(&last_value, __ATOMIC_SEQ_CST);
		uint64_t c0 = guest_rdtsc();
		uint64_t t = guest_pvclock_read(pvti, &flags);
		uint64_t c1 = guest_rdtsc();

		if (t < last)
			warps[id]++;
		if (t + k < c0 || t + k > c1)
			off_bad++;
		while (t > last && !__atomic_compare_exchange_n(&last_value, &last, t, false,
								__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			;
	}
	GUEST_SYNC2(warps[id], off_bad);
	GUEST_DONE();
}

struct thr {
	pthread_t t;
	struct vcpu *v;
	struct ucall uc[2];
	uint64_t cmd[2];
};

static void *run(void *arg)
{
	struct thr *t = arg;

	t->cmd[0] = vcpu_get_ucall(t->v, &t->uc[0]);
	t->cmd[1] = vcpu_get_ucall(t->v, &t->uc[1]);
	return NULL;
}

int main(void)
{
	struct vcpu *v0, *v1;
	struct vm *vm = vm_create_64(&v0, guest_main);
	struct thr t[2];

	v1 = vm_add_vcpu_64(vm, 1, guest_main);
	memset(t, 0, sizeof(t));
	t[0].v = v0;
	t[1].v = v1;
	pthread_create(&t[0].t, NULL, run, &t[0]);
	pthread_create(&t[1].t, NULL, run, &t[1]);
	pthread_join(t[0].t, NULL);
	pthread_join(t[1].t, NULL);
	for (int i = 0; i < 2; i++) {
		ok(t[i].cmd[0] == UCALL_SYNC && t[i].cmd[1] == UCALL_DONE, "vCPU %d finished", i);
		is(t[i].uc[0].args[0], 0, "vCPU %d: no kvmclock read older than one another vCPU published", i);
		is(t[i].uc[0].args[1], 0, "vCPU %d: every read equals the TSC read around it, exactly "
					  "converted", i);
	}
	vm_free(vm);
	return tap_done();
}
