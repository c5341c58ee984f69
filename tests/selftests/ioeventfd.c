// SPDX-License-Identifier: GPL-2.0-only
// KVM_IOEVENTFD: matching guest writes signal the eventfd without an exit; the rules.
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm_util.h"

static const uint8_t prog[] = {
	0xb0, 0x42,			/* mov al, 0x42 */
	0xe6, 0x50,			/* out 0x50, al   -> matches: no exit */
	0xb0, 0x43,			/* mov al, 0x43 */
	0xe6, 0x50,			/* out 0x50, al   -> no match: KVM_EXIT_IO */
	0xc7, 0x06, 0x00, 0x80, 0x34, 0x12,	/* mov word [0x8000], 0x1234 -> any-length MMIO */
	0xf4,				/* hlt */
};

static int ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, int fd, uint32_t flags, uint64_t dm)
{
	struct kvm_ioeventfd a = { .datamatch = dm, .addr = addr, .len = len, .fd = fd, .flags = flags };

	return kvm_ioctl(vm->fd, KVM_IOEVENTFD, &a);
}

static uint64_t count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

int main(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, prog, sizeof(prog));
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2 };
	int pio = eventfd(0, EFD_NONBLOCK), mmio = eventfd(0, EFD_NONBLOCK), other = eventfd(0, EFD_NONBLOCK);
	int p[2];
	const uint32_t PIO = KVM_IOEVENTFD_FLAG_PIO, DM = KVM_IOEVENTFD_FLAG_DATAMATCH;

	if (pipe(p))
		tap_bail("pipe");

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 1, "CAP_IOEVENTFD");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH), 1, "CAP_IOEVENTFD_ANY_LENGTH");
	is(ioeventfd(vm, 0x50, 1, pio, PIO | DM, 0x42), 0, "PIO 0x50, 1 byte, datamatch 0x42");
	is_errno(ioeventfd(vm, 0x50, 1, other, PIO | DM, 0x42), EEXIST, "same address/length/datamatch: EEXIST");
	is_errno(ioeventfd(vm, 0x50, 1, other, PIO, 0), EEXIST, "a wildcard over a datamatch: EEXIST");
	is_errno(ioeventfd(vm, 0x50, 0, other, PIO, 0), EEXIST, "any-length over a 1-byte one: EEXIST");
	is(ioeventfd(vm, 0x50, 1, other, PIO | DM, 0x44), 0, "another datamatch on the same port is fine");
	is(ioeventfd(vm, 0x50, 2, other, PIO | DM, 0x42), 0, "another length on the same port is fine");
	is(ioeventfd(vm, 0x8000, 0, mmio, 0, 0), 0, "MMIO 0x8000, any length");
	is_errno(ioeventfd(vm, 0x60, 3, other, PIO, 0), EINVAL, "length 3: EINVAL");
	is_errno(ioeventfd(vm, 0x60, 0, other, PIO | DM, 0), EINVAL, "any-length with DATAMATCH: EINVAL");
	is_errno(ioeventfd(vm, 0x60, 1, other, PIO | (1u << 7), 0), EINVAL, "unknown flag: EINVAL");
	is_errno(ioeventfd(vm, ~0ull, 8, other, 0, 0), EINVAL, "range overflow: EINVAL");
	is_errno(ioeventfd(vm, 0x60, 1, 999, PIO, 0), EBADF, "bad fd: EBADF");
	is_errno(ioeventfd(vm, 0x60, 1, p[0], PIO, 0), EINVAL, "a pipe is not an eventfd: EINVAL");
	is_errno(ioeventfd(vm, 0x70, 1, pio, PIO | KVM_IOEVENTFD_FLAG_DEASSIGN, 0), ENOENT,
		 "deassigning what is not there: ENOENT");
	is_errno(kvm_ioctl(vm->fd, KVM_IOEVENTFD, (void *)8), EFAULT, "bad pointer: EFAULT");

	{
		/* The VMM may close its descriptor; ours keeps the eventfd alive. */
		int dup_mmio = dup(mmio);
		is(ioeventfd(vm, 0x9000, 4, dup_mmio, 0, 0), 0, "MMIO 0x9000 through a dup");
		close(dup_mmio);
	}

	is(vcpu_run(v), 0, "run");
	ok(v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == 0x50 &&
	   ((uint8_t *)v->run)[v->run->io.data_offset] == 0x43,
	   "the matching OUT did not exit; the one with 0x43 did");
	is(count(pio), 1, "the PIO eventfd was signalled once");
	is(count(other), 0, "the other datamatch was not");
	is(vcpu_run(v), 0, "run on");
	is(v->run->exit_reason, KVM_EXIT_HLT, "the 2-byte MMIO store did not exit");
	is(count(mmio), 1, "the any-length MMIO eventfd was signalled");

	is(ioeventfd(vm, 0x50, 1, pio, PIO | DM | KVM_IOEVENTFD_FLAG_DEASSIGN, 0x42), 0, "deassign");
	r.rip = 0x1000;
	vcpu_set_regs(v, &r);
	is(vcpu_run(v), 0, "run again");
	ok(v->run->exit_reason == KVM_EXIT_IO && ((uint8_t *)v->run)[v->run->io.data_offset] == 0x42,
	   "after deassign the 0x42 OUT exits");
	{
		/*
		 * A blocking eventfd whose counter is full (0xfffffffffffffffe, the most it
		 * holds): the kernel's eventfd_signal() saturates silently, so the matching
		 * OUT must neither block the vCPU nor exit.
		 */
		int full = eventfd(0, 0);
		uint64_t most = 0xfffffffffffffffeull;

		ok(write(full, &most, 8) == 8, "a blocking eventfd filled to its maximum");
		is(ioeventfd(vm, 0x50, 1, full, PIO | DM, 0x43), 0, "assigned to the 0x43 OUT");
		r.rip = 0x1004;		/* mov al, 0x43; out 0x50, al; the MMIO store; hlt */
		vcpu_set_regs(v, &r);
		alarm(20);		/* a vCPU blocked in write(2) ends the test here */
		is(vcpu_run(v), 0, "run with it saturated");
		alarm(0);
		is(v->run->exit_reason, KVM_EXIT_HLT,
		   "the 0x43 OUT signalled it without blocking or exiting (the next exit is the HLT)");
		is(count(full), most, "the counter stayed at its maximum");
		close(full);
	}
	close(pio);
	close(mmio);
	close(other);
	vm_free(vm);
	return tap_done();
}
