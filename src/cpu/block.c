// SPDX-License-Identifier: GPL-2.0-only
// Decoded blocks: straight-line runs of instructions decoded once and executed back to back.
//
// A block is up to BLOCK_MAX_INSNS decoded instructions that lie in one guest page and
// end at the first instruction that is not a plain data operation: anything that may
// transfer control or change CS, the mode, control registers, EFLAGS.IF/TF, the interrupt
// shadow or the I/O state ends it (it is executed as the block's last instruction).
// Within a block nothing the run loop checks between instructions can change (those
// instructions all end blocks), so the loop checks once per block.
//
// Blocks are keyed by the guest-physical address of their first byte and the mode bits
// decoding depends on (64-bit code, CS.D, real/virtual-8086, cpu->features). Guest memory
// is written behind our back: by other vCPU threads and by the VMM itself (virtio DMA,
// kernel loading), with no notification, so no write trap can keep blocks coherent.
// Instead every entry fetch-translates the page through the soft TLB (the permission
// checks of an instruction fetch: NX, U/S, SMEP) and compares the bytes the block was
// decoded from with guest memory; a mismatch re-decodes. A store by the block itself
// into its own page ends it after that store (mmu.c notes it), so the next instruction
// is looked up, compared and decoded again.
#include <stdlib.h>
#include <string.h>

#include "cpu/exec/handlers.h"

int blocks_init(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;

	if (ci->blocks_disabled)
		return 0;
	ci->blocks = calloc(BLOCK_TABLE_SIZE, sizeof(*ci->blocks));
	return ci->blocks ? 0 : -1;
}

void blocks_free(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;

	if (!ci->blocks)
		return;
	for (unsigned i = 0; i < BLOCK_TABLE_SIZE; i++)
		free(ci->blocks[i]);
	free(ci->blocks);
	ci->blocks = NULL;
}

/* What decoding depends on besides the bytes: 64-bit code, CS.D, real/v8086, features. */
static inline uint64_t block_mode(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;
	bool real = !(cpu->cr0 & CPU_CR0_PE) || (ci->rflags & CPU_FLAG_VM);

	return 1 | (uint64_t)ci->code64 << 1 | (uint64_t)ci->def_size << 2 | (uint64_t)real << 5 |
	       (uint64_t)cpu->features << 8;
}

static inline unsigned block_slot(uint64_t gpa, uint64_t mode)
{
	return (unsigned)(((gpa ^ (mode << 40)) * 0x9e3779b97f4a7c15ull) >> (64 - BLOCK_TABLE_BITS));
}

/*
 * Are the block's source bytes still those in guest memory? Spans are a few dozen
 * bytes and nearly always equal, so 8-byte words without early exit (the last word
 * overlapping) beat a library call; `mem` is within one page, as the bytes were.
 */
static inline bool block_same(const uint8_t *src, const uint8_t *mem, unsigned n)
{
	uint64_t x, y, d = 0;
	unsigned i;

	if (n < 8)
		return memcmp(src, mem, n) == 0;
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, src + i, 8);
		memcpy(&y, mem + i, 8);
		d |= x ^ y;
	}
	if (i < n) {
		memcpy(&x, src + n - 8, 8);
		memcpy(&y, mem + n - 8, 8);
		d |= x ^ y;
	}
	return d == 0;
}

/*
 * May the block go on after `in`? Only for plain data operations: ALU, moves, the stack,
 * string instructions, MMX/SSE/x87 arithmetic. They change no mode, no control register,
 * not CS, IF, TF or the interrupt shadow, and fall through to the next instruction (or,
 * for a REP that yields, stay at their own RIP, which the executor checks). Everything
 * else ends the block, conservatively: a new handler ends blocks until it is listed here.
 */
static bool insn_continues(const struct insn *in)
{
	insn_handler h = in->op->handler;
	static const insn_handler plain[] = {
		x_alu, x_inc, x_dec, x_test, x_not, x_neg, x_cmc, x_lahf, x_sahf, x_cbw, x_cwd,
		x_setcc, x_cmov, x_bswap, x_xadd, x_cmpxchg, x_cmpxchg8b,
		x_mul, x_imul1, x_imul, x_div, x_idiv, x_shift, x_shld, x_shrd,
		x_bt, x_bsf, x_bsr, x_popcnt, x_movbe, x_tzcnt, x_lzcnt,
		x_mov, x_movzx, x_movsx, x_movsxd, x_lea, x_xchg, x_nop, x_xlat, x_mov_from_sreg,
		x_push, x_pop, x_push_sreg, x_pusha, x_popa, x_pushf, x_enter, x_leave,
		x_movs, x_cmps, x_stos, x_lods, x_scas,
		x_daa, x_aaa, x_aam, x_aad, x_bound, x_arpl,
		x_x87, x_fwait,
		x_sse_fp, x_sse_comi, x_sse_cvt, x_sse_mov, x_mmx_mov, x_movnti, x_sse_int,
		x_mmx_int, x_sse_shimm, x_mmx_shimm, x_pshuf, x_movmsk, x_pinsrw, x_pextrw,
		x_maskmov, x_emms, x_palignr, x_ldmxcsr, x_stmxcsr,
		x_pblendv, x_blendi, x_ptest, x_pmovx, x_pextr, x_pinsr, x_insertps, x_mpsadbw,
		x_dpp, x_crc32, x_pcmpstr,
	};

	if (in->op->priv)
		return false;
	/* CLC STC CLD STD continue; CLI and STI change IF and the STI shadow */
	if (h == x_flagop)
		return in->op->arg != 2 && in->op->arg != 3;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (h == plain[i])
			return true;
	return false;
}

/*
 * Decodes the instructions after `first` (at RIP, `avail` bytes left in its page) into
 * `insn`, up to a block-ending instruction, the end of the page, the CS limit, an
 * encoding that does not decode, or BLOCK_MAX_INSNS. Decoding ahead has no effect on
 * the guest: a fault it meets is dropped (the instruction is executed, and faults, on
 * the per-instruction path when RIP gets there). Returns the number of instructions.
 */
static unsigned decode_ahead(struct cpu *cpu, struct insn *insn, unsigned avail)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t rip0 = cpu->rip, cr2 = cpu->cr2, rip = rip0;
	bool exc = ci->exc_pending, he = ci->exc_has_error;
	uint8_t v = ci->exc_vector;
	uint32_t e = ci->exc_error;
	unsigned n = 1, used = insn[0].len;

	while (n < BLOCK_MAX_INSNS && insn_continues(&insn[n - 1]) && used < avail) {
		uint64_t next = rip + insn[n - 1].len;

		/* 16-bit IP wraps to 0 (and 32-bit EIP): the next byte is not the next address */
		if (!ci->code64 && next > size_mask(ci->def_size))
			break;
		cpu->rip = rip = next;
		if (cpu_decode_in_page(cpu, &insn[n]) || used + insn[n].len > avail)
			break;
		used += insn[n].len;
		n++;
	}
	cpu->rip = rip0;
	ci->exc_pending = exc;
	ci->exc_has_error = he;
	ci->exc_vector = v;
	ci->exc_error = e;
	cpu->cr2 = cr2;
	return n;
}

/*
 * Decodes a block at RIP (guest-physical `gpa`) into `slot`. The first instruction is
 * decoded as step() would, so its faults are the instruction's own. Returns the block,
 * or NULL with *r set: an exception (r = EXEC_EXC/EXEC_EXIT, nothing executed), or
 * r = EXEC_OK with *first holding an instruction that leaves the page (never cached).
 */
static struct block *block_build(struct cpu *cpu, struct block **slot, uint64_t gpa, uint64_t mode,
				 struct insn *first, int *r)
{
	struct insn insn[BLOCK_MAX_INSNS];
	unsigned n, span = 0, avail = 4096 - (unsigned)(gpa & 4095);
	struct block *b = *slot;

	*r = cpu_decode(cpu, &insn[0]);
	if (*r)
		return NULL;
	if (insn[0].len > avail) {
		*first = insn[0];
		return NULL;
	}
	n = decode_ahead(cpu, insn, avail);
	for (unsigned i = 0; i < n; i++)
		span += insn[i].len;
	if (!b || b->cap < n) {
		/* room for n instructions of up to 15 bytes each, then the decoded ones */
		size_t head = (sizeof(*b) + n * 15 + _Alignof(struct insn) - 1) & ~(_Alignof(struct insn) - 1);
		struct block *nb = malloc(head + n * sizeof(struct insn));

		if (!nb) {
			*first = insn[0];	/* no memory: run the one instruction uncached */
			return NULL;
		}
		free(b);
		*slot = b = nb;
		b->cap = (uint8_t)n;
		b->insn = (struct insn *)((uint8_t *)b + head);
	}
	b->gpa = gpa;
	b->mode = mode;
	b->ninsn = (uint8_t)n;
	b->span = (uint16_t)span;
	/*
	 * The source bytes are the ones decoded, not a second read of guest memory, which
	 * another thread may have changed in between.
	 */
	span = 0;
	for (unsigned i = 0; i < n; i++) {
		b->insn[i] = insn[i];
		memcpy(b->src + span, insn[i].bytes, insn[i].len);
		span += insn[i].len;
	}
	return b;
}

/*
 * Executes the block's instructions from RIP; stops early as the run loop needs: after an
 * exception, an exit, an MMIO store to report, a store into this block's page (the rest
 * may be stale), or a REP instruction that yielded at its own RIP.
 */
static int block_exec(struct cpu *cpu, struct block *b)
{
	struct cpu_internal *ci = cpu->in;
	unsigned last = b->ninsn - 1u;
	int r = EXEC_OK;

	ci->blk_gfn = b->gpa >> 12;
	ci->blk_smc = false;
	ci->answer_pos = 0;	/* the per-instruction state step() resets */
	ci->nmmio_staged = 0;
	ci->bp_data_hits = 0;
	/*
	 * All but the last instruction are plain (insn_continues()): no CPL check, no
	 * IRET, and TF, the shadow and the replay log are clear (block_run()). block_run()
	 * also checked that the block lies below the IP/EIP wrap, so RIP just adds up.
	 * The common outcome, committed with nothing staged and no breakpoint hit, is
	 * committed here; anything else goes through cpu_finish_insn() as in step().
	 */
	for (unsigned i = 0; i < last; i++) {
		struct insn *ip = &b->insn[i];
		uint64_t rip = cpu->rip;

		ci->fault_rip = rip;
		cpu->rip = rip + ip->len;
		r = ip->op->handler(cpu, ip);
		if (__builtin_expect(r == EXEC_OK && !ci->nmmio_staged && !ci->bp_data_hits, 1)) {
			ci->io_waiting = false;
			ci->rflags &= ~(uint64_t)CPU_FLAG_RF;	/* RF lasts one instruction */
		} else {
			r = cpu_finish_insn(cpu, ip, r, 0, false);
			if (r != EXEC_OK)
				goto out;
		}
		if (ci->exc_pending || ci->nmmio_writes || ci->blk_smc || cpu->rip != rip + ip->len)
			goto out;
	}
	ci->fault_rip = cpu->rip;
	r = cpu_exec_insn(cpu, &b->insn[last], 0);
out:
	ci->blk_gfn = ~0ull;
	return r;
}

int block_run(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t lin, gpa, mode;
	uint8_t *host;
	struct block **slot, *b;
	struct insn first;
	int r;

	/*
	 * One instruction at a time where the loop must look between instructions: TF,
	 * instruction breakpoints and host single-stepping (their #DB/exits are per
	 * instruction), an interrupt shadow (the window opens after one instruction), an
	 * instruction being replayed with its I/O answers.
	 */
	if ((ci->rflags & CPU_FLAG_TF) | cpu->shadow | ci->bp_exec_mask | cpu->singlestep_exit |
	    ci->nanswers)
		return cpu_step(cpu);
	/* a RIP beyond the CS limit is #GP(0) from the decoder */
	if (!ci->code64 && cpu->rip > cpu->seg[CPU_CS].limit)
		return cpu_step(cpu);
	lin = seg_linear(cpu, CPU_CS, cpu->rip);
	/* the page's fetch translation, with an instruction fetch's checks, once per entry */
	if (!tlb_hit(ci, lin, ACC_FETCH, ci->cpl == 3, &host, &gpa)) {
		ci->fault_rip = cpu->rip;
		r = mmu_fetch_host(cpu, lin, &host, &gpa);
		if (r)
			return r;	/* the fetch's #PF/#GP; nothing executed */
		if (!host)
			return cpu_step(cpu);	/* code in MMIO: the per-instruction path reports it */
	}
	mode = block_mode(cpu);
	slot = &ci->blocks[block_slot(gpa, mode)];
	b = *slot;
	if (!b || b->gpa != gpa || b->mode != mode || !block_same(b->src, host, b->span)) {
		ci->fault_rip = cpu->rip;
		ci->answer_pos = 0;
		ci->nmmio_staged = 0;
		ci->bp_data_hits = 0;
		b = block_build(cpu, slot, gpa, mode, &first, &r);
		if (!b) {
			if (r) {
				cpu_abort_insn(cpu);
				return r;
			}
			return cpu_exec_insn(cpu, &first, 0);
		}
	}
	/*
	 * Outside 64-bit code the whole block must lie within the CS limit and below the
	 * IP/EIP wrap; a block decoded under a larger limit is not used (the decoder
	 * faults at the limit).
	 */
	if (!ci->code64) {
		uint64_t last = cpu->rip + b->span - 1;

		if (last > cpu->seg[CPU_CS].limit || last > size_mask(ci->def_size))
			return cpu_step(cpu);
	}
	return block_exec(cpu, b);
}
