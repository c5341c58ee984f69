// SPDX-License-Identifier: GPL-2.0-only
// KVM_SET_GUEST_DEBUG (single-step, software breakpoints, injection) and the guest's own
// TF single-step trap.
#include <stdio.h>

#include "kvm_util.h"

#define PIO(run) ((uint8_t *)(run) + (run)->io.data_offset)

/* 0x1000: inc ax; inc ax; int3; inc ax; hlt */
static const uint8_t prog[] = { 0x40, 0x40, 0xcc, 0x40, 0xf4 };

static struct vcpu *setup(struct vm **vmp, uint8_t **memp)
{
	struct vcpu *v = vm_create_realmode(vmp, memp, prog, sizeof(prog));
	uint8_t *mem = *memp;

	/* #DB handler (vector 1): out 0x71 with the low byte of the saved IP, iret */
	((uint16_t *)mem)[1 * 2] = 0x2000;
	memcpy(mem + 0x2000, "\x89\xe5\x8b\x46\x00\xe6\x71\xcf", 8);	/* mov bp,sp; mov ax,[bp]; out 0x71,al; iret */
	/* #BP handler (vector 3): out 0x73, al; iret */
	((uint16_t *)mem)[3 * 2] = 0x2100;
	memcpy(mem + 0x2100, "\xe6\x73\xcf", 3);
	return v;
}

static void test_host_single_step(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = setup(&vm, &mem);
	struct kvm_run *run = v->run;
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };

	is(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), 0, "KVM_SET_GUEST_DEBUG single-step");
	is(vcpu_run(v), 0, "run");
	ok(run->exit_reason == KVM_EXIT_DEBUG && run->debug.arch.exception == 1 &&
	   run->debug.arch.pc == 0x1001 && run->debug.arch.dr6 == 0xffff4ff0,
	   "KVM_EXIT_DEBUG after one instruction: #DB, pc 0x1001, DR6.BS");
	is(vcpu_regs(v).rax & 0xffff, 1, "exactly one INC executed");
	vcpu_run(v);
	is(run->debug.arch.pc, 0x1002, "the next step");
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	is(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), 0, "software breakpoints instead");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_DEBUG && run->debug.arch.exception == 3 && run->debug.arch.pc == 0x1002,
	   "INT3 exits to the debugger with pc at the INT3");
	is(vcpu_regs(v).rip, 0x1002, "RIP stays at the INT3");
	dbg.control = 0;
	is(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), 0, "debugging off");
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x73, "now INT3 reaches the guest's #BP handler");
	vcpu_run(v);
	is(run->exit_reason, KVM_EXIT_HLT, "and the program finishes");
	is(vcpu_regs(v).rax & 0xffff, 3, "three INCs in all");

	dbg.control = 1u << 30;
	is_errno(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), EINVAL, "unknown control bit: EINVAL");
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP;
	is(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), 0, "INJECT_BP queues a #BP");
	is_errno(kvm_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg), EBUSY, "while one is pending: EBUSY");
	vm_free(vm);
}

static void test_guest_tf(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = setup(&vm, &mem);
	struct kvm_run *run = v->run;
	struct kvm_regs r = vcpu_regs(v);

	r.rflags = 2 | (1u << 8);	/* TF */
	vcpu_set_regs(v, &r);
	is(vcpu_run(v), 0, "run with TF set");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x71 && PIO(run)[0] == 0x01,
	   "#DB trap after the first instruction, saved IP 0x1001 (a trap, not a fault)");
	vm_free(vm);
}

int main(void)
{
	struct vm *vm = vm_create_empty();

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG), 1, "CAP_SET_GUEST_DEBUG");
	vm_free(vm);
	test_host_single_step();
	test_guest_tf();
	return tap_done();
}
