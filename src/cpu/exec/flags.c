// SPDX-License-Identifier: GPL-2.0-only
// Arithmetic flags and condition codes (SDM Vol.1 §3.4.3, Appendix B).
#include <stddef.h>

#include "cpu/exec/handlers.h"

bool parity(uint8_t v)
{
	return !__builtin_parity(v);
}

void flags_set(struct cpu *cpu, uint64_t mask, bool on)
{
	if (on)
		cpu->in->rflags |= mask;
	else
		cpu->in->rflags &= ~mask;
}

static uint64_t sign_bit(unsigned size)
{
	return 1ull << (size * 8 - 1);
}

/* SF ZF PF of a result, as RFLAGS bits */
static inline uint64_t szp_bits(uint64_t res, unsigned size)
{
	res &= size_mask(size);
	return (res == 0 ? CPU_FLAG_ZF : 0) | ((res >> (size * 8 - 1)) & 1 ? CPU_FLAG_SF : 0) |
	       (parity((uint8_t)res) ? CPU_FLAG_PF : 0);
}

static inline void flags_store(struct cpu *cpu, uint64_t bits)
{
	cpu->in->rflags = (cpu->in->rflags & ~(uint64_t)CPU_FLAGS_ARITH) | bits;
}

/* AND/OR/XOR/TEST: CF=OF=0, AF undefined (cleared, as the host does), SF ZF PF from the result */
void flags_logic(struct cpu *cpu, uint64_t res, unsigned size)
{
	flags_store(cpu, szp_bits(res, size));
}

/* All six arithmetic flags computed at once and stored with one write. */
uint64_t alu_compute(struct cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size)
{
	uint64_t m = size_mask(size), sb = sign_bit(size), res, cin = 0, f;
	bool sub;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_OR:
		res = a | b;
		flags_store(cpu, szp_bits(res, size));
		return res;
	case ALU_AND:
		res = a & b;
		flags_store(cpu, szp_bits(res, size));
		return res;
	case ALU_XOR:
		res = a ^ b;
		flags_store(cpu, szp_bits(res, size));
		return res;
	case ALU_ADC:
		cin = flag(cpu, CPU_FLAG_CF);
		/* fall through */
	case ALU_ADD:
		res = (a + b + cin) & m;
		sub = false;
		f = (res < a || (cin && res == a)) ? CPU_FLAG_CF : 0;
		break;
	case ALU_SBB:
		cin = flag(cpu, CPU_FLAG_CF);
		/* fall through */
	default:	/* SUB, CMP */
		res = (a - b - cin) & m;
		sub = true;
		f = (a < b || (cin && a == b)) ? CPU_FLAG_CF : 0;
		break;
	}
	f |= szp_bits(res, size);
	f |= ((a ^ b ^ res) & 0x10) ? CPU_FLAG_AF : 0;
	if (sub)
		f |= ((a ^ b) & (a ^ res) & sb) ? CPU_FLAG_OF : 0;
	else
		f |= (~(a ^ b) & (a ^ res) & sb) ? CPU_FLAG_OF : 0;
	flags_store(cpu, f);
	return res;
}

/* Condition codes tttn (SDM Vol.2 Appendix B.1.4.7) */
bool cond_true(struct cpu *cpu, unsigned cc)
{
	bool r;

	switch (cc >> 1) {
	case 0: r = flag(cpu, CPU_FLAG_OF); break;
	case 1: r = flag(cpu, CPU_FLAG_CF); break;
	case 2: r = flag(cpu, CPU_FLAG_ZF); break;
	case 3: r = flag(cpu, CPU_FLAG_CF) || flag(cpu, CPU_FLAG_ZF); break;
	case 4: r = flag(cpu, CPU_FLAG_SF); break;
	case 5: r = flag(cpu, CPU_FLAG_PF); break;
	case 6: r = flag(cpu, CPU_FLAG_SF) != flag(cpu, CPU_FLAG_OF); break;
	default: r = flag(cpu, CPU_FLAG_ZF) || (flag(cpu, CPU_FLAG_SF) != flag(cpu, CPU_FLAG_OF)); break;
	}
	return (cc & 1) ? !r : r;
}
