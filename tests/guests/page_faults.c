// SPDX-License-Identifier: GPL-2.0-only
// Paging from the guest's side: #PF error codes and CR2, CR0.WP, reserved bits, NX,
// accessed/dirty bits, and INVLPG dropping a cached translation (SDM Vol.3 §4.7, §4.8, §4.10).
#include <stdio.h>

#include "kvm_util.h"

#define T 0x8000000000ull		/* test pages live at 512 GiB (PML4 entry 1) */
#define PF 14
#define PFEC_P 1
#define PFEC_W 2
#define PFEC_RSVD 8
#define PFEC_I 16

static volatile uint64_t pte5_gva;	/* where the guest finds the PTE of T+0x5000 */

GUEST_CODE static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

GUEST_CODE static void set_wp(bool on)
{
	uint64_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = on ? cr0 | (1ull << 16) : cr0 & ~(1ull << 16);
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

GUEST_CODE static void guest_paging(void)
{
	uint64_t v = 0;

	/* not present: read, then write; CR2 holds the linear address */
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x18, &v), PF);
	GUEST_ASSERT_EQ(guest_exc.error, 0);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x18);
	GUEST_ASSERT_EQ(guest_write_safe(T + 0x20, 1), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_W);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x20);

	/* read-only page: reads work, supervisor writes fault with CR0.WP=1 only */
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x1000, &v), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(v, 0x1111);
	GUEST_ASSERT_EQ(guest_write_safe(T + 0x1010, 5), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P | PFEC_W);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x1010);
	set_wp(false);
	GUEST_ASSERT_EQ(guest_write_safe(T + 0x1010, 5), GUEST_NO_EXC);
	set_wp(true);

	/* a reserved bit (51, above MAXPHYADDR) in the PTE */
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x2000, &v), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P | PFEC_RSVD);

	/* executing from an NX page (EFER.NXE=1): an instruction-fetch fault */
	GUEST_ASSERT_EQ(guest_call_safe((void (*)(void))(uintptr_t)(T + 0x3000)), PF);
	GUEST_ASSERT_EQ(guest_exc.error, PFEC_P | PFEC_I);
	GUEST_ASSERT_EQ(read_cr2(), T + 0x3000);
	/* the same code through an executable mapping runs */
	GUEST_ASSERT_EQ(guest_call_safe((void (*)(void))(uintptr_t)(T + 0x6000)), GUEST_NO_EXC);

	/* accessed, then dirty */
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x4000, &v), GUEST_NO_EXC);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(guest_write_safe(T + 0x4008, 7), GUEST_NO_EXC);
	GUEST_SYNC(2);

	/* INVLPG: after the guest clears P in its PTE and flushes, the access faults */
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x5000, &v), GUEST_NO_EXC);
	*(volatile uint64_t *)(uintptr_t)pte5_gva &= ~1ull;
	__asm__ volatile("invlpg (%0)" : : "r"(T + 0x5000) : "memory");
	GUEST_ASSERT_EQ(guest_read_safe(T + 0x5000, &v), PF);
	GUEST_ASSERT_EQ(guest_exc.error, 0);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_paging);
	uint8_t *low = vm->regions[0].hva;
	uint64_t *pte_ro, *pte_rsvd, *pte_nx, *pte_ad, *pte5;
	struct kvm_sregs s = vcpu_sregs(v);
	struct ucall uc;

	/* T+0: not mapped. Backing pages at GPA 2 MiB + n*4 KiB. */
	pte_ro = vm_map_4k(vm, T + 0x1000, 0x201000);
	*pte_ro &= ~2ull;					/* read-only */
	*(uint64_t *)(low + 0x201000) = 0x1111;
	pte_rsvd = vm_map_4k(vm, T + 0x2000, 0x202000);
	*pte_rsvd |= 1ull << 51;				/* reserved with MAXPHYADDR 46 */
	pte_nx = vm_map_4k(vm, T + 0x3000, 0x203000);
	*pte_nx |= 1ull << 63;					/* NX */
	low[0x203000] = 0xc3;					/* ret */
	vm_map_4k(vm, T + 0x6000, 0x203000);			/* same page, executable */
	pte_ad = vm_map_4k(vm, T + 0x4000, 0x204000);
	pte5 = vm_map_4k(vm, T + 0x5000, 0x205000);
	pte5_gva = (uint64_t)((uint8_t *)pte5 - low);		/* identity-mapped low memory */
	vm_sync_to_guest(vm, (void *)&pte5_gva, sizeof(pte5_gva));
	s.efer |= 1ull << 11;					/* NXE */
	vcpu_set_sregs(v, &s);

	ok(!(*pte_ad & 0x60), "a fresh PTE has neither A nor D");
	if (!vcpu_expect_sync(v, 1, "guest read the A/D page"))
		goto out;
	is(*pte_ad & 0x60, 0x20, "a read set A, not D");
	if (!vcpu_expect_sync(v, 2, "guest wrote it"))
		goto out;
	is(*pte_ad & 0x60, 0x60, "a write set D");
	is(vcpu_get_ucall(v, &uc), UCALL_DONE,
	   "#PF error codes and CR2 (not present, WP, reserved bit, NX), CR0.WP=0, INVLPG");
out:
	vm_free(vm);
	return tap_done();
}
