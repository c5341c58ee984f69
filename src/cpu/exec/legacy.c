// SPDX-License-Identifier: GPL-2.0-only
// Instructions invalid in 64-bit mode: BCD adjust (DAA DAS AAA AAS AAM AAD), BOUND, ARPL.
#include <stddef.h>

#include "cpu/exec/handlers.h"

/* SF ZF PF from AL, with CF and AF given; OF (undefined) cleared. */
static void bcd_flags(struct cpu *cpu, uint8_t al, bool cf, bool af)
{
	flags_logic(cpu, al, 1);
	flags_set(cpu, CPU_FLAG_CF, cf);
	flags_set(cpu, CPU_FLAG_AF, af);
}

/* DAA (arg 0) and DAS (arg 1): SDM Vol.2A "DAA", "DAS" (current pseudo-code) */
int x_daa(struct cpu *cpu, struct insn *in)
{
	uint8_t al = (uint8_t)cpu->gpr[CPU_RAX], old_al = al;
	bool old_cf = flag(cpu, CPU_FLAG_CF), cf = false, af = false;
	bool sub = in->op->arg != 0;

	if ((al & 0xf) > 9 || flag(cpu, CPU_FLAG_AF)) {
		cf = old_cf || (sub ? al < 6 : al > 0xf9);
		al = (uint8_t)(sub ? al - 6 : al + 6);
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (uint8_t)(sub ? al - 0x60 : al + 0x60);
		cf = true;
	} else if (!sub) {
		cf = false;	/* DAA clears CF here; DAS keeps the first step's borrow */
	}
	reg_write(cpu, CPU_RAX, 1, al);
	bcd_flags(cpu, al, cf, af);
	return EXEC_OK;
}

/* AAA (arg 0) and AAS (arg 1): SDM Vol.2A "AAA", "AAS"; OF SF ZF PF undefined (from AL) */
int x_aaa(struct cpu *cpu, struct insn *in)
{
	uint16_t ax = (uint16_t)cpu->gpr[CPU_RAX];
	bool adjust = (ax & 0xf) > 9 || flag(cpu, CPU_FLAG_AF);

	if (adjust) {
		if (in->op->arg == 0) {
			ax = (uint16_t)(ax + 0x106);
		} else {
			ax = (uint16_t)(ax - 6);
			ax = (uint16_t)((ax & 0xff) | (((ax >> 8) - 1) & 0xff) << 8);
		}
	}
	ax &= 0xff0f;
	reg_write(cpu, CPU_RAX, 2, ax);
	bcd_flags(cpu, (uint8_t)ax, adjust, adjust);
	return EXEC_OK;
}

/* AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE for 0 (SDM Vol.2A "AAM") */
int x_aam(struct cpu *cpu, struct insn *in)
{
	uint8_t base = (uint8_t)in->ops[0].imm, al = (uint8_t)cpu->gpr[CPU_RAX];

	if (base == 0) {
		cpu_raise(cpu, CPU_EXC_DE, false, 0);
		return EXEC_EXC;
	}
	reg_write(cpu, CPU_RAX, 2, (uint64_t)(al / base) << 8 | (al % base));
	bcd_flags(cpu, al % base, false, false);
	return EXEC_OK;
}

/* AAD imm8: AL = AL + AH * imm8, AH = 0 (SDM Vol.2A "AAD") */
int x_aad(struct cpu *cpu, struct insn *in)
{
	uint8_t base = (uint8_t)in->ops[0].imm;
	uint16_t ax = (uint16_t)cpu->gpr[CPU_RAX];
	uint8_t al = (uint8_t)((ax & 0xff) + (ax >> 8) * base);

	reg_write(cpu, CPU_RAX, 2, al);
	bcd_flags(cpu, al, false, false);
	return EXEC_OK;
}

/* BOUND r, m16&16 / m32&32: #BR when the signed index is outside [lower, upper] */
int x_bound(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->opsize, sh = 64 - size * 8;
	uint64_t ea = insn_ea(cpu, in), lo, hi;
	int64_t idx = (int64_t)(reg_read(cpu, in->ops[0].reg, size) << sh) >> sh;
	int r;

	if ((r = mem_read_seg(cpu, in->seg, ea, size, &lo)) ||
	    (r = mem_read_seg(cpu, in->seg, (ea + size) & size_mask(in->addrsize), size, &hi)))
		return r;
	if (idx < (int64_t)(lo << sh) >> sh || idx > (int64_t)(hi << sh) >> sh) {
		cpu_raise(cpu, CPU_EXC_BR, false, 0);
		return EXEC_EXC;
	}
	return EXEC_OK;
}

/* ARPL r/m16, r16: raise the destination selector's RPL to the source's (ZF=1 if changed) */
int x_arpl(struct cpu *cpu, struct insn *in)
{
	uint64_t dst, src;
	int r;

	if ((r = op_read(cpu, in, 0, &dst)) || (r = op_read(cpu, in, 1, &src)))
		return r;
	if ((dst & 3) < (src & 3)) {
		if ((r = op_write(cpu, in, 0, (dst & ~3ull) | (src & 3))))
			return r;
		flags_set(cpu, CPU_FLAG_ZF, true);
	} else {
		flags_set(cpu, CPU_FLAG_ZF, false);
	}
	return EXEC_OK;
}
