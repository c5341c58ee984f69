// SPDX-License-Identifier: GPL-2.0-only
// Architectural state of one software x86-64 CPU (struct cpu), shared by cpu/ and kvm/.
#ifndef SWKVM_CPU_STATE_H
#define SWKVM_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

/* General-purpose registers in encoding order (SDM Vol.2 §2.1.5, Table 2-2). */
enum cpu_gpr {
	CPU_RAX, CPU_RCX, CPU_RDX, CPU_RBX, CPU_RSP, CPU_RBP, CPU_RSI, CPU_RDI,
	CPU_R8, CPU_R9, CPU_R10, CPU_R11, CPU_R12, CPU_R13, CPU_R14, CPU_R15,
	CPU_NR_GPRS
};

/* Segment registers: the first six in the Sreg encoding order (SDM Vol.2 §3.1.1.3). */
enum cpu_sreg {
	CPU_ES, CPU_CS, CPU_SS, CPU_DS, CPU_FS, CPU_GS, CPU_LDTR, CPU_TR, CPU_NR_SREGS
};

/* A segment register with its hidden descriptor cache (same fields as struct kvm_segment). */
struct cpu_segment {
	uint64_t base;
	uint32_t limit;		/* byte granular, already expanded by G */
	uint16_t selector;
	uint8_t type;		/* descriptor type field, bits 0-3 */
	uint8_t s, dpl, present, avl, l, db, g;
	uint8_t unusable;
};

struct cpu_dtable {
	uint64_t base;
	uint16_t limit;
};

/* RFLAGS bits (SDM Vol.1 §3.4.3). */
#define CPU_FLAG_CF	(1u << 0)
#define CPU_FLAG_FIXED1	(1u << 1)
#define CPU_FLAG_PF	(1u << 2)
#define CPU_FLAG_AF	(1u << 4)
#define CPU_FLAG_ZF	(1u << 6)
#define CPU_FLAG_SF	(1u << 7)
#define CPU_FLAG_TF	(1u << 8)
#define CPU_FLAG_IF	(1u << 9)
#define CPU_FLAG_DF	(1u << 10)
#define CPU_FLAG_OF	(1u << 11)
#define CPU_FLAG_IOPL	(3u << 12)
#define CPU_FLAG_NT	(1u << 14)
#define CPU_FLAG_RF	(1u << 16)
#define CPU_FLAG_VM	(1u << 17)
#define CPU_FLAG_AC	(1u << 18)
#define CPU_FLAG_VIF	(1u << 19)
#define CPU_FLAG_VIP	(1u << 20)
#define CPU_FLAG_ID	(1u << 21)
#define CPU_FLAGS_ARITH	(CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF | CPU_FLAG_OF)

/* Control register bits used across layers (SDM Vol.3 §2.5). */
#define CPU_CR0_PE	(1ull << 0)
#define CPU_CR0_MP	(1ull << 1)
#define CPU_CR0_EM	(1ull << 2)
#define CPU_CR0_TS	(1ull << 3)
#define CPU_CR0_ET	(1ull << 4)
#define CPU_CR0_NE	(1ull << 5)
#define CPU_CR0_WP	(1ull << 16)
#define CPU_CR0_AM	(1ull << 18)
#define CPU_CR0_NW	(1ull << 29)
#define CPU_CR0_CD	(1ull << 30)
#define CPU_CR0_PG	(1ull << 31)

#define CPU_CR4_VME	(1ull << 0)
#define CPU_CR4_PVI	(1ull << 1)
#define CPU_CR4_TSD	(1ull << 2)
#define CPU_CR4_DE	(1ull << 3)
#define CPU_CR4_PSE	(1ull << 4)
#define CPU_CR4_PAE	(1ull << 5)
#define CPU_CR4_MCE	(1ull << 6)
#define CPU_CR4_PGE	(1ull << 7)
#define CPU_CR4_PCE	(1ull << 8)
#define CPU_CR4_OSFXSR	(1ull << 9)
#define CPU_CR4_OSXMMEXCPT (1ull << 10)
#define CPU_CR4_UMIP	(1ull << 11)
#define CPU_CR4_LA57	(1ull << 12)
#define CPU_CR4_FSGSBASE (1ull << 16)
#define CPU_CR4_PCIDE	(1ull << 17)
#define CPU_CR4_OSXSAVE	(1ull << 18)
#define CPU_CR4_SMEP	(1ull << 20)
#define CPU_CR4_SMAP	(1ull << 21)
#define CPU_CR4_PKE	(1ull << 22)

#define CPU_EFER_SCE	(1ull << 0)
#define CPU_EFER_LME	(1ull << 8)
#define CPU_EFER_LMA	(1ull << 10)
#define CPU_EFER_NXE	(1ull << 11)

/* Exception vectors (SDM Vol.3 Table 6-1). */
enum cpu_vector {
	CPU_EXC_DE = 0, CPU_EXC_DB = 1, CPU_EXC_NMI = 2, CPU_EXC_BP = 3, CPU_EXC_OF = 4,
	CPU_EXC_BR = 5, CPU_EXC_UD = 6, CPU_EXC_NM = 7, CPU_EXC_DF = 8, CPU_EXC_TS = 10,
	CPU_EXC_NP = 11, CPU_EXC_SS = 12, CPU_EXC_GP = 13, CPU_EXC_PF = 14, CPU_EXC_MF = 16,
	CPU_EXC_AC = 17, CPU_EXC_MC = 18, CPU_EXC_XM = 19,
};

struct cpu_host_ops;
struct cpu_internal;	/* decoder/executor/TLB state, private to cpu/ */

struct cpu {
	/* ---- architectural state: kvm/ reads it, writes it then calls cpu_state_changed() ---- */
	uint64_t gpr[CPU_NR_GPRS];
	uint64_t rip;
	struct cpu_segment seg[CPU_NR_SREGS];
	struct cpu_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	/*
	 * PAE paging's four PDPTE registers (SDM Vol.3 §4.4.1): loaded from the table at CR3
	 * by MOV to CR3 and by the CR0/CR4 writes that (re)enter PAE paging, and used by every
	 * walk until the next load, whatever the guest writes to that memory in between.
	 */
	uint64_t pdptr[4];
	uint64_t dr[8];		/* DR0-DR3, DR6 at [6], DR7 at [7]; [4],[5] unused */
	uint64_t xcr0;
	/*
	 * x87/MMX/SSE state in the FXSAVE layout (SDM Vol.1 §10.5.1, 64-bit form): FCW at 0,
	 * FSW 2, abridged FTW 4, FOP 6, FIP 8, FDP 16, MXCSR 24, MXCSR_MASK 28, ST/MM at
	 * 32 + 16*i, XMM at 160 + 16*i. The executor (CPU issue 5) works on this directly;
	 * KVM_GET/SET_FPU and KVM_GET/SET_XSAVE read and write it.
	 */
	uint8_t fxsave[512] __attribute__((aligned(16)));

	/* Interruptibility (SDM Vol.3 §25.4.2 names; KVM_GET_VCPU_EVENTS reports them). */
	uint8_t shadow;		/* CPU_SHADOW_* bits: blocking by STI / by MOV SS */
	bool nmi_blocked;	/* between NMI delivery and the next IRET */
	/* host requests: return CPU_EXIT_IRQ_WINDOW as soon as cpu_interrupt_allowed(), or
	 * (nmi_window_exit) as soon as an NMI could be delivered */
	bool irq_window_exit;
	bool nmi_window_exit;
	/*
	 * The VMX "TPR threshold" (SDM Vol.3 §30.1.2): while CR8 < tpr_threshold the CPU
	 * returns CPU_EXIT_IRQ_WINDOW between instructions, so a MOV to CR8 that unmasks a
	 * pending interrupt comes back to the host. 0 disables it.
	 */
	uint8_t tpr_threshold;
	/* set by every MOV to CR8 (even of the same value); the host clears it */
	bool cr8_written;
	/* host debugging (KVM_SET_GUEST_DEBUG): exit after every instruction; INT3 exits */
	bool singlestep_exit;
	bool intercept_int3;
	/*
	 * KVM_GUESTDBG_USE_HW_BP: breakpoints come from host_dr[0..3] and host_dr[7] instead
	 * of the guest's DR0-DR3/DR7, and a hit is CPU_EXIT_DEBUG rather than #DB. The host
	 * calls cpu_state_changed() after changing these or the guest's DRs.
	 */
	bool hwbp_exit;
	uint64_t host_dr[8];
	/*
	 * Optional instructions the CPU model exposes (CPU_FEAT_* bits). kvm/ sets them to
	 * match the guest's CPUID (then calls cpu_state_changed()); an encoding whose feature
	 * is absent raises #UD, or keeps its older meaning where the SDM says so (F3 0F BD
	 * without LZCNT is BSR). cpu_create() sets CPU_FEAT_DEFAULT; cpu_reset() keeps them.
	 */
	uint32_t features;

	/* event counters the CPU keeps for the host's statistics (only ever incremented) */
	struct {
		uint64_t pf_delivered;	/* page faults delivered to the guest */
		uint64_t invlpg;	/* INVLPG executed */
		uint64_t tlb_flush;	/* soft-TLB flushes (CR3/CR0/CR4 writes, INVLPG, ...) */
	} counters;

	/* ---- host linkage ---- */
	const struct cpu_host_ops *ops;
	void *opaque;
	/*
	 * The CPU returns CPU_EXIT_REQUEST when either word is non-zero. Both may be
	 * written by other threads or signal handlers; the CPU only reads them.
	 */
	const _Atomic uint32_t *attention;
	const volatile uint8_t *attention2;

	/* ---- everything else is private to cpu/ ---- */
	struct cpu_internal *in;
};

#define CPU_FEAT_POPCNT	(1u << 0)	/* CPUID.1:ECX[23] */
#define CPU_FEAT_MOVBE	(1u << 1)	/* CPUID.1:ECX[22] */
#define CPU_FEAT_LZCNT	(1u << 2)	/* CPUID.80000001H:ECX[5] (ABM) */
#define CPU_FEAT_BMI1	(1u << 3)	/* CPUID.(7,0):EBX[3]: TZCNT */
#define CPU_FEAT_RDTSCP	(1u << 4)	/* CPUID.80000001H:EDX[27] */
#define CPU_FEAT_XSAVE	(1u << 5)	/* CPUID.1:ECX[26]: CR4.OSXSAVE may be set */
#define CPU_FEAT_SMEP	(1u << 16)	/* CPUID.(7,0):EBX[7]: CR4.SMEP may be set */
#define CPU_FEAT_SMAP	(1u << 17)	/* CPUID.(7,0):EBX[20]: CR4.SMAP, STAC/CLAC */
#define CPU_FEAT_UMIP	(1u << 18)	/* CPUID.(7,0):ECX[2]: CR4.UMIP may be set */
#define CPU_FEAT_PCID	(1u << 19)	/* CPUID.1:ECX[17]: CR4.PCIDE may be set */
#define CPU_FEAT_INVPCID (1u << 20)	/* CPUID.(7,0):EBX[10]: INVPCID */
/* what kvm/x86/cpuid.c advertises today */
#define CPU_FEAT_DEFAULT (CPU_FEAT_POPCNT | CPU_FEAT_MOVBE)
#define CPU_FEAT_ALL	(CPU_FEAT_POPCNT | CPU_FEAT_MOVBE | CPU_FEAT_LZCNT | CPU_FEAT_BMI1 | CPU_FEAT_RDTSCP | \
			 CPU_FEAT_XSAVE | CPU_FEAT_SMEP | CPU_FEAT_SMAP | CPU_FEAT_UMIP | \
			 CPU_FEAT_PCID | CPU_FEAT_INVPCID)

#define CPU_SHADOW_STI	1
#define CPU_SHADOW_MOVSS 2

#endif
