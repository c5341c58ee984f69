// SPDX-License-Identifier: GPL-2.0-only
// Private state of the software CPU: decoded instructions, the opcode table format,
// the I/O replay log, the soft TLB, and the helpers shared by decoder and executor.
#ifndef SWKVM_CPU_INTERNAL_H
#define SWKVM_CPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* ---- operands in the notation of SDM Vol.2 Appendix A ---- */
enum op_kind {
	OK_NONE = 0,
	OK_E,		/* ModRM r/m: register or memory */
	OK_G,		/* ModRM reg: general register */
	OK_M,		/* ModRM r/m, memory only */
	OK_I,		/* immediate */
	OK_I1,		/* the constant 1 (shift by one) */
	OK_J,		/* relative branch offset */
	OK_O,		/* moffs: absolute offset, no ModRM */
	OK_S,		/* ModRM reg: segment register */
	OK_Z,		/* register in opcode bits 2:0 (+ REX.B) */
	OK_AL,		/* AL/AX/EAX/RAX, by size */
	OK_CL,		/* CL */
	OK_DX,		/* DX (port number) */
	OK_C,		/* ModRM reg: control register */
	OK_R,		/* ModRM r/m: general register only (MOV CRn) */
};

/* operand sizes: b w d q, v = 16/32/64 by operand size, z = 16/32 (imm32 in 64-bit) */
enum op_size { SZ_NONE = 0, SZ_B, SZ_W, SZ_D, SZ_Q, SZ_V, SZ_Z, SZ_P /* far pointer */ };

struct opdesc {
	uint8_t kind;	/* enum op_kind */
	uint8_t size;	/* enum op_size */
};

struct cpu_internal;
struct insn;
/* Return values of handlers and memory helpers */
enum { EXEC_OK = 0, EXEC_EXC = 1, EXEC_IO = 2, EXEC_EXIT = 3 };
typedef int (*insn_handler)(struct cpu *cpu, struct insn *in);

/* How a row's operand size behaves in 64-bit mode (SDM Vol.2 Appendix A.2.5 superscripts) */
enum size64 {
	S64_NORMAL = 0,	/* 32 by default, 64 with REX.W, 16 with 66 */
	S64_D64,	/* d64: 64 by default, 16 with 66, no 32-bit form */
	S64_F64,	/* f64: always 64, 66 ignored */
};

/*
 * A row may hand decoding on to a sub-table, selected by (SDM Vol.2 Tables ):
 */
enum sub_kind {
	SUB_NONE = 0,
	SUB_REG,	/* 8 rows by ModRM.reg: the opcode-extension groups */
	SUB_MOD,	/* 2 rows: [0] memory form (mod != 3), [1] register form (mod == 3) */
	SUB_RM,		/* 8 rows by ModRM.rm (register forms such as 0F 01 /7 F8 SWAPGS) */
	SUB_PREFIX,	/* 4 rows by mandatory prefix: [0] none, [1] 66, [2] F3, [3] F2 */
	SUB_MODE64,	/* 2 rows: [0] outside 64-bit mode, [1] in 64-bit mode (63: ARPL/MOVSXD) */
};
enum { PFX_NONE, PFX_66, PFX_F3, PFX_F2 };

/* Optional instruction-set features (struct cpu.features, CPU_FEAT_* in state.h) */

/* One opcode-table row: named fields, no packed flag words. */
struct opcode {
	insn_handler handler;		/* NULL (with sub == SUB_NONE): invalid encoding, #UD */
	const char *name;
	struct opdesc op[3];		/* none given: inherited from the parent row */
	uint8_t arg;			/* handler-specific: ALU op, condition code, ... */
	bool modrm;			/* a ModRM byte follows */
	bool lock;			/* LOCK allowed (with a memory destination) */
	bool i64;			/* invalid in 64-bit mode (i64) */
	bool o64;			/* valid only in 64-bit mode (o64) */
	bool no_real;			/* #UD in real-address and virtual-8086 mode */
	bool string;			/* string instruction: REP/REPE/REPNE apply */
	bool byteop;			/* operates on bytes whatever the prefixes */
	bool priv;			/* CPL 0 only: #GP(0) otherwise */
	bool modrm_reg;			/* ModRM.mod ignored, always registers (MOV CRn/DRn) */
	uint8_t size64;			/* enum size64 */
	uint32_t feature;		/* CPU_FEAT_* bit the row needs (0: none) */
	const struct opcode *fallback;	/* without `feature`: decode as this row (else #UD) */
	uint8_t sub;			/* enum sub_kind */
	const struct opcode *table;	/* the sub-table for `sub` */
};

/* A decoded operand */
enum { OPT_NONE = 0, OPT_REG, OPT_MEM, OPT_IMM, OPT_SREG, OPT_CR };

struct operand {
	uint8_t type;
	uint8_t size;		/* bytes */
	uint8_t reg;		/* register number; for byte regs 4-7 without REX: AH..BH (+16) */
	uint64_t imm;
};

#define REG_HIGH_BYTE 16	/* operand.reg flag: AH/CH/DH/BH */

struct insn {
	const struct opcode *op;
	uint8_t len;
	uint8_t opsize, addrsize;	/* bytes: 2, 4 or 8 */
	uint8_t seg;			/* effective segment for memory operands */
	uint8_t rep;			/* 0, 0xf2 or 0xf3 */
	bool lock, has_seg_override;
	uint8_t rex;
	uint8_t map, opcode;		/* map 1 (one byte), 2 (0F), 3 (0F 38), 4 (0F 3A); last opcode byte */
	bool has_modrm;
	uint8_t modrm, mod, reg, rm;
	/* memory operand: base/index registers (-1 none), scale, displacement */
	int8_t base, index;
	uint8_t scale;
	bool rip_rel;
	int64_t disp;
	struct operand ops[3];
	uint8_t bytes[15];
};

/* ---- I/O replay (see cpu.h) ---- */
enum io_kind { IOK_PIO_READ = 1, IOK_PIO_WRITE, IOK_MMIO_READ };

#define MAX_IO_EVENTS 16
#define MAX_MMIO_WRITES 16

struct io_answer {
	uint8_t kind;
	uint8_t data[8];
};

/* ---- soft TLB: direct-mapped, keyed by linear page number ---- */
#define SUP_SMEP 1
#define SUP_SMAP 2
#define TLB_SIZE 256

struct tlb_entry {
	uint64_t vpn_read;	/* linear page number + 1 when readable (0 = invalid) */
	uint64_t vpn_write;	/* ... when writable */
	uint64_t vpn_user;	/* page accessible at CPL 3 */
	uint64_t vpn_exec;	/* page executable */
	uintptr_t host;		/* host address of the page (0: not RAM) */
	uint64_t gpa;		/* guest-physical page address */
	uint8_t shift;		/* log2 of the size of the page it came from (INVLPG) */
};

/*
 * Decoded-instruction cache: direct-mapped by linear RIP. An entry is used only if the
 * mode matches and the instruction's bytes in guest memory (fetched through the TLB with
 * its permission checks) still equal the cached ones, so self-modifying code and stores
 * by other vCPUs are always seen. SWKVM_CPU_NO_DCACHE=1 turns it off.
 */
#define DCACHE_SIZE 4096

struct dcache_entry {
	uint64_t lin;
	uint8_t mode;		/* 0 = empty; else 1 | code64 << 1 | def_size << 2 | real << 5 */
	struct insn in;
};

/*
 * Decoded blocks (block.c): up to BLOCK_MAX_INSNS instructions decoded once, lying in one
 * guest page and ending at the first instruction that is not a plain data operation
 * (control transfers, mode, segment, flag-system and privileged instructions, I/O ...).
 * Keyed by the guest-physical address of the first byte and the mode bits decoding
 * depends on; validated on every entry by comparing the bytes they were decoded from
 * with guest memory, because DMA and other vCPUs write guest memory without telling us.
 * SWKVM_CPU_NO_BLOCKS=1 turns them off.
 */
#define BLOCK_MAX_INSNS 32
#define BLOCK_TABLE_BITS 14
#define BLOCK_TABLE_SIZE (1u << BLOCK_TABLE_BITS)	/* slots, direct-mapped by a hash of (gpa, mode) */

struct block {
	uint64_t gpa;		/* guest-physical address of the first byte */
	uint64_t mode;		/* block_mode() when decoded */
	uint16_t span;		/* bytes from the first byte to past the last instruction */
	uint8_t ninsn;		/* instructions: the last one may end the block */
	uint8_t cap;		/* instructions the allocation has room for */
	struct insn *insn;	/* the decoded instructions, after src[] in the same allocation */
	/* the `span` bytes they were decoded from, next to the key: one cache line for both */
	uint8_t src[];
};

/* Lazy arithmetic flags: the operation that last set them (exec/flags.c) */
enum lazy_op { LF_NONE = 0, LF_ADD, LF_SUB, LF_LOGIC, LF_INC, LF_DEC };

struct cpu_internal {
	/*
	 * RFLAGS. Its arithmetic bits are valid only while lf_op == LF_NONE; otherwise they
	 * are those of the recorded operation (flags_materialize()). The system bits (TF IF
	 * DF IOPL NT RF VM AC ...) are always valid here.
	 */
	uint64_t rflags;
	uint8_t lf_op, lf_size;		/* enum lazy_op; operand size in bytes */
	bool lf_cin;			/* ADC/SBB carry in */
	uint64_t lf_a, lf_b, lf_res;	/* operands and result, masked to lf_size */
	bool lazy_flags_off;		/* SWKVM_CPU_NO_LAZY_FLAGS: materialise at once */

	/* Pending event to deliver before the next instruction */
	bool exc_pending;
	uint8_t exc_vector;
	bool exc_has_error;
	uint32_t exc_error;
	bool exc_is_trap;	/* software interrupt/trap: RIP already advanced */
	int exc_nesting;	/* delivering an exception (for #DF / triple fault) */
	bool irq_pending;
	uint8_t irq_vector;
	bool nmi_pending;
	bool shutdown;

	/* I/O replay: answers recorded for the instruction being replayed */
	struct io_answer answers[MAX_IO_EVENTS];
	int nanswers, answer_pos;
	bool io_waiting;		/* an event was reported and awaits its answer */
	uint8_t io_waiting_kind;
	/* MMIO stores of the committed instruction, reported one per exit */
	struct cpu_exit_mmio mmio_writes[MAX_MMIO_WRITES];
	int nmmio_writes, mmio_write_pos;
	int nmmio_staged;	/* stores staged by the instruction in flight */

	/* exit being prepared by a handler (EXEC_EXIT / EXEC_IO) */
	struct cpu_exit exit;

	/* CPU-owned MSRs */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_aux;

	/* cached mode */
	int cpl;
	uint8_t sup_prot;	/* SUP_SMEP | SUP_SMAP: CR4.SMEP/SMAP with paging on (tlb_hit) */
	/*
	 * Per segment register (ES CS SS DS FS GS), what an ordinary data access may do,
	 * computed whenever a segment register or the mode changes (seg_check_update(),
	 * exec/seg.c) so the access path is two compares (SDM Vol.3 §5.3, §5.4.1).
	 * Not used in 64-bit mode, which has no limits (canonical checks instead).
	 */
	struct seg_check {
		uint64_t lo, hi;	/* valid offsets: lo <= first byte, last byte <= hi */
		uint8_t rights;		/* SEGCHK_READ | SEGCHK_WRITE; 0: unusable segment */
	} segchk[6];
	/* hardware breakpoints (debug.c): which DRn are armed, and data hits of this insn */
	uint8_t bp_exec_mask, bp_data_mask, bp_data_hits;
	uint8_t bp_io_mask;	/* I/O breakpoints (R/W = 10 with CR4.DE): hits go to bp_data_hits */
	bool long_mode;		/* EFER.LMA */
	bool code64;		/* LMA && CS.L */
	uint8_t def_size;	/* 2 or 4 outside 64-bit code: CS.D */
	uint64_t fault_rip;	/* RIP of the instruction being executed */

	struct tlb_entry tlb[TLB_SIZE];
	bool tlb_disabled;	/* SWKVM_CPU_NO_TLB: every access walks */
	bool dcache_disabled;	/* SWKVM_CPU_NO_DCACHE: decode every instruction */
	struct dcache_entry *dcache;
	uint32_t dcache_features;	/* cpu->features the cached decodes were made with */
	bool blocks_disabled;	/* SWKVM_CPU_NO_BLOCKS: one instruction per step() */
	struct block **blocks;	/* BLOCK_TABLE_SIZE slots, NULL when disabled */
	/*
	 * The guest-physical page of the block being executed (~0 outside one); a store to
	 * it sets blk_smc so the block ends after the storing instruction (mmu.c).
	 */
	uint64_t blk_gfn;
	bool blk_smc;
};

/* ---- shared helpers (cpu.c, mmu.c, exec/) ---- */
void cpu_raise(struct cpu *cpu, uint8_t vector, bool has_error, uint32_t error);
static inline int raise_gp(struct cpu *cpu, uint32_t err)
{
	cpu_raise(cpu, CPU_EXC_GP, true, err);
	return EXEC_EXC;
}
static inline int raise_ud(struct cpu *cpu)
{
	cpu_raise(cpu, CPU_EXC_UD, false, 0);
	return EXEC_EXC;
}
void cpu_update_mode(struct cpu *cpu);
/* debug.c: breakpoint registers (SDM Vol.3 §18.2, §18.3.1) */
void cpu_dbg_update(struct cpu *cpu);
uint8_t cpu_dbg_exec_hits(struct cpu *cpu, uint64_t lin);
void cpu_dbg_data(struct cpu *cpu, uint64_t lin, unsigned size, bool write);
void cpu_dbg_io(struct cpu *cpu, uint16_t port, unsigned size);
static inline void dbg_data_check(struct cpu *cpu, uint64_t lin, unsigned size, bool write)
{
	if (__builtin_expect(cpu->in->bp_data_mask != 0, 0))
		cpu_dbg_data(cpu, lin, size, write);
}

/* Decoder (decode/decode.c). Returns EXEC_OK, or EXEC_EXC with #UD/#GP/#PF raised. */
int cpu_decode(struct cpu *cpu, struct insn *in);
/*
 * The same for an instruction that must lie in the page of its first byte: one that
 * continues into the next page returns EXEC_EXIT without fetching from it.
 */
int cpu_decode_in_page(struct cpu *cpu, struct insn *in);
extern const struct opcode opcode_map1[256];	/* one-byte opcodes */
extern const struct opcode opcode_map2[256];	/* 0F xx */
extern const struct opcode opcode_map3[256];	/* 0F 38 xx */
extern const struct opcode opcode_map4[256];	/* 0F 3A xx */
/* Verifies every map. Returns 0, or the number of defects found (see tables.c). */
int opcode_tables_check(void);
/* The same checks for one row and its sub-tables (0: sound). */
int opcode_row_check(const struct opcode *row);
/* Rows in a sub-table of kind `sub` (0 for SUB_NONE). */
unsigned opcode_sub_rows(unsigned sub);

/* Memory (mmu.c): linear and segmented accesses of 1..8 bytes (16 for reads via two calls) */
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2 };
int mmu_translate(struct cpu *cpu, uint64_t lin, int acc, bool user, uint64_t *gpa);
/* Supervisor read walk reporting the page's permissions (KVM_TRANSLATE). */
int mmu_probe(struct cpu *cpu, uint64_t lin, uint64_t *gpa, bool *writable, bool *user);
int mem_read_lin(struct cpu *cpu, uint64_t lin, unsigned size, uint64_t *val, bool sys);
int mem_write_lin(struct cpu *cpu, uint64_t lin, unsigned size, uint64_t val, bool sys);
int mem_read_seg(struct cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t *val);
int mem_write_seg(struct cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t val);
/* Any size; a write checks every page first (mmu.c). */
int mem_rw_seg(struct cpu *cpu, int seg, uint64_t off, unsigned size, void *buf, bool write);
/* A host pointer for an aligned RAM access (locked RMW), or NULL (then use the slow path). */
uint8_t *mem_host_ptr(struct cpu *cpu, int seg, uint64_t off, unsigned size, bool write, int *ret);
int fetch_bytes(struct cpu *cpu, uint64_t rip, uint8_t *buf, unsigned n);
/* Host address of the code byte at `lin` (fetch permission checked), NULL if not RAM. */
int mmu_fetch_host(struct cpu *cpu, uint64_t lin, uint8_t **host, uint64_t *gpa);
void tlb_flush(struct cpu *cpu);
void tlb_flush_page(struct cpu *cpu, uint64_t lin);

/* Linear address of seg:off (64-bit mode: only FS/GS have a base; else 32-bit wrap). */
static inline uint64_t seg_linear(struct cpu *cpu, int seg, uint64_t off)
{
	if (cpu->in->code64)
		return (seg == CPU_FS || seg == CPU_GS) ? cpu->seg[seg].base + off : off;
	return (cpu->seg[seg].base + off) & 0xffffffffull;
}

/*
 * The soft TLB's hit path, inline for the hot callers: true with *host (NULL for
 * MMIO) and *gpa set when the entry grants `acc` at this privilege. Fetches hit only
 * RAM pages. On false the caller walks (mmu.c).
 */
static inline bool tlb_hit(struct cpu_internal *ci, uint64_t lin, int acc, bool user,
			   uint8_t **host, uint64_t *gpa)
{
	uint64_t vpn = lin >> 12;
	const struct tlb_entry *e = &ci->tlb[vpn % TLB_SIZE];
	uint64_t tag = acc == ACC_WRITE ? e->vpn_write : acc == ACC_FETCH ? e->vpn_exec : e->vpn_read;

	if (ci->tlb_disabled || tag != vpn + 1 || (user && e->vpn_user != vpn + 1) ||
	    (acc == ACC_FETCH && !e->host))
		return false;
	/*
	 * SMEP/SMAP (SDM Vol.3 §4.6.1): a supervisor fetch from a user page, or an explicit
	 * supervisor data access to one with EFLAGS.AC=0, walks (and faults there).
	 */
	if (__builtin_expect(ci->sup_prot != 0, 0) && !user && e->vpn_user == vpn + 1 &&
	    (acc == ACC_FETCH ? (ci->sup_prot & SUP_SMEP)
			      : ((ci->sup_prot & SUP_SMAP) && !(ci->rflags & CPU_FLAG_AC))))
		return false;
	*host = e->host ? (uint8_t *)e->host + (lin & 4095) : NULL;
	*gpa = e->gpa | (lin & 4095);
	return true;
}

/* A store to guest-physical `gpa`: ends a running block that was decoded from its page. */
static inline void block_note_store(struct cpu_internal *ci, uint64_t gpa)
{
	if (__builtin_expect((gpa >> 12) == ci->blk_gfn, 0))
		ci->blk_smc = true;
}

/* Decoded blocks (block.c) */
int blocks_init(struct cpu *cpu);
void blocks_free(struct cpu *cpu);
/* Executes a block at RIP, or falls back to one instruction; returns as step() does. */
int block_run(struct cpu *cpu);
/* cpu.c: one instruction through the per-instruction path; one decoded instruction */
int cpu_step(struct cpu *cpu);
int cpu_exec_insn(struct cpu *cpu, struct insn *ip, uint8_t shadow_before);
int cpu_finish_insn(struct cpu *cpu, struct insn *ip, int r, uint8_t shadow_before, bool tf);
/* Rolls back the instruction in flight: RIP to its start, staged MMIO stores dropped. */
void cpu_abort_insn(struct cpu *cpu);

/* Port I/O through the replay log (exec/io.c) */
int io_port_read(struct cpu *cpu, uint16_t port, unsigned size, uint32_t *val);
int io_port_write(struct cpu *cpu, uint16_t port, unsigned size, uint32_t val);

/* Registers */
static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
uint64_t reg_read(struct cpu *cpu, unsigned reg, unsigned size);
void reg_write(struct cpu *cpu, unsigned reg, unsigned size, uint64_t val);

/* Operand access for handlers (exec/operand.c) */
uint64_t insn_ea(struct cpu *cpu, struct insn *in);
int op_read(struct cpu *cpu, struct insn *in, int i, uint64_t *val);
int op_write(struct cpu *cpu, struct insn *in, int i, uint64_t val);

/* Flags (exec/flags.c) */
enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };
uint64_t alu_compute(struct cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size);
uint64_t flags_incdec(struct cpu *cpu, uint64_t a, bool dec, unsigned size);
void flags_logic(struct cpu *cpu, uint64_t res, unsigned size);
/* Sets or clears RFLAGS bits (materialising lazy flags first when arithmetic bits are named). */
void flags_set(struct cpu *cpu, uint64_t mask, bool on);
/* Replaces all six arithmetic flags. */
void flags_arith(struct cpu *cpu, uint64_t bits);
bool cond_true(struct cpu *cpu, unsigned cc);
/* One RFLAGS bit, arithmetic ones materialised. */
bool flag(struct cpu *cpu, uint64_t f);
/* RFLAGS with the arithmetic bits materialised. */
uint64_t flags_read(struct cpu *cpu);
void flags_materialize(struct cpu_internal *ci);
bool parity(uint8_t v);

/* Stack (exec/stack.c) */
int push(struct cpu *cpu, unsigned size, uint64_t val);
int pop(struct cpu *cpu, unsigned size, uint64_t *val);
unsigned stack_size(struct cpu *cpu);

/* Segments (exec/seg.c) */
#define SEGCHK_READ 1
#define SEGCHK_WRITE 2
/* Recomputes cpu->in->segchk[sreg] from cpu->seg[sreg] (all six: seg_check_all()). */
void seg_check_update(struct cpu *cpu, int sreg);
void seg_check_all(struct cpu *cpu);
struct seg_check;
void seg_check_compute(struct cpu *cpu, const struct cpu_segment *s, struct seg_check *c);
/* Sets the accessed bit of the code/data descriptor `lo` of `sel` in its table. */
void desc_set_accessed(struct cpu *cpu, uint16_t sel, uint64_t lo);
/*
 * exec/task.c: a task switch to the TSS `sel` (SDM Vol.3 §8.3). Faults before the commit
 * point return EXEC_EXC; after it they are raised in the new task and EXEC_OK returned.
 * `ext`: caused by an external event (EXT in error codes); `has_err`: push `err` there.
 */
enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
int task_switch(struct cpu *cpu, uint16_t sel, int reason, bool ext, bool has_err, uint32_t err);
/* exec/branch.c: null ES/FS/GS/DS that the new, outer CPL may not use (RET/IRET). */
void seg_null_outer(struct cpu *cpu);
/*
 * Limit and rights check of a data access of `size` bytes at seg:off (SDM Vol.3 §5.3,
 * §5.4.1; Vol.1 §3.3.7.1 in 64-bit mode): EXEC_OK when the access may go ahead, else
 * seg_check_fault() raises #GP(0), or #SS(0) for SS, and returns EXEC_EXC.
 */
int seg_check_fault(struct cpu *cpu, int seg);
static inline int seg_check(struct cpu *cpu, int seg, uint64_t off, unsigned size, bool write)
{
	const struct cpu_internal *ci = cpu->in;
	const struct seg_check *c;

	if (ci->code64) {
		/* a stack reference to a non-canonical address is #SS(0); the rest is #GP(0) in the walk */
		uint64_t last = off + size - 1;
		if (seg == CPU_SS && ((uint64_t)((int64_t)(off << 16) >> 16) != off ||
				      (uint64_t)((int64_t)(last << 16) >> 16) != last))
			return seg_check_fault(cpu, seg);
		return EXEC_OK;
	}
	c = &ci->segchk[seg];
	if (__builtin_expect(!(c->rights & (write ? SEGCHK_WRITE : SEGCHK_READ)) || off < c->lo ||
			     off + size - 1 > c->hi, 0))
		return seg_check_fault(cpu, seg);
	return EXEC_OK;
}
int load_seg(struct cpu *cpu, int sreg, uint16_t sel);
int read_descriptor(struct cpu *cpu, uint16_t sel, uint64_t *lo, uint64_t *hi);
void seg_from_descriptor(struct cpu_segment *s, uint16_t sel, uint64_t lo);
int cpu_write_cr(struct cpu *cpu, int cr, uint64_t val);

/* A canonical 48-bit linear address: bits 63:47 all equal (SDM Vol.1 §3.3.7.1). */
static inline bool is_canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* Branches set RIP; the run loop otherwise advances RIP by the instruction length */
static inline void set_rip(struct cpu *cpu, struct insn *in, uint64_t target)
{
	(void)in;
	cpu->rip = target;
}



/*
 * Read-modify-write of operand 0: new = fn(old, src). Atomic on RAM when the
 * instruction is LOCKed or `atomic` is set (XCHG), so SMP guests see host-atomic
 * updates; *oldp receives the old value. With fn returning `keep` unchanged
 * (e.g. CMP-like), nothing is stored.
 */
typedef uint64_t (*rmw_fn)(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store);
int op_rmw(struct cpu *cpu, struct insn *in, rmw_fn fn, uint64_t src, bool atomic, uint64_t *oldp);
#endif
