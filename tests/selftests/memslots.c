// SPDX-License-Identifier: GPL-2.0-only
// KVM_SET_USER_MEMORY_REGION: validation, overlap, delete, move, flags, read-only, and
// what a running guest sees after each change.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kvm_util.h"

#define CODE_GPA 0x1000
#define DATA_GPA 0x8000

static int set_region(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		      void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};
	return kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static void test_validation(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	is(set_region(vm, 0, 0, 0, 0x10000, mem), 0, "create slot 0");
	is(set_region(vm, 0, 0, 0, 0x10000, mem), 0, "re-setting an identical slot is a no-op");
	is_errno(set_region(vm, 1, 0, 0x8000, 0x10000, mem + 0x10000), EEXIST, "overlap at the start");
	is_errno(set_region(vm, 1, 0, 0xf000, 0x1000, mem + 0x10000), EEXIST, "overlap at the last page");
	is(set_region(vm, 1, 0, 0x10000, 0x1000, mem + 0x10000), 0, "adjacent slot is fine");
	is_errno(set_region(vm, 2, 0, 0x20000, 0x1001, mem), EINVAL, "size not page aligned");
	is_errno(set_region(vm, 2, 0, 0x20800, 0x1000, mem), EINVAL, "GPA not page aligned");
	is_errno(set_region(vm, 2, 0, 0x20000, 0x1000, mem + 8), EINVAL, "host address not page aligned");
	is_errno(set_region(vm, 2, 0x80, 0x20000, 0x1000, mem), EINVAL, "unknown flag");
	is_errno(set_region(vm, 2, 1u << 31, 0x20000, 0x1000, mem), EINVAL, "unknown high flag");
	is_errno(set_region(vm, 32764, 0, 0x20000, 0x1000, mem), EINVAL, "slot id 32764 (>= NR_MEMSLOTS)");
	is(set_region(vm, 32763, 0, 0x20000, 0x1000, mem + 0x20000), 0, "slot id 32763 is the last one");
	is_errno(set_region(vm, (2u << 16) | 3, 0, 0x30000, 0x1000, mem), EINVAL,
		 "address space 2 does not exist (SMM is 1)");
	is_errno(set_region(vm, 3, 0, 1ull << 46, 0x1000, mem), EINVAL, "GPA beyond MAXPHYADDR");
	is_errno(set_region(vm, 3, 0, ~0xfffull, 0x2000, mem), EINVAL, "GPA range wraps");
	is_errno(set_region(vm, 3, 0, 0x40000, 0x1000, (void *)0x7ffffffff000ull), EINVAL,
		 "host range beyond the user address space");
	is_errno(set_region(vm, 5, 0, 0x50000, 0, mem), EINVAL, "deleting a slot that does not exist");
	is_errno(set_region(vm, 0, 0, 0, 0x20000, mem), EINVAL, "a slot cannot be resized");
	is_errno(set_region(vm, 0, 0, 0, 0x10000, mem + 0x1000), EINVAL, "a slot cannot change host address");
	is_errno(set_region(vm, 0, KVM_MEM_READONLY, 0, 0x10000, mem), EINVAL,
		 "READONLY cannot be toggled on an existing slot");
	is(set_region(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, mem), 0, "dirty logging can be toggled");
	is_errno(set_region(vm, 0, 0, 0x10000, 0x10000, mem), EEXIST, "moving onto another slot");
	is(set_region(vm, 0, 0, 0x100000, 0x10000, mem), 0, "moving a slot");
	is(set_region(vm, 0, 0, 0x100000, 0, mem), 0, "deleting a slot (size 0)");
	is(set_region(vm, 0, 0, 0, 0x10000, mem), 0, "re-creating the deleted slot id");
	is_errno(kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, (void *)24), EFAULT, "bad argument pointer");
	munmap(mem, 1 << 20);
	vm_free(vm);
}

/* Real-mode programs at CODE_GPA (CS base 0). */
static const uint8_t prog_read[] = {
	0xa0, 0x00, 0x80,		/* mov al, [0x8000] */
	0xe6, 0x10,			/* out 0x10, al */
	0xf4,				/* hlt */
};
static const uint8_t prog_write[] = {
	0xc6, 0x06, 0x00, 0x80, 0x5a,	/* mov byte [0x8000], 0x5a */
	0xf4,				/* hlt */
};

static struct vcpu *realmode_vcpu(struct vm *vm, uint8_t *code_hva)
{
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s = vcpu_sregs(v);

	(void)code_hva;
	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v, &s);
	return v;
}

static void start_at(struct vcpu *v, const uint8_t *prog, size_t len, uint8_t *code)
{
	struct kvm_regs r = { .rip = CODE_GPA, .rflags = 2 };

	memcpy(code + CODE_GPA, prog, len);
	vcpu_set_regs(v, &r);
}

static void test_guest_view(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *code = vm_add_memory(vm, 0, 0, 0x4000, 0);
	uint8_t *data = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vcpu *v = realmode_vcpu(vm, code);
	struct kvm_run *run = v->run;

	data[0] = 0x42;
	data[0x1000] = 0x99;
	is(set_region(vm, 1, 0, DATA_GPA, 0x1000, data), 0, "data slot at 0x8000");
	start_at(v, prog_read, sizeof(prog_read), code);
	is(vcpu_run(v), 0, "run: guest reads the data slot");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 &&
	   run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 && run->io.count == 1,
	   "OUT exit on port 0x10, 1 byte");
	is(((uint8_t *)run)[run->io.data_offset], 0x42, "guest read the slot's byte");
	is(vcpu_run(v), 0, "run to HLT");
	is(run->exit_reason, KVM_EXIT_HLT, "HLT exit");

	/* Deleted: the read becomes an MMIO exit, completed with our value on re-entry. */
	is(set_region(vm, 1, 0, DATA_GPA, 0, data), 0, "delete the data slot");
	start_at(v, prog_read, sizeof(prog_read), code);
	is(vcpu_run(v), 0, "run: guest reads unbacked memory");
	ok(run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == DATA_GPA && run->mmio.len == 1 &&
	   !run->mmio.is_write, "MMIO read exit at 0x8000, 1 byte");
	is(vcpu_regs(v).rip, CODE_GPA, "RIP is still at the reading instruction");
	run->mmio.data[0] = 0x77;
	is(vcpu_run(v), 0, "run with the MMIO data");
	ok(run->exit_reason == KVM_EXIT_IO && ((uint8_t *)run)[run->io.data_offset] == 0x77,
	   "the guest got the MMIO value");

	/* Moved: the old address is MMIO, the new one is the slot. */
	is(set_region(vm, 1, 0, DATA_GPA, 0x1000, data + 0x1000), 0, "re-create at 0x8000 from other memory");
	start_at(v, prog_read, sizeof(prog_read), code);
	vcpu_run(v);
	is(((uint8_t *)run)[run->io.data_offset], 0x99, "guest sees the new backing memory");
	is(set_region(vm, 1, 0, 0x9000, 0x1000, data + 0x1000), 0, "move the slot to 0x9000");
	start_at(v, prog_read, sizeof(prog_read), code);
	vcpu_run(v);
	ok(run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == DATA_GPA,
	   "after the move, 0x8000 is MMIO again");
	is(set_region(vm, 1, 0, 0x9000, 0, data + 0x1000), 0, "delete it");

	/* Read-only: reads work, writes exit as MMIO writes and leave memory alone. */
	is(set_region(vm, 2, KVM_MEM_READONLY, DATA_GPA, 0x1000, data), 0, "read-only slot at 0x8000");
	start_at(v, prog_write, sizeof(prog_write), code);
	is(vcpu_run(v), 0, "run: guest writes the read-only slot");
	ok(run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write && run->mmio.phys_addr == DATA_GPA &&
	   run->mmio.len == 1 && run->mmio.data[0] == 0x5a, "MMIO write exit with the data");
	is(vcpu_regs(v).rip, CODE_GPA + 5, "an MMIO write exit comes after the instruction");
	is(data[0], 0x42, "read-only memory is unchanged");
	is(vcpu_run(v), 0, "continue");
	is(run->exit_reason, KVM_EXIT_HLT, "then HLT");
	start_at(v, prog_read, sizeof(prog_read), code);
	vcpu_run(v);
	is(((uint8_t *)run)[run->io.data_offset], 0x42, "reads of read-only memory work");

	munmap(data, 0x2000);
	vm_free(vm);
}

int main(void)
{
	test_validation();
	test_guest_view();
	return tap_done();
}
