// SPDX-License-Identifier: GPL-2.0-only
// Updates that wait for every vCPU inside KVM_RUN (memslot changes, I/O bus changes)
// complete while a vCPU sleeps there: an AP waiting for INIT/SIPI and a BSP halted with
// interrupts off. QEMU's SeaBIOS programs the PAM registers (memslot updates) while its
// APs still wait for SIPI.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

GUEST_CODE static void guest_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct runner {
	struct vcpu *v;
	pthread_t thr;
	int r, err;
};

static void *run_thread(void *arg)
{
	struct runner *ra = arg;

	ra->r = kvm_ioctl(ra->v->fd, KVM_RUN, 0);
	ra->err = errno;
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void check_updates_while_blocked(struct vm *vm, struct vcpu *v, const char *who)
{
	struct runner ra = { .v = v };
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	void *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = { .slot = 40, .guest_phys_addr = 0x80000000,
						 .memory_size = 0x10000, .userspace_addr = (uintptr_t)mem };
	int efd = eventfd(0, 0);
	struct kvm_ioeventfd io = { .addr = 0x99, .len = 1, .fd = efd, .flags = KVM_IOEVENTFD_FLAG_PIO };

	pthread_create(&ra.thr, NULL, run_thread, &ra);
	nanosleep(&ts, NULL);	/* let it block */
	if (!is(kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r), 0, "%s: a memslot added", who))
		tap_diag("errno %d", errno);
	r.memory_size = 0;
	is(kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r), 0, "%s: and deleted", who);
	is(kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io), 0, "%s: an I/O bus device registered", who);
	io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	is(kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io), 0, "%s: and removed", who);
	pthread_kill(ra.thr, SIGUSR1);
	pthread_join(ra.thr, NULL);
	ok(ra.r == -1 && ra.err == EINTR && v->run->exit_reason == KVM_EXIT_INTR,
	   "%s: still blocked until the signal (EINTR)", who);
	close(efd);
	munmap(mem, 0x10000);
}

int main(void)
{
	struct vcpu *bsp, *ap;
	struct vm *vm = vm_create_64_irqchip(&bsp, guest_halt);
	struct kvm_mp_state mp;

	signal(SIGUSR1, on_usr1);
	alarm(60);	/* a lost acknowledgement hangs the ioctl: fail instead */
	ap = vm_add_vcpu_64(vm, 1, guest_halt);
	ok(kvm_ioctl(ap->fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_UNINITIALIZED,
	   "the AP waits for INIT/SIPI");
	check_updates_while_blocked(vm, ap, "AP waiting for SIPI");
	check_updates_while_blocked(vm, bsp, "BSP halted with IF=0");
	ok(kvm_ioctl(bsp->fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_HALTED,
	   "the BSP is halted");
	vm_free(vm);
	return tap_done();
}
