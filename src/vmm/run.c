// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: build the VM through the KVM API, load the kernel, run one thread per vCPU.
//
// Only ioctl/mmap on KVM file descriptors reach the hypervisor: swkvm's in-process entry
// points by default, or a real KVM device with --kvm. vCPU threads are kicked out of
// KVM_RUN with SIGUSR1, whose handler sets kvm_run.immediate_exit (api.rst 5 "immediate_exit").
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/qemu_fw_cfg.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swkvm.h"
#include "vmm/vmm.h"

#define KICK_SIGNAL SIGUSR1
#define TSS_ADDR 0xfffbd000u
#define MAX_IMAGE (1ull << 31)

static __thread struct kvm_run *this_run;

uint64_t vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char stop_why[512];

void vmm_request_stop(struct vmm *v, int code, const char *why)
{
	pthread_mutex_lock(&v->stop_lock);
	if (!atomic_load(&v->stopping)) {
		v->exit_code = code;
		snprintf(stop_why, sizeof(stop_why), "%s", why);
		v->exit_why = stop_why;
		atomic_store(&v->stopping, true);
		pthread_cond_broadcast(&v->stop_cond);
	}
	pthread_mutex_unlock(&v->stop_lock);
}

static void kick_handler(int sig)
{
	if (this_run)
		__atomic_store_n(&this_run->immediate_exit, 1, __ATOMIC_RELAXED);
}

/* ---- port I/O bus ---- */

int pio_register(struct pio_bus *bus, uint16_t base, uint16_t len, void *dev, pio_read_fn rd,
		 pio_write_fn wr)
{
	if (bus->n == VMM_MAX_PIO)
		return -1;
	bus->r[bus->n++] = (struct pio_range){ base, len, dev, rd, wr };
	return 0;
}

bool pio_access(struct pio_bus *bus, uint16_t port, unsigned size, bool write, uint32_t *val)
{
	for (int i = 0; i < bus->n; i++) {
		struct pio_range *r = &bus->r[i];

		if (port < r->base || port - r->base >= r->len)
			continue;
		if (write)
			r->write(r->dev, port, size, *val);
		else
			*val = r->read(r->dev, port, size);
		return true;
	}
	/* nothing decodes the port: reads float high, writes vanish (ISA) */
	if (!write)
		*val = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	return false;
}

static void irq_line(void *opaque, unsigned irq, int level)
{
	struct vmm *v = opaque;
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (v->irqchip)
		v->ops.ioctl(v->vm_fd, KVM_IRQ_LINE, &l);
}

static void reset_cb(void *opaque)
{
	vmm_request_stop(opaque, EXIT_OK, "the guest rebooted");
}

/* ---- errors ---- */

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "swkvm run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int read_file(const char *what, const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return fail(EXIT_BAD_IMAGE, "cannot open %s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(EXIT_BAD_IMAGE, "%s '%s' is not a regular file", what, path);
	}
	if ((uint64_t)st.st_size > MAX_IMAGE) {
		close(fd);
		return fail(EXIT_BAD_IMAGE, "%s '%s' is larger than 2 GiB", what, path);
	}
	*data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*data) {
		close(fd);
		return fail(EXIT_INTERNAL, "out of memory reading %s '%s'", what, path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			free(*data);
			return fail(EXIT_BAD_IMAGE, "cannot read %s '%s': %s", what, path, strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

/* ---- vCPU set-up ---- */

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64, bool db)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
		.dpl = 0, .db = db, .s = 1, .l = code64, .g = 1,
	};
}

static int setup_cpuid(struct vmm *v, struct vcpu *c)
{
	int n = 128;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(struct kvm_cpuid_entry2));
	int r;

	if (!cpuid)
		return -1;
	cpuid->nent = (uint32_t)n;
	r = v->ops.ioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
	if (!r) {
		for (uint32_t i = 0; i < cpuid->nent; i++) {
			struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

			if (e->function == 1)	/* initial APIC ID in EBX[31:24] */
				e->ebx = (e->ebx & 0x00ffffff) | (uint32_t)c->id << 24;
			if (e->function == 0xb || e->function == 0x1f)	/* x2APIC ID */
				e->edx = (uint32_t)c->id;
		}
		r = v->ops.ioctl(c->fd, KVM_SET_CPUID2, cpuid);
	}
	free(cpuid);
	return r;
}

static int setup_bsp(struct vmm *v, struct vcpu *c, const struct boot_info *bi)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (v->ops.ioctl(c->fd, KVM_GET_SREGS, &s))
		return -1;
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	if (bi->kind == BOOT_LINUX64) {
		seg(&s.cs, 0x10, 11, true, false);
		seg(&s.ds, 0x18, 3, false, true);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 11, .present = 1 };
		s.gdt.base = BOOT_GDT;
		s.gdt.limit = 0x2f;
		s.idt.base = 0;
		s.idt.limit = 0;
		s.cr0 = 0x80000031;		/* PG | NE | ET | PE */
		s.cr3 = BOOT_PML4;
		s.cr4 = 0x20;			/* PAE */
		s.efer = 0x500;			/* LMA | LME */
		r.rip = bi->entry;
		r.rsi = bi->zeropage;
		r.rsp = BOOT_STACK;
	} else {
		/* Multiboot 3.2: 32-bit flat CS and data segments, PE on, paging off */
		seg(&s.cs, 0x08, 11, false, true);
		seg(&s.ds, 0x10, 3, false, true);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.tr = (struct kvm_segment){ .selector = 0x18, .limit = 0x67, .type = 11, .present = 1 };
		s.gdt.base = BOOT_GDT;
		s.gdt.limit = 0x1f;
		s.cr0 = 0x11;			/* ET | PE */
		s.cr4 = 0;
		s.efer = 0;
		r.rip = bi->entry;
		r.rax = MULTIBOOT_BOOT_MAGIC;
		r.rbx = bi->mbi;
	}
	if (v->ops.ioctl(c->fd, KVM_SET_SREGS, &s))
		return -1;
	return v->ops.ioctl(c->fd, KVM_SET_REGS, &r);
}

static char crash_dump[1024];
static pthread_mutex_t crash_lock = PTHREAD_MUTEX_INITIALIZER;

static void dump_regs_locked(struct vmm *v, struct vcpu *c, const char *what);

/* the first vCPU to stop the VM keeps its dump; later ones do not overwrite it */
static void dump_regs(struct vmm *v, struct vcpu *c, const char *what)
{
	pthread_mutex_lock(&crash_lock);
	if (!crash_dump[0])
		dump_regs_locked(v, c, what);
	pthread_mutex_unlock(&crash_lock);
}

static void dump_regs_locked(struct vmm *v, struct vcpu *c, const char *what)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int n;

	n = snprintf(crash_dump, sizeof(crash_dump), "vCPU %d: %s\n", c->id, what);
	if (v->ops.ioctl(c->fd, KVM_GET_REGS, &r) || v->ops.ioctl(c->fd, KVM_GET_SREGS, &s))
		return;
	snprintf(crash_dump + n, sizeof(crash_dump) - (size_t)n,
		 "  rip %016llx rsp %016llx rflags %08llx\n"
		 "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		 "  rsi %016llx rdi %016llx rbp %016llx\n"
		 "  cs %04x ss %04x cr0 %08llx cr2 %016llx cr3 %016llx cr4 %08llx efer %llx\n",
		 r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		 s.cs.selector, s.ss.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	/* the instruction bytes at RIP, through the guest's own page tables */
	{
		struct kvm_translation tr = { .linear_address = s.cs.base + r.rip };
		const uint8_t *code;
		size_t len = strlen(crash_dump);

		if (v->ops.ioctl(c->fd, KVM_TRANSLATE, &tr) || !tr.valid)
			return;
		code = gm_ptr(&v->mem, tr.physical_address, 16);
		if (!code)
			return;
		len += (size_t)snprintf(crash_dump + len, sizeof(crash_dump) - len, "  code at %#llx:",
					(unsigned long long)tr.physical_address);
		for (int i = 0; i < 16 && len < sizeof(crash_dump) - 4; i++)
			len += (size_t)snprintf(crash_dump + len, sizeof(crash_dump) - len, " %02x", code[i]);
		snprintf(crash_dump + len, sizeof(crash_dump) - len, "\n");
	}
}

static void handle_io(struct vmm *v, struct kvm_run *run)
{
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++, p += run->io.size) {
		uint32_t val = 0;

		if (write)
			memcpy(&val, p, run->io.size);
		if (!pio_access(&v->bus, run->io.port, run->io.size, write, &val)) {
			v->bus.unhandled++;
			if (v->opts.verbose)
				fprintf(stderr, "swkvm: unhandled %s port %#x size %u\r\n",
					write ? "write to" : "read of", run->io.port, run->io.size);
		}
		if (!write)
			memcpy(p, &val, run->io.size);
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vmm *v = c->vmm;
	struct kvm_run *run = c->run;
	char why[96];

	this_run = run;
	while (!atomic_load(&v->stopping)) {
		if (v->ops.ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			snprintf(why, sizeof(why), "KVM_RUN on vCPU %d: %s", c->id, strerror(errno));
			vmm_request_stop(v, EXIT_INTERNAL, why);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v, run);
			break;
		case KVM_EXIT_MMIO:
			/* no MMIO devices: reads float high, writes vanish */
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			if (v->opts.verbose)
				fprintf(stderr, "swkvm: unhandled MMIO %s %#llx\r\n",
					run->mmio.is_write ? "write" : "read",
					(unsigned long long)run->mmio.phys_addr);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			/* only without an in-kernel LAPIC: nothing could ever wake the vCPU */
			dump_regs(v, c, "halted with no interrupt source (no in-kernel irqchip)");
			vmm_request_stop(v, EXIT_GUEST_FAILED, "the guest halted and nothing can wake it");
			break;
		case KVM_EXIT_SHUTDOWN:
			dump_regs(v, c, "triple fault (KVM_EXIT_SHUTDOWN)");
			vmm_request_stop(v, EXIT_GUEST_FAILED, "the guest crashed: triple fault");
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH) {
				dump_regs(v, c, "KVM_SYSTEM_EVENT_CRASH");
				vmm_request_stop(v, EXIT_GUEST_FAILED, "the guest crashed");
			} else {
				vmm_request_stop(v, EXIT_OK, run->system_event.type == KVM_SYSTEM_EVENT_RESET
							     ? "the guest rebooted" : "the guest powered off");
			}
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(why, sizeof(why), "KVM_EXIT_INTERNAL_ERROR, suberror %u",
				 run->internal.suberror);
			dump_regs(v, c, why);
			vmm_request_stop(v, EXIT_GUEST_FAILED, "the guest stopped on an internal error");
			break;
		default:
			snprintf(why, sizeof(why), "unexpected exit reason %u", run->exit_reason);
			dump_regs(v, c, why);
			vmm_request_stop(v, EXIT_GUEST_FAILED, why);
			break;
		}
	}
	return NULL;
}

/* ---- the VM ---- */

static int host_open(const char *path, int flags)
{
	return open(path, flags);
}

static int host_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ioctl(fd, req, arg);
}

static int open_kvm(struct vmm *v)
{
	if (v->opts.kvm_path) {
		v->ops = (struct kvm_ops){ host_open, host_ioctl, close };
		v->kvm_fd = open(v->opts.kvm_path, O_RDWR | O_CLOEXEC);
	} else {
		v->ops = (struct kvm_ops){ swkvm_open, swkvm_ioctl, swkvm_close };
		v->kvm_fd = swkvm_open("/dev/kvm", O_RDWR | O_CLOEXEC);
	}
	if (v->kvm_fd < 0)
		return fail(EXIT_UNSUPPORTED, "cannot open %s: %s",
			    v->opts.kvm_path ? v->opts.kvm_path : "swkvm", strerror(errno));
	{
		int api = v->ops.ioctl(v->kvm_fd, KVM_GET_API_VERSION, 0);
		const char *dev = v->opts.kvm_path ? v->opts.kvm_path : "swkvm";

		if (api < 0)
			return fail(EXIT_UNSUPPORTED, "%s is not a KVM device: KVM_GET_API_VERSION: %s",
				    dev, strerror(errno));
		if (api != KVM_API_VERSION)
			return fail(EXIT_UNSUPPORTED, "%s speaks KVM API version %d, not %d", dev, api,
				    KVM_API_VERSION);
	}
	v->vm_fd = v->ops.ioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm_fd < 0)
		return fail(EXIT_INTERNAL, "KVM_CREATE_VM: %s", strerror(errno));
	return 0;
}

static int setup_memory(struct vmm *v)
{
	struct guest_mem *gm = &v->mem;
	struct kvm_userspace_memory_region reg;

	gm->size = v->opts.mem;
	gm->low_end = gm->size < PCI_HOLE_START ? gm->size : PCI_HOLE_START;
	gm->host = mmap(NULL, gm->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (gm->host == MAP_FAILED) {
		gm->host = NULL;
		return fail(EXIT_INTERNAL, "cannot map %llu MiB of guest memory: %s",
			    (unsigned long long)(gm->size / MiB), strerror(errno));
	}
	reg = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = gm->low_end,
		.userspace_addr = (uintptr_t)gm->host,
	};
	if (v->ops.ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg))
		return fail(EXIT_INTERNAL, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (gm->size > gm->low_end) {
		reg = (struct kvm_userspace_memory_region){
			.slot = 1, .guest_phys_addr = HIGH_RAM_START,
			.memory_size = gm->size - gm->low_end,
			.userspace_addr = (uintptr_t)gm->host + gm->low_end,
		};
		if (v->ops.ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg))
			return fail(EXIT_INTERNAL, "KVM_SET_USER_MEMORY_REGION (high): %s", strerror(errno));
	}
	return 0;
}

static void setup_devices(struct vmm *v)
{
	struct irq_sink sink = { irq_line, v };
	struct pio_bus *b = &v->bus;

	serial_init(&v->com1, 4, sink, console_output, v);
	serial_init(&v->com2, 3, sink, NULL, NULL);	/* COM2: present, output discarded */
	rtc_init(&v->rtc, v->mem.size);
	i8042_init(&v->kbd, sink, reset_cb, v);
	pci_init(&v->pci, reset_cb, v);
	legacy_init(&v->legacy, v);

	pio_register(b, 0x3f8, 8, &v->com1, serial_read, serial_write);
	pio_register(b, 0x2f8, 8, &v->com2, serial_read, serial_write);
	pio_register(b, 0x70, 2, &v->rtc, rtc_read, rtc_write);
	pio_register(b, 0x60, 1, &v->kbd, i8042_read, i8042_write);
	pio_register(b, 0x64, 1, &v->kbd, i8042_read, i8042_write);
	pio_register(b, 0xcf8, 8, &v->pci, pci_read, pci_write);
	pio_register(b, 0x510, 2, &v->fwcfg, fw_cfg_read, fw_cfg_write);
	pio_register(b, 0x80, 1, &v->legacy, legacy_read, legacy_write);
	pio_register(b, 0x92, 1, &v->legacy, legacy_read, legacy_write);
	pio_register(b, PM_BASE, 12, &v->legacy, pm_read, pm_write);
	if (v->opts.debug_exit)
		pio_register(b, 0xf4, 4, &v->legacy, debug_exit_read, debug_exit_write);
}

static int setup_fw_cfg(struct vmm *v, const char *cmdline, const struct boot_info *bi)
{
	struct fw_cfg *f = &v->fwcfg;
	struct e820e map[8];
	uint8_t e820[8 * 20], uuid[16] = { 0 };
	int n = e820_build(&v->mem, map), r = 0;
	uint32_t cl_len = (uint32_t)strlen(cmdline) + 1;

	for (int i = 0; i < n; i++) {	/* QEMU's "etc/e820": le64 addr, le64 len, le32 type */
		memcpy(e820 + 20 * i, &map[i].addr, 8);
		memcpy(e820 + 20 * i + 8, &map[i].size, 8);
		memcpy(e820 + 20 * i + 16, &map[i].type, 4);
	}
	fw_cfg_init(f);
	r |= fw_cfg_add(f, FW_CFG_SIGNATURE, "QEMU", FW_CFG_SIG_SIZE);
	r |= fw_cfg_add_u32(f, FW_CFG_ID, FW_CFG_VERSION);	/* no DMA */
	r |= fw_cfg_add(f, FW_CFG_UUID, uuid, 16);
	r |= fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, v->mem.size);
	r |= fw_cfg_add_u16(f, FW_CFG_NOGRAPHIC, 1);
	r |= fw_cfg_add_u16(f, FW_CFG_NB_CPUS, (uint16_t)v->opts.cpus);
	r |= fw_cfg_add_u32(f, FW_CFG_KERNEL_ADDR, (uint32_t)bi->kernel_addr);
	r |= fw_cfg_add_u32(f, FW_CFG_KERNEL_SIZE, (uint32_t)bi->kernel_size);
	r |= fw_cfg_add_u32(f, FW_CFG_INITRD_ADDR, (uint32_t)bi->initrd_addr);
	r |= fw_cfg_add_u32(f, FW_CFG_INITRD_SIZE, (uint32_t)bi->initrd_size);
	r |= fw_cfg_add_u16(f, FW_CFG_MAX_CPUS, (uint16_t)v->opts.cpus);
	r |= fw_cfg_add_u32(f, FW_CFG_CMDLINE_ADDR, (uint32_t)bi->cmdline_addr);
	r |= fw_cfg_add_u32(f, FW_CFG_CMDLINE_SIZE, cl_len);	/* with the NUL */
	r |= fw_cfg_add(f, FW_CFG_CMDLINE_DATA, cmdline, cl_len);
	r |= fw_cfg_add_file(f, "etc/e820", e820, (uint32_t)(20 * n));
	r |= fw_cfg_finish(f);
	return r ? fail(EXIT_INTERNAL, "fw_cfg: out of memory") : 0;
}

static void kick_all(struct vmm *v)
{
	for (unsigned i = 0; i < v->opts.cpus; i++)
		if (v->vcpus[i].started)
			pthread_kill(v->vcpus[i].thread, KICK_SIGNAL);
}

/* the kernel command line: ours first, the user's after it so theirs wins */
static char *make_cmdline(const struct vmm_opts *o, bool is_linux)
{
	const char *user = o->params ? o->params : "";
	const char *ours = (!o->nodefaults && is_linux) ? "console=ttyS0" : "";
	size_t n = strlen(ours) + strlen(user) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", ours, *ours && *user ? " " : "", user);
	return s;
}

static void free_vmm(struct vmm *v, uint8_t *kernel, uint8_t *initrd, char *cmdline)
{
	for (unsigned i = 0; i < v->opts.cpus; i++) {
		if (v->vcpus[i].run)
			munmap(v->vcpus[i].run, v->run_size);
		if (v->vcpus[i].fd >= 0)
			v->ops.close(v->vcpus[i].fd);
	}
	if (v->vm_fd >= 0)
		v->ops.close(v->vm_fd);
	if (v->kvm_fd >= 0)
		v->ops.close(v->kvm_fd);
	if (v->mem.host)
		munmap(v->mem.host, v->mem.size);
	fw_cfg_free(&v->fwcfg);
	free(kernel);
	free(initrd);
	free(cmdline);
	free(v);
}

int vmm_run(const struct vmm_opts *o)
{
	struct vmm *v = calloc(1, sizeof(*v));
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_len = 0, initrd_len = 0;
	char *cmdline = NULL, err[256];
	struct boot_info bi;
	struct bzimage bz;
	bool mb;
	int r, mmap_size;
	uint64_t rsdp, t_end;
	struct sigaction sa;

	if (!v)
		return fail(EXIT_INTERNAL, "out of memory");
	v->opts = *o;
	v->kvm_fd = v->vm_fd = -1;
	for (unsigned i = 0; i < VMM_MAX_CPUS; i++)
		v->vcpus[i].fd = -1;
	pthread_mutex_init(&v->stop_lock, NULL);
	pthread_cond_init(&v->stop_cond, NULL);
	fw_cfg_init(&v->fwcfg);

	/* the images first: a bad file is reported before anything else happens */
	if ((r = read_file("kernel", o->kernel, &kernel, &kernel_len)))
		goto out;
	if (o->initrd && (r = read_file("initrd", o->initrd, &initrd, &initrd_len)))
		goto out;
	mb = multiboot_detect(kernel, kernel_len);
	if (!mb && (r = bzimage_parse(kernel, kernel_len, &bz, err, sizeof(err)))) {
		fail(r, "kernel '%s': %s", o->kernel, err);
		goto out;
	}
	cmdline = make_cmdline(o, !mb);
	if (!cmdline) {
		r = fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}

	if ((r = open_kvm(v)))
		goto out;
	{
		int max = v->ops.ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

		if (max > 0 && o->cpus > (unsigned)max) {
			r = fail(EXIT_UNSUPPORTED, "%u vCPUs asked for, this KVM allows %d", o->cpus, max);
			goto out;
		}
	}
	v->ops.ioctl(v->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR);	/* only VMX needs it */
	/* The in-kernel PIC, IOAPIC and LAPICs, and the PIT, where this KVM has them. */
	if (!v->ops.ioctl(v->vm_fd, KVM_CREATE_IRQCHIP, 0)) {
		struct kvm_pit_config pit = { .flags = 0 };

		v->irqchip = true;
		v->ops.ioctl(v->vm_fd, KVM_CREATE_PIT2, &pit);
	}
	if (o->cpus > 1 && !v->irqchip) {
		r = fail(EXIT_UNSUPPORTED, "%u vCPUs need an in-kernel irqchip (KVM_CREATE_IRQCHIP), which this KVM lacks",
			 o->cpus);
		goto out;
	}
	if ((r = setup_memory(v)))
		goto out;

	/* firmware tables, then the kernel (multiboot kernels may use the low 640 KiB) */
	rsdp = acpi_build(&v->mem, o->cpus);
	mptable_build(&v->mem, o->cpus);
	if (mb) {
		uint8_t *gdt = gm_ptr(&v->mem, BOOT_GDT, 0x20);
		static const uint64_t g[4] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull,
					       0x00008b0000000067ull };

		memcpy(gdt, g, sizeof(g));
		r = multiboot_load(&v->mem, kernel, kernel_len, o->kernel, initrd, initrd_len,
				   o->initrd, cmdline, &bi, err, sizeof(err));
	} else {
		r = bzimage_load(&v->mem, &bz, initrd, initrd_len, cmdline, rsdp, &bi, err, sizeof(err));
	}
	if (r) {
		fail(r, "%s: %s", o->kernel, err);
		goto out;
	}
	setup_devices(v);
	if ((r = setup_fw_cfg(v, cmdline, &bi)))
		goto out;

	mmap_size = v->ops.ioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		r = fail(EXIT_INTERNAL, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto out;
	}
	v->run_size = (size_t)mmap_size;
	for (unsigned i = 0; i < o->cpus; i++) {
		struct vcpu *c = &v->vcpus[i];

		c->vmm = v;
		c->id = (int)i;
		c->fd = v->ops.ioctl(v->vm_fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0) {
			r = fail(EXIT_INTERNAL, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
			goto out;
		}
		c->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			r = fail(EXIT_INTERNAL, "mmap of vCPU %u: %s", i, strerror(errno));
			goto out;
		}
		if (setup_cpuid(v, c)) {
			r = fail(EXIT_INTERNAL, "CPUID for vCPU %u: %s", i, strerror(errno));
			goto out;
		}
	}
	/* APs wait in KVM_RUN for INIT and SIPI from the BSP (KVM_MP_STATE_UNINITIALIZED) */
	if (setup_bsp(v, &v->vcpus[0], &bi)) {
		r = fail(EXIT_INTERNAL, "setting the boot vCPU's registers: %s", strerror(errno));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);

	fprintf(stderr, "swkvm: %s%s%s %s (%s)%s%s, %u vCPU%s, %llu MiB%s, cmdline \"%s\"\n",
		o->name ? "guest " : "", o->name ? o->name : "", o->name ? ":" : "booting",
		o->kernel, bi.desc, o->initrd ? ", initrd " : "", o->initrd ? o->initrd : "",
		o->cpus, o->cpus == 1 ? "" : "s", (unsigned long long)(o->mem / MiB),
		o->kvm_path ? ", real KVM" : "", cmdline);
	v->t_start_ns = vmm_now_ns();
	if (console_start(&v->con, &v->com1, v)) {
		r = fail(EXIT_INTERNAL, "console: %s", strerror(errno));
		goto out;
	}
	for (unsigned i = 0; i < o->cpus; i++) {
		if (pthread_create(&v->vcpus[i].thread, NULL, vcpu_thread, &v->vcpus[i])) {
			vmm_request_stop(v, EXIT_INTERNAL, "cannot create a vCPU thread");
			break;
		}
		v->vcpus[i].started = true;
	}

	pthread_mutex_lock(&v->stop_lock);
	while (!atomic_load(&v->stopping))
		pthread_cond_wait(&v->stop_cond, &v->stop_lock);
	pthread_mutex_unlock(&v->stop_lock);
	t_end = vmm_now_ns();
	/* kick until every vCPU thread is out (a kick can land before KVM_RUN starts) */
	for (unsigned i = 0; i < o->cpus; i++) {
		struct vcpu *c = &v->vcpus[i];

		if (!c->started)
			continue;
		for (;;) {
			struct timespec ts;

			kick_all(v);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (!pthread_timedjoin_np(c->thread, NULL, &ts))
				break;
		}
		c->started = false;
	}
	console_stop(&v->con);
	if (crash_dump[0])
		fputs(crash_dump, stderr);
	fprintf(stderr, "\nswkvm: %s after %.3f s (exit status %d)\n", v->exit_why,
		(double)(t_end - v->t_start_ns) / 1e9, v->exit_code);
	if (o->boot_time) {
		uint64_t f = atomic_load(&v->t_first_output_ns), u = atomic_load(&v->t_userspace_ns);

		if (f)
			fprintf(stderr, "swkvm: boot-time: first console output at %.3f s\n",
				(double)(f - v->t_start_ns) / 1e9);
		else
			fprintf(stderr, "swkvm: boot-time: no console output\n");
		if (u)
			fprintf(stderr, "swkvm: boot-time: init started at %.3f s\n",
				(double)(u - v->t_start_ns) / 1e9);
		else
			fprintf(stderr, "swkvm: boot-time: init was not started\n");
	}
	if (v->bus.unhandled && o->verbose)
		fprintf(stderr, "swkvm: %llu accesses to unhandled I/O ports\n",
			(unsigned long long)v->bus.unhandled);
	r = v->exit_code;
out:
	free_vmm(v, kernel, initrd, cmdline);
	return r;
}
