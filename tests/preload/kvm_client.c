// SPDX-License-Identifier: GPL-2.0-only
// An ordinary /dev/kvm client (plain open/ioctl/mmap/close, no swkvm headers or library)
// run under libswkvm-preload.so: it re-executes itself with LD_PRELOAD set. Checks the
// interposition (open of /dev/kvm, ioctl and close on KVM descriptors, other files
// untouched) and the kvmtool-style kick: a bare signal sent to a vCPU thread inside
// KVM_RUN ends it with EINTR and KVM_EXIT_INTR, both while the guest spins and while it
// sleeps in HLT, and only that KVM_RUN.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "tap.h"

static volatile sig_atomic_t plain_count, info_count, info_code;
static pthread_t vcpu_thread;

static void on_plain(int sig)
{
	plain_count++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	info_count++;
	info_code = si->si_code;
}

/* another thread sends `sig` to the vCPU thread after 50 ms */
static void *kicker(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	pthread_kill(vcpu_thread, (int)(intptr_t)arg);
	return NULL;
}

static int run_kicked(int vcpu, int sig)
{
	pthread_t t;
	int r, e;

	vcpu_thread = pthread_self();
	pthread_create(&t, NULL, kicker, (void *)(intptr_t)sig);
	r = ioctl(vcpu, KVM_RUN, 0);
	e = errno;
	pthread_join(t, NULL);
	errno = e;
	return r;
}

static void set_rip(int vcpu, uint64_t rip)
{
	struct kvm_regs regs;

	ioctl(vcpu, KVM_GET_REGS, &regs);
	regs.rip = rip;
	regs.rflags = 2;
	ioctl(vcpu, KVM_SET_REGS, &regs);
}

static void reexec_preloaded(char **argv)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		tap_bail("readlink /proc/self/exe");
	exe[n] = 0;
	/* $(O)/tests/preload/kvm_client -> $(O)/libswkvm-preload.so */
	for (int i = 0; i < 3 && (slash = strrchr(exe, '/')); i++)
		*slash = 0;
	snprintf(lib, sizeof(lib), "%s/libswkvm-preload.so", exe);
	if (access(lib, R_OK))
		tap_bail("%s is missing", lib);
	setenv("LD_PRELOAD", lib, 1);
	setenv("SWKVM_PRELOADED", "1", 1);
	/* an ASan build: the preloaded library comes before the runtime in the exe */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	execv("/proc/self/exe", argv);
	tap_bail("execv: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static const uint8_t code[] = {
		0xb0, 0x2a, 0xe6, 0x10, 0xeb, 0xfe,	/* 0x1000: mov al, 42; out 0x10, al; jmp $ */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xfa, 0xf4, 0xeb, 0xfc,			/* 0x1010: cli; hlt; jmp back */
	};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	struct sigaction sa, old;
	int kvm, vm, vcpu, vm2, fds[2], avail = -1;
	long mmap_size;
	uint8_t *mem;

	if (!getenv("SWKVM_PRELOADED"))
		reexec_preloaded(argv);
	alarm(30);	/* a kick that is lost leaves KVM_RUN spinning: fail, do not hang */

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ok(kvm >= 0, "open(\"/dev/kvm\") under the preload library");
	is(ioctl(kvm, KVM_GET_API_VERSION, 0), 12, "KVM_GET_API_VERSION");
	is(fcntl(kvm, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "O_CLOEXEC honoured");
	is(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT), 1, "KVM_CHECK_EXTENSION");
	if (pipe(fds))
		tap_bail("pipe");
	is(write(fds[1], "xyz", 3), 3, "(a pipe with 3 bytes)");
	ok(ioctl(fds[0], FIONREAD, &avail) == 0 && avail == 3, "other descriptors' ioctls reach the kernel");

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ok(vm >= 0, "KVM_CREATE_VM");
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0,
						       .memory_size = 0x10000,
						       .userspace_addr = (uintptr_t)mem };
	is(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), 0, "KVM_SET_USER_MEMORY_REGION");
	is(ioctl(vm, KVM_CREATE_IRQCHIP, 0), 0, "KVM_CREATE_IRQCHIP");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ok(vcpu >= 0, "KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ok(run != MAP_FAILED, "mmap of the vCPU descriptor");

	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	set_rip(vcpu, 0x1000);
	ok(ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 &&
	   ((uint8_t *)run)[run->io.data_offset] == 42, "KVM_RUN: the guest's OUT");

	/* kvmtool: signal(), i.e. SA_RESTART, and a handler that touches no KVM state */
	ok(signal(SIGRTMIN, on_plain) != SIG_ERR, "signal(SIGRTMIN, handler)");
	ok(run_kicked(vcpu, SIGRTMIN) == -1 && errno == EINTR && run->exit_reason == KVM_EXIT_INTR,
	   "a signal to the spinning vCPU thread: EINTR, KVM_EXIT_INTR");
	is(plain_count, 1, "the program's handler ran once");
	ok(sigaction(SIGRTMIN, NULL, &old) == 0 && old.sa_handler == on_plain,
	   "sigaction() reports the program's handler, not the wrapper");

	/* the kick ended that KVM_RUN only */
	set_rip(vcpu, 0x1000);
	ok(ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO, "the next KVM_RUN runs the guest");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	is(sigaction(SIGUSR1, &sa, NULL), 0, "sigaction(SIGUSR1, SA_SIGINFO)");
	set_rip(vcpu, 0x1010);
	ok(run_kicked(vcpu, SIGUSR1) == -1 && errno == EINTR && run->exit_reason == KVM_EXIT_INTR,
	   "a signal to the vCPU halted in the in-kernel LAPIC's HLT: EINTR");
	ok(info_count == 1 && info_code == SI_TKILL, "the SA_SIGINFO handler got its siginfo");

	signal(SIGRTMIN, SIG_IGN);
	raise(SIGRTMIN);
	ioctl(vcpu, KVM_SET_MP_STATE, &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE });	/* out of HLT */
	set_rip(vcpu, 0x1000);
	ok(ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO, "an ignored signal kicks nothing");

	vm2 = ioctl(kvm, KVM_CREATE_VM, 0);
	is(close(vm2), 0, "close() of a VM");
	ok(ioctl(vm2, KVM_CHECK_EXTENSION, 0) == -1 && errno == EBADF, "its descriptor is gone (EBADF)");
	munmap(run, (size_t)mmap_size);
	is(close(vcpu), 0, "close() of the vCPU");
	is(close(vm), 0, "close() of its VM");
	is(close(kvm), 0, "close() of /dev/kvm");
	is(close(fds[0]) | close(fds[1]), 0, "ordinary close()");
	return tap_done();
}
