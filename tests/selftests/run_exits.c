// SPDX-License-Identifier: GPL-2.0-only
// KVM_RUN semantics: PIO/MMIO completion on re-entry, immediate_exit, kicks, triple fault.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define PIO(run) ((uint8_t *)(run) + (run)->io.data_offset)

/* vm_create_realmode() with DX = 0x70 for the port-in-DX forms */
static struct vcpu *realmode(struct vm **vmp, uint8_t **mem, const uint8_t *prog, size_t len)
{
	struct vcpu *v = vm_create_realmode(vmp, mem, prog, len);
	struct kvm_regs r = vcpu_regs(v);

	r.rdx = 0x70;
	vcpu_set_regs(v, &r);
	return v;
}

static const uint8_t prog_in_out[] = {
	0xe4, 0x20,		/* in al, 0x20 */
	0xe6, 0x21,		/* out 0x21, al */
	0xed,			/* in ax, dx */
	0xef,			/* out dx, ax */
	0x66, 0xed,		/* in eax, dx */
	0x66, 0xef,		/* out dx, eax */
	0xf4,			/* hlt */
};

static void test_pio_completion(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = realmode(&vm, &mem, prog_in_out, sizeof(prog_in_out));
	struct kvm_run *run = v->run;

	is(vcpu_run(v), 0, "run to IN");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN &&
	   run->io.port == 0x20 && run->io.size == 1 && run->io.count == 1, "IN exit: port 0x20, 1 byte");
	is(vcpu_regs(v).rip, 0x1000, "RIP at the IN during the exit");
	PIO(run)[0] = 0x5c;
	is(vcpu_run(v), 0, "complete the IN");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
	   run->io.port == 0x21, "then OUT to port 0x21");
	is(PIO(run)[0], 0x5c, "the guest received 0x5c from the IN");

	is(vcpu_run(v), 0, "run to IN AX, DX");
	ok(run->io.direction == KVM_EXIT_IO_IN && run->io.port == 0x70 && run->io.size == 2,
	   "16-bit IN from DX=0x70");
	PIO(run)[0] = 0x34;
	PIO(run)[1] = 0x12;
	is(vcpu_run(v), 0, "complete it");
	ok(run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 2 &&
	   PIO(run)[0] == 0x34 && PIO(run)[1] == 0x12, "16-bit OUT echoes 0x1234");

	is(vcpu_run(v), 0, "run to IN EAX, DX");
	ok(run->io.direction == KVM_EXIT_IO_IN && run->io.size == 4, "32-bit IN (operand-size prefix)");
	memcpy(PIO(run), "\x78\x56\x34\x12", 4);
	/* KVM completes pending I/O on re-entry before it checks immediate_exit. */
	run->immediate_exit = 1;
	is_errno(vcpu_run(v), EINTR, "immediate_exit after an IN exit: EINTR");
	{
		struct kvm_regs r = vcpu_regs(v);
		is(r.rax & 0xffffffff, 0x12345678, "but the IN was completed first (EAX)");
		is(r.rip, 0x1008, "and RIP moved past it");
	}
	is(run->exit_reason, KVM_EXIT_IO, "exit_reason is not rewritten by the early EINTR");
	run->immediate_exit = 0;
	is(vcpu_run(v), 0, "run to OUT EAX");
	ok(run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 &&
	   !memcmp(PIO(run), "\x78\x56\x34\x12", 4), "32-bit OUT echoes it");
	is(vcpu_regs(v).rip, 0x1008, "RIP at the OUT during its exit");
	run->immediate_exit = 1;
	is_errno(vcpu_run(v), EINTR, "immediate_exit after an OUT exit: EINTR");
	is(vcpu_regs(v).rip, 0x100a, "the OUT was completed first");
	run->immediate_exit = 0;
	is(vcpu_run(v), 0, "run to HLT");
	is(run->exit_reason, KVM_EXIT_HLT, "HLT");
	vm_free(vm);
}

static const uint8_t prog_mmio[] = {
	0x66, 0xa1, 0x00, 0x80,	/* mov eax, [0x8000] */
	0x66, 0x40,		/* inc eax */
	0x66, 0xa3, 0x04, 0x80,	/* mov [0x8004], eax */
	0xf4,			/* hlt */
};

static void test_mmio_completion(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = realmode(&vm, &mem, prog_mmio, sizeof(prog_mmio));
	struct kvm_run *run = v->run;

	is(vcpu_run(v), 0, "run to the MMIO load");
	ok(run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write && run->mmio.len == 4 &&
	   run->mmio.phys_addr == 0x8000, "4-byte MMIO read at 0x8000");
	memcpy(run->mmio.data, "\x44\x33\x22\x11", 4);
	run->immediate_exit = 1;
	is_errno(vcpu_run(v), EINTR, "immediate_exit: EINTR");
	is(vcpu_regs(v).rax & 0xffffffff, 0x11223344, "the MMIO read completed before the EINTR");
	run->immediate_exit = 0;
	is(vcpu_run(v), 0, "run to the MMIO store");
	ok(run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write && run->mmio.len == 4 &&
	   run->mmio.phys_addr == 0x8004 && !memcmp(run->mmio.data, "\x45\x33\x22\x11", 4),
	   "4-byte MMIO write of 0x11223345 at 0x8004");
	is(vcpu_run(v), 0, "run on");
	is(run->exit_reason, KVM_EXIT_HLT, "HLT");
	vm_free(vm);
}

/* ---- kicks: immediate_exit set by another thread while the guest spins ---- */

static volatile uint64_t spin_counter;

GUEST_CODE static void guest_spin(void)
{
	for (;;)
		spin_counter++;
}

static void *kicker(void *arg)
{
	struct kvm_run *run = arg;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_kick(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_spin);
	pthread_t t;
	uint64_t count;

	pthread_create(&t, NULL, kicker, v->run);
	is_errno(vcpu_run(v), EINTR, "a spinning guest is kicked out by immediate_exit");
	is(v->run->exit_reason, KVM_EXIT_INTR, "exit_reason KVM_EXIT_INTR, as for a signal");
	pthread_join(t, NULL);
	vm_sync_from_guest(vm, (void *)&spin_counter, sizeof(spin_counter));
	count = spin_counter;
	ok(count > 1000, "the guest ran meanwhile (%llu iterations)", (unsigned long long)count);
	v->run->immediate_exit = 0;
	pthread_create(&t, NULL, kicker, v->run);
	is_errno(vcpu_run(v), EINTR, "and again after resuming");
	pthread_join(t, NULL);
	vm_sync_from_guest(vm, (void *)&spin_counter, sizeof(spin_counter));
	ok(spin_counter > count, "the guest continued where it stopped");
	vm_free(vm);
}

GUEST_CODE static void guest_ud2(void)
{
	__asm__ volatile("ud2");
}

static void test_triple_fault(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_ud2);
	struct kvm_sregs s = vcpu_sregs(v);

	/* No IDT: #UD cannot be delivered, nor can #DF: a triple fault. */
	s.idt.base = 0;
	s.idt.limit = 0;
	vcpu_set_sregs(v, &s);
	is(vcpu_run(v), 0, "KVM_RUN returns 0 on a triple fault");
	is(v->run->exit_reason, KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN");
	vm_free(vm);
}

/*
 * An instruction the CPU cannot execute yet (RDPMC, which the CPU model does not have);
 * when it is implemented, pick another valid but unimplemented encoding here.
 */
static const uint8_t prog_unimpl[] = {
	0x0f, 0x33,		/* rdpmc */
	0xf4,			/* hlt */
};

static void test_emulation_failure(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = realmode(&vm, &mem, prog_unimpl, sizeof(prog_unimpl));
	struct kvm_run *run = v->run;
	uint16_t *ivt = (uint16_t *)mem;

	/* #UD (vector 6) handler at 0:0x2000: out 0x66, al; hlt */
	ivt[6 * 2] = 0x2000;
	ivt[6 * 2 + 1] = 0;
	memcpy(mem + 0x2000, "\xb0\x06\xe6\x66\xf4", 5);
	is(vcpu_run(v), 0, "run into an unimplemented instruction at CPL 0");
	is(run->exit_reason, KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR");
	is(run->emulation_failure.suberror, KVM_INTERNAL_ERROR_EMULATION, "suberror EMULATION");
	ok(run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES,
	   "flagged with the instruction bytes");
	ok(run->emulation_failure.insn_size == 2 && run->emulation_failure.insn_bytes[0] == 0x0f &&
	   run->emulation_failure.insn_bytes[1] == 0x33 && run->emulation_failure.insn_bytes[2] == 0x90,
	   "the 2 bytes of RDPMC, padded with NOPs");
	is(run->emulation_failure.ndata, 9, "ndata as in prepare_emulation_failure_exit");
	is(vcpu_regs(v).rip, 0x1000, "RIP at the instruction");
	is(vcpu_run(v), 0, "running on delivers the queued #UD");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x66 && PIO(run)[0] == 6,
	   "the guest's #UD handler ran: no loop on the instruction");
	vm_free(vm);
}

int main(void)
{
	test_pio_completion();
	test_mmio_completion();
	test_kick();
	test_triple_fault();
	test_emulation_failure();
	return tap_done();
}
