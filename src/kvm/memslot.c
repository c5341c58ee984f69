// SPDX-License-Identifier: GPL-2.0-only
// Memslots: KVM_SET_USER_MEMORY_REGION with the kernel's validation, and gfn lookup.
//
// Each address space has an immutable, sorted snapshot (struct kvm_memslots). An
// update builds a new snapshot, publishes it, and waits until every vCPU inside
// KVM_RUN has reloaded (KVM_REQ_MMU_RELOAD), so no vCPU can still use a host pointer
// into a region the VMM is about to unmap once the ioctl returns.
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"

struct kvm_memory_slot *kvm_gfn_to_memslot(struct kvm_memslots *slots, uint64_t gfn)
{
	int lo = 0, hi = slots->nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct kvm_memory_slot *s = slots->sorted[mid];

		if (gfn < s->base_gfn)
			hi = mid - 1;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

void kvm_mark_page_dirty(struct kvm_memory_slot *slot, uint64_t gfn)
{
	uint64_t rel;

	if (!slot->dirty_bitmap)
		return;
	rel = gfn - slot->base_gfn;
	atomic_fetch_or((_Atomic unsigned long *)&slot->dirty_bitmap[rel / (8 * sizeof(long))],
			1ul << (rel % (8 * sizeof(long))));
}

static uint32_t valid_memslot_flags(void)
{
	return KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
}

static int slot_cmp(const void *a, const void *b)
{
	const struct kvm_memory_slot *x = *(struct kvm_memory_slot *const *)a;
	const struct kvm_memory_slot *y = *(struct kvm_memory_slot *const *)b;

	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

/* A new snapshot of `as_id` with `without` removed and `with` added (either may be NULL). */
static struct kvm_memslots *build_memslots(struct kvm *kvm, int as_id,
					   struct kvm_memory_slot *without,
					   struct kvm_memory_slot *with)
{
	struct kvm_memslots *old = atomic_load(&kvm->memslots[as_id]);
	struct kvm_memslots *s;
	int n = 0;

	s = calloc(1, sizeof(*s) + (size_t)(old->nr + 1) * sizeof(s->sorted[0]));
	if (!s)
		return NULL;
	for (int i = 0; i < old->nr; i++)
		if (old->sorted[i] != without)
			s->sorted[n++] = old->sorted[i];
	if (with)
		s->sorted[n++] = with;
	s->nr = n;
	qsort(s->sorted, (size_t)n, sizeof(s->sorted[0]), slot_cmp);
	s->generation = ++kvm->memslots_generation;
	return s;
}

static size_t dirty_bitmap_bytes(uint64_t npages);

/*
 * Replaces the snapshot and waits until no vCPU can still be using the old one;
 * then `gone` (the slot version that left, if any) is freed. When `gone` is replaced
 * by `merge` at the same place, dirty bits vCPUs set in `gone` until they reloaded
 * are carried over (a FLAGS_ONLY change must not lose a write).
 */
static void publish_memslots(struct kvm *kvm, int as_id, struct kvm_memslots *s,
			     struct kvm_memory_slot *gone, struct kvm_memory_slot *merge)
{
	struct kvm_memslots *old = atomic_exchange(&kvm->memslots[as_id], s);

	kvm->stat->memslot_updates++;
	kvm_make_all_cpus_request_wait(kvm, KVM_REQ_MMU_RELOAD);
	free(old);
	if (gone && merge && gone->dirty_bitmap && merge->dirty_bitmap &&
	    gone->base_gfn == merge->base_gfn) {
		size_t words = dirty_bitmap_bytes(gone->npages) / sizeof(long);
		for (size_t i = 0; i < words; i++)
			atomic_fetch_or((_Atomic unsigned long *)&merge->dirty_bitmap[i],
					gone->dirty_bitmap[i]);
	}
	if (gone) {
		free(gone->dirty_bitmap);
		free(gone);
	}
}

static size_t dirty_bitmap_bytes(uint64_t npages)
{
	/* kvm_dirty_bitmap_bytes(): whole longs */
	return (npages + 8 * sizeof(long) - 1) / (8 * sizeof(long)) * sizeof(long);
}

/*
 * __kvm_set_memory_region() (virt/kvm/kvm_main.c) and kvm_arch_prepare_memory_region()
 * (arch/x86/kvm/x86.c): the same checks, in the same order, with the same errors.
 * Called with kvm->slots_lock held. Every change (create, delete, move, flags)
 * publishes a new snapshot in one step; a slot version is never edited in place.
 */
int kvm_set_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem)
{
	struct kvm_memory_slot *old = NULL, *slot;
	struct kvm_memslots *cur, *s;
	unsigned as_id = mem->slot >> 16, id = (uint16_t)mem->slot;
	uint64_t npages, base_gfn;

	if (mem->flags & ~valid_memslot_flags())
		return -EINVAL;
	if (as_id >= SWKVM_ADDRESS_SPACES || id >= SWKVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	/* access_ok(): page aligned, and the whole range inside the user address space */
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr + mem->memory_size < mem->userspace_addr ||
	    mem->userspace_addr + mem->memory_size > SWKVM_TASK_SIZE)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	npages = mem->memory_size >> PAGE_SHIFT;
	if (npages > SWKVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;

	cur = atomic_load(&kvm->memslots[as_id]);
	for (int i = 0; i < cur->nr; i++)
		if (cur->sorted[i]->id == id)
			old = cur->sorted[i];

	if (!mem->memory_size) {
		/* KVM_MR_DELETE: deleting a slot that does not exist is -EINVAL. */
		if (!old)
			return -EINVAL;
		s = build_memslots(kvm, (int)as_id, old, NULL);
		if (!s)
			return -ENOMEM;
		publish_memslots(kvm, (int)as_id, s, old, NULL);
		return 0;
	}

	/* kvm_arch_prepare_memory_region(): the gfn range must fit MAXPHYADDR. */
	if (base_gfn + npages > (1ull << (SWKVM_MAXPHYADDR - PAGE_SHIFT)))
		return -EINVAL;

	if (old) {
		/* A slot cannot change its host address, size or READONLY-ness. */
		if (mem->userspace_addr != old->userspace_addr || npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 0;	/* nothing changes */
	}

	/* CREATE and MOVE must not overlap any other slot of the address space: -EEXIST. */
	if (!old || base_gfn != old->base_gfn) {
		for (int i = 0; i < cur->nr; i++) {
			struct kvm_memory_slot *o = cur->sorted[i];
			if (o == old)
				continue;
			if (base_gfn < o->base_gfn + o->npages && o->base_gfn < base_gfn + npages)
				return -EEXIST;
		}
	}

	slot = calloc(1, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	slot->id = (uint16_t)id;
	slot->as_id = (uint8_t)as_id;
	slot->base_gfn = base_gfn;
	slot->npages = npages;
	slot->userspace_addr = mem->userspace_addr;
	slot->flags = mem->flags;
	if (mem->flags & KVM_MEM_LOG_DIRTY_PAGES) {
		slot->dirty_bitmap = calloc(1, dirty_bitmap_bytes(npages));
		if (!slot->dirty_bitmap) {
			free(slot);
			return -ENOMEM;
		}
		/* FLAGS_ONLY keeps what was logged so far (a move starts clean). */
		if (old && old->dirty_bitmap && base_gfn == old->base_gfn)
			memcpy(slot->dirty_bitmap, old->dirty_bitmap, dirty_bitmap_bytes(npages));
		else if (kvm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET)
			/* Every page counts as dirty until userspace clears it (api.rst 7.18). */
			for (uint64_t g = 0; g < npages; g++)
				slot->dirty_bitmap[g / (8 * sizeof(long))] |= 1ul << (g % (8 * sizeof(long)));
	}
	s = build_memslots(kvm, (int)as_id, old, slot);
	if (!s) {
		free(slot->dirty_bitmap);
		free(slot);
		return -ENOMEM;
	}
	publish_memslots(kvm, (int)as_id, s, old, slot);
	return 0;
}

void kvm_free_memslots(struct kvm *kvm)
{
	for (int as = 0; as < SWKVM_ADDRESS_SPACES; as++) {
		struct kvm_memslots *s = atomic_load(&kvm->memslots[as]);

		for (int i = 0; s && i < s->nr; i++) {
			free(s->sorted[i]->dirty_bitmap);
			free(s->sorted[i]);
		}
		free(s);
	}
}

struct kvm_memory_slot *kvm_id_to_memslot(struct kvm *kvm, uint32_t slot)
{
	unsigned as_id = slot >> 16, id = (uint16_t)slot;
	struct kvm_memslots *s;

	if (as_id >= SWKVM_ADDRESS_SPACES || id >= SWKVM_USER_MEM_SLOTS)
		return NULL;
	s = atomic_load(&kvm->memslots[as_id]);
	for (int i = 0; i < s->nr; i++)
		if (s->sorted[i]->id == id)
			return s->sorted[i];
	return NULL;
}

size_t kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot)
{
	return dirty_bitmap_bytes(slot->npages);
}
