// SPDX-License-Identifier: GPL-2.0-only
// SMEP and SMAP from the guest's side through the KVM API: with the supported CPUID the
// guest sets CR4.SMEP|SMAP, then a supervisor read, write and fetch of user pages fault
// with the exact #PF error codes and CR2, STAC/CLAC toggle the data rule, and clearing
// SMEP lets the fetch run (SDM Vol.3 §4.6.1, §4.7).
#include <stdio.h>

#include "kvm_util.h"

#define T 0x8000000000ull	/* the user pages, at 512 GiB (PML4 entry 1); the rest is supervisor */
#define PF 14
#define PFEC_P 1
#define PFEC_W 2
#define PFEC_I 16
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

GUEST_CODE static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

GUEST_CODE static void cr4_set(uint64_t set, uint64_t clear)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 = (cr4 | set) & ~clear;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

GUEST_CODE static void guest_smx(void)
{
	uint64_t v = 0;

	/* without SMEP/SMAP the kernel may touch user pages */
	GUEST_ASSERT_EQ(guest_read_safe(T, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0x1234);
	cr4_set(CR4_SMEP | CR4_SMAP, 0);

	GUEST_ASSERT_EQ(guest_read_safe(T + 0x10, &v), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x10);
	GUEST_ASSERT_EQ(guest_write_safe(T + 0x18, 5), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P | PFEC_W);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x18);

	/* EFLAGS.AC=1 (STAC) allows explicit accesses; CLAC forbids them again */
	__asm__ volatile("stac" ::: "memory");
	GUEST_ASSERT_EQ(guest_write_safe(T + 0x18, 5), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x18, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 5);
	__asm__ volatile("clac" ::: "memory");
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x18, &v), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P);

	/* SMEP: a supervisor fetch from a user page */
	GUEST_ASSERT_EQ(guest_call_safe((void (*)(void))(uintptr_t)(T + 0x1000)), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P | PFEC_I);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x1000);
	cr4_set(0, CR4_SMEP);
	GUEST_ASSERT_EQ(guest_call_safe((void (*)(void))(uintptr_t)(T + 0x1000)), GUEST_NO_EXC);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_smx);
	uint8_t *low = vm->regions[0].hva;
	uint64_t *pml4;
	struct ucall uc;

	vcpu_set_supported_cpuid(v);	/* CPUID.7.0:EBX SMEP and SMAP: the CR4 bits are valid */
	vm_map_4k(vm, T, 0x201000);
	*(uint64_t *)(low + 0x201000) = 0x1234;
	vm_map_4k(vm, T + 0x1000, 0x202000);
	low[0x202000] = 0xc3;		/* ret */
	/* everything but PML4 entry 1 (the test pages) becomes supervisor-only */
	pml4 = addr_gpa2hva(vm, vm->pml4_gpa);
	for (int i = 0; i < 512; i++)
		if (i != 1 && (pml4[i] & 1))
			pml4[i] &= ~4ull;
	is(vcpu_get_ucall(v, &uc), UCALL_DONE,
	   "SMAP #PF(P), #PF(P|W) with CR2, STAC/CLAC, SMEP #PF(P|I), and the fetch without SMEP");
	vm_free(vm);
	return tap_done();
}
