// SPDX-License-Identifier: GPL-2.0-only
// String instructions with REP/REPE/REPNE: MOVS CMPS STOS LODS SCAS INS OUTS.
//
// Each element commits on its own (registers advance, the I/O log is cleared), so a
// fault or an I/O exit in the middle leaves the completed elements done and RIP at the
// instruction, which then resumes, as on hardware (SDM Vol.2 REP). Long runs yield to
// the run loop every STRING_BATCH elements so interrupts and kicks are not delayed.
#include <stddef.h>

#include "cpu/exec/handlers.h"

#define STRING_BATCH 4096

static unsigned elem_size(struct insn *in)
{
	return in->op->arg ? 1 : in->opsize;
}

static void advance(struct cpu *cpu, struct insn *in, int reg, unsigned size)
{
	uint64_t d = flag(cpu, CPU_FLAG_DF) ? (uint64_t)-(int64_t)size : size;

	/* a 32-bit address size writes ESI/EDI/ECX, zero-extended in 64-bit mode as any 32-bit write */
	reg_write(cpu, reg, in->addrsize, cpu->gpr[reg] + d);
}

/* One element; `cmp` receives whether a CMPS/SCAS compare found equality. */
static int element(struct cpu *cpu, struct insn *in, int kind, bool *equal)
{
	unsigned size = elem_size(in);
	uint64_t m = size_mask(in->addrsize);
	uint64_t si = cpu->gpr[CPU_RSI] & m, di = cpu->gpr[CPU_RDI] & m, a, b;
	uint32_t v32;
	int r;

	switch (kind) {
	case 0: /* MOVS: DS:rSI (overridable) -> ES:rDI */
		if ((r = mem_read_seg(cpu, in->seg, si, size, &a)) ||
		    (r = mem_write_seg(cpu, CPU_ES, di, size, a)))
			return r;
		advance(cpu, in, CPU_RSI, size);
		advance(cpu, in, CPU_RDI, size);
		return EXEC_OK;
	case 1: /* CMPS: compare [rSI] with ES:[rDI] */
		if ((r = mem_read_seg(cpu, in->seg, si, size, &a)) ||
		    (r = mem_read_seg(cpu, CPU_ES, di, size, &b)))
			return r;
		alu_compute(cpu, ALU_CMP, a, b, size);
		*equal = flag(cpu, CPU_FLAG_ZF);
		advance(cpu, in, CPU_RSI, size);
		advance(cpu, in, CPU_RDI, size);
		return EXEC_OK;
	case 2: /* STOS */
		if ((r = mem_write_seg(cpu, CPU_ES, di, size, cpu->gpr[CPU_RAX])))
			return r;
		advance(cpu, in, CPU_RDI, size);
		return EXEC_OK;
	case 3: /* LODS */
		if ((r = mem_read_seg(cpu, in->seg, si, size, &a)))
			return r;
		reg_write(cpu, CPU_RAX, size, a);
		advance(cpu, in, CPU_RSI, size);
		return EXEC_OK;
	case 4: /* SCAS: compare rAX with ES:[rDI] */
		if ((r = mem_read_seg(cpu, CPU_ES, di, size, &b)))
			return r;
		alu_compute(cpu, ALU_CMP, cpu->gpr[CPU_RAX], b, size);
		*equal = flag(cpu, CPU_FLAG_ZF);
		advance(cpu, in, CPU_RDI, size);
		return EXEC_OK;
	case 5: /* INS: port DX -> ES:[rDI]; the port is read first */
		size = size > 4 ? 4 : size;
		if ((r = io_port_read(cpu, (uint16_t)cpu->gpr[CPU_RDX], size, &v32)) ||
		    (r = mem_write_seg(cpu, CPU_ES, di, size, v32)))
			return r;
		advance(cpu, in, CPU_RDI, size);
		return EXEC_OK;
	default: /* OUTS: [rSI] -> port DX */
		size = size > 4 ? 4 : size;
		if ((r = mem_read_seg(cpu, in->seg, si, size, &a)) ||
		    (r = io_port_write(cpu, (uint16_t)cpu->gpr[CPU_RDX], size, (uint32_t)a)))
			return r;
		advance(cpu, in, CPU_RSI, size);
		return EXEC_OK;
	}
}

static int string_op(struct cpu *cpu, struct insn *in, int kind)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t m = size_mask(in->addrsize);
	bool compares = kind == 1 || kind == 4, equal = false;
	int r;

	if (!in->rep)
		return element(cpu, in, kind, &equal);

	for (unsigned n = 0;; n++) {
		uint64_t c = cpu->gpr[CPU_RCX] & m;

		if (c == 0)
			return EXEC_OK;
		if (n == STRING_BATCH || ci->nmmio_staged) {
			cpu->rip = ci->fault_rip;	/* resume later: more elements remain */
			return EXEC_OK;
		}
		r = element(cpu, in, kind, &equal);
		if (r)
			return r;
		reg_write(cpu, CPU_RCX, in->addrsize, c - 1);
		/* this element is done: its I/O answers must not be replayed for the next one */
		ci->nanswers = ci->answer_pos = 0;
		/* REPE/REPNE end on the compare result (F3 = while equal, F2 = while not equal) */
		if (compares && ((in->rep == 0xf3 && !equal) || (in->rep == 0xf2 && equal)))
			return EXEC_OK;
	}
}

int x_movs(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 0); }
int x_cmps(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 1); }
int x_stos(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 2); }
int x_lods(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 3); }
int x_scas(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 4); }
int x_ins(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 5); }
int x_outs(struct cpu *cpu, struct insn *in) { return string_op(cpu, in, 6); }
