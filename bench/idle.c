// SPDX-License-Identifier: GPL-2.0-only
// Idle benchmark: host CPU time a halted guest costs, with the in-kernel LAPIC.
//
//   idle SECONDS MODE   MODE = halt (HLT with no interrupt source) or tick (HLT woken by a
//                       100 Hz LAPIC periodic timer, like a HZ=100 kernel's tick)
//
// Prints "<cpu seconds> <wall seconds> <timer interrupts taken>". The guest is 32-bit
// protected-mode code without paging; the VMM thread sits in KVM_RUN the whole time
// and is stopped by a signal setting immediate_exit, as VMMs kick vCPUs.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "swkvm.h"

/*
 * At 0x1000: program the LAPIC (software enable, divide by 1, periodic vector 0x40 every
 * 10,000,000 bus cycles = 10 ms), then sti; hlt forever. The handler at 0x1100 counts at
 * 0x5000 and EOIs. In "halt" mode the entry skips the timer set-up.
 */
__asm__(
	".pushsection .rodata\n"
	".globl idle_code, idle_code_end\n"
	".code32\n"
	"idle_code:\n"
	"	movl $0x1ff, 0xfee000f0\n"
	"	movl $0xb, 0xfee003e0\n"
	"	movl $0x20040, 0xfee00320\n"
	"	movl $10000000, 0xfee00380\n"
	"halt_loop:\n"
	"	sti\n"
	"	hlt\n"
	"	jmp halt_loop\n"
	"	.org idle_code + 0x80\n"
	"halt_only:\n"
	"	cli\n"
	"	hlt\n"
	"	jmp halt_only\n"
	"	.org idle_code + 0x100\n"
	"handler:\n"
	"	incl 0x5000\n"
	"	movl $0, 0xfee000b0\n"
	"	iret\n"
	"idle_code_end:\n"
	".code64\n"
	".popsection\n");
extern const uint8_t idle_code[], idle_code_end[];

static volatile struct kvm_run *run;

static void on_alarm(int sig)
{
	(void)sig;
	run->immediate_exit = 1;
}

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "idle: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region mr = { .slot = 0, .memory_size = 0x10000 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2, .rip = 0x1000, .rsp = 0x8000 };
	struct sigaction sa = { .sa_handler = on_alarm };
	double secs, t0, w0, cpu;
	uint8_t *mem;
	uint64_t *idt;
	int kvm, vm, vcpu, r;
	bool tick;

	if (argc != 3 || (strcmp(argv[2], "halt") && strcmp(argv[2], "tick"))) {
		fprintf(stderr, "usage: idle SECONDS halt|tick\n");
		return 2;
	}
	secs = atof(argv[1]);
	tick = !strcmp(argv[2], "tick");
	kvm = swkvm_open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("open");
	vm = swkvm_ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || swkvm_ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		die("VM with irqchip");
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mr.userspace_addr = (uintptr_t)mem;
	if (swkvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		die("memory");
	memcpy(mem + 0x1000, idle_code, (size_t)(idle_code_end - idle_code));
	idt = (uint64_t *)(mem + 0x3000);	/* vector 0x40: 32-bit interrupt gate to 0x1100 */
	idt[0x40] = 0x1100 | (0x08ull << 16) | (0x8e00ull << 32);
	((uint64_t *)(mem + 0x2000))[1] = 0x00cf9b000000ffffull;	/* GDT: flat code 0x08 */
	((uint64_t *)(mem + 0x2000))[2] = 0x00cf93000000ffffull;	/* flat data 0x10 */
	vcpu = swkvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("vCPU");
	run = mmap(NULL, (size_t)swkvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
			 PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap");
	swkvm_ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x08, .type = 11,
					 .present = 1, .s = 1, .db = 1, .g = 1 };
	sregs.ds = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x10, .type = 3,
					 .present = 1, .s = 1, .db = 1, .g = 1 };
	sregs.es = sregs.ss = sregs.fs = sregs.gs = sregs.ds;
	sregs.gdt.base = 0x2000;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = 0x3000;
	sregs.idt.limit = 0x40 * 8 + 7;
	sregs.cr0 = 0x11;	/* PE, ET */
	swkvm_ioctl(vcpu, KVM_SET_SREGS, &sregs);
	if (!tick)
		regs.rip = 0x1080;
	swkvm_ioctl(vcpu, KVM_SET_REGS, &regs);

	sigaction(SIGALRM, &sa, NULL);
	{
		struct itimerval it = { .it_value = { .tv_sec = (time_t)secs,
						      .tv_usec = (suseconds_t)((secs - (time_t)secs) * 1e6) } };
		setitimer(ITIMER_REAL, &it, NULL);
	}
	t0 = now(CLOCK_PROCESS_CPUTIME_ID);
	w0 = now(CLOCK_MONOTONIC);
	r = swkvm_ioctl(vcpu, KVM_RUN, 0);	/* with the in-kernel LAPIC, HLT never exits */
	if (r == 0 || errno != EINTR) {
		fprintf(stderr, "idle: unexpected exit %u (r=%d)\n", run->exit_reason, r);
		return 1;
	}
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - t0;
	printf("%.4f %.3f %u\n", cpu, now(CLOCK_MONOTONIC) - w0, *(uint32_t *)(mem + 0x5000));
	return 0;
}
