// SPDX-License-Identifier: GPL-2.0-only
// Hardware breakpoints: DR0-DR3 with DR7 (SDM Vol.3 §18.2.4-18.2.5, §18.3.1).
//
// Instruction breakpoints (R/W = 00) are faults checked before an instruction executes,
// unless RFLAGS.RF is set; data breakpoints (R/W = 01 writes, 11 reads or writes) are
// traps taken after the instruction that accessed an overlapping byte completes. I/O
// breakpoints (R/W = 10 with CR4.DE = 1, §18.2.4) are traps like data breakpoints, hit by
// an IN/OUT/INS/OUTS whose ports overlap the aligned range at DRn[15:0]; with CR4.DE = 0
// the encoding is undefined and ignored.
#include "cpu/internal.h"

static uint64_t eff_dr7(const struct cpu *cpu)
{
	return cpu->hwbp_exit ? cpu->host_dr[7] : cpu->dr[7];
}

static uint64_t eff_dr(const struct cpu *cpu, int n)
{
	return cpu->hwbp_exit ? cpu->host_dr[n] : cpu->dr[n];
}

/* Which breakpoints are armed: L or G enable bits, split by kind */
void cpu_dbg_update(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t dr7 = eff_dr7(cpu);

	ci->bp_exec_mask = ci->bp_data_mask = ci->bp_io_mask = 0;
	for (int n = 0; n < 4; n++) {
		unsigned rw = (dr7 >> (16 + 4 * n)) & 3;

		if (!((dr7 >> (2 * n)) & 3))
			continue;
		if (rw == 0)
			ci->bp_exec_mask |= (uint8_t)(1u << n);
		else if (rw == 1 || rw == 3)
			ci->bp_data_mask |= (uint8_t)(1u << n);
		else if (cpu->cr4 & CPU_CR4_DE)
			ci->bp_io_mask |= (uint8_t)(1u << n);
	}
}

uint8_t cpu_dbg_exec_hits(struct cpu *cpu, uint64_t lin)
{
	uint8_t hits = 0;

	for (int n = 0; n < 4; n++)
		if ((cpu->in->bp_exec_mask & (1u << n)) && eff_dr(cpu, n) == lin)
			hits |= (uint8_t)(1u << n);
	return hits;
}

/* LEN: 00 one byte, 01 two, 11 four, 10 eight (SDM Table 18-2); the range is aligned */
static const unsigned bp_len[4] = { 1, 2, 8, 4 };

void cpu_dbg_data(struct cpu *cpu, uint64_t lin, unsigned size, bool write)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t dr7 = eff_dr7(cpu);

	for (int n = 0; n < 4; n++) {
		unsigned rw = (dr7 >> (16 + 4 * n)) & 3, len = bp_len[(dr7 >> (18 + 4 * n)) & 3];
		uint64_t base = eff_dr(cpu, n) & ~(uint64_t)(len - 1);

		if (!(ci->bp_data_mask & (1u << n)) || (rw == 1 && !write))
			continue;
		if (lin < base + len && base < lin + size)
			ci->bp_data_hits |= (uint8_t)(1u << n);
	}
}

void cpu_dbg_io(struct cpu *cpu, uint16_t port, unsigned size)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t dr7 = eff_dr7(cpu);

	for (int n = 0; n < 4; n++) {
		unsigned len = bp_len[(dr7 >> (18 + 4 * n)) & 3];
		uint64_t base = eff_dr(cpu, n) & 0xffff & ~(uint64_t)(len - 1);

		if ((ci->bp_io_mask & (1u << n)) && port < base + len && base < (uint64_t)port + size)
			ci->bp_data_hits |= (uint8_t)(1u << n);
	}
}
