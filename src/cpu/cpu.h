// SPDX-License-Identifier: GPL-2.0-only
// The software x86-64 CPU's public contract: state, the exit contract, and the host hooks.
//
// cpu/ is "the hardware". It knows nothing of KVM: it executes guest code until
// something needs the hypervisor and reports that as a struct cpu_exit. kvm/ is the
// only user of this header. See docs/design.md, "The exit contract".
#ifndef SWKVM_CPU_CPU_H
#define SWKVM_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/state.h"

/*
 * Hooks the CPU calls into its host (the hypervisor). They must not block for long
 * and must not re-enter cpu_run().
 */
struct cpu_host_ops {
	/*
	 * Host address of guest-physical page frame `gfn` (gpa >> 12), or NULL when the
	 * frame is not RAM (the access becomes an MMIO exit). With `write`, return NULL
	 * for read-only RAM too; a non-NULL answer to a write lookup means the page is
	 * writable and has been marked dirty. The CPU may cache the answer in its soft
	 * TLB until cpu_flush_tlb()/cpu_flush_mem() is called.
	 */
	uint8_t *(*gpa_page)(void *opaque, uint64_t gfn, bool write);
	/* Current guest TSC value (RDTSC/RDTSCP). */
	uint64_t (*read_tsc)(void *opaque);
};

enum cpu_exit_reason {
	CPU_EXIT_NONE = 0,
	CPU_EXIT_REQUEST,	/* *attention became non-zero: the host wants control */
	CPU_EXIT_IO,		/* IN/OUT/INS/OUTS element; see exit.io */
	CPU_EXIT_MMIO,		/* load/store to a guest-physical address that is not RAM */
	CPU_EXIT_HLT,		/* HLT executed at CPL 0; RIP is past the HLT */
	CPU_EXIT_SHUTDOWN,	/* triple fault; state is the one at the fault */
	CPU_EXIT_CPUID,		/* CPUID; RIP at the insn, host fills regs and calls cpu_skip_insn() */
	CPU_EXIT_RDMSR,		/* RDMSR; exit.msr.index, RIP at the insn */
	CPU_EXIT_WRMSR,		/* WRMSR; exit.msr.index/data, RIP at the insn */
	CPU_EXIT_UNHANDLED,	/* a valid instruction the CPU cannot execute; RIP at the insn */
	CPU_EXIT_IRQ_WINDOW,	/* irq_window_exit/nmi_window_exit: the event became deliverable */
	CPU_EXIT_DEBUG,		/* host debugging: single-step (RIP past the insn) or INT3 (RIP at it) */
	CPU_EXIT_HYPERCALL,	/* VMCALL or VMMCALL; RIP at the insn, insn_len set */
	CPU_EXIT_RSM,		/* RSM; RIP at the insn: SMM (and its #UD outside it) is the host's */
};

/*
 * I/O model (docs/design.md): every port or MMIO access inside one instruction is an
 * event. A read event, and a port write event, stop the CPU *before* the instruction
 * commits: registers, flags, memory and RIP are unchanged, RIP points at the
 * instruction (as KVM's fast PIO and MMIO-read paths leave it). The host answers with
 * cpu_complete_read() or cpu_complete_write(), and the next cpu_run() replays the
 * instruction, consuming the answers in order instead of repeating the accesses.
 * An MMIO write does not stop the CPU mid-instruction: the instruction commits and
 * the write is reported afterwards (RIP past the instruction), as KVM's emulator does.
 * String instructions with REP perform one element per I/O event.
 */
struct cpu_exit_io {
	uint16_t port;
	uint8_t size;		/* 1, 2 or 4 */
	bool write;
	uint32_t data;		/* for writes */
};

struct cpu_exit_mmio {
	uint64_t gpa;
	uint8_t size;		/* 1..8; wider accesses are split into several events */
	bool write;
	uint8_t data[8];	/* for writes, little endian */
	uint64_t rip;		/* for writes (reported after commit): the instruction's RIP */
};

struct cpu_exit {
	enum cpu_exit_reason reason;
	uint8_t insn_len;	/* length of the instruction for CPUID/MSR exits */
	union {
		struct cpu_exit_io io;
		struct cpu_exit_mmio mmio;
		struct {
			uint32_t index;
			uint64_t data;
		} msr;
		struct {
			uint8_t len;	/* number of valid bytes in insn[] */
			uint8_t insn[15];
		} unhandled;
		struct {
			uint8_t vector;	/* 1 (#DB: single-step) or 3 (#BP: INT3) */
			uint64_t dr6;
		} debug;
		struct {
			bool vmmcall;	/* AMD's VMMCALL (0F 01 D9) rather than VMCALL (0F 01 C1) */
		} hypercall;
	};
};

/* Lifecycle. cpu_create() leaves the CPU in the power-on (RESET) state of SDM Vol.3 §10.1.1. */
struct cpu *cpu_create(const struct cpu_host_ops *ops, void *opaque);
void cpu_destroy(struct cpu *cpu);
/* RESET (init=false) or INIT (init=true) state, SDM Vol.3 Table 10-1. */
void cpu_reset(struct cpu *cpu, bool init);

/*
 * Runs until an exit. Returns the reason (also in out->reason). The CPU checks
 * *cpu->attention between instructions (at least every block) and returns
 * CPU_EXIT_REQUEST when it is non-zero; it never clears it.
 */
enum cpu_exit_reason cpu_run(struct cpu *cpu, struct cpu_exit *out);

/* Answers to I/O events (see the I/O model above). */
void cpu_complete_read(struct cpu *cpu, const void *data, unsigned size);
void cpu_complete_write(struct cpu *cpu);
/*
 * After cpu_complete_read()/cpu_complete_write(): replay and commit only the pending
 * instruction (KVM completes userspace I/O on re-entry before it looks at
 * immediate_exit). Returns CPU_EXIT_NONE when the instruction committed, or the exit
 * it produced instead (another I/O event of the same instruction, a fault that became
 * a shutdown, ...). Does not look at *attention. With no pending event it does nothing
 * and returns CPU_EXIT_NONE.
 */
enum cpu_exit_reason cpu_finish_io(struct cpu *cpu, struct cpu_exit *out);
/* True while an I/O event awaits its answer (the instruction has not committed). */
bool cpu_io_pending(const struct cpu *cpu);
/* Drops a pending I/O event without completing it (state is as before the insn). */
void cpu_cancel_io(struct cpu *cpu);

/* For CPUID/MSR exits: finish the intercepted instruction (RIP += len, clears RF, ends shadows). */
void cpu_skip_insn(struct cpu *cpu, unsigned len);
/* Raise an exception on the guest (delivered before the next instruction). */
void cpu_queue_exception(struct cpu *cpu, uint8_t vector, bool has_error, uint32_t error_code);

/*
 * The pending exception (queued, not yet delivered), for KVM_GET/SET_VCPU_EVENTS.
 * Returns false when none is pending.
 */
bool cpu_pending_exception(const struct cpu *cpu, uint8_t *vector, bool *has_error, uint32_t *error);
void cpu_clear_pending_exception(struct cpu *cpu);

/* External interrupts (used by the irqchip and KVM_INTERRUPT). */
bool cpu_interrupt_allowed(const struct cpu *cpu);	/* RFLAGS.IF=1 and no STI/MOV-SS shadow */
void cpu_deliver_interrupt(struct cpu *cpu, uint8_t vector);
void cpu_deliver_nmi(struct cpu *cpu);

/*
 * State accessors. Architectural state lives in struct cpu (state.h) and may be read
 * directly; after writing any field the host calls cpu_state_changed() so the CPU
 * recomputes its derived state (mode, TLB, decoded blocks).
 */
uint64_t cpu_get_rflags(struct cpu *cpu);		/* materialises lazy flags */
void cpu_set_rflags(struct cpu *cpu, uint64_t rflags);
void cpu_state_changed(struct cpu *cpu);
/* True when paging is PAE (not 4-level): CR0.PG, CR4.PAE, EFER.LMA clear. */
bool cpu_pae_paging(const struct cpu *cpu);
/*
 * Loads cpu->pdptr from the PDPT at `cr3` as MOV CR3 does. Returns 0, or -1 (pdptr
 * unchanged) when the table is not in RAM or a present entry has reserved bits set.
 */
int cpu_load_pdptrs(struct cpu *cpu, uint64_t cr3);

/*
 * MOV to CR0/CR3/CR4 as the guest would do it, with the same checks, for the host's
 * own state transitions (RSM). Returns 0, or -1 (nothing changed, no exception raised)
 * where the guest would get #GP.
 */
int cpu_set_cr(struct cpu *cpu, int cr, uint64_t val);

/* MSRs the CPU itself owns (EFER, STAR..., FS/GS bases, SYSENTER, PAT, TSC_AUX, ...). */
/* Returns 0, or -1 if the index is not a CPU-owned MSR. No #GP checks: kvm/ applies them. */
int cpu_msr_read(struct cpu *cpu, uint32_t index, uint64_t *value);
int cpu_msr_write(struct cpu *cpu, uint32_t index, uint64_t value);

/* Resets the x87/SSE state to its initial values (FCW 0x37f, MXCSR 0x1f80). */
void cpu_fpu_init(struct cpu *cpu);
#define CPU_MXCSR_MASK 0xffffu	/* MXCSR bits the CPU accepts (DAZ included) */

/* Memory map changed (memslots, dirty-log protection): drop cached host pointers. */
void cpu_flush_mem(struct cpu *cpu);
/* Guest-virtual to guest-physical translation with the current paging mode (KVM_TRANSLATE). */
bool cpu_translate(struct cpu *cpu, uint64_t gva, uint64_t *gpa, bool *writeable, bool *user);

#endif
