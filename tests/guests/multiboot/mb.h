/* SPDX-License-Identifier: GPL-2.0-only */
/* port I/O and a tiny printf for the multiboot test kernels */
#ifndef MB_H
#define MB_H
#include <stdarg.h>
#include <stdint.h>

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

#define COM1 0x3f8

static inline void putc_uart(char c)
{
	while (!(inb(COM1 + 5) & 0x20))		/* LSR.THRE */
		;
	outb(COM1, (uint8_t)c);
}

static inline void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_u(uint32_t v, unsigned base, int width)
{
	char b[16];
	int n = 0;

	do {
		b[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < width)
		b[n++] = '0';
	while (n)
		putc_uart(b[--n]);
}

/* %u %x %08x %s %c, and %llx for 64-bit hex */
static void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0;

		if (*fmt != '%') {
			putc_uart(*fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 'u': put_u(va_arg(ap, uint32_t), 10, width); break;
		case 'x': put_u(va_arg(ap, uint32_t), 16, width); break;
		case 's': puts_uart(va_arg(ap, const char *)); break;
		case 'c': putc_uart((char)va_arg(ap, int)); break;
		case 'l': {
			uint64_t v = va_arg(ap, uint64_t);

			fmt += 2;	/* "llx" */
			if (v >> 32) {
				put_u((uint32_t)(v >> 32), 16, 0);
				put_u((uint32_t)v, 16, 8);
			} else {
				put_u((uint32_t)v, 16, 0);
			}
			break;
		}
		default: putc_uart(*fmt); break;
		}
	}
	va_end(ap);
}

static inline void debug_exit(uint8_t v)
{
	outb(0xf4, v);
}
#endif
