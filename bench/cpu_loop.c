// SPDX-License-Identifier: GPL-2.0-only
// CPU benchmark: one firmware image run on swkvm, by QEMU TCG (as its -bios), and the
// same loop natively.
//
//   cpu_loop image FILE ITER   write the 64 KiB firmware image with ITER iterations
//   cpu_loop swkvm ITER        run it on swkvm through the KVM API; prints seconds
//   cpu_loop native ITER       run the loop natively; prints seconds
//
// The firmware starts at the reset vector, enters long mode with 2 MiB identity paging,
// runs an xorshift loop with a store per iteration, reports the sum on port 0x71 and
// ends with a write of its low 7 bits to QEMU's isa-debug-exit port 0xf4.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "swkvm.h"

__asm__(
	".pushsection .rodata\n"
	".set BASE, 0xf0000\n"
	".globl bfw_start, bfw_iter\n"
	"bfw_start:\n"
	".code16\n"
	"rm:	cli\n"
	"	lgdtl %cs:(gdtd - bfw_start)\n"
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x08, $(BASE + pm - bfw_start)\n"
	".code32\n"
	"pm:	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov $0x10000, %edi\n"
	"	xor %eax, %eax\n"
	"	mov $(3 * 1024), %ecx\n"
	"	rep stosl\n"
	"	movl $0x11003, 0x10000\n"
	"	movl $0x12003, 0x11000\n"
	"	movl $0x00083, 0x12000\n"
	"	mov $0x10000, %eax\n"
	"	mov %eax, %cr3\n"
	"	mov %cr4, %eax\n"
	"	or $0x20, %eax\n"
	"	mov %eax, %cr4\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $0x100, %eax\n"
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000000, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmp $0x18, $(BASE + lm - bfw_start)\n"
	".code64\n"
	"lm:	mov (BASE + bfw_iter - bfw_start), %rcx\n"
	"	movabs $0x9e3779b97f4a7c15, %rax\n"
	"	xor %edx, %edx\n"
	"1:	mov %rax, %rbx\n"
	"	shl $13, %rbx\n"
	"	xor %rbx, %rax\n"
	"	mov %rax, %rbx\n"
	"	shr $7, %rbx\n"
	"	xor %rbx, %rax\n"
	"	mov %rax, %rbx\n"
	"	shl $17, %rbx\n"
	"	xor %rbx, %rax\n"
	"	add %rax, %rdx\n"
	"	mov %ecx, %ebx\n"
	"	and $0xff, %ebx\n"
	"	mov %rdx, 0x20000(,%rbx,8)\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	mov %edx, %eax\n"
	"	out %eax, $0x71\n"
	"	mov %edx, %eax\n"
	"	and $0x7f, %eax\n"
	"	out %al, $0xf4\n"
	"	hlt\n"
	".balign 8\n"
	"bfw_iter: .quad 1000\n"
	"gdt:	.quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff, 0x00af9a000000ffff\n"
	"gdtd:	.word 4 * 8 - 1\n"
	"	.long BASE + gdt - bfw_start\n"
	".org bfw_start + 0xfff0\n"
	".code16\n"
	"	ljmp $0xf000, $(rm - bfw_start)\n"
	".org bfw_start + 0x10000\n"
	".code64\n"
	".popsection\n");

extern const uint8_t bfw_start[], bfw_iter[];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_image(uint8_t *img, uint64_t iter)
{
	memcpy(img, bfw_start, 0x10000);
	memcpy(img + (bfw_iter - bfw_start), &iter, 8);
}

static uint32_t native_loop(uint64_t iter)
{
	static volatile uint64_t sink[256];

	(void)sink[0];
	uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;

	for (uint64_t c = iter; c; c--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x;
		sink[c & 0xff] = sum;
	}
	return (uint32_t)sum;
}

static int run_swkvm(uint64_t iter, uint32_t *result)
{
	int kvm = swkvm_open("/dev/kvm", O_RDWR), vm, vcpu;
	uint8_t *ram = mmap(NULL, 0x100000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region lo = { .slot = 0, .memory_size = 0x100000, .userspace_addr = (uintptr_t)ram };
	struct kvm_userspace_memory_region hi = { .slot = 1, .guest_phys_addr = 0xffff0000, .memory_size = 0x10000,
						  .userspace_addr = (uintptr_t)(ram + 0xf0000) };
	struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[128]; } cpuid = { .h.nent = 128 };
	struct kvm_run *run;

	vm = swkvm_ioctl(kvm, KVM_CREATE_VM, 0);
	make_image(ram + 0xf0000, iter);
	if (vm < 0 || swkvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &lo) || swkvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &hi))
		return -1;
	vcpu = swkvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	swkvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid);
	swkvm_ioctl(vcpu, KVM_SET_CPUID2, &cpuid);
	for (;;) {
		if (swkvm_ioctl(vcpu, KVM_RUN, 0) < 0)
			return -1;
		if (run->exit_reason != KVM_EXIT_IO)
			return -1;
		if (run->io.port == 0x71)
			memcpy(result, (uint8_t *)run + run->io.data_offset, 4);
		if (run->io.port == 0xf4)
			return 0;
	}
}

int main(int argc, char **argv)
{
	uint64_t iter;
	uint32_t result = 0;
	double t0;

	if (argc < 3) {
		fprintf(stderr, "usage: cpu_loop image FILE ITER | swkvm ITER | native ITER\n");
		return 2;
	}
	if (!strcmp(argv[1], "image")) {
		uint8_t *img = malloc(0x10000);
		FILE *f;

		if (argc < 4 || !img)
			return 2;
		make_image(img, strtoull(argv[3], NULL, 0));
		f = fopen(argv[2], "wb");
		if (!f || fwrite(img, 1, 0x10000, f) != 0x10000 || fclose(f)) {
			fprintf(stderr, "cpu_loop: cannot write %s\n", argv[2]);
			return 1;
		}
		return 0;
	}
	iter = strtoull(argv[2], NULL, 0);
	t0 = now();
	if (!strcmp(argv[1], "swkvm")) {
		if (run_swkvm(iter, &result)) {
			fprintf(stderr, "cpu_loop: the guest did not finish\n");
			return 1;
		}
	} else {
		result = native_loop(iter);
	}
	printf("%.4f %08x\n", now() - t0, result);
	return 0;
}
