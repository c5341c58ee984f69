// SPDX-License-Identifier: GPL-2.0-only
// Userspace irqchip path: KVM_INTERRUPT, the interrupt window, KVM_NMI, KVM_GET/SET_VCPU_EVENTS,
// KVM_GET/SET_MP_STATE, and the state a vCPU reports after HLT with interrupts disabled.
#include <stdio.h>

#include "kvm_util.h"

#define PIO(run) ((uint8_t *)(run) + (run)->io.data_offset)

/* 0x1000: cli; nop; sti; nop; hlt; jmp hlt */
static const uint8_t prog[] = { 0xfa, 0x90, 0xfb, 0x90, 0xf4, 0xeb, 0xfd };

static struct vcpu *setup(struct vm **vmp)
{
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(vmp, &mem, prog, sizeof(prog));
	uint16_t *ivt = (uint16_t *)mem;

	/* handlers: mov al, vector; out 0x70, al; iret (or hlt) */
	ivt[0x20 * 2] = 0x2000;
	memcpy(mem + 0x2000, "\xb0\x20\xe6\x70\xcf", 5);
	ivt[2 * 2] = 0x2100;
	memcpy(mem + 0x2100, "\xb0\x02\xe6\x70\xcf", 5);
	ivt[6 * 2] = 0x2200;
	memcpy(mem + 0x2200, "\xb0\x06\xe6\x70\xf4", 5);
	return v;
}

static void test_window_and_interrupt(void)
{
	struct vm *vm;
	struct vcpu *v = setup(&vm);
	struct kvm_run *run = v->run;
	struct kvm_interrupt irq = { .irq = 0x20 };

	run->request_interrupt_window = 1;
	is(vcpu_run(v), 0, "run with request_interrupt_window");
	is(run->exit_reason, KVM_EXIT_IRQ_WINDOW_OPEN, "KVM_EXIT_IRQ_WINDOW_OPEN");
	is(vcpu_regs(v).rip, 0x1004, "only after the instruction in STI's shadow");
	is(run->ready_for_interrupt_injection, 1, "ready_for_interrupt_injection");
	is(run->if_flag, 1, "if_flag");
	is_errno(kvm_ioctl(v->fd, KVM_INTERRUPT, &(struct kvm_interrupt){ .irq = 256 }), EINVAL,
		 "vector 256: EINVAL");
	is(kvm_ioctl(v->fd, KVM_INTERRUPT, &irq), 0, "KVM_INTERRUPT 0x20");
	run->request_interrupt_window = 0;
	is(vcpu_run(v), 0, "run");
	ok(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x70 && PIO(run)[0] == 0x20,
	   "the vector-0x20 handler ran");
	is(vcpu_run(v), 0, "run");
	is(run->exit_reason, KVM_EXIT_HLT, "IRET returned to the HLT");
	is(vcpu_regs(v).rip, 0x1005, "past the HLT");
	vm_free(vm);
}

static void test_nmi(void)
{
	struct vm *vm;
	struct vcpu *v = setup(&vm);
	struct kvm_run *run = v->run;
	struct kvm_vcpu_events ev;

	is(kvm_ioctl(v->fd, KVM_NMI, 0), 0, "KVM_NMI");
	is(vcpu_run(v), 0, "run");
	ok(run->exit_reason == KVM_EXIT_IO && PIO(run)[0] == 2, "the NMI handler ran (IF does not matter)");
	is(kvm_ioctl(v->fd, KVM_NMI, 0), 0, "a second NMI while in the handler");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.nmi.masked && ev.nmi.pending, "it is pending, NMIs masked until IRET");
	is(vcpu_run(v), 0, "run");
	ok(run->exit_reason == KVM_EXIT_IO && PIO(run)[0] == 2, "after IRET the second NMI is delivered");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.nmi.masked && !ev.nmi.pending, "none pending now");
	vm_free(vm);
}

static void test_events_and_mp_state(void)
{
	struct vm *vm;
	struct vcpu *v = setup(&vm);
	struct kvm_vcpu_events ev, g;
	struct kvm_mp_state mp;
	struct kvm_regs r;

	is(kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp), 0, "GET_MP_STATE");
	is(mp.mp_state, KVM_MP_STATE_RUNNABLE, "RUNNABLE");
	mp.mp_state = KVM_MP_STATE_HALTED;
	is_errno(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), EINVAL, "HALTED without an in-kernel LAPIC: EINVAL");
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	is(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), 0, "RUNNABLE is accepted");

	is(kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev), 0, "GET_VCPU_EVENTS");
	is(ev.flags, KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM,
	   "flags as KVM reports them");
	ok(!ev.exception.injected && !ev.interrupt.injected && !ev.nmi.pending && !ev.nmi.masked,
	   "nothing pending at reset");
	ev.flags = 1u << 7;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "unknown flag: EINVAL");
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "payload without the capability: EINVAL");
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = 2;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "exception vector 2 (NMI): EINVAL");
	ev.exception.nr = 32;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "exception vector 32: EINVAL");
	ev.flags = KVM_VCPUEVENT_VALID_SMM;
	ev.exception.injected = 0;
	ev.smi.smm = 1;
	ev.smi.pending = 1;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "SET_VCPU_EVENTS enters SMM, SMI pending");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &g);
	ok(g.smi.smm && g.smi.pending && !g.smi.smm_inside_nmi, "GET reports SMM and the latched SMI");
	ev.smi.smm = 0;
	ev.smi.pending = 0;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "and leaves it");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &g);
	ok(!g.smi.smm && !g.smi.pending, "out of SMM");

	memset(&ev, 0, sizeof(ev));
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.exception.injected = 1;
	ev.exception.nr = 6;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "SET_VCPU_EVENTS: #UD pending, STI shadow");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &g);
	ok(g.exception.injected && g.exception.nr == 6 && !g.exception.has_error_code &&
	   g.interrupt.shadow == KVM_X86_SHADOW_INT_STI, "GET returns them");
	is(vcpu_run(v), 0, "run");
	ok(v->run->exit_reason == KVM_EXIT_IO && PIO(v->run)[0] == 6, "the pending #UD was delivered first");
	r = vcpu_regs(v);
	is(r.rsp, 0x3000 - 6, "an IVT frame (FLAGS, CS, IP) was pushed");
	vm_free(vm);
}

/*
 * A vCPU parked with CLI; HLT (SeaBIOS's AP after its SIPI, QEMU -smp 2 with
 * kernel-irqchip=off): without an in-kernel LAPIC, HLT is an exit to userspace and the
 * vCPU stays RUNNABLE (__kvm_emulate_halt()); post_kvm_run_save() reports IF=0 and not
 * ready for injection; GET_VCPU_EVENTS has nothing pending (no NMI, no SMI, no latched
 * INIT) and KVM_RUN continues after the HLT. These are the values QEMU's
 * kvm_arch_get_registers() reads from its halted AP.
 */
static void test_cli_hlt_state(void)
{
	/* 0x1000: cli; hlt; hlt */
	static const uint8_t park[] = { 0xfa, 0xf4, 0xf4 };
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, park, sizeof(park));
	struct kvm_run *run = v->run;
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	struct kvm_regs r;

	is(vcpu_run(v), 0, "run CLI; HLT");
	is(run->exit_reason, KVM_EXIT_HLT, "KVM_EXIT_HLT (no in-kernel LAPIC)");
	r = vcpu_regs(v);
	is(r.rip, 0x1002, "RIP past the HLT");
	is(r.rflags, 0x2, "RFLAGS 0x2 (IF=0)");
	is(run->if_flag, 0, "if_flag 0");
	is(run->ready_for_interrupt_injection, 0, "not ready for interrupt injection");
	is(kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp), 0, "GET_MP_STATE");
	is(mp.mp_state, KVM_MP_STATE_RUNNABLE, "still RUNNABLE: userspace owns the halt");
	memset(&ev, 0xff, sizeof(ev));
	is(kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev), 0, "GET_VCPU_EVENTS");
	is(ev.flags, KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM,
	   "flags");
	ok(!ev.exception.injected && !ev.interrupt.injected && !ev.interrupt.shadow, "no event, no shadow");
	ok(!ev.nmi.injected && !ev.nmi.pending && !ev.nmi.masked, "no NMI pending or masked");
	ok(!ev.smi.smm && !ev.smi.pending && !ev.smi.smm_inside_nmi && !ev.smi.latched_init,
	   "not in SMM, no SMI pending, no latched INIT");
	is(vcpu_run(v), 0, "KVM_RUN again");
	is(run->exit_reason, KVM_EXIT_HLT, "the next HLT");
	is(vcpu_regs(v).rip, 0x1003, "the first HLT was not re-executed");
	vm_free(vm);
}

int main(void)
{
	struct vm *vm = vm_create_empty();

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS), 1, "CAP_VCPU_EVENTS");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE), 1, "CAP_MP_STATE");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_NMI), 1, "CAP_USER_NMI");
	vm_free(vm);
	test_window_and_interrupt();
	test_nmi();
	test_events_and_mp_state();
	test_cli_hlt_state();
	return tap_done();
}
