// SPDX-License-Identifier: GPL-2.0-only
// Register and operand access for handlers: sizes, high-byte registers, effective addresses.
#include <stddef.h>

#include "cpu/exec/handlers.h"

uint64_t reg_read(struct cpu *cpu, unsigned reg, unsigned size)
{
	if (reg & REG_HIGH_BYTE)
		return (cpu->gpr[reg & 3] >> 8) & 0xff;
	return cpu->gpr[reg & 15] & size_mask(size);
}

/* SDM Vol.1 §3.4.1.1: 32-bit results are zero-extended; 8- and 16-bit ones merge. */
void reg_write(struct cpu *cpu, unsigned reg, unsigned size, uint64_t val)
{
	uint64_t *r;

	if (reg & REG_HIGH_BYTE) {
		r = &cpu->gpr[reg & 3];
		*r = (*r & ~0xff00ull) | ((val & 0xff) << 8);
		return;
	}
	r = &cpu->gpr[reg & 15];
	switch (size) {
	case 1: *r = (*r & ~0xffull) | (val & 0xff); break;
	case 2: *r = (*r & ~0xffffull) | (val & 0xffff); break;
	case 4: *r = val & 0xffffffffull; break;
	default: *r = val; break;
	}
}

uint64_t insn_ea(struct cpu *cpu, struct insn *in)
{
	uint64_t ea = (uint64_t)in->disp;

	if (in->base >= 0)
		ea += cpu->gpr[in->base];
	if (in->index >= 0)
		ea += cpu->gpr[in->index] << in->scale;
	if (in->rip_rel)
		ea += cpu->rip;	/* RIP of the next instruction */
	return ea & size_mask(in->addrsize);
}

int op_read(struct cpu *cpu, struct insn *in, int i, uint64_t *val)
{
	struct operand *o = &in->ops[i];

	switch (o->type) {
	case OPT_REG:
		*val = reg_read(cpu, o->reg, o->size);
		return EXEC_OK;
	case OPT_MEM: {
		/*
		 * The common case inline: the segment checks pass, no alignment checking, no
		 * data breakpoint armed, and the operand lies in one RAM page the soft TLB
		 * holds readable. Everything else (faults, MMIO, page crossings) takes
		 * mem_read_seg(), which repeats the segment check and does the rest.
		 */
		struct cpu_internal *ci = cpu->in;
		uint64_t off = insn_ea(cpu, in), lin, gpa, v = 0;
		unsigned size = o->size;
		uint8_t *h;
		int r = seg_check(cpu, in->seg, off, size, false);

		if (r)
			return r;
		lin = seg_linear(cpu, in->seg, off);
		if (__builtin_expect(size <= 8 && (lin & 4095) + size <= 4096 &&
				     !(ci->rflags & CPU_FLAG_AC) && !ci->bp_data_mask &&
				     tlb_hit(ci, lin, ACC_READ, ci->cpl == 3, &h, &gpa) && h, 1)) {
			switch (size) {	/* constant sizes: single loads, no memcpy() call */
			case 1: v = *h; break;
			case 2: { uint16_t t; __builtin_memcpy(&t, h, 2); v = t; break; }
			case 4: { uint32_t t; __builtin_memcpy(&t, h, 4); v = t; break; }
			case 8: __builtin_memcpy(&v, h, 8); break;
			default: return mem_read_seg(cpu, in->seg, off, size, val);
			}
			*val = v;
			return EXEC_OK;
		}
		return mem_read_seg(cpu, in->seg, off, size, val);
	}
	case OPT_IMM:
		/* Ib/Iz are sign-extended to the operand size (SDM Vol.2 §3.1.1.3) */
		*val = o->imm & size_mask(in->opsize > o->size ? in->opsize : o->size);
		return EXEC_OK;
	case OPT_SREG:
		*val = cpu->seg[o->reg].selector;
		return EXEC_OK;
	default:
		*val = 0;
		return EXEC_OK;
	}
}

int op_write(struct cpu *cpu, struct insn *in, int i, uint64_t val)
{
	struct operand *o = &in->ops[i];

	switch (o->type) {
	case OPT_REG:
		reg_write(cpu, o->reg, o->size, val);
		return EXEC_OK;
	case OPT_MEM:
		return mem_write_seg(cpu, in->seg, insn_ea(cpu, in), o->size, val & size_mask(o->size));
	default:
		return EXEC_OK;
	}
}
