// SPDX-License-Identifier: GPL-2.0-only
// The x87 FPU: the escape opcodes D8-DF and WAIT/FWAIT (SDM Vol.1 ch.8, Vol.2 Tables A-7..A-22).
//
// State (struct cpu.fxsave, the 64-bit FXSAVE layout, SDM Vol.1 Table 10-2):
//   FCW at 0; FSW at 2 (TOP in bits 13:11); the abridged tag at 4, one bit per PHYSICAL
//   register R0..R7 (1 = not empty); FOP at 6 (11 bits); FIP at 8, FDP at 16;
//   ST(0)..ST(7) at 32 + 16*i in STACK order, as FXSAVE stores them: slot i holds
//   R((TOP + i) & 7); bytes 10-15 of a slot are zero.
// So FXSAVE/FXRSTOR and KVM_GET/SET_FPU are plain copies. A change of TOP without a
// push or pop (FINCSTP, FDECSTP, an MMX instruction setting TOP to 0) rotates the slots.
// FIP/FDP: in 64-bit code the 64-bit RIP and operand offset; otherwise the 32-bit
// offsets with the FCS and FDS selectors in bytes 12-13 and 20-21 (zero in 14-15, 22-23),
// which is also where the 32-bit FXSAVE format keeps them (exec/fxsave.c relies on it).
//
// Every non-control instruction runs on the host FPU (x87_host.c): the state is
// converted to an FNSAVE image with no exception pending, the one instruction runs, and
// the image is converted back; exception flags are merged (they are sticky) and ES/B
// recomputed. Memory operands are read from the guest before and written to it after,
// so a #PF leaves the state untouched. The control instructions (FNINIT, FNCLEX, FLDCW,
// FNSTCW, FNSTSW, FLDENV, FNSTENV, FRSTOR, FNSAVE) are done here.
#include <string.h>

#include "cpu/exec/handlers.h"
#include "cpu/exec/x87_host.h"

#define X_FCW 0
#define X_FSW 2
#define X_FTW 4
#define X_FOP 6
#define X_FIP 8
#define X_FDP 16
#define X_ST(i) (32 + 16 * (i))

#define SW_FLAGS 0x003f		/* IE DE ZE OE UE PE */
#define SW_SF 0x0040
#define SW_ES 0x0080
#define SW_B 0x8000
#define SW_TOP 0x3800

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static unsigned top_of(const struct cpu *cpu)
{
	return (rd16(cpu->fxsave + X_FSW) >> 11) & 7;
}

/* ES and B follow the unmasked exception flags (FLDCW/FLDENV recompute them too). */
static uint16_t sw_with_es(uint16_t sw, uint16_t cw)
{
	sw &= (uint16_t)~(SW_ES | SW_B);
	if (sw & SW_FLAGS & ~cw)
		sw |= SW_ES | SW_B;
	return sw;
}

/* FLDCW keeps bits 0-5, 8-12; bit 6 reads as one, 7 and 13-15 as zero (as the host does). */
static uint16_t cw_load(uint16_t v)
{
	return (uint16_t)((v & 0x1f3f) | 0x40);
}

/* Full 2-bit tag of one register's contents (SDM Vol.1 §8.1.7): 0 valid, 1 zero, 2 special. */
static unsigned tag_of(const uint8_t *r)
{
	uint64_t m;
	unsigned e = rd16(r + 8) & 0x7fff;

	memcpy(&m, r, 8);
	if (e == 0x7fff)
		return 2;
	if (e == 0)
		return m ? 2 : 1;
	return (m >> 63) ? 0 : 2;	/* unnormals are special */
}

/* The full tag word, by physical register, as FNSTENV/FNSAVE store it. */
static uint16_t full_tag(const struct cpu *cpu)
{
	unsigned top = top_of(cpu), ftw = cpu->fxsave[X_FTW];
	uint16_t tw = 0;

	for (unsigned j = 0; j < 8; j++) {
		unsigned t = 3;
		if (ftw & (1u << j))
			t = tag_of(cpu->fxsave + X_ST((j - top) & 7));
		tw |= (uint16_t)(t << (2 * j));
	}
	return tw;
}

static uint8_t abridged_tag(uint16_t tw)
{
	uint8_t a = 0;

	for (unsigned j = 0; j < 8; j++)
		if (((tw >> (2 * j)) & 3) != 3)
			a |= (uint8_t)(1u << j);
	return a;
}

static void set_reg(struct cpu *cpu, unsigned i, const uint8_t *v)
{
	memcpy(cpu->fxsave + X_ST(i), v, 10);
	memset(cpu->fxsave + X_ST(i) + 10, 0, 6);
}

/*
 * TOP changed without a push or pop (FLDENV, FNINIT, an MMX instruction): the physical
 * registers stay, so the stack-ordered slots rotate (slot k is R((TOP + k) & 7)).
 */
void x87_set_top(struct cpu *cpu, unsigned ntop)
{
	uint8_t old[128], *fx = cpu->fxsave;
	unsigned otop = top_of(cpu);

	memcpy(old, fx + X_ST(0), 128);
	for (unsigned k = 0; k < 8; k++)
		memcpy(fx + X_ST(k), old + 16 * ((ntop + k - otop) & 7), 16);
	wr16(fx + X_FSW, (uint16_t)((rd16(fx + X_FSW) & ~SW_TOP) | (ntop & 7) << 11));
}

/* ---- FIP/FCS, FDP/FDS, FOP (SDM Vol.1 §8.1.8, §8.1.9) ---- */

static void set_fip(struct cpu *cpu, uint64_t ip, uint16_t cs)
{
	uint8_t *fx = cpu->fxsave;

	if (cpu->in->code64) {
		memcpy(fx + X_FIP, &ip, 8);
	} else {
		wr32(fx + X_FIP, (uint32_t)ip);
		wr16(fx + X_FIP + 4, cs);
		wr16(fx + X_FIP + 6, 0);
	}
}

static void set_fdp(struct cpu *cpu, uint64_t dp, uint16_t ds)
{
	uint8_t *fx = cpu->fxsave;

	if (cpu->in->code64) {
		memcpy(fx + X_FDP, &dp, 8);
	} else {
		wr32(fx + X_FDP, (uint32_t)dp);
		wr16(fx + X_FDP + 4, ds);
		wr16(fx + X_FDP + 6, 0);
	}
}

/* Selectors as the environment image shows them: none are kept in 64-bit code. */
static uint16_t get_fcs(const struct cpu *cpu)
{
	return cpu->in->code64 ? 0 : rd16(cpu->fxsave + X_FIP + 4);
}

static uint16_t get_fds(const struct cpu *cpu)
{
	return cpu->in->code64 ? 0 : rd16(cpu->fxsave + X_FDP + 4);
}

/* A non-control instruction records its opcode, address and memory operand. */
static void record_insn(struct cpu *cpu, struct insn *in, bool mem, uint64_t ea)
{
	wr16(cpu->fxsave + X_FOP, (uint16_t)(((in->opcode & 7) << 8) | in->modrm));
	set_fip(cpu, cpu->in->fault_rip, cpu->seg[CPU_CS].selector);
	if (mem)
		set_fdp(cpu, ea, cpu->seg[in->seg].selector);
}

/* ---- checks (SDM Vol.3 Table 2-2, Vol.1 §8.6) ---- */

static int nm_check(struct cpu *cpu)
{
	if (cpu->cr0 & (CPU_CR0_EM | CPU_CR0_TS)) {
		cpu_raise(cpu, CPU_EXC_NM, false, 0);
		return EXEC_EXC;
	}
	return EXEC_OK;
}

/*
 * A waiting instruction with an unmasked exception pending (FSW.ES) raises #MF (SDM
 * Vol.1 §8.7). On bare metal CR0.NE=0 selects the PC-style FERR#/IRQ 13 report instead,
 * but under KVM on VMX CR0.NE is one of the bits the processor holds at 1 while the guest
 * runs (KVM_VM_CR0_ALWAYS_ON_UNRESTRICTED_GUEST in arch/x86/kvm/vmx/vmx.c; the guest reads
 * its own NE through the CR0 shadow), so a KVM guest gets #MF whatever its CR0.NE says,
 * and KVM's instruction emulator does the same (flush_pending_x87_faults). swkvm models
 * that machine: #MF regardless of CR0.NE, and FERR# never reaches IRQ 13.
 */
int x87_mf_check(struct cpu *cpu)
{
	if (rd16(cpu->fxsave + X_FSW) & SW_ES) {
		cpu_raise(cpu, CPU_EXC_MF, false, 0);
		return EXEC_EXC;
	}
	return EXEC_OK;
}

/* WAIT/FWAIT (9B): #NM only with CR0.TS and CR0.MP, then the pending-exception check. */
int x_fwait(struct cpu *cpu, struct insn *in)
{
	(void)in;
	if ((cpu->cr0 & (CPU_CR0_TS | CPU_CR0_MP)) == (CPU_CR0_TS | CPU_CR0_MP)) {
		cpu_raise(cpu, CPU_EXC_NM, false, 0);
		return EXEC_EXC;
	}
	return x87_mf_check(cpu);
}

/* ---- the instruction forms ---- */

enum form {
	F_UD = 0,
	F_HOST,		/* register form run on the host */
	F_LOAD,		/* memory source run on the host */
	F_STORE,	/* memory destination run on the host */
	F_FLDENV, F_FLDCW, F_FNSTENV, F_FNSTCW, F_FRSTOR, F_FNSAVE, F_FNSTSW,
	F_FNSTSW_AX, F_FNCLEX, F_FNINIT,
	F_IGNORED,	/* FENI, FDISI, FSETPM: 8087/287 leftovers, no operation on a 387+ */
};

struct mem_form {
	uint8_t form, size;
};

/* Memory forms by escape opcode and ModRM.reg (SDM Vol.2 Tables, ... A-21). */
static const struct mem_form mem_forms[8][8] = {
	/* D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR m32fp */
	{ { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 },
	  { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 } },
	/* D9: FLD m32fp, -, FST m32fp, FSTP m32fp, FLDENV, FLDCW, FNSTENV, FNSTCW */
	{ { F_LOAD, 4 }, { F_UD, 0 }, { F_STORE, 4 }, { F_STORE, 4 },
	  { F_FLDENV, 0 }, { F_FLDCW, 2 }, { F_FNSTENV, 0 }, { F_FNSTCW, 2 } },
	/* DA: FIADD ... FIDIVR m32int */
	{ { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 },
	  { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 }, { F_LOAD, 4 } },
	/* DB: FILD m32int, FISTTP m32int, FIST, FISTP m32int, -, FLD m80fp, -, FSTP m80fp */
	{ { F_LOAD, 4 }, { F_STORE, 4 }, { F_STORE, 4 }, { F_STORE, 4 },
	  { F_UD, 0 }, { F_LOAD, 10 }, { F_UD, 0 }, { F_STORE, 10 } },
	/* DC: FADD ... FDIVR m64fp */
	{ { F_LOAD, 8 }, { F_LOAD, 8 }, { F_LOAD, 8 }, { F_LOAD, 8 },
	  { F_LOAD, 8 }, { F_LOAD, 8 }, { F_LOAD, 8 }, { F_LOAD, 8 } },
	/* DD: FLD m64fp, FISTTP m64int, FST m64fp, FSTP m64fp, FRSTOR, -, FNSAVE, FNSTSW m16 */
	{ { F_LOAD, 8 }, { F_STORE, 8 }, { F_STORE, 8 }, { F_STORE, 8 },
	  { F_FRSTOR, 0 }, { F_UD, 0 }, { F_FNSAVE, 0 }, { F_FNSTSW, 2 } },
	/* DE: FIADD ... FIDIVR m16int */
	{ { F_LOAD, 2 }, { F_LOAD, 2 }, { F_LOAD, 2 }, { F_LOAD, 2 },
	  { F_LOAD, 2 }, { F_LOAD, 2 }, { F_LOAD, 2 }, { F_LOAD, 2 } },
	/* DF: FILD m16int, FISTTP m16int, FIST, FISTP m16int, FBLD m80bcd, FILD m64int,
	 * FBSTP m80bcd, FISTP m64int */
	{ { F_LOAD, 2 }, { F_STORE, 2 }, { F_STORE, 2 }, { F_STORE, 2 },
	  { F_LOAD, 10 }, { F_LOAD, 8 }, { F_STORE, 10 }, { F_STORE, 8 } },
};

/*
 * Register forms (ModRM C0-FF). Besides the documented rows, the aliases every x86-64
 * processor executes are valid: D9 D8-DF FSTP1, DC D0-DF FCOM2/FCOMP3, DD C8-CF FXCH4,
 * DE D0-D7 FCOMP5, DF C0-C7 FFREEP, DF C8-CF FXCH7, DF D0-DF FSTP8/FSTP9.
 */
static unsigned reg_form(unsigned op, unsigned m)
{
	unsigned r = (m >> 3) & 7, lo = m & 7;

	switch (op) {
	case 0:	/* D8: arithmetic and FCOM/FCOMP st(0), st(i) */
	case 4:	/* DC: arithmetic st(i), st(0); FCOM2, FCOMP3 */
		return F_HOST;
	case 1:	/* D9 */
		if (r == 2)
			return m == 0xd0 ? F_HOST : F_UD;	/* FNOP */
		if (r == 4)	/* FCHS FABS - - FTST FXAM - - */
			return (lo == 0 || lo == 1 || lo == 4 || lo == 5) ? F_HOST : F_UD;
		if (r == 5)	/* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ - */
			return lo != 7 ? F_HOST : F_UD;
		return F_HOST;	/* FLD, FXCH, FSTP1, F0-FF */
	case 2:	/* DA: FCMOVB/E/BE/U, FUCOMPP */
		return (r <= 3 || m == 0xe9) ? F_HOST : F_UD;
	case 3:	/* DB: FCMOVNB/NE/NBE/NU, FENI FDISI FNCLEX FNINIT FSETPM, FUCOMI, FCOMI */
		if (r == 4) {
			if (lo == 2)
				return F_FNCLEX;
			if (lo == 3)
				return F_FNINIT;
			return (lo == 0 || lo == 1 || lo == 4) ? F_IGNORED : F_UD;
		}
		return r == 7 ? F_UD : F_HOST;
	case 5:	/* DD: FFREE FXCH4 FST FSTP FUCOM FUCOMP */
		return r <= 5 ? F_HOST : F_UD;
	case 6:	/* DE: FADDP FMULP FCOMP5 FCOMPP FSUBRP FSUBP FDIVRP FDIVP */
		return (r != 3 || m == 0xd9) ? F_HOST : F_UD;
	default:	/* DF: FFREEP FXCH7 FSTP8 FSTP9 FNSTSW AX FUCOMIP FCOMIP */
		if (r == 4)
			return m == 0xe0 ? F_FNSTSW_AX : F_UD;
		return r == 7 ? F_UD : F_HOST;
	}
}

/* The no-wait instructions (SDM Vol.1 §8.3.11): no #MF check. */
static bool no_wait(unsigned form)
{
	switch (form) {
	case F_FNSTENV: case F_FNSTCW: case F_FNSAVE: case F_FNSTSW: case F_FNSTSW_AX:
	case F_FNCLEX: case F_FNINIT: case F_IGNORED:
		return true;
	}
	return false;
}

/* An unmasked exception other than precision suppresses a memory store (Vol.1 §4.9.2, §8.5). */
static bool store_done(uint16_t new_flags, uint16_t cw)
{
	return !(new_flags & SW_FLAGS & ~cw & ~0x20);
}

static int run_on_host(struct cpu *cpu, struct insn *in, unsigned form, unsigned size)
{
	uint8_t *fx = cpu->fxsave, img[108], buf[16] = { 0 };
	uint16_t cw = rd16(fx + X_FCW), sw = rd16(fx + X_FSW), tw = 0, nsw, nflags;
	unsigned op = in->opcode & 7, m = in->modrm;
	bool mem = in->mod != 3;
	uint64_t ea = 0, rflags = 0;
	int r;

	if (mem) {
		ea = insn_ea(cpu, in);
		if (form == F_LOAD && (r = mem_rw_seg(cpu, in->seg, ea, size, buf, false)))
			return r;
	}
	if (!mem && (op == 2 || op == 3) && ((m >> 3) & 7) <= 3)
		rflags = flags_read(cpu);	/* FCMOVcc */

	memset(img, 0xff, sizeof(img));
	wr16(img + 0, cw);
	wr16(img + 4, (uint16_t)(sw & ~(SW_FLAGS | SW_SF | SW_ES | SW_B)));
	for (unsigned j = 0; j < 8; j++)
		if (!(fx[X_FTW] & (1u << j)))
			tw |= (uint16_t)(3u << (2 * j));	/* FRSTOR uses empty/not empty only */
	wr16(img + 8, tw);
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 28 + 10 * i, fx + X_ST(i), 10);

	x87_host_exec(img, op, m, buf, &rflags);

	nflags = rd16(img + 4) & (SW_FLAGS | SW_SF);
	nsw = (uint16_t)((rd16(img + 4) & ~(SW_ES | SW_B)) | (sw & (SW_FLAGS | SW_SF)));
	nsw = sw_with_es(nsw, cw);
	if (form == F_STORE && store_done(nflags, cw) &&
	    (r = mem_rw_seg(cpu, in->seg, ea, size, buf, true)))
		return r;

	wr16(fx + X_FSW, nsw);
	fx[X_FTW] = abridged_tag(rd16(img + 8));
	for (unsigned i = 0; i < 8; i++)
		set_reg(cpu, i, img + 28 + 10 * i);
	record_insn(cpu, in, mem, ea);
	/* FCOMI, FUCOMI, FCOMIP, FUCOMIP set ZF, PF, CF and clear OF, SF, AF */
	if (!mem && (op == 3 || op == 7) && (((m >> 3) & 7) == 5 || ((m >> 3) & 7) == 6))
		flags_arith(cpu, rflags & CPU_FLAGS_ARITH);
	return EXEC_OK;
}

/* ---- the environment and state images (SDM Vol.1 §8.1.10, Figures 8-9 to 8-12) ---- */

static bool real_format(struct cpu *cpu)
{
	return !(cpu->cr0 & CPU_CR0_PE) || (flags_read(cpu) & CPU_FLAG_VM);
}

/* Writes the 14- or 28-byte environment of the current state into env. */
static unsigned store_env(struct cpu *cpu, struct insn *in, uint8_t *env)
{
	const uint8_t *fx = cpu->fxsave;
	uint16_t cw = rd16(fx + X_FCW), sw = rd16(fx + X_FSW), tw = full_tag(cpu);
	uint16_t fop = rd16(fx + X_FOP) & 0x7ff, fcs = get_fcs(cpu), fds = get_fds(cpu);
	uint32_t fip = rd32(fx + X_FIP), fdp = rd32(fx + X_FDP);

	if (real_format(cpu)) {
		/* the 20-bit (16-bit format) or 32-bit linear addresses */
		fip += (uint32_t)fcs << 4;
		fdp += (uint32_t)fds << 4;
	}
	if (in->opsize == 2) {
		wr16(env + 0, cw);
		wr16(env + 2, sw);
		wr16(env + 4, tw);
		if (real_format(cpu)) {
			wr16(env + 6, (uint16_t)fip);
			wr16(env + 8, (uint16_t)(((fip >> 16) & 0xf) << 12 | fop));
			wr16(env + 10, (uint16_t)fdp);
			wr16(env + 12, (uint16_t)(((fdp >> 16) & 0xf) << 12));
		} else {
			wr16(env + 6, (uint16_t)fip);
			wr16(env + 8, fcs);
			wr16(env + 10, (uint16_t)fdp);
			wr16(env + 12, fds);
		}
		return 14;
	}
	/* 32-bit formats: reserved upper halves are stored as ones, as the hardware does */
	wr32(env + 0, 0xffff0000u | cw);
	wr32(env + 4, 0xffff0000u | sw);
	wr32(env + 8, 0xffff0000u | tw);
	if (real_format(cpu)) {
		wr32(env + 12, 0xffff0000u | (fip & 0xffff));
		wr32(env + 16, ((fip >> 16) << 12) | fop);
		wr32(env + 20, 0xffff0000u | (fdp & 0xffff));
		wr32(env + 24, (fdp >> 16) << 12);
	} else {
		wr32(env + 12, fip);
		wr32(env + 16, (uint32_t)fcs | (uint32_t)fop << 16);
		wr32(env + 20, fdp);
		wr32(env + 24, 0xffff0000u | fds);
	}
	return 28;
}

/* Loads an environment image (FLDENV, FRSTOR). */
static void load_env(struct cpu *cpu, struct insn *in, const uint8_t *env)
{
	uint8_t *fx = cpu->fxsave;
	uint16_t cw, sw, tw, fop = 0, fcs = 0, fds = 0;
	uint32_t fip, fdp;

	cw = cw_load(rd16(env + 0));
	if (in->opsize == 2) {
		sw = rd16(env + 2);
		tw = rd16(env + 4);
		fip = rd16(env + 6);
		fdp = rd16(env + 10);
		if (real_format(cpu)) {
			fip |= (uint32_t)(rd16(env + 8) >> 12) << 16;
			fop = rd16(env + 8) & 0x7ff;
			fdp |= (uint32_t)(rd16(env + 12) >> 12) << 16;
		} else {
			fcs = rd16(env + 8);
			fds = rd16(env + 12);
		}
	} else {
		sw = rd16(env + 4);
		tw = rd16(env + 8);
		if (real_format(cpu)) {
			fip = (rd32(env + 12) & 0xffff) | ((rd32(env + 16) >> 12) & 0xffff) << 16;
			fop = rd32(env + 16) & 0x7ff;
			fdp = (rd32(env + 20) & 0xffff) | ((rd32(env + 24) >> 12) & 0xffff) << 16;
		} else {
			fip = rd32(env + 12);
			fcs = rd16(env + 16);
			fop = (rd32(env + 16) >> 16) & 0x7ff;
			fdp = rd32(env + 20);
			fds = rd16(env + 24);
		}
	}
	x87_set_top(cpu, (sw >> 11) & 7);
	wr16(fx + X_FCW, cw);
	wr16(fx + X_FSW, sw_with_es(sw, cw));
	fx[X_FTW] = abridged_tag(tw);
	wr16(fx + X_FOP, fop);
	set_fip(cpu, fip, fcs);
	set_fdp(cpu, fdp, fds);
}

/* FNINIT (SDM Vol.2 FINIT): FCW 037FH, FSW 0, all empty, FOP/FIP/FDP 0; registers kept. */
static void fninit(struct cpu *cpu)
{
	x87_set_top(cpu, 0);
	memset(cpu->fxsave, 0, 24);
	wr16(cpu->fxsave + X_FCW, 0x37f);
}

static int control(struct cpu *cpu, struct insn *in, unsigned form)
{
	uint8_t *fx = cpu->fxsave, img[108];
	uint64_t ea = in->mod != 3 ? insn_ea(cpu, in) : 0;
	unsigned envlen = in->opsize == 2 ? 14 : 28;
	uint16_t v;
	int r;

	switch (form) {
	case F_FNCLEX:
		wr16(fx + X_FSW, rd16(fx + X_FSW) & (uint16_t)~(SW_FLAGS | SW_SF | SW_ES | SW_B));
		return EXEC_OK;
	case F_FNINIT:
		fninit(cpu);
		return EXEC_OK;
	case F_FNSTSW_AX:
		reg_write(cpu, CPU_RAX, 2, rd16(fx + X_FSW));
		return EXEC_OK;
	case F_FNSTSW:
	case F_FNSTCW:
		v = rd16(fx + (form == F_FNSTSW ? X_FSW : X_FCW));
		return mem_rw_seg(cpu, in->seg, ea, 2, &v, true);
	case F_FLDCW:
		if ((r = mem_rw_seg(cpu, in->seg, ea, 2, &v, false)))
			return r;
		wr16(fx + X_FCW, cw_load(v));
		wr16(fx + X_FSW, sw_with_es(rd16(fx + X_FSW), rd16(fx + X_FCW)));
		return EXEC_OK;
	case F_FNSTENV:
		store_env(cpu, in, img);
		if ((r = mem_rw_seg(cpu, in->seg, ea, envlen, img, true)))
			return r;
		/* then every exception is masked (SDM Vol.2 FSTENV) */
		wr16(fx + X_FCW, rd16(fx + X_FCW) | 0x3f);
		return EXEC_OK;
	case F_FLDENV:
		if ((r = mem_rw_seg(cpu, in->seg, ea, envlen, img, false)))
			return r;
		load_env(cpu, in, img);
		return EXEC_OK;
	case F_FNSAVE:
		store_env(cpu, in, img);
		for (unsigned i = 0; i < 8; i++)
			memcpy(img + envlen + 10 * i, fx + X_ST(i), 10);
		if ((r = mem_rw_seg(cpu, in->seg, ea, envlen + 80, img, true)))
			return r;
		fninit(cpu);
		return EXEC_OK;
	case F_FRSTOR:
		if ((r = mem_rw_seg(cpu, in->seg, ea, envlen + 80, img, false)))
			return r;
		load_env(cpu, in, img);	/* rotates, then the image's stack order wins */
		for (unsigned i = 0; i < 8; i++)
			set_reg(cpu, i, img + envlen + 10 * i);
		return EXEC_OK;
	}
	return EXEC_OK;	/* F_IGNORED */
}

/* D8-DF: every x87 instruction */
int x_x87(struct cpu *cpu, struct insn *in)
{
	unsigned op = in->opcode & 7, form, size = 0;
	int r;

	if (in->mod != 3) {
		form = mem_forms[op][in->reg].form;
		size = mem_forms[op][in->reg].size;
	} else {
		form = reg_form(op, in->modrm);
	}
	if (form == F_UD)
		return raise_ud(cpu);
	if ((r = nm_check(cpu)))
		return r;
	if (!no_wait(form) && (r = x87_mf_check(cpu)))
		return r;
	switch (form) {
	case F_HOST:
	case F_LOAD:
	case F_STORE:
		return run_on_host(cpu, in, form, size);
	default:
		return control(cpu, in, form);
	}
}
