// SPDX-License-Identifier: GPL-2.0-only
// KVM_GET_STATS_FD: the binary stats file (api.rst 4.133) with live counters.
//
// The file is a memfd laid out as the kernel lays its stats file out: header, id
// string, descriptors, data. We map it shared and the counters *are* its data block,
// so pread() on any descriptor returns current values without a copy. Monitors in
// other processes find the files as memfds named kvm-vm-stats / kvm-vcpu-stats.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/kvm_host.h"

#define STATS_NAME_SIZE 48	/* KVM_STATS_NAME_SIZE */

struct stat_def {
	const char *name;
	uint32_t flags;
	int16_t exponent;
	uint32_t offset;
};

#define CUMUL(st, f) { #f, KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10, 0, \
		       (uint32_t)offsetof(st, f) }
/* nanoseconds: unit seconds, base 10, exponent -9 */
#define CUMUL_NS(st, f) { #f, KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10, -9, \
			  (uint32_t)offsetof(st, f) }
#define INSTANT_BOOL(st, f) { #f, KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN | KVM_STATS_BASE_POW10, 0, \
			      (uint32_t)offsetof(st, f) }

static const struct stat_def vcpu_defs[] = {
	CUMUL(struct kvm_vcpu_stat, exits),
	CUMUL(struct kvm_vcpu_stat, io_exits),
	CUMUL(struct kvm_vcpu_stat, mmio_exits),
	CUMUL(struct kvm_vcpu_stat, signal_exits),
	CUMUL(struct kvm_vcpu_stat, halt_exits),
	CUMUL(struct kvm_vcpu_stat, halt_wakeup),
	CUMUL_NS(struct kvm_vcpu_stat, halt_wait_ns),
	INSTANT_BOOL(struct kvm_vcpu_stat, blocking),
	CUMUL(struct kvm_vcpu_stat, irq_window_exits),
	CUMUL(struct kvm_vcpu_stat, nmi_window_exits),
	CUMUL(struct kvm_vcpu_stat, irq_exits),
	CUMUL(struct kvm_vcpu_stat, req_event),
	CUMUL(struct kvm_vcpu_stat, pf_guest),
	CUMUL(struct kvm_vcpu_stat, invlpg),
	CUMUL(struct kvm_vcpu_stat, tlb_flush),
	CUMUL(struct kvm_vcpu_stat, insn_emulation_fail),
	CUMUL(struct kvm_vcpu_stat, request_irq_exits),
	CUMUL(struct kvm_vcpu_stat, irq_injections),
	CUMUL(struct kvm_vcpu_stat, nmi_injections),
	CUMUL(struct kvm_vcpu_stat, hypercalls),
	CUMUL(struct kvm_vcpu_stat, cpuid_exits),
	CUMUL(struct kvm_vcpu_stat, msr_exits),
};

static const struct stat_def vm_defs[] = {
	CUMUL(struct kvm_vm_stat, remote_tlb_flush),
	CUMUL(struct kvm_vm_stat, remote_tlb_flush_requests),
	CUMUL(struct kvm_vm_stat, memslot_updates),
};

_Static_assert(sizeof(struct kvm_vcpu_stat) == sizeof(vcpu_defs) / sizeof(vcpu_defs[0]) * 8,
	       "every vCPU counter has a descriptor");
_Static_assert(sizeof(struct kvm_vm_stat) == sizeof(vm_defs) / sizeof(vm_defs[0]) * 8,
	       "every VM counter has a descriptor");

static int stats_create(struct kvm_stats_file *f, const char *memfd_name, const char *id,
			const struct stat_def *defs, int n, size_t data_size, void **data)
{
	size_t desc_size = sizeof(struct kvm_stats_desc) + STATS_NAME_SIZE;
	struct kvm_stats_header h = {
		.flags = 0,
		.name_size = STATS_NAME_SIZE,
		.num_desc = (uint32_t)n,
		.id_offset = sizeof(struct kvm_stats_header),
		.desc_offset = sizeof(struct kvm_stats_header) + STATS_NAME_SIZE,
	};
	uint8_t *p;
	int err;

	h.data_offset = h.desc_offset + (uint32_t)(desc_size * (size_t)n);
	f->map_size = h.data_offset + data_size;
	f->fd = memfd_create(memfd_name, MFD_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	if (ftruncate(f->fd, (off_t)f->map_size) < 0)
		goto fail;
	f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (f->map == MAP_FAILED)
		goto fail;
	p = f->map;
	memcpy(p, &h, sizeof(h));
	strncpy((char *)p + h.id_offset, id, STATS_NAME_SIZE - 1);
	for (int i = 0; i < n; i++) {
		struct kvm_stats_desc *d = (void *)(p + h.desc_offset + desc_size * (size_t)i);

		d->flags = defs[i].flags;
		d->exponent = defs[i].exponent;
		d->size = 1;
		d->offset = defs[i].offset;
		d->bucket_size = 0;
		strncpy(d->name, defs[i].name, STATS_NAME_SIZE - 1);
	}
	*data = p + h.data_offset;
	return 0;
fail:
	err = -errno;
	close(f->fd);
	f->fd = -1;
	f->map = NULL;
	return err;
}

int kvm_stats_create_vm(struct kvm_stats_file *f, struct kvm_vm_stat **data)
{
	char id[STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d", (int)getpid());
	return stats_create(f, "kvm-vm-stats", id, vm_defs, (int)(sizeof(vm_defs) / sizeof(vm_defs[0])),
			    sizeof(struct kvm_vm_stat), (void **)data);
}

int kvm_stats_create_vcpu(struct kvm_stats_file *f, int vcpu_id, struct kvm_vcpu_stat **data)
{
	char id[STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d/vcpu-%d", (int)getpid(), vcpu_id);
	return stats_create(f, "kvm-vcpu-stats", id, vcpu_defs,
			    (int)(sizeof(vcpu_defs) / sizeof(vcpu_defs[0])), sizeof(struct kvm_vcpu_stat),
			    (void **)data);
}

void kvm_stats_destroy(struct kvm_stats_file *f)
{
	if (f->map)
		munmap(f->map, f->map_size);
	if (f->fd >= 0)
		close(f->fd);
	f->map = NULL;
	f->fd = -1;
}

int kvm_stats_get_fd(struct kvm_stats_file *f)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
