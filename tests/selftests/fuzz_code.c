// SPDX-License-Identifier: GPL-2.0-only
// Hostile guest code: random byte strings executed in real mode and in 64-bit mode must
// end in guest exceptions or KVM exits, never crash or hang the host (run it under
// make check SANITIZE=1 too). A timer sets immediate_exit to stop endless loops.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "kvm_util.h"

#define SNIPPETS 5000
#define RUNS_PER_SNIPPET 6

static struct kvm_run *volatile current_run;
static volatile long ticks_seen;

static void tick(int sig)
{
	(void)sig;
	ticks_seen++;
	if (current_run)
		current_run->immediate_exit = 1;	/* a kick, as a VMM's signal handler does */
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* Runs the vCPU a few times, answering exits as a VMM would; counts outcomes. */
static void drive(struct vcpu *v, long *outcomes)
{
	struct kvm_run *run = v->run;

	current_run = run;
	for (int i = 0; i < RUNS_PER_SNIPPET; i++) {
		int r = vcpu_run(v);

		if (r < 0) {
			outcomes[errno == EINTR ? 1 : 2]++;
			run->immediate_exit = 0;
			break;
		}
		if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write)
			memset(run->mmio.data, 0xcc, 8);
		if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN)
			memset((uint8_t *)run + run->io.data_offset, 0xff, run->io.size);
		outcomes[0]++;
		if (run->exit_reason == KVM_EXIT_SHUTDOWN || run->exit_reason == KVM_EXIT_HLT)
			break;
	}
	current_run = NULL;
}

int main(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	long real_out[3] = { 0 }, long_out[3] = { 0 };
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, "\xf4", 1);
	struct kvm_sregs base_real = vcpu_sregs(v);

	signal(SIGALRM, tick);
	setitimer(ITIMER_REAL, &it, NULL);

	/* real mode: random code at 0x1000, random IVT, random memory around it */
	for (int s = 0; s < SNIPPETS; s++) {
		struct kvm_regs r = { .rip = 0x1000, .rflags = 2 | (rnd() & 0x8d5), .rsp = rnd() & 0xffff };

		fill(mem, 0x4000);
		vcpu_set_sregs(v, &base_real);
		for (int i = 0; i < 16; i++)
			((uint64_t *)&r)[i] = i == 4 ? r.rsp : rnd();
		r.rip = 0x1000;
		r.rflags = 2;
		vcpu_set_regs(v, &r);
		drive(v, real_out);
	}
	vm_free(vm);

	/* 64-bit mode: random code in a page of the identity-mapped region, no IDT */
	{
		struct vcpu *v64;
		struct vm *vm64 = vm_create_64(&v64, NULL);
		struct kvm_sregs with_idt = vcpu_sregs(v64), base;
		uint8_t *code = addr_gpa2hva(vm64, 0x200000);
		for (int s = 0; s < SNIPPETS; s++) {
			struct kvm_regs r;

			fill(code, 4096);
			/* half with no IDT (any exception is a triple fault), half with handlers */
			base = with_idt;
			if (s & 1)
				base.idt.limit = 0;
			vcpu_set_sregs(v64, &base);
			for (int i = 0; i < 16; i++)
				((uint64_t *)&r)[i] = rnd();
			r.rip = 0x200000 + (rnd() & 0xfff);
			r.rflags = 2;
			vcpu_set_regs(v64, &r);
			drive(v64, long_out);
		}
		vm_free(vm64);
	}
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);

	ok(real_out[2] == 0, "real mode: %d random snippets, %ld exits, %ld kicks, no KVM_RUN error",
	   SNIPPETS, real_out[0], real_out[1]);
	ok(long_out[2] == 0, "64-bit mode: %d random snippets, %ld exits, %ld kicks, no KVM_RUN error",
	   SNIPPETS, long_out[0], long_out[1]);
	ok(ticks_seen > 0, "the host stayed responsive (%ld timer ticks)", ticks_seen);
	return tap_done();
}
