// SPDX-License-Identifier: GPL-2.0-only
// KVM-selftest-style framework: build VMs through the KVM API, run guest code, ucalls.
//
// Everything goes through the ioctl API exactly as a VMM would use the kernel's
// /dev/kvm (via swkvm_ioctl in-process), so these tests also describe KVM's ABI.
//
// Guest code is C in the test itself: a 64-bit VM maps a copy of the test program's
// loaded image at the same virtual addresses (GVA == host VA for code, rodata, data,
// bss), and identity-maps the first 1 GiB of guest-physical memory for stacks and
// page tables. Guest functions carry GUEST_CODE so the compiler emits only
// general-purpose-register code without sanitizer or CET instrumentation.
#ifndef SWKVM_TEST_KVM_UTIL_H
#define SWKVM_TEST_KVM_UTIL_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "swkvm.h"
#include "tap.h"

#define kvm_ioctl(fd, req, arg) swkvm_ioctl((fd), (req), (arg))

#define GUEST_CODE \
	__attribute__((noinline, target("general-regs-only"), no_sanitize_address, \
		       no_sanitize("undefined"), no_instrument_function))

/* ---- ucall: guest-to-host calls over an OUT to UCALL_PIO_PORT, RDI -> struct ucall ---- */
#define UCALL_PIO_PORT 0x1000

enum { UCALL_NONE, UCALL_SYNC, UCALL_ABORT, UCALL_DONE };

struct ucall {
	uint64_t cmd;
	uint64_t args[4];
};

GUEST_CODE void ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

#define GUEST_SYNC(v)		ucall(UCALL_SYNC, (uint64_t)(v), 0, 0, 0)
#define GUEST_SYNC2(a, b)	ucall(UCALL_SYNC, (uint64_t)(a), (uint64_t)(b), 0, 0)
#define GUEST_DONE()		ucall(UCALL_DONE, 0, 0, 0, 0)
/* Reports the failing line and expression; the host test fails with them. */
#define GUEST_ASSERT(cond)                                                               \
	do {                                                                             \
		if (!(cond))                                                             \
			ucall(UCALL_ABORT, __LINE__, (uint64_t)(uintptr_t)#cond,         \
			      (uint64_t)(uintptr_t)__FILE__, 0);                         \
	} while (0)
#define GUEST_ASSERT_EQ(a, b)                                                            \
	do {                                                                             \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                         \
		if (a_ != b_)                                                            \
			ucall(UCALL_ABORT, __LINE__, (uint64_t)(uintptr_t)#a " == " #b,  \
			      a_, b_);                                                   \
	} while (0)

/*
 * ---- guest exceptions (vm_create_64 installs an IDT for vectors 0-31) ----
 * An exception with a fixup armed records itself in guest_exc and resumes at the
 * fixup; without one it is reported to the host as UCALL_ABORT.
 */
struct guest_exc_state {
	uint64_t vector;	/* last vector taken, or GUEST_NO_EXC */
	uint64_t error;		/* its error code (0 for vectors without one) */
	uint64_t fixup;		/* where to resume; 0 = unexpected exception */
	uint64_t count;
};
#define GUEST_NO_EXC 0xffu
extern volatile struct guest_exc_state guest_exc;

/* Return the vector raised (e.g. 13 for #GP), or GUEST_NO_EXC. */
GUEST_CODE uint8_t guest_read_safe(uint64_t addr, uint64_t *val);
GUEST_CODE uint8_t guest_write_safe(uint64_t addr, uint64_t val);
GUEST_CODE uint8_t guest_rdmsr_safe(uint32_t msr, uint64_t *val);
GUEST_CODE uint8_t guest_wrmsr_safe(uint32_t msr, uint64_t val);
/*
 * Calls `fn` with a fixup armed. `fn` must be a small asm stub (see GUEST_ASM_STUB) that
 * does not push or touch r10/r11, because a fault abandons its frame.
 */
GUEST_CODE uint8_t guest_call_safe(void (*fn)(void));

/* ---- kvmclock (struct pvclock_vcpu_time_info, 32 bytes) ---- */
struct pvti {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags, pad[2];
} __attribute__((packed));

GUEST_CODE uint64_t guest_rdtsc(void);
/* The pvclock read protocol on the area at `pvti` (retry while the version is odd or moves). */
GUEST_CODE uint64_t guest_pvclock_read(uint64_t pvti, uint8_t *flags);

/* Defines `name` as a guest function whose body is the given instructions, then ret. */
#define GUEST_ASM_STUB(name, insns) \
	void name(void); \
	__asm__(".pushsection .text\n.type " #name ",@function\n" #name ":\n" insns "\nret\n.popsection")

/* ---- VMs and vCPUs ---- */
struct vcpu {
	int fd;
	int id;
	struct kvm_run *run;
	struct vm *vm;
};

struct vm_region {
	uint32_t slot;
	uint64_t gpa, size;
	uint8_t *hva;
	uint32_t flags;
};

#define VM_MAX_REGIONS 16
#define VM_MAX_VCPUS 8

struct vm {
	int kvm_fd, fd;
	struct vm_region regions[VM_MAX_REGIONS];
	int nr_regions;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	int nr_vcpus;
	/* 64-bit layout */
	uint64_t pml4_gpa;
	uint64_t next_free_gpa;		/* page allocator in the low region */
	uint64_t image_gva, image_gpa, image_size;
	uint64_t idt_gpa;
	uint16_t idt_limit;
};

/* Opens the system handle and creates an empty VM (no memory, no vCPUs). */
struct vm *vm_create_empty(void);
/* Anonymous host memory of `size` bytes at `gpa` in `slot`. Returns the host address. */
void *vm_add_memory(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, uint32_t flags);
struct vcpu *vm_add_vcpu(struct vm *vm, int id);
void vm_free(struct vm *vm);

/*
 * A VM with `mem_mb` MiB of low memory identity-mapped, the test image mapped at its
 * host addresses, and one vCPU in 64-bit long mode entering `guest_code` with a stack.
 */
struct vm *vm_create_64(struct vcpu **vcpu, void (*guest_code)(void));
/*
 * The same with the in-kernel irqchip (KVM_CREATE_IRQCHIP before the vCPU) and the
 * LAPIC (0xfee00000) and IOAPIC (0xfec00000) pages identity-mapped.
 */
struct vm *vm_create_64_irqchip(struct vcpu **vcpu, void (*guest_code)(void));
/* Another vCPU in the same long-mode setup, with its own 32 KiB stack. */
struct vcpu *vm_add_vcpu_64(struct vm *vm, int id, void (*guest_code)(void));
/*
 * Points IDT vector `vector` (32-255) at `handler`, typically a GUEST_CODE function with
 * __attribute__((interrupt)); extends every vCPU's IDT limit to 256 vectors.
 */
void vm_install_irq_handler(struct vm *vm, int vector, void *handler);
/* Copies a host global into the guest's copy of the image (the guest has its own). */
void vm_sync_to_guest(struct vm *vm, const void *host_var, size_t size);
void vm_sync_from_guest(struct vm *vm, void *host_var, size_t size);

/*
 * A VM with 16 KiB of RAM at GPA 0 (*memp) and one vCPU in real mode with CS base 0,
 * about to run `prog` copied to 0x1000: RIP 0x1000, RSP 0x3000, RFLAGS 2.
 */
struct vcpu *vm_create_realmode(struct vm **vmp, uint8_t **memp, const void *prog, size_t len);

void *addr_gpa2hva(struct vm *vm, uint64_t gpa);
/*
 * Maps the 4 KiB page at `gva` to `gpa` (present, writable, user) in the tables of
 * vm_create_64 and returns the host address of its PTE, for tests to edit.
 */
uint64_t *vm_map_4k(struct vm *vm, uint64_t gva, uint64_t gpa);
/* Walks the guest's 4-level page tables (as set up by vm_create_64). NULL if unmapped. */
void *addr_gva2hva(struct vm *vm, uint64_t gva);

/* KVM_RUN once; returns the ioctl's result (0 or -1 with errno). */
int vcpu_run(struct vcpu *vcpu);
/* Runs until a ucall; fails the test (and returns UCALL_ABORT) on any other exit. */
uint64_t vcpu_get_ucall(struct vcpu *vcpu, struct ucall *uc);
/* Runs and expects UCALL_SYNC with the given first argument. */
bool vcpu_expect_sync(struct vcpu *vcpu, uint64_t want, const char *what);

/* Gives the vCPU the whole KVM_GET_SUPPORTED_CPUID as its CPUID (KVM selftests' default). */
void vcpu_set_supported_cpuid(struct vcpu *vcpu);
/* The same with bits of one register (0 EAX .. 3 EDX) of leaf `function` set and cleared. */
void vcpu_set_supported_cpuid_edit(struct vcpu *vcpu, uint32_t function, int reg, uint32_t set,
				   uint32_t clear);
struct kvm_regs vcpu_regs(struct vcpu *vcpu);
void vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);
struct kvm_sregs vcpu_sregs(struct vcpu *vcpu);
void vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs);

const char *exit_reason_str(uint32_t reason);

#endif
