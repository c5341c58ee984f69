// SPDX-License-Identifier: GPL-2.0-only
// The guest's CPUID: lookup with KVM's out-of-range rule, and what CPUID gates (CR4 bits).
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include <linux/kvm_para.h>

/* kvm_find_cpuid_entry_index(): the index matters only for leaves flagged as indexed. */
struct kvm_cpuid_entry2 *kvm_find_cpuid_entry_index(struct kvm_vcpu *vcpu, uint32_t function,
						     uint32_t index)
{
	for (int i = 0; i < vcpu->arch.cpuid_nent; i++) {
		struct kvm_cpuid_entry2 *e = &vcpu->arch.cpuid_entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

bool guest_cpuid_has(struct kvm_vcpu *vcpu, uint32_t leaf, int reg, int bit)
{
	struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, leaf, 0);
	uint32_t v;

	if (!e)
		return false;
	v = reg == CPUID_EAX ? e->eax : reg == CPUID_EBX ? e->ebx : reg == CPUID_ECX ? e->ecx : e->edx;
	return (v >> bit) & 1;
}

/*
 * guest_pv_has(): true unless userspace enabled KVM_CAP_ENFORCE_PV_FEATURE_CPUID; then
 * the bit in EAX of the KVM features leaf, found as KVM does (kvm_get_hypervisor_cpuid():
 * the "KVMKVMKVM" signature at 0x40000000 + n * 0x100, features at base + 1).
 */
bool guest_pv_has(struct kvm_vcpu *vcpu, int feature)
{
	if (!vcpu->arch.pv_enforce)
		return true;
	for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
		struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, base, 0);

		if (e && e->ebx == 0x4b4d564b && e->ecx == 0x564b4d56 && e->edx == 0x4d)
			return guest_cpuid_has(vcpu, base + 1, CPUID_EAX, feature);
	}
	return false;
}

static bool vendor_is_amd_like(const struct kvm_cpuid_entry2 *basic)
{
	/* "AuthenticAMD" and "HygonGenuine" in EBX, EDX, ECX order */
	return (basic->ebx == 0x68747541 && basic->edx == 0x69746e65 && basic->ecx == 0x444d4163) ||
	       (basic->ebx == 0x6f677948 && basic->edx == 0x6e65476e && basic->ecx == 0x656e6975);
}

/*
 * get_out_of_range_cpuid_entry() (arch/x86/kvm/cpuid.c): on Intel, a leaf above the
 * maximum of its class returns the highest basic leaf, with the requested index.
 */
static struct kvm_cpuid_entry2 *out_of_range_entry(struct kvm_vcpu *vcpu, uint32_t *fn,
						   uint32_t index)
{
	struct kvm_cpuid_entry2 *basic = kvm_find_cpuid_entry_index(vcpu, 0, 0), *class;
	uint32_t function = *fn;

	if (!basic || vendor_is_amd_like(basic))
		return NULL;
	if (function >= 0x40000000 && function <= 0x4fffffff)
		class = kvm_find_cpuid_entry_index(vcpu, function & 0xffffff00, 0);
	else if (function >= 0xc0000000)
		class = kvm_find_cpuid_entry_index(vcpu, 0xc0000000, 0);
	else
		class = kvm_find_cpuid_entry_index(vcpu, function & 0x80000000, 0);
	if (class && function <= class->eax)
		return NULL;
	*fn = basic->eax;
	return kvm_find_cpuid_entry_index(vcpu, basic->eax, index);
}

/* kvm_emulate_cpuid() / kvm_cpuid(): results are 32-bit, zero-extended into RAX..RDX. */
void kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	uint32_t function = (uint32_t)c->gpr[CPU_RAX], index = (uint32_t)c->gpr[CPU_RCX];
	uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
	struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, function, index);

	if (!e)
		e = out_of_range_entry(vcpu, &function, index);
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
		if (function == 1) {
			/* kvm_update_cpuid_runtime(): APIC follows IA32_APIC_BASE.EN, OSXSAVE CR4.OSXSAVE */
			edx = (edx & ~(1u << 9)) |
			      ((vcpu->apic_base & MSR_IA32_APICBASE_ENABLE) ? 1u << 9 : 0);
			if (ecx & (1u << 26))	/* XSAVE */
				ecx = (ecx & ~(1u << 27)) | ((c->cr4 & CPU_CR4_OSXSAVE) ? 1u << 27 : 0);
		}
	} else if (function == 0xb || function == 0x1f) {
		/* Undefined subleaves of the topology leaves still pass CL and the x2APIC ID. */
		struct kvm_cpuid_entry2 *one = kvm_find_cpuid_entry_index(vcpu, function, 1);
		if (one) {
			ecx = index & 0xff;
			edx = one->edx;
		}
	}
	c->gpr[CPU_RAX] = eax;
	c->gpr[CPU_RBX] = ebx;
	c->gpr[CPU_RCX] = ecx;
	c->gpr[CPU_RDX] = edx;
}

/* ------------------------------------------------------------------------ */
/* KVM_GET_SUPPORTED_CPUID: the CPU model swkvm offers                       */

#define KVM_MAX_CPUID_ENTRIES 256	/* arch/x86/include/asm/kvm_host.h */

/*
 * The feature words advertised. Every bit here is implemented by src/cpu and
 * covered by its tests (docs/cpu.md lists them); nothing else is claimed.
 */
#define F1_EDX_FPU	(1u << 0)	/* the x87 FPU (src/cpu/exec/x87.c) */
#define F1_EDX_VME	(1u << 1)	/* CR4.VME/PVI: VIF, VIP, INT redirection (src/cpu) */
#define F1_EDX_DE	(1u << 2)	/* CR4.DE: I/O breakpoints, DR4/DR5 #UD (src/cpu/debug.c) */
#define F1_EDX_PSE	(1u << 3)	/* 4 MiB pages with CR4.PSE (src/cpu/mmu.c) */
#define F1_EDX_TSC	(1u << 4)
#define F1_EDX_MSR	(1u << 5)
#define F1_EDX_PAE	(1u << 6)
#define F1_EDX_APIC	(1u << 9)	/* with the in-kernel LAPIC; follows IA32_APIC_BASE.EN */
#define F1_EDX_CX8	(1u << 8)
#define F1_EDX_SEP	(1u << 11)	/* SYSENTER/SYSEXIT */
#define F1_EDX_MTRR	(1u << 12)
#define F1_EDX_PGE	(1u << 13)	/* CR4.PGE accepted; the soft TLB may flush global entries too */
#define F1_EDX_CMOV	(1u << 15)
#define F1_EDX_PAT	(1u << 16)
#define F1_EDX_PSE36	(1u << 17)	/* 4 MiB PDEs map physical bits 39:32 (src/cpu/mmu.c) */
#define F1_EDX_CLFSH	(1u << 19)
#define F1_ECX_X2APIC	(1u << 21)	/* KVM emulates x2APIC whatever the host has */
#define F1_EDX_MMX	(1u << 23)
#define F1_EDX_FXSR	(1u << 24)
#define F1_EDX_SSE	(1u << 25)
#define F1_EDX_SSE2	(1u << 26)
#define F1_ECX_SSE3	(1u << 0)
#define F1_ECX_SSSE3	(1u << 9)
#define F1_ECX_CX16	(1u << 13)	/* CMPXCHG16B (src/cpu/exec/alu.c) */
#define F1_ECX_SSE41	(1u << 19)
#define F1_ECX_SSE42	(1u << 20)
#define F1_ECX_XSAVE	(1u << 26)
#define F1_ECX_PCID	(1u << 17)	/* CR4.PCIDE; CR3 bit 63 (the soft TLB flushes anyway) */
#define F1_ECX_MOVBE	(1u << 22)
#define F1_ECX_POPCNT	(1u << 23)
#define F1_ECX_TSC_DEADLINE (1u << 24)	/* KVM's EMULATED_F: the in-kernel LAPIC implements it */
#define F1_ECX_HYPERVISOR (1u << 31)
#define F7_EBX_SMEP	(1u << 7)	/* CR4.SMEP (src/cpu/mmu.c) */
#define F7_EBX_SMAP	(1u << 20)	/* CR4.SMAP, STAC/CLAC */
#define F7_EBX_INVPCID	(1u << 10)
#define F7_ECX_UMIP	(1u << 2)	/* CR4.UMIP */
#define F81_EDX_SYSCALL	(1u << 11)	/* SYSCALL/SYSRET (src/cpu/exec/sys.c) */
#define F81_EDX_NX	(1u << 20)	/* EFER.NXE and the XD bit (src/cpu/mmu.c) */
#define F81_EDX_RDTSCP	(1u << 27)
#define F81_EDX_LM	(1u << 29)
#define F81_ECX_LAHF	(1u << 0)

struct cpuid_model {
	uint32_t f1_ecx, f1_edx, f7_ebx, f7_ecx, f7_edx, f81_ecx, f81_edx;
};

static const struct cpuid_model swkvm_model = {
	.f1_edx = F1_EDX_FPU | F1_EDX_VME | F1_EDX_DE | F1_EDX_PSE | F1_EDX_TSC | F1_EDX_MSR | F1_EDX_PAE | F1_EDX_CX8 |
		  F1_EDX_APIC |
		  F1_EDX_SEP | F1_EDX_MTRR | F1_EDX_PGE | F1_EDX_CMOV | F1_EDX_PAT | F1_EDX_PSE36 | F1_EDX_CLFSH |
		  F1_EDX_MMX | F1_EDX_FXSR | F1_EDX_SSE | F1_EDX_SSE2,
	/* not claimed: PCLMULQDQ, AES, AVX (and everything VEX), XSAVEOPT/XSAVEC/XSAVES */
	.f1_ecx = F1_ECX_SSE3 | F1_ECX_SSSE3 | F1_ECX_CX16 | F1_ECX_SSE41 | F1_ECX_SSE42 | F1_ECX_X2APIC | F1_ECX_MOVBE |
		  F1_ECX_POPCNT | F1_ECX_TSC_DEADLINE | F1_ECX_XSAVE | F1_ECX_HYPERVISOR | F1_ECX_PCID,
	.f7_ebx = F7_EBX_SMEP | F7_EBX_SMAP | F7_EBX_INVPCID,
	.f7_ecx = F7_ECX_UMIP,
	.f81_edx = F81_EDX_SYSCALL | F81_EDX_NX | F81_EDX_RDTSCP | F81_EDX_LM,
	.f81_ecx = F81_ECX_LAHF,
};

/* Family 6, model 0x55 ("Skylake-SP"), stepping 4: (ext model 5 << 16) | (6 << 8) | (5 << 4) | 4 */
#define SWKVM_CPUID_SIGNATURE 0x00050654
#define SWKVM_BRAND "swkvm software x86-64 CPU"

static void regs_from_str(const char *s, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	uint32_t w[4] = { 0 };

	memcpy(w, s, strnlen(s, 16));
	*a = w[0];
	*b = w[1];
	*c = w[2];
	*d = w[3];
}

struct cpuid_array {
	struct kvm_cpuid_entry2 *e;
	int nent, max;
};

static struct kvm_cpuid_entry2 *add(struct cpuid_array *a, uint32_t fn, uint32_t idx, bool indexed)
{
	struct kvm_cpuid_entry2 *e;

	if (a->nent >= a->max)
		return NULL;
	e = &a->e[a->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

/* Fills `a`; returns -E2BIG when it does not fit (the caller's nent is too small). */
static int build_supported_cpuid(struct cpuid_array *a)
{
	struct kvm_cpuid_entry2 *e;
	const struct cpuid_model *m = &swkvm_model;
	char brand[48] = SWKVM_BRAND;

#define ADD(fn, idx, ind) do { if (!(e = add(a, fn, idx, ind))) return -E2BIG; } while (0)
	ADD(0, 0, false);
	e->eax = 0xd;			/* highest basic leaf */
	e->ebx = 0x756e6547;		/* "Genu" */
	e->edx = 0x49656e69;		/* "ineI" */
	e->ecx = 0x6c65746e;		/* "ntel" */

	ADD(1, 0, false);
	e->eax = SWKVM_CPUID_SIGNATURE;
	e->ebx = 8 << 8;		/* CLFLUSH line size 8 * 8 = 64 bytes; APIC ID and count: VMM's */
	e->ecx = m->f1_ecx;
	e->edx = m->f1_edx;

	/* Leaf 4: deterministic cache parameters, 32K L1d/L1i 8-way, 1M L2 16-way, 64-byte lines. */
	static const uint32_t cache[4][3] = {
		/* eax: type | level << 5 | self-init, ebx: ways-1 << 22 | line-1, ecx: sets-1 */
		{ 0x121, (7u << 22) | 63, 63 },
		{ 0x122, (7u << 22) | 63, 63 },
		{ 0x143, (15u << 22) | 63, 1023 },
		{ 0, 0, 0 },
	};
	for (uint32_t i = 0; i < 4; i++) {
		ADD(4, i, true);
		e->eax = cache[i][0];
		e->ebx = cache[i][1];
		e->ecx = cache[i][2];
	}

	ADD(6, 0, false);		/* no thermal/power management */
	ADD(7, 0, true);
	e->eax = 0;			/* highest subleaf of leaf 7 */
	e->ebx = m->f7_ebx;
	e->ecx = m->f7_ecx;
	e->edx = m->f7_edx;

	/* Leaf 0xB: one thread per core, one core per package; EDX (x2APIC ID) is the VMM's. */
	ADD(0xb, 0, true);
	e->eax = 0;
	e->ebx = 1;
	e->ecx = 0x100;		/* level 0, type SMT */
	ADD(0xb, 1, true);
	e->eax = 0;
	e->ebx = 1;
	e->ecx = 0x201;		/* level 1, type core */
	ADD(0xb, 2, true);
	e->ecx = 2;		/* level 2 invalid */

	/*
	 * Leaf 0xD: XSAVE with x87 and SSE only, in the standard format the CPU uses
	 * (src/cpu/exec/fxsave.c): 512-byte legacy region + 64-byte header. EBX is the size
	 * for the components enabled in XCR0 and ECX for all supported ones: 576 either way.
	 * Subleaf 1: none of XSAVEOPT, XSAVEC, XGETBV with ECX=1, XSAVES.
	 */
	ADD(0xd, 0, true);
	e->eax = 3;
	e->ebx = 576;
	e->ecx = 576;
	ADD(0xd, 1, true);

	/*
	 * KVM's PV leaves: kvmclock MSRs old and new with the stable bit, steal time, poll
	 * control, PV EOI/unhalt/IPIs/yield, and async page faults with interrupt delivery:
	 * their MSRs are implemented as KVM validates them (pv.c); KVM raises an async PF only
	 * when a guest page is not resident on the host and the vCPU could run something else
	 * meanwhile, which never happens here (the vCPU thread takes the host fault itself),
	 * so none is ever delivered, as on a KVM host whose guest memory never swaps.
	 */
	ADD(0x40000000, 0, false);
	e->eax = 0x40000001;
	regs_from_str("KVMKVMKVM", &e->ebx, &e->ecx, &e->edx, &(uint32_t){ 0 });
	ADD(0x40000001, 0, false);
	/* NOP_IO_DELAY only tells the guest that port 0x80 delays are unnecessary */
	e->eax = (1u << KVM_FEATURE_CLOCKSOURCE) | (1u << KVM_FEATURE_NOP_IO_DELAY) |
		 (1u << KVM_FEATURE_CLOCKSOURCE2) |
		 (1u << KVM_FEATURE_STEAL_TIME) | (1u << KVM_FEATURE_POLL_CONTROL) |
		 (1u << KVM_FEATURE_PV_EOI) | (1u << KVM_FEATURE_PV_UNHALT) | (1u << KVM_FEATURE_PV_SEND_IPI) |
		 (1u << KVM_FEATURE_PV_SCHED_YIELD) |
		 (1u << KVM_FEATURE_ASYNC_PF) | (1u << KVM_FEATURE_ASYNC_PF_INT) |
		 (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);

	ADD(0x80000000, 0, false);
	e->eax = 0x80000008;
	ADD(0x80000001, 0, false);
	e->ecx = m->f81_ecx;
	e->edx = m->f81_edx;
	for (uint32_t i = 0; i < 3; i++) {
		ADD(0x80000002 + i, 0, false);
		regs_from_str(brand + 16 * i, &e->eax, &e->ebx, &e->ecx, &e->edx);
	}
	ADD(0x80000005, 0, false);	/* reserved on Intel */
	ADD(0x80000006, 0, false);
	e->ecx = (1024u << 16) | (6u << 12) | 64;	/* L2: 1 MiB, 8-way (encoding 6), 64-byte lines */
	ADD(0x80000007, 0, false);
	e->edx = 1u << 8;		/* invariant TSC: it counts nanoseconds of CLOCK_MONOTONIC */
	ADD(0x80000008, 0, false);
	e->eax = SWKVM_MAXPHYADDR | (48u << 8);
#undef ADD
	return 0;
}

/* kvm_dev_ioctl_get_cpuid(): E2BIG leaves the caller's nent alone (QEMU doubles it). */
long kvm_dev_ioctl_get_supported_cpuid(void *argp)
{
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid2 *u = argp;
	struct cpuid_array a;
	long r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		hdr.nent = KVM_MAX_CPUID_ENTRIES;
	a.max = (int)hdr.nent;
	a.nent = 0;
	a.e = calloc(hdr.nent, sizeof(*a.e));
	if (!a.e)
		return -ENOMEM;
	r = build_supported_cpuid(&a);
	if (!r) {
		hdr.nent = (uint32_t)a.nent;
		if (copy_to_user(u->entries, a.e, (size_t)a.nent * sizeof(*a.e)) ||
		    copy_to_user(argp, &hdr, sizeof(hdr)))
			r = -EFAULT;
	}
	free(a.e);
	return r;
}

/* ------------------------------------------------------------------------ */
/* KVM_SET_CPUID2 / KVM_GET_CPUID2                                           */

/* cpuid_query_maxphyaddr() */
static int query_maxphyaddr(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, 0x80000000, 0);

	if (!e || e->eax < 0x80000008)
		return 36;
	e = kvm_find_cpuid_entry_index(vcpu, 0x80000008, 0);
	return e ? (int)(e->eax & 0xff) : 36;
}

static bool same_cpuid(const struct kvm_cpuid_entry2 *a, int na, const struct kvm_cpuid_entry2 *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (a[i].function != b[i].function || a[i].index != b[i].index ||
		    a[i].flags != b[i].flags || a[i].eax != b[i].eax || a[i].ebx != b[i].ebx ||
		    a[i].ecx != b[i].ecx || a[i].edx != b[i].edx)
			return false;
	return true;
}

/* kvm_set_cpuid(): takes ownership of `e` on success. */
static long set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e, int nent)
{
	struct kvm_cpuid_entry2 *old;
	int old_nent, maxphy;

	/* After KVM_RUN, only the identical CPUID may be set again (kvm_cpuid_check_equal). */
	if (vcpu->arch.has_run) {
		bool same = same_cpuid(e, nent, vcpu->arch.cpuid_entries, vcpu->arch.cpuid_nent);
		free(e);
		return same ? 0 : -EINVAL;
	}
	/* kvm_check_cpuid(): linear address width must be 48 or 57 (or 0) */
	for (int i = 0; i < nent; i++)
		if (e[i].function == 0x80000008) {
			uint32_t vaddr = (e[i].eax >> 8) & 0xff;
			if (vaddr != 0 && vaddr != 48 && vaddr != 57) {
				free(e);
				return -EINVAL;
			}
		}
	old = vcpu->arch.cpuid_entries;
	old_nent = vcpu->arch.cpuid_nent;
	vcpu->arch.cpuid_entries = e;
	vcpu->arch.cpuid_nent = nent;
	maxphy = query_maxphyaddr(vcpu);
	if (maxphy < 32 || maxphy > 52) {
		vcpu->arch.cpuid_entries = old;
		vcpu->arch.cpuid_nent = old_nent;
		free(e);
		return -EINVAL;
	}
	vcpu->arch.maxphyaddr = maxphy;
	free(old);
	/*
	 * Optional instructions follow the guest CPUID where KVM makes them: RDTSCP #UDs
	 * without CPUID.80000001H:EDX[27] (VMX's "enable RDTSCP" control), and CR4.OSXSAVE
	 * (so XSAVE, XGETBV...) needs CPUID.1:ECX[26] (kvm_is_valid_cr4()). The others the
	 * model has run whatever the guest CPUID says, as on hardware.
	 */
	vcpu->cpu->features = CPU_FEAT_DEFAULT |
			      (guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 27) ? CPU_FEAT_RDTSCP : 0) |
			      (guest_cpuid_has(vcpu, 1, CPUID_ECX, 26) ? CPU_FEAT_XSAVE : 0) |
			      (guest_cpuid_has(vcpu, 7, CPUID_EBX, 7) ? CPU_FEAT_SMEP : 0) |
			      (guest_cpuid_has(vcpu, 7, CPUID_EBX, 20) ? CPU_FEAT_SMAP : 0) |
			      (guest_cpuid_has(vcpu, 7, CPUID_ECX, 2) ? CPU_FEAT_UMIP : 0) |
			      (guest_cpuid_has(vcpu, 1, CPUID_ECX, 17) ? CPU_FEAT_PCID : 0) |
			      (guest_cpuid_has(vcpu, 7, CPUID_EBX, 10) ? CPU_FEAT_INVPCID : 0);
	cpu_state_changed(vcpu->cpu);
	kvm_lapic_after_set_cpuid(vcpu);
	return 0;
}

long kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid2 *u = argp;
	struct kvm_cpuid_entry2 *e;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = calloc(hdr.nent ? hdr.nent : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (copy_from_user(e, u->entries, hdr.nent * sizeof(*e))) {
		free(e);
		return -EFAULT;
	}
	return set_cpuid(vcpu, e, (int)hdr.nent);
}

/* KVM_SET_CPUID: the legacy struct, converted as kvm_vcpu_ioctl_set_cpuid() does. */
long kvm_vcpu_ioctl_set_cpuid(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_cpuid hdr;
	struct kvm_cpuid *u = argp;
	struct kvm_cpuid_entry *e1;
	struct kvm_cpuid_entry2 *e;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e1 = calloc(hdr.nent ? hdr.nent : 1, sizeof(*e1));
	e = calloc(hdr.nent ? hdr.nent : 1, sizeof(*e));
	if (!e1 || !e) {
		free(e1);
		free(e);
		return -ENOMEM;
	}
	if (copy_from_user(e1, u->entries, hdr.nent * sizeof(*e1))) {
		free(e1);
		free(e);
		return -EFAULT;
	}
	for (uint32_t i = 0; i < hdr.nent; i++) {
		e[i].function = e1[i].function;
		e[i].eax = e1[i].eax;
		e[i].ebx = e1[i].ebx;
		e[i].ecx = e1[i].ecx;
		e[i].edx = e1[i].edx;
	}
	free(e1);
	return set_cpuid(vcpu, e, (int)hdr.nent);
}

/* kvm_vcpu_ioctl_get_cpuid2(): E2BIG when the caller's array is too small. */
long kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid2 *u = argp;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < (uint32_t)vcpu->arch.cpuid_nent)
		return -E2BIG;
	if (copy_to_user(u->entries, vcpu->arch.cpuid_entries,
			 (size_t)vcpu->arch.cpuid_nent * sizeof(struct kvm_cpuid_entry2)))
		return -EFAULT;
	hdr.nent = (uint32_t)vcpu->arch.cpuid_nent;
	return copy_to_user(argp, &hdr, sizeof(hdr)) ? -EFAULT : 0;
}

/* ------------------------------------------------------------------------ */
/* CR4 validity: __cr4_reserved_bits() for the CPU model and for the guest    */

/* CR4 bits that are never gated by CPUID (~CR4_RESERVED_BITS minus the gated ones). */
#define CR4_BASE_BITS \
	(CPU_CR4_VME | CPU_CR4_PVI | CPU_CR4_TSD | CPU_CR4_DE | CPU_CR4_PSE | CPU_CR4_PAE | \
	 CPU_CR4_MCE | CPU_CR4_PGE | CPU_CR4_PCE | CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT)

struct cr4_gate {
	uint64_t bit;
	uint32_t leaf;
	int reg, feature;
};

static const struct cr4_gate cr4_gates[] = {
	{ CPU_CR4_OSXSAVE, 1, CPUID_ECX, 26 },	/* XSAVE */
	{ CPU_CR4_PCIDE, 1, CPUID_ECX, 17 },	/* PCID */
	{ 1ull << 13, 1, CPUID_ECX, 5 },	/* VMXE: VMX */
	{ CPU_CR4_FSGSBASE, 7, CPUID_EBX, 0 },
	{ CPU_CR4_SMEP, 7, CPUID_EBX, 7 },
	{ CPU_CR4_SMAP, 7, CPUID_EBX, 20 },
	{ CPU_CR4_UMIP, 7, CPUID_ECX, 2 },
	{ CPU_CR4_PKE, 7, CPUID_ECX, 3 },	/* PKU */
	{ CPU_CR4_LA57, 7, CPUID_ECX, 16 },
};

static bool model_has(uint32_t leaf, int reg, int bit)
{
	const struct cpuid_model *m = &swkvm_model;
	uint32_t v = 0;

	if (leaf == 1)
		v = reg == CPUID_ECX ? m->f1_ecx : reg == CPUID_EDX ? m->f1_edx : 0;
	else if (leaf == 7)
		v = reg == CPUID_EBX ? m->f7_ebx : reg == CPUID_ECX ? m->f7_ecx : reg == CPUID_EDX ? m->f7_edx : 0;
	return (v >> bit) & 1;
}

/* kvm_is_valid_cr4(): a gated bit needs the feature in the CPU model and in the guest CPUID. */
bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	uint64_t allowed = CR4_BASE_BITS;

	for (size_t i = 0; i < sizeof(cr4_gates) / sizeof(cr4_gates[0]); i++) {
		const struct cr4_gate *g = &cr4_gates[i];
		if (model_has(g->leaf, g->reg, g->feature) &&
		    guest_cpuid_has(vcpu, g->leaf, g->reg, g->feature))
			allowed |= g->bit;
	}
	return (cr4 & ~allowed) == 0;
}
