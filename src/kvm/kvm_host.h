// SPDX-License-Identifier: GPL-2.0-only
// The hypervisor's internal objects: fd-backed kobjs, the VM, the vCPU, memslots.
#ifndef SWKVM_KVM_HOST_H
#define SWKVM_KVM_HOST_H

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpu/cpu.h"
#include "kvm/stats.h"
#include "kvm/x86/x86.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)

/* ---- limits, each answered by KVM_CHECK_EXTENSION (see x86/caps.c) ---- */
#define KVM_API_VERSION_NR	12
#define SWKVM_USER_MEM_SLOTS	32764	/* x86 KVM_USER_MEM_SLOTS */
#define SWKVM_ADDRESS_SPACES	2	/* 0: normal, 1: SMM (x86/smm.c) */
#define SWKVM_MAX_VCPUS		256	/* one host thread each */
#define SWKVM_MAX_VCPU_IDS	1024
/* KVM_MEM_MAX_NR_PAGES: (1 << 31) - 1 pages per slot (include/linux/kvm_host.h). */
#define SWKVM_MEM_MAX_NR_PAGES	((1ul << 31) - 1)
/* Highest user address access_ok() accepts with 4-level paging (TASK_SIZE_MAX). */
#define SWKVM_TASK_SIZE		0x00007ffffffff000ull
/* MAXPHYADDR of the modelled CPU (CPUID 0x80000008.EAX[7:0]). */
#define SWKVM_MAXPHYADDR	46
/* The guest TSC counts nanoseconds of CLOCK_MONOTONIC: 1 GHz (x86/x86.c vcpu_read_tsc). */
#define SWKVM_TSC_KHZ		1000000
/* KVM_SET_TSC_KHZ accepts rates below this (kvm_caps.max_guest_tsc_khz) */
#define SWKVM_MAX_TSC_KHZ	0x7fffffffu
/* vCPU mmap: kvm_run, the PIO data page, the coalesced-MMIO ring page. */
#define SWKVM_VCPU_MMAP_PAGES	(KVM_COALESCED_MMIO_PAGE_OFFSET + 1)

/* ------------------------------------------------------------------------ */
/* fd-backed objects (kobj.c)                                                */

enum kobj_type { KOBJ_SYSTEM = 1, KOBJ_VM, KOBJ_VCPU };

struct kobj {
	enum kobj_type type;
	atomic_int refs;
	dev_t dev;
	ino_t ino;
	int selffd;		/* our own descriptor: keeps the inode (and its number) alive */
	void (*release)(struct kobj *obj);
};

/*
 * Creates the memfd behind `obj` (named `name`, `size` bytes) and registers it.
 * Returns the caller's fd (the one handed to the VMM) or -errno. On success the
 * registry owns one reference.
 */
int kobj_install(struct kobj *obj, const char *name, size_t size, bool cloexec);
/* Looks up `fd` and takes a reference, or returns NULL. */
struct kobj *kobj_get_fd(int fd);
void kobj_get(struct kobj *obj);
void kobj_put(struct kobj *obj);
/* close(fd); unregisters and drops the registry's reference when no fd is left. */
int kobj_close_fd(int fd);

/* ------------------------------------------------------------------------ */
/* memslots (memslot.c)                                                      */

struct kvm_memory_slot {
	uint64_t base_gfn;
	uint64_t npages;
	uint64_t userspace_addr;
	uint32_t flags;
	uint16_t id;
	uint8_t as_id;
	unsigned long *dirty_bitmap;	/* with KVM_MEM_LOG_DIRTY_PAGES */
};

/* An immutable snapshot of one address space's slots, replaced as a whole on change. */
struct kvm_memslots {
	uint64_t generation;
	int nr;				/* slots in use, sorted by base_gfn */
	struct kvm_memory_slot *sorted[];	/* each slot version is its own allocation */
};

struct kvm;
int kvm_set_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem);
void kvm_free_memslots(struct kvm *kvm);
/* Slot containing gfn, or NULL. Safe while the caller is in KVM_RUN (see kvm_vcpu.mode). */
struct kvm_memory_slot *kvm_gfn_to_memslot(struct kvm_memslots *slots, uint64_t gfn);
static inline uint8_t *kvm_slot_hva(const struct kvm_memory_slot *slot, uint64_t gfn)
{
	return (uint8_t *)(uintptr_t)(slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT));
}
void kvm_mark_page_dirty(struct kvm_memory_slot *slot, uint64_t gfn);
/* The slot with id `id` (bits 16-31: address space) in the current snapshot, or NULL. */
struct kvm_memory_slot *kvm_id_to_memslot(struct kvm *kvm, uint32_t slot);
size_t kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot);
long kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void *argp);
long kvm_vm_ioctl_clear_dirty_log(struct kvm *kvm, void *argp);

/* ------------------------------------------------------------------------ */
/* the VM (vm.c)                                                             */

struct kvm_vcpu;

struct kvm {
	struct kobj obj;
	pthread_mutex_t lock;		/* vCPU creation, VM-wide settings */
	pthread_mutex_t slots_lock;	/* memslot updates */
	struct kvm_memslots *_Atomic memslots[SWKVM_ADDRESS_SPACES];
	uint64_t memslots_generation;
	uint64_t manual_dirty_log_protect;	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flags */
	uint64_t disabled_quirks;		/* KVM_CAP_DISABLE_QUIRKS2 */
	uint64_t hypercall_exit_enabled;	/* KVM_CAP_EXIT_HYPERCALL */

	struct kvm_vcpu *_Atomic vcpus[SWKVM_MAX_VCPUS];
	int max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID, 0 = SWKVM_MAX_VCPU_IDS */
	atomic_int online_vcpus;
	int created_vcpus;

	/* x86 VM state */
	uint64_t tss_addr;
	uint64_t identity_map_addr;
	int bsp_vcpu_id;			/* KVM_SET_BOOT_CPU_ID */
	_Atomic int64_t kvmclock_offset;	/* kvmclock = host monotonic ns + this (x86/kvmclock.c) */
	uint64_t wall_clock;			/* MSR_KVM_WALL_CLOCK(_NEW) */
	bool boot_vcpu_runs_old_kvmclock;	/* vCPU 0 enabled kvmclock with MSR 0x12 */
	/* in-hypervisor chips (x86/i8259.c, x86/ioapic.c, x86/i8254.c); NULL until created */
	_Atomic int irqchip_mode;		/* KVM_IRQCHIP_* (x86/irqchip.c) */
	atomic_int vapics_in_nmi_mode;		/* LAPICs with LINT0 in NMI mode (PIT NMI watchdog) */
	pthread_rwlock_t irq_routing_lock;
	struct kvm_irq_routing_table *irq_routing;	/* x86/irq_route.c */
	struct kvm_pic *vpic;
	struct kvm_ioapic *vioapic;
	struct kvm_pit *vpit;
	/* I/O buses (iobus.c) and the timer thread (timer.c) */
	struct kvm_io_bus *_Atomic buses[2];
	struct kvm_timer_base *timers;
	pthread_mutex_t ioeventfds_lock;
	struct ioeventfd *ioeventfds;		/* eventfd.c */
	pthread_mutex_t coalesced_lock;
	struct coalesced_zone *coalesced_zones;	/* coalesced_mmio.c */
	struct kvm_irqfds *irqfds;		/* irqfd.c, created by the first KVM_IRQFD */

	struct kvm_vm_stat *stat;		/* the data block of stats_file */
	struct kvm_stats_file stats_file;
};

int kvm_dev_ioctl_create_vm(unsigned long type);
long kvm_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
long kvm_vm_ioctl_enable_cap(struct kvm *kvm, void *argp);
long kvm_vm_ioctl_ioeventfd(struct kvm *kvm, void *argp);
void kvm_ioeventfd_destroy(struct kvm *kvm);
long kvm_vm_ioctl_coalesced_mmio(struct kvm *kvm, void *argp, bool reg);
/* eventfd.c helpers shared with irqfd.c */
bool kvm_is_eventfd(int fd);
void kvm_eventfd_signal(int fd);
bool kvm_same_file(int a, int b);
/* irqfd.c: KVM_IRQFD, and the EOI of a GSI for resampling irqfds */
long kvm_vm_ioctl_irqfd(struct kvm *kvm, void *argp);
void kvm_irqfd_ack(struct kvm *kvm, uint32_t gsi);
/* irqfd.c: signal the resamplefds on `gsi` without lowering it; false if there are none */
bool kvm_irqfd_notify_resampler(struct kvm *kvm, uint32_t gsi);
void kvm_irqfd_destroy(struct kvm *kvm);
void kvm_coalesced_mmio_destroy(struct kvm *kvm);
/* KVM_CHECK_EXTENSION, on the system fd (kvm == NULL) and on a VM fd. */
long kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext);
/* Sets `req` on every vCPU and waits until each running one has processed it. */
void kvm_make_all_cpus_request_wait(struct kvm *kvm, unsigned req);

/* ------------------------------------------------------------------------ */
/* the vCPU (vcpu.c, x86/x86.c)                                              */

/* vCPU requests (KVM_REQ_*): bits of kvm_vcpu.requests, checked before each guest entry. */
enum {
	KVM_REQ_MMU_RELOAD = 0,	/* memslots changed: reload, drop cached host pointers */
	KVM_REQ_KICK = 1,	/* just come out of the CPU loop */
	KVM_REQ_SYNC = 2,	/* acknowledge: not inside a bus access (iobus.c) */
	KVM_REQ_EVENT = 3,	/* re-evaluate pending interrupts/events */
	KVM_REQ_SIGNAL = 4,	/* a signal handler ran on the thread in KVM_RUN (swkvm_signal_kick) */
};

enum vcpu_mode { OUTSIDE_GUEST_MODE = 0, IN_GUEST_MODE = 1 };

/* What userspace owes us on the next KVM_RUN (KVM's complete_userspace_io). */
enum vcpu_pending_io { PENDING_NONE = 0, PENDING_PIO, PENDING_MMIO_READ, PENDING_HYPERCALL };

struct kvm_vcpu {
	struct kobj obj;
	struct kvm *kvm;
	int vcpu_id;			/* the APIC ID */
	int vcpu_idx;			/* index in kvm->vcpus */
	pthread_mutex_t mutex;		/* serialises this vCPU's ioctls, as vcpu->mutex */

	struct kvm_run *run;		/* our mapping of the vCPU memfd (page 0) */
	uint8_t *pio_data;		/* page KVM_PIO_PAGE_OFFSET of the same mapping */

	struct cpu *cpu;
	_Atomic uint32_t requests;
	_Atomic int mode;
	int wake_fd;			/* eventfd: kvm_vcpu_kick() wakes a blocked vCPU */
	bool sigset_active;		/* KVM_SET_SIGNAL_MASK: sigset applies during KVM_RUN */
	sigset_t sigset;
	struct kvm_memslots *slots;	/* snapshot this vCPU uses while in KVM_RUN */

	enum vcpu_pending_io pending;
	uint8_t pio_size;
	bool pio_in;
	uint8_t mmio_size;
	uint8_t hypercall_len;
	bool hypercall_op64;

	uint64_t apic_base;
	struct kvm_vcpu_arch arch;
	struct kvm_vcpu_stat *stat;		/* the data block of stats_file */
	struct kvm_stats_file stats_file;
};

int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id);
long kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg);
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);

static inline void kvm_make_request(struct kvm_vcpu *vcpu, unsigned req)
{
	atomic_fetch_or(&vcpu->requests, 1u << req);
}
static inline bool kvm_check_request(struct kvm_vcpu *vcpu, unsigned req)
{
	if (!(atomic_load(&vcpu->requests) & (1u << req)))
		return false;
	atomic_fetch_and(&vcpu->requests, ~(1u << req));
	return true;
}

/* x86 arch (x86/x86.c) */
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg);
int kvm_vcpu_get_cpl(struct kvm_vcpu *vcpu);

/* hypercalls (x86/hypercall.c) */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu, const struct cpu_exit *e);
void kvm_complete_hypercall_exit(struct kvm_vcpu *vcpu);

/* x86 CPUID and MSRs seen by the guest (x86/cpuid.c, x86/msr.c) */
void kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
/* Returns 0 or 1 (#GP): guest RDMSR/WRMSR and host KVM_GET/SET_MSRS share this. */
int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data, bool host_initiated);
int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data, bool host_initiated);

/* helpers for ioctl argument copies: copy_from_user() without a kernel */
#define ARG_PTR(arg) ((void *)(uintptr_t)(arg))

#endif
