// SPDX-License-Identifier: GPL-2.0-only
// A bare host for the CPU unit tests: 2 MiB of guest RAM, everything above it MMIO.
#ifndef SWKVM_TESTS_UNIT_CPU_HARNESS_H
#define SWKVM_TESTS_UNIT_CPU_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"
#include "tap.h"

#define RAM_SIZE (2u << 20)
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint64_t tsc_value = 1000;

static uint8_t *gpa_page(void *opaque, uint64_t gfn, bool write)
{
	(void)opaque; (void)write;
	return gfn < RAM_SIZE / 4096 ? ram + gfn * 4096 : NULL;
}

static uint64_t read_tsc(void *opaque)
{
	(void)opaque;
	return tsc_value;
}

static const struct cpu_host_ops harness_ops = { .gpa_page = gpa_page, .read_tsc = read_tsc };

static inline void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static inline uint64_t get64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, ram + gpa, 8);
	return v;
}

/*
 * The fast paths' off switches, as combinations: bit 0 soft TLB off, bit 1 decode cache
 * off, bit 2 lazy flags off, bit 3 decoded blocks off (SW_ALL_OFF: all four). The
 * environment is read by cpu_create().
 */
#define SW_COMBINATIONS 16
#define SW_ALL_OFF 15
static inline struct cpu *cpu_with_switches(unsigned sw)
{
	setenv("SWKVM_CPU_NO_TLB", (sw & 1) ? "1" : "0", 1);
	setenv("SWKVM_CPU_NO_DCACHE", (sw & 2) ? "1" : "0", 1);
	setenv("SWKVM_CPU_NO_LAZY_FLAGS", (sw & 4) ? "1" : "0", 1);
	setenv("SWKVM_CPU_NO_BLOCKS", (sw & 8) ? "1" : "0", 1);
	return cpu_create(&harness_ops, NULL);
}

static inline const char *switch_name(unsigned sw)
{
	static const char *names[SW_COMBINATIONS] = {
		"all fast paths on", "TLB off", "dcache off", "TLB+dcache off",
		"lazy flags off", "TLB+lazy off", "dcache+lazy off", "TLB+dcache+lazy off",
		"blocks off", "TLB+blocks off", "dcache+blocks off", "TLB+dcache+blocks off",
		"lazy+blocks off", "TLB+lazy+blocks off", "dcache+lazy+blocks off", "all fast paths off",
	};
	return names[sw % SW_COMBINATIONS];
}

/* CPU modes for decoder tests: CS 16-bit real mode, 32-bit protected mode, 64-bit mode */
enum { M16, M32, M64 };

/* Reset, then CS (base 0) and EFER for `mode`, RIP 0x1000. */
static inline void set_mode(struct cpu *cpu, int mode)
{
	cpu_reset(cpu, false);
	cpu->seg[CPU_CS].base = 0;
	cpu->rip = 0x1000;
	if (mode != M16) {
		cpu->cr0 |= CPU_CR0_PE;
		cpu->seg[CPU_CS].db = mode == M32;
		cpu->seg[CPU_CS].l = mode == M64;
		if (mode == M64)
			cpu->efer = CPU_EFER_LME | CPU_EFER_LMA;
	}
	cpu_state_changed(cpu);
}

/* Flat 64-bit descriptors: null, kernel code 0x08, kernel data 0x10, user code 0x1b, user data 0x23, TSS 0x28 */
#define GDT_CODE64 0x00209a0000000000ull
#define GDT_DATA 0x00cf92000000ffffull
#define GDT_UCODE64 0x0020fa0000000000ull
#define GDT_UDATA 0x00cff2000000ffffull

static inline void seg_set(struct cpu_segment *s, uint16_t sel, uint8_t type, uint8_t dpl, bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->dpl = dpl;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

#endif
