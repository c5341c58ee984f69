// SPDX-License-Identifier: GPL-2.0-only
// Port I/O: IN/OUT and the replay log shared with INS/OUTS (see cpu.h, "I/O model").
#include <string.h>

#include <stddef.h>

#include "cpu/exec/handlers.h"

/*
 * I/O permission (SDM Vol.1 §19.5): in protected mode with CPL > IOPL, or in
 * virtual-8086 mode, the TSS I/O permission bitmap decides.
 */
static int io_allowed(struct cpu *cpu, uint16_t port, unsigned size)
{
	struct cpu_internal *ci = cpu->in;
	struct cpu_segment *tr = &cpu->seg[CPU_TR];
	uint64_t base16, bits;

	if (!(cpu->cr0 & CPU_CR0_PE))
		return EXEC_OK;
	if (!(ci->rflags & CPU_FLAG_VM) && (uint64_t)ci->cpl <= ((ci->rflags >> 12) & 3))
		return EXEC_OK;
	/* only a 32/64-bit TSS (type 9/11) has a bitmap, found at offset 0x66 */
	if ((tr->type & 7) != 1 && (tr->type & 7) != 3)
		return raise_gp(cpu, 0);
	if (tr->limit < 0x67 || mem_read_lin(cpu, tr->base + 0x66, 2, &base16, true))
		return raise_gp(cpu, 0);
	base16 &= 0xffff;
	if (base16 + port / 8 + 1 > tr->limit ||
	    mem_read_lin(cpu, tr->base + base16 + port / 8, 2, &bits, true))
		return raise_gp(cpu, 0);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return raise_gp(cpu, 0);
	return EXEC_OK;
}

/* Reports a port access as an I/O event (the instruction stops before it commits). */
static int io_event(struct cpu *cpu, uint16_t port, unsigned size, bool write, uint32_t data)
{
	struct cpu_internal *ci = cpu->in;

	memset(&ci->exit, 0, sizeof(ci->exit));
	ci->exit.reason = CPU_EXIT_IO;
	ci->exit.io.port = port;
	ci->exit.io.size = (uint8_t)size;
	ci->exit.io.write = write;
	ci->exit.io.data = data & (uint32_t)size_mask(size);
	ci->io_waiting_kind = write ? IOK_PIO_WRITE : IOK_PIO_READ;
	return EXEC_IO;
}

int io_port_read(struct cpu *cpu, uint16_t port, unsigned size, uint32_t *val)
{
	struct cpu_internal *ci = cpu->in;
	int r = io_allowed(cpu, port, size);

	if (r)
		return r;
	if (__builtin_expect(ci->bp_io_mask != 0, 0))
		cpu_dbg_io(cpu, port, size);	/* an I/O breakpoint: #DB after the instruction */
	if (ci->answer_pos < ci->nanswers && ci->answers[ci->answer_pos].kind == IOK_PIO_READ) {
		*val = 0;
		memcpy(val, ci->answers[ci->answer_pos++].data, size);
		return EXEC_OK;
	}
	return io_event(cpu, port, size, false, 0);
}

int io_port_write(struct cpu *cpu, uint16_t port, unsigned size, uint32_t val)
{
	struct cpu_internal *ci = cpu->in;
	int r = io_allowed(cpu, port, size);

	if (r)
		return r;
	if (__builtin_expect(ci->bp_io_mask != 0, 0))
		cpu_dbg_io(cpu, port, size);
	if (ci->answer_pos < ci->nanswers && ci->answers[ci->answer_pos].kind == IOK_PIO_WRITE) {
		ci->answer_pos++;	/* already performed and acknowledged */
		return EXEC_OK;
	}
	return io_event(cpu, port, size, true, val);
}

static uint16_t port_of(struct cpu *cpu, struct operand *o)
{
	return o->type == OPT_IMM ? (uint16_t)(o->imm & 0xff) : (uint16_t)cpu->gpr[CPU_RDX];
}

int x_in(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size > 4 ? 4 : in->ops[0].size;
	uint32_t v;
	int r = io_port_read(cpu, port_of(cpu, &in->ops[1]), size, &v);

	if (r)
		return r;
	reg_write(cpu, CPU_RAX, size, v);
	return EXEC_OK;
}

int x_out(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[1].size > 4 ? 4 : in->ops[1].size;

	return io_port_write(cpu, port_of(cpu, &in->ops[0]), size,
			     (uint32_t)reg_read(cpu, CPU_RAX, size));
}
