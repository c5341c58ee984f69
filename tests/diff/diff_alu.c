// SPDX-License-Identifier: GPL-2.0-only
// Differential test: integer instructions on the host CPU and on swkvm's CPU, compared.
//
// Each case is one instruction (or an arithmetic instruction followed by a flag
// consumer) with random and edge-value register contents, memory and arithmetic flags.
// It runs natively in a generated stub (load registers and RFLAGS, execute, store them)
// and on swkvm's CPU in 64-bit mode, then every GPR, the scratch memory and the defined
// arithmetic flags are compared. Flags the SDM leaves undefined for an instruction are
// masked, per case (see `undef`). A case that raises #DE natively (SIGFPE) must deliver
// #DE on swkvm through its IDT with every register, flag and byte of memory unchanged.
// Lazy flags alternate on and off between cases. Before the random cases an edge-value
// matrix runs every ALU op, shift/rotate (counts 0..65), MUL/IMUL/DIV/IDIV and
// INC/DEC/NOT/NEG at every size over fixed edge values. The random kinds include
// CMPXCHG8B/16B, XLAT, LOOP/JRCXZ/Jcc/JMP/CALL/RET (observed through a skipped NOT and
// CALL's pushed address), PUSH/POP forms and ENTER/LEAVE; then string instructions, LOOP
// and JECXZ with a 32-bit address size run with the native state below 4 GiB.
// SWKVM_DIFF_CASES sets the number of random cases (default 200000); SWKVM_DIFF_SEED
// the seed.
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "cpu/internal.h"
#include "tap.h"

#define FL_ALL (CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF | CPU_FLAG_OF)
#define F_C CPU_FLAG_CF
#define F_P CPU_FLAG_PF
#define F_A CPU_FLAG_AF
#define F_Z CPU_FLAG_ZF
#define F_S CPU_FLAG_SF
#define F_O CPU_FLAG_OF

/* Registers the tests may use as operands (not RSP/RBP, not RDI/R12-R15 used by the stub) */
static const int usable[] = { CPU_RAX, CPU_RCX, CPU_RDX, CPU_RBX, CPU_RSI, CPU_RDI, CPU_R8, CPU_R9, CPU_R10, CPU_R11 };

/*
 * Registers, flags, and a scratch block for memory operands. Memory forms address it as
 * [r15 + MEM_OFF + d]: natively r15 is the state pointer (set by the stub), on swkvm's
 * CPU r15 points at a copy of the whole block in guest RAM.
 */
#define MEM_OFF 136
struct state {
	uint64_t gpr[16];
	uint64_t rflags;
	uint8_t mem[64];
} __attribute__((aligned(16)));		/* CMPXCHG16B needs a 16-byte aligned operand */
_Static_assert(__builtin_offsetof(struct state, mem) == MEM_OFF, "layout");

#define RM_MEM 100		/* "rm" value meaning: the memory operand [r15 + disp32] */
#define STATE_GPA 0x2000

/* ---- native execution ---- */

static uint8_t *stub;

/* mov reg, [r15 + 8*reg] / mov [r15 + 8*reg], reg with REX; r15 holds the state pointer */
static uint8_t *emit_mov(uint8_t *p, int reg, bool store)
{
	*p++ = (uint8_t)(0x49 | ((reg & 8) ? 4 : 0));	/* REX.W + REX.B (r15) + REX.R */
	*p++ = store ? 0x89 : 0x8b;
	*p++ = (uint8_t)(0x87 | ((reg & 7) << 3));	/* [r15 + disp32] */
	uint32_t disp = (uint32_t)(8 * reg);

	memcpy(p, &disp, 4);	/* unaligned in the code stream */
	return p + 4;
}

static void build_stub(const uint8_t *insn, unsigned len)
{
	uint8_t *p = stub;

	/* push rbx, rbp, r12-r15; mov r15, rdi */
	memcpy(p, "\x53\x55\x41\x54\x41\x55\x41\x56\x41\x57\x49\x89\xff", 13);
	p += 13;
	for (size_t i = 0; i < sizeof(usable) / sizeof(usable[0]); i++)
		p = emit_mov(p, usable[i], false);
	/* push qword [r15 + 128]; popfq */
	memcpy(p, "\x41\xff\xb7\x80\x00\x00\x00\x9d", 8);
	p += 8;
	memcpy(p, insn, len);
	p += len;
	/* pushfq; pop qword [r15 + 128] */
	memcpy(p, "\x9c\x41\x8f\x87\x80\x00\x00\x00", 8);
	p += 8;
	for (size_t i = 0; i < sizeof(usable) / sizeof(usable[0]); i++)
		p = emit_mov(p, usable[i], true);
	/* pop r15-r12, rbp, rbx; ret */
	memcpy(p, "\x41\x5f\x41\x5e\x41\x5d\x41\x5c\x5d\x5b\xc3", 11);
}

static sigjmp_buf fpe_jmp;

static void on_fpe(int sig)
{
	(void)sig;
	siglongjmp(fpe_jmp, 1);
}

/* Runs the case natively; true when it raised #DE (SIGFPE), the state then undefined. */
static bool run_native(const uint8_t *insn, unsigned len, struct state *s)
{
	build_stub(insn, len);
	if (sigsetjmp(fpe_jmp, 1))
		return true;
	((void (*)(struct state *))stub)(s);
	return false;
}

/* ---- swkvm's CPU ---- */

static uint8_t ram[4 * 4096];

static uint8_t *gpa_page(void *opaque, uint64_t gfn, bool write)
{
	(void)opaque; (void)write;
	return gfn < 4 ? ram + gfn * 4096 : NULL;
}

static uint64_t read_tsc(void *opaque)
{
	(void)opaque;
	return 0;
}

static const struct cpu_host_ops ops = { .gpa_page = gpa_page, .read_tsc = read_tsc };

static enum cpu_exit_reason last_exit;

/*
 * A GDT with a 64-bit code segment and an IDT whose only gate (vector 0, #DE) leads to a
 * HLT at DE_HANDLER: a #DE ends the case there with the faulting RIP on the stack; any
 * other exception finds no gate and ends in a triple fault (a mismatch).
 */
#define GDT_GPA 0x3000
#define IDT_GPA 0x3100
#define DE_HANDLER 0x1f00
#define STACK_TOP 0x3f00

/*
 * Watchdog: a case that runs away (a mis-decoded instruction jumping around) is stopped
 * through the CPU's attention byte after at most two timer ticks.
 */
static volatile uint8_t stop_flag;
static volatile long cur_case, seen_case = -1;

static void tick(int sig)
{
	(void)sig;
	if (cur_case == seen_case)
		stop_flag = 1;
	seen_case = cur_case;
}

enum { RUN_BAD = 0, RUN_DONE, RUN_DE };

static int run_swkvm(struct cpu *cpu, const uint8_t *insn, unsigned len, struct state *s)
{
	struct cpu_exit e;
	uint64_t code64 = 0x00209a0000000000ull, gate[2];

	cpu_reset(cpu, false);
	cpu->cr0 |= CPU_CR0_PE;
	cpu->efer = CPU_EFER_LME | CPU_EFER_LMA;
	cpu->seg[CPU_CS].selector = 8;
	cpu->seg[CPU_CS].base = 0;
	cpu->seg[CPU_CS].l = 1;
	cpu->seg[CPU_CS].db = 0;
	cpu->rip = 0x1000;
	memset(ram, 0, sizeof(ram));
	memcpy(ram + GDT_GPA + 8, &code64, 8);
	cpu->gdt.base = GDT_GPA;
	cpu->gdt.limit = 15;
	gate[0] = (DE_HANDLER & 0xffff) | (8ull << 16) | (0x8eull << 40);	/* 64-bit interrupt gate */
	gate[1] = 0;
	memcpy(ram + IDT_GPA, gate, 16);
	cpu->idt.base = IDT_GPA;
	cpu->idt.limit = 15;
	ram[DE_HANDLER] = 0xf4;
	stop_flag = 0;
	cpu->attention2 = &stop_flag;
	cpu->features = CPU_FEAT_ALL;
	memcpy(ram + STATE_GPA, s, sizeof(*s));	/* the scratch block, addressed through r15 */
	memcpy(cpu->gpr, s->gpr, sizeof(s->gpr));
	cpu->gpr[CPU_R15] = STATE_GPA;
	cpu->gpr[CPU_RSP] = STACK_TOP;
	cpu_set_rflags(cpu, s->rflags);
	cpu_state_changed(cpu);
	memcpy(ram + 0x1000, insn, len);
	ram[0x1000 + len] = 0xf4;	/* hlt */
	last_exit = cpu_run(cpu, &e);
	if (last_exit != CPU_EXIT_HLT)
		return RUN_BAD;
	if (cpu->rip == DE_HANDLER + 1) {
		uint64_t pushed_rip;
		memcpy(&pushed_rip, ram + STACK_TOP - 40, 8);
		if (pushed_rip != 0x1000 || cpu->gpr[CPU_RSP] != STACK_TOP - 40)
			return RUN_BAD;
		cpu->gpr[CPU_RSP] = s->gpr[CPU_RSP];
		/* the flags the handler sees are the pushed ones */
		memcpy(&s->rflags, ram + STACK_TOP - 24, 8);
		cpu->gpr[CPU_R15] = s->gpr[CPU_R15];
		memcpy(s->gpr, cpu->gpr, sizeof(s->gpr));
		memcpy(s->mem, ram + STATE_GPA + MEM_OFF, sizeof(s->mem));
		return RUN_DE;
	}
	if (cpu->rip != 0x1000 + len + 1)
		return RUN_BAD;
	{
		uint64_t r15 = s->gpr[CPU_R15], rsp = s->gpr[CPU_RSP];
		memcpy(s->gpr, cpu->gpr, sizeof(s->gpr));
		s->gpr[CPU_R15] = r15;	/* natively r15 is the stub's state pointer */
		s->gpr[CPU_RSP] = rsp;
	}
	memcpy(s->mem, ram + STATE_GPA + MEM_OFF, sizeof(s->mem));
	s->rflags = cpu_get_rflags(cpu);
	return RUN_DONE;
}

/* ---- instruction generation ---- */

struct tmpl {
	const char *name;
	int kind;
};

enum { K_ALU, K_ALU_IMM, K_UNARY, K_SHIFT, K_MULDIV, K_IMUL2, K_IMUL3, K_BT, K_BT_IMM, K_BSX, K_POPCNT, K_MOVBE,
       K_SHXD, K_MOVX, K_CMOV, K_SETCC, K_BSWAP, K_XADD, K_CMPXCHG, K_XCHG, K_CBW, K_FLAG, K_LEA,
       K_STRING, K_PAIR, K_ZCNT, K_CX8, K_XLAT, K_BRANCH, K_STACK, K_NKINDS };

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint64_t edge_value(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
		~0ull, ~1ull, 0x8000000000000001ull, 31, 32, 63, 64,
	};
	switch (rnd() % 4) {
	case 0: return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	case 1: return rnd() & 0xff;
	default: return rnd();
	}
}

struct gen {
	uint8_t b[32];
	unsigned n;
	uint64_t undef;		/* flags the SDM leaves undefined for this case */
	const char *what;
	bool skip;
	bool locked;		/* LOCK prefix emitted: only valid on memory RMW forms */
	bool kind_string;	/* RSI/RDI point into the scratch block */
};

static void put(struct gen *g, uint8_t v)
{
	g->b[g->n++] = v;
}

static int pick_reg(void)
{
	return usable[rnd() % (sizeof(usable) / sizeof(usable[0]))];
}

/* Prefixes for operand size `size` with registers reg (ModRM.reg) and rm. */
static void prefixes(struct gen *g, unsigned size, int reg, int rm, bool rex_for_bytes)
{
	uint8_t rex = 0x40;

	if (size == 2)
		put(g, 0x66);
	if (size == 8)
		rex |= 8;
	if (reg & 8)
		rex |= 4;
	if (rm == RM_MEM || (rm & 8))
		rex |= 1;
	if (rex != 0x40 || (size == 1 && rex_for_bytes))
		put(g, rex);
}

static unsigned mem_disp;	/* offset inside the scratch block of this case */

/* ModRM for a register, or [r15 + disp32] into the scratch block */
static void put_modrm(struct gen *g, int reg, int rm)
{
	if (rm == RM_MEM) {
		uint32_t d = MEM_OFF + mem_disp;
		g->b[g->n++] = (uint8_t)(0x80 | ((reg & 7) << 3) | 7);
		memcpy(&g->b[g->n], &d, 4);
		g->n += 4;
		return;
	}
	g->b[g->n++] = (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7));
}

static unsigned pick_size(void)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	return sizes[rnd() % 4];
}

/* Byte registers: without REX, numbers 4-7 are AH CH DH BH; we use REX only for r8+. */
static int pick_byte_reg(void)
{
	static const int regs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	int r = regs[rnd() % 12];
	return r;
}

static void gen_case(struct gen *g, int kind, struct state *in)
{
	unsigned size = pick_size();
	bool bytes_ok = kind == K_ALU || kind == K_ALU_IMM || kind == K_UNARY || kind == K_SHIFT ||
			kind == K_MULDIV || kind == K_SETCC || kind == K_XADD || kind == K_CMPXCHG ||
			kind == K_XCHG || kind == K_MOVX;
	int reg, rm;
	unsigned op = (unsigned)(rnd() % 8);

	/* settle the size before picking registers: byte numbers 4-7 are only safe as AH..BH */
	if (size == 1 && !bytes_ok)
		size = 4 << (rnd() % 2);
	reg = size == 1 && kind != K_MOVX ? pick_byte_reg() : pick_reg();
	rm = size == 1 ? pick_byte_reg() : pick_reg();
	if (kind == K_SETCC)
		rm = pick_byte_reg();
	mem_disp = (unsigned)(rnd() % 24);	/* unaligned offsets included */

	memset(g, 0, sizeof(*g));
	/* an 8-bit case mixing AH-style and REX registers is not encodable */
	if (size == 1 && (((reg & 8) || (rm & 8)) && ((reg & 7) >= 4 || (rm & 7) >= 4) && !(reg & 8 && rm & 8))) {
		reg &= 3;
		rm &= 3;
	}
	if (kind != K_BSWAP && kind != K_CBW && kind != K_FLAG && kind != K_LEA && kind != K_STRING &&
	    kind < K_CX8 && rnd() % 3 == 0) {
		bool lockable = kind == K_ALU || kind == K_ALU_IMM || kind == K_UNARY || kind == K_BT ||
				kind == K_BT_IMM || kind == K_XADD || kind == K_CMPXCHG;
		rm = RM_MEM;
		/* [r15] needs REX.B: byte registers 4, 5, 7 would then be SPL, BPL, DIL */
		if (size == 1 && (reg == 4 || reg == 5 || reg == 7))
			reg = CPU_RBX;
		g->locked = lockable && (rnd() & 1);	/* applied below if the form allows it */
	}
	switch (kind) {
	case K_ALU:
		g->what = "alu r/m, r";
		prefixes(g, size, reg, rm, false);
		put(g, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)));
		put_modrm(g, reg, rm);
		if (op == 1 || op == 4 || op == 6)
			g->undef = F_A;
		break;
	case K_ALU_IMM: {
		bool imm8 = size != 1 && (rnd() & 1);
		g->what = "alu r/m, imm";
		prefixes(g, size, 0, rm, false);
		put(g, size == 1 ? 0x80 : imm8 ? 0x83 : 0x81);
		put_modrm(g, (int)op, rm);
		if (size == 1 || imm8)
			put(g, (uint8_t)rnd());
		else
			for (unsigned i = 0; i < (size == 2 ? 2u : 4u); i++)
				put(g, (uint8_t)rnd());
		if (op == 1 || op == 4 || op == 6)
			g->undef = F_A;
		break;
	}
	case K_UNARY: {
		/* INC DEC (FE/FF /0 /1), NOT NEG (F6/F7 /2 /3), TEST imm (F6/F7 /0) */
		static const struct { uint8_t opc_b, sub; } u[] = { { 0xfe, 0 }, { 0xfe, 1 }, { 0xf6, 2 }, { 0xf6, 3 }, { 0xf6, 0 } };
		int k = (int)(rnd() % 5);
		g->what = "inc/dec/not/neg/test";
		prefixes(g, size, 0, rm, false);
		put(g, (uint8_t)(u[k].opc_b + (size == 1 ? 0 : 1)));
		put_modrm(g, u[k].sub, rm);
		if (k == 4) {
			for (unsigned i = 0; i < (size == 1 ? 1u : size == 2 ? 2u : 4u); i++)
				put(g, (uint8_t)rnd());
			g->undef = F_A;
		}
		break;
	}
	case K_SHIFT: {
		int form = (int)(rnd() % 3);	/* by 1, by imm8, by CL */
		unsigned count;
		g->what = "shift/rotate";
		if (op == 6)
			op = 4;
		if (form == 2)
			reg = CPU_RCX;
		prefixes(g, size, 0, rm, false);
		put(g, (uint8_t)((form == 0 ? 0xd0 : form == 1 ? 0xc0 : 0xd2) + (size == 1 ? 0 : 1)));
		put_modrm(g, (int)op, rm);
		if (form == 1)
			put(g, (uint8_t)(rnd() % 80));
		count = form == 0 ? 1 : form == 1 ? g->b[g->n - 1] : (unsigned)(in->gpr[CPU_RCX] & 0xff);
		count &= size == 8 ? 0x3f : 0x1f;
		g->undef = F_A;
		if (count != 1)
			g->undef |= F_O;
		if (op <= 3)	/* rotates touch only CF and OF */
			g->undef &= ~F_A;
		/* RCL/RCR on 8/16 bits rotate modulo 9/17; a masked count above the width: CF undefined */
		if ((op == 4 || op == 5) && count > size * 8)
			g->undef |= F_C;
		break;
	}
	case K_MULDIV: {
		/* MUL IMUL DIV IDIV (F6/F7 /4-/7) */
		/* a division that faults natively must raise #DE on swkvm with the state unchanged */
		unsigned sub = 4 + (unsigned)(rnd() % 4);
		g->what = "mul/imul/div/idiv";
		prefixes(g, size, 0, rm, false);
		put(g, size == 1 ? 0xf6 : 0xf7);
		put_modrm(g, (int)sub, rm);
		g->undef = sub < 6 ? F_S | F_Z | F_A | F_P : FL_ALL;
		break;
	}
	case K_IMUL2:
		if (size == 1)
			size = 4;
		g->what = "imul r, r/m";
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, 0xaf);
		put_modrm(g, reg, rm);
		g->undef = F_S | F_Z | F_A | F_P;
		break;
	case K_IMUL3:
		if (size == 1)
			size = 4;
		g->what = "imul r, r/m, imm";
		prefixes(g, size, reg, rm, false);
		if (rnd() & 1) {
			put(g, 0x6b);
			put_modrm(g, reg, rm);
			put(g, (uint8_t)rnd());
		} else {
			put(g, 0x69);
			put_modrm(g, reg, rm);
			for (unsigned i = 0; i < (size == 2 ? 2u : 4u); i++)
				put(g, (uint8_t)rnd());
		}
		g->undef = F_S | F_Z | F_A | F_P;
		break;
	case K_BT:
		if (size == 1)
			size = 4;
		g->what = "bt/bts/btr/btc r/m, r";
		if (rm == RM_MEM)
			in->gpr[reg] = (uint64_t)((int64_t)(rnd() % 320) - 64);	/* bytes -8 .. +32 */
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0xa3 + 8 * (op & 3)));
		put_modrm(g, reg, rm);
		g->undef = F_O | F_S | F_A | F_P;
		break;
	case K_BT_IMM:
		if (size == 1)
			size = 4;
		g->what = "bt* r/m, imm8";
		prefixes(g, size, 0, rm, false);
		put(g, 0x0f);
		put(g, 0xba);
		put_modrm(g, 4 + (int)(op & 3), rm);
		put(g, (uint8_t)rnd());
		g->undef = F_O | F_S | F_A | F_P;
		break;
	case K_BSX:
		if (size == 1)
			size = 4;
		g->what = "bsf/bsr";
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0xbc + (op & 1)));
		put_modrm(g, reg, rm);
		g->undef = F_C | F_O | F_S | F_A | F_P;
		break;
	case K_POPCNT:
		if (size == 1)
			size = 4;
		g->what = "popcnt";
		if (rm != RM_MEM && (rnd() & 1))	/* sparse sources too: zero (ZF), single bits */
			in->gpr[rm] &= rnd() & rnd() & rnd();
		put(g, 0xf3);	/* mandatory prefix, before 66 and REX */
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, 0xb8);
		put_modrm(g, reg, rm);
		break;
	case K_MOVBE:
		if (size == 1)
			size = 4;
		rm = RM_MEM;	/* memory operand only; the register form is #UD */
		g->what = "movbe";
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, 0x38);
		put(g, (uint8_t)(0xf0 | (op & 1)));
		put_modrm(g, reg, rm);
		break;
	case K_SHXD: {
		bool cl = rnd() & 1;
		unsigned count;
		if (size == 1)
			size = 4;
		if (cl && (reg == CPU_RCX || rm == CPU_RCX))
			cl = false;
		g->what = "shld/shrd";
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)((op & 1 ? 0xac : 0xa4) + (cl ? 1 : 0)));
		put_modrm(g, reg, rm);
		if (!cl)
			put(g, (uint8_t)(rnd() % 70));
		count = cl ? (unsigned)(in->gpr[CPU_RCX] & 0xff) : g->b[g->n - 1];
		count &= size == 8 ? 0x3f : 0x1f;
		g->undef = F_A | (count != 1 ? F_O : 0);
		if (size == 2 && count > 16)
			g->skip = true;	/* result undefined */
		break;
	}
	case K_MOVX: {
		/* MOVZX/MOVSX r, r/m8 or r/m16; MOVSXD r64, r/m32 */
		int f = (int)(rnd() % 5);
		if (size == 1)
			size = 4;
		/*
		 * Byte sources: with any REX prefix, numbers 4, 5, 7 mean SPL, BPL, DIL (the
		 * stub's own registers); word and dword sources must be usable registers.
		 */
		if (rm == RM_MEM)
			;	/* memory source */
		else if (f >= 2)
			rm = pick_reg();
		else if ((size == 8 || (reg & 8) || (rm & 8)) && (rm == 4 || rm == 5 || rm == 7))
			rm = CPU_RBX;
		g->what = "movzx/movsx/movsxd";
		if (f == 4) {
			size = 8;
			if (rm != RM_MEM)
				rm = pick_reg();
			prefixes(g, 8, reg, rm, false);
			put(g, 0x63);
			put_modrm(g, reg, rm);
			break;
		}
		if (f < 2 && ((rm & 7) >= 4) && !(rm & 8))
			rm &= 3;	/* keep byte sources encodable: no AH with REX */
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0xb6 + (f & 1) + ((f & 2) ? 8 : 0)));
		put_modrm(g, reg, rm);
		break;
	}
	case K_CMOV:
		if (size == 1)
			size = 4;
		g->what = "cmovcc";
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0x40 + rnd() % 16));
		put_modrm(g, reg, rm);
		break;
	case K_SETCC:
		g->what = "setcc";
		prefixes(g, 1, 0, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0x90 + rnd() % 16));
		put_modrm(g, 0, rm);
		break;
	case K_BSWAP:
		g->what = "bswap";
		if (size < 4)
			size = 4;
		prefixes(g, size, 0, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0xc8 + (rm & 7)));
		break;
	case K_XADD:
		g->what = "xadd r/m, r";
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, size == 1 ? 0xc0 : 0xc1);
		put_modrm(g, reg, rm);
		break;
	case K_CMPXCHG:
		g->what = "cmpxchg r/m, r";
		if (rnd() & 1) {
			/* make equality likely */
			if (rm == RM_MEM)
				memcpy(in->mem + mem_disp, &in->gpr[CPU_RAX], 8);
			else
				in->gpr[rm & 15] = in->gpr[CPU_RAX];
		}
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, size == 1 ? 0xb0 : 0xb1);
		put_modrm(g, reg, rm);
		break;
	case K_XCHG:
		g->what = "xchg r/m, r";
		prefixes(g, size, reg, rm, false);
		put(g, size == 1 ? 0x86 : 0x87);
		put_modrm(g, reg, rm);
		break;
	case K_CBW:
		g->what = "cbw/cwd family";
		prefixes(g, size == 1 ? 4 : size, 0, 0, false);
		put(g, (uint8_t)(0x98 + (op & 1)));
		break;
	case K_PAIR: {
		/*
		 * An arithmetic instruction and one that consumes its flags: SETcc, CMOVcc, Jcc
		 * over a NOT, ADC/SBB, RCL/RCR by 1. Exercises the lazy-flags fast paths
		 * (conditions answered from the recorded operands) and materialisation.
		 */
		static const int bregs[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
		int a = size == 1 ? bregs[rnd() % 8] : pick_reg(), b = size == 1 ? bregs[rnd() % 8] : pick_reg();
		int first = (int)(rnd() % 12), consumer = (int)(rnd() % 5), c1 = pick_reg(), c2 = pick_reg();
		unsigned cc = (unsigned)(rnd() % 16);

		g->what = "alu then setcc/cmovcc/jcc/adc/rcl";
		if (rnd() % 4 == 0)
			b = a;	/* cmp x, x and friends: equal operands */
		if (size == 1 && ((a | b) & 8))
			put(g, (uint8_t)(0x40 | ((b & 8) ? 4 : 0) | ((a & 8) ? 1 : 0)));
		else
			prefixes(g, size, b, a, false);
		if (first < 8) {		/* ADD OR ADC SBB AND SUB XOR CMP a, b */
			put(g, (uint8_t)(first * 8 + (size == 1 ? 0 : 1)));
			put_modrm(g, b, a);
			g->undef = (first == 1 || first == 4 || first == 6) ? F_A : 0;
		} else if (first == 8) {	/* TEST */
			put(g, size == 1 ? 0x84 : 0x85);
			put_modrm(g, b, a);
			g->undef = F_A;
		} else {			/* INC DEC NEG */
			static const uint8_t sub[] = { 0, 1, 3 };
			int k = first - 9;
			put(g, (uint8_t)((k < 2 ? 0xfe : 0xf6) + (size == 1 ? 0 : 1)));
			put_modrm(g, sub[k], a);
		}
		switch (consumer) {
		case 0:	/* setcc c1b (a byte register encodable without REX issues: AL..BL, R8B..R11B) */
			c1 = bregs[rnd() % 8];
			if (c1 & 8)
				put(g, 0x41);
			put(g, 0x0f); put(g, (uint8_t)(0x90 + cc)); put_modrm(g, 0, c1);
			break;
		case 1:	/* cmovcc c1, c2 (64-bit) */
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 4 : 0) | ((c2 & 8) ? 1 : 0)));
			put(g, 0x0f); put(g, (uint8_t)(0x40 + cc)); put_modrm(g, c1, c2);
			break;
		case 2:	/* jcc +3; not c1 (64-bit, 3 bytes) */
			put(g, (uint8_t)(0x70 + cc)); put(g, 3);
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 1 : 0))); put(g, 0xf7); put_modrm(g, 2, c1);
			break;
		case 3:	/* adc/sbb c1, c2 (64-bit): consumes CF, rewrites all flags */
			put(g, (uint8_t)(0x48 | ((c2 & 8) ? 4 : 0) | ((c1 & 8) ? 1 : 0)));
			put(g, (rnd() & 1) ? 0x11 : 0x19); put_modrm(g, c2, c1);
			g->undef = 0;
			break;
		default: /* rcl/rcr c1, 1 (64-bit): consumes CF, rewrites CF and OF */
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 1 : 0)));
			put(g, 0xd1); put_modrm(g, (rnd() & 1) ? 2 : 3, c1);
			g->undef &= ~(uint64_t)(F_C | F_O);
			break;
		}
		break;
	}
	case K_ZCNT:
		/* TZCNT / LZCNT (F3 0F BC / BD; the host has BMI1 and ABM, the CPU all features) */
		if (size == 1)
			size = 4;
		g->what = "tzcnt/lzcnt";
		if (rm != RM_MEM && (rnd() & 1))
			in->gpr[rm] &= rnd() & rnd() & rnd();
		put(g, 0xf3);
		prefixes(g, size, reg, rm, false);
		put(g, 0x0f);
		put(g, (uint8_t)(0xbc + (op & 1)));
		put_modrm(g, reg, rm);
		g->undef = F_O | F_S | F_A | F_P;
		break;
	case K_FLAG: {
		static const uint8_t ops1[] = { 0xf5, 0xf8, 0xf9, 0x9e, 0x9f };
		g->what = "cmc/clc/stc/sahf/lahf";
		put(g, ops1[rnd() % 5]);
		break;
	}
	case K_STRING: {
		/*
		 * lea rsi, [r15+MEM_OFF+a]; lea rdi, [r15+MEM_OFF+b]; mov ecx, n; [std];
		 * [rep] op; cld. Offsets keep every element inside the scratch block in both
		 * directions; RSI and RDI are compared relative to r15.
		 */
		static const uint8_t ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
		uint8_t opc = ops[rnd() % 5];
		bool down = rnd() & 1, compare = opc == 0xa6 || opc == 0xae;
		uint32_t a = MEM_OFF + 24 + (uint32_t)(rnd() % 8), b = MEM_OFF + 24 + (uint32_t)(rnd() % 8);
		uint32_t n = (uint32_t)(rnd() % 5);
		int rep = (int)(rnd() % 3);	/* none, REP/REPE (F3), REPNE (F2, compares only) */

		if (size == 1 && (rnd() & 1))
			size = 1;
		g->what = "rep movs/cmps/stos/lods/scas";
		if (rnd() & 1)	/* make compares find equal elements */
			memcpy(in->mem + (b - MEM_OFF), in->mem + (a - MEM_OFF), 8);
		put(g, 0x49); put(g, 0x8d); put(g, 0xb7);
		memcpy(&g->b[g->n], &a, 4); g->n += 4;
		put(g, 0x49); put(g, 0x8d); put(g, 0xbf);
		memcpy(&g->b[g->n], &b, 4); g->n += 4;
		put(g, 0xb9);
		memcpy(&g->b[g->n], &n, 4); g->n += 4;
		if (down)
			put(g, 0xfd);
		if (rep == 1 || (rep == 2 && !compare))
			put(g, 0xf3);
		else if (rep == 2)
			put(g, 0xf2);
		if (size == 2)
			put(g, 0x66);
		else if (size == 8)
			put(g, 0x48);
		put(g, (uint8_t)(opc + (size == 1 ? 0 : 1)));
		put(g, 0xfc);	/* cld: natively DF must be clear on return */
		break;
	}
	case K_CX8: {
		/* [LOCK] CMPXCHG8B/16B [r15+disp]: equal (store ECX:EBX/RCX:RBX) or not (load EDX:EAX) */
		bool wide = rnd() & 1;
		unsigned half = wide ? 8 : 4, d = wide ? 8 + 16 * (unsigned)(rnd() % 3) : (unsigned)(rnd() % 57);
		uint32_t disp = MEM_OFF + d;	/* 16B: MEM_OFF + d is 16-byte aligned, as the state is */

		g->what = "cmpxchg8b/16b";
		if (rnd() & 1) {
			memcpy(in->mem + d, &in->gpr[CPU_RAX], half);
			memcpy(in->mem + d + half, &in->gpr[CPU_RDX], half);
			if (rnd() & 1)	/* equal low halves only */
				in->mem[d + half] ^= 1;
		}
		g->locked = rnd() & 1;
		put(g, wide ? 0x49 : 0x41);
		put(g, 0x0f); put(g, 0xc7); put(g, 0x8f);
		memcpy(&g->b[g->n], &disp, 4); g->n += 4;
		break;
	}
	case K_XLAT: {
		/* lea rbx, [r15+MEM_OFF]; [REX.W] xlat; sub rbx, r15 (RBX is then MEM_OFF on both sides) */
		uint32_t disp = MEM_OFF;

		g->what = "xlat";
		in->gpr[CPU_RAX] = (in->gpr[CPU_RAX] & ~0xffull) | (rnd() % 64);
		put(g, 0x49); put(g, 0x8d); put(g, 0x9f);
		memcpy(&g->b[g->n], &disp, 4); g->n += 4;
		if (rnd() & 1)
			put(g, 0x48);
		put(g, 0xd7);
		put(g, 0x4c); put(g, 0x29); put(g, 0xfb);
		break;
	}
	case K_BRANCH: {
		/*
		 * Control flow, observed through a NOT that the branch skips or not: LOOP/LOOPE/
		 * LOOPNE and JRCXZ (with and without 67: RCX or ECX), Jcc rel32, JMP rel8/rel32,
		 * CALL/RET, and CALL's pushed return address popped and compared with LEA [RIP].
		 */
		int c1 = pick_reg(), c2 = pick_reg(), form = (int)(rnd() % 6);

		g->what = "loop/jrcxz/jcc/jmp/call/ret";
		if (rnd() % 4 == 0)
			in->gpr[CPU_RCX] &= rnd() % 3 == 0 ? 0xffffffff00000000ull : 1;	/* ECX or RCX 0 or 1 */
		switch (form) {
		case 0: case 1:	/* [67] LOOP/LOOPE/LOOPNE/JRCXZ +3 */
			if (rnd() & 1)
				put(g, 0x67);
			put(g, (uint8_t)(form == 1 ? 0xe3 : 0xe0 + rnd() % 3));
			put(g, 3);
			break;
		case 2:		/* Jcc rel32 +3 */
			put(g, 0x0f); put(g, (uint8_t)(0x80 + rnd() % 16));
			put(g, 3); put(g, 0); put(g, 0); put(g, 0);
			break;
		case 3:		/* JMP rel8 / rel32 +3 */
			if (rnd() & 1) {
				put(g, 0xeb); put(g, 3);
			} else {
				put(g, 0xe9); put(g, 3); put(g, 0); put(g, 0); put(g, 0);
			}
			break;
		case 4:		/* call +2; jmp +4; ret; (not c1, skipped) */
			put(g, 0xe8); put(g, 2); put(g, 0); put(g, 0); put(g, 0);
			put(g, 0xeb); put(g, 4);
			put(g, 0xc3);
			break;
		default: {	/* call +0; pop c2; lea c1, [rip - back]; sub c2, c1 (0 if the push was right) */
			int32_t back;
			put(g, 0xe8); put(g, 0); put(g, 0); put(g, 0); put(g, 0);
			if (c2 & 8)
				put(g, 0x41);
			put(g, (uint8_t)(0x58 + (c2 & 7)));
			back = -(int32_t)((c2 & 8 ? 2 : 1) + 7);
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 4 : 0))); put(g, 0x8d);
			put(g, (uint8_t)(0x05 | ((c1 & 7) << 3)));
			memcpy(&g->b[g->n], &back, 4); g->n += 4;
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 4 : 0) | ((c2 & 8) ? 1 : 0))); put(g, 0x29);
			put(g, (uint8_t)(0xc0 | ((c1 & 7) << 3) | (c2 & 7)));
			if (c1 & 8)	/* mov c1d, 0: c1 held an address of this world */
				put(g, 0x41);
			put(g, (uint8_t)(0xb8 + (c1 & 7))); put(g, 0); put(g, 0); put(g, 0); put(g, 0);
			return;
		}
		}
		/* not c1 (3 bytes) */
		put(g, (uint8_t)(0x48 | ((c1 & 8) ? 1 : 0))); put(g, 0xf7); put(g, (uint8_t)(0xd0 | (c1 & 7)));
		break;
	}
	case K_STACK: {
		/*
		 * Balanced stack sequences: PUSH r/imm8/imm32/m then POP r/m (64-bit), 66 PUSH r16
		 * then 66 POP r16, and ENTER n,0/1 ... LEAVE with RBP - RSP read in between.
		 */
		int c1 = pick_reg(), c2 = pick_reg(), form = (int)(rnd() % 6);
		uint32_t d1 = MEM_OFF + (uint32_t)(rnd() % 57), d2 = MEM_OFF + (uint32_t)(rnd() % 57);

		g->what = "push/pop/enter/leave";
		switch (form) {
		case 0:		/* push c1; pop c2 */
			if (c1 & 8) put(g, 0x41);
			put(g, (uint8_t)(0x50 + (c1 & 7)));
			if (c2 & 8) put(g, 0x41);
			put(g, (uint8_t)(0x58 + (c2 & 7)));
			break;
		case 1:		/* push imm8 / imm32 (sign-extended); pop c2 */
			if (rnd() & 1) {
				put(g, 0x6a); put(g, (uint8_t)rnd());
			} else {
				uint32_t imm = (uint32_t)rnd();
				put(g, 0x68);
				memcpy(&g->b[g->n], &imm, 4); g->n += 4;
			}
			if (c2 & 8) put(g, 0x41);
			put(g, (uint8_t)(0x58 + (c2 & 7)));
			break;
		case 2:		/* push qword [r15+d1]; pop qword [r15+d2] */
			put(g, 0x41); put(g, 0xff); put(g, 0xb7);
			memcpy(&g->b[g->n], &d1, 4); g->n += 4;
			put(g, 0x41); put(g, 0x8f); put(g, 0x87);
			memcpy(&g->b[g->n], &d2, 4); g->n += 4;
			break;
		case 3:		/* 66 push c1 (16 bits); 66 pop c2: only c2's low word changes */
			put(g, 0x66);
			if (c1 & 8) put(g, 0x41);
			put(g, (uint8_t)(0x50 + (c1 & 7)));
			put(g, 0x66);
			if (c2 & 8) put(g, 0x41);
			put(g, (uint8_t)(0x58 + (c2 & 7)));
			break;
		default: {	/* enter n, level; mov c1, rbp; sub c1, rsp; leave */
			uint16_t n = (uint16_t)(rnd() % 0x3000);
			put(g, 0xc8); put(g, (uint8_t)n); put(g, (uint8_t)(n >> 8)); put(g, (uint8_t)(form == 5));
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 1 : 0))); put(g, 0x89); put(g, (uint8_t)(0xe8 | (c1 & 7)));
			put(g, (uint8_t)(0x48 | ((c1 & 8) ? 1 : 0))); put(g, 0x29); put(g, (uint8_t)(0xe0 | (c1 & 7)));
			put(g, 0xc9);
			g->undef = F_A;	/* from the SUB: RSP's low nibble differs between the worlds */
			break;
		}
		}
		break;
	}
	default: { /* LEA r, [base + index*scale + disp8] */
		int base = pick_reg(), index = pick_reg();
		if (size == 1)
			size = 8;
		g->what = "lea";
		{
			uint8_t rex = 0x40 | (size == 8 ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0);
			if (size == 2)
				put(g, 0x66);
			if (rex != 0x40)
				put(g, rex);
		}
		put(g, 0x8d);
		put(g, (uint8_t)(0x44 | ((reg & 7) << 3)));
		put(g, (uint8_t)(((rnd() % 4) << 6) | ((index & 7) << 3) | (base & 7)));
		put(g, (uint8_t)rnd());
		break;
	}
	}
	/* LOCK only on read-modify-write forms (else #UD natively): not CMP, TEST or BT */
	if (g->locked) {
		bool ok_lock = true;
		if ((kind == K_ALU || kind == K_ALU_IMM) && op == 7)
			ok_lock = false;
		if (kind == K_UNARY && g->what && strstr(g->what, "test") && (g->undef & F_A))
			ok_lock = false;	/* the TEST row sets undef=AF */
		if ((kind == K_BT || kind == K_BT_IMM) && (op & 3) == 0)
			ok_lock = false;
		if (ok_lock) {
			memmove(g->b + 1, g->b, g->n);
			g->b[0] = 0xf0;
			g->n++;
		} else {
			g->locked = false;
		}
	}
}

static void hexbytes(const uint8_t *b, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02x ", b[i]);
}

static int reported;
static long de_cases;

/*
 * Runs one case on both sides and compares: every GPR, the scratch memory and the
 * arithmetic flags the SDM defines for it. A case that faults natively (#DE) must
 * deliver #DE on swkvm with registers, memory and flags exactly as before it.
 */
static bool check_case(struct cpu *cpu, const struct gen *g, const struct state *init, bool lazy_off)
{
	struct state nat = *init, emu = *init;
	bool fault = run_native(g->b, g->n, &nat);
	uint64_t mask = FL_ALL & ~g->undef;
	int run;

	cur_case++;	/* progress for the watchdog */
	cpu->in->lazy_flags_off = lazy_off;
	run = run_swkvm(cpu, g->b, g->n, &emu);
	if (fault) {
		de_cases++;
		nat = *init;	/* precise: nothing may have changed */
		mask = FL_ALL;
		if (run != RUN_DE)
			emu.gpr[0] = ~nat.gpr[0];
	} else if (run != RUN_DONE) {
		emu.gpr[0] = ~nat.gpr[0];	/* count it as a mismatch */
	}
	if (g->kind_string) {
		/* pointers into the scratch block, relative to its base in each world */
		if (!fault) {
			nat.gpr[CPU_RSI] -= (uint64_t)(uintptr_t)&nat;
			nat.gpr[CPU_RDI] -= (uint64_t)(uintptr_t)&nat;
		}
		emu.gpr[CPU_RSI] -= STATE_GPA;
		emu.gpr[CPU_RDI] -= STATE_GPA;
	}
	if (!memcmp(nat.gpr, emu.gpr, sizeof(nat.gpr)) && !memcmp(nat.mem, emu.mem, sizeof(nat.mem)) &&
	    !((nat.rflags ^ emu.rflags) & mask))
		return true;
	if (reported < 20) {
		char hex[100];
		hexbytes(g->b, g->n < 30 ? g->n : 30, hex);
		tap_diag("mismatch (%s%s, lazy flags %s): %s(native %s, swkvm exit %d run %d)", g->what,
			 fault ? ", #DE" : "", lazy_off ? "off" : "on", hex, fault ? "#DE" : "ok", (int)last_exit, run);
		for (int r = 0; r < 16; r++)
			if (nat.gpr[r] != emu.gpr[r])
				tap_diag("  r%d: in %016" PRIx64 " host %016" PRIx64 " swkvm %016" PRIx64,
					 r, init->gpr[r], nat.gpr[r], emu.gpr[r]);
		if (memcmp(nat.mem, emu.mem, sizeof(nat.mem)))
			tap_diag("  memory differs");
		if ((nat.rflags ^ emu.rflags) & mask)
			tap_diag("  flags: in %03" PRIx64 " host %03" PRIx64 " swkvm %03" PRIx64 " (compared %03" PRIx64 ")",
				 init->rflags & FL_ALL, nat.rflags & FL_ALL, emu.rflags & FL_ALL, mask);
		reported++;
	}
	return false;
}

static const uint64_t edges[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	~0ull, ~1ull, 0x8000000000000001ull, 31, 32, 63, 64,
};
#define NEDGES (sizeof(edges) / sizeof(edges[0]))

static void edge_state(struct state *st, uint64_t cf)
{
	memset(st, 0, sizeof(*st));
	for (int r = 0; r < 16; r++)
		st->gpr[r] = 0x0123456789abcdefull * (uint64_t)(r + 1);
	st->rflags = 2 | cf;
}

/* Size prefixes for a register-register form with ModRM.reg = rbx, ModRM.rm = rax (no REX.R/B) */
static void size_prefix(struct gen *g, unsigned size)
{
	if (size == 2)
		put(g, 0x66);
	if (size == 8)
		put(g, 0x48);
}

/*
 * The edge-value matrix: every ALU operation, shift/rotate, MUL/IMUL/DIV/IDIV and
 * INC/DEC/NEG/NOT at every operand size over the edge values (and every shift count
 * 0..65), with CF clear and set, lazy flags on and off alternately.
 */
static void edge_matrix(struct cpu *cpu)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	long n = 0, bad = 0;

	for (unsigned si = 0; si < 4; si++) {
		unsigned size = sizes[si];

		/* ALU rax, rbx: 8 ops x edges^2 x CF */
		for (unsigned op = 0; op < 8; op++)
			for (unsigned i = 0; i < NEDGES; i++)
				for (unsigned j = 0; j < NEDGES; j++)
					for (uint64_t cf = 0; cf < 2; cf++) {
						struct gen g = { .what = "edge: alu" };
						struct state st;
						edge_state(&st, cf);
						st.gpr[CPU_RAX] = edges[i];
						st.gpr[CPU_RBX] = edges[j];
						size_prefix(&g, size);
						put(&g, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)));
						put(&g, 0xd8);	/* rax, rbx */
						g.undef = (op == 1 || op == 4 || op == 6) ? F_A : 0;
						bad += !check_case(cpu, &g, &st, (n++ & 1) != 0);
					}
		/* shifts and rotates of rax by cl = 0..65 */
		for (unsigned op = 0; op < 8; op++)
			for (unsigned cnt = 0; cnt < 66; cnt++)
				for (unsigned i = 0; i < NEDGES; i += 3)
					for (uint64_t cf = 0; cf < 2; cf++) {
						struct gen g = { .what = "edge: shift/rotate" };
						struct state st;
						unsigned c = cnt & (size == 8 ? 0x3f : 0x1f);
						if (op == 6)
							continue;
						edge_state(&st, cf);
						st.gpr[CPU_RAX] = edges[i];
						st.gpr[CPU_RCX] = cnt;
						size_prefix(&g, size);
						put(&g, size == 1 ? 0xd2 : 0xd3);
						put(&g, (uint8_t)(0xc0 | (op << 3)));
						g.undef = op <= 3 ? 0 : F_A;
						if (c > 1)
							g.undef |= F_O;
						if ((op == 4 || op == 5) && c > size * 8)
							g.undef |= F_C;
						bad += !check_case(cpu, &g, &st, (n++ & 1) != 0);
					}
		/* MUL IMUL DIV IDIV rbx with rdx:rax = edge:edge */
		for (unsigned sub = 4; sub < 8; sub++)
			for (unsigned i = 0; i < NEDGES; i++)
				for (unsigned j = 0; j < NEDGES; j++)
					for (unsigned k = 0; k < NEDGES; k += 5) {
						struct gen g = { .what = "edge: mul/imul/div/idiv" };
						struct state st;
						edge_state(&st, 0);
						st.gpr[CPU_RAX] = edges[i];
						st.gpr[CPU_RBX] = edges[j];
						st.gpr[CPU_RDX] = edges[k];
						size_prefix(&g, size);
						put(&g, size == 1 ? 0xf6 : 0xf7);
						put(&g, (uint8_t)(0xc3 | (sub << 3)));
						g.undef = sub < 6 ? F_S | F_Z | F_A | F_P : FL_ALL;
						bad += !check_case(cpu, &g, &st, (n++ & 1) != 0);
					}
		/* INC DEC NOT NEG rax */
		for (unsigned k = 0; k < 4; k++)
			for (unsigned i = 0; i < NEDGES; i++)
				for (uint64_t cf = 0; cf < 2; cf++) {
					static const uint8_t opc[] = { 0xfe, 0xfe, 0xf6, 0xf6 };
					static const uint8_t sub[] = { 0, 1, 2, 3 };
					struct gen g = { .what = "edge: inc/dec/not/neg" };
					struct state st;
					edge_state(&st, cf);
					st.gpr[CPU_RAX] = edges[i];
					size_prefix(&g, size);
					put(&g, (uint8_t)(opc[k] + (size == 1 ? 0 : 1)));
					put(&g, (uint8_t)(0xc0 | (sub[k] << 3)));
					bad += !check_case(cpu, &g, &st, (n++ & 1) != 0);
				}
	}
	ok(bad == 0 && n > 60000, "edge-value matrix: %ld cases, %ld mismatches", n, bad);
}

/* random and edge values in every register, the arithmetic flags and the scratch block */
static void random_state(struct state *st)
{
	for (int r = 0; r < 16; r++)
		st->gpr[r] = edge_value();
	st->rflags = (rnd() & FL_ALL) | 2;
	for (int i = 0; i < 64; i += 8) {
		uint64_t v = edge_value();
		memcpy(st->mem + i, &v, 8);
	}
}

/*
 * 32-bit address size in 64-bit mode (67h): string instructions and LOOP/JRCXZ use
 * ESI/EDI/ECX, and the host writes them zero-extended. Natively the state (and so the
 * scratch block the pointers aim at) is placed below 4 GiB; each side's pointers are
 * given as offsets into the state plus that side's base, with random upper halves.
 */
#define LOW_STATE 0x20000000ull

static void addr32_cases(struct cpu *cpu, long cases)
{
	struct state *low = mmap((void *)(uintptr_t)LOW_STATE, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	static const uint8_t ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
	long bad = 0, zero_count = 0;

	if (low == MAP_FAILED || (uintptr_t)low != LOW_STATE) {
		ok(false, "67h cases: cannot map the native state below 4 GiB at %#llx", LOW_STATE);
		return;
	}
	for (long c = 0; c < cases; c++) {
		struct state init, nat, emu;
		struct gen g = { .what = "67h: string ops, loop, jrcxz" };
		uint64_t mask = FL_ALL;
		int run;

		random_state(&init);
		/* offsets into the state, random upper halves (ignored with 67h) */
		init.gpr[CPU_RSI] = (rnd() << 32) | (MEM_OFF + 24 + rnd() % 8);
		init.gpr[CPU_RDI] = (rnd() << 32) | (MEM_OFF + 24 + rnd() % 8);
		init.gpr[CPU_RCX] = (rnd() << 32) | (rnd() % 5);
		zero_count += (uint32_t)init.gpr[CPU_RCX] == 0;
		if (c % 3 == 2) {	/* 67 LOOP/LOOPE/LOOPNE/JECXZ +3; not rax */
			put(&g, 0x67);
			put(&g, (uint8_t)(0xe0 + rnd() % 4));
			put(&g, 3);
			put(&g, 0x48); put(&g, 0xf7); put(&g, 0xd0);
		} else {
			uint8_t opc = ops[rnd() % 5];
			unsigned size = pick_size();
			int rep = (int)(rnd() % 3);

			if (rnd() & 1)
				put(&g, 0xfd);	/* std */
			put(&g, 0x67);
			if (rep == 1)
				put(&g, 0xf3);
			else if (rep == 2)
				put(&g, (opc == 0xa6 || opc == 0xae) ? 0xf2 : 0xf3);
			if (size == 2)
				put(&g, 0x66);
			else if (size == 8)
				put(&g, 0x48);
			put(&g, (uint8_t)(opc + (size == 1 ? 0 : 1)));
			put(&g, 0xfc);	/* cld */
		}
		*low = init;
		low->gpr[CPU_RSI] += LOW_STATE;
		low->gpr[CPU_RDI] += LOW_STATE;
		if (run_native(g.b, g.n, low))
			tap_bail("67h case faulted natively");
		nat = *low;
		nat.gpr[CPU_RSI] -= LOW_STATE;
		nat.gpr[CPU_RDI] -= LOW_STATE;
		emu = init;
		emu.gpr[CPU_RSI] += STATE_GPA;
		emu.gpr[CPU_RDI] += STATE_GPA;
		run = run_swkvm(cpu, g.b, g.n, &emu);
		emu.gpr[CPU_RSI] -= STATE_GPA;
		emu.gpr[CPU_RDI] -= STATE_GPA;
		if (run == RUN_DONE && !memcmp(nat.gpr, emu.gpr, sizeof(nat.gpr)) &&
		    !memcmp(nat.mem, emu.mem, sizeof(nat.mem)) && !((nat.rflags ^ emu.rflags) & mask))
			continue;
		if (bad++ < 10) {
			char hex[100];
			hexbytes(g.b, g.n, hex);
			tap_diag("mismatch (67h): %s(swkvm run %d)", hex, run);
			for (int r = 0; r < 16; r++)
				if (nat.gpr[r] != emu.gpr[r])
					tap_diag("  r%d: in %016" PRIx64 " host %016" PRIx64 " swkvm %016" PRIx64, r,
						 init.gpr[r], nat.gpr[r], emu.gpr[r]);
		}
	}
	munmap(low, 4096);
	ok(bad == 0 && zero_count > 0, "67h in 64-bit mode (ESI/EDI/ECX, zero-extended when written): "
	   "%ld cases, %ld mismatches", cases, bad);
}

int main(void)
{
	const char *env = getenv("SWKVM_DIFF_CASES"), *seed = getenv("SWKVM_DIFF_SEED");
	long cases = env ? atol(env) : 200000;
	struct cpu *cpu = cpu_create(&ops, NULL);
	long per_kind[K_NKINDS] = { 0 }, bad_kind[K_NKINDS] = { 0 }, ran = 0, skipped = 0;
	long mem_cases = 0, locked_cases = 0, lazy_off_cases = 0;
	const char *kind_name[K_NKINDS] = { 0 };

	rng_state = seed ? strtoull(seed, NULL, 0) : 0x5eed5eed12345678ull;
	stub = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stub == MAP_FAILED || !cpu)
		tap_bail("cannot set up (executable stub or CPU)");

	{
		struct itimerval it = { { 0, 200000 }, { 0, 200000 } };
		struct sigaction sa = { .sa_handler = on_fpe, .sa_flags = SA_NODEFER };
		signal(SIGALRM, tick);
		setitimer(ITIMER_REAL, &it, NULL);
		sigaction(SIGFPE, &sa, NULL);
	}
	edge_matrix(cpu);
	addr32_cases(cpu, cases / 10);
	for (long c = 0; c < cases; c++) {
		struct state init;
		struct gen g;
		int kind = (int)(c % K_NKINDS);
		bool lazy_off = (c / K_NKINDS) & 1;

		random_state(&init);
		gen_case(&g, kind, &init);
		g.kind_string = kind == K_STRING;
		kind_name[kind] = g.what;
		if (g.skip) {
			skipped++;
			continue;
		}
		per_kind[kind]++;
		ran++;
		lazy_off_cases += lazy_off;
		for (unsigned i = 0; i + 4 < g.n; i++)
			if ((g.b[i] & 0xc7) == 0x87 && ((g.b[i] >> 3) & 7) < 8 && i + 5 <= g.n &&
			    g.b[i + 1] >= MEM_OFF && g.b[i + 1] < MEM_OFF + 24 && !g.b[i + 2] && !g.b[i + 3]) {
				mem_cases++;
				break;
			}
		locked_cases += g.locked;
		if (!check_case(cpu, &g, &init, lazy_off))
			bad_kind[kind]++;
	}
	for (int k = 0; k < K_NKINDS; k++)
		ok(bad_kind[k] == 0, "%s: %ld cases, %ld mismatches", kind_name[k] ? kind_name[k] : "?",
		   per_kind[k], bad_kind[k]);
	ok(ran >= cases * 9 / 10, "ran %ld cases (%ld skipped: undefined results)", ran, skipped);
	ok(mem_cases > ran / 5 && locked_cases > ran / 50,
	   "%ld cases used a memory operand, %ld of them LOCKed", mem_cases, locked_cases);
	ok(de_cases > 100, "%ld cases raised #DE natively and on swkvm with the state unchanged", de_cases);
	ok(lazy_off_cases > ran / 3 && ran - lazy_off_cases > ran / 3,
	   "lazy flags: %ld cases with them on, %ld off", ran - lazy_off_cases, lazy_off_cases);
	cpu_destroy(cpu);
	return tap_done();
}
