// SPDX-License-Identifier: GPL-2.0-only
// Save/restore as a VMM migrates: a guest is stopped mid-computation (pending I/O
// completed with immediate_exit first), every piece of vCPU state is read, written back
// and read again (identical), then restored into a fresh VM with a copy of guest memory.
// Both VMs finish the computation, and so does a third that was never stopped; the three
// results must be the same.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"

#define STEPS 20000

static volatile uint64_t table[256];

/*
 * State lives in callee-saved registers, the flags, memory, the LAPIC, and in XMM7 and
 * the x87 stack, which carry an accumulator across the migration point. Guest code is
 * general-registers-only, so the compiler never touches XMM7 or ST(0) between the asm
 * statements (they name no clobbers: a general-regs-only function cannot).
 */
GUEST_CODE static void guest_main(void)
{
	uint64_t x = 0x123456789abcdefull, h = 0, lo, hi;
	int64_t fp;

	*(volatile uint32_t *)0xfee000f0 = 0x1ff;
	*(volatile uint32_t *)0xfee00080 = 0x20;	/* TPR */
	__asm__ volatile("pxor %xmm7, %xmm7\n\tfninit\n\tfld1");
	for (int i = 0; i < 2 * STEPS; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		table[x & 255] += x;
		h = h * 31 + table[(x >> 8) & 255];
		/* XMM7 += x, then its halves swap: the order of the additions matters */
		__asm__ volatile("movq %0, %%xmm6\n\tpaddq %%xmm6, %%xmm7\n\tpshufd $0x4e, %%xmm7, %%xmm7"
				 : : "r"(x));
		if (!(i & 1023))	/* ST(0) grows by 1 plus a rounded quotient of ST(0) + 1 and 2 */
			__asm__ volatile("fld %st(0)\n\tfld1\n\tfaddp\n\tfld1\n\tfadd %st(0), %st(0)\n\t"
					 "fdivrp\n\tfaddp\n\tfld1\n\tfaddp");
		if (i == STEPS)
			GUEST_SYNC2(1, h);	/* the migration point */
	}
	__asm__ volatile("movq %%xmm7, %0\n\tpshufd $0x4e, %%xmm7, %%xmm6\n\tmovq %%xmm6, %1\n\tfistpll %2"
			 : "=r"(lo), "=r"(hi), "=m"(fp));
	GUEST_SYNC2(2, h ^ *(volatile uint32_t *)0xfee00080);
	GUEST_SYNC2(3, lo ^ (hi << 1) ^ (uint64_t)fp);
	GUEST_DONE();
}

struct state {
	struct kvm_regs regs;
	struct kvm_sregs2 sregs2;
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs dbg;
	struct kvm_lapic_state lapic;
	struct { struct kvm_msrs h; struct kvm_msr_entry e[128]; } msrs;
};

static bool get_state(struct vcpu *v, struct state *s, uint32_t *idx, int nmsrs)
{
	bool okay = true;

	memset(s, 0, sizeof(*s));
	okay &= !kvm_ioctl(v->fd, KVM_GET_REGS, &s->regs);
	okay &= !kvm_ioctl(v->fd, KVM_GET_SREGS2, &s->sregs2);
	okay &= !kvm_ioctl(v->fd, KVM_GET_XSAVE, &s->xsave);
	okay &= !kvm_ioctl(v->fd, KVM_GET_XCRS, &s->xcrs);
	okay &= !kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &s->events);
	okay &= !kvm_ioctl(v->fd, KVM_GET_MP_STATE, &s->mp);
	okay &= !kvm_ioctl(v->fd, KVM_GET_DEBUGREGS, &s->dbg);
	okay &= !kvm_ioctl(v->fd, KVM_GET_LAPIC, &s->lapic);
	s->msrs.h.nmsrs = (uint32_t)nmsrs;
	for (int i = 0; i < nmsrs; i++)
		s->msrs.e[i].index = idx[i];
	okay &= kvm_ioctl(v->fd, KVM_GET_MSRS, &s->msrs) == nmsrs;
	return okay;
}

/* QEMU's order: CPUID first (by the caller), then sregs, regs, xsave, xcrs, MSRs, events, ... */
static bool set_state(struct vcpu *v, struct state *s, int nmsrs)
{
	bool okay = true;

	okay &= !kvm_ioctl(v->fd, KVM_SET_SREGS2, &s->sregs2);
	okay &= !kvm_ioctl(v->fd, KVM_SET_REGS, &s->regs);
	okay &= !kvm_ioctl(v->fd, KVM_SET_XSAVE, &s->xsave);
	okay &= !kvm_ioctl(v->fd, KVM_SET_XCRS, &s->xcrs);
	okay &= kvm_ioctl(v->fd, KVM_SET_MSRS, &s->msrs) == nmsrs;
	okay &= !kvm_ioctl(v->fd, KVM_SET_MP_STATE, &s->mp);
	okay &= !kvm_ioctl(v->fd, KVM_SET_LAPIC, &s->lapic);
	okay &= !kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &s->events);
	okay &= !kvm_ioctl(v->fd, KVM_SET_DEBUGREGS, &s->dbg);
	return okay;
}

/* the parts a round trip must reproduce bit for bit (TMCCT and the TSC move on their own) */
static bool same_state(struct state *a, struct state *b, int nmsrs)
{
	bool same = !memcmp(&a->regs, &b->regs, sizeof(a->regs)) &&
		    !memcmp(&a->sregs2, &b->sregs2, sizeof(a->sregs2)) &&
		    !memcmp(&a->xsave, &b->xsave, sizeof(a->xsave)) &&
		    !memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs)) &&
		    !memcmp(&a->events, &b->events, sizeof(a->events)) &&
		    !memcmp(&a->mp, &b->mp, sizeof(a->mp)) && !memcmp(&a->dbg, &b->dbg, sizeof(a->dbg)) &&
		    !memcmp(a->lapic.regs, b->lapic.regs, 0x390) &&
		    !memcmp(a->lapic.regs + 0x3a0, b->lapic.regs + 0x3a0, 0x400 - 0x3a0);

	for (int i = 0; i < nmsrs; i++)
		if (a->msrs.e[i].index != 0x10 && a->msrs.e[i].data != b->msrs.e[i].data) {
			tap_diag("MSR %#x: %#llx vs %#llx", a->msrs.e[i].index,
				 (unsigned long long)a->msrs.e[i].data, (unsigned long long)b->msrs.e[i].data);
			same = false;
		}
	return same;
}

int main(void)
{
	struct vcpu *v, *v2, *v3;
	struct vm *vm = vm_create_64_irqchip(&v, guest_main), *vm2, *vm3;
	struct { struct kvm_msr_list h; uint32_t idx[128]; } list = { .h.nmsrs = 128 };
	struct state *s = calloc(1, sizeof(*s)), *s2 = calloc(1, sizeof(*s2));
	struct ucall uc;
	uint64_t h_src, h_dst, h_ref, f_src, f_dst, f_ref;
	int n;

	vcpu_set_supported_cpuid(v);
	is(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list), 0, "MSR index list");
	n = (int)list.h.nmsrs;
	if (vcpu_get_ucall(v, &uc) != UCALL_SYNC || uc.args[0] != 1)
		tap_bail("guest did not reach the migration point");
	/* complete the ucall's OUT without running further (QEMU's cpu_synchronize_state path) */
	v->run->immediate_exit = 1;
	ok(vcpu_run(v) == -1 && errno == EINTR, "pending I/O completed with immediate_exit");
	v->run->immediate_exit = 0;

	ok(get_state(v, s, list.idx, n), "every GET succeeds");
	ok(set_state(v, s, n), "every SET of what GET returned succeeds");
	ok(get_state(v, s2, list.idx, n), "GET again");
	ok(same_state(s, s2, n), "get -> set -> get is identical");

	/* a fresh VM: same layout, memory copied, state restored */
	vm2 = vm_create_64_irqchip(&v2, guest_main);
	for (int r = 0; r < vm->nr_regions; r++)
		memcpy(vm2->regions[r].hva, vm->regions[r].hva, vm->regions[r].size);
	vcpu_set_supported_cpuid(v2);
	ok(set_state(v2, s, n), "state restored into a fresh VM");
	ok(get_state(v2, s2, list.idx, n) && same_state(s, s2, n), "and reads back the same");

	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 2, "the source VM finishes");
	h_src = uc.args[1];
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && uc.args[0] == 3, "and reports its SSE/x87 accumulators");
	f_src = uc.args[1];
	ok(vcpu_get_ucall(v2, &uc) == UCALL_SYNC && uc.args[0] == 2, "the restored VM finishes");
	h_dst = uc.args[1];
	ok(vcpu_get_ucall(v2, &uc) == UCALL_SYNC && uc.args[0] == 3, "and reports its SSE/x87 accumulators");
	f_dst = uc.args[1];
	is(vcpu_get_ucall(v2, &uc), UCALL_DONE, "restored guest done");

	/* the reference: the same guest run without being stopped */
	vm3 = vm_create_64_irqchip(&v3, guest_main);
	vcpu_set_supported_cpuid(v3);
	ok(vcpu_get_ucall(v3, &uc) == UCALL_SYNC && uc.args[0] == 1, "an uninterrupted VM passes the point");
	ok(vcpu_get_ucall(v3, &uc) == UCALL_SYNC && uc.args[0] == 2, "and finishes");
	h_ref = uc.args[1];
	ok(vcpu_get_ucall(v3, &uc) == UCALL_SYNC && uc.args[0] == 3, "and reports its accumulators");
	f_ref = uc.args[1];
	ok(f_ref != 0, "the accumulators are not trivially zero (%#llx)", (unsigned long long)f_ref);
	is(h_src, h_ref, "source after the round trip: the uninterrupted result");
	is(h_dst, h_ref, "restored VM: the uninterrupted result");
	is(f_src, f_ref, "source: the same XMM7 and x87 accumulators");
	is(f_dst, f_ref, "restored VM: the same XMM7 and x87 accumulators");
	vm_free(vm3);
	free(s);
	free(s2);
	vm_free(vm2);
	vm_free(vm);
	return tap_done();
}
