// SPDX-License-Identifier: GPL-2.0-only
// Multiboot test kernel for `swkvm run`: reports what the loader and the VMM's devices
// show it (boot information, fw_cfg, UART registers, CMOS clock, ACPI and MP tables)
// over COM1, then leaves through the debug-exit port with the status in "exit=N".
#include "mb.h"

struct mbi {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

static void fw_select(uint16_t key) { outw(0x510, key); }
static uint8_t fw_byte(void) { return inb(0x511); }

static uint32_t fw_u32(uint16_t key)
{
	uint32_t v = 0;

	fw_select(key);
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)fw_byte() << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static int memeq(const void *a, const void *b, uint32_t n)
{
	const uint8_t *x = a, *y = b;

	while (n--)
		if (*x++ != *y++)
			return 0;
	return 1;
}

/*
 * Option NAME at p: only where a space-separated word of the command line starts, since
 * the loader puts the kernel's path first ("/work/wt-irqoff/..." must not mean "irq").
 */
static int opt(const char *cmd, const char *p, const char *name, uint32_t n)
{
	return (p == cmd || p[-1] == ' ') && memeq(p, name, n);
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void check_uart(void)
{
	uint8_t scr, iir, lsr, thre, after, msr, rx = '-', lsr2;

	outb(COM1 + 7, 0x5a);
	scr = inb(COM1 + 7);
	outb(COM1 + 2, 0x07);			/* FIFO on, both cleared */
	iir = inb(COM1 + 2);
	lsr = inb(COM1 + 5);
	outb(COM1 + 1, 0x02);			/* THRE interrupt on: pending at once */
	thre = inb(COM1 + 2);
	after = inb(COM1 + 2);			/* the IIR read cleared it */
	outb(COM1 + 1, 0x00);
	/* loopback: what is sent comes back, so print only afterwards */
	outb(COM1 + 4, 0x10 | 0x0a);		/* LOOP, RTS, OUT2 */
	msr = inb(COM1 + 6) & 0xf0;
	outb(COM1, 'Q');
	if (inb(COM1 + 5) & 1)
		rx = inb(COM1);
	lsr2 = inb(COM1 + 5);
	outb(COM1 + 4, 0x03);
	printk("uart: scratch %x iir %x lsr %x iir-thre %x then %x loop-msr %x loop-rx %c lsr %x\n",
	       scr, iir, lsr, thre, after, msr, rx, lsr2);
}

static void check_acpi(void)
{
	const uint8_t *p;

	for (p = (const uint8_t *)0xe0000; p < (const uint8_t *)0x100000; p += 16)
		if (memeq(p, "RSD PTR ", 8) && !sum(p, 20))
			break;
	if (p >= (const uint8_t *)0x100000) {
		printk("acpi: no RSDP\n");
		return;
	}
	{
		/* revision 0 (ACPI 1.0, as SeaBIOS builds it) has only the RSDT, 4-byte entries */
		unsigned rev = p[15], esz = rev >= 2 ? 8 : 4;
		const uint8_t *xsdt = (const uint8_t *)*(const uint32_t *)(p + (rev >= 2 ? 24 : 16));
		uint32_t len = *(const uint32_t *)(xsdt + 4), cpus = 0, ioapics = 0;

		printk("acpi: rsdp rev %u %s %s", rev, rev >= 2 ? "xsdt" : "rsdt", !sum(xsdt, len) ? "ok" : "bad");
		for (uint32_t o = 36; o < len; o += esz) {
			const uint8_t *t = (const uint8_t *)*(const uint32_t *)(xsdt + o);
			uint32_t tl = *(const uint32_t *)(t + 4);

			printk(" %c%c%c%c:%s", t[0], t[1], t[2], t[3], !sum(t, tl) ? "ok" : "bad");
			if (memeq(t, "APIC", 4)) {
				for (uint32_t e = 44; e < tl; e += t[e + 1]) {
					if (t[e] == 0 && (t[e + 4] & 1))
						cpus++;
					if (t[e] == 1)
						ioapics++;
				}
			}
			if (memeq(t, "FACP", 4)) {
				const uint8_t *d = (const uint8_t *)*(const uint32_t *)(t + 40);

				printk(" DSDT:%s", !sum(d, *(const uint32_t *)(d + 4)) ? "ok" : "bad");
				printk(" pm1a_cnt %x", *(const uint32_t *)(t + 64));
			}
		}
		printk(" cpus %u ioapics %u\n", cpus, ioapics);
	}
	for (p = (const uint8_t *)0xf0000; p < (const uint8_t *)0x100000; p += 16)
		if (memeq(p, "_MP_", 4) && !sum(p, 16))
			break;
	if (p < (const uint8_t *)0x100000) {
		const uint8_t *ct = (const uint8_t *)*(const uint32_t *)(p + 4);
		uint16_t len = *(const uint16_t *)(ct + 4), n = *(const uint16_t *)(ct + 34);
		uint32_t cpus = 0;
		const uint8_t *e = ct + 44;

		for (uint16_t i = 0; i < n; i++) {
			if (e[0] == 0)
				cpus++;
			e += e[0] == 0 ? 20 : 8;
		}
		printk("mptable: %s entries %u cpus %u\n", !sum(ct, len) ? "ok" : "bad", n, cpus);
	} else {
		printk("mptable: none\n");
	}
}

/* "irq" mode: the UART's receive interrupt through the in-kernel 8259 (KVM_IRQ_LINE) */
void isr_uart(void);
void uart_isr(void);
static volatile unsigned irqs, nrx;
static volatile char rxbuf[32];
static uint64_t idt[256];

void uart_isr(void)
{
	irqs++;
	while (inb(COM1 + 5) & 1) {
		char c = (char)inb(COM1);

		if (nrx < sizeof(rxbuf) - 1)
			rxbuf[nrx++] = c;
	}
	outb(0x20, 0x20);			/* non-specific EOI */
}

static void irq_mode(void)
{
	uint16_t cs;
	uint32_t h = (uint32_t)isr_uart;
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } idtr = { sizeof(idt) - 1, (uint32_t)idt };

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[0x24] = (h & 0xffff) | (uint64_t)cs << 16 | (uint64_t)0x8e00 << 32 |
		    (uint64_t)(h >> 16) << 48;	/* 32-bit interrupt gate, DPL 0 */
	__asm__ volatile("lidt %0" : : "m"(idtr));
	/* 8259 pair: ICW1-ICW4, vectors 0x20/0x28, cascade on IRQ 2; only IRQ 4 unmasked */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xef);
	outb(0xa1, 0xff);
	outb(COM1 + 4, 0x0b);			/* DTR, RTS, OUT2: the IRQ reaches the PIC */
	outb(COM1 + 1, 0x01);			/* received-data interrupt only */
	printk("irq: waiting\n");
	while (!nrx || rxbuf[nrx - 1] != '.')
		__asm__ volatile("sti; hlt; cli");
	rxbuf[nrx] = 0;
	printk("irq: interrupts %s bytes '%s'\n", irqs ? "yes" : "no", (const char *)rxbuf);
}

/*
 * "smp": start the AP with APIC ID 1 by INIT, SIPI, SIPI (SDM Vol. 3A 8.4.4.1) at a
 * real-mode trampoline at 0x8000 that sets the byte at 0x9000 and halts.
 */
static void smp_mode(void)
{
	static const uint8_t tramp[] = {
		0x31, 0xc0,			/* xor ax, ax */
		0x8e, 0xd8,			/* mov ds, ax */
		0xc6, 0x06, 0x00, 0x90, 0x01,	/* mov byte [0x9000], 1 */
		0xfa,				/* cli */
		0xf4,				/* hlt */
		0xeb, 0xfd,			/* jmp hlt */
	};
	volatile uint8_t *flag = (volatile uint8_t *)0x9000;
	volatile uint32_t *apic = (volatile uint32_t *)0xfee00000;
	uint8_t *dst = (uint8_t *)0x8000;
	unsigned spins = 0;

	for (unsigned i = 0; i < sizeof(tramp); i++)
		dst[i] = tramp[i];
	*flag = 0;
	apic[0xf0 / 4] = 0x1ff;			/* SVR: APIC on, spurious vector 0xff */
	apic[0x310 / 4] = 1u << 24;		/* ICR destination: APIC ID 1 */
	apic[0x300 / 4] = 0x4500;		/* INIT, assert */
	for (int k = 0; k < 2; k++) {
		apic[0x310 / 4] = 1u << 24;
		apic[0x300 / 4] = 0x4600 | (0x8000 >> 12);	/* Start-up, vector 0x08 */
	}
	while (!*flag && spins < 50000000)
		spins++;
	printk("smp: ap %s\n", *flag ? "started" : "silent");
}

void mb_main(uint32_t magic, const struct mbi *mbi);
void mb_main(uint32_t magic, const struct mbi *mbi)
{
	const char *cmd = "";
	unsigned code = 0;
	char buf[64];
	uint32_t n;

	outb(COM1 + 3, 0x80);			/* DLAB: 115200 baud */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);			/* 8N1 */
	printk("mb: magic %s flags %x\n", magic == 0x2badb002 ? "ok" : "bad", mbi->flags);
	printk("mb: mem_lower %u mem_upper %u\n", mbi->mem_lower, mbi->mem_upper);
	if (mbi->flags & 4) {
		cmd = (const char *)mbi->cmdline;
		printk("mb: cmdline '%s'\n", cmd);
	}
	if (mbi->flags & 0x200)
		printk("mb: loader '%s'\n", (const char *)mbi->boot_loader_name);
	if (mbi->flags & 0x40) {
		for (uint32_t o = 0; o < mbi->mmap_length;) {
			const uint32_t *e = (const uint32_t *)(mbi->mmap_addr + o);

			printk("mb: mmap %llx %llx %u\n", *(const uint64_t *)(e + 1),
			       *(const uint64_t *)(e + 3), e[5]);
			o += e[0] + 4;
		}
	}
	if (mbi->flags & 8) {
		const uint32_t *m = (const uint32_t *)mbi->mods_addr;

		for (uint32_t i = 0; i < mbi->mods_count; i++, m += 4) {
			const char *d = (const char *)m[0];
			uint32_t len = m[1] - m[0];

			printk("mb: module %u len %u aligned %u data '", i, len, (m[0] & 0xfff) == 0);
			for (uint32_t k = 0; k < len && k < 32 && d[k] != '\n'; k++)
				putc_uart(d[k]);
			printk("'\n");
		}
	}

	fw_select(0x0000);
	for (int i = 0; i < 4; i++)
		buf[i] = (char)fw_byte();
	buf[4] = 0;
	printk("fw_cfg: signature '%s' id %u cpus %u max_cpus %u\n", buf, fw_u32(0x01),
	       fw_u32(0x05) & 0xffff, fw_u32(0x0f) & 0xffff);
	{
		uint32_t lo = fw_u32(0x03);

		uint32_t hi = fw_byte();

		hi |= fw_byte() << 8;
		hi |= (uint32_t)fw_byte() << 16;
		hi |= (uint32_t)fw_byte() << 24;
		printk("fw_cfg: ram %x:%08x\n", hi, lo);
	}
	n = fw_u32(0x14);
	fw_select(0x15);
	for (uint32_t i = 0; i < n && i < sizeof(buf); i++)
		buf[i] = (char)fw_byte();
	buf[sizeof(buf) - 1] = 0;
	printk("fw_cfg: cmdline %u '%s'\n", n, buf);
	fw_select(0x19);
	n = 0;
	for (int i = 0; i < 4; i++)
		n = n << 8 | fw_byte();			/* big-endian count */
	for (uint32_t f = 0; f < n; f++) {
		uint32_t size = 0;
		uint16_t sel;

		for (int i = 0; i < 4; i++)
			size = size << 8 | fw_byte();
		sel = (uint16_t)(fw_byte() << 8);
		sel |= fw_byte();
		fw_byte();
		fw_byte();
		for (int i = 0; i < 56; i++)
			buf[i] = (char)fw_byte();
		printk("fw_cfg: file %x '%s' size %u\n", sel, buf, size);
	}
	fw_select(0x7fff);
	printk("fw_cfg: missing key reads %x\n", fw_byte());

	check_uart();
	{
		uint8_t c = cmos(0x32), y = cmos(0x09), b = cmos(0x0b);

		printk("rtc: year %x%02x status-b %x status-d %x\n", c, y, b, cmos(0x0d));
	}
	outl(0xcf8, 0x80000000);
	printk("pci: cf8 %x id %x", inl(0xcf8), inl(0xcfc));
	outl(0xcf8, 0x80000008);
	printk(" class %x", inl(0xcfc) >> 8);
	outl(0xcf8, 0x80000800);
	printk(" 00:01.0 %x\n", inl(0xcfc));
	check_acpi();

	/* "exit=N" anywhere on the command line */
	for (const char *p = cmd; *p; p++) {
		if (opt(cmd, p, "exit=", 5)) {
			for (p += 5; *p >= '0' && *p <= '9'; p++)
				code = code * 10 + (unsigned)(*p - '0');
			break;
		}
	}
	/* "echo": show each received byte until a '.', polling LSR.DR */
	for (const char *p = cmd; *p; p++) {
		if (opt(cmd, p, "echo", 4)) {
			uint8_t c;

			printk("rx");
			do {
				while (!(inb(COM1 + 5) & 1))
					;
				c = inb(COM1);
				printk(" %02x", c);
			} while (c != '.');
			printk("\n");
			break;
		}
	}
	for (const char *p = cmd; *p; p++)
		if (opt(cmd, p, "smp", 3))
			smp_mode();
	/* power off / reset the ways Linux does: ACPI S5, i8042, 0xCF9, port 0x92 */
	for (const char *p = cmd; *p; p++) {
		if (opt(cmd, p, "off=", 4)) {
			printk("off %c\n", p[4]);
			switch (p[4]) {
			case 'a': outw(0x604, (5 << 10) | (1 << 13)); break;	/* SLP_TYP 5, SLP_EN */
			case 'k': outb(0x64, 0xfe); break;
			case 'c': outb(0xcf9, 0x06); break;
			case 'p': outb(0x92, 0x01); break;
			}
			printk("still running after off\n");
		}
	}
	/* "crash": an empty IDT, then int3: #GP, #DF, triple fault */
	for (const char *p = cmd; *p; p++) {
		if (opt(cmd, p, "crash", 5)) {
			struct __attribute__((packed)) { uint16_t limit; uint32_t base; } none = { 0, 0 };

			printk("crashing\n");
			__asm__ volatile("lidt %0; int3" : : "m"(none));
		}
	}
	for (const char *p = cmd; *p; p++) {
		if (opt(cmd, p, "irq", 3)) {
			irq_mode();
			break;
		}
	}
	printk("exiting with %u\n", code);
	debug_exit((uint8_t)code);
	printk("still running after debug-exit\n");
}
