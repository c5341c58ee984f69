// SPDX-License-Identifier: GPL-2.0-only
// The first guests: the classic 16-bit real-mode KVM guest, and a flat 64-bit C guest.
#include <stdio.h>

#include "kvm_util.h"

/*
 * The classic first KVM program (LWN "Using the KVM API"): adds AL and BL, prints the
 * digit and a newline on port 0x3f8, halts. Loaded at 0x1000 with CS base 0.
 */
static const uint8_t classic[] = {
	0xba, 0xf8, 0x03,	/* mov dx, 0x3f8 */
	0x00, 0xd8,		/* add al, bl */
	0x04, '0',		/* add al, '0' */
	0xee,			/* out dx, al */
	0xb0, '\n',		/* mov al, '\n' */
	0xee,			/* out dx, al */
	0xf4,			/* hlt */
};

static void test_classic_real_mode(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *mem = vm_add_memory(vm, 0, 0x1000, 0x1000, 0);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_run *run = v->run;
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r = { .rip = 0x1000, .rax = 2, .rbx = 2, .rflags = 2 };

	memcpy(mem, classic, sizeof(classic));
	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v, &s);
	vcpu_set_regs(v, &r);

	is(vcpu_run(v), 0, "KVM_RUN returns 0");
	is(run->exit_reason, KVM_EXIT_IO, "first exit is IO");
	is(run->io.direction, KVM_EXIT_IO_OUT, "direction OUT");
	is(run->io.port, 0x3f8, "port 0x3f8");
	is(run->io.size, 1, "size 1");
	is(run->io.count, 1, "count 1");
	is(run->io.data_offset, 4096, "data at the PIO page");
	is(((uint8_t *)run)[run->io.data_offset], '4', "2 + 2 printed as '4'");
	/* KVM's fast PIO path leaves RIP at the OUT until the exit is completed. */
	is(vcpu_regs(v).rip, 0x1007, "RIP at the OUT during the exit");
	is(vcpu_run(v), 0, "second KVM_RUN");
	is(run->exit_reason, KVM_EXIT_IO, "second exit is IO");
	is(((uint8_t *)run)[run->io.data_offset], '\n', "then a newline");
	is(vcpu_run(v), 0, "third KVM_RUN");
	is(run->exit_reason, KVM_EXIT_HLT, "then HLT");
	r = vcpu_regs(v);
	is(r.rip, 0x1000 + sizeof(classic), "RIP after the HLT");
	is(r.rax & 0xff, '\n', "AL holds the last byte written");
	is(r.rdx & 0xffff, 0x3f8, "DX holds the port");
	is(vcpu_run(v), 0, "running again after HLT");
	/*
	 * Past the program the page is zero: 00 00 is add [bx+si], al, which reads
	 * DS:BX+SI = GPA 2, outside every memslot: an MMIO read exit.
	 */
	ok(run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write && run->mmio.phys_addr == 2 &&
	   run->mmio.len == 1, "the guest continues past the HLT into an MMIO read of GPA 2");
	vm_free(vm);
}

/* ---- a flat 64-bit guest in C ---- */

static uint64_t numbers[8] = { 1, 2, 3, 5, 8, 13, 21, 34 };

GUEST_CODE static void guest_add(void)
{
	uint64_t sum = 0;

	for (int i = 0; i < 8; i++)
		sum += numbers[i];
	GUEST_SYNC(sum);
	/* Values the host changed while we were stopped come through. */
	GUEST_SYNC(numbers[0] * 1000 + numbers[7]);
	GUEST_ASSERT_EQ(sum, 87);
	GUEST_DONE();
}

static void test_long_mode_add(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_add);
	struct ucall uc;
	struct kvm_sregs s = vcpu_sregs(v);

	is(s.efer & 0x500, 0x500, "vCPU set up in long mode (EFER.LME|LMA)");
	vcpu_expect_sync(v, 87, "guest sums the host's array: 87");
	numbers[0] = 7;
	numbers[7] = 9;
	vm_sync_to_guest(vm, numbers, sizeof(numbers));
	vcpu_expect_sync(v, 7009, "guest sees values the host wrote into guest memory");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest finishes");
	vm_free(vm);
}

GUEST_CODE static void guest_assert_fails(void)
{
	GUEST_ASSERT_EQ(numbers[1], 12345);
	GUEST_DONE();
}

static void test_guest_assert(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_assert_fails);
	struct ucall uc;

	tap_diag("an expected guest assertion follows:");
	is(vcpu_get_ucall(v, &uc), UCALL_ABORT, "a failing GUEST_ASSERT reaches the host");
	is(uc.args[2], numbers[1], "with the value compared");
	is(uc.args[3], 12345, "and the expected value");
	vm_free(vm);
}

int main(void)
{
	test_classic_real_mode();
	test_long_mode_add();
	test_guest_assert();
	return tap_done();
}
