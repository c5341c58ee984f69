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

/* SF ZF PF from a result */
static void flags_szp(struct cpu *cpu, uint64_t res, unsigned size)
{
	res &= size_mask(size);
	flags_set(cpu, CPU_FLAG_ZF, res == 0);
	flags_set(cpu, CPU_FLAG_SF, (res & sign_bit(size)) != 0);
	flags_set(cpu, CPU_FLAG_PF, parity((uint8_t)res));
}

/* AND/OR/XOR/TEST: CF=OF=0, AF undefined (cleared, as the host does), SF ZF PF from the result */
void flags_logic(struct cpu *cpu, uint64_t res, unsigned size)
{
	flags_szp(cpu, res, size);
	flags_set(cpu, CPU_FLAG_CF | CPU_FLAG_OF | CPU_FLAG_AF, false);
}

uint64_t alu_compute(struct cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size)
{
	uint64_t m = size_mask(size), res, cin = 0;
	bool sub = false;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_OR:
		res = a | b;
		flags_logic(cpu, res, size);
		return res;
	case ALU_AND:
		res = a & b;
		flags_logic(cpu, res, size);
		return res;
	case ALU_XOR:
		res = a ^ b;
		flags_logic(cpu, res, size);
		return res;
	case ALU_ADC:
		cin = flag(cpu, CPU_FLAG_CF);
		/* fall through */
	case ALU_ADD:
		res = (a + b + cin) & m;
		flags_set(cpu, CPU_FLAG_CF, res < a || (cin && res == a));
		break;
	case ALU_SBB:
		cin = flag(cpu, CPU_FLAG_CF);
		/* fall through */
	case ALU_SUB:
	case ALU_CMP:
	default:
		sub = true;
		res = (a - b - cin) & m;
		flags_set(cpu, CPU_FLAG_CF, a < b || (cin && a == b));
		break;
	}
	flags_szp(cpu, res, size);
	flags_set(cpu, CPU_FLAG_AF, ((a ^ b ^ res) & 0x10) != 0);
	if (sub)
		flags_set(cpu, CPU_FLAG_OF, ((a ^ b) & (a ^ res) & sign_bit(size)) != 0);
	else
		flags_set(cpu, CPU_FLAG_OF, (~(a ^ b) & (a ^ res) & sign_bit(size)) != 0);
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
