// SPDX-License-Identifier: GPL-2.0-only
// The in-kernel LAPIC of one vCPU: reset state, xAPIC register masks, self-IPIs with
// priorities (TPR, CR8, ISR nesting, EOI order), the timer in its three modes, HLT
// sleeping in KVM_RUN, and the x2APIC MSR interface with its #GP rules.
#include <errno.h>
#include <stdio.h>

#include "kvm_util.h"

#define APIC_GPA 0xfee00000ull
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))

enum {
	ID = 0x20, LVR = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0,
	DFR = 0xe0, SPIV = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
	ICR = 0x300, ICR2 = 0x310, LVTT = 0x320, LVTTHMR = 0x330, LVTPC = 0x340, LVT0 = 0x350,
	LVT1 = 0x360, LVTERR = 0x370, TMICT = 0x380, TMCCT = 0x390, TDCR = 0x3e0, SELF_IPI = 0x3f0,
};

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

GUEST_CODE static uint64_t rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

/* the bit of `vec` in a 256-bit ISR/TMR/IRR array */
GUEST_CODE static bool vec_bit(unsigned base, unsigned vec)
{
	return (apic_read(base + 0x10 * (vec >> 5)) >> (vec & 31)) & 1;
}

/* ---- handlers: a log of (vector, phase) in delivery order ---- */

static volatile uint32_t log_[32];
static volatile uint32_t nlog;
static volatile uint64_t count[256];
static volatile uint32_t seen_isr, seen_ppr, seen_tmr;

GUEST_CODE static void logv(uint32_t v)
{
	if (nlog < 32)
		log_[nlog++] = v;
}

GUEST_CODE __attribute__((interrupt)) static void h40(struct frame *f)
{
	logv(0x40);
	seen_isr = vec_bit(ISR, 0x40);
	seen_ppr = apic_read(PPR);
	apic_write(ICR, 0x40000 | 0x35);	/* lower class: must wait for our EOI */
	apic_write(ICR, 0x40000 | 0x80);	/* higher class: nests once IF=1 */
	__asm__ volatile("sti; nop; cli");
	logv(0x140);
	apic_write(EOI, 0);
}

GUEST_CODE __attribute__((interrupt)) static void h_count(struct frame *f)
{
	/* which vector? the highest in-service one */
	for (int v = 255; v >= 32; v--)
		if (vec_bit(ISR, (unsigned)v)) {
			count[v]++;
			logv((uint32_t)v);
			if (v == 0x50)
				seen_tmr = vec_bit(TMR, 0x50);
			break;
		}
	apic_write(EOI, 0);
}

/* ---- reset state, seen from the host ---- */

static uint32_t reg(const struct kvm_lapic_state *s, unsigned off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

GUEST_CODE static void guest_nothing(void)
{
	GUEST_DONE();
}

static void test_reset_state(void)
{
	struct vcpu *v0, *v1;
	struct vm *vm = vm_create_64_irqchip(&v0, guest_nothing);
	struct kvm_lapic_state s;
	struct kvm_mp_state mp;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} msr = { .h.nmsrs = 1, .e.index = MSR_APIC_BASE };

	v1 = vm_add_vcpu(vm, 1);
	is(kvm_ioctl(v0->fd, KVM_GET_LAPIC, &s), 0, "KVM_GET_LAPIC");
	is(reg(&s, ID), 0, "BSP APIC ID 0");
	is(reg(&s, LVR), 0x50014, "version 0x14, 6 LVT entries");
	is(reg(&s, LVT0), 0x700, "BSP LINT0: ExtINT, unmasked (LINT0_REENABLED quirk)");
	ok(reg(&s, LVTT) == 0x10000 && reg(&s, LVTTHMR) == 0x10000 && reg(&s, LVTPC) == 0x10000 &&
	   reg(&s, LVT1) == 0x10000 && reg(&s, LVTERR) == 0x10000, "other LVTs masked");
	ok(reg(&s, DFR) == 0xffffffff && reg(&s, SPIV) == 0xff && reg(&s, TPR) == 0 && reg(&s, LDR) == 0,
	   "DFR all ones, SPIV 0xff (software-disabled), TPR and LDR 0");
	is(kvm_ioctl(v1->fd, KVM_GET_LAPIC, &s), 0, "KVM_GET_LAPIC on the AP");
	is(reg(&s, ID), 1u << 24, "AP APIC ID 1 (bits 31:24)");
	is(reg(&s, LVT0), 0x10000, "AP LINT0 masked");
	is(kvm_ioctl(v0->fd, KVM_GET_MSRS, &msr), 1, "GET_MSRS APIC_BASE");
	is(msr.e.data, 0xfee00900, "BSP: base 0xfee00000, enabled, BSP");
	kvm_ioctl(v1->fd, KVM_GET_MSRS, &msr);
	is(msr.e.data, 0xfee00800, "AP: not BSP");
	kvm_ioctl(v0->fd, KVM_GET_MP_STATE, &mp);
	is(mp.mp_state, KVM_MP_STATE_RUNNABLE, "BSP runnable");
	kvm_ioctl(v1->fd, KVM_GET_MP_STATE, &mp);
	is(mp.mp_state, KVM_MP_STATE_UNINITIALIZED, "AP waits for INIT/SIPI");
	is_errno(kvm_ioctl(v0->fd, KVM_INTERRUPT, &(struct kvm_interrupt){ .irq = 0x20 }), ENXIO,
		 "KVM_INTERRUPT with the in-kernel irqchip: ENXIO");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), EEXIST, "second KVM_CREATE_IRQCHIP: EEXIST");
	mp.mp_state = 5;
	is_errno(kvm_ioctl(v1->fd, KVM_SET_MP_STATE, &mp), EINVAL, "MP state 5 (s390 STOPPED): EINVAL");
	vm_free(vm);

	vm = vm_create_64(&v0, guest_nothing);
	is_errno(kvm_ioctl(v0->fd, KVM_GET_LAPIC, &s), EINVAL, "KVM_GET_LAPIC without an irqchip: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), EINVAL, "KVM_CREATE_IRQCHIP after a vCPU: EINVAL");
	vm_free(vm);
}

/* ---- xAPIC registers through MMIO ---- */

GUEST_CODE static void guest_registers(void)
{
	GUEST_ASSERT_EQ(apic_read(LVR), 0x50014);
	GUEST_ASSERT_EQ(*(volatile uint8_t *)(APIC_GPA + LVR + 2), 0x05);	/* byte reads work */
	GUEST_ASSERT_EQ(*(volatile uint16_t *)(APIC_GPA + LVR), 0x0014);
	apic_write(SPIV, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(SPIV), 0x3ff);	/* no directed EOI with the in-kernel IOAPIC */
	apic_write(TPR, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(TPR), 0xff);
	GUEST_ASSERT_EQ(apic_read(PPR), 0xff);
	*(volatile uint8_t *)(APIC_GPA + TPR) = 0;	/* not a 32-bit access: dropped */
	GUEST_ASSERT_EQ(apic_read(TPR), 0xff);
	apic_write(TPR, 0);
	apic_write(LDR, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(LDR), 0xff000000);
	apic_write(DFR, 0);
	GUEST_ASSERT_EQ(apic_read(DFR), 0x0fffffff);
	apic_write(DFR, 0xffffffff);
	apic_write(ID, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(ID), 0xff000000);
	apic_write(ID, 0);
	apic_write(LVR, 0);
	GUEST_ASSERT_EQ(apic_read(LVR), 0x50014);	/* read-only */
	apic_write(LVT0, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(LVT0), 0x1f7ff);
	apic_write(LVT1, 0x400);
	GUEST_ASSERT_EQ(apic_read(LVT1), 0x400);
	apic_write(LVTERR, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(LVTERR), 0x110ff);
	apic_write(LVTPC, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(LVTPC), 0x117ff);
	apic_write(LVTT, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(LVTT), 0x310ff);	/* periodic bit only: no TSC-deadline in CPUID */
	apic_write(ICR2, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(ICR2), 0xff000000);
	apic_write(TDCR, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(TDCR), 0xb);
	GUEST_ASSERT_EQ(apic_read(EOI), 0);		/* write-only */
	GUEST_ASSERT_EQ(apic_read(SELF_IPI), 0);	/* x2APIC only */
	GUEST_ASSERT_EQ(apic_read(APR), 0);
	/* software disable masks every LVT and keeps them masked */
	apic_write(LVT0, 0x700);
	apic_write(SPIV, 0xff);
	GUEST_ASSERT_EQ(apic_read(LVT0), 0x10700);
	GUEST_ASSERT_EQ(apic_read(LVT1), 0x10400);
	apic_write(LVTERR, 0x33);
	GUEST_ASSERT_EQ(apic_read(LVTERR), 0x10033);
	GUEST_DONE();
}

static void run_to_done(struct vcpu *v, const char *what)
{
	struct ucall uc;

	is(vcpu_get_ucall(v, &uc), UCALL_DONE, what);
}

static void test_registers(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_registers);

	run_to_done(v, "xAPIC register reads, write masks, read-only and write-only registers");
	vm_free(vm);
}

/* ---- priorities ---- */

GUEST_CODE static void guest_priorities(void)
{
	apic_write(SPIV, 0x1ff);
	__asm__ volatile("sti");
	/* a self-IPI while we run: taken right after the ICR write */
	apic_write(ICR, 0x40000 | 0x40);
	GUEST_ASSERT_EQ(nlog, 4);
	GUEST_ASSERT_EQ(log_[0], 0x40);
	GUEST_ASSERT_EQ(log_[1], 0x80);	/* nested: higher class */
	GUEST_ASSERT_EQ(log_[2], 0x140);	/* 0x40 finished */
	GUEST_ASSERT_EQ(log_[3], 0x35);	/* lower class waited for the EOI */
	GUEST_ASSERT_EQ(seen_isr, 1);
	GUEST_ASSERT_EQ(seen_ppr, 0x40);
	GUEST_ASSERT_EQ(apic_read(ISR + 0x20), 0);
	GUEST_ASSERT_EQ(apic_read(PPR), 0);

	/* TPR holds back a vector of its class or below */
	apic_write(TPR, 0x50);
	apic_write(ICR, 0x40000 | 0x45);
	__asm__ volatile("nop");
	GUEST_ASSERT_EQ(count[0x45], 0);
	GUEST_ASSERT_EQ(vec_bit(IRR, 0x45), 1);
	GUEST_ASSERT_EQ(apic_read(PPR), 0x50);
	apic_write(TPR, 0x40);
	GUEST_ASSERT_EQ(count[0x45], 0);	/* 0x45 is class 4: still held */
	apic_write(TPR, 0x3f);
	GUEST_ASSERT_EQ(count[0x45], 1);
	GUEST_ASSERT_EQ(vec_bit(IRR, 0x45), 0);

	/* CR8 is TPR[7:4]; lowering it delivers at once (the TPR threshold) */
	__asm__ volatile("mov %0, %%cr8" : : "r"(6ull));
	GUEST_ASSERT_EQ(apic_read(TPR), 0x60);
	apic_write(ICR, 0x40000 | 0x66);
	GUEST_ASSERT_EQ(count[0x66], 0);
	{
		uint64_t c;

		__asm__ volatile("mov %%cr8, %0" : "=r"(c));
		GUEST_ASSERT_EQ(c, 6);
		__asm__ volatile("mov %1, %%cr8\n\t"
				 "mov %2, %0"
				 : "=r"(c) : "r"(0ull), "m"(count[0x66]));
		GUEST_ASSERT_EQ(c, 1);	/* taken before the very next instruction */
	}
	apic_write(TPR, 0x25);		/* the low nibble survives an MMIO write... */
	GUEST_ASSERT_EQ(apic_read(TPR), 0x25);
	__asm__ volatile("mov %0, %%cr8" : : "r"(2ull));
	GUEST_ASSERT_EQ(apic_read(TPR), 0x20);	/* ...but not a CR8 write */
	apic_write(TPR, 0);

	/* level-triggered: TMR set while in service; an EOI with nothing in service is harmless */
	apic_write(ICR, 0x40000 | 0x8000 | 0x4000 | 0x50);
	GUEST_ASSERT_EQ(count[0x50], 1);
	GUEST_ASSERT_EQ(seen_tmr, 1);
	apic_write(EOI, 0);
	GUEST_ASSERT_EQ(apic_read(ISR), 0);

	/* IF=0: the interrupt waits in IRR */
	__asm__ volatile("cli");
	apic_write(ICR, 0x40000 | 0x70);
	GUEST_ASSERT_EQ(count[0x70], 0);
	__asm__ volatile("sti; nop");
	GUEST_ASSERT_EQ(count[0x70], 1);
	GUEST_DONE();
}

static void test_priorities(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_priorities);
	static const int vecs[] = { 0x35, 0x45, 0x50, 0x66, 0x70, 0x80 };

	vm_install_irq_handler(vm, 0x40, h40);
	for (unsigned i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		vm_install_irq_handler(vm, vecs[i], h_count);
	run_to_done(v, "self-IPIs: nesting by class, TPR and CR8 masking, TMR, IF");
	vm_free(vm);
}

/* ---- the timer ---- */

static volatile uint64_t t_fire[16];

GUEST_CODE __attribute__((interrupt)) static void h_timer(struct frame *f)
{
	uint64_t n = count[0x60]++;

	if (n < 16)
		t_fire[n] = rdtsc();
	apic_write(EOI, 0);
}

GUEST_CODE static void wait_count(unsigned vec, uint64_t n)
{
	while (count[vec] < n)
		__asm__ volatile("sti; hlt; cli");	/* sleeps in KVM_RUN until the timer */
}

GUEST_CODE static void guest_timer(void)
{
	uint64_t t0, cur;

	apic_write(SPIV, 0x1ff);
	/* one-shot, divide by 1: 2,000,000 bus cycles = 2 ms on the 1 GHz APIC bus */
	apic_write(TDCR, 0xb);
	apic_write(LVTT, 0x60);
	t0 = rdtsc();
	apic_write(TMICT, 2000000);
	cur = apic_read(TMCCT);
	/* counting down; on a loaded host it may already have reached 0 and fired */
	GUEST_ASSERT(cur <= 2000000 && (cur > 0 || vec_bit(IRR, 0x60)));
	wait_count(0x60, 1);
	GUEST_SYNC2(1, t_fire[0] - t0);
	GUEST_ASSERT_EQ(apic_read(TMCCT), 0);
	GUEST_ASSERT_EQ(apic_read(TMICT), 2000000);

	/* divide by 2 (TDCR 0): 1,000,000 cycles = 2 ms */
	apic_write(TDCR, 0);
	t0 = rdtsc();
	apic_write(TMICT, 1000000);
	wait_count(0x60, 2);
	GUEST_SYNC2(2, t_fire[1] - t0);

	/* periodic, 1 ms: ten periods (interrupts 3 to 12) */
	apic_write(TDCR, 0xb);
	apic_write(LVTT, 0x20060);
	t0 = rdtsc();
	apic_write(TMICT, 1000000);
	wait_count(0x60, 12);
	apic_write(TMICT, 0);		/* stops it */
	GUEST_SYNC2(3, t_fire[11] - t0);
	GUEST_ASSERT_EQ(apic_read(TMCCT), 0);

	/* masked: the timer runs, nothing is delivered */
	apic_write(LVTT, 0x10060);
	apic_write(TMICT, 100000);
	t0 = rdtsc();
	while (rdtsc() - t0 < 1000000)
		;
	GUEST_ASSERT_EQ(count[0x60], 12);

	/* TSC-deadline (CPUID.1:ECX[24] set by the host): 3 ms ahead */
	apic_write(LVTT, 0x40060);
	apic_write(TMICT, 12345);		/* ignored in this mode */
	GUEST_ASSERT_EQ(apic_read(TMICT), 0);
	t0 = rdtsc();
	__asm__ volatile("wrmsr" : : "c"(MSR_TSC_DEADLINE), "a"((uint32_t)(t0 + 3000000)),
			 "d"((uint32_t)((t0 + 3000000) >> 32)));
	wait_count(0x60, 13);
	GUEST_SYNC2(4, t_fire[12] - t0);
	{
		uint32_t lo, hi;

		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_TSC_DEADLINE));
		GUEST_ASSERT_EQ(((uint64_t)hi << 32) | lo, 0);	/* cleared when it fired */
	}
	/* a deadline in the past fires at once */
	__asm__ volatile("wrmsr" : : "c"(MSR_TSC_DEADLINE), "a"(1), "d"(0));
	wait_count(0x60, 14);
	GUEST_DONE();
}

static void set_tsc_deadline_cpuid(struct vcpu *v)
{
	vcpu_set_supported_cpuid_edit(v, 1, 2, 1u << 24, 0);	/* CPUID.1:ECX[24] TSC-deadline */
}

static void test_timer(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_timer);
	struct ucall uc;
	/* the guest TSC runs at 1 GHz: ticks are nanoseconds; generous upper bounds for busy hosts */
	static const struct { uint64_t lo, hi; const char *what; } want[] = {
		{ 2000000, 500000000, "one-shot, divide 1: fires after 2 ms" },
		{ 2000000, 500000000, "one-shot, divide 2: fires after 2 ms" },
		{ 10000000, 800000000, "periodic 1 ms: ten interrupts take at least 10 ms" },
		{ 3000000, 500000000, "TSC-deadline: fires at the deadline" },
	};

	set_tsc_deadline_cpuid(v);
	vm_install_irq_handler(vm, 0x60, h_timer);
	for (int i = 0; i < 4; i++) {
		if (vcpu_get_ucall(v, &uc) != UCALL_SYNC || uc.args[0] != (uint64_t)i + 1) {
			ok(0, "timer step %d reached", i + 1);
			vm_free(vm);
			return;
		}
		ok(uc.args[1] >= want[i].lo && uc.args[1] < want[i].hi, "%s (%llu ns)", want[i].what,
		   (unsigned long long)uc.args[1]);
	}
	run_to_done(v, "masked LVTT delivers nothing; a past deadline fires at once");
	vm_free(vm);
}

/* ---- x2APIC ---- */

GUEST_CODE static uint64_t x2_read(unsigned reg)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(X2APIC_MSR(reg)));
	return ((uint64_t)hi << 32) | lo;
}

/* h_count through the MSRs: the MMIO page is not there in x2APIC mode */
GUEST_CODE __attribute__((interrupt)) static void h_x2(struct frame *f)
{
	for (int v = 255; v >= 32; v--)
		if ((x2_read(ISR + 0x10 * ((unsigned)v >> 5)) >> (v & 31)) & 1) {
			count[v]++;
			break;
		}
	__asm__ volatile("wrmsr" : : "c"(X2APIC_MSR(EOI)), "a"(0), "d"(0));
}

GUEST_CODE static void guest_x2apic(void)
{
	uint64_t base, v;

	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(ID), &v), 13);	/* xAPIC mode: #GP */
	guest_rdmsr_safe(MSR_APIC_BASE, &base);
	GUEST_ASSERT_EQ(base, 0xfee00900);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_APIC_BASE, base | 0x400), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(ID), &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0);
	guest_rdmsr_safe(X2APIC_MSR(LDR), &v);
	GUEST_ASSERT_EQ(v, 1);				/* cluster 0, bit 0 */
	guest_rdmsr_safe(X2APIC_MSR(LVR), &v);
	GUEST_ASSERT_EQ(v, 0x50014);
	GUEST_ASSERT_EQ(apic_read(LVR), 0xffffffff);	/* the MMIO page reads as all ones */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(SPIV), 0x1ff), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(TPR), 0x20), GUEST_NO_EXC);
	guest_rdmsr_safe(X2APIC_MSR(TPR), &v);
	GUEST_ASSERT_EQ(v, 0x20);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(TPR), 1ull << 32), 13);	/* high half reserved */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(TPR), 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(EOI), &v), 13);		/* write-only */
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(SELF_IPI), &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(LVR), 0), 13);		/* read-only */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ID), 0), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(LDR), 0), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(ICR2), &v), 13);		/* gone in x2APIC */
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(DFR), &v), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(APR), &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ESR), 1), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ESR), 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(0x8ff, &v), 13);			/* nothing there */
	__asm__ volatile("sti");
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(SELF_IPI), 0x45), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(count[0x45], 1);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(SELF_IPI), 0x145), 13);
	/* ICR: one 64-bit MSR, destination in bits 63:32 */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ICR), 0x46), GUEST_NO_EXC);	/* physical 0 = us */
	GUEST_ASSERT_EQ(count[0x46], 1);
	guest_rdmsr_safe(X2APIC_MSR(ICR), &v);
	GUEST_ASSERT_EQ(v, 0x46);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ICR), 0x0000000500000045ull), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(count[0x45], 1);			/* APIC ID 5 does not exist */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ICR), 0x2045), 13);	/* bit 13 reserved */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(X2APIC_MSR(ICR), 0xffffffff00000045ull), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(count[0x45], 2);			/* x2APIC broadcast */
	/* mode transitions (SDM Figure 11-27) */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00900), 13);	/* x2APIC -> xAPIC */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00100), GUEST_NO_EXC);	/* -> disabled */
	GUEST_ASSERT_EQ(apic_read(LVR), 0xffffffff);	/* disabled: the page reads as all ones */
	GUEST_ASSERT_EQ(guest_rdmsr_safe(X2APIC_MSR(LVR), &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00d00), 13);	/* disabled -> x2APIC */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00500), 13);	/* EXTD without EN */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00900), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(apic_read(LVR), 0x50014);
	GUEST_ASSERT_EQ(apic_read(ID), 0);
	GUEST_DONE();
}

static void test_x2apic(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_x2apic);

	vcpu_set_supported_cpuid(v);
	vm_install_irq_handler(vm, 0x45, h_x2);
	vm_install_irq_handler(vm, 0x46, h_x2);
	run_to_done(v, "x2APIC MSRs: IDs, read/write rules, 64-bit ICR, SELF_IPI, mode transitions");
	vm_free(vm);
}

/* ---- PV EOI ---- */

#define MSR_KVM_PV_EOI_EN 0x4b564d04
#define PV_EOI_GPA 0x9000ull		/* identity-mapped low memory */
#define PV_EOI (*(volatile uint32_t *)PV_EOI_GPA)

static volatile uint32_t pv_seen[4];

/* take the PV EOI if offered (clear bit 0), else EOI through the register */
GUEST_CODE static void pv_or_mmio_eoi(void)
{
	if (PV_EOI & 1)
		__asm__ volatile("lock btrl $0, %0" : "+m"(PV_EOI));
	else
		apic_write(EOI, 0);
}

GUEST_CODE __attribute__((interrupt)) static void h_pv50(struct frame *f)
{
	pv_seen[1] = PV_EOI;
	pv_or_mmio_eoi();
}

GUEST_CODE __attribute__((interrupt)) static void h_pv40(struct frame *f)
{
	pv_seen[0] = PV_EOI;
	apic_write(ICR, 0x40000 | 0x50);	/* nested: taken once IF=1 */
	__asm__ volatile("sti; nop; cli");
	pv_seen[2] = PV_EOI;			/* the 0x40 offer is gone after the nesting */
	pv_or_mmio_eoi();
}

GUEST_CODE __attribute__((interrupt)) static void h_pv60(struct frame *f)
{
	pv_seen[3] = PV_EOI;
	pv_or_mmio_eoi();
}

GUEST_CODE static void guest_pv_eoi(void)
{
	uint64_t v;

	apic_write(SPIV, 0x1ff);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_PV_EOI_EN, PV_EOI_GPA | 2 | 1), 13);	/* bit 1 */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_PV_EOI_EN, (1ull << 32) | 1), 13);	/* not RAM */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_PV_EOI_EN, PV_EOI_GPA | 1), GUEST_NO_EXC);
	guest_rdmsr_safe(MSR_KVM_PV_EOI_EN, &v);
	GUEST_ASSERT_EQ(v, PV_EOI_GPA | 1);
	GUEST_ASSERT_EQ(PV_EOI, 0);
	__asm__ volatile("sti");
	apic_write(ICR, 0x40000 | 0x60);
	GUEST_ASSERT_EQ(pv_seen[3], 1);		/* offered for a lone edge interrupt */
	GUEST_ASSERT_EQ(apic_read(ISR + 0x30), 0);	/* the PV EOI was performed */
	GUEST_ASSERT_EQ(PV_EOI, 0);
	apic_write(ICR, 0x40000 | 0x40);
	GUEST_ASSERT_EQ(pv_seen[0], 1);
	GUEST_ASSERT_EQ(pv_seen[1], 1);		/* the nested one is offered too */
	GUEST_ASSERT_EQ(pv_seen[2], 0);		/* the outer one no longer */
	GUEST_ASSERT_EQ(apic_read(ISR + 0x20), 0);
	GUEST_ASSERT_EQ(apic_read(ISR + 0x40), 0);
	/* level-triggered: its EOI must reach an IOAPIC, no offer */
	pv_seen[3] = 7;
	apic_write(ICR, 0x40000 | 0x8000 | 0x4000 | 0x60);
	GUEST_ASSERT_EQ(pv_seen[3], 0);
	GUEST_ASSERT_EQ(apic_read(ISR + 0x30), 0);
	/* disabled: no offer */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_KVM_PV_EOI_EN, 0), GUEST_NO_EXC);
	pv_seen[3] = 7;
	apic_write(ICR, 0x40000 | 0x60);
	GUEST_ASSERT_EQ(pv_seen[3], 0);
	GUEST_DONE();
}

static void test_pv_eoi(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_pv_eoi);

	vm_install_irq_handler(vm, 0x40, h_pv40);
	vm_install_irq_handler(vm, 0x50, h_pv50);
	vm_install_irq_handler(vm, 0x60, h_pv60);
	run_to_done(v, "PV EOI: offered for a lone edge interrupt, taken by clearing the bit, "
		       "withdrawn after nesting, never for level-triggered; MSR #GP rules");
	vm_free(vm);
}

/* ---- KVM_TPR_ACCESS_REPORTING and KVM_SET_VAPIC_ADDR (QEMU's kvmvapic) ---- */

#define VAPIC_GPA 0x9100ull
/* tpr_store: the store is at tpr_store + 5; tpr_load: the load at tpr_load + 5 */
GUEST_ASM_STUB(tpr_store, "mov $0xfee00080, %eax\n movl $0x30, (%rax)");
GUEST_ASM_STUB(tpr_load, "mov $0xfee00080, %eax\n mov (%rax), %eax");
static volatile uint32_t tpr_seen;

GUEST_CODE static void guest_tpr_access(void)
{
	tpr_store();
	GUEST_SYNC(1);
	tpr_seen = apic_read(TPR);	/* not reported: reporting is off now */
	GUEST_SYNC(2);
	apic_write(TPR, 0x40);
	GUEST_SYNC(3);			/* entry: the VAPIC page gets TPR 0x40 */
	GUEST_ASSERT_EQ(*(volatile uint8_t *)VAPIC_GPA, 0x40);
	*(volatile uint8_t *)VAPIC_GPA = 0x50;	/* and the next exit takes 0x50 back */
	GUEST_ASSERT_EQ(apic_read(TPR), 0x50);
	GUEST_DONE();
}

static void test_tpr_access(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_tpr_access);
	struct kvm_tpr_access_ctl tac = { .enabled = 1, .flags = 1 };
	struct kvm_vapic_addr va = { .vapic_addr = 1ull << 40 };
	struct kvm_lapic_state s;
	struct ucall uc;
	uint32_t tpr;

	is_errno(kvm_ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac), EINVAL, "TPR_ACCESS_REPORTING flags: EINVAL");
	tac.flags = 0;
	is(kvm_ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac), 0, "enable TPR access reporting");
	is(vcpu_run(v), 0, "run");
	ok(v->run->exit_reason == KVM_EXIT_TPR_ACCESS && v->run->tpr_access.is_write &&
	   v->run->tpr_access.rip == (uintptr_t)tpr_store + 5,
	   "KVM_EXIT_TPR_ACCESS for the store, RIP of the storing instruction");
	kvm_ioctl(v->fd, KVM_GET_LAPIC, &s);
	memcpy(&tpr, s.regs + TPR, 4);
	is(tpr, 0x30, "the store itself completed first");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "the guest goes on");
	tac.enabled = 0;
	kvm_ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac);
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "no report once disabled");
	is_errno(kvm_ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), EINVAL, "VAPIC address outside RAM: EINVAL");
	va.vapic_addr = VAPIC_GPA;
	is(kvm_ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), 0, "KVM_SET_VAPIC_ADDR");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "SYNC 3");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "the VAPIC page mirrors TPR both ways");
	va.vapic_addr = 0;
	is(kvm_ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), 0, "address 0 turns it off");
	vm_free(vm);

	vm = vm_create_64(&v, guest_tpr_access);
	is(kvm_ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac), 0,
	   "TPR_ACCESS_REPORTING without an in-kernel LAPIC is accepted (only flags are checked)");
	tac.flags = 1;
	is_errno(kvm_ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac), EINVAL, "... flags still: EINVAL");
	is_errno(kvm_ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, (void *)8), EFAULT, "bad pointer: EFAULT");
	is_errno(kvm_ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), EINVAL, "SET_VAPIC_ADDR without one: EINVAL");
	vm_free(vm);
}

/* ---- KVM_SET_LAPIC ---- */

static void test_set_lapic(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_nothing);
	struct kvm_lapic_state s, g;
	uint32_t x;

	kvm_ioctl(v->fd, KVM_GET_LAPIC, &s);
	x = 0x1ff;
	memcpy(s.regs + SPIV, &x, 4);
	x = 0x30;
	memcpy(s.regs + TPR, &x, 4);
	x = 0x20055;	/* periodic, vector 0x55 */
	memcpy(s.regs + LVTT, &x, 4);
	x = 0xb;
	memcpy(s.regs + TDCR, &x, 4);
	x = 50000000;
	memcpy(s.regs + TMICT, &x, 4);
	x = 0x12345678;
	memcpy(s.regs + LVR, &x, 4);
	is(kvm_ioctl(v->fd, KVM_SET_LAPIC, &s), 0, "KVM_SET_LAPIC");
	kvm_ioctl(v->fd, KVM_GET_LAPIC, &g);
	is(reg(&g, TPR), 0x30, "TPR restored");
	is(reg(&g, SPIV), 0x1ff, "SPIV restored");
	is(reg(&g, LVR), 0x50014, "the version register is the hypervisor's");
	ok(reg(&g, TMCCT) > 0 && reg(&g, TMCCT) <= 50000000, "the timer runs from the restored TMICT");
	vm_free(vm);
}

int main(void)
{
	test_reset_state();
	test_registers();
	test_priorities();
	test_timer();
	test_x2apic();
	test_set_lapic();
	test_pv_eoi();
	test_tpr_access();
	return tap_done();
}
