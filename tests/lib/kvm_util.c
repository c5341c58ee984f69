// SPDX-License-Identifier: GPL-2.0-only
// KVM-selftest-style framework: VM construction, 64-bit page tables, image mapping, ucalls.
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

#define PAGE 4096ull
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

/* Guest-physical layout of vm_create_64() */
#define LOW_MEM_SIZE (64ull << 20)
#define GDT_GPA 0x1000ull
#define STACK_TOP_GPA 0x80000ull
#define PT_POOL_GPA 0x100000ull
#define IMAGE_GPA 0x40000000ull
#define IDT_GPA 0x2000ull
#define STACK_SIZE 0x8000ull

GUEST_CODE void ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct ucall uc;

	uc.cmd = cmd;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	__asm__ volatile("out %%al, %%dx" : : "a"(0), "d"(UCALL_PIO_PORT), "D"(&uc) : "memory");
}

volatile struct guest_exc_state guest_exc = { .vector = GUEST_NO_EXC };

struct interrupt_frame {
	uint64_t ip, cs, flags, sp, ss;
};

GUEST_CODE static void guest_exc_hit(struct interrupt_frame *f, uint64_t vector, uint64_t error)
{
	guest_exc.vector = vector;
	guest_exc.error = error;
	guest_exc.count++;
	if (guest_exc.fixup) {
		f->ip = guest_exc.fixup;
		guest_exc.fixup = 0;
		return;
	}
	ucall(UCALL_ABORT, 0, (uint64_t)(uintptr_t)"unexpected guest exception (vector, rip)", vector, f->ip);
}

/* One handler per vector; vectors 8, 10-14, 17, 21, 29, 30 push an error code (SDM Vol.3 Table 6-1). */
#define EXC(n) \
	GUEST_CODE __attribute__((interrupt)) static void exc_##n(struct interrupt_frame *f) \
	{ guest_exc_hit(f, n, 0); }
#define EXC_ERR(n) \
	GUEST_CODE __attribute__((interrupt)) static void exc_##n(struct interrupt_frame *f, unsigned long e) \
	{ guest_exc_hit(f, n, e); }
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC_ERR(8) EXC(9)
EXC_ERR(10) EXC_ERR(11) EXC_ERR(12) EXC_ERR(13) EXC_ERR(14) EXC(15) EXC(16) EXC_ERR(17)
EXC(18) EXC(19) EXC(20) EXC_ERR(21) EXC(22) EXC(23) EXC(24) EXC(25) EXC(26) EXC(27)
EXC(28) EXC_ERR(29) EXC_ERR(30) EXC(31)

static void *const exc_handlers[32] = {
	exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7, exc_8, exc_9, exc_10, exc_11,
	exc_12, exc_13, exc_14, exc_15, exc_16, exc_17, exc_18, exc_19, exc_20, exc_21, exc_22,
	exc_23, exc_24, exc_25, exc_26, exc_27, exc_28, exc_29, exc_30, exc_31,
};

GUEST_CODE uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

GUEST_CODE uint64_t guest_pvclock_read(uint64_t pvti, uint8_t *flags)
{
	volatile struct pvti *p = (volatile struct pvti *)pvti;
	uint32_t v1, v2;
	uint64_t t;

	do {
		uint64_t delta;

		v1 = p->version;
		__asm__ volatile("" ::: "memory");
		delta = guest_rdtsc() - p->tsc_timestamp;
		delta = p->shift >= 0 ? delta << p->shift : delta >> -p->shift;
		t = p->system_time + (uint64_t)(((unsigned __int128)delta * p->mul) >> 32);
		*flags = p->flags;
		__asm__ volatile("" ::: "memory");
		v2 = p->version;
	} while ((v1 & 1) || v1 != v2);
	return t;
}

GUEST_CODE uint8_t guest_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;

	guest_exc.vector = GUEST_NO_EXC;
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, %[fix]\n\t"
			 "rdmsr\n"
			 "1:"
			 : "=&a"(lo), "=d"(hi), [fix] "=m"(guest_exc.fixup)
			 : "c"(msr)
			 : "memory");
	guest_exc.fixup = 0;
	if (guest_exc.vector == GUEST_NO_EXC)
		*val = ((uint64_t)hi << 32) | lo;
	return (uint8_t)guest_exc.vector;
}

GUEST_CODE uint8_t guest_read_safe(uint64_t addr, uint64_t *val)
{
	uint64_t v = 0;

	guest_exc.vector = GUEST_NO_EXC;
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
			 "mov %%r11, %[fix]\n\t"
			 "mov (%[a]), %[v]\n"
			 "1:"
			 : [fix] "=m"(guest_exc.fixup), [v] "+r"(v)
			 : [a] "r"(addr)
			 : "r11", "memory");
	guest_exc.fixup = 0;
	*val = v;
	return (uint8_t)guest_exc.vector;
}

GUEST_CODE uint8_t guest_write_safe(uint64_t addr, uint64_t val)
{
	guest_exc.vector = GUEST_NO_EXC;
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
			 "mov %%r11, %[fix]\n\t"
			 "mov %[v], (%[a])\n"
			 "1:"
			 : [fix] "=m"(guest_exc.fixup)
			 : [a] "r"(addr), [v] "r"(val)
			 : "r11", "memory");
	guest_exc.fixup = 0;
	return (uint8_t)guest_exc.vector;
}

GUEST_CODE uint8_t guest_wrmsr_safe(uint32_t msr, uint64_t val)
{
	guest_exc.vector = GUEST_NO_EXC;
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
			 "mov %%r11, %[fix]\n\t"
			 "wrmsr\n"
			 "1:"
			 : [fix] "=m"(guest_exc.fixup)
			 : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "r11", "memory");
	guest_exc.fixup = 0;
	return (uint8_t)guest_exc.vector;
}

GUEST_CODE uint8_t guest_call_safe(void (*fn)(void))
{
	guest_exc.vector = GUEST_NO_EXC;
	/* The fixup resumes after the call; the callee's frame is abandoned, so it must not push. */
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
			 "mov %%r11, %[fix]\n\t"
			 "mov %%rsp, %%r10\n\t"
			 "call *%[fn]\n"
			 "1:\n\t"
			 "mov %%r10, %%rsp"
			 : [fix] "=m"(guest_exc.fixup)
			 : [fn] "r"(fn)
			 : "r10", "r11", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "memory");
	guest_exc.fixup = 0;
	return (uint8_t)guest_exc.vector;
}

struct vm *vm_create_empty(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		tap_bail("out of memory");
	vm->kvm_fd = swkvm_open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		tap_bail("swkvm_open: %s", strerror(errno));
	vm->fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		tap_bail("KVM_CREATE_VM: %s", strerror(errno));
	return vm;
}

void *vm_add_memory(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region r;
	struct vm_region *reg;
	void *hva;

	if (vm->nr_regions == VM_MAX_REGIONS)
		tap_bail("too many regions");
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (hva == MAP_FAILED)
		tap_bail("mmap %" PRIu64 " bytes: %s", size, strerror(errno));
	r = (struct kvm_userspace_memory_region){
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};
	if (kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		tap_bail("KVM_SET_USER_MEMORY_REGION slot %u: %s", slot, strerror(errno));
	reg = &vm->regions[vm->nr_regions++];
	*reg = (struct vm_region){ .slot = slot, .gpa = gpa, .size = size, .hva = hva, .flags = flags };
	return hva;
}

struct vcpu *vm_add_vcpu(struct vm *vm, int id)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	int size;

	if (!v || vm->nr_vcpus == VM_MAX_VCPUS)
		tap_bail("cannot add vCPU");
	v->fd = kvm_ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		tap_bail("KVM_CREATE_VCPU %d: %s", id, strerror(errno));
	size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		tap_bail("mmap vCPU: %s", strerror(errno));
	v->id = id;
	v->vm = vm;
	vm->vcpus[vm->nr_vcpus++] = v;
	return v;
}

void vm_free(struct vm *vm)
{
	int size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	for (int i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i]->run, (size_t)size);
		swkvm_close(vm->vcpus[i]->fd);
		free(vm->vcpus[i]);
	}
	swkvm_close(vm->fd);
	swkvm_close(vm->kvm_fd);
	for (int i = 0; i < vm->nr_regions; i++)
		munmap(vm->regions[i].hva, vm->regions[i].size);
	free(vm);
}

void *addr_gpa2hva(struct vm *vm, uint64_t gpa)
{
	for (int i = 0; i < vm->nr_regions; i++) {
		struct vm_region *r = &vm->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

static uint64_t *pte_at(struct vm *vm, uint64_t table_gpa, int index)
{
	return (uint64_t *)addr_gpa2hva(vm, table_gpa) + index;
}

static uint64_t alloc_page(struct vm *vm)
{
	uint64_t gpa = vm->next_free_gpa;

	vm->next_free_gpa += PAGE;
	if (vm->next_free_gpa > LOW_MEM_SIZE)
		tap_bail("page-table pool exhausted");
	memset(addr_gpa2hva(vm, gpa), 0, PAGE);
	return gpa;
}

/* Next-level table for `gva` at `level` (4 = PML4 ... 2 = PD), created on demand. */
static uint64_t next_table(struct vm *vm, uint64_t table, uint64_t gva, int level)
{
	uint64_t *e = pte_at(vm, table, (int)((gva >> (12 + 9 * (level - 1))) & 511));

	if (!(*e & PTE_P))
		*e = alloc_page(vm) | PTE_P | PTE_RW | PTE_US;
	return *e & PTE_ADDR;
}

static void map_4k(struct vm *vm, uint64_t gva, uint64_t gpa)
{
	uint64_t t = vm->pml4_gpa;

	for (int level = 4; level > 1; level--)
		t = next_table(vm, t, gva, level);
	*pte_at(vm, t, (int)((gva >> 12) & 511)) = gpa | PTE_P | PTE_RW | PTE_US;
}

uint64_t *vm_map_4k(struct vm *vm, uint64_t gva, uint64_t gpa)
{
	uint64_t t = vm->pml4_gpa;

	for (int level = 4; level > 1; level--)
		t = next_table(vm, t, gva, level);
	map_4k(vm, gva, gpa);
	return pte_at(vm, t, (int)((gva >> 12) & 511));
}

void *addr_gva2hva(struct vm *vm, uint64_t gva)
{
	uint64_t t = vm->pml4_gpa;

	for (int level = 4; level >= 1; level--) {
		uint64_t *e = pte_at(vm, t, (int)((gva >> (12 + 9 * (level - 1))) & 511));
		if (!e || !(*e & PTE_P))
			return NULL;
		if (level == 1 || (level <= 3 && (*e & PTE_PS))) {
			uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
			return addr_gpa2hva(vm, (*e & PTE_ADDR & ~page_mask) | (gva & page_mask));
		}
		t = *e & PTE_ADDR;
	}
	return NULL;
}

/*
 * Copies raw memory of the loaded program (code, data and, under ASan, its redzones):
 * uninstrumented and word by word through volatile pointers, so it is neither checked
 * nor turned into an intercepted memcpy.
 */
__attribute__((no_sanitize_address)) static void raw_copy(void *dst, const void *src, size_t n)
{
	volatile uint64_t *d = dst;
	const volatile uint64_t *s = src;

	for (size_t i = 0; i < n / 8; i++)
		d[i] = s[i];
}

struct image_span {
	uint64_t lo, hi;
	struct { uint64_t addr, len; } seg[16];
	int nseg;
};

static int find_image(struct dl_phdr_info *info, size_t size, void *data)
{
	struct image_span *span = data;

	(void)size;
	/* The first object is the main program. */
	span->lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a, e;

		if (ph->p_type != PT_LOAD || span->nseg == 16)
			continue;
		a = (info->dlpi_addr + ph->p_vaddr) & ~(PAGE - 1);
		e = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + PAGE - 1) & ~(PAGE - 1);
		span->seg[span->nseg].addr = a;
		span->seg[span->nseg++].len = e - a;
		if (a < span->lo)
			span->lo = a;
		if (e > span->hi)
			span->hi = e;
	}
	return 1;
}

/* Long mode with the tables of vm_create_64, entering `guest_code` on its own stack. */
static void vcpu_setup_64(struct vm *vm, struct vcpu *vcpu, void (*guest_code)(void))
{
	struct kvm_sregs sregs = vcpu_sregs(vcpu);
	struct kvm_regs regs;

	sregs.cs = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = 0x08,
					 .type = 11, .present = 1, .s = 1, .l = 1, .g = 1 };
	sregs.ds = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = 0x10,
					 .type = 3, .present = 1, .s = 1, .db = 1, .g = 1 };
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = vm->idt_limit;
	sregs.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	sregs.cr4 = 0x620;	/* OSXMMEXCPT OSFXSR PAE */
	sregs.efer = 0x500;	/* LMA LME */
	sregs.cr3 = vm->pml4_gpa;
	vcpu_set_sregs(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = (uintptr_t)guest_code;
	/* as if called: RSP = 8 mod 16 at entry; 32 KiB of stack per vCPU */
	regs.rsp = STACK_TOP_GPA - (uint64_t)vcpu->id * STACK_SIZE - 8;
	regs.rflags = 2;
	vcpu_set_regs(vcpu, &regs);
}

struct vcpu *vm_add_vcpu_64(struct vm *vm, int id, void (*guest_code)(void))
{
	struct vcpu *vcpu;

	if (id < 0 || id >= VM_MAX_VCPUS)
		tap_bail("vCPU id %d out of the test stacks' range", id);
	vcpu = vm_add_vcpu(vm, id);
	vcpu_setup_64(vm, vcpu, guest_code);
	return vcpu;
}

void vm_install_irq_handler(struct vm *vm, int vector, void *handler)
{
	uint64_t *idt = addr_gpa2hva(vm, IDT_GPA);
	uint64_t h = (uintptr_t)handler;

	idt[2 * vector] = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((h >> 16 & 0xffff) << 48);
	idt[2 * vector + 1] = h >> 32;
	if (vm->idt_limit != 256 * 16 - 1) {
		vm->idt_limit = 256 * 16 - 1;
		for (int i = 0; i < vm->nr_vcpus; i++) {
			struct kvm_sregs s = vcpu_sregs(vm->vcpus[i]);

			s.idt.limit = vm->idt_limit;
			vcpu_set_sregs(vm->vcpus[i], &s);
		}
	}
}

static struct vm *create_64(struct vcpu **vcpup, void (*guest_code)(void), bool irqchip)
{
	struct vm *vm = vm_create_empty();
	struct image_span span = { 0 };
	uint64_t *gdt, pdpt, pd;
	uint8_t *image;
	struct vcpu *vcpu;

	vm_add_memory(vm, 0, 0, LOW_MEM_SIZE, 0);
	vm->next_free_gpa = PT_POOL_GPA;
	vm->pml4_gpa = alloc_page(vm);

	/* Identity map [0, 1 GiB) with 2 MiB pages: stacks, tables, test data. */
	pdpt = next_table(vm, vm->pml4_gpa, 0, 4);
	pd = next_table(vm, pdpt, 0, 3);
	for (int i = 0; i < 512; i++)
		*pte_at(vm, pd, i) = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_US | PTE_PS;

	/* A copy of the loaded test program at its own virtual addresses. */
	dl_iterate_phdr(find_image, &span);
	if (!span.nseg)
		tap_bail("cannot find the program image");
	vm->image_gva = span.lo;
	vm->image_size = span.hi - span.lo;
	vm->image_gpa = IMAGE_GPA;
	image = vm_add_memory(vm, 1, IMAGE_GPA, vm->image_size, 0);
	for (int i = 0; i < span.nseg; i++)
		raw_copy(image + (span.seg[i].addr - span.lo), (void *)(uintptr_t)span.seg[i].addr,
			 span.seg[i].len);
	for (uint64_t off = 0; off < vm->image_size; off += PAGE)
		map_4k(vm, vm->image_gva + off, IMAGE_GPA + off);

	/* GDT: null, 64-bit code (0x08), flat data (0x10), 32-bit code (0x18). */
	gdt = addr_gpa2hva(vm, GDT_GPA);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	gdt[3] = 0x00cf9b000000ffffull;

	/* IDT: 64-bit interrupt gates (type 14, present, DPL 0) through the 0x08 code segment. */
	vm->idt_gpa = IDT_GPA;
	{
		uint64_t *idt = addr_gpa2hva(vm, IDT_GPA);
		for (int i = 0; i < 32; i++) {
			uint64_t h = (uintptr_t)exc_handlers[i];
			idt[2 * i] = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
				     ((h >> 16 & 0xffff) << 48);
			idt[2 * i + 1] = h >> 32;
		}
	}

	vm->idt_limit = 32 * 16 - 1;
	if (irqchip) {
		if (kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0))
			tap_bail("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		/* the LAPIC and IOAPIC pages at their default addresses, identity-mapped */
		vm_map_4k(vm, 0xfee00000, 0xfee00000);
		vm_map_4k(vm, 0xfec00000, 0xfec00000);
	}
	vcpu = vm_add_vcpu_64(vm, 0, guest_code);
	*vcpup = vcpu;
	return vm;
}

struct vm *vm_create_64(struct vcpu **vcpup, void (*guest_code)(void))
{
	return create_64(vcpup, guest_code, false);
}

struct vm *vm_create_64_irqchip(struct vcpu **vcpup, void (*guest_code)(void))
{
	return create_64(vcpup, guest_code, true);
}

struct vcpu *vm_create_realmode(struct vm **vmp, uint8_t **memp, const void *prog, size_t len)
{
	struct vm *vm = vm_create_empty();
	uint8_t *mem = vm_add_memory(vm, 0, 0, 0x4000, 0);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2, .rsp = 0x3000 };

	memcpy(mem + 0x1000, prog, len);
	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v, &s);
	vcpu_set_regs(v, &r);
	*vmp = vm;
	*memp = mem;
	return v;
}

void vm_sync_to_guest(struct vm *vm, const void *host_var, size_t size)
{
	void *g = addr_gva2hva(vm, (uintptr_t)host_var);

	if (!g)
		tap_bail("variable %p is not in the guest image", host_var);
	memcpy(g, host_var, size);
}

void vm_sync_from_guest(struct vm *vm, void *host_var, size_t size)
{
	void *g = addr_gva2hva(vm, (uintptr_t)host_var);

	if (!g)
		tap_bail("variable %p is not in the guest image", host_var);
	memcpy(host_var, g, size);
}

int vcpu_run(struct vcpu *vcpu)
{
	return kvm_ioctl(vcpu->fd, KVM_RUN, 0);
}

const char *exit_reason_str(uint32_t reason)
{
	static const char *names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	};
	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}

uint64_t vcpu_get_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct ucall *g;

	memset(uc, 0, sizeof(*uc));
	if (vcpu_run(vcpu) < 0) {
		tap_diag("KVM_RUN failed: %s", strerror(errno));
		return uc->cmd = UCALL_ABORT;
	}
	regs = vcpu_regs(vcpu);
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != UCALL_PIO_PORT) {
		tap_diag("unexpected exit %s (%u) at rip 0x%llx", exit_reason_str(run->exit_reason),
			 run->exit_reason, (unsigned long long)regs.rip);
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			tap_diag("  suberror %u, insn bytes %02x %02x %02x %02x",
				 run->emulation_failure.suberror, run->emulation_failure.insn_bytes[0],
				 run->emulation_failure.insn_bytes[1], run->emulation_failure.insn_bytes[2],
				 run->emulation_failure.insn_bytes[3]);
		return uc->cmd = UCALL_ABORT;
	}
	g = addr_gva2hva(vcpu->vm, regs.rdi);
	if (!g) {
		tap_diag("ucall pointer 0x%llx is not mapped", (unsigned long long)regs.rdi);
		return uc->cmd = UCALL_ABORT;
	}
	memcpy(uc, g, sizeof(*uc));
	if (uc->cmd == UCALL_ABORT)
		/* The strings live in the image's rodata, identical in host and guest. */
		tap_diag("guest assertion failed at line %" PRIu64 ": %s (0x%" PRIx64 " vs 0x%" PRIx64 ")",
			 uc->args[0], (const char *)(uintptr_t)uc->args[1], uc->args[2], uc->args[3]);
	return uc->cmd;
}

bool vcpu_expect_sync(struct vcpu *vcpu, uint64_t want, const char *what)
{
	struct ucall uc;
	uint64_t cmd = vcpu_get_ucall(vcpu, &uc);

	if (cmd != UCALL_SYNC) {
		ok(0, "%s: expected a sync, got ucall %" PRIu64, what, cmd);
		return false;
	}
	return is(uc.args[0], want, "%s", what);
}

struct kvm_regs vcpu_regs(struct vcpu *vcpu)
{
	struct kvm_regs r;

	if (kvm_ioctl(vcpu->fd, KVM_GET_REGS, &r))
		tap_bail("KVM_GET_REGS: %s", strerror(errno));
	return r;
}

void vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	if (kvm_ioctl(vcpu->fd, KVM_SET_REGS, regs))
		tap_bail("KVM_SET_REGS: %s", strerror(errno));
}

struct kvm_sregs vcpu_sregs(struct vcpu *vcpu)
{
	struct kvm_sregs s;

	if (kvm_ioctl(vcpu->fd, KVM_GET_SREGS, &s))
		tap_bail("KVM_GET_SREGS: %s", strerror(errno));
	return s;
}

void vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (kvm_ioctl(vcpu->fd, KVM_SET_SREGS, sregs))
		tap_bail("KVM_SET_SREGS: %s", strerror(errno));
}

void vcpu_set_supported_cpuid_edit(struct vcpu *vcpu, uint32_t function, int reg, uint32_t set,
				   uint32_t clear)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} *b = calloc(1, sizeof(*b));

	if (!b)
		tap_bail("out of memory");
	b->hdr.nent = 256;
	if (kvm_ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, b))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	for (uint32_t i = 0; i < b->hdr.nent; i++) {
		uint32_t *r[] = { &b->e[i].eax, &b->e[i].ebx, &b->e[i].ecx, &b->e[i].edx };

		if (b->e[i].function == function && reg >= 0 && reg < 4)
			*r[reg] = (*r[reg] | set) & ~clear;
	}
	if (kvm_ioctl(vcpu->fd, KVM_SET_CPUID2, b))
		tap_bail("supported CPUID -> KVM_SET_CPUID2: %s", strerror(errno));
	free(b);
}

void vcpu_set_supported_cpuid(struct vcpu *vcpu)
{
	vcpu_set_supported_cpuid_edit(vcpu, 0, -1, 0, 0);
}
