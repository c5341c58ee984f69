// SPDX-License-Identifier: GPL-2.0-only
// System, VM and vCPU fd levels: versions, capabilities, creation, errors, fd behaviour.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

static void test_system(void)
{
	int kvm = swkvm_open("/dev/kvm", O_RDWR | O_CLOEXEC);

	ok(kvm >= 0, "swkvm_open returns a descriptor");
	ok(fcntl(kvm, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC is honoured");
	ok(swkvm_is_kvm_fd(kvm), "the descriptor is a swkvm object");
	is(kvm_ioctl(kvm, KVM_GET_API_VERSION, 0), 12, "KVM_GET_API_VERSION is 12");
	is_errno(kvm_ioctl(kvm, KVM_GET_API_VERSION, 1), EINVAL, "KVM_GET_API_VERSION with arg != 0");
	is(kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3 * 4096, "vCPU mmap is 3 pages");
	is_errno(kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 1), EINVAL, "KVM_GET_VCPU_MMAP_SIZE with arg");
	/* QEMU passes the request sign-extended; only the low 32 bits count. */
	is(kvm_ioctl(kvm, 0xffffffff00000000ul | KVM_GET_API_VERSION, 0), 12,
	   "high bits of the request are ignored");

	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1, "CAP_USER_MEMORY");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR), 1, "CAP_SET_TSS_ADDR");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT), 1, "CAP_IMMEDIATE_EXIT");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 1, "CAP_READONLY_MEM");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS), 32764, "CAP_NR_MEMSLOTS");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), 256, "CAP_MAX_VCPUS");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID), 1024, "CAP_MAX_VCPU_ID");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_INTERNAL_ERROR_DATA), 1, "CAP_INTERNAL_ERROR_DATA");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP), 1, "CAP_IRQCHIP");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM), 1, "CAP_X86_SMM");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE), 2, "CAP_MULTI_ADDRESS_SPACE: 2 (SMM)");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, 0x7fffffff), 0, "unknown capability is 0");
	is(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, -1), 0, "negative capability is 0");

	is_errno(kvm_ioctl(kvm, KVM_CREATE_VM, 1), EINVAL, "KVM_CREATE_VM type 1 is refused");
	is_errno(kvm_ioctl(kvm, KVM_CREATE_VM, ~0ul), EINVAL, "KVM_CREATE_VM type ~0 is refused");
	/* Ioctls of other levels on the system fd: kvm_arch_dev_ioctl() says EINVAL. */
	is_errno(kvm_ioctl(kvm, KVM_RUN, 0), EINVAL, "KVM_RUN on the system fd");
	is_errno(kvm_ioctl(kvm, KVM_CREATE_VCPU, 0), EINVAL, "KVM_CREATE_VCPU on the system fd");
	is_errno(kvm_ioctl(kvm, _IO(0x12, 0x34), 0), EINVAL, "non-KVM ioctl on the system fd");

	is_errno(swkvm_ioctl(-1, KVM_GET_API_VERSION, 0), EBADF, "bad descriptor gives EBADF");
	{
		int p[2];
		if (pipe(p) == 0) {
			is_errno(swkvm_ioctl(p[0], KVM_GET_API_VERSION, 0), ENOTTY,
				 "a pipe is not a KVM object: ENOTTY");
			ok(!swkvm_is_kvm_fd(p[0]), "a pipe is not a swkvm object");
			close(p[0]);
			close(p[1]);
		}
	}
	swkvm_close(kvm);
	ok(!swkvm_is_kvm_fd(kvm), "closed system fd is no longer an object");
}

static void test_vm_level(void)
{
	int kvm = swkvm_open("/dev/kvm", O_RDWR);
	int vm = kvm_ioctl(kvm, KVM_CREATE_VM, 0);
	int vm2 = kvm_ioctl(kvm, KVM_CREATE_VM, 0);

	ok(vm >= 0 && vm2 >= 0 && vm != vm2, "two VMs from one system fd");
	ok(fcntl(vm, F_GETFD) & FD_CLOEXEC, "VM fd is close-on-exec like anon_inode_getfd");
	is(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1, "CHECK_EXTENSION on the VM fd");
	is(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM), 1, "CAP_CHECK_EXTENSION_VM");
	/* System and vCPU ioctls on the VM fd: kvm_arch_vm_ioctl() says ENOTTY. */
	is_errno(kvm_ioctl(vm, KVM_GET_API_VERSION, 0), ENOTTY, "KVM_GET_API_VERSION on a VM fd");
	is_errno(kvm_ioctl(vm, KVM_CREATE_VM, 0), ENOTTY, "KVM_CREATE_VM on a VM fd");
	is_errno(kvm_ioctl(vm, KVM_RUN, 0), ENOTTY, "KVM_RUN on a VM fd");
	is_errno(kvm_ioctl(vm, KVM_GET_REGS, 0), ENOTTY, "KVM_GET_REGS on a VM fd");

	is(kvm_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000), 0, "KVM_SET_TSS_ADDR 0xfffbd000 (kvmtool)");
	is(kvm_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffff000ul - 0x2000), 0, "KVM_SET_TSS_ADDR at the 4G-3 page limit");
	is_errno(kvm_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffff000ul - 0x1000), EINVAL,
		 "KVM_SET_TSS_ADDR whose 3 pages cross 4 GiB");

	/* vCPU creation */
	int v0 = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	ok(v0 >= 0, "KVM_CREATE_VCPU 0");
	ok(fcntl(v0, F_GETFD) & FD_CLOEXEC, "vCPU fd is close-on-exec");
	is_errno(kvm_ioctl(vm, KVM_CREATE_VCPU, 0), EEXIST, "duplicate vCPU id gives EEXIST");
	is_errno(kvm_ioctl(vm, KVM_CREATE_VCPU, 1024), EINVAL, "vCPU id 1024 (>= MAX_VCPU_ID)");
	is_errno(kvm_ioctl(vm, KVM_CREATE_VCPU, ~0ul), EINVAL, "vCPU id -1");
	int v1023 = kvm_ioctl(vm, KVM_CREATE_VCPU, 1023);
	ok(v1023 >= 0, "vCPU id 1023 is accepted");
	/* Ioctls of other levels on a vCPU fd: EINVAL (kvm_arch_vcpu_ioctl default). */
	is_errno(kvm_ioctl(v0, KVM_CREATE_VCPU, 1), EINVAL, "KVM_CREATE_VCPU on a vCPU fd");
	is_errno(kvm_ioctl(v0, KVM_GET_API_VERSION, 0), EINVAL, "KVM_GET_API_VERSION on a vCPU fd");
	is_errno(kvm_ioctl(v0, _IO(0x12, 0x34), 0), EINVAL, "non-KVM ioctl on a vCPU fd");
	is_errno(kvm_ioctl(v0, KVM_RUN, 1), EINVAL, "KVM_RUN with a non-zero argument");
	is_errno(kvm_ioctl(v0, KVM_GET_REGS, (void *)8), EFAULT, "KVM_GET_REGS to a bad pointer");
	is_errno(kvm_ioctl(v0, KVM_SET_REGS, (void *)8), EFAULT, "KVM_SET_REGS from a bad pointer");

	/* The vCPU mapping: kvm_run at page 0, PIO data at page 1; dup'd fds alias it. */
	struct kvm_run *run = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v0, 0);
	int vdup = dup(v0);
	struct kvm_run *run2 = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vdup, 0);
	ok(run != MAP_FAILED && run2 != MAP_FAILED, "vCPU fd and its dup can be mapped");
	run->immediate_exit = 1;
	is(run2->immediate_exit, 1, "both mappings alias the same kvm_run");
	is(kvm_ioctl(vdup, KVM_GET_API_VERSION, 0) == -1 && errno == EINVAL, 1,
	   "the dup'd fd reaches the same vCPU object");
	{
		/* immediate_exit at entry: -EINTR, exit_reason untouched (x86.c). */
		run->exit_reason = 0xabcd;
		is_errno(kvm_ioctl(v0, KVM_RUN, 0), EINTR, "KVM_RUN with immediate_exit gives EINTR");
		is(run->exit_reason, 0xabcd, "exit_reason is left alone on that early EINTR");
		run->immediate_exit = 0;
	}
	swkvm_close(vdup);
	ok(swkvm_is_kvm_fd(v0), "closing a dup keeps the vCPU");

	/* The VM stays alive while a vCPU fd is open. */
	swkvm_close(vm);
	ok(!swkvm_is_kvm_fd(vm), "VM fd closed");
	{
		struct kvm_regs regs;
		is(kvm_ioctl(v0, KVM_GET_REGS, &regs), 0, "vCPU still works after its VM fd is closed");
		is(regs.rip, 0xfff0, "and still holds its reset RIP");
	}
	munmap(run, 3 * 4096);
	munmap(run2, 3 * 4096);
	swkvm_close(v0);
	swkvm_close(v1023);
	swkvm_close(vm2);
	swkvm_close(kvm);
}

static void test_vcpu_limit(void)
{
	int kvm = swkvm_open("/dev/kvm", O_RDWR);
	int vm = kvm_ioctl(kvm, KVM_CREATE_VM, 0);
	int fds[256], n = 0;

	for (int i = 0; i < 256; i++) {
		fds[i] = kvm_ioctl(vm, KVM_CREATE_VCPU, i * 4);
		if (fds[i] >= 0)
			n++;
	}
	is(n, 256, "256 vCPUs can be created (CAP_MAX_VCPUS)");
	is_errno(kvm_ioctl(vm, KVM_CREATE_VCPU, 1), EINVAL, "the 257th vCPU gives EINVAL");
	for (int i = 0; i < 256; i++)
		if (fds[i] >= 0)
			swkvm_close(fds[i]);
	swkvm_close(vm);
	swkvm_close(kvm);
}

int main(void)
{
	test_system();
	test_vm_level();
	test_vcpu_limit();
	return tap_done();
}
