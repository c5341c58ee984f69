// SPDX-License-Identifier: GPL-2.0-only
// Arithmetic flags, computed lazily, and condition codes (SDM Vol.1 §3.4.3, Appendix B).
//
// An arithmetic instruction records its operation, operands, result and size instead of
// computing six flags that the next instruction usually overwrites. The flags are
// materialised into RFLAGS when something reads them (flag(), PUSHF, LAHF, an event,
// cpu_get_rflags()); Jcc/SETcc/CMOVcc after CMP, SUB, TEST, AND ... answer straight from
// the recorded operands. SWKVM_CPU_NO_LAZY_FLAGS=1 (or cpu_internal.lazy_flags_off)
// materialises after every instruction: the same results by the eager path.
#include <stddef.h>

#include "cpu/exec/handlers.h"

bool parity(uint8_t v)
{
	return !__builtin_parity(v);
}

static inline uint64_t sign_bit(unsigned size)
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

/* The six (five for INC/DEC) flags of the recorded operation. */
static uint64_t lazy_bits(const struct cpu_internal *ci)
{
	unsigned size = ci->lf_size;
	uint64_t a = ci->lf_a, b = ci->lf_b, res = ci->lf_res, sb = sign_bit(size), f;

	switch (ci->lf_op) {
	case LF_LOGIC:
		return szp_bits(res, size);
	case LF_ADD:
	case LF_INC:
		f = szp_bits(res, size) | (((a ^ b ^ res) & 0x10) ? CPU_FLAG_AF : 0) |
		    ((~(a ^ b) & (a ^ res) & sb) ? CPU_FLAG_OF : 0);
		if (ci->lf_op == LF_ADD && (res < a || (ci->lf_cin && res == a)))
			f |= CPU_FLAG_CF;
		return f;
	default:	/* LF_SUB, LF_DEC */
		f = szp_bits(res, size) | (((a ^ b ^ res) & 0x10) ? CPU_FLAG_AF : 0) |
		    (((a ^ b) & (a ^ res) & sb) ? CPU_FLAG_OF : 0);
		if (ci->lf_op == LF_SUB && (a < b || (ci->lf_cin && a == b)))
			f |= CPU_FLAG_CF;
		return f;
	}
}

void flags_materialize(struct cpu_internal *ci)
{
	uint64_t mask = CPU_FLAGS_ARITH;

	if (ci->lf_op == LF_NONE)
		return;
	if (ci->lf_op == LF_INC || ci->lf_op == LF_DEC)
		mask &= ~(uint64_t)CPU_FLAG_CF;		/* INC/DEC keep CF */
	ci->rflags = (ci->rflags & ~mask) | lazy_bits(ci);
	ci->lf_op = LF_NONE;
}

/* Records an operation; `a`, `b` and `res` are already masked to `size`. */
static inline void flags_record(struct cpu_internal *ci, uint8_t op, uint64_t a, uint64_t b, uint64_t res,
				unsigned size, bool cin)
{
	ci->lf_op = op;
	ci->lf_size = (uint8_t)size;
	ci->lf_cin = cin;
	ci->lf_a = a;
	ci->lf_b = b;
	ci->lf_res = res;
	if (ci->lazy_flags_off)
		flags_materialize(ci);
}

void flags_set(struct cpu *cpu, uint64_t mask, bool on)
{
	struct cpu_internal *ci = cpu->in;

	if (mask & CPU_FLAGS_ARITH)
		flags_materialize(ci);
	if (on)
		ci->rflags |= mask;
	else
		ci->rflags &= ~mask;
}

void flags_arith(struct cpu *cpu, uint64_t bits)
{
	struct cpu_internal *ci = cpu->in;

	ci->lf_op = LF_NONE;
	ci->rflags = (ci->rflags & ~(uint64_t)CPU_FLAGS_ARITH) | (bits & CPU_FLAGS_ARITH);
}

/* AND/OR/XOR/TEST: CF=OF=0, AF undefined (cleared, as the host does), SF ZF PF from the result */
void flags_logic(struct cpu *cpu, uint64_t res, unsigned size)
{
	flags_record(cpu->in, LF_LOGIC, 0, 0, res & size_mask(size), size, false);
}

/* INC/DEC: as ADD/SUB of 1, CF unchanged */
uint64_t flags_incdec(struct cpu *cpu, uint64_t a, bool dec, unsigned size)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t m = size_mask(size), res = (dec ? a - 1 : a + 1) & m;

	flags_materialize(ci);	/* CF of the previous operation stays in RFLAGS */
	flags_record(ci, dec ? LF_DEC : LF_INC, a & m, 1, res, size, false);
	return res;
}

uint64_t alu_compute(struct cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t m = size_mask(size), res;
	bool cin = false;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_OR:
		res = a | b;
		break;
	case ALU_AND:
		res = a & b;
		break;
	case ALU_XOR:
		res = a ^ b;
		break;
	case ALU_ADC:
		cin = flag(cpu, CPU_FLAG_CF);
		/* fall through */
	case ALU_ADD:
		res = (a + b + cin) & m;
		flags_record(ci, LF_ADD, a, b, res, size, cin);
		return res;
	case ALU_SBB:
		cin = flag(cpu, CPU_FLAG_CF);
		/* fall through */
	default:	/* SUB, CMP */
		res = (a - b - cin) & m;
		flags_record(ci, LF_SUB, a, b, res, size, cin);
		return res;
	}
	flags_record(ci, LF_LOGIC, 0, 0, res, size, false);
	return res;
}

bool flag(struct cpu *cpu, uint64_t f)
{
	struct cpu_internal *ci = cpu->in;

	if (f & CPU_FLAGS_ARITH)
		flags_materialize(ci);
	return (ci->rflags & f) != 0;
}

uint64_t flags_read(struct cpu *cpu)
{
	flags_materialize(cpu->in);
	return cpu->in->rflags;
}

/* Condition codes tttn (SDM Vol.2 Appendix B.1.4.7) */
bool cond_true(struct cpu *cpu, unsigned cc)
{
	struct cpu_internal *ci = cpu->in;
	bool r;

	/* straight from the operands of a CMP/SUB or a logic operation (the common cases) */
	if (ci->lf_op == LF_SUB && !ci->lf_cin && cc >= 2 && (cc >> 1) != 5) {
		unsigned sh = 64 - ci->lf_size * 8;
		int64_t sa = (int64_t)(ci->lf_a << sh) >> sh, sb = (int64_t)(ci->lf_b << sh) >> sh;

		switch (cc >> 1) {
		case 1: r = ci->lf_a < ci->lf_b; break;			/* B */
		case 2: r = ci->lf_a == ci->lf_b; break;		/* E */
		case 3: r = ci->lf_a <= ci->lf_b; break;		/* BE */
		case 4: r = (ci->lf_res >> (ci->lf_size * 8 - 1)) & 1; break;	/* S */
		case 6: r = sa < sb; break;				/* L */
		default: r = sa <= sb; break;				/* LE */
		}
		return (cc & 1) ? !r : r;
	}
	if (ci->lf_op == LF_LOGIC && (cc >> 1) != 5) {
		bool zero = ci->lf_res == 0, neg = (ci->lf_res >> (ci->lf_size * 8 - 1)) & 1;

		switch (cc >> 1) {
		case 0: case 1: r = false; break;	/* OF = CF = 0 */
		case 2: case 3: r = zero; break;
		case 4: case 6: r = neg; break;		/* SF != OF with OF = 0 */
		default: r = zero || neg; break;
		}
		return (cc & 1) ? !r : r;
	}
	flags_materialize(ci);
	switch (cc >> 1) {
	case 0: r = ci->rflags & CPU_FLAG_OF; break;
	case 1: r = ci->rflags & CPU_FLAG_CF; break;
	case 2: r = ci->rflags & CPU_FLAG_ZF; break;
	case 3: r = ci->rflags & (CPU_FLAG_CF | CPU_FLAG_ZF); break;
	case 4: r = ci->rflags & CPU_FLAG_SF; break;
	case 5: r = ci->rflags & CPU_FLAG_PF; break;
	case 6: r = !(ci->rflags & CPU_FLAG_SF) != !(ci->rflags & CPU_FLAG_OF); break;
	default: r = (ci->rflags & CPU_FLAG_ZF) || !(ci->rflags & CPU_FLAG_SF) != !(ci->rflags & CPU_FLAG_OF); break;
	}
	return (cc & 1) ? !r : r;
}
