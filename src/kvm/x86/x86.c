// SPDX-License-Identifier: GPL-2.0-only
// x86 vCPU: creation and reset, the KVM_RUN loop and its exits, and the arch vCPU ioctls.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "swkvm.h"
#include "kvm/iobus.h"
#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include "kvm/x86/i8259.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/lapic.h"
#include "kvm/x86/x86.h"

struct kvm_memslots *kvm_vcpu_memslots(struct kvm_vcpu *vcpu)
{
	return atomic_load(&vcpu->kvm->memslots[vcpu->arch.smm ? 1 : 0]);
}

/* ---- memory: the CPU's view of guest-physical memory through this vCPU's memslots ---- */

static uint8_t *vcpu_gpa_page(void *opaque, uint64_t gfn, bool write)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_memory_slot *slot = vcpu->slots ? kvm_gfn_to_memslot(vcpu->slots, gfn) : NULL;

	if (!slot)
		return NULL;
	if (write) {
		if (slot->flags & KVM_MEM_READONLY)
			return NULL;	/* writes to read-only memory become MMIO exits */
		kvm_mark_page_dirty(slot, gfn);
	}
	return kvm_slot_hva(slot, gfn);
}

/*
 * Outside KVM_RUN, a CPU access to guest memory (KVM_TRANSLATE's walk, the PDPTE load of
 * KVM_SET_SREGS) pins the memslots by holding slots_lock for its duration.
 */
void vcpu_pin_slots(struct kvm_vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->kvm->slots_lock);
	vcpu->slots = kvm_vcpu_memslots(vcpu);
}

void vcpu_unpin_slots(struct kvm_vcpu *vcpu)
{
	vcpu->slots = NULL;
	cpu_flush_mem(vcpu->cpu);
	pthread_mutex_unlock(&vcpu->kvm->slots_lock);
}

/* CLOCK_MONOTONIC in ns: the one host time base of the guest TSC and of kvmclock */
uint64_t kvm_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The guest TSC without its offset at host time `ns`: scaled to the vCPU's TSC rate. */
uint64_t kvm_scaled_tsc_at(struct kvm_vcpu *vcpu, uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * vcpu->arch.tsc_khz / 1000000u);
}

uint64_t kvm_scaled_host_tsc(struct kvm_vcpu *vcpu)
{
	return kvm_scaled_tsc_at(vcpu, kvm_host_ns());
}

static uint64_t vcpu_read_tsc(void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;

	return kvm_scaled_host_tsc(vcpu) + vcpu->arch.tsc_offset;
}

static const struct cpu_host_ops vcpu_cpu_ops = {
	.gpa_page = vcpu_gpa_page,
	.read_tsc = vcpu_read_tsc,
};

/* kvm_vcpu_reset(): the RESET state plus what KVM puts on top of the CPU's. */
static void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	cpu_reset(vcpu->cpu, init_event);
	kvm_msrs_reset(vcpu, init_event);
	/* EDX holds the processor signature; KVM uses 0x600 until CPUID says otherwise. */
	vcpu->cpu->gpr[CPU_RDX] = 0x600;
	kvm_lapic_reset(vcpu, init_event);
	/* kvm_vcpu_reset(): pending events do not survive INIT or RESET */
	if (vcpu->arch.smm)
		kvm_smm_changed(vcpu, false);
	vcpu->arch.smi_pending = false;
	vcpu->arch.smi_count = 0;
	if (!init_event)
		vcpu->arch.smbase = 0x30000;
	vcpu->arch.nmi_queued = 0;
	vcpu->arch.queued_irq = -1;
	vcpu->arch.pv_unhalted = false;
	cpu_state_changed(vcpu->cpu);
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	vcpu->cpu = cpu_create(&vcpu_cpu_ops, vcpu);
	if (!vcpu->cpu)
		return -ENOMEM;
	vcpu->cpu->attention = &vcpu->requests;
	vcpu->cpu->attention2 = &vcpu->run->immediate_exit;
	/* cpuid_query_maxphyaddr(): 36 until the guest CPUID has leaf 0x80000008. */
	vcpu->arch.maxphyaddr = 36;
	vcpu->arch.tsc_khz = SWKVM_TSC_KHZ;
	vcpu->arch.queued_irq = -1;
	vcpu->arch.poll_control = 1;	/* kvm_arch_vcpu_create() */
	vcpu->arch.microcode_version = 0x100000000ull;
	vcpu->arch.platform_info = 1ull << 31;	/* MSR_PLATFORM_INFO_CPUID_FAULT */
	vcpu->arch.st_fd = -1;
	if (irqchip_in_kernel(vcpu->kvm)) {
		int r = kvm_create_lapic(vcpu);

		if (r) {
			cpu_destroy(vcpu->cpu);
			vcpu->cpu = NULL;
			return r;
		}
	}
	/* With an in-kernel LAPIC, APs wait for INIT/SIPI (kvm_arch_vcpu_create()). */
	vcpu->arch.mp_state = !irqchip_in_kernel(vcpu->kvm) || vcpu->vcpu_id == vcpu->kvm->bsp_vcpu_id
				      ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
	kvm_vcpu_reset(vcpu, false);
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_free_lapic(vcpu);
	if (vcpu->cpu)
		cpu_destroy(vcpu->cpu);
	kvm_pv_vcpu_destroy(vcpu);
	free(vcpu->arch.cpuid_entries);
}

int kvm_vcpu_get_cpl(struct kvm_vcpu *vcpu)
{
	struct cpu *cpu = vcpu->cpu;

	if (!(cpu->cr0 & CPU_CR0_PE))
		return 0;
	if (cpu_get_rflags(cpu) & CPU_FLAG_VM)
		return 3;
	/* VMX reports CPL from SS.DPL (vmx_get_cpl()) */
	return cpu->seg[CPU_SS].dpl;
}

/* ---- exits ---- */

static int handle_io(struct kvm_vcpu *vcpu, const struct cpu_exit *e)
{
	struct kvm_run *run = vcpu->run;

	/* In-hypervisor devices first; the CPU replays the instruction with the answer. */
	if (e->io.write) {
		if (kvm_io_bus_write(vcpu, KVM_PIO_BUS, e->io.port, e->io.size, &e->io.data) == 0) {
			cpu_complete_write(vcpu->cpu);
			return 1;
		}
	} else {
		uint32_t val = 0;
		if (kvm_io_bus_read(vcpu, KVM_PIO_BUS, e->io.port, e->io.size, &val) == 0) {
			cpu_complete_read(vcpu->cpu, &val, e->io.size);
			return 1;
		}
	}
	vcpu->stat->io_exits++;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = e->io.write ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = e->io.size;
	run->io.port = e->io.port;
	/* One element per exit: Firecracker treats size*count bytes as one access. */
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (e->io.write)
		memcpy(vcpu->pio_data, &e->io.data, e->io.size);
	vcpu->pending = PENDING_PIO;
	vcpu->pio_in = !e->io.write;
	vcpu->pio_size = e->io.size;
	return 0;
}

/* A TPR access under KVM_TPR_ACCESS_REPORTING: remember it for an exit after the insn */
static void note_tpr_access(struct kvm_vcpu *vcpu, uint64_t rip)
{
	bool write;

	if (vcpu->arch.apic && kvm_lapic_take_tpr_access(vcpu, &write)) {
		vcpu->arch.tpr_report = true;
		vcpu->arch.tpr_report_write = write;
		vcpu->arch.tpr_report_rip = rip;
	}
}

static int handle_mmio(struct kvm_vcpu *vcpu, const struct cpu_exit *e)
{
	struct kvm_run *run = vcpu->run;

	/* vcpu_mmio_write()/vcpu_mmio_read(): this vCPU's LAPIC page, then the MMIO bus */
	if (e->mmio.write) {
		/* The instruction has committed; only the store remains to be delivered. */
		if (kvm_lapic_mmio_write(vcpu, e->mmio.gpa, e->mmio.size, e->mmio.data) == 0) {
			note_tpr_access(vcpu, e->mmio.rip);
			return 1;
		}
		if (kvm_io_bus_write(vcpu, KVM_MMIO_BUS, e->mmio.gpa, e->mmio.size, e->mmio.data) == 0)
			return 1;
	} else {
		uint8_t val[8] = { 0 };
		bool done = false;

		if (kvm_lapic_mmio_read(vcpu, e->mmio.gpa, e->mmio.size, val) == 0) {
			note_tpr_access(vcpu, vcpu->cpu->rip);	/* not committed: RIP at the insn */
			done = true;
		} else {
			done = kvm_io_bus_read(vcpu, KVM_MMIO_BUS, e->mmio.gpa, e->mmio.size, val) == 0;
		}
		if (done) {
			cpu_complete_read(vcpu->cpu, val, e->mmio.size);
			return 1;
		}
	}
	vcpu->stat->mmio_exits++;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = e->mmio.gpa;
	run->mmio.len = e->mmio.size;
	run->mmio.is_write = e->mmio.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (e->mmio.write) {
		memcpy(run->mmio.data, e->mmio.data, e->mmio.size);
	} else {
		vcpu->pending = PENDING_MMIO_READ;
		vcpu->mmio_size = e->mmio.size;
	}
	return 0;
}

/*
 * handle_emulation_failure() (arch/x86/kvm/x86.c): queue #UD; at CPL 0 also report
 * KVM_INTERNAL_ERROR_EMULATION with the instruction bytes. The guest is never left
 * spinning on the instruction: the #UD is delivered on the next entry.
 */
static int handle_unhandled(struct kvm_vcpu *vcpu, const struct cpu_exit *e)
{
	struct kvm_run *run = vcpu->run;

	vcpu->stat->insn_emulation_fail++;
	cpu_queue_exception(vcpu->cpu, CPU_EXC_UD, false, 0);
	if (kvm_vcpu_get_cpl(vcpu) != 0)
		return 1;

	memset(&run->emulation_failure, 0, sizeof(run->emulation_failure));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = e->unhandled.len;
	memset(run->emulation_failure.insn_bytes, 0x90, sizeof(run->emulation_failure.insn_bytes));
	memcpy(run->emulation_failure.insn_bytes, e->unhandled.insn,
	       e->unhandled.len < 15 ? e->unhandled.len : 15);
	/*
	 * prepare_emulation_failure_exit(): after flags, insn_size and the 16 bytes come
	 * five words of vendor exit information and the last vm-entry CPU. A software
	 * CPU has no VMX exit reason; they are reported as zero.
	 */
	run->emulation_failure.ndata = 3 + 5 + 1;
	return 0;
}

static void inject_gp(struct kvm_vcpu *vcpu)
{
	cpu_queue_exception(vcpu->cpu, CPU_EXC_GP, true, 0);
}

static int handle_exit(struct kvm_vcpu *vcpu, const struct cpu_exit *e)
{
	struct cpu *cpu = vcpu->cpu;
	uint64_t data;

	vcpu->stat->exits++;
	switch (e->reason) {
	case CPU_EXIT_NONE:
		return 1;
	case CPU_EXIT_REQUEST:
		vcpu->stat->irq_exits++;	/* another thread wanted this vCPU's attention */
		return 1;
	case CPU_EXIT_IO:
		return handle_io(vcpu, e);
	case CPU_EXIT_MMIO:
		return handle_mmio(vcpu, e);
	case CPU_EXIT_HLT:
		vcpu->stat->halt_exits++;
		/* __kvm_emulate_halt(): with an in-kernel LAPIC the vCPU sleeps in KVM_RUN */
		if (vcpu->arch.apic) {
			vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
			return 1;
		}
		/* without one, userspace decides */
		vcpu->run->exit_reason = KVM_EXIT_HLT;
		return 0;
	case CPU_EXIT_SHUTDOWN:
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	case CPU_EXIT_CPUID:
		vcpu->stat->cpuid_exits++;
		/* CPUID faulting (MSR_MISC_FEATURES_ENABLES bit 0): #GP(0) above CPL 0 */
		if ((vcpu->arch.misc_features_enables & 1) && kvm_vcpu_get_cpl(vcpu) > 0) {
			inject_gp(vcpu);
			return 1;
		}
		kvm_emulate_cpuid(vcpu);
		cpu_skip_insn(cpu, e->insn_len);
		return 1;
	case CPU_EXIT_RDMSR:
		vcpu->stat->msr_exits++;
		if (kvm_get_msr(vcpu, e->msr.index, &data, false)) {
			inject_gp(vcpu);
			return 1;
		}
		note_tpr_access(vcpu, cpu->rip);
		cpu->gpr[CPU_RAX] = (uint32_t)data;
		cpu->gpr[CPU_RDX] = data >> 32;
		cpu_skip_insn(cpu, e->insn_len);
		return 1;
	case CPU_EXIT_WRMSR:
		vcpu->stat->msr_exits++;
		if (kvm_set_msr(vcpu, e->msr.index, e->msr.data, false)) {
			inject_gp(vcpu);
			return 1;
		}
		note_tpr_access(vcpu, cpu->rip);
		cpu_skip_insn(cpu, e->insn_len);
		return 1;
	case CPU_EXIT_UNHANDLED:
		return handle_unhandled(vcpu, e);
	case CPU_EXIT_IRQ_WINDOW:
		if (cpu_interrupt_allowed(cpu) && (cpu->irq_window_exit || cpu->cr8 < cpu->tpr_threshold))
			vcpu->stat->irq_window_exits++;
		else
			vcpu->stat->nmi_window_exits++;
		return 1;	/* vcpu_run() reports the open window */
	case CPU_EXIT_HYPERCALL:
		return kvm_emulate_hypercall(vcpu, e);
	case CPU_EXIT_RSM:
		/* em_rsm(): #UD outside SMM; a refused image triple-faults */
		if (!is_smm(vcpu)) {
			cpu_queue_exception(cpu, CPU_EXC_UD, false, 0);
			return 1;
		}
		if (kvm_leave_smm(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
			return 0;
		}
		return 1;
	case CPU_EXIT_DEBUG: {
		/* handle_exception_nmi() for guest debugging: pc is the linear RIP */
		struct kvm_run *run = vcpu->run;

		run->exit_reason = KVM_EXIT_DEBUG;
		run->debug.arch.exception = e->debug.vector;
		/* kvm_get_linear_rip(): RIP in 64-bit mode, else (u32)(CS.base + RIP) */
		run->debug.arch.pc = ((cpu->efer & CPU_EFER_LMA) && cpu->seg[CPU_CS].l)
					     ? cpu->rip : (uint32_t)(cpu->seg[CPU_CS].base + cpu->rip);
		run->debug.arch.dr6 = e->debug.vector == CPU_EXC_DB ? (e->debug.dr6 | 0xffff0ff0ull) : 0;
		run->debug.arch.dr7 = cpu->hwbp_exit ? cpu->host_dr[7] : cpu->dr[7];
		return 0;
	}
	}
	/* A reason this file does not know: never crash, report it. */
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	vcpu->run->internal.ndata = 1;
	vcpu->run->internal.data[0] = e->reason;
	return 0;
}

/* complete_userspace_io: hand userspace's answer to the CPU and commit the instruction. */
static int complete_userspace_io(struct kvm_vcpu *vcpu)
{
	struct cpu_exit e;
	enum vcpu_pending_io p = vcpu->pending;

	vcpu->pending = PENDING_NONE;
	switch (p) {
	case PENDING_NONE:
		return 1;
	case PENDING_PIO:
		if (vcpu->pio_in)
			cpu_complete_read(vcpu->cpu, vcpu->pio_data, vcpu->pio_size);
		else
			cpu_complete_write(vcpu->cpu);
		break;
	case PENDING_MMIO_READ:
		cpu_complete_read(vcpu->cpu, vcpu->run->mmio.data, vcpu->mmio_size);
		break;
	case PENDING_HYPERCALL:
		kvm_complete_hypercall_exit(vcpu);
		return 1;
	}
	if (cpu_finish_io(vcpu->cpu, &e) == CPU_EXIT_NONE)
		return 1;
	return handle_exit(vcpu, &e);
}

static void vcpu_process_requests(struct kvm_vcpu *vcpu)
{
	if (!atomic_load(&vcpu->requests))
		return;
	if (kvm_check_request(vcpu, KVM_REQ_MMU_RELOAD)) {
		vcpu->slots = kvm_vcpu_memslots(vcpu);
		cpu_flush_mem(vcpu->cpu);
	}
	kvm_check_request(vcpu, KVM_REQ_KICK);
	kvm_check_request(vcpu, KVM_REQ_SYNC);
	if (kvm_check_request(vcpu, KVM_REQ_EVENT))
		vcpu->stat->req_event++;
}

/* kvm_vcpu_ready_for_interrupt_injection() without an in-kernel irqchip */
static bool ready_for_interrupt_injection(struct kvm_vcpu *vcpu)
{
	return cpu_interrupt_allowed(vcpu->cpu) && vcpu->arch.queued_irq < 0;
}

/* kvm_cpu_has_extint(): the PIC's INTR, if LINT0 takes it */
static bool cpu_has_extint(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	return kvm->vpic && kvm_apic_accept_pic_intr(vcpu) && kvm_pic_intr_output(kvm);
}

/* kvm_cpu_has_interrupt() with an in-kernel irqchip */
static bool cpu_has_interrupt(struct kvm_vcpu *vcpu)
{
	return cpu_has_extint(vcpu) || kvm_apic_has_interrupt(vcpu) >= 0;
}

/* kvm_cpu_get_interrupt(): INTA to the PIC first, else the LAPIC's highest IRR */
static int cpu_get_interrupt(struct kvm_vcpu *vcpu)
{
	if (cpu_has_extint(vcpu))
		return kvm_pic_read_irq(vcpu->kvm);
	return kvm_get_apic_interrupt(vcpu);
}

/* process_nmi(): one NMI may wait behind one being handled, two otherwise */
static void process_nmis(struct kvm_vcpu *vcpu, unsigned n)
{
	unsigned limit = vcpu->cpu->nmi_blocked ? 1 : 2;

	vcpu->arch.nmi_queued += n;
	if (vcpu->arch.nmi_queued > limit)
		vcpu->arch.nmi_queued = limit;
}

/* kvm_vcpu_deliver_sipi_vector(): CS = vector << 8, base vector << 12, RIP 0 */
static void deliver_sipi(struct kvm_vcpu *vcpu, uint8_t vector)
{
	struct cpu *c = vcpu->cpu;

	c->seg[CPU_CS].selector = (uint16_t)(vector << 8);
	c->seg[CPU_CS].base = (uint64_t)vector << 12;
	c->rip = 0;
	cpu_state_changed(c);
}

/*
 * kvm_apic_accept_events(): INIT resets the vCPU (the BSP stays runnable, an AP waits
 * for SIPI); a SIPI only counts in wait-for-SIPI. NMIs sent by LAPICs are queued here.
 */
static void accept_apic_events(struct kvm_vcpu *vcpu)
{
	uint8_t sipi;
	unsigned nmis, ev;

	if (!vcpu->arch.apic)
		return;
	/* kvm_apic_init_sipi_allowed(): INIT is latched in SMM, a SIPI dropped */
	ev = kvm_apic_take_pending_events(vcpu, &sipi, &nmis, !is_smm(vcpu));
	if (ev & APIC_PENDING_SMI)
		vcpu->arch.smi_pending = true;	/* process_smi() */
	if (ev & APIC_PENDING_INIT) {
		kvm_vcpu_reset(vcpu, true);
		vcpu->arch.mp_state = kvm_vcpu_is_bsp(vcpu) ? KVM_MP_STATE_RUNNABLE
							     : KVM_MP_STATE_INIT_RECEIVED;
		nmis = 0;
	}
	if ((ev & APIC_PENDING_SIPI) && vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		deliver_sipi(vcpu, sipi);
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	}
	if (nmis)
		process_nmis(vcpu, nmis);
}

/*
 * kvm_vcpu_has_events(): what ends HLT or a wait for INIT/SIPI. An interrupt only
 * counts when the vCPU could take it (IF=1), as on hardware.
 */
static bool vcpu_has_events(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	uint8_t v;
	bool he;
	uint32_t err;

	if (vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE)
		return true;
	if ((kvm_apic_has_pending_init_or_sipi(vcpu) && !is_smm(vcpu)) || vcpu->arch.pv_unhalted)
		return true;
	if (vcpu->arch.smi_pending && !is_smm(vcpu))
		return true;
	if (vcpu->arch.mp_state != KVM_MP_STATE_HALTED)
		return false;
	if (cpu_pending_exception(c, &v, &he, &err))
		return true;
	if (vcpu->arch.nmi_queued && !c->nmi_blocked)
		return true;
	return cpu_interrupt_allowed(c) && cpu_has_interrupt(vcpu);
}

/*
 * kvm_vcpu_block(): sleep until an event makes the vCPU runnable, or until userspace
 * wants it back. Kicks from other threads write wake_fd. A VMM kicks its vCPU thread
 * with a signal whose handler sets immediate_exit: signals are blocked while we look
 * at immediate_exit and ppoll() unblocks them atomically, so a signal in between
 * interrupts the sleep instead of being missed (the kernel's signal_pending()).
 * Returns 1 when runnable, or -EINTR with KVM_EXIT_INTR.
 */
/* the vCPU whose KVM_RUN this thread is in (initial-exec TLS: safe in a signal handler) */
static __thread struct kvm_vcpu *running_vcpu __attribute__((tls_model("initial-exec")));

void swkvm_signal_kick(void)
{
	struct kvm_vcpu *vcpu = running_vcpu;

	if (vcpu)
		atomic_fetch_or(&vcpu->requests, 1u << KVM_REQ_SIGNAL);
}

static bool signal_kicked(struct kvm_vcpu *vcpu)
{
	return atomic_load(&vcpu->requests) & (1u << KVM_REQ_SIGNAL);
}

static int vcpu_block(struct kvm_vcpu *vcpu)
{
	sigset_t all, old;
	int r = -EINTR;
	uint64_t t0 = kvm_host_ns();

	vcpu->stat->blocking = 1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (;;) {
		uint64_t cnt;
		struct pollfd pfd = { .fd = vcpu->wake_fd, .events = POLLIN };

		if (read(vcpu->wake_fd, &cnt, sizeof(cnt)) < 0) {
			/* EAGAIN: no kick since the last look */
		}
		/* memslot and bus updates wait for every vCPU in KVM_RUN, sleeping ones too */
		vcpu_process_requests(vcpu);
		accept_apic_events(vcpu);
		kvm_inject_apic_timer_irqs(vcpu);
		if (vcpu_has_events(vcpu)) {
			r = 1;
			break;
		}
		if (__atomic_load_n(&vcpu->run->immediate_exit, __ATOMIC_RELAXED) || signal_kicked(vcpu))
			break;
		if (ppoll(&pfd, 1, NULL, &old) < 0 && errno == EINTR)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);	/* a pending signal's handler runs here */
	vcpu->stat->blocking = 0;
	vcpu->stat->halt_wait_ns += kvm_host_ns() - t0;
	if (r < 0) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		vcpu->stat->signal_exits++;
	}
	return r;
}

/*
 * inject_pending_event(): a queued exception is delivered by the CPU first; then an
 * NMI unless NMIs are blocked (or MOV SS blocks them); then an interrupt: the one
 * userspace queued with KVM_INTERRUPT, which, as with VMX event injection, does not
 * wait for IF, or with the in-kernel irqchip the PIC's or the LAPIC's when IF allows.
 */
static void inject_pending_events(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	uint8_t v;
	bool he;
	uint32_t err;

	if (cpu_pending_exception(c, &v, &he, &err))
		return;
	/* an SMI goes first, and nothing else this round (SMIs are blocked in SMM) */
	if (vcpu->arch.smi_pending && !is_smm(vcpu)) {
		vcpu->arch.smi_pending = false;
		vcpu->arch.smi_count++;
		if (!kvm_enter_smm(vcpu))
			vcpu->arch.triple_fault = true;
		return;
	}
	if (vcpu->arch.nmi_queued && !c->nmi_blocked && !(c->shadow & CPU_SHADOW_MOVSS)) {
		vcpu->arch.nmi_queued--;
		vcpu->stat->nmi_injections++;
		cpu_deliver_nmi(c);
		return;
	}
	if (vcpu->arch.queued_irq >= 0) {
		uint8_t vec = (uint8_t)vcpu->arch.queued_irq;

		vcpu->arch.queued_irq = -1;
		vcpu->stat->irq_injections++;
		cpu_deliver_interrupt(c, vec);
		return;
	}
	if (vcpu->arch.apic && cpu_interrupt_allowed(c)) {
		int vec = cpu_get_interrupt(vcpu);

		if (vec >= 0) {
			vcpu->stat->irq_injections++;
			cpu_deliver_interrupt(c, (uint8_t)vec);
		}
	}
}

static int vcpu_run(struct kvm_vcpu *vcpu)
{
	struct cpu_exit e;
	struct cpu *c = vcpu->cpu;
	bool apic = vcpu->arch.apic != NULL;
	int r;

	for (;;) {
		/* KVM_REQ_REPORT_TPR_ACCESS: the accessing instruction first completes */
		if (vcpu->arch.tpr_report) {
			if (cpu_io_pending(c) && cpu_finish_io(c, &e) != CPU_EXIT_NONE) {
				r = handle_exit(vcpu, &e);
				if (r <= 0)
					return r;
				continue;
			}
			vcpu->arch.tpr_report = false;
			vcpu->run->exit_reason = KVM_EXIT_TPR_ACCESS;
			vcpu->run->tpr_access.rip = vcpu->arch.tpr_report_rip;
			vcpu->run->tpr_access.is_write = vcpu->arch.tpr_report_write;
			return 0;
		}
		vcpu_process_requests(vcpu);
		if (apic) {
			accept_apic_events(vcpu);
			kvm_inject_apic_timer_irqs(vcpu);
			if (vcpu->arch.mp_state != KVM_MP_STATE_RUNNABLE) {
				r = vcpu_block(vcpu);
				if (r < 0)
					return r;
				if (vcpu->arch.mp_state == KVM_MP_STATE_HALTED) {
					vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
					vcpu->arch.pv_unhalted = false;
					vcpu->stat->halt_wakeup++;
				}
				continue;
			}
		}
		inject_pending_events(vcpu);
		if (vcpu->arch.triple_fault) {
			vcpu->arch.triple_fault = false;
			vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
			return 0;
		}
		/* dm_request_for_irq_injection(): userspace asked to know when it may inject */
		if (!apic && vcpu->run->request_interrupt_window && ready_for_interrupt_injection(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			vcpu->stat->request_irq_exits++;
			return 0;
		}
		if (apic) {
			/* enable_irq_window(); CR8 is the LAPIC's TPR (kvm_lapic_get_cr8()) */
			c->irq_window_exit = cpu_has_interrupt(vcpu);
			c->cr8 = kvm_lapic_get_cr8(vcpu);
			c->tpr_threshold = (uint8_t)kvm_lapic_tpr_threshold(vcpu);
		} else {
			c->irq_window_exit = vcpu->run->request_interrupt_window;
		}
		c->nmi_window_exit = vcpu->arch.nmi_queued != 0;
		/*
		 * A VMM's kick sets immediate_exit from a signal handler; the kernel sees
		 * the signal itself (kvm_handle_signal_exit) and reports KVM_EXIT_INTR.
		 */
		if (__atomic_load_n(&vcpu->run->immediate_exit, __ATOMIC_RELAXED) || signal_kicked(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			vcpu->stat->signal_exits++;
			return -EINTR;
		}
		c->cr8_written = false;
		kvm_lapic_sync_to_vapic(vcpu);
		cpu_run(c, &e);
		kvm_lapic_sync_from_vapic(vcpu);
		vcpu->stat->pf_guest = c->counters.pf_delivered;
		vcpu->stat->invlpg = c->counters.invlpg;
		vcpu->stat->tlb_flush = c->counters.tlb_flush;
		/* a MOV to CR8 wrote the TPR (kvm_lapic_set_tpr(): TPR[3:0] = 0) */
		if (apic && c->cr8_written)
			kvm_lapic_set_tpr(vcpu, c->cr8);
		r = handle_exit(vcpu, &e);
		if (r <= 0)
			return r;
	}
}

/* post_kvm_run_save() */
static void post_kvm_run_save(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = (cpu_get_rflags(vcpu->cpu) & CPU_FLAG_IF) != 0;
	run->cr8 = vcpu->arch.apic ? kvm_lapic_get_cr8(vcpu) : vcpu->cpu->cr8;
	run->apic_base = vcpu->apic_base;
	if (is_smm(vcpu))
		run->flags |= KVM_RUN_X86_SMM;
	/* pic_in_kernel(): injection is the hypervisor's business, userspace may always "inject" */
	run->ready_for_interrupt_injection = irqchip_in_kernel(vcpu->kvm) ||
					     ready_for_interrupt_injection(vcpu);
}

/* kvm_arch_vcpu_ioctl_run(): arch/x86/kvm/x86.c */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool wants_to_run = !__atomic_load_n(&run->immediate_exit, __ATOMIC_RELAXED);
	int r;

	run->flags = 0;
	/* No KVM_CAP_SYNC_REGS: every sync field is invalid. */
	if (run->kvm_valid_regs || run->kvm_dirty_regs) {
		r = -EINVAL;
		goto out;
	}
	/* Without an in-kernel LAPIC, userspace owns CR8 through kvm_run (kvm_set_cr8()). */
	if (!vcpu->arch.apic) {
		if (run->cr8 > 15) {
			r = -EINVAL;
			goto out;
		}
		vcpu->cpu->cr8 = run->cr8;
	}

	atomic_store(&vcpu->mode, IN_GUEST_MODE);
	running_vcpu = vcpu;
	vcpu->slots = kvm_vcpu_memslots(vcpu);
	kvm_check_request(vcpu, KVM_REQ_MMU_RELOAD);
	cpu_flush_mem(vcpu->cpu);

	/*
	 * An AP waiting for INIT/SIPI blocks once, then returns -EAGAIN (or -EINTR) so
	 * that userspace re-enters with the new state (kvm_arch_vcpu_ioctl_run()).
	 */
	if (vcpu->arch.mp_state == KVM_MP_STATE_UNINITIALIZED) {
		r = wants_to_run ? vcpu_block(vcpu) : -EINTR;
		if (r > 0) {
			accept_apic_events(vcpu);
			r = -EAGAIN;
		} else {
			run->exit_reason = KVM_EXIT_INTR;
		}
		goto out_mode;
	}

	kvm_guest_time_update(vcpu);	/* KVM_REQ_CLOCK_UPDATE at every entry from userspace */
	kvm_record_steal_time(vcpu);

	/* Pending userspace I/O is completed before immediate_exit is looked at. */
	r = complete_userspace_io(vcpu);
	if (r <= 0)
		goto out_mode;
	if (!wants_to_run) {
		r = -EINTR;
		goto out_mode;
	}
	vcpu->arch.has_run = true;	/* kvm_vcpu_has_run(): CPUID is frozen from now on */
	r = vcpu_run(vcpu);
out_mode:
	vcpu->slots = NULL;	/* may be freed by a memslot update once we are outside */
	running_vcpu = NULL;
	kvm_check_request(vcpu, KVM_REQ_SIGNAL);	/* a kick counts for this KVM_RUN only */
	atomic_store(&vcpu->mode, OUTSIDE_GUEST_MODE);
out:
	post_kvm_run_save(vcpu);
	return r;
}

/* ---- KVM_GET/SET_REGS ---- */

static void kvm_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	struct cpu *c = vcpu->cpu;

	regs->rax = c->gpr[CPU_RAX];
	regs->rbx = c->gpr[CPU_RBX];
	regs->rcx = c->gpr[CPU_RCX];
	regs->rdx = c->gpr[CPU_RDX];
	regs->rsi = c->gpr[CPU_RSI];
	regs->rdi = c->gpr[CPU_RDI];
	regs->rsp = c->gpr[CPU_RSP];
	regs->rbp = c->gpr[CPU_RBP];
	regs->r8 = c->gpr[CPU_R8];
	regs->r9 = c->gpr[CPU_R9];
	regs->r10 = c->gpr[CPU_R10];
	regs->r11 = c->gpr[CPU_R11];
	regs->r12 = c->gpr[CPU_R12];
	regs->r13 = c->gpr[CPU_R13];
	regs->r14 = c->gpr[CPU_R14];
	regs->r15 = c->gpr[CPU_R15];
	regs->rip = c->rip;
	regs->rflags = cpu_get_rflags(c);
}

static void kvm_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	struct cpu *c = vcpu->cpu;

	c->gpr[CPU_RAX] = regs->rax;
	c->gpr[CPU_RBX] = regs->rbx;
	c->gpr[CPU_RCX] = regs->rcx;
	c->gpr[CPU_RDX] = regs->rdx;
	c->gpr[CPU_RSI] = regs->rsi;
	c->gpr[CPU_RDI] = regs->rdi;
	c->gpr[CPU_RSP] = regs->rsp;
	c->gpr[CPU_RBP] = regs->rbp;
	c->gpr[CPU_R8] = regs->r8;
	c->gpr[CPU_R9] = regs->r9;
	c->gpr[CPU_R10] = regs->r10;
	c->gpr[CPU_R11] = regs->r11;
	c->gpr[CPU_R12] = regs->r12;
	c->gpr[CPU_R13] = regs->r13;
	c->gpr[CPU_R14] = regs->r14;
	c->gpr[CPU_R15] = regs->r15;
	c->rip = regs->rip;
	/* __set_regs(): bit 1 of RFLAGS always reads as 1 */
	cpu_set_rflags(c, regs->rflags | CPU_FLAG_FIXED1);
	cpu_state_changed(c);
}

/* ---- KVM_GET/SET_SREGS ---- */

static void seg_to_kvm(const struct cpu_segment *s, struct kvm_segment *k)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->type;
	k->present = s->present;
	k->dpl = s->dpl;
	k->db = s->db;
	k->s = s->s;
	k->l = s->l;
	k->g = s->g;
	k->avl = s->avl;
	k->unusable = s->unusable;
}

static void seg_from_kvm(struct cpu_segment *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->type = k->type & 0xf;
	s->present = k->present & 1;
	s->dpl = k->dpl & 3;
	s->db = k->db & 1;
	s->s = k->s & 1;
	s->l = k->l & 1;
	s->g = k->g & 1;
	s->avl = k->avl & 1;
	/* vmx_segment_access_rights(): a non-present segment is unusable. */
	s->unusable = (k->unusable || !k->present) ? 1 : 0;
}

static void kvm_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct cpu *c = vcpu->cpu;
	static const int order[8] = { CPU_CS, CPU_DS, CPU_ES, CPU_FS, CPU_GS, CPU_SS, CPU_TR, CPU_LDTR };
	struct kvm_segment *out[8] = { &sregs->cs, &sregs->ds, &sregs->es, &sregs->fs,
				       &sregs->gs, &sregs->ss, &sregs->tr, &sregs->ldt };

	memset(sregs, 0, sizeof(*sregs));
	for (int i = 0; i < 8; i++)
		seg_to_kvm(&c->seg[order[i]], out[i]);
	sregs->gdt.base = c->gdt.base;
	sregs->gdt.limit = c->gdt.limit;
	sregs->idt.base = c->idt.base;
	sregs->idt.limit = c->idt.limit;
	sregs->cr0 = c->cr0;
	sregs->cr2 = c->cr2;
	sregs->cr3 = c->cr3;
	sregs->cr4 = c->cr4;
	/* kvm_get_cr8(): with the in-kernel LAPIC, CR8 is its TPR */
	sregs->cr8 = vcpu->arch.apic ? kvm_lapic_get_cr8(vcpu) : c->cr8;
	sregs->efer = c->efer;
	sregs->apic_base = vcpu->apic_base;
	/* __get_sregs(): an interrupt queued for injection (KVM_INTERRUPT) is reported here */
	if (vcpu->arch.queued_irq >= 0)
		sregs->interrupt_bitmap[vcpu->arch.queued_irq / 64] |= 1ull << (vcpu->arch.queued_irq % 64);
}

static bool kvm_is_illegal_gpa(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	return (gpa >> vcpu->arch.maxphyaddr) != 0;
}

/* kvm_is_valid_cr0() */
static bool kvm_is_valid_cr0(uint64_t cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & CPU_CR0_NW) && !(cr0 & CPU_CR0_CD))
		return false;
	if ((cr0 & CPU_CR0_PG) && !(cr0 & CPU_CR0_PE))
		return false;
	return true;
}

/* kvm_is_valid_sregs(): arch/x86/kvm/x86.c */
static bool kvm_is_valid_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if ((sregs->efer & CPU_EFER_LME) && (sregs->cr0 & CPU_CR0_PG)) {
		/* In 64-bit mode (maybe in a compatibility segment) PAE and LMA must be set. */
		if (!(sregs->cr4 & CPU_CR4_PAE) || !(sregs->efer & CPU_EFER_LMA))
			return false;
		if (kvm_is_illegal_gpa(vcpu, sregs->cr3))
			return false;
	} else {
		/* Not in 64-bit mode: LMA is clear and CS cannot be a 64-bit segment. */
		if ((sregs->efer & CPU_EFER_LMA) || sregs->cs.l)
			return false;
	}
	return kvm_is_valid_cr4(vcpu, sregs->cr4) && kvm_is_valid_cr0(sregs->cr0);
}

/* __set_sregs_common(): the part of KVM_SET_SREGS and KVM_SET_SREGS2 they share */
static int kvm_set_sregs_common(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs, bool update_pdptrs)
{
	struct cpu *c = vcpu->cpu;
	const struct kvm_segment *in[8] = { &sregs->cs, &sregs->ds, &sregs->es, &sregs->fs,
					    &sregs->gs, &sregs->ss, &sregs->tr, &sregs->ldt };
	static const int order[8] = { CPU_CS, CPU_DS, CPU_ES, CPU_FS, CPU_GS, CPU_SS, CPU_TR, CPU_LDTR };

	if (!kvm_is_valid_sregs(vcpu, sregs))
		return -EINVAL;
	if (kvm_apic_base_invalid(vcpu, sregs->apic_base))
		return -EINVAL;

	vcpu->apic_base = sregs->apic_base;
	c->gdt.base = sregs->gdt.base;
	c->gdt.limit = sregs->gdt.limit;
	c->idt.base = sregs->idt.base;
	c->idt.limit = sregs->idt.limit;
	c->cr2 = sregs->cr2;
	c->cr3 = sregs->cr3;
	/*
	 * __set_sregs_common() ignores kvm_set_cr8()'s result: a CR8 above 15 is not an
	 * error, it just leaves CR8 (the TPR) as it was.
	 */
	if (sregs->cr8 <= 15) {
		c->cr8 = sregs->cr8;
		if (vcpu->arch.apic)
			kvm_lapic_set_tpr(vcpu, sregs->cr8);	/* kvm_set_cr8() */
	}
	c->efer = sregs->efer;
	c->cr0 = sregs->cr0;
	c->cr4 = sregs->cr4;
	for (int i = 0; i < 8; i++)
		seg_from_kvm(&c->seg[order[i]], in[i]);
	/* KVM reloads the PDPTEs from guest memory and ignores a failed load (old values stay) */
	if (update_pdptrs && cpu_pae_paging(c)) {
		vcpu_pin_slots(vcpu);
		(void)cpu_load_pdptrs(c, c->cr3);
		vcpu_unpin_slots(vcpu);
	}
	cpu_state_changed(c);
	return 0;
}

/* __set_sregs(): the lowest vector set in interrupt_bitmap is queued for injection */
static int kvm_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	int r = kvm_set_sregs_common(vcpu, sregs, true);

	if (r)
		return r;
	for (int i = 0; i < 256; i++) {
		if ((sregs->interrupt_bitmap[i / 64] >> (i % 64)) & 1) {
			vcpu->arch.queued_irq = i;
			kvm_make_request(vcpu, KVM_REQ_EVENT);
			break;
		}
	}
	return 0;
}

/*
 * struct kvm_sregs2 is struct kvm_sregs with interrupt_bitmap replaced by flags, pad and
 * pdptrs; the common prefix is copied as one block.
 */
#define SREGS_COMMON_SIZE offsetof(struct kvm_sregs, interrupt_bitmap)
_Static_assert(SREGS_COMMON_SIZE == offsetof(struct kvm_sregs2, flags), "kvm_sregs2 prefix");

/* kvm_arch_vcpu_ioctl_get_sregs2() */
static void kvm_get_sregs2(struct kvm_vcpu *vcpu, struct kvm_sregs2 *sregs2)
{
	struct kvm_sregs sregs;

	kvm_get_sregs(vcpu, &sregs);
	memset(sregs2, 0, sizeof(*sregs2));
	memcpy(sregs2, &sregs, SREGS_COMMON_SIZE);
	if (cpu_pae_paging(vcpu->cpu)) {
		memcpy(sregs2->pdptrs, vcpu->cpu->pdptr, sizeof(sregs2->pdptrs));
		sregs2->flags |= KVM_SREGS2_FLAGS_PDPTRS_VALID;
	}
}

/* kvm_arch_vcpu_ioctl_set_sregs2(): PDPTRS_VALID only with PAE paging in the new state */
static int kvm_set_sregs2(struct kvm_vcpu *vcpu, const struct kvm_sregs2 *sregs2)
{
	bool valid_pdptrs = sregs2->flags & KVM_SREGS2_FLAGS_PDPTRS_VALID;
	bool pae = (sregs2->cr0 & CPU_CR0_PG) && (sregs2->cr4 & CPU_CR4_PAE) &&
		   !(sregs2->efer & CPU_EFER_LMA);
	struct kvm_sregs sregs;
	int r;

	if (sregs2->flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID)
		return -EINVAL;
	if (valid_pdptrs && !pae)
		return -EINVAL;
	memset(&sregs, 0, sizeof(sregs));
	memcpy(&sregs, sregs2, SREGS_COMMON_SIZE);
	r = kvm_set_sregs_common(vcpu, &sregs, !valid_pdptrs);
	if (r)
		return r;
	if (valid_pdptrs) {
		memcpy(vcpu->cpu->pdptr, sregs2->pdptrs, sizeof(sregs2->pdptrs));
		cpu_state_changed(vcpu->cpu);
	}
	return 0;
}

/* kvm_vcpu_ioctl_x86_get_vcpu_events() */
static long kvm_vcpu_ioctl_get_vcpu_events(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_vcpu_events ev;
	struct cpu *c = vcpu->cpu;
	uint8_t vec;
	bool he;
	uint32_t err;

	memset(&ev, 0, sizeof(ev));
	/* without KVM_CAP_EXCEPTION_PAYLOAD a pending exception reads as injected */
	if (cpu_pending_exception(c, &vec, &he, &err)) {
		ev.exception.injected = 1;
		ev.exception.nr = vec;
		ev.exception.has_error_code = he;
		ev.exception.error_code = err;
	}
	ev.interrupt.injected = vcpu->arch.queued_irq >= 0;
	ev.interrupt.nr = vcpu->arch.queued_irq >= 0 ? (uint8_t)vcpu->arch.queued_irq : 0;
	ev.interrupt.shadow = ((c->shadow & CPU_SHADOW_MOVSS) ? KVM_X86_SHADOW_INT_MOV_SS : 0) |
			      ((c->shadow & CPU_SHADOW_STI) ? KVM_X86_SHADOW_INT_STI : 0);
	ev.nmi.pending = vcpu->arch.nmi_queued != 0;
	ev.nmi.masked = c->nmi_blocked;
	ev.smi.smm = is_smm(vcpu);
	ev.smi.pending = vcpu->arch.smi_pending;
	ev.smi.smm_inside_nmi = vcpu->arch.smm_inside_nmi;
	ev.smi.latched_init = is_smm(vcpu) && kvm_apic_init_pending(vcpu);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	return copy_to_user(argp, &ev, sizeof(ev)) ? -EFAULT : 0;
}

/* kvm_vcpu_ioctl_x86_set_vcpu_events() */
static long kvm_vcpu_ioctl_set_vcpu_events(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_vcpu_events ev;
	struct cpu *c = vcpu->cpu;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	if (ev.flags & ~(uint32_t)(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
				   KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |
				   KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT))
		return -EINVAL;
	/* no KVM_CAP_EXCEPTION_PAYLOAD and no KVM_CAP_X86_TRIPLE_FAULT_EVENT: those flags are invalid */
	if (ev.flags & (KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT))
		return -EINVAL;
	ev.exception.pending = 0;
	if (ev.exception.injected && (ev.exception.nr > 31 || ev.exception.nr == CPU_EXC_NMI))
		return -EINVAL;
	/* SMM and wait-for-SIPI exclude each other */
	if ((ev.flags & KVM_VCPUEVENT_VALID_SMM) && (ev.smi.smm || ev.smi.pending) &&
	    vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return -EINVAL;

	cpu_clear_pending_exception(c);
	if (ev.exception.injected)
		cpu_queue_exception(c, ev.exception.nr, ev.exception.has_error_code, ev.exception.error_code);
	vcpu->arch.queued_irq = ev.interrupt.injected ? ev.interrupt.nr : -1;
	if (ev.flags & KVM_VCPUEVENT_VALID_SHADOW)
		c->shadow = ((ev.interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS) ? CPU_SHADOW_MOVSS : 0) |
			    ((ev.interrupt.shadow & KVM_X86_SHADOW_INT_STI) ? CPU_SHADOW_STI : 0);
	if (ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->arch.nmi_queued = ev.nmi.pending ? 1 : 0;
	c->nmi_blocked = ev.nmi.masked;
	if (ev.flags & KVM_VCPUEVENT_VALID_SMM) {
		if (is_smm(vcpu) != !!ev.smi.smm)
			kvm_smm_changed(vcpu, ev.smi.smm);
		vcpu->arch.smi_pending = ev.smi.pending;
		if (ev.smi.smm)
			vcpu->arch.smm_inside_nmi = ev.smi.smm_inside_nmi;
		if (vcpu->arch.apic)
			kvm_apic_set_init_pending(vcpu, ev.smi.latched_init);
	}
	return 0;
}

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg)
{
	void *argp = ARG_PTR(arg);

	switch (ioctl) {
	case KVM_GET_REGS: {
		struct kvm_regs regs;

		kvm_get_regs(vcpu, &regs);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	}
	case KVM_SET_REGS: {
		struct kvm_regs regs;

		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		kvm_set_regs(vcpu, &regs);
		return 0;
	}
	case KVM_GET_SREGS: {
		struct kvm_sregs sregs;

		kvm_get_sregs(vcpu, &sregs);
		return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
	}
	case KVM_SET_SREGS: {
		struct kvm_sregs sregs;

		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		return kvm_set_sregs(vcpu, &sregs);
	}
	case KVM_GET_SREGS2: {
		struct kvm_sregs2 sregs2;

		kvm_get_sregs2(vcpu, &sregs2);
		return copy_to_user(argp, &sregs2, sizeof(sregs2)) ? -EFAULT : 0;
	}
	case KVM_SET_SREGS2: {
		struct kvm_sregs2 sregs2;

		if (copy_from_user(&sregs2, argp, sizeof(sregs2)))
			return -EFAULT;
		return kvm_set_sregs2(vcpu, &sregs2);
	}
	case KVM_SET_CPUID2:
		return kvm_vcpu_ioctl_set_cpuid2(vcpu, argp);
	case KVM_SET_CPUID:
		return kvm_vcpu_ioctl_set_cpuid(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvm_vcpu_ioctl_get_cpuid2(vcpu, argp);
	case KVM_GET_MSRS:
		return kvm_vcpu_ioctl_msrs(vcpu, argp, false);
	case KVM_SET_MSRS:
		return kvm_vcpu_ioctl_msrs(vcpu, argp, true);
	case KVM_X86_SETUP_MCE:
		return kvm_vcpu_ioctl_setup_mce(vcpu, argp);
	case KVM_X86_SET_MCE:
		return kvm_vcpu_ioctl_set_mce(vcpu, argp);
	case KVM_GET_FPU:
		return kvm_vcpu_ioctl_get_fpu(vcpu, argp);
	case KVM_SET_FPU:
		return kvm_vcpu_ioctl_set_fpu(vcpu, argp);
	case KVM_GET_XSAVE:
	case KVM_GET_XSAVE2:
		return kvm_vcpu_ioctl_get_xsave(vcpu, argp);
	case KVM_SET_XSAVE:
		return kvm_vcpu_ioctl_set_xsave(vcpu, argp);
	case KVM_GET_XCRS:
		return kvm_vcpu_ioctl_get_xcrs(vcpu, argp);
	case KVM_SET_XCRS:
		return kvm_vcpu_ioctl_set_xcrs(vcpu, argp);
	case KVM_SET_GUEST_DEBUG: {
		struct kvm_guest_debug dbg;
		const uint32_t valid = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
				       KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP |
				       KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP | KVM_GUESTDBG_BLOCKIRQ;
		uint8_t v;
		bool he;
		uint32_t err;

		if (copy_from_user(&dbg, argp, sizeof(dbg)))
			return -EFAULT;
		if (dbg.control & ~valid)
			return -EINVAL;
		if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
			if (cpu_pending_exception(vcpu->cpu, &v, &he, &err))
				return -EBUSY;
			cpu_queue_exception(vcpu->cpu, (dbg.control & KVM_GUESTDBG_INJECT_DB) ? CPU_EXC_DB : CPU_EXC_BP,
					    false, 0);
		}
		if (!(dbg.control & KVM_GUESTDBG_ENABLE))
			dbg.control = 0;
		vcpu->cpu->singlestep_exit = (dbg.control & KVM_GUESTDBG_SINGLESTEP) != 0;
		vcpu->cpu->intercept_int3 = (dbg.control & KVM_GUESTDBG_USE_SW_BP) != 0;
		/* the debugger's DR0-DR3/DR7 replace the guest's for matching (eff_db) */
		vcpu->cpu->hwbp_exit = (dbg.control & KVM_GUESTDBG_USE_HW_BP) != 0;
		for (int i = 0; i < 4; i++)
			vcpu->cpu->host_dr[i] = dbg.arch.debugreg[i];
		vcpu->cpu->host_dr[7] = dbg.arch.debugreg[7];
		cpu_state_changed(vcpu->cpu);
		return 0;
	}
	case KVM_INTERRUPT: {
		struct kvm_interrupt irq;

		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		/* kvm_vcpu_ioctl_interrupt(): KVM_NR_INTERRUPTS is 256 */
		if (irq.irq >= 256)
			return -EINVAL;
		/* with the in-kernel PIC, interrupts come from the chips, not from userspace */
		if (irqchip_in_kernel(vcpu->kvm))
			return -ENXIO;
		vcpu->arch.queued_irq = (int)irq.irq;
		return 0;
	}
	case KVM_NMI:
		/* KVM keeps at most one NMI pending behind one being delivered (process_nmi()) */
		if (vcpu->arch.nmi_queued < 2)
			vcpu->arch.nmi_queued++;
		return 0;
	case KVM_SMI:
		/* kvm_inject_smi(): taken at the next entry unless the vCPU is in SMM */
		vcpu->arch.smi_pending = true;
		kvm_vcpu_kick(vcpu);
		return 0;
	case KVM_GET_MP_STATE: {
		struct kvm_mp_state mp;

		/* kvm_arch_vcpu_ioctl_get_mpstate(): latched INIT/SIPI count first */
		accept_apic_events(vcpu);
		mp.mp_state = vcpu->arch.mp_state;
		if (mp.mp_state == KVM_MP_STATE_HALTED && vcpu->arch.pv_unhalted)
			mp.mp_state = KVM_MP_STATE_RUNNABLE;
		return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
	}
	case KVM_SET_MP_STATE: {
		struct kvm_mp_state mp;

		if (copy_from_user(&mp, argp, sizeof(mp)))
			return -EFAULT;
		/* kvm_arch_vcpu_ioctl_set_mpstate(): without a LAPIC only RUNNABLE exists */
		if (!vcpu->arch.apic && mp.mp_state != KVM_MP_STATE_RUNNABLE)
			return -EINVAL;
		/* kvm_apic_init_sipi_allowed(): no wait-for-SIPI state while in SMM */
		if (is_smm(vcpu) && (mp.mp_state == KVM_MP_STATE_INIT_RECEIVED ||
				     mp.mp_state == KVM_MP_STATE_SIPI_RECEIVED))
			return -EINVAL;
		switch (mp.mp_state) {
		case KVM_MP_STATE_RUNNABLE:
		case KVM_MP_STATE_UNINITIALIZED:
		case KVM_MP_STATE_INIT_RECEIVED:
		case KVM_MP_STATE_HALTED:
			vcpu->arch.mp_state = mp.mp_state;
			return 0;
		case KVM_MP_STATE_SIPI_RECEIVED:
			/* wait-for-SIPI with the last SIPI vector latched */
			vcpu->arch.mp_state = KVM_MP_STATE_INIT_RECEIVED;
			kvm_apic_latch_sipi(vcpu);
			return 0;
		default:
			return -EINVAL;	/* s390 and SEV-ES states do not exist here */
		}
	}
	case KVM_TPR_ACCESS_REPORTING: {
		struct kvm_tpr_access_ctl tac;

		/*
		 * vcpu_ioctl_tpr_access_reporting() only checks flags: without an in-kernel
		 * LAPIC the setting is accepted and has nothing to report (TPR accesses exit
		 * to userspace as MMIO anyway).
		 */
		if (copy_from_user(&tac, argp, sizeof(tac)))
			return -EFAULT;
		if (tac.flags)
			return -EINVAL;
		if (vcpu->arch.apic)
			kvm_lapic_tpr_access_reporting(vcpu, tac.enabled != 0);
		return copy_to_user(argp, &tac, sizeof(tac)) ? -EFAULT : 0;
	}
	case KVM_SET_VAPIC_ADDR: {
		struct kvm_vapic_addr va;

		if (!vcpu->arch.apic)
			return -EINVAL;
		if (copy_from_user(&va, argp, sizeof(va)))
			return -EFAULT;
		return kvm_lapic_set_vapic_addr(vcpu, va.vapic_addr);
	}
	case KVM_GET_LAPIC:
	case KVM_SET_LAPIC: {
		struct kvm_lapic_state s;

		if (!vcpu->arch.apic)
			return -EINVAL;
		if (ioctl == KVM_GET_LAPIC) {
			kvm_apic_get_state(vcpu, &s);
			return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
		}
		if (copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		return kvm_apic_set_state(vcpu, &s);
	}
	case KVM_GET_VCPU_EVENTS:
		return kvm_vcpu_ioctl_get_vcpu_events(vcpu, argp);
	case KVM_SET_VCPU_EVENTS:
		return kvm_vcpu_ioctl_set_vcpu_events(vcpu, argp);
	case KVM_GET_TSC_KHZ:
		return vcpu->arch.tsc_khz;
	case KVM_SET_TSC_KHZ: {
		/* A new rate keeps the TSC value continuous at the moment of the change. */
		uint32_t khz = (uint32_t)arg ? (uint32_t)arg : SWKVM_TSC_KHZ;
		uint64_t now = vcpu_read_tsc(vcpu);

		if ((uint32_t)arg >= SWKVM_MAX_TSC_KHZ)
			return -EINVAL;
		vcpu->arch.tsc_khz = khz;
		vcpu->arch.tsc_offset = now - kvm_scaled_host_tsc(vcpu);
		return 0;
	}
	case KVM_GET_DEBUGREGS: {
		struct kvm_debugregs d;

		memset(&d, 0, sizeof(d));
		memcpy(d.db, vcpu->cpu->dr, sizeof(d.db));
		d.dr6 = vcpu->cpu->dr[6];
		d.dr7 = vcpu->cpu->dr[7];
		return copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
	}
	case KVM_SET_DEBUGREGS: {
		struct kvm_debugregs d;

		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		/* kvm_vcpu_ioctl_x86_set_debugregs(): no flags, DR6/DR7 upper halves must be 0 */
		if (d.flags || (d.dr6 >> 32) || (d.dr7 >> 32))
			return -EINVAL;
		/* stored as given, like kvm_vcpu_ioctl_x86_set_debugregs() */
		memcpy(vcpu->cpu->dr, d.db, sizeof(d.db));
		vcpu->cpu->dr[6] = d.dr6;
		vcpu->cpu->dr[7] = d.dr7;
		cpu_state_changed(vcpu->cpu);
		return 0;
	}
	case KVM_ENABLE_CAP: {
		/* kvm_vcpu_ioctl_enable_cap(): no flags; of the vCPU capabilities only this one */
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		if (cap.flags || cap.cap != KVM_CAP_ENFORCE_PV_FEATURE_CPUID)
			return -EINVAL;
		vcpu->arch.pv_enforce = cap.args[0] != 0;
		return 0;
	}
	case KVM_KVMCLOCK_CTRL:
		return kvm_vcpu_ioctl_kvmclock_ctrl(vcpu);
	case KVM_TRANSLATE: {
		struct kvm_translation t;
		uint64_t gpa;
		bool w = false, u = false, ok;

		if (copy_from_user(&t, argp, sizeof(t)))
			return -EFAULT;
		/* kvm_arch_vcpu_ioctl_translate(): valid=0 and an all-ones address on failure */
		vcpu_pin_slots(vcpu);
		ok = cpu_translate(vcpu->cpu, t.linear_address, &gpa, &w, &u);
		vcpu_unpin_slots(vcpu);
		if (ok) {
			t.physical_address = gpa;
			t.valid = 1;
		} else {
			t.physical_address = ~0ull;
			t.valid = 0;
		}
		t.writeable = w;
		t.usermode = u;
		return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
	}
	default:
		/* kvm_arch_vcpu_ioctl()'s default on x86 */
		return -EINVAL;
	}
}
