// SPDX-License-Identifier: GPL-2.0-only
// SMP through the in-kernel LAPICs: INIT/SIPI start an AP in real mode that counts with
// LOCK together with the BSP (the total is exact), and IPIs between vCPUs running on
// their own threads: physical, logical flat and cluster, shorthands, lowest priority,
// NMI, and a wake-up from HLT.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>

#include "kvm_util.h"

#define APIC_GPA 0xfee00000ull
enum { LDR = 0xd0, DFR = 0xe0, SPIV = 0xf0, ISR = 0x100, EOI = 0xb0, ICR = 0x300, ICR2 = 0x310 };

struct frame {
	uint64_t ip, cs, flags, sp, ss;
};

GUEST_CODE static uint32_t apic_read(unsigned reg)
{
	return *(volatile uint32_t *)(APIC_GPA + reg);
}

GUEST_CODE static void apic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

GUEST_CODE static void send_ipi(uint32_t dest, uint32_t icr)
{
	apic_write(ICR2, dest << 24);
	apic_write(ICR, icr);
}

/* ---- a thread per vCPU ---- */

struct runner {
	pthread_t thr;
	struct vcpu *v;
	uint64_t ucall;		/* the ucall that ended it */
	uint32_t exit_reason;
	uint16_t port;
	int eagain;		/* -EAGAIN returns while waiting for SIPI */
	int err;
};

/* Runs until a ucall or an OUT to port 0xf1 (the real-mode AP's "done"). */
static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct kvm_run *run = r->v->run;

	for (;;) {
		int rc = vcpu_run(r->v);

		if (rc < 0 && errno == EAGAIN) {
			r->eagain++;
			continue;
		}
		if (rc < 0) {
			r->err = errno;
			return NULL;
		}
		r->exit_reason = run->exit_reason;
		if (run->exit_reason != KVM_EXIT_IO)
			return NULL;
		r->port = run->io.port;
		if (run->io.port == 0xf1)
			return NULL;
		if (run->io.port == UCALL_PIO_PORT) {
			struct kvm_regs regs;
			struct ucall *uc;

			kvm_ioctl(r->v->fd, KVM_GET_REGS, &regs);
			uc = addr_gva2hva(r->v->vm, regs.rdi);
			r->ucall = uc ? uc->cmd : UCALL_ABORT;
			if (r->ucall != UCALL_SYNC)
				return NULL;
		}
	}
}

static void start(struct runner *r, struct vcpu *v)
{
	memset(r, 0, sizeof(*r));
	r->v = v;
	pthread_create(&r->thr, NULL, runner_main, r);
}

/* ---- INIT/SIPI and LOCK counting ---- */

#define COUNTER_GPA 0x7000
#define TRAMPOLINE_GPA 0x9000	/* SIPI vector 9 */
#define N_EACH 200000u

/*
 * The AP in real mode, CS = 0x0900 base 0x9000, DS base 0 after INIT:
 *   mov ecx, N ; 1: lock inc dword [0x7000] ; dec ecx ; jnz 1b ; out 0xf1, al ; cli ; hlt
 */
static const uint8_t trampoline[] = {
	0x66, 0xb9, N_EACH & 0xff, (N_EACH >> 8) & 0xff, (N_EACH >> 16) & 0xff, N_EACH >> 24,
	0xf0, 0x66, 0xff, 0x06, COUNTER_GPA & 0xff, COUNTER_GPA >> 8,
	0x66, 0x49,
	0x75, 0xf6,
	0xe6, 0xf1,
	0xfa, 0xf4,
};

GUEST_CODE static void guest_bsp_init_sipi(void)
{
	volatile uint32_t *counter = (volatile uint32_t *)COUNTER_GPA;

	apic_write(SPIV, 0x1ff);
	send_ipi(1, 0x4500);		/* INIT, level assert */
	send_ipi(1, 0x8500);		/* INIT level de-assert: ignored */
	send_ipi(1, 0x4600 | (TRAMPOLINE_GPA >> 12));	/* SIPI */
	send_ipi(1, 0x4600 | (TRAMPOLINE_GPA >> 12));	/* the second SIPI is dropped */
	for (uint32_t i = 0; i < N_EACH; i++)
		__asm__ volatile("lock incl %0" : "+m"(*counter));
	while (*counter != 2 * N_EACH)
		__asm__ volatile("pause");
	GUEST_SYNC(*counter);
	GUEST_DONE();
}

static void test_init_sipi(void)
{
	struct vcpu *bsp, *ap;
	struct vm *vm = vm_create_64_irqchip(&bsp, guest_bsp_init_sipi);
	struct runner rb, ra;
	struct kvm_mp_state mp;
	struct kvm_sregs s;
	uint32_t *counter;

	ap = vm_add_vcpu(vm, 1);
	memcpy(addr_gpa2hva(vm, TRAMPOLINE_GPA), trampoline, sizeof(trampoline));
	counter = addr_gpa2hva(vm, COUNTER_GPA);
	*counter = 0;
	start(&ra, ap);		/* blocks in KVM_RUN: UNINITIALIZED */
	start(&rb, bsp);
	pthread_join(rb.thr, NULL);
	pthread_join(ra.thr, NULL);
	is(rb.ucall, UCALL_DONE, "BSP finished");
	is(*counter, 2 * N_EACH, "BSP and AP counted together with LOCK INC: the total is exact");
	ok(ra.exit_reason == KVM_EXIT_IO && ra.port == 0xf1, "the AP ran its real-mode trampoline");
	ok(ra.eagain >= 1, "the AP's KVM_RUN returned -EAGAIN after INIT/SIPI (%d)", ra.eagain);
	kvm_ioctl(ap->fd, KVM_GET_MP_STATE, &mp);
	is(mp.mp_state, KVM_MP_STATE_RUNNABLE, "AP runnable");
	s = vcpu_sregs(ap);
	ok(s.cs.selector == 0x0900 && s.cs.base == 0x9000, "AP CS = vector << 8, base vector << 12");
	vm_free(vm);
}

/* ---- IPIs between 64-bit vCPUs ---- */

static volatile uint64_t cnt[2][256];
static volatile uint64_t nmis[2];
static volatile uint32_t stop, ap_ready, phase;

GUEST_CODE static int my_id(void)
{
	return (int)(apic_read(0x20) >> 24);
}

GUEST_CODE __attribute__((interrupt)) static void h_ipi(struct frame *f)
{
	int id = my_id();

	for (int v = 255; v >= 32; v--)
		if ((apic_read(ISR + 0x10 * ((unsigned)v >> 5)) >> (v & 31)) & 1) {
			cnt[id][v]++;
			break;
		}
	apic_write(EOI, 0);
}

GUEST_CODE __attribute__((interrupt)) static void h_nmi(struct frame *f)
{
	nmis[my_id()]++;
}

GUEST_CODE static void wait_for(volatile uint64_t *p, uint64_t v)
{
	for (uint64_t i = 0; *p < v && i < 2000000000ull; i++)
		__asm__ volatile("pause");
	GUEST_ASSERT_EQ(*p, v);
}

GUEST_CODE static void guest_ap(void)
{
	apic_write(SPIV, 0x1ff);
	apic_write(DFR, 0xffffffff);		/* flat */
	apic_write(LDR, 0x02u << 24);
	ap_ready = 1;
	/* STI's shadow covers HLT: an IPI arriving after the check still wakes us */
	while (!stop) {
		__asm__ volatile("sti; hlt; cli");
		if (phase == 1 && ap_ready == 1) {
			apic_write(DFR, 0x0fffffff);		/* cluster model */
			apic_write(LDR, 0x12u << 24);		/* cluster 1, member bit 1 */
			ap_ready = 2;
		}
	}
	GUEST_DONE();
}

GUEST_CODE static void guest_bsp_ipis(void)
{
	apic_write(SPIV, 0x1ff);
	apic_write(DFR, 0xffffffff);
	apic_write(LDR, 0x01u << 24);
	__asm__ volatile("sti");
	while (!ap_ready)
		__asm__ volatile("pause");
	send_ipi(1, 0x50);			/* fixed, physical APIC ID 1 */
	wait_for(&cnt[1][0x50], 1);
	GUEST_ASSERT_EQ(cnt[0][0x50], 0);

	send_ipi(0x02, 0x800 | 0x51);		/* logical flat, LDR bit 1: the AP */
	wait_for(&cnt[1][0x51], 1);
	send_ipi(0x03, 0x800 | 0x52);		/* logical flat, both */
	wait_for(&cnt[1][0x52], 1);
	wait_for(&cnt[0][0x52], 1);
	send_ipi(0, 0xc0000 | 0x53);		/* all excluding self */
	wait_for(&cnt[1][0x53], 1);
	GUEST_ASSERT_EQ(cnt[0][0x53], 0);
	send_ipi(0, 0x80000 | 0x54);		/* all including self */
	wait_for(&cnt[1][0x54], 1);
	wait_for(&cnt[0][0x54], 1);
	send_ipi(0xff, 0x55);			/* physical broadcast */
	wait_for(&cnt[1][0x55], 1);
	wait_for(&cnt[0][0x55], 1);
	send_ipi(0x03, 0x800 | 0x100 | 0x57);	/* lowest priority: one of the two */
	for (uint64_t i = 0; cnt[0][0x57] + cnt[1][0x57] == 0 && i < 2000000000ull; i++)
		__asm__ volatile("pause");
	GUEST_SYNC2(cnt[0][0x57], cnt[1][0x57]);
	send_ipi(1, 0x400);			/* NMI */
	wait_for(&nmis[1], 1);
	GUEST_ASSERT_EQ(nmis[0], 0);
	send_ipi(0x04, 0x800 | 0x58);		/* logical 0x04: nobody */
	/* the cluster model: destination = cluster (7:4) and member bits (3:0) */
	apic_write(DFR, 0x0fffffff);
	apic_write(LDR, 0x11u << 24);		/* cluster 1, member bit 0 */
	phase = 1;
	send_ipi(1, 0x5a);			/* wake the AP to switch */
	while (ap_ready != 2)
		__asm__ volatile("pause");
	send_ipi(0x12, 0x800 | 0x5b);		/* cluster 1, member 1: the AP */
	wait_for(&cnt[1][0x5b], 1);
	GUEST_ASSERT_EQ(cnt[0][0x5b], 0);
	send_ipi(0x13, 0x800 | 0x5c);		/* cluster 1, both members */
	wait_for(&cnt[1][0x5c], 1);
	wait_for(&cnt[0][0x5c], 1);
	send_ipi(0x23, 0x800 | 0x5d);		/* cluster 2: nobody */
	stop = 1;
	send_ipi(1, 0x59);			/* wake the AP to see `stop` */
	GUEST_ASSERT_EQ(cnt[0][0x58] + cnt[1][0x58], 0);
	GUEST_ASSERT_EQ(cnt[0][0x5d] + cnt[1][0x5d], 0);
	GUEST_DONE();
}

static void test_ipis(void)
{
	struct vcpu *bsp, *ap;
	struct vm *vm = vm_create_64_irqchip(&bsp, guest_bsp_ipis);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct runner rb, ra;
	struct ucall uc;
	int i;

	ap = vm_add_vcpu_64(vm, 1, guest_ap);
	is(kvm_ioctl(ap->fd, KVM_SET_MP_STATE, &mp), 0, "AP made runnable with KVM_SET_MP_STATE");
	for (i = 0x50; i <= 0x5d; i++)
		vm_install_irq_handler(vm, i, h_ipi);
	vm_install_irq_handler(vm, 2, h_nmi);
	start(&ra, ap);
	/* the BSP on this thread, to see its SYNC */
	is(vcpu_get_ucall(bsp, &uc), UCALL_SYNC, "fixed, logical, shorthand and broadcast IPIs arrived");
	ok(uc.args[0] + uc.args[1] == 1, "lowest priority: exactly one vCPU took it (%llu, %llu)",
	   (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	/* KVM's vector hashing: vector 0x57 % 2 candidates = the second one, the AP */
	is(uc.args[1], 1, "vector hashing picks vCPU 1 for vector 0x57");
	is(vcpu_get_ucall(bsp, &uc), UCALL_DONE,
	   "NMI IPI; no match for an empty logical set; logical cluster destinations");
	pthread_join(ra.thr, NULL);
	is(ra.ucall, UCALL_DONE, "the AP, woken from HLT by each IPI, finished");
	(void)rb;
	vm_free(vm);
}

/* ---- PV: KVM_HC_KICK_CPU and KVM_HC_SEND_IPI ---- */

static volatile uint32_t ap_halted;

GUEST_CODE static int64_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	int64_t r;

	__asm__ volatile("vmcall" : "=a"(r) : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return r;
}

GUEST_CODE static void guest_ap_pv(void)
{
	apic_write(SPIV, 0x1ff);
	ap_halted = 1;
	__asm__ volatile("cli; hlt");	/* IF=0: only NMI, INIT, SMI or a PV kick end this */
	ap_halted = 2;
	__asm__ volatile("sti");
	while (!stop)
		__asm__ volatile("sti; hlt; cli");
	GUEST_DONE();
}

GUEST_CODE static void guest_bsp_pv(void)
{
	apic_write(SPIV, 0x1ff);
	__asm__ volatile("sti");
	while (ap_halted != 1)
		__asm__ volatile("pause");
	for (volatile int i = 0; i < 200000; i++)
		;
	GUEST_ASSERT_EQ(ap_halted, 1);		/* still halted */
	GUEST_ASSERT_EQ(hypercall(5, 0, 1, 0, 0), 0);	/* KICK_CPU APIC ID 1 */
	for (uint64_t i = 0; ap_halted != 2 && i < 2000000000ull; i++)
		__asm__ volatile("pause");
	GUEST_ASSERT_EQ(ap_halted, 2);
	/* SEND_IPI: bitmap bit 1 = APIC ID 1 */
	GUEST_ASSERT_EQ(hypercall(10, 2, 0, 0, 0x61), 1);
	wait_for(&cnt[1][0x61], 1);
	GUEST_ASSERT_EQ(hypercall(10, 3, 0, 0, 0x62), 2);		/* both, ourselves too */
	wait_for(&cnt[1][0x62], 1);
	wait_for(&cnt[0][0x62], 1);
	GUEST_ASSERT_EQ(hypercall(10, 1, 0, 1, 0x63), 1);		/* min 1: bit 0 is ID 1 */
	wait_for(&cnt[1][0x63], 1);
	GUEST_ASSERT_EQ(hypercall(10, 0, 1, 0xffffffffffffffc1ull, 0x64), 1);	/* u32 min wraps: ID 1 */
	wait_for(&cnt[1][0x64], 1);
	GUEST_ASSERT_EQ(hypercall(10, 2, 0, 0, 0x800 | 0x61), -22);	/* logical: -KVM_EINVAL */
	GUEST_ASSERT_EQ(hypercall(10, 2, 0, 0, 0x40000 | 0x61), -22);	/* shorthand: -KVM_EINVAL */
	GUEST_ASSERT_EQ(hypercall(10, 0xffffffff, 0, 0xffffffff, 0), 0);	/* the CVE regression case */
	GUEST_ASSERT_EQ(hypercall(10, 4, 0, 0, 0x61), 0);		/* APIC ID 2 does not exist */
	stop = 1;
	send_ipi(1, 0x59);
	GUEST_DONE();
}

static void test_pv(void)
{
	struct vcpu *bsp, *ap;
	struct vm *vm = vm_create_64_irqchip(&bsp, guest_bsp_pv);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct runner ra;
	struct ucall uc;

	ap = vm_add_vcpu_64(vm, 1, guest_ap_pv);
	kvm_ioctl(ap->fd, KVM_SET_MP_STATE, &mp);
	for (int i = 0x59; i <= 0x64; i++)
		vm_install_irq_handler(vm, i, h_ipi);
	start(&ra, ap);
	is(vcpu_get_ucall(bsp, &uc), UCALL_DONE,
	   "KICK_CPU wakes a vCPU halted with IF=0; SEND_IPI bitmaps, min wrap-around, error cases");
	pthread_join(ra.thr, NULL);
	is(ra.ucall, UCALL_DONE, "the kicked AP finished");
	vm_free(vm);
}

/* ---- a signal kicks a vCPU out of HLT ---- */

GUEST_CODE static void guest_halt_forever(void)
{
	__asm__ volatile("cli; hlt");
	GUEST_DONE();
}

static struct kvm_run *kicked_run;

static void on_kick(int sig)
{
	(void)sig;
	kicked_run->immediate_exit = 1;
}

struct kicker {
	pthread_t target;
	useconds_t delay;
};

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;

	usleep(k->delay);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static void test_signal_kick(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_halt_forever);
	struct sigaction sa = { .sa_handler = on_kick }, old;
	struct kicker k = { .target = pthread_self(), .delay = 50000 };
	struct kvm_mp_state mp;
	pthread_t t;
	int rc;

	kicked_run = v->run;
	sigaction(SIGUSR1, &sa, &old);
	/*
	 * QEMU's pattern without immediate_exit: the thread blocks its kick signal and
	 * KVM_SET_SIGNAL_MASK unblocks it only inside KVM_RUN.
	 */
	{
		sigset_t blk;
		struct { struct kvm_signal_mask h; uint64_t set; } m = { .h.len = 8, .set = 0 };

		sigemptyset(&blk);
		sigaddset(&blk, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &blk, NULL);
		m.h.len = 4;
		is_errno(kvm_ioctl(v->fd, KVM_SET_SIGNAL_MASK, &m), EINVAL, "SET_SIGNAL_MASK len 4: EINVAL");
		m.h.len = 8;
		is(kvm_ioctl(v->fd, KVM_SET_SIGNAL_MASK, &m), 0, "SET_SIGNAL_MASK: nothing blocked in KVM_RUN");
	}
	pthread_create(&t, NULL, kicker_main, &k);
	rc = vcpu_run(v);
	ok(rc == -1 && errno == EINTR, "a signal ends KVM_RUN of a halted vCPU with EINTR "
				       "(blocked in the thread, unblocked by the vCPU's mask)");
	is(v->run->exit_reason, KVM_EXIT_INTR, "KVM_EXIT_INTR");
	pthread_join(t, NULL);
	kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	is(mp.mp_state, KVM_MP_STATE_HALTED, "the vCPU is still halted");
	/* immediate_exit still set: returns at once */
	rc = vcpu_run(v);
	ok(rc == -1 && errno == EINTR && v->run->exit_reason == KVM_EXIT_INTR, "immediate_exit: EINTR at once");
	v->run->immediate_exit = 0;
	/* an NMI ends HLT even with IF=0 */
	kvm_ioctl(v->fd, KVM_NMI, 0);
	vm_install_irq_handler(vm, 2, h_nmi);
	is(vcpu_run(v), 0, "KVM_NMI wakes it");
	is(kvm_ioctl(v->fd, KVM_SET_SIGNAL_MASK, NULL), 0, "SET_SIGNAL_MASK NULL removes the mask");
	{
		sigset_t blk;

		sigemptyset(&blk);
		sigaddset(&blk, SIGUSR1);
		pthread_sigmask(SIG_UNBLOCK, &blk, NULL);
	}
	sigaction(SIGUSR1, &old, NULL);
	vm_free(vm);
}

int main(void)
{
	test_signal_kick();
	test_init_sipi();
	test_ipis();
	test_pv();
	return tap_done();
}
