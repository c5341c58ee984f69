// SPDX-License-Identifier: GPL-2.0-only
// MSRs: the rules for guest RDMSR/WRMSR and host KVM_GET/SET_MSRS, the MSRs the
// hypervisor owns (APIC base, TSC, PAT, MTRRs, MISC_ENABLE), and the MSR ioctls.
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include "kvm/x86/lapic.h"
#include <linux/kvm_para.h>

#define MSR_MTRRcap		0x000000fe
#define MSR_SMI_COUNT		0x00000034
#define MSR_IA32_UCODE_WRITE	0x00000079
#define MSR_IA32_UCODE_REV	0x0000008b
#define MSR_PLATFORM_INFO	0x000000ce
#define MSR_MISC_FEATURES_ENABLES 0x00000140
#define PLATFORM_INFO_CPUID_FAULT (1ull << 31)
#define MISC_FEATURES_CPUID_FAULT (1ull << 0)
/* KVM's microcode revision for guests (kvm_arch_vcpu_create()): EDX = 1 */
#define KVM_MICROCODE_VERSION	0x100000000ull
#define MSR_IA32_SMBASE		0x0000009e
#define MSR_TSC_AUX		0xc0000103
#define MSR_IA32_SYSENTER_CS	0x00000174
#define MSR_IA32_SYSENTER_ESP	0x00000175
#define MSR_IA32_SYSENTER_EIP	0x00000176
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MSR_MTRRphysBase0	0x00000200
#define MSR_MTRRphysMask7	0x0000020f
#define MSR_MTRRfix64K_00000	0x00000250
#define MSR_MTRRfix16K_80000	0x00000258
#define MSR_MTRRfix16K_A0000	0x00000259
#define MSR_MTRRfix4K_C0000	0x00000268
#define MSR_MTRRfix4K_F8000	0x0000026f
#define MSR_IA32_CR_PAT		0x00000277
#define MSR_MTRRdefType		0x000002ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

#define MSR_IA32_MCG_CAP	0x00000179
#define MSR_IA32_MCG_STATUS	0x0000017a
#define MSR_IA32_MCG_CTL	0x0000017b
#define MSR_IA32_MC0_CTL	0x00000400
#define MCG_CTL_P		(1ull << 8)
#define MCG_SER_P		(1ull << 24)
#define KVM_MAX_MCE_BANKS	32
/* kvm_caps.supported_mce_cap */
#define SUPPORTED_MCE_CAP	(MCG_CTL_P | MCG_SER_P)

#define KVM_NR_VAR_MTRR 8
/* MTRRcap: 8 variable ranges, fixed ranges (bit 8), write-combining (bit 10). */
#define MTRRCAP_VALUE ((1ull << 10) | (1ull << 8) | KVM_NR_VAR_MTRR)
/* MISC_ENABLE at power-on: PEBS and BTS unavailable (kvm_vcpu_reset()). */
#define MISC_ENABLE_RESET ((1ull << 12) | (1ull << 11))
#define PAT_RESET 0x0007040600070406ull

/* The MSRs KVM_GET_MSR_INDEX_LIST reports; every one is accepted by KVM_SET/GET_MSRS. */
static const uint32_t msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_FS_BASE, MSR_GS_BASE, MSR_EFER,
	MSR_IA32_TSC, MSR_IA32_APICBASE, MSR_IA32_TSC_DEADLINE, MSR_IA32_CR_PAT,
	MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES, MSR_IA32_MISC_ENABLE,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
	MSR_MTRRdefType,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
	MSR_KVM_STEAL_TIME, MSR_KVM_POLL_CONTROL, MSR_KVM_PV_EOI_EN,
	MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_ACK, MSR_TSC_AUX, MSR_IA32_SMBASE, MSR_SMI_COUNT,
};

void kvm_msrs_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	if (init_event)
		return;
	vcpu->arch.misc_features_enables = 0;		/* INIT keeps PAT, MTRRs and MISC_ENABLE (SDM Vol.3 Table 10-1) */
	vcpu->arch.pat = PAT_RESET;
	vcpu->arch.misc_enable = MISC_ENABLE_RESET;
	vcpu->arch.mtrr_deftype = 0;
	memset(vcpu->arch.mtrr_var, 0, sizeof(vcpu->arch.mtrr_var));
	memset(vcpu->arch.mtrr_fixed, 0, sizeof(vcpu->arch.mtrr_fixed));
}

/* bool kvm_pat_valid() / kvm_mtrr_valid(): each memory type byte must be UC WC WT WP WB (UC- for PAT). */
static bool mem_type_valid(uint8_t t, bool pat)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

static bool all_bytes_valid(uint64_t v, bool pat)
{
	for (int i = 0; i < 8; i++)
		if (!mem_type_valid((uint8_t)(v >> (8 * i)), pat))
			return false;
	return true;
}

static int fixed_mtrr_index(uint32_t msr)
{
	if (msr == MSR_MTRRfix64K_00000)
		return 0;
	if (msr == MSR_MTRRfix16K_80000 || msr == MSR_MTRRfix16K_A0000)
		return 1 + (int)(msr - MSR_MTRRfix16K_80000);
	if (msr >= MSR_MTRRfix4K_C0000 && msr <= MSR_MTRRfix4K_F8000)
		return 3 + (int)(msr - MSR_MTRRfix4K_C0000);
	return -1;
}

/* kvm_mtrr_valid() (arch/x86/kvm/mtrr.c) */
static bool mtrr_valid(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	uint64_t rsvd;

	if (msr == MSR_MTRRdefType)
		/* type in bits 7:0 (no UC-), FE bit 10, E bit 11 */
		return !(data & ~0xcffull) && mem_type_valid((uint8_t)data, false);
	if (fixed_mtrr_index(msr) >= 0)
		return all_bytes_valid(data, false);
	/* variable ranges: bits above MAXPHYADDR are reserved */
	rsvd = ~((1ull << vcpu->arch.maxphyaddr) - 1);
	if (!(msr & 1))		/* PHYSBASEn: type in 7:0, bits 11:8 reserved */
		return mem_type_valid((uint8_t)data, false) && !(data & (rsvd | 0xf00));
	return !(data & (rsvd | 0x7ff));	/* PHYSMASKn: valid bit 11, bits 10:0 reserved */
}

/* kvm_set_apic_base(): reserved bits, and x2APIC enabled without xAPIC enabled. */
bool kvm_apic_base_invalid(struct kvm_vcpu *vcpu, uint64_t data)
{
	uint64_t reserved = ~((1ull << vcpu->arch.maxphyaddr) - 1) | 0x2ff;

	if (!guest_cpuid_has(vcpu, 1, CPUID_ECX, 21))	/* X2APIC */
		reserved |= MSR_IA32_APICBASE_EXTD;
	if (data & reserved)
		return true;
	return (data & (MSR_IA32_APICBASE_EXTD | MSR_IA32_APICBASE_ENABLE)) == MSR_IA32_APICBASE_EXTD;
}

/* EFER bits swkvm's CPU implements (KVM's kvm_caps.supported_efer_bits) */
#define SUPPORTED_EFER (CPU_EFER_SCE | CPU_EFER_LME | CPU_EFER_LMA | CPU_EFER_NXE)
#define EFER_SVME (1ull << 12)
#define EFER_FFXSR (1ull << 14)

/* __kvm_valid_efer(): the guest CPUID must offer what the bits enable */
static bool efer_valid_for_guest_cpuid(struct kvm_vcpu *vcpu, uint64_t efer)
{
	if ((efer & EFER_FFXSR) && !guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 25))
		return false;
	if ((efer & EFER_SVME) && !guest_cpuid_has(vcpu, 0x80000001, CPUID_ECX, 2))
		return false;
	if ((efer & (CPU_EFER_LME | CPU_EFER_LMA)) && !guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 29))
		return false;
	if ((efer & CPU_EFER_NXE) && !guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 20))
		return false;
	return true;
}

/*
 * set_efer() (arch/x86/kvm/x86.c; kvm-behaviours Part D): bits the CPU lacks fail for
 * everyone; a guest WRMSR must also fit its CPUID, may not toggle LME with paging on,
 * and cannot change LMA (the written LMA is ignored). Host writes have carte blanche
 * within what the CPU implements. Returns 0 or 1 (#GP for the guest).
 */
int kvm_set_efer(struct kvm_vcpu *vcpu, uint64_t efer, bool host_initiated)
{
	struct cpu *c = vcpu->cpu;

	if (efer & ~SUPPORTED_EFER)
		return 1;
	if (!host_initiated) {
		if (!efer_valid_for_guest_cpuid(vcpu, efer))
			return 1;
		if ((c->cr0 & CPU_CR0_PG) && ((efer ^ c->efer) & CPU_EFER_LME))
			return 1;
		efer = (efer & ~CPU_EFER_LMA) | (c->efer & CPU_EFER_LMA);
	}
	if (cpu_msr_write(c, MSR_EFER, efer))
		return 1;
	cpu_state_changed(c);	/* the MMU context follows NX, LME and LMA */
	return 0;
}

int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated)
{
	int fixed, pv = kvm_pvclock_get_msr(vcpu, index, data, host_initiated);

	if (pv > 0)
		pv = kvm_pv_get_msr(vcpu, index, data, host_initiated);
	if (pv <= 0)
		return pv ? 1 : 0;
	switch (index) {
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		*data = kvm_get_lapic_tscdeadline_msr(vcpu);
		return 0;
	case MSR_IA32_SMBASE:
		/* only userspace sees SMBASE (the guest relocates it through the SMRAM image) */
		if (!host_initiated)
			return 1;
		*data = vcpu->arch.smbase;
		return 0;
	case MSR_SMI_COUNT:
		*data = vcpu->arch.smi_count;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = vcpu->arch.microcode_version;
		return 0;
	case MSR_PLATFORM_INFO:
		*data = vcpu->arch.platform_info;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*data = vcpu->arch.misc_features_enables;
		return 0;
	case APIC_BASE_MSR ... APIC_BASE_MSR + 0xff:
		return kvm_x2apic_msr_read(vcpu, index, data);
	case MSR_IA32_TSC:
		*data = vcpu->cpu->ops->read_tsc(vcpu);
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vcpu->arch.pat;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->arch.misc_enable;
		return 0;
	case MSR_MTRRcap:
		*data = MTRRCAP_VALUE;
		return 0;
	case MSR_IA32_MCG_CAP:
		*data = vcpu->arch.mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = vcpu->arch.mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		/* only with MCG_CTL_P (the host may always read it) */
		if (!(vcpu->arch.mcg_cap & MCG_CTL_P) && !host_initiated)
			return 1;
		*data = vcpu->arch.mcg_ctl;
		return 0;
	case MSR_MTRRdefType:
		*data = vcpu->arch.mtrr_deftype;
		return 0;
	case MSR_MTRRphysBase0 ... MSR_MTRRphysMask7:
		*data = vcpu->arch.mtrr_var[index - MSR_MTRRphysBase0];
		return 0;
	default:
		fixed = fixed_mtrr_index(index);
		if (fixed >= 0) {
			*data = vcpu->arch.mtrr_fixed[fixed];
			return 0;
		}
		if (index >= MSR_IA32_MC0_CTL && index < MSR_IA32_MC0_CTL + 4 * (vcpu->arch.mcg_cap & 0xff)) {
			*data = vcpu->arch.mce_banks[index - MSR_IA32_MC0_CTL];
			return 0;
		}
		/* MSR_TSC_AUX: the guest needs RDTSCP in its CPUID; the host may always */
		if (index == MSR_TSC_AUX && !host_initiated && !guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 27))
			return 1;
		return cpu_msr_read(vcpu->cpu, index, data) ? 1 : 0;
	}
}

int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated)
{
	int fixed, pv = kvm_pvclock_set_msr(vcpu, index, data, host_initiated);

	if (pv > 0)
		pv = kvm_pv_set_msr(vcpu, index, data, host_initiated);
	if (pv <= 0)
		return pv ? 1 : 0;
	switch (index) {
	case MSR_IA32_APICBASE:
		return kvm_apic_set_base(vcpu, data, host_initiated);
	case MSR_IA32_TSC_DEADLINE:
		kvm_set_lapic_tscdeadline_msr(vcpu, data);
		return 0;
	case MSR_IA32_SMBASE:
		if (!host_initiated)
			return 1;
		vcpu->arch.smbase = (uint32_t)data;
		return 0;
	case MSR_SMI_COUNT:
		if (!host_initiated)
			return 1;
		vcpu->arch.smi_count = data;
		return 0;
	case MSR_IA32_UCODE_WRITE:
		return 0;	/* a microcode update: accepted and ignored */
	case MSR_IA32_UCODE_REV:
		/* the guest's write of 0 before CPUID(1) (SDM §10.11.7.1) changes nothing */
		if (host_initiated)
			vcpu->arch.microcode_version = data;
		return 0;
	case MSR_PLATFORM_INFO:
		/* host only; CPUID faulting cannot be withdrawn while the guest uses it */
		if (!host_initiated || (!(data & PLATFORM_INFO_CPUID_FAULT) &&
					(vcpu->arch.misc_features_enables & MISC_FEATURES_CPUID_FAULT)))
			return 1;
		vcpu->arch.platform_info = data;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		if ((data & ~MISC_FEATURES_CPUID_FAULT) ||
		    ((data & MISC_FEATURES_CPUID_FAULT) && !(vcpu->arch.platform_info & PLATFORM_INFO_CPUID_FAULT)))
			return 1;
		vcpu->arch.misc_features_enables = data;
		return 0;
	case APIC_BASE_MSR ... APIC_BASE_MSR + 0xff:
		return kvm_x2apic_msr_write(vcpu, index, data);
	case MSR_IA32_TSC: {
		vcpu->arch.tsc_offset = data - kvm_scaled_host_tsc(vcpu);
		return 0;
	}
	case MSR_IA32_CR_PAT:
		if (!all_bytes_valid(data, true))
			return 1;
		vcpu->arch.pat = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		vcpu->arch.misc_enable = data;
		return 0;
	case MSR_MTRRcap:
		/* read-only, for the host too (msr_mtrr_valid() in arch/x86/kvm/mtrr.c) */
		return 1;
	case MSR_IA32_MCG_CAP:
		/* read-only for the guest; the host may restore the value KVM_X86_SETUP_MCE set */
		return host_initiated && data == vcpu->arch.mcg_cap ? 0 : 1;
	case MSR_IA32_MCG_STATUS:
		vcpu->arch.mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		/* set_msr_mce(): without MCG_CTL_P only a host write of 0; values 0 or all ones */
		if (!(vcpu->arch.mcg_cap & MCG_CTL_P) && (data || !host_initiated))
			return 1;
		if (data != 0 && data != ~0ull)
			return 1;
		vcpu->arch.mcg_ctl = data;
		return 0;
	case MSR_MTRRdefType:
		if (!mtrr_valid(vcpu, index, data))
			return 1;
		vcpu->arch.mtrr_deftype = data;
		return 0;
	case MSR_MTRRphysBase0 ... MSR_MTRRphysMask7:
		if (!mtrr_valid(vcpu, index, data))
			return 1;
		vcpu->arch.mtrr_var[index - MSR_MTRRphysBase0] = data;
		return 0;
	case MSR_EFER:
		if (kvm_set_efer(vcpu, data, host_initiated))
			return 1;
		return 0;
	default:
		fixed = fixed_mtrr_index(index);
		if (fixed >= 0) {
			if (!mtrr_valid(vcpu, index, data))
				return 1;
			vcpu->arch.mtrr_fixed[fixed] = data;
			return 0;
		}
		if (index >= MSR_IA32_MC0_CTL && index < MSR_IA32_MC0_CTL + 4 * (vcpu->arch.mcg_cap & 0xff)) {
			uint32_t off = index - MSR_IA32_MC0_CTL;

			/* MCi_CTL: 0 or all ones (bits 10 and 0 may be clear, for old Linux on AMD K8) */
			if ((off & 3) == 0 && data != 0 && (data | (1ull << 10) | 1) != ~0ull)
				return 1;
			/* MCi_STATUS: the guest may only clear it */
			if ((off & 3) == 1 && data != 0 && !host_initiated)
				return 1;
			vcpu->arch.mce_banks[off] = data;
			return 0;
		}
		if (index == MSR_TSC_AUX && !host_initiated && !guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 27))
			return 1;
		return cpu_msr_write(vcpu->cpu, index, data) ? 1 : 0;
	}
}

/* The MSR list protocol: nmsrs is written back even when the buffer is too small (E2BIG). */
static long copy_msr_list(void *argp, const uint32_t *msrs, uint32_t count)
{
	struct kvm_msr_list list;
	struct kvm_msr_list *ulist = argp;
	uint32_t n;

	if (copy_from_user(&list, argp, sizeof(list)))
		return -EFAULT;
	n = list.nmsrs;
	list.nmsrs = count;
	if (copy_to_user(argp, &list, sizeof(list)))
		return -EFAULT;
	if (n < count)
		return -E2BIG;
	if (copy_to_user(ulist->indices, msrs, count * sizeof(*msrs)))
		return -EFAULT;
	return 0;
}

/* KVM_GET_MSR_INDEX_LIST */
long kvm_dev_ioctl_get_msr_index_list(void *argp)
{
	return copy_msr_list(argp, msrs_to_save, sizeof(msrs_to_save) / sizeof(msrs_to_save[0]));
}

/* MSRs that describe the CPU model rather than vCPU state (KVM_GET_MSR_FEATURE_INDEX_LIST) */
static const uint32_t feature_msrs[] = { MSR_IA32_UCODE_REV };

long kvm_dev_ioctl_get_msr_feature_index_list(void *argp)
{
	return copy_msr_list(argp, feature_msrs, sizeof(feature_msrs) / sizeof(feature_msrs[0]));
}

/* kvm_get_feature_msr(): what the CPU model offers; 1 for anything else */
static int get_feature_msr(uint32_t index, uint64_t *data)
{
	switch (index) {
	case MSR_IA32_UCODE_REV:
		*data = KVM_MICROCODE_VERSION;
		return 0;
	default:
		return 1;
	}
}

#define MAX_IO_MSRS 256

/*
 * msr_io(): process entries in order, stop at the first failure, return how many were
 * done. With vcpu NULL: KVM_GET_MSRS on the system fd, the feature MSRs.
 */
long kvm_vcpu_ioctl_msrs(struct kvm_vcpu *vcpu, void *argp, bool set)
{
	struct kvm_msrs hdr;
	struct kvm_msrs *uhdr = argp;
	struct kvm_msr_entry *e;
	size_t size;
	uint32_t i;
	long r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	size = sizeof(*e) * hdr.nmsrs;
	e = malloc(size ? size : 1);
	if (!e)
		return -ENOMEM;
	if (copy_from_user(e, uhdr->entries, size)) {
		free(e);
		return -EFAULT;
	}
	for (i = 0; i < hdr.nmsrs; i++) {
		uint64_t v = e[i].data;

		if (!vcpu ? get_feature_msr(e[i].index, &v) :
		    set ? kvm_set_msr(vcpu, e[i].index, v, true) : kvm_get_msr(vcpu, e[i].index, &v, true))
			break;
		e[i].data = v;
	}
	r = i;
	if (!set && copy_to_user(uhdr->entries, e, size))
		r = -EFAULT;
	free(e);
	return r;
}

#define MCI_STATUS_VAL	(1ull << 63)
#define MCI_STATUS_OVER	(1ull << 62)
#define MCI_STATUS_UC	(1ull << 61)
#define MCI_STATUS_PCC	(1ull << 57)
#define MCI_STATUS_S	(1ull << 56)
#define MCI_STATUS_AR	(1ull << 55)
#define MCG_STATUS_MCIP	(1ull << 2)

/*
 * KVM_X86_SET_MCE: kvm_vcpu_ioctl_x86_set_mce(). An uncorrected error raises #MC
 * (or shuts the guest down if one is in progress or CR4.MCE is clear), a corrected
 * one only fills the bank. A UCNA (uncorrected, no action required) fills the bank;
 * without MCG_CMCI_P (not offered) it signals nothing.
 */
static void mce_fill_bank(uint64_t *bank, const struct kvm_x86_mce *mce, uint64_t status)
{
	bank[1] = status;	/* MCi_STATUS */
	bank[2] = mce->addr;	/* MCi_ADDR */
	bank[3] = mce->misc;	/* MCi_MISC */
}

long kvm_vcpu_ioctl_set_mce(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_x86_mce mce;
	unsigned banks_n = vcpu->arch.mcg_cap & 0xff;
	uint64_t *bank;

	if (copy_from_user(&mce, argp, sizeof(mce)))
		return -EFAULT;
	if (mce.bank >= banks_n || !(mce.status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &vcpu->arch.mce_banks[4 * mce.bank];
	/* is_ucna() / kvm_vcpu_x86_set_ucna() */
	if (!mce.mcg_status && (mce.status & MCI_STATUS_UC) &&
	    !(mce.status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR))) {
		mce_fill_bank(bank, &mce, mce.status);
		vcpu->arch.mcg_status = mce.mcg_status;
		return 0;
	}
	if (mce.status & MCI_STATUS_UC) {
		/* reporting disabled by MCG_CTL or MCi_CTL not all ones: dropped */
		if ((vcpu->arch.mcg_cap & MCG_CTL_P) && vcpu->arch.mcg_ctl != ~0ull)
			return 0;
		if (bank[0] != ~0ull)
			return 0;
		if ((vcpu->arch.mcg_status & MCG_STATUS_MCIP) || !(vcpu->cpu->cr4 & CPU_CR4_MCE)) {
			vcpu->arch.triple_fault = true;	/* KVM_REQ_TRIPLE_FAULT */
			return 0;
		}
		mce_fill_bank(bank, &mce, mce.status | (bank[1] & MCI_STATUS_VAL ? MCI_STATUS_OVER : 0));
		vcpu->arch.mcg_status = mce.mcg_status;
		cpu_queue_exception(vcpu->cpu, CPU_EXC_MC, false, 0);
	} else if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		mce_fill_bank(bank, &mce, mce.status | (bank[1] & MCI_STATUS_VAL ? MCI_STATUS_OVER : 0));
	} else {
		bank[1] |= MCI_STATUS_OVER;
	}
	return 0;
}

/* KVM_X86_GET_MCE_CAP_SUPPORTED */
long kvm_dev_ioctl_get_mce_cap(void *argp)
{
	uint64_t cap = SUPPORTED_MCE_CAP;

	return copy_to_user(argp, &cap, sizeof(cap)) ? -EFAULT : 0;
}

/* kvm_vcpu_ioctl_x86_setup_mce() */
long kvm_vcpu_ioctl_setup_mce(struct kvm_vcpu *vcpu, void *argp)
{
	uint64_t cap;
	unsigned banks;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	banks = cap & 0xff;
	if (!banks || banks > KVM_MAX_MCE_BANKS)
		return -EINVAL;
	if (cap & ~(SUPPORTED_MCE_CAP | 0xffull | 0xff0000ull))
		return -EINVAL;
	vcpu->arch.mcg_cap = cap;
	if (cap & MCG_CTL_P)
		vcpu->arch.mcg_ctl = ~0ull;
	for (unsigned b = 0; b < banks; b++)
		vcpu->arch.mce_banks[4 * b] = ~0ull;	/* MCi_CTL: all ones */
	kvm_apic_after_set_mcg_cap(vcpu);
	return 0;
}
