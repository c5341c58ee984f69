// SPDX-License-Identifier: GPL-2.0-only
// Random hypercalls from ring 0 with the in-kernel irqchip and two LAPICs: every number
// and argument pattern, the result predicted exactly (kvm-behaviours.md A1 and G1),
// nothing but RAX clobbered. (Ring 3 gets the same treatment in tests/guests/user_mode.)
#include <linux/kvm_para.h>
#include <stdio.h>

#include "kvm_util.h"

#define CALLS 30000

static volatile uint64_t bad, first_bad[6];

/* KVM_HC_SEND_IPI's count for APIC IDs 0 and 1 (both present and software-enabled) */
GUEST_CODE static int64_t send_ipi_expect(uint64_t lo, uint64_t hi, uint32_t min, uint64_t icr)
{
	int64_t n = 0;

	if (icr & (0x800 | 0xc0000))
		return -KVM_EINVAL;
	for (uint32_t id = 0; id < 2; id++) {
		uint32_t min2 = min + 64;	/* u32: may wrap */

		if (min <= 255 && id >= min && id - min < 64 && ((lo >> (id - min)) & 1))
			n++;
		if (min2 <= 255 && id >= min2 && id - min2 < 64 && ((hi >> (id - min2)) & 1))
			n++;
	}
	/* a level-triggered de-assert is not accepted */
	if ((icr & 0x8000) && !(icr & 0x4000))
		n = 0;
	return n;
}

GUEST_CODE static int64_t expect(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
	case KVM_HC_KICK_CPU:
	case KVM_HC_SCHED_YIELD:
		return 0;
	case KVM_HC_CLOCK_PAIRING:
		return -KVM_EOPNOTSUPP;
	case KVM_HC_SEND_IPI:
		return send_ipi_expect(a0, a1, (uint32_t)a2, a3);
	default:
		return -KVM_ENOSYS;	/* MAP_GPA_RANGE too: not enabled */
	}
}

GUEST_CODE static void guest_fuzz(void)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	*(volatile uint32_t *)0xfee000f0 = 0x1ff;	/* software-enable our LAPIC */
	for (int i = 0; i < CALLS; i++) {
		uint64_t nr, a0, a1, a2, a3, ret, b0, b1, b2, b3;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		switch (x & 3) {
		case 0: nr = x >> 60; break;			/* 0..15 */
		case 1: nr = KVM_HC_SEND_IPI; break;
		case 2: nr = x; break;
		default: nr = (x >> 2) & 0x1f; break;
		}
		a0 = x * 0x9e3779b97f4a7c15ull;
		a1 = (x >> 8) & 1 ? a0 >> 7 : 0;
		switch ((x >> 10) & 7) {	/* min: 0, 1, the map's end, wrapping, anything */
		case 0: a2 = 0; break;
		case 1: a2 = 1; break;
		case 2: a2 = 250 + ((x >> 12) & 7); break;
		case 3: a2 = 0xffffffc0u + ((x >> 12) & 1); break;	/* min+64 wraps to 0/1 */
		case 4: a2 = 0xffffffffffffffc1ull; break;		/* truncated to u32 */
		case 5: a2 = 0xffffffffull; break;
		default: a2 = x * 31; break;
		}
		/* ICR: fixed delivery, vectors 0x40-0x4f; random level/trigger/destination bits */
		a3 = 0x40 | ((x >> 16) & 0xf) | ((x >> 20) & (0x4000 | 0x8000 | 0x800 | 0xc0000));
		b0 = a0; b1 = a1; b2 = a2; b3 = a3;
		__asm__ volatile("vmcall" : "=a"(ret), "+b"(b0), "+c"(b1), "+d"(b2), "+S"(b3)
				 : "a"(nr) : "memory");
		if ((int64_t)ret != expect(nr, a0, a1, a2, a3) || b0 != a0 || b1 != a1 || b2 != a2 ||
		    b3 != a3) {
			if (!bad++) {
				first_bad[0] = nr; first_bad[1] = a0; first_bad[2] = a1;
				first_bad[3] = a2; first_bad[4] = a3; first_bad[5] = ret;
			}
		}
	}
	GUEST_SYNC2(bad, first_bad[0]);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v0, *v1;
	struct vm *vm = vm_create_64_irqchip(&v0, guest_fuzz);
	struct kvm_lapic_state s;
	uint32_t spiv = 0x1ff;
	struct ucall uc;

	/* the second LAPIC exists and is software-enabled; its vCPU never runs */
	v1 = vm_add_vcpu(vm, 1);
	kvm_ioctl(v1->fd, KVM_GET_LAPIC, &s);
	memcpy(s.regs + 0xf0, &spiv, 4);
	kvm_ioctl(v1->fd, KVM_SET_LAPIC, &s);

	if (vcpu_get_ucall(v0, &uc) == UCALL_SYNC) {
		is(uc.args[0], 0, "30,000 random ring-0 hypercalls: results exactly as predicted, "
				  "arguments unclobbered (first mismatch: nr %#llx)",
		   (unsigned long long)uc.args[1]);
		is(vcpu_get_ucall(v0, &uc), UCALL_DONE, "guest done");
	} else {
		ok(0, "the fuzz loop finished");
	}
	vm_free(vm);
	return tap_done();
}
