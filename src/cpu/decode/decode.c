// SPDX-License-Identifier: GPL-2.0-only
// The decoder: prefixes, opcode maps, ModRM/SIB/displacement and immediates into struct insn.
//
// SDM Vol.2 chapter 2. Bytes are fetched lazily page by page, so a short instruction at
// the end of a page never touches the next one. Invalid encodings raise #UD, more than
// 15 bytes #GP(0), and a fetch fault its #PF, all before anything executes.
#include <string.h>

#include "cpu/exec/handlers.h"

struct fetcher {
	struct cpu *cpu;
	uint64_t lin;		/* linear address of byte 0 */
	uint8_t buf[16];
	unsigned have, pos;
	unsigned max;		/* bytes that may be fetched: 15, fewer near the CS limit */
	bool page_only;		/* decoding ahead for a block: never touch the next page */
	int err;
};

static int fetch_more(struct fetcher *f, unsigned need)
{
	while (f->have < need) {
		uint64_t at = f->lin + f->have;
		unsigned chunk = 4096 - (unsigned)(at & 4095);
		int r;

		if (chunk > 16 - f->have)
			chunk = 16 - f->have;
		/* the instruction crosses into the next page: no fetch, no walk, no fault */
		if (f->page_only && f->have && (at & 4095) == 0)
			return f->err = EXEC_EXIT;
		r = fetch_bytes(f->cpu, at, f->buf + f->have, chunk);
		if (r)
			return f->err = r;
		f->have += chunk;
	}
	return 0;
}

/*
 * The next instruction byte; past 15 bytes the instruction is too long, and a byte
 * beyond the CS limit outside 64-bit mode is a limit violation (SDM Vol.3 §5.3): #GP(0).
 */
static int next_byte(struct fetcher *f, uint8_t *b)
{
	if (f->pos >= f->max) {
		raise_gp(f->cpu, 0);
		return f->err = EXEC_EXC;
	}
	if (f->pos >= f->have && fetch_more(f, f->pos + 1))
		return f->err;
	*b = f->buf[f->pos++];
	return 0;
}

static int next_imm(struct fetcher *f, unsigned size, uint64_t *v)
{
	uint64_t x = 0;

	*v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b;
		if (next_byte(f, &b))
			return f->err;
		x |= (uint64_t)b << (8 * i);
	}
	*v = x;
	return 0;
}

static int64_t sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

static unsigned opd_size(const struct insn *in, uint8_t sz)
{
	switch (sz) {
	case SZ_B: return 1;
	case SZ_W: return 2;
	case SZ_D: return 4;
	case SZ_Q: return 8;
	case SZ_V: return in->opsize;
	case SZ_Z: return in->opsize == 2 ? 2 : 4;
	default: return 0;
	}
}

/* ModRM memory forms: SDM Vol.2 Tables 2-1, 2-2, 2-3 */
static int decode_modrm_mem(struct fetcher *f, struct insn *in)
{
	uint64_t d = 0;

	in->base = in->index = -1;
	in->scale = 0;
	in->disp = 0;
	in->rip_rel = false;
	if (in->addrsize == 2) {
		static const int8_t base16[8] = { CPU_RBX, CPU_RBX, CPU_RBP, CPU_RBP, CPU_RSI, CPU_RDI, CPU_RBP, CPU_RBX };
		static const int8_t index16[8] = { CPU_RSI, CPU_RDI, CPU_RSI, CPU_RDI, -1, -1, -1, -1 };

		if (in->mod == 0 && in->rm == 6) {
			if (next_imm(f, 2, &d))
				return f->err;
			in->disp = (int16_t)d;
		} else {
			in->base = base16[in->rm];
			in->index = index16[in->rm];
			if (in->rm < 4)
				in->scale = 0;
			if (in->mod == 1) {
				if (next_imm(f, 1, &d))
					return f->err;
				in->disp = (int8_t)d;
			} else if (in->mod == 2) {
				if (next_imm(f, 2, &d))
					return f->err;
				in->disp = (int16_t)d;
			}
			if (!in->has_seg_override && in->base == CPU_RBP)
				in->seg = CPU_SS;
		}
		return 0;
	}
	/* SIB and disp32/RIP-relative are selected by ModRM.rm itself, before REX.B */
	if ((in->modrm & 7) == 4) {
		uint8_t sib, base, index;

		if (next_byte(f, &sib))
			return f->err;
		in->scale = sib >> 6;
		index = ((sib >> 3) & 7) | ((in->rex & 2) << 2);
		base = (sib & 7) | ((in->rex & 1) << 3);
		in->index = index == 4 ? -1 : (int8_t)index;
		if ((sib & 7) == 5 && in->mod == 0) {
			in->base = -1;
			if (next_imm(f, 4, &d))
				return f->err;
			in->disp = (int32_t)d;
		} else {
			in->base = (int8_t)base;
		}
	} else if ((in->modrm & 7) == 5 && in->mod == 0) {
		if (next_imm(f, 4, &d))
			return f->err;
		in->disp = (int32_t)d;
		in->rip_rel = in->opsize && f->cpu->in->code64;
	} else {
		in->base = (int8_t)(in->rm | ((in->rex & 1) << 3));
	}
	if (in->mod == 1) {
		if (next_imm(f, 1, &d))
			return f->err;
		in->disp = (int8_t)d;
	} else if (in->mod == 2) {
		if (next_imm(f, 4, &d))
			return f->err;
		in->disp = (int32_t)d;
	}
	if (!in->has_seg_override && (in->base == CPU_RSP || in->base == CPU_RBP))
		in->seg = CPU_SS;
	return 0;
}

/* Register operand number for a ModRM/opcode register field of `size` bytes. */
static uint8_t gpr_operand(const struct insn *in, unsigned num, unsigned size)
{
	/* Without REX, byte registers 4-7 are AH CH DH BH (SDM Vol.2 Table 3-1). */
	if (size == 1 && !in->rex && num >= 4 && num < 8)
		return (uint8_t)((num - 4) | REG_HIGH_BYTE);
	return (uint8_t)num;
}

/*
 * Follows a row's sub-tables down to the instruction (SDM Vol.2 Appendix A). Reads the
 * ModRM byte when a level needs it. Returns the leaf row, or NULL for an invalid
 * encoding; *ops gets the operand list of the nearest row that names one.
 */
static const struct opcode *resolve(struct fetcher *f, struct insn *in, const struct opcode *row,
				    bool opsize_prefix, const struct opdesc **ops)
{
	struct cpu *cpu = f->cpu;
	struct cpu_internal *ci = cpu->in;

	for (int depth = 0; row; depth++) {
		if (!row->name && !row->handler && !row->sub)
			return NULL;			/* empty slot */
		if (ci->code64 ? row->i64 : row->o64)
			return NULL;
		if (row->no_real && (!(cpu->cr0 & CPU_CR0_PE) || (ci->rflags & CPU_FLAG_VM)))
			return NULL;
		if (row->feature && !(cpu->features & row->feature)) {
			if (!row->fallback)
				return NULL;
			row = row->fallback;
			continue;
		}
		if (row->op[0].kind != OK_NONE)
			*ops = row->op;
		if (row->modrm && !in->has_modrm) {
			uint8_t modrm;

			if (next_byte(f, &modrm))
				return NULL;
			in->has_modrm = true;
			in->modrm = modrm;
			in->mod = modrm >> 6;
			in->reg = ((modrm >> 3) & 7) | ((in->rex & 4) << 1);
			in->rm = (modrm & 7) | ((in->rex & 1) << 3);
		}
		switch (row->sub) {
		case SUB_NONE:
			return row;
		case SUB_REG:
			row = &row->table[(in->modrm >> 3) & 7];
			break;
		case SUB_RM:
			row = &row->table[in->modrm & 7];
			break;
		case SUB_MOD:
			row = &row->table[in->mod == 3];
			break;
		case SUB_MODE64:
			row = &row->table[ci->code64];
			break;
		case SUB_PREFIX:
			/*
			 * Mandatory prefixes: F3/F2 (the last one given) take precedence over 66
			 * (SDM Vol.2 §2.1.2). 66 keeps its operand-size meaning for the integer
			 * rows (POPCNT, MOVBE); SSE handlers ignore the operand size.
			 */
			row = &row->table[in->rep == 0xf3 ? PFX_F3 : in->rep == 0xf2 ? PFX_F2 :
					  opsize_prefix ? PFX_66 : PFX_NONE];
			break;
		default:
			return NULL;
		}
		if (depth > 6)
			return NULL;
	}
	return NULL;
}

static int decode(struct cpu *cpu, struct insn *in, bool page_only)
{
	struct cpu_internal *ci = cpu->in;
	struct fetcher f = { .cpu = cpu, .page_only = page_only };
	const struct opcode *row;
	const struct opdesc *ops;
	static const struct opdesc no_ops[3];
	bool opsize_prefix = false, addrsize_prefix = false;
	uint8_t b, rex = 0;

	memset(in, 0, sizeof(*in));
	f.lin = seg_linear(cpu, CPU_CS, cpu->rip);
	f.max = 15;
	if (!ci->code64) {
		uint64_t room = cpu->rip > cpu->seg[CPU_CS].limit ? 0 : cpu->seg[CPU_CS].limit - cpu->rip + 1;
		if (room < 15)
			f.max = (unsigned)room;
	}
	in->seg = CPU_DS;

	/* prefixes (SDM Vol.2 §2.1.1); a REX prefix counts only right before the opcode */
	for (;;) {
		if (next_byte(&f, &b))
			return f.err;
		if (ci->code64 && (b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		switch (b) {
		case 0x66: opsize_prefix = true; break;
		case 0x67: addrsize_prefix = true; break;
		case 0x26: in->seg = CPU_ES; in->has_seg_override = true; break;
		case 0x2e: in->seg = CPU_CS; in->has_seg_override = true; break;
		case 0x36: in->seg = CPU_SS; in->has_seg_override = true; break;
		case 0x3e: in->seg = CPU_DS; in->has_seg_override = true; break;
		case 0x64: in->seg = CPU_FS; in->has_seg_override = true; break;
		case 0x65: in->seg = CPU_GS; in->has_seg_override = true; break;
		case 0xf0: in->lock = true; break;
		case 0xf2: case 0xf3: in->rep = b; break;
		default:
			goto opcode;
		}
		rex = 0;	/* a legacy prefix after REX cancels it */
	}
opcode:
	/* In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM Vol.1 §3.3.7.1). */
	if (ci->code64 && in->has_seg_override && in->seg < CPU_FS) {
		in->seg = CPU_DS;
		in->has_seg_override = false;
	}
	in->rex = rex;
	/* the maps: one byte, 0F xx, 0F 38 xx, 0F 3A xx (SDM Vol.2 §2.1.2) */
	in->map = 1;
	row = &opcode_map1[b];
	if (b == 0x0f) {
		if (next_byte(&f, &b))
			return f.err;
		in->map = 2;
		row = &opcode_map2[b];
		if (b == 0x38 || b == 0x3a) {
			in->map = b == 0x38 ? 3 : 4;
			if (next_byte(&f, &b))
				return f.err;
			row = in->map == 3 ? &opcode_map3[b] : &opcode_map4[b];
		}
	}
	in->opcode = b;
	ops = no_ops;
	row = resolve(&f, in, row, opsize_prefix, &ops);
	if (f.err)
		return f.err;
	if (!row)
		return raise_ud(cpu);
	in->op = row;

	/* operand and address size (SDM Vol.1 §3.6, Vol.2 §2.2.1.2) */
	if (ci->code64) {
		in->addrsize = addrsize_prefix ? 4 : 8;
		in->opsize = opsize_prefix ? 2 : 4;
		if (rex & 8)
			in->opsize = 8;
		if (row->size64 == S64_F64)
			in->opsize = 8;
		else if (row->size64 == S64_D64 && !opsize_prefix)
			in->opsize = 8;
	} else {
		in->addrsize = ci->def_size ^ (addrsize_prefix ? 6 : 0);
		in->opsize = ci->def_size ^ (opsize_prefix ? 6 : 0);
	}

	if (in->has_modrm) {
		/* MOV CRn/DRn ignore ModRM.mod: always registers (SDM Vol.2 MOV CR/DR) */
		if (row->modrm_reg)
			in->mod = 3;
		if (in->mod != 3 && decode_modrm_mem(&f, in))
			return f.err;
	}
	/* LOCK: only on the listed read-modify-write instructions with a memory destination */
	if (in->lock && (!row->lock || !in->has_modrm || in->mod == 3))
		return raise_ud(cpu);

	/* operands, as the nearest row in the path names them */
	{
		for (int i = 0; i < 3; i++) {
			const struct opdesc *d = &ops[i];
			struct operand *o = &in->ops[i];
			unsigned size = opd_size(in, d->size);
			uint64_t v = 0;

			if (row->byteop && d->kind != OK_NONE)
				size = 1;
			o->size = (uint8_t)size;
			switch (d->kind) {
			case OK_NONE:
				break;
			case OK_E:
				if (in->mod == 3) {
					o->type = OPT_REG;
					o->reg = gpr_operand(in, in->rm, size);
				} else {
					o->type = OPT_MEM;
				}
				break;
			case OK_M:
				if (in->mod == 3)
					return raise_ud(cpu);
				o->type = OPT_MEM;
				break;
			case OK_R:
				o->type = OPT_REG;
				o->reg = in->rm;
				o->size = ci->code64 ? 8 : 4;
				break;
			case OK_G:
				o->type = OPT_REG;
				o->reg = gpr_operand(in, in->reg, size);
				break;
			case OK_S:
				o->type = OPT_SREG;
				o->reg = in->reg & 7;
				break;
			case OK_C:
				o->type = OPT_CR;
				o->reg = in->reg;
				break;
			case OK_Z:
				o->type = OPT_REG;
				o->reg = gpr_operand(in, (b & 7) | ((rex & 1) << 3), size);
				break;
			case OK_AL:
				o->type = OPT_REG;
				o->reg = CPU_RAX;
				break;
			case OK_CL:
				o->type = OPT_REG;
				o->reg = CPU_RCX;
				break;
			case OK_DX:
				o->type = OPT_REG;
				o->reg = CPU_RDX;
				o->size = 2;
				break;
			case OK_I1:
				o->type = OPT_IMM;
				o->imm = 1;
				break;
			case OK_I:
				o->type = OPT_IMM;
				if (d->size == SZ_P) {
					/* far pointer: offset (16/32) then selector */
					uint64_t sel = 0;
					if (next_imm(&f, in->opsize == 2 ? 2 : 4, &v) || next_imm(&f, 2, &sel))
						return f.err;
					o->imm = v;
					o->reg = 0;
					in->disp = (int64_t)sel;
					break;
				}
				if (d->size == SZ_V && in->opsize == 8) {
					if (next_imm(&f, 8, &v))	/* MOV r64, imm64 */
						return f.err;
					o->imm = v;
					break;
				}
				if (next_imm(&f, size == 8 ? 4 : size, &v))
					return f.err;
				o->imm = (uint64_t)sext(v, size == 8 ? 4 : size);
				break;
			case OK_J:
				if (next_imm(&f, size == 8 ? 4 : size, &v))
					return f.err;
				o->type = OPT_IMM;
				o->imm = (uint64_t)sext(v, size == 8 ? 4 : size);
				break;
			case OK_O:
				if (next_imm(&f, in->addrsize, &v))
					return f.err;
				o->type = OPT_MEM;
				in->base = in->index = -1;
				in->disp = (int64_t)v;
				break;
			}
		}
	}
	in->len = (uint8_t)f.pos;
	memcpy(in->bytes, f.buf, f.pos);
	return EXEC_OK;
}

int cpu_decode(struct cpu *cpu, struct insn *in)
{
	return decode(cpu, in, false);
}

int cpu_decode_in_page(struct cpu *cpu, struct insn *in)
{
	return decode(cpu, in, true);
}
