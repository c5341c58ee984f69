// SPDX-License-Identifier: GPL-2.0-only
// MSRs: KVM_GET_MSR_INDEX_LIST, KVM_GET/SET_MSRS semantics, and guest RDMSR/WRMSR rules.
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"

#define MSR_IA32_TSC 0x10
#define MSR_MTRRcap 0xfe
#define MSR_MISC_ENABLE 0x1a0
#define MSR_PAT 0x277
#define MSR_MTRRdefType 0x2ff
#define MSR_EFER 0xc0000080
#define MSR_LSTAR 0xc0000082

struct msrs_buf {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[256];
};

static uint64_t get_msr(struct vcpu *v, uint32_t index, int *ret)
{
	struct msrs_buf b = { .hdr.nmsrs = 1, .e[0].index = index };

	*ret = kvm_ioctl(v->fd, KVM_GET_MSRS, &b);
	return b.e[0].data;
}

static void test_host_side(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct { struct kvm_msr_list l; uint32_t idx[256]; } list = { .l.nmsrs = 0 };
	struct msrs_buf b;
	int ret, all_ok = 1;
	uint32_t n;

	is_errno(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list), E2BIG, "index list with nmsrs=0: E2BIG");
	n = list.l.nmsrs;
	ok(n > 10 && n < 256, "and nmsrs is written back (%u)", n);
	is(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list), 0, "index list with room for all");
	is_errno(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, (void *)8), EFAULT, "bad pointer: EFAULT");
	for (uint32_t i = 0; i < n; i++) {
		uint64_t val = get_msr(v, list.idx[i], &ret);
		struct msrs_buf s = { .hdr.nmsrs = 1, .e[0] = { .index = list.idx[i], .data = val } };

		if (ret != 1 || kvm_ioctl(v->fd, KVM_SET_MSRS, &s) != 1) {
			tap_diag("MSR 0x%x: get %d set failed", list.idx[i], ret);
			all_ok = 0;
		}
	}
	ok(all_ok, "every listed MSR can be read and written back by the host");

	is(get_msr(v, MSR_PAT, &ret), 0x0007040600070406ull, "PAT reset value");
	is(get_msr(v, MSR_MTRRcap, &ret), 0x508, "MTRRcap: 8 variable ranges, fixed, WC");
	is(get_msr(v, MSR_MISC_ENABLE, &ret), 0x1800, "MISC_ENABLE reset value");
	is(get_msr(v, 0xdeadbeef, &ret), 0, "unknown MSR reads as nothing");
	is(ret, 0, "and GET_MSRS reports 0 processed");

	memset(&b, 0, sizeof(b));
	b.hdr.nmsrs = 3;
	b.e[0] = (struct kvm_msr_entry){ .index = MSR_LSTAR, .data = 0xffffffff81000000ull };
	b.e[1] = (struct kvm_msr_entry){ .index = MSR_PAT, .data = 0x0202020202020202ull };
	b.e[2] = (struct kvm_msr_entry){ .index = MSR_MTRRdefType, .data = 0xc06 };
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &b), 1, "SET_MSRS stops at the invalid PAT and returns 1");
	is(get_msr(v, MSR_LSTAR, &ret), 0xffffffff81000000ull, "the entry before it was written");
	is(get_msr(v, MSR_MTRRdefType, &ret), 0, "the entry after it was not");
	b.hdr.nmsrs = 256;
	is_errno(kvm_ioctl(v->fd, KVM_SET_MSRS, &b), E2BIG, "nmsrs >= 256: E2BIG");
	is_errno(kvm_ioctl(v->fd, KVM_GET_MSRS, (void *)8), EFAULT, "bad pointer: EFAULT");
	b.hdr.nmsrs = 1;
	b.e[0] = (struct kvm_msr_entry){ .index = MSR_MTRRcap, .data = 0x508 };
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &b), 0, "MTRRcap is read-only for the host too");
	vm_free(vm);
}

GUEST_CODE static void guest_msrs(void)
{
	uint64_t v = 0, t1 = 0, t2 = 0;

	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_PAT, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0x0007040600070406ull);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_PAT, 0x0006040600070406ull), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_PAT, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0x0006040600070406ull);
	/* PAT type 2 is reserved: #GP(0), value unchanged */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_PAT, 0x0002040600070406ull), 13);
	GUEST_ASSERT_EQ(guest_exc.error, 0);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_PAT, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0x0006040600070406ull);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_MTRRcap, 0x508), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(0x12345678, &v), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x12345678, 1), 13);
	/* EFER: a reserved bit is #GP; toggling LME with paging on is #GP */
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_EFER, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v & 0x500, 0x500);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_EFER, v | (1ull << 20)), 13);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_EFER, v & ~0x100ull), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_IA32_TSC, &t1), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_IA32_TSC, &t2), GUEST_NO_EXC);
	GUEST_ASSERT(t2 > t1);
	GUEST_DONE();
}

static void test_guest_side(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_msrs);
	struct ucall uc;

	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest RDMSR/WRMSR: values and #GP(0) cases");
	vm_free(vm);
}

#define MSR_TSC_AUX 0xc0000103

static volatile uint64_t guest_aux;
GUEST_ASM_STUB(guest_rdtscp_stub, "rdtscp\nmov %ecx, guest_aux(%rip)");

/* RDTSCP and IA32_TSC_AUX with RDTSCP in the guest CPUID (then `with` = 1) and without */
GUEST_CODE static void guest_rdtscp(void)
{
	uint64_t with = guest_aux, v = 0;

	if (with) {
		GUEST_ASSERT_EQ(guest_call_safe(guest_rdtscp_stub), GUEST_NO_EXC);
		GUEST_SYNC2(1, guest_aux);
		GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_TSC_AUX, 0x777), GUEST_NO_EXC);
		GUEST_ASSERT_EQ(guest_call_safe(guest_rdtscp_stub), GUEST_NO_EXC);
		GUEST_ASSERT_EQ(guest_aux, 0x777);
		GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_TSC_AUX, 1ull << 32), 13);
	} else {
		GUEST_ASSERT_EQ(guest_call_safe(guest_rdtscp_stub), 6);
		GUEST_ASSERT_EQ(guest_rdmsr_safe(MSR_TSC_AUX, &v), 13);
		GUEST_ASSERT_EQ(guest_wrmsr_safe(MSR_TSC_AUX, 1), 13);
	}
	GUEST_DONE();
}

static void test_rdtscp(void)
{
	for (int with = 1; with >= 0; with--) {
		struct vcpu *v;
		struct vm *vm = vm_create_64(&v, guest_rdtscp);
		struct msrs_buf b = { .hdr.nmsrs = 1, .e[0] = { .index = MSR_TSC_AUX, .data = 0x12345 } };
		struct ucall uc;
		int ret;

		guest_aux = (uint64_t)with;
		vm_sync_to_guest(vm, (const void *)&guest_aux, sizeof(guest_aux));
		if (with)
			vcpu_set_supported_cpuid(v);
		is(kvm_ioctl(v->fd, KVM_SET_MSRS, &b), 1, "host writes IA32_TSC_AUX (%s RDTSCP in CPUID)",
		   with ? "with" : "without");
		is(get_msr(v, MSR_TSC_AUX, &ret), 0x12345, "and reads it back");
		if (with) {
			if (vcpu_get_ucall(v, &uc) == UCALL_SYNC)
				is(uc.args[1], 0x12345, "guest RDTSCP: ECX = IA32_TSC_AUX");
			else
				ok(0, "guest RDTSCP");
		}
		is(vcpu_get_ucall(v, &uc), UCALL_DONE,
		   with ? "guest WRMSR TSC_AUX, RDTSCP sees it; a value above 32 bits is #GP"
			: "without RDTSCP in CPUID: RDTSCP #UD, TSC_AUX #GP");
		vm_free(vm);
	}
}

/* ---- microcode revision, platform info, CPUID faulting, feature MSRs ---- */

GUEST_CODE static void guest_model_msrs(void)
{
	uint32_t lo, hi, a = 1, b, c = 0, d;
	uint64_t v;

	/* Linux's intel_get_microcode_revision(): WRMSR 0, CPUID(1), RDMSR, no #GP allowed */
	__asm__ volatile("wrmsr" : : "c"(0x8b), "a"(0), "d"(0));
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x8b));
	GUEST_ASSERT_EQ(hi, 1);
	GUEST_ASSERT_EQ(lo, 0);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x79, 0x12345000), GUEST_NO_EXC);	/* UCODE_WRITE: ignored */
	GUEST_ASSERT_EQ(guest_rdmsr_safe(0x79, &v), 13);
	GUEST_ASSERT_EQ(guest_rdmsr_safe(0xce, &v), GUEST_NO_EXC);		/* PLATFORM_INFO */
	GUEST_ASSERT_EQ(v, 1ull << 31);						/* CPUID faulting */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0xce, 0), 13);				/* host only */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x140, 2), 13);			/* reserved bit */
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x140, 1), GUEST_NO_EXC);
	guest_rdmsr_safe(0x140, &v);
	GUEST_ASSERT_EQ(v, 1);
	a = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));	/* CPL 0: no fault */
	GUEST_ASSERT_EQ(b, 0x756e6547);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(guest_wrmsr_safe(0x140, 0), GUEST_NO_EXC);
	GUEST_DONE();
}

static void test_model_msrs(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_model_msrs);
	struct ucall uc;
	struct { struct kvm_msr_list h; uint32_t idx[4]; } fl = { .h.nmsrs = 0 };
	struct { struct kvm_msrs h; struct kvm_msr_entry e[2]; } m = {
		.h.nmsrs = 2, .e = { { .index = 0x8b }, { .index = 0x10 } } };

	vcpu_set_supported_cpuid(v);
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES), 1, "CAP_GET_MSR_FEATURES");
	is_errno(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &fl), E2BIG, "feature list: E2BIG for 0");
	is(fl.h.nmsrs, 1, "one feature MSR");
	fl.h.nmsrs = 4;
	is(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &fl), 0, "KVM_GET_MSR_FEATURE_INDEX_LIST");
	is(fl.idx[0], 0x8b, "IA32_UCODE_REV");
	is(kvm_ioctl(vm->kvm_fd, KVM_GET_MSRS, &m), 1, "system KVM_GET_MSRS stops at a non-feature MSR");
	is(m.e[0].data, 0x100000000ull, "the model's microcode revision");
	is(vcpu_get_ucall(v, &uc), UCALL_SYNC,
	   "UCODE_REV write-0/CPUID/read, UCODE_WRITE, PLATFORM_INFO, CPUID faulting at CPL 0");
	m.h.nmsrs = 1;
	m.e[0] = (struct kvm_msr_entry){ .index = 0xce, .data = 0 };
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &m), 0, "the host cannot withdraw CPUID faulting while it is on");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, &m), 1, "and can once it is off");
	vm_free(vm);
}

int main(void)
{
	test_host_side();
	test_model_msrs();
	test_guest_side();
	test_rdtscp();
	return tap_done();
}
