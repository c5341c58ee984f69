// SPDX-License-Identifier: GPL-2.0-only
// Dirty logging: API errors, and a guest writing while the host collects (zero lost writes):
// plain, string and LOCKed stores, stores through a page table that lives in the logged
// slot (the CPU's A/D updates dirty it), and the hypervisor's own kvmclock updates.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kvm_util.h"

#define TEST_GPA 0x10000000ull		/* identity-mapped by vm_create_64 */
#define TEST_PAGES 512
#define TEST_SIZE (TEST_PAGES * 4096ull)
#define ITERATIONS 200000
/* page 0 of the slot is a page table for WINDOW_GVA, page 1 holds the guest's kvmclock */
#define WINDOW_GVA 0x20000000ull	/* PD entry 256 of the identity map, redirected */
#define FIRST_DATA_PAGE 2

static volatile uint64_t guest_seed = 12345;

GUEST_CODE static void guest_writer(void)
{
	uint64_t x = guest_seed;

	/* the hypervisor writes this pvclock area at every entry: those writes count too */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x4b564d01, (TEST_GPA + 4096) | 1), GUEST_NO_EXC);
	for (uint64_t i = 1; i <= ITERATIONS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t page = FIRST_DATA_PAGE + (x >> 33) % (TEST_PAGES - FIRST_DATA_PAGE);
		uint64_t *p = (uint64_t *)(uintptr_t)(TEST_GPA + page * 4096 + ((x >> 20) % 500) * 8);

		/* every fifth store goes through the window, whose PTEs get A and D set */
		if (i % 5 == 4)
			p = (uint64_t *)(uintptr_t)(WINDOW_GVA + page * 4096 + ((x >> 20) % 500) * 8);
		switch (i % 4) {
		case 0:
			*p = i;
			break;
		case 1: {
			/* a string store of 3 quadwords */
			uint64_t *d = p;
			uint64_t cnt = 3;
			__asm__ volatile("rep stosq" : "+D"(d), "+c"(cnt) : "a"(i) : "memory");
			break;
		}
		case 2: {
			uint64_t v = i;
			__asm__ volatile("lock xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
			break;
		}
		default:
			*(volatile uint8_t *)p = (uint8_t)i;
		}
		if (i % 50000 == 0)
			GUEST_SYNC(i);
	}
	GUEST_DONE();
}

struct runner {
	struct vcpu *vcpu;
	volatile int done;
	int failed;
};

static void *vcpu_thread(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;

	for (;;) {
		uint64_t cmd = vcpu_get_ucall(r->vcpu, &uc);
		if (cmd == UCALL_SYNC)
			continue;
		r->failed = cmd != UCALL_DONE;
		break;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int collect(struct vm *vm, uint8_t *mem, uint8_t *shadow, unsigned long *bitmap)
{
	struct kvm_dirty_log log = { .slot = 2, .dirty_bitmap = bitmap };
	int n = 0;

	if (kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log))
		return -1;
	for (int p = 0; p < TEST_PAGES; p++)
		if (bitmap[p / 64] & (1ul << (p % 64))) {
			memcpy(shadow + p * 4096ull, mem + p * 4096ull, 4096);
			n++;
		}
	return n;
}

static void test_concurrent_collection(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_writer);
	uint8_t *mem = vm_add_memory(vm, 2, TEST_GPA, TEST_SIZE, KVM_MEM_LOG_DIRTY_PAGES);
	uint8_t *shadow = calloc(1, TEST_SIZE);
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa), *pdpt, *pd, *pt = (uint64_t *)mem;

	/* WINDOW_GVA + 4K*j -> slot page j, through a page table in slot page 0 */
	pdpt = addr_gpa2hva(vm, pml4[0] & 0x000ffffffffff000ull);
	pd = addr_gpa2hva(vm, pdpt[0] & 0x000ffffffffff000ull);
	for (int j = 0; j < TEST_PAGES; j++)
		pt[j] = (TEST_GPA + j * 4096ull) | 7;	/* P RW US, A and D clear */
	pd[WINDOW_GVA >> 21] = TEST_GPA | 7;
	memcpy(shadow, mem, 4096);		/* the copy starts from the table as written */
	unsigned long bitmap[TEST_PAGES / 64];
	struct runner r = { .vcpu = v };
	pthread_t t;
	int rounds = 0, reported = 0, k;

	pthread_create(&t, NULL, vcpu_thread, &r);
	while (!__atomic_load_n(&r.done, __ATOMIC_SEQ_CST)) {
		k = collect(vm, mem, shadow, bitmap);
		if (k < 0)
			break;
		reported += k;
		rounds++;
	}
	pthread_join(t, NULL);
	ok(!r.failed, "the guest finished its %d writes", ITERATIONS);
	k = collect(vm, mem, shadow, bitmap);
	ok(k >= 0, "final KVM_GET_DIRTY_LOG with the vCPU stopped");
	ok(rounds > 1, "the log was collected while the guest ran (%d rounds, %d pages)", rounds, reported);
	ok(!memcmp(shadow, mem, TEST_SIZE), "copy of reported pages equals guest memory: no lost write");
	ok((pt[FIRST_DATA_PAGE] & 0x60) == 0x60 || (pt[FIRST_DATA_PAGE + 1] & 0x60) == 0x60,
	   "the CPU set A/D bits in the page table inside the slot");
	ok(((uint32_t *)(mem + 4096))[0] > 2, "the hypervisor updated the kvmclock page in the slot");
	k = collect(vm, mem, shadow, bitmap);
	is(k, 0, "nothing is dirty after a collection with the guest stopped");
	free(shadow);
	vm_free(vm);
}

static void test_api(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *plain = vm_add_memory(vm, 0, 0, 0x10000, 0);
	unsigned long bitmap[2] = { ~0ul, ~0ul };
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };
	struct kvm_clear_dirty_log clr = { .slot = 1, .first_page = 0, .num_pages = 64, .dirty_bitmap = bitmap };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };

	(void)plain;
	is_errno(kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log), ENOENT, "slot without dirty logging: ENOENT");
	log.slot = 7;
	is_errno(kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log), ENOENT, "slot that does not exist: ENOENT");
	log.slot = 40000;
	is_errno(kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log), EINVAL, "slot id out of range: EINVAL");
	vm_add_memory(vm, 1, 0x100000, 128 * 4096, KVM_MEM_LOG_DIRTY_PAGES);
	log.slot = 1;
	is(kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log), 0, "GET_DIRTY_LOG on a logging slot");
	ok(bitmap[0] == 0 && bitmap[1] == 0, "a fresh slot has no dirty pages");
	log.dirty_bitmap = (void *)64;
	is_errno(kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log), EFAULT, "bad bitmap pointer: EFAULT");
	/* kvm_clear_dirty_log_protect() does not require the capability to be enabled */
	is(kvm_ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clr), 0, "CLEAR without manual protect is accepted, as in KVM");

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 3,
	   "CAP_MANUAL_DIRTY_LOG_PROTECT2 offers PROTECT_ENABLE | INITIALLY_SET");
	cap.args[0] = KVM_DIRTY_LOG_INITIALLY_SET;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "INITIALLY_SET alone is refused");
	cap.args[0] = 3;
	cap.flags = 1;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "ENABLE_CAP flags must be 0");
	cap.flags = 0;
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "enable manual protect with INITIALLY_SET");
	vm_add_memory(vm, 2, 0x200000, 128 * 4096, KVM_MEM_LOG_DIRTY_PAGES);
	log = (struct kvm_dirty_log){ .slot = 2, .dirty_bitmap = bitmap };
	bitmap[0] = bitmap[1] = 0;
	is(kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log), 0, "GET_DIRTY_LOG");
	ok(bitmap[0] == ~0ul && bitmap[1] == ~0ul, "INITIALLY_SET: every page starts dirty");
	clr = (struct kvm_clear_dirty_log){ .slot = 2, .first_page = 1, .num_pages = 64, .dirty_bitmap = bitmap };
	is_errno(kvm_ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clr), EINVAL, "first_page not a multiple of 64");
	clr.first_page = 64;
	clr.num_pages = 65;
	is_errno(kvm_ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clr), EINVAL, "range past the slot end");
	clr.first_page = 0;
	clr.num_pages = 10;
	is_errno(kvm_ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clr), EINVAL,
		 "num_pages not a multiple of 64 short of the slot end");
	{
		unsigned long mask[2] = { 0xf0ul, 0 };
		clr = (struct kvm_clear_dirty_log){ .slot = 2, .first_page = 64, .num_pages = 64,
						    .dirty_bitmap = mask };
		is(kvm_ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clr), 0, "CLEAR pages 68-71");
		kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
		ok(bitmap[0] == ~0ul && bitmap[1] == ~0xf0ul, "exactly those bits were cleared");
		kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
		ok(bitmap[1] == ~0xf0ul, "with manual protect, GET does not clear");
	}
	vm_free(vm);
}

int main(void)
{
	test_api();
	test_concurrent_collection();
	return tap_done();
}
