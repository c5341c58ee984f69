// SPDX-License-Identifier: GPL-2.0-only
// x86-specific vCPU state of the hypervisor (what KVM keeps in struct kvm_vcpu_arch).
#ifndef SWKVM_KVM_X86_X86_H
#define SWKVM_KVM_X86_X86_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

/* IA32_APIC_BASE (SDM Vol.3 §12.4.4) */
#define APIC_DEFAULT_PHYS_BASE		0xfee00000ull
#define MSR_IA32_APICBASE_BSP		(1ull << 8)
#define MSR_IA32_APICBASE_EXTD		(1ull << 10)
#define MSR_IA32_APICBASE_ENABLE	(1ull << 11)

#define MSR_IA32_TSC		0x00000010
#define MSR_IA32_APICBASE	0x0000001b
#define MSR_EFER		0xc0000080

struct kvm_vcpu_arch {
	int maxphyaddr;			/* from the guest CPUID, 36 without leaf 0x80000008 */
	struct kvm_cpuid_entry2 *cpuid_entries;	/* the guest's CPUID (KVM_SET_CPUID2) */
	int cpuid_nent;
	uint64_t tsc_offset;		/* guest TSC = scaled host clock + offset */
	uint32_t tsc_khz;		/* KVM_GET/SET_TSC_KHZ */
	uint64_t pv_time;		/* MSR_KVM_SYSTEM_TIME(_NEW): GPA | enable (kvmclock.c) */
	bool pv_time_stopped;		/* KVM_KVMCLOCK_CTRL: set PVCLOCK_GUEST_STOPPED once */
	bool pv_enforce;		/* KVM_CAP_ENFORCE_PV_FEATURE_CPUID */
	uint64_t st_msr;		/* MSR_KVM_STEAL_TIME: 64-byte-aligned GPA | enable (pv.c) */
	uint64_t st_last;		/* run delay already reported */
	int st_fd, st_tid;		/* /proc/thread-self/schedstat of the thread running us */
	uint64_t poll_control;		/* MSR_KVM_POLL_CONTROL (reset 1) */
	bool has_run;
	int queued_irq;			/* KVM_INTERRUPT vector waiting for entry, or -1 */
	unsigned nmi_queued;		/* KVM_NMI requests not yet delivered (at most 2) */
	uint32_t mp_state;		/* KVM_MP_STATE_* */			/* KVM_RUN was called once (CPUID is frozen) */
	uint64_t pat;
	uint64_t misc_enable;
	uint64_t mtrr_deftype;
	uint64_t mtrr_var[16];		/* PHYSBASE0, PHYSMASK0, ... PHYSMASK7 */
	uint64_t mtrr_fixed[11];
	uint64_t mcg_cap, mcg_status, mcg_ctl;	/* KVM_X86_SETUP_MCE and the MCG MSRs */
	uint64_t mce_banks[32 * 4];		/* MCi_CTL, STATUS, ADDR, MISC */	/* 64K_00000, 16K_80000, 16K_A0000, 4K_C0000..4K_F8000 */
	struct kvm_lapic *apic;		/* in-hypervisor LAPIC (x86/lapic.c), NULL without an irqchip */
	bool pv_unhalted;		/* KVM_HC_KICK_CPU woke this vCPU from HLT */
	uint64_t pv_eoi_msr;		/* MSR_KVM_PV_EOI_EN (lapic.c) */
	uint64_t apf_en, apf_int;	/* MSR_KVM_ASYNC_PF_EN / _INT (pv.c) */
	uint64_t microcode_version;	/* MSR_IA32_UCODE_REV */
	uint64_t platform_info;		/* MSR_PLATFORM_INFO: CPUID faulting offered */
	uint64_t misc_features_enables;	/* MSR_MISC_FEATURES_ENABLES: CPUID faulting on */
	/* SMM (smm.c) */
	bool smm;			/* HF_SMM_MASK: in SMM, using address space 1 */
	bool smm_inside_nmi;		/* HF_SMM_INSIDE_NMI_MASK: NMIs were blocked at the SMI */
	bool smi_pending;
	uint32_t smbase;		/* MSR_IA32_SMBASE, 0x30000 at RESET */
	uint64_t smi_count;		/* MSR_SMI_COUNT */
	bool triple_fault;		/* a failed SMM transition: KVM_EXIT_SHUTDOWN */
	/* KVM_EXIT_TPR_ACCESS owed to userspace once the accessing instruction completed */
	bool tpr_report, tpr_report_write;
	uint64_t tpr_report_rip;
};

long kvm_dev_ioctl_get_supported_cpuid(void *argp);
uint64_t kvm_scaled_host_tsc(struct kvm_vcpu *vcpu);
uint64_t kvm_host_ns(void);
uint64_t kvm_scaled_tsc_at(struct kvm_vcpu *vcpu, uint64_t ns);
/* Pin the memslots for a guest-memory access outside KVM_RUN (takes slots_lock). */
void vcpu_pin_slots(struct kvm_vcpu *vcpu);
void vcpu_unpin_slots(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_set_cpuid(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, void *argp);
long kvm_dev_ioctl_get_mce_cap(void *argp);
long kvm_vcpu_ioctl_setup_mce(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_set_mce(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_get_fpu(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_set_fpu(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_get_xsave(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_set_xsave(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_get_xcrs(struct kvm_vcpu *vcpu, void *argp);
long kvm_vcpu_ioctl_set_xcrs(struct kvm_vcpu *vcpu, void *argp);
int kvm_set_efer(struct kvm_vcpu *vcpu, uint64_t efer, bool host_initiated);
void kvm_msrs_reset(struct kvm_vcpu *vcpu, bool init_event);
long kvm_dev_ioctl_get_msr_index_list(void *argp);
long kvm_dev_ioctl_get_msr_feature_index_list(void *argp);
long kvm_vcpu_ioctl_msrs(struct kvm_vcpu *vcpu, void *argp, bool set);
bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, uint64_t cr4);
bool kvm_apic_base_invalid(struct kvm_vcpu *vcpu, uint64_t data);
bool guest_cpuid_has(struct kvm_vcpu *vcpu, uint32_t leaf, int reg, int bit);
bool guest_pv_has(struct kvm_vcpu *vcpu, int feature);
struct kvm_cpuid_entry2 *kvm_find_cpuid_entry_index(struct kvm_vcpu *vcpu, uint32_t function,
						     uint32_t index);

enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* kvmclock.c: the flags KVM_SET_CLOCK accepts (the kernel's KVM_CLOCK_VALID_FLAGS) */
struct kvm;
#define KVM_CLOCK_VALID_FLAGS (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)
void kvm_clock_init(struct kvm *kvm);
/* Guest-physical access within one page through vcpu->slots (writes mark it dirty). */
bool kvm_read_guest_page(struct kvm_vcpu *vcpu, uint64_t gpa, void *data, size_t len);
bool kvm_write_guest_page(struct kvm_vcpu *vcpu, uint64_t gpa, const void *data, size_t len);
/* pv.c: steal time and poll control; same return convention as the kvmclock MSRs */
int kvm_pv_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated);
int kvm_pv_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated);
void kvm_record_steal_time(struct kvm_vcpu *vcpu);
void kvm_pv_vcpu_destroy(struct kvm_vcpu *vcpu);
/* The kvmclock MSRs: 0 = handled, 1 = not a kvmclock MSR, -1 = refused (#GP) */
int kvm_pvclock_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated);
int kvm_pvclock_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated);
/* Writes the vCPU's pvclock_vcpu_time_info if enabled; needs vcpu->slots (guest entry). */
void kvm_guest_time_update(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_kvmclock_ctrl(struct kvm_vcpu *vcpu);
uint64_t kvm_get_kvmclock_ns(struct kvm *kvm);
long kvm_vm_ioctl_get_clock(struct kvm *kvm, void *argp);
long kvm_vm_ioctl_set_clock(struct kvm *kvm, void *argp);

/* The KVM_X86_QUIRK_* swkvm implements (KVM_CAP_DISABLE_QUIRKS2), all on by default */
#define SWKVM_QUIRKS (KVM_X86_QUIRK_LINT0_REENABLED | KVM_X86_QUIRK_LAPIC_MMIO_HOLE | \
		      KVM_X86_QUIRK_FIX_HYPERCALL_INSN)

/* smm.c */
bool is_smm(struct kvm_vcpu *vcpu);
void kvm_smm_changed(struct kvm_vcpu *vcpu, bool entering);
bool kvm_enter_smm(struct kvm_vcpu *vcpu);
int kvm_leave_smm(struct kvm_vcpu *vcpu);
/* The memslots of the vCPU's current address space (SMM or not). */
struct kvm_memslots;
struct kvm_memslots *kvm_vcpu_memslots(struct kvm_vcpu *vcpu);

/* irqchip.c: the in-hypervisor irqchip as a whole */
enum { KVM_IRQCHIP_NONE = 0, KVM_IRQCHIP_KERNEL = 1 };
bool irqchip_in_kernel(struct kvm *kvm);
long kvm_irqchip_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
void kvm_irqchip_destroy(struct kvm *kvm);
/* lapic.c: follow-ups of KVM_SET_CPUID2 and KVM_X86_SETUP_MCE */
void kvm_lapic_after_set_cpuid(struct kvm_vcpu *vcpu);
void kvm_apic_after_set_mcg_cap(struct kvm_vcpu *vcpu);

#endif
