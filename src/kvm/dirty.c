// SPDX-License-Identifier: GPL-2.0-only
// Dirty-page logging: KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG (api.rst 4.8, 4.117).
//
// "Write protection" on a software CPU: a page is marked dirty when a vCPU's soft TLB
// first obtains a writable mapping for it (x86.c vcpu_gpa_page). After bits are handed
// to userspace, every vCPU drops its cached mappings (KVM_REQ_MMU_RELOAD, waited for),
// so the next write to any reported page marks it again. A write that lands between
// the collection and the flush goes to a page reported in this round, which userspace
// copies after the ioctl returns, so no write is lost.
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"

static int check_slot(struct kvm *kvm, uint32_t slot, struct kvm_memory_slot **out)
{
	unsigned as_id = slot >> 16, id = (uint16_t)slot;

	if (as_id >= SWKVM_ADDRESS_SPACES || id >= SWKVM_USER_MEM_SLOTS)
		return -EINVAL;
	*out = kvm_id_to_memslot(kvm, slot);
	if (!*out || !(*out)->dirty_bitmap)
		return -ENOENT;
	return 0;
}

/* kvm_get_dirty_log_protect() */
long kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void *argp)
{
	struct kvm_dirty_log log;
	struct kvm_memory_slot *slot;
	unsigned long *buf;
	size_t n, words;
	long r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	pthread_mutex_lock(&kvm->slots_lock);
	r = check_slot(kvm, log.slot, &slot);
	if (r)
		goto out;
	n = kvm_dirty_bitmap_bytes(slot);
	words = n / sizeof(long);
	buf = malloc(n);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (kvm->manual_dirty_log_protect) {
		/* With manual protection the log is only read; KVM_CLEAR_DIRTY_LOG re-arms. */
		for (size_t i = 0; i < words; i++)
			buf[i] = atomic_load((_Atomic unsigned long *)&slot->dirty_bitmap[i]);
	} else {
		bool any = false;
		for (size_t i = 0; i < words; i++) {
			buf[i] = atomic_exchange((_Atomic unsigned long *)&slot->dirty_bitmap[i], 0);
			any |= buf[i] != 0;
		}
		if (any) {
			kvm->stat->remote_tlb_flush++;
			kvm_make_all_cpus_request_wait(kvm, KVM_REQ_MMU_RELOAD);
		}
	}
	r = copy_to_user(log.dirty_bitmap, buf, n) ? -EFAULT : 0;
	free(buf);
out:
	pthread_mutex_unlock(&kvm->slots_lock);
	return r;
}

/* kvm_clear_dirty_log_protect() */
long kvm_vm_ioctl_clear_dirty_log(struct kvm *kvm, void *argp)
{
	struct kvm_clear_dirty_log log;
	struct kvm_memory_slot *slot;
	unsigned long *buf;
	size_t n;
	long r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	/*
	 * kvm_clear_dirty_log_protect() does not require KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
	 * to be enabled: without it the bits are cleared (and the pages re-armed) all the same.
	 */
	/* The first page must start a 64-page word. */
	if (log.first_page & 63)
		return -EINVAL;
	pthread_mutex_lock(&kvm->slots_lock);
	r = check_slot(kvm, log.slot, &slot);
	if (r)
		goto out;
	if (log.first_page > slot->npages || log.num_pages > slot->npages - log.first_page ||
	    (log.num_pages < slot->npages - log.first_page && (log.num_pages & 63))) {
		r = -EINVAL;
		goto out;
	}
	n = (log.num_pages + 63) / 64 * sizeof(unsigned long);
	buf = malloc(n ? n : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(buf, log.dirty_bitmap, n)) {
		free(buf);
		r = -EFAULT;
		goto out;
	}
	{
		bool any = false;
		for (size_t i = 0; i < n / sizeof(long); i++) {
			unsigned long mask = buf[i];
			uint64_t page = log.first_page + i * 64;

			/* Bits past num_pages in the last word are ignored. */
			if (log.num_pages - i * 64 < 64)
				mask &= (1ul << (log.num_pages - i * 64)) - 1;
			if (!mask)
				continue;
			atomic_fetch_and((_Atomic unsigned long *)&slot->dirty_bitmap[page / 64], ~mask);
			any = true;
		}
		if (any) {
			kvm->stat->remote_tlb_flush++;
			kvm_make_all_cpus_request_wait(kvm, KVM_REQ_MMU_RELOAD);
		}
	}
	free(buf);
	r = 0;
out:
	pthread_mutex_unlock(&kvm->slots_lock);
	return r;
}
