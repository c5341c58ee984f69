// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: the VMM's shared types (options, guest memory, the I/O port bus, devices).
//
// The VMM is an ordinary KVM client: it reaches the hypervisor only through the ioctl/mmap
// API (struct kvm_ops below), either swkvm's in-process entry points or a real /dev/kvm.
#ifndef VMM_H
#define VMM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of `swkvm run` (docs/run.md). The debug-exit device adds (v << 1) | 1. */
enum {
	EXIT_OK = 0,		/* the guest powered off or rebooted, or Ctrl-A x */
	EXIT_GUEST_FAILED = 1,	/* triple fault, internal error, a halt nothing can wake */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_UNSUPPORTED = 3,	/* asked for something swkvm cannot do (yet) */
	EXIT_INTERNAL = 4,	/* the KVM API or the host failed */
	EXIT_BAD_IMAGE = 5,	/* kernel/initrd missing, unreadable, malformed or too large */
};

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

struct vmm_opts {
	const char *kernel;
	const char *initrd;
	const char *params;	/* user part of the kernel command line */
	const char *name;
	const char *kvm_path;	/* NULL: swkvm in process; else a real KVM device */
	unsigned cpus;
	uint64_t mem;		/* bytes */
	bool nodefaults;	/* do not add console=ttyS0 ... to the command line */
	bool debug_exit;	/* the isa-debug-exit device at 0xf4 */
	bool boot_time;
	bool verbose;
};

#define VMM_MIN_MEM (2 * MiB)
#define VMM_MAX_MEM (1024 * GiB)
#define VMM_MAX_CPUS 255	/* xAPIC IDs, MP table and MADT processor entries are 8-bit */

/* options.c: returns 0 and fills `o`, or prints one line and returns EXIT_USAGE; 1 = --help */
int vmm_parse_options(int argc, char **argv, struct vmm_opts *o);
int vmm_parse_size(const char *s, uint64_t *out);

/*
 * Guest RAM: one host mapping. Guest-physical [0, low_end) is RAM below the PCI hole at
 * 3 GiB; the rest of the RAM, if any, is at [4 GiB, 4 GiB + size - low_end).
 */
#define PCI_HOLE_START (3 * GiB)
#define HIGH_RAM_START (4 * GiB)
struct guest_mem {
	uint8_t *host;
	uint64_t size;
	uint64_t low_end;
};
/* Host pointer for [gpa, gpa + len) if all of it is RAM in one piece, else NULL. */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Fixed guest-physical layout of a boot (docs/run.md) */
#define BOOT_GDT	0x500
#define BOOT_ZEROPAGE	0x7000
#define BOOT_STACK	0x8ff0
#define BOOT_PML4	0x9000		/* PML4, PDPT, 4 PDs: 0x9000..0xefff */
#define BOOT_CMDLINE	0x20000
#define BOOT_CMDLINE_MAX 0x10000
#define EBDA_START	0x9fc00
#define BIOS_START	0xe0000		/* reserved in e820: ACPI tables and MP table */
#define ACPI_BASE	0xe0000
#define MPTABLE_BASE	0xf0000
#define KERNEL_LOAD	0x100000

struct e820e {
	uint64_t addr, size;
	uint32_t type;
};
#define E820_RAM 1
#define E820_RESERVED 2
/* The e820 map for `gm` (boot.c); returns the number of entries (at most 8). */
int e820_build(const struct guest_mem *gm, struct e820e *out);

/* What a loader leaves for the vCPU set-up */
struct boot_info {
	enum { BOOT_LINUX64, BOOT_MULTIBOOT } kind;
	uint64_t entry;
	uint64_t zeropage;	/* Linux: RSI */
	uint32_t mbi;		/* multiboot: EBX */
	uint64_t kernel_addr, kernel_size;
	uint64_t initrd_addr, initrd_size;
	uint64_t cmdline_addr;
	char desc[96];		/* "bzImage, boot protocol 2.15" */
};

/* loader_bzimage.c */
struct bzimage {
	const uint8_t *data;
	size_t len;
	uint16_t version;
	unsigned setup_sects;
	size_t setup_len;	/* bytes of boot sector + setup code */
	size_t kernel_len;	/* protected-mode kernel bytes */
	uint32_t cmdline_size;	/* max command line bytes without the NUL */
	uint32_t initrd_addr_max;
	uint32_t init_size;
};
int bzimage_parse(const uint8_t *data, size_t len, struct bzimage *bz, char *err, size_t errlen);
int bzimage_load(const struct guest_mem *gm, const struct bzimage *bz, const uint8_t *initrd,
		 size_t initrd_len, const char *cmdline, uint64_t rsdp, struct boot_info *bi,
		 char *err, size_t errlen);
/* Page tables, GDT for the 64-bit entry (boot.c) */
void boot_build_longmode(const struct guest_mem *gm);

/* loader_multiboot.c */
#define MULTIBOOT_HEADER_MAGIC 0x1badb002
#define MULTIBOOT_BOOT_MAGIC 0x2badb002
bool multiboot_detect(const uint8_t *data, size_t len);
int multiboot_load(const struct guest_mem *gm, const uint8_t *data, size_t len,
		   const char *kernel_name, const uint8_t *initrd, size_t initrd_len,
		   const char *initrd_name, const char *cmdline, struct boot_info *bi,
		   char *err, size_t errlen);

/* acpi.c: ACPI tables at ACPI_BASE, MP table at MPTABLE_BASE; returns the RSDP address */
uint64_t acpi_build(const struct guest_mem *gm, unsigned cpus);
void mptable_build(const struct guest_mem *gm, unsigned cpus);
uint8_t acpi_checksum(const void *p, size_t len);

/* ---- the port I/O bus and the devices ---- */
struct vmm;
typedef uint32_t (*pio_read_fn)(void *dev, uint16_t port, unsigned size);
typedef void (*pio_write_fn)(void *dev, uint16_t port, unsigned size, uint32_t val);
struct pio_range {
	uint16_t base, len;
	void *dev;
	pio_read_fn read;
	pio_write_fn write;
};
#define VMM_MAX_PIO 32
struct pio_bus {
	struct pio_range r[VMM_MAX_PIO];
	int n;
	uint64_t unhandled;
};
int pio_register(struct pio_bus *bus, uint16_t base, uint16_t len, void *dev, pio_read_fn rd,
		 pio_write_fn wr);
/* Returns false when nothing is at `port` (reads then give all ones). */
bool pio_access(struct pio_bus *bus, uint16_t port, unsigned size, bool write, uint32_t *val);

/* How a device raises an ISA IRQ line: KVM_IRQ_LINE when the VM has an irqchip. */
struct irq_sink {
	void (*set)(void *opaque, unsigned irq, int level);
	void *opaque;
};

/* serial.c: 16550A */
#define UART_FIFO 16
struct serial {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_int;		/* THR-empty interrupt pending (cleared by IIR read or THR write) */
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	unsigned irq;
	int irq_level;
	struct irq_sink sink;
	void (*out)(void *opaque, uint8_t c);	/* transmitter */
	void *out_opaque;
};
void serial_init(struct serial *s, unsigned irq, struct irq_sink sink,
		 void (*out)(void *, uint8_t), void *out_opaque);
uint32_t serial_read(void *dev, uint16_t port, unsigned size);
void serial_write(void *dev, uint16_t port, unsigned size, uint32_t val);
/* Receives up to n bytes from the outside; returns how many fitted in the FIFO. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t n);
uint8_t serial_iir(struct serial *s);

/* rtc.c: MC146818 CMOS */
struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	bool nmi_disabled;
	uint8_t cmos[128];
	int64_t offset;		/* guest time - host time, seconds */
};
void rtc_init(struct rtc *r, uint64_t mem);
uint32_t rtc_read(void *dev, uint16_t port, unsigned size);
void rtc_write(void *dev, uint16_t port, unsigned size, uint32_t val);

/* i8042.c */
struct i8042 {
	pthread_mutex_t lock;
	uint8_t status, cmd_byte, pending_cmd, outport;
	uint8_t queue[8];
	unsigned q_head, q_count;
	struct irq_sink sink;
	void (*reset)(void *opaque);
	void *reset_opaque;
};
void i8042_init(struct i8042 *k, struct irq_sink sink, void (*reset)(void *), void *opaque);
uint32_t i8042_read(void *dev, uint16_t port, unsigned size);
void i8042_write(void *dev, uint16_t port, unsigned size, uint32_t val);

/* pci.c: configuration mechanism 1, a host bridge at 00:00.0 */
struct pci {
	pthread_mutex_t lock;
	uint32_t addr;
	uint16_t bridge_cmd;
	void (*reset)(void *opaque);
	void *reset_opaque;
};
void pci_init(struct pci *p, void (*reset)(void *), void *opaque);
uint32_t pci_read(void *dev, uint16_t port, unsigned size);
void pci_write(void *dev, uint16_t port, unsigned size, uint32_t val);

/* fw_cfg.c: QEMU's firmware configuration interface, I/O port form */
#define FW_CFG_MAX_ITEMS 40
struct fw_cfg_item {
	uint16_t key;
	char name[56];		/* file name, "" for a numbered item */
	uint8_t *data;
	uint32_t len;
};
struct fw_cfg {
	pthread_mutex_t lock;
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	int n;
	uint16_t next_file;
	int cur;		/* index into items or -1 */
	uint32_t off;
};
void fw_cfg_init(struct fw_cfg *f);
void fw_cfg_free(struct fw_cfg *f);
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len);
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint32_t len);
/* Builds FW_CFG_FILE_DIR from the files added so far (call once, last). */
int fw_cfg_finish(struct fw_cfg *f);
uint32_t fw_cfg_read(void *dev, uint16_t port, unsigned size);
void fw_cfg_write(void *dev, uint16_t port, unsigned size, uint32_t val);

/* legacy.c: debug-exit, port 0x80, port 0x92, the ACPI PM block */
struct legacy {
	pthread_mutex_t lock;
	uint8_t post, port92;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t t0_ns;
	struct vmm *vmm;
};
#define PM_BASE 0x600		/* PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608 */
#define PM_SLP_TYP_S5 5
#define PM_TMR_HZ 3579545ull
void legacy_init(struct legacy *l, struct vmm *v);
uint32_t legacy_read(void *dev, uint16_t port, unsigned size);
void legacy_write(void *dev, uint16_t port, unsigned size, uint32_t val);
uint32_t debug_exit_read(void *dev, uint16_t port, unsigned size);
void debug_exit_write(void *dev, uint16_t port, unsigned size, uint32_t val);
uint32_t pm_read(void *dev, uint16_t port, unsigned size);
void pm_write(void *dev, uint16_t port, unsigned size, uint32_t val);

/* console.c */
struct console {
	int in_fd, out_fd;
	bool is_tty, raw, escape;
	int wake[2];		/* self-pipe that stops the console thread */
	pthread_t thread;
	bool running;
	struct serial *uart;
	struct vmm *vmm;
	uint8_t pend[256];	/* input waiting for room in the UART FIFO */
	size_t pend_len;
};
int console_start(struct console *c, struct serial *uart, struct vmm *v);
void console_stop(struct console *c);
void console_restore(void);	/* async-signal-safe */
void console_output(void *opaque, uint8_t ch);
/* Feeds input through the Ctrl-A state machine; returns bytes for the guest in out. */
size_t console_filter(struct console *c, const uint8_t *in, size_t n, uint8_t *out, bool *quit);

/* run.c */
struct kvm_ops {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long req, ...);
	int (*close)(int fd);
};

struct vcpu {
	struct vmm *vmm;
	int id, fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

struct vmm {
	struct vmm_opts opts;
	struct kvm_ops ops;
	int kvm_fd, vm_fd;
	size_t run_size;
	bool irqchip;
	struct guest_mem mem;
	struct vcpu vcpus[VMM_MAX_CPUS];
	struct pio_bus bus;
	struct serial com1, com2;
	struct rtc rtc;
	struct i8042 kbd;
	struct pci pci;
	struct fw_cfg fwcfg;
	struct legacy legacy;
	struct console con;

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	atomic_bool stopping;
	int exit_code;
	const char *exit_why;

	uint64_t t_start_ns;
	atomic_uint_fast64_t t_first_output_ns;
	atomic_uint_fast64_t t_userspace_ns;
	char match[64];		/* tail of the console output, for --boot-time */
	size_t match_len;
};
/* Ends the VM (first caller wins) with `code`; `why` is printed on exit. */
void vmm_request_stop(struct vmm *v, int code, const char *why);
int vmm_run(const struct vmm_opts *o);
uint64_t vmm_now_ns(void);

#endif
