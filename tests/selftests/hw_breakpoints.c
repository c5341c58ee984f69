// SPDX-License-Identifier: GPL-2.0-only
// Hardware breakpoints (SDM Vol.3 §18.2-18.3): instruction breakpoints as faults that RF
// suppresses once, data breakpoints as traps after the accessing instruction with their
// R/W and LEN rules, DR6.B0-B3, and KVM_GUESTDBG_USE_HW_BP turning hits into
// KVM_EXIT_DEBUG with the debugger's registers while the guest's stay untouched.
#include <errno.h>
#include <stdio.h>

#include "kvm_util.h"

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

static volatile uint64_t db_count, db_rip, db_dr6;
static volatile uint64_t var[4] __attribute__((aligned(32)));

GUEST_ASM_STUB(bp_target, "nop");
GUEST_ASM_STUB(host_target, "nop");

GUEST_CODE __attribute__((interrupt)) static void h_db(struct frame *f)
{
	uint64_t dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	db_count++;
	db_rip = f->ip;
	db_dr6 = dr6;
	__asm__ volatile("mov %0, %%dr6" : : "r"(0xffff0ff0ull));
	f->flags |= 1u << 16;	/* RF: an instruction breakpoint does not hit again on return */
}

GUEST_CODE static void set_dr(int n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
	default: __asm__ volatile("mov %0, %%dr7" : : "r"(v)); break;
	}
}

/* DR7 for breakpoint n: local enable, R/W and LEN fields */
#define DR7(n, rw, len) ((1ull << (2 * (n))) | ((uint64_t)(rw) << (16 + 4 * (n))) | ((uint64_t)(len) << (18 + 4 * (n))))

GUEST_CODE static void guest_main(void)
{
	uint64_t r;

	/* instruction breakpoint on bp_target: a fault with RIP at it, B0 */
	set_dr(0, (uintptr_t)bp_target);
	set_dr(7, DR7(0, 0, 0));
	bp_target();
	GUEST_ASSERT_EQ(db_count, 1);
	GUEST_ASSERT_EQ(db_rip, (uintptr_t)bp_target);
	GUEST_ASSERT_EQ(db_dr6 & 0xf, 1);
	bp_target();				/* RF covered only one instruction */
	GUEST_ASSERT_EQ(db_count, 2);

	/* data write breakpoint, 4 bytes at var[0]: a trap after the store, B1 */
	set_dr(7, 0);
	set_dr(1, (uintptr_t)&var[0]);
	set_dr(7, DR7(1, 1, 3));
	r = var[0];				/* reads do not match R/W = 01 */
	GUEST_ASSERT_EQ(db_count, 2);
	var[0] = r + 1;
	GUEST_ASSERT_EQ(db_count, 3);
	GUEST_ASSERT_EQ(db_dr6 & 0xf, 2);
	*(volatile uint8_t *)((uintptr_t)&var[0] + 3) = 1;	/* overlaps the last byte */
	GUEST_ASSERT_EQ(db_count, 4);
	*(volatile uint32_t *)((uintptr_t)&var[0] + 4) = 1;	/* just past it */
	GUEST_ASSERT_EQ(db_count, 4);
	__atomic_fetch_add(&var[0], 1, __ATOMIC_SEQ_CST);	/* LOCKed read-modify-write */
	GUEST_ASSERT_EQ(db_count, 5);

	/* read/write, 8 bytes at var[2] (LEN 10): reads match too */
	set_dr(2, (uintptr_t)&var[2] + 5);	/* the range is aligned down to 8 */
	set_dr(7, DR7(2, 3, 2));
	r = var[2];
	GUEST_ASSERT_EQ(db_count, 6);
	GUEST_ASSERT_EQ(db_dr6 & 0xf, 4);
	r = var[3];
	GUEST_ASSERT_EQ(db_count, 6);
	/* disabled: DR7 enables cleared */
	set_dr(7, 0);
	var[2] = r;
	bp_target();
	GUEST_ASSERT_EQ(db_count, 6);
	GUEST_SYNC(1);
	host_target();				/* the debugger's breakpoint */
	GUEST_SYNC(2);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP };
	struct kvm_debugregs dr;
	struct ucall uc;

	vm_install_irq_handler(vm, 1, h_db);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC,
	   "guest #DB: instruction breakpoint (fault, RF), write/read data breakpoints (traps), LEN/R/W rules");
	dbg.arch.debugreg[0] = (uintptr_t)host_target;
	dbg.arch.debugreg[7] = 0x1;
	is(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), 0, "KVM_SET_GUEST_DEBUG with USE_HW_BP");
	is(vcpu_run(v), 0, "run");
	is(v->run->exit_reason, KVM_EXIT_DEBUG, "KVM_EXIT_DEBUG");
	is(v->run->debug.arch.exception, 1, "exception 1 (#DB)");
	is(v->run->debug.arch.pc, (uintptr_t)host_target, "at the instruction, before it runs");
	is(v->run->debug.arch.dr6, 0xffff0ff1ull, "DR6 with B0");
	is(v->run->debug.arch.dr7, 0x1, "the debugger's DR7");
	kvm_ioctl(v->fd, KVM_GET_DEBUGREGS, &dr);
	ok(dr.dr7 == 0x400 && dr.db[0] == (uintptr_t)bp_target, "the guest's own DR0/DR7 are untouched");
	dbg.control = 0;
	kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "without guest debugging it runs on");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	vm_free(vm);
	return tap_done();
}
