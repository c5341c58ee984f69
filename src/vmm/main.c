// SPDX-License-Identifier: GPL-2.0-only
// The swkvm command: subcommand dispatch, and the built-in demo guest of `swkvm run`.
//
// The VMM talks to the hypervisor only through the KVM ioctl/mmap API (swkvm_ioctl on
// swkvm's descriptors), exactly as it would to the kernel's /dev/kvm.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "swkvm.h"

/* Exit codes (docs/run.md) */
enum {
	EXIT_OK = 0,
	EXIT_GUEST_FAILED = 1,	/* the guest crashed or did something unexpected */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_UNSUPPORTED = 3,	/* asked for something swkvm cannot do yet */
	EXIT_INTERNAL = 4,	/* the KVM API failed */
};

#define DEMO_LOAD 0x1000
#define DEMO_MEM 0x10000
#define SERIAL_PORT 0x3f8

/*
 * The demo guest, 16-bit real mode at 0x1000: writes a NUL-terminated message to the
 * COM1 data port one byte per OUT, then halts.
 *   mov si, msg ; next: lodsb ; test al, al ; jz done ; mov dx, 0x3f8 ; out dx, al
 *   jmp next ; done: hlt
 */
static const uint8_t demo_code[] = {
	0xbe, 0x00, 0x00,	/* mov si, msg (patched) */
	0xac,			/* lodsb */
	0x84, 0xc0,		/* test al, al */
	0x74, 0x06,		/* jz +6 -> hlt */
	0xba, 0xf8, 0x03,	/* mov dx, 0x3f8 */
	0xee,			/* out dx, al */
	0xeb, 0xf5,		/* jmp -11 -> lodsb */
	0xf4,			/* hlt */
};
static const char demo_msg[] = "Hello from a guest on swkvm's software x86 CPU.\n";

static int die(int code, const char *what)
{
	fprintf(stderr, "swkvm: %s: %s\n", what, strerror(errno));
	return code;
}

static int run_demo(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem;
	int kvm, vm, vcpu, mmap_size;
	size_t msg_off = sizeof(demo_code);

	kvm = swkvm_open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die(EXIT_INTERNAL, "open");
	if (swkvm_ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "swkvm: unexpected KVM API version\n");
		return EXIT_INTERNAL;
	}
	vm = swkvm_ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die(EXIT_INTERNAL, "KVM_CREATE_VM");

	mem = mmap(NULL, DEMO_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return die(EXIT_INTERNAL, "mmap");
	memcpy(mem + DEMO_LOAD, demo_code, sizeof(demo_code));
	memcpy(mem + DEMO_LOAD + msg_off, demo_msg, sizeof(demo_msg));
	mem[DEMO_LOAD + 1] = (uint8_t)(DEMO_LOAD + msg_off);
	mem[DEMO_LOAD + 2] = (uint8_t)((DEMO_LOAD + msg_off) >> 8);

	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = DEMO_MEM, .userspace_addr = (uintptr_t)mem,
	};
	if (swkvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return die(EXIT_INTERNAL, "KVM_SET_USER_MEMORY_REGION");
	vcpu = swkvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die(EXIT_INTERNAL, "KVM_CREATE_VCPU");
	mmap_size = swkvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return die(EXIT_INTERNAL, "mmap vcpu");

	if (swkvm_ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return die(EXIT_INTERNAL, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (swkvm_ioctl(vcpu, KVM_SET_SREGS, &sregs))
		return die(EXIT_INTERNAL, "KVM_SET_SREGS");
	regs = (struct kvm_regs){ .rip = DEMO_LOAD, .rflags = 2 };
	if (swkvm_ioctl(vcpu, KVM_SET_REGS, &regs))
		return die(EXIT_INTERNAL, "KVM_SET_REGS");

	for (;;) {
		if (swkvm_ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return die(EXIT_INTERNAL, "KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == SERIAL_PORT) {
				fwrite((char *)run + run->io.data_offset, run->io.size, run->io.count, stdout);
				continue;
			}
			fprintf(stderr, "swkvm: unexpected I/O on port 0x%x\n", run->io.port);
			return EXIT_GUEST_FAILED;
		case KVM_EXIT_HLT:
			fflush(stdout);
			swkvm_close(vcpu);
			swkvm_close(vm);
			swkvm_close(kvm);
			return EXIT_OK;
		default:
			fprintf(stderr, "swkvm: guest stopped with exit reason %u\n", run->exit_reason);
			return EXIT_GUEST_FAILED;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swkvm <command> [options]\n"
		"\n"
		"commands:\n"
		"  run          run a guest (now: the built-in demo guest; Linux boot is in progress)\n"
		"  version      print the version\n"
		"  help         this text\n");
}

static int cmd_run(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: swkvm run\n\n"
			       "Runs the built-in demo guest through the KVM API on swkvm's software CPU.\n"
			       "Booting a Linux bzImage or a multiboot kernel (-k/--kernel, -i/--initrd, ...)\n"
			       "is not implemented yet.\n");
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-k") || !strcmp(argv[i], "--kernel") ||
		    !strncmp(argv[i], "--kernel=", 9)) {
			fprintf(stderr, "swkvm run: booting a kernel is not implemented yet\n");
			return EXIT_UNSUPPORTED;
		}
		fprintf(stderr, "swkvm run: unknown option '%s' (see swkvm run --help)\n", argv[i]);
		return EXIT_USAGE;
	}
	printf("swkvm: running the built-in demo guest (real mode, serial output on port 0x3f8)\n");
	return run_demo();
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("swkvm 0.1 (KVM API version %d)\n", KVM_API_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "swkvm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
