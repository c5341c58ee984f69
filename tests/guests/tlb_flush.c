// SPDX-License-Identifier: GPL-2.0-only
// What invalidates a cached translation (SDM Vol.3 §4.10.4): the guest reads a page, points
// its PTE at another frame, runs one invalidation and must then see the new frame. Covered:
// MOV to CR3 without PCIDs, CR4.PGE toggled for a global page, INVLPG of a global page and
// of a 2-MiB page through another of its 4-KiB pieces,
// CR4.PCIDE set and MOV to CR3 with a PCID (bit 63 set: no #GP, not stored), INVPCID of
// every type, CR0.WP changes seen at once, and INVPCID's #GP checks. Architecturally a CPU
// may also drop entries early, so only the values after an invalidation are asserted; the
// soft TLB does cache the first read (without an invalidation the test would see the old
// frame), which is what makes each check able to fail.
#include <stdio.h>

#include "kvm_util.h"

#define T 0x8000000000ull		/* test pages at 512 GiB (PML4 entry 1) */
#define PG 0x200000ull			/* frames at 2 MiB: PG + n * 4 KiB holds value 0x100 + n */
#define PTE_G (1ull << 8)
#define CR4_PGE (1ull << 7)
#define CR4_PCIDE (1ull << 17)
#define GP 13

static volatile uint64_t pte_gva[2];	/* PTEs of T (normal) and T + 0x1000 (global) */
#define T2 (T + 0x40000000ull)		/* a 2-MiB page (PDPT entry 1 of PML4 entry 1) */
#define BIG0 0x2000000ull		/* its two possible frames: 32 MiB and 34 MiB; the word at */
#define BIG1 0x2200000ull		/* offset o of frame k holds o + k */
static volatile uint64_t pde_gva;

GUEST_CODE static uint64_t rd(uint64_t a)
{
	return *(volatile uint64_t *)(uintptr_t)a;
}

/* points the PTE of test page i at frame n (the TLB still has the old translation) */
GUEST_CODE static void retarget(int i, int n)
{
	volatile uint64_t *pte = (volatile uint64_t *)(uintptr_t)pte_gva[i];

	*pte = (*pte & ~0x000ffffffffff000ull) | (PG + n * 0x1000ull);
}

GUEST_CODE static uint64_t get_cr(int n)
{
	uint64_t v = 0;

	if (n == 3)
		__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	else
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

GUEST_CODE static void set_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

GUEST_CODE static void set_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

GUEST_CODE static void invpcid(uint64_t type, uint64_t pcid, uint64_t addr)
{
	struct { uint64_t pcid, addr; } d = { pcid, addr };

	__asm__ volatile("invpcid %1, %0" : : "r"(type), "m"(d) : "memory");
}

/* INVPCID with a bad operand, run through guest_call_safe (RAX type, RCX -> descriptor) */
uint64_t bad_desc[2];
uint64_t bad_type;
GUEST_ASM_STUB(invpcid_stub, "mov bad_type(%rip), %rax\n lea bad_desc(%rip), %rcx\n invpcid (%rcx), %rax");

GUEST_CODE static void guest_tlb(void)
{
	uint64_t cr3 = get_cr(3), cr4 = get_cr(4);

	/* MOV to CR3 (PCIDE = 0) invalidates non-global translations */
	GUEST_ASSERT_EQ(rd(T), 0x100);
	retarget(0, 1);
	set_cr3(cr3);
	GUEST_ASSERT_EQ(rd(T), 0x101);

	/* a global page: toggling CR4.PGE invalidates everything, globals too */
	set_cr4(cr4 | CR4_PGE);
	GUEST_ASSERT_EQ(rd(T + 0x1000), 0x102);
	retarget(1, 3);
	set_cr4(cr4);
	set_cr4(cr4 | CR4_PGE);
	GUEST_ASSERT_EQ(rd(T + 0x1000), 0x103);
	/* INVLPG invalidates a global translation as well */
	retarget(1, 2);
	__asm__ volatile("invlpg (%0)" : : "r"(T + 0x1000) : "memory");
	GUEST_ASSERT_EQ(rd(T + 0x1000), 0x102);

	/*
	 * A 2-MiB page: two of its 4-KiB pieces are read (the soft TLB holds them in two
	 * slots), the PDE moves to another 2-MiB frame, and INVLPG of a third address in the
	 * page must drop the translation of the whole large page.
	 */
	GUEST_ASSERT_EQ(rd(T2 + 0x3000), 0x3000 + 0);
	GUEST_ASSERT_EQ(rd(T2 + 0x5000), 0x5000 + 0);
	*(volatile uint64_t *)(uintptr_t)pde_gva ^= BIG0 ^ BIG1;
	__asm__ volatile("invlpg (%0)" : : "r"(T2 + 0x1ff000) : "memory");
	GUEST_ASSERT_EQ(rd(T2 + 0x3000), 0x3000 + 1);
	GUEST_ASSERT_EQ(rd(T2 + 0x5000), 0x5000 + 1);

	/* CR0.WP: a supervisor write to a read-only page faults as soon as WP is set again */
	GUEST_SYNC(1);
	{
		uint64_t cr0;

		__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
		__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~(1ull << 16)) : "memory");
		GUEST_ASSERT_EQ(guest_write_safe(T, 0x55), GUEST_NO_EXC);
		__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
		GUEST_ASSERT_EQ(guest_write_safe(T, 0x66), 14);
		GUEST_ASSERT_EQ(guest_exc.error, 3);
		GUEST_ASSERT_EQ(rd(T), 0x55);
	}
	GUEST_SYNC(2);

	/* PCIDs: CR4.PCIDE with CR3[11:0] = 0, then CR3 with PCID 1 */
	set_cr4(cr4 | CR4_PGE | CR4_PCIDE);
	set_cr3(cr3 | 1);
	GUEST_ASSERT_EQ(get_cr(3), cr3 | 1);
	GUEST_ASSERT_EQ(rd(T), 0x55);	/* frame 1, as the WP=0 write left it */
	retarget(0, 4);
	set_cr3(cr3 | 1);		/* bit 63 clear: PCID 1's translations go */
	GUEST_ASSERT_EQ(rd(T), 0x104);
	set_cr3(cr3 | 2 | (1ull << 63));	/* bit 63: keep PCID 2's; not stored */
	GUEST_ASSERT_EQ(get_cr(3), cr3 | 2);
	set_cr3(cr3 | 1 | (1ull << 63));
	GUEST_ASSERT_EQ(get_cr(3), cr3 | 1);

	/* INVPCID type 0: one address in PCID 1 */
	GUEST_ASSERT_EQ(rd(T), 0x104);
	retarget(0, 5);
	invpcid(0, 1, T);
	GUEST_ASSERT_EQ(rd(T), 0x105);
	/* type 1: all of PCID 1 */
	retarget(0, 6);
	invpcid(1, 1, 0);
	GUEST_ASSERT_EQ(rd(T), 0x106);
	/* type 3: every PCID, globals kept (may be): the non-global page changes */
	retarget(0, 7);
	invpcid(3, 0, 0);
	GUEST_ASSERT_EQ(rd(T), 0x107);
	/* type 2: every PCID and the globals */
	GUEST_ASSERT_EQ(rd(T + 0x1000), 0x102);
	retarget(1, 8);
	invpcid(2, 0, 0);
	GUEST_ASSERT_EQ(rd(T + 0x1000), 0x108);

	/* PCIDE 1 -> 0 (with CR3[11:0] = 1 it is allowed) flushes; the PCID bits stay in CR3 */
	retarget(0, 9);
	set_cr4(cr4 | CR4_PGE);
	GUEST_ASSERT_EQ(rd(T), 0x109);
	set_cr3(cr3);

	/* INVPCID's operand checks: #GP(0) for type > 3, a non-canonical type-0 address,
	 * descriptor bits 63:12 set, and a non-zero PCID for types 0/1 with PCIDE = 0 */
	bad_type = 4;
	GUEST_ASSERT_EQ(guest_call_safe(invpcid_stub), GP);
	GUEST_ASSERT_EQ(guest_exc.error, 0);
	bad_type = 0;
	bad_desc[1] = 0x800000000000ull;
	GUEST_ASSERT_EQ(guest_call_safe(invpcid_stub), GP);
	bad_desc[1] = 0;
	bad_desc[0] = 1ull << 12;
	GUEST_ASSERT_EQ(guest_call_safe(invpcid_stub), GP);
	bad_desc[0] = 1;
	bad_type = 1;
	GUEST_ASSERT_EQ(guest_call_safe(invpcid_stub), GP);
	bad_type = 2;			/* types 2 and 3 ignore the PCID */
	GUEST_ASSERT_EQ(guest_call_safe(invpcid_stub), GUEST_NO_EXC);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_tlb);
	uint8_t *low = vm->regions[0].hva;
	uint64_t *pte[2];
	struct ucall uc;

	for (int n = 0; n < 10; n++)
		*(uint64_t *)(low + PG + n * 0x1000) = 0x100 + n;
	pte[0] = vm_map_4k(vm, T, PG);
	pte[1] = vm_map_4k(vm, T + 0x1000, PG + 0x2000);
	*pte[1] |= PTE_G;
	for (int i = 0; i < 2; i++)
		pte_gva[i] = (uint64_t)((uint8_t *)pte[i] - low);	/* low memory is identity-mapped */
	vm_sync_to_guest(vm, (void *)pte_gva, sizeof(pte_gva));
	{
		/* a 2-MiB mapping at T2: map a 4-KiB page to build the tables, then make its PDE large */
		uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa), *pdpt, *pd;

		vm_map_4k(vm, T2, PG);
		pdpt = addr_gpa2hva(vm, pml4[(T2 >> 39) & 511] & 0x000ffffffffff000ull);
		pd = addr_gpa2hva(vm, pdpt[(T2 >> 30) & 511] & 0x000ffffffffff000ull);
		pd[0] = BIG0 | 0x83;			/* P RW PS */
		pde_gva = (uint64_t)((uint8_t *)&pd[0] - low);
		vm_sync_to_guest(vm, (void *)&pde_gva, sizeof(pde_gva));
		for (int k = 0; k < 2; k++)
			for (uint64_t o = 0; o < 0x200000; o += 0x1000)
				*(uint64_t *)(low + (k ? BIG1 : BIG0) + o) = o + k;
	}
	vcpu_set_supported_cpuid(v);	/* PCID and INVPCID */

	if (!vcpu_expect_sync(v, 1, "MOV CR3, CR4.PGE toggle, INVLPG of a global and of a 2-MiB page invalidated"))
		goto out;
	*pte[0] &= ~2ull;		/* T read-only */
	if (!vcpu_expect_sync(v, 2, "CR0.WP=0 let the write through, WP=1 faulted at once"))
		goto out;
	*pte[0] |= 2;
	is(low[PG + 0x1000], 0x55, "  the WP=0 write landed in the frame the PTE names");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE,
	   "PCIDs: MOV CR3 with PCID and bit 63, INVPCID types 0-3, PCIDE 1->0, INVPCID #GP checks");
out:
	vm_free(vm);
	return tap_done();
}
