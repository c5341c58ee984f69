// SPDX-License-Identifier: GPL-2.0-only
// CPUID: KVM_GET_SUPPORTED_CPUID (E2BIG protocol), KVM_SET/GET_CPUID2 rules, guest CPUID.
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"

struct cpuid_buf {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[256];
};

static struct kvm_cpuid_entry2 *find(struct cpuid_buf *b, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < b->hdr.nent; i++)
		if (b->e[i].function == fn && b->e[i].index == idx)
			return &b->e[i];
	return NULL;
}

static struct cpuid_buf *supported(int kvm_fd)
{
	struct cpuid_buf *b = calloc(1, sizeof(*b));
	uint32_t n = 1;

	/* QEMU's protocol: start at 1 and double on E2BIG */
	for (;;) {
		b->hdr.nent = n;
		if (kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, b) == 0)
			return b;
		if (errno != E2BIG || n >= 256)
			tap_bail("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		n *= 2;
	}
}

static volatile uint32_t guest_leaf, guest_index;

GUEST_CODE static void guest_cpuid(void)
{
	for (;;) {
		uint32_t a = guest_leaf, b, c = guest_index, d;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		GUEST_SYNC2(((uint64_t)b << 32) | a, ((uint64_t)d << 32) | c);
		guest_leaf++;
	}
}

static void test_supported(void)
{
	struct vm *vm = vm_create_empty();
	struct cpuid_buf *b;
	struct kvm_cpuid_entry2 *e;
	struct { struct kvm_cpuid2 hdr; struct kvm_cpuid_entry2 e[1]; } small = { .hdr.nent = 1 };

	is_errno(kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, &small), E2BIG, "nent=1: E2BIG");
	is(small.hdr.nent, 1, "E2BIG leaves nent alone");
	small.hdr.nent = 0;
	is_errno(kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, &small), E2BIG, "nent=0: E2BIG");
	is_errno(kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, (void *)8), EFAULT, "bad pointer: EFAULT");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXT_CPUID), 1, "CAP_EXT_CPUID");

	b = supported(vm->kvm_fd);
	ok(b->hdr.nent > 10 && b->hdr.nent <= 80, "at most 80 entries (Firecracker's buffer): %u", b->hdr.nent);
	e = find(b, 0, 0);
	ok(e && e->ebx == 0x756e6547 && e->edx == 0x49656e69 && e->ecx == 0x6c65746e, "vendor GenuineIntel");
	e = find(b, 0x40000000, 0);
	ok(e && e->ebx == 0x4b4d564b && e->ecx == 0x564b4d56 && e->edx == 0x4d, "KVM signature KVMKVMKVM");
	e = find(b, 1, 0);
	ok(e && (e->ecx & (1u << 31)), "hypervisor bit");
	e = find(b, 0x80000001, 0);
	ok(e && (e->edx & (1u << 29)), "long mode");
	e = find(b, 4, 1);
	ok(e && (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX), "leaf 4 is indexed");
	e = find(b, 0x80000008, 0);
	ok(e && (e->eax & 0xff) == 46 && ((e->eax >> 8) & 0xff) == 48, "46 physical, 48 linear address bits");
	e = find(b, 0x80000000, 0);
	ok(e && e->eax == 0x80000008, "highest extended leaf");
	e = find(b, 7, 0);
	ok(e && e->ebx == ((1u << 7) | (1u << 10) | (1u << 20)) && e->ecx == (1u << 2) && e->edx == 0,
	   "leaf 7.0: SMEP (EBX[7]), INVPCID (EBX[10]), SMAP (EBX[20]), UMIP (ECX[2]) and nothing else");
	e = find(b, 1, 0);
	ok(e && (e->ecx & (1u << 17)), "leaf 1: PCID (ECX[17])");
	/* every bit names something src/cpu implements and its tests cover (docs/cpu.md) */
	ok(e && e->edx == 0x078bbb7f, "leaf 1 EDX: FPU VME DE PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT "
	   "PSE36 CLFSH MMX FXSR SSE SSE2 = 0x078bbb7f (0x%08x)", e ? e->edx : 0);
	ok(e && e->ecx == 0x85fa2201, "leaf 1 ECX: SSE3 SSSE3 CX16 PCID SSE4.1 SSE4.2 x2APIC MOVBE POPCNT "
	   "TSC-deadline XSAVE hypervisor = 0x85fa2201 (0x%08x)", e ? e->ecx : 0);
	e = find(b, 0x80000001, 0);
	ok(e && e->edx == 0x28100800 && e->ecx == 1,
	   "leaf 0x80000001: SYSCALL NX RDTSCP LM in EDX, LAHF in ECX (0x%08x 0x%08x)", e ? e->edx : 0,
	   e ? e->ecx : 0);
	free(b);
	vm_free(vm);
}

static void test_set_get(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_cpuid);
	struct cpuid_buf *b = supported(vm->kvm_fd), *g = calloc(1, sizeof(*g));
	struct ucall uc;
	uint32_t nent = b->hdr.nent;
	struct kvm_sregs s;

	g->hdr.nent = 256;
	is(kvm_ioctl(v->fd, KVM_GET_CPUID2, g), 0, "GET_CPUID2 before any SET");
	is(g->hdr.nent, 0, "a new vCPU has an empty CPUID");
	/* kvm_is_valid_cr4(): SMEP/SMAP/UMIP need the bits in the guest CPUID */
	s = vcpu_sregs(v);
	s.cr4 |= 1ull << 20;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR4.SMEP without CPUID.7:EBX[7]: EINVAL");
	s.cr4 ^= (1ull << 20) | (1ull << 11);
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR4.UMIP without CPUID.7:ECX[2]: EINVAL");

	b->hdr.nent = 257;
	is_errno(kvm_ioctl(v->fd, KVM_SET_CPUID2, b), E2BIG, "SET_CPUID2 with 257 entries: E2BIG");
	b->hdr.nent = nent;
	find(b, 0x80000008, 0)->eax = 46 | (47 << 8);
	is_errno(kvm_ioctl(v->fd, KVM_SET_CPUID2, b), EINVAL, "47 linear address bits: EINVAL");
	find(b, 0x80000008, 0)->eax = 40 | (48 << 8);
	is(kvm_ioctl(v->fd, KVM_SET_CPUID2, b), 0, "SET_CPUID2 with MAXPHYADDR 40");
	s = vcpu_sregs(v);
	s.cr4 |= (1ull << 20) | (1ull << 21) | (1ull << 11);
	is(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), 0, "CR4.SMEP|SMAP|UMIP accepted with the supported CPUID");
	s.cr4 &= ~((1ull << 20) | (1ull << 21) | (1ull << 11));
	is(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), 0, "and cleared again");
	g->hdr.nent = nent - 1;
	is_errno(kvm_ioctl(v->fd, KVM_GET_CPUID2, g), E2BIG, "GET_CPUID2 with too small a buffer: E2BIG");
	g->hdr.nent = 256;
	is(kvm_ioctl(v->fd, KVM_GET_CPUID2, g), 0, "GET_CPUID2");
	ok(g->hdr.nent == nent && !memcmp(g->e, b->e, nent * sizeof(b->e[0])), "SET -> GET round trip");

	/* MAXPHYADDR 40 now bounds CR3 in long mode */
	s = vcpu_sregs(v);
	s.cr3 = 1ull << 40;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL, "CR3 at bit 40 is above the guest's MAXPHYADDR");

	/* the guest sees exactly this CPUID */
	guest_leaf = 0;
	vm_sync_to_guest(vm, (void *)&guest_leaf, sizeof(guest_leaf));
	ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && (uint32_t)uc.args[0] == 0xd &&
	   (uc.args[0] >> 32) == 0x756e6547 && (uint32_t)uc.args[1] == 0x6c65746e &&
	   (uc.args[1] >> 32) == 0x49656e69, "guest CPUID.0: max leaf 0xd, GenuineIntel");
	{
		struct kvm_cpuid_entry2 *e1 = find(b, 1, 0);
		ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && (uint32_t)uc.args[0] == e1->eax &&
		   ((uint32_t)uc.args[1] & ~(1u << 27)) == e1->ecx &&
		   (uc.args[1] >> 32) == (e1->edx | (1u << 9)),
		   "guest CPUID.1 as set, with APIC following the enabled APIC base");
	}
	/* leaf 0xe is above the maximum basic leaf: Intel returns the highest basic leaf (0xd) */
	guest_leaf = 0xe;
	guest_index = 0;
	vm_sync_to_guest(vm, (void *)&guest_leaf, sizeof(guest_leaf));
	vm_sync_to_guest(vm, (void *)&guest_index, sizeof(guest_index));
	{
		struct kvm_cpuid_entry2 *ed = find(b, 0xd, 0);
		ok(vcpu_get_ucall(v, &uc) == UCALL_SYNC && (uint32_t)uc.args[0] == ed->eax &&
		   (uint32_t)uc.args[1] == ed->ecx && ed->eax == 3 && ed->ecx == 576,
		   "out-of-range leaf 0xe.0 returns leaf 0xd.0 (XSAVE: x87|SSE, 576 bytes)");
	}

	/* after KVM_RUN the CPUID is frozen: only the identical table may be set */
	is(kvm_ioctl(v->fd, KVM_SET_CPUID2, b), 0, "the identical CPUID after KVM_RUN is accepted");
	find(b, 1, 0)->ecx ^= 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_CPUID2, b), EINVAL, "a different CPUID after KVM_RUN: EINVAL");
	free(b);
	free(g);
	vm_free(vm);
}

int main(void)
{
	test_supported();
	test_set_get();
	return tap_done();
}
